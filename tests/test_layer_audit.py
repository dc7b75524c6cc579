"""Gaps found by the issue-17 audit of io / interop / ONNX coverage: MSELoss and L1Loss convert from and to torch
and save/load; torch's TransformerDecoderLayer (which keeps only its activation callable) and TransformerDecoder
convert both ways."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
from nnengine import nn
from nnengine.interop import from_torch, to_torch
from nnengine.io import load_model, save_model


@pytest.mark.parametrize("name", ["MSELoss", "L1Loss"])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_mse_l1_interop_and_io(name, reduction, torch, tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((4, 5)).astype(np.float32), rng.standard_normal((4, 5)).astype(np.float32)
    tm = getattr(torch.nn, name)(reduction=reduction)
    want = tm(torch.tensor(x), torch.tensor(y)).numpy()
    m = from_torch(tm)
    assert type(m) is getattr(nn, name) and m.reduction == reduction
    save_model(m, str(tmp_path / "l.safetensors"))
    back = load_model(str(tmp_path / "l.safetensors"))
    assert type(back) is type(m) and back.reduction == reduction
    for mm in (m, back):
        np.testing.assert_allclose(mm(ne.tensor(x), ne.tensor(y)).numpy(), want, rtol=1e-6, atol=1e-7)
    tback = to_torch(m)
    assert type(tback) is type(tm) and tback.reduction == reduction


@pytest.mark.parametrize("act", ["relu", "gelu", "gelu_module"])
def test_decoder_layer_and_stack_interop_both_ways(act, torch):
    torch.manual_seed(0)
    a = torch.nn.GELU() if act == "gelu_module" else act
    layer = torch.nn.TransformerDecoderLayer(16, 4, 24, dropout=0.0, activation=a, norm_first=act == "gelu")
    for tm in (layer, torch.nn.TransformerDecoder(layer, 2, torch.nn.LayerNorm(16))):
        tm.eval()
        m = from_torch(tm)
        assert type(m).__name__ == type(tm).__name__ and list(m.state_dict()) == list(tm.state_dict())
        if isinstance(m, nn.TransformerDecoderLayer):  # (torch's stack copies may rebuild the activation)
            assert m.activation_relu_or_gelu == (1 if act == "relu" else 2)
        rng = np.random.default_rng(1)
        tgt, mem = rng.standard_normal((5, 2, 16)).astype(np.float32), rng.standard_normal((7, 2, 16)).astype(np.float32)
        mask = nn.Transformer.generate_square_subsequent_mask(5).numpy()
        with torch.no_grad():
            want = tm(torch.tensor(tgt), torch.tensor(mem), tgt_mask=torch.tensor(mask)).numpy()
        got = m.eval()(ne.tensor(tgt), ne.tensor(mem), tgt_mask=mask).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-5)
        back = to_torch(m)
        assert type(back) is type(tm)
        for k, v in tm.state_dict().items():
            np.testing.assert_array_equal(back.state_dict()[k].numpy(), v.numpy())


def test_decoder_layer_with_other_activation_is_refused(torch):
    tm = torch.nn.TransformerDecoderLayer(16, 4, 24, activation=torch.nn.GELU(approximate="tanh"))
    with pytest.raises(TypeError, match="an activation other than relu or gelu"):
        from_torch(tm)


@pytest.mark.parametrize("name,out,shape", [
    ("AdaptiveAvgPool2d", 3, (2, 3, 7, 7)),
    ("AdaptiveMaxPool2d", (3, 5), (2, 3, 7, 9)),
    ("AdaptiveAvgPool2d", (4, 2), (1, 2, 10, 4)),  # one axis uneven, one even
    ("AdaptiveAvgPool1d", 5, (2, 3, 13)),
    ("AdaptiveMaxPool1d", 4, (2, 3, 6)),  # overlapping bins
])
def test_adaptive_pooling_to_any_size_exports(name, out, shape, torch, tmp_path):
    """Output sizes that do not divide the input: per-cell Slice + Reduce over torch's bins, onnxruntime vs
    nnengine and torch, at two batch sizes."""
    from conftest import require

    from nnengine.onnx import export

    ort = require("onnxruntime")
    m = getattr(nn, name)(out)
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(np.float32)
    path = str(tmp_path / "p.onnx")
    export(m, x, path)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for inp in (x, rng.standard_normal((shape[0] + 3,) + shape[1:]).astype(np.float32)):
        (got,) = sess.run(None, {"input": inp})
        np.testing.assert_allclose(got, m(ne.tensor(inp)).numpy(), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(got, getattr(torch.nn, name)(out)(torch.tensor(inp)).numpy(), rtol=1e-6, atol=1e-6)
