"""Generative adversarial network (Goodfellow et al. 2014) with MLP generator and discriminator."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

from .. import functional as F
from .. import nn
from .._coerce import as_f32, as_f32_tensor
from ..autograd import no_grad
from ..tensor import Tensor
from ._common import adam, fit_steps, gaussian
from .autoencoder import _dense_stack


class GAN(nn.Module):
    """``generator``: noise ``(N, latent_size)`` -> samples ``(N, out_features)`` in [0, 1] (sigmoid);
    ``discriminator``: samples -> one logit ("real").

    Training alternates two updates (non-saturating losses):
    ``discriminator_loss(real, fake)`` uses ``fake.detach()`` so the generator gets no gradient from the
    discriminator's step; ``generator_loss(fake)`` pushes the discriminator's logit on fakes towards "real"
    (step only the generator's optimizer). Discriminator hidden layers use LeakyReLU(0.2).

    Example:
        >>> gan = GAN(64, latent_size=16)
        >>> x = ne.rand(8, 64)
        >>> d_loss, g_loss = gan.losses(x)
        >>> gan.generate(4).shape, d_loss.shape
        ((4, 64), ())
    """

    def __init__(self, out_features: int, latent_size: int = 16, generator_hidden: Sequence[int] = (128, 128),
                 discriminator_hidden: Sequence[int] = (128,)) -> None:
        super().__init__()
        if int(out_features) < 1 or int(latent_size) < 1:
            raise ValueError(f"out_features, latent_size: expected positive sizes, got {out_features}, {latent_size}")
        self.out_features, self.latent_size = int(out_features), int(latent_size)
        self.generator = _dense_stack([self.latent_size, *[int(h) for h in generator_hidden], self.out_features],
                                      "relu", "sigmoid")
        self.discriminator = _dense_stack([self.out_features, *[int(h) for h in discriminator_hidden], 1],
                                          "leaky_relu", None)
        for m in self.discriminator:
            if isinstance(m, nn.LeakyReLU):
                m.negative_slope = 0.2

    def noise(self, n: int) -> Tensor:
        """``n`` latent vectors from N(0, I), ``(n, latent_size)``.

        Example:
            >>> GAN(64, latent_size=16).noise(3).shape
            (3, 16)
        """
        return Tensor(gaussian((int(n), self.latent_size)))

    def generate(self, n: int) -> Tensor:
        """``n`` generator samples (graph kept, for the generator's update).

        Example:
            >>> g = GAN(64).generate(2); g.shape, g.requires_grad
            ((2, 64), True)
        """
        if int(n) < 1:
            raise ValueError(f"n: expected a positive count, got {n}")
        return self.generator(self.noise(n))

    def sample(self, n: int) -> Tensor:
        """``n`` generator samples without a graph.

        Example:
            >>> s = GAN(64).sample(2); s.shape, s.requires_grad
            ((2, 64), False)
        """
        with no_grad():
            return self.generate(n)

    def forward(self, z: Tensor) -> Tensor:
        return self.generator(as_f32_tensor(z))

    def discriminator_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        """BCE of the discriminator on real (target 1) and detached fake (target 0) samples.

        Example:
            >>> gan = GAN(64)
            >>> gan.discriminator_loss(ne.rand(4, 64), gan.generate(4)).item() > 0
            True
        """
        real = as_f32_tensor(real)
        real = real.flatten(1) if real.ndim > 2 else real
        lr = self.discriminator(real)
        lf = self.discriminator(fake.detach())
        ones = Tensor(lr._data * 0 + 1)
        zeros = Tensor(lf._data * 0)
        return (F.binary_cross_entropy_with_logits(lr, ones) + F.binary_cross_entropy_with_logits(lf, zeros)) * 0.5

    def generator_loss(self, fake: Tensor) -> Tensor:
        """Non-saturating generator loss ``-log D(fake)``.

        Example:
            >>> gan = GAN(64)
            >>> gan.generator_loss(gan.generate(4)).item() > 0
            True
        """
        lf = self.discriminator(fake)
        return F.binary_cross_entropy_with_logits(lf, Tensor(lf._data * 0 + 1))

    def fit(self, x: Any, epochs: int = 150, lr: float = 2e-3, batch_size: int = 64, betas: tuple = (0.5, 0.999),
            verbose: bool = False) -> List[Tuple[float, float]]:
        """Alternating Adam updates (discriminator on real + detached fakes, then generator on the same
        fakes); returns per-epoch mean ``(discriminator_loss, generator_loss)``.

        Example:
            >>> gan = GAN(16, latent_size=4, generator_hidden=(16,), discriminator_hidden=(16,))
            >>> history = gan.fit(ne.rand(32, 16).numpy(), epochs=2, batch_size=16)
            >>> len(history)
            2
        """
        x = as_f32(x)
        x = x.reshape(len(x), -1)
        g_opt = adam(self.generator.parameters(), lr, betas)
        d_opt = adam(self.discriminator.parameters(), lr, betas)

        def step(xb: Tensor) -> Dict[str, float]:
            fake = self.generate(len(xb))
            d_opt.zero_grad()
            d_loss = self.discriminator_loss(xb, fake)
            d_loss.backward()
            d_opt.step()
            g_opt.zero_grad()
            g_loss = self.generator_loss(fake)
            g_loss.backward()
            g_opt.step()
            self.discriminator.zero_grad()  # the generator's backward also reached D; drop it
            return {"loss": float(d_loss.item()), "generator_loss": float(g_loss.item())}

        logs = fit_steps(self, step, [x], epochs, batch_size, verbose)
        return list(zip(logs["loss"], logs["generator_loss"]))

    def losses(self, real: Tensor) -> Tuple[Tensor, Tensor]:
        """``(discriminator_loss, generator_loss)`` on one batch of real data and as many fresh fakes.

        Example:
            >>> d, g = GAN(64).losses(ne.rand(4, 64)); d.shape, g.shape
            ((), ())
        """
        fake = self.generate(as_f32_tensor(real).shape[0])
        return self.discriminator_loss(real, fake), self.generator_loss(fake)


def sample_score(probs: np.ndarray, min_share: float = 0.02) -> Tuple[float, float, int]:
    """Score generated samples with a classifier trained on real data, given its class probabilities
    ``probs`` ``(N, C)``: ``(mean max-probability, entropy of the predicted-class histogram / log C,
    number of classes receiving more than min_share of the samples)``. Confident and spread-out samples
    score near ``(1, 1, C)``; a collapsed generator scores entropy near 0.

    Example:
        >>> probs = np.eye(4)[np.arange(100) % 4] * 0.9 + 0.025  # a classifier's p(class | sample)
        >>> sample_score(probs)
        (0.925, 1.0, 4)
    """
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] < 2:
        raise ValueError(f"probs: expected shape (N, C) with C >= 2, got {p.shape}")
    c = np.bincount(p.argmax(1), minlength=p.shape[1]) / len(p)
    nz = c[c > 0]
    return float(p.max(1).mean()), float(-(nz * np.log(nz)).sum() / np.log(p.shape[1])), int((c > min_share).sum())

