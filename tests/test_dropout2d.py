"""The dropout2d kernel family (F.dropout1d / F.dropout2d, Dropout1d / Dropout2d): whole channels dropped,
the scalar twin, 1 vs 2 threads, torch's statistics and bad input."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine import _core


def test_channel_dropout_masks_whole_channels(isa, threads):
    x = np.random.default_rng(10).standard_normal((8, 64, 5, 7)).astype(np.float32) + 3.0
    y = _core.dropout2d_forward(x, 8 * 64, 0.3, 1234)
    planes = y.reshape(8 * 64, -1)
    kept = np.all(planes != 0, axis=1)
    assert np.all(kept | np.all(planes == 0, axis=1))  # every channel all kept or all zero
    np.testing.assert_allclose(planes[kept], (x.reshape(8 * 64, -1)[kept] / 0.7), rtol=1e-6)
    assert abs((~kept).mean() - 0.3) < 0.06  # 512 channels: sd of the drop rate ~0.02
    assert np.array_equal(_core.dropout2d_forward(x, 512, 0.3, 1234, reference=True), y)
    g = np.ones_like(x)
    assert np.array_equal(_core.dropout2d_backward(g, 512, 0.3, 1234) != 0, y != 0)
    with threads(1):
        y1 = _core.dropout2d_forward(x, 512, 0.3, 1234)
    with threads(2):
        y2 = _core.dropout2d_forward(x, 512, 0.3, 1234)
    assert np.array_equal(y1, y2) and np.array_equal(y1, y)
    assert not np.array_equal(_core.dropout2d_forward(x, 512, 0.3, 99), y)


def test_dropout_modules(torch):
    ne.manual_seed(0)
    x = ne.Tensor(np.ones((4, 16, 3, 3), np.float32), requires_grad=True)
    m = ne.nn.Dropout2d(0.5)
    y = m(x)
    y.sum().backward()
    ch = y.numpy().reshape(64, 9)
    assert set(np.unique(ch)) <= {0.0, 2.0} and np.all(ch.min(1) == ch.max(1))
    assert np.array_equal(x.grad, y.numpy())
    m.eval()
    assert m(x) is x or np.array_equal(m(x).numpy(), x.numpy())
    d1 = ne.nn.Dropout1d(0.25)
    y1 = d1(ne.Tensor(np.ones((16, 20), np.float32)))  # unbatched (C, L): one mask per channel
    assert np.all(y1.numpy().min(1) == y1.numpy().max(1))
    assert repr(d1) == "Dropout1d(p=0.25, inplace=False)"  # torch's
    # torch's statistics: E[y] = x
    ne.manual_seed(1)
    big = ne.nn.Dropout2d(0.2)(ne.Tensor(np.ones((64, 128, 2, 2), np.float32))).numpy()
    assert abs(big.mean() - 1.0) < 0.05


def test_dropout2d_bad_input():
    x = ne.randn(2, 3, 8, 8)
    f32 = np.float32
    with pytest.raises(ValueError, match="p: expected a probability"):
        F.dropout2d(x, 1.5)
    with pytest.raises(ValueError, match="input: expected 3 or 4 dimensions"):
        F.dropout2d(ne.randn(8), 0.5)
    with pytest.raises(ValueError, match="x: 12 elements do not split into planes=5"):
        _core.dropout2d_forward(np.zeros((3, 4), f32), 5, 0.5, 1)


def test_dropout2d_other_ranks_follow_torch(torch):
    # torch's deprecated path (mnist_rnn's Dropout2d on the (N, 64) LSTM output): a warning, then feature dropout
    # over dims (0, 1), so a 2-D input loses single elements and a 5-D one whole (n, c) slices
    ne.manual_seed(0)
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
        y = ne.nn.Dropout2d(0.5)(ne.ones(64, 64)).numpy()
    assert set(np.unique(y)) == {0.0, 2.0} and 0.4 < (y == 0).mean() < 0.6
    assert 0 < (y == 0).sum(axis=1).min() and (y == 0).sum(axis=1).max() < 64  # not whole rows
    with pytest.warns(UserWarning):
        y5 = F.dropout2d(ne.ones(4, 8, 2, 3, 2), 0.5).numpy().reshape(32, -1)
    assert np.all((y5 == 0).all(1) | (y5 == 2).all(1)) and (y5 == 0).all(1).any()
    with pytest.warns(UserWarning, match="Received a 2-D input"):
        ty = torch.nn.Dropout2d(0.5)(torch.ones(64, 64)).numpy()
    assert 0 < (ty == 0).sum(axis=1).min() and (ty == 0).sum(axis=1).max() < 64
    m = ne.nn.Dropout2d(0.5).eval()
    with pytest.warns(UserWarning):
        assert np.array_equal(m(ne.ones(3, 4)).numpy(), np.ones((3, 4), np.float32))
