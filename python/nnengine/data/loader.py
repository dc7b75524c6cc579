"""Dataset, TensorDataset and DataLoader (PyTorch's names): mini-batches of Tensors.

Example:
    >>> ds = TensorDataset(x_train, y_train)
    >>> for xb, yb in DataLoader(ds, batch_size=64, shuffle=True):
    ...     loss = F.cross_entropy(model(xb), yb)
"""

from __future__ import annotations

from typing import Any, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from .. import random as _random
from ..tensor import Tensor

__all__ = ["Dataset", "TensorDataset", "DataLoader", "to_tensor"]


class Dataset:
    """A map-style dataset: subclasses implement ``__len__`` and ``__getitem__(i) -> sample``."""

    def __len__(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def __getitem__(self, index: int) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


def _array(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


class TensorDataset(Dataset):
    """Samples are the i-th rows of equally long arrays or Tensors; indexing with an index array is batched.

    Example:
        >>> ds = TensorDataset(x, y); ds[0]   # (x[0], y[0])
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset: expected at least one array")
        self.arrays: Tuple[np.ndarray, ...] = tuple(_array(a) for a in arrays)
        for i, a in enumerate(self.arrays):
            if a.ndim == 0:
                raise ValueError(f"arrays[{i}]: expected at least one dimension, got a scalar")
            if a.shape[0] != self.arrays[0].shape[0]:
                raise ValueError(
                    f"arrays[{i}]: expected {len(self)} samples (like arrays[0]), got {a.shape[0]}")

    def __len__(self) -> int:
        return int(self.arrays[0].shape[0])

    def __getitem__(self, index: Any) -> Tuple[np.ndarray, ...]:
        return tuple(a[index] for a in self.arrays)


def to_tensor(a: Any) -> Tensor:
    """A batch as a Tensor: floats -> float32, integers (class labels) -> int64, bools -> float32."""
    if isinstance(a, Tensor):
        return a
    arr = np.asarray(a)
    if arr.dtype.kind in "iu":
        return Tensor(np.ascontiguousarray(arr, dtype=np.int64), dtype=np.int64)
    return Tensor(np.ascontiguousarray(arr, dtype=np.float32))


def _collate(samples: List[Any]) -> Any:
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(_collate([s[i] for s in samples]) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: _collate([s[k] for s in samples]) for k in first}
    return np.stack([_array(s) for s in samples])


def _tensors(batch: Any) -> Any:
    if isinstance(batch, tuple):
        return tuple(_tensors(b) for b in batch)
    if isinstance(batch, dict):
        return {k: _tensors(v) for k, v in batch.items()}
    return to_tensor(batch)


class DataLoader:
    """Iterate over a dataset in mini-batches of Tensors (float32 inputs, int64 class labels).

    Each epoch (each ``iter(loader)``) visits every sample exactly once; with ``drop_last`` the final
    incomplete batch is skipped. ``shuffle`` draws a fresh permutation per epoch from ``nnengine.random``
    (so ``ne.manual_seed`` makes it reproducible), or, when ``seed`` is given, from
    ``default_rng([seed, epoch])`` where ``epoch`` counts the iterations started (``set_epoch`` sets it,
    e.g. when resuming).

    ``sampler`` (PyTorch's): an iterable of dataset indices with ``__len__`` that fixes the order instead
    (e.g. a ``DistributedSampler``, or a list of indices); it excludes ``shuffle``.

    Example:
        >>> loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, seed=0)
        >>> for xb, yb in loader: ...
        >>> DataLoader(ds, batch_size=32, sampler=DistributedSampler(ds))
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False, drop_last: bool = False,
                 seed: Optional[int] = None, sampler: Any = None) -> None:
        if isinstance(dataset, (tuple, list)) and dataset and not isinstance(dataset, Dataset):
            dataset = TensorDataset(*dataset)
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError("dataset: expected a Dataset (with __len__ and __getitem__), "
                            f"got {type(dataset).__name__}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"batch_size: expected an int, got {type(batch_size).__name__}")
        if batch_size < 1:
            raise ValueError(f"batch_size: expected >= 1, got {batch_size}")
        bad_seed = isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
        if seed is not None and bad_seed:
            raise ValueError(f"seed: expected a non-negative int or None, got {seed!r}")
        if sampler is not None:
            if shuffle:
                raise ValueError("sampler option is mutually exclusive with shuffle")
            if not (hasattr(sampler, "__iter__") and hasattr(sampler, "__len__")):
                raise TypeError(f"sampler: expected an iterable of indices with a length, got {type(sampler).__name__}")
        self.sampler = sampler
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = None if seed is None else int(seed)
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """The epoch number the next iteration's seeded shuffle uses."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self) -> np.ndarray:
        if self.sampler is not None:
            return np.fromiter(iter(self.sampler), dtype=np.int64)
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        gen = np.random.default_rng([self.seed, self.epoch]) if self.seed is not None else _random.generator()
        return gen.permutation(n)

    def _batches(self) -> Iterator[np.ndarray]:
        order = self._order()
        self.epoch += 1
        n, b = len(order), self.batch_size
        stop = n - n % b if self.drop_last else n
        for i in range(0, stop, b):
            yield order[i : i + b]

    def __iter__(self) -> Iterator[Any]:
        batched = isinstance(self.dataset, TensorDataset)
        for idx in self._batches():
            if batched:
                batch = self.dataset[idx]
            else:
                batch = _collate([self.dataset[int(i)] for i in idx])
            yield _tensors(batch)


def as_arrays(data: Any) -> Sequence[np.ndarray]:
    """(X, y) from a DataLoader/TensorDataset/tuple, concatenated (used by evaluate helpers)."""
    if isinstance(data, DataLoader):
        data = data.dataset
    if isinstance(data, TensorDataset):
        return data.arrays
    if isinstance(data, (tuple, list)):
        return tuple(_array(a) for a in data)
    raise TypeError("data: expected a DataLoader, a TensorDataset or an (X, y) tuple, "
                    f"got {type(data).__name__}")
