"""nnengine.autograd.gradcheck and detect_anomaly."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine import nn
from nnengine.autograd import Function, detect_anomaly, gradcheck


def _t(rng, *shape):
    return ne.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)


def test_gradcheck_passes_on_engine_ops(rng):
    x, w, b = _t(rng, 2, 3, 6, 6), _t(rng, 4, 3, 3, 3), _t(rng, 4)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), [x, w, b])
    a, lw = _t(rng, 5, 7), _t(rng, 3, 7)
    assert gradcheck(lambda a, lw: F.log_softmax(F.linear(a, lw), 1), [a, lw])
    assert gradcheck(lambda a: F.cross_entropy(a, np.array([0, 2, 1, 6, 3])), [a])
    lstm = nn.LSTM(3, 4)
    seq = _t(rng, 5, 2, 3)
    assert gradcheck(lambda s, w: lstm(s)[0], [seq, lstm.weight_hh_l0])


class _WrongSquare(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2.02 * x * g  # 1% too large


def test_gradcheck_catches_a_one_percent_error(rng):
    x = _t(rng, 4, 3)
    with pytest.raises(ValueError, match=r"gradcheck: input 0, element"):
        gradcheck(_WrongSquare.apply, [x], rtol=1e-3)
    assert gradcheck(_WrongSquare.apply, [x], rtol=1e-3, raise_exception=False) is False


def test_gradcheck_needs_a_differentiable_input():
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda t: t * 2, [ne.tensor(np.ones(3, np.float32))])


def test_detect_anomaly_names_the_forward_op():
    x = ne.tensor(np.array([1.0, 0.0], np.float32), requires_grad=True)
    with np.errstate(divide="ignore"), detect_anomaly(), pytest.raises(RuntimeError, match=r"detect_anomaly: \w+\.forward produced nan/inf"):
        x.log()
    with np.errstate(divide="ignore"):
        assert np.isneginf(x.log().data[1])  # outside the context: -inf, no error, like torch


class _NanGrad(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        return g * np.float32(np.nan)


def test_detect_anomaly_names_the_backward_op():
    x = ne.tensor(np.ones(3, np.float32), requires_grad=True)
    with detect_anomaly():
        y = _NanGrad.apply(x).sum()
        with pytest.raises(RuntimeError, match=r"_NanGrad\.backward returned nan/inf"):
            y.backward()


def test_detect_anomaly_ignores_nan_already_in_the_inputs():
    x = ne.tensor(np.array([np.nan, 1.0], np.float32), requires_grad=True)
    with detect_anomaly():
        (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [2, 2])


def test_grad_mode_objects_match_torch_forms():
    from nnengine.autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled

    @no_grad
    def bare():
        return is_grad_enabled()

    @no_grad()
    def called():
        return is_grad_enabled()

    assert bare() is False and called() is False and is_grad_enabled()
    with set_grad_enabled(False):
        assert not is_grad_enabled()
        with enable_grad():
            assert is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()
    set_grad_enabled(False)
    assert not is_grad_enabled()
    set_grad_enabled(True)

    @set_grad_enabled(False)
    def deco():
        return is_grad_enabled()

    assert is_grad_enabled() and deco() is False and is_grad_enabled()
    with inference_mode():
        assert not is_grad_enabled()
    with inference_mode(False):
        assert is_grad_enabled()
    x = ne.tensor(np.ones(2, np.float32), requires_grad=True)
    with no_grad():
        assert not (x * 2).requires_grad
