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
import sys
import traceback
from multiprocessing import *  # noqa: F401, F403
from typing import Any, Callable, Optional

__all__ = list(_mp.__all__) + ["get_all_sharing_strategies", "get_sharing_strategy", "set_sharing_strategy",
                                "spawn", "start_processes", "ProcessContext", "ProcessRaisedException"]

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


class ProcessRaisedException(Exception):
    """A process started by :func:`spawn` failed; the message holds its rank, exit code and traceback (torch's
    ``torch.multiprocessing.ProcessRaisedException``).

    Example:
        >>> str(ProcessRaisedException("process 0 failed"))
        'process 0 failed'
    """


def _wrap(fn: Callable, rank: int, args: tuple, errors: Any) -> None:
    try:
        fn(rank, *args)
    except KeyboardInterrupt:
        pass
    except BaseException:  # noqa: BLE001  (reported to the parent, then a failing exit code)
        errors.put((rank, traceback.format_exc()))
        sys.exit(1)


class ProcessContext:
    """The processes of :func:`start_processes`; ``join()`` waits for all of them and raises
    :class:`ProcessRaisedException` for the first that failed.

    Example:
        >>> ProcessContext([], None).join()
        True
    """

    def __init__(self, processes: list, errors: Any) -> None:
        self.processes = processes
        self.error_queue = errors

    def pids(self) -> list:
        """The processes' ids.

        Example:
            >>> ProcessContext([], None).pids()
            []
        """
        return [p.pid for p in self.processes]

    def join(self, timeout: Optional[float] = None) -> bool:
        """Wait for every process; True when all ended, an exception naming the first failure.

        Example:
            >>> ProcessContext([], None).join(timeout=1.0)
            True
        """
        for p in self.processes:
            p.join(timeout)
        if any(p.exitcode is None for p in self.processes):
            return False
        failed = [(rank, p.exitcode) for rank, p in enumerate(self.processes) if p.exitcode != 0]
        if failed:
            tb = ""
            if self.error_queue is not None and not self.error_queue.empty():
                rank, tb = self.error_queue.get()
                failed = [(rank, dict(failed).get(rank))]
            for p in self.processes:
                if p.is_alive():
                    p.terminate()
            rank, code = failed[0]
            raise ProcessRaisedException(f"process {rank} terminated with exit code {code}\n{tb}".rstrip())
        return True


def start_processes(fn: Callable, args: tuple = (), nprocs: int = 1, join: bool = True, daemon: bool = False,
                    start_method: str = "spawn") -> Optional[ProcessContext]:
    """Run ``fn(rank, *args)`` in ``nprocs`` processes started with ``start_method``; torch's
    ``start_processes``. With ``join`` it waits (and raises for a failure), else returns the
    :class:`ProcessContext`.

    Example:
        >>> start_processes(print, nprocs=0) is None
        True
    """
    if int(nprocs) < 0:
        raise ValueError(f"nprocs: expected >= 0, got {nprocs}")
    ctx = _mp.get_context(start_method)
    errors = ctx.SimpleQueue()
    procs = [ctx.Process(target=_wrap, args=(fn, rank, tuple(args), errors), daemon=daemon)
             for rank in range(int(nprocs))]
    for p in procs:
        p.start()
    context = ProcessContext(procs, errors)
    if not join:
        return context
    context.join()
    return None


def spawn(fn: Callable, args: tuple = (), nprocs: int = 1, join: bool = True, daemon: bool = False,
          start_method: str = "spawn") -> Optional[ProcessContext]:
    """torch.multiprocessing.spawn: ``fn(rank, *args)`` in ``nprocs`` new processes (start method 'spawn').

    Example:
        >>> spawn(print, nprocs=0) is None
        True
    """
    return start_processes(fn, args, nprocs, join, daemon, start_method)
