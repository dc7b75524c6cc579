"""Variational autoencoder (Kingma & Welling 2014) with a Gaussian encoder and a Bernoulli decoder."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

from .. import functional as F
from .. import nn
from .._coerce import as_f32, as_f32_tensor
from ..autograd import no_grad
from ..tensor import Tensor
from ._common import adam, fit_steps, gaussian
from .autoencoder import _dense_stack


class VAE(nn.Module):
    """``q(z|x) = N(mu(x), diag(exp(logvar(x))))``, prior ``N(0, I)``, ``p(x|z)`` Bernoulli with logits
    ``decoder(z)``; inputs are intensities in [0, 1] (treated as Bernoulli means).

    ``loss(x)`` returns ``(loss, stats)``: ``loss = recon + kl`` (the negative ELBO per example, in nats),
    ``recon`` the summed binary cross-entropy, ``kl = KL(q(z|x) || N(0, I))`` in closed form and
    ``elbo = -(recon + kl)``. Sampling uses the reparameterisation ``z = mu + exp(logvar / 2) * eps`` with
    ``eps`` from ``nnengine.random`` (so ``ne.manual_seed`` makes runs reproducible).

    Example:
        >>> vae = VAE(64, latent_size=4, hidden_sizes=(32,))
        >>> loss, stats = vae.loss(ne.rand(8, 64))  # inputs in [0, 1]
        >>> loss.backward(); sorted(stats)
        ['elbo', 'kl', 'recon']
        >>> vae.sample(16).shape
        (16, 64)
    """

    def __init__(self, in_features: int, latent_size: int = 8, hidden_sizes: Sequence[int] = (256,),
                 activation: str = "relu") -> None:
        super().__init__()
        if int(in_features) < 1 or int(latent_size) < 1:
            raise ValueError(f"in_features, latent_size: expected positive sizes, got {in_features}, {latent_size}")
        self.in_features, self.latent_size = int(in_features), int(latent_size)
        hidden = [int(h) for h in hidden_sizes]
        self.encoder = _dense_stack([self.in_features, *hidden, 2 * self.latent_size], activation, None)
        self.decoder = _dense_stack([self.latent_size, *reversed(hidden), self.in_features], activation, None)

    def encode(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """``(mu, logvar)`` of q(z|x), each ``(N, latent_size)``.

        Example:
            >>> mu, logvar = VAE(64, latent_size=4).encode(ne.rand(2, 64)); mu.shape, logvar.shape
            ((2, 4), (2, 4))
        """
        x = as_f32_tensor(x)
        h = self.encoder(x.flatten(1) if x.ndim > 2 else x)
        k = self.latent_size
        return h[:, :k], h[:, k:]

    def reparameterize(self, mu: Tensor, logvar: Tensor) -> Tensor:
        """``mu + exp(logvar / 2) * eps``, ``eps ~ N(0, I)`` (differentiable in mu and logvar).

        Example:
            >>> VAE(64, latent_size=4).reparameterize(ne.zeros(2, 4), ne.zeros(2, 4)).shape
            (2, 4)
        """
        return mu + (logvar * 0.5).exp() * gaussian(mu.shape)

    def decode_logits(self, z: Tensor) -> Tensor:
        """The decoder's logits (before the sigmoid), for a numerically stable BCE.

        Example:
            >>> VAE(64, latent_size=4).decode_logits(ne.zeros(2, 4)).shape
            (2, 64)
        """
        return self.decoder(as_f32_tensor(z))

    def decode(self, z: Tensor) -> Tensor:
        """Bernoulli means ``sigmoid(decoder(z))``.

        Example:
            >>> VAE(64, latent_size=4).decode(ne.zeros(2, 4)).shape
            (2, 64)
        """
        return F.sigmoid(self.decode_logits(z))

    def forward(self, x: Tensor) -> Tensor:
        """Reconstruction: decode a sample of q(z|x) in training mode, the mean ``mu`` in eval mode.

        Example:
            >>> VAE(64, latent_size=4).eval()(ne.rand(2, 64)).shape
            (2, 64)
        """
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar) if self.training else mu
        return self.decode(z).reshape(as_f32_tensor(x).shape)

    def loss(self, x: Tensor) -> Tuple[Tensor, Dict[str, float]]:
        """Negative ELBO per example (mean over the batch) and ``{"elbo", "recon", "kl"}`` as floats.

        Example:
            >>> loss, stats = VAE(64, latent_size=4).loss(ne.rand(8, 64))
            >>> loss.shape, sorted(stats)
            ((), ['elbo', 'kl', 'recon'])
        """
        x = as_f32_tensor(x)
        x2 = x.flatten(1) if x.ndim > 2 else x
        mu, logvar = self.encode(x2)
        logits = self.decode_logits(self.reparameterize(mu, logvar))
        n = x2.shape[0]
        recon = F.binary_cross_entropy_with_logits(logits, x2.detach(), reduction="sum") / n
        kl = ((mu * mu + logvar.exp() - logvar - 1.0).sum() * 0.5) / n
        total = recon + kl
        return total, {"elbo": -float(total.item()), "recon": float(recon.item()), "kl": float(kl.item())}

    def fit(self, x: Any, epochs: int = 30, lr: float = 2e-3, batch_size: int = 64, verbose: bool = False) -> List[float]:
        """Adam on the negative ELBO; returns the per-epoch mean ELBO (nats per example, higher is better).

        Example:
            >>> vae = VAE(16, latent_size=2, hidden_sizes=(8,))
            >>> len(vae.fit(ne.rand(32, 16).numpy(), epochs=2))
            2
        """
        x = as_f32(x)
        opt = adam(self.parameters(), lr)
        self.train()

        def step(xb: Tensor) -> Dict[str, float]:
            opt.zero_grad()
            loss, stats = self.loss(xb)
            loss.backward()
            opt.step()
            return {"loss": float(loss.item()), "elbo": stats["elbo"]}

        history = fit_steps(self, step, [x], epochs, batch_size, verbose)["elbo"]
        self.eval()
        return history

    def sample(self, n: int) -> Tensor:
        """``n`` images (Bernoulli means) decoded from prior samples ``z ~ N(0, I)``.

        Example:
            >>> VAE(64, latent_size=4).sample(3).shape
            (3, 64)
        """
        if int(n) < 1:
            raise ValueError(f"n: expected a positive count, got {n}")
        with no_grad():
            return self.decode(Tensor(gaussian((int(n), self.latent_size))))
