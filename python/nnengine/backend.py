"""Backend control: which instruction set the kernels use, threads, and build facts.

Example:
    >>> import nnengine as ne
    >>> ne.backend.isa()            # e.g. 'avx512'
    >>> ne.backend.available_isas() # e.g. ['baseline', 'avx2', 'avx512']
    >>> with ne.backend.use_isa("avx2"):
    ...     pass
"""

from __future__ import annotations

import contextlib
from typing import Iterator, List

from . import _core


def isa() -> str:
    """The instruction set the kernels currently run with."""
    return _core.isa()


def available_isas() -> List[str]:
    """Instruction sets supported by this CPU, OS and build, lowest first."""
    return list(_core.available_isas())


def set_isa(name: str) -> None:
    """Select the kernels' instruction set (must be in ``available_isas()``)."""
    if not isinstance(name, str):
        raise TypeError(f"name: expected a str, got {type(name).__name__}")
    _core.set_isa(name)


@contextlib.contextmanager
def use_isa(name: str) -> Iterator[None]:
    """Temporarily run the kernels with instruction set ``name``."""
    prev = isa()
    set_isa(name)
    try:
        yield
    finally:
        set_isa(prev)


def set_num_threads(n: int) -> None:
    """Number of threads the kernels use (default: OMP_NUM_THREADS or the core count)."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n: expected an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"n: expected a thread count >= 1, got {n}")
    _core.set_num_threads(n)


def get_num_threads() -> int:
    return int(_core.get_num_threads())


@contextlib.contextmanager
def num_threads(n: int) -> Iterator[None]:
    """Temporarily use ``n`` threads."""
    prev = get_num_threads()
    set_num_threads(n)
    try:
        yield
    finally:
        set_num_threads(prev)


def build_info() -> dict:
    """Build options of the compiled extension."""
    return dict(_core.build_info())
