"""More of torch.nn.functional's losses, composed of differentiable Tensor ops with torch's formulas: triplet
margin (with a p-norm or any distance), multi-class / multi-label margin, multi-label and two-class soft margin,
hinge embedding, Poisson and Gaussian negative log-likelihood."""

from __future__ import annotations

import math
from typing import Any, Callable, Optional

import numpy as np

from .._coerce import as_array
from .._higher_order import where
from ..tensor import Tensor
from ._activation import relu, softplus
from ._activation_more import logsigmoid
from ._distance import pairwise_distance
from ._loss import _class_targets, _legacy_reduction, _pair, _reduce, _reduction
from ._util import check_tensor, number


def _const(a: np.ndarray, like: Tensor) -> Tensor:
    return Tensor(np.asarray(a, like._data.dtype), dtype=like._data.dtype)


def _minimum(a: Tensor, b: Tensor) -> Tensor:
    """Elementwise min with torch's subgradient split (the halves where equal)."""
    return (a + b - (a - b).abs()) * 0.5


def _triplet_dims(anchor: Tensor, positive: Tensor, negative: Tensor) -> None:
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise ValueError(f"positive: the anchor, positive and negative tensors are expected to have the same number "
                         f"of dimensions, got {anchor.ndim}D, {positive.ndim}D and {negative.ndim}D")


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0) with ``d`` the p-norm pairwise distance (``eps`` added to the
    difference, as torch's); ``swap`` uses min(d(a, n), d(p, n)) (Balntas et al. 2016).

    Example:
        >>> a, p, n = ne.tensor([[0.0, 0.0]]), ne.tensor([[0.0, 1.0]]), ne.tensor([[0.0, 1.5]])
        >>> F.triplet_margin_loss(a, p, n, margin=1.0)
        tensor(0.5)
    """
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction))
    a, pos, neg = (check_tensor(t, n, float64=True) for t, n in
                   ((anchor, "anchor"), (positive, "positive"), (negative, "negative")))
    _triplet_dims(a, pos, neg)
    if a.ndim not in (1, 2):
        raise ValueError(f"anchor: expected 1-D (D) or 2-D (N, D) inputs, got shape {a.shape}")
    margin = number(margin, "margin")
    d_pos = pairwise_distance(a, pos, p, eps)
    d_neg = pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = _minimum(d_neg, pairwise_distance(pos, neg, p, eps))
    return _reduce((d_pos - d_neg + margin).clamp(min=0.0), reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function: Optional[Callable[[Tensor, Tensor], Tensor]] = None,
                                      margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0) with any ``distance_function`` (default: pairwise_distance).

    Example:
        >>> a, p, n = ne.tensor([[1.0, 0.0]]), ne.tensor([[1.0, 0.1]]), ne.tensor([[0.0, 1.0]])
        >>> cos = lambda x, y: 1.0 - F.cosine_similarity(x, y)
        >>> F.triplet_margin_with_distance_loss(a, p, n, distance_function=cos, margin=1.0)
        tensor(0.005)
    """
    reduction = _reduction(reduction)
    margin = number(margin, "margin")
    if margin <= 0:
        raise ValueError(f"margin: must be greater than 0, got {margin}")
    if distance_function is not None and not callable(distance_function):
        raise TypeError(f"distance_function: expected a callable, got {type(distance_function).__name__}")
    a, pos, neg = (check_tensor(t, n, float64=True) for t, n in
                   ((anchor, "anchor"), (positive, "positive"), (negative, "negative")))
    _triplet_dims(a, pos, neg)
    dist = distance_function or pairwise_distance
    d_pos, d_neg = dist(a, pos), dist(a, neg)
    if swap:
        d_neg = _minimum(d_neg, dist(pos, neg))
    return _reduce((d_pos - d_neg + margin).clamp(min=0.0), reduction)


def _rows(input: Any, name: str = "input") -> tuple:
    """(N, C) view of (N, C) or (C,) input, and whether it was 1-D."""
    x = check_tensor(input, name, float64=True)
    if x.ndim not in (1, 2):
        raise ValueError(f"{name}: expected 1-D (C) or 2-D (N, C) input, got shape {x.shape}")
    return (x.reshape(1, -1), True) if x.ndim == 1 else (x, False)


def _finish(per: Tensor, one_d: bool, reduction: str) -> Tensor:
    if one_d and reduction == "none":
        return per.reshape(())
    return _reduce(per, reduction)


def multi_margin_loss(input: Tensor, target: Any, p: int = 1, margin: float = 1.0, weight: Optional[Any] = None,
                      size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss: sum over j != y of max(0, margin - x[y] + x[j]) ** p, times ``weight[y]``, over C.

    Example:
        >>> F.multi_margin_loss(ne.tensor([[0.1, 0.2, 0.4, 0.8]]), ne.tensor([3]))
        tensor(0.325)
    """
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction))
    if p not in (1, 2) or isinstance(p, bool):
        raise ValueError(f"p: only p == 1 and p == 2 supported, got {p!r}")
    x, one_d = _rows(input)
    n, c = x.shape
    t = _class_targets(target).reshape(-1)
    if t.shape != (n,):
        raise ValueError(f"target: expected {n} class indices, got shape {as_array(target).shape}")
    if t.size and (t.min() < 0 or t.max() >= c):
        raise ValueError(f"target: class indices must be in [0, {c - 1}], got {t.min()}..{t.max()}")
    onehot = np.zeros((n, c), bool)
    onehot[np.arange(n), t] = True
    # gather and where, not products with 0/1 masks: an infinite logit must not turn the row into NaN
    x_y = x.gather(1, Tensor(t.reshape(n, 1), dtype=np.int64))  # (class targets are int64)
    z = where(_const(onehot, x) > 0, 0.0, relu(x - x_y + number(margin, "margin")))  # torch: no gradient at 0
    if p == 2:
        z = z * z
    if weight is not None:
        w = np.asarray(as_array(weight), dtype=x._data.dtype).reshape(-1)
        if w.shape != (c,):
            raise ValueError(f"weight: expected {c} class weights, got shape {w.shape}")
        z = z * _const(w[t][:, None], x)
    per = z.sum(1) / c
    if one_d and reduction == "none":
        return per.reshape(np.shape(as_array(target)))  # torch: the target's shape, () or (1,)
    return _reduce(per, reduction)


def multilabel_margin_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
                           reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss: ``target`` lists each sample's classes, ended by the first -1; the loss sums
    max(0, 1 - (x[y_j] - x[i])) over listed j and unlisted i, over C (torch's).

    Example:
        >>> F.multilabel_margin_loss(ne.tensor([[0.1, 0.2, 0.4, 0.8]]), ne.tensor([[3, 0, -1, 1]]))
        tensor(0.85)
    """
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction))
    x, one_d = _rows(input)
    n, c = x.shape
    t = _class_targets(target).reshape(n, -1) if np.size(as_array(target)) == n * c else None
    if t is None or t.shape != (n, c):
        raise ValueError(f"target: expected the input's shape {tuple(x.shape)}, got {as_array(target).shape}")
    if t.size and (t.min() < -1 or t.max() >= c):
        raise ValueError(f"target: expected class indices in [-1, {c - 1}], got {t.min()}..{t.max()}")
    count = np.zeros((n, c))
    for r in range(n):
        for k in t[r]:
            if k < 0:
                break
            count[r, k] += 1
    listed = count > 0
    # z[r, j, i] = 1 - x[r, j] + x[r, i], weighted by how often j is listed, for unlisted i
    z = (x.reshape(n, 1, c) - x.reshape(n, c, 1) + 1.0).clamp(min=0.0)
    w = count[:, :, None] * (~listed)[:, None, :]
    return _finish((z * _const(w, x)).sum((1, 2)) / c, one_d, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Any, weight: Optional[Any] = None, size_average: Any = None,
                                reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Per-class binary cross-entropy on logits, averaged over the classes (the last dim), optionally weighted.

    Example:
        >>> F.multilabel_soft_margin_loss(ne.tensor([[0.0, 0.0]]), ne.tensor([[1.0, 0.0]]))
        tensor(0.6931)
    """
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction))
    x, y = _pair(input, target)
    loss = -(y * logsigmoid(x) + (1.0 - y) * logsigmoid(-x))
    if weight is not None:
        loss = loss * (weight if isinstance(weight, Tensor) else _const(as_array(weight), x))
    d = max(x.ndim - 1, 0)
    c = x.shape[d] if x.ndim else 1
    return _reduce((loss.sum(d) if x.ndim else loss) / c, reduction)


def soft_margin_loss(input: Tensor, target: Any, size_average: Any = None, reduce: Any = None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-y x)) for targets y of +1 / -1 (two-class logistic loss).

    Example:
        >>> F.soft_margin_loss(ne.tensor([0.0, 2.0]), ne.tensor([1.0, -1.0]), reduction="none")
        tensor([0.6931, 2.1269])
    """
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction))
    x, y = _pair(input, target)
    return _reduce(softplus(-(y * x)), reduction)


def hinge_embedding_loss(input: Tensor, target: Any, margin: float = 1.0, size_average: Any = None,
                         reduce: Any = None, reduction: str = "mean") -> Tensor:
    """x where the target is 1, max(0, margin - x) where it is -1 (x typically a distance).

    Example:
        >>> F.hinge_embedding_loss(ne.tensor([0.3, 0.4]), ne.tensor([1.0, -1.0]), reduction="none")
        tensor([0.3, 0.6])
    """
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction))
    x, y = _pair(input, target)
    t = y._data
    m = where(_const(t != 1, x) > 0, (number(margin, "margin") - x).clamp(min=0.0), 0.0)
    return _reduce(m + where(_const(t != -1, x) > 0, x, 0.0), reduction)


def poisson_nll_loss(input: Tensor, target: Any, log_input: bool = True, full: bool = False, size_average: Any = None,
                     eps: float = 1e-8, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood: exp(x) - y x for log-rates (``log_input``), else x - y log(x + eps);
    ``full`` adds Stirling's approximation of log(y!) where y > 1.

    Example:
        >>> F.poisson_nll_loss(ne.tensor([0.0, 1.0]), ne.tensor([1.0, 2.0]), reduction="none")
        tensor([1.    , 0.7183])
    """
    reduction = _reduction(_legacy_reduction(size_average, reduce, reduction))
    x, y = _pair(input, target)
    eps = number(eps, "eps")
    loss = x.exp() - y * x if log_input else x - y * (x + eps).log()
    if full and y.requires_grad:  # the Stirling term differentiable in the target, as torch's
        small = y._data <= 1
        ys = y.masked_fill(small, 2.0)  # (log of the masked entries stays finite: no NaN gradient through them)
        st = ys * ys.log() - ys + 0.5 * (ys * (2 * math.pi)).log()
        loss = loss + st.masked_fill(small, 0.0)
    elif full:
        t = y._data.astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            st = t * np.log(t) - t + 0.5 * np.log(2 * math.pi * t)
        loss = loss + _const(np.where(t <= 1, 0.0, st), x)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Any, var: Any, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """Gaussian negative log-likelihood 0.5 (log(var) + (x - y)^2 / var) (+ 0.5 log(2 pi) if ``full``); ``var`` is
    clamped to ``eps`` without cutting its gradient and may have one dimension fewer or a size-1 dimension
    (homo/heteroscedastic), as torch's.

    Example:
        >>> F.gaussian_nll_loss(ne.tensor([0.0, 1.0]), ne.tensor([1.0, 1.0]), ne.tensor([1.0, 2.0]), reduction="none")
        tensor([0.5   , 0.3466])
    """
    reduction = _reduction(reduction)
    x, y = _pair(input, target)
    eps = number(eps, "eps")
    if isinstance(var, (int, float)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError("var: has negative entry/entries")
        v = _const(np.full(x.shape, float(var)), x)
    else:
        v = var if isinstance(var, Tensor) else _const(as_array(var), x)
        if np.any(v._data < 0):
            raise ValueError("var: has negative entry/entries")
    if v.shape != x.shape:
        if x.shape[:-1] == v.shape:
            v = v.unsqueeze(-1)
        elif not (x.ndim == v.ndim and sum(b for a, b in zip(x.shape, v.shape) if a != b) == 1):
            raise ValueError(f"var: is of incorrect size {tuple(v.shape)} for input {tuple(x.shape)}")
    v = v + _const(np.maximum(v._data, eps) - v._data, x)  # torch clamps under no_grad: the gradient passes
    loss = (v.log() + (x - y) ** 2 / v) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)
