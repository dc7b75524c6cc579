"""Shared helpers of the model families: an optimizer factory, minibatches, Gaussian noise."""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, List, Optional

import numpy as np

from .. import random as _random
from ..optim import Adam
from ..tensor import Tensor


def adam(params: Iterable, lr: float = 1e-3, betas: tuple = (0.9, 0.999)) -> Adam:
    """The model families' optimizer: ``nnengine.optim.Adam(params, lr, betas)``.

    Example:
        >>> adam(nn.Linear(2, 1).parameters(), lr=1e-2).defaults["lr"]
        0.01
    """
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
