"""Data-parallel training over TCP (``backend="gloo"``) or MPI (mpi4py), with ``torch.distributed``'s names.

TCP: launch N processes with ``torchrun --nproc-per-node N train.py``, ``python -m nnengine.distributed.run
--nproc-per-node N train.py`` (add ``--nnodes/--node-rank/--master-addr`` for several machines) or
``torch.multiprocessing.spawn``; the script calls ``init_process_group("gloo")`` (env://) as for torch.
MPI: ``mpiexec -n N python train.py``; without ``mpiexec`` (or without mpi4py) the group is a world of one
process and everything below is a no-op, so one script runs either way. ``pip install 'nnengine[mpi]'``
installs mpi4py and the MPICH library.

Example:
    >>> import nnengine.distributed as dist
    >>> from nnengine.data import DataLoader, TensorDataset
    >>> ddp = dist.DistributedDataParallel(nn.Linear(4, 2))  # one process here; run the script under mpiexec -n 2
    >>> ds = TensorDataset(np.zeros((8, 4), np.float32))
    >>> len(DataLoader(ds, batch_size=2, sampler=dist.DistributedSampler(ds)))
    4
"""

from typing import Any

from .functional import all_reduce_sum
from .process_group import (
    ReduceOp,
    abort_at_exit,
    all_gather,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object,
    broadcast_object_list,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_initialized,
    launched_world_size,
    reduce,
)

__all__ = ["ReduceOp", "init_process_group", "destroy_process_group", "is_initialized", "is_available",
           "get_rank", "get_world_size", "get_backend", "barrier", "all_reduce", "broadcast", "all_gather",
           "broadcast_object", "abort_at_exit", "launched_world_size", "all_reduce_sum", "reduce", "all_gather_object",
           "broadcast_object_list", "group",
           "DistributedDataParallel", "DistributedSampler"]

# The layers built on the collectives load on first use (PEP 562), so importing the collectives (nn's
# SyncBatchNorm, the data sampler do) never loads nnengine.nn or nnengine.data through this package.
_LAZY = {"DistributedDataParallel": ".ddp", "DistributedSampler": "..data.sampler"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list:
    return sorted(set(globals()) | set(_LAZY))
