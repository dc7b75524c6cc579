"""Regularizers (Keras values and gradients, proximal L1 giving exact zeros on real data) and
constraints (Keras formulas, MaxNorm holding after every optimizer step)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require

import nnengine as ne
import nnengine.functional as F
from nnengine import _core, nn, optim
from nnengine.constraints import EPSILON, MaxNorm, NonNeg, UnitNorm
from nnengine.regularizers import L1, L1L2, L2


@pytest.fixture(scope="module")
def cancer():
    datasets = require("sklearn.datasets")
    x, y = datasets.load_breast_cancer(return_X_y=True)
    x = (x - x.mean(0)) / x.std(0)
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(x))
    tr, te = idx[:400], idx[400:]
    f = np.float32
    return x[tr].astype(f), y[tr].astype(f)[:, None], x[te].astype(f), y[te].astype(f)[:, None]


@pytest.mark.parametrize("reg,value,grad", [
    (L1(0.3), lambda w: 0.3 * np.abs(w).sum(), lambda w: 0.3 * np.sign(w)),
    (L2(0.2), lambda w: 0.2 * (w * w).sum(), lambda w: 0.4 * w),
    (L1L2(0.1, 0.05), lambda w: 0.1 * np.abs(w).sum() + 0.05 * (w * w).sum(), lambda w: 0.1 * np.sign(w) + 0.1 * w),
])
def test_regularizer_value_and_gradient(reg, value, grad):
    w = nn.Parameter(np.random.default_rng(0).standard_normal((7, 9)).astype(np.float32))
    out = reg(w)
    assert out.shape == ()
    np.testing.assert_allclose(out.item(), value(w.data.astype(np.float64)), rtol=1e-5)
    out.backward()
    np.testing.assert_allclose(w.grad, grad(w.data.astype(np.float64)), rtol=1e-5, atol=1e-7)


def test_layer_kwargs_feed_regularization_loss():
    layer = nn.Linear(5, 3, weight_regularizer=L2(0.01), bias_regularizer=L1(0.1))
    expected = 0.01 * (layer.weight.data.astype(np.float64) ** 2).sum() + 0.1 * np.abs(layer.bias.data).sum()
    np.testing.assert_allclose(layer.regularization_loss().item(), expected, rtol=1e-5)


def test_prox_is_soft_thresholding():
    w = np.array([-1.0, -0.05, 0.0, 0.02, 0.3], np.float32)
    L1(0.5, proximal=True).prox(w, 0.1)  # threshold 0.05
    np.testing.assert_allclose(w, [-0.95, 0.0, 0.0, 0.0, 0.25], atol=1e-7)
    v = np.array([0.01, -2.0], np.float32)
    L1(0.5).prox(v, 0.1)  # not proximal: untouched
    np.testing.assert_array_equal(v, np.array([0.01, -2.0], np.float32))


def _train_logreg(cancer, reg, opt_cls=optim.SGD, steps=300, **kw):
    xtr, ytr, xte, yte = cancer
    ne.manual_seed(0)
    model = nn.Linear(30, 1, weight_regularizer=reg)
    opt = opt_cls(model.parameters(), **kw)
    X, Y = ne.tensor(xtr), ne.tensor(ytr)
    for _ in range(steps):
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(X), Y) + model.regularization_loss()
        loss.backward()
        opt.step()
    acc = float((((xte @ model.weight.data.T + model.bias.data) > 0) == (yte > 0.5)).mean())
    return model.weight.data, acc


@pytest.mark.parametrize("opt_cls,kw,min_zeros", [(optim.SGD, dict(lr=0.1), 10),
                                                 (optim.SGD, dict(lr=0.05, momentum=0.5), 5)])
def test_proximal_l1_gives_exact_zeros_on_breast_cancer(cancer, opt_cls, kw, min_zeros):
    w, acc = _train_logreg(cancer, L1(0.02, proximal=True), opt_cls, **kw)
    zeros = int((w == 0).sum())
    assert zeros >= min_zeros, f"only {zeros} of 30 weights are exactly zero"
    assert acc >= 0.93
    plain, _ = _train_logreg(cancer, L1(0.02), opt_cls, **kw)  # Keras-style subgradient: no exact zeros
    assert int((plain == 0).sum()) == 0
    dense, _ = _train_logreg(cancer, None, opt_cls, **kw)
    assert int((dense == 0).sum()) == 0


def test_max_norm_formula_and_axes():
    rng = np.random.default_rng(1)
    w = rng.standard_normal((4, 3, 2, 2)).astype(np.float32) * 2
    ref = w.astype(np.float64)
    n = np.sqrt((ref ** 2).sum(axis=(1, 2, 3), keepdims=True))
    expected = ref * np.clip(n, 0, 1.5) / (EPSILON + n)
    out = MaxNorm(1.5)(w)
    assert out is w
    np.testing.assert_allclose(w, expected, rtol=1e-6)
    assert np.all(np.sqrt((w.astype(np.float64) ** 2).sum(axis=(1, 2, 3))) <= 1.5 * (1 + 1e-6))
    v = rng.standard_normal((3, 5)).astype(np.float32)
    cols = np.sqrt((v.astype(np.float64) ** 2).sum(0))
    MaxNorm(0.5, axis=0)(v)
    np.testing.assert_allclose(np.sqrt((v.astype(np.float64) ** 2).sum(0)),
                               np.minimum(cols, 0.5) * cols / (EPSILON + cols), rtol=1e-6)


def test_max_norm_holds_after_each_step(cancer):
    xtr, ytr, _, _ = cancer
    ne.manual_seed(0)
    model = nn.Sequential(nn.Linear(30, 16, weight_constraint=MaxNorm(0.5)), nn.ReLU(), nn.Linear(16, 1))
    opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    X, Y = ne.tensor(xtr), ne.tensor(ytr)
    w = model[0].weight
    capped = 0
    for _ in range(30):
        opt.zero_grad()
        F.binary_cross_entropy_with_logits(model(X), Y).backward()
        opt.step()
        norms = np.linalg.norm(w.data.astype(np.float64), axis=1)
        assert np.all(norms <= 0.5 + 1e-6)
        capped += int((norms > 0.49).sum())
    assert capped > 0, "the constraint should be active on this problem"


def test_non_neg_and_unit_norm():
    w = nn.Parameter(np.array([[3.0, -4.0], [-1.0, 0.5]], np.float32))
    UnitNorm()(w)
    np.testing.assert_allclose(np.linalg.norm(w.data, axis=1), [1.0, 1.0], rtol=1e-6)
    NonNeg()(w)
    assert np.all(w.data >= 0) and w.data[0, 0] > 0


def test_bad_arguments():
    with pytest.raises(ValueError, match="l1: expected a finite coefficient >= 0"):
        L1(-0.1)
    with pytest.raises(TypeError, match="l2: expected a real number"):
        L2("0.1")
    with pytest.raises(ValueError, match="max_value: expected a number > 0"):
        MaxNorm(0)
    with pytest.raises(ValueError, match="axis: 3 is out of range"):
        MaxNorm(1.0, axis=3)(np.ones((2, 2), np.float32))
    with pytest.raises(TypeError, match="w: expected a Tensor or numpy array"):
        MaxNorm(1.0)([1.0, 2.0])


# ---------------------------------------------------------------- the C++ epilogue path
def _numpy_constraint(con, w):
    """The numpy formulas the constraints used before they ran in C++ (float32, as Keras)."""
    a = w.copy()
    if isinstance(con, NonNeg):
        return np.maximum(a, 0)
    axes = con.axis if con.axis is not None else tuple(range(1, a.ndim)) if a.ndim > 1 else (0,)
    n = np.sqrt(np.sum(np.square(a), axis=axes, keepdims=True))
    if isinstance(con, UnitNorm):
        return a / (np.float32(EPSILON) + n)
    return a * (np.clip(n, 0, con.max_value) / (np.float32(EPSILON) + n)).astype(a.dtype)


@pytest.mark.parametrize("con,shape", [(MaxNorm(1.0), (9, 17)), (MaxNorm(0.7, axis=0), (33, 8)),
                                       (MaxNorm(2.0, axis=(1, 2)), (3, 4, 5, 2)),
                                       (MaxNorm(2.0, axis=(0, 2)), (3, 4, 5)),  # non-adjacent: numpy path
                                       (UnitNorm(), (7,)), (UnitNorm(axis=-1), (5, 6, 16)), (NonNeg(), (15, 3))])
def test_native_constraints_match_the_numpy_formulas(con, shape):
    w = (np.random.default_rng(2).standard_normal(shape) * 3).astype(np.float32)
    want = _numpy_constraint(con, w)
    got = w.copy()
    assert con(got) is got
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7)
    w64 = w.astype(np.float64)  # float64 weights take the numpy formulas
    np.testing.assert_allclose(con(w64), want, rtol=2e-6, atol=1e-7)


def test_optimizer_epilogue_is_one_native_call_and_matches_python(monkeypatch):
    ne.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 9, weight_regularizer=L1(0.05, proximal=True), weight_constraint=MaxNorm(0.8)),
                          nn.Linear(9, 4, weight_constraint=UnitNorm(axis=0), bias_constraint=NonNeg()),
                          nn.Linear(4, 1, weight_regularizer=L1L2(0.1, 0.01, proximal=True)))
    calls = []
    real = _core.optim_epilogue
    monkeypatch.setattr(_core, "optim_epilogue", lambda *a, **k: (calls.append(len(a[0])), real(*a, **k))[1])
    x = ne.randn(5, 6)
    opt = optim.SGD(model.parameters(), lr=0.3)
    model(x).pow(2).sum().backward()
    before = {n: p.data.copy() for n, p in model.named_parameters()}
    grads = {n: p.grad.copy() for n, p in model.named_parameters()}
    opt.step()
    assert calls == [4]  # prox+MaxNorm, UnitNorm, NonNeg, prox: one call for the step
    for n, p in model.named_parameters():
        w = before[n] - np.float32(0.3) * grads[n]
        reg, con = getattr(p, "regularizer", None), getattr(p, "constraint", None)
        if reg is not None and reg.proximal:
            t = np.float32(0.3 * reg.l1)
            w = np.sign(w) * np.maximum(np.abs(w) - t, np.float32(0))
        if con is not None:
            w = _numpy_constraint(con, w)
        np.testing.assert_allclose(p.data, w, rtol=2e-6, atol=1e-7, err_msg=n)


def test_custom_constraint_and_prox_still_run_from_python():
    class Halve(MaxNorm):
        def __call__(self, w):
            w.data[...] *= 0.5
            return w

    class ClipProx(L1):
        def prox(self, w, lr):
            np.clip(w, -0.1, 0.1, out=w)

    w = nn.Parameter(np.array([[3.0, -4.0]], np.float32))
    w.constraint, w.regularizer = Halve(1.0), ClipProx(0.1)
    w.grad = np.zeros_like(w.data)
    optim.SGD([w], lr=0.1).step()
    np.testing.assert_array_equal(w.data, np.array([[0.05, -0.05]], np.float32))
    v = nn.Parameter(np.array([[3.0, -4.0]], np.float32))
    v.constraint = lambda p: np.multiply(p.data, 2, out=p.data)  # any callable
    v.grad = np.zeros_like(v.data)
    optim.SGD([v], lr=0.1).step()
    np.testing.assert_array_equal(v.data, np.array([[6.0, -8.0]], np.float32))


def test_penalty_is_one_tape_node_float32_and_float64():
    from nnengine.regularizers import WeightPenaltyFn
    w = nn.Parameter(np.random.default_rng(5).standard_normal((4, 33)).astype(np.float32))
    out = L1L2(0.1, 0.05)(w)
    node = out.grad_fn  # one node, straight on the parameter
    assert node.fn is WeightPenaltyFn and node.inputs[0] is w and out.dtype == np.float32
    (3 * out).backward()
    w64 = w.data.astype(np.float64)
    np.testing.assert_allclose(w.grad, 3 * (0.1 * np.sign(w64) + 0.1 * w64), rtol=1e-6, atol=1e-7)
    d = ne.tensor(w64.copy(), dtype=ne.float64, requires_grad=True)
    o64 = L1L2(0.1, 0.05)(d)
    assert o64.dtype == np.float64
    np.testing.assert_allclose(o64.item(), 0.1 * np.abs(w64).sum() + 0.05 * (w64 ** 2).sum(), rtol=1e-14)
    o64.backward()
    np.testing.assert_allclose(d.grad, 0.1 * np.sign(w64) + 0.1 * w64, rtol=1e-14)
    p = nn.Parameter(w.data.copy())
    val = L1(0.2, proximal=True)(p)  # proximal L1 alone: a constant
    assert not val.requires_grad
    np.testing.assert_allclose(val.item(), 0.2 * np.abs(w64).sum(), rtol=1e-6)
    both = L1L2(0.2, 0.05, proximal=True)(p)  # the L2 part keeps its gradient, the L1 part none
    both.backward()
    np.testing.assert_allclose(p.grad, 0.1 * w64, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ne.autograd.gradcheck(lambda t: L1L2(0.1, 0.05)(t), (ne.tensor(
        w64[:, :5] + 0.01, dtype=ne.float64, requires_grad=True),)), True)
