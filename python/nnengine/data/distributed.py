"""``torch.utils.data.distributed``: the module torch programs import ``DistributedSampler`` from
(``import torch.utils.data.distributed`` then ``torch.utils.data.distributed.DistributedSampler(ds)``, as
pytorch/examples imagenet/main.py does). The class is ``nnengine.data.DistributedSampler``.

Example:
    >>> import nnengine.utils.data.distributed
    >>> s = nnengine.utils.data.distributed.DistributedSampler(range(4), num_replicas=2, rank=0, shuffle=False)
    >>> list(s)
    [0, 2]
"""

from .sampler import DistributedSampler

__all__ = ["DistributedSampler"]
