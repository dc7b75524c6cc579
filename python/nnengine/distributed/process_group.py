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
from typing import Any, List, Optional

import numpy as np

__all__ = ["ReduceOp", "init_process_group", "destroy_process_group", "is_initialized", "is_available",
           "get_rank", "get_world_size", "get_backend", "barrier", "all_reduce", "broadcast", "all_gather",
           "launched_world_size", "broadcast_object", "abort_at_exit", "reduce", "all_gather_object",
           "broadcast_object_list", "group"]

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
        self.backend = "mpi"


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
                         f"aborting the {'MPI job' if _G.backend == 'mpi' else 'process group'}\n")
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


def _env_int(name: str, given: int) -> int:
    if given is not None and given >= 0:
        return int(given)
    v = os.environ.get(name)
    if v is None or not v.strip().lstrip("-").isdigit():
        raise ValueError(f"init_process_group: {name.lower()} is not given and the environment variable {name} is "
                         f"{'not set' if v is None else repr(v)} (torchrun / nnengine.distributed.run set it)")
    return int(v)


def _init_tcp(init_method: Optional[str], rank: int, world_size: int, timeout: Any) -> None:
    from .tcp import MPI_SHIM, _TcpComm

    if isinstance(rank, bool) or not isinstance(rank, int) or isinstance(world_size, bool) \
            or not isinstance(world_size, int):
        raise TypeError(f"rank, world_size: expected ints, got {type(rank).__name__}, {type(world_size).__name__}")
    rank, size = _env_int("RANK", rank), _env_int("WORLD_SIZE", world_size)
    if size < 1 or not 0 <= rank < size:
        raise ValueError(f"init_process_group: expected 0 <= rank < world_size, got rank {rank}, world_size {size}")
    if init_method in (None, "env://"):
        host = os.environ.get("MASTER_ADDR", "127.0.0.1" if size == 1 else None)
        port_s = os.environ.get("MASTER_PORT", "0" if size == 1 else None)
        if host is None or port_s is None:
            raise ValueError("init_process_group: env:// needs MASTER_ADDR and MASTER_PORT (the address and a free "
                             "port of rank 0's machine); torchrun / nnengine.distributed.run set them")
    elif isinstance(init_method, str) and init_method.startswith("tcp://"):
        host, _, port_s = init_method[len("tcp://"):].rpartition(":")
        host = host.strip("[]")
    else:
        raise ValueError(f"init_method: expected 'env://' or 'tcp://host:port', got {init_method!r}")
    if not port_s.isdigit() or not 0 <= int(port_s) < 65536:
        raise ValueError(f"init_process_group: the port must be an integer in [0, 65536), got {port_s!r}")
    port = int(port_s)
    if init_method in (None, "env://") and os.environ.get("TORCHELASTIC_USE_AGENT_STORE") == "True" and size > 1:
        # under torchrun, its agent serves torch's key-value store on MASTER_PORT: rank 0 listens on the next port
        port += 1
        if port >= 65536:
            raise ValueError("init_process_group: under torchrun rank 0 listens on MASTER_PORT + 1, which is past 65535")
    secs = timeout.total_seconds() if hasattr(timeout, "total_seconds") else (1800.0 if timeout is None else timeout)
    if not isinstance(secs, (int, float)) or isinstance(secs, bool) or secs <= 0:
        raise ValueError(f"timeout: expected a positive timedelta or number of seconds, got {timeout!r}")
    _G.comm = _TcpComm(rank, size, host or "127.0.0.1", port, float(secs))
    _G.MPI, _G.rank, _G.size, _G.backend = MPI_SHIM, rank, size, "gloo"


def init_process_group(backend: Optional[str] = None, init_method: Optional[str] = None, timeout: Any = None,
                       world_size: int = -1, rank: int = -1, store: Any = None, group_name: str = "",
                       pg_options: Any = None, device_id: Any = None, *, abort_on_exception: bool = True) -> None:
    """Join the process group, over MPI (``backend="mpi"``, the default when an MPI launcher started this
    process) or TCP (``backend="gloo"``, torch's CPU backend name; the default otherwise).

    **gloo** (see ``nnengine.distributed.tcp``): rank and world size from ``rank``/``world_size`` or the
    environment (``RANK``, ``WORLD_SIZE``), rank 0's address from ``init_method="tcp://host:port"`` or, for
    ``env://`` (the default), ``MASTER_ADDR``/``MASTER_PORT``, as torch reads them: works under ``torchrun`` (whose
    agent holds MASTER_PORT for torch's store: rank 0 then listens on MASTER_PORT + 1),
    ``python -m nnengine.distributed.run`` and ``torch.multiprocessing.spawn``, on one machine or several.
    ``timeout`` (a ``timedelta`` or seconds, default 30 min) bounds the rendezvous and every collective.

    **mpi**: rank and world size from ``MPI.COMM_WORLD``; a world of one process (all collectives no-ops) when
    the process was not started by an MPI launcher, or when mpi4py is not installed (with a warning if the
    launcher started several processes). With ``abort_on_exception`` a ``sys.excepthook`` is installed that prints
    an uncaught exception's traceback and ends the job (``MPI.COMM_WORLD.Abort(1)``; under gloo the failing
    process exits and the others' collectives raise), so one failing rank never leaves the others blocked.

    Example:
        >>> if not is_initialized(): init_process_group("mpi")
        >>> get_rank(), get_world_size()  # (rank, n) under mpiexec -n n
        (0, 1)
    """
    if backend is None:
        backend = "mpi" if launched_world_size() > 1 or "RANK" not in os.environ else "gloo"
    if not isinstance(backend, str):
        raise TypeError(f"backend: expected a string, got {type(backend).__name__}")
    backend = backend.lower()
    if backend == "nccl":
        raise ValueError("backend: 'nccl' needs CUDA GPUs, which nnengine does not use; use 'gloo' (TCP) or 'mpi'")
    if backend not in ("mpi", "gloo", "tcp"):
        raise ValueError(f"backend: expected 'gloo' (TCP) or 'mpi', got {backend!r}")
    if store is not None or group_name or pg_options is not None:
        raise ValueError("init_process_group: store, group_name and pg_options are not supported (the default "
                         "group over env:// or tcp:// only)")
    if _G.initialized:
        raise RuntimeError("init_process_group: the process group is already initialized "
                           "(call destroy_process_group() first)")
    if backend in ("gloo", "tcp"):
        _init_tcp(init_method, rank, world_size, timeout)
        if abort_on_exception and _G.size > 1:
            _G.prev_excepthook = sys.excepthook
            sys.excepthook = _excepthook
        _G.initialized = True
        return
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
        if hasattr(_G.comm, "close"):  # the TCP group's connections and worker
            _G.comm.close()
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


class group:  # noqa: N801 - torch.distributed.group
    """``torch.distributed.group``: ``group.WORLD`` is the default (and only) group.

    Example:
        >>> group.WORLD is None
        True
    """

    WORLD: Any = None


class _Work:
    """What an ``async_op=True`` collective returns (torch's ``Work``); ours has already completed."""

    def wait(self, timeout: Any = None) -> bool:
        return True

    def is_completed(self) -> bool:
        return True


def _check_group(g: Any, async_op: Any) -> Optional[_Work]:
    if g is not None:
        raise ValueError("group: only the default group (None or group.WORLD) is supported")
    return _Work() if async_op else None


def get_rank(group: Any = None) -> int:
    """This process's rank, 0 .. world_size - 1 (0 when not initialized).

    Example:
        >>> get_rank()  # 0 here; 0 .. world_size - 1 under mpiexec
        0
    """
    return _G.rank


def get_world_size(group: Any = None) -> int:
    """The number of processes in the group (1 when not initialized or not launched by MPI).

    Example:
        >>> get_world_size()  # 1 here; n under mpiexec -n n
        1
    """
    return _G.size


def get_backend(group: Any = None) -> str:
    """``"gloo"`` (the TCP group) or ``"mpi"``.

    Example:
        >>> get_backend()
        'mpi'
    """
    return _G.backend


def comm() -> Any:
    """The mpi4py communicator of the group, or None in a world of one (for nnengine's own use)."""
    return _G.comm


def mpi() -> Any:
    """The ``mpi4py.MPI`` module, or None in a world of one."""
    return _G.MPI


def barrier(group: Any = None, async_op: bool = False, device_ids: Any = None) -> Any:
    """Block until every rank has reached the barrier.

    Example:
        >>> barrier()  # returns once every rank got here
    """
    work = _check_group(group, async_op)
    if _G.comm is not None:
        _G.comm.Barrier()
    return work


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


def all_reduce(x: Any, op: Any = ReduceOp.SUM, group: Any = None, async_op: bool = False) -> Any:
    """Reduce ``x`` (a Tensor or a numpy array) over all ranks, in place; returns ``x``.

    ``op``: ``ReduceOp.SUM`` (default), ``AVG`` (float arrays only), ``MAX``, ``MIN``, ``PRODUCT`` or their
    lower-case names.

    Example:
        >>> g = np.ones(4, np.float32); all_reduce(g, op="avg")
        array([1., 1., 1., 1.], dtype=float32)
    """
    work = _check_group(group, async_op)
    arr = _buffer(x, "all_reduce")
    op_, mop = _mpi_op(op)
    if op_ is ReduceOp.AVG and arr.dtype.kind not in "fc":
        raise TypeError(f"all_reduce: ReduceOp.AVG needs a floating-point array, got {arr.dtype}")
    if _G.comm is None:
        return work or x
    if arr.flags.c_contiguous:
        _G.comm.Allreduce(_G.MPI.IN_PLACE, arr, op=mop)
    else:
        tmp = np.ascontiguousarray(arr)
        _G.comm.Allreduce(_G.MPI.IN_PLACE, tmp, op=mop)
        arr[...] = tmp
    if op_ is ReduceOp.AVG:
        arr /= _G.size
    return work or x


def broadcast(x: Any, src: int = 0, group: Any = None, async_op: bool = False) -> Any:
    """Overwrite ``x`` (a Tensor or numpy array, in place) on every rank with rank ``src``'s; returns ``x``.

    Example:
        >>> w = ne.tensor([1.0, 2.0]); broadcast(w, src=0)
        tensor([1., 2.])
    """
    work = _check_group(group, async_op)
    arr = _buffer(x, "broadcast")
    if not 0 <= int(src) < _G.size:
        raise ValueError(f"src: expected a rank in [0, {_G.size}), got {src}")
    if _G.comm is None:
        return work or x
    if arr.flags.c_contiguous:
        _G.comm.Bcast(arr, root=int(src))
    else:
        tmp = np.ascontiguousarray(arr)
        _G.comm.Bcast(tmp, root=int(src))
        arr[...] = tmp
    return work or x


def all_gather(tensor_list: List[Any], x: Any, group: Any = None, async_op: bool = False) -> Any:
    """Gather ``x`` from every rank into ``tensor_list`` (torch's order: ``tensor_list[r]`` is rank r's).

    ``tensor_list`` holds ``world_size`` Tensors/arrays of ``x``'s shape, overwritten in place; an empty list
    is filled with new numpy arrays instead.

    Example:
        >>> out = [np.empty(3, np.float32) for _ in range(get_world_size())]
        >>> all_gather(out, np.full(3, get_rank(), np.float32))
        [array([0., 0., 0.], dtype=float32)]
    """
    work = _check_group(group, async_op)
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
        return work or tensor_list
    if len(tensor_list) != _G.size:
        raise ValueError(f"tensor_list: expected {_G.size} entries (the world size), got {len(tensor_list)}")
    for r, t in enumerate(tensor_list):
        out = _buffer(t, "tensor_list")
        if out.shape != arr.shape:
            raise ValueError(f"tensor_list[{r}]: expected shape {arr.shape}, got {out.shape}")
        out[...] = recv[r]
    return work or tensor_list


def broadcast_object(obj: Any, src: int = 0) -> Any:
    """Rank ``src``'s picklable ``obj`` on every rank (``torch.distributed.broadcast_object_list``'s role).

    Example:
        >>> broadcast_object({"lr": 0.1} if get_rank() == 0 else None)
        {'lr': 0.1}
    """
    if _G.comm is None:
        return obj
    return _G.comm.bcast(obj, root=int(src))



def reduce(x: Any, dst: int = 0, op: Any = ReduceOp.SUM, group: Any = None, async_op: bool = False) -> Any:
    """``torch.distributed.reduce``: rank ``dst`` gets the reduction of ``x`` over all ranks, in place (here every
    rank does: it is an ``all_reduce``, which torch allows, as the other ranks' ``x`` is left unspecified).

    Example:
        >>> reduce(np.ones(2, np.float32), dst=0)
        array([1., 1.], dtype=float32)
    """
    if not 0 <= int(dst) < _G.size:
        raise ValueError(f"dst: expected a rank in [0, {_G.size}), got {dst}")
    return all_reduce(x, op, group, async_op)


def all_gather_object(object_list: List[Any], obj: Any, group: Any = None) -> None:
    """``torch.distributed.all_gather_object``: ``object_list[r]`` becomes rank r's picklable ``obj``.

    Example:
        >>> out = [None] * get_world_size(); all_gather_object(out, {"rank": get_rank()}); out
        [{'rank': 0}]
    """
    _check_group(group, False)
    if not isinstance(object_list, list) or len(object_list) != _G.size:
        raise ValueError(f"object_list: expected a list of {_G.size} entries (the world size), got "
                         f"{len(object_list) if isinstance(object_list, list) else type(object_list).__name__}")
    object_list[:] = [obj] if _G.comm is None else _G.comm.allgather(obj)


def broadcast_object_list(object_list: List[Any], src: int = 0, group: Any = None, device: Any = None) -> None:
    """``torch.distributed.broadcast_object_list``: every rank's ``object_list`` becomes rank ``src``'s.

    Example:
        >>> objs = [{"epochs": 3}]; broadcast_object_list(objs, src=0); objs
        [{'epochs': 3}]
    """
    _check_group(group, False)
    if not isinstance(object_list, list):
        raise TypeError(f"object_list: expected a list, got {type(object_list).__name__}")
    object_list[:] = broadcast_object(list(object_list), src)
