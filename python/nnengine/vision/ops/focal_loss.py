"""torchvision.ops.focal_loss: the sigmoid focal loss of RetinaNet (Lin et al. 2017), from Tensor ops."""

from __future__ import annotations

from ...tensor import Tensor

__all__ = ["sigmoid_focal_loss"]


def sigmoid_focal_loss(inputs: Tensor, targets: Tensor, alpha: float = 0.25, gamma: float = 2,
                       reduction: str = "none") -> Tensor:
    """``alpha_t * (1 - p_t) ** gamma * BCE(inputs, targets)`` with ``p = sigmoid(inputs)``, ``p_t = p * t + (1 - p)
    * (1 - t)``, ``alpha_t = alpha * t + (1 - alpha) * (1 - t)`` (``alpha = -1``: no weighting); ``reduction``
    "none", "mean" or "sum".

    Example:
        >>> import nnengine as ne
        >>> round(sigmoid_focal_loss(ne.tensor([0.0]), ne.tensor([1.0]), reduction="sum").item(), 6)
        0.043322
    """
    from ...nn import functional as F

    if not (0 <= alpha <= 1) and alpha != -1:
        raise ValueError(f"alpha: expected a value in [0, 1] or -1 to ignore, got {alpha}")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"reduction: expected 'none', 'mean' or 'sum', got {reduction!r}")
    if not isinstance(inputs, Tensor) or not isinstance(targets, Tensor):
        raise TypeError(f"inputs/targets: expected Tensors, got {type(inputs).__name__}/{type(targets).__name__}")
    p = inputs.sigmoid()
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss
