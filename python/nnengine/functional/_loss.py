"""The losses' shared argument rules (reductions, class targets, the input/target pair, torch's legacy
``size_average``/``reduce``) and the losses composed of Tensor ops (``cosine_embedding_loss``, ``margin_ranking_loss``). The kernel-backed
losses live with their kernel family: ``cross_entropy`` and ``nll_loss`` in ``_softmax.py`` (softmax family),
MSE/L1/BCE/smooth-L1/Huber/KL divergence in ``_pointwise_loss.py``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._coerce import as_array
from ..tensor import Tensor
from ._util import check_tensor

_F32 = np.dtype(np.float32)

_REDUCTIONS = ("mean", "sum", "none")


def _reduction(r: Any) -> str:
    if r not in _REDUCTIONS:
        raise ValueError(f"reduction: expected one of {_REDUCTIONS}, got {r!r}")
    return r


def _class_targets(target: Any, name: str = "target") -> np.ndarray:
    """Integer class indices from a numpy array, list or Tensor (float tensors with integral values are accepted)."""
    t = as_array(target)
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


def _pair(input: Any, target: Any, float64: bool = True) -> tuple:
    """(input, target) as Tensors of one shape; float64 input passes where the loss computes in float64."""
    x = check_tensor(input, "input", float64=float64)
    y = target if isinstance(target, Tensor) else Tensor(np.asarray(target, dtype=x._data.dtype))
    if x._data.shape != y._data.shape:
        raise ValueError(f"target: expected shape {x.shape} (as input), got {y.shape}")
    return x, y


def _legacy_reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    """torch's deprecated ``size_average`` / ``reduce`` pair (None unless given) folded into ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    if reduce is not None and not reduce:
        return "none"
    return "sum" if size_average is not None and not size_average else "mean"


def _pair_target(x1: Tensor, target: Any, shape: tuple, name: str = "target") -> np.ndarray:
    t = np.asarray(as_array(target), dtype=np.float32)
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
