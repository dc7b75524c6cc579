"""The linear family: ``_core.linear_backward`` (LinearFn.backward's three GEMMs in one call, shared with the
native training plan): bit-identical to the three ``_core.gemm`` calls it replaces, a float64 oracle, the
need flags, empty batches, every ISA, 1 vs 2 threads, bad arguments; F.linear's gradients vs finite
differences and torch."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine import _core


def _three_gemms(g, x, w):
    ones = np.ones((1, g.shape[0]), np.float32)
    return _core.gemm(g, w), _core.gemm(g, x, True), _core.gemm(ones, g).reshape(-1)


@pytest.mark.parametrize("M,N,K", [(1, 1, 1), (1, 32, 16), (7, 9, 8), (17, 33, 15), (64, 16, 65), (0, 5, 3)])
def test_linear_backward_is_the_three_gemms_bit_for_bit(isa, threads, M, N, K, rng):
    g = rng.standard_normal((M, N)).astype(np.float32)
    x = rng.standard_normal((M, K)).astype(np.float32)
    w = rng.standard_normal((N, K)).astype(np.float32)
    want = _three_gemms(g, x, w)
    results = []
    for n in (1, 2):
        with threads(n):
            got = _core.linear_backward(g, x, w, True, True, True)
        for a, b in zip(got, want):
            assert a.dtype == np.float32 and a.shape == b.shape
            np.testing.assert_array_equal(a, b)
        results.append(got)
    g64, x64, w64 = g.astype(np.float64), x.astype(np.float64), w.astype(np.float64)
    oracle = (g64 @ w64, g64.T @ x64, g64.sum(0))
    for a, o in zip(results[0], oracle):
        np.testing.assert_allclose(a, o, rtol=1e-5, atol=1e-5 * max(M, N, K, 1))


def test_linear_backward_computes_only_what_is_needed(rng):
    g, x, w = (rng.standard_normal(s).astype(np.float32) for s in ((4, 3), (4, 5), (3, 5)))
    full = _core.linear_backward(g, x, w, True, True, True)
    for flags in [(True, False, False), (False, True, False), (False, False, True), (False, False, False)]:
        got = _core.linear_backward(g, x, w, *flags)
        for need, a, b in zip(flags, got, full):
            if need:
                np.testing.assert_array_equal(a, b)
            else:
                assert a is None


def test_linear_backward_bad_arguments_raise_naming_the_argument():
    f = np.zeros((4, 3), np.float32)
    x = np.zeros((4, 5), np.float32)
    w = np.zeros((3, 5), np.float32)
    with pytest.raises(ValueError, match=r"weight: expected 3 rows"):
        _core.linear_backward(f, x, np.zeros((2, 5), np.float32), True, True, True)
    with pytest.raises(ValueError, match=r"input: expected shape \(4, 5\)"):
        _core.linear_backward(f, np.zeros((4, 6), np.float32), w, True, True, True)
    with pytest.raises(ValueError, match="grad_output: expected 2 dimensions"):
        _core.linear_backward(f[0], x, w, True, True, True)
    with pytest.raises(TypeError, match="input: expected dtype float32"):
        _core.linear_backward(f, x.astype(np.float64), w, True, True, True)
    with pytest.raises(ValueError, match="C-contiguous"):
        _core.linear_backward(f, x, np.zeros((5, 3), np.float32).T, True, True, True)
    with pytest.raises(TypeError, match="grad_output: expected a numpy.ndarray"):
        _core.linear_backward([[1.0]], x, w, True, True, True)


@pytest.mark.parametrize("lead", [(), (3,), (2, 3)])
def test_linear_gradients_vs_finite_differences_and_torch(lead, rng, torch):
    x = ne.tensor(rng.standard_normal(lead + (5,)).astype(np.float32), requires_grad=True)
    w = ne.tensor(rng.standard_normal((4, 5)).astype(np.float32), requires_grad=True)
    b = ne.tensor(rng.standard_normal(4).astype(np.float32), requires_grad=True)
    assert ne.autograd.gradcheck(lambda x, w, b: F.linear(x, w, b), [x, w, b])
    for t in (x, w, b):
        t.grad = None  # gradcheck's own backward passes accumulated into them
    F.linear(x, w, b).sum().backward()
    tx, tw, tb = (torch.tensor(t.data, requires_grad=True) for t in (x, w, b))
    torch.nn.functional.linear(tx, tw, tb).sum().backward()
    for a, t in zip((x, w, b), (tx, tw, tb)):
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-5, atol=1e-5)
