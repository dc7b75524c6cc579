"""``nnengine.nn.parallel``: PyTorch's home of ``DistributedDataParallel`` (defined in nnengine.distributed) and
``DataParallel`` (``nn.DataParallel``).

Example:
    >>> from nnengine.nn.parallel import DistributedDataParallel as DDP
    >>> import nnengine.distributed as dist
    >>> DDP is dist.DistributedDataParallel
    True
"""

from ...distributed.ddp import DistributedDataParallel
from ..modules.data_parallel import DataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
