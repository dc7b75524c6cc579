"""PyTorch interop: load_state_dict from torch layer by layer, from_torch / to_torch converters."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import nnengine as ne
from nnengine import nn
from nnengine.interop import from_torch, to_torch

TOL = dict(rtol=1e-5, atol=1e-5)


def _np(t):
    return t.detach().numpy()


def _same(ne_out, t_out):
    if isinstance(t_out, (tuple, list)):
        assert len(ne_out) == len(t_out)
        for a, b in zip(ne_out, t_out):
            _same(a, b)
        return
    np.testing.assert_allclose(ne_out.numpy(), _np(t_out), **TOL)


def _pair(torch, which):
    """(torch layer, nnengine layer with the same constructor arguments, input shape)."""
    tnn = torch.nn
    table = {
        "linear": (tnn.Linear(9, 7), nn.Linear(9, 7), (5, 9)),
        "linear_nobias": (tnn.Linear(9, 7, bias=False), nn.Linear(9, 7, bias=False), (5, 9)),
        "conv2d": (tnn.Conv2d(3, 8, 3, stride=2, padding=1), nn.Conv2d(3, 8, 3, stride=2, padding=1), (2, 3, 9, 9)),
        "conv2d_groups": (tnn.Conv2d(4, 8, 3, groups=2, dilation=2, bias=False),
                          nn.Conv2d(4, 8, 3, groups=2, dilation=2, bias=False), (2, 4, 11, 11)),
        "bn1d": (tnn.BatchNorm1d(7), nn.BatchNorm1d(7), (6, 7)),
        "bn2d": (tnn.BatchNorm2d(5), nn.BatchNorm2d(5), (3, 5, 4, 4)),
        "rnn": (tnn.RNN(6, 5, num_layers=2, bidirectional=True), nn.RNN(6, 5, num_layers=2, bidirectional=True),
                (4, 3, 6)),
        "rnn_relu": (tnn.RNN(6, 5, nonlinearity="relu", batch_first=True),
                     nn.RNN(6, 5, nonlinearity="relu", batch_first=True), (3, 4, 6)),
        "lstm": (tnn.LSTM(6, 5, num_layers=2, bidirectional=True), nn.LSTM(6, 5, num_layers=2, bidirectional=True),
                 (4, 3, 6)),
        "rnncell": (tnn.RNNCell(6, 5), nn.RNNCell(6, 5), (3, 6)),
        "lstmcell": (tnn.LSTMCell(6, 5), nn.LSTMCell(6, 5), (3, 6)),
    }
    return table[which]


LAYERS = ["linear", "linear_nobias", "conv2d", "conv2d_groups", "bn1d", "bn2d", "rnn", "rnn_relu", "lstm",
          "rnncell", "lstmcell"]


@pytest.mark.parametrize("which", LAYERS)
def test_load_state_dict_from_torch_layer(torch, which):
    torch.manual_seed(0)
    tm, nm, shape = _pair(torch, which)
    if which.startswith("bn"):  # non-trivial running statistics and affine parameters
        with torch.no_grad():
            tm(torch.randn(*shape) * 3 + 1)
            tm.weight.uniform_(0.5, 1.5)
            tm.bias.uniform_(-1, 1)
    assert list(nm.state_dict()) == list(tm.state_dict())
    nm.load_state_dict(tm.state_dict())
    tm.eval()
    nm.eval()
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        _same(nm(ne.tensor(x)), tm(torch.from_numpy(x)))
    if which.startswith("bn"):  # training mode too: batch statistics and the running-stat update
        tm.train()
        nm.train()
        with torch.no_grad():
            _same(nm(ne.tensor(x)), tm(torch.from_numpy(x)))
        np.testing.assert_allclose(nm.running_var, _np(tm.running_var), **TOL)


def test_load_state_dict_nested_sequential(torch):
    tnn = torch.nn
    torch.manual_seed(0)
    tm = tnn.Sequential(tnn.Sequential(tnn.Conv2d(1, 4, 3), tnn.BatchNorm2d(4), tnn.ReLU()), tnn.Flatten(),
                        tnn.Sequential(tnn.Linear(4 * 6 * 6, 10), tnn.Tanh()), tnn.Linear(10, 3)).eval()
    nm = nn.Sequential(nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU()), nn.Flatten(),
                       nn.Sequential(nn.Linear(4 * 6 * 6, 10), nn.Tanh()), nn.Linear(10, 3)).eval()
    nm.load_state_dict(tm.state_dict())
    x = np.random.default_rng(2).standard_normal((5, 1, 8, 8)).astype(np.float32)
    with torch.no_grad():
        _same(nm(ne.tensor(x)), tm(torch.from_numpy(x)))


def _torch_net(torch):
    tnn = torch.nn
    return tnn.Sequential(
        tnn.Conv2d(1, 6, 3, padding=1), tnn.BatchNorm2d(6), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Sequential(tnn.Conv2d(6, 8, 3, padding="same"), tnn.LeakyReLU(0.2), tnn.AvgPool2d(2, padding=1)),
        tnn.ELU(0.7), tnn.Flatten(), tnn.Dropout(0.3), tnn.Linear(8 * 3 * 3, 16), tnn.BatchNorm1d(16),
        tnn.Sigmoid(), tnn.Identity(), tnn.Linear(16, 10), tnn.Tanh(), tnn.Softmax(dim=1), tnn.Linear(10, 4),
        tnn.LogSoftmax(dim=-1))


def test_from_torch_sequential(torch):
    torch.manual_seed(0)
    tm = _torch_net(torch)
    x = np.random.default_rng(3).standard_normal((4, 1, 10, 10)).astype(np.float32)
    with torch.no_grad():
        tm(torch.from_numpy(x))  # move the BatchNorm running statistics
    tm.eval()
    nm = from_torch(tm)
    assert isinstance(nm, nn.Sequential) and isinstance(nm[4], nn.Sequential)
    assert not nm.training and list(nm.state_dict()) == list(tm.state_dict())
    with torch.no_grad():
        _same(nm(ne.tensor(x)), tm(torch.from_numpy(x)))
    # and back again
    back = to_torch(nm)
    assert type(back[4]) is torch.nn.Sequential and not back.training
    with torch.no_grad():
        np.testing.assert_allclose(_np(back(torch.from_numpy(x))), _np(tm(torch.from_numpy(x))), **TOL)


def test_pool_options_convert_both_ways(torch):
    tnn = torch.nn
    cases = [(tnn.MaxPool2d(3, 2, ceil_mode=True), (2, 3, 8, 8)),
             (tnn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 3, 8, 8)),
             (tnn.AvgPool2d(2, divisor_override=3), (1, 2, 6, 6)),
             (tnn.MaxPool1d(3, 2, ceil_mode=True), (2, 3, 10)),
             (tnn.AvgPool1d(3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 3, 10))]
    for tm, shape in cases:
        x = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
        nm = from_torch(tm)
        want = _np(tm(torch.from_numpy(x)))
        np.testing.assert_allclose(nm(ne.tensor(x)).numpy(), want, **TOL)
        np.testing.assert_allclose(_np(to_torch(nm)(torch.from_numpy(x))), want, **TOL)


def test_from_torch_keeps_training_mode_and_trains(torch):
    tm = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    nm = from_torch(tm)
    assert nm.training
    loss = nm(ne.randn(5, 4)).sum()
    loss.backward()
    assert all(p.grad is not None for p in nm.parameters())


def test_from_torch_roundtrips_through_io(torch, tmp_path):
    tm = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2)).eval()
    nm = from_torch(tm)
    ne.io.save_model(nm, str(tmp_path / "m.safetensors"))
    again = ne.io.load_model(str(tmp_path / "m.safetensors"))
    x = np.ones((2, 4), np.float32)
    np.testing.assert_array_equal(again(ne.tensor(x)).numpy(), nm(ne.tensor(x)).numpy())


def test_to_torch_recurrent(torch):
    for nm, shape in ((nn.LSTM(3, 4, num_layers=2, batch_first=True), (2, 5, 3)), (nn.RNNCell(3, 4), (2, 3))):
        tm = to_torch(nm)
        x = np.random.default_rng(4).standard_normal(shape).astype(np.float32)
        with torch.no_grad():
            _same(nm(ne.tensor(x)), tm(torch.from_numpy(x)))


def test_from_torch_unsupported_layer_named(torch):
    tm = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Sequential(torch.nn.Hardshrink()))
    with pytest.raises(TypeError, match=r"Hardshrink at '1\.0' is not supported"):
        from_torch(tm)
    with pytest.raises(TypeError, match="dilation"):
        from_torch(torch.nn.MaxPool2d(2, dilation=2))
    with pytest.raises(TypeError, match="expected a torch.nn.Module"):
        from_torch(nn.Linear(2, 2))
    with pytest.raises(TypeError, match=r"Maxout at '0' is not supported"):
        to_torch(nn.Sequential(nn.Maxout(2)))


def test_nnengine_import_does_not_import_torch():
    code = "import sys, nnengine, nnengine.interop, nnengine.onnx; print('torch' in sys.modules, 'onnx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_torch_tensors_as_inputs_and_targets(torch):
    """A batch that arrives as torch tensors (torchvision's ToTensor, a torch DataLoader) feeds nnengine layers,
    functional ops and losses as its values, exactly as the same numpy array would; a torch tensor that requires
    grad is a TypeError naming the argument, and an unrelated object names its type."""
    from nnengine import functional as F

    ne.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 36, 3))
    x = torch.randn(2, 1, 8, 8)
    y = torch.tensor([1, 2])
    out = m(x)
    ref = m(ne.tensor(x.numpy()))
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    np.testing.assert_array_equal(F.cross_entropy(out, y).numpy(), F.cross_entropy(ref, y.numpy()).numpy())
    np.testing.assert_array_equal(F.relu(torch.tensor([-1.0, 2.0])).numpy(), [0.0, 2.0])
    with pytest.raises(TypeError, match=r"input: got a torch.Tensor whose values numpy cannot read.*detach"):
        m(torch.randn(2, 1, 8, 8, requires_grad=True))
    with pytest.raises(TypeError, match="input: expected a Tensor, got object"):
        F.relu(object())
