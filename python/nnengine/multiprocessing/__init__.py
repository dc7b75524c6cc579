"""torch.multiprocessing's names: the standard library's ``multiprocessing`` (``Process``, ``Queue``, ``Pool``,
``set_start_method``, ``get_context``...), as torch's module is. A model made shared with
``Module.share_memory()`` and passed in a ``Process``'s arguments reaches the child as views of the same
memory (pytorch/examples' mnist_hogwild). Unlike torch's, tensors sent through a ``Queue`` or ``Pipe`` are
copied (shared parameters refuse to be sent that way, as multiprocessing's shared arrays do).

Example:
    >>> import nnengine.multiprocessing as mp
    >>> mp.get_start_method(allow_none=True) in (None, "fork", "spawn", "forkserver")
    True
"""

from __future__ import annotations

import multiprocessing as _mp
from multiprocessing import *  # noqa: F401, F403

__all__ = list(_mp.__all__) + ["get_all_sharing_strategies", "get_sharing_strategy", "set_sharing_strategy"]

_STRATEGIES = {"file_system"}


def get_all_sharing_strategies() -> set:
    """The ways shared memory can be passed: {'file_system'} (multiprocessing's shared heap).

    Example:
        >>> get_all_sharing_strategies()
        {'file_system'}
    """
    return set(_STRATEGIES)


def get_sharing_strategy() -> str:
    """The current strategy: 'file_system'.

    Example:
        >>> get_sharing_strategy()
        'file_system'
    """
    return "file_system"


def set_sharing_strategy(new_strategy: str) -> None:
    """Accepts 'file_system' (the only one) or torch's 'file_descriptor' (same effect here); others are a
    ValueError.

    Example:
        >>> set_sharing_strategy("file_system")
    """
    if new_strategy not in _STRATEGIES | {"file_descriptor"}:
        raise ValueError(f"new_strategy: expected 'file_system' or 'file_descriptor', got {new_strategy!r}")
