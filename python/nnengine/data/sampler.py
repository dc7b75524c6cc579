"""``DistributedSampler``: each rank's share of a dataset's indices, PyTorch's semantics. Also the module path
``torch.utils.data.sampler`` (``from torch.utils.data.sampler import Sampler``): the samplers of
:mod:`nnengine.data.loader` are re-exported here.

Example:
    >>> from nnengine.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(np.arange(8.0))
    >>> sampler = DistributedSampler(ds, num_replicas=2, rank=0, shuffle=True, seed=0)
    >>> for epoch in range(2):
    ...     sampler.set_epoch(epoch)  # a new shuffle each epoch
    ...     print(sum(len(xb) for (xb,) in DataLoader(ds, batch_size=2, sampler=sampler)))
    4
    4
"""

from __future__ import annotations

import math
from typing import Any, Iterator, Optional

import numpy as np

from .loader import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = ["DistributedSampler", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


class DistributedSampler:
    """The indices of ``dataset`` this rank visits in an epoch (``torch.utils.data.DistributedSampler``).

    Every rank gets ``num_samples`` indices: without ``drop_last`` ``ceil(len / num_replicas)``, the
    (shuffled) index list padded by repeating its start so it divides evenly; with ``drop_last`` the tail is
    dropped instead (``ceil((len - num_replicas) / num_replicas)`` each). Rank ``r`` takes positions
    ``r, r + num_replicas, ...``, so over all ranks every sample appears exactly once per epoch (plus the
    padding repeats). ``shuffle`` permutes with ``numpy.random.default_rng(seed + epoch)``: the same
    permutation on every rank, a new one per ``set_epoch`` (the permutation differs from torch's, which
    comes from torch's generator; the padding and striding are torch's exactly).
    ``num_replicas`` and ``rank`` default to ``nnengine.distributed``'s world size and rank.

    Example:
        >>> s = DistributedSampler(range(10), num_replicas=3, rank=2, shuffle=False)
        >>> list(s), len(s)
        ([2, 5, 8, 1], 4)
    """

    def __init__(self, dataset: Any, num_replicas: Optional[int] = None, rank: Optional[int] = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        from ..distributed import process_group as pg

        if num_replicas is None:
            num_replicas = pg.get_world_size()
        if rank is None:
            rank = pg.get_rank()
        if isinstance(num_replicas, bool) or not isinstance(num_replicas, (int, np.integer)) or num_replicas < 1:
            raise ValueError(f"num_replicas: expected a positive int, got {num_replicas!r}")
        if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas, self.rank = int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last = bool(shuffle), int(seed), bool(drop_last)
        self.epoch = 0
        n = len(dataset)
        if self.drop_last and n % self.num_replicas != 0:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def set_epoch(self, epoch: int) -> None:
        """The epoch the next iteration shuffles for (call it before each epoch, like torch).

        Example:
            >>> s = DistributedSampler(range(6), num_replicas=2, rank=0, seed=0)
            >>> s.set_epoch(0); a = list(s)
            >>> s.set_epoch(1); list(s) != a  # another shuffle, the same every run
            True
        """
        self.epoch = int(epoch)

    def indices(self) -> np.ndarray:
        """This rank's indices for the current epoch, as an int64 array.

        Example:
            >>> DistributedSampler(range(6), num_replicas=2, rank=1, shuffle=False).indices()
            array([1, 3, 5])
        """
        n = len(self.dataset)
        if self.shuffle:
            idx = np.random.default_rng(self.seed + self.epoch).permutation(n).astype(np.int64)
        else:
            idx = np.arange(n, dtype=np.int64)
        if not self.drop_last:
            pad = self.total_size - n
            if pad > 0 and n > 0:
                idx = np.concatenate([idx, np.tile(idx, math.ceil(pad / n))[:pad]])
        else:
            idx = idx[:self.total_size]
        return idx[self.rank:self.total_size:self.num_replicas]

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return self.num_samples
