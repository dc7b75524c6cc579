"""F.channel_shuffle / nn.ChannelShuffle and nn.utils.rnn.unpad_sequence / unpack_sequence: equal torch's
(values, gradients, reprs, the order of unpacked sequences)."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine import nn
from nnengine.nn.utils import rnn


@pytest.mark.parametrize("shape,groups", [((2, 6, 3, 2), 3), ((1, 8, 5), 2), ((2, 4, 2, 2, 2), 4)])
def test_channel_shuffle_matches_torch(torch, shape, groups):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    a, t = ne.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = F.channel_shuffle(a, groups), torch.nn.functional.channel_shuffle(t, groups)
    np.testing.assert_array_equal(y.detach().numpy(), ty.detach().numpy())
    w = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    (y * ne.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(a.grad, t.grad.numpy())
    assert repr(nn.ChannelShuffle(groups)) == repr(torch.nn.ChannelShuffle(groups))
    np.testing.assert_array_equal(nn.ChannelShuffle(groups)(ne.tensor(x)).numpy(), ty.detach().numpy())


def test_unpad_and_unpack_sequence_match_torch(torch):
    rng = np.random.default_rng(0)
    seqs = [rng.standard_normal((n, 3)).astype(np.float32) for n in (4, 1, 3)]
    for batch_first in (False, True):
        padded = rnn.pad_sequence([ne.tensor(s) for s in seqs], batch_first=batch_first)
        tpadded = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first=batch_first)
        mine = rnn.unpad_sequence(padded, ne.tensor([4, 1, 3]), batch_first=batch_first)
        ref = torch.nn.utils.rnn.unpad_sequence(tpadded, torch.tensor([4, 1, 3]), batch_first=batch_first)
        for a, b in zip(mine, ref):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    packed = rnn.pack_sequence([ne.tensor(s) for s in seqs], enforce_sorted=False)
    tpacked = torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    for a, b in zip(rnn.unpack_sequence(packed), torch.nn.utils.rnn.unpack_sequence(tpacked)):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_dropout3d_drops_whole_volumes_and_scales(torch):
    ne.manual_seed(0)
    x = ne.ones(8, 16, 2, 3, 3, requires_grad=True)
    y = F.dropout3d(x, 0.25)
    vol = y.detach().numpy().reshape(8, 16, -1)
    assert np.all((vol == 0).all(2) | np.isclose(vol, 1 / 0.75).all(2))  # each (n, c) volume kept or dropped
    assert 0.15 < (vol[:, :, 0] == 0).mean() < 0.35
    y.sum().backward()
    np.testing.assert_allclose(x.grad, y.detach().numpy())
    assert F.dropout3d(x, 0.25, training=False) is x
    assert repr(nn.Dropout3d(0.3)).startswith("Dropout3d(p=0.3")
    with pytest.raises(ValueError, match="input"):
        F.dropout3d(ne.ones(2, 3, 4), 0.5)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: F.channel_shuffle(ne.ones(2, 5, 3), 2), ValueError, "groups"),
    (lambda: F.channel_shuffle(ne.ones(2, 4), 2), ValueError, "input"),
    (lambda: F.channel_shuffle(ne.ones(2, 4, 1), 0), ValueError, "groups"),
    (lambda: rnn.unpad_sequence(ne.ones(3, 2, 1), [3]), ValueError, "lengths"),
    (lambda: rnn.unpad_sequence(ne.ones(3, 2, 1), [4, 1]), ValueError, "lengths"),
])
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
