"""torch namespaces that programs touch on the way (torch.jit, torch.utils.checkpoint, torch.cuda.amp): they
run as written and compute exactly what the eager program computes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import nnengine as ne
from nnengine import nn


def _net():
    ne.manual_seed(3)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))


def test_jit_script_and_trace_run_the_same_module():
    net = _net()
    x = ne.randn(5, 4)
    scripted = ne.jit.script(net)
    traced = ne.jit.trace(net, x)
    assert isinstance(scripted, ne.jit.ScriptModule) and not isinstance(3, ne.jit.ScriptModule)
    np.testing.assert_array_equal(scripted(x).data, net(x).data)
    np.testing.assert_array_equal(traced(x).data, net(x).data)

    @ne.jit.script
    def f(a):
        return a * 2

    @ne.jit.ignore(drop=True)
    def g(a):
        return a + 1

    assert f(3) == 6 and g(1) == 2 and not ne.jit.is_scripting() and not ne.jit.is_tracing()
    assert ne.jit.annotate(list, [1]) == [1] and ne.jit.wait(ne.jit.fork(max, 2, 5)) == 5
    with pytest.raises(NotImplementedError, match="ne.save"):
        ne.jit.save(scripted, "model.pt")
    with pytest.raises(NotImplementedError, match="TorchScript"):
        ne.jit.load("model.pt")


def test_checkpoint_gives_the_eager_values_and_gradients():
    from nnengine.utils.checkpoint import checkpoint, checkpoint_sequential

    net = _net()
    x = ne.randn(3, 4)
    ref = net(x).sum()
    ref.backward()
    ref_grads = [p.grad.copy() for p in net.parameters()]
    net.zero_grad()
    out = checkpoint(net, x, use_reentrant=False).sum()
    out.backward()
    assert out.item() == ref.item()
    for p, g in zip(net.parameters(), ref_grads):
        np.testing.assert_array_equal(p.grad, g)
    np.testing.assert_array_equal(checkpoint_sequential(net, 2, x).data, net(x).data)
    assert ne.utils.checkpoint.checkpoint is checkpoint
    with pytest.raises(TypeError, match="function: expected a callable"):
        checkpoint(3, x)
    with pytest.raises(ValueError, match="segments: expected a positive int"):
        checkpoint_sequential(net, 0, x)


def test_cuda_amp_is_off_without_a_gpu_like_torch():
    from nnengine.cuda.amp import GradScaler, autocast

    net = _net()
    x = ne.randn(3, 4)
    with pytest.warns(UserWarning, match="CUDA is not available"):
        with autocast():
            assert not ne.is_autocast_enabled()
            y = net(x)
    np.testing.assert_array_equal(y.data, net(x).data)  # float32, as without autocast
    with pytest.warns(UserWarning, match="CUDA is not available"):
        with ne.autocast("cuda"):
            assert not ne.is_autocast_enabled()
    scaler = GradScaler()
    opt = ne.optim.SGD(net.parameters(), lr=0.1)
    before = [p.data.copy() for p in net.parameters()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scaler.scale(net(x).sum()).backward()
    scaler.step(opt)
    scaler.update()
    assert any((p.data != b).any() for p, b in zip(net.parameters(), before))
