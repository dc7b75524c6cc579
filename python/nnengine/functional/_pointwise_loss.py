"""Elementwise losses on the pointwise_loss kernel family (cpp/kernels/pointwise_loss.h): ``mse_loss``,
``l1_loss``, ``binary_cross_entropy`` (and ``_with_logits``), ``smooth_l1_loss``, ``huber_loss``, ``kl_div``;
PyTorch's names, arguments and reductions."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .. import _core
from .._coerce import as_array, wrap_tensor
from .._higher_order import _Unsupported, const, where
from ..autograd import Function
from ..ops import mean_all
from ..tensor import Tensor
from ._loss import _REDUCTIONS, _legacy_reduction, _pair, _reduce, _reduction
from ._util import f32c, number

_F32 = np.dtype(np.float32)


class MSELossFn(Function):
    """``(x - y)^2`` and its reduction as ONE tape node, with the values and gradients of the glue ops it replaces
    (``d = x - y; (d * d).mean()``) bit for bit: float32 squares and gradients on the mse kernel pair of the
    pointwise_loss family (cpp/kernels/pointwise_loss.h, numpy's float32 operation order), float64 in numpy;
    the reduction is numpy's in the input's dtype, as ``Tensor.mean``/``sum``."""

    @staticmethod
    def forward(ctx, x, y, reduction):
        ctx.reduction = reduction
        if x.dtype == _F32 and y.dtype == _F32:
            x, y = f32c(x), f32c(y)
            ctx.save_for_backward(x, y)
            sq = _core.mse_forward(x, y)
        else:
            d = np.subtract(x, y, dtype=np.result_type(x, y))
            sq = np.multiply(d, d)
            ctx.save_for_backward(d)
        if reduction == "none":
            return sq
        if sq.size == 1:  # the sum (and mean) of one element is that element: skip numpy's reduction setup
            return sq.reshape(())
        if reduction == "mean":
            return mean_all(sq)
        return np.asarray(np.add.reduce(sq, axis=None, dtype=sq.dtype))

    @staticmethod
    def backward(ctx, g):
        saved = ctx.saved_tensors
        red = ctx.reduction
        n = max(saved[0].size, 1)
        # g is one value (a 0-d array) broadcast over d unless reduction='none'; for mean divided by the count in
        # g's dtype (Tensor.mean's backward)
        if len(saved) == 2:  # float32: the kernel
            x, y = saved
            if red == "none":
                g = f32c(g)
            else:
                v = _F32.type(g)
                g = np.array((v / _F32.type(n) if red == "mean" else v,), _F32)
            gd = _core.mse_backward(x, y, g)
        else:
            (d,) = saved
            if red == "mean":
                g = (g / np.float32(n)).astype(g.dtype)[()]
            elif red == "sum":
                g = g[()]
            t = g * d  # d(d*d)/dd, once per factor (the tape adds the two)
            gd = t + t
        return gd, (-gd if ctx.needs_input_grad[1] else None), None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        saved = ctx.saved_tensors
        x = inputs[0] if inputs[0] is not None else const(saved[0] if len(saved) == 2 else None)
        y = inputs[1] if inputs[1] is not None else const(saved[1] if len(saved) == 2 else
                                                          np.asarray(x._data) - saved[0])
        gd = 2.0 * (x - y) * _graph_elem(g, x._data.size, ctx.reduction)
        return gd, -gd, None


def mse_loss(input: Tensor, target: Any, reduction: str = "mean", *, size_average: Any = None,
             reduce: Any = None) -> Tensor:
    """Mean squared error. Example: ``F.mse_loss(pred, y)``.

    Example:
        >>> F.mse_loss(ne.tensor([1.0, 2.0]), ne.tensor([0.0, 0.0]))
        tensor(2.5)
    """
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction))
    x, y = _pair(input, target)
    return MSELossFn.apply(x, y, reduction)


def l1_loss(input: Tensor, target: Any, reduction: str = "mean", *, size_average: Any = None,
            reduce: Any = None) -> Tensor:
    """Mean absolute error.

    Example:
        >>> F.l1_loss(ne.tensor([1.0, 2.0]), ne.tensor([0.0, 0.0]))
        tensor(1.5)
    """
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction))
    x, y = _pair(input, target)
    return _reduce((x - y).abs(), reduction)


def _reduce_elems(out: np.ndarray, reduction: str) -> np.ndarray:
    """The forward reduction of an elementwise loss: the sum in float64, divided by the count for mean (one
    element: the element itself, which is what that sum and division give, without numpy's reduction setup)."""
    if reduction == "none":
        return out
    if out.size == 1:
        return out.reshape(())
    s = out.sum(dtype=np.float64)
    if reduction == "mean":
        s = s / out.size if out.size else np.nan
    return np.asarray(s, out.dtype)


def _elem_grad(g: Any, n: int, reduction: str, dtype: Any = np.float32) -> np.ndarray:
    """The incoming gradient of an elementwise loss per element: one value (broadcast) unless reduction='none';
    for mean, divided by the count in float64 and rounded once to ``dtype``."""
    if reduction == "none":
        return np.ascontiguousarray(g, dtype)
    v = np.asarray(g).item()
    return np.array((v / n if reduction == "mean" and n else v,), dtype)


def _graph_elem(g: Tensor, n: int, reduction: str) -> Tensor:
    """``_elem_grad`` as a Tensor (recorded): the incoming gradient per element of an elementwise loss."""
    return g / float(n) if reduction == "mean" and n else g


def _bce64(x: np.ndarray, t: np.ndarray, w: Any, pw: Any, logits: bool) -> np.ndarray:
    """The float64 twin of the bce kernels' forward (cpp/kernels/pointwise_loss.h)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if logits:
            lw = 1.0 if pw is None else 1.0 + (pw - 1.0) * t
            out = (1 - t) * x - lw * _log_sigmoid64(x)
        else:
            out = (t - 1) * np.maximum(np.log1p(-x), -100.0) - t * np.maximum(np.log(x), -100.0)
    return out if w is None else out * w


def _log_sigmoid64(z: np.ndarray) -> np.ndarray:
    return np.minimum(z, 0) - np.log1p(np.exp(-np.abs(z)))


def _bce64_backward(x: np.ndarray, t: np.ndarray, g: np.ndarray, w: Any, pw: Any, logits: bool) -> tuple:
    """The float64 twin of the bce kernels' backward: (d input, d target)."""
    gw = g if w is None else g * w
    with np.errstate(divide="ignore", invalid="ignore"):
        if logits:
            s = 1.0 / (1.0 + np.exp(-x))
            if pw is None:
                return (s - t) * gw, -x * gw
            pt = pw * t
            return ((pt + 1 - t) * s - pt) * gw, (_log_sigmoid64(-x) - pw * _log_sigmoid64(x)) * gw
        lp, l1p = np.maximum(np.log(x), -100.0), np.maximum(np.log1p(-x), -100.0)
        return (x - t) / np.maximum((1 - x) * x, 1e-12) * gw, (l1p - lp) * gw


class BCEFn(Function):
    """Binary cross-entropy of probabilities (``logits=False``) or logits (with ``pos_weight``), its weight and
    reduction as one tape node on the bce kernel pair (cpp/kernels/pointwise_loss.h); float64 in numpy."""

    @staticmethod
    def forward(ctx, x, t, w, pw, logits, reduction):
        if x.dtype == np.float64:
            t = np.asarray(t, np.float64)
            out = _bce64(x, t, w, pw, logits)
        else:
            x, t = f32c(x), f32c(t)
            out = _core.bce_forward(x, t, w, pw, logits)
        ctx.save_for_backward(x, t)
        ctx.args = (w, pw, logits, reduction)
        return _reduce_elems(out, reduction)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        w, pw, logits, reduction = ctx.args
        g = _elem_grad(g, x.size, reduction, x.dtype)
        want_t = bool(ctx.needs_input_grad[1])
        if x.dtype == np.float64:
            dx, dt = _bce64_backward(x, t, g, w, pw, logits)
        else:
            dx, dt = _core.bce_backward(x, t, g, w, pw, logits, want_t)
        return dx, (dt if want_t else None), None, None, None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        x, t = ctx.saved_tensors
        w, pw, logits, reduction = ctx.args
        if inputs[1] is not None and inputs[1].requires_grad:
            raise _Unsupported("create_graph=True through binary cross-entropy with a target that requires grad: "
                               "not supported yet")
        tx, tt = inputs[0], const(t)
        if logits:
            s = tx.sigmoid()
            d = s - tt if pw is None else s * (1 - tt + const(pw) * tt) - const(pw) * tt
        else:  # torch: (x - t) / max(x (1 - x), 1e-12)
            d = (tx - tt) / (tx * (1 - tx)).clamp(min=1e-12)
        if w is not None:
            d = d * const(w)
        return d * _graph_elem(g, x.size, reduction), None, None, None, None, None


def _bce_operand(v: Any, x: Tensor, name: str) -> Optional[np.ndarray]:
    """weight / pos_weight broadcast to the input's shape, in its float dtype (None stays None)."""
    if v is None:
        return None
    a = np.asarray(as_array(v), dtype=x._data.dtype)
    try:
        a = np.broadcast_to(a, x.shape)
    except ValueError:
        raise ValueError(f"{name}: expected a shape that broadcasts to {x.shape}, got {a.shape}") from None
    return a if x._data.dtype == np.float64 else f32c(a)


def binary_cross_entropy(input: Tensor, target: Any, weight: Optional[Any] = None, reduction: str = "mean", *,
                         size_average: Any = None, reduce: Any = None) -> Tensor:
    """BCE of probabilities in [0, 1] (log terms clamped at -100, as PyTorch).

    Example:
        >>> F.binary_cross_entropy(ne.tensor([0.5, 0.5]), ne.tensor([1.0, 0.0]))
        tensor(0.6931)
    """
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction))
    x, y = _pair(input, target)
    if x._data.size and (np.nanmin(x._data) < 0 or np.nanmax(x._data) > 1):
        raise ValueError("input: expected probabilities in [0, 1] (use binary_cross_entropy_with_logits for logits)")
    return BCEFn.apply(x, y, _bce_operand(weight, x, "weight"), None, False, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Optional[Any] = None,
                                     reduction: str = "mean", pos_weight: Optional[Any] = None, *,
                                     size_average: Any = None, reduce: Any = None) -> Tensor:
    """BCE on logits, numerically stable (sigmoid folded in).

    Example:
        >>> F.binary_cross_entropy_with_logits(ne.tensor([0.0, 0.0]), ne.tensor([1.0, 0.0]))
        tensor(0.6931)
    """
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction))
    x, y = _pair(input, target)
    return BCEFn.apply(x, y, _bce_operand(weight, x, "weight"), _bce_operand(pos_weight, x, "pos_weight"), True,
                       reduction)


_SMOOTH_L1, _HUBER = "smooth_l1", "huber"  # the kinds of cpp/kernels/pointwise_loss.h, by name


class PointLossFn(Function):
    """Elementwise smooth-L1 / Huber loss on the pointwise_loss kernel pair, reduced in float64."""

    @staticmethod
    def forward(ctx, x, y, kind, beta, reduction):
        x, y = f32c(x), f32c(y)
        out = _core.pointwise_loss_forward(x, y, kind, beta)
        ctx.save_for_backward(x, y)
        ctx.args = (kind, beta, reduction)
        return _reduce_elems(out, reduction)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        kind, beta, reduction = ctx.args
        dx = _core.pointwise_loss_backward(x, y, _elem_grad(g, x.size, reduction), kind, beta)
        nx, ny = ctx.needs_input_grad[:2]
        return (dx if nx else None), (-dx if ny else None), None, None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        x, y = ctx.saved_tensors
        kind, beta, reduction = ctx.args
        tx = inputs[0] if inputs[0] is not None else const(x)
        ty = inputs[1] if inputs[1] is not None else const(y)
        d = tx - ty
        inner = const(np.abs(x - y) < beta)
        sign = const(np.sign(x - y), x.dtype)
        if beta == 0:
            slope = sign
        else:
            slope = where(inner, d / beta, sign) if kind == _SMOOTH_L1 else where(inner, d, sign * beta)
        gd = slope * _graph_elem(g, x.size, reduction)
        return gd, -gd, None, None, None


def _positive(v: Any, name: str, allow_zero: bool) -> float:
    v = number(v, name)
    if not (v >= 0 if allow_zero else v > 0) or v == float("inf"):
        raise ValueError(f"{name}: expected a finite value {'>=' if allow_zero else '>'} 0, got {v}")
    return v


def smooth_l1_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target); beta = 0 is L1,
    as PyTorch's ``F.smooth_l1_loss``. One fused kernel pair.

    Example:
        >>> F.smooth_l1_loss(ne.tensor([0.0, 3.0]), ne.tensor([0.25, 0.0]), reduction="none", beta=0.5)
        tensor([0.0625, 2.75  ])
    """
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction))
    beta = _positive(beta, "beta", True)
    if beta == 0.0:
        return l1_loss(input, target, reduction)
    x, y = _pair(input, target, float64=False)  # a float32 kernel
    return PointLossFn.apply(x, y, _SMOOTH_L1, beta, reduction)


def huber_loss(input: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0,
               weight: Optional[Any] = None) -> Tensor:
    """Huber: 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), as PyTorch's ``F.huber_loss``
    (``weight`` multiplies the elementwise loss before the reduction). One fused kernel pair.

    Example:
        >>> F.huber_loss(ne.tensor([0.0, 3.0]), ne.tensor([1.0, 0.0]), reduction="none", delta=2.0)
        tensor([0.5, 4. ])
    """
    reduction = _reduction(reduction)
    delta = _positive(delta, "delta", False)
    x, y = _pair(input, target, float64=False)  # a float32 kernel
    if weight is None:
        return PointLossFn.apply(x, y, _HUBER, delta, reduction)
    per = PointLossFn.apply(x, y, _HUBER, delta, "none") * wrap_tensor(weight)
    return _reduce(per, reduction)


class KLDivFn(Function):
    """Kullback-Leibler divergence and its reduction as one tape node on the kl kernel pair of the pointwise_loss
    family (cpp/kernels/pointwise_loss.h); ``reduction`` 'batchmean' divides the sum by the batch size."""

    @staticmethod
    def forward(ctx, x, t, log_target, reduction):
        x, t = f32c(x), f32c(t)
        out = _core.kl_div_forward(x, t, log_target)
        ctx.save_for_backward(x, t)
        ctx.args = (log_target, reduction)
        if reduction != "batchmean":
            return _reduce_elems(out, reduction)
        s = out.sum(dtype=np.float64) / _batch(x.shape)
        return np.asarray(s, np.float32)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        log_target, reduction = ctx.args
        if reduction == "batchmean":
            g = _elem_grad(g, _batch(x.shape), "mean")
        else:
            g = _elem_grad(g, x.size, reduction)
        want_t = bool(ctx.needs_input_grad[1])
        dx, dt = _core.kl_div_backward(x, t, g, log_target, want_t)
        return dx, dt, None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        x, t = ctx.saved_tensors
        log_target, reduction = ctx.args
        n = _batch(x.shape) if reduction == "batchmean" else x.size
        ge = _graph_elem(g, n, "mean" if reduction == "batchmean" else reduction)
        tx = inputs[0] if inputs[0] is not None else const(x)
        tt = inputs[1] if inputs[1] is not None else const(t)
        if log_target:
            et = tt.exp()
            return -et * ge, et * (tt - tx + 1) * ge, None, None
        return -tt * ge, (tt.log() + 1 - tx) * ge, None, None


def _batch(shape: tuple) -> float:
    """'batchmean''s divisor: the size of the first dimension (1 for a 0-d input), NaN when it is 0."""
    n = shape[0] if shape else 1
    return float(n) if n else float("nan")


def kl_div(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence with ``input`` log-probabilities: xlogy(target, target) - target * input (so
    0 log 0 = 0), or exp(target) * (target - input) when ``log_target``; reductions 'none', 'sum', 'mean' (over all
    elements) and 'batchmean' (the sum over the batch size, the true KL mean), as PyTorch's ``F.kl_div``.
    One fused kernel pair.

    Example:
        >>> p = ne.tensor([[0.5, 0.5]])
        >>> abs(F.kl_div(p.log(), p, reduction="batchmean").item()) < 1e-6  # KL(p || p) = 0
        True
    """
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"reduction: expected one of {_REDUCTIONS + ('batchmean',)}, got {reduction!r}")
    x, y = _pair(input, target, float64=False)  # a float32 kernel
    return KLDivFn.apply(x, y, bool(log_target), reduction)
