"""Differentiable numpy glue ops behind Tensor arithmetic (cheap ops; the heavy ones are C++ kernels)."""

from __future__ import annotations

import numpy as np

from . import _core, _tape
from ._higher_order import _Unsupported, const, operand, spread, sum_to, where
from .amp import _bf16_on
from .amp import _entered as _amp_entered
from .autograd import Function

f32 = np.float32
_F32 = np.dtype(np.float32)
_I64 = np.dtype(np.int64)


class AddFn(Function):
    @staticmethod
    def forward(ctx, a, b, dt=f32):
        return np.add(a, b, dtype=dt)

    @staticmethod
    def backward(ctx, g):
        return g, g

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return g, g


class SubFn(Function):
    @staticmethod
    def forward(ctx, a, b, dt=f32):
        return np.subtract(a, b, dtype=dt)

    @staticmethod
    def backward(ctx, g):
        return g, -g

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return g, -g


class MulFn(Function):
    @staticmethod
    def forward(ctx, a, b, dt=f32):
        ctx.save_for_backward(a, b)
        return np.multiply(a, b, dtype=dt)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad[:2]
        return (g * b if na else None), (g * a if nb else None)

    @staticmethod
    def graph_backward(ctx, inputs, g):
        a, b = ctx.saved_tensors
        return (g * operand(inputs, 1, b) if inputs[0] is not None else None), (
            g * operand(inputs, 0, a) if inputs[1] is not None else None)


class DivFn(Function):
    @staticmethod
    def forward(ctx, a, b, dt=f32):
        ctx.save_for_backward(a, b)
        return np.divide(a, b, dtype=dt)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad[:2]
        return (g / b if na else None), (-g * a / (b * b) if nb else None)

    @staticmethod
    def graph_backward(ctx, inputs, g):
        a, b = ctx.saved_tensors
        tb = operand(inputs, 1, b)
        return (g / tb if inputs[0] is not None else None), (
            -g * operand(inputs, 0, a) / (tb * tb) if inputs[1] is not None else None)


class NegFn(Function):
    @staticmethod
    def forward(ctx, a):
        return np.negative(a)

    @staticmethod
    def backward(ctx, g):
        return -g

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return -g


class PowFn(Function):
    @staticmethod
    def forward(ctx, a, b, dt=f32):
        out = np.power(a, b, dtype=dt)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        na, nb = ctx.needs_input_grad[:2]
        ga = gb = None
        if na:
            ga = g * b * np.power(a, b - 1, dtype=g.dtype)
        if nb:
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = g * out * np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0).astype(g.dtype)
        return ga, gb

    @staticmethod
    def graph_backward(ctx, inputs, g):
        a, b, out = ctx.saved_tensors
        ta, tb = operand(inputs, 0, a), operand(inputs, 1, b)
        ga = gb = None
        if inputs[0] is not None:
            ga = g * 0.0 if not hasattr(tb, "_ctx") and tb == 0 else g * tb * ta ** (tb - 1)
        if inputs[1] is not None:
            pos = const(np.asarray(a) > 0)
            gb = g * ta ** tb * where(pos, where(pos, ta, 1.0).log(), 0.0)
        return ga, gb


class ExpFn(Function):
    @staticmethod
    def forward(ctx, a):
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return g * inputs[0].exp()


class LogFn(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / a

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return g / inputs[0]


class SqrtFn(Function):
    @staticmethod
    def forward(ctx, a):
        out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (2 * out)

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return g / (2 * inputs[0].sqrt())


class AbsFn(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * np.sign(a)

    @staticmethod
    def graph_backward(ctx, inputs, g):
        (a,) = ctx.saved_tensors
        return g * const(np.sign(a))


class ClampFn(Function):
    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        return np.asarray(np.clip(a, lo, hi)).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return g * ClampFn.inside(ctx)

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return g * const(ClampFn.inside(ctx), g._data.dtype)

    @staticmethod
    def inside(ctx) -> np.ndarray:
        """Where the input lies inside [lo, hi] (the gradient passes there, torch's rule at the bounds)."""
        (a,) = ctx.saved_tensors
        m = np.ones(a.shape, dtype=bool)
        if ctx.lo is not None:
            m &= a >= ctx.lo
        if ctx.hi is not None:
            m &= a <= ctx.hi
        return m


#: ``f32c(a)``: a C-contiguous aligned float32 view or copy (the GEMM kernel's operand); ``a`` itself when it already
#: is one, a Parameter's data (a numpy subclass) included. Typed (``nnengine._tape.f32c``): it runs several times
#: per layer call.
f32c = _tape.f32c


#: Arrays of at least this many bytes are copied by the thread pool (``_core.copy_into``): a copy is memory-bound and
#: one thread does not saturate the memory bus (2 threads, 8 MB: 1.30 -> 0.95 ms on an AMD EPYC).
_POOL_COPY_BYTES = 1 << 20


def copy_array(a: np.ndarray) -> np.ndarray:
    """A copy of ``a`` with its own memory (``np.array(a, copy=True)``): a large C-contiguous array is copied by the
    thread pool, anything else by numpy (which keeps a Fortran-ordered array's order).

    Example:
        >>> a = np.arange(3.0); b = copy_array(a); b[0] = 9; a[0]
        0.0
    """
    if a.nbytes >= _POOL_COPY_BYTES and a.flags.c_contiguous and _core.get_num_threads() > 1:
        out = np.empty(a.shape, a.dtype)
        _core.copy_into(out, a)
        return out
    return np.array(a, copy=True)


def matmul_arrays(a: np.ndarray, b: np.ndarray, bf16: bool = False) -> np.ndarray:
    """``a @ b`` with numpy's broadcasting rules; 2-D products (and batched ones) run on the engine's GEMM;
    ``bf16``: float32 operands multiplied in bf16 with float32 sums (autocast).

    Example:
        >>> matmul_arrays(np.ones((5, 2, 3), np.float32), np.ones((3, 4), np.float32)).shape
        (5, 2, 4)
    """
    if a.dtype == np.float64 or b.dtype == np.float64:  # the float64 path: numpy's BLAS
        return np.matmul(a, b)
    a = f32c(a)
    b = f32c(b)
    if a.ndim == 2 and b.ndim == 2:
        return _core.gemm(a, b, False, False, 1.0, 0.0, None, None, None, False, bf16)
    if a.ndim < 2 or b.ndim < 2:
        if bf16:  # vector operands as 1-row / 1-column matrices
            a2, b2 = (a[None, :] if a.ndim == 1 else a), (b[:, None] if b.ndim == 1 else b)
            out = matmul_arrays(a2, b2, True)
            if b.ndim == 1:
                out = out[..., 0]
            return out[..., 0] if a.ndim == 1 and b.ndim == 1 else (out[..., 0, :] if a.ndim == 1 else out)
        return np.matmul(a, b)
    if b.ndim == 2:  # (..., M, K) @ (K, N): one GEMM over the flattened leading dims
        return _core.gemm(a.reshape(-1, a.shape[-1]), b, False, False, 1.0, 0.0, None, None, None, False,
                          bf16).reshape(a.shape[:-1] + (b.shape[1],))
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    out = _core.gemm_batched(_batch_stack(a, batch), _batch_stack(b, batch), bf16)  # one GEMM per entry, in C++
    return out.reshape(batch + (a.shape[-2], b.shape[-1]))


def _batch_stack(a: np.ndarray, batch: tuple) -> np.ndarray:
    """``a`` (..., R, C) as a contiguous (B, R, C) stack over the broadcast ``batch`` shape, or (1, R, C) when
    its batch dimensions are all 1 (gemm_batched broadcasts that one matrix without copying it)."""
    if a.ndim == 2 or all(d == 1 for d in a.shape[:-2]):
        return f32c(a.reshape((1,) + a.shape[-2:]))
    return f32c(np.broadcast_to(a, batch + a.shape[-2:]).reshape((-1,) + a.shape[-2:]))


class MatMulFn(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        ctx.bf16 = _amp_entered[0] > 0 and _bf16_on()  # autocast("bf16"): float32 products in bf16, both passes
        if a.dtype is not _F32 or b.dtype is not _F32:
            dt = np.promote_types(a.dtype, b.dtype) if a.dtype.kind == b.dtype.kind else (
                a.dtype if "biuf".index(a.dtype.kind) > "biuf".index(b.dtype.kind) else b.dtype)
            if dt != _F32:  # float64 / integer products: numpy in that dtype (the GEMM kernel is float32)
                return np.matmul(a.astype(dt, copy=False), b.astype(dt, copy=False))
        return matmul_arrays(a, b, ctx.bf16)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad[:2]
        ga = gb = None
        if a.ndim == 1 and b.ndim == 1:
            return (g * b if na else None), (g * a if nb else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        if b.ndim == 1:
            g2 = np.expand_dims(g2, -1)
        bf16 = ctx.bf16 and g2.dtype == _F32 and a.dtype == _F32 and b.dtype == _F32
        if na:
            ga = matmul_arrays(g2, np.swapaxes(b2, -1, -2), bf16)
            if a.ndim == 1:
                ga = ga.reshape(-1, a.shape[0]).sum(0)
        if nb:
            gb = matmul_arrays(np.swapaxes(a2, -1, -2), g2, bf16)
            if b.ndim == 1:
                gb = gb.reshape(-1, b.shape[0]).sum(0)
        return ga, gb

    @staticmethod
    def graph_backward(ctx, inputs, g):
        a, b = ctx.saved_tensors
        ta, tb = operand(inputs, 0, a), operand(inputs, 1, b)
        na, nb = inputs[0] is not None, inputs[1] is not None
        if a.ndim == 1 and b.ndim == 1:
            return (g * tb if na else None), (g * ta if nb else None)
        a2 = ta.unsqueeze(0) if a.ndim == 1 else ta
        b2 = tb.unsqueeze(1) if b.ndim == 1 else tb
        g2 = g.unsqueeze(-2) if a.ndim == 1 else g
        if b.ndim == 1:
            g2 = g2.unsqueeze(-1)
        ga = gb = None
        if na:
            ga = g2 @ b2.transpose(-1, -2)
            if a.ndim == 1:
                ga = ga.reshape(-1, a.shape[0]).sum(0)
        if nb:
            gb = a2.transpose(-1, -2) @ g2
            if b.ndim == 1:
                gb = gb.reshape(-1, b.shape[0]).sum(0)
        return ga, gb


class SumFn(Function):
    @staticmethod
    def forward(ctx, a, axis, keepdims):
        ctx.shape, ctx.axis, ctx.keepdims = a.shape, axis, keepdims
        dt = a.dtype if a.dtype is _F32 or a.dtype.kind == "f" else _I64
        return np.asarray(np.sum(a, axis=axis, keepdims=keepdims, dtype=dt))

    @staticmethod
    def backward(ctx, g):
        if ctx.axis is not None and not ctx.keepdims:
            g = np.expand_dims(g, ctx.axis)
        return np.broadcast_to(g, ctx.shape).astype(g.dtype)

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return spread(g, ctx.shape, ctx.axis, ctx.keepdims)


def mean_all(a: np.ndarray) -> np.ndarray:
    """``np.mean(a, dtype=a.dtype)`` as a 0-d array, computed as numpy's own ``_mean`` does for a full reduction
    (``add.reduce`` in a's dtype, then ``dtype(sum / n)``) without its ~3 us of Python-level checks; empty
    arrays go through np.mean (its NaN and warning)."""
    if a.size == 0 or a.dtype.kind != "f":
        return np.asarray(np.mean(a, dtype=a.dtype))
    return np.asarray(a.dtype.type(np.add.reduce(a, axis=None, dtype=a.dtype) / a.size))


class MeanFn(Function):
    @staticmethod
    def forward(ctx, a, axis, keepdims):
        ctx.shape, ctx.axis, ctx.keepdims = a.shape, axis, keepdims
        n = a.size if axis is None else int(np.prod([a.shape[i] for i in np.atleast_1d(axis)]))
        ctx.n = max(n, 1)
        if axis is None and not keepdims:
            return mean_all(a)
        return np.asarray(np.mean(a, axis=axis, keepdims=keepdims, dtype=a.dtype))

    @staticmethod
    def backward(ctx, g):
        if ctx.axis is not None and not ctx.keepdims:
            g = np.expand_dims(g, ctx.axis)
        return (np.broadcast_to(g, ctx.shape) / f32(ctx.n)).astype(g.dtype)

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return spread(g, ctx.shape, ctx.axis, ctx.keepdims) / float(ctx.n)


class VarFn(Function):
    @staticmethod
    def forward(ctx, a, axis, keepdims, correction):
        mean = np.mean(a, axis=axis, keepdims=True, dtype=a.dtype)
        n = a.size if axis is None else int(np.prod([a.shape[i] for i in np.atleast_1d(axis)]))
        ctx.save_for_backward(a - mean)
        ctx.axis, ctx.keepdims, ctx.denom = axis, keepdims, max(n - correction, 1)
        return np.asarray(np.var(a, axis=axis, keepdims=keepdims, ddof=correction, dtype=a.dtype))

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        if ctx.axis is not None and not ctx.keepdims:
            g = np.expand_dims(g, ctx.axis)
        return (2.0 * d * g / ctx.denom).astype(g.dtype)

    @staticmethod
    def graph_backward(ctx, inputs, g):
        a = inputs[0]
        axes = tuple(range(a.ndim)) if ctx.axis is None else ctx.axis
        d = a - a.mean(dim=axes, keepdim=True)
        return 2.0 * d * spread(g, tuple(a.shape), ctx.axis, ctx.keepdims) / float(ctx.denom)


class MaxMinFn(Function):
    @staticmethod
    def forward(ctx, a, axis, keepdims, is_max):
        out = np.max(a, axis=axis, keepdims=True) if is_max else np.min(a, axis=axis, keepdims=True)
        mask = a == out
        ctx.save_for_backward(mask / mask.sum(axis=axis, keepdims=True))
        ctx.axis, ctx.keepdims = axis, keepdims
        if not keepdims:
            out = np.squeeze(out, axis=axis) if axis is not None else out.reshape(())
        return np.asarray(out)

    @staticmethod
    def backward(ctx, g):
        (w,) = ctx.saved_tensors
        if not ctx.keepdims:
            g = np.expand_dims(g, ctx.axis) if ctx.axis is not None else np.reshape(g, (1,) * w.ndim)
        return (w * g).astype(g.dtype)

    @staticmethod
    def graph_backward(ctx, inputs, g):
        (w,) = ctx.saved_tensors
        return spread(g, w.shape, ctx.axis, ctx.keepdims) * const(w, g._data.dtype)


class ReshapeFn(Function):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape)

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return g.reshape(ctx.shape)


class PermuteFn(Function):
    @staticmethod
    def forward(ctx, a, axes):
        ctx.axes = axes
        return np.transpose(a, axes)

    @staticmethod
    def backward(ctx, g):
        return np.transpose(g, np.argsort(ctx.axes))

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return g.permute(*[int(i) for i in np.argsort(ctx.axes)])


class ExpandFn(Function):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return np.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, g):
        from .autograd import _unbroadcast

        return _unbroadcast(g, ctx.shape)

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return sum_to(g, ctx.shape)


def _index_grad(g: np.ndarray, shape: tuple, idx: object) -> np.ndarray:
    """``a[idx]``'s gradient: ``g`` added into zeros of ``shape`` at ``idx`` (repeated positions accumulate)."""
    out = np.zeros(shape, dtype=g.dtype)
    from .tensor import _is_basic_index

    if _is_basic_index(idx):
        out[idx] = g  # basic indexing never repeats an element
    else:
        np.add.at(out, idx, g)
    return out


class IndexFn(Function):
    @staticmethod
    def forward(ctx, a, idx):
        ctx.shape, ctx.idx = a.shape, idx
        return np.asarray(a[idx])

    @staticmethod
    def backward(ctx, g):
        return _index_grad(g, ctx.shape, ctx.idx)

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return IndexGradFn.apply(g, ctx.shape, ctx.idx)


class IndexGradFn(Function):
    """IndexFn's backward as an op: ``g`` added into zeros of ``shape`` at ``idx`` (repeats accumulate); its own
    backward reads ``idx`` back (IndexFn), so gradients of gradients flow through indexing."""

    @staticmethod
    def forward(ctx, g, shape, idx):
        ctx.idx = idx
        return _index_grad(g, shape, idx)

    @staticmethod
    def backward(ctx, gg):
        return np.asarray(gg[ctx.idx]), None, None

    @staticmethod
    def graph_backward(ctx, inputs, gg):
        return IndexFn.apply(gg, ctx.idx), None, None


class LinearGradFn(Function):
    """The backward of an op that is linear in its input, as an op of its own (``create_graph=True``):
    ``forward`` is the node's numpy backward ``back(g)``; being linear in g, its backward is the adjoint map,
    the op's own linear part: ``adj(gg)`` on arrays, ``adj_t(gg)`` on Tensors (recorded) for the next order.
    Pooling's average, padding and interpolation take their second-order gradients through it."""

    @staticmethod
    def forward(ctx, g, back, adj, adj_t):
        ctx.adj, ctx.adj_t = adj, adj_t
        return back(g)

    @staticmethod
    def backward(ctx, gg):
        return ctx.adj(gg), None, None, None

    @staticmethod
    def graph_backward(ctx, inputs, gg):
        return ctx.adj_t(gg), None, None, None


class CatFn(Function):
    @staticmethod
    def forward(ctx, axis, *arrays):
        ctx.axis = axis
        ctx.sizes = [a.shape[axis] for a in arrays]
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, g):
        splits = np.cumsum(ctx.sizes)[:-1]
        return (None, *np.split(g, splits, axis=ctx.axis))

    @staticmethod
    def graph_backward(ctx, inputs, g):
        ax = ctx.axis % g.ndim
        parts, o = [], 0
        for n in ctx.sizes:
            parts.append(g[(slice(None),) * ax + (slice(o, o + n),)])
            o += n
        return (None, *parts)


class StackFn(Function):
    @staticmethod
    def forward(ctx, axis, *arrays):
        ctx.axis = axis
        return np.stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx, g):
        return (None, *[np.take(g, i, axis=ctx.axis) for i in range(g.shape[ctx.axis])])

    @staticmethod
    def graph_backward(ctx, inputs, g):
        ax = ctx.axis % g.ndim
        return (None, *[g[(slice(None),) * ax + (i,)] for i in range(g.shape[ax])])


class WhereFn(Function):
    @staticmethod
    def forward(ctx, cond, a, b, dt=f32):
        ctx.cond = cond
        return np.where(cond, a, b).astype(dt, copy=False)

    @staticmethod
    def backward(ctx, g):
        return None, np.where(ctx.cond, g, 0).astype(g.dtype), np.where(ctx.cond, 0, g).astype(g.dtype)

    @staticmethod
    def graph_backward(ctx, inputs, g):
        c = const(ctx.cond)
        return None, where(c, g, 0.0), where(c, 0.0, g)


# ------------------------------------------------------------------ torch-parity ops: casts, copies, views
class CastFn(Function):
    """Differentiable dtype conversion between float dtypes (gradients come back as float32)."""

    @staticmethod
    def forward(ctx, a, dt):
        return a.astype(dt)

    @staticmethod
    def backward(ctx, g):
        return g

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return g


class CloneFn(Function):
    @staticmethod
    def forward(ctx, a):
        return copy_array(a) if a.flags.c_contiguous else np.array(a, copy=True, order="C")

    @staticmethod
    def backward(ctx, g):
        return g

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return g


class ContiguousFn(Function):
    @staticmethod
    def forward(ctx, a):
        return np.ascontiguousarray(a)

    @staticmethod
    def backward(ctx, g):
        return g

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return g


class ViewFn(Function):
    """``Tensor.view``: a reshape that never copies (raises like torch when the strides do not allow it)."""

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        try:
            return np.reshape(a, shape, copy=False)
        except ValueError as e:
            if "copy" not in str(e):
                raise
            raise RuntimeError(
                f"view size is not compatible with input tensor's size and stride (shape {a.shape} -> "
                f"{shape}; at least one dimension spans across two contiguous subspaces). Use .reshape(...) "
                "instead.") from None

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape)

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return g.reshape(ctx.shape)


def _grid(index: np.ndarray, axis: int) -> tuple:
    """Full fancy-index tuple selecting ``a[..., index[...], ...]`` along ``axis`` (torch.gather's addressing)."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[axis] = index
    return tuple(grids)


class GatherFn(Function):
    """``out[i][j] = a[i][index[i][j]]`` along ``axis``; the gradient goes back to exactly the gathered
    positions (accumulating repeats), which is torch's rule for max/min/sort/topk with ``dim``."""

    @staticmethod
    def forward(ctx, a, index, axis):
        ctx.shape, ctx.grid, ctx.index, ctx.axis = a.shape, _grid(index, axis), index, axis
        return np.asarray(a[ctx.grid])

    @staticmethod
    def backward(ctx, g):
        out = np.zeros(ctx.shape, dtype=g.dtype)
        np.add.at(out, ctx.grid, g)
        return out

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return ScatterFn.apply(const(np.zeros(ctx.shape, g._data.dtype)), ctx.index, g, ctx.axis, True)


class ScatterFn(Function):
    """torch.scatter / scatter_add along ``axis`` (differentiable in ``a`` and in a Tensor ``src``)."""

    @staticmethod
    def forward(ctx, a, index, src, axis, add):
        grid = _grid(index, axis)
        ctx.grid, ctx.add, ctx.src_shape, ctx.index, ctx.axis = grid, add, np.shape(src), index, axis
        out = np.array(a, copy=True)
        if isinstance(src, np.ndarray) and src.ndim:
            src = src[tuple(slice(0, n) for n in index.shape)]
        if add:
            np.add.at(out, grid, src)
        else:
            out[grid] = src
        return out

    @staticmethod
    def backward(ctx, g):
        ga = g if ctx.add else g.copy()
        if not ctx.add:
            ga[ctx.grid] = 0
        gs = None
        if ctx.needs_input_grad[2]:
            gs = np.zeros(ctx.src_shape, dtype=g.dtype)
            sel = np.asarray(g[ctx.grid])
            gs[tuple(slice(0, n) for n in sel.shape)] = sel
        return ga, None, gs

    @staticmethod
    def graph_backward(ctx, inputs, g):
        ga = g
        if not ctx.add:
            keep = np.ones(g.shape, dtype=g._data.dtype)
            keep[ctx.grid] = 0
            ga = g * const(keep)
        gs = None
        if inputs[2] is not None:
            if tuple(ctx.src_shape) != tuple(ctx.index.shape):
                raise _Unsupported("create_graph=True through scatter with a src larger than its index: not "
                                   "supported yet")
            gs = GatherFn.apply(g, ctx.index, ctx.axis)
        return ga, None, gs


_SCATTER_UFUNC = {"sum": np.add, "prod": np.multiply, "mean": np.add, "amax": np.maximum, "amin": np.minimum}


def _identity(reduce: str, dt: np.dtype) -> object:
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if dt.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    if dt.kind == "b":
        return reduce != "amax"
    info = np.iinfo(dt)
    return info.min if reduce == "amax" else info.max


class ScatterReduceFn(Function):
    """torch.scatter_reduce along ``axis`` (``reduce`` in sum/prod/mean/amax/amin, ``include_self``), with
    torch's gradients: mean divides by the count, prod by exclusive products (zeros handled exactly),
    amax/amin split evenly among the values equal to the result."""

    @staticmethod
    def forward(ctx, a, index, src, axis, reduce, include_self):
        grid = _grid(index, axis)
        src = np.asarray(src, dtype=a.dtype)
        src = np.broadcast_to(src, index.shape) if src.ndim == 0 else src[tuple(slice(0, n) for n in index.shape)]
        out = np.array(a, copy=True)
        hit = np.zeros(a.shape, dtype=np.int64)
        np.add.at(hit, grid, 1)
        touched = hit > 0
        if not include_self:
            out[touched] = _identity(reduce, a.dtype)
        _SCATTER_UFUNC[reduce].at(out, grid, src)
        count = hit + (1 if include_self else 0)
        if reduce == "mean":
            n = np.where(touched, count, 1).astype(out.dtype)
            out = out / n if out.dtype.kind == "f" else out // n
        ctx.save_for_backward(a, src, out)
        ctx.grid, ctx.touched, ctx.count = grid, touched, count
        ctx.reduce, ctx.include_self, ctx.src_shape = reduce, include_self, np.shape(src)
        return out

    @staticmethod
    def backward(ctx, g):
        a, src, out = ctx.saved_tensors
        grid, touched, reduce = ctx.grid, ctx.touched, ctx.reduce
        keep_self = ctx.include_self
        with np.errstate(divide="ignore", invalid="ignore"):
            if reduce in ("sum", "mean"):
                gt = g / np.where(touched, ctx.count, 1) if reduce == "mean" else g
                ga, gs = np.array(gt, dtype=g.dtype), np.asarray(gt[grid])
            elif reduce == "prod":
                # d out / d v = product of the other values at v's target (exact with zeros)
                zeros = np.zeros(a.shape, np.int64)
                nz_prod = np.ones(a.shape, g.dtype)
                if keep_self:
                    zeros += touched & (a == 0)
                    nz_prod = np.where(touched & (a != 0), a, 1).astype(g.dtype)
                np.add.at(zeros, grid, (src == 0).astype(np.int64))
                np.multiply.at(nz_prod, grid, np.where(src == 0, 1, src).astype(g.dtype))

                def others(v, z, p):
                    return np.where(v != 0, np.where(z == 0, p / np.where(v != 0, v, 1), 0), np.where(z == 1, p, 0))

                ga = g * others(a, zeros, nz_prod)
                gs = g[grid] * others(src, zeros[grid], nz_prod[grid])
            else:  # amax / amin: evenly among the values equal to the result
                eq_src = (src == out[grid])
                n = np.zeros(a.shape, np.int64)
                np.add.at(n, grid, eq_src.astype(np.int64))
                eq_self = (a == out) if keep_self else np.zeros(a.shape, bool)
                n += touched & eq_self
                share = g / np.maximum(n, 1)
                ga = np.where(touched, np.where(eq_self, share, 0), g)
                gs = np.where(eq_src, share[grid], 0)
        ga = np.where(touched, ga if keep_self else 0, g)
        return ga.astype(g.dtype), None, np.asarray(gs, dtype=g.dtype).reshape(ctx.src_shape)


class IndexPutFn(Function):
    """``out = a.copy(); out[idx] = value`` (``Tensor.__setitem__`` on the tape)."""

    @staticmethod
    def forward(ctx, a, value, idx):
        ctx.idx = idx
        out = np.array(a, copy=True)
        out[idx] = value
        return out

    @staticmethod
    def backward(ctx, g):
        ga = g.copy()
        ga[ctx.idx] = 0
        return ga, np.asarray(g[ctx.idx])

    @staticmethod
    def graph_backward(ctx, inputs, g):
        keep = np.ones(g.shape, dtype=g._data.dtype)
        keep[ctx.idx] = 0
        return g * const(keep), IndexFn.apply(g, ctx.idx)


class MaskedFillFn(Function):
    @staticmethod
    def forward(ctx, a, mask, value):
        ctx.mask = mask
        return np.where(mask, np.asarray(value).astype(a.dtype), a)

    @staticmethod
    def backward(ctx, g):
        return np.where(ctx.mask, 0, g).astype(g.dtype), None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return where(const(ctx.mask), 0.0, g), None, None


class MaxMinBinaryFn(Function):
    """torch.maximum / minimum: ties split the gradient in half (torch's rule)."""

    @staticmethod
    def forward(ctx, a, b, is_max, dt):
        ctx.save_for_backward(a, b)
        ctx.is_max = is_max
        return (np.maximum if is_max else np.minimum)(a, b, dtype=dt)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        win = (a > b) if ctx.is_max else (a < b)
        w = np.where(a == b, f32(0.5), win.astype(g.dtype))
        return g * w, g * (1 - w)

    @staticmethod
    def graph_backward(ctx, inputs, g):
        a, b = ctx.saved_tensors
        win = (a > b) if ctx.is_max else (a < b)
        w = np.where(a == b, 0.5, win).astype(g._data.dtype)
        return g * const(w), g * const(1 - w)


class UnaryFn(Function):
    """Elementwise ``f`` with derivative ``df(x, out)``, both given by name in ``_UNARY``."""

    @staticmethod
    def forward(ctx, a, name):
        f, _ = _UNARY[name]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = f(a)
        ctx.save_for_backward(a, out)
        ctx.name = name
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        _, df = _UNARY[ctx.name]
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g * df(a, out)).astype(g.dtype, copy=False), None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        a = inputs[0]
        d = _UNARY_GRAPH.get(ctx.name)
        if d is None:  # piecewise constant (sign, floor, ...): zero gradient
            return g * 0.0, None
        return g * d(a), None


def _erf(a: np.ndarray) -> np.ndarray:
    try:
        from scipy.special import erf
    except ImportError:  # pragma: no cover - scipy is a test dependency
        import math

        erf = np.vectorize(math.erf, otypes=[a.dtype])
    return np.asarray(erf(a)).astype(a.dtype, copy=False)


def _sign(a: np.ndarray) -> np.ndarray:
    """torch's sign: -1, 0 or 1, and 0 for NaN (numpy's gives NaN; Rprop's step rule relies on torch's)."""
    out = np.sign(a)
    if out.dtype.kind == "f":
        out = np.where(out != out, out.dtype.type(0), out)
    return out


_UNARY = {
    "log1p": (np.log1p, lambda a, o: 1 / (1 + a)),
    "expm1": (np.expm1, lambda a, o: o + 1),
    "sin": (np.sin, lambda a, o: np.cos(a)),
    "cos": (np.cos, lambda a, o: -np.sin(a)),
    "tan": (np.tan, lambda a, o: 1 + o * o),
    "log2": (np.log2, lambda a, o: 1 / (a * np.log(a.dtype.type(2)))),
    "log10": (np.log10, lambda a, o: 1 / (a * np.log(a.dtype.type(10)))),
    "exp2": (np.exp2, lambda a, o: o * np.log(a.dtype.type(2))),
    "rsqrt": (lambda a: 1 / np.sqrt(a), lambda a, o: -0.5 * o * o * o),
    "reciprocal": (lambda a: 1 / a, lambda a, o: -o * o),
    "square": (np.square, lambda a, o: 2 * a),
    "erf": (_erf, lambda a, o: (2 / np.sqrt(np.pi)) * np.exp(-a * a)),
    "sign": (_sign, lambda a, o: np.zeros_like(a)),
    "floor": (np.floor, lambda a, o: np.zeros_like(a)),
    "ceil": (np.ceil, lambda a, o: np.zeros_like(a)),
    "round": (np.round, lambda a, o: np.zeros_like(a)),
    "trunc": (np.trunc, lambda a, o: np.zeros_like(a)),
    "asin": (np.arcsin, lambda a, o: 1 / np.sqrt(1 - a * a)),
    "acos": (np.arccos, lambda a, o: -1 / np.sqrt(1 - a * a)),
    "atan": (np.arctan, lambda a, o: 1 / (1 + a * a)),
    "sinh": (np.sinh, lambda a, o: np.cosh(a)),
    "cosh": (np.cosh, lambda a, o: np.sinh(a)),
}


# d/da of each _UNARY function as Tensor ops (differentiable again); the piecewise-constant ones are absent (0)
_LN2, _LN10 = float(np.log(2.0)), float(np.log(10.0))
_UNARY_GRAPH = {
    "log1p": lambda a: 1 / (1 + a),
    "expm1": lambda a: a.exp(),
    "sin": lambda a: a.cos(),
    "cos": lambda a: -a.sin(),
    "tan": lambda a: 1 + a.tan() ** 2,
    "log2": lambda a: 1 / (a * _LN2),
    "log10": lambda a: 1 / (a * _LN10),
    "exp2": lambda a: (a * _LN2).exp() * _LN2,
    "rsqrt": lambda a: -0.5 * a.rsqrt() ** 3,
    "reciprocal": lambda a: -1 / (a * a),
    "square": lambda a: 2 * a,
    "erf": lambda a: (2 / np.sqrt(np.pi)) * (-a * a).exp(),
    "asin": lambda a: (1 - a * a).rsqrt(),
    "acos": lambda a: -(1 - a * a).rsqrt(),
    "atan": lambda a: 1 / (1 + a * a),
    "sinh": lambda a: a.cosh(),
    "cosh": lambda a: a.sinh(),
}


class RemainderFn(Function):
    """Python's / torch's remainder (sign of the divisor): d/da = 1, d/db = -floor(a / b)."""

    @staticmethod
    def forward(ctx, a, b, dt):
        ctx.save_for_backward(a, b)
        return np.remainder(a, b, dtype=dt)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        nb = ctx.needs_input_grad[1]
        return g, (-g * np.floor_divide(a, b) if nb else None)

    @staticmethod
    def graph_backward(ctx, inputs, g):
        a, b = ctx.saved_tensors
        return g, (-g * const(np.floor_divide(a, b), g._data.dtype) if inputs[1] is not None else None)


class NormFn(Function):
    """Vector p-norm over ``axis`` (None: all elements); the gradient at a zero norm is 0 (torch's rule),
    and the inf-norm splits its gradient evenly among ties (as torch's amax)."""

    @staticmethod
    def forward(ctx, a, p, axis, keepdims):
        x = np.abs(a)
        if p == np.inf:
            out = np.max(x, axis=axis, keepdims=True)
        elif p == -np.inf:
            out = np.min(x, axis=axis, keepdims=True)
        elif p == 0:
            out = np.sum(x != 0, axis=axis, keepdims=True).astype(a.dtype)
        elif p == 1:
            out = np.sum(x, axis=axis, keepdims=True)
        elif p == 2:
            out = np.sqrt(np.sum(x * x, axis=axis, keepdims=True))
        else:
            out = np.sum(x**p, axis=axis, keepdims=True) ** (1.0 / p)
        out = np.asarray(out, dtype=a.dtype)
        ctx.save_for_backward(a, out)
        ctx.p, ctx.axis, ctx.keepdims = p, axis, keepdims
        if keepdims:
            return out
        return out.reshape(()) if axis is None else np.squeeze(out, axis=axis)

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        p = ctx.p
        g = np.reshape(g, out.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p in (np.inf, -np.inf):
                m = (np.abs(a) == out)
                r = np.sign(a) * m / np.maximum(m.sum(axis=ctx.axis, keepdims=True), 1)
            elif p == 0:
                r = np.zeros_like(a)
            elif p == 1:
                r = np.sign(a)
            elif p == 2:
                r = np.where(out == 0, 0, a / out)
            else:
                r = np.where(out == 0, 0, np.sign(a) * np.abs(a) ** (p - 1) / out ** (p - 1))
        return (g * r).astype(g.dtype), None, None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        a, out = ctx.saved_tensors
        ta, p = inputs[0], ctx.p
        g = g.reshape(out.shape)
        if p in (np.inf, -np.inf):
            m = np.abs(a) == out
            r = const(np.sign(a) * m / np.maximum(m.sum(axis=ctx.axis, keepdims=True), 1), g._data.dtype)
        elif p == 0:
            r = const(np.zeros(a.shape, g._data.dtype))
        elif p == 1:
            r = const(np.sign(a), g._data.dtype)
        else:
            zero = const(out == 0)
            n = where(zero, 1.0, NormFn.apply(ta, p, ctx.axis, True))
            r = ta / n if p == 2 else const(np.sign(a), g._data.dtype) * ta.abs() ** (p - 1) / n ** (p - 1)
            r = where(zero, 0.0, r)
        return g * r, None, None, None


class RepeatFn(Function):
    """torch's ``Tensor.repeat`` (numpy's tile)."""

    @staticmethod
    def forward(ctx, a, reps):
        a2 = a.reshape((1,) * (len(reps) - a.ndim) + a.shape)
        ctx.shape, ctx.shape2, ctx.reps = a.shape, a2.shape, reps
        return np.tile(a2, reps)

    @staticmethod
    def backward(ctx, g):
        inter = []
        for r, s in zip(ctx.reps, ctx.shape2):
            inter += [r, s]
        g = g.reshape(inter).sum(axis=tuple(range(0, len(inter), 2)))
        return g.reshape(ctx.shape), None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        inter = []
        for r, s in zip(ctx.reps, ctx.shape2):
            inter += [r, s]
        return g.reshape(inter).sum(dim=tuple(range(0, len(inter), 2))).reshape(ctx.shape), None


class CumsumFn(Function):
    @staticmethod
    def forward(ctx, a, axis, dt):
        ctx.axis = axis
        return np.cumsum(a, axis=axis, dtype=dt)

    @staticmethod
    def backward(ctx, g):
        ax = ctx.axis
        return np.flip(np.cumsum(np.flip(g, ax), axis=ax), ax), None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        ax = ctx.axis
        return g.flip(ax).cumsum(ax).flip(ax), None, None


class ProdFn(Function):
    @staticmethod
    def forward(ctx, a, axis, keepdims, dt):
        ctx.save_for_backward(a)
        ctx.axis, ctx.keepdims = axis, keepdims
        return np.asarray(np.prod(a, axis=axis, keepdims=keepdims, dtype=dt))

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        ax = None if a.ndim == 0 else ctx.axis  # (a 0-d input's dim 0 / -1 is the element itself, as torch)
        x = a.reshape(-1) if ax is None else a
        axx = 0 if ax is None else ax
        # product of all the other elements: exclusive prefix times exclusive suffix products (zeros-safe)
        ones = np.ones_like(np.take(x, [0], axis=axx))
        left = np.cumprod(np.concatenate([ones, np.take(x, range(x.shape[axx] - 1), axis=axx)], axis=axx), axis=axx)
        xr = np.flip(x, axx)
        right = np.flip(np.cumprod(np.concatenate([ones, np.take(xr, range(x.shape[axx] - 1), axis=axx)],
                                                  axis=axx), axis=axx), axx)
        others = (left * right).reshape(a.shape)
        if ax is not None and not ctx.keepdims:
            g = np.expand_dims(g, ax)
        return (g * others).astype(g.dtype), None, None, None


class LogSumExpFn(Function):
    @staticmethod
    def forward(ctx, a, axis, keepdims):
        m = np.max(a, axis=axis, keepdims=True, initial=-np.inf)  # (over nothing: -inf, as torch)
        m = np.where(np.isfinite(m), m, 0)
        with np.errstate(divide="ignore"):
            s = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
        ctx.save_for_backward(a, s)
        ctx.axis, ctx.keepdims = axis, keepdims
        return s if keepdims else np.squeeze(s, axis=axis)

    @staticmethod
    def backward(ctx, g):
        a, s = ctx.saved_tensors
        if not ctx.keepdims:
            g = np.expand_dims(g, ctx.axis)
        return (g * np.exp(a - s)).astype(g.dtype), None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        a = inputs[0]
        s = LogSumExpFn.apply(a, ctx.axis, True)
        if not ctx.keepdims:
            g = g.unsqueeze(ctx.axis)
        return g * (a - s).exp(), None, None


class TriMaskFn(Function):
    @staticmethod
    def forward(ctx, a, k, upper):
        ctx.k, ctx.upper = k, upper
        return (np.triu if upper else np.tril)(a, k)

    @staticmethod
    def backward(ctx, g):
        return (np.triu if ctx.upper else np.tril)(g, ctx.k), None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return TriMaskFn.apply(g, ctx.k, ctx.upper), None, None


def diag_offset(offset: int, rows: int, cols: int) -> int:
    """``offset`` clamped to ``[-rows, cols]``, which selects the same (possibly empty) diagonal of a
    ``rows x cols`` plane: numpy takes the offset as a C int and, beyond it, returns a wrong diagonal or
    crashes (``np.diagonal(a, -2**31)`` of a 4 x 6 matrix has 6 entries; ``np.diag`` segfaults)."""
    return max(-rows, min(offset, cols))


class DiagFn(Function):
    @staticmethod
    def forward(ctx, a, k):
        if a.ndim == 2:
            k = diag_offset(k, *a.shape)
        ctx.shape, ctx.k = a.shape, k
        return np.array(np.diag(a, k))

    @staticmethod
    def backward(ctx, g):
        if len(ctx.shape) == 1:
            return np.diag(g, ctx.k).copy(), None
        out = np.zeros(ctx.shape, g.dtype)
        n = g.shape[0]
        r = np.arange(n) + max(-ctx.k, 0)
        out[r, r + ctx.k] = g
        return out, None


class EinsumFn(Function):
    """numpy's einsum forward; each operand's gradient is an einsum of the output gradient with the other
    operands, written back through a (diagonal-aware) view for repeated subscripts."""

    @staticmethod
    def forward(ctx, eq, *arrays):
        ctx.eq = eq
        ctx.save_for_backward(*arrays)
        return np.asarray(np.einsum(eq, *arrays))

    @staticmethod
    def backward(ctx, g):
        arrays = ctx.saved_tensors
        ins, out = ctx.eq.split("->")
        subs = ins.split(",")
        grads = [None]
        for i, (s, a) in enumerate(zip(subs, arrays)):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            others = [(subs[j], arrays[j]) for j in range(len(arrays)) if j != i]
            avail = set(out).union(*[set(o) for o, _ in others])
            uniq = "".join(dict.fromkeys(s))
            tgt = "".join(c for c in uniq if c in avail)
            eq = ",".join([out] + [o for o, _ in others]) + "->" + tgt
            gt = np.einsum(eq, g, *[x for _, x in others])
            # broadcast over subscripts summed only inside this operand, in the order of ``uniq``
            sizes = {c: a.shape[k] for k, c in enumerate(s)}
            gt = np.einsum(f"{tgt}->{''.join(c for c in uniq if c in tgt)}", gt)
            shaped = gt.reshape([sizes[c] if c in tgt else 1 for c in uniq])
            full = np.broadcast_to(shaped, [sizes[c] for c in uniq])
            res = np.zeros(a.shape, dtype=np.result_type(g.dtype, a.dtype))
            view = np.einsum(f"{s}->{uniq}", res) if s != uniq else res
            view[...] = full
            grads.append(res)
        return tuple(grads)

    @staticmethod
    def graph_backward(ctx, inputs, g):
        arrays = ctx.saved_tensors
        ins, out = ctx.eq.split("->")
        subs = ins.split(",")
        tensors = [operand(inputs, i + 1, a) for i, a in enumerate(arrays)]
        grads = [None]
        for i, s in enumerate(subs):
            if inputs[i + 1] is None:
                grads.append(None)
                continue
            others = [(subs[j], tensors[j]) for j in range(len(subs)) if j != i]
            avail = set(out).union(*[set(o) for o, _ in others])
            if len(set(s)) != len(s) or not set(s) <= avail:
                raise _Unsupported("create_graph=True through einsum with a repeated subscript or one summed only "
                                   f"inside an operand ({ctx.eq!r}): not supported yet")
            eq = ",".join([out] + [o for o, _ in others]) + "->" + s
            grads.append(EinsumFn.apply(eq, g, *[t for _, t in others]))
        return tuple(grads)


class SelectFn(Function):
    """Returns the precomputed value ``v`` of ``a``; the gradient is ``g * w`` (e.g. split among ties)."""

    @staticmethod
    def forward(ctx, a, v, w):
        ctx.w = w
        return np.array(v)

    @staticmethod
    def backward(ctx, g):
        return (g * ctx.w).astype(g.dtype), None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return g * const(ctx.w, g._data.dtype), None, None


class UnfoldFn(Function):
    """torch's ``Tensor.unfold``: every window of ``size`` entries of ``axis`` taken each ``step``, the window
    as a new last axis; the gradient adds each window's gradient back (overlapping windows sum)."""

    @staticmethod
    def forward(ctx, a, axis, size, step):
        ctx.shape, ctx.axis, ctx.size, ctx.step = a.shape, axis, size, step
        w = np.lib.stride_tricks.sliding_window_view(a, size, axis=axis)
        return np.ascontiguousarray(w[(slice(None),) * axis + (slice(None, None, step),)])

    @staticmethod
    def backward(ctx, g):
        out = np.zeros(ctx.shape, dtype=g.dtype)
        n, lead = g.shape[ctx.axis], (slice(None),) * ctx.axis
        for k in range(ctx.size):  # windows never overlap themselves at a fixed offset k
            out[lead + (slice(k, k + ctx.step * (n - 1) + 1, ctx.step),)] += g[..., k]
        return out, None, None, None


def _col_slices(ki: int, kj: int, oh: int, ow: int, dil: tuple, stride: tuple) -> tuple:
    """The (row, col) slices of a padded image that kernel offset (ki, kj) covers over the oh x ow positions."""
    r0, c0 = ki * dil[0], kj * dil[1]
    return (slice(r0, r0 + stride[0] * (oh - 1) + 1, stride[0]), slice(c0, c0 + stride[1] * (ow - 1) + 1, stride[1]))


class FoldFn(Function):
    """torch's ``F.fold`` (col2im): columns ``(N, C, kh, kw, oh, ow)`` summed into the padded image
    ``(N, C, Hp, Wp)``; the gradient reads the same windows back (im2col)."""

    @staticmethod
    def forward(ctx, cols, hp, wp, dil, stride):
        n, c, kh, kw, oh, ow = cols.shape
        ctx.geo = (kh, kw, oh, ow, dil, stride)
        out = np.zeros((n, c, hp, wp), dtype=cols.dtype)
        for ki in range(kh):
            for kj in range(kw):
                out[(..., *_col_slices(ki, kj, oh, ow, dil, stride))] += cols[:, :, ki, kj]
        return out

    @staticmethod
    def backward(ctx, g):
        kh, kw, oh, ow, dil, stride = ctx.geo
        cols = np.empty(g.shape[:2] + (kh, kw, oh, ow), dtype=g.dtype)
        for ki in range(kh):
            for kj in range(kw):
                cols[:, :, ki, kj] = g[(..., *_col_slices(ki, kj, oh, ow, dil, stride))]
        return cols, None, None, None, None


# the nodes whose backward needs only shapes (and index objects): kept after a backward without retain_graph, so
# a shared view of a parameter (an expand built once, read by every step) can be traversed again, as in torch
_tape.register_shape_only(AddFn, SubFn, NegFn, SumFn, MeanFn, ReshapeFn, PermuteFn, ExpandFn, IndexFn, CatFn,
                          StackFn, CastFn, CloneFn, ContiguousFn, ViewFn)
