"""Resampling: ``F.interpolate`` and ``F.upsample``. 'nearest' (3-D/4-D), 'linear' and 'bilinear' run the engine's
interpolate kernels, 'area' (3-D/4-D) its adaptive average pooling; 'nearest-exact', 'bicubic', 'trilinear' and the
5-D forms of 'nearest' / 'nearest-exact' / 'area' are separable 1-D operators (a few taps per output index, torch's
index and weight formulas, float32 like torch's CPU kernels) applied axis by axis in numpy (``SeparableFn``)."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from .. import _core
from .._higher_order import scratch_ctx
from ..autograd import Function
from ..ops import LinearGradFn
from ..tensor import Tensor
from ._adaptive_pool2d import adaptive_avg_pool1d, adaptive_avg_pool2d
from ._util import adaptive_bins, as_tuple, check_tensor, f32c

_F32 = np.float32


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
        ctx.out = out
        return y.reshape(x.shape[:-nd] + tuple(out))

    @staticmethod
    def backward(ctx, g):
        shape, hw, out2, mode, align_corners, scales = ctx.args
        g4 = f32c(g.reshape((-1, 1) + out2))
        return _core.interpolate_backward(g4, hw, mode, align_corners, scales).reshape(shape), None, None, None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        shape, hw, out2, mode, align_corners, scales = ctx.args
        fake = scratch_ctx()
        args = (ctx.out, mode, align_corners, scales)
        return (LinearGradFn.apply(g, lambda a: InterpolateFn.backward(ctx, a)[0],
                                   lambda a: InterpolateFn.forward(fake, a, *args),
                                   lambda t: InterpolateFn.apply(t, *args)), None, None, None, None)


# ------------------------------------------------------------------ separable 1-D operators (numpy)
# One axis's operator: y[i] = sum_t w[i, t] * x[idx[i, t]], idx (out, T) int64, w (out, T) float32; every column of
# idx is non-decreasing in i (all of torch's source-index rules are monotone), which makes the adjoint (the
# backward's scatter-add) a segment sum (np.add.reduceat) per tap instead of np.add.at.
_Op = Tuple[np.ndarray, np.ndarray, int, bool, Any]  # (idx, w, n_in, weights all one, _adjoint_plan(idx))


def _source_scale(n_in: int, n_out: int, align_corners: bool, scale: Optional[float]) -> np.float32:
    """torch's ``area_pixel_compute_scale<float>``: (in - 1) / (out - 1) with align_corners (0 for one output),
    else 1 / scale_factor when one is given (computed in double, then float), else in / out in float."""
    if align_corners:
        return _F32(n_in - 1) / _F32(n_out - 1) if n_out > 1 else _F32(0.0)
    if scale is not None and scale > 0:
        return _F32(1.0 / scale)
    return _F32(n_in) / _F32(n_out)


def _source_index(scale: np.float32, n_out: int, align_corners: bool, cubic: bool) -> np.ndarray:
    """torch's ``area_pixel_compute_source_index`` in float32 for every output index (negative half-pixel
    positions clamped to 0 except for cubic)."""
    dst = np.arange(n_out, dtype=_F32)
    if align_corners:
        return scale * dst
    src = scale * (dst + _F32(0.5)) - _F32(0.5)
    return src if cubic else np.maximum(src, _F32(0.0))


def _guard(real: np.ndarray, n_in: int) -> Tuple[np.ndarray, np.ndarray]:
    """torch's ``guard_index_and_lambda``: index = min(floor(real), in - 1), lambda = clamp(real - index, 0, 1)."""
    i = np.minimum(np.floor(real).astype(np.int64), n_in - 1)
    lam = np.clip(real - i.astype(_F32), _F32(0.0), _F32(1.0)).astype(_F32)
    return i, lam


def _cubic_weights(t: np.ndarray) -> np.ndarray:
    """torch's ``get_cubic_upsample_coefficients`` (Keys' cubic convolution, A = -0.75) in float32: (out, 4)."""
    A = _F32(-0.75)
    one = _F32(1.0)

    def conv1(x):  # |x| <= 1
        return ((A + _F32(2.0)) * x - (A + _F32(3.0))) * x * x + one

    def conv2(x):  # 1 < |x| < 2
        return ((A * x - _F32(5.0) * A) * x + _F32(8.0) * A) * x - _F32(4.0) * A

    x2 = one - t
    return np.stack([conv2(t + one), conv1(t), conv1(x2), conv2(x2 + one)], axis=1).astype(_F32)


def _aa_filter(mode: str, x: np.ndarray) -> np.ndarray:
    """torch's antialiasing filters (UpSample.h aa_filter): the triangle for bilinear, Keys' cubic with A = -0.5
    (PIL's) for bicubic."""
    x = np.abs(x)
    if mode == "linear_aa":
        return np.where(x < 1.0, 1.0 - x, 0.0)
    a = -0.5
    near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    far = ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


def _aa_weights(mode: str, n_in: int, n_out: int, align_corners: bool, scale: Optional[float]
                ) -> Tuple[np.ndarray, np.ndarray]:
    """torch's ``_compute_weights_aa`` for every output index: a window of input taps around the centre
    scale * (i + 0.5), the filter stretched by the scale when shrinking (the antialiasing), weights normalised
    to sum 1. Returns (idx, w) padded to the widest window with zero weights (indices clamped, non-decreasing)."""
    sc = float(_source_scale(n_in, n_out, align_corners, scale))
    support = (2.0 if mode == "linear_aa" else 4.0) * 0.5 * (sc if sc >= 1.0 else 1.0)
    inv = 1.0 / sc if sc >= 1.0 else 1.0
    center = sc * (np.arange(n_out, dtype=np.float64) + 0.5)
    xmin = np.maximum(np.trunc(center - support + 0.5).astype(np.int64), 0)
    xsize = np.minimum(np.trunc(center + support + 0.5).astype(np.int64), n_in) - xmin
    taps = max(int(xsize.max()), 1)
    j = np.arange(taps)
    w = _aa_filter(mode, (j[None, :] + xmin[:, None] - center[:, None] + 0.5) * inv)
    w = np.where(j[None, :] < xsize[:, None], w, 0.0)
    total = w.sum(axis=1, keepdims=True)
    w = np.where(total != 0.0, w / np.where(total != 0.0, total, 1.0), 0.0)
    idx = np.minimum(xmin[:, None] + j[None, :], n_in - 1)
    return idx, w.astype(_F32)


@lru_cache(maxsize=256)
def _axis_op(mode: str, n_in: int, n_out: int, align_corners: bool, scale: Optional[float]) -> _Op:
    """The 1-D operator of one axis for ``mode`` ('nearest', 'nearest-exact', 'linear', 'cubic', 'area'),
    torch's formulas (UpSample.h, UpSampleKernel.cpp, AdaptiveAveragePooling)."""
    if mode in ("nearest", "nearest-exact"):
        sc = _source_scale(n_in, n_out, False, scale)
        if mode == "nearest":  # floorf(dst * scale)
            src = np.floor(np.arange(n_out, dtype=_F32) * sc)
        else:  # floorf((dst + 0.5) * scale): the product in double, rounded to float by floorf's argument
            src = np.floor(((np.arange(n_out, dtype=np.float64) + 0.5) * np.float64(sc)).astype(_F32))
        idx = np.minimum(src.astype(np.int64), n_in - 1)[:, None]
        w = np.ones((n_out, 1), _F32)
    elif mode == "linear":
        if n_in == n_out:  # torch copies when the sizes agree (compute_source_index_and_lambda)
            idx, w = np.arange(n_out, dtype=np.int64)[:, None], np.ones((n_out, 1), _F32)
        else:
            real = _source_index(_source_scale(n_in, n_out, align_corners, scale), n_out, align_corners, False)
            i0, lam1 = _guard(real, n_in)
            i1 = i0 + (i0 < n_in - 1)
            idx = np.stack([i0, i1], axis=1)
            w = np.stack([_F32(1.0) - lam1, lam1], axis=1).astype(_F32)
    elif mode == "cubic":
        real = _source_index(_source_scale(n_in, n_out, align_corners, scale), n_out, align_corners, True)
        i, t = _guard(real, n_in)
        idx = np.clip(i[:, None] + np.arange(-1, 3), 0, n_in - 1)
        w = _cubic_weights(t)
    elif mode in ("linear_aa", "cubic_aa"):
        idx, w = _aa_weights(mode, n_in, n_out, align_corners, scale)
    elif mode == "area":  # adaptive average pooling: [floor(i * in / out), ceil((i + 1) * in / out))
        start, end = adaptive_bins(n_in, n_out)
        taps = int((end - start).max())
        j = start[:, None] + np.arange(taps)
        inside = j < end[:, None]
        idx = np.minimum(j, (end - 1)[:, None])
        w = np.where(inside, (_F32(1.0) / (end - start).astype(_F32))[:, None], _F32(0.0)).astype(_F32)
    else:  # pragma: no cover - internal
        raise ValueError(f"mode: unknown axis mode {mode!r}")
    idx = np.ascontiguousarray(idx, dtype=np.int64)
    w = np.ascontiguousarray(w, dtype=_F32)
    idx.flags.writeable = False
    w.flags.writeable = False
    return idx, w, n_in, bool(np.all(w == 1.0)), _adjoint_plan(idx)


def _wshape(ndim: int, ax: int) -> List[int]:
    shape = [1] * ndim
    shape[ax] = -1
    return shape


def _apply_op(x: np.ndarray, op: _Op, ax: int) -> np.ndarray:
    idx, w, _, unit, _ = op
    if unit and idx.shape[1] == 1:
        return np.take(x, idx[:, 0], axis=ax)
    shape = _wshape(x.ndim, ax)
    y = np.take(x, idx[:, 0], axis=ax)
    y *= w[:, 0].reshape(shape)
    for t in range(1, idx.shape[1]):
        y += np.take(x, idx[:, t], axis=ax) * w[:, t].reshape(shape)
    return y


def _apply_adjoint(g: np.ndarray, op: _Op, ax: int) -> np.ndarray:
    idx, w, n_in, unit, adj = op
    out_shape = list(g.shape)
    out_shape[ax] = n_in
    dx = np.zeros(out_shape, g.dtype)
    shape = _wshape(g.ndim, ax)
    sl: List[Any] = [slice(None)] * g.ndim
    for t, (starts, target) in enumerate(adj):
        gt = g if unit else g * w[:, t].reshape(shape)
        sl[ax] = target
        dx[tuple(sl)] += gt if starts is None else np.add.reduceat(gt, starts, axis=ax)
    return dx


def _adjoint_plan(idx: np.ndarray) -> Tuple[Tuple[Optional[np.ndarray], Any], ...]:
    """Per tap: the run starts for np.add.reduceat (None when every index is distinct) and the distinct target
    indices, as a slice when they are evenly spaced (a view, not a fancy-index copy)."""
    plan = []
    for t in range(idx.shape[1]):
        col = idx[:, t]
        assert np.all(col[1:] >= col[:-1]), "source indices must be non-decreasing"
        starts = np.flatnonzero(np.concatenate(([True], col[1:] != col[:-1])))
        tgt = col[starts]
        step = int(tgt[1] - tgt[0]) if len(tgt) > 1 else 1
        if len(tgt) == 1 or np.all(np.diff(tgt) == step):
            target: Any = slice(int(tgt[0]), int(tgt[-1]) + 1, step)
        else:
            target = tgt
        plan.append((None if len(starts) == len(col) else starts, target))
    return tuple(plan)


class SeparableFn(Function):
    """Resampling as one 1-D operator per trailing axis (``ops[j]`` acts on axis ``ndim - len(ops) + j``),
    applied in turn; the backward applies the adjoints in reverse order. One tape node."""

    @staticmethod
    def forward(ctx, x, ops):
        nd = len(ops)
        y = x
        for j, op in enumerate(ops):
            y = _apply_op(y, op, y.ndim - nd + j)
        ctx.args = (ops,)
        return np.ascontiguousarray(y)

    @staticmethod
    def backward(ctx, g):
        (ops,) = ctx.args
        nd = len(ops)
        for j in reversed(range(nd)):
            g = _apply_adjoint(g, ops[j], g.ndim - nd + j)
        return g, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        (ops,) = ctx.args
        fake = scratch_ctx()
        return LinearGradFn.apply(g, lambda a: SeparableFn.backward(ctx, a)[0],
                                  lambda a: SeparableFn.forward(fake, a, ops), lambda t: SeparableFn.apply(t, ops)), None


# mode -> (axis operator, input ranks torch accepts)
_MODES = {
    "nearest": ("nearest", (3, 4, 5)),
    "nearest-exact": ("nearest-exact", (3, 4, 5)),
    "area": ("area", (3, 4, 5)),
    "linear": ("linear", (3,)),
    "bilinear": ("linear", (4,)),
    "bicubic": ("cubic", (4,)),
    "trilinear": ("linear", (5,)),
}
_INTERPOLATING = ("linear", "bilinear", "bicubic", "trilinear")


def interpolate(
    input: Tensor,
    size: Optional[Union[int, Sequence[int]]] = None,
    scale_factor: Optional[Union[float, Sequence[float]]] = None,
    mode: str = "nearest",
    align_corners: Optional[bool] = None,
    recompute_scale_factor: Optional[bool] = None,
    antialias: bool = False,
) -> Tensor:
    """Resample (N, C, L), (N, C, H, W) or (N, C, D, H, W), PyTorch's ``F.interpolate``: exactly one of ``size``
    and ``scale_factor``; mode 'nearest', 'nearest-exact' (torch's pixel-centre rule) or 'area' (adaptive average
    pooling to the output size) on 3-D to 5-D input, 'linear' (3-D), 'bilinear' (4-D), 'bicubic' (4-D, Keys'
    cubic with A = -0.75, border taps clamped) or 'trilinear' (5-D); ``align_corners`` for the interpolating
    modes. A ``scale_factor`` sets the source positions too unless ``recompute_scale_factor=True``, as torch.
    ``antialias=True`` (bilinear and bicubic on 4-D input) filters as torch's: when shrinking, each output averages
    the input under a filter stretched by the scale (PIL's resampling; bicubic with A = -0.5).

    Example:
        >>> interpolate(ne.randn(1, 2, 16, 16), scale_factor=2, mode="bilinear").shape
        (1, 2, 32, 32)
        >>> interpolate(ne.tensor([[[1.0, 2.0]]]), size=4)
        tensor([[[1., 1., 2., 2.]]])
        >>> interpolate(ne.tensor([[[1.0, 2.0, 3.0, 4.0]]]), size=2, mode="area")
        tensor([[[1.5, 3.5]]])
        >>> interpolate(ne.tensor([[[1.0, 2.0, 3.0]]]), size=2, mode="nearest-exact")
        tensor([[[1., 3.]]])
        >>> interpolate(ne.randn(1, 2, 5, 7), size=(9, 4), mode="bicubic", align_corners=True).shape
        (1, 2, 9, 4)
        >>> interpolate(ne.randn(1, 2, 3, 4, 5), scale_factor=2, mode="trilinear").shape
        (1, 2, 6, 8, 10)
        >>> interpolate(ne.ones(1, 1, 8, 8), size=(3, 3), mode="bilinear", antialias=True)[0, 0, 0]
        tensor([1., 1., 1.])
    """
    if not isinstance(mode, str) or mode not in _MODES:
        raise ValueError(f"mode: expected one of {sorted(_MODES)}, got {mode!r}")
    x = check_tensor(input, "input", ndim=(3, 4, 5))
    n = x.ndim - 2
    axis_mode, ranks = _MODES[mode]
    if x.ndim not in ranks:
        want = " or ".join(f"{r}-D" for r in ranks)
        raise ValueError(f"input: mode {mode!r} needs {want} input, got shape {x.shape}")
    if align_corners is not None and mode not in _INTERPOLATING:
        raise ValueError("align_corners: can only be set with the interpolating modes (linear, bilinear, bicubic, "
                         f"trilinear), got mode {mode!r}")
    if antialias:
        if mode not in ("bilinear", "bicubic") or x.ndim != 4:
            raise ValueError(f"antialias: only for the bilinear and bicubic modes on 4-D input (torch), got mode "
                             f"{mode!r} with shape {x.shape}")
        axis_mode += "_aa"
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
    ac = bool(align_corners)
    if mode == "area" and n <= 2:
        return adaptive_avg_pool1d(x, out[0]) if n == 1 else adaptive_avg_pool2d(x, out)
    if mode in ("nearest", "linear", "bilinear") and n <= 2 and not antialias:
        scales2 = (0.0,) * (2 - n) + tuple(scales)
        kmode = "nearest" if mode == "nearest" else "bilinear"
        return InterpolateFn.apply(x, out, kmode, ac, scales2)
    ops = tuple(_axis_op(axis_mode, int(i), int(o), ac, float(s) if s > 0 and mode != "area" else None)
                for i, o, s in zip(in_sizes, out, scales))
    return SeparableFn.apply(x, ops)


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
