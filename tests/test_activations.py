"""Activation and softmax kernels vs float64 oracles, every ISA, SIMD-width shapes, threads, torch."""

import numpy as np
import pytest
from conftest import numeric_grad

import nnengine as ne
import nnengine.functional as F
from nnengine import _core

SIZES = [1, 7, 8, 9, 15, 16, 17, 33, 1000, 70001]


def _oracle(kind, x, alpha):
    x = x.astype(np.float64)
    if kind == 0:
        return np.maximum(x, 0)
    if kind == 1:
        return np.where(x > 0, x, alpha * x)
    if kind == 2:
        return np.where(x > 0, x, alpha * np.expm1(x))
    if kind == 3:
        return 1 / (1 + np.exp(-x))
    return np.tanh(x)


def _oracle_grad(kind, x, alpha):
    x = x.astype(np.float64)
    if kind == 0:
        return (x > 0).astype(np.float64)
    if kind == 1:
        return np.where(x > 0, 1.0, alpha)
    if kind == 2:
        return np.where(x > 0, 1.0, alpha * np.exp(x))
    if kind == 3:
        s = 1 / (1 + np.exp(-x))
        return s * (1 - s)
    return 1 - np.tanh(x) ** 2


@pytest.mark.parametrize("kind,alpha", [(0, 0.0), (1, 0.01), (1, 0.3), (2, 1.0), (2, 0.5), (3, 0.0), (4, 0.0)])
@pytest.mark.parametrize("n", SIZES)
def test_activation_forward_backward_vs_float64(isa, rng, kind, alpha, n):
    x = (rng.standard_normal(n) * 4).astype(np.float32)
    y = _core.act_forward(x, kind, alpha)
    ref = _oracle(kind, x, alpha)
    # stated max errors: sigmoid/tanh/elu relative ~5e-7 (+ absolute 1e-7 near 0)
    np.testing.assert_allclose(y, ref, rtol=2e-6, atol=2e-7)
    dy = rng.standard_normal(n).astype(np.float32)
    dx = _core.act_backward(dy, x, y, kind=kind, alpha=alpha)
    np.testing.assert_allclose(dx, dy * _oracle_grad(kind, x, alpha), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", [3, 4, 2])
def test_activation_extremes(isa, kind):
    x = np.array([-1e4, -100, -88, -30, -1e-8, 0, 1e-8, 30, 88, 100, 1e4], np.float32)
    y = _core.act_forward(x, kind, 1.0)
    assert np.isfinite(y).all()
    with np.errstate(over="ignore"):
        ref = _oracle(kind, x, 1.0)
    np.testing.assert_allclose(y, ref, rtol=2e-6, atol=2e-7)


def test_relu_propagates_nan():
    y = _core.act_forward(np.array([np.nan, 1.0, -1.0], np.float32), 0, 0.0)
    assert np.isnan(y[0]) and y[1] == 1 and y[2] == 0


@pytest.mark.parametrize("kind", [0, 1, 2, 3, 4])
def test_activation_threads_identical(isa, kind, rng):
    x = rng.standard_normal(300_001).astype(np.float32)
    with ne.backend.num_threads(1):
        a = _core.act_forward(x, kind, 0.2)
        ga = _core.act_backward(x, x, a, kind=kind, alpha=0.2)
    with ne.backend.num_threads(2):
        b = _core.act_forward(x, kind, 0.2)
        gb = _core.act_backward(x, x, b, kind=kind, alpha=0.2)
    assert np.array_equal(a, b) and np.array_equal(ga, gb)


@pytest.mark.parametrize("kind", [0, 1, 2, 3, 4])
def test_activation_reference_twin(kind, rng):
    x = rng.standard_normal(77).astype(np.float32)
    np.testing.assert_allclose(_core.act_forward(x, kind, 0.1), _core.act_forward(x, kind, 0.1, reference=True),
                               rtol=2e-6, atol=2e-7)


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "leaky_relu", "elu"])
def test_functional_vs_torch(torch, rng, name):
    x = rng.standard_normal((4, 33)).astype(np.float32)
    a = ne.tensor(x, requires_grad=True)
    y = getattr(F, name)(a)
    (y * y).sum().backward()
    b = torch.tensor(x, requires_grad=True)
    yt = getattr(torch.nn.functional, name)(b)
    (yt * yt).sum().backward()
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "elu", "softplus"])
def test_activation_finite_differences(name, rng):
    x = rng.standard_normal(6)
    w = rng.standard_normal(6)
    f64 = {"sigmoid": lambda v: 1 / (1 + np.exp(-v)), "tanh": np.tanh,
           "elu": lambda v: np.where(v > 0, v, np.expm1(v)), "softplus": lambda v: np.log1p(np.exp(v))}[name]
    num = numeric_grad(lambda v: float((f64(v) * w).sum()), x)
    a = ne.tensor(x, requires_grad=True)
    (getattr(F, name)(a) * ne.tensor(w)).sum().backward()
    np.testing.assert_allclose(a.grad, num, rtol=1e-4, atol=1e-5)


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


def test_activation_bad_input():
    with pytest.raises(TypeError, match="input: expected a Tensor"):
        F.relu("x")
    with pytest.raises(TypeError, match="negative_slope"):
        F.leaky_relu(ne.zeros(3), negative_slope="a")
    with pytest.raises(ValueError, match="dim: expected a value in"):
        F.softmax(ne.zeros(3, 4), dim=2)
    with pytest.raises(TypeError, match="dtype float32"):
        _core.act_forward(np.zeros(3, np.float64), 0, 0.0)
    with pytest.raises(ValueError, match="kind"):
        _core.act_forward(np.zeros(3, np.float32), 99, 0.0)
    with pytest.raises(ValueError, match="y: expected shape"):
        _core.act_backward(np.zeros(3, np.float32), None, np.zeros(4, np.float32), kind=3)
