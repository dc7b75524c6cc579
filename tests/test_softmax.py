"""The softmax kernel family (F.softmax, F.log_softmax; the fused cross-entropy on the same kernels is tested in
test_losses.py): float64 oracle and torch along every dimension on every ISA, gradients, 1 vs 2 threads and
bad input."""

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine import _core


@pytest.mark.parametrize("shape,dim", [((5, 7), 1), ((5, 7), 0), ((2, 3, 17), -1), ((2, 9, 4), 1), ((33,), 0),
                                       ((3, 1000), 1)])
@pytest.mark.parametrize("log", [False, True])
def test_softmax_vs_float64_and_torch(isa, rng, shape, dim, log, torch):
    x = (rng.standard_normal(shape) * 5).astype(np.float32)
    x64 = x.astype(np.float64)
    m = x64.max(axis=dim, keepdims=True)
    lse = m + np.log(np.exp(x64 - m).sum(axis=dim, keepdims=True))
    ref = x64 - lse if log else np.exp(x64 - lse)
    a = ne.tensor(x, requires_grad=True)
    y = (F.log_softmax if log else F.softmax)(a, dim)
    np.testing.assert_allclose(y.data, ref, rtol=1e-5, atol=1e-6)
    w = rng.standard_normal(shape)
    (y * ne.tensor(w)).sum().backward()
    p = np.exp(x64 - lse)
    if log:
        gref = w - p * w.sum(axis=dim, keepdims=True)
    else:
        gref = p * (w - (w * p).sum(axis=dim, keepdims=True))
    np.testing.assert_allclose(a.grad, gref, rtol=1e-4, atol=1e-5)
    # torch: its float64 op is the oracle above (checks the oracle), its float32 op is the peer we match
    tf = torch.log_softmax if log else torch.softmax
    np.testing.assert_allclose(tf(torch.from_numpy(x64), dim).numpy(), ref, rtol=1e-12, atol=1e-14)
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    yt = tf(xt, dim)
    (yt * torch.from_numpy(w.astype(np.float32))).sum().backward()
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a.grad, xt.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_softmax_threads_identical(isa, rng):
    x = rng.standard_normal((4000, 37)).astype(np.float32)
    with ne.backend.num_threads(1):
        a = _core.softmax_forward(x, 1, False)
    with ne.backend.num_threads(2):
        b = _core.softmax_forward(x, 1, False)
    assert np.array_equal(a, b)


def test_softmax_bad_input():
    with pytest.raises(ValueError, match="dim: expected a value in"):
        F.softmax(ne.zeros(3, 4), dim=2)
    with pytest.raises(ValueError, match="dim: expected 0 <= dim < 2"):
        _core.softmax_forward(np.zeros((3, 4), np.float32), 2)
