"""torchvision.ops (a subset): box formats, areas, IoU / generalized / distance / complete IoU (differentiable,
from Tensor ops), greedy ``nms`` and ``batched_nms`` with torchvision's ordering, ``sigmoid_focal_loss`` and
``Conv2dNormActivation``. ``from torchvision.ops import box_iou`` becomes ``from nnengine.vision.ops import box_iou``.

Example:
    >>> import nnengine as ne
    >>> from nnengine.vision.ops import box_iou, nms
    >>> boxes = ne.tensor([[0.0, 0, 2, 2], [0, 0, 2, 2.2], [5, 5, 6, 6]])
    >>> nms(boxes, ne.tensor([0.5, 0.9, 0.1]), iou_threshold=0.5).tolist()
    [1, 2]
"""

from .boxes import (
    batched_nms,
    box_area,
    box_convert,
    box_iou,
    clip_boxes_to_image,
    complete_box_iou,
    distance_box_iou,
    generalized_box_iou,
    nms,
    remove_small_boxes,
)
from .focal_loss import sigmoid_focal_loss
from .misc import Conv2dNormActivation

__all__ = ["nms", "batched_nms", "remove_small_boxes", "clip_boxes_to_image", "box_convert", "box_area", "box_iou",
           "generalized_box_iou", "distance_box_iou", "complete_box_iou", "sigmoid_focal_loss",
           "Conv2dNormActivation"]
