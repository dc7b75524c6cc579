"""Datasets, samplers and DataLoader with PyTorch's names and semantics (``nnengine.utils.data`` is this
package): map-style and iterable datasets, ``Subset``/``ConcatDataset``/``random_split``, samplers, collation
and worker processes.

Example:
    >>> ds = TensorDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
    >>> for xb, yb in DataLoader(ds, batch_size=2):
    ...     print(xb.shape, yb.tolist())
    (2, 2) [0, 1]
    (2, 2) [2, 3]
    (1, 2) [4]
"""

from __future__ import annotations

import bisect
import collections.abc
import itertools
import math
import multiprocessing
import os
import queue
import random as _pyrandom
import sys
import traceback
from typing import (
    Any,
    Callable,
    Dict,
    Generic,
    Iterable,
    Iterator,
    List,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    Union,
)

import numpy as np

from .. import random as _random
from .._coerce import as_array
from ..tensor import Tensor

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "ChainDataset", "random_split",
           "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler", "DataLoader", "default_collate", "get_worker_info", "to_tensor"]

T = TypeVar("T")


class Dataset(Generic[T]):
    """A map-style dataset: subclasses implement ``__len__`` and ``__getitem__(i) -> sample``;
    ``a + b`` is a :class:`ConcatDataset`.

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...
        ...     def __getitem__(self, i):
        ...         return np.float32(i * i)
        >>> next(iter(DataLoader(Squares(), batch_size=4)))
        tensor([0., 1., 4., 9.])
    """

    def __len__(self) -> int:
        # torch's Dataset has no __len__: len() of a dataset without one is a TypeError, which list(), tqdm and
        # DataLoader.__len__ read as "no length" (an IterableDataset stream)
        raise TypeError(f"object of type '{type(self).__name__}' has no len()")

    def __getitem__(self, index: int) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses implement ``__iter__``. With ``num_workers > 0`` every worker
    iterates its own copy, so shard with :func:`get_worker_info` (torch's contract).

    Example:
        >>> class Count(IterableDataset):
        ...     def __iter__(self):
        ...         return iter(range(5))
        >>> [b.tolist() for b in DataLoader(Count(), batch_size=2)]
        [[0, 1], [2, 3], [4]]
    """

    def __iter__(self) -> Iterator[Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def __add__(self, other: Any) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the i-th rows of equally long arrays or Tensors, as Tensors (torch's: ``x, y = ds[0]`` then
    ``model(x.unsqueeze(0))``), sharing the stored memory; indexing with an index array or a slice gives the
    batch at once. The DataLoader batches a TensorDataset by slicing (no per-sample work).

    Example:
        >>> ds = TensorDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
        >>> ds[0]
        (tensor([0., 1.]), tensor(0))
        >>> len(ds), ds[np.array([1, 3])][1]
        (5, tensor([1, 3]))
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset: expected at least one array")
        self.arrays: Tuple[np.ndarray, ...] = tuple(as_array(a) for a in arrays)
        for i, a in enumerate(self.arrays):
            if a.ndim == 0:
                raise ValueError(f"arrays[{i}]: expected at least one dimension, got a scalar")
            if a.shape[0] != self.arrays[0].shape[0]:
                raise ValueError(
                    f"arrays[{i}]: expected {len(self)} samples (like arrays[0]), got {a.shape[0]}")

    @property
    def tensors(self) -> Tuple[Tensor, ...]:
        """torch's attribute: the stored data as Tensors (the same memory; ``arrays`` holds the numpy arrays).

        Example:
            >>> ds = TensorDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
            >>> [a.size(0) for a in ds.tensors]
            [5, 5]
        """
        return tuple(Tensor._wrap(a) for a in self.arrays)

    def __len__(self) -> int:
        return int(self.arrays[0].shape[0])

    def __getitem__(self, index: Any) -> Tuple[Tensor, ...]:
        return tuple(Tensor._wrap(np.asarray(a[index])) for a in self.arrays)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (in that order).

    Example:
        >>> ds = TensorDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
        >>> s = Subset(ds, [4, 0]); len(s), s[0][1]
        (2, tensor(4))
    """

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        if isinstance(idx, np.ndarray) and isinstance(self.dataset, TensorDataset):
            return self.dataset[np.asarray(self.indices)[idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several map-style datasets one after another (``cumulative_sizes`` as in torch).

    Example:
        >>> a, b = TensorDataset(np.zeros(3)), TensorDataset(np.ones(2))
        >>> c = ConcatDataset([a, b]); len(c), c.cumulative_sizes, c[3]
        (5, [3, 5], (tensor(1.),))
    """

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int) -> Any:
        idx = int(idx)
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        if idx >= len(self):
            raise IndexError(f"index {idx} is out of range for a dataset of {len(self)} samples")
        d = bisect.bisect_right(self.cumulative_sizes, idx)
        return self.datasets[d][idx - (self.cumulative_sizes[d - 1] if d else 0)]


class ChainDataset(IterableDataset):
    """Several iterable datasets chained.

    Example:
        >>> class Count(IterableDataset):
        ...     def __init__(self, n):
        ...         self.n = n
        ...
        ...     def __iter__(self):
        ...         return iter(range(self.n))
        >>> [i for i in ChainDataset([Count(2), Count(3)])]
        [0, 1, 0, 1, 2]
    """

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator[Any]:
        for d in self.datasets:
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


def _numpy_generator(generator: Any) -> np.random.Generator:
    """``generator=`` as a numpy Generator: None -> nnengine's global one (``ne.manual_seed``), a numpy
    Generator, an int seed, or an object carrying one (``.generator`` / ``._rng``, e.g. ``ne.Generator``)."""
    if generator is None:
        return _random.generator()
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    for attr in ("generator", "_rng", "_gen", "rng"):
        g = getattr(generator, attr, None)
        g = g() if callable(g) and not isinstance(g, np.random.Generator) else g
        if isinstance(g, np.random.Generator):
            return g
    raise TypeError(f"generator: expected None, a numpy Generator or an int seed, got {type(generator).__name__}")


def random_split(dataset: Any, lengths: Sequence[Union[int, float]], generator: Any = None) -> List[Subset]:
    """Split ``dataset`` into non-overlapping random :class:`Subset`\\ s of the given lengths, or of the given
    fractions (summing to 1; the remainder goes round-robin to the first subsets, torch's rule).

    Example:
        >>> ds = TensorDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
        >>> train, val = random_split(ds, [0.8, 0.2], generator=np.random.default_rng(0))
        >>> len(train), len(val)
        (4, 1)
    """
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        subset_lengths = [int(math.floor(n * frac)) for frac in lengths]
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        remainder = n - sum(subset_lengths)
        for i in range(remainder):
            subset_lengths[i % len(subset_lengths)] += 1
        lengths = subset_lengths
    lengths = [int(x) for x in lengths]
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    perm = _numpy_generator(generator).permutation(n).tolist()
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[offset:offset + length]))
        offset += length
    return out


# ------------------------------------------------------------------ samplers
class Sampler(Generic[T]):
    """Base class: an iterable of dataset indices (or of index lists, for batch samplers).

    Example:
        >>> class Reverse(Sampler):
        ...     def __init__(self, n):
        ...         self.n = n
        ...
        ...     def __iter__(self):
        ...         return iter(range(self.n - 1, -1, -1))
        >>> list(Reverse(3))
        [2, 1, 0]
    """

    def __init__(self, data_source: Any = None) -> None:
        pass

    def __iter__(self) -> Iterator[T]:  # pragma: no cover - abstract
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """0, 1, ..., len(data_source) - 1.

    Example:
        >>> list(SequentialSampler(range(3)))
        [0, 1, 2]
    """

    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """A random permutation per epoch (or ``num_samples`` draws with ``replacement``), from ``generator``
    (default: nnengine's global generator, so ``ne.manual_seed`` fixes it).

    Example:
        >>> sorted(RandomSampler(range(5), generator=np.random.default_rng(0)))
        [0, 1, 2, 3, 4]
    """

    def __init__(self, data_source: Any, replacement: bool = False, num_samples: Optional[int] = None,
                 generator: Any = None) -> None:
        self.data_source = data_source
        self.replacement = bool(replacement)
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        """How many indices one pass yields (``len(data_source)`` unless ``num_samples`` was given).

        Example:
            >>> RandomSampler(range(5), replacement=True, num_samples=8).num_samples
            8
        """
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        # Lazy, as torch's: ``num_samples`` may be practically endless (makemore's infinite loader asks for 1e10
        # draws with replacement), so indices come in chunks of 32 draws / one permutation at a time. Without a
        # ``generator`` the pass draws its own seed from the global one when it starts (torch's rule), so later
        # global draws (dropout, init) do not interleave with it.
        n, left = len(self.data_source), self.num_samples
        if self.generator is None:
            g = np.random.default_rng(int(_numpy_generator(None).integers(0, 2**63 - 1)))
        else:
            g = _numpy_generator(self.generator)
        while left > 0:
            chunk = g.integers(0, n, size=min(32, left)) if self.replacement else g.permutation(n)[:left]
            left -= len(chunk)
            yield from chunk.tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given indices in a random order each epoch.

    Example:
        >>> sorted(SubsetRandomSampler([1, 3, 5], generator=np.random.default_rng(0)))
        [1, 3, 5]
    """

    def __init__(self, indices: Sequence[int], generator: Any = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        perm = _numpy_generator(self.generator).permutation(len(self.indices))
        return (self.indices[i] for i in perm.tolist())

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``.

    Example:
        >>> s = WeightedRandomSampler([0.0, 1.0, 0.0], num_samples=4, generator=np.random.default_rng(0))
        >>> list(s)
        [1, 1, 1, 1]
    """

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Any = None) -> None:
        self.weights = np.asarray(as_array(weights), dtype=np.float64)
        self.num_samples, self.replacement, self.generator = int(num_samples), bool(replacement), generator

    def __iter__(self) -> Iterator[int]:
        p = self.weights / self.weights.sum()
        g = _numpy_generator(self.generator)
        return iter(g.choice(len(p), size=self.num_samples, replace=self.replacement, p=p).tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[List[int]]):
    """Groups a sampler's indices into lists of ``batch_size`` (the last one shorter unless ``drop_last``).

    Example:
        >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
        [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, int(batch_size), drop_last

    def __iter__(self) -> Iterator[List[int]]:
        it = iter(self.sampler)
        while True:
            batch = list(itertools.islice(it, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


# ------------------------------------------------------------------ collation
def to_tensor(a: Any) -> Tensor:
    """A batch as a Tensor: floats -> float32, integers (class labels) -> int64, bools stay bool (masks, as in
    torch's default_collate).

    Example:
        >>> to_tensor(np.arange(3)).dtype, to_tensor(np.ones(2)).dtype, to_tensor(np.ones(2, bool)).dtype
        (dtype('int64'), dtype('float32'), dtype('bool'))
    """
    if isinstance(a, Tensor):
        return a
    arr = np.asarray(a)
    if arr.dtype.kind == "b":
        return Tensor._wrap(np.ascontiguousarray(arr))
    if arr.dtype.kind in "iu":
        return Tensor(np.ascontiguousarray(arr, dtype=np.int64), dtype=np.int64)
    return Tensor(np.ascontiguousarray(arr, dtype=np.float32))


class _Positions(tuple):
    """Collated positions of tuple/list samples (a list once converted, as torch's default_collate gives)."""


def _collate(samples: List[Any]) -> Any:
    """Stack samples into numpy arrays (recursing into tuples/lists/dicts); strings stay lists."""
    first = samples[0]
    if isinstance(first, (str, bytes)):
        return list(samples)
    if isinstance(first, collections.abc.Mapping):
        return {k: _collate([s[k] for s in samples]) for k in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # namedtuple
        return type(first)(*(_collate(list(s)) for s in zip(*samples)))
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in samples):
            raise RuntimeError("each element in list of batch should be of equal size")
        return _Positions(_collate([s[i] for s in samples]) for i in range(len(first)))
    if first is None:
        return list(samples)
    return np.stack([as_array(s) for s in samples])


def _tensors(batch: Any) -> Any:
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(_tensors(b) for b in batch))
    if isinstance(batch, _Positions):  # torch: a list of batches, one per position of the samples
        return [_tensors(b) for b in batch]
    if isinstance(batch, tuple):
        return tuple(_tensors(b) for b in batch)
    if isinstance(batch, dict):
        return {k: _tensors(v) for k, v in batch.items()}
    if isinstance(batch, list):  # strings / None
        return batch
    return to_tensor(batch)


def default_collate(batch: List[Any]) -> Any:
    """torch's ``default_collate``: a list of samples -> a batch. Tensors, numpy arrays and numbers are
    stacked into one Tensor along a new first dim (floats -> float32, nnengine's compute type; integers ->
    int64; bools stay bool, so masks index), dicts collate per key, tuples/lists per position (a list of batches, as torch's),
    namedtuples per field, strings stay a list.

    Example:
        >>> xb, yb = default_collate([(np.ones(3), 1), (np.zeros(3), 0)])
        >>> xb.shape, yb
        ((2, 3), tensor([1, 0]))
    """
    if len(batch) == 0:
        raise ValueError("default_collate: expected a non-empty list of samples")
    return _tensors(_collate(list(batch)))


# ------------------------------------------------------------------ workers
class WorkerInfo:
    """What :func:`get_worker_info` returns inside a worker: ``id``, ``num_workers``, ``seed``, ``dataset``."""

    def __init__(self, id: int, num_workers: int, seed: int, dataset: Any) -> None:  # noqa: A002
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self) -> str:
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


_worker_info: Optional[WorkerInfo] = None


def get_worker_info() -> Optional[WorkerInfo]:
    """In a DataLoader worker process: its :class:`WorkerInfo`; in the main process: None.

    Example:
        >>> get_worker_info() is None  # in the main process
        True
    """
    return _worker_info


class _WorkerError:
    def __init__(self, worker_id: int, exc: BaseException) -> None:
        self.msg = (f"Caught {type(exc).__name__} in DataLoader worker process {worker_id}.\nOriginal "
                    + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        self.exc_type = type(exc)

    def reraise(self) -> None:
        try:
            err = self.exc_type(self.msg)
        except Exception:  # noqa: BLE001 - exception types with other signatures
            err = RuntimeError(self.msg)
        raise err


_STOP = "__nne_worker_stop__"


def _worker_loop(dataset: Any, index_queue: Any, result_queue: Any, collate: Optional[Callable[..., Any]],
                 worker_id: int, num_workers: int, seed: int, init_fn: Optional[Callable[[int], Any]],
                 iterable: bool, batch_size: Optional[int], drop_last: bool) -> None:
    global _worker_info
    try:
        _pyrandom.seed(seed)
        np.random.seed(seed % 2**32)
        _random.manual_seed(seed % 2**63)
        _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
        if init_fn is not None:
            init_fn(worker_id)
        fetch = collate if collate is not None else _collate
        if iterable:  # stream this worker's copy: batches tagged (worker_id, k)
            it = iter(dataset)
            k = 0
            while True:
                if batch_size is None:
                    try:
                        item = next(it)
                    except StopIteration:
                        break
                    out = item if collate is None else collate(item)
                else:
                    samples = list(itertools.islice(it, batch_size))
                    if not samples or (drop_last and len(samples) < batch_size):
                        break
                    out = fetch(samples)
                result_queue.put(((worker_id, k), out))
                k += 1
            result_queue.put(((worker_id, -1), None))
            index_queue.get()  # wait for the stop message so the queue feeder thread can flush
            return
        while True:
            task = index_queue.get()
            if task == _STOP:
                return
            n, idx, batched = task
            try:
                if batched:
                    samples = [dataset[i] for i in idx]
                    out = fetch(samples)
                else:
                    out = dataset[idx] if collate is None else collate(dataset[idx])
            except Exception as e:  # noqa: BLE001 - re-raised in the main process
                out = _WorkerError(worker_id, e)
            result_queue.put((n, out))
    except KeyboardInterrupt:
        pass
    except Exception as e:  # noqa: BLE001 - e.g. worker_init_fn failed
        result_queue.put((None, _WorkerError(worker_id, e)))


class _Workers:
    """A pool of worker processes fed through one index queue per worker and one result queue."""

    def __init__(self, loader: DataLoader, seed: int, iterable: bool) -> None:
        ctx = loader.multiprocessing_context
        if ctx is None:
            ctx = "fork" if sys.platform.startswith("linux") else "spawn"
        if isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx)
        self.n = loader.num_workers
        self.result_queue = ctx.Queue()
        self.index_queues = []
        self.procs = []
        collate = loader.collate_fn if loader.collate_fn is not default_collate else None
        for w in range(self.n):
            iq = ctx.Queue()
            p = ctx.Process(target=_worker_loop, daemon=True,
                            args=(loader.dataset, iq, self.result_queue, collate, w, self.n, seed + w,
                                  loader.worker_init_fn, iterable, loader.batch_size, loader.drop_last))
            p.start()
            self.index_queues.append(iq)
            self.procs.append(p)
        self.timeout = loader.timeout

    def get(self) -> Tuple[Any, Any]:
        waited = 0.0
        while True:
            try:
                key, out = self.result_queue.get(timeout=1.0)
            except queue.Empty:
                waited += 1.0
                dead = [p for p in self.procs if not p.is_alive() and p.exitcode not in (0, None)]
                if dead:
                    self.shutdown()
                    raise RuntimeError(f"DataLoader worker (pid(s) {', '.join(str(p.pid) for p in dead)}) exited "
                                       "unexpectedly") from None
                if self.timeout and waited >= self.timeout:
                    self.shutdown()
                    raise RuntimeError(f"DataLoader timed out after {self.timeout} seconds") from None
                continue
            if isinstance(out, _WorkerError):
                self.shutdown()
                out.reraise()
            return key, out

    def shutdown(self) -> None:
        for iq in self.index_queues:
            try:
                iq.put(_STOP)
            except (OSError, ValueError):
                pass
        for p in self.procs:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
                p.join(timeout=1)
        for q in self.index_queues + [self.result_queue]:
            q.close()
            q.join_thread()
        self.procs = []


class DataLoader:
    """Iterate over a dataset in mini-batches (torch.utils.data.DataLoader's signature and semantics).

    * ``shuffle`` draws a fresh permutation per epoch from ``generator`` (default: nnengine's global
      generator, so ``ne.manual_seed`` makes it reproducible), or, when ``seed`` (nnengine's keyword) is given,
      from ``default_rng([seed, epoch])`` where ``epoch`` counts the iterations started (``set_epoch``).
    * ``sampler`` (indices) or ``batch_sampler`` (lists of indices) fix the order instead; ``batch_size=None``
      disables batching (each sample goes through ``collate_fn`` alone, as torch's ``default_convert``).
    * ``collate_fn`` builds a batch from a list of samples; the default, :func:`default_collate`, stacks into
      Tensors: floats become float32 (nnengine computes in float32), integers int64.
    * ``num_workers > 0`` loads batches in that many worker processes (``fork`` on Linux,
      ``multiprocessing_context`` otherwise), ``prefetch_factor`` batches ahead per worker, always delivered in
      sampler order, each sample exactly once per epoch. Worker ``w`` is seeded with ``base_seed + w``
      (Python's ``random``, numpy's global RNG and nnengine's), ``base_seed`` drawn from ``generator``;
      ``worker_init_fn(w)`` runs first and :func:`get_worker_info` tells the dataset where it runs.
      ``persistent_workers`` keeps them between epochs. An :class:`IterableDataset` is iterated by every
      worker (shard with ``get_worker_info``), batches interleaved round-robin like torch.
      A :class:`TensorDataset` with the default collation is batched by slicing in the main process (no
      per-sample work to parallelise), so workers are not started for it.
    * A list (or any sequence) is a dataset of its elements, as in torch (``DataLoader(pairs, collate_fn=f)``
      hands ``f`` lists of those pairs); a tuple of arrays ``(X, y)`` is nnengine's shorthand for
      ``TensorDataset(X, y)``.
    * ``pin_memory``, ``pin_memory_device`` and ``in_order`` are accepted (CPU only; batches are always in
      order).

    Example:
        >>> ds = TensorDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
        >>> loader = DataLoader(ds, batch_size=2, shuffle=True, seed=0)
        >>> [tuple(xb.shape) for xb, yb in loader]
        [(2, 2), (2, 2), (1, 2)]
    """

    def __init__(self, dataset: Any, batch_size: Optional[int] = 1, shuffle: Optional[bool] = None,
                 sampler: Any = None, batch_sampler: Any = None, num_workers: int = 0,
                 collate_fn: Optional[Callable[[List[Any]], Any]] = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Optional[Callable[[int], Any]] = None,
                 multiprocessing_context: Any = None, generator: Any = None, *, prefetch_factor: Optional[int] = None,
                 persistent_workers: bool = False, pin_memory_device: str = "", in_order: bool = True,
                 seed: Optional[int] = None) -> None:
        if (isinstance(dataset, tuple) and dataset and not isinstance(dataset, Dataset)
                and all(isinstance(a, (np.ndarray, Tensor)) and a.ndim >= 1 for a in dataset)):
            dataset = TensorDataset(*dataset)  # nnengine's (X, y) shorthand; a list is a list of samples (torch)
        iterable = isinstance(dataset, IterableDataset)
        if not iterable and not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError("dataset: expected a Dataset (with __len__ and __getitem__), "
                            f"got {type(dataset).__name__}")
        if batch_size is not None:
            if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
                raise TypeError(f"batch_size: expected an int, got {type(batch_size).__name__}")
            if batch_size < 1:
                raise ValueError(f"batch_size: expected >= 1, got {batch_size}")
        bad_seed = isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
        if seed is not None and bad_seed:
            raise ValueError(f"seed: expected a non-negative int or None, got {seed!r}")
        if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if iterable:
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler/batch_sampler")
        if sampler is not None:
            if shuffle:
                raise ValueError("sampler option is mutually exclusive with shuffle")
            if not hasattr(sampler, "__iter__"):
                raise TypeError(f"sampler: expected an iterable of indices, got {type(sampler).__name__}")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")
        self.dataset = dataset
        self._sampler = sampler  # None: the loader's own order (sequential, or shuffled per epoch)
        self._batch_sampler = batch_sampler
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = None if seed is None else int(seed)
        self.num_workers = int(num_workers)
        self.collate_fn = collate_fn
        self.pin_memory, self.pin_memory_device, self.in_order = bool(pin_memory), pin_memory_device, in_order
        self.timeout = float(timeout)
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers > 0 else prefetch_factor
        self.persistent_workers = bool(persistent_workers)
        self._pool: Optional[_Workers] = None
        self.epoch = 0

    @property
    def sampler(self) -> Any:
        """The sampler given, else torch's default for the loader: a :class:`RandomSampler` when shuffling, a
        :class:`SequentialSampler` otherwise (``len(loader.sampler)`` is the number of samples an epoch draws;
        the loader's own shuffle draws its order as the docstring above says).

        Example:
            >>> ds = TensorDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
            >>> type(DataLoader(ds, batch_size=2).sampler).__name__, len(DataLoader(ds, shuffle=True).sampler)
            ('SequentialSampler', 5)
        """
        if self._sampler is not None or isinstance(self.dataset, IterableDataset):
            return self._sampler
        return RandomSampler(self.dataset, generator=self.generator) if self.shuffle else \
            SequentialSampler(self.dataset)

    @property
    def batch_sampler(self) -> Any:
        """The batch sampler given, else torch's default: a :class:`BatchSampler` over :attr:`sampler` (None when
        batching is off).

        Example:
            >>> ds = TensorDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
            >>> len(DataLoader(ds, batch_size=2, drop_last=True).batch_sampler)
            2
        """
        if self._batch_sampler is not None or self.batch_size is None or isinstance(self.dataset, IterableDataset):
            return self._batch_sampler
        return BatchSampler(self.sampler, self.batch_size, self.drop_last)

    def set_epoch(self, epoch: int) -> None:
        """The epoch number the next iteration's seeded shuffle uses.

        Example:
            >>> ds = TensorDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
            >>> loader = DataLoader(ds, batch_size=5, shuffle=True, seed=0)
            >>> loader.set_epoch(1); first = next(iter(loader))[1].tolist()
            >>> loader.set_epoch(1); next(iter(loader))[1].tolist() == first
            True
        """
        self.epoch = int(epoch)

    def __len__(self) -> int:
        if isinstance(self.dataset, IterableDataset):
            n = len(self.dataset)  # TypeError if the stream has no length, as in torch
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self._batch_sampler is not None:
            return len(self._batch_sampler)
        n = len(self.dataset) if self._sampler is None else len(self._sampler)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self) -> np.ndarray:
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        if self.seed is not None:
            gen = np.random.default_rng([self.seed, self.epoch])
        else:
            gen = _numpy_generator(self.generator)
        return gen.permutation(n)

    def _batches(self) -> Iterator[Any]:
        if self._batch_sampler is not None:
            self.epoch += 1
            yield from (list(b) for b in self._batch_sampler)
            return
        if self._sampler is not None:  # streamed: a sampler may be practically endless (num_samples=int(1e10))
            it = iter(self._sampler)
            self.epoch += 1
            if self.batch_size is None:
                yield from (int(i) for i in it)
                return
            while True:
                idx = list(itertools.islice(it, self.batch_size))
                if not idx or (self.drop_last and len(idx) < self.batch_size):
                    return
                yield np.asarray(idx, dtype=np.int64)
        order = self._order()
        self.epoch += 1
        if self.batch_size is None:
            yield from (int(i) for i in order)
            return
        n, b = len(order), self.batch_size
        stop = n - n % b if self.drop_last else n
        for i in range(0, stop, b):
            yield order[i : i + b]

    def _finish(self, out: Any) -> Any:
        return _tensors(out) if self.collate_fn is None else out

    def _fetch(self, idx: Any) -> Any:
        if self.batch_size is None and self._batch_sampler is None:
            sample = self.dataset[idx]
            return sample if self.collate_fn is None else self.collate_fn(sample)
        samples = [self.dataset[int(i)] for i in idx]
        return self._finish(_collate(samples) if self.collate_fn is None else self.collate_fn(samples))

    def _base_seed(self) -> int:
        return int(_numpy_generator(self.generator).integers(0, 2**62))

    def __iter__(self) -> Iterator[Any]:
        if isinstance(self.dataset, IterableDataset):
            yield from (self._iter_workers_stream() if self.num_workers else self._iter_stream())
            return
        fast = isinstance(self.dataset, TensorDataset) and self.collate_fn is None and self.batch_size is not None
        if fast:  # batch by slicing: one fancy index per array
            for idx in self._batches():
                rows = np.asarray(idx, dtype=np.int64)
                yield _tensors(_Positions(a[rows] for a in self.dataset.arrays))
            return
        if self.num_workers == 0:
            for idx in self._batches():
                yield self._fetch(idx)
            return
        yield from self._iter_workers()

    def _iter_stream(self) -> Iterator[Any]:
        it = iter(self.dataset)
        if self.batch_size is None:
            for item in it:
                yield item if self.collate_fn is None else self.collate_fn(item)
            return
        while True:
            samples = list(itertools.islice(it, self.batch_size))
            if not samples or (self.drop_last and len(samples) < self.batch_size):
                return
            yield self._finish(_collate(samples) if self.collate_fn is None else self.collate_fn(samples))

    def _iter_workers_stream(self) -> Iterator[Any]:
        pool = _Workers(self, self._base_seed(), iterable=True)
        try:
            pending: Dict[Tuple[int, int], Any] = {}
            alive = list(range(pool.n))
            nxt = {w: 0 for w in alive}
            w_pos = 0
            while alive:
                w = alive[w_pos % len(alive)]
                key = (w, nxt[w])
                while key not in pending and (w, -1) not in pending:
                    k, out = pool.get()
                    pending[k] = out
                if key in pending:
                    out = pending.pop(key)
                    nxt[w] += 1
                    w_pos += 1
                    yield out if self.collate_fn is not None or self.batch_size is None else _tensors(out)
                else:  # worker w is exhausted
                    pending.pop((w, -1))
                    alive.remove(w)
        finally:
            pool.shutdown()

    def _iter_workers(self) -> Iterator[Any]:
        pool = self._pool
        if pool is None or not pool.procs or not self.persistent_workers:
            pool = _Workers(self, self._base_seed(), iterable=False)
            if self.persistent_workers:
                self._pool = pool
        batched = not (self.batch_size is None and self._batch_sampler is None)
        tasks = enumerate(self._batches())
        sent = received = 0
        done = False
        pending: Dict[int, Any] = {}
        ahead = pool.n * int(self.prefetch_factor or 2)
        try:
            while True:
                while not done and sent - received < ahead:
                    nxt = next(tasks, None)
                    if nxt is None:
                        done = True
                        break
                    n, idx = nxt
                    idx = [int(i) for i in idx] if batched else int(idx)
                    pool.index_queues[n % pool.n].put((n, idx, batched))
                    sent += 1
                if received == sent and done:
                    return
                while received not in pending:
                    k, out = pool.get()
                    pending[k] = out
                out = pending.pop(received)
                received += 1
                yield self._finish(out) if batched else out
        finally:
            if not self.persistent_workers:
                pool.shutdown()
            else:  # an abandoned epoch: drain the batches still in flight so the next one starts clean
                for _ in range(sent - received - len(pending)):
                    try:
                        pool.get()
                    except Exception:  # noqa: BLE001 - a failing batch of an abandoned epoch
                        break

    def __del__(self) -> None:
        pool = self.__dict__.get("_pool")
        if pool is not None and pool.procs and os.getpid() is not None:
            try:
                pool.shutdown()
            except Exception:  # noqa: BLE001 - interpreter shutdown
                pass
