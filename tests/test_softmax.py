"""The softmax kernel family: F.softmax and F.log_softmax (float64 oracle and torch along every dimension on every
ISA, gradients, 1 vs 2 threads, bad input), and the losses on the same kernels, the fused F.cross_entropy and
F.nll_loss (float64 oracles, finite differences, the scalar twins, torch with weights / ignore_index / spatial
targets / probabilities), NLL at every reduction and the CrossEntropyLoss / NLLLoss modules vs torch."""

import numpy as np
import pytest
from conftest import numeric_grad
from reference import softmax as oracle

import nnengine as ne
import nnengine.functional as F
from nnengine import _core, nn


@pytest.mark.parametrize("shape,dim", [((5, 7), 1), ((5, 7), 0), ((2, 3, 17), -1), ((2, 9, 4), 1), ((33,), 0),
                                       ((3, 1000), 1)])
@pytest.mark.parametrize("log", [False, True])
def test_softmax_vs_float64_and_torch(isa, rng, shape, dim, log, torch):
    x = (rng.standard_normal(shape) * 5).astype(np.float32)
    x64 = x.astype(np.float64)
    m = x64.max(axis=dim, keepdims=True)
    lse = m + np.log(np.exp(x64 - m).sum(axis=dim, keepdims=True))
    ref = x64 - lse if log else np.exp(x64 - lse)
    a = ne.tensor(x, requires_grad=True)
    y = (F.log_softmax if log else F.softmax)(a, dim)
    np.testing.assert_allclose(y.data, ref, rtol=1e-5, atol=1e-6)
    w = rng.standard_normal(shape)
    (y * ne.tensor(w)).sum().backward()
    p = np.exp(x64 - lse)
    if log:
        gref = w - p * w.sum(axis=dim, keepdims=True)
    else:
        gref = p * (w - (w * p).sum(axis=dim, keepdims=True))
    np.testing.assert_allclose(a.grad, gref, rtol=1e-4, atol=1e-5)
    # torch: its float64 op is the oracle above (checks the oracle), its float32 op is the peer we match
    tf = torch.log_softmax if log else torch.softmax
    np.testing.assert_allclose(tf(torch.from_numpy(x64), dim).numpy(), ref, rtol=1e-12, atol=1e-14)
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    yt = tf(xt, dim)
    (yt * torch.from_numpy(w.astype(np.float32))).sum().backward()
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a.grad, xt.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_softmax_threads_identical(isa, rng):
    x = rng.standard_normal((4000, 37)).astype(np.float32)
    with ne.backend.num_threads(1):
        a = _core.softmax_forward(x, 1, False)
    with ne.backend.num_threads(2):
        b = _core.softmax_forward(x, 1, False)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("n", [3, 16, 37])
def test_masked_softmax_gives_exact_zeros(isa, n):
    """A -inf score (a causal mask) and scores far below the row's maximum weigh exactly 0, as in torch (the
    vectorized exp returns 0 below its range, not FLT_MIN); sigmoid and the attention softmax share that exp."""
    x = np.tile(np.linspace(-3, 3, n, dtype=np.float32), (4, 1))
    x[:, 1::2] = -np.inf
    x[0, 2] = -200.0
    y = F.softmax(ne.tensor(x), dim=-1).numpy()
    assert np.all(y[:, 1::2] == 0) and y[0, 2] == 0 and np.all(y[:, ::2][1:] > 0)
    np.testing.assert_allclose(y.sum(-1), 1, rtol=1e-6)
    lp = F.log_softmax(ne.tensor(x), dim=-1).numpy()
    assert np.all(np.isneginf(lp[:, 1::2]))
    assert F.sigmoid(ne.tensor(np.full(n, -100.0, np.float32))).numpy().max() < 1e-38
    q = ne.tensor(np.ones((1, 1, n, 8), np.float32))
    causal = F.scaled_dot_product_attention(q, q, q * ne.arange(n).reshape(1, 1, n, 1).float(), is_causal=True)
    assert causal.numpy()[0, 0, 0, 0] == 0  # the first query sees only the first value (0): exactly 0


def test_softmax_bad_input():
    with pytest.raises(ValueError, match="dim: expected a value in"):
        F.softmax(ne.zeros(3, 4), dim=2)
    with pytest.raises(ValueError, match="dim: expected 0 <= dim < 2"):
        _core.softmax_forward(np.zeros((3, 4), np.float32), 2)


@pytest.mark.parametrize("N,C", [(1, 1), (5, 7), (17, 33), (64, 10), (3, 1000)])
def test_cross_entropy_float64_and_fd(isa, rng, N, C):
    x = (rng.standard_normal((N, C)) * 3).astype(np.float32).astype(np.float64)  # what the engine sees
    t = rng.integers(0, C, N)

    def f(v):
        return float(np.mean(oracle.lse(v, 1)[:, 0] - v[np.arange(N), t]))

    a = ne.tensor(x.astype(np.float32), requires_grad=True)  # float64 tensors: no cross-entropy kernel
    loss = F.cross_entropy(a, t)
    assert loss.shape == ()
    np.testing.assert_allclose(loss.item(), f(x), rtol=1e-5)
    loss.backward()
    np.testing.assert_allclose(a.grad, numeric_grad(f, x), rtol=1e-5, atol=1e-7)  # float32 softmax / N


@pytest.mark.parametrize("kwargs", [
    {}, {"reduction": "sum"}, {"reduction": "none"}, {"ignore_index": 2}, {"weight": [1.0, 2.0, 0.5, 1.5]},
    {"label_smoothing": 0.1}, {"weight": [1.0, 2.0, 0.5, 1.5], "label_smoothing": 0.2, "reduction": "sum"},
])
def test_cross_entropy_vs_torch(torch, rng, kwargs):
    x = rng.standard_normal((9, 4)).astype(np.float32)
    t = rng.integers(0, 4, 9)
    a = ne.tensor(x, requires_grad=True)
    kw_t = dict(kwargs)
    if "weight" in kw_t:
        kw_t["weight"] = torch.tensor(kw_t["weight"])
    loss = F.cross_entropy(a, t, **kwargs)
    b = torch.tensor(x, requires_grad=True)
    lt = torch.nn.functional.cross_entropy(b, torch.tensor(t), **kw_t)
    np.testing.assert_allclose(loss.data, lt.detach().numpy(), rtol=1e-5, atol=1e-6)
    loss.sum().backward()
    lt.sum().backward()
    np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_cross_entropy_spatial_and_probabilities(torch, rng):
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    t = rng.integers(0, 3, (2, 4, 5))
    a, b = ne.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    l1, l2 = F.cross_entropy(a, t), torch.nn.functional.cross_entropy(b, torch.tensor(t))
    l1.backward()
    l2.backward()
    np.testing.assert_allclose(l1.item(), l2.item(), rtol=1e-5)
    np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-5, atol=1e-6)
    p = rng.dirichlet(np.ones(3), 6).astype(np.float32)
    x2 = rng.standard_normal((6, 3)).astype(np.float32)
    np.testing.assert_allclose(F.cross_entropy(ne.tensor(x2), p).item(),
                               torch.nn.functional.cross_entropy(torch.tensor(x2), torch.tensor(p)).item(), rtol=1e-5)
    # unbatched (C,) input with a scalar target
    np.testing.assert_allclose(F.cross_entropy(ne.tensor(x2[0]), np.array(1)).item(),
                               torch.nn.functional.cross_entropy(torch.tensor(x2[0]), torch.tensor(1)).item(), rtol=1e-5)


def test_targets_as_tensor_and_float_tensor(rng):
    x = rng.standard_normal((4, 3)).astype(np.float32)
    t = np.array([0, 2, 1, 1])
    a = F.cross_entropy(ne.tensor(x), t).item()
    assert a == F.cross_entropy(ne.tensor(x), ne.tensor(t)).item()
    assert a == F.cross_entropy(ne.tensor(x), ne.tensor(t, dtype=np.int64)).item()


# ---------------------------------------------------------------- the nll kernel pair
@pytest.mark.parametrize("shape", [(1, 1), (7, 8), (9, 17), (33, 5), (3, 16, 15), (2, 9, 4, 7)])
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_kernels_match_float64_oracle_and_twin(isa, rng, shape, weighted):
    from nnengine import _core
    x = rng.standard_normal(shape).astype(np.float32)
    C = shape[1]
    t = rng.integers(0, C, (shape[0],) + shape[2:]).reshape(-1)
    t[::3] = -7
    w = rng.uniform(0.2, 2, C).astype(np.float32) if weighted else None
    loss, rw, dx = oracle.nll(x, t, w, -7)
    g = rng.standard_normal(t.size).astype(np.float32)
    for ref in (False, True):
        lo, ro = _core.nll_forward(x, t, w, -7, reference=ref)
        np.testing.assert_allclose(lo, loss, rtol=1e-7, atol=0)
        np.testing.assert_allclose(ro, rw, rtol=1e-7, atol=0)
        per_row = _core.nll_backward(x, t, g, w, -7, reference=ref)
        N, D = shape[0], t.size // shape[0]
        want = dx.reshape(N, C, D) * g.reshape(N, 1, D)
        np.testing.assert_allclose(per_row, want.reshape(shape), rtol=1e-7, atol=0)
        np.testing.assert_allclose(_core.nll_backward(x, t, np.float32([0.5]), w, -7, reference=ref), dx * 0.5,
                                   rtol=1e-7, atol=0)


def test_nll_kernels_threads_identical_and_validation(rng, threads):
    from nnengine import _core
    x = rng.standard_normal((4000, 10, 9)).astype(np.float32)
    t = rng.integers(0, 10, 4000 * 9)
    w = rng.uniform(0.2, 2, 10).astype(np.float32)
    g = rng.standard_normal(t.size).astype(np.float32)
    res = []
    for n in (1, 2):
        with threads(n):
            res.append([*_core.nll_forward(x, t, w, 3), _core.nll_backward(x, t, g, w, 3)])
    for a, b in zip(*res):
        assert np.array_equal(a, b)
    with pytest.raises(ValueError, match=r"target: expected class indices in \[0, 10\), got 10"):
        _core.nll_forward(x, np.full(t.size, 10), None, -100)
    with pytest.raises(ValueError, match=r"target: expected shape \(36000,\)"):
        _core.nll_forward(x, t[:5], None, -100)
    with pytest.raises(ValueError, match=r"weight: expected shape \(10,\), got \(3,\)"):
        _core.nll_forward(x, t, w[:3], -100)
    with pytest.raises(ValueError, match="input: expected"):
        _core.nll_forward(x[0, 0], t[:1], None, -100)
    with pytest.raises(ValueError, match="grad: expected shape"):
        _core.nll_backward(x, t, g[:7], None, -100)
    with pytest.raises(TypeError, match="target: expected dtype int64"):
        _core.nll_forward(x, t.astype(np.int32), None, -100)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_weight_ignore_index_spatial_match_torch(rng, torch, reduction):
    x = rng.standard_normal((6, 5, 3, 4)).astype(np.float32)
    t = rng.integers(0, 5, (6, 3, 4))
    t[0, 0] = 2
    w = rng.uniform(0.2, 2, 5).astype(np.float32)
    a = ne.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    la = F.nll_loss(a, t, weight=w, ignore_index=2, reduction=reduction)
    lb = torch.nn.functional.nll_loss(b, torch.tensor(t), weight=torch.tensor(w), ignore_index=2,
                                      reduction=reduction)
    assert reduction == "none" or la.grad_fn.inputs[0] is a  # one node on the input, no transpose
    np.testing.assert_allclose(la.data, lb.detach().numpy(), rtol=1e-6, atol=1e-7)
    g = rng.standard_normal(lb.shape).astype(np.float32)
    la.backward(g if la.ndim else None)
    lb.backward(torch.tensor(g) if lb.ndim else None)
    np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-6, atol=1e-7)
    every = np.full((6, 3, 4), 2)  # every row ignored: torch gives nan for mean, 0 for sum
    lz = F.nll_loss(ne.tensor(x), every, ignore_index=2, reduction=reduction)
    lt = torch.nn.functional.nll_loss(torch.tensor(x), torch.tensor(every), ignore_index=2, reduction=reduction)
    np.testing.assert_allclose(lz.numpy(), lt.numpy())


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_of_log_softmax_vs_torch(torch, rng, reduction):
    tf = torch.nn.functional
    x = rng.standard_normal((6, 5)).astype(np.float32)
    t = rng.integers(0, 5, 6)
    a, b = ne.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    la = F.nll_loss(F.log_softmax(a, 1), t, reduction=reduction)
    lb = tf.nll_loss(tf.log_softmax(b, 1), torch.tensor(t), reduction=reduction)
    np.testing.assert_allclose(la.data, lb.detach().numpy(), rtol=1e-5, atol=1e-6)
    la.sum().backward()
    lb.sum().backward()
    np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_cross_entropy_and_nll_modules_vs_torch(rng, torch):
    x = rng.standard_normal((4, 3)).astype(np.float32)
    t = rng.integers(0, 3, 4)
    for ours, theirs in [(nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()), (nn.NLLLoss(), torch.nn.NLLLoss())]:
        np.testing.assert_allclose(ours(ne.tensor(x), t).item(), theirs(torch.tensor(x), torch.tensor(t)).item(),
                                   rtol=1e-5)


def test_cross_entropy_bad_input():
    x = ne.zeros(4, 3)
    with pytest.raises(ValueError, match="target: expected class indices in"):
        F.cross_entropy(x, np.array([0, 1, 3, 0]))
    with pytest.raises(ValueError, match="target: expected shape"):
        F.cross_entropy(x, np.array([0, 1]))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(x, np.array([0, 1, 2, 0]), reduction="avg")
    with pytest.raises(ValueError, match="non-integral"):
        F.cross_entropy(x, np.array([0.5, 1, 2, 0]))
    with pytest.raises(ValueError, match="weight: expected shape"):
        F.cross_entropy(x, np.array([0, 1, 2, 0]), weight=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"target: expected class indices in \[0, 3\) or ignore_index=-100, got -1"):
        F.cross_entropy(x, np.array([0, -1, 2, 0]))
    with pytest.raises(ValueError, match=r"ignore_index=5, got 3"):
        F.cross_entropy(x, np.array([0, 5, 3, 0]), ignore_index=5)


def test_cross_entropy_all_valid_targets_same_bits_as_the_masked_path(rng):
    """Targets all in [0, C) with ignore_index outside it take two reductions instead of the masks; the row
    weights, loss and gradient are those of the masked path (forced here by a weight of ones)."""
    xa = rng.standard_normal((37, 11)).astype(np.float32)
    t = rng.integers(0, 11, 37)
    res = []
    for weight in (None, np.ones(11, np.float32)):
        x = ne.tensor(xa, requires_grad=True)
        loss = F.cross_entropy(x, t, weight=weight)
        loss.backward()
        res.append((loss.data, x.grad.data))
    for a, b in zip(*res):
        np.testing.assert_array_equal(a, b)
    x = ne.tensor(xa, requires_grad=True)  # an ignore_index that is a class: its rows count for nothing
    F.cross_entropy(x, t, ignore_index=int(t[0])).backward()
    assert not x.grad.data[t == t[0]].any() and x.grad.data[t != t[0]].any()
