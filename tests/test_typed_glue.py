"""The typed per-call glue (nnengine/_tape.pyx): Module attribute slots, Module.__call__, the grad-mode managers,
Tensor._wrap / ops.f32c and the optimizer's gradient gathering keep the semantics of the Python they replace."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import nnengine as ne
from nnengine import _tape, nn
from nnengine.nn.parameter import GradData


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.register_buffer("steps", np.zeros(1, np.float32))
        self.scale = nn.Parameter(ne.ones(1))

    def forward(self, x):
        return self.fc(x) * self.scale


def test_slot_reads_follow_the_registries():
    m = Net()
    assert isinstance(type(m).__dict__["scale"], _tape.ModuleSlot)
    assert m.fc is m._modules["fc"] and m.scale is m._parameters["scale"]
    assert m.steps.base is m._buffers["steps"]  # an own buffer reads as a view with torch's methods
    # direct registry writes (torch idioms) are seen at once: the registries are the only store
    p = nn.Parameter(ne.zeros(1))
    m._parameters["scale"] = p
    assert m.scale is p
    del m._parameters["scale"]
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'scale'"):
        _ = m.scale
    assert not hasattr(m, "scale")
    m.scale = 3.0  # now a plain attribute under the slotted name
    assert m.scale == 3.0 and "scale" in m.__dict__ and "scale" not in m._parameters
    m.scale = nn.Parameter(ne.ones(2))  # registered again: the plain attribute goes
    assert "scale" not in m.__dict__ and m.scale is m._parameters["scale"]
    del m.scale
    assert "scale" not in m._parameters and not hasattr(m, "scale")


def test_slot_does_not_leak_between_instances():
    a, b = Net(), Net()
    b._parameters.pop("scale")
    b.__dict__["scale"] = "plain"
    assert a.scale is a._parameters["scale"] and b.scale == "plain"
    plain = nn.Module()
    with pytest.raises(AttributeError):
        _ = plain.scale
    del b.scale
    assert not hasattr(b, "scale")
    with pytest.raises(AttributeError):
        del b.scale


def test_class_attributes_keep_winning():
    class WithDefault(nn.Module):
        bias = "class default"

        def __init__(self):
            super().__init__()
            self.bias = nn.Parameter(ne.ones(1))

    m = WithDefault()
    assert WithDefault.__dict__["bias"] == "class default"  # no slot replaced it
    assert m.bias == "class default"  # as before: the class attribute wins over Module.__getattr__


def test_slotted_modules_copy_and_pickle():
    m = Net()
    for c in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert c.fc is c._modules["fc"] and c.fc is not m.fc and c.scale is c._parameters["scale"]
        np.testing.assert_array_equal(c(ne.ones(1, 3)).numpy(), m(ne.ones(1, 3)).numpy())
        assert list(c.state_dict()) == list(m.state_dict())


def test_module_call_and_hooks():
    m = nn.Linear(2, 2)
    seen = []
    h = m.register_forward_hook(lambda mod, args, out: seen.append(out.shape))
    m(ne.ones(1, 2))
    h.remove()
    m(ne.ones(1, 2))
    assert seen == [(1, 2)]

    class Kw(nn.Module):
        def forward(self, x, *, k=1):
            return x * k

    assert Kw()(ne.ones(1), k=3).tolist() == [3.0]


def test_grad_modes():
    w = ne.ones(2, requires_grad=True)

    @ne.no_grad
    def bare():
        return ne.is_grad_enabled()

    @ne.no_grad()
    def called():
        return ne.is_grad_enabled()

    assert bare() is False and called() is False and ne.is_grad_enabled()
    with ne.no_grad():
        assert not (w * 2).requires_grad
        with ne.enable_grad():
            assert (w * 2).requires_grad
    ne.set_grad_enabled(False)
    assert not ne.is_grad_enabled()
    ne.set_grad_enabled(True)
    with ne.set_grad_enabled(False):
        assert not ne.is_grad_enabled()
    assert ne.is_grad_enabled()
    with ne.inference_mode(False):
        assert ne.is_grad_enabled()


def test_wrap_and_f32c():
    from nnengine.ops import f32c

    a = np.ones((2, 3), np.float32)
    assert f32c(a) is a
    t = f32c(a.T)
    assert t.flags.c_contiguous and t.dtype == np.float32 and np.array_equal(t, a.T)
    assert f32c([1, 2]).dtype == np.float32
    w = ne.Tensor._wrap(a)
    assert type(w) is ne.Tensor and w._data is a and w.grad is None and not w.requires_grad and w.grad_fn is None
    p = nn.Parameter._wrap(np.zeros(2))  # a subclass and a non-float32 array: kept as given
    assert type(p) is nn.Parameter and p.data.dtype == np.float64


def test_optimizer_gathers_unusual_gradients():
    w = nn.Parameter(ne.ones(2, 3))
    v = nn.Parameter(ne.ones(3))
    frozen = nn.Parameter(ne.ones(3))
    opt = ne.optim.SGD([w, v, frozen], lr=0.5)
    w.grad = np.ones((3, 2), np.float32).T  # non-contiguous
    v.grad = np.ones(3, np.float64)  # another dtype
    ps, ds, gs = opt._grad_lists(opt.param_groups[0])
    assert ps == [w, v] and ds[0] is w.data and gs[0].flags.c_contiguous and gs[1].dtype == np.float32
    opt.step()
    assert np.allclose(w.data, 0.5) and np.allclose(v.data, 0.5) and np.allclose(frozen.data, 1.0)
    v.grad = np.ones(4, np.float32)
    with pytest.raises(ValueError, match="grad: expected shape"):
        opt.step()
    opt.zero_grad()
    assert w.grad is None and v.grad is None
    (w.sum() + v.sum()).backward()
    assert type(w.grad) is GradData
    opt.zero_grad(set_to_none=False)
    assert np.array_equal(w.grad, np.zeros((2, 3), np.float32))


def test_optimizer_epilogue_still_runs():
    w = nn.Parameter(ne.full((2,), 5.0))
    w.constraint = ne.constraints.MaxNorm(1.0, axis=0)
    opt = ne.optim.SGD([w], lr=0.0)
    w.grad = np.zeros(2, np.float32)
    opt.step()
    assert float(np.linalg.norm(w.data)) <= 1.0 + 1e-6


def test_grad_mode_stays_per_thread():
    """The tape skips the thread-local read while no thread has grad mode off: another thread's no_grad (or
    anomaly mode) must still be seen by that thread only."""
    import threading

    w = ne.ones(2, requires_grad=True)
    seen, inside, release = {}, threading.Event(), threading.Event()

    def other():
        with ne.no_grad(), ne.autograd.detect_anomaly():
            inside.set()
            release.wait(10)
            seen["other"] = (w * 2).requires_grad

    th = threading.Thread(target=other)
    th.start()
    inside.wait(10)
    seen["main"] = (w * 2).requires_grad  # while the other thread is inside no_grad
    with ne.no_grad():
        seen["main_off"] = (w * 2).requires_grad
    release.set()
    th.join()
    assert seen == {"other": False, "main": True, "main_off": False}
    y = w * 3.0
    y.sum().backward()  # (backward switches the mode off and back)
    assert ne.is_grad_enabled() and (w * 2).requires_grad and w.grad.tolist() == [3.0, 3.0]


def test_backward_order_on_shared_producers():
    """A diamond and a chain that reuses one intermediate twice: the sweep's depth-first order (node marks instead
    of a seen-set) gives every node all of its gradient before it runs."""
    x = ne.tensor([1.5, -2.0], requires_grad=True)
    a = x * x
    b = a * 3.0
    c = a + b
    d = (c * a + b).sum()
    d.backward()
    xs = np.array([1.5, -2.0])
    # d = 4a^2 + 3a, a = x^2 -> dd/dx = (8a + 3) * 2x
    np.testing.assert_allclose(x.grad, (8 * xs**2 + 3) * 2 * xs, rtol=1e-6)


def test_linear_args_ok_is_the_common_call_only():
    x, w, b = ne.ones(2, 3), ne.ones(4, 3), ne.zeros(4)
    assert _tape.linear_args_ok(x, w, b) and _tape.linear_args_ok(x, w, None)
    assert _tape.linear_args_ok(ne.ones(3), w, b) and _tape.linear_args_ok(ne.Tensor(np.ones((3, 2)).T), w, b)
    assert not _tape.linear_args_ok(ne.ones(2, 4), w, b)  # in_features
    assert not _tape.linear_args_ok(x, w, ne.zeros(3))  # out_features
    assert not _tape.linear_args_ok(x, w, ne.zeros(1, 4))  # a 2-D bias
    assert not _tape.linear_args_ok(x, ne.ones(4, 3, 1), b)
    assert not _tape.linear_args_ok(ne.tensor(np.ones((2, 3))), w, b)  # float64
    assert not _tape.linear_args_ok(np.ones((2, 3), np.float32), w, b)  # not a Tensor
    assert not _tape.linear_args_ok(ne.tensor(1.0), ne.ones(4, 1), None)  # 0-d input
    import nnengine.functional as F

    with pytest.raises(ValueError, match="bias"):
        F.linear(x, w, ne.zeros(3))
    np.testing.assert_array_equal(F.linear(ne.Tensor(np.ones((3, 2)).T), w, b).numpy(), np.full((2, 4), 3.0))


@pytest.mark.parametrize("momentum,nesterov,wd,maximize", [(0.0, False, 0.0, False), (0.9, True, 1e-2, False),
                                                           (0.5, False, 0.1, True)])
def test_typed_sgd_step_is_the_binding(momentum, nesterov, wd, maximize):
    """_tape.sgd_step calls _core's kernel through its capsule: the same results bit for bit as _core.sgd_step,
    large groups (the GIL released) included, and the binding's errors for what its checks do not accept."""
    from nnengine import _core

    rng = np.random.default_rng(0)
    shapes = [(3, 5), (7,), (40000,)]
    ps = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    gs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    bufs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    first = [True, False, False]
    a, b = [p.copy() for p in ps], [p.copy() for p in ps]
    ba, bb = [x.copy() for x in bufs], [x.copy() for x in bufs]
    for _ in range(3):
        _tape.sgd_step(a, gs, ba if momentum else [], first if momentum else [], 0.1, momentum, 0.0, wd, nesterov,
                       maximize)
        _core.sgd_step(b, gs, bb if momentum else [], first if momentum else [], 0.1, momentum, 0.0, wd, nesterov,
                       maximize)
    for x, y in zip(a + ba, b + bb):
        np.testing.assert_array_equal(x, y)


def test_typed_sgd_step_falls_back_to_the_binding_errors():
    p, g = np.ones(4, np.float32), np.ones(4, np.float32)
    with pytest.raises(ValueError, match="C-contiguous"):
        _tape.sgd_step([np.ones((4, 2), np.float32)[:, 0]], [g], [], [], 0.1, 0.0, 0.0, 0.0, False, False)
    with pytest.raises(TypeError, match="float32"):
        _tape.sgd_step([p], [np.ones(4)], [], [], 0.1, 0.0, 0.0, 0.0, False, False)
    with pytest.raises(ValueError, match="grads"):
        _tape.sgd_step([p], [np.ones(3, np.float32)], [], [], 0.1, 0.0, 0.0, 0.0, False, False)
    with pytest.raises(ValueError, match="finite"):
        _tape.sgd_step([p], [g], [], [], float("nan"), 0.0, 0.0, 0.0, False, False)
    ro = np.ones(4, np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        _tape.sgd_step([ro], [g], [], [], 0.1, 0.0, 0.0, 0.0, False, False)
    with pytest.raises(ValueError, match="momentum_buffers"):
        _tape.sgd_step([p], [g], [], [True], 0.1, 0.9, 0.0, 0.0, False, False)
