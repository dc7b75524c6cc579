"""The MPI process group: rank, world size and in-place collectives on Tensors or numpy arrays.

MPI is reached only through mpi4py, imported lazily here (the rest of nnengine never imports it). When the
process was not launched by ``mpiexec`` (or mpi4py is not installed) the group is a world of one process
and every collective is a no-op, so the same script runs alone or under ``mpiexec -n N``.

Example:
    >>> import nnengine.distributed as dist
    >>> x = np.full(3, dist.get_rank() + 1.0, np.float32)
    >>> dist.all_reduce(x, op=dist.ReduceOp.SUM)  # in place; 3.0 everywhere under mpiexec -n 2
    array([1., 1., 1.], dtype=float32)
"""

from __future__ import annotations

import enum
import os
import sys
import time
import warnings
from typing import Any, List

import numpy as np

__all__ = ["ReduceOp", "init_process_group", "destroy_process_group", "is_initialized", "is_available",
           "get_rank", "get_world_size", "get_backend", "barrier", "all_reduce", "broadcast", "all_gather",
           "launched_world_size", "broadcast_object", "abort_at_exit"]

# environment variables MPI launchers set for every process: MPICH/Hydra (and Slurm's PMI), Open MPI,
# MVAPICH, PMIx
_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE", "PMIX_SIZE")


class ReduceOp(str, enum.Enum):
    """Reduction of ``all_reduce`` (``torch.distributed.ReduceOp``'s names); plain strings work too.

    Example:
        >>> x = np.array([1.0, 5.0], np.float32)
        >>> all_reduce(x, op=ReduceOp.MAX)  # or op="max"
        array([1., 5.], dtype=float32)
        >>> sorted(op.value for op in ReduceOp)
        ['avg', 'max', 'min', 'product', 'sum']
    """

    SUM = "sum"
    AVG = "avg"
    MAX = "max"
    MIN = "min"
    PRODUCT = "product"


class _Group:
    def __init__(self) -> None:
        self.initialized = False
        self.comm: Any = None  # an mpi4py communicator (a duplicate of COMM_WORLD), None in a world of one
        self.MPI: Any = None
        self.rank = 0
        self.size = 1
        self.prev_excepthook: Any = None


_G = _Group()


def launched_world_size() -> int:
    """The number of processes the MPI launcher started (from its environment; 1 when not launched by one).

    Example:
        >>> launched_world_size()  # 2 under ``mpiexec -n 2``
        1
    """
    for var in _SIZE_VARS:
        v = os.environ.get(var)
        if v and v.isdigit():
            return int(v)
    return 1


def is_available() -> bool:
    """Whether mpi4py can be imported (without importing it, so MPI is not initialized).

    Example:
        >>> isinstance(is_available(), bool)
        True
    """
    import importlib.util

    return importlib.util.find_spec("mpi4py") is not None


def _excepthook(etype: Any, value: Any, tb: Any) -> None:
    """Print the traceback, then abort the whole MPI job so the other ranks do not wait forever."""
    prev = _G.prev_excepthook or sys.__excepthook__
    try:
        sys.stderr.write(f"nnengine.distributed: rank {_G.rank} of {_G.size} raised an uncaught exception; "
                         "aborting the MPI job\n")
        prev(etype, value, tb)
        sys.stderr.flush()
        sys.stdout.flush()
    finally:
        if _G.MPI is not None and not issubclass(etype, KeyboardInterrupt):
            # a moment for mpiexec to forward the traceback: the abort tears down its I/O forwarding, and on a
            # busy machine the message that says why the job ended was sometimes lost with it
            time.sleep(0.5)
            _G.MPI.COMM_WORLD.Abort(1)


def abort_at_exit(status: int) -> None:
    """Make this rank end the whole MPI job with ``status`` when Python exits (``SystemExit`` with a
    non-zero code does not reach ``sys.excepthook``; a rank that just exits would leave the others waiting).

    In a training script: ``try: main()`` / ``except SystemExit as e: abort_at_exit(e.code); raise``.

    Example:
        >>> abort_at_exit(0)  # status 0 (or a world of one process): nothing to end
    """
    if isinstance(status, bool) or not isinstance(status, int):
        status = 0 if status is None else 1
    if status and _G.MPI is not None and _G.size > 1:
        sys.stdout.flush()
        sys.stderr.flush()
        _G.MPI._set_abort_status(int(status))


def init_process_group(backend: str = "mpi", *, abort_on_exception: bool = True) -> None:
    """Join the process group: rank and world size come from MPI (``MPI.COMM_WORLD``).

    A world of one process (all collectives no-ops) when the process was not started by an MPI launcher,
    or when mpi4py is not installed (with a warning if the launcher started several processes). With
    ``abort_on_exception`` a ``sys.excepthook`` is installed that prints an uncaught exception's traceback
    and calls ``MPI.COMM_WORLD.Abort(1)``, so one failing rank ends the job with a non-zero status instead
    of leaving the others blocked in a collective.

    Example:
        >>> if not is_initialized(): init_process_group("mpi")
        >>> get_rank(), get_world_size()  # (rank, n) under mpiexec -n n
        (0, 1)
    """
    if backend not in ("mpi", None):
        raise ValueError(f"backend: only 'mpi' is supported, got {backend!r}")
    if _G.initialized:
        raise RuntimeError("init_process_group: the process group is already initialized "
                           "(call destroy_process_group() first)")
    launched = launched_world_size()
    if launched > 1:
        try:
            from mpi4py import MPI
        except ImportError:
            warnings.warn(f"init_process_group: started by an MPI launcher as one of {launched} processes, but "
                          "mpi4py is not installed (pip install 'nnengine[mpi]'): each process trains alone",
                          RuntimeWarning, stacklevel=2)
        else:
            _G.MPI = MPI
            _G.comm = MPI.COMM_WORLD.Dup()
            _G.rank, _G.size = _G.comm.Get_rank(), _G.comm.Get_size()
            if abort_on_exception:
                _G.prev_excepthook = sys.excepthook
                sys.excepthook = _excepthook
    _G.initialized = True


def destroy_process_group() -> None:
    """Leave the process group (MPI itself is finalized by mpi4py at exit). Idempotent.

    Example:
        >>> destroy_process_group(); is_initialized()
        False
    """
    if _G.comm is not None:
        _G.comm.Free()
    if sys.excepthook is _excepthook:
        sys.excepthook = _G.prev_excepthook or sys.__excepthook__
    _G.__init__()


def is_initialized() -> bool:
    """Whether ``init_process_group`` has been called (and not destroyed).

    Example:
        >>> destroy_process_group()
        >>> is_initialized()
        False
    """
    return _G.initialized


def get_rank() -> int:
    """This process's rank, 0 .. world_size - 1 (0 when not initialized).

    Example:
        >>> get_rank()  # 0 here; 0 .. world_size - 1 under mpiexec
        0
    """
    return _G.rank


def get_world_size() -> int:
    """The number of processes in the group (1 when not initialized or not launched by MPI).

    Example:
        >>> get_world_size()  # 1 here; n under mpiexec -n n
        1
    """
    return _G.size


def get_backend() -> str:
    """``"mpi"``.

    Example:
        >>> get_backend()
        'mpi'
    """
    return "mpi"


def comm() -> Any:
    """The mpi4py communicator of the group, or None in a world of one (for nnengine's own use)."""
    return _G.comm


def mpi() -> Any:
    """The ``mpi4py.MPI`` module, or None in a world of one."""
    return _G.MPI


def barrier() -> None:
    """Block until every rank has reached the barrier.

    Example:
        >>> barrier()  # returns once every rank got here
    """
    if _G.comm is not None:
        _G.comm.Barrier()


def _buffer(x: Any, what: str) -> np.ndarray:
    from .._coerce import array_data

    return array_data(x, what)


def _mpi_op(op: Any) -> Any:
    try:
        op = ReduceOp(op.value if isinstance(op, ReduceOp) else str(op).lower())
    except ValueError:
        raise ValueError(f"op: expected one of {[o.value for o in ReduceOp]}, got {op!r}") from None
    MPI = _G.MPI
    return op, {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.MAX: MPI.MAX, ReduceOp.MIN: MPI.MIN,
                ReduceOp.PRODUCT: MPI.PROD}[op] if MPI is not None else None


def all_reduce(x: Any, op: Any = ReduceOp.SUM) -> Any:
    """Reduce ``x`` (a Tensor or a numpy array) over all ranks, in place; returns ``x``.

    ``op``: ``ReduceOp.SUM`` (default), ``AVG`` (float arrays only), ``MAX``, ``MIN``, ``PRODUCT`` or their
    lower-case names.

    Example:
        >>> g = np.ones(4, np.float32); all_reduce(g, op="avg")
        array([1., 1., 1., 1.], dtype=float32)
    """
    arr = _buffer(x, "all_reduce")
    op_, mop = _mpi_op(op)
    if op_ is ReduceOp.AVG and arr.dtype.kind not in "fc":
        raise TypeError(f"all_reduce: ReduceOp.AVG needs a floating-point array, got {arr.dtype}")
    if _G.comm is None:
        return x
    if arr.flags.c_contiguous:
        _G.comm.Allreduce(_G.MPI.IN_PLACE, arr, op=mop)
    else:
        tmp = np.ascontiguousarray(arr)
        _G.comm.Allreduce(_G.MPI.IN_PLACE, tmp, op=mop)
        arr[...] = tmp
    if op_ is ReduceOp.AVG:
        arr /= _G.size
    return x


def broadcast(x: Any, src: int = 0) -> Any:
    """Overwrite ``x`` (a Tensor or numpy array, in place) on every rank with rank ``src``'s; returns ``x``.

    Example:
        >>> w = ne.tensor([1.0, 2.0]); broadcast(w, src=0)
        tensor([1., 2.])
    """
    arr = _buffer(x, "broadcast")
    if not 0 <= int(src) < _G.size:
        raise ValueError(f"src: expected a rank in [0, {_G.size}), got {src}")
    if _G.comm is None:
        return x
    if arr.flags.c_contiguous:
        _G.comm.Bcast(arr, root=int(src))
    else:
        tmp = np.ascontiguousarray(arr)
        _G.comm.Bcast(tmp, root=int(src))
        arr[...] = tmp
    return x


def all_gather(tensor_list: List[Any], x: Any) -> List[Any]:
    """Gather ``x`` from every rank into ``tensor_list`` (torch's order: ``tensor_list[r]`` is rank r's).

    ``tensor_list`` holds ``world_size`` Tensors/arrays of ``x``'s shape, overwritten in place; an empty list
    is filled with new numpy arrays instead.

    Example:
        >>> out = [np.empty(3, np.float32) for _ in range(get_world_size())]
        >>> all_gather(out, np.full(3, get_rank(), np.float32))
        [array([0., 0., 0.], dtype=float32)]
    """
    arr = np.ascontiguousarray(_buffer(x, "all_gather"))
    if not isinstance(tensor_list, list):
        raise TypeError(f"tensor_list: expected a list, got {type(tensor_list).__name__}")
    recv = np.empty((_G.size,) + arr.shape, arr.dtype)
    if _G.comm is None:
        recv[0] = arr
    else:
        _G.comm.Allgather(arr, recv)
    if not tensor_list:
        tensor_list.extend(recv[r].copy() for r in range(_G.size))
        return tensor_list
    if len(tensor_list) != _G.size:
        raise ValueError(f"tensor_list: expected {_G.size} entries (the world size), got {len(tensor_list)}")
    for r, t in enumerate(tensor_list):
        out = _buffer(t, "tensor_list")
        if out.shape != arr.shape:
            raise ValueError(f"tensor_list[{r}]: expected shape {arr.shape}, got {out.shape}")
        out[...] = recv[r]
    return tensor_list


def broadcast_object(obj: Any, src: int = 0) -> Any:
    """Rank ``src``'s picklable ``obj`` on every rank (``torch.distributed.broadcast_object_list``'s role).

    Example:
        >>> broadcast_object({"lr": 0.1} if get_rank() == 0 else None)
        {'lr': 0.1}
    """
    if _G.comm is None:
        return obj
    return _G.comm.bcast(obj, root=int(src))

