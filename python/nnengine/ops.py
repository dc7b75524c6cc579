"""Differentiable numpy glue ops behind Tensor arithmetic (cheap ops; the heavy ones are C++ kernels)."""

from __future__ import annotations

import numpy as np

from .autograd import Function

f32 = np.float32


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        return np.add(a, b, dtype=f32)

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        return np.subtract(a, b, dtype=f32)

    @staticmethod
    def backward(ctx, g):
        return g, -g


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.multiply(a, b, dtype=f32)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        return (g * b if na else None), (g * a if nb else None)


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.divide(a, b, dtype=f32)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        return (g / b if na else None), (-g * a / (b * b) if nb else None)


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return np.negative(a)

    @staticmethod
    def backward(ctx, g):
        return -g


class Pow(Function):
    @staticmethod
    def forward(ctx, a, b):
        out = np.power(a, b, dtype=f32)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = gb = None
        if na:
            ga = g * b * np.power(a, b - 1, dtype=f32)
        if nb:
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = g * out * np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0).astype(f32)
        return ga, gb


class Exp(Function):
    @staticmethod
    def forward(ctx, a):
        out = np.exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


class Log(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.log(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / a


class Sqrt(Function):
    @staticmethod
    def forward(ctx, a):
        out = np.sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (2 * out)


class Abs(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * np.sign(a)


class Clamp(Function):
    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        return np.clip(a, lo, hi).astype(f32, copy=False)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        m = np.ones(a.shape, dtype=bool)
        if ctx.lo is not None:
            m &= a >= ctx.lo
        if ctx.hi is not None:
            m &= a <= ctx.hi
        return g * m


class MatMul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        from .functional._linear import matmul_arrays

        return matmul_arrays(a, b)

    @staticmethod
    def backward(ctx, g):
        from .functional._linear import matmul_arrays

        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
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
        if na:
            ga = matmul_arrays(g2, np.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                ga = ga.reshape(-1, a.shape[0]).sum(0)
        if nb:
            gb = matmul_arrays(np.swapaxes(a2, -1, -2), g2)
            if b.ndim == 1:
                gb = gb.reshape(-1, b.shape[0]).sum(0)
        return ga, gb


class Sum(Function):
    @staticmethod
    def forward(ctx, a, axis, keepdims):
        ctx.shape, ctx.axis, ctx.keepdims = a.shape, axis, keepdims
        return np.asarray(np.sum(a, axis=axis, keepdims=keepdims, dtype=f32))

    @staticmethod
    def backward(ctx, g):
        if ctx.axis is not None and not ctx.keepdims:
            g = np.expand_dims(g, ctx.axis)
        return np.broadcast_to(g, ctx.shape).astype(f32)


class Mean(Function):
    @staticmethod
    def forward(ctx, a, axis, keepdims):
        ctx.shape, ctx.axis, ctx.keepdims = a.shape, axis, keepdims
        n = a.size if axis is None else int(np.prod([a.shape[i] for i in np.atleast_1d(axis)]))
        ctx.n = max(n, 1)
        return np.asarray(np.mean(a, axis=axis, keepdims=keepdims, dtype=f32))

    @staticmethod
    def backward(ctx, g):
        if ctx.axis is not None and not ctx.keepdims:
            g = np.expand_dims(g, ctx.axis)
        return (np.broadcast_to(g, ctx.shape) / f32(ctx.n)).astype(f32)


class Var(Function):
    @staticmethod
    def forward(ctx, a, axis, keepdims, correction):
        mean = np.mean(a, axis=axis, keepdims=True, dtype=f32)
        n = a.size if axis is None else int(np.prod([a.shape[i] for i in np.atleast_1d(axis)]))
        ctx.save_for_backward(a - mean)
        ctx.axis, ctx.keepdims, ctx.denom = axis, keepdims, max(n - correction, 1)
        return np.asarray(np.var(a, axis=axis, keepdims=keepdims, ddof=correction, dtype=f32))

    @staticmethod
    def backward(ctx, g):
        (d,) = ctx.saved_tensors
        if ctx.axis is not None and not ctx.keepdims:
            g = np.expand_dims(g, ctx.axis)
        return (2.0 * d * g / ctx.denom).astype(f32)


class MaxMin(Function):
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
        return (w * g).astype(f32)


class Reshape(Function):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape)


class Permute(Function):
    @staticmethod
    def forward(ctx, a, axes):
        ctx.axes = axes
        return np.transpose(a, axes)

    @staticmethod
    def backward(ctx, g):
        return np.transpose(g, np.argsort(ctx.axes))


class Expand(Function):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return np.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, g):
        from .autograd import _unbroadcast

        return _unbroadcast(g, ctx.shape)


class Index(Function):
    @staticmethod
    def forward(ctx, a, idx):
        ctx.shape, ctx.idx = a.shape, idx
        return np.asarray(a[idx])

    @staticmethod
    def backward(ctx, g):
        out = np.zeros(ctx.shape, dtype=f32)
        from .tensor import _is_basic_index

        if _is_basic_index(ctx.idx):
            out[ctx.idx] = g  # basic indexing never repeats an element
        else:
            np.add.at(out, ctx.idx, g)
        return out


class Cat(Function):
    @staticmethod
    def forward(ctx, axis, *arrays):
        ctx.axis = axis
        ctx.sizes = [a.shape[axis] for a in arrays]
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, g):
        splits = np.cumsum(ctx.sizes)[:-1]
        return (None, *np.split(g, splits, axis=ctx.axis))


class Stack(Function):
    @staticmethod
    def forward(ctx, axis, *arrays):
        ctx.axis = axis
        return np.stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx, g):
        return (None, *[np.take(g, i, axis=ctx.axis) for i in range(g.shape[ctx.axis])])


class Where(Function):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        return np.where(cond, a, b).astype(f32, copy=False)

    @staticmethod
    def backward(ctx, g):
        return None, np.where(ctx.cond, g, 0).astype(f32), np.where(ctx.cond, 0, g).astype(f32)
