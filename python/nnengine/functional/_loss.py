"""Losses (PyTorch's names, arguments and reductions); cross_entropy is one fused C++ kernel pair."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .. import _core
from ..autograd import Function
from ..ops import mean_all
from ..tensor import Tensor
from ._softmax import log_softmax
from ._util import check_tensor, f32c

_F32 = np.dtype(np.float32)

_REDUCTIONS = ("mean", "sum", "none")


def _reduction(r: Any) -> str:
    if r not in _REDUCTIONS:
        raise ValueError(f"reduction: expected one of {_REDUCTIONS}, got {r!r}")
    return r


def _class_targets(target: Any, name: str = "target") -> np.ndarray:
    """Integer class indices from a numpy array, list or Tensor (float tensors with integral values are accepted)."""
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind in "iu":
        return np.ascontiguousarray(t, dtype=np.int64)
    if t.dtype.kind == "f":
        ti = t.astype(np.int64)
        if not np.array_equal(ti, t):
            raise ValueError(f"{name}: expected integer class indices, got non-integral values")
        return np.ascontiguousarray(ti)
    raise TypeError(f"{name}: expected integer class indices, got dtype {t.dtype}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


class CrossEntropyFn(Function):
    """Fused log-softmax + NLL over (rows, classes) logits with per-row scaling in backward."""

    @staticmethod
    def forward(ctx, x, target, row_weight, ignore_index, reduction):
        x = f32c(x)
        loss_rows, lse = _core.cross_entropy_forward(x, target, ignore_index)
        loss_rows = loss_rows * row_weight
        ctx.save_for_backward(x, lse, target, row_weight)
        ctx.ignore_index, ctx.reduction = ignore_index, reduction
        if reduction == "none":
            return loss_rows
        if reduction == "sum":
            return np.asarray(loss_rows.sum(dtype=np.float64), dtype=np.float32)
        denom = float(row_weight.sum(dtype=np.float64))
        ctx.denom = denom
        return np.asarray(loss_rows.sum(dtype=np.float64) / denom if denom > 0 else np.nan, dtype=np.float32)

    @staticmethod
    def backward(ctx, g):
        x, lse, target, row_weight = ctx.saved_tensors
        if ctx.reduction == "none":
            scale = f32c(row_weight * g)
        elif ctx.reduction == "sum":
            scale = f32c(row_weight * np.float32(g))
        else:
            scale = f32c(row_weight * (np.float32(g) / np.float32(ctx.denom if ctx.denom > 0 else 1.0)))
        return _core.cross_entropy_backward(x, lse, target, scale, ctx.ignore_index), None, None, None, None


def _classes_last(x: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N*d1*..., C)."""
    if x.ndim <= 2:
        return x
    perm = (0,) + tuple(range(2, x.ndim)) + (1,)
    return x.permute(*perm).reshape(-1, x.shape[1])


def cross_entropy(input: Tensor, target: Any, weight: Optional[Any] = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits ``(N, C)`` (or ``(N, C, d...)``, or unbatched ``(C,)``).

    ``target`` holds class indices (numpy array, list or Tensor) or class probabilities shaped like input.

    Example:
        >>> logits, labels = ne.tensor([[0.0, 0.0], [2.0, 0.0]]), ne.tensor([1, 0])
        >>> F.cross_entropy(logits, labels, reduction="none")
        tensor([0.6931, 0.1269])
    """
    x = check_tensor(input, "input")
    reduction = _reduction(reduction)
    ignore_index = _ignore_index(ignore_index)
    if not 0.0 <= float(label_smoothing) <= 1.0:
        raise ValueError(f"label_smoothing: expected a value in [0, 1], got {label_smoothing}")
    if x.ndim == 0:
        raise ValueError("input: expected at least 1 dimension (C,), got a 0-d tensor")
    unbatched = x.ndim == 1
    if unbatched:
        x = x.reshape(1, -1)
    C = x.shape[1]
    if C == 0:
        raise ValueError(f"input: expected at least one class (dimension 1), got shape {x.shape}")
    w = None
    if weight is not None:
        w = np.asarray(weight.data if isinstance(weight, Tensor) else weight, dtype=np.float32)
        if w.shape != (C,):
            raise ValueError(f"weight: expected shape ({C},), got {w.shape}")
    tarr = target.data if isinstance(target, Tensor) else np.asarray(target)
    # probability targets
    if tarr.dtype.kind == "f" and tarr.shape == (x.shape if not unbatched else x.shape[1:]) and tarr.ndim >= 1 and (
            not unbatched or tarr.shape == (C,)):
        tp = Tensor(tarr.reshape(x.shape).astype(np.float32))
        if label_smoothing > 0:
            tp = tp * (1 - label_smoothing) + label_smoothing / C
        logp = log_softmax(x, 1)
        wt = tp if w is None else tp * Tensor(w.reshape((1, C) + (1,) * (x.ndim - 2)))
        per = -(wt * logp).sum(dim=1)
        if reduction == "mean":
            return per.sum() / float(np.prod(per.shape) if per.ndim else 1)
        out = _reduce(per, reduction)
        return out.reshape(()) if unbatched and reduction == "none" else out
    t = _class_targets(target)
    if unbatched:
        t = t.reshape(1)
    if t.shape != (x.shape[0],) + x.shape[2:]:
        raise ValueError(f"target: expected shape {(x.shape[0],) + x.shape[2:]} for input {x.shape}, got {t.shape}")
    out_shape = t.shape
    x2 = _classes_last(x)
    t2 = np.ascontiguousarray(t.reshape(-1))
    valid = t2 != ignore_index
    bad = valid & ((t2 < 0) | (t2 >= C))
    if bad.any():
        raise ValueError(f"target: expected class indices in [0, {C}) or ignore_index={ignore_index}, "
                         f"got {int(t2[bad][0])}")
    row_w = np.where(valid, 1.0, 0.0).astype(np.float32) if w is None else np.where(valid, w[np.clip(t2, 0, C - 1)],
                                                                                  0.0).astype(np.float32)
    if label_smoothing > 0:
        ce = CrossEntropyFn.apply(x2, t2, row_w, int(ignore_index), "none")
        logp = log_softmax(x2, 1)
        wl = logp if w is None else logp * Tensor(w)
        smooth = -(wl.sum(dim=1)) * Tensor(valid.astype(np.float32) / C)
        per = ce * (1 - label_smoothing) + smooth * label_smoothing
        if reduction == "mean":
            loss = per.sum() / float(row_w.sum())
        elif reduction == "sum":
            loss = per.sum()
        else:
            loss = per.reshape(out_shape)
    else:
        loss = CrossEntropyFn.apply(x2, t2, row_w, int(ignore_index), reduction)
        if reduction == "none":
            loss = loss.reshape(out_shape)
    if unbatched and reduction == "none":
        loss = loss.reshape(())
    return loss


class NLLFn(Function):
    """Negative log-likelihood with class weights, ignore_index and the reduction as one tape node on the nll
    kernel pair (cpp/kernels/softmax_loss.h); input (N, C, d...) is read in place (no transpose)."""

    @staticmethod
    def forward(ctx, x, t, weight, ignore_index, reduction):
        x = f32c(x)
        loss, row_w = _core.nll_forward(x, t, weight, ignore_index)
        ctx.save_for_backward(x, t)
        ctx.args = (weight, ignore_index, reduction)
        if reduction == "none":
            return loss
        total = loss.sum(dtype=np.float64)
        if reduction == "mean":
            ctx.denom = float(row_w.sum(dtype=np.float64))
            total = total / ctx.denom if ctx.denom else np.nan  # torch: nan when every row is ignored / weight 0
        return np.asarray(total, np.float32)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        weight, ignore_index, reduction = ctx.args
        if reduction == "none":
            g = f32c(np.asarray(g).reshape(-1))
        else:
            g = np.asarray(g, np.float64).reshape(1) / (ctx.denom if reduction == "mean" and ctx.denom else 1.0)
            g = g.astype(np.float32)
        return _core.nll_backward(x, t, g, weight, ignore_index), None, None, None, None


def _ignore_index(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"ignore_index: expected an int, got {type(v).__name__}")
    return int(v)


def nll_loss(input: Tensor, target: Any, weight: Optional[Any] = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities ``(N, C)`` (or ``(N, C, d...)``).

    Example:
        >>> F.nll_loss(F.log_softmax(ne.tensor([[0.0, 0.0]]), 1), ne.tensor([1]))
        tensor(0.6931)
    """
    x = check_tensor(input, "input")
    reduction = _reduction(reduction)
    ignore_index = _ignore_index(ignore_index)
    unbatched = x.ndim == 1
    if unbatched:
        x = x.reshape(1, -1)
    if x.ndim < 2:
        raise ValueError(f"input: expected (N, C), got shape {x.shape}")
    if x.shape[1] == 0:
        raise ValueError(f"input: expected at least one class (dimension 1), got shape {x.shape}")
    t = _class_targets(target)
    if unbatched:
        t = t.reshape(1)
    if t.shape != (x.shape[0],) + x.shape[2:]:
        raise ValueError(f"target: expected shape {(x.shape[0],) + x.shape[2:]} for input {x.shape}, got {t.shape}")
    w = None
    if weight is not None:  # the binding checks its shape and the targets
        w = f32c(np.asarray(weight.data if isinstance(weight, Tensor) else weight))
    per = NLLFn.apply(x, np.ascontiguousarray(t.reshape(-1), np.int64), w, ignore_index, reduction)
    if reduction != "none":
        return per
    return per.reshape(()) if unbatched else per.reshape(t.shape)


def _pair(input: Any, target: Any, float64: bool = True) -> tuple:
    """(input, target) as Tensors of one shape; float64 input passes where the loss computes in float64."""
    x = check_tensor(input, "input", float64=float64)
    y = target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=x.data.dtype))
    if x.shape != y.shape:
        raise ValueError(f"target: expected shape {x.shape} (as input), got {y.shape}")
    return x, y


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


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error. Example: ``F.mse_loss(pred, y)``.

    Example:
        >>> F.mse_loss(ne.tensor([1.0, 2.0]), ne.tensor([0.0, 0.0]))
        tensor(2.5)
    """
    reduction = _reduction(reduction)
    x, y = _pair(input, target)
    return MSELossFn.apply(x, y, reduction)


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error.

    Example:
        >>> F.l1_loss(ne.tensor([1.0, 2.0]), ne.tensor([0.0, 0.0]))
        tensor(1.5)
    """
    reduction = _reduction(reduction)
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


def _bce_operand(v: Any, x: Tensor, name: str) -> Optional[np.ndarray]:
    """weight / pos_weight broadcast to the input's shape, in its float dtype (None stays None)."""
    if v is None:
        return None
    a = np.asarray(v.data if isinstance(v, Tensor) else v, dtype=x.data.dtype)
    try:
        a = np.broadcast_to(a, x.shape)
    except ValueError:
        raise ValueError(f"{name}: expected a shape that broadcasts to {x.shape}, got {a.shape}") from None
    return a if x.data.dtype == np.float64 else f32c(a)


def binary_cross_entropy(input: Tensor, target: Any, weight: Optional[Any] = None, reduction: str = "mean") -> Tensor:
    """BCE of probabilities in [0, 1] (log terms clamped at -100, as PyTorch).

    Example:
        >>> F.binary_cross_entropy(ne.tensor([0.5, 0.5]), ne.tensor([1.0, 0.0]))
        tensor(0.6931)
    """
    reduction = _reduction(reduction)
    x, y = _pair(input, target)
    if x.data.size and (np.nanmin(x.data) < 0 or np.nanmax(x.data) > 1):
        raise ValueError("input: expected probabilities in [0, 1] (use binary_cross_entropy_with_logits for logits)")
    return BCEFn.apply(x, y, _bce_operand(weight, x, "weight"), None, False, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Optional[Any] = None,
                                     reduction: str = "mean", pos_weight: Optional[Any] = None) -> Tensor:
    """BCE on logits, numerically stable (sigmoid folded in).

    Example:
        >>> F.binary_cross_entropy_with_logits(ne.tensor([0.0, 0.0]), ne.tensor([1.0, 0.0]))
        tensor(0.6931)
    """
    reduction = _reduction(reduction)
    x, y = _pair(input, target)
    return BCEFn.apply(x, y, _bce_operand(weight, x, "weight"), _bce_operand(pos_weight, x, "pos_weight"), True,
                       reduction)


def _legacy_reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    """torch's deprecated ``size_average`` / ``reduce`` pair (None unless given) folded into ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    if reduce is not None and not reduce:
        return "none"
    return "sum" if size_average is not None and not size_average else "mean"


_SMOOTH_L1, _HUBER = 0, 1  # kinds of cpp/kernels/pointwise_loss.h


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


def _positive(v: Any, name: str, allow_zero: bool) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a number, got {type(v).__name__}")
    v = float(v)
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
    per = PointLossFn.apply(x, y, _HUBER, delta, "none") * (weight if isinstance(weight, Tensor) else Tensor(weight))
    return _reduce(per, reduction)


class KLDivFn(Function):
    @staticmethod
    def forward(ctx, x, t, log_target, reduction):
        x64, t64 = x.astype(np.float64), t.astype(np.float64)
        if log_target:
            per = np.exp(t64) * (t64 - x64)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                per = np.where(t64 == 0, 0.0, t64 * np.log(t64)) - t64 * x64  # xlogy(t, t) - t x
        ctx.save_for_backward(x64, t64)
        ctx.args = (log_target, reduction)
        if reduction == "none":
            return per.astype(np.float32)
        return np.asarray(per.sum() / _kl_denominator(x.shape, reduction), np.float32)

    @staticmethod
    def backward(ctx, g):
        x, t = ctx.saved_tensors
        log_target, reduction = ctx.args
        g = np.asarray(g, np.float64) / (1.0 if reduction == "none" else _kl_denominator(x.shape, reduction))
        et = np.exp(t) if log_target else t
        dx = -et * g
        with np.errstate(divide="ignore", invalid="ignore"):
            dt = et * (t - x + 1) * g if log_target else (np.log(t) + 1 - x) * g
        return dx.astype(np.float32), dt.astype(np.float32), None, None


def _kl_denominator(shape: tuple, reduction: str) -> float:
    if reduction == "sum":
        return 1.0
    n = int(np.prod(shape, dtype=np.int64)) if reduction == "mean" else (shape[0] if shape else 1)
    return float(n) if n else float("nan")


def kl_div(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence with ``input`` log-probabilities: target * (log target - input) (with
    0 log 0 = 0), or exp(target) * (target - input) when ``log_target``; reductions 'none', 'sum', 'mean'
    (over all elements) and 'batchmean' (the sum over the batch size, the true KL mean), as PyTorch's ``F.kl_div``.

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


def _pair_target(x1: Tensor, target: Any, shape: tuple, name: str = "target") -> np.ndarray:
    t = np.asarray(target.data if isinstance(target, Tensor) else target, dtype=np.float32)
    if t.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {t.shape}")
    return t


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Any, margin: float = 0.0, size_average: Any = None,
                          reduce: Any = None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where target is 1, max(0, cos(x1, x2) - margin) where it is -1 (cosine along the last
    dimension of (N, D) or (D,) inputs, with PyTorch's 1e-12 in each squared norm), as ``F.cosine_embedding_loss``.

    Example:
        >>> a, b = ne.tensor([[1.0, 0.0], [1.0, 0.0]]), ne.tensor([[1.0, 0.0], [0.0, 1.0]])
        >>> F.cosine_embedding_loss(a, b, ne.tensor([1.0, -1.0]))
        tensor(0.)
    """
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction))
    x1, x2 = _pair(input1, input2)
    if x1.ndim not in (1, 2):
        raise ValueError(f"input1: expected 1 or 2 dimensions (N, D), got shape {x1.shape}")
    t = _pair_target(x1, target, x1.shape[:-1])
    prod = (x1 * x2).sum(dim=-1)
    denom = (((x1 * x1).sum(dim=-1) + 1e-12) * ((x2 * x2).sum(dim=-1) + 1e-12)).sqrt()
    cos = prod / denom
    per = (1.0 - cos) * Tensor((t == 1).astype(np.float32)) + (cos - float(margin)).clamp(min=0.0) * Tensor(
        (t == -1).astype(np.float32))
    return _reduce(per, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Any, margin: float = 0.0, size_average: Any = None,
                        reduce: Any = None, reduction: str = "mean") -> Tensor:
    """max(0, -target * (input1 - input2) + margin), as PyTorch's ``F.margin_ranking_loss``.

    Example:
        >>> F.margin_ranking_loss(ne.tensor([1.0, 0.2]), ne.tensor([0.5, 0.5]), ne.ones(2), margin=0.5, reduction="none")
        tensor([0. , 0.8])
    """
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction))
    x1, x2 = _pair(input1, input2)
    t = _pair_target(x1, target, x1.shape)
    return _reduce((-(Tensor(t) * (x1 - x2)) + float(margin)).clamp(min=0.0), reduction)
