"""float64 end to end: ``model.double()`` / ``dtype=torch.double`` compute in float64 through Linear,
the activations, softmax, MSE/L1/BCE, the recurrent layers and every optimizer, matching torch's float64 to
~1e-12; a float32-only kernel raises a TypeError naming itself (never a silent downcast)."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
from nnengine import nn
from tests.conftest import require

T = require("torch")


def _copy_from_torch(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def test_module_double_float_and_constructor_dtype():
    m = nn.Linear(3, 2)
    opt_param = m.weight
    assert m.double() is m and m.weight.data.dtype == np.float64 and m.weight is opt_param
    assert m.float().weight.data.dtype == np.float32
    assert m.to(ne.float64).bias.data.dtype == np.float64
    assert m.to(dtype=ne.float32).bias.data.dtype == np.float32
    assert nn.LSTMCell(2, 3, dtype=ne.double).weight_hh.data.dtype == np.float64
    assert nn.Linear(2, 3, dtype=ne.float32).weight.data.dtype == np.float32
    bn = nn.BatchNorm1d(3).double()
    assert bn.running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype.kind == "i"


def test_float32_only_kernels_raise_naming_themselves():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()).double()
    with pytest.raises(TypeError, match="conv2d: .*float64.*float32 only"):
        model(ne.randn(1, 1, 5, 5, dtype=ne.float64))
    with pytest.raises(TypeError, match="same dtype"):  # torch: mixed float32 input / float64 weights
        nn.Linear(3, 2).double()(ne.randn(4, 3))


@pytest.mark.parametrize("kind", ["mlp", "lstmcell", "lstm", "rnn"])
def test_double_models_match_torch_double(kind):
    T.manual_seed(0)
    if kind == "mlp":
        tm = T.nn.Sequential(T.nn.Linear(5, 8), T.nn.Tanh(), T.nn.Linear(8, 3), T.nn.Sigmoid()).double()
        om = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3), nn.Sigmoid()).double()
        x = np.random.default_rng(0).standard_normal((4, 5))
    elif kind == "lstmcell":
        tm, om = T.nn.LSTMCell(5, 6).double(), nn.LSTMCell(5, 6).double()
        x = np.random.default_rng(0).standard_normal((4, 5))
    elif kind == "lstm":
        tm = T.nn.LSTM(5, 6, num_layers=2, bidirectional=True).double()
        om = nn.LSTM(5, 6, num_layers=2, bidirectional=True).double()
        x = np.random.default_rng(0).standard_normal((7, 3, 5))
    else:
        tm, om = T.nn.RNN(5, 6, nonlinearity="relu").double(), nn.RNN(5, 6, nonlinearity="relu").double()
        x = np.random.default_rng(0).standard_normal((7, 3, 5))
    _copy_from_torch(om, tm)
    tx, ox = T.tensor(x, requires_grad=True), ne.tensor(x, requires_grad=True)
    tout, oout = tm(tx), om(ox)
    if isinstance(tout, tuple):
        tout, oout = tout[0], oout[0]
    assert oout.dtype == np.float64
    w = np.random.default_rng(1).standard_normal(tuple(tout.shape))
    (tout * T.tensor(w)).sum().backward()
    (oout * ne.tensor(w)).sum().backward()
    np.testing.assert_allclose(oout.numpy(), tout.detach().numpy(), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(ox.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    for (name, tp), op in zip(tm.named_parameters(), om.parameters()):
        assert op.grad.dtype == np.float64
        np.testing.assert_allclose(op.grad, tp.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


OPTIMIZERS = [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)),
    ("SGD", dict(lr=0.05, momentum=0.5, dampening=0.1)),
    ("Adam", dict(lr=0.01, weight_decay=1e-2, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=1e-3)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=1e-3)),
    ("Adadelta", dict(lr=1.0, weight_decay=1e-3)),
    ("Adamax", dict(lr=0.01, weight_decay=1e-3)),
    ("NAdam", dict(lr=0.01, weight_decay=1e-3)),
    ("NAdam", dict(lr=0.01, weight_decay=1e-3, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.01, weight_decay=1e-3)),
]


@pytest.mark.parametrize("name,kw", OPTIMIZERS)
def test_float64_optimizer_trajectories_match_torch(name, kw):
    T.manual_seed(1)
    tm = T.nn.Sequential(T.nn.Linear(4, 6), T.nn.Tanh(), T.nn.Linear(6, 1)).double()
    om = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 1)).double()
    _copy_from_torch(om, tm)
    topt, oopt = getattr(T.optim, name)(tm.parameters(), **kw), getattr(ne.optim, name)(om.parameters(), **kw)
    rng = np.random.default_rng(2)
    for _ in range(25):
        x, y = rng.standard_normal((8, 4)), rng.standard_normal((8, 1))
        for m, opt, lib in ((tm, topt, T), (om, oopt, ne)):
            opt.zero_grad()
            lib.nn.functional.mse_loss(m(lib.tensor(x)), lib.tensor(y)).backward()
            opt.step()
    for tp, op in zip(tm.parameters(), om.parameters()):
        assert op.data.dtype == np.float64
        np.testing.assert_allclose(op.data, tp.detach().numpy(), rtol=1e-9, atol=1e-11)


def test_mixed_float32_and_float64_groups_step_each_in_its_dtype():
    a, b = nn.Linear(3, 1), nn.Linear(3, 1).double()
    opt = ne.optim.Adam(list(a.parameters()) + list(b.parameters()), lr=0.1)
    for m, x in ((a, ne.randn(5, 3)), (b, ne.randn(5, 3, dtype=ne.float64))):
        m(x).sum().backward()
    opt.step()
    assert a.weight.data.dtype == np.float32 and b.weight.data.dtype == np.float64
    assert opt.state[b.weight]["exp_avg"].dtype == np.float64
    assert opt.state[a.weight]["exp_avg"].dtype == np.float32


def test_lbfgs_in_float64_matches_torch():
    T.manual_seed(3)
    tm = T.nn.Sequential(T.nn.Linear(3, 5), T.nn.Tanh(), T.nn.Linear(5, 1)).double()
    om = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1)).double()
    _copy_from_torch(om, tm)
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((16, 3)), rng.standard_normal((16, 1))
    losses = {}
    for m, lib in ((tm, T), (om, ne)):
        opt = lib.optim.LBFGS(m.parameters(), lr=0.8, max_iter=10, line_search_fn="strong_wolfe")

        def closure(m=m, opt=opt, lib=lib):
            opt.zero_grad()
            loss = lib.nn.functional.mse_loss(m(lib.tensor(x)), lib.tensor(y))
            loss.backward()
            return loss

        losses[lib] = [float(opt.step(closure)) for _ in range(3)]
    np.testing.assert_allclose(losses[ne], losses[T], rtol=1e-9)
    for tp, op in zip(tm.parameters(), om.parameters()):
        assert op.data.dtype == np.float64
        np.testing.assert_allclose(op.data, tp.detach().numpy(), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("kind", ["gru", "grucell"])
def test_double_gru_matches_torch_double(kind):
    T.manual_seed(5)
    if kind == "gru":
        tm, om = T.nn.GRU(4, 5, num_layers=2, bidirectional=True).double(), nn.GRU(4, 5, num_layers=2,
                                                                                   bidirectional=True).double()
        x = np.random.default_rng(0).standard_normal((6, 3, 4))
    else:
        tm, om = T.nn.GRUCell(4, 5).double(), nn.GRUCell(4, 5).double()
        x = np.random.default_rng(0).standard_normal((3, 4))
    _copy_from_torch(om, tm)
    tx, ox = T.tensor(x, requires_grad=True), ne.tensor(x, requires_grad=True)
    tout, oout = tm(tx), om(ox)
    if isinstance(tout, tuple):
        tout, oout = tout[0], oout[0]
    assert oout.dtype == np.float64
    (tout * tout).sum().backward()
    (oout * oout).sum().backward()
    np.testing.assert_allclose(oout.numpy(), tout.detach().numpy(), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(ox.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    for tp, op in zip(tm.parameters(), om.parameters()):
        np.testing.assert_allclose(op.grad, tp.grad.numpy(), rtol=1e-10, atol=1e-12)
