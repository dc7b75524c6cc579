"""Autoencoders: dense, denoising and convolutional, trained to reconstruct their input.

All three expose ``encode(x)``, ``decode(code)``, ``forward(x)`` (the reconstruction) and
``reconstruction_loss(x)`` (mean squared error against the clean input). Inputs are expected in [0, 1]
(the decoder ends with a sigmoid unless ``out_activation=None``).
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence

import numpy as np

from .. import functional as F
from .. import nn
from .._coerce import as_f32, as_f32_tensor
from ..functional._dropout import dropout_mask
from ..tensor import Tensor
from ._common import adam, fit_steps, gaussian

_ACTS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "elu": nn.ELU, "leaky_relu": nn.LeakyReLU}


def _dense_stack(sizes: Sequence[int], activation: str, last_activation: Optional[str]) -> nn.Sequential:
    mods = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = nn.Linear(a, b)
        nn.init.xavier_uniform_(lin.weight)
        nn.init.zeros_(lin.bias)
        mods.append(lin)
        act = activation if i < len(sizes) - 2 else last_activation
        if act is not None:
            mods.append(_ACTS[act]())
    return nn.Sequential(*mods)


def _check_act(name: Optional[str], arg: str, allow_none: bool) -> None:
    if name is None and allow_none:
        return
    if name not in _ACTS:
        raise ValueError(f"{arg}: expected one of {sorted(_ACTS)}{' or None' if allow_none else ''}, got {name!r}")


class Autoencoder(nn.Module):
    """Dense autoencoder ``in_features -> hidden_sizes -> code_size -> reversed(hidden_sizes) -> in_features``.

    The code layer is linear (like PCA's projection), hidden layers use ``activation`` and the output
    ``out_activation`` (sigmoid for pixels in [0, 1]). ``encoder`` and ``decoder`` are nn.Sequential.

    Example:
        >>> ae = Autoencoder(64, code_size=8, hidden_sizes=(32,))
        >>> x = ne.rand(16, 64)  # inputs in [0, 1]
        >>> ae.reconstruction_loss(x).backward()
        >>> ae.encode(x).shape, ae(x).shape
        ((16, 8), (16, 64))
    """

    def __init__(self, in_features: int, code_size: int, hidden_sizes: Sequence[int] = (128,),
                 activation: str = "relu", out_activation: Optional[str] = "sigmoid") -> None:
        super().__init__()
        if int(in_features) < 1 or int(code_size) < 1:
            raise ValueError(f"in_features, code_size: expected positive sizes, got {in_features}, {code_size}")
        _check_act(activation, "activation", False)
        _check_act(out_activation, "out_activation", True)
        self.in_features, self.code_size = int(in_features), int(code_size)
        hidden = [int(h) for h in hidden_sizes]
        self.encoder = _dense_stack([self.in_features, *hidden, self.code_size], activation, None)
        self.decoder = _dense_stack([self.code_size, *reversed(hidden), self.in_features], activation, out_activation)

    def encode(self, x: Tensor) -> Tensor:
        """The code ``(N, code_size)`` of ``x``.

        Example:
            >>> Autoencoder(64, 8).encode(ne.rand(4, 64)).shape
            (4, 8)
        """
        x = as_f32_tensor(x)
        return self.encoder(x.flatten(1) if x.ndim > 2 else x)

    def decode(self, code: Tensor) -> Tensor:
        """The reconstruction ``(N, in_features)`` of a code.

        Example:
            >>> Autoencoder(64, 8).decode(ne.rand(4, 8)).shape
            (4, 64)
        """
        return self.decoder(as_f32_tensor(code))

    def corrupt(self, x: Tensor) -> Tensor:
        """The input the encoder sees during training (identity here; noisy in DenoisingAutoencoder).

        Example:
            >>> x = ne.rand(2, 8)
            >>> Autoencoder(8, 2).corrupt(x) is x
            True
        """
        return x

    def forward(self, x: Tensor) -> Tensor:
        x = as_f32_tensor(x)
        return self.decode(self.encode(self.corrupt(x) if self.training else x)).reshape(x.shape)

    def reconstruction_loss(self, x: Tensor) -> Tensor:
        """Mean squared error between ``forward(x)`` and the clean ``x``.

        Example:
            >>> ae = Autoencoder(64, 8)
            >>> ae.reconstruction_loss(ne.rand(4, 64)).shape
            ()
        """
        x = as_f32_tensor(x)
        return F.mse_loss(self.forward(x), x.detach())

    def fit(self, x: Any, epochs: int = 30, lr: float = 3e-3, batch_size: int = 64, verbose: bool = False) -> List[float]:
        """Adam on ``reconstruction_loss`` over shuffled minibatches of ``x``; returns per-epoch mean losses
        and leaves the model in eval mode.

        Example:
            >>> ae = Autoencoder(64, code_size=8, hidden_sizes=(32,))
            >>> losses = ae.fit(ne.rand(64, 64).numpy(), epochs=2, batch_size=32)
            >>> len(losses)
            2
        """
        x = as_f32(x)
        opt = adam(self.parameters(), lr)
        self.train()

        def step(xb: Tensor) -> float:
            opt.zero_grad()
            loss = self.reconstruction_loss(xb)
            loss.backward()
            opt.step()
            return float(loss.item())

        history = fit_steps(self, step, [x], epochs, batch_size, verbose)["loss"]
        self.eval()
        return history


class DenoisingAutoencoder(Autoencoder):
    """Autoencoder trained to undo input noise (Vincent et al. 2008): in training mode the encoder sees
    ``x + N(0, noise_std^2)`` with a fraction ``mask_prob`` of the inputs zeroed, and the loss compares the
    reconstruction with the clean ``x``. In eval mode the input is used as is.

    Example:
        >>> dae = DenoisingAutoencoder(64, code_size=8, noise_std=0.2)
        >>> x = ne.rand(4, 64)
        >>> loss = dae.train().reconstruction_loss(x)  # encodes a noisy x, compares with the clean x
        >>> loss.backward(); dae.eval()(x).shape
        (4, 64)
    """

    def __init__(self, in_features: int, code_size: int, hidden_sizes: Sequence[int] = (128,),
                 activation: str = "relu", out_activation: Optional[str] = "sigmoid", noise_std: float = 0.2,
                 mask_prob: float = 0.0) -> None:
        super().__init__(in_features, code_size, hidden_sizes, activation, out_activation)
        if noise_std < 0:
            raise ValueError(f"noise_std: expected >= 0, got {noise_std}")
        if not 0.0 <= mask_prob < 1.0:
            raise ValueError(f"mask_prob: expected a probability in [0, 1), got {mask_prob}")
        self.noise_std, self.mask_prob = float(noise_std), float(mask_prob)

    def corrupt(self, x: Tensor) -> Tensor:
        """``x`` with Gaussian noise (``noise_std``) and masking noise (``mask_prob``): what the encoder sees in
        training (``forward`` skips it in eval mode).

        Example:
            >>> dae = DenoisingAutoencoder(8, 2, noise_std=0.5)
            >>> bool((dae.corrupt(ne.zeros(2, 8)) != 0).any())
            True
        """
        arr = x._data
        noisy = arr + gaussian(arr.shape, self.noise_std) if self.noise_std > 0 else arr.copy()
        if self.mask_prob > 0:
            noisy = noisy * dropout_mask(arr.shape, self.mask_prob)  # the dropout kernel's mask generator
        return Tensor(noisy.astype(np.float32))


def upsample_nearest2x(x: Tensor) -> Tensor:
    """``(N, C, H, W) -> (N, C, 2H, 2W)`` by repeating each pixel (differentiable: reshape + expand).

    Example:
        >>> upsample_nearest2x(ne.tensor([[[[1.0, 2.0]]]]))
        tensor([[[[1., 1., 2., 2.],
                  [1., 1., 2., 2.]]]])
    """
    n, c, h, w = x.shape
    return x.reshape(n, c, h, 1, w, 1).expand(n, c, h, 2, w, 2).reshape(n, c, 2 * h, 2 * w)


class _Upsample2x(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return upsample_nearest2x(x)


class ConvAutoencoder(Autoencoder):
    """Convolutional autoencoder for ``(N, in_channels, H, W)`` images in [0, 1].

    Encoder: per entry of ``channels`` a 3x3 Conv2d (padding 1) + ReLU + 2x2 max-pool, then a Linear to
    the ``code_size`` code. Decoder: Linear + ReLU back to the smallest feature map, then per stage a
    nearest 2x upsampling + 3x3 Conv2d (the transposed convolution done as upsample + conv), ReLU between
    stages and a sigmoid at the end. H and W must be divisible by ``2 ** len(channels)``.

    Example:
        >>> cae = ConvAutoencoder(1, (8, 8), code_size=8, channels=(4, 8))
        >>> x = ne.rand(2, 1, 8, 8)
        >>> cae.encode(x).shape, cae(x).shape
        ((2, 8), (2, 1, 8, 8))
    """

    def __init__(self, in_channels: int = 1, image_size: Sequence[int] = (8, 8), code_size: int = 8,
                 channels: Sequence[int] = (16, 32)) -> None:
        nn.Module.__init__(self)
        hw = (int(image_size), int(image_size)) if isinstance(image_size, (int, np.integer)) else \
            tuple(int(s) for s in image_size)
        chans = [int(c) for c in channels]
        f = 2 ** len(chans)
        if len(hw) != 2 or hw[0] % f or hw[1] % f or min(hw) < f:
            raise ValueError(f"image_size: expected (H, W) divisible by {f} (2 ** len(channels)), got {image_size}")
        if int(in_channels) < 1 or int(code_size) < 1 or not chans or min(chans) < 1:
            raise ValueError(f"in_channels, code_size, channels: expected positive sizes, got {in_channels}, "
                             f"{code_size}, {channels}")
        self.in_channels, self.image_size, self.code_size = int(in_channels), hw, int(code_size)
        self.in_features = self.in_channels * hw[0] * hw[1]
        small = (chans[-1], hw[0] // f, hw[1] // f)
        self._small = small
        enc: list = []
        c_prev = self.in_channels
        for c in chans:
            enc += [nn.Conv2d(c_prev, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            c_prev = c
        enc += [nn.Flatten(), nn.Linear(int(np.prod(small)), self.code_size)]
        self.encoder = nn.Sequential(*enc)
        self.decoder_fc = nn.Sequential(nn.Linear(self.code_size, int(np.prod(small))), nn.ReLU())
        dec: list = []
        outs = list(reversed(chans[:-1])) + [self.in_channels]
        c_prev = chans[-1]
        for i, c in enumerate(outs):
            dec += [_Upsample2x(), nn.Conv2d(c_prev, c, 3, padding=1)]
            dec.append(nn.ReLU() if i < len(outs) - 1 else nn.Sigmoid())
            c_prev = c
        self.decoder = nn.Sequential(*dec)

    def _images(self, x: Tensor) -> Tensor:
        c, (h, w) = self.in_channels, self.image_size
        if x.ndim == 2 and x.shape[1] == c * h * w:
            return x.reshape(x.shape[0], c, h, w)
        if x.ndim != 4 or tuple(x.shape[1:]) != (c, h, w):
            raise ValueError(f"x: expected shape (N, {c}, {h}, {w}) or (N, {c * h * w}), got {x.shape}")
        return x

    def encode(self, x: Tensor) -> Tensor:
        """The code ``(N, code_size)`` of images ``(N, C, H, W)``.

        Example:
            >>> ConvAutoencoder(1, (8, 8), code_size=8, channels=(4, 8)).encode(ne.rand(2, 1, 8, 8)).shape
            (2, 8)
        """
        return self.encoder(self._images(as_f32_tensor(x)))

    def decode(self, code: Tensor) -> Tensor:
        """Images ``(N, C, H, W)`` from codes.

        Example:
            >>> ConvAutoencoder(1, (8, 8), code_size=8, channels=(4, 8)).decode(ne.rand(2, 8)).shape
            (2, 1, 8, 8)
        """
        h = self.decoder_fc(as_f32_tensor(code))
        return self.decoder(h.reshape((h.shape[0],) + self._small))
