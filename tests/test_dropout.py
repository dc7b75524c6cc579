"""The dropout kernel family (F.dropout, Dropout): mask, scale and gradient at the SIMD widths on every ISA,
the scalar twin, seeding, 1 vs 2 threads, the module and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine import _core


@pytest.mark.parametrize("n", [1, 7, 8, 9, 15, 16, 17, 33, 100_003])
def test_dropout_mask_scale_and_gradient(n, isa):
    x = np.random.default_rng(6).uniform(1, 2, n).astype(np.float32)
    y = _core.dropout_forward(x, 0.3, 12345)
    kept = y != 0
    np.testing.assert_allclose(y[kept], x[kept] * np.float32(1 / 0.7), rtol=1e-6)
    assert np.array_equal(y, _core.dropout_forward(x, 0.3, 12345, reference=True))
    g = _core.dropout_backward(np.ones_like(x), 0.3, 12345)
    assert np.array_equal(g != 0, kept)
    if n > 1000:
        assert abs(kept.mean() - 0.7) < 0.01


def test_dropout_functional_seed_threads_and_module(threads):
    x = ne.Tensor(np.ones((64, 1000), np.float32), requires_grad=True)
    ne.manual_seed(7)
    a = F.dropout(x, 0.5)
    ne.manual_seed(7)
    with threads(1):
        b = F.dropout(x, 0.5)
    assert np.array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), F.dropout(x, 0.5).numpy())
    a.sum().backward()
    assert np.array_equal(x.grad, a.numpy())
    assert F.dropout(x, 0.5, training=False) is x
    assert np.all(F.dropout(x, 1.0).numpy() == 0)
    m = ne.nn.Dropout(0.25)
    assert abs((m(x).numpy() == 0).mean() - 0.25) < 0.01
    m.eval()
    assert np.array_equal(m(x).numpy(), x.numpy())
    with pytest.raises(ValueError, match="p: expected a probability"):
        F.dropout(x, 1.5)
    with pytest.raises(ValueError, match="p: expected a probability"):
        ne.nn.Dropout(-0.1)
