"""Resampling on the engine's interpolate kernels: ``F.interpolate`` (nearest, linear, bilinear; torch's index
rules) and ``F.upsample``."""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence, Tuple, Union

from .. import _core
from ..autograd import Function
from ..tensor import Tensor
from ._util import as_tuple, check_tensor, f32c


class InterpolateFn(Function):
    """One tape node; x is viewed as (planes, 1, H, W) (1-D: (planes, 1, 1, L))."""

    @staticmethod
    def forward(ctx, x, out, mode, align_corners, scales):
        nd = len(out)
        hw = ((1,) if nd == 1 else ()) + x.shape[-nd:]
        out2 = ((1,) if nd == 1 else ()) + tuple(out)
        x4 = f32c(x.reshape((-1, 1) + hw))
        y = _core.interpolate_forward(x4, out2, mode, align_corners, scales)
        ctx.args = (x.shape, hw, out2, mode, align_corners, scales)
        return y.reshape(x.shape[:-nd] + tuple(out))

    @staticmethod
    def backward(ctx, g):
        shape, hw, out2, mode, align_corners, scales = ctx.args
        g4 = f32c(g.reshape((-1, 1) + out2))
        return _core.interpolate_backward(g4, hw, mode, align_corners, scales).reshape(shape), None, None, None, None


def interpolate(
    input: Tensor,
    size: Optional[Union[int, Sequence[int]]] = None,
    scale_factor: Optional[Union[float, Sequence[float]]] = None,
    mode: str = "nearest",
    align_corners: Optional[bool] = None,
    recompute_scale_factor: Optional[bool] = None,
    antialias: bool = False,
) -> Tensor:
    """Resample (N, C, L) or (N, C, H, W), PyTorch's ``F.interpolate``: exactly one of ``size`` and
    ``scale_factor``; mode 'nearest' (3-D or 4-D), 'linear' (3-D) or 'bilinear' (4-D), ``align_corners`` for
    the linear modes.

    Example:
        >>> interpolate(ne.randn(1, 2, 16, 16), scale_factor=2, mode="bilinear").shape
        (1, 2, 32, 32)
        >>> interpolate(ne.tensor([[[1.0, 2.0]]]), size=4)
        tensor([[[1., 1., 2., 2.]]])
    """
    x = check_tensor(input, "input", ndim=(3, 4))
    n = x.ndim - 2
    modes = {"nearest": (3, 4), "linear": (3,), "bilinear": (4,)}
    if mode not in modes:
        raise ValueError(f"mode: expected one of {sorted(modes)}, got {mode!r}")
    if x.ndim not in modes[mode]:
        raise ValueError(f"input: mode {mode!r} needs {modes[mode][0]}-D input, got shape {x.shape}")
    if antialias:
        raise ValueError("antialias: only False is supported")
    if align_corners is not None and mode == "nearest":
        raise ValueError("align_corners: can only be set with the interpolating modes (linear, bilinear)")
    if (size is None) == (scale_factor is None):
        raise ValueError("size, scale_factor: expected exactly one of them")
    in_sizes = x.shape[2:]
    if min(in_sizes) < 1:
        raise ValueError(f"input: expected a non-empty spatial size, got shape {x.shape}")
    scales: Tuple[float, ...] = (0.0,) * n
    if size is not None:
        out = as_tuple(size, n, "size", int)
    else:
        sf = as_tuple(scale_factor, n, "scale_factor", float)
        if not all(math.isfinite(f) and f > 0 for f in sf):
            raise ValueError(f"scale_factor: expected positive finite values, got {scale_factor!r}")
        out = tuple(int(math.floor(float(d) * f)) for d, f in zip(in_sizes, sf))
        if not recompute_scale_factor:
            scales = sf
    if min(out) < 1:
        raise ValueError(f"size: the output size {out} must be positive")
    scales2 = (0.0,) * (2 - n) + tuple(scales)
    kmode = "nearest" if mode == "nearest" else "bilinear"
    return InterpolateFn.apply(x, out, kmode, bool(align_corners), scales2)


def upsample(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
             align_corners: Optional[bool] = None) -> Tensor:
    """PyTorch's deprecated ``F.upsample``: the same as :func:`interpolate`.

    Example:
        >>> upsample(ne.randn(1, 2, 4, 4), scale_factor=2).shape
        (1, 2, 8, 8)
    """
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """PyTorch's deprecated ``F.upsample_nearest``: ``interpolate(..., mode='nearest')``.

    Example:
        >>> upsample_nearest(ne.randn(1, 2, 4, 4), scale_factor=2).shape
        (1, 2, 8, 8)
    """
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """PyTorch's deprecated ``F.upsample_bilinear``: ``interpolate(..., mode='bilinear', align_corners=True)``.

    Example:
        >>> upsample_bilinear(ne.tensor([[[[0.0, 1.0]]]]), size=(1, 3))
        tensor([[[[0. , 0.5, 1. ]]]])
    """
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
