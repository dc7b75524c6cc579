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


def _init_on_data(lib):
    nn_ = lib.nn
    lib.manual_seed(0)

    def weights_init(m):  # the DCGAN tutorial's, as written
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            nn_.init.normal_(m.weight.data, 0.0, 0.02)
        elif classname.find("BatchNorm") != -1:
            nn_.init.normal_(m.weight.data, 1.0, 0.02)
            nn_.init.constant_(m.bias.data, 0)

    net = nn_.Sequential(nn_.Conv2d(3, 8, 3), nn_.BatchNorm2d(8), nn_.Linear(2, 2))
    net.apply(weights_init)
    nn_.init.constant_(net[2].weight.data, 0.25)
    nn_.init.zeros_(net[2].bias.data)
    w = net[0].weight.detach()
    return (round(float(w.std()), 1), float(net[1].bias.detach().abs().sum()), net[2].weight.tolist(),
            net[2].bias.tolist())


def test_init_functions_take_parameter_data_like_torch():
    ours, theirs = _both(_init_on_data)
    assert ours == theirs


def _scatter_flip_permute(lib):
    one_hot = lib.zeros(10, dtype=lib.float).scatter_(0, lib.tensor(3), value=1)  # the Datasets tutorial
    x = lib.arange(24).reshape(2, 3, 4)
    t = lib.zeros(4).scatter(0, lib.tensor(1), lib.tensor(5.0))
    return (one_hot.tolist(), t.tolist(), lib.flip(x, dims=[2]).tolist(), x.flip(dims=(0, 1)).tolist(),
            tuple(lib.permute(x, dims=(2, 0, 1)).shape), tuple(x.permute(dims=[1, 0, 2]).shape),
            lib.zeros(3).scatter_add(0, lib.tensor(2), lib.tensor(1.5)).tolist())


def test_scatter_zero_dim_index_and_dims_keywords_match_torch():
    ours, theirs = _both(_scatter_flip_permute)
    assert ours == theirs
    with pytest.raises(TypeError, match="unexpected keyword"):
        ne.zeros(2).flip(dim=0)
    with pytest.raises(TypeError, match="both"):
        ne.zeros(2, 2).permute(1, 0, dims=(1, 0))


def _foreach_ema(lib):
    ema = [lib.ones(3), lib.full((2,), 2.0)]
    cur = [lib.zeros(3), lib.ones(2)]
    lib._foreach_mul_(ema, 0.9)
    lib._foreach_add_(ema, cur, alpha=0.1)
    lib._foreach_lerp_(ema, cur, 0.5)
    norms = [n.item() for n in lib._foreach_norm(ema)]
    sq = lib._foreach_sqrt([lib.full((2,), 4.0)])[0].tolist()
    lib._foreach_zero_(cur)
    lib._foreach_addcmul_(cur, [lib.ones(3), lib.ones(2)], [lib.full((3,), 2.0), lib.full((2,), 3.0)], value=0.5)
    return [round(v, 5) for t in ema for v in t.tolist()], [round(v, 5) for v in norms], sq, [t.tolist() for t in cur]


def test_foreach_ops_match_torch():
    ours, theirs = _both(_foreach_ema)
    assert ours == theirs
    with pytest.raises(TypeError, match="list of Tensors"):
        ne._foreach_mul_(ne.ones(2), 2.0)
    with pytest.raises(ValueError, match="one per tensor"):
        ne._foreach_add_([ne.ones(2)], [1.0, 2.0])


def _data_parallel(lib):
    nn_ = lib.nn
    lib.manual_seed(0)
    net = nn_.DataParallel(nn_.Sequential(nn_.Linear(3, 2), nn_.ReLU()))
    y = net(lib.ones(4, 3))
    return tuple(y.shape), list(net.state_dict()), type(net.module).__name__, isinstance(net, nn_.Module)


def test_data_parallel_matches_torch_on_cpu():
    ours, theirs = _both(_data_parallel)
    assert ours == theirs
    with pytest.raises(TypeError, match="module"):
        nn.DataParallel(3)


def _bn_old_checkpoint(lib):
    nn_ = lib.nn
    net = nn_.Sequential(nn_.Linear(2, 2), nn_.BatchNorm1d(2))
    old = {k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
    res = net.load_state_dict(old)  # strict: torch fills num_batches_tracked, reports nothing
    return list(res.missing_keys), list(res.unexpected_keys), int(net[1].num_batches_tracked)


def test_checkpoint_without_num_batches_tracked_loads_like_torch():
    ours, theirs = _both(_bn_old_checkpoint)
    assert ours == theirs


class Block(nn.Module):  # module level: a whole saved model's class is imported back (as torch's pickle)
    def __init__(self, act=nn.ReLU, norm_layer=None):
        super().__init__()
        self.fc = nn.Linear(3, 3)
        self.act = act()
        self.norm = (norm_layer or nn.BatchNorm1d)(3)

    def forward(self, x):
        return self.norm(self.act(self.fc(x)))


def test_whole_model_save_with_class_arguments(tmp_path):
    m = Block(nn.GELU, norm_layer=nn.LayerNorm).eval()
    ne.save(m, tmp_path / "b.pt")
    back = ne.load(tmp_path / "b.pt", weights_only=False)
    assert type(back.act) is nn.GELU and type(back.norm) is nn.LayerNorm
    x = ne.randn(2, 3)
    np.testing.assert_array_equal(back(x).numpy(), m(x).numpy())
    import pickle

    with pytest.raises(pickle.UnpicklingError, match="weights_only=False"):
        ne.load(tmp_path / "b.pt")
    from nnengine.vision import models

    r = models.resnet18(num_classes=3).eval()
    ne.save(r, tmp_path / "r.pt")  # BasicBlock gets norm_layer=nn.BatchNorm2d, a class
    r2 = ne.load(tmp_path / "r.pt", weights_only=False)
    x = ne.randn(1, 3, 32, 32)
    np.testing.assert_array_equal(r2(x).numpy(), r(x).numpy())


def _masks(lib):
    import warnings
    from importlib import import_module

    data = import_module(lib.__name__ + ".utils.data")
    samples = [(np.array([1.0, np.nan, 3.0]), np.array([True, False, True]))] * 2
    x, m = next(iter(data.DataLoader(samples, batch_size=2)))
    v = lib.arange(5.0) * 10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        byte = v[lib.tensor([1, 0, 1, 0, 1], dtype=lib.uint8)].tolist()
    try:
        v[lib.tensor([1.0, 0.0])]
        err = None
    except IndexError:
        err = "IndexError"
    return str(m.dtype).replace("torch.", ""), x[m].tolist(), (~m).tolist(), byte, err


def test_bool_masks_collate_and_index_like_torch():
    ours, theirs = _both(_masks)
    assert ours == theirs
    with pytest.warns(UserWarning, match="uint8"):
        ne.arange(3.0)[ne.tensor([1, 0, 1], dtype=ne.uint8)]


def _rnn_attrs(lib):
    import warnings

    nn_ = lib.nn
    lstm = nn_.LSTM(3, 4, num_layers=2, bidirectional=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        nn_.GRU(3, 4, num_layers=1, dropout=0.2)
    return (lstm._flat_weights_names, [[tuple(p.shape) for p in ws] for ws in lstm.all_weights],
            [tuple(p.shape) for p in nn_.RNN(2, 3, bias=False)._flat_weights],
            [str(x.message)[:40] for x in w if issubclass(x.category, UserWarning)])


def test_rnn_weight_lists_and_dropout_warning_match_torch():
    ours, theirs = _both(_rnn_attrs)
    assert ours == theirs


def test_dtype_errors_are_runtime_errors_as_in_torch():
    m = nn.Linear(3, 2)
    for exc in (RuntimeError, TypeError):
        with pytest.raises(exc, match="dtype"):
            m(ne.tensor([[1.0, 2.0, 3.0]], dtype=ne.float64))
