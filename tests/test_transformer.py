"""Transformer layers against torch 2.13 with torch's weights loaded: TransformerEncoderLayer/DecoderLayer,
the stacks and nn.Transformer (outputs in eval mode, input and parameter gradients with dropout=0), names,
init, masks, save/load, interop, ONNX export of the encoder layer, bad arguments."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine import nn

D, H, FF, N = 16, 4, 24, 3


def _load(m, t):
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    assert list(m.state_dict()) == list(t.state_dict())


def _x(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _seq(L, bf, seed):
    return _x((N, L, D) if bf else (L, N, D), seed)


def _compare(torch, t, m, inputs, kwargs, train, atol=2e-5):
    """Outputs (and, when train, input and parameter gradients of a random projection) of torch t and nnengine m."""
    t.train(train), m.train(train)
    ts = [torch.tensor(a, requires_grad=True) for a in inputs]
    ns = [ne.tensor(a, requires_grad=True) for a in inputs]
    tk = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    to, no = t(*ts, **tk), m(*ns, **kwargs)
    np.testing.assert_allclose(no.numpy(), to.detach().numpy(), atol=atol)
    if not train:
        return
    g = _x(tuple(to.shape), 99)
    (to * torch.tensor(g)).sum().backward()
    (no * ne.tensor(g)).sum().backward()
    for a, b in zip(ns, ts):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), atol=atol)
    params = dict(m.named_parameters())
    for name, p in t.named_parameters():
        np.testing.assert_allclose(params[name].grad, p.grad.numpy(), atol=atol, err_msg=name)


ENC = {
    "post_norm": {},
    "pre_norm_batch_first": {"norm_first": True, "batch_first": True},
    "no_bias": {"bias": False},
    "relu_module": {"activation": "relu_module"},
    "gelu": {"activation": "gelu"},
    "gelu_module_pre_norm": {"activation": "gelu_module", "norm_first": True},
    "masks": {"masks": True},
    "masks_batch_first_pre": {"masks": True, "batch_first": True, "norm_first": True},
}


def _act(torch, kw, engine):
    if kw.get("activation") == "relu_module":
        kw["activation"] = nn.ReLU() if engine else torch.nn.ReLU()
    if kw.get("activation") == "gelu_module":
        kw["activation"] = nn.GELU() if engine else torch.nn.GELU()
    return kw


@pytest.mark.parametrize("name", list(ENC))
@pytest.mark.parametrize("train", [False, True])
def test_encoder_layer_matches_torch(name, train, torch):
    c = dict(ENC[name])
    masks = c.pop("masks", False)
    L = 7
    kw = dict(dim_feedforward=FF, dropout=0.0 if train else 0.1, **c)
    torch.manual_seed(0)
    t = torch.nn.TransformerEncoderLayer(D, H, **_act(torch, dict(kw), False))
    m = nn.TransformerEncoderLayer(D, H, **_act(torch, dict(kw), True))
    _load(m, t)
    assert m.activation_relu_or_gelu == t.activation_relu_or_gelu == (2 if "gelu" in name else 1)
    kwargs = {}
    if masks:
        kpm = np.random.default_rng(1).random((N, L)) > 0.7
        kpm[:, 0] = False
        kwargs = {"src_mask": nn.Transformer.generate_square_subsequent_mask(L).numpy(), "src_key_padding_mask": kpm}
    _compare(torch, t, m, [_seq(L, c.get("batch_first", False), 2)], kwargs, train)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("train", [False, True])
def test_decoder_layer_matches_torch(norm_first, train, torch):
    T, S = 6, 8
    kw = dict(dim_feedforward=FF, dropout=0.0 if train else 0.1, norm_first=norm_first,
              activation="gelu" if norm_first else F.relu)
    torch.manual_seed(0)
    t = torch.nn.TransformerDecoderLayer(D, H, **{**kw, "activation": "gelu" if norm_first else "relu"})
    m = nn.TransformerDecoderLayer(D, H, **kw)
    _load(m, t)
    mkpm = np.random.default_rng(3).random((N, S)) > 0.7
    mkpm[:, 0] = False
    kwargs = {"tgt_mask": np.triu(np.ones((T, T), bool), 1), "memory_key_padding_mask": mkpm,
              "memory_mask": _x((T, S), 4)}
    _compare(torch, t, m, [_seq(T, False, 5), _seq(S, False, 6)], kwargs, train)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("train", [False, True])
def test_transformer_matches_torch(batch_first, train, torch):
    S, T = 7, 5
    kw = dict(d_model=D, nhead=H, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=FF,
              dropout=0.0 if train else 0.1, batch_first=batch_first)
    torch.manual_seed(0)
    t, m = torch.nn.Transformer(**kw), nn.Transformer(**kw)
    _load(m, t)
    kpm = np.random.default_rng(7).random((N, S)) > 0.7
    kpm[:, 0] = False
    kwargs = {"tgt_mask": nn.Transformer.generate_square_subsequent_mask(T).numpy(), "src_key_padding_mask": kpm,
              "memory_key_padding_mask": kpm}
    _compare(torch, t, m, [_seq(S, batch_first, 8), _seq(T, batch_first, 9)], kwargs, train, atol=5e-5)


def test_stacks_with_norm_and_causal_hint(torch):
    L = 6
    torch.manual_seed(0)
    te = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, H, FF, 0.0), 3, torch.nn.LayerNorm(D),
                                     enable_nested_tensor=False)
    me = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H, FF, 0.0), 3, nn.LayerNorm(D),
                               enable_nested_tensor=False)
    _load(me, te)
    assert [k for k in me.state_dict() if k.startswith("layers.2.")][:2] == ["layers.2.self_attn.in_proj_weight",
                                                                           "layers.2.self_attn.in_proj_bias"]
    mask = nn.Transformer.generate_square_subsequent_mask(L).numpy()
    _compare(torch, te, me, [_seq(L, False, 10)], {"mask": mask, "is_causal": True}, True)
    td = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(D, H, FF, 0.0), 2)
    md = nn.TransformerDecoder(nn.TransformerDecoderLayer(D, H, FF, 0.0), 2)
    _load(md, td)
    _compare(torch, td, md, [_seq(L, False, 11), _seq(4, False, 12)], {"tgt_mask": mask, "tgt_is_causal": True},
             True)


def test_layers_are_independent_copies():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H, FF), 2)
    a, b = enc.layers[0].linear1.weight, enc.layers[1].linear1.weight
    assert a is not b and np.array_equal(a.numpy(), b.numpy())


def test_defaults_init_and_mask(torch):
    m = nn.Transformer()
    t = torch.nn.Transformer()
    assert {k: tuple(v.shape) for k, v in m.state_dict().items()} == {
        k: tuple(v.shape) for k, v in t.state_dict().items()}
    assert (m.d_model, m.nhead, m.batch_first) == (512, 8, False)
    layer = m.encoder.layers[0]
    assert layer.dropout.p == 0.1 and layer.norm1.eps == 1e-5 and not layer.norm_first
    assert layer.activation is F.relu
    w = layer.linear1.weight.numpy()  # xavier_uniform_ over (2048, 512)
    bound = np.sqrt(6.0 / (512 + 2048))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert (m.encoder.norm.weight.numpy() == 1).all()
    for sz in (0, 1, 5):
        np.testing.assert_array_equal(nn.Transformer.generate_square_subsequent_mask(sz).numpy(),
                                      torch.nn.Transformer.generate_square_subsequent_mask(sz).numpy())


def test_save_load_roundtrip(tmp_path):
    m = nn.Transformer(D, H, 1, 1, FF, dropout=0.0)
    ne.save(m.state_dict(), tmp_path / "tr.nne")
    m2 = nn.Transformer(D, H, 1, 1, FF, dropout=0.0)
    m2.load_state_dict(ne.load(tmp_path / "tr.nne"))
    src, tgt = ne.tensor(_seq(5, False, 13)), ne.tensor(_seq(4, False, 14))
    assert np.array_equal(m(src, tgt).numpy(), m2(src, tgt).numpy())


def test_interop_both_ways(torch):
    from nnengine.interop import from_torch, to_torch

    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.TransformerEncoderLayer(D, H, FF, 0.0, "gelu", 1e-6, True, True),
                             torch.nn.Linear(D, 3))
    nm = from_torch(tm)
    layer = nm[0]
    assert type(layer) is nn.TransformerEncoderLayer and layer.norm_first and layer.self_attn.batch_first
    assert layer.norm1.eps == 1e-6 and layer.activation is F.gelu
    x = _x((2, 5, D), 15)
    np.testing.assert_allclose(nm(ne.tensor(x)).numpy(), tm(torch.tensor(x)).detach().numpy(), atol=2e-5)
    back = to_torch(nm)
    assert type(back[0]) is torch.nn.TransformerEncoderLayer and back[0].norm_first
    np.testing.assert_allclose(back(torch.tensor(x)).detach().numpy(), tm(torch.tensor(x)).detach().numpy(),
                               atol=1e-6)


def test_interop_transformer_and_stacks(torch):
    from nnengine.interop import from_torch, to_torch

    torch.manual_seed(0)
    tm = torch.nn.Transformer(D, H, 2, 1, FF, dropout=0.0, batch_first=True).eval()
    nm = from_torch(tm)
    assert type(nm) is nn.Transformer and len(nm.encoder.layers) == 2 and len(nm.decoder.layers) == 1
    src, tgt = _x((2, 5, D), 18), _x((2, 4, D), 19)
    mask = nn.Transformer.generate_square_subsequent_mask(4).numpy()
    want = tm(torch.tensor(src), torch.tensor(tgt), tgt_mask=torch.tensor(mask)).detach().numpy()
    np.testing.assert_allclose(nm(ne.tensor(src), ne.tensor(tgt), tgt_mask=mask).numpy(), want, atol=2e-5)
    back = to_torch(nm.encoder)
    assert type(back) is torch.nn.TransformerEncoder and type(back.norm) is torch.nn.LayerNorm


@pytest.mark.parametrize("cfg", [dict(), dict(norm_first=True, batch_first=True, activation="gelu")])
def test_onnx_export_encoder_layer(cfg, tmp_path):
    from conftest import require

    require("onnx")
    ort = require("onnxruntime")
    from nnengine.onnx import export

    m = nn.TransformerEncoderLayer(D, H, FF, **cfg)
    x = _x((6, 3, D), 16)
    path = str(tmp_path / "enc.onnx")
    export(m, x, path)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    m.eval()
    other = _x((2, 3, D) if cfg.get("batch_first") else (6, 2, D), 17)
    for inp in (x, other):
        (got,) = sess.run(None, {sess.get_inputs()[0].name: inp})
        np.testing.assert_allclose(got, m(ne.tensor(inp)).numpy(), rtol=1e-4, atol=1e-5)


def test_bad_arguments():
    with pytest.raises(ValueError, match="activation: expected 'relu', 'gelu' or a callable"):
        nn.TransformerEncoderLayer(D, H, activation="swish")
    with pytest.raises(TypeError, match="activation: expected"):
        nn.TransformerDecoderLayer(D, H, activation=3)
    with pytest.raises(ValueError, match="embed_dim: expected a multiple of num_heads"):
        nn.TransformerEncoderLayer(10, 3)
    with pytest.raises(ValueError, match="dim_feedforward: expected a positive int"):
        nn.TransformerEncoderLayer(D, H, dim_feedforward=0)
    with pytest.raises(ValueError, match="num_layers: expected a non-negative int"):
        nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H), -1)
    with pytest.raises(ValueError, match="sz: expected a non-negative int"):
        nn.Transformer.generate_square_subsequent_mask(-2)
    m = nn.Transformer(D, H, 1, 1, FF)
    with pytest.raises(ValueError, match="src, tgt: expected the same batch size"):
        m(ne.tensor(_x((5, 2, D), 0)), ne.tensor(_x((4, 3, D), 1)))
    with pytest.raises(ValueError, match="src, tgt: expected last dimension 16"):
        m(ne.tensor(_x((5, 2, 8), 0)), ne.tensor(_x((4, 2, 8), 1)))


def test_save_model_roundtrip_multi_input(tmp_path):
    """io.save_model / load_model (architecture + weights) of the layers that take several inputs."""
    from nnengine import io

    ne.manual_seed(2)
    path = str(tmp_path / "m.safetensors")
    src, tgt = ne.tensor(_seq(5, False, 20)), ne.tensor(_seq(4, False, 21))
    for m, args in ((nn.Transformer(D, H, 1, 1, FF, activation="gelu", norm_first=True), (src, tgt)),
                    (nn.TransformerDecoderLayer(D, H, FF), (tgt, src)),
                    (nn.TransformerDecoder(nn.TransformerDecoderLayer(D, H, FF), 2, nn.LayerNorm(D)), (tgt, src)),
                    (nn.MultiheadAttention(D, H, kdim=5, vdim=7, add_bias_kv=True),
                     (tgt, ne.tensor(_x((5, N, 5), 22)), ne.tensor(_x((5, N, 7), 23))))):
        io.save_model(m.eval(), path)
        back = io.load_model(path).eval()
        assert type(back) is type(m) and list(back.state_dict()) == list(m.state_dict())
        a, b = m(*args), back(*args)
        a, b = (a[0], b[0]) if isinstance(a, tuple) else (a, b)
        assert np.array_equal(a.numpy(), b.numpy())


def test_transformer_every_isa_vs_torch(isa, torch):
    """nn.Transformer (encoder and decoder stacks, masks, dropout=0) vs torch on every ISA: output, input and
    parameter gradients."""
    torch.manual_seed(3)
    kw = dict(d_model=D, nhead=H, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=FF, dropout=0.0)
    t, m = torch.nn.Transformer(**kw), nn.Transformer(**kw)
    _load(m, t)
    mask = nn.Transformer.generate_square_subsequent_mask(6).numpy()
    _compare(torch, t, m, [_seq(9, False, 4), _seq(6, False, 5)], {"tgt_mask": mask}, train=True, atol=5e-5)


def test_transformer_threads_bit_identical(threads):
    """Forward and backward of a training step (dropout on) are bit-identical at 1 and 2 threads."""
    ne.manual_seed(0)
    m = nn.Transformer(d_model=D, nhead=H, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=FF,
                       dropout=0.2, batch_first=True)
    src, tgt = _seq(11, True, 6), _seq(7, True, 7)
    res = []
    for n in (1, 2):
        with threads(n):
            ne.manual_seed(9)
            s, t = ne.tensor(src, requires_grad=True), ne.tensor(tgt, requires_grad=True)
            out = m(s, t, tgt_mask=nn.Transformer.generate_square_subsequent_mask(7), tgt_is_causal=True)
            (out * out).sum().backward()
            res.append([out.numpy(), s.grad, t.grad] + [p.grad.copy() for p in m.parameters()])
            m.zero_grad()
    for a, b in zip(*res):
        assert np.array_equal(a, b)


def test_layers_vs_float64_oracle_and_finite_differences(torch):
    """float64 oracle: torch's layers in float64 with the same weights; finite differences: gradcheck of the
    inputs and of a weight through an encoder layer and a decoder layer (gelu: no kinks for the differences)."""
    from nnengine.autograd import gradcheck

    torch.manual_seed(4)
    for tcls, ncls, ins in ((torch.nn.TransformerEncoderLayer, nn.TransformerEncoderLayer, [_seq(5, False, 8)]),
                            (torch.nn.TransformerDecoderLayer, nn.TransformerDecoderLayer,
                             [_seq(4, False, 9), _seq(5, False, 10)])):
        t = tcls(D, H, dim_feedforward=FF, dropout=0.0, activation="gelu").double().eval()
        m = ncls(D, H, dim_feedforward=FF, dropout=0.0, activation="gelu").eval()
        m.load_state_dict({k: v.float().numpy() for k, v in t.state_dict().items()})
        want = t(*(torch.tensor(a, dtype=torch.float64) for a in ins)).detach().numpy()
        got = m(*(ne.tensor(a) for a in ins)).numpy()
        np.testing.assert_allclose(got, want, rtol=0, atol=2e-5)
        xs = [ne.tensor(a, requires_grad=True) for a in ins]
        assert gradcheck(m, xs, eps=1e-2, atol=2e-3, rtol=2e-2)
        consts = [ne.tensor(a) for a in ins]
        assert gradcheck(lambda p, m=m, c=consts: m(*c), [m.linear1.weight], eps=1e-2, atol=2e-3, rtol=2e-2)
