"""The activation kernel family. ReLU, LeakyReLU, ELU, Sigmoid, Tanh: float64 oracle at the SIMD widths on every
ISA, extremes, NaN, threads, scalar twins, torch and finite differences. GELU (erf and tanh), SiLU, Mish, Softplus(beta, threshold), Hardtanh/ReLU6, Hardswish, Hardsigmoid,
Softsign and PReLU on the activation kernels: accuracy in ulp against float64 (scaled by the function's
condition number where it is ill-conditioned), NaN preservation, the scalar twins, gradients (float64
derivative, gradcheck), every ISA, sizes around the vector widths, 1 vs 2 threads, PyTorch side by side
(modules, reprs, PReLU's weight gradient, state_dict from torch) and bad arguments."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import numeric_grad
from reference import activation as ref

import nnengine as ne
import nnengine.functional as F
from nnengine import _core
from nnengine.autograd import gradcheck

ORACLES = ref.ORACLES
KINDS = list(ORACLES)


def _sample(n=60_000, seed=0):
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.standard_normal(n) * 3, rng.uniform(-12, 12, n), np.linspace(-9, 9, 4001),
                        [0.0, -0.0, 1e-30, -1e-30, 3.0, -3.0, 1.0, -1.0, 20.0, 20.5]])
    return x.astype(np.float32)


def _ulp(v):
    return np.maximum(np.spacing(np.abs(v).astype(np.float32)).astype(np.float64), 1e-37)


@pytest.mark.parametrize("kind", KINDS, ids=KINDS)
def test_forward_accuracy_in_ulp(kind, isa):
    a, b, f, df = ORACLES[kind]
    x = _sample()
    xd = x.astype(np.float64)
    y = _core.activation_forward(x, kind, a, b).astype(np.float64)
    yr = f(xd)
    # a float result can only be as good as the problem's conditioning |x f'(x) / f(x)| allows: the bound is
    # 8 ulp plus 1.5 ulp per unit of condition number (the exponentials' arguments carry their rounding)
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = np.nan_to_num(np.abs(xd * df(xd) / yr), nan=0.0, posinf=0.0)
    err = np.abs(y - yr) / _ulp(yr)
    bound = 8.0 + 1.5 * cond
    worst = np.argmax(err - bound)
    assert np.all(err <= bound), f"x={x[worst]}: {y[worst]} vs {yr[worst]} ({err[worst]:.1f} ulp, cond {cond[worst]:.1f})"
    well = cond <= 1.0
    assert err[well].max() <= 8.0  # well-conditioned inputs: a few ulp (measured: <= 7, GELU erf)
    nan = _core.activation_forward(np.array([np.nan] * 9 + [1.0], np.float32), kind, a, b)
    assert np.isnan(nan[:9]).all()


@pytest.mark.parametrize("kind", KINDS, ids=KINDS)
def test_backward_matches_float64_derivative(kind, isa):
    a, b, f, df = ORACLES[kind]
    x = _sample(20_000, seed=1)
    x = x[(np.abs(np.abs(x) - 3) > 1e-3) & (np.abs(np.abs(x) - 1) > 1e-3)]  # off the kinks
    g = np.random.default_rng(2).standard_normal(x.shape).astype(np.float32)
    dx = _core.activation_backward(g, x, None, kind=kind, alpha=a, beta=b).astype(np.float64)
    xd = x.astype(np.float64)
    ref = g * df(xd)
    # the derivative is a sum of terms of size <= ~|f'| + |x f''|: errors are measured against that scale
    scale = np.abs(g) * (np.abs(df(xd)) + np.abs(xd) * np.abs(df(xd + 1e-3) - df(xd - 1e-3)) / 2e-3 + 1e-30)
    # (exp's argument is clamped at -87.3: results below ~1e-35 in magnitude are only that close)
    np.testing.assert_array_less(np.abs(dx - ref), 1e-6 * scale + 1e-35)


@pytest.mark.parametrize("n", [1, 7, 8, 9, 15, 16, 17, 33])
@pytest.mark.parametrize("kind", KINDS, ids=KINDS)
def test_sizes_and_scalar_twin(n, kind, isa):
    a, b, f, df = ORACLES[kind]
    x = (np.random.default_rng(n).standard_normal(n) * 4).astype(np.float32)
    y = _core.activation_forward(x, kind, a, b)
    np.testing.assert_allclose(y, _core.activation_forward(x, kind, a, b, reference=True), rtol=2e-6, atol=1e-7)
    g = np.ones_like(x)
    np.testing.assert_allclose(_core.activation_backward(g, x, None, kind=kind, alpha=a, beta=b),
                               _core.activation_backward(g, x, None, kind=kind, alpha=a, beta=b, reference=True),
                               rtol=5e-6, atol=1e-6)
    # each element goes through the same arithmetic wherever it sits (tail or full vector)
    big = np.concatenate([x, x, x[: n // 2]])
    np.testing.assert_array_equal(_core.activation_forward(big, kind, a, b)[:n], y)


def test_gradcheck():
    x = ne.Tensor(np.random.default_rng(3).standard_normal((3, 5)).astype(np.float32) * 2, requires_grad=True)
    for fn in (F.gelu, lambda t: F.gelu(t, "tanh"), F.silu, F.mish, lambda t: F.softplus(t, 2.0, 5.0),
               F.softsign):
        assert gradcheck(fn, [x])
    w = ne.Tensor(np.array([0.1, -0.3, 0.5], np.float32), requires_grad=True)
    xv = np.random.default_rng(4).standard_normal((2, 3, 4))
    xp = ne.Tensor((xv + 0.2 * np.sign(xv)).astype(np.float32), requires_grad=True)  # off the kink at 0
    assert gradcheck(F.prelu, [xp, w])


def test_threads_bit_identical(threads):
    x = np.random.default_rng(5).standard_normal(300_001).astype(np.float32)
    x3 = x[:300_000].reshape(20, 3, 5000)
    w = np.array([0.2, -0.1, 0.7], np.float32)
    out = []
    for n in (1, 2):
        with threads(n):
            r = [_core.activation_forward(x, k, *ORACLES[k][:2]) for k in KINDS]
            r += [_core.activation_backward(x, x, None, kind=k, alpha=ORACLES[k][0], beta=ORACLES[k][1]) for k in KINDS]
            r += [_core.prelu_forward(x3, w), *_core.prelu_backward(x3, x3, w)]
            r += [_core.prelu_backward(x.reshape(1, 1, -1), x.reshape(1, 1, -1), w[:1])[1]]
            out.append(r)
    for a, b in zip(*out):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("shape,c", [((4, 3, 5, 7), 3), ((6, 5), 5), ((2, 4, 33), 1), ((17,), 1), ((), 1)])
def test_prelu_matches_oracle_and_twin(shape, c, isa):
    rng = np.random.default_rng(6)
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal(c).astype(np.float32)
    xn, wn = ne.Tensor(x, requires_grad=True), ne.Tensor(w, requires_grad=True)
    y = F.prelu(xn, wn)
    wb = w.reshape((1, c) + (1,) * (x.ndim - 2)) if c > 1 else w[0]
    np.testing.assert_array_equal(y.numpy(), np.where(x > 0, x, wb * x))
    g = rng.standard_normal(shape).astype(np.float32)
    y.backward(g)
    np.testing.assert_allclose(xn.grad, np.where(x > 0, g, wb * g), rtol=1e-6)
    axes = tuple(i for i in range(x.ndim) if i != 1) if c > 1 else None
    dw = (np.where(x > 0, 0, x.astype(np.float64) * g)).sum(axis=axes)
    np.testing.assert_allclose(wn.grad, np.atleast_1d(dw), rtol=1e-5, atol=1e-5)
    x3 = x.reshape(x.shape[0] if c > 1 else 1, c, -1)
    for a, b in zip(_core.prelu_backward(x3, x3, w), _core.prelu_backward(x3, x3, w, reference=True)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


MODULES = [("GELU", ()), ("GELU", ("tanh",)), ("SiLU", ()), ("Mish", ()), ("Softplus", ()),
           ("Softplus", (2.0, 3.0)), ("Hardtanh", (-0.5, 2.0)), ("ReLU6", ()), ("Hardswish", ()),
           ("Hardsigmoid", ()), ("Softsign", ()), ("PReLU", ()), ("PReLU", (6,)), ("SiLU", (True,))]


@pytest.mark.parametrize("name,args", MODULES)
def test_modules_match_torch(name, args, torch):
    rng = np.random.default_rng(7)
    mn, mt = getattr(ne.nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(mn) == repr(mt)
    sd = {k: torch.tensor(rng.standard_normal(v.shape).astype(np.float32)) for k, v in mt.state_dict().items()}
    mt.load_state_dict(sd)
    mn.load_state_dict(sd)
    assert list(mn.state_dict()) == list(mt.state_dict())
    x = (rng.standard_normal((4, 6, 9)) * 4).astype(np.float32)
    xn, xt = ne.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yn, yt = mn(xn * 1.0), mt(xt * 1.0)
    np.testing.assert_allclose(yn.numpy(), yt.detach().numpy(), rtol=1e-6, atol=1e-6)
    g = rng.standard_normal(x.shape).astype(np.float32)
    yn.backward(g)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xn.grad, xt.grad.numpy(), rtol=1e-5, atol=2e-6)
    for k, p in mt.named_parameters():
        np.testing.assert_allclose(getattr(mn, k).grad, p.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_inplace_and_functional_names(torch):
    x = np.linspace(-5, 5, 21).astype(np.float32)
    for fn, tf in (("silu", "silu"), ("mish", "mish"), ("hardswish", "hardswish"), ("hardsigmoid", "hardsigmoid"),
                   ("relu6", "relu6"), ("hardtanh", "hardtanh")):
        t = ne.Tensor(x.copy())
        assert getattr(F, fn)(t, inplace=True) is t
        np.testing.assert_allclose(t.numpy(), getattr(torch.nn.functional, tf)(torch.tensor(x)).numpy(), atol=1e-6)
    np.testing.assert_allclose(F.softplus(ne.Tensor(x), beta=0.5, threshold=1.0).numpy(),
                               torch.nn.functional.softplus(torch.tensor(x), beta=0.5, threshold=1.0).numpy(),
                               rtol=1e-6)


def test_bad_arguments():
    x = ne.randn(2, 3)
    with pytest.raises(ValueError, match="approximate: expected 'none' or 'tanh', got 'erf'"):
        F.gelu(x, approximate="erf")
    with pytest.raises(ValueError, match="approximate"):
        ne.nn.GELU("fast")
    with pytest.raises(TypeError, match="beta: expected a number, got str"):
        F.softplus(x, beta="1")
    with pytest.raises(ValueError, match="beta: expected a non-zero value"):
        F.softplus(x, beta=0)
    with pytest.raises(ValueError, match="max_val: expected a value >= min_val=1.0, got -1.0"):
        F.hardtanh(x, 1.0, -1.0)
    with pytest.raises(ValueError, match="num_parameters: expected a positive int, got 0"):
        ne.nn.PReLU(0)
    with pytest.raises(ValueError, match=r"weight: expected 1 slope or one per channel .* got 2 slopes"):
        F.prelu(x, ne.ones(2))
    with pytest.raises(ValueError, match="weight: expected a 1-D tensor"):
        F.prelu(x, ne.ones(3, 1))
    with pytest.raises(ValueError, match=r"weight: expected shape \(3,\), got \(2,\)"):
        _core.prelu_forward(np.zeros((2, 3, 4), np.float32), np.zeros(2, np.float32))
    with pytest.raises(ValueError, match="kind: expected one of 'relu', .*'softsign', got 'swish'"):
        _core.activation_forward(np.zeros(3, np.float32), "swish")
    with pytest.raises(TypeError):
        _core.activation_forward(np.zeros(3, np.float32), 3)  # kinds are names, not codes
    with pytest.raises(ValueError, match="x: expected 3 dimensions"):
        _core.prelu_backward(np.zeros(3, np.float32), np.zeros(3, np.float32), np.zeros(1, np.float32))


SIZES = [1, 7, 8, 9, 15, 16, 17, 33, 1000, 70001]


@pytest.mark.parametrize("kind,alpha", [("relu", 0.0), ("leaky_relu", 0.01), ("leaky_relu", 0.3), ("elu", 1.0),
                                        ("elu", 0.5), ("sigmoid", 0.0), ("tanh", 0.0)])
@pytest.mark.parametrize("n", SIZES)
def test_activation_forward_backward_vs_float64(isa, rng, kind, alpha, n):
    x = (rng.standard_normal(n) * 4).astype(np.float32)
    y = _core.activation_forward(x, kind, alpha)
    want = ref.basic(kind, x, alpha)
    # stated max errors: sigmoid/tanh/elu relative ~5e-7 (+ absolute 1e-7 near 0)
    np.testing.assert_allclose(y, want, rtol=2e-6, atol=2e-7)
    dy = rng.standard_normal(n).astype(np.float32)
    dx = _core.activation_backward(dy, x, y, kind=kind, alpha=alpha)
    np.testing.assert_allclose(dx, dy * ref.basic_grad(kind, x, alpha), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["sigmoid", "tanh", "elu"])
def test_activation_extremes(isa, kind):
    x = np.array([-1e4, -100, -88, -30, -1e-8, 0, 1e-8, 30, 88, 100, 1e4], np.float32)
    y = _core.activation_forward(x, kind, 1.0)
    assert np.isfinite(y).all()
    with np.errstate(over="ignore"):
        want = ref.basic(kind, x, 1.0)
    np.testing.assert_allclose(y, want, rtol=2e-6, atol=2e-7)


@pytest.mark.parametrize("kind", ["relu", "leaky_relu", "elu", "sigmoid", "tanh"])
@pytest.mark.parametrize("n", [1, 7, 8, 9, 16, 17, 33])
def test_basic_kinds_propagate_nan_and_saturate_at_inf(isa, kind, n):
    # tanh(NaN) was 1: the clamp min(|x|, 44) returned 44 for a NaN lane (x86 min returns its second operand)
    x = np.full(n, np.nan, np.float32)
    x[::3] = np.linspace(-2, 2, len(x[::3]))
    y = _core.activation_forward(x, kind, 0.1)
    np.testing.assert_array_equal(np.isnan(y), np.isnan(x))  # vector body and tail alike
    inf = np.array([np.inf, -np.inf] * 5, np.float32)[: max(n, 2)]
    want = {"relu": [np.inf, 0.0], "leaky_relu": [np.inf, -np.inf], "elu": [np.inf, -0.1], "sigmoid": [1.0, 0.0],
            "tanh": [1.0, -1.0]}[kind]
    np.testing.assert_allclose(_core.activation_forward(inf, kind, 0.1), np.resize(want, inf.shape), atol=1e-38)


def test_public_activations_match_torch_on_nan_and_inf(torch):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 50.0, -50.0, 1e30, -1e30] * 2, np.float32)
    for name in ("tanh", "sigmoid", "relu", "elu", "leaky_relu", "hardtanh", "softsign", "gelu", "softplus"):
        got = getattr(F, name)(ne.tensor(x)).numpy()
        # torch's vectorized float32 GELU (AVX-512 builds) gives NaN at +inf, its scalar and float64 paths the limit
        # +inf: the float64 path is the reference for GELU
        xt = torch.tensor(x, dtype=torch.float64 if name == "gelu" else torch.float32)
        want = getattr(torch.nn.functional, name)(xt).numpy().astype(np.float32)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-38, err_msg=name)
    np.testing.assert_allclose(ne.tanh(ne.tensor(x)).numpy(), torch.tanh(torch.tensor(x)).numpy(), rtol=1e-6)


@pytest.mark.parametrize("kind", ["relu", "leaky_relu", "elu", "sigmoid", "tanh"])
def test_activation_threads_identical(isa, kind, rng):
    x = rng.standard_normal(300_001).astype(np.float32)
    with ne.backend.num_threads(1):
        a = _core.activation_forward(x, kind, 0.2)
        ga = _core.activation_backward(x, x, a, kind=kind, alpha=0.2)
    with ne.backend.num_threads(2):
        b = _core.activation_forward(x, kind, 0.2)
        gb = _core.activation_backward(x, x, b, kind=kind, alpha=0.2)
    assert np.array_equal(a, b) and np.array_equal(ga, gb)


@pytest.mark.parametrize("kind", ["relu", "leaky_relu", "elu", "sigmoid", "tanh"])
def test_activation_reference_twin(kind, rng):
    x = rng.standard_normal(77).astype(np.float32)
    np.testing.assert_allclose(_core.activation_forward(x, kind, 0.1), _core.activation_forward(x, kind, 0.1, reference=True),
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


def test_activation_bad_input():
    with pytest.raises(TypeError, match="input: expected a Tensor"):
        F.relu("x")
    with pytest.raises(TypeError, match="negative_slope"):
        F.leaky_relu(ne.zeros(3), negative_slope="a")
    with pytest.raises(TypeError, match="dtype float32"):
        _core.activation_forward(np.zeros(3, np.float64), "relu", 0.0)
    with pytest.raises(ValueError, match="y: expected shape"):
        _core.activation_backward(np.zeros(3, np.float32), None, np.zeros(4, np.float32), kind="sigmoid")
