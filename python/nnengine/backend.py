"""Backend control: which instruction set the kernels use, threads, and build facts.

Example:
    >>> ne.backend.isa() in ne.backend.available_isas()
    True
    >>> with ne.backend.use_isa("baseline"):
    ...     y = ne.randn(4, 4) @ ne.randn(4, 4)
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import os
from typing import Iterator, List, Optional


def _missing_core_error(name: str = "_core") -> Optional[ImportError]:
    """A clear ImportError when this package folder lacks the compiled extension ``name`` (None otherwise)."""
    folder = os.path.dirname(os.path.abspath(__file__))
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    if any(name + suffix in names for suffix in importlib.machinery.EXTENSION_SUFFIXES):
        return None  # the extension is there but failed to load: the original error says why
    others = sorted(n for n in names if n.startswith(name + ".") and n.endswith((".so", ".pyd")))
    other_note = (f" (found {', '.join(others)}, built for another Python version)" if others else "")
    return ImportError(
        f"nnengine's compiled extension ({name}) is missing from {folder}{other_note}. This is a source "
        "tree without an in-place build: `pip install .` puts the extension into site-packages, not here, "
        "so `PYTHONPATH=python` (which selects the in-tree build) finds nothing to load. Either drop "
        "PYTHONPATH=python to use the installed package, or build the extension in place with README.md's "
        "dev loop: cmake -S . -B build/dev -G Ninja "
        "-Dpybind11_DIR=$(python -c \"import pybind11;print(pybind11.get_cmake_dir())\") && ninja -C build/dev "
        "(or `pip install -e .`).")


try:
    from . import _core, _tape  # noqa: F401  (the kernels; the tape's typed core, used by autograd)
except ImportError as _exc:
    _err = _missing_core_error("_core") or _missing_core_error("_tape")
    if _err is None:
        raise
    raise _err from _exc


def isa() -> str:
    """The instruction set the kernels currently run with.

    Example:
        >>> ne.backend.isa() in ("baseline", "avx2", "avx512")
        True
    """
    return _core.isa()


def available_isas() -> List[str]:
    """Instruction sets supported by this CPU, OS and build, lowest first.

    Example:
        >>> ne.backend.available_isas()[0]
        'baseline'
    """
    return list(_core.available_isas())


def set_isa(name: str) -> None:
    """Select the kernels' instruction set (must be in ``available_isas()``).

    Example:
        >>> old = ne.backend.isa()
        >>> ne.backend.set_isa("baseline"); ne.backend.isa()
        'baseline'
        >>> ne.backend.set_isa(old)
    """
    if not isinstance(name, str):
        raise TypeError(f"name: expected a str, got {type(name).__name__}")
    _core.set_isa(name)


@contextlib.contextmanager
def use_isa(name: str) -> Iterator[None]:
    """Temporarily run the kernels with instruction set ``name``.

    Example:
        >>> with ne.backend.use_isa("baseline"):
        ...     print(ne.backend.isa())
        baseline
    """
    prev = isa()
    set_isa(name)
    try:
        yield
    finally:
        set_isa(prev)


def set_num_threads(n: int) -> None:
    """Number of threads the kernels use (default: OMP_NUM_THREADS or the core count).

    Example:
        >>> old = ne.get_num_threads()
        >>> ne.set_num_threads(1); ne.get_num_threads()
        1
        >>> ne.set_num_threads(old)
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n: expected an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"n: expected a thread count >= 1, got {n}")
    _core.set_num_threads(n)


def get_num_threads() -> int:
    """The number of threads the kernels use.

    Example:
        >>> ne.backend.get_num_threads() >= 1
        True
    """
    return int(_core.get_num_threads())


@contextlib.contextmanager
def num_threads(n: int) -> Iterator[None]:
    """Temporarily use ``n`` threads.

    Example:
        >>> with ne.backend.num_threads(1):
        ...     print(ne.get_num_threads())
        1
    """
    prev = get_num_threads()
    set_num_threads(n)
    try:
        yield
    finally:
        set_num_threads(prev)


def build_info() -> dict:
    """Build options of the compiled extension.

    Example:
        >>> isinstance(ne.backend.build_info(), dict)
        True
    """
    return dict(_core.build_info())
