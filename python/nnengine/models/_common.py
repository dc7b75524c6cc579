"""Shared helpers of the model families: an optimizer factory, their training on the fit loop, Gaussian noise."""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

import numpy as np

from .. import random as _random
from ..data.loader import DataLoader
from ..nn.module import Module
from ..optim import Adam
from ..train.callbacks import Callback


def adam(params: Iterable, lr: float = 1e-3, betas: tuple = (0.9, 0.999)) -> Adam:
    """The model families' optimizer: ``nnengine.optim.Adam(params, lr, betas)``.

    Example:
        >>> adam(nn.Linear(2, 1).parameters(), lr=1e-2).defaults["lr"]
        0.01
    """
    return Adam(params, lr=lr, betas=betas)


def fit_steps(model: Module, step: Callable[..., Any], data: Any, epochs: int, batch_size: int,
              verbose: bool = False, callbacks: Sequence[Callback] = ()) -> Dict[str, List[float]]:
    """Train ``model`` with ``step(*batch)`` on nnengine's one fit loop (``nnengine.train.fit(step=...)``) over
    shuffled minibatches of the arrays ``data`` (shuffled with the engine's global generator; or ``data`` is a
    DataLoader); returns the per-epoch logs (``"loss"`` and whatever else ``step`` returns in its dict).

    Example:
        >>> model = nn.Linear(2, 1); opt = adam(model.parameters())
        >>> def step(xb):
        ...     opt.zero_grad(); loss = (model(xb) ** 2).mean(); loss.backward(); opt.step()
        ...     return float(loss.item())
        >>> len(fit_steps(model, step, [np.ones((10, 2), np.float32)], epochs=3, batch_size=4)["loss"])
        3
    """
    from ..train.loop import fit

    if int(epochs) < 1 or int(batch_size) < 1:
        raise ValueError(f"epochs, batch_size: expected positive ints, got {epochs}, {batch_size}")
    data = data if isinstance(data, DataLoader) else tuple(data)
    return fit(model, None, None, data, epochs=int(epochs), batch_size=int(batch_size), step=step,
               verbose=2 if verbose else 0, callbacks=callbacks).history


def gaussian(shape: tuple, std: float = 1.0, gen: Optional[np.random.Generator] = None) -> np.ndarray:
    """float32 N(0, std^2) noise from the engine's global generator."""
    g = gen or _random.generator()
    return (g.standard_normal(shape) * std).astype(np.float32)
