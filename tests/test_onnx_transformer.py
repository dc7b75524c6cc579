"""ONNX export of TransformerDecoderLayer, TransformerEncoder/Decoder, Transformer and masked / cross
MultiheadAttention: onnxruntime vs nnengine and vs torch 2.13 (weights converted with interop.from_torch), with
masks as graph inputs (bool or additive float, key padding masks) or baked in as constants."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require

import nnengine as ne
from nnengine import nn
from nnengine.interop import from_torch
from nnengine.onnx import export

onnx = require("onnx")
ort = require("onnxruntime")
torch = require("torch")

pytestmark = pytest.mark.filterwarnings("ignore:.*(mismatched|enable_nested_tensor).*:UserWarning")
D, H, FF = 16, 4, 24
TOL = dict(rtol=1e-4, atol=2e-5)


def _x(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _seq(bf, n, length, seed):
    return _x((n, length, D) if bf else (length, n, D), seed)


def _causal(n):
    return nn.Transformer.generate_square_subsequent_mask(n).numpy()


def _kpm(n, length, seed):
    m = np.random.default_rng(seed).random((n, length)) < 0.3
    m[:, 0] = False  # no fully masked row
    return m


def _ort(path, feeds):
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    return sess.run(None, dict(zip(names, feeds))), names


def _ne(m, args):
    return m(*[a if a is None or a.dtype == np.bool_ else ne.tensor(a) for a in args]).numpy()


def _torch(tm, args):
    with torch.no_grad():
        return tm(*[None if a is None else torch.from_numpy(a) for a in args]).numpy()


LAYER_CFGS = [dict(), dict(norm_first=True), dict(activation="gelu", batch_first=True),
              dict(norm_first=True, activation="gelu", batch_first=True)]


@pytest.mark.parametrize("cfg", LAYER_CFGS)
def test_decoder_layer(cfg, tmp_path):
    torch.manual_seed(0)
    tm = torch.nn.TransformerDecoderLayer(D, H, FF, dropout=0.1, **cfg).eval()
    m = from_torch(tm)
    bf = cfg.get("batch_first", False)
    args = lambda n, s: (_seq(bf, n, 5, s), _seq(bf, n, 7, s + 1), _causal(5))  # noqa: E731
    path = str(tmp_path / "dec.onnx")
    m.train()
    export(m, args(3, 0), path)
    assert m.training  # restored after the eval-mode export
    m.eval()
    for a in (args(3, 0), args(2, 5)):
        (got,), names = _ort(path, a)
        assert names == ["tgt", "memory", "tgt_mask"]
        np.testing.assert_allclose(got, _ne(m, a), **TOL)
        np.testing.assert_allclose(got, _torch(tm, a), **TOL)


@pytest.mark.parametrize("bf", [False, True])
def test_decoder_layer_all_masks(bf, tmp_path):
    """tgt_mask bool, memory_mask float, both key padding masks (bool) as graph inputs."""
    torch.manual_seed(1)
    tm = torch.nn.TransformerDecoderLayer(D, H, FF, batch_first=bf).eval()
    m = from_torch(tm)
    mm = _x((5, 7), 9)
    args = lambda n, s: (_seq(bf, n, 5, s), _seq(bf, n, 7, s + 1), np.triu(np.ones((5, 5), bool), 1), mm,  # noqa: E731
                         _kpm(n, 5, s + 2), _kpm(n, 7, s + 3))
    path = str(tmp_path / "dec.onnx")
    export(m, args(3, 0), path)
    m.eval()
    for a in (args(3, 0), args(4, 10)):
        (got,), _ = _ort(path, a)
        np.testing.assert_allclose(got, _ne(m, a), **TOL)
        np.testing.assert_allclose(got, _torch(tm, a), **TOL)


@pytest.mark.parametrize("cfg", [dict(), dict(norm_first=True, activation="gelu", batch_first=True)])
def test_transformer(cfg, tmp_path):
    torch.manual_seed(2)
    tm = torch.nn.Transformer(D, H, 2, 2, FF, **cfg).eval()
    m = from_torch(tm)
    bf = cfg.get("batch_first", False)
    args = lambda n, s: (_seq(bf, n, 6, s), _seq(bf, n, 5, s + 1), None, _causal(5))  # noqa: E731
    path = str(tmp_path / "t.onnx")
    export(m, args(2, 0), path, output_names=["out"])
    m.eval()
    for a in (args(2, 0), args(3, 7)):
        (got,), names = _ort(path, [v for v in a if v is not None])
        assert names == ["src", "tgt", "tgt_mask"]
        np.testing.assert_allclose(got, _ne(m, a), **TOL)
        np.testing.assert_allclose(got, _torch(tm, a), **TOL)


def test_transformer_causal_mask_constant_and_padding(tmp_path):
    """The causal tgt_mask baked in (constant_inputs) and src / memory key padding masks as inputs."""
    torch.manual_seed(3)
    tm = torch.nn.Transformer(D, H, 1, 2, FF, batch_first=True).eval()
    m = from_torch(tm)
    kpm = _kpm(2, 6, 4)
    a = (_x((2, 6, D), 0), _x((2, 5, D), 1), None, _causal(5), None, kpm, None, kpm)
    path = str(tmp_path / "t.onnx")
    export(m, a, path, constant_inputs=[3], input_names=["src", "tgt", "src_pad", "mem_pad"])
    (got,), names = _ort(path, [a[0], a[1], kpm, kpm])
    assert names == ["src", "tgt", "src_pad", "mem_pad"]
    np.testing.assert_allclose(got, _ne(m.eval(), a), **TOL)
    np.testing.assert_allclose(got, _torch(tm, a), **TOL)


def test_encoder_and_decoder_stacks(tmp_path):
    torch.manual_seed(4)
    tenc = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, H, FF), 2, torch.nn.LayerNorm(D),
                                       enable_nested_tensor=False).eval()
    tdec = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(D, H, FF, norm_first=True), 2).eval()
    enc, dec = from_torch(tenc), from_torch(tdec)
    src_mask = np.triu(np.ones((6, 6), bool), 1)
    a = (_x((6, 3, D), 0), src_mask, _kpm(3, 6, 1))
    path = str(tmp_path / "enc.onnx")
    export(enc, a, path)
    (got,), names = _ort(path, a)
    assert names == ["src", "mask", "src_key_padding_mask"]
    np.testing.assert_allclose(got, _ne(enc.eval(), a), **TOL)
    np.testing.assert_allclose(got, _torch(tenc, a), **TOL)
    b = (_x((5, 3, D), 2), _x((6, 3, D), 3), _causal(5))
    export(dec, b, path)
    (got,), _ = _ort(path, b)
    np.testing.assert_allclose(got, _ne(dec.eval(), b), **TOL)
    np.testing.assert_allclose(got, _torch(tdec, b), **TOL)


def test_encoder_layer_with_masks(tmp_path):
    torch.manual_seed(5)
    tm = torch.nn.TransformerEncoderLayer(D, H, FF, batch_first=True, norm_first=True).eval()
    m = from_torch(tm)
    a = (_x((3, 6, D), 0), _x((6, 6), 1), _kpm(3, 6, 2))
    path = str(tmp_path / "e.onnx")
    export(m, a, path)
    (got,), _ = _ort(path, a)
    np.testing.assert_allclose(got, _ne(m.eval(), a), **TOL)
    # with grad enabled torch takes its regular path (the no-grad fast path uses nested tensors)
    want = tm(*[torch.from_numpy(v) for v in a]).detach().numpy()
    np.testing.assert_allclose(got, want, **TOL)


@pytest.mark.parametrize("bf", [False, True])
def test_cross_attention_with_masks(bf, tmp_path):
    """MultiheadAttention(query, key, value, key_padding_mask, None, attn_mask): outputs and averaged weights."""
    torch.manual_seed(6)
    tm = torch.nn.MultiheadAttention(D, H, batch_first=bf).eval()
    m = from_torch(tm)
    q, k, v = _seq(bf, 2, 5, 0), _seq(bf, 2, 7, 1), _seq(bf, 2, 7, 2)
    kpm, am = _kpm(2, 7, 3), _x((2 * H, 5, 7), 4)
    path = str(tmp_path / "mha.onnx")
    export(m, (q, k, v, kpm, None, am), path)
    got, names = _ort(path, (q, k, v, kpm, am))
    assert names == ["query", "key", "value", "key_padding_mask", "attn_mask"]
    want = m.eval()(ne.tensor(q), ne.tensor(k), ne.tensor(v), key_padding_mask=kpm, attn_mask=am)
    with torch.no_grad():
        ref = tm(*[torch.from_numpy(t) for t in (q, k, v)], key_padding_mask=torch.from_numpy(kpm),
                 attn_mask=torch.from_numpy(am))
    for g, w, r in zip(got, want, ref):
        np.testing.assert_allclose(g, w.numpy(), **TOL)
        np.testing.assert_allclose(g, r.numpy(), **TOL)


def test_bad_inputs(tmp_path):
    path = str(tmp_path / "bad.onnx")
    with pytest.raises(ValueError, match="TransformerDecoderLayer at '' needs \\(tgt, memory"):
        export(nn.TransformerDecoderLayer(D, H, FF), _x((5, 2, D), 0), path)
    with pytest.raises(ValueError, match="Transformer at '' needs \\(src, tgt"):
        export(nn.Transformer(D, H, 1, 1, FF), _x((5, 2, D), 0), path)
    with pytest.raises(ValueError, match="relu or gelu activation"):
        export(nn.TransformerDecoderLayer(D, H, FF, activation=ne.tanh), (_x((5, 2, D), 0), _x((5, 2, D), 1)), path)
    with pytest.raises(ValueError, match="expected at most 6 inputs"):
        export(nn.TransformerDecoderLayer(D, H, FF), tuple(_x((5, 2, D), i) for i in range(7)), path)
