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
