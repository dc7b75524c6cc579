"""Shared test fixtures: every ISA, thread counts, optional torch, float64 finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne


@pytest.fixture(params=ne.backend.available_isas())
def isa(request):
    """Run the test once per instruction set this CPU supports (forced through the dispatch cap)."""
    with ne.backend.use_isa(request.param):
        yield request.param


@pytest.fixture
def threads():
    """Callable context: ``with threads(1): ...`` sets the kernel thread count temporarily."""
    return ne.backend.num_threads


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def numeric_grad(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of the scalar float64 function f at x (float64)."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        fp = f(x)
        x[i] = old - eps
        fm = f(x)
        x[i] = old
        g[i] = (fp - fm) / (2 * eps)
    return g
