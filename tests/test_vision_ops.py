"""nnengine.vision.ops: box formats, areas and IoU variants against torchvision's formulas written with torch
ops (values and gradients), greedy NMS against a brute-force transcription of torchvision's CPU kernel, the
sigmoid focal loss against its formula, argument errors, and the swapped ``from torchvision.ops import``."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import nnengine as ne
from nnengine.vision import ops


def _boxes(n, seed):
    rng = np.random.default_rng(seed)
    xy = rng.random((n, 2)) * 50
    return np.concatenate([xy, xy + rng.random((n, 2)) * 30 + 1], 1).astype(np.float32)


def _torch_ious(torch, b1, b2):
    """torchvision's box_iou / generalized / distance / complete IoU, transcribed with torch ops."""
    area1 = (b1[:, 2] - b1[:, 0]) * (b1[:, 3] - b1[:, 1])
    area2 = (b2[:, 2] - b2[:, 0]) * (b2[:, 3] - b2[:, 1])
    lt = torch.max(b1[:, None, :2], b2[None, :, :2])
    rb = torch.min(b1[:, None, 2:], b2[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = area1[:, None] + area2[None, :] - inter
    iou = inter / union
    lti = torch.min(b1[:, None, :2], b2[None, :, :2])
    rbi = torch.max(b1[:, None, 2:], b2[None, :, 2:])
    whi = (rbi - lti).clamp(min=0)
    areai = whi[..., 0] * whi[..., 1]
    giou = iou - (areai - union) / areai
    diag = whi[..., 0] ** 2 + whi[..., 1] ** 2 + 1e-7
    c1, c2 = (b1[:, :2] + b1[:, 2:]) / 2, (b2[:, :2] + b2[:, 2:]) / 2
    dist = ((c1[:, None] - c2[None]) ** 2).sum(-1)
    diou = iou - dist / diag
    w1, h1 = b1[:, None, 2] - b1[:, None, 0], b1[:, None, 3] - b1[:, None, 1]
    w2, h2 = b2[None, :, 2] - b2[None, :, 0], b2[None, :, 3] - b2[None, :, 1]
    v = (4 / math.pi ** 2) * (torch.atan(w1 / h1) - torch.atan(w2 / h2)) ** 2
    with torch.no_grad():
        alpha = v / (1 - iou + v + 1e-7)
    return {"box_iou": iou, "generalized_box_iou": giou, "distance_box_iou": diou, "complete_box_iou": diou - alpha * v}


@pytest.mark.parametrize("name", ["box_iou", "generalized_box_iou", "distance_box_iou", "complete_box_iou"])
def test_iou_variants_values_and_gradients_match_torch(name):
    torch = pytest.importorskip("torch")
    a, b = _boxes(7, 0), _boxes(5, 1)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    na, nb = ne.tensor(a, requires_grad=True), ne.tensor(b, requires_grad=True)
    want = _torch_ious(torch, ta, tb)[name]
    got = getattr(ops, name)(na, nb)
    assert got.shape == (7, 5)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-6)
    w = np.random.default_rng(2).random((7, 5)).astype(np.float32)
    (want * torch.tensor(w)).sum().backward()
    (got * ne.tensor(w)).sum().backward()
    np.testing.assert_allclose(np.asarray(na.grad), ta.grad.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(np.asarray(nb.grad), tb.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_hand_computed_values_formats_and_areas():
    b1, b2 = ne.tensor([[0.0, 0, 2, 2]]), ne.tensor([[1.0, 1, 3, 3]])
    assert ops.box_iou(b1, b2).item() == pytest.approx(1 / 7)
    assert ops.generalized_box_iou(b1, b2).item() == pytest.approx(1 / 7 - (9 - 7) / 9)
    assert ops.box_area(ne.tensor([[0.0, 0, 2, 3], [1, 1, 1, 5]])).tolist() == [6.0, 0.0]
    assert ops.box_area(ne.tensor([[5.0, 5, 2, 3]]), fmt="cxcywh").tolist() == [6.0]
    xyxy = _boxes(6, 3)
    x1, y1, x2, y2 = xyxy.T
    xywh = np.stack([x1, y1, x2 - x1, y2 - y1], 1)
    cxcywh = np.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], 1)
    forms = {"xyxy": xyxy, "xywh": xywh, "cxcywh": cxcywh}
    for i, src in forms.items():
        for o, dst in forms.items():
            np.testing.assert_allclose(ops.box_convert(ne.tensor(src), i, o).numpy(), dst, rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(ops.box_iou(ne.tensor(src), ne.tensor(src), fmt=i).numpy(),
                                   ops.box_iou(ne.tensor(xyxy), ne.tensor(xyxy)).numpy(), rtol=1e-5, atol=1e-6)
    clipped = ops.clip_boxes_to_image(ne.tensor([[-2.0, 1, 12, 30], [3, -4, 5, 6]]), (20, 10))
    assert clipped.tolist() == [[0.0, 1.0, 10.0, 20.0], [3.0, 0.0, 5.0, 6.0]]
    assert ops.remove_small_boxes(ne.tensor([[0.0, 0, 1, 5], [0, 0, 5, 5], [0, 0, 2, 2]]), 2.0).tolist() == [1, 2]
    b = ne.tensor(xyxy, requires_grad=True)
    ops.box_convert(b, "xyxy", "cxcywh").sum().backward()  # d(cx + cy + w + h)/dx1 = 0.5 - 1
    np.testing.assert_allclose(np.asarray(b.grad), np.tile([-0.5, -0.5, 1.5, 1.5], (6, 1)), atol=1e-6)


def _ref_nms(b, s, thr):
    """torchvision's CPU nms kernel as a plain loop: a stable descending sort, IoU > thr suppresses."""
    order = sorted(range(len(s)), key=lambda i: (-s[i], i))
    area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    keep, sup = [], set()
    for k, i in enumerate(order):
        if i in sup:
            continue
        keep.append(i)
        for j in order[k + 1:]:
            w = max(0.0, min(b[i, 2], b[j, 2]) - max(b[i, 0], b[j, 0]))
            h = max(0.0, min(b[i, 3], b[j, 3]) - max(b[i, 1], b[j, 1]))
            if w * h / (area[i] + area[j] - w * h) > thr:
                sup.add(j)
    return keep


def test_nms_and_batched_nms_match_the_kernel():
    rng = np.random.default_rng(4)
    for trial in range(15):
        b = _boxes(50, 10 + trial)
        s = np.round(rng.random(50), 1).astype(np.float32)  # many ties: index order decides
        for thr in (0.2, 0.5):
            keep = ops.nms(ne.tensor(b), ne.tensor(s), thr)
            assert keep.dtype == np.int64 and keep.tolist() == _ref_nms(b.astype(np.float64), s, thr)
        cls = rng.integers(0, 3, 50)
        got = ops.batched_nms(ne.tensor(b), ne.tensor(s), ne.tensor(cls), 0.3).tolist()
        kept = set()
        for c in range(3):
            idx = np.nonzero(cls == c)[0]
            kept |= {int(idx[k]) for k in _ref_nms(b[idx].astype(np.float64), s[idx], 0.3)}
        assert got == sorted(kept, key=lambda i: (-s[i], i))
    # exactly at the threshold is kept (suppression needs IoU > threshold)
    two = ne.tensor([[0.0, 0, 2, 2], [1, 0, 3, 2]])  # IoU 1/3
    assert ops.nms(two, ne.tensor([0.9, 0.8]), 1 / 3 + 1e-6).tolist() == [0, 1]
    assert ops.nms(two, ne.tensor([0.8, 0.9]), 0.3).tolist() == [1]
    assert ops.nms(ne.zeros(0, 4), ne.zeros(0), 0.5).tolist() == []


def test_sigmoid_focal_loss_matches_the_formula():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 6)).astype(np.float32)
    t = (rng.random((4, 6)) > 0.5).astype(np.float32)
    for alpha, gamma, red in [(0.25, 2, "none"), (0.3, 1.5, "mean"), (-1, 2, "sum")]:
        tx = torch.tensor(x, requires_grad=True)
        p = torch.sigmoid(tx)
        ce = torch.nn.functional.binary_cross_entropy_with_logits(tx, torch.tensor(t), reduction="none")
        p_t = p * torch.tensor(t) + (1 - p) * (1 - torch.tensor(t))
        want = ce * (1 - p_t) ** gamma
        if alpha >= 0:
            want = (alpha * torch.tensor(t) + (1 - alpha) * (1 - torch.tensor(t))) * want
        want = {"none": want, "mean": want.mean(), "sum": want.sum()}[red]
        nx = ne.tensor(x, requires_grad=True)
        got = ops.sigmoid_focal_loss(nx, ne.tensor(t), alpha, gamma, red)
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-7)
        want.sum().backward()
        got.sum().backward()
        np.testing.assert_allclose(np.asarray(nx.grad), tx.grad.numpy(), rtol=1e-4, atol=1e-7)


def test_errors_name_the_argument():
    b = ne.tensor([[0.0, 0, 1, 1]])
    with pytest.raises(ValueError, match="in_fmt"):
        ops.box_convert(b, "xy", "xyxy")
    with pytest.raises(ValueError, match="out_fmt"):
        ops.box_convert(b, "xyxy", "xyxyr")
    with pytest.raises(ValueError, match="fmt"):
        ops.box_iou(b, b, fmt="polar")
    with pytest.raises(ValueError, match="boxes1"):
        ops.box_iou(ne.zeros(2, 3), b)
    with pytest.raises(TypeError, match="boxes"):
        ops.nms(np.zeros((1, 4)), ne.zeros(1), 0.5)
    with pytest.raises(ValueError, match="scores"):
        ops.nms(b, ne.zeros(2), 0.5)
    with pytest.raises(ValueError, match="alpha"):
        ops.sigmoid_focal_loss(ne.zeros(2), ne.zeros(2), alpha=2.0)
    with pytest.raises(ValueError, match="reduction"):
        ops.sigmoid_focal_loss(ne.zeros(2), ne.zeros(2), reduction="avg")
    with pytest.raises(TypeError, match="size"):
        ops.clip_boxes_to_image(b, 5)


def test_swapped_torchvision_ops_import_runs(tmp_path):
    from test_torch_scripts import swap

    src = textwrap.dedent("""\
        import torch
        from torchvision.ops import box_iou, nms
        import torchvision.ops as tvops
        from torchvision.ops.boxes import box_area
        b = torch.tensor([[0.0, 0, 2, 2], [1, 1, 3, 3]])
        print(round(float(box_iou(b, b)[0, 1]), 4), nms(b, torch.tensor([0.1, 0.9]), 0.5).tolist(),
              tvops.box_convert(b, "xyxy", "xywh").tolist()[1], box_area(b).tolist())
    """)
    code = swap(src, torchvision=True)
    assert "from nnengine.vision.ops import box_iou, nms" in code
    path = tmp_path / "s.py"
    path.write_text(code)
    import os

    pkg = os.path.dirname(os.path.dirname(ne.__file__))
    env = dict(os.environ, PYTHONPATH=pkg)
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0.1429", "[1,", "0]", "[1.0,", "1.0,", "2.0,", "2.0]", "[4.0,", "4.0]"]
