"""Loss modules (PyTorch's names and arguments)."""

from __future__ import annotations

from typing import Any, Optional

from ... import functional as F
from ...functional._loss import _legacy_reduction
from ...tensor import Tensor
from ..module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"reduction: expected 'mean', 'sum' or 'none', got {reduction!r}")
        self.reduction = reduction


class _WeightedLoss(_Loss):
    """A loss whose per-class ``weight`` is a registered buffer, as torch's: it is in ``state_dict`` (when
    given), loads from torch's, and moves with ``.double()`` / ``.float()``."""

    def __init__(self, weight: Optional[Any] = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", weight)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy on logits. Example: ``nn.CrossEntropyLoss()(logits, labels)``.

    Example:
        >>> logits, labels = ne.tensor([[0.0, 0.0], [2.0, 0.0]]), ne.tensor([1, 0])
        >>> nn.CrossEntropyLoss()(logits, labels)
        tensor(0.41)
    """

    def __init__(self, weight: Optional[Any] = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(weight, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood on log-probabilities.

    Example:
        >>> nn.NLLLoss()(ne.tensor([[0.0, 0.0]]).log_softmax(1), ne.tensor([1]))
        tensor(0.6931)
    """

    def __init__(self, weight: Optional[Any] = None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class MSELoss(_Loss):
    """Mean squared error (regression output).

    Example:
        >>> nn.MSELoss()(ne.tensor([1.0, 2.0]), ne.tensor([0.0, 0.0]))
        tensor(2.5)
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """Mean absolute error.

    Example:
        >>> nn.L1Loss()(ne.tensor([1.0, 2.0]), ne.tensor([0.0, 0.0]))
        tensor(1.5)
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.l1_loss(input, target, self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy on probabilities; ``weight`` (broadcast over the elements) is a buffer.

    Example:
        >>> nn.BCELoss()(ne.tensor([0.5, 0.5]), ne.tensor([1.0, 0.0]))
        tensor(0.6931)
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross-entropy on logits (stable); ``weight`` and ``pos_weight`` are buffers, as in torch.

    Example:
        >>> nn.BCEWithLogitsLoss(pos_weight=ne.tensor([2.0]))(ne.zeros(2, 1), ne.ones(2, 1))
        tensor(1.3863)
    """

    def __init__(self, weight: Optional[Any] = None, reduction: str = "mean", pos_weight: Optional[Any] = None) -> None:
        super().__init__(weight, reduction)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction, self.pos_weight)


class _LegacyLoss(_Loss):
    """A loss with torch's deprecated ``size_average`` / ``reduce`` arguments (folded into ``reduction``)."""

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(_legacy_reduction(size_average, reduce, reduction))


class SmoothL1Loss(_LegacyLoss):
    """Smooth L1 (quadratic below ``beta``, linear above). Example: ``nn.SmoothL1Loss(beta=0.5)(pred, y)``.

    Example:
        >>> nn.SmoothL1Loss(beta=0.5)(ne.tensor([0.0, 3.0]), ne.tensor([0.25, 0.0]))
        tensor(1.4062)
    """

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Huber loss (quadratic below ``delta``, linear above). Example: ``nn.HuberLoss(delta=2.0)(pred, y)``.

    Example:
        >>> nn.HuberLoss(delta=1.0)(ne.tensor([0.0, 3.0]), ne.tensor([0.5, 0.0]))
        tensor(1.3125)
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(Module):
    """KL divergence of log-probability inputs from (log-)probability targets; reduction 'none', 'sum',
    'mean' or 'batchmean'. Example: ``nn.KLDivLoss(reduction="batchmean")(logp, q)``.

    Example:
        >>> p = ne.tensor([[0.25, 0.75]])
        >>> nn.KLDivLoss(reduction="batchmean")(ne.tensor([[0.5, 0.5]]).log(), p)
        tensor(0.1308)
    """

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        super().__init__()
        reduction = _legacy_reduction(size_average, reduce, reduction)
        if reduction not in ("mean", "sum", "none", "batchmean"):
            raise ValueError(f"reduction: expected 'mean', 'sum', 'none' or 'batchmean', got {reduction!r}")
        self.reduction, self.log_target = reduction, log_target

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class _MarginPairLoss(_Loss):
    """A loss of (input1, input2, target) with a ``margin``, torch's argument order."""

    _fn = staticmethod(F.margin_ranking_loss)

    def __init__(self, margin: float = 0.0, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(_legacy_reduction(size_average, reduce, reduction))
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Any) -> Tensor:
        return self._fn(input1, input2, target, self.margin, reduction=self.reduction)


class CosineEmbeddingLoss(_MarginPairLoss):
    """1 - cos(x1, x2) for target 1, max(0, cos - margin) for -1. Example: ``nn.CosineEmbeddingLoss(0.2)``.

    Example:
        >>> a, b = ne.tensor([[1.0, 0.0]]), ne.tensor([[0.0, 1.0]])
        >>> nn.CosineEmbeddingLoss()(a, b, ne.tensor([1.0]))
        tensor(1.)
    """

    _fn = staticmethod(F.cosine_embedding_loss)


class MarginRankingLoss(_MarginPairLoss):
    """max(0, -y (x1 - x2) + margin). Example: ``nn.MarginRankingLoss(margin=0.5)(s1, s2, y)``.

    Example:
        >>> nn.MarginRankingLoss(margin=0.5)(ne.tensor([1.0, 0.2]), ne.tensor([0.5, 0.5]), ne.ones(2))
        tensor(0.4)
    """
