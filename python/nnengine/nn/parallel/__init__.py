"""``nnengine.nn.parallel``: PyTorch's home of ``DistributedDataParallel`` (defined in nnengine.distributed).

Example:
    >>> from nnengine.nn.parallel import DistributedDataParallel as DDP
    >>> import nnengine.distributed as dist
    >>> DDP is dist.DistributedDataParallel
    True
"""

from ...distributed.ddp import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
