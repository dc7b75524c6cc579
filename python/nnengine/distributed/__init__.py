"""Data-parallel training over MPI (mpi4py), with ``torch.distributed``'s names.

Launch the same script on N processes with ``mpiexec -n N python train.py``; without ``mpiexec`` (or
without mpi4py) the group is a world of one process and everything below is a no-op, so one script runs
either way. ``pip install 'nnengine[mpi]'`` installs mpi4py and the MPICH library.

Example:
    >>> import nnengine.distributed as dist
    >>> dist.init_process_group("mpi")
    >>> ddp = dist.DistributedDataParallel(model)
    >>> loader = DataLoader(ds, batch_size=32, sampler=dist.DistributedSampler(ds))
    >>> for epoch in range(5):
    ...     loader.sampler.set_epoch(epoch)
    ...     for xb, yb in loader:
    ...         opt.zero_grad(); F.cross_entropy(ddp(xb), yb).backward(); opt.step()
"""

from ..data.sampler import DistributedSampler
from .ddp import DistributedDataParallel
from .functional import all_reduce_sum
from .process_group import (
    ReduceOp,
    abort_at_exit,
    all_gather,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    launched_world_size,
)

__all__ = ["ReduceOp", "init_process_group", "destroy_process_group", "is_initialized", "is_available",
           "get_rank", "get_world_size", "get_backend", "barrier", "all_reduce", "broadcast", "all_gather",
           "broadcast_object", "abort_at_exit", "launched_world_size", "all_reduce_sum",
           "DistributedDataParallel", "DistributedSampler"]
