"""Padding on the engine's pad kernels: ``F.pad`` (constant, reflect, replicate over the last one or two
dimensions on the kernels, a third by slices and cat; constant and circular over more; negative pads crop)."""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

import numpy as np

from .. import _core
from .._higher_order import scratch_ctx
from ..autograd import Function
from ..ops import LinearGradFn
from ..tensor import Tensor, cat
from ._util import as_tuple, check_tensor, f32c


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

    @staticmethod
    def graph_backward(ctx, inputs, g):
        shape, hw, pads, mode, nd = ctx.args
        fake = scratch_ctx()
        # linear in g; its adjoint is the padding itself with a zero fill (the constant is no part of the map)
        return (LinearGradFn.apply(g, lambda a: PadFn.backward(ctx, a)[0],
                                   lambda a: PadFn.forward(fake, a, pads, mode, 0.0, nd),
                                   lambda t: PadFn.apply(t, pads, mode, 0.0, nd)), None, None, None, None)


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: Optional[float] = None) -> Tensor:
    """Pad the last dimension (``pad`` = (left, right)) or the last two (``pad`` = (left, right, top, bottom)),
    PyTorch's ``F.pad``: mode 'constant' (``value``, default 0), 'reflect', 'replicate' or 'circular'; negative pads
    crop. A third pair pads the dimension before (``(1, 1, 1, 1, 1, 1)``: a volume's depth, height and width) in
    every mode; 'constant' and 'circular' take further pairs too.

    Example:
        >>> pad(ne.randn(1, 2, 28, 28), (1, 1, 2, 2), mode="reflect").shape
        (1, 2, 32, 30)
        >>> pad(ne.ones(1, 1, 2), (1, 0), value=5.0)
        tensor([[[5., 1., 1.]]])
        >>> pad(ne.tensor([1, 2]), (0, 3), "constant", 0)  # token ids: integer tensors pad in constant mode
        tensor([1, 2, 0, 0, 0])
        >>> pad(ne.ones(1, 1, 2, 3, 3), (1, 1, 1, 1, 1, 1)).shape
        (1, 1, 4, 5, 5)
    """
    if isinstance(input, Tensor) and input._data.dtype.kind in "iub":
        return _pad_integers(input, pad, mode, value)
    x = check_tensor(input, "input")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise ValueError(f"mode: expected 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}")
    if not isinstance(pad, (tuple, list)) or len(pad) % 2 or not pad:
        raise ValueError(f"pad: expected pairs of ints (from the last dimension back), got {pad!r}")
    if len(pad) > 6 and mode in ("reflect", "replicate"):
        raise ValueError(f"pad: {mode} padding takes 2, 4 or 6 ints (the last one to three dimensions), got {pad!r}")
    pads = as_tuple(pad, len(pad), "pad", int)
    if value is not None and mode != "constant":
        raise ValueError(f"value: only mode 'constant' takes a value, got mode {mode!r}")
    nd = len(pads) // 2
    if x.ndim < nd:
        raise ValueError(f"input: a pad of {len(pads)} values needs at least {nd} dimensions, got shape {x.shape}")
    if mode != "constant" and x.ndim < nd + 1:
        raise ValueError(f"input: {mode} padding of {nd} dimension(s) needs at least {nd + 1}, got shape {x.shape}")
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float, np.number))):
        raise TypeError(f"value: expected a number, got {value!r}")
    if x._data.size == 0:
        raise ValueError(f"input: expected a non-empty tensor, got shape {x.shape}")
    if mode == "circular":
        return _circular(x, pads)
    fill = 0.0 if value is None else float(value)
    if nd > 2:  # the dimensions before the last two: slices and cat (differentiable), after the kernel's two
        if any(abs(q) > 2**31 - 1 for q in pads):
            raise ValueError(f"pad: expected values in [-(2^31 - 1), 2^31 - 1], got {pads}")
        if mode != "constant":
            _check_outer(x, pads[4:], mode)
        inner = x if not any(pads[:4]) else PadFn.apply(x, pads[:4], mode, fill, 2)
        out = _outer(inner, pads[4:], mode, fill)
        # a new tensor, as torch's: slices alone (no pad above zero anywhere) are views of the input
        return out.clone() if inner is x and all(q <= 0 for q in pads[4:]) else out
    pads4 = pads + (0, 0) if nd == 1 else pads
    return PadFn.apply(x, pads4, mode, fill, nd)


def _check_outer(x: Tensor, pads: Tuple[int, ...], mode: str) -> None:
    """torch's limits for reflect / replicate padding of a third dimension (checked before the kernel runs)."""
    d, size = x.ndim - 3, x.shape[x.ndim - 3]
    if x.ndim < 4:
        raise ValueError(f"input: {mode} padding of 3 dimensions needs at least 4, got shape {x.shape}")
    lo, hi = pads
    if mode == "reflect" and (lo >= size or hi >= size):
        raise ValueError(f"pad: reflect padding must be smaller than the dimension: {lo, hi} for dimension {d} "
                         f"of size {size}")
    if size + lo + hi < 1:
        raise ValueError(f"pad: {lo, hi} crops dimension {d} of size {size} to nothing")


def _outer(x: Tensor, pads: Tuple[int, ...], mode: str, value: float) -> Tensor:
    """Constant, reflect or replicate padding of dimensions ndim-3, ndim-4, ... (pairs in that order, torch's
    layout of ``F.pad``'s argument after the last two dimensions' pairs); negative pads crop."""
    for i in range(len(pads) // 2):
        d = x.ndim - 3 - i
        lo, hi, size = pads[2 * i], pads[2 * i + 1], x.shape[d]
        if size + lo + hi < 0:
            raise ValueError(f"pad: {lo, hi} crops dimension {d} of size {size} below zero")
        full = x
        x = _slice(x, d, max(-lo, 0), size - max(-hi, 0))
        n = x.shape[d]
        parts = []
        for side, k in ((0, max(lo, 0)), (1, max(hi, 0))):
            if not k:
                parts.append(None)
            elif mode == "reflect":  # mirrored about the edge of the uncropped input, the edge itself not repeated
                parts.append(_slice(full, d, 1, k + 1).flip(d) if side == 0 else
                             _slice(full, d, size - 1 - k, size - 1).flip(d))
            elif mode == "replicate":
                edge = _slice(x, d, 0, 1) if side == 0 else _slice(x, d, n - 1, n)
                shape = list(x.shape)
                shape[d] = k
                parts.append(edge.expand(*shape))
            else:
                shape = list(x.shape)
                shape[d] = k
                parts.append(Tensor._wrap(np.full(shape, value, x._data.dtype)))
        pieces = [t for t in (parts[0], x, parts[1]) if t is not None]
        x = cat(pieces, d) if len(pieces) > 1 else x
    return x


def _pad_integers(x: Tensor, pad: Sequence[int], mode: str, value: Any) -> Tensor:
    """Constant padding of an integer or bool tensor (no gradient), torch's: pairs from the last dimension back,
    negative pads crop; the value is cast to the tensor's dtype."""
    if mode != "constant":
        raise TypeError(f"input: {mode} padding needs a floating-point tensor, got dtype {x.data.dtype} "
                        "(integer tensors pad in mode 'constant', as in torch)")
    if not isinstance(pad, (tuple, list)) or len(pad) % 2 or not pad or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: expected pairs of ints for at most {x.ndim} dimension(s), got {pad!r}")
    pads = as_tuple(pad, len(pad), "pad", int)
    if any(abs(q) > 2**31 - 1 for q in pads):
        raise ValueError(f"pad: expected values in [-(2^31 - 1), 2^31 - 1], got {pads}")
    if value is not None and not isinstance(value, (int, float, np.number, bool, np.bool_)):
        raise TypeError(f"value: expected a number, got {value!r}")
    a = x._data
    widths = [(0, 0)] * a.ndim
    crop = [slice(None)] * a.ndim
    for i in range(len(pads) // 2):
        d = a.ndim - 1 - i
        lo, hi = pads[2 * i], pads[2 * i + 1]
        if a.shape[d] + lo + hi < 0:
            raise ValueError(f"pad: {lo, hi} crops dimension {d} of size {a.shape[d]} below zero")
        widths[d] = (max(lo, 0), max(hi, 0))
        crop[d] = slice(max(-lo, 0), a.shape[d] - max(-hi, 0))
    fill = _fill_value(0 if value is None else value, a.dtype)
    return Tensor._wrap(np.pad(a[tuple(crop)], widths, constant_values=fill))


def _fill_value(value: Any, dtype: np.dtype) -> Any:
    """``value`` in ``dtype`` as torch converts it: bool of it for bool tensors, floats truncated toward zero for
    integer tensors; out of the dtype's range is a ValueError (torch: a RuntimeError), never a wrap-around."""
    if dtype.kind == "b":
        return bool(value)
    v = float(value) if isinstance(value, (float, np.floating)) else int(value)
    if isinstance(v, float):
        if not np.isfinite(v):
            raise ValueError(f"value: {value!r} cannot be converted to {dtype} without overflow")
        v = int(v)
    info = np.iinfo(dtype)
    if not info.min <= v <= info.max:
        raise ValueError(f"value: {value!r} cannot be converted to {dtype} without overflow")
    return v


def _slice(x: Tensor, d: int, start: int, stop: int) -> Tensor:
    idx = [slice(None)] * x.ndim
    idx[d] = slice(start, stop)
    return x[tuple(idx)]


def _circular(x: Tensor, pads: Tuple[int, ...]) -> Tensor:
    """Wrap-around padding (torch's 'circular'): each padded dimension takes slices of its other end; a negative
    pad crops. Composed of slicing and ``cat`` (differentiable)."""
    for i in range(len(pads) // 2):
        d = x.ndim - 1 - i
        lo, hi, size = pads[2 * i], pads[2 * i + 1], x.shape[d]
        if lo > size or hi > size or size - max(-lo, 0) - max(-hi, 0) < max(lo, hi, 1):
            raise ValueError(f"pad: circular padding of {lo, hi} is larger than dimension {d} of size {size}")
        core = _slice(x, d, max(-lo, 0), size - max(-hi, 0))  # crop first, then wrap what is left (torch's order)
        n = core.shape[d]
        pieces = ([_slice(core, d, n - lo, n)] if lo > 0 else []) + [core] + (
            [_slice(core, d, 0, hi)] if hi > 0 else [])
        x = cat(pieces, d) if len(pieces) > 1 else core
    return x
