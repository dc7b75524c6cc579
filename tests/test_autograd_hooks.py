"""Tensor hooks, retain_grad, retain_graph, autograd.grad and autograd.backward: the autograd idioms torch
programs use beyond ``loss.backward()``. Expected values are written out (so the tests stand without torch)
and, where torch is installed, the same program runs under torch and must agree."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import nnengine as ne
from nnengine import nn


def _np(g):
    if g is None:
        return None
    return np.asarray(g.detach().numpy() if hasattr(g, "detach") else g, dtype=np.float64)


def _same(fn, torch):
    """Run ``fn(T)`` with nnengine, and with torch when installed; the results must agree."""
    ours = fn(ne)
    if torch is not None:
        ref = fn(torch)
        assert _eq(ours, ref), (ours, ref)
    return ours


def _eq(a, b):
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_eq(x, y) for x, y in zip(a, b))
    if a is None or b is None:
        return a is b
    if isinstance(a, str):
        return a == b
    return np.allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=1e-6, atol=1e-6)


def test_retain_grad_and_hooks_on_interior_and_leaf(torch_or_none):
    def prog(T):
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * x
        y.retain_grad()
        seen = []
        y.register_hook(lambda g: seen.append(_np(g)))
        x.register_hook(lambda g: g * 10)
        (y * 2).sum().backward()
        return _np(x.grad), _np(y.grad), seen, y.retains_grad, x.retains_grad

    xg, yg, seen, r_y, r_x = _same(prog, torch_or_none)
    np.testing.assert_array_equal(xg, [40.0, 80.0, 120.0])  # 2 * 2x, times 10 by the leaf hook
    np.testing.assert_array_equal(yg, [2.0, 2.0, 2.0])
    assert len(seen) == 1 and r_y and not r_x


def test_hook_result_replaces_the_gradient_downstream_and_hooks_run_in_order(torch_or_none):
    def prog(T):
        x = T.tensor([1.0, -2.0], requires_grad=True)
        y = x * 3
        order = []
        y.register_hook(lambda g: (order.append("a"), g * 2)[1])
        y.register_hook(lambda g: (order.append("b"), g + 1)[1])
        y.retain_grad()  # the retained grad is the one after every hook
        y.sum().backward()
        return _np(x.grad), _np(y.grad), order

    xg, yg, order = _same(prog, torch_or_none)
    np.testing.assert_array_equal(yg, [3.0, 3.0])
    np.testing.assert_array_equal(xg, [9.0, 9.0])
    assert order == ["a", "b"]


def test_handle_remove_and_context_manager():
    x = ne.tensor([1.0, 2.0], requires_grad=True)
    h = x.register_hook(lambda g: g * 100)
    h.remove()
    h.remove()  # twice is fine
    with x.register_hook(lambda g: g * 2):
        (x * 1).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    (x * 1).sum().backward()  # the hook is gone: plain accumulation
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    assert type(h).__name__ == "RemovableHandle"
    from nnengine.utils.hooks import RemovableHandle

    assert isinstance(h, RemovableHandle)


def test_leaf_hook_sees_the_summed_gradient_once(torch_or_none):
    def prog(T):
        w = T.tensor([1.0, 2.0], requires_grad=True)
        calls = []
        w.register_hook(lambda g: calls.append(_np(g)))
        ((w * 2).sum() + (w * 3).sum() + (w * w).sum()).backward()
        return calls

    calls = _same(prog, torch_or_none)
    assert len(calls) == 1
    np.testing.assert_array_equal(calls[0], [7.0, 9.0])


def test_hook_errors():
    x = ne.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        x.register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        x.retain_grad()
    w = ne.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="hook: expected a callable"):
        w.register_hook(3)
    w.register_hook(lambda g: g[:1])
    with pytest.raises(RuntimeError, match="changed the size"):
        (w * 2).sum().backward()
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2).register_post_accumulate_grad_hook(lambda t: None)


def test_post_accumulate_grad_hook_steps_a_parameter(torch_or_none):
    def prog(T):
        w = T.tensor([1.0, 2.0], requires_grad=True)
        seen = []

        def step(p):
            seen.append(_np(p.grad))
            with T.no_grad():
                p -= 0.5 * p.grad
            p.grad = None

        w.register_post_accumulate_grad_hook(step)
        (w * w).sum().backward()
        return _np(w), seen, w.grad

    w, seen, g = _same(prog, torch_or_none)
    np.testing.assert_array_equal(w, [0.0, 0.0])
    np.testing.assert_array_equal(seen[0], [2.0, 4.0])
    assert g is None


def test_gradient_clipping_hooks_on_parameters_match_torch(torch_or_none):
    def prog(T):
        T.manual_seed(0)
        rng = np.random.default_rng(0)
        net = T.nn.Sequential(T.nn.Linear(4, 8), T.nn.Tanh(), T.nn.Linear(8, 1))
        with T.no_grad():  # identical weights in both engines
            for p in net.parameters():
                p.copy_(T.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
        for p in net.parameters():
            p.register_hook(lambda g: g.clamp(-0.05, 0.05))
        opt = T.optim.SGD(net.parameters(), lr=0.1)
        x = T.tensor(rng.standard_normal((16, 4)).astype(np.float32))
        y = T.tensor(rng.standard_normal((16, 1)).astype(np.float32))
        for _ in range(5):
            opt.zero_grad()
            T.nn.functional.mse_loss(net(x), y).backward()
            opt.step()
        return [_np(p) for p in net.parameters()]

    params = _same(prog, torch_or_none)
    assert all(np.isfinite(p).all() for p in params)


def test_retain_graph(torch_or_none):
    def prog(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x * 3).sum()
        y.backward(retain_graph=True)
        y.backward()
        try:
            y.backward()
            again = "no error"
        except RuntimeError:
            again = "RuntimeError"
        return _np(x.grad), again

    g, again = _same(prog, torch_or_none)
    np.testing.assert_array_equal(g, [12.0, 24.0])
    assert again == "RuntimeError"


def test_create_graph_through_an_op_without_a_differentiable_backward_is_refused_clearly():
    x = ne.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="higher-order"):
        x.prod().backward(create_graph=True)
    with pytest.raises(NotImplementedError, match="higher-order"):
        ne.autograd.grad(x.prod(), x, create_graph=True)


def test_autograd_grad(torch_or_none):
    def prog(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        w = T.tensor([3.0, 4.0], requires_grad=True)
        h = x * w
        y = h.sum() + (x ** 2).sum()
        gx, gw, gh = T.autograd.grad(y, [x, w, h], retain_graph=True)
        u = T.tensor([1.0], requires_grad=True)
        try:
            T.autograd.grad(y, [u])
            unused = "no error"
        except RuntimeError:
            unused = "RuntimeError"
        gx2, gu = T.autograd.grad(y, [x, u], allow_unused=True, retain_graph=True)
        (gu0,) = T.autograd.grad(y, [u], materialize_grads=True)
        return _np(gx), _np(gw), _np(gh), unused, _np(gx2), gu, _np(gu0), x.grad, w.grad

    gx, gw, gh, unused, gx2, gu, gu0, xg, wg = _same(prog, torch_or_none)
    np.testing.assert_array_equal(gx, [5.0, 8.0])
    np.testing.assert_array_equal(gw, [1.0, 2.0])
    np.testing.assert_array_equal(gh, [1.0, 1.0])
    np.testing.assert_array_equal(gx2, gx)
    np.testing.assert_array_equal(gu0, [0.0])
    assert unused == "RuntimeError" and gu is None and xg is None and wg is None


def test_autograd_grad_outputs_and_input_gradient_of_a_layer(torch_or_none):
    def prog(T):
        rng = np.random.default_rng(1)
        lin = T.nn.Linear(3, 2)
        with T.no_grad():
            lin.weight.copy_(T.tensor(rng.standard_normal((2, 3)).astype(np.float32)))
        x = T.tensor(rng.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
        out = lin(x)
        (g,) = T.autograd.grad(outputs=out, inputs=x, grad_outputs=T.ones(out.size()), retain_graph=True,
                               only_inputs=True)
        penalty = ((g.norm(2, dim=1) - 1) ** 2).mean()  # WGAN-GP's penalty value (no double backward)
        return _np(g), _np(penalty), lin.weight.grad

    g, pen, wg = _same(prog, torch_or_none)
    assert g.shape == (4, 3) and np.isfinite(pen) and wg is None


def test_autograd_backward_many_roots_and_inputs(torch_or_none):
    def prog(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        w = T.tensor([3.0, 4.0], requires_grad=True)
        h = x * w
        T.autograd.backward([h.sum(), (x * x).sum()], inputs=[x])
        a = _np(x.grad)
        z = T.tensor([2.0], requires_grad=True)
        T.autograd.backward([z * 2, z * z], [T.ones(1), T.ones(1)])
        return a, w.grad, _np(z.grad)

    a, wg, zg = _same(prog, torch_or_none)
    np.testing.assert_array_equal(a, [5.0, 8.0])
    np.testing.assert_array_equal(zg, [6.0])
    assert wg is None


def test_autograd_argument_errors():
    x = ne.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    with pytest.raises(TypeError, match=r"inputs\[0\]: expected a Tensor"):
        ne.autograd.grad(y, [np.ones(2)])
    with pytest.raises(TypeError, match="outputs: expected a Tensor or a sequence"):
        ne.autograd.grad(3.0, [x])
    with pytest.raises(ValueError, match="grad_outputs: expected 1 gradients"):
        ne.autograd.grad([y], [x], grad_outputs=[ne.ones(()), ne.ones(())])
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        ne.autograd.grad(x * 2, [x])
    with pytest.raises(ValueError, match=r"grad_outputs\[0\]: expected shape \(2,\)"):
        ne.autograd.grad(x * 2, [x], grad_outputs=ne.ones(3))
    with pytest.raises(ValueError, match="gradient: expected shape"):
        (x * 2).backward(ne.ones(3))


def test_compile_falls_back_to_eager_for_a_hook_in_forward():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 2)
            self.grads = []

        def forward(self, x):
            h = self.fc(x)
            h.register_hook(lambda g: self.grads.append(g))
            return h.tanh()

    net = Net()
    cnet = ne.compile(net)
    x = ne.randn(4, 3)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for _ in range(2):
            cnet(x).sum().backward()
    assert any("tensor hook" in str(m.message) for m in w)
    assert len(net.grads) == 2  # the hook ran on every call (eager)
