"""Vector distances and normalisation (torch's ``normalize``, ``cosine_similarity``, ``pairwise_distance``),
composed of differentiable Tensor ops with torch's formulas (eps placement included)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from ._util import check_tensor, dim_index, number


def _nonneg(v: Any, name: str) -> float:
    f = number(v, name)
    if not f >= 0:
        raise ValueError(f"{name}: expected a number >= 0, got {v!r}")
    return f


def _broadcast(*shapes: tuple) -> tuple:
    return tuple(np.broadcast_shapes(*shapes))


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim`` (torch's ``F.normalize``).

    Example:
        >>> F.normalize(ne.tensor([[3.0, 4.0]]), dim=1)
        tensor([[0.6, 0.8]])
    """
    if out is not None:
        raise TypeError("normalize: out= is not supported (assign the result instead)")
    x = check_tensor(input, "input", float64=True)
    p, eps = number(p, "p"), _nonneg(eps, "eps")
    d = dim_index(dim, x.ndim)
    return x / x.norm(p, d, keepdim=True).clamp(min=eps).expand_as(x)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (broadcast first), as torch computes it:
    ``sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps))``; the clamp carries no gradient of its own.

    Example:
        >>> F.cosine_similarity(ne.tensor([[1.0, 0.0]]), ne.tensor([[1.0, 1.0]]))
        tensor([0.7071])
    """
    a, b = check_tensor(x1, "x1", float64=True), check_tensor(x2, "x2", float64=True)
    eps = _nonneg(eps, "eps")
    try:
        shape = _broadcast(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"cosine_similarity: x1 {a.shape} and x2 {b.shape} do not broadcast") from None
    a, b = a.expand(*shape), b.expand(*shape)
    d = dim_index(dim, len(shape))

    def scaled(x: Tensor) -> Tensor:
        n = x.norm(2, d, keepdim=True)
        nd = n.detach()
        return x / (n + (nd.clamp(min=eps) - nd))  # torch clamps the norm in place under no_grad

    return (scaled(a) * scaled(b)).sum(d)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` over the last dim (torch adds ``eps`` to the difference), broadcasting.

    Example:
        >>> F.pairwise_distance(ne.tensor([[0.0, 0.0]]), ne.tensor([[3.0, 4.0]]), eps=0.0)
        tensor([5.])
    """
    a, b = check_tensor(x1, "x1", float64=True), check_tensor(x2, "x2", float64=True)
    p, eps = _nonneg(p, "p"), number(eps, "eps")
    try:
        _broadcast(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"pairwise_distance: x1 {a.shape} and x2 {b.shape} do not broadcast") from None
    diff = a - b + eps
    return diff.norm(p, max(a.ndim, b.ndim) - 1 if diff.ndim else None, keepdim=bool(keepdim))
