"""torch's selection, indexing and rearranging ops that nnengine's core Tensor lacked: ``nonzero``,
``masked_select``, ``index_add``/``index_fill``/``index_copy``, ``roll``, ``repeat_interleave``, ``meshgrid``,
``take``/``take_along_dim``, ``diagonal``/``diag_embed``, ``movedim``, the ``*stack``/``*split`` family...

Each op is one function whose first argument is the tensor: ``ne.roll(x, 1)`` and ``x.roll(1)`` are the same
code (``_tensor_api`` attaches the names in ``TENSOR_METHODS`` to ``Tensor``). Differentiable ops are either
compositions of differentiable Tensor ops or a ``Function`` here; the rest (index sets, counts) give plain
tensors, as in torch.

Example:
    >>> x = ne.tensor([[1.0, 0.0], [0.0, 3.0]])
    >>> ne.nonzero(x).tolist(), x.roll(1, 0).tolist()
    ([[0, 0], [1, 1]], [[0.0, 3.0], [1.0, 0.0]])
"""

from __future__ import annotations

import builtins
import itertools
import math
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from ._coerce import as_array, ensure_tensor
from ._higher_order import const
from .autograd import Function
from .ops import IndexFn, IndexGradFn, IndexPutFn, diag_offset
from .tensor import (
    Tensor,
    _dim,
    _IndexError,
    _InputError,
    _register_view_fn,
    _shape_args,
    cat,
    result_type,
    stack,
    tensor,
)

_I64 = np.dtype(np.int64)


def _t(x: Any) -> Tensor:
    return ensure_tensor(x)


def _index_array(index: Any, name: str = "index") -> np.ndarray:
    idx = np.asarray(as_array(index))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected an integer tensor, got dtype {idx.dtype}")
    return idx.astype(np.int64, copy=False)


def _ints(v: Any, name: str) -> Tuple[int, ...]:
    if isinstance(v, Tensor):
        v = v.tolist()
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return (int(v),)
    if isinstance(v, (tuple, list)) and all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in v):
        return tuple(int(i) for i in v)
    raise TypeError(f"{name}: expected an int or a sequence of ints, got {v!r}")


# ------------------------------------------------------------------ selection
def nonzero(input: Any, *, as_tuple: bool = False) -> Any:  # noqa: A002
    """Indices of the nonzero entries: an ``(n, ndim)`` int64 tensor, or one 1-D tensor per dim with
    ``as_tuple=True``.

    Example:
        >>> ne.tensor([[0, 1], [2, 0]]).nonzero()
        tensor([[0, 1],
                [1, 0]])
    """
    a = as_array(input)
    if as_tuple:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in np.nonzero(np.atleast_1d(a)))
    return Tensor._wrap(np.argwhere(a).astype(np.int64))


def argwhere(input: Any) -> Tensor:  # noqa: A002
    """``nonzero(input)``: the ``(n, ndim)`` indices of the nonzero entries.

    Example:
        >>> ne.argwhere(ne.tensor([0.0, 2.0, 3.0]))
        tensor([[1],
                [2]])
    """
    return nonzero(input)


def _tensor_where(self: Tensor, condition: Any, other: Any) -> Tensor:
    """``self`` where ``condition`` else ``other`` (``torch.Tensor.where``; differentiable in both).

    Example:
        >>> x = ne.tensor([1.0, -2.0, 3.0])
        >>> x.where(x > 0, 0.0)
        tensor([1., 0., 3.])
    """
    from .tensor import where as _where

    return _where(condition, self, other)


def masked_select(input: Any, mask: Any) -> Tensor:  # noqa: A002
    """The entries where ``mask`` (broadcast with ``input``) is True, as a 1-D tensor (differentiable).

    Example:
        >>> x = ne.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> x.masked_select(x > 2)
        tensor([3., 4.])
    """
    x = _t(input)
    m = np.asarray(as_array(mask))
    if m.dtype.kind != "b":
        raise TypeError(f"mask: expected a bool tensor, got dtype {m.dtype}")
    shape = np.broadcast_shapes(x.shape, m.shape)
    if x.shape != shape:
        x = x.expand(shape)
    return x[np.broadcast_to(m, shape)]


def take(input: Any, index: Any) -> Tensor:  # noqa: A002
    """Entries of the flattened ``input`` at ``index`` (output shaped like ``index``; differentiable).

    Example:
        >>> ne.tensor([[4.0, 3.0], [5.0, 7.0]]).take(ne.tensor([0, 3]))
        tensor([4., 7.])
    """
    x = _t(input)
    idx = _index_array(index)
    n = x.numel()
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise _IndexError(f"index: out of range for a tensor of {n} elements")
    return x.reshape(-1)[idx]


def take_along_dim(input: Any, indices: Any, dim: Optional[int] = None) -> Tensor:  # noqa: A002
    """``gather`` with broadcasting: the values at ``indices`` along ``dim`` (the flattened tensor when
    ``dim`` is None), differentiable.

    Example:
        >>> x = ne.tensor([[10.0, 30.0, 20.0], [60.0, 40.0, 50.0]])
        >>> x.take_along_dim(x.argmax(1, keepdim=True), 1)
        tensor([[30.],
                [60.]])
    """
    x = _t(input)
    idx = _index_array(indices, "indices")
    if dim is None:
        return x.reshape(-1).gather(0, idx.reshape(-1))
    d = _dim(dim, x.ndim)
    if x.ndim == 0:  # torch: IndexError (no dim to take along)
        raise _IndexError(f"take_along_dim(): dim: specified as {dim} but input has no dimensions")
    if idx.ndim != x.ndim:
        raise _InputError(f"take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {x.ndim} dimensions for input, and {idx.ndim} dimensions for indices")
    xs, ish = list(x.shape), list(idx.shape)
    xs[d] = ish[d] = 1
    b = np.broadcast_shapes(tuple(xs), tuple(ish))
    xshape = tuple(x.shape[d] if k == d else b[k] for k in range(x.ndim))
    ishape = tuple(idx.shape[d] if k == d else b[k] for k in range(x.ndim))
    xb = x if x.shape == xshape else x.expand(xshape)
    return xb.gather(d, np.broadcast_to(idx, ishape))


def select(input: Any, dim: int, index: int) -> Tensor:  # noqa: A002
    """The slice at ``index`` along ``dim`` (that dim removed; a view, differentiable).

    Example:
        >>> ne.tensor([[1, 2], [3, 4]]).select(1, 0)
        tensor([1, 3])
    """
    x = _t(input)
    d = _dim(dim, x.ndim)
    n = x.shape[d]
    if not -n <= int(index) < n:
        raise _IndexError(f"select(): index {index} out of range for tensor of size {x.shape} at dimension {d}")
    return x[(slice(None),) * d + (int(index),)]


class _IndexAddFn(Function):
    """``out = a; out[..., index[i], ...] += alpha * src[..., i, ...]`` along ``axis`` (duplicates add)."""

    @staticmethod
    def forward(ctx, a, src, axis, index, alpha):
        ctx.axis, ctx.index, ctx.alpha = axis, index, alpha
        out = np.array(a, copy=True)
        s = src if alpha == 1 else src * alpha
        np.add.at(out, (slice(None),) * axis + (index,), np.asarray(s, out.dtype))
        return out

    @staticmethod
    def backward(ctx, g):
        gs = np.take(g, ctx.index, axis=ctx.axis)
        return g, (gs if ctx.alpha == 1 else gs * ctx.alpha), None, None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        gs = IndexFn.apply(g, (slice(None),) * ctx.axis + (ctx.index,))
        return g, (gs if ctx.alpha == 1 else gs * ctx.alpha), None, None, None


def _check_index_src(x: Tensor, d: int, idx: np.ndarray, src_shape: Optional[tuple], op: str) -> None:
    if idx.ndim > 1:
        raise _IndexError(f"{op}(): index: expected a 1-D tensor, got {idx.ndim} dims")
    n = x.shape[d] if x.ndim else 1
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise _IndexError(f"{op}(): index out of range for dimension {d} of size {n}")
    if src_shape is not None:
        want = x.shape[:d] + (idx.size,) + x.shape[d + 1:]
        if tuple(src_shape) != tuple(want) and not (x.ndim == 0 and len(src_shape) == 0):
            raise ValueError(f"{op}(): source: expected shape {want}, got {tuple(src_shape)}")


def index_add(input: Any, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``input`` with ``alpha * source`` added at ``index`` along ``dim`` (repeated indices accumulate;
    differentiable in ``input`` and ``source``).

    Example:
        >>> ne.zeros(3).index_add(0, ne.tensor([0, 2, 0]), ne.tensor([1.0, 2.0, 3.0]))
        tensor([4., 0., 2.])
    """
    x = _t(input)
    d = _dim(dim, x.ndim)
    idx = _index_array(index).reshape(-1)
    s = source if isinstance(source, Tensor) else tensor(source)
    _check_index_src(x, d, idx, s.shape, "index_add")
    if x.ndim == 0:  # torch treats a 0-d input as one element along dim 0
        if s.numel() != idx.size:
            raise ValueError(f"index_add(): source: expected {idx.size} elements, got {s.numel()}")
        return index_add(x.reshape(1), 0, idx, s.reshape(idx.size), alpha=alpha).reshape(())
    if s.dtype != x.dtype:
        s = s._cast(x.dtype)
    return _IndexAddFn.apply(x, s, d, idx, alpha)


def index_add_(self: Tensor, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Tensor:
    """In-place :func:`index_add` (torch's autograd rules for in-place ops).

    Example:
        >>> t = ne.zeros(2, 2)
        >>> _ = t.index_add_(1, ne.tensor([1]), ne.ones(2, 1)); t
        tensor([[0., 1.],
                [0., 1.]])
    """
    return self._inplace_apply(lambda s: index_add(s, dim, index, source, alpha=alpha), (source,))


class _IndexCopyFn(Function):
    """``out = a; out[..., index[i], ...] = src[..., i, ...]`` along ``axis``."""

    @staticmethod
    def forward(ctx, a, src, axis, index):
        ctx.key = (slice(None),) * axis + (index,)
        ctx.axis, ctx.index = axis, index
        out = np.array(a, copy=True)
        out[ctx.key] = src
        return out

    @staticmethod
    def backward(ctx, g):
        ga = np.array(g, copy=True)
        ga[ctx.key] = 0
        return ga, np.take(g, ctx.index, axis=ctx.axis), None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        keep = np.ones(g.shape, g._data.dtype)
        keep[ctx.key] = 0
        return g * const(keep), IndexFn.apply(g, ctx.key), None, None


def index_copy(input: Any, dim: int, index: Any, source: Any) -> Tensor:  # noqa: A002
    """``input`` with the slices at ``index`` along ``dim`` replaced by ``source`` (differentiable).

    Example:
        >>> ne.zeros(3).index_copy(0, ne.tensor([2, 0]), ne.tensor([5.0, 7.0]))
        tensor([7., 0., 5.])
    """
    x = _t(input)
    d = _dim(dim, x.ndim)
    idx = _index_array(index).reshape(-1)
    s = source if isinstance(source, Tensor) else tensor(source)
    _check_index_src(x, d, idx, s.shape, "index_copy")
    if x.ndim == 0:  # torch treats a 0-d input as one element along dim 0
        if s.numel() != idx.size:
            raise ValueError(f"index_copy(): source: expected {idx.size} elements, got {s.numel()}")
        return index_copy(x.reshape(1), 0, idx, s.reshape(idx.size)).reshape(())
    if s.dtype != x.dtype:
        s = s._cast(x.dtype)
    return _IndexCopyFn.apply(x, s, d, idx)


def index_copy_(self: Tensor, dim: int, index: Any, source: Any) -> Tensor:
    """In-place :func:`index_copy`.

    Example:
        >>> t = ne.zeros(3)
        >>> _ = t.index_copy_(0, ne.tensor([1]), ne.tensor([4.0])); t
        tensor([0., 4., 0.])
    """
    return self._inplace_apply(lambda s: index_copy(s, dim, index, source), (source,))


def index_fill(input: Any, dim: int, index: Any, value: Any) -> Tensor:  # noqa: A002
    """``input`` with the slices at ``index`` along ``dim`` set to the scalar ``value`` (differentiable in
    ``input``).

    Example:
        >>> ne.ones(2, 3).index_fill(1, ne.tensor([0, 2]), -1.0)
        tensor([[-1.,  1., -1.],
                [-1.,  1., -1.]])
    """
    x = _t(input)
    d = _dim(dim, x.ndim)
    idx = _index_array(index).reshape(-1)
    _check_index_src(x, d, idx, None, "index_fill")
    v = as_array(value)
    if v.ndim:
        raise ValueError(f"index_fill(): value: expected a scalar or a 0-d tensor, got shape {v.shape}")
    mask = np.zeros(x.shape, bool)
    if x.ndim == 0:  # torch treats a 0-d input as one element along dim 0
        mask[()] = idx.size > 0
    else:
        mask[(slice(None),) * d + (idx,)] = True
    return x.masked_fill(mask, v)


def index_fill_(self: Tensor, dim: int, index: Any, value: Any) -> Tensor:
    """In-place :func:`index_fill`.

    Example:
        >>> t = ne.zeros(3)
        >>> _ = t.index_fill_(0, ne.tensor([1]), 2.0); t
        tensor([0., 2., 0.])
    """
    return self._inplace_apply(lambda s: index_fill(s, dim, index, value))


def masked_scatter(input: Any, mask: Any, source: Any) -> Tensor:  # noqa: A002
    """``input`` with the entries where ``mask`` is True taken, in order, from ``source``'s first entries
    (differentiable in both).

    Example:
        >>> ne.zeros(4).masked_scatter(ne.tensor([True, False, True, False]), ne.tensor([1.0, 2.0, 3.0]))
        tensor([1., 0., 2., 0.])
    """
    x = _t(input)
    m = np.broadcast_to(np.asarray(as_array(mask)), x.shape)
    if m.dtype.kind != "b":
        raise TypeError(f"mask: expected a bool tensor, got dtype {m.dtype}")
    s = source if isinstance(source, Tensor) else tensor(source)
    k = int(m.sum())
    if s.numel() < k:
        raise _InputError(f"masked_scatter: source has {s.numel()} elements, the mask selects {k}")
    vals = s.reshape(-1)[:k]
    if vals.dtype != x.dtype:
        vals = vals._cast(x.dtype)
    from . import ops

    return ops.IndexPutFn.apply(x, vals, m.copy())


def masked_scatter_(self: Tensor, mask: Any, source: Any) -> Tensor:
    """In-place :func:`masked_scatter`.

    Example:
        >>> t = ne.zeros(3)
        >>> _ = t.masked_scatter_(ne.tensor([False, True, True]), ne.tensor([5.0, 6.0])); t
        tensor([0., 5., 6.])
    """
    return self._inplace_apply(lambda s: masked_scatter(s, mask, source), (source,))


def index_reduce(input: Any, dim: int, index: Any, source: Any, reduce: str, *,  # noqa: A002
                 include_self: bool = True) -> Tensor:
    """Combine the slices of ``source`` into ``input`` at ``index`` along ``dim`` with ``reduce`` ('prod',
    'mean', 'amax', 'amin'); ``include_self=False`` leaves out the original values where a slice lands.
    Differentiable like torch's (``scatter_reduce`` underneath).

    Example:
        >>> ne.ones(3).index_reduce(0, ne.tensor([0, 0, 2]), ne.tensor([2.0, 3.0, 4.0]), "prod")
        tensor([6., 1., 4.])
    """
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise _InputError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    x = _t(input)
    d = _dim(dim, x.ndim)
    idx = _index_array(index).reshape(-1)
    s = source if isinstance(source, Tensor) else tensor(source)
    _check_index_src(x, d, idx, s.shape, "index_reduce")
    shape = [1] * max(s.ndim, 1)
    shape[d] = idx.size
    full = np.broadcast_to(idx.reshape(shape), s.shape if s.ndim else (1,))
    return x.scatter_reduce(d, full, s if s.ndim else s.reshape(1), reduce, include_self=include_self)


def index_reduce_(self: Tensor, dim: int, index: Any, source: Any, reduce: str, *, include_self: bool = True) -> Tensor:
    """In-place :func:`index_reduce`.

    Example:
        >>> t = ne.zeros(2)
        >>> _ = t.index_reduce_(0, ne.tensor([1, 1]), ne.tensor([3.0, 5.0]), "amax"); t
        tensor([0., 5.])
    """
    return self._inplace_apply(lambda s: index_reduce(s, dim, index, source, reduce, include_self=include_self),
                               (source,))


def _scatter_into(x: Tensor, src: Any, key: tuple, op: str) -> Tensor:
    from . import ops

    s = src if isinstance(src, Tensor) else tensor(src)
    want = np.zeros(x.shape, bool)[key].shape
    if tuple(s.shape) != want:
        raise _InputError(f"{op}: src: expected shape {want}, got {tuple(s.shape)}")
    if s.dtype != x.dtype:
        s = s._cast(x.dtype)
    return ops.IndexPutFn.apply(x, s, key)


def select_scatter(input: Any, src: Any, dim: int, index: int) -> Tensor:  # noqa: A002
    """``input`` with the slice ``select(dim, index)`` replaced by ``src`` (differentiable in both).

    Example:
        >>> ne.zeros(2, 2).select_scatter(ne.ones(2), 0, 0)
        tensor([[1., 1.],
                [0., 0.]])
    """
    x = _t(input)
    d = _dim(dim, x.ndim)
    return _scatter_into(x, src, (slice(None),) * d + (int(index),), "select_scatter")


def slice_scatter(input: Any, src: Any, dim: int = 0, start: Optional[int] = None,  # noqa: A002
                  end: Optional[int] = None, step: int = 1) -> Tensor:
    """``input`` with the slice ``start:end:step`` of ``dim`` replaced by ``src`` (differentiable in both).

    Example:
        >>> ne.zeros(4).slice_scatter(ne.ones(2), start=2)
        tensor([0., 0., 1., 1.])
    """
    x = _t(input)
    d = _dim(dim, x.ndim)
    return _scatter_into(x, src, (slice(None),) * d + (slice(start, end, step),), "slice_scatter")


def diagonal_scatter(input: Any, src: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:  # noqa: A002
    """``input`` with its diagonal ``offset`` of the planes ``(dim1, dim2)`` replaced by ``src`` (its last dim
    the diagonal, as ``diagonal`` returns it; differentiable in both).

    Example:
        >>> ne.zeros(2, 2).diagonal_scatter(ne.tensor([1.0, 2.0]))
        tensor([[1., 0.],
                [0., 2.]])
    """
    x = _t(input)
    d1, d2 = _dim(dim1, x.ndim), _dim(dim2, x.ndim)
    offset = diag_offset(int(offset), x.shape[d1], x.shape[d2])
    n = np.diagonal(np.zeros(x.shape, bool), offset, d1, d2).shape[-1]
    s = src if isinstance(src, Tensor) else tensor(src)
    return _scatter_into(x, s.movedim(-1, _diag_pos(d1, d2)), _diag_key(x.ndim, n, offset, d1, d2),
                         "diagonal_scatter")


def put(input: Any, index: Any, source: Any, accumulate: bool = False) -> Tensor:  # noqa: A002
    """``input`` with the entries of its flattened view at ``index`` set to ``source`` (added with
    ``accumulate``); differentiable.

    Example:
        >>> ne.zeros(2, 2).put(ne.tensor([0, 3]), ne.tensor([1.0, 2.0]))
        tensor([[1., 0.],
                [0., 2.]])
    """
    x = _t(input)
    idx = _index_array(index).reshape(-1)
    n = x.numel()
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise _IndexError(f"put(): index out of range for a tensor of {n} elements")
    s = (source if isinstance(source, Tensor) else tensor(source)).reshape(-1)
    if s.numel() != idx.size:
        raise _InputError(f"put(): Expected source and index to have the same number of elements, but got "
                           f"source.numel() = {s.numel()}, index.numel() = {idx.size}")
    if accumulate:
        return index_add(x.reshape(-1), 0, idx % builtins.max(n, 1), s).reshape(x.shape)
    return index_copy(x.reshape(-1), 0, idx % builtins.max(n, 1), s).reshape(x.shape)


def put_(self: Tensor, index: Any, source: Any, accumulate: bool = False) -> Tensor:
    """In-place :func:`put`.

    Example:
        >>> t = ne.zeros(3)
        >>> _ = t.put_(ne.tensor([1]), ne.tensor([9.0])); t
        tensor([0., 9., 0.])
    """
    return self._inplace_apply(lambda s: put(s, index, source, accumulate), (source,))


def split_with_sizes(input: Any, split_sizes: Sequence[int], dim: int = 0) -> Tuple[Tensor, ...]:  # noqa: A002
    """Split into pieces of the given sizes along ``dim`` (they must add up to its size).

    Example:
        >>> [p.tolist() for p in ne.arange(5).split_with_sizes([2, 3])]
        [[0, 1], [2, 3, 4]]
    """
    x = _t(input)
    sizes = _ints(split_sizes, "split_sizes")
    d = _dim(dim, x.ndim)
    if builtins.sum(sizes) != x.shape[d]:
        raise _InputError(f"split_with_sizes expects split_sizes to sum exactly to {x.shape[d]} (input tensor's "
                           f"size at dimension {d}), but got split_sizes={list(sizes)}")
    return tuple(x.split(list(sizes), d))


# ------------------------------------------------------------------ rearranging
class _RollFn(Function):
    @staticmethod
    def forward(ctx, a, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        return np.roll(a, shifts, axes)

    @staticmethod
    def backward(ctx, g):
        neg = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return np.roll(g, neg, ctx.axes), None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        neg = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
        return _RollFn.apply(g, neg, ctx.axes), None, None


def roll(input: Any, shifts: Any, dims: Any = None) -> Tensor:  # noqa: A002
    """Entries shifted cyclically by ``shifts`` along ``dims`` (the flattened tensor when ``dims`` is None;
    differentiable).

    Example:
        >>> ne.tensor([1, 2, 3, 4]).roll(1)
        tensor([4, 1, 2, 3])
    """
    x = _t(input)
    sh = _ints(shifts, "shifts")
    if dims is None:
        if len(sh) != 1:
            raise _InputError(f"roll(): with dims=None, shifts must be one int, got {sh}")
        return _RollFn.apply(x.reshape(-1), sh[0], None).reshape(x.shape)
    ds = _ints(dims, "dims")
    if x.ndim == 0:  # torch: IndexError (no dim to roll along)
        raise _IndexError(f"roll(): dims: specified as {dims} but input has no dimensions")
    if len(ds) != len(sh):
        raise _InputError(f"roll(): shifts and dimensions must align. shifts: {len(sh)}, dims:{len(ds)}")
    return _RollFn.apply(x, sh, tuple(_dim(d, x.ndim) for d in ds))


def repeat_interleave(input: Any, repeats: Any = None, dim: Optional[int] = None, *,  # noqa: A002
                      output_size: Optional[int] = None) -> Tensor:
    """Each entry repeated ``repeats`` times (an int, or one count per entry) along ``dim`` (the flattened
    tensor when None); ``repeat_interleave(counts)`` alone repeats each index ``i`` ``counts[i]`` times.
    Differentiable.

    Example:
        >>> ne.tensor([1, 2]).repeat_interleave(2), ne.repeat_interleave(ne.tensor([2, 1]))
        (tensor([1, 1, 2, 2]), tensor([0, 0, 1]))
    """
    if repeats is None:  # torch.repeat_interleave(repeats)
        r = _index_array(input, "repeats")
        if r.ndim != 1 or (r.size and r.min() < 0):
            raise ValueError("repeats: expected a 1-D tensor of non-negative counts")
        return Tensor._wrap(np.repeat(np.arange(r.size, dtype=np.int64), r))
    x = _t(input)
    if dim is None:
        x, d = x.reshape(-1), 0
    else:
        d = _dim(dim, x.ndim)
    n = x.shape[d] if x.ndim else 1
    if isinstance(repeats, (int, np.integer)) and not isinstance(repeats, bool):
        r = np.full(n, int(repeats), np.int64)
    else:
        r = _index_array(repeats, "repeats").reshape(-1)
        if r.size == 1:
            r = np.full(n, int(r[0]), np.int64)
        if r.size != n:
            raise _InputError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{r.size} and input.size({d}) = {n}")
    if r.size and r.min() < 0:
        raise _InputError("repeats can not be negative")
    idx = np.repeat(np.arange(n, dtype=np.int64), r)
    if output_size is not None and int(output_size) != idx.size:
        raise _InputError(f"output_size: {output_size} does not match the repeated size {idx.size}")
    if x.ndim == 0:
        x = x.reshape(1)
    return x[(slice(None),) * d + (idx,)]


def tile(input: Any, dims: Any) -> Tensor:  # noqa: A002
    """``input`` repeated ``dims[i]`` times along each dim (fewer ``dims`` than dims: leading 1s, as torch).

    Example:
        >>> ne.tensor([[1, 2]]).tile((2,)).tolist()
        [[1, 2, 1, 2]]
    """
    x = _t(input)
    reps = _ints(dims, "dims")
    if len(reps) < x.ndim:
        reps = (1,) * (x.ndim - len(reps)) + reps
    return x.repeat(*reps)


def movedim(input: Any, source: Any, destination: Any) -> Tensor:  # noqa: A002
    """Dims ``source`` moved to positions ``destination`` (the others keep their order); a view.

    Example:
        >>> ne.zeros(2, 3, 4).movedim(0, -1).shape
        (3, 4, 2)
    """
    x = _t(input)
    src, dst = _ints(source, "source"), _ints(destination, "destination")
    if len(src) != len(dst):
        raise _InputError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
                           f"contain the same number of dims as destination ({list(dst)} dims)")
    src = tuple(_dim(s, x.ndim) for s in src)
    dst = tuple(_dim(s, x.ndim) for s in dst)
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise _InputError("movedim: repeated dim in source or destination")
    order = [i for i in range(x.ndim) if i not in src]
    for s, t in sorted(zip(dst, src)):
        order.insert(s, t)
    return x.permute(*order)


moveaxis = movedim


def swapdims(input: Any, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    """``transpose(dim0, dim1)`` (torch's alias).

    Example:
        >>> ne.zeros(2, 3).swapdims(0, 1).shape
        (3, 2)
    """
    return _t(input).transpose(dim0, dim1)


def ravel(input: Any) -> Tensor:  # noqa: A002
    """The entries as a 1-D tensor (``reshape(-1)``).

    Example:
        >>> ne.tensor([[1, 2], [3, 4]]).ravel()
        tensor([1, 2, 3, 4])
    """
    return _t(input).reshape(-1)


def unflatten(input: Any, dim: int, sizes: Sequence[int]) -> Tensor:  # noqa: A002
    """Dim ``dim`` split into ``sizes`` (one may be -1).

    Example:
        >>> ne.unflatten(ne.zeros(2, 12), 1, (3, -1)).shape
        (2, 3, 4)
    """
    x = _t(input)
    d = _dim(dim, x.ndim)
    return x.reshape(x.shape[:d] + tuple(sizes) + x.shape[d + 1:])


def broadcast_to(input: Any, size: Any) -> Tensor:  # noqa: A002
    """``input`` expanded to ``size`` (a view; -1 keeps a dim).

    Example:
        >>> ne.tensor([1, 2]).broadcast_to((3, 2)).shape
        (3, 2)
    """
    return _t(input).expand(*_shape_args((size,)) if isinstance(size, (tuple, list)) else (int(size),))


def flipud(input: Any) -> Tensor:  # noqa: A002
    """The order reversed along dim 0.

    Example:
        >>> ne.tensor([[1, 2], [3, 4]]).flipud().tolist()
        [[3, 4], [1, 2]]
    """
    x = _t(input)
    if x.ndim < 1:
        raise _InputError("flipud: input must be >= 1-d")
    return x.flip(0)


def fliplr(input: Any) -> Tensor:  # noqa: A002
    """The order reversed along dim 1.

    Example:
        >>> ne.tensor([[1, 2], [3, 4]]).fliplr().tolist()
        [[2, 1], [4, 3]]
    """
    x = _t(input)
    if x.ndim < 2:
        raise _InputError("fliplr: input must be >= 2-d")
    return x.flip(1)


def rot90(input: Any, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:  # noqa: A002
    """Rotated by 90 degrees ``k`` times in the plane ``dims`` (from the first toward the second axis).

    Example:
        >>> ne.tensor([[1, 2], [3, 4]]).rot90().tolist()
        [[2, 4], [1, 3]]
    """
    x = _t(input)
    ds = _ints(dims, "dims")
    if len(ds) != 2:
        raise _InputError(f"expected total rotation dims == 2, but got dims = {len(ds)}")
    d0, d1 = _dim(ds[0], x.ndim), _dim(ds[1], x.ndim)
    if d0 == d1:
        raise _InputError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k = int(k) % 4
    if k == 1:
        return x.flip(d1).transpose(d0, d1)
    if k == 2:
        return x.flip(d0, d1)
    if k == 3:
        return x.flip(d0).transpose(d0, d1)
    return x.clone()


class _DiagonalFn(Function):
    @staticmethod
    def forward(ctx, a, offset, d1, d2):
        offset = diag_offset(offset, a.shape[d1], a.shape[d2])
        ctx.shape, ctx.args = a.shape, (offset, d1, d2)
        out = np.diagonal(a, offset, d1, d2)  # a view numpy marks read-only; torch's is writable
        if a.flags.writeable:
            out.flags.writeable = True
        return out

    @staticmethod
    def view_scatter(old, new, ctx):
        """``old`` (the base) with this view's region replaced by ``new``, recorded: an in-place op on the
        diagonal of a tensor with history rebinds the base through it (Tensor._rebind_view)."""
        offset, d1, d2 = ctx.args
        key = _diag_key(len(ctx.shape), new.shape[-1], offset, d1, d2)
        return IndexPutFn.apply(old, new.movedim(-1, _diag_pos(d1, d2)), key)

    @staticmethod
    def backward(ctx, g):
        offset, d1, d2 = ctx.args
        out = np.zeros(ctx.shape, g.dtype)
        key = _diag_key(len(ctx.shape), g.shape[-1], offset, d1, d2)
        out[key] = np.moveaxis(g, -1, _diag_pos(d1, d2))
        return out, None, None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        offset, d1, d2 = ctx.args
        key = _diag_key(len(ctx.shape), g.shape[-1], offset, d1, d2)
        order = list(range(g.ndim - 1))
        order.insert(_diag_pos(d1, d2), g.ndim - 1)  # np.moveaxis(g, -1, pos) as a recorded permute
        return IndexGradFn.apply(g.permute(*order), ctx.shape, key), None, None, None


_register_view_fn(_DiagonalFn)  # its output shares the input's memory


def _diag_key(nd: int, n: int, offset: int, d1: int, d2: int) -> tuple:
    """The fancy index of diagonal ``offset`` of the planes ``(d1, d2)`` (``n`` entries)."""
    idx: list = [slice(None)] * nd
    idx[d1] = np.arange(n) + builtins.max(-offset, 0)
    idx[d2] = np.arange(n) + builtins.max(offset, 0)
    return tuple(idx)


def _diag_pos(d1: int, d2: int) -> int:
    """Where numpy puts the diagonal of ``a[_diag_key(...)]``: at the first of two adjacent index dims, else first."""
    return builtins.min(d1, d2) if builtins.abs(d1 - d2) == 1 else 0


def diagonal(input: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:  # noqa: A002
    """The diagonal ``offset`` of the planes ``(dim1, dim2)``, as the last dim (differentiable).

    Example:
        >>> ne.arange(9).reshape(3, 3).diagonal(), ne.arange(9.0).reshape(3, 3).diagonal(1)
        (tensor([0, 4, 8]), tensor([1., 5.]))
    """
    x = _t(input)
    d1, d2 = _dim(dim1, x.ndim), _dim(dim2, x.ndim)
    if d1 == d2:
        raise _InputError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return _DiagonalFn.apply(x, int(offset), d1, d2)


def diag_embed(input: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: A002
    """Matrices whose diagonal ``offset`` (in the planes ``dim1, dim2`` of the output) holds the last dim of
    ``input`` (differentiable).

    Example:
        >>> ne.tensor([1.0, 2.0]).diag_embed()
        tensor([[1., 0.],
                [0., 2.]])
    """
    x = _t(input)
    if x.ndim == 0:
        raise ValueError("diag_embed(): input: expected at least 1 dim, got a 0-d tensor")
    n = x.shape[-1] + builtins.abs(int(offset))
    nd = x.ndim + 1
    d1, d2 = _dim(dim1, nd), _dim(dim2, nd)
    if d1 == d2:
        raise _InputError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    batch = list(x.shape[:-1])
    shape = []
    it = iter(batch)
    for k in range(nd):
        shape.append(n if k in (d1, d2) else next(it))
    base = Tensor._wrap(np.zeros(shape, x.dtype))
    key = _diag_key(nd, x.shape[-1], int(offset), d1, d2)
    vals = x.movedim(-1, _diag_pos(d1, d2))
    from . import ops

    return ops.IndexPutFn.apply(base, vals, key)


def diagflat(input: Any, offset: int = 0) -> Tensor:  # noqa: A002
    """A 2-D matrix with the flattened ``input`` on diagonal ``offset``.

    Example:
        >>> ne.diagflat(ne.tensor([[1, 2]])).tolist()
        [[1, 0], [0, 2]]
    """
    return _t(input).reshape(-1).diag(int(offset))


def trace(input: Any) -> Tensor:  # noqa: A002
    """The sum of a matrix's main diagonal (differentiable).

    Example:
        >>> ne.tensor([[1.0, 2.0], [3.0, 4.0]]).trace()
        tensor(5.)
    """
    x = _t(input)
    if x.ndim != 2:
        raise _InputError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    return diagonal(x).sum()


# ------------------------------------------------------------------ stacking and splitting
def _each(tensors: tuple, f: Any) -> Any:
    ts = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    out = tuple(f(_t(t)) for t in ts)
    return out[0] if len(out) == 1 else out


def atleast_1d(*tensors: Any) -> Any:
    """Each input with at least 1 dim (a tuple for several inputs).

    Example:
        >>> ne.atleast_1d(ne.tensor(1.0)).shape
        (1,)
    """
    return _each(tensors, lambda t: t.reshape(1) if t.ndim == 0 else t)


def atleast_2d(*tensors: Any) -> Any:
    """Each input with at least 2 dims (a 1-D tensor becomes a row).

    Example:
        >>> ne.atleast_2d(ne.tensor([1.0, 2.0])).shape
        (1, 2)
    """
    return _each(tensors, lambda t: t.reshape(1, -1) if t.ndim < 2 else t)


def atleast_3d(*tensors: Any) -> Any:
    """Each input with at least 3 dims (``(n,)`` -> ``(1, n, 1)``, ``(m, n)`` -> ``(m, n, 1)``).

    Example:
        >>> ne.atleast_3d(ne.zeros(2, 3)).shape
        (2, 3, 1)
    """
    shapes = {0: (1, 1, 1), 1: (1, -1, 1)}
    return _each(tensors, lambda t: t.reshape(*shapes[t.ndim]) if t.ndim < 2 else t.unsqueeze(-1) if t.ndim == 2 else t)


def hstack(tensors: Sequence[Any]) -> Tensor:
    """Concatenate along dim 1 (dim 0 for 1-D tensors).

    Example:
        >>> ne.hstack([ne.tensor([1, 2]), ne.tensor([3])])
        tensor([1, 2, 3])
    """
    ts = [atleast_1d(t) for t in tensors]
    return cat(ts, 0 if ts and ts[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Any]) -> Tensor:
    """Concatenate along dim 0 after making every input at least 2-D (``row_stack``).

    Example:
        >>> ne.vstack([ne.tensor([1, 2]), ne.tensor([3, 4])]).shape
        (2, 2)
    """
    return cat([atleast_2d(t) for t in tensors], 0)


row_stack = vstack


def dstack(tensors: Sequence[Any]) -> Tensor:
    """Concatenate along dim 2 after making every input at least 3-D.

    Example:
        >>> ne.dstack([ne.tensor([1, 2]), ne.tensor([3, 4])]).shape
        (1, 2, 2)
    """
    return cat([atleast_3d(t) for t in tensors], 2)


def column_stack(tensors: Sequence[Any]) -> Tensor:
    """1-D (and 0-d) inputs become columns, then concatenated along dim 1.

    Example:
        >>> ne.column_stack([ne.tensor([1, 2]), ne.tensor([3, 4])]).tolist()
        [[1, 3], [2, 4]]
    """
    ts = []
    for t in map(_t, tensors):
        ts.append(t.reshape(-1, 1) if t.ndim <= 1 else t)
    return cat(ts, 1)


def _split_at(x: Tensor, sections: Any, d: int, op: str) -> Tuple[Tensor, ...]:
    n = x.shape[d]
    if isinstance(sections, (int, np.integer)) and not isinstance(sections, bool):
        k = int(sections)
        if k <= 0 or n % k:
            raise _InputError(f"{op}: attempted to split along dimension {d}, but the size of the dimension "
                               f"{n} is not divisible by the split_size {k}!")
        bounds = [i * (n // k) for i in range(k + 1)]
    else:
        cuts = [builtins.min(builtins.max(c if c >= 0 else c + n, 0), n) for c in _ints(sections, "indices")]
        bounds = [0] + cuts + [n]
    return tuple(x[(slice(None),) * d + (slice(a, builtins.max(a, b)),)] for a, b in zip(bounds[:-1], bounds[1:]))


def hsplit(input: Any, indices_or_sections: Any) -> Tuple[Tensor, ...]:  # noqa: A002
    """Split along dim 1 (dim 0 for 1-D) into equal sections or at indices.

    Example:
        >>> [p.tolist() for p in ne.arange(4).hsplit(2)]
        [[0, 1], [2, 3]]
    """
    x = _t(input)
    if x.ndim < 1:
        raise _InputError("hsplit: input must have at least 1 dimension")
    return _split_at(x, indices_or_sections, 0 if x.ndim == 1 else 1, "hsplit")


def vsplit(input: Any, indices_or_sections: Any) -> Tuple[Tensor, ...]:  # noqa: A002
    """Split along dim 0 (the input must be at least 2-D).

    Example:
        >>> [p.shape for p in ne.zeros(4, 2).vsplit([1])]
        [(1, 2), (3, 2)]
    """
    x = _t(input)
    if x.ndim < 2:
        raise _InputError("vsplit: input must have at least 2 dimensions")
    return _split_at(x, indices_or_sections, 0, "vsplit")


def dsplit(input: Any, indices_or_sections: Any) -> Tuple[Tensor, ...]:  # noqa: A002
    """Split along dim 2 (the input must be at least 3-D).

    Example:
        >>> [p.shape for p in ne.zeros(1, 2, 4).dsplit(2)]
        [(1, 2, 2), (1, 2, 2)]
    """
    x = _t(input)
    if x.ndim < 3:
        raise _InputError("dsplit: input must have at least 3 dimensions")
    return _split_at(x, indices_or_sections, 2, "dsplit")


def meshgrid(*tensors: Any, indexing: Optional[str] = None) -> Tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors: ``indexing='ij'`` (torch's default) gives shape ``(len(t0),
    len(t1), ...)``, ``'xy'`` swaps the first two. Views, differentiable.

    Example:
        >>> gx, gy = ne.meshgrid(ne.tensor([1, 2, 3]), ne.tensor([4, 5]), indexing="ij")
        >>> gx.shape, gy.tolist()
        ((3, 2), [[4, 5], [4, 5], [4, 5]])
    """
    ts = list(tensors[0]) if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else list(tensors)
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"indexing: expected 'ij' or 'xy', got {indexing!r}")
    ts = [_t(t) for t in ts]
    for t in ts:
        if t.ndim > 1:
            raise _InputError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t.ndim}D")
    ts = [t.reshape(-1) for t in ts]
    swap = indexing == "xy" and len(ts) >= 2
    order = list(range(len(ts)))
    if swap:
        order[0], order[1] = 1, 0
    shape = tuple(ts[i].shape[0] for i in order)
    out = []
    for i, t in enumerate(ts):
        pos = order.index(i)
        view = [1] * len(ts)
        view[pos] = -1
        out.append(t.reshape(*view).expand(*shape))
    return tuple(out)


def cartesian_prod(*tensors: Any) -> Tensor:
    """All combinations of the 1-D inputs' entries, one per row (a 1-D input alone is returned as is).

    Example:
        >>> ne.cartesian_prod(ne.tensor([1, 2]), ne.tensor([3, 4])).tolist()
        [[1, 3], [1, 4], [2, 3], [2, 4]]
    """
    ts = [_t(t) for t in tensors]
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*ts, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input: Any, r: int = 2, with_replacement: bool = False) -> Tensor:  # noqa: A002
    """The length-``r`` combinations of a 1-D tensor's entries, one per row (itertools' order).

    Example:
        >>> ne.combinations(ne.tensor([1, 2, 3])).tolist()
        [[1, 2], [1, 3], [2, 3]]
    """
    x = _t(input)
    if x.ndim != 1:
        raise TypeError(f"Expect a 1D vector, but got shape {list(x.shape)}")
    if int(r) < 0:
        raise ValueError(f"r: expected a non-negative int, got {r}")
    gen = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(gen(range(x.shape[0]), int(r))), np.int64).reshape(-1, int(r))
    if int(r) == 0 or idx.size == 0:
        return Tensor._wrap(np.zeros((0,) if int(r) == 0 else (0, int(r)), x.dtype))
    return x[idx]


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """The ``(2, n)`` row/column indices of the lower triangle of a ``row x col`` matrix.

    Example:
        >>> ne.tril_indices(3, 3).tolist()
        [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]
    """
    from ._dtypes import to_dtype

    r, c = np.tril_indices(int(row), int(offset), int(col))
    return Tensor._wrap(np.stack([r, c]).astype(to_dtype(dtype) or _I64))


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None,
                 layout: Any = None) -> Tensor:
    """The ``(2, n)`` row/column indices of the upper triangle of a ``row x col`` matrix.

    Example:
        >>> ne.triu_indices(2, 3, 1).tolist()
        [[0, 0, 1], [1, 2, 2]]
    """
    from ._dtypes import to_dtype

    r, c = np.triu_indices(int(row), int(offset), int(col))
    return Tensor._wrap(np.stack([r, c]).astype(to_dtype(dtype) or _I64))


def unravel_index(indices: Any, shape: Any) -> Tuple[Tensor, ...]:
    """Flat ``indices`` as one coordinate tensor per dim of ``shape``.

    Example:
        >>> ne.unravel_index(ne.tensor([4, 1]), (2, 3))
        (tensor([1, 0]), tensor([1, 1]))
    """
    idx = _index_array(indices, "indices")
    shp = _ints(shape, "shape")
    n = int(np.prod(shp))
    if idx.size and (idx.min() < -n or idx.max() >= n):
        raise _InputError(f"unravel_index: indices out of range for shape {shp}")
    return tuple(Tensor._wrap(np.asarray(c, np.int64)) for c in np.unravel_index(idx % builtins.max(n, 1), shp))


# ------------------------------------------------------------------ sets, counts, searching (no gradient)
def unique(input: Any, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim: Optional[int] = None) -> Any:
    """The distinct entries (sorted), optionally with the inverse indices and the counts (``dim``: distinct
    slices along it).

    Example:
        >>> ne.unique(ne.tensor([3, 1, 3, 2]), return_counts=True)
        (tensor([1, 2, 3]), tensor([1, 1, 2]))
    """
    a = as_array(input)
    if dim is not None and a.ndim == 0:  # numpy's AxisError otherwise
        raise _IndexError(f"unique(): dim: specified as {dim} but input has no dimensions")
    axis = None if dim is None else _dim(dim, a.ndim)
    u, inv, cnt = np.unique(a, return_inverse=True, return_counts=True, axis=axis)
    inv = inv.reshape(a.shape if axis is None else (a.shape[axis],))
    out: list = [Tensor._wrap(np.asarray(u))]
    if return_inverse:
        out.append(Tensor._wrap(inv.astype(np.int64)))
    if return_counts:
        out.append(Tensor._wrap(cnt.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input: Any, return_inverse: bool = False, return_counts: bool = False,  # noqa: A002
                       dim: Optional[int] = None) -> Any:
    """Each run of equal consecutive entries collapsed to one (with inverse indices and run lengths).

    Example:
        >>> ne.unique_consecutive(ne.tensor([1, 1, 2, 2, 3, 1]))
        tensor([1, 2, 3, 1])
    """
    a = as_array(input)
    if dim is None:
        flat = a.reshape(-1)
        starts = np.ones(flat.size, bool)
        starts[1:] = flat[1:] != flat[:-1]
        vals = flat[starts]
        inv_shape = a.shape
    else:
        if a.ndim == 0:
            raise _IndexError(f"unique_consecutive(): dim: specified as {dim} but input has no dimensions")
        d = _dim(dim, a.ndim)
        m = np.moveaxis(a, d, 0).reshape(a.shape[d], -1)
        starts = np.ones(m.shape[0], bool)
        starts[1:] = (m[1:] != m[:-1]).any(axis=1)
        vals = np.take(a, np.nonzero(starts)[0], axis=d)
        inv_shape = (a.shape[d],)
    inv = np.cumsum(starts) - 1
    cnt = np.diff(np.append(np.nonzero(starts)[0], starts.size))
    out: list = [Tensor._wrap(np.asarray(vals))]
    if return_inverse:
        out.append(Tensor._wrap(inv.reshape(inv_shape).astype(np.int64)))
    if return_counts:
        out.append(Tensor._wrap(cnt.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(input: Any, weights: Any = None, minlength: int = 0) -> Tensor:  # noqa: A002
    """Counts of each value of a 1-D non-negative integer tensor (sums of ``weights`` if given).

    Example:
        >>> ne.tensor([0, 2, 2]).bincount()
        tensor([1, 0, 2])
    """
    a = _index_array(input, "input")
    if a.ndim != 1:
        raise _InputError(f"bincount only supports 1-d non-negative integral inputs, got {a.ndim} dims")
    if a.size and a.min() < 0:
        raise _InputError("bincount only supports 1-d non-negative integral inputs.")
    if int(minlength) < 0:
        raise _InputError("minlength should be >= 0")
    if weights is None:
        return Tensor._wrap(np.bincount(a, minlength=int(minlength)).astype(np.int64))
    w = as_array(weights)
    if w.shape != a.shape:
        raise _InputError(f"weights: expected shape {a.shape}, got {w.shape}")
    dt = w.dtype if w.dtype.kind == "f" else np.dtype(np.float64)
    return Tensor._wrap(np.bincount(a, w, int(minlength)).astype(dt))


def bucketize(input: Any, boundaries: Any, *, out_int32: bool = False, right: bool = False) -> Tensor:  # noqa: A002
    """The bucket of each entry among the sorted 1-D ``boundaries`` (``right=False``: the first index ``i``
    with ``input <= boundaries[i]``).

    Example:
        >>> ne.bucketize(ne.tensor([1, 5, 9]), ne.tensor([1, 3, 5, 7]))
        tensor([0, 2, 4])
    """
    b = as_array(boundaries)
    if b.ndim != 1:
        raise _InputError(f"boundaries tensor must be 1 dimension, but got dim({b.ndim})")
    a = as_array(input)
    out = np.searchsorted(b, a, side="right" if right else "left")
    return Tensor._wrap(np.asarray(out, np.int32 if out_int32 else np.int64))


def searchsorted(sorted_sequence: Any, input: Any, *, out_int32: bool = False, right: bool = False,  # noqa: A002
                 side: Optional[str] = None, sorter: Any = None) -> Tensor:
    """Insertion indices of ``input`` into ``sorted_sequence`` (its last dim; batched rows match ``input``'s
    leading dims). ``side='right'`` / ``right=True``: after equal entries.

    Example:
        >>> ne.searchsorted(ne.tensor([1, 3, 5, 7]), ne.tensor([3, 6, 9]))
        tensor([1, 3, 4])
    """
    if side is not None:
        if side not in ("left", "right"):
            raise ValueError(f"side: expected 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise _InputError("searchsorted(): side and right can't be set to opposites")
        right = side == "right"
    s = as_array(sorted_sequence)
    v = as_array(input)
    for name, a in (("sorted_sequence", s), ("input", v)):
        if a.dtype.kind not in "biuf":
            raise TypeError(f"searchsorted(): {name}: expected a real numeric tensor, got dtype {a.dtype}")
    if s.ndim == 0:
        raise _InputError("searchsorted(): sorted_sequence: expected at least 1 dim, got a 0-d tensor")
    if sorter is not None:
        srt = _index_array(sorter, "sorter")
        if srt.shape != s.shape:
            raise ValueError(f"searchsorted(): sorter: expected shape {s.shape}, got {srt.shape}")
        if srt.size and (srt.min() < 0 or srt.max() >= s.shape[-1]):
            raise _IndexError(f"searchsorted(): sorter: indices must be in [0, {s.shape[-1]})")
        s = np.take_along_axis(s, srt, -1)
    sd = "right" if right else "left"
    if s.ndim == 1:
        out = np.searchsorted(s, v, side=sd)
    else:
        if v.ndim == 0 or s.shape[:-1] != v.shape[:-1]:
            raise _InputError(f"searchsorted(): boundaries and input leading dims must match: {s.shape} vs {v.shape}")
        s2, v2 = s.reshape(-1, s.shape[-1]), v.reshape(-1, v.shape[-1])
        out = np.stack([np.searchsorted(s2[i], v2[i], side=sd) for i in range(s2.shape[0])]).reshape(v.shape)
    return Tensor._wrap(np.asarray(out, np.int32 if out_int32 else np.int64))


def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each entry of ``elements`` is in ``test_elements`` (bool, shaped like ``elements``).

    Example:
        >>> ne.isin(ne.tensor([1, 2, 3]), ne.tensor([2, 5]))
        tensor([False,  True, False])
    """
    return Tensor._wrap(np.asarray(np.isin(as_array(elements), as_array(test_elements), invert=invert)))


def count_nonzero(input: Any, dim: Any = None) -> Tensor:  # noqa: A002
    """The number of nonzero entries (over ``dim`` if given), int64.

    Example:
        >>> ne.tensor([[0, 1], [2, 3]]).count_nonzero(dim=0)
        tensor([1, 2])
    """
    a = as_array(input)
    axis = None if dim is None else tuple(_dim(d, a.ndim) for d in _ints(dim, "dim"))
    return Tensor._wrap(np.asarray(np.count_nonzero(a, axis=axis), np.int64))


def histc(input: Any, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """Histogram of ``bins`` equal bins over ``[min, max]`` (both 0: the data's range); entries outside are
    ignored. Floating-point input only, as torch.

    Example:
        >>> ne.histc(ne.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3)
        tensor([0., 2., 1., 0.])
    """
    a = as_array(input)
    if a.dtype.kind != "f":
        raise _InputError(f"torch.histc: input tensor and hist tensor should have the same dtype, got {a.dtype}")
    if int(bins) <= 0:
        raise _InputError("torch.histc(): bins must be > 0")
    if int(bins) >= 2**31:  # numpy's linspace fails with an IndexError for counts near 2**63
        raise ValueError(f"histc(): bins: expected fewer than 2**31 bins, got {bins}")
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise _InputError("torch.histc(): max must be larger than min")
    if not (math.isfinite(lo) and math.isfinite(hi)):  # numpy's histogram raised IndexError
        raise _InputError(f"torch.histc: range of [{lo}, {hi}] is not finite")
    # in float64: float32 data spanning most of its range overflowed numpy's bin arithmetic (IndexError)
    h, _ = np.histogram(a.astype(np.float64), bins=int(bins), range=(lo, hi))
    return Tensor._wrap(h.astype(a.dtype))


def vander(x: Any, N: Optional[int] = None, increasing: bool = False) -> Tensor:  # noqa: N803
    """The Vandermonde matrix of a 1-D tensor: columns are powers of ``x`` (decreasing unless ``increasing``;
    differentiable).

    Example:
        >>> ne.vander(ne.tensor([1, 2, 3]), N=3).tolist()
        [[1, 1, 1], [4, 2, 1], [9, 3, 1]]
    """
    t = _t(x)
    if t.ndim != 1:
        raise _InputError("x must be a one-dimensional tensor.")
    n = t.shape[0] if N is None else int(N)
    if n < 0:
        raise _InputError("N must be non-negative.")
    dt = result_type(t, 1)
    t = t._cast(dt if dt.kind != "b" else _I64)
    cols = [t ** k if k else Tensor._wrap(np.ones(t.shape, t.dtype)) for k in range(n)]
    if not increasing:
        cols = cols[::-1]
    return stack(cols, 1) if cols else Tensor._wrap(np.zeros((t.shape[0], 0), t.dtype))


__all__ = [
    "nonzero", "argwhere", "masked_select", "take", "take_along_dim", "select", "index_add", "index_copy",
    "index_fill", "masked_scatter", "roll", "repeat_interleave", "tile", "movedim", "moveaxis", "swapdims",
    "ravel", "unflatten", "broadcast_to", "flipud", "fliplr", "rot90", "diagonal", "diag_embed", "diagflat",
    "trace", "atleast_1d", "atleast_2d", "atleast_3d", "hstack", "vstack", "row_stack", "dstack",
    "column_stack", "hsplit", "vsplit", "dsplit", "meshgrid", "cartesian_prod", "combinations", "tril_indices",
    "triu_indices", "unravel_index", "unique", "unique_consecutive", "bincount", "bucketize", "searchsorted",
    "isin", "count_nonzero", "histc", "vander", "index_reduce", "select_scatter", "slice_scatter",
    "diagonal_scatter", "split_with_sizes",
]

#: Tensor method name -> function (the function's first argument becomes ``self``)
TENSOR_METHODS = {n: globals()[n] for n in (
    "nonzero", "argwhere", "masked_select", "take", "take_along_dim", "select", "index_add", "index_copy",
    "index_fill", "masked_scatter", "roll", "repeat_interleave", "tile", "movedim", "moveaxis", "swapdims",
    "ravel", "broadcast_to", "flipud", "fliplr", "rot90", "diagonal", "diag_embed", "trace", "hsplit", "vsplit",
    "dsplit", "unique", "unique_consecutive", "bincount", "count_nonzero", "histc", "index_add_", "index_copy_",
    "index_fill_", "masked_scatter_", "index_reduce", "index_reduce_", "select_scatter", "slice_scatter",
    "diagonal_scatter", "put", "put_", "split_with_sizes")}
TENSOR_METHODS["where"] = _tensor_where
TENSOR_METHODS["diagflat"] = diagflat
