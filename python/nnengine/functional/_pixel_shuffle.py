"""``pixel_shuffle`` / ``pixel_unshuffle`` (sub-pixel convolution, Shi et al. 2016): a reshape and a permute,
so the gradient is the inverse permutation."""

from __future__ import annotations

from ..tensor import Tensor
from ._util import check_tensor, positive_int


def _check(x: Tensor, name: str) -> Tensor:
    if not isinstance(x, Tensor):  # arrays and lists are data, as for every functional op (float32)
        x = check_tensor(x, "input")
    if x.ndim < 3:
        raise ValueError(f"{name}: input: expected at least 3 dimensions (*, C, H, W), got shape {x.shape}")
    return x


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """``(*, C * r**2, H, W) -> (*, C, H * r, W * r)`` with ``r = upscale_factor`` (torch's channel order).

    Example:
        >>> F.pixel_shuffle(ne.arange(8.0).reshape(1, 4, 1, 2), 2).shape
        (1, 1, 2, 4)
    """
    x = _check(input, "pixel_shuffle")
    r = positive_int(upscale_factor, "upscale_factor")
    *lead, c, h, w = x.shape
    if c % (r * r):
        raise ValueError(f"pixel_shuffle: input's channel dim (size {c}, shape {x.shape}) must be divisible by "
                         f"upscale_factor**2 = {r * r}")
    n = len(lead)
    y = x.reshape(*lead, c // (r * r), r, r, h, w)
    y = y.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """``(*, C, H * r, W * r) -> (*, C * r**2, H, W)`` with ``r = downscale_factor``; undoes ``pixel_shuffle``.

    Example:
        >>> x = ne.arange(16.0).reshape(1, 1, 4, 4)
        >>> bool((F.pixel_shuffle(F.pixel_unshuffle(x, 2), 2) == x).all())
        True
    """
    x = _check(input, "pixel_unshuffle")
    r = positive_int(downscale_factor, "downscale_factor")
    *lead, c, h, w = x.shape
    if h % r or w % r:
        raise ValueError(f"pixel_unshuffle: input's height and width (shape {x.shape}) must be divisible by "
                         f"downscale_factor = {r}")
    n = len(lead)
    y = x.reshape(*lead, c, h // r, r, w // r, r)
    y = y.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return y.reshape(*lead, c * r * r, h // r, w // r)
