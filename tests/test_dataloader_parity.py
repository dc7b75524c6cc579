"""torch.utils.data parity: DataLoader options (workers, collate_fn, samplers, batch_sampler, batch_size=None,
IterableDataset), datasets (Subset, ConcatDataset, random_split), default_collate, samplers."""

from __future__ import annotations

import collections
import itertools
import os

import numpy as np
import pytest

import nnengine as ne
from nnengine.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    get_worker_info,
    random_split,
)


class Squares(Dataset):
    def __init__(self, n=23):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full(3, i, np.float32), i * i


class Seen(Dataset):
    """Samples report the worker that loaded them and a draw from the worker's seeded numpy RNG."""

    def __len__(self):
        return 40

    def __getitem__(self, i):
        info = get_worker_info()
        return {"i": i, "wid": -1 if info is None else info.id, "pid": os.getpid(), "r": np.random.rand()}


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))


def _flat(loader):
    return [int(v) for b in loader for v in np.asarray(b["i"].numpy() if isinstance(b, dict) else b[1].numpy())]


@pytest.mark.parametrize("num_workers", [0, 1, 2, 3])
@pytest.mark.parametrize("shuffle", [False, True])
def test_workers_every_sample_once_in_order(num_workers, shuffle):
    ne.manual_seed(0)
    ds = Seen()
    ref = list(DataLoader(ds, batch_size=6, shuffle=shuffle, generator=np.random.default_rng(5)))
    got = list(DataLoader(ds, batch_size=6, shuffle=shuffle, num_workers=num_workers,
                          generator=np.random.default_rng(5)))
    assert [b["i"].numpy().tolist() for b in got] == [b["i"].numpy().tolist() for b in ref]
    idx = sorted(int(i) for b in got for i in b["i"].numpy())
    assert idx == list(range(40))
    wids = {int(w) for b in got for w in b["wid"].numpy()}
    assert wids == ({-1} if num_workers == 0 else set(range(num_workers)))
    if num_workers:
        assert all(int(p) != os.getpid() for b in got for p in b["pid"].numpy())


def test_workers_are_seeded_deterministically():
    def draws(seed):
        loader = DataLoader(Seen(), batch_size=5, num_workers=2, generator=np.random.default_rng(seed))
        return np.concatenate([b["r"].numpy() for b in loader])
    a, b, c = draws(1), draws(1), draws(2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # the workers' numpy streams differ from each other (seed = base_seed + worker id)
    assert len(set(np.round(a, 6))) == len(a)


def test_worker_init_fn_and_info(tmp_path):
    def init(wid):
        info = get_worker_info()
        assert info.id == wid and info.num_workers == 2 and info.dataset is not None
        (tmp_path / f"w{wid}").write_text(str(info.seed))

    list(DataLoader(Squares(), batch_size=4, num_workers=2, worker_init_fn=init))
    seeds = [int((tmp_path / f"w{w}").read_text()) for w in range(2)]
    assert seeds[1] == seeds[0] + 1
    assert get_worker_info() is None


def test_worker_error_is_reraised():
    class Bad(Squares):
        def __getitem__(self, i):
            if i == 7:
                raise KeyError("sample 7 is broken")
            return super().__getitem__(i)

    with pytest.raises(KeyError, match="sample 7 is broken"):
        list(DataLoader(Bad(), batch_size=4, num_workers=2))


def test_persistent_workers_and_early_break():
    loader = DataLoader(Squares(30), batch_size=4, num_workers=2, persistent_workers=True, pin_memory=True,
                        prefetch_factor=3)
    for e in range(3):
        for k, _ in enumerate(loader):
            if e == 1 and k == 2:
                break
        if e != 1:
            assert k == len(loader) - 1
    pids = [p.pid for p in loader._pool.procs]
    assert len(pids) == 2 and all(p.is_alive() for p in loader._pool.procs)
    out = [y.numpy().tolist() for _, y in loader]
    assert [p.pid for p in loader._pool.procs] == pids
    assert sum(out, []) == [i * i for i in range(30)]
    loader._pool.shutdown()


def test_collate_fn_and_batch_sampler():
    ds = Squares(10)

    def collate(samples):
        return [s[1] for s in samples]

    assert list(DataLoader(ds, batch_size=4, collate_fn=collate)) == [[0, 1, 4, 9], [16, 25, 36, 49], [64, 81]]
    assert list(DataLoader(ds, batch_size=4, collate_fn=collate, num_workers=2)) == \
        [[0, 1, 4, 9], [16, 25, 36, 49], [64, 81]]
    bs = BatchSampler(SequentialSampler(ds), batch_size=3, drop_last=True)
    loader = DataLoader(ds, batch_sampler=bs, collate_fn=collate)
    assert len(loader) == 3 and list(loader) == [[0, 1, 4], [9, 16, 25], [36, 49, 64]]
    loader = DataLoader(ds, batch_sampler=[[9, 0], [3]])
    assert [y.numpy().tolist() for _, y in loader] == [[81, 0], [9]]
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, batch_size=2, batch_sampler=bs)
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(ds, sampler=[0, 1], shuffle=True)


def test_sampler_and_unbatched():
    ds = Squares(6)
    loader = DataLoader(ds, batch_size=2, sampler=[5, 4, 0])
    assert len(loader) == 2 and [y.numpy().tolist() for _, y in loader] == [[25, 16], [0]]
    items = list(DataLoader(ds, batch_size=None))
    assert len(items) == 6 and items[2][1] == 4
    td = TensorDataset(np.arange(12, dtype=np.float32).reshape(6, 2), np.arange(6))
    xb, yb = next(iter(DataLoader(td, batch_size=4, sampler=RandomSampler(td, generator=np.random.default_rng(0)))))
    assert xb.shape == (4, 2) and yb.dtype == np.int64
    np.testing.assert_array_equal(xb.numpy()[:, 0], 2 * yb.numpy())


def test_iterable_dataset():
    assert [b.numpy().tolist() for b in DataLoader(Stream(7), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    got = [b.numpy().tolist() for b in DataLoader(Stream(10), batch_size=2, num_workers=2)]
    # torch's interleaving: worker 0's batch, worker 1's batch, ...
    assert got == [[0, 2], [1, 3], [4, 6], [5, 7], [8], [9]]
    assert sorted(sum(got, [])) == list(range(10))
    with pytest.raises(ValueError, match="shuffle"):
        DataLoader(Stream(3), shuffle=True)
    # a stream without __len__: len() is a TypeError (as torch), so list() and tqdm treat it as unsized
    assert [b.numpy().tolist() for b in list(DataLoader(Stream(3), batch_size=2))] == [[0, 1], [2]]
    with pytest.raises(TypeError, match="has no len"):
        len(DataLoader(Stream(3)))
    from tqdm import tqdm

    assert len(list(tqdm(DataLoader(Stream(4), batch_size=2), disable=True))) == 2


def test_subset_concat_random_split():
    ds = Squares(10)
    sub = Subset(ds, [3, 1])
    assert len(sub) == 2 and sub[0][1] == 9
    cat = ConcatDataset([ds, Squares(5)])
    assert len(cat) == 15 and cat[12][1] == 4 and cat[-1][1] == 16 and cat.cumulative_sizes == [10, 15]
    assert len(ds + Squares(2)) == 12
    a, b = random_split(ds, [7, 3], generator=np.random.default_rng(0))
    assert len(a) == 7 and len(b) == 3 and sorted(a.indices + b.indices) == list(range(10))
    parts = random_split(range(11), [0.5, 0.3, 0.2], generator=np.random.default_rng(1))
    assert [len(p) for p in parts] == [6, 3, 2]  # torch's remainder rule: floor + round-robin
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [5, 4])
    ne.manual_seed(3)
    s1 = random_split(ds, [5, 5])[0].indices
    ne.manual_seed(3)
    assert random_split(ds, [5, 5])[0].indices == s1
    td = TensorDataset(np.arange(10, dtype=np.float32), np.arange(10))
    xb, yb = next(iter(DataLoader(Subset(td, [4, 2, 8]), batch_size=3)))
    assert yb.numpy().tolist() == [4, 2, 8]


def test_random_split_matches_torch_lengths(torch):
    for lengths in ([0.5, 0.5], [0.3, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4], [1 / 3] * 3):
        for n in (7, 10, 11, 101):
            ours = [len(s) for s in random_split(range(n), lengths)]
            ref = [len(s) for s in torch.utils.data.random_split(range(n), lengths)]
            assert ours == ref, (lengths, n)


def test_default_collate_like_torch(torch):
    Point = collections.namedtuple("Point", "x y")
    batch = [{"a": np.ones(2, np.float32), "b": 1, "c": 0.5, "s": "x", "p": Point(1, 2.0), "t": ne.tensor([1.0])},
             {"a": np.zeros(2, np.float32), "b": 2, "c": 1.5, "s": "y", "p": Point(3, 4.0), "t": ne.tensor([2.0])}]
    out = default_collate(batch)
    ref = torch.utils.data.default_collate(
        [{k: (torch.tensor(v.numpy()) if isinstance(v, ne.Tensor) else v) for k, v in s.items()} for s in batch])
    assert set(out) == set(ref)
    for k in ("a", "b", "c", "t"):
        np.testing.assert_array_equal(out[k].numpy(), ref[k].numpy())
    assert out["b"].dtype == np.int64 and out["c"].dtype == np.float32  # nnengine: floats -> float32
    assert out["s"] == ref["s"] == ["x", "y"]
    assert isinstance(out["p"], Point) and out["p"].x.numpy().tolist() == [1, 3]
    x, y = default_collate([(np.ones(3), 1), (np.zeros(3), 0)])
    assert x.shape == (2, 3) and y.numpy().tolist() == [1, 0]


def test_samplers_like_torch(torch):
    assert list(SequentialSampler(range(4))) == list(torch.utils.data.SequentialSampler(range(4)))
    r = list(RandomSampler(range(10)))
    assert sorted(r) == list(range(10))
    assert len(list(RandomSampler(range(10), replacement=True, num_samples=25))) == 25
    assert list(BatchSampler(range(5), 2, False)) == list(torch.utils.data.BatchSampler(range(5), 2, False))
    assert len(BatchSampler(range(5), 2, True)) == 2


def test_endless_random_sampler_streams_like_torch(torch_or_none):
    """makemore's InfiniteDataLoader: RandomSampler(replacement=True, num_samples=int(1e10)) under a DataLoader,
    read with next(); indices are drawn lazily (never 1e10 of them up front), seeded by ne.manual_seed."""
    ds = Squares(7)
    for lib in (ne, torch_or_none) if torch_or_none is not None else (ne,):
        lib.manual_seed(0)
        sampler = lib.utils.data.RandomSampler(ds, replacement=True, num_samples=int(1e10))
        loader = lib.utils.data.DataLoader(ds, sampler=sampler, batch_size=5)
        it = iter(loader)
        batches = [next(it) for _ in range(30)]
        assert len(loader) == 2 * 10**9 and all(len(y) == 5 for _, y in batches)
        assert {int(v) for _, y in batches for v in y} == {i * i for i in range(7)}
    ne.manual_seed(1)
    a = list(itertools.islice(iter(RandomSampler(range(9), num_samples=10**12)), 20))
    ne.manual_seed(1)
    b = list(itertools.islice(iter(RandomSampler(range(9), num_samples=10**12)), 20))
    assert a == b and sorted(a[:9]) == list(range(9))  # without replacement: whole permutations, one at a time
    assert len(list(RandomSampler(range(10), replacement=True, num_samples=70))) == 70


def test_torch_module_paths_dataloader_and_dataset():
    from nnengine.utils.data.dataloader import DataLoader as DL
    from nnengine.utils.data.dataset import Dataset as DS
    from nnengine.utils.data.dataset import random_split as rs

    assert DL is DataLoader and DS is ne.data.Dataset and rs is ne.data.random_split


class _LoggedTensorDataset(TensorDataset):
    """Appends a byte to ``log`` on every per-sample access, in whichever process makes it."""

    def __init__(self, log, *arrays):
        super().__init__(*arrays)
        self.log = str(log)

    def __getitem__(self, index):
        with open(self.log, "ab") as f:
            f.write(b".")
        return super().__getitem__(index)


def test_tensor_dataset_fast_path_stays_fast(tmp_path):
    """TensorDataset batches are one fancy index per array, not per-sample collation (in the main process or
    in workers: a per-sample access anywhere shows in the log file)."""
    x = np.random.default_rng(0).standard_normal((20000, 64)).astype(np.float32)
    y = np.arange(20000)
    log = tmp_path / "getitem.log"
    log.write_bytes(b"")
    loader = DataLoader(_LoggedTensorDataset(log, x, y), batch_size=128, shuffle=True, num_workers=2)
    seen = []
    for xb, yb in loader:
        assert np.array_equal(xb.numpy(), x[yb.numpy()])  # each batch's rows travel together
        seen.append(yb.numpy())
    calls = len(log.read_bytes())
    assert calls == 0, f"expected no per-sample __getitem__ calls, got {calls}"
    assert len(seen) == 157 and np.array_equal(np.sort(np.concatenate(seen)), y)
