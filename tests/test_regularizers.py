"""Regularizers (Keras values and gradients, proximal L1 giving exact zeros on real data) and
constraints (Keras formulas, MaxNorm holding after every optimizer step)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require

import nnengine as ne
import nnengine.functional as F
from nnengine import nn, optim
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
