"""nn.MultiheadAttention against torch 2.13 (torch weights copied in): outputs, weights, input and parameter
gradients over torch's options and masks; init, state_dict, save/load, dropout, bad arguments."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
from nnengine import nn

CASES = {
    "self": {},
    "self_batch_first": {"batch_first": True},
    "cross": {"self_attn": False},
    "cross_kdim_vdim": {"self_attn": False, "kdim": 5, "vdim": 11},
    "no_bias": {"bias": False},
    "add_bias_kv": {"self_attn": False, "add_bias_kv": True},
    "add_zero_attn": {"add_zero_attn": True},
    "bool_causal_mask": {"mask": "causal"},
    "float_3d_mask": {"mask": "float3d"},
    "is_causal_hint": {"mask": "float3d", "is_causal": True, "need_weights": False},  # torch drops the mask
    "key_padding_no_weights": {"kpm": True, "need_weights": False},
    "key_padding_heads": {"kpm": True, "avg": False, "batch_first": True},
    "float_key_padding": {"kpm": "float", "self_attn": False},
    "unbatched": {"unbatched": True},
    "unbatched_cross_bf": {"unbatched": True, "batch_first": True, "self_attn": False, "need_weights": False},
}


def _pair(torch, E=16, H=4, **kw):
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(E, H, **kw)
    m = nn.MultiheadAttention(E, H, **kw)
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return t, m


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name, torch):
    c = dict(CASES[name])
    E, H, L, N = 16, 4, 7, 3
    self_attn = c.pop("self_attn", True)
    S = L if self_attn else 9
    bf, unb = c.get("batch_first", False), c.pop("unbatched", False)
    mask_kind, kpm_kind = c.pop("mask", None), c.pop("kpm", None)
    need_weights, avg = c.pop("need_weights", True), c.pop("avg", True)
    is_causal = c.pop("is_causal", False)
    t, m = _pair(torch, E, H, **c)
    assert list(t.state_dict()) == list(m.state_dict())
    rng = np.random.default_rng(0)

    def seq(n, e):
        return rng.standard_normal((n, e) if unb else ((N, n, e) if bf else (n, N, e))).astype(np.float32)

    q = seq(L, E)
    k = q if self_attn else seq(S, c.get("kdim") or E)
    v = q if self_attn else seq(S, c.get("vdim") or E)
    mask = kpm = None
    if mask_kind == "causal":
        mask = np.triu(np.ones((L, S), bool), 1)
    elif mask_kind == "float3d":
        mask = rng.standard_normal((N * H, L, S)).astype(np.float32)
    if kpm_kind:
        kpm = rng.random((N, S)) > 0.6
        kpm[:, 0] = False
        if kpm_kind == "float":
            kpm = np.where(kpm, -1e4, rng.standard_normal((N, S)).astype(np.float32)).astype(np.float32)
    tq = torch.tensor(q, requires_grad=True)
    tk, tv = (tq, tq) if self_attn else (torch.tensor(k, requires_grad=True), torch.tensor(v, requires_grad=True))
    nq = ne.tensor(q, requires_grad=True)
    nk, nv = (nq, nq) if self_attn else (ne.tensor(k, requires_grad=True), ne.tensor(v, requires_grad=True))
    tt = {"attn_mask": None if mask is None else torch.tensor(mask),
          "key_padding_mask": None if kpm is None else torch.tensor(kpm)}
    to, tw = t(tq, tk, tv, need_weights=need_weights, average_attn_weights=avg, is_causal=is_causal, **tt)
    no, nw = m(nq, nk, nv, need_weights=need_weights, average_attn_weights=avg, attn_mask=mask, key_padding_mask=kpm,
               is_causal=is_causal)
    np.testing.assert_allclose(no.numpy(), to.detach().numpy(), atol=1e-6)
    g = rng.standard_normal(to.shape).astype(np.float32)
    lt, ln = (to * torch.tensor(g)).sum(), (no * ne.tensor(g)).sum()
    if need_weights:
        np.testing.assert_allclose(nw.numpy(), tw.detach().numpy(), atol=1e-6)
        gw = rng.standard_normal(tw.shape).astype(np.float32)  # a loss on the weights too
        lt, ln = lt + (tw * torch.tensor(gw)).sum(), ln + (nw * ne.tensor(gw)).sum()
    else:
        assert tw is None and nw is None
    lt.backward()
    ln.backward()
    pairs = [(nq, tq)] + ([] if self_attn else [(nk, tk), (nv, tv)])
    for a, b in pairs:
        np.testing.assert_allclose(a.grad, b.grad.numpy(), atol=2e-6)
    params = dict(m.named_parameters())
    for pname, p in t.named_parameters():
        np.testing.assert_allclose(params[pname].grad, p.grad.numpy(), atol=5e-6, err_msg=pname)


def test_init_and_parameter_names(torch):
    m = nn.MultiheadAttention(64, 8)
    t = torch.nn.MultiheadAttention(64, 8)
    assert {k: tuple(v.shape) for k, v in m.state_dict().items()} == {
        k: tuple(v.shape) for k, v in t.state_dict().items()}
    bound = np.sqrt(6.0 / (64 + 192))  # xavier_uniform_ over (3E, E)
    w = m.in_proj_weight.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert (m.in_proj_bias.numpy() == 0).all() and (m.out_proj.bias.numpy() == 0).all()
    assert type(m.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    s = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, bias=False, add_bias_kv=True)
    ts = torch.nn.MultiheadAttention(8, 2, kdim=3, vdim=5, bias=False, add_bias_kv=True)
    assert sorted(s.state_dict()) == sorted(ts.state_dict())
    assert s.in_proj_weight is None and s.head_dim == 4 and not s._qkv_same_embed_dim


def test_fully_masked_rows_as_torch(torch):
    t, m = _pair(torch, 8, 2)
    x = np.random.default_rng(1).standard_normal((5, 2, 8)).astype(np.float32)
    kpm = np.zeros((2, 5), bool)
    kpm[1] = True
    for need in (True, False):
        to, _ = t(torch.tensor(x), torch.tensor(x), torch.tensor(x), key_padding_mask=torch.tensor(kpm),
                  need_weights=need)
        no, _ = m(ne.tensor(x), ne.tensor(x), ne.tensor(x), key_padding_mask=kpm, need_weights=need)
        np.testing.assert_allclose(no.numpy(), to.detach().numpy(), atol=1e-6)  # NaN where torch has NaN
        assert np.isnan(no.numpy()[:, 1]).all() == need


def test_transposed_bool_key_padding_mask_as_torch(torch):
    # language_translation's create_mask: key_padding_mask = (src == pad_idx).transpose(0, 1), a non-contiguous view
    t, m = _pair(torch, 8, 2)
    x = np.random.default_rng(2).standard_normal((5, 3, 8)).astype(np.float32)
    src = np.array([[4, 5, 6], [7, 8, 1], [9, 1, 1], [1, 1, 1], [1, 1, 1]])  # (L, N) tokens, 1 = <pad>
    to, _ = t(torch.tensor(x), torch.tensor(x), torch.tensor(x),
              key_padding_mask=(torch.tensor(src) == 1).transpose(0, 1))
    no, _ = m(ne.tensor(x), ne.tensor(x), ne.tensor(x), key_padding_mask=(ne.tensor(src) == 1).transpose(0, 1))
    np.testing.assert_allclose(no.numpy(), to.detach().numpy(), atol=1e-5)


def test_dropout_train_and_eval():
    ne.manual_seed(0)
    m = nn.MultiheadAttention(16, 4, dropout=0.5)
    x = ne.tensor(np.random.default_rng(2).standard_normal((6, 2, 16)).astype(np.float32))
    m.eval()
    a, wa = m(x, x, x)
    b, _ = m(x, x, x)
    assert np.array_equal(a.numpy(), b.numpy())
    m.train()
    ne.manual_seed(3)
    c, wc = m(x, x, x, average_attn_weights=False)
    ne.manual_seed(3)
    d, _ = m(x, x, x)
    assert np.array_equal(c.numpy(), d.numpy()) and not np.allclose(c.numpy(), a.numpy())
    w = wc.numpy()  # weights after dropout: zeros or the eval weights / (1 - p)
    assert ((w == 0) | np.isclose(w * 0.5, m.eval()(x, x, x, average_attn_weights=False)[1].numpy())).all()
    assert 0.3 < (w == 0).mean() < 0.7


def test_save_load_roundtrip(tmp_path):
    m = nn.MultiheadAttention(12, 3, kdim=5, vdim=7, add_bias_kv=True)
    ne.save(m.state_dict(), tmp_path / "mha.nne")
    m2 = nn.MultiheadAttention(12, 3, kdim=5, vdim=7, add_bias_kv=True)
    m2.load_state_dict(ne.load(tmp_path / "mha.nne"))
    q = ne.tensor(np.random.default_rng(4).standard_normal((4, 2, 12)).astype(np.float32))
    k = ne.tensor(np.random.default_rng(5).standard_normal((6, 2, 5)).astype(np.float32))
    v = ne.tensor(np.random.default_rng(6).standard_normal((6, 2, 7)).astype(np.float32))
    assert np.array_equal(m(q, k, v)[0].numpy(), m2(q, k, v)[0].numpy())


def test_bad_arguments():
    with pytest.raises(ValueError, match="embed_dim: expected a multiple of num_heads"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="embed_dim, num_heads: expected positive ints"):
        nn.MultiheadAttention(10, 0)
    with pytest.raises(ValueError, match="dropout: expected a probability"):
        nn.MultiheadAttention(8, 2, dropout=2.0)
    m = nn.MultiheadAttention(8, 2)
    x = ne.tensor(np.zeros((5, 3, 8), np.float32))
    with pytest.raises(ValueError, match="query: expected last dimension 8"):
        m(ne.tensor(np.zeros((5, 3, 6), np.float32)), x, x)
    with pytest.raises(ValueError, match="query: expected 2 or 3 dimensions"):
        m(ne.tensor(np.zeros((5, 3, 2, 8), np.float32)), x, x)
    with pytest.raises(ValueError, match="attn_mask: expected shape"):
        m(x, x, x, attn_mask=np.zeros((4, 5), bool))
    with pytest.raises(ValueError, match=r"attn_mask: expected shape \(6, 5, 5\)"):
        m(x, x, x, attn_mask=np.zeros((2, 5, 5), bool))
    with pytest.raises(ValueError, match="key_padding_mask: expected shape"):
        m(x, x, x, key_padding_mask=np.zeros((3, 4), bool))
    with pytest.raises(ValueError, match="is_causal=True is a hint"):
        m(x, x, x, is_causal=True)


def test_interop_both_ways(torch):
    from nnengine.interop import from_torch, to_torch

    tm = torch.nn.Sequential(torch.nn.MultiheadAttention(12, 3, dropout=0.1, kdim=5, vdim=7, batch_first=True))
    nm = from_torch(tm)
    assert type(nm[0]) is nn.MultiheadAttention and nm[0].batch_first and nm[0].kdim == 5 and nm[0].dropout == 0.1
    rng = np.random.default_rng(7)
    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in ((2, 4, 12), (2, 6, 5), (2, 6, 7)))
    tm.eval(), nm.eval()
    want = tm[0](*(torch.tensor(a) for a in (q, k, v)))
    got = nm[0](*(ne.tensor(a) for a in (q, k, v)))
    for a, b in zip(got, want):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), atol=1e-6)
    back = to_torch(nm)
    assert type(back[0]) is torch.nn.MultiheadAttention
    for key, val in back.state_dict().items():
        np.testing.assert_array_equal(val.numpy(), tm.state_dict()[key].numpy())


@pytest.mark.parametrize("batch_first", [False, True])
def test_onnx_export_matches_onnxruntime(batch_first, tmp_path):
    from conftest import require

    onnx = require("onnx")
    ort = require("onnxruntime")
    from nnengine.onnx import export

    m = nn.MultiheadAttention(16, 4, batch_first=batch_first)
    path = str(tmp_path / "mha.onnx")
    x = np.random.default_rng(8).standard_normal((5, 3, 16)).astype(np.float32)
    export(m, x, path)
    onnx.checker.check_model(onnx.load(path))
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    other = np.random.default_rng(9).standard_normal((2, 3, 16) if batch_first else (5, 2, 16)).astype(np.float32)
    for inp in (x, other):
        got = sess.run(None, {sess.get_inputs()[0].name: inp})
        t = ne.tensor(inp)
        want = m(t, t, t)
        assert len(got) == 2
        for g, w in zip(got, want):
            assert g.shape == w.shape
            np.testing.assert_allclose(g, w.numpy(), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="exports with torch.s defaults"):
        export(nn.MultiheadAttention(16, 4, kdim=3), x, str(tmp_path / "bad.onnx"))


def test_one_vs_two_threads_bit_identical(threads):
    ne.manual_seed(1)
    m = nn.MultiheadAttention(32, 4, dropout=0.2)
    x = np.random.default_rng(10).standard_normal((17, 3, 32)).astype(np.float32)
    kpm = np.zeros((3, 17), bool)
    kpm[1, 9:] = True
    res = []
    for n in (1, 2):
        with threads(n):
            ne.manual_seed(5)
            xt = ne.tensor(x, requires_grad=True)
            out, w = m(xt, xt, xt, key_padding_mask=kpm)
            (out.sum() + w.sum()).backward()
            res.append([out.numpy(), w.numpy(), xt.grad] + [p.grad.copy() for p in m.parameters()])
            m.zero_grad()
    for a, b in zip(*res):
        assert np.array_equal(a, b)


def test_gradcheck_module():
    from nnengine.autograd import gradcheck

    m = nn.MultiheadAttention(6, 2, kdim=4, vdim=5)
    rng = np.random.default_rng(11)
    q, k, v = (ne.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True) for s in ((3, 2, 6), (4, 2, 4), (4, 2, 5)))
    mask = np.triu(np.ones((3, 4), bool), 2)
    assert gradcheck(lambda a, b, c: m(a, b, c, attn_mask=mask)[0], [q, k, v])
    assert gradcheck(lambda w: _out_of_q_weight(m, w, q, k, v), [m.q_proj_weight])


def _out_of_q_weight(m, w, q, k, v):
    """The module's output as a function of its q_proj_weight (for gradcheck over a parameter)."""
    old = m.q_proj_weight
    m.q_proj_weight = w
    try:
        return m(q, k, v)[0]
    finally:
        m.q_proj_weight = old


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("kw", [{}, {"add_bias_kv": True}, {"add_zero_attn": True}, {"kdim": 6, "vdim": 5}])
@pytest.mark.parametrize("need_weights", [True, False])
def test_float_attn_mask_gets_its_gradient_as_in_torch(batch_first, kw, need_weights, torch):
    """A float attn_mask that requires grad: torch's MultiheadAttention gives it a gradient on both paths."""
    rng = np.random.default_rng(12)
    N, L, E = 3, 5, 8
    kpm = np.array([[False] * 4 + [True], [False] * 5, [False] * 3 + [True] * 2])
    for mshape, pad in (((L, L), None), ((N * 2, L, L), kpm)):
        torch.manual_seed(0)
        tm = torch.nn.MultiheadAttention(E, 2, batch_first=batch_first, **kw)
        nm = ne.nn.MultiheadAttention(E, 2, batch_first=batch_first, **kw)
        nm.load_state_dict(tm.state_dict())
        shp = (N, L) if batch_first else (L, N)
        x = rng.standard_normal(shp + (E,)).astype(np.float32)
        kv = [rng.standard_normal(shp + (kw[d],)).astype(np.float32) for d in ("kdim", "vdim")] if kw.get("kdim") \
            else None
        m = rng.standard_normal(mshape).astype(np.float32)
        outs = []
        for lib, mod in ((torch, tm), (ne, nm)):
            xt, mt = lib.tensor(x, requires_grad=True), lib.tensor(m, requires_grad=True)
            k, v = (xt, xt) if kv is None else (lib.tensor(kv[0]), lib.tensor(kv[1]))
            o, w = mod(xt, k, v, attn_mask=mt, need_weights=need_weights,
                       key_padding_mask=None if pad is None else lib.tensor(pad))
            (o * o).sum().backward()
            g = mod.in_proj_bias.grad
            outs.append([np.asarray(a.detach().numpy() if lib is torch else a.data) for a in (o, xt, mt)[:1]]
                        + [np.asarray(xt.grad), np.asarray(mt.grad), np.asarray(g)]
                        + ([np.asarray(w.detach().numpy() if lib is torch else w.data)] if need_weights else []))
        for a, b in zip(outs[1], outs[0]):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
