"""nn.utils.rnn: PackedSequence, pack_padded_sequence / pad_packed_sequence / pack_sequence and nn.RNN / LSTM /
GRU on packed input (data, batch sizes, index maps, outputs, h_n (each sequence's last valid step, original
order), input, state and weight gradients equal torch 2.13 in float64), pad_sequence (both sides, batch_first,
trailing dims, int ids, gradients vs torch); errors."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
from nnengine import nn
from nnengine.nn.utils.rnn import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted,lens", [(True, [5, 3, 3, 1]), (False, [3, 5, 1, 3])])
def test_pack_and_pad_vs_torch(torch, batch_first, enforce_sorted, lens):
    x = np.random.default_rng(0).standard_normal((4, 5, 2) if batch_first else (5, 4, 2))
    a, at = ne.tensor(x, dtype=ne.float64, requires_grad=True), torch.tensor(x, requires_grad=True)
    p = pack_padded_sequence(a, lens, batch_first=batch_first, enforce_sorted=enforce_sorted)
    pt = torch.nn.utils.rnn.pack_padded_sequence(at, lens, batch_first=batch_first, enforce_sorted=enforce_sorted)
    np.testing.assert_array_equal(p.data.numpy(), pt.data.detach().numpy())
    assert p.batch_sizes.tolist() == pt.batch_sizes.tolist()
    for mine, ref in ((p.sorted_indices, pt.sorted_indices), (p.unsorted_indices, pt.unsorted_indices)):
        assert (mine is None and ref is None) or mine.tolist() == ref.tolist()
    out, n = pad_packed_sequence(p, batch_first=batch_first, padding_value=-2.0, total_length=6)
    ref, nt = torch.nn.utils.rnn.pad_packed_sequence(pt, batch_first=batch_first, padding_value=-2.0, total_length=6)
    np.testing.assert_array_equal(out.numpy(), ref.detach().numpy())
    assert n.tolist() == nt.tolist() and n.dtype == np.int64
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(g)
    ref.backward(torch.tensor(g))
    np.testing.assert_array_equal(a.grad, at.grad.numpy())


def test_pack_sequence():
    p = pack_sequence([ne.ones(3, 2), ne.ones(2, 2), ne.ones(1, 2)])
    assert isinstance(p, PackedSequence) and p.batch_sizes.tolist() == [3, 2, 1] and p.data.shape == (6, 2)
    assert pack_sequence([ne.ones(1, 2), ne.ones(3, 2)], enforce_sorted=False).sorted_indices.tolist() == [1, 0]


RNN_CASES = [("LSTM", dict(num_layers=2, bidirectional=True)), ("GRU", dict(batch_first=True)),
             ("RNN", dict(nonlinearity="relu", num_layers=2)), ("LSTM", dict(batch_first=True)),
             ("GRU", dict(bidirectional=True))]


@pytest.mark.parametrize("cls,kw", RNN_CASES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(RNN_CASES)])
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("with_hx", [True, False])
def test_rnn_on_packed_input_vs_torch(torch, cls, kw, enforce_sorted, with_hx):
    rng = np.random.default_rng(2)
    tm = getattr(torch.nn, cls)(3, 4, **kw).double()
    m = getattr(nn, cls)(3, 4, **kw).double()
    m.load_state_dict(tm.state_dict())
    bf = kw.get("batch_first", False)
    lens = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 3]
    x = rng.standard_normal((4, 5, 3) if bf else (5, 4, 3))
    a, at = ne.tensor(x, dtype=ne.float64, requires_grad=True), torch.tensor(x, requires_grad=True)
    nd = (2 if kw.get("bidirectional") else 1) * kw.get("num_layers", 1)
    h0 = rng.standard_normal((nd, 4, 4))
    hx = hxt = None
    if with_hx:
        hx = (ne.tensor(h0, dtype=ne.float64), ne.tensor(h0 * 0.5, dtype=ne.float64)) if cls == "LSTM" else \
            ne.tensor(h0, dtype=ne.float64)
        hxt = (torch.tensor(h0), torch.tensor(h0 * 0.5)) if cls == "LSTM" else torch.tensor(h0)
    out, h = m(pack_padded_sequence(a, lens, batch_first=bf, enforce_sorted=enforce_sorted), hx)
    outt, ht = tm(torch.nn.utils.rnn.pack_padded_sequence(at, lens, batch_first=bf, enforce_sorted=enforce_sorted),
                  hxt)
    assert isinstance(out, PackedSequence)
    np.testing.assert_allclose(out.data.numpy(), outt.data.detach().numpy(), rtol=1e-10, atol=1e-12)
    hs, hst = (h, ht) if cls == "LSTM" else ((h,), (ht,))
    for mine, ref in zip(hs, hst):
        np.testing.assert_allclose(mine.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    padded, _ = pad_packed_sequence(out, batch_first=bf)
    paddedt, _ = torch.nn.utils.rnn.pad_packed_sequence(outt, batch_first=bf)
    (padded.sum() + sum((s * s).sum() for s in hs)).backward()
    (paddedt.sum() + sum((s * s).sum() for s in hst)).backward()
    np.testing.assert_allclose(a.grad, at.grad.numpy(), rtol=1e-9, atol=1e-11)
    for (n, p), (_, pt) in zip(m.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(p.grad, pt.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=n)


def test_packed_float32_and_errors():
    lstm = nn.LSTM(3, 4)
    out, (h, c) = lstm(pack_padded_sequence(ne.randn(4, 2, 3), [4, 2]))
    assert out.data.dtype == np.float32 and out.data.shape == (6, 4) and h.shape == (1, 2, 4)
    with pytest.raises(ValueError, match=r"lengths: expected a decreasing order with enforce_sorted=True, got \[2, 4\]"):
        pack_padded_sequence(ne.zeros(4, 2, 3), [2, 4])
    with pytest.raises(ValueError, match="lengths: expected 2 lengths"):
        pack_padded_sequence(ne.zeros(4, 2, 3), [2])
    with pytest.raises(ValueError, match="exceeds the padded sequence length 4"):
        pack_padded_sequence(ne.zeros(4, 2, 3), [5, 1])
    with pytest.raises(ValueError, match="every length >= 1"):
        pack_padded_sequence(ne.zeros(4, 2, 3), [4, 0])
    with pytest.raises(ValueError, match="input: expected last dimension 3"):
        lstm(pack_padded_sequence(ne.zeros(4, 2, 5), [4, 2]))
    with pytest.raises(ValueError, match=r"h0: expected shape \(1, 2, 4\)"):
        lstm(pack_padded_sequence(ne.zeros(4, 2, 3), [4, 2]), (ne.zeros(1, 3, 4), ne.zeros(1, 3, 4)))
    with pytest.raises(ValueError, match="total_length: expected at least the longest length 4, got 3"):
        pad_packed_sequence(pack_padded_sequence(ne.zeros(4, 2, 3), [4, 2]), total_length=3)
    with pytest.raises(TypeError, match="sequence: expected a PackedSequence"):
        pad_packed_sequence(ne.zeros(3))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence_vs_torch(torch, batch_first, side):
    rng = np.random.default_rng(2)
    arrs = [rng.standard_normal((n, 3, 2)) for n in (4, 1, 6)]
    xs = [ne.tensor(a, dtype=ne.float64, requires_grad=True) for a in arrs]
    ts = [torch.tensor(a, requires_grad=True) for a in arrs]
    y = pad_sequence(xs, batch_first=batch_first, padding_value=-1.5, padding_side=side)
    yt = torch.nn.utils.rnn.pad_sequence(ts, batch_first=batch_first, padding_value=-1.5, padding_side=side)
    np.testing.assert_array_equal(y.numpy(), yt.detach().numpy())
    g = rng.standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    for x, t in zip(xs, ts):
        np.testing.assert_array_equal(x.grad, t.grad.numpy())


def test_pad_sequence_ids_and_errors():
    ids = ne.nn.utils.rnn.pad_sequence([ne.tensor([5, 6]), ne.tensor([7, 8, 9])], padding_value=1)
    assert ids.dtype == np.int64 and ids.tolist() == [[5, 7], [6, 8], [1, 9]]
    with pytest.raises(ValueError, match=r"sequences\[1\]: expected trailing dims \(2,\)"):
        pad_sequence([ne.zeros(3, 2), ne.zeros(3, 4)])
    with pytest.raises(ValueError, match="padding_side: expected 'left' or 'right', got 'top'"):
        pad_sequence([ne.zeros(3)], padding_side="top")
    with pytest.raises(TypeError, match=r"sequences\[0\]: expected a Tensor, got ndarray"):
        pad_sequence([np.zeros(3)])
    with pytest.raises(ValueError, match="empty"):
        pad_sequence([])
    with pytest.raises(TypeError, match="sequences: expected a list or tuple"):
        pad_sequence(ne.zeros(3, 2))
