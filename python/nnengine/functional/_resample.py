"""Resampling and padding on the engine's interpolate and pad kernels: ``F.interpolate`` (nearest, linear,
bilinear; torch's index rules), ``F.upsample`` and ``F.pad`` (constant, reflect, replicate over the last one or
two dimensions), and channel dropout ``F.dropout1d`` / ``F.dropout2d`` on the dropout2d kernels."""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

from .. import _core
from ..autograd import Function
from ..random import seed_int
from ..tensor import Tensor
from ._util import check_tensor, f32c


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


def _as_tuple(v: Any, n: int, name: str, kind: type) -> Tuple[Any, ...]:
    vals = tuple(v) if isinstance(v, (tuple, list)) else (v,) * n
    if len(vals) != n:
        raise ValueError(f"{name}: expected {n} values for this input, got {v!r}")
    for a in vals:
        ok = isinstance(a, (int, np.integer)) if kind is int else isinstance(a, (int, float, np.integer, np.floating))
        if isinstance(a, bool) or not ok:
            raise TypeError(f"{name}: expected {'ints' if kind is int else 'numbers'}, got {v!r}")
    return tuple(kind(a) for a in vals)


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
        out = _as_tuple(size, n, "size", int)
    else:
        sf = _as_tuple(scale_factor, n, "scale_factor", float)
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


class PadFn(Function):
    """One tape node; x is viewed as (planes, 1, H, W), pads (left, right, top, bottom)."""

    @staticmethod
    def forward(ctx, x, pads, mode, value, nd):
        shape = x.shape
        hw = ((1,) + shape[-1:]) if nd == 1 else shape[-2:]
        x4 = f32c(x.reshape((-1, 1) + hw))
        y = _core.pad_forward(x4, pads, mode, value)
        ctx.args = (shape, hw, pads, mode, nd)
        return y.reshape(shape[:-nd] + y.shape[4 - nd:])

    @staticmethod
    def backward(ctx, g):
        shape, hw, pads, mode, nd = ctx.args
        g4 = f32c(g.reshape((-1, 1) + ((1,) + g.shape[-1:] if nd == 1 else g.shape[-2:])))
        return _core.pad_backward(g4, hw, pads, mode).reshape(shape), None, None, None, None


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: Optional[float] = None) -> Tensor:
    """Pad the last dimension (``pad`` = (left, right)) or the last two (``pad`` = (left, right, top, bottom)),
    PyTorch's ``F.pad``: mode 'constant' (``value``, default 0), 'reflect' or 'replicate'; negative pads crop.

    Example:
        >>> pad(ne.randn(1, 2, 28, 28), (1, 1, 2, 2), mode="reflect").shape
        (1, 2, 32, 30)
        >>> pad(ne.ones(1, 1, 2), (1, 0), value=5.0)
        tensor([[[5., 1., 1.]]])
    """
    x = check_tensor(input, "input")
    if not isinstance(pad, (tuple, list)) or len(pad) not in (2, 4):
        raise ValueError(f"pad: expected 2 or 4 ints (last one or two dimensions), got {pad!r}")
    pads = _as_tuple(pad, len(pad), "pad", int)
    if mode not in ("constant", "reflect", "replicate"):
        raise ValueError(f"mode: expected 'constant', 'reflect' or 'replicate', got {mode!r}")
    if value is not None and mode != "constant":
        raise ValueError(f"value: only mode 'constant' takes a value, got mode {mode!r}")
    nd = len(pads) // 2
    if x.ndim < nd:
        raise ValueError(f"input: a pad of {len(pads)} values needs at least {nd} dimensions, got shape {x.shape}")
    if mode != "constant" and x.ndim < nd + 1:
        raise ValueError(f"input: {mode} padding of {nd} dimension(s) needs at least {nd + 1}, got shape {x.shape}")
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float, np.number))):
        raise TypeError(f"value: expected a number, got {value!r}")
    if x.data.size == 0:
        raise ValueError(f"input: expected a non-empty tensor, got shape {x.shape}")
    pads4 = pads + (0, 0) if nd == 1 else pads
    return PadFn.apply(x, pads4, mode, 0.0 if value is None else float(value), nd)


class ChannelDropoutFn(Function):
    # nnengine.compile: a replay draws a fresh seed for argument 3, as each eager call does
    _replay_fresh = {3: seed_int}

    @staticmethod
    def forward(ctx, x, planes, p, seed):
        ctx.args = (planes, p, seed)
        return _core.dropout2d_forward(f32c(x), planes, p, seed)

    @staticmethod
    def backward(ctx, g):
        planes, p, seed = ctx.args
        return _core.dropout2d_backward(f32c(g), planes, p, seed), None, None, None


def _channel_dropout(input: Tensor, p: float, training: bool, ndims: Tuple[int, ...], name: str,
                     batch_ndim: int) -> Tensor:
    x = check_tensor(input, "input", ndim=ndims)
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"p: expected a probability in [0, 1], got {p!r}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    planes = x.shape[0] * x.shape[1] if x.ndim >= batch_ndim else x.shape[0]
    return ChannelDropoutFn.apply(x, int(planes), float(p), seed_int())


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Channel dropout of (N, C, L) or (C, L): each channel is zeroed with probability ``p`` (the rest scaled by
    1/(1-p)), PyTorch's ``F.dropout1d``.

    Example:
        >>> dropout1d(ne.ones(2, 3, 10), 0.2).shape
        (2, 3, 10)
    """
    return _channel_dropout(input, p, training, (2, 3), "dropout1d", 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Channel dropout of (N, C, H, W) (a 3-D input is read as (N, C, L), as torch does), PyTorch's
    ``F.dropout2d``.

    Example:
        >>> dropout2d(ne.ones(2, 3, 5, 5), 0.2).shape
        (2, 3, 5, 5)
    """
    return _channel_dropout(input, p, training, (3, 4), "dropout2d", 3)
