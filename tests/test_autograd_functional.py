"""nnengine.autograd.functional against torch.autograd.functional: jacobian (tensor and tuple inputs and
outputs), vjp, jvp, and the refusals (second derivatives, create_graph)."""

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


def test_refusals():
    for fn in (AF.hessian, AF.hvp, AF.vhp):
        with pytest.raises(NotImplementedError, match="second derivatives"):
            fn(lambda x: (x ** 3).sum(), ne.ones(2))
    with pytest.raises(NotImplementedError, match="create_graph"):
        AF.jacobian(lambda x: x, ne.ones(2), create_graph=True)
    with pytest.raises(RuntimeError, match="single element"):
        AF.vjp(lambda x: x * 2, ne.ones(2))
    with pytest.raises(TypeError, match="inputs"):
        AF.jacobian(lambda x: x, [1.0, 2.0])
