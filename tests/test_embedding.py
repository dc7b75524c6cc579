"""Embedding: the C++ gather / scatter-add / renorm kernels vs a float64 numpy oracle and their scalar
twins (every ISA, widths around the SIMD lanes, int64 and int32 indices, 1 vs 2 threads bit-identical);
nn.Embedding / F.embedding / F.one_hot vs torch; gradcheck; bad input."""

from __future__ import annotations

import numpy as np
import pytest
from reference import embedding as oracle

import nnengine as ne
import nnengine.functional as F
from nnengine import _core, nn
from nnengine.autograd import gradcheck


@pytest.mark.parametrize("D", [1, 7, 8, 9, 15, 16, 17, 33])
@pytest.mark.parametrize("idx_dtype", [np.int64, np.int32])
def test_kernels_vs_float64(isa, rng, D, idx_dtype):
    V = 11
    idx = rng.integers(0, V, size=(3, 2 * D + 1)).astype(idx_dtype)
    w = rng.standard_normal((V, D)).astype(np.float32)
    g = rng.standard_normal(idx.shape + (D,)).astype(np.float32)
    for reference in (False, True):
        out = _core.embedding_forward(idx, w, reference=reference)
        assert out.shape == idx.shape + (D,) and np.array_equal(out, w[idx])
        for pad, scale in ((-1, False), (int(idx[0, 0]), False), (-1, True), (3, True)):
            dw = _core.embedding_backward(g, idx, V, pad, scale, reference=reference)
            np.testing.assert_allclose(dw, oracle.backward(g, idx, V, pad, scale), rtol=0, atol=2e-5)
            if not scale:  # the kernel sums each row in index order: the sequential scatter-add, bit for bit
                assert np.array_equal(dw, _core.embedding_backward(g, idx, V, pad, scale, reference=True))
        for p in (2.0, 1.0, np.inf, 3.0):
            wr = w.copy()
            assert _core.embedding_renorm(wr, idx, 1.5, p, reference=reference) is None
            np.testing.assert_allclose(wr, oracle.renorm(w, idx, 1.5, p), rtol=1e-6, atol=1e-7)


def test_backward_threads_bit_identical(isa, rng, threads):
    """Rows partitioned by vocabulary index, each summed in index order: 1 and 2 threads agree bit for bit
    (with repeated indices, a skewed distribution and a vocabulary large enough to be split)."""
    V, D = 3000, 48
    idx = np.minimum(rng.zipf(1.3, size=(64, 35)) - 1, V - 1)
    g = rng.standard_normal(idx.shape + (D,)).astype(np.float32)
    w = rng.standard_normal((V, D)).astype(np.float32)
    res = []
    for n in (1, 2):
        with threads(n):
            wr = w.copy()
            _core.embedding_renorm(wr, idx, 5.0)
            res.append((_core.embedding_forward(idx, w), _core.embedding_backward(g, idx, V, 0, False),
                        _core.embedding_backward(g, idx, V, -1, True), wr))
    for a, b in zip(*res):
        assert np.array_equal(a, b)


def _torch_pair(torch, V, D, **kw):
    torch.manual_seed(0)
    tm = torch.nn.Embedding(V, D, **kw)
    m = nn.Embedding(V, D, **kw)
    assert list(m.state_dict()) == list(tm.state_dict()) == ["weight"]
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    return m, tm


@pytest.mark.parametrize(
    "kw",
    [{}, {"padding_idx": 3}, {"padding_idx": -2}, {"scale_grad_by_freq": True}, {"max_norm": 1.0},
     {"max_norm": 2.0, "norm_type": 1.0, "padding_idx": 0}],
)
def test_module_vs_torch(torch, rng, kw):
    V, D = 20, 9
    m, tm = _torch_pair(torch, V, D, **kw)
    for idx in (rng.integers(0, V, size=(4, 7)), rng.integers(0, V, size=(5,)).astype(np.int32)):
        out, tout = m(ne.tensor(idx)), tm(torch.tensor(idx))
        np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-6, atol=1e-7)
        w = rng.standard_normal(out.shape).astype(np.float32)
        m.zero_grad()
        tm.zero_grad()
        (out * ne.tensor(w)).sum().backward()
        (tout * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(m.weight.grad, tm.weight.grad.numpy(), rtol=1e-6, atol=1e-6)
        # max_norm renormalised the same rows in place in both
        np.testing.assert_allclose(m.weight.data, tm.weight.detach().numpy(), rtol=1e-6, atol=1e-7)


def test_init_padding_and_from_pretrained(torch):
    ne.manual_seed(0)
    m = nn.Embedding(2000, 16, padding_idx=-1)
    assert m.padding_idx == 1999 and np.all(m.weight.data[1999] == 0)
    w = m.weight.data[:-1]
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02  # N(0, 1)
    assert repr(m) == "Embedding(2000, 16, padding_idx=1999)"
    tw = torch.randn(5, 3)
    pre = nn.Embedding.from_pretrained(tw.numpy())
    tpre = torch.nn.Embedding.from_pretrained(tw)
    assert not pre.weight.requires_grad and not tpre.weight.requires_grad
    idx = np.array([[4, 0], [2, 2]])
    np.testing.assert_array_equal(pre(ne.tensor(idx)).data, tpre(torch.tensor(idx)).numpy())
    tuned = nn.Embedding.from_pretrained(ne.tensor(tw.numpy()), freeze=False, padding_idx=1)
    assert tuned.weight.requires_grad and tuned.padding_idx == 1
    tuned(ne.tensor([1, 3])).sum().backward()
    assert np.all(tuned.weight.grad[1] == 0) and np.all(tuned.weight.grad[3] == 1)
    with pytest.raises(ValueError, match="embeddings: expected a 2-D array"):
        nn.Embedding.from_pretrained(np.zeros(3, np.float32))


def test_functional_vs_torch(torch, rng):
    V, D = 12, 5
    w = rng.standard_normal((V, D)).astype(np.float32)
    idx = rng.integers(0, V, size=(3, 4))
    wn, wt = ne.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    out = F.embedding(ne.tensor(idx), wn, padding_idx=2)
    tout = torch.nn.functional.embedding(torch.tensor(idx), wt, padding_idx=2)
    np.testing.assert_array_equal(out.data, tout.detach().numpy())
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    np.testing.assert_allclose(wn.grad, wt.grad.numpy(), rtol=1e-6, atol=1e-6)
    for nc in (-1, 6):
        t = np.array([[0, 3], [5, 1]])
        got = F.one_hot(ne.tensor(t), nc)
        want = torch.nn.functional.one_hot(torch.tensor(t), nc).numpy()
        assert got.dtype == np.int64 and np.array_equal(got.data, want)
    assert F.one_hot(ne.tensor(np.zeros((0,), np.int64)), 3).shape == (0, 3)
    # a list and a numpy array work as index input; an empty index array gives an empty output
    assert F.embedding([1, 2], wn).shape == (2, 5)
    assert F.embedding(np.zeros((2, 0), np.int64), wn).shape == (2, 0, 5)


def test_gradcheck():
    ne.manual_seed(0)
    w = ne.tensor(np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32), requires_grad=True)
    idx = ne.tensor([[0, 5, 5], [2, 0, 1]])
    assert gradcheck(lambda w: F.embedding(idx, w), [w])  # (padding_idx and scale_grad_by_freq change the
    # gradient on purpose: those are compared with torch above)


def test_bad_input():
    f = np.float32
    w = np.zeros((4, 3), f)
    with pytest.raises(IndexError, match=r"input: index 4 at flat position 1 is out of range .* 4 rows"):
        _core.embedding_forward(np.array([0, 4]), w)
    with pytest.raises(IndexError, match="input: index -1"):
        _core.embedding_forward(np.array([-1], np.int32), w)
    with pytest.raises(ValueError, match="input: index -1"):  # the same error is a ValueError too
        _core.embedding_backward(np.zeros((1, 3), f), np.array([-1]), 4)
    with pytest.raises(TypeError, match="input: expected dtype int64"):
        _core.embedding_forward(np.array([0.0]), w)
    with pytest.raises(TypeError, match="weight: expected dtype float32"):
        _core.embedding_forward(np.array([0]), w.astype(np.float64))
    with pytest.raises(ValueError, match="weight: expected 2 dimensions"):
        _core.embedding_forward(np.array([0]), np.zeros(3, f))
    with pytest.raises(ValueError, match=r"grad_output: expected shape \(2, 3\)"):
        _core.embedding_backward(np.zeros((2, 4), f)[:, :3].copy()[:1], np.array([0, 1]), 4)
    with pytest.raises(ValueError, match="grad_output: expected input.shape"):
        _core.embedding_backward(np.zeros(3, f), np.array([0, 1]), 4)
    with pytest.raises(ValueError, match="padding_idx: expected -1"):
        _core.embedding_backward(np.zeros((2, 3), f), np.array([0, 1]), 4, 4)
    with pytest.raises(ValueError, match="num_embeddings: expected an integer"):
        _core.embedding_backward(np.zeros((2, 3), f), np.array([0, 1]), -4)
    with pytest.raises(ValueError, match="weight: array is read-only"):
        ro = w.copy()
        ro.flags.writeable = False
        _core.embedding_renorm(ro, np.array([0]), 1.0)
    m = nn.Embedding(4, 3)
    with pytest.raises(IndexError, match="input: index 7"):
        m(ne.tensor([1, 7]))
    with pytest.raises(TypeError, match="input: expected int64 or int32 indices, got dtype float32"):
        m(ne.tensor([1.0]))
    with pytest.raises(TypeError, match="input: expected a Tensor of int64 or int32 indices"):
        m("abc")
    with pytest.raises(ValueError, match=r"padding_idx: expected an index in \[-4, 4\)"):
        nn.Embedding(4, 3, padding_idx=4)
    assert repr(nn.Embedding(4, 3, sparse=True)) == "Embedding(4, 3, sparse=True)"  # dense gradients, as documented
    with pytest.raises(ValueError, match="num_embeddings: expected a non-negative int"):
        nn.Embedding(-1, 3)
    with pytest.raises(ValueError, match="_weight: expected shape"):
        nn.Embedding(4, 3, _weight=np.zeros((3, 3), f))
    with pytest.raises(ValueError, match="tensor: expected non-negative class values"):
        F.one_hot(ne.tensor([-1, 0]))
    with pytest.raises(ValueError, match="tensor: class values must be smaller than num_classes = 2"):
        F.one_hot(ne.tensor([3]), 2)
    with pytest.raises(TypeError, match="tensor: expected int64 or int32 indices"):
        F.one_hot(ne.tensor([1.0]))
