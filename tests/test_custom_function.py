"""User-defined ``autograd.Function``s written for torch: forward/backward see Tensors (torch's contract) when
the class is defined outside nnengine; nnengine's own ops (and ``tensor_io = False``) see numpy arrays. Each
program runs under torch too where it is installed, and must agree."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
from nnengine.autograd import Function, gradcheck


def _np(t):
    return None if t is None else np.asarray(t.detach().numpy() if hasattr(t, "detach") else t, np.float64)


def _both(prog, torch):
    ours = prog(ne)
    if torch is not None:
        ref = prog(torch)
        for a, b in zip(ours, ref):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    return ours


X = np.array([1.5, -0.5, 0.0, -2.0, 3.0], np.float32)


def test_my_relu_from_the_tutorial(torch_or_none):
    def prog(T):
        class MyReLU(T.autograd.Function):
            @staticmethod
            def forward(ctx, input):
                ctx.save_for_backward(input)
                return input.clamp(min=0)

            @staticmethod
            def backward(ctx, grad_output):
                (input,) = ctx.saved_tensors
                grad_input = grad_output.clone()
                grad_input[input < 0] = 0
                return grad_input

        x = T.tensor(X, requires_grad=True)
        y = MyReLU.apply(x)
        (y * T.arange(5.0)).sum().backward()
        return _np(y), _np(x.grad)

    y, g = _both(prog, torch_or_none)
    np.testing.assert_array_equal(y, np.maximum(X, 0))
    np.testing.assert_array_equal(g, [0.0, 0.0, 2.0, 0.0, 4.0])


def test_gradient_reversal_with_a_non_tensor_argument(torch_or_none):
    def prog(T):
        class GradReverse(T.autograd.Function):
            @staticmethod
            def forward(ctx, x, alpha):
                ctx.alpha = alpha
                return x.view_as(x)

            @staticmethod
            def backward(ctx, grad_output):
                return grad_output.neg() * ctx.alpha, None

        x = T.tensor(X, requires_grad=True)
        lin = T.nn.Linear(5, 1)
        with T.no_grad():
            lin.weight.fill_(0.5)
        out = lin(GradReverse.apply(x, 0.25))
        out.sum().backward()
        return _np(x.grad), _np(lin.weight.grad)

    gx, gw = _both(prog, torch_or_none)
    np.testing.assert_allclose(gx, np.full(5, -0.125))
    np.testing.assert_allclose(gw, X[None, :])


def test_setup_context_style_and_two_outputs(torch_or_none):
    def prog(T):
        class SinCos(T.autograd.Function):
            @staticmethod
            def forward(x):
                return x.sin(), x.cos()

            @staticmethod
            def setup_context(ctx, inputs, output):
                (x,) = inputs
                ctx.save_for_backward(x)

            @staticmethod
            def backward(ctx, gs, gc):
                (x,) = ctx.saved_tensors
                return gs * x.cos() - gc * x.sin()

        x = T.tensor(X, requires_grad=True)
        s, c = SinCos.apply(x)
        (s * 2 + c).sum().backward()
        return _np(s), _np(c), _np(x.grad)

    s, c, g = _both(prog, torch_or_none)
    np.testing.assert_allclose(g, 2 * np.cos(X) - np.sin(X), rtol=1e-6)


def test_straight_through_estimator_and_ctx_markers(torch_or_none):
    def prog(T):
        class RoundSTE(T.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(True)
                idx = x.argmax()
                ctx.mark_non_differentiable(idx)
                return x.round(), idx

            @staticmethod
            def backward(ctx, g, gidx):
                return g

        x = T.tensor(X * 1.3, requires_grad=True)
        r, i = RoundSTE.apply(x)
        (r * r).sum().backward()
        return _np(r), _np(x.grad), np.float64(i.item())

    r, g, i = _both(prog, torch_or_none)
    np.testing.assert_array_equal(g, 2 * r)
    assert i == 4


def test_forward_runs_without_recording_and_gradcheck_passes():
    w = ne.tensor([2.0], requires_grad=True)

    class ScaleByW(Function):
        @staticmethod
        def forward(ctx, x):
            y = x * w  # w requires grad, but forward records nothing (torch runs forward under no_grad)
            assert y.grad_fn is None and not y.requires_grad
            ctx.save_for_backward(x)
            return y

        @staticmethod
        def backward(ctx, g):
            return g * w.detach()

    x = ne.tensor(X.astype(np.float64), requires_grad=True)
    assert ScaleByW.tensor_io is True
    assert gradcheck(ScaleByW.apply, [x])


def test_tensor_io_false_keeps_numpy_arrays_and_subclasses_inherit_the_choice():
    seen = []

    class ArraysFn(Function):
        tensor_io = False

        @staticmethod
        def forward(ctx, x):
            seen.append(type(x))
            return np.maximum(x, 0)

        @staticmethod
        def backward(ctx, g):
            seen.append(type(g))
            return g

    class Child(ArraysFn):
        @staticmethod
        def backward(ctx, g):
            seen.append(type(g))
            return g * 2

    x = ne.tensor(X, requires_grad=True)
    Child.apply(x).sum().backward()
    assert Child.tensor_io is False and all(issubclass(t, np.ndarray) for t in seen)
    np.testing.assert_array_equal(x.grad, np.full(5, 2.0))
    # nnengine's own ops keep arrays
    assert ne.nn.functional._activation.ActivationFn.tensor_io is False


def test_in_place_write_to_a_saved_tensor_is_caught():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    a = ne.tensor(X, requires_grad=True)
    h = a * 1
    y = Square.apply(h).sum()
    with ne.no_grad():
        h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_once_differentiable_is_accepted():
    from nnengine.autograd.function import FunctionCtx, once_differentiable

    assert FunctionCtx is ne.autograd.Context

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * g

    x = ne.tensor([2.0], requires_grad=True)
    Cube.apply(x).backward()
    np.testing.assert_array_equal(x.grad, [12.0])


def test_set_detect_anomaly():
    assert not ne.autograd.is_anomaly_enabled()
    with ne.autograd.set_detect_anomaly(True):
        assert ne.autograd.is_anomaly_enabled()
        w = ne.tensor([3.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="produced nan/inf"), np.errstate(all="ignore"):
            (w - w).log()
    assert not ne.autograd.is_anomaly_enabled()
    ne.autograd.set_detect_anomaly(True)
    try:
        assert ne.autograd.is_anomaly_enabled()
    finally:
        ne.autograd.set_detect_anomaly(False)
    with pytest.raises(TypeError, match="mode: expected a bool"):
        ne.autograd.set_detect_anomaly("yes")
