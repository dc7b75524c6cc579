"""Conv1d, ConvTranspose1d and ConvTranspose2d outside the engine: from_torch / to_torch (same weights, same
outputs) and ONNX export checked by onnxruntime."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require

import nnengine as ne
from nnengine import interop, nn
from nnengine.onnx import export


def _layers(tnn):
    """(torch layer, input shape) pairs covering every hyper-parameter the converters map."""
    return {
        "conv1d": (tnn.Conv1d(6, 8, 5, stride=2, padding=1, dilation=2, groups=2), (2, 6, 21)),
        "conv1d_same_even": (tnn.Conv1d(3, 4, 4, padding="same", bias=False), (2, 3, 10)),
        "convt1d": (tnn.ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2), (2, 4, 7)),
        "convt2d": (tnn.ConvTranspose2d(8, 4, 4, stride=2, padding=1), (2, 8, 4, 4)),
        "convt2d_hp": (tnn.ConvTranspose2d(4, 6, (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2),
                                           groups=2, dilation=(1, 2), bias=False), (2, 4, 5, 3)),
    }


@pytest.mark.parametrize("which", ["conv1d", "conv1d_same_even", "convt1d", "convt2d", "convt2d_hp"])
def test_from_torch_and_back(torch, which):
    torch.manual_seed(0)
    tm, shape = _layers(torch.nn)[which]
    seq = torch.nn.Sequential(tm, torch.nn.ReLU())
    nm = interop.from_torch(seq)
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        want = seq(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(nm(ne.tensor(x)).numpy(), want, rtol=1e-5, atol=1e-5)
    back = interop.to_torch(nm)
    assert type(back[0]) is type(tm)
    for a in ("kernel_size", "stride", "padding", "dilation", "groups", "output_padding"):
        assert getattr(back[0], a) == getattr(tm, a), a
    with torch.no_grad():
        np.testing.assert_allclose(back(torch.from_numpy(x)).numpy(), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_from_torch_and_back_keep_padding_modes(torch, mode):
    """Conv1d / Conv2d with a padding_mode other than zeros convert both ways with the same outputs (they were
    refused: nnengine's layers only padded with zeros)."""
    tm = torch.nn.Sequential(torch.nn.Conv1d(2, 3, 3, padding=1, padding_mode=mode), torch.nn.Unflatten(1, (3, 1)),
                             torch.nn.Conv2d(3, 2, (1, 3), padding="same", padding_mode=mode))
    x = np.random.default_rng(0).standard_normal((2, 2, 7)).astype(np.float32)
    with torch.no_grad():
        want = tm(torch.from_numpy(x)).numpy()
    m = interop.from_torch(tm)
    assert m[0].padding_mode == m[2].padding_mode == mode
    np.testing.assert_allclose(m(ne.tensor(x)).numpy(), want, rtol=1e-5, atol=1e-5)
    back = interop.to_torch(m)
    with torch.no_grad():
        np.testing.assert_allclose(back(torch.from_numpy(x)).numpy(), want, rtol=1e-5, atol=1e-5)


ONNX = {
    "conv1d": (lambda: nn.Conv1d(6, 8, 5, stride=2, padding=1, dilation=2, groups=2), (2, 6, 21)),
    "conv1d_same_even": (lambda: nn.Conv1d(3, 4, 4, padding="same"), (2, 3, 10)),
    "conv2d_same_even": (lambda: nn.Conv2d(3, 4, (2, 3), padding="same"), (2, 3, 6, 7)),
    "convt1d": (lambda: nn.ConvTranspose1d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2), (2, 4, 7)),
    "convt2d": (lambda: nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1), (2, 8, 4, 4)),
    "convt2d_hp": (lambda: nn.ConvTranspose2d(4, 6, (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2),
                                              groups=2, dilation=(1, 2), bias=False), (2, 4, 5, 3)),
    "dcgan_head": (lambda: nn.Sequential(nn.ConvTranspose2d(10, 8, 4, 1, 0, bias=False), nn.BatchNorm2d(8),
                                         nn.ReLU(), nn.ConvTranspose2d(8, 1, 4, 2, 1), nn.Tanh()), (3, 10, 1, 1)),
}


@pytest.mark.parametrize("which", sorted(ONNX))
def test_onnx_export_matches_onnxruntime(which, tmp_path):
    onnx = require("onnx")
    ort = require("onnxruntime")
    ne.manual_seed(0)
    make, shape = ONNX[which]
    model = make().eval()
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    path = str(tmp_path / "m.onnx")
    export(model, x, path)
    onnx.checker.check_model(onnx.load(path))
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    for inp in (x, rng.standard_normal((shape[0] + 2,) + shape[1:]).astype(np.float32)):
        got = sess.run(None, {name: inp})[0]
        want = model(ne.tensor(inp)).numpy()
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_onnx_export_needs_batched_input(tmp_path):
    require("onnx")
    with pytest.raises(ValueError, match="ConvTranspose1d at .* needs batched input"):
        export(nn.Sequential(nn.ConvTranspose1d(2, 3, 3)), np.zeros((2, 5), np.float32), str(tmp_path / "m.onnx"))
