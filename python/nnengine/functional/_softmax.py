"""The softmax kernel family: softmax and log-softmax along one dimension, and the losses on the same kernels,
the fused log-softmax + NLL ``cross_entropy`` and ``nll_loss`` (the losses' shared argument rules are in
``_loss.py``)."""

from __future__ import annotations

import warnings
from typing import Any, Optional

import numpy as np

from .. import _core
from .._coerce import as_array
from .._higher_order import const
from ..autograd import Function
from ..tensor import Tensor
from . import _float64
from ._loss import _class_targets, _legacy_reduction, _reduce, _reduction
from ._util import check_tensor, dim_index, f32c


def softmax_graph_grad(y: Tensor, g: Tensor, dim: int, log: bool) -> Tensor:
    """The (log-)softmax backward in Tensor ops from its recomputed output ``y`` (recorded: differentiable
    again), torch's formulas: ``y * (g - sum(g * y))``, or ``g - exp(y) * sum(g)`` for log-softmax.

    Example:
        >>> y = F.softmax(ne.tensor([[0.0, 0.0]]), dim=1)
        >>> softmax_graph_grad(y, ne.tensor([[1.0, 0.0]]), 1, False)
        tensor([[ 0.25, -0.25]])
    """
    if log:
        return g - y.exp() * g.sum(dim=dim, keepdim=True)
    return y * (g - (g * y).sum(dim=dim, keepdim=True))


class SoftmaxFn(Function):
    @staticmethod
    def forward(ctx, x, dim, log):
        y = _core.softmax_forward(f32c(x), dim, log)
        ctx.dim, ctx.log = dim, log
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return _core.softmax_backward(f32c(g), y, ctx.dim, ctx.log), None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return softmax_graph_grad(SoftmaxFn.apply(inputs[0], ctx.dim, ctx.log), g, ctx.dim, ctx.log), None, None


def _softmax(input: Tensor, dim: int, log: bool) -> Tensor:
    x = check_tensor(input, "input", float64=True)
    if x._data.dtype == np.float64:
        return _float64.Softmax64Fn.apply(x, dim_index(dim, max(x.ndim, 1)) if x.ndim else 0, log)
    if x.ndim == 0:
        x = x.reshape(1)
        return SoftmaxFn.apply(x, 0, log).reshape(())
    return SoftmaxFn.apply(x, dim_index(dim, x.ndim), log)


def implicit_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    """torch's legacy dimension for a softmax-family call without ``dim`` (deprecated there; warns the same):
    0 for 0-, 1- and 3-d inputs, else 1.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     implicit_softmax_dim("softmax", 3, 2), implicit_softmax_dim("softmax", 4, 2)
        (0, 1)
    """
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", UserWarning, stacklevel=stacklevel)
    return legacy_softmax_dim(ndim)


def legacy_softmax_dim(ndim: int) -> int:
    """torch's legacy softmax dimension of an ``ndim``-d input (no warning: ONNX export's axis).

    Example:
        >>> legacy_softmax_dim(3), legacy_softmax_dim(4)
        (0, 1)
    """
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_call(name: str, input: Any, dim: Optional[int], stacklevel: Any, dtype: Any, log: bool) -> Tensor:
    x = check_tensor(input, "input", float64=True)
    if not isinstance(stacklevel, int) or isinstance(stacklevel, bool):
        raise TypeError(f"{name}(): _stacklevel must be an int, got {type(stacklevel).__name__}")
    if dim is None:
        dim = implicit_softmax_dim(name, x.ndim, stacklevel + 1)
    if dtype is not None:
        x = x.to(dtype)
    return _softmax(x, dim, log)


def softmax(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``. Example: ``F.softmax(logits, dim=1)``. As in torch, ``dtype`` casts
    the input first, and a missing ``dim`` picks the deprecated implicit one (0 for 0-, 1- and 3-d inputs, else
    1) with a UserWarning.

    Example:
        >>> F.softmax(ne.tensor([[1.0, 1.0], [0.0, 0.0]]), dim=1)
        tensor([[0.5, 0.5],
                [0.5, 0.5]])
    """
    return _softmax_call("softmax", input, dim, _stacklevel, dtype, False)


def log_softmax(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """x - logsumexp(x) along ``dim`` (numerically stable); ``dim``/``dtype`` as in ``softmax``.

    Example:
        >>> F.log_softmax(ne.tensor([[0.0, 0.0]]), dim=1)
        tensor([[-0.6931, -0.6931]])
    """
    return _softmax_call("log_softmax", input, dim, _stacklevel, dtype, True)


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

    @staticmethod
    def graph_backward(ctx, inputs, g):
        x, lse, target, row_weight = ctx.saved_tensors
        onehot = np.zeros(x.shape, np.float32)
        rows = np.nonzero(target != ctx.ignore_index)[0]
        onehot[rows, target[rows]] = 1.0
        p = SoftmaxFn.apply(inputs[0], 1, False)
        if ctx.reduction == "none":
            scale = g * const(row_weight)
        else:
            denom = ctx.denom if ctx.reduction == "mean" and ctx.denom > 0 else 1.0
            scale = g.reshape(1) * const(row_weight / np.float32(denom))
        return (p - const(onehot)) * scale.unsqueeze(1), None, None, None, None


def _classes_last(x: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N*d1*..., C)."""
    if x.ndim <= 2:
        return x
    perm = (0,) + tuple(range(2, x.ndim)) + (1,)
    return x.permute(*perm).reshape(-1, x.shape[1])


def cross_entropy(input: Tensor, target: Any, weight: Optional[Any] = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0, *, size_average: Any = None,
                  reduce: Any = None) -> Tensor:
    """Softmax cross-entropy of logits ``(N, C)`` (or ``(N, C, d...)``, or unbatched ``(C,)``).

    ``target`` holds class indices (numpy array, list or Tensor) or class probabilities shaped like input.

    Example:
        >>> logits, labels = ne.tensor([[0.0, 0.0], [2.0, 0.0]]), ne.tensor([1, 0])
        >>> F.cross_entropy(logits, labels, reduction="none")
        tensor([0.6931, 0.1269])
    """
    x = check_tensor(input, "input")
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction))
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
        w = np.asarray(as_array(weight), dtype=np.float32)
        if w.shape != (C,):
            raise ValueError(f"weight: expected shape ({C},), got {w.shape}")
    tarr = as_array(target)
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
    if w is None and t2.size and not 0 <= ignore_index < C and 0 <= t2.min() and t2.max() < C:
        # every target a class and none ignored (the common call): two reductions instead of the masks below,
        # the same row weights (ones)
        row_w = np.ones(t2.shape, np.float32)
    else:
        valid = t2 != ignore_index
        bad = valid & ((t2 < 0) | (t2 >= C))
        if bad.any():
            raise ValueError(f"target: expected class indices in [0, {C}) or ignore_index={ignore_index}, "
                             f"got {int(t2[bad][0])}")
        row_w = np.where(valid, 1.0, 0.0).astype(np.float32) if w is None else np.where(
            valid, w[np.clip(t2, 0, C - 1)], 0.0).astype(np.float32)
    if label_smoothing > 0:
        ce = CrossEntropyFn.apply(x2, t2, row_w, int(ignore_index), "none")
        logp = log_softmax(x2, 1)
        wl = logp if w is None else logp * Tensor(w)
        smooth = -(wl.sum(dim=1)) * Tensor((t2 != ignore_index).astype(np.float32) / C)
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

    @staticmethod
    def graph_backward(ctx, inputs, g):
        x, t = ctx.saved_tensors
        weight, ignore_index, reduction = ctx.args
        if reduction == "none":  # linear in g: the pattern of a unit gradient per row, scaled by g
            pattern = _core.nll_backward(x, t, np.ones(t.size, np.float32), weight, ignore_index)
            return const(pattern) * g.reshape((x.shape[0], 1) + x.shape[2:]), None, None, None, None
        scale = 1.0 / ctx.denom if reduction == "mean" and ctx.denom else 1.0
        pattern = _core.nll_backward(x, t, np.full(1, scale, np.float32), weight, ignore_index)
        return const(pattern) * g, None, None, None, None


def _ignore_index(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"ignore_index: expected an int, got {type(v).__name__}")
    return int(v)


def nll_loss(input: Tensor, target: Any, weight: Optional[Any] = None, ignore_index: int = -100,
             reduction: str = "mean", *, size_average: Any = None, reduce: Any = None) -> Tensor:
    """Negative log-likelihood of log-probabilities ``(N, C)`` (or ``(N, C, d...)``).

    Example:
        >>> F.nll_loss(F.log_softmax(ne.tensor([[0.0, 0.0]]), 1), ne.tensor([1]))
        tensor(0.6931)
    """
    x = check_tensor(input, "input")
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction))
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
        w = f32c(as_array(weight))
    per = NLLFn.apply(x, np.ascontiguousarray(t.reshape(-1), np.int64), w, ignore_index, reduction)
    if reduction != "none":
        return per
    return per.reshape(()) if unbatched else per.reshape(t.shape)
