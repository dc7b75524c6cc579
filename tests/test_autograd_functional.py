"""nnengine.autograd.functional against torch.autograd.functional: jacobian (tensor and tuple inputs and
outputs), vjp, jvp, hessian, hvp, vhp, create_graph=True, and the argument errors."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
import nnengine.autograd.functional as AF

RNG = np.random.default_rng(5)


def _cmp(a, b):
    if isinstance(b, tuple):
        assert isinstance(a, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            _cmp(x, y)
        return
    assert tuple(a.shape) == tuple(b.shape)
    np.testing.assert_allclose(np.asarray(a.detach().numpy()), b.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_match_torch(torch):
    TF = torch.autograd.functional
    w = RNG.standard_normal((3, 4)).astype(np.float32)
    x = RNG.standard_normal(4).astype(np.float32)

    def f(L):
        return lambda w, x: (L.tanh(w @ x), (w * w).sum())

    def g(L):
        return lambda x: L.sin(x) * x.sum()

    T, N = (torch.tensor(w), torch.tensor(x)), (ne.tensor(w), ne.tensor(x))
    _cmp(AF.jacobian(f(ne), N), TF.jacobian(f(torch), T))
    _cmp(AF.jacobian(g(ne), N[1]), TF.jacobian(g(torch), T[1]))
    v = RNG.standard_normal(4).astype(np.float32)
    _cmp(AF.vjp(g(ne), N[1], ne.tensor(v)), TF.vjp(g(torch), T[1], torch.tensor(v)))
    _cmp(AF.jvp(g(ne), N[1], ne.tensor(v)), TF.jvp(g(torch), T[1], torch.tensor(v)))
    _cmp(AF.vjp(lambda a, b: (a * b).sum(), N[::-1][:1] * 2), TF.vjp(lambda a, b: (a * b).sum(), T[::-1][:1] * 2))


def test_second_derivatives_match_torch(torch):
    TF = torch.autograd.functional
    a = RNG.standard_normal((3, 3)).astype(np.float32)
    x = RNG.standard_normal(3).astype(np.float32)
    y = RNG.standard_normal(2).astype(np.float32)
    v = RNG.standard_normal(3).astype(np.float32)

    def f(L):
        A = L.tensor(a)
        return lambda x: (L.tanh(x) @ A @ x) + (x ** 4).sum()

    def f2(L):
        return lambda x, y: (L.sin(x).sum() * (y ** 2).sum()) + (x[:2] * y).sum()

    _cmp(AF.hessian(f(ne), ne.tensor(x)), TF.hessian(f(torch), torch.tensor(x)))
    _cmp(AF.hessian(f2(ne), (ne.tensor(x), ne.tensor(y))), TF.hessian(f2(torch), (torch.tensor(x), torch.tensor(y))))
    _cmp(AF.hvp(f(ne), ne.tensor(x), ne.tensor(v)), TF.hvp(f(torch), torch.tensor(x), torch.tensor(v)))
    _cmp(AF.vhp(f(ne), ne.tensor(x), ne.tensor(v)), TF.vhp(f(torch), torch.tensor(x), torch.tensor(v)))
    _cmp(ne.func.hessian(f(ne))(ne.tensor(x)), torch.func.hessian(f(torch))(torch.tensor(x)))
    # create_graph=True: the results are differentiable again (here in the outer tensor x)
    for lib, F_ in ((ne, AF), (torch, TF)):
        xt = lib.tensor(x, requires_grad=True)
        j = F_.jacobian(lambda z, lib=lib: lib.tanh(z) * z.sum(), xt, create_graph=True)
        _, g = F_.vjp(lambda z, lib=lib: (lib.sin(z) ** 2).sum(), xt, create_graph=True)
        _, t = F_.jvp(lambda z, lib=lib: lib.exp(z) * 2, xt, lib.tensor(v), create_graph=True)
        (j.sum() + g.sum() + t.sum()).backward()
        if lib is ne:
            ours = (j, g, t, xt.grad)
        else:
            _cmp(ours[:3], (j, g, t))
            np.testing.assert_allclose(np.asarray(ours[3]), xt.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_argument_errors():
    with pytest.raises(RuntimeError, match="single element"):
        AF.hessian(lambda x: x * 2, ne.ones(2))
    with pytest.raises(RuntimeError, match="single element"):
        AF.vjp(lambda x: x * 2, ne.ones(2))
    with pytest.raises(TypeError, match="inputs"):
        AF.jacobian(lambda x: x, [1.0, 2.0])
