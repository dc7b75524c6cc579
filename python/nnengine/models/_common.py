"""Shared helpers of the model families: an optimizer factory, minibatches, Gaussian noise."""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, List, Optional

import numpy as np

from .. import random as _random
from ..tensor import Tensor


class _MiniAdam:
    """Adam (Kingma & Ba 2015) used only while ``nnengine.optim`` is not importable."""

    def __init__(self, params: Iterable, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.params = [p for p in params]
        self.lr, self.betas, self.eps, self.t = lr, betas, eps, 0
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.v = [np.zeros_like(p.data) for p in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            m *= b1
            m += (1 - b1) * p.grad
            v *= b2
            v += (1 - b2) * p.grad * p.grad
            p.data -= (self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)).astype(np.float32)


def adam(params: Iterable, lr: float = 1e-3, betas: tuple = (0.9, 0.999)):
    """``nnengine.optim.Adam`` when available, else a minimal numpy Adam with the same step rule."""
    try:
        from ..optim import Adam  # type: ignore[attr-defined]
    except ImportError:
        return _MiniAdam(params, lr=lr, betas=betas)
    return Adam(params, lr=lr, betas=betas)


def minibatches(n: int, batch_size: int, shuffle: bool = True) -> Iterator[np.ndarray]:
    """Index arrays covering ``range(n)`` in batches (shuffled with the engine's global generator)."""
    idx = _random.generator().permutation(n) if shuffle else np.arange(n)
    for s in range(0, n, batch_size):
        yield idx[s : s + batch_size]


def run_epochs(step: Callable[[np.ndarray], float], n: int, epochs: int, batch_size: int,
               verbose: bool = False, name: str = "loss") -> List[float]:
    """Call ``step(batch_indices) -> float`` over shuffled minibatches; returns the per-epoch means."""
    if int(epochs) < 1 or int(batch_size) < 1:
        raise ValueError(f"epochs, batch_size: expected positive ints, got {epochs}, {batch_size}")
    history = []
    for ep in range(int(epochs)):
        history.append(float(np.mean([step(b) for b in minibatches(n, int(batch_size))])))
        if verbose:
            print(f"epoch {ep + 1}/{epochs}: {name} {history[-1]:.4f}")
    return history


def gaussian(shape: tuple, std: float = 1.0, gen: Optional[np.random.Generator] = None) -> np.ndarray:
    """float32 N(0, std^2) noise from the engine's global generator."""
    g = gen or _random.generator()
    return (g.standard_normal(shape) * std).astype(np.float32)


def as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x, dtype=np.float32))


def as_array(x) -> np.ndarray:
    """A C-contiguous float32 numpy array of ``x`` (Tensor or array-like)."""
    return np.ascontiguousarray(x.data if isinstance(x, Tensor) else np.asarray(x), dtype=np.float32)
