"""Torch idioms found by the third idiom probe, each run under nnengine and compared with torch where it is
installed: Sequential editing (a fine-tuning head swap), TensorDataset items as tensors, the DataLoader's
default samplers, integer F.pad, ``concatenate(axis=)``, ``numpy(force=)``, ``cuda.memory_allocated``."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
from nnengine import nn
from nnengine.nn import functional as F
from nnengine.utils.data import DataLoader, TensorDataset, random_split


def _both(build):
    """``build(lib)`` under nnengine and, when installed, torch."""
    out = [build(ne)]
    torch = pytest.importorskip("torch")
    out.append(build(torch))
    return out


def _sequential_edits(lib):
    nn_ = lib.nn
    m = nn_.Sequential(nn_.Linear(4, 8), nn_.ReLU(), nn_.Linear(8, 10), nn_.Tanh())
    m[2] = nn_.Linear(8, 3)  # the head swap
    m[-1] = nn_.Sigmoid()
    shape = tuple(m(lib.zeros(2, 4)).shape)
    keys = [list(m.state_dict())]
    del m[1]
    keys.append(list(m.state_dict()))
    m.insert(1, nn_.ReLU())
    m.insert(-1, nn_.Identity())
    keys.append(list(m.state_dict()))
    popped = type(m.pop(0)).__name__
    m.append(nn_.ReLU()).extend([nn_.Tanh()])
    del m[1:3]
    names = [type(c).__name__ for c in m]
    keys.append(list(m[0:2].state_dict()))
    m2 = m + nn_.Sequential(nn_.ReLU())
    errs = []
    for bad in (lambda: m[10], lambda: m.__setitem__(-10, nn_.ReLU()), lambda: m.insert(99, nn_.ReLU())):
        try:
            bad()
        except IndexError:
            errs.append("IndexError")
    return shape, keys, popped, names, len(m2), errs


def test_sequential_editing_matches_torch():
    ours, theirs = _both(_sequential_edits)
    assert ours == theirs


def test_sequential_edit_errors():
    m = nn.Sequential(nn.ReLU())
    with pytest.raises(TypeError, match="expected a Module"):
        m[0] = 3
    with pytest.raises(TypeError, match="int or a slice"):
        m["0"]
    with pytest.raises(TypeError, match="Sequential"):
        m + [nn.ReLU()]


def _dataset_items(lib):
    from importlib import import_module

    data = import_module(lib.__name__ + ".utils.data")
    ds = data.TensorDataset(lib.arange(8.0).reshape(4, 2), lib.arange(4))
    x, y = ds[1]
    batch = ds[lib.tensor([0, 2]) if lib.__name__ == "torch" else np.array([0, 2])]
    sub = data.Subset(ds, [3, 1])
    loader = data.DataLoader(ds, batch_size=3, shuffle=True)
    plain = data.DataLoader(ds, batch_size=3, drop_last=True)
    return (tuple(x.unsqueeze(0).shape), y.item(), x.dim(), ds.tensors[0].size(0), batch[1].tolist(),
            sub[0][1].item(), len(loader.sampler), type(loader.sampler).__name__, type(plain.sampler).__name__,
            type(plain.batch_sampler).__name__, len(plain.batch_sampler), list(plain.batch_sampler), list(plain.sampler))


def test_tensor_dataset_items_and_default_samplers_match_torch():
    ours, theirs = _both(_dataset_items)
    assert ours == theirs


def test_tensor_dataset_keeps_loader_batches_float32():
    ds = TensorDataset(np.arange(8.0).reshape(4, 2), np.arange(4))
    assert isinstance(ds[0][0], ne.Tensor) and np.shares_memory(ds[0][0].numpy(), ds.arrays[0])
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    assert xb.dtype == np.float32 and yb.dtype == np.int64  # nnengine's collation, unchanged
    tr, va = random_split(ds, [3, 1], generator=ne.Generator().manual_seed(0))
    assert isinstance(tr[0][0], ne.Tensor)


def _int_pad(lib):
    F_ = lib.nn.functional
    t = lib.tensor([[1, 2, 3]])
    return (F_.pad(lib.tensor([1, 2]), (0, 3), "constant", 0).tolist(), F_.pad(t, (1, -1, 1, 0), value=7).tolist(),
            F_.pad(t, (2, 0)).tolist(), str(F_.pad(t, (1, 1)).dtype).replace("torch.", ""),
            F_.pad(lib.tensor([True]), (1, 0)).tolist(), F_.pad(lib.tensor([1, 2]), (1, 0), value=0.5).tolist(),
            F_.pad(lib.tensor([1, 2]), (1, 0), value=True).tolist(), F_.pad(lib.tensor([1]), (1, 0), value=-2.7).tolist())


def test_integer_pad_matches_torch():
    ours, theirs = _both(_int_pad)
    assert ours == theirs


def test_integer_pad_errors():
    with pytest.raises(TypeError, match="constant"):
        F.pad(ne.tensor([[[1, 2, 3]]]), (1, 1), mode="reflect")
    with pytest.raises(ValueError, match="pad"):
        F.pad(ne.tensor([1, 2]), (1, 1, 1, 1))
    with pytest.raises(ValueError, match="crops"):
        F.pad(ne.tensor([1, 2]), (-2, -1))
    with pytest.raises(ValueError, match="overflow"):
        F.pad(ne.tensor([1, 2]), (1, 0), value=2**70)
    with pytest.raises(ValueError, match="2\\^31"):
        F.pad(ne.tensor([1, 2]), (2**62, 0))
    with pytest.raises(TypeError, match="value"):
        F.pad(ne.tensor([1, 2]), (1, 0), value="a")


def test_small_aliases():
    assert ne.concatenate([ne.ones(2, 1), ne.zeros(2, 2)], axis=1).shape == (2, 3)
    assert ne.concatenate([ne.ones(1), ne.zeros(1)], dim=0).tolist() == [1.0, 0.0]
    assert ne.ones(2).numpy(force=True).tolist() == [1.0, 1.0]
    assert (ne.cuda.memory_allocated(), ne.cuda.max_memory_allocated(), ne.cuda.memory_reserved(),
            ne.cuda.max_memory_reserved()) == (0, 0, 0, 0)
    torch = pytest.importorskip("torch")
    assert torch.cuda.memory_allocated() == ne.cuda.memory_allocated()
