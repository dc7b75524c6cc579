"""selu, celu, glu, logsigmoid, softmin, softshrink, hardshrink, tanhshrink, threshold, rrelu, gumbel_softmax,
alpha dropout, the in-place spellings and their modules: values and gradients equal torch's (float32 and float64),
finite-difference gradients of the new backwards, module reprs equal torch's."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine import nn
from nnengine.autograd import gradcheck

# name -> (kwargs, input shape); the same call on torch.nn.functional
CASES = {
    "selu": ({}, (3, 7)),
    "celu": ({"alpha": 1.7}, (3, 7)),
    "glu": ({"dim": 1}, (3, 8)),
    "glu_last": ({}, (2, 3, 6)),
    "logsigmoid": ({}, (3, 7)),
    "softmin": ({"dim": 1}, (3, 7)),
    "softmin_implicit": ({}, (3, 7)),
    "softshrink": ({"lambd": 0.3}, (3, 7)),
    "hardshrink": ({"lambd": 0.4}, (3, 7)),
    "tanhshrink": ({}, (3, 7)),
    "threshold": ({"threshold": 0.2, "value": -3.0}, (3, 7)),
    "rrelu": ({"lower": 0.1, "upper": 0.3, "training": False}, (3, 7)),
}


def _fn(lib_f, case):
    name = case.split("_")[0]
    kwargs = CASES[case][0]
    if case == "softmin_implicit":
        return lambda x: lib_f.softmin(x, dim=1)  # torch's implicit dim warns: give it explicitly on torch's side
    return lambda x: getattr(lib_f, name)(x, **kwargs)


def _input(shape, dtype, seed=0):
    x = np.random.default_rng(seed).standard_normal(shape) * 2
    x[np.abs(x) < 0.05] += 0.1  # off the kinks
    for k in (0.2, 0.3, 0.4, -0.3, -0.4):
        x[np.abs(x - k) < 0.02] += 0.05
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", sorted(CASES))
def test_values_and_grads_match_torch(torch, case, dtype):
    x = _input(CASES[case][1], dtype)
    a = ne.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    mine = F.softmin(a) if case == "softmin_implicit" else _fn(F, case)(a)
    ref = _fn(torch.nn.functional, case)(t)
    assert mine.dtype == dtype
    tol = dict(rtol=2e-6, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(mine.detach().numpy(), ref.detach().numpy(), **tol)
    w = np.random.default_rng(1).standard_normal(ref.shape).astype(dtype)
    (mine * ne.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    assert a.grad.dtype == dtype
    np.testing.assert_allclose(a.grad, t.grad.numpy(), **tol)


@pytest.mark.parametrize("case", ["softshrink", "hardshrink", "threshold", "tanhshrink", "logsigmoid", "celu", "selu"])
def test_nan_inf_and_kinks_match_torch(torch, case):
    # threshold(NaN) was `value` (x > t ? x : value); torch's is x <= t ? value : x, so NaN passes through
    x = np.array([np.nan, np.inf, -np.inf, 0.2, 0.3, 0.4, -0.3, -0.4, 0.0, -0.0, 1.0, -1.0], np.float32)
    a, t = ne.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    mine, ref = _fn(F, case)(a), _fn(torch.nn.functional, case)(t)
    np.testing.assert_allclose(mine.detach().numpy(), ref.detach().numpy(), rtol=2e-6, atol=2e-6)
    mine.sum().backward()
    ref.sum().backward()
    fin = np.isfinite(x)  # gradients at the finite points (torch's at +-inf are its formula's artefacts)
    np.testing.assert_allclose(a.grad[fin], t.grad.numpy()[fin], rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("case", ["softshrink", "hardshrink", "threshold", "glu", "celu", "logsigmoid"])
def test_gradcheck(case):
    x = ne.tensor(_input(CASES[case][1], np.float64, seed=3), requires_grad=True)
    assert gradcheck(_fn(F, case), [x], eps=1e-6, atol=1e-6)


def test_rrelu_training_slopes_and_grad():
    ne.manual_seed(0)
    x = ne.tensor(-np.ones(20000, np.float32), requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = -y.detach().numpy()
    assert 0.1 <= slopes.min() and slopes.max() <= 0.3 and abs(slopes.mean() - 0.2) < 0.005
    y.sum().backward()
    np.testing.assert_allclose(x.grad, slopes, rtol=1e-6)
    pos = ne.tensor([1.0, 2.0])
    np.testing.assert_array_equal(F.rrelu(pos, training=True).numpy(), [1.0, 2.0])


def test_inplace_variants_modify_and_return_input(torch):
    x0 = _input((4, 5), np.float32)
    for name, args in [("relu_", ()), ("elu_", (0.7,)), ("leaky_relu_", (0.2,)), ("hardtanh_", (-0.5, 0.8)),
                       ("threshold_", (0.1, 9.0)), ("selu_", ()), ("celu_", (1.3,))]:
        a = ne.tensor(x0.copy())
        arr = a._data
        out = getattr(F, name)(a, *args)
        assert out is a and a._data is arr, name
        t = torch.tensor(x0.copy())
        getattr(torch.nn.functional, name)(t, *args)
        np.testing.assert_allclose(a.numpy(), t.numpy(), rtol=2e-6, atol=2e-6, err_msg=name)
    # while autograd records, in-place goes on the tape (gradient through the rebound tensor)
    w = ne.tensor(x0, requires_grad=True)
    h = w * 1.0
    F.selu_(h)
    h.sum().backward()
    tw = torch.tensor(x0, requires_grad=True)
    torch.nn.functional.selu(tw * 1.0).sum().backward()
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=2e-6, atol=1e-6)
    with pytest.raises(RuntimeError, match="leaf"):
        F.threshold_(ne.tensor([1.0], requires_grad=True), 0.0, 0.0)


def test_gumbel_softmax_statistics_and_straight_through():
    ne.manual_seed(0)
    logits = ne.tensor(np.log([[0.2, 0.3, 0.5]] * 4000).astype(np.float32), requires_grad=True)
    y = F.gumbel_softmax(logits, tau=0.5, hard=True)
    assert set(np.unique(y.numpy())) == {0.0, 1.0} and np.all(y.numpy().sum(1) == 1)
    np.testing.assert_allclose(y.numpy().mean(0), [0.2, 0.3, 0.5], atol=0.03)  # samples follow softmax(logits)
    (y * ne.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert logits.grad is not None and np.abs(logits.grad).sum() > 0  # the soft sample's gradient
    soft = F.gumbel_softmax(logits.detach(), tau=2.0, dim=0)
    np.testing.assert_allclose(soft.numpy().sum(0), 1.0, rtol=1e-5)


@pytest.mark.parametrize("fn,shape", [(F.alpha_dropout, (200, 300)), (F.feature_alpha_dropout, (50, 40, 30))])
def test_alpha_dropout_keeps_mean_and_variance(fn, shape):
    ne.manual_seed(0)
    x = ne.randn(*shape)
    y = fn(x, 0.3, training=True).numpy()
    assert abs(y.mean()) < 0.03 and abs(y.var() - 1) < 0.05
    assert fn(x, 0.3, training=False) is x or np.array_equal(fn(x, 0.3).numpy(), x.numpy())
    if fn is F.feature_alpha_dropout:
        dropped = np.isclose(y, y[:, :, :1]).all(2) & (np.abs(y[:, :, 0] - y[:, :, 1]) < 1e-6)
        assert 0.2 < dropped.mean() < 0.4  # whole channels at the saturation value
    xs = ne.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32), requires_grad=True)
    ne.manual_seed(5)
    out = fn(xs, 0.3, training=True)
    out.sum().backward()
    ne.manual_seed(5)
    ref = fn(ne.zeros(*shape), 0.3, training=True).numpy()
    # y = a * keep * x + b: the gradient is a * keep, the constant b is the output at x = 0
    np.testing.assert_allclose(out.detach().numpy() - ref, xs.grad * xs.numpy(), rtol=1e-4, atol=1e-5)


MODULES = [
    ("SELU", ()), ("CELU", (0.5,)), ("GLU", (1,)), ("LogSigmoid", ()), ("Softmin", (1,)), ("Softmax2d", ()),
    ("Softshrink", (0.3,)), ("Hardshrink", (0.3,)), ("Tanhshrink", ()), ("Threshold", (0.1, 20.0)),
    ("RReLU", (0.1, 0.3)), ("AlphaDropout", (0.2,)), ("FeatureAlphaDropout", (0.2,)),
]


@pytest.mark.parametrize("name,args", MODULES, ids=[m[0] for m in MODULES])
def test_modules_match_torch_in_eval(torch, name, args):
    m, tm = getattr(nn, name)(*args).eval(), getattr(torch.nn, name)(*args).eval()
    assert repr(m) == repr(tm)
    x = _input((2, 4, 3, 2), np.float32)
    np.testing.assert_allclose(m(ne.tensor(x)).numpy(), tm(torch.tensor(x)).numpy(), rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: F.glu(ne.ones(2, 3), 1), ValueError, "even"),
    (lambda: F.glu(ne.ones(2, 4), 2), ValueError, "dim"),
    (lambda: F.softshrink(ne.ones(2), -1.0), ValueError, "lambd"),
    (lambda: F.celu(ne.ones(2), alpha=0.0), ValueError, "alpha"),
    (lambda: F.threshold(ne.ones(2), "a", 0.0), TypeError, "threshold"),
    (lambda: F.rrelu(ne.ones(2), 0.5, 0.1), ValueError, "upper"),
    (lambda: F.gumbel_softmax(ne.ones(2), tau=0.0), ValueError, "tau"),
    (lambda: F.alpha_dropout(ne.ones(2), p=1.5), ValueError, "p"),
    (lambda: F.feature_alpha_dropout(ne.ones(2), training=True), ValueError, "2 dimensions"),
    (lambda: nn.Softmax2d()(ne.ones(2, 3)), ValueError, "3-D or 4-D"),
    (lambda: F.selu("x"), TypeError, "input"),
])
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
