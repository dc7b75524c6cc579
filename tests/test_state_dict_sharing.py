"""state_dict() values share memory with the module and carry torch's tensor methods (torch's semantics), and
nnengine's own buffers read as attributes (``bn.running_mean``) do too: the idioms real programs use on them,
side by side with torch where it is installed."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from test_torch_scripts import result, run

import nnengine as ne
from nnengine import nn
from nnengine.nn.parameter import StateData


def _model():
    ne.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))


def test_values_share_memory_and_have_tensor_methods():
    m = _model()
    sd = m.state_dict()
    assert list(sd) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
                        "1.num_batches_tracked", "3.weight", "3.bias"]
    assert all(isinstance(v, np.ndarray) and type(v) is StateData for v in sd.values())  # API.md: numpy arrays
    w = sd["0.weight"]
    assert np.shares_memory(w, m[0].weight.detach().numpy())
    assert w.size() == (4, 3) and w.size(1) == 3 and w.size == 12 and w.numel() == 12 and w.dim() == 2
    assert w.requires_grad is False and w.data is w and w.grad is None
    c = w.clone()
    assert isinstance(c, ne.Tensor) and not np.shares_memory(c.numpy(), w)
    assert np.array_equal(w.cpu().numpy(), w) and np.array_equal(w.detach(), w)
    sd["0.bias"].copy_(ne.tensor([1.0, 2.0, 3.0, 4.0]))  # the classic partial loader's own_state[k].copy_(v)
    assert m[0].bias.tolist() == [1.0, 2.0, 3.0, 4.0]
    sd["3.weight"].zero_()
    assert float(abs(m[3].weight.detach().numpy()).sum()) == 0.0
    sd["1.running_var"].fill_(2.0)
    assert m[1].running_var.tolist() == [2.0] * 4
    assert repr(sd["0.bias"]) == "array([1., 2., 3., 4.], dtype=float32)"
    assert type(sd["0.bias"] * 2) is np.ndarray  # numpy arithmetic gives plain arrays


def test_snapshot_idioms_follow_torch_semantics():
    m = _model()
    held, snap = m.state_dict(), copy.deepcopy(m.state_dict())
    opt = ne.optim.SGD(m.parameters(), lr=0.5)
    m(ne.randn(8, 3)).sum().backward()
    opt.step()
    assert np.array_equal(held["0.weight"], m[0].weight.detach().numpy())  # follows the model, as torch's
    assert not np.array_equal(snap["0.weight"], m[0].weight.detach().numpy())  # the deepcopy does not
    m.load_state_dict(snap)
    assert np.array_equal(m.state_dict()["0.weight"], snap["0.weight"])
    back = pickle.loads(pickle.dumps(m.state_dict()))
    assert all(type(v) is np.ndarray for v in back.values())  # pickled: plain arrays, no nnengine needed
    m.load_state_dict(back)


def test_state_dict_arguments():
    m = _model()
    kv = m.state_dict(keep_vars=True)
    assert kv["0.weight"] is m[0].weight and isinstance(kv["1.running_mean"], np.ndarray)
    dest: dict = {}
    out = m.state_dict(destination=dest, prefix="model.")
    assert out is dest and next(iter(dest)) == "model.0.weight"
    assert list(m.state_dict({}, "p."))[0] == "p.0.weight"  # torch's deprecated positional form
    with pytest.raises(TypeError, match="prefix"):
        m.state_dict(prefix=3)
    with pytest.raises(TypeError, match="destination"):
        m.state_dict(destination=[])
    with pytest.raises(TypeError, match="at most 3"):
        m.state_dict({}, "", False, 1)


def test_saving_state_dict_values(tmp_path):
    m = _model()
    ne.save(m.state_dict(), tmp_path / "m.pt")
    back = ne.load(tmp_path / "m.pt")
    assert all(np.array_equal(np.asarray(back[k]), v) for k, v in m.state_dict().items())
    ne.io.save_model(m, str(tmp_path / "m.safetensors"))
    m2 = _model()
    m2.load_state_dict({k: v.clone() for k, v in m.state_dict().items()})


def test_builtin_buffer_attributes_have_tensor_methods():
    bn = nn.BatchNorm1d(3)
    assert repr(bn.running_mean) == "array([0., 0., 0.], dtype=float32)"
    snap = bn.running_mean.clone()
    bn.running_mean.copy_(ne.tensor([1.0, 2.0, 3.0]))
    assert bn.state_dict()["running_mean"].tolist() == [1.0, 2.0, 3.0] and snap.tolist() == [0.0] * 3
    bn.running_var.mul_(4.0)
    bn.num_batches_tracked.add_(5)
    assert bn.running_var.tolist() == [4.0] * 3 and int(bn.num_batches_tracked) == 5
    assert bn.num_batches_tracked.item() == 5 and bn.running_mean.size() == (3,)
    bn.train()
    bn(ne.randn(6, 3))  # the layer's own update still lands in the stored buffers
    assert int(bn.num_batches_tracked) == 6 and bn.running_mean.tolist() != [1.0, 2.0, 3.0]
    bn.reset_running_stats()
    assert bn.running_mean.tolist() == [0.0] * 3 and bn.running_var.tolist() == [1.0] * 3


def test_compiled_module_reads_buffer_views_as_buffers():
    # a running mean of zeros read through a view must stay a buffer, not become a frozen constant
    m = _model().eval()
    x = ne.randn(5, 3)
    cm = ne.compile(m)
    cm(x)
    cm(x)
    m[1].running_mean.copy_(ne.tensor([1.0, -1.0, 0.5, 2.0]))
    m[1].running_var.fill_(3.0)
    np.testing.assert_allclose(cm(x).numpy(), m(x).numpy(), rtol=1e-6, atol=1e-6)


EMA = r'''
import copy
import torch
import torch.nn as nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))
with torch.no_grad():  # the same start under both engines
    for i, (k, v) in enumerate(model.state_dict().items()):
        if k.endswith("weight") or k.endswith("bias"):
            v.copy_(torch.linspace(-0.5, 0.5, v.numel()).reshape(v.shape) * (1 + 0.1 * i))


def load_my_state_dict(net, state_dict):  # the forum's partial loader: writes through own_state
    own_state = net.state_dict()
    for name, param in state_dict.items():
        if name not in own_state:
            continue
        if isinstance(param, nn.Parameter):
            param = param.data
        own_state[name].copy_(param)


ema = copy.deepcopy(model)
for p in ema.parameters():
    p.requires_grad_(False)
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
x = torch.linspace(-1, 1, 64 * 6).reshape(64, 6)
y = (torch.arange(64) % 3)
for step in range(20):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    with torch.no_grad():  # YOLOv5's ModelEMA.update
        d = 0.9
        msd = model.state_dict()
        for k, v in ema.state_dict().items():
            if k.endswith("num_batches_tracked"):
                continue
            v *= d
            v += (1 - d) * msd[k].detach()
best = copy.deepcopy(model.state_dict())
fresh = nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))
load_my_state_dict(fresh, {k: v.clone() for k, v in best.items() if not k.startswith("3.")})
fresh.eval(); model.eval(); ema.eval()
print("RESULT loss=%.5f ema=%.5f fresh=%.5f rm=%.5f n=%d" % (
    loss.item(), ema(x).sum().item(), fresh[1](fresh[0](x)).sum().item(),
    ema[1].running_mean.sum().item(), int(fresh.state_dict()["1.num_batches_tracked"])))
'''


def test_ema_and_partial_loader_program_matches_torch(tmp_path):
    got = result(run(EMA, "nnengine", tmp_path))
    assert got["n"] == 20
    pytest.importorskip("torch")
    want = result(run(EMA, "torch", tmp_path))
    for k in want:
        assert got[k] == pytest.approx(want[k], rel=1e-4, abs=1e-4), k


def test_optimizer_state_dict_values_have_tensor_methods():
    w = nn.Parameter(ne.tensor([1.0, -2.0]))
    opt = ne.optim.Adam([w], lr=0.1)
    for _ in range(2):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    st = opt.state_dict()["state"][0]
    assert st["step"].item() == 2.0 and st["step"].dtype == np.float32 and st["step"].shape == ()  # torch's
    assert st["exp_avg"].clone().shape == (2,) and st["exp_avg"].size() == (2,)
    st["exp_avg"].zero_()  # a copy: the optimizer's own state is untouched
    assert float(np.abs(opt.state[w]["exp_avg"]).sum()) > 0
    b = ne.optim.Adam([w])
    b.load_state_dict(opt.state_dict())
    assert b.state[w]["step"] == 2.0
