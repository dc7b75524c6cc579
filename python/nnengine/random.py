"""The engine's global random state: weight init, dropout masks and shuffling all draw from it.

Example:
    >>> import nnengine as ne
    >>> ne.manual_seed(0)
"""

from __future__ import annotations

import numpy as np

_gen = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed init, dropout and shuffling so runs are reproducible."""
    global _gen
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed: expected an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed: expected a non-negative int, got {seed}")
    _gen = np.random.default_rng(int(seed))


def generator() -> np.random.Generator:
    """The current global numpy Generator."""
    return _gen


def get_rng_state() -> dict:
    """Serializable state of the global generator (for checkpoints)."""
    return _gen.bit_generator.state


def set_rng_state(state: dict) -> None:
    global _gen
    g = np.random.default_rng()
    g.bit_generator.state = state
    _gen = g


def seed_int() -> int:
    """A fresh 64-bit seed drawn from the global generator (for C++ kernels that take a seed)."""
    return int(_gen.integers(0, 2**63 - 1))
