"""More of torch.nn's loss modules (triplet, multi-class / multi-label margin, soft margin, hinge embedding,
Poisson and Gaussian NLL), torch's constructor arguments, over nnengine.functional."""

from __future__ import annotations

from typing import Any, Callable, Optional

from ... import functional as F
from ...functional._loss import _legacy_reduction
from ...functional._util import number
from ...tensor import Tensor
from .distance import PairwiseDistance
from .loss import _Loss, _WeightedLoss


class _LegacyLoss(_Loss):
    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(_legacy_reduction(size_average, reduce, reduction))


class TripletMarginLoss(_LegacyLoss):
    """max(d(a, p) - d(a, n) + margin, 0), ``d`` the p-norm distance; ``swap`` takes the closer of a and p to n.

    Example:
        >>> a, p, n = ne.tensor([[0.0, 0.0]]), ne.tensor([[0.0, 1.0]]), ne.tensor([[0.0, 1.5]])
        >>> nn.TripletMarginLoss(margin=1.0)(a, p, n)
        tensor(0.5)
    """

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                 size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin, self.p, self.eps = number(margin, "margin"), number(p, "p"), number(eps, "eps")
        if self.margin <= 0:
            raise ValueError(f"margin: TripletMarginLoss expects a margin greater than 0, got {self.margin}")
        self.swap = bool(swap)

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_loss(anchor, positive, negative, self.margin, self.p, self.eps, self.swap,
                                     reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """Triplet margin loss with any ``distance_function(x, y)`` (default: pairwise_distance).

    Example:
        >>> loss = nn.TripletMarginWithDistanceLoss(distance_function=nn.PairwiseDistance(), margin=1.0)
        >>> loss(ne.tensor([[0.0, 0.0]]), ne.tensor([[0.0, 1.0]]), ne.tensor([[0.0, 1.5]]))
        tensor(0.5)
    """

    def __init__(self, *, distance_function: Optional[Callable[[Tensor, Tensor], Tensor]] = None,
                 margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.margin = number(margin, "margin")
        if self.margin <= 0:
            raise ValueError(f"margin: TripletMarginWithDistanceLoss expects a margin greater than 0, got {self.margin}")
        self.distance_function = distance_function if distance_function is not None else PairwiseDistance()
        self.swap = bool(swap)

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_with_distance_loss(anchor, positive, negative, distance_function=self.distance_function,
                                                   margin=self.margin, swap=self.swap, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss on (N, C) scores and class indices; ``weight`` (a buffer) per class.

    Example:
        >>> nn.MultiMarginLoss()(ne.tensor([[0.1, 0.2, 0.4, 0.8]]), ne.tensor([3]))
        tensor(0.325)
    """

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Optional[Any] = None, size_average: Any = None,
                 reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(weight, _legacy_reduction(size_average, reduce, reduction))
        if p not in (1, 2) or isinstance(p, bool):
            raise ValueError(f"p: only p == 1 and p == 2 supported, got {p!r}")
        self.p, self.margin = p, number(margin, "margin")

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.multi_margin_loss(input, target, self.p, self.margin, self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_LegacyLoss):
    """Multi-label hinge loss; each target row lists the sample's classes, ended by -1.

    Example:
        >>> nn.MultiLabelMarginLoss()(ne.tensor([[0.1, 0.2, 0.4, 0.8]]), ne.tensor([[3, 0, -1, 1]]))
        tensor(0.85)
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Per-class logistic loss averaged over the classes; ``weight`` (a buffer) per class.

    Example:
        >>> nn.MultiLabelSoftMarginLoss()(ne.tensor([[0.0, 0.0]]), ne.tensor([[1.0, 0.0]]))
        tensor(0.6931)
    """

    def __init__(self, weight: Optional[Any] = None, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, _legacy_reduction(size_average, reduce, reduction))

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.multilabel_soft_margin_loss(input, target, self.weight, reduction=self.reduction)


class SoftMarginLoss(_LegacyLoss):
    """log(1 + exp(-y x)) for +1 / -1 targets.

    Example:
        >>> nn.SoftMarginLoss()(ne.tensor([0.0, 0.0]), ne.tensor([1.0, -1.0]))
        tensor(0.6931)
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class HingeEmbeddingLoss(_LegacyLoss):
    """x for target 1, max(0, margin - x) for target -1.

    Example:
        >>> nn.HingeEmbeddingLoss(margin=1.0)(ne.tensor([0.3, 0.4]), ne.tensor([1.0, -1.0]))
        tensor(0.45)
    """

    def __init__(self, margin: float = 1.0, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = number(margin, "margin")

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class PoissonNLLLoss(_LegacyLoss):
    """Poisson negative log-likelihood of targets given (log-)rates.

    Example:
        >>> nn.PoissonNLLLoss()(ne.tensor([0.0, 1.0]), ne.tensor([1.0, 2.0]))
        tensor(0.8591)
    """

    def __init__(self, log_input: bool = True, full: bool = False, size_average: Any = None, eps: float = 1e-8,
                 reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = bool(log_input), bool(full), number(eps, "eps")

    def forward(self, log_input: Tensor, target: Any) -> Tensor:
        return F.poisson_nll_loss(log_input, target, self.log_input, self.full, eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood of targets given means and variances: ``loss(input, target, var)``.

    Example:
        >>> nn.GaussianNLLLoss()(ne.tensor([0.0, 1.0]), ne.tensor([1.0, 1.0]), ne.tensor([1.0, 2.0]))
        tensor(0.4233)
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.full, self.eps = bool(full), number(eps, "eps")

    def forward(self, input: Tensor, target: Any, var: Any) -> Tensor:
        return F.gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)


class CTCLoss(_Loss):
    """Connectionist temporal classification: ``loss(log_probs, targets, input_lengths, target_lengths)`` with
    log_probs (T, N, C) from ``log_softmax``.

    Example:
        >>> lp = ne.tensor(np.log(np.full((3, 1, 2), 0.5)))
        >>> nn.CTCLoss(reduction="sum")(lp, ne.tensor([[1]]), [3], [1])
        tensor(0.2877)
    """

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> None:
        super().__init__(reduction)
        self.blank, self.zero_infinity = blank, bool(zero_infinity)

    def forward(self, log_probs: Tensor, targets: Any, input_lengths: Any, target_lengths: Any) -> Tensor:
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                          self.zero_infinity)
