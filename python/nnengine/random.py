"""The engine's global random state: weight init, dropout masks and shuffling all draw from it.

Example:
    >>> import nnengine as ne
    >>> _ = ne.manual_seed(0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

_seed = int(np.random.SeedSequence().entropy % (2**63))
_gen = np.random.default_rng(_seed)


def manual_seed(seed: int) -> Any:
    """Seed init, dropout and shuffling so runs are reproducible; returns ``ne.default_generator`` (as torch
    returns its default Generator, so ``g = torch.manual_seed(0)`` works).

    Example:
        >>> _ = ne.manual_seed(1); a = ne.randn(3)
        >>> _ = ne.manual_seed(1); bool((ne.randn(3) == a).all())
        True
    """
    global _gen, _seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed: expected an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed: expected a non-negative int, got {seed}")
    _seed = int(seed)
    _gen = np.random.default_rng(_seed)
    from ._ops_random import default_generator  # the module builds on this one: imported at call time

    return default_generator


def generator() -> np.random.Generator:
    """The current global numpy Generator.

    Example:
        >>> _ = ne.manual_seed(0); isinstance(generator(), np.random.Generator)
        True
    """
    return _gen


def get_rng_state() -> dict:
    """Serializable state of the global generator (for checkpoints).

    Example:
        >>> s = get_rng_state()
        >>> a = ne.rand(2); set_rng_state(s)
        >>> bool((ne.rand(2) == a).all())
        True
    """
    return _gen.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore a state from :func:`get_rng_state`.

    Example:
        >>> s = get_rng_state(); a = ne.randn(2)
        >>> set_rng_state(s); bool((ne.randn(2) == a).all())
        True
    """
    global _gen
    g = np.random.default_rng()
    g.bit_generator.state = state
    _gen = g


def seed_int() -> int:
    """A fresh 64-bit seed drawn from the global generator (for C++ kernels that take a seed).

    Example:
        >>> 0 <= seed_int() < 2 ** 64
        True
    """
    return int(_gen.integers(0, 2**63 - 1))


def initial_seed() -> int:
    """The seed of the last :func:`manual_seed` (or the entropy the global generator started from).

    Example:
        >>> _ = manual_seed(5); initial_seed()
        5
    """
    return _seed


def resolve_generator(generator: object = None) -> np.random.Generator:
    """``generator=`` as a numpy Generator: None -> the global one; an ``ne.Generator`` -> its stream; a numpy
    Generator itself; anything else a TypeError naming the argument.

    Example:
        >>> resolve_generator(None) is generator()
        True
    """
    if generator is None:
        return _gen
    if isinstance(generator, np.random.Generator):
        return generator
    rng = getattr(generator, "_rng", None)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError(f"generator: expected an ne.Generator, a numpy Generator or None, got {type(generator).__name__}")
