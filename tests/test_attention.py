"""Fused attention kernels and F.scaled_dot_product_attention: float64 oracle (finite differences), every ISA,
scalar twins, masks and fully masked rows, dropout, 1 vs 2 threads, PyTorch side by side and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import numeric_grad
from reference import attention as ref

import nnengine as ne
import nnengine.functional as F
from nnengine import _core
from nnengine.autograd import gradcheck

# (N, heads, L, S, E, Ev): sizes around the vector widths (1, 7, 8, 9, 15, 16, 17, 33)
GRID = [
    (1, 1, 1, 1, 1, 1),
    (2, 3, 7, 9, 5, 6),
    (1, 2, 8, 8, 8, 8),
    (2, 1, 9, 15, 16, 7),
    (1, 2, 16, 17, 9, 15),
    (1, 1, 33, 33, 17, 16),
]


def _qkv(N, H, L, S, E, Ev, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((N, H, L, E)).astype(np.float32), rng.standard_normal((N, H, S, E)).astype(np.float32),
            rng.standard_normal((N, H, S, Ev)).astype(np.float32))


def _flat(a):
    return a.reshape((-1,) + a.shape[2:])


def _keep(shape, p, seed):
    """The dropout multipliers the kernel uses: dropout.h's mask of the flat weight index."""
    return _core.dropout_forward(np.ones(shape, np.float32), p, seed) if p > 0 else None


def test_oracle_matches_finite_differences():
    rng = np.random.default_rng(3)
    q, k, v = rng.standard_normal((2, 3, 4)).astype(np.float32), rng.standard_normal((2, 5, 4)).astype(np.float32), rng.standard_normal((2, 5, 3)).astype(np.float32)
    mask = np.where(rng.random((3, 5)) < 0.3, -np.inf, rng.standard_normal((3, 5)).astype(np.float32))
    mask[:, 0] = 0.0
    keep = np.where(rng.random((2, 3, 5)) < 0.25, 0.0, 1 / 0.75)
    dout, dattn = rng.standard_normal((2, 3, 3)).astype(np.float32), rng.standard_normal((2, 3, 5)).astype(np.float32)

    def f(q_, k_, v_):
        out, attn, _ = ref.attention(q_, k_, v_, 0.4, mask, True, keep)
        return (out * dout).sum() + (attn * dattn).sum()

    dq, dk, dv = ref.attention(q, k, v, 0.4, mask, True, keep)[2](dout, dattn)
    np.testing.assert_allclose(dq, numeric_grad(lambda x: f(x, k, v), q), atol=1e-6)
    np.testing.assert_allclose(dk, numeric_grad(lambda x: f(q, x, v), k), atol=1e-6)
    np.testing.assert_allclose(dv, numeric_grad(lambda x: f(q, k, x), v), atol=1e-6)


@pytest.mark.parametrize("cfg", GRID)
@pytest.mark.parametrize("variant", ["plain", "mask+causal", "dropout"])
def test_kernels_match_oracle(cfg, variant, isa):
    N, H, L, S, E, Ev = cfg
    q, k, v = _qkv(*cfg)
    rng = np.random.default_rng(1)
    mask = rng.standard_normal((L, S)).astype(np.float32) if variant == "mask+causal" else None
    causal = variant == "mask+causal"
    p, seed = (0.3, 77) if variant == "dropout" else (0.0, 0)
    keep = _keep((N * H, L, S), p, seed)
    out_r, attn_r, bwd = ref.attention(_flat(q), _flat(k), _flat(v), 0.7, mask, causal, keep)
    dout = rng.standard_normal((N, H, L, Ev)).astype(np.float32)
    dattn = rng.standard_normal((N * H, L, S)).astype(np.float32)
    grads_r = bwd(_flat(dout), dattn)
    for reference in (False, True):
        out, attn = _core.attention_forward(q, k, v, H, "nhld", 0.7, attn_mask=mask, is_causal=causal, dropout_p=p,
                                            seed=seed, reference=reference)
        np.testing.assert_allclose(attn, attn_r, atol=1e-6)
        np.testing.assert_allclose(_flat(out), out_r, rtol=1e-5, atol=1e-5)
        grads = _core.attention_backward(dout, q, k, v, attn, dattn, H, "nhld", 0.7, p, seed, reference=reference)
        for g, gr in zip(grads, grads_r):
            np.testing.assert_allclose(_flat(g), gr, rtol=1e-4, atol=2e-5)


@pytest.mark.parametrize("layout", ["lne", "nle"])
@pytest.mark.parametrize("packed", [False, True])
def test_sequence_layouts_read_heads_in_place(layout, packed, isa):
    """(L, N, heads*E) / (N, L, heads*E) projections, and a packed (.., 3*heads*E) one, equal the 'nhld' call."""
    N, H, L, E = 3, 4, 9, 5
    S = L if packed else 7
    rng = np.random.default_rng(2)
    bf = layout == "nle"

    def seq(n_pos, width):
        return rng.standard_normal((N, n_pos, width) if bf else (n_pos, N, width)).astype(np.float32)

    def heads(a, n_pos):  # -> (N, H, n_pos, d)
        a = a if bf else a.transpose(1, 0, 2)
        return np.ascontiguousarray(a.reshape(N, n_pos, H, -1).transpose(0, 2, 1, 3))

    if packed:
        qkv = seq(L, 3 * H * E)
        q, k, v = (qkv[..., i * H * E : (i + 1) * H * E] for i in range(3))
        args = (qkv, None, None)
    else:
        q, k, v = seq(L, H * E), seq(S, H * E), seq(S, H * 6)
        args = (q, k, v)
    mask = rng.standard_normal((N * H, L, S)).astype(np.float32)
    kpm = np.where(rng.random((N, S)) < 0.3, -np.inf, 0.0).astype(np.float32)
    kpm[:, 0] = 0
    out, attn = _core.attention_forward(*args, H, layout, 0.5, attn_mask=mask, key_padding_mask=kpm, packed=packed)
    hq, hk, hv = heads(q, L), heads(k, S), heads(v, S)
    out4, attn4 = _core.attention_forward(hq, hk, hv, H, "nhld", 0.5, attn_mask=mask + np.repeat(kpm, H, 0)[:, None])
    np.testing.assert_allclose(attn, attn4, atol=1e-6)
    np.testing.assert_allclose(heads(out, L), out4, atol=1e-5)
    dout = rng.standard_normal(out.shape).astype(np.float32)
    grads = _core.attention_backward(dout, *args, attn, None, H, layout, 0.5, packed=packed)
    g4 = _core.attention_backward(heads(dout, L), hq, hk, hv, attn4, None, H, "nhld", 0.5)
    if packed:
        assert grads[1] is None and grads[2] is None
        grads = [grads[0][..., i * H * E : (i + 1) * H * E] for i in range(3)]
    for g, gr, n_pos in zip(grads, g4, (L, S, S)):
        np.testing.assert_allclose(heads(np.ascontiguousarray(g), n_pos), gr, atol=1e-5)


def test_mask_broadcasting_and_masked_rows():
    q, k, v = _qkv(2, 3, 4, 5, 6, 7)
    rng = np.random.default_rng(4)
    full = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    full[0, 1, 2] = -np.inf  # one fully masked row
    for m in (full, full[:, :1], full[:1], full[:1, :1, :1], full[0, 0], full.reshape(6, 4, 5)):
        m = np.ascontiguousarray(m)
        mb = np.broadcast_to(m.reshape(m.shape if m.ndim != 3 else (2, 3, 4, 5)), (2, 3, 4, 5)).reshape(6, 4, 5)
        for zero in (True, False):
            out, attn = _core.attention_forward(q, k, v, 3, "nhld", 0.5, attn_mask=m, zero_masked_rows=zero)
            out_r, attn_r, _ = ref.attention(_flat(q), _flat(k), _flat(v), 0.5, mb, zero_rows=zero)
            np.testing.assert_allclose(attn, attn_r, atol=1e-6)
            np.testing.assert_allclose(_flat(out), out_r, atol=1e-5)
    out, attn = _core.attention_forward(q, k, v, 3, "nhld", 0.5, attn_mask=full, zero_masked_rows=False)
    assert np.isnan(attn[1, 2]).all() and np.isnan(out[0, 1, 2]).all()
    out, attn = _core.attention_forward(q, k, v, 3, "nhld", 0.5, attn_mask=full)
    assert (attn[1, 2] == 0).all() and (out[0, 1, 2] == 0).all()
    dq, dk, dv = _core.attention_backward(np.ones_like(out), q, k, v, attn, None, 3, "nhld", 0.5)
    assert (dq[0, 1, 2] == 0).all() and np.isfinite(dk).all() and np.isfinite(dv).all()


def test_one_vs_two_threads_bit_identical(threads):
    N, H, L, S, E = 4, 4, 33, 17, 16
    q, k, v = _qkv(N, H, L, S, E, E)
    mask = np.random.default_rng(5).standard_normal((L, S)).astype(np.float32)
    dout = np.random.default_rng(6).standard_normal((N, H, L, E)).astype(np.float32)
    res = []
    for n in (1, 2):
        with threads(n):
            out, attn = _core.attention_forward(q, k, v, H, "nhld", 0.25, attn_mask=mask, dropout_p=0.2, seed=9)
            grads = _core.attention_backward(dout, q, k, v, attn, None, H, "nhld", 0.25, 0.2, 9)
        res.append((out, attn) + tuple(grads))
    for a, b in zip(*res):
        assert np.array_equal(a, b)


def test_gradcheck_sdpa():
    rng = np.random.default_rng(7)
    q, k, v = (ne.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True) for s in ((2, 5, 3), (2, 6, 3), (2, 6, 4)))
    mask = rng.random((5, 6)) > 0.2
    mask[:, 0] = True
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=mask), [q, k, v])
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True, scale=0.3), [q, k, v])


@pytest.mark.parametrize(
    "case",
    ["plain", "float_mask", "bool_mask", "causal", "scale", "masked_row", "5d", "2d", "gqa", "broadcast_mask"],
)
def test_sdpa_matches_torch(case, torch):
    rng = np.random.default_rng(8)
    shape, kshape, Ev = (2, 3, 7, 8), (2, 3, 9, 8), 5
    if case == "5d":
        shape, kshape = (2, 2, 3, 7, 8), (2, 2, 3, 9, 8)
    if case == "2d":
        shape, kshape = (7, 8), (9, 8)
    if case == "gqa":
        kshape = (2, 1, 9, 8)
    q = rng.standard_normal(shape).astype(np.float32)
    k = rng.standard_normal(kshape).astype(np.float32)
    v = rng.standard_normal(kshape[:-1] + (Ev,)).astype(np.float32)
    kw: dict = {}
    if case == "float_mask":
        kw["attn_mask"] = rng.standard_normal((7, 9)).astype(np.float32)
    if case in ("bool_mask", "masked_row"):
        kw["attn_mask"] = rng.random((2, 3, 7, 9)) > 0.3
        if case == "masked_row":
            kw["attn_mask"][1, 2, 3] = False
    if case == "broadcast_mask":
        kw["attn_mask"] = rng.standard_normal((2, 1, 1, 9)).astype(np.float32)
    if case == "causal":
        kw["is_causal"] = True
    if case == "scale":
        kw["scale"] = 0.05
    if case == "gqa":
        kw["enable_gqa"] = True
    tkw = {a: torch.tensor(b) if isinstance(b, np.ndarray) else b for a, b in kw.items()}
    ts = [torch.tensor(a, requires_grad=True) for a in (q, k, v)]
    ns = [ne.tensor(a, requires_grad=True) for a in (q, k, v)]
    to = torch.nn.functional.scaled_dot_product_attention(*ts, **tkw)
    no = F.scaled_dot_product_attention(*ns, **kw)
    np.testing.assert_allclose(no.numpy(), to.detach().numpy(), atol=2e-6)
    g = rng.standard_normal(to.shape).astype(np.float32)
    to.backward(torch.tensor(g))
    no.backward(g)
    for a, b in zip(ns, ts):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), atol=5e-6)


def test_sdpa_dropout():
    rng = np.random.default_rng(9)
    q, k, v = (rng.standard_normal((2, 2, 6, 4)).astype(np.float32) for _ in range(3))
    ne.manual_seed(0)
    a = F.scaled_dot_product_attention(ne.tensor(q), ne.tensor(k), ne.tensor(v), dropout_p=0.5).numpy()
    ne.manual_seed(0)
    b = F.scaled_dot_product_attention(ne.tensor(q), ne.tensor(k), ne.tensor(v), dropout_p=0.5).numpy()
    c = F.scaled_dot_product_attention(ne.tensor(q), ne.tensor(k), ne.tensor(v), dropout_p=0.5).numpy()
    plain = F.scaled_dot_product_attention(ne.tensor(q), ne.tensor(k), ne.tensor(v)).numpy()
    assert np.array_equal(a, b) and not np.array_equal(a, c) and not np.allclose(a, plain)
    qt = ne.tensor(q, requires_grad=True)
    out = F.scaled_dot_product_attention(qt, ne.tensor(k), ne.tensor(v), dropout_p=1.0)
    out.sum().backward()
    assert (out.numpy() == 0).all() and (qt.grad == 0).all()


def test_bad_arguments():
    q, k, v = _qkv(2, 3, 4, 5, 6, 7)
    with pytest.raises(ValueError, match="key: expected shape"):
        _core.attention_forward(q, k[:, :, :, :5].copy(), v, 3, "nhld", 1.0)
    with pytest.raises(ValueError, match="value: expected shape"):
        _core.attention_forward(q, k, v[:, :, :4].copy(), 3, "nhld", 1.0)
    with pytest.raises(ValueError, match="layout: expected"):
        _core.attention_forward(q, k, v, 3, "hnld", 1.0)
    with pytest.raises(ValueError, match="attn_mask: expected shape"):
        _core.attention_forward(q, k, v, 3, "nhld", 1.0, attn_mask=np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="attn_mask: expected 2, 3 or 4"):
        _core.attention_forward(q, k, v, 3, "nhld", 1.0, attn_mask=np.zeros((5,), np.float32))
    with pytest.raises(ValueError, match="key_padding_mask: expected shape"):
        _core.attention_forward(q, k, v, 3, "nhld", 1.0, key_padding_mask=np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match="dropout_p: expected a probability"):
        _core.attention_forward(q, k, v, 3, "nhld", 1.0, dropout_p=1.0)
    with pytest.raises(TypeError, match="query: expected dtype float32"):
        _core.attention_forward(q.astype(np.float64), k, v, 3, "nhld", 1.0)
    with pytest.raises(ValueError, match="num_heads: expected an integer"):
        _core.attention_forward(q[0], k[0], v[0], 0, "lne", 1.0)
    with pytest.raises(ValueError, match="not divisible by num_heads"):
        _core.attention_forward(q[0], k[0], v[0], 4, "lne", 1.0)
    with pytest.raises(ValueError, match="packed width"):
        _core.attention_forward(q[0], None, None, 4, "lne", 1.0, packed=True)
    with pytest.raises(ValueError, match="key, value: expected None"):
        _core.attention_forward(q[0], k[0], None, 1, "lne", 1.0, packed=True)
    out, attn = _core.attention_forward(q, k, v, 3, "nhld", 1.0)
    with pytest.raises(ValueError, match="attn: expected shape"):
        _core.attention_backward(out, q, k, v, attn[:, :2].copy(), None, 3, "nhld", 1.0)
    with pytest.raises(ValueError, match="dout: expected shape"):
        _core.attention_backward(out[:1].copy(), q, k, v, attn, None, 3, "nhld", 1.0)
    with pytest.raises(ValueError, match="dattn: expected shape"):
        _core.attention_backward(out, q, k, v, attn, attn[:1].copy(), 3, "nhld", 1.0)
    tq, tk, tv = ne.tensor(q), ne.tensor(k), ne.tensor(v)
    with pytest.raises(ValueError, match="key: expected last dimension"):
        F.scaled_dot_product_attention(tq, ne.tensor(k[..., :2]), tv)
    with pytest.raises(ValueError, match="value: expected 5 positions"):
        F.scaled_dot_product_attention(tq, tk, ne.tensor(v[:, :, :3]))
    with pytest.raises(ValueError, match="attn_mask: expected None when is_causal"):
        F.scaled_dot_product_attention(tq, tk, tv, attn_mask=np.zeros((4, 5)), is_causal=True)
    with pytest.raises(ValueError, match="attn_mask: shape"):
        F.scaled_dot_product_attention(tq, tk, tv, attn_mask=np.zeros((3, 5)))
    with pytest.raises(ValueError, match="dropout_p: expected a probability"):
        F.scaled_dot_product_attention(tq, tk, tv, dropout_p=1.5)
    with pytest.raises(TypeError, match="attn_mask: expected a bool or floating-point"):
        F.scaled_dot_product_attention(tq, tk, tv, attn_mask=np.zeros((4, 5), np.int64))
    with pytest.raises(ValueError, match="enable_gqa needs"):
        F.scaled_dot_product_attention(tq, ne.tensor(np.zeros((2, 2, 5, 6), np.float32)), tv, enable_gqa=True)


@pytest.mark.parametrize("cfg", GRID)
def test_without_weights_normalises_after_the_product(cfg, isa, threads):
    # no weights to return and no dropout: the kernel keeps the rows unnormalised and scales each output row by
    # 1 / sum after P V; the result equals the oracle's to rounding, masked rows included, at 1 and 2 threads
    N, H, L, S, E, Ev = cfg
    q, k, v = _qkv(*cfg, seed=2)
    mask = np.random.default_rng(3).standard_normal((N, H, L, S)).astype(np.float32)
    mask[0, 0, L // 2] = -np.inf  # a fully masked row
    for causal in (False, True):
        for zero in (True, False):
            out_r, _, _ = ref.attention(_flat(q), _flat(k), _flat(v), 0.7, mask.reshape(N * H, L, S), causal,
                                        zero_rows=zero)
            res = []
            for n in (1, 2):
                with threads(n):
                    out, none = _core.attention_forward(q, k, v, H, "nhld", 0.7, attn_mask=mask, is_causal=causal,
                                                        zero_masked_rows=zero, need_attn=False)
                assert none is None
                res.append(out)
            np.testing.assert_allclose(_flat(res[0]), out_r, rtol=1e-5, atol=1e-5)
            assert np.array_equal(res[0], res[1], equal_nan=True)
            assert np.isnan(res[0][0, 0, L // 2]).all() != zero


def test_inference_without_weights_is_identical(isa):
    q, k, v = _qkv(2, 3, 9, 17, 8, 7)
    mask = np.random.default_rng(10).standard_normal((9, 17)).astype(np.float32)
    for reference in (False, True):
        out, attn = _core.attention_forward(q, k, v, 3, "nhld", 0.3, attn_mask=mask, dropout_p=0.1, seed=3,
                                            reference=reference)
        out2, none = _core.attention_forward(q, k, v, 3, "nhld", 0.3, attn_mask=mask, dropout_p=0.1, seed=3,
                                             need_attn=False, reference=reference)
        assert none is None and np.array_equal(out, out2)


@pytest.mark.parametrize("qshape,mshape", [((2, 3, 5, 4), (5, 5)), ((2, 3, 5, 4), (2, 3, 1, 5)), ((5, 4), (5, 5)),
                                           ((2, 2, 3, 5, 4), (3, 5, 5)), ((1, 2, 9, 17), (1, 9, 9))])
def test_float_mask_gets_its_gradient_as_in_torch(qshape, mshape, torch):
    """torch gives a float attn_mask that requires grad its gradient (summed over broadcast dims); so do we."""
    rng = np.random.default_rng(11)
    q = rng.standard_normal(qshape).astype(np.float32)
    m = rng.standard_normal(mshape).astype(np.float32)
    m[..., 0, -1] = -np.inf  # a masked position
    tq, tm = torch.tensor(q, requires_grad=True), torch.tensor(m, requires_grad=True)
    o = torch.nn.functional.scaled_dot_product_attention(tq, tq * 0.5, tq, attn_mask=tm)
    (o * o).sum().backward()
    nq, nm = ne.tensor(q, requires_grad=True), ne.tensor(m, requires_grad=True)
    no = F.scaled_dot_product_attention(nq, nq * 0.5, nq, attn_mask=nm)
    (no * no).sum().backward()
    np.testing.assert_allclose(no.data, o.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(nm.grad, tm.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(nq.grad, tq.grad.numpy(), rtol=1e-4, atol=1e-5)
    nm2 = ne.tensor(np.where(np.isinf(m), 0, m), requires_grad=True)
    assert gradcheck(lambda a: F.scaled_dot_product_attention(ne.tensor(q), ne.tensor(q * 0.5), ne.tensor(q),
                                                              attn_mask=a), [nm2])
    # a mask that needs no grad still runs on the fused kernel, with the same result
    ref_out = F.scaled_dot_product_attention(ne.tensor(q), ne.tensor(q * 0.5), ne.tensor(q), attn_mask=m)
    np.testing.assert_allclose(no.data, ref_out.data, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="attn_mask"):
        F.scaled_dot_product_attention(nq, nq, nq, attn_mask=ne.zeros(3, 3, requires_grad=True))
