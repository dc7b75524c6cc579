"""The pad kernel family (F.pad, ConstantPad/ZeroPad/ReflectionPad/ReplicationPad 1d/2d): the float64 oracle
(numpy.pad; its adjoint proven by finite differences), the kernels on every ISA, the scalar twins, 1 vs 2
threads, PyTorch side by side (values and gradients) and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close, numeric_grad
from reference import pad as ref

import nnengine as ne
import nnengine.functional as F
from nnengine import _core
from nnengine.autograd import gradcheck

PADS = [  # (shape, pads, mode)
    ((2, 3, 7, 9), (1, 2, 3, 0), "constant"),
    ((2, 3, 7, 9), (-2, 1, 0, -3), "constant"),
    ((2, 3, 7, 9), (3, 2, 1, 6), "reflect"),
    ((2, 3, 7, 9), (8, 8, 6, 6), "reflect"),
    ((2, 3, 7, 9), (5, 0, 9, 2), "replicate"),
    ((2, 3, 33), (7, 8), "reflect"),
    ((3, 17), (16, 1), "replicate"),
    ((2, 3, 1, 1), (2, 3, 4, 5), "replicate"),
    ((4, 16), (0, 0), "constant"),
]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "constant"])
def test_pad_oracle_adjoint_matches_finite_differences(mode):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 1, 4, 5))
    pads = (3, 1, 2, 3) if mode != "constant" else (2, -1, 3, 0)
    y = ref.pad(x, pads, mode)
    dy = rng.standard_normal(y.shape)
    dx = _core.pad_backward(dy.astype(np.float32), (4, 5), pads, mode, reference=True)
    np.testing.assert_allclose(dx, numeric_grad(lambda v: (ref.pad(v, pads, mode) * dy).sum(), x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape,pads,mode", PADS, ids=[f"{p[2]}-{i}" for i, p in enumerate(PADS)])
def test_pad_kernels_match_oracle(shape, pads, mode, isa):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape).astype(np.float32)
    value = 1.5 if mode == "constant" else None
    xn = ne.Tensor(x, requires_grad=True)
    y = F.pad(xn, pads, mode, value)
    assert_close(y.numpy(), ref.pad(x, pads, mode, value or 0.0))
    dy = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(dy)
    # the adjoint through the dense Jacobian of the oracle, column by column (small shapes)
    jac_dx = np.zeros(x.size)
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = 1.0
        jac_dx[i] = (ref.pad(e.reshape(shape), pads, mode, 0.0) * dy).sum()
    assert_close(xn.grad, jac_dx.reshape(shape))
    nd = len(pads) // 2
    x4 = x.reshape((-1, 1) + ((1,) if nd == 1 else ()) + shape[-nd:])
    p4 = tuple(pads) + ((0, 0) if nd == 1 else ())
    assert_close(_core.pad_forward(x4, p4, mode, value or 0.0, reference=True), _core.pad_forward(x4, p4, mode, value or 0.0))
    dy4 = dy.reshape((x4.shape[0], 1) + y.shape[-2:] if nd == 2 else (x4.shape[0], 1, 1, y.shape[-1]))
    assert_close(_core.pad_backward(dy4, x4.shape[2:], p4, mode, reference=True),
           _core.pad_backward(dy4, x4.shape[2:], p4, mode))


@pytest.mark.parametrize("shape,pads,mode", PADS, ids=[f"{p[2]}-{i}" for i, p in enumerate(PADS)])
def test_pad_matches_torch(shape, pads, mode, torch):
    rng = np.random.default_rng(6)
    x = rng.standard_normal(shape).astype(np.float32)
    kw = {"value": -2.0} if mode == "constant" else {}
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.pad(xt, pads, mode, **kw)
    dy = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    yt.backward(torch.tensor(dy))
    xn = ne.Tensor(x, requires_grad=True)
    yn = F.pad(xn, pads, mode, **kw)
    yn.backward(dy)
    assert np.array_equal(yn.numpy(), yt.detach().numpy())
    assert_close(xn.grad, xt.grad.numpy())


def test_pad_modules(torch):
    x = np.random.default_rng(7).standard_normal((2, 3, 6, 7)).astype(np.float32)
    x1 = np.ascontiguousarray(x[:, :, 0])
    for nm, tm, inp in (
        (ne.nn.ZeroPad2d(2), torch.nn.ZeroPad2d(2), x),
        (ne.nn.ConstantPad2d((1, 0, 2, 3), 0.5), torch.nn.ConstantPad2d((1, 0, 2, 3), 0.5), x),
        (ne.nn.ReflectionPad2d(3), torch.nn.ReflectionPad2d(3), x),
        (ne.nn.ReplicationPad2d((1, 2, 3, 4)), torch.nn.ReplicationPad2d((1, 2, 3, 4)), x),
        (ne.nn.ConstantPad1d(2, 1.0), torch.nn.ConstantPad1d(2, 1.0), x1),
        (ne.nn.ZeroPad1d((0, 3)), torch.nn.ZeroPad1d((0, 3)), x1),
        (ne.nn.ReflectionPad1d(4), torch.nn.ReflectionPad1d(4), x1),
        (ne.nn.ReplicationPad1d((5, 1)), torch.nn.ReplicationPad1d((5, 1)), x1),
    ):
        assert np.array_equal(nm(ne.Tensor(inp)).numpy(), tm(torch.tensor(inp)).numpy())


def test_one_and_two_threads_identical(threads, isa):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((5, 13, 17, 19)).astype(np.float32)
    outs = []
    for n in (1, 2):
        with threads(n):
            y = _core.pad_forward(x, (3, 4, 5, 6), "reflect", 0.0)
            outs.append((y, _core.pad_backward(y, (17, 19), (3, 4, 5, 6), "reflect")))
    for a, b in zip(*outs):
        assert np.array_equal(a, b)


def test_gradcheck():
    rng = np.random.default_rng(9)
    x = ne.Tensor(rng.standard_normal((2, 2, 4, 5)).astype(np.float32), requires_grad=True)
    assert gradcheck(lambda t: F.pad(t, (2, 1, 3, 2), mode="reflect"), [x])
    assert gradcheck(lambda t: F.pad(t, (4, 1), mode="replicate"), [x])


def test_pad_bad_input():
    x = ne.randn(2, 3, 8, 8)
    f32 = np.float32
    with pytest.raises(ValueError, match="pad: expected pairs of ints"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(ValueError, match="pad: reflect padding must be smaller"):
        F.pad(x, (8, 0), mode="reflect")
    with pytest.raises(ValueError, match="mode: expected 'constant', 'reflect', 'replicate' or 'circular'"):
        F.pad(x, (1, 1), mode="wrap")
    with pytest.raises(ValueError, match="value: only mode 'constant'"):
        F.pad(x, (1, 1), mode="reflect", value=1.0)
    with pytest.raises(ValueError, match="pad: the padded size"):
        F.pad(x, (-4, -4))
    with pytest.raises(TypeError, match="pad: expected ints"):
        F.pad(x, (1.5, 1))
    with pytest.raises(ValueError, match="input: reflect padding of 2 dimension"):
        F.pad(ne.randn(8, 8), (1, 1, 1, 1), mode="reflect")
    with pytest.raises(ValueError, match="pad: negative pads must leave part of the input"):
        _core.pad_forward(np.zeros((1, 1, 4, 4), f32), (-4, 5, 0, 0), "replicate")
