"""torchvision.ops.boxes: box formats, areas, IoU variants (built from Tensor ops, so differentiable as
torchvision's) and greedy non-maximum suppression (torchvision's CPU kernel: a stable descending sort by score,
then every later box whose IoU with a kept box is > ``iou_threshold`` is suppressed)."""

from __future__ import annotations

import math
from typing import Tuple

import numpy as np

from ...tensor import Tensor, from_numpy

__all__ = ["nms", "batched_nms", "remove_small_boxes", "clip_boxes_to_image", "box_convert", "box_area", "box_iou",
           "generalized_box_iou", "distance_box_iou", "complete_box_iou"]


def _check_boxes(boxes: object, name: str = "boxes") -> Tensor:
    if not isinstance(boxes, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(boxes).__name__}")
    if len(boxes.shape) < 1 or boxes.shape[-1] != 4:
        raise ValueError(f"{name}: expected boxes of shape (..., 4), got {tuple(boxes.shape)}")
    return boxes


def _upcast(t: Tensor) -> Tensor:
    """torchvision's ``_upcast``: half floats to float32, small integers to int32 (no overflow in products)."""
    if t.is_floating_point():
        return t if t.dtype in (np.float32, np.float64) else t.float()
    return t if t.dtype in (np.int32, np.int64) else t.int()


def _stack(parts: Tuple[Tensor, ...]) -> Tensor:
    from ... import stack

    return stack(parts, dim=-1)


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Greedy non-maximum suppression of (N, 4) ``boxes`` (x1, y1, x2, y2) by ``scores`` (N,): the int64
    indices of the kept boxes, in decreasing score order (equal scores: by index, torchvision's stable sort).

    Example:
        >>> import nnengine as ne
        >>> boxes = ne.tensor([[0.0, 0.0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]])
        >>> nms(boxes, ne.tensor([0.9, 0.8, 0.7]), 0.5).tolist()
        [0, 2]
    """
    _check_boxes(boxes)
    if not isinstance(scores, Tensor):
        raise TypeError(f"scores: expected a Tensor, got {type(scores).__name__}")
    if len(boxes.shape) != 2:
        raise ValueError(f"boxes: expected a 2-D tensor (N, 4), got shape {tuple(boxes.shape)}")
    if len(scores.shape) != 1 or scores.shape[0] != boxes.shape[0]:
        raise ValueError(f"scores: expected shape ({boxes.shape[0]},), got {tuple(scores.shape)}")
    b = boxes.detach().numpy()
    s = scores.detach().numpy()
    return from_numpy(_nms_np(b, s, float(iou_threshold)))


def _nms_np(b: np.ndarray, s: np.ndarray, thr: float) -> np.ndarray:
    n = b.shape[0]
    if n == 0:
        return np.zeros((0,), np.int64)
    if not np.issubdtype(b.dtype, np.floating):
        b = b.astype(np.float32)
    x1, y1, x2, y2 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    areas = (x2 - x1) * (y2 - y1)
    order = np.argsort(-s, kind="stable")
    suppressed = np.zeros(n, bool)
    keep = []
    zero = b.dtype.type(0)
    for idx, i in enumerate(order):
        if suppressed[i]:
            continue
        keep.append(i)
        rest = order[idx + 1:]
        rest = rest[~suppressed[rest]]
        if rest.size == 0:
            continue
        w = np.maximum(zero, np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]))
        h = np.maximum(zero, np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]))
        inter = w * h
        with np.errstate(divide="ignore", invalid="ignore"):
            ovr = inter / (areas[i] + areas[rest] - inter)
        suppressed[rest[ovr > thr]] = True
    return np.asarray(keep, np.int64)


def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    """``nms`` within each category of ``idxs`` (N,) independently: boxes of different categories never
    suppress each other; the kept indices in decreasing score order.

    Example:
        >>> import nnengine as ne
        >>> boxes = ne.tensor([[0.0, 0.0, 10, 10], [1, 1, 11, 11]])
        >>> batched_nms(boxes, ne.tensor([0.9, 0.8]), ne.tensor([0, 1]), 0.5).tolist()
        [0, 1]
    """
    _check_boxes(boxes)
    if not isinstance(idxs, Tensor):
        raise TypeError(f"idxs: expected a Tensor, got {type(idxs).__name__}")
    if not isinstance(scores, Tensor):
        raise TypeError(f"scores: expected a Tensor, got {type(scores).__name__}")
    b, s, c = boxes.detach().numpy(), scores.detach().numpy(), idxs.detach().numpy()
    if len(b.shape) != 2 or s.shape != (b.shape[0],) or c.shape != (b.shape[0],):
        raise ValueError(f"boxes/scores/idxs: expected shapes (N, 4), (N,), (N,), got {b.shape}, {s.shape}, {c.shape}")
    keep = np.zeros(b.shape[0], bool)
    for cls in np.unique(c):
        where = np.nonzero(c == cls)[0]
        keep[where[_nms_np(b[where], s[where], float(iou_threshold))]] = True
    kept = np.nonzero(keep)[0]
    return from_numpy(kept[np.argsort(-s[kept], kind="stable")].astype(np.int64))


def remove_small_boxes(boxes: Tensor, min_size: float) -> Tensor:
    """Indices of the boxes whose width and height are both >= ``min_size``.

    Example:
        >>> import nnengine as ne
        >>> remove_small_boxes(ne.tensor([[0.0, 0, 1, 1], [0, 0, 5, 5]]), 2.0).tolist()
        [1]
    """
    b = _check_boxes(boxes).detach().numpy()
    ws, hs = b[..., 2] - b[..., 0], b[..., 3] - b[..., 1]
    return from_numpy(np.nonzero((ws >= min_size) & (hs >= min_size))[0].astype(np.int64))


def clip_boxes_to_image(boxes: Tensor, size: Tuple[int, int]) -> Tensor:
    """Clip x to [0, width] and y to [0, height] for ``size`` = (height, width).

    Example:
        >>> import nnengine as ne
        >>> clip_boxes_to_image(ne.tensor([[-2.0, 1, 12, 30]]), (20, 10)).tolist()
        [[0.0, 1.0, 10.0, 20.0]]
    """
    _check_boxes(boxes)
    if not (isinstance(size, (tuple, list)) and len(size) == 2
            and all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in size)):
        raise TypeError(f"size: expected (height, width) numbers, got {size!r}")
    height, width = size
    x1, y1, x2, y2 = boxes.unbind(-1)
    return _stack((x1.clamp(min=0, max=width), y1.clamp(min=0, max=height), x2.clamp(min=0, max=width),
                   y2.clamp(min=0, max=height)))


def box_convert(boxes: Tensor, in_fmt: str, out_fmt: str) -> Tensor:
    """Convert between "xyxy" (corners), "xywh" (top-left, size) and "cxcywh" (center, size).

    Example:
        >>> import nnengine as ne
        >>> box_convert(ne.tensor([[1.0, 2, 4, 6]]), "xyxy", "cxcywh").tolist()
        [[2.5, 4.0, 3.0, 4.0]]
    """
    fmts = ("xyxy", "xywh", "cxcywh")
    if in_fmt not in fmts:
        raise ValueError(f"in_fmt: unsupported box format {in_fmt!r}, expected one of {fmts}")
    if out_fmt not in fmts:
        raise ValueError(f"out_fmt: unsupported box format {out_fmt!r}, expected one of {fmts}")
    _check_boxes(boxes)
    if in_fmt == out_fmt:
        return boxes.clone()
    a, b, c, d = boxes.unbind(-1)
    if in_fmt == "xywh":
        a, b, c, d = a, b, a + c, b + d
    elif in_fmt == "cxcywh":
        a, b, c, d = a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d
    if out_fmt == "xywh":
        return _stack((a, b, c - a, d - b))
    if out_fmt == "cxcywh":
        return _stack(((a + c) / 2, (b + d) / 2, c - a, d - b))
    return _stack((a, b, c, d))


def box_area(boxes: Tensor, fmt: str = "xyxy") -> Tensor:
    """Areas of (..., 4) boxes in format ``fmt`` ("xyxy", "xywh" or "cxcywh").

    Example:
        >>> import nnengine as ne
        >>> box_area(ne.tensor([[0.0, 0, 2, 3]])).tolist()
        [6.0]
    """
    if fmt not in ("xyxy", "xywh", "cxcywh"):
        raise ValueError(f"fmt: unsupported box format {fmt!r}, expected 'xyxy', 'xywh' or 'cxcywh'")
    boxes = _upcast(_check_boxes(boxes))
    if fmt == "xyxy":
        return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    return boxes[..., 2] * boxes[..., 3]


def _inter_union(boxes1: Tensor, boxes2: Tensor, fmt: str = "xyxy") -> Tuple[Tensor, Tensor]:
    from ... import max as tmax
    from ... import min as tmin

    area1, area2 = box_area(boxes1, fmt), box_area(boxes2, fmt)
    if fmt == "xyxy":
        lo1, hi1, lo2, hi2 = boxes1[..., :2], boxes1[..., 2:], boxes2[..., :2], boxes2[..., 2:]
    elif fmt == "xywh":
        lo1, lo2 = boxes1[..., :2], boxes2[..., :2]
        hi1, hi2 = lo1 + boxes1[..., 2:], lo2 + boxes2[..., 2:]
    else:
        lo1, hi1 = boxes1[..., :2] - boxes1[..., 2:] / 2, boxes1[..., :2] + boxes1[..., 2:] / 2
        lo2, hi2 = boxes2[..., :2] - boxes2[..., 2:] / 2, boxes2[..., :2] + boxes2[..., 2:] / 2
    lt = tmax(lo1[..., None, :], lo2[..., None, :, :])
    rb = tmin(hi1[..., None, :], hi2[..., None, :, :])
    wh = _upcast(rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter, area1[..., None] + area2[..., None, :] - inter


def box_iou(boxes1: Tensor, boxes2: Tensor, fmt: str = "xyxy") -> Tensor:
    """The (N, M) intersection-over-union of two sets of boxes (differentiable).

    Example:
        >>> import nnengine as ne
        >>> round(box_iou(ne.tensor([[0.0, 0, 2, 2]]), ne.tensor([[1.0, 1, 3, 3]])).item(), 4)
        0.1429
    """
    if fmt not in ("xyxy", "xywh", "cxcywh"):
        raise ValueError(f"fmt: unsupported box format {fmt!r}, expected 'xyxy', 'xywh' or 'cxcywh'")
    _check_boxes(boxes1, "boxes1")
    _check_boxes(boxes2, "boxes2")
    inter, union = _inter_union(boxes1, boxes2, fmt)
    return inter / union


def generalized_box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """The (N, M) generalized IoU (Rezatofighi et al. 2019): IoU - (hull - union) / hull, in [-1, 1].

    Example:
        >>> import nnengine as ne
        >>> generalized_box_iou(ne.tensor([[0.0, 0, 1, 1]]), ne.tensor([[2.0, 0, 3, 1]])).tolist()
        [[-0.3333333432674408]]
    """
    from ... import max as tmax
    from ... import min as tmin

    _check_boxes(boxes1, "boxes1")
    _check_boxes(boxes2, "boxes2")
    inter, union = _inter_union(boxes1, boxes2)
    iou = inter / union
    lti = tmin(boxes1[..., None, :2], boxes2[..., None, :, :2])
    rbi = tmax(boxes1[..., None, 2:], boxes2[..., None, :, 2:])
    whi = _upcast(rbi - lti).clamp(min=0)
    areai = whi[..., 0] * whi[..., 1]
    return iou - (areai - union) / areai


def _diou_iou(boxes1: Tensor, boxes2: Tensor, eps: float) -> Tuple[Tensor, Tensor]:
    from ... import max as tmax
    from ... import min as tmin

    iou = box_iou(boxes1, boxes2)
    lti = tmin(boxes1[..., None, :2], boxes2[..., None, :, :2])
    rbi = tmax(boxes1[..., None, 2:], boxes2[..., None, :, 2:])
    whi = _upcast(rbi - lti).clamp(min=0)
    diag = (whi[..., 0] ** 2) + (whi[..., 1] ** 2) + eps
    xp, yp = (boxes1[..., 0] + boxes1[..., 2]) / 2, (boxes1[..., 1] + boxes1[..., 3]) / 2
    xg, yg = (boxes2[..., 0] + boxes2[..., 2]) / 2, (boxes2[..., 1] + boxes2[..., 3]) / 2
    centers = (_upcast(xp[..., None] - xg[..., None, :]) ** 2) + (_upcast(yp[..., None] - yg[..., None, :]) ** 2)
    return iou - centers / diag, iou


def distance_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """The (N, M) distance IoU (Zheng et al. 2019): IoU minus the squared center distance over the squared
    diagonal of the enclosing box.

    Example:
        >>> import nnengine as ne
        >>> round(distance_box_iou(ne.tensor([[0.0, 0, 1, 1]]), ne.tensor([[0.0, 0, 1, 1]])).item(), 4)
        1.0
    """
    _check_boxes(boxes1, "boxes1")
    _check_boxes(boxes2, "boxes2")
    return _diou_iou(_upcast(boxes1), _upcast(boxes2), eps)[0]


def complete_box_iou(boxes1: Tensor, boxes2: Tensor, eps: float = 1e-7) -> Tensor:
    """The (N, M) complete IoU (Zheng et al. 2019): distance IoU minus an aspect-ratio consistency term (its
    weight ``alpha`` not differentiated, as torchvision).

    Example:
        >>> import nnengine as ne
        >>> round(complete_box_iou(ne.tensor([[0.0, 0, 2, 1]]), ne.tensor([[0.0, 0, 2, 1]])).item(), 4)
        1.0
    """
    from ... import atan, no_grad

    _check_boxes(boxes1, "boxes1")
    _check_boxes(boxes2, "boxes2")
    boxes1, boxes2 = _upcast(boxes1), _upcast(boxes2)
    diou, iou = _diou_iou(boxes1, boxes2, eps)
    w_pred, h_pred = boxes1[..., None, 2] - boxes1[..., None, 0], boxes1[..., None, 3] - boxes1[..., None, 1]
    w_gt, h_gt = boxes2[..., None, :, 2] - boxes2[..., None, :, 0], boxes2[..., None, :, 3] - boxes2[..., None, :, 1]
    v = (4 / (math.pi ** 2)) * (atan(w_pred / h_pred) - atan(w_gt / h_gt)) ** 2
    with no_grad():
        alpha = v / (1 - iou + v + eps)
    return diou - alpha * v
