"""``PairwiseDistance`` and ``CosineSimilarity`` (torch's ``nn.modules.distance``)."""

from __future__ import annotations

from ... import functional as F
from ...tensor import Tensor
from ..module import Module


class PairwiseDistance(Module):
    """``F.pairwise_distance`` as a layer: ``||x1 - x2 + eps||_p`` over the last dim.

    Example:
        >>> PairwiseDistance(eps=0.0)(ne.tensor([[0.0, 0.0]]), ne.tensor([[3.0, 4.0]]))
        tensor([5.])
    """

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """``F.cosine_similarity`` as a layer: the cosine of the angle between ``x1`` and ``x2`` along ``dim``.

    Example:
        >>> CosineSimilarity(dim=1)(ne.tensor([[1.0, 0.0]]), ne.tensor([[2.0, 0.0]]))
        tensor([1.])
    """

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)
