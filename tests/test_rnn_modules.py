"""nn.RNN / nn.LSTM / cells vs torch (outputs and every gradient), streaming, dropout, bad input."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
from nnengine import nn


def _copy(m, tm):
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})


def _pair(torch, kind, *args, seed=0, **kw):
    """nnengine's and torch's ``kind`` layer built with the same arguments, torch's weights copied over."""
    torch.manual_seed(seed)
    tm = getattr(torch.nn, kind)(*args, **kw)
    m = getattr(nn, kind)(*args, **kw)
    assert list(m.state_dict()) == list(tm.state_dict())
    _copy(m, tm)
    return m, tm


def _compare(torch, m, tm, x, hx, batch_first=False, tol=3e-5):
    """Forward both, backward a random projection of every output; compare outputs and all grads."""
    is_lstm = isinstance(m, nn.LSTM)
    rng = np.random.default_rng(0)
    xt = torch.tensor(x, requires_grad=True)
    xn = ne.tensor(x, requires_grad=True)
    if hx is None:
        ht, hn_in = None, None
    elif is_lstm:
        ht = tuple(torch.tensor(h, requires_grad=True) for h in hx)
        hn_in = tuple(ne.tensor(h, requires_grad=True) for h in hx)
    else:
        ht = torch.tensor(hx, requires_grad=True)
        hn_in = ne.tensor(hx, requires_grad=True)
    out_t = tm(xt, ht)
    out_n = m(xn, hn_in)
    flat_t = [out_t[0]] + (list(out_t[1]) if is_lstm else [out_t[1]])
    flat_n = [out_n[0]] + (list(out_n[1]) if is_lstm else [out_n[1]])
    loss_t, loss_n = 0, 0
    for a, b in zip(flat_t, flat_n):
        np.testing.assert_allclose(b.data, a.detach().numpy(), rtol=0, atol=tol)
        w = rng.standard_normal(a.shape).astype(np.float32)
        loss_t = loss_t + (a * torch.tensor(w)).sum()
        loss_n = loss_n + (b * ne.tensor(w)).sum()
    loss_t.backward()
    loss_n.backward()
    np.testing.assert_allclose(xn.grad, xt.grad.numpy(), rtol=0, atol=tol * 3)
    if hx is not None:
        pairs = zip(hn_in, ht) if is_lstm else [(hn_in, ht)]
        for a, b in pairs:
            np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=0, atol=tol * 3)
    tp = dict(tm.named_parameters())
    for name, p in m.named_parameters():
        np.testing.assert_allclose(p.grad, tp[name].grad.numpy(), rtol=0, atol=tol * 10, err_msg=name)


CONFIGS = [
    # (T, B, I, H, layers, bidirectional, batch_first, bias, with_state)
    (5, 3, 7, 9, 1, False, False, True, False),
    (1, 4, 8, 8, 1, False, False, True, True),
    (4, 1, 16, 15, 2, True, False, True, True),
    (6, 2, 17, 16, 3, False, True, True, True),
    (3, 5, 9, 17, 2, True, True, False, False),
    (2, 33, 1, 33, 1, True, False, True, True),
    (7, 8, 5, 1, 3, True, False, True, True),
]


def _vs_torch(torch, kind, cfg, seed=1, **kw):
    """torch's and nnengine's ``kind`` layer ("RNN", "LSTM", "GRU") for a CONFIGS entry: the same state_dict
    keys, torch's weights copied over, then :func:`_compare` on random input (and initial state)."""
    T, B, I, H, L, bi, bf, bias, with_state = cfg
    m, tm = _pair(torch, kind, I, H, num_layers=L, bias=bias, batch_first=bf, bidirectional=bi, **kw)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((B, T, I) if bf else (T, B, I)).astype(np.float32)
    D = 2 if bi else 1
    hx = None
    if with_state:
        hx = tuple(rng.standard_normal((L * D, B, H)).astype(np.float32) for _ in range(2 if kind == "LSTM" else 1))
        hx = hx if kind == "LSTM" else hx[0]
    _compare(torch, m, tm, x, hx)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_lstm_vs_torch(torch, cfg):
    _vs_torch(torch, "LSTM", cfg)


@pytest.mark.parametrize("cfg", CONFIGS)
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_vs_torch(torch, cfg, nonlinearity):
    _vs_torch(torch, "RNN", cfg, seed=2, nonlinearity=nonlinearity)


@pytest.mark.parametrize("kind, kw", [("RNN", {"nonlinearity": "relu"}), ("RNN", {}), ("LSTM", {}), ("GRU", {})])
def test_nan_input_propagates_as_in_torch(torch, kind, kw):
    # a NaN in the input reaches every later step of its sequence; the relu RNN's step turned it into 0
    m, tm = _pair(torch, kind, 5, 9, **kw)
    x = np.random.default_rng(3).standard_normal((6, 3, 5)).astype(np.float32)
    x[2, 1, 3] = np.nan
    y = m(ne.tensor(x))[0].numpy()
    yt = tm(torch.tensor(x))[0].detach().numpy()
    np.testing.assert_array_equal(np.isnan(y), np.isnan(yt))
    assert np.isnan(y[2:, 1]).all() and not np.isnan(y[:2]).any() and not np.isnan(y[:, [0, 2]]).any()
    np.testing.assert_allclose(y, yt, rtol=3e-5, atol=3e-5)


def test_unbatched_and_shapes(torch):
    m, tm = _pair(torch, "LSTM", 4, 6, num_layers=2, bidirectional=True)
    x = np.random.default_rng(3).standard_normal((5, 4)).astype(np.float32)
    hx = tuple(np.random.default_rng(4).standard_normal((4, 6)).astype(np.float32) for _ in range(2))
    _compare(torch, m, tm, x, hx)
    out, (h, c) = m(ne.tensor(x))
    assert out.shape == (5, 12) and h.shape == (4, 6) and c.shape == (4, 6)
    r = nn.RNN(4, 6, batch_first=True)
    out, h = r(ne.randn(2, 5, 4))
    assert out.shape == (2, 5, 6) and h.shape == (1, 2, 6)


def test_init_range_and_names():
    m = nn.LSTM(3, 16, num_layers=2, bidirectional=True)
    names = [n for n, _ in m.named_parameters()]
    assert names[:8] == [
        "weight_ih_l0",
        "weight_hh_l0",
        "bias_ih_l0",
        "bias_hh_l0",
        "weight_ih_l0_reverse",
        "weight_hh_l0_reverse",
        "bias_ih_l0_reverse",
        "bias_hh_l0_reverse",
    ]
    assert m.weight_ih_l1.shape == (64, 32) and m.weight_hh_l1_reverse.shape == (64, 16)
    for p in m.parameters():
        assert np.abs(p.data).max() <= 0.25 and np.abs(p.data).max() > 0.2


@pytest.mark.parametrize("kind", ["LSTMCell", "RNNCell"])
def test_cells_vs_torch(torch, kind):
    torch.manual_seed(0)
    tm = getattr(torch.nn, kind)(7, 9)
    m = getattr(nn, kind)(7, 9)
    _copy(m, tm)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 7)).astype(np.float32)
    hs = [rng.standard_normal((4, 9)).astype(np.float32) for _ in range(2)]
    xt, xn = torch.tensor(x, requires_grad=True), ne.tensor(x, requires_grad=True)
    if kind == "LSTMCell":
        st = tuple(torch.tensor(h, requires_grad=True) for h in hs)
        sn = tuple(ne.tensor(h, requires_grad=True) for h in hs)
        ot, on = tm(xt, st), m(xn, sn)
        (ot[0].sum() + 2 * ot[1].sum()).backward()
        (on[0].sum() + 2 * on[1].sum()).backward()
        for a, b in zip(on, ot):
            np.testing.assert_allclose(a.data, b.detach().numpy(), atol=2e-6)
        for a, b in zip(sn, st):
            np.testing.assert_allclose(a.grad, b.grad.numpy(), atol=2e-5)
        h1, c1 = m(ne.tensor(x[0]))
        assert h1.shape == (9,) and c1.shape == (9,)
    else:
        st, sn = torch.tensor(hs[0], requires_grad=True), ne.tensor(hs[0], requires_grad=True)
        ot, on = tm(xt, st), m(xn, sn)
        ot.sum().backward()
        on.sum().backward()
        np.testing.assert_allclose(on.data, ot.detach().numpy(), atol=2e-6)
        np.testing.assert_allclose(sn.grad, st.grad.numpy(), atol=2e-5)
    np.testing.assert_allclose(xn.grad, xt.grad.numpy(), atol=2e-5)
    for name, p in m.named_parameters():
        np.testing.assert_allclose(p.grad, dict(tm.named_parameters())[name].grad.numpy(), atol=1e-4)


@pytest.mark.parametrize("mode", ["LSTM", "RNN", "GRU"])
def test_chunked_stream_equals_whole(mode):
    ne.manual_seed(0)
    m = getattr(nn, mode)(3, 12, num_layers=2, batch_first=True)
    x = np.random.default_rng(6).standard_normal((2, 50, 3)).astype(np.float32)
    with ne.no_grad():
        whole, h_whole = m(ne.tensor(x))
    state, outs = None, []
    for s in range(0, 50, 7):  # uneven chunks, state carried (detached: truncated BPTT)
        out, state = m(ne.tensor(x[:, s : s + 7]), state)
        out.sum().backward()
        state = tuple(t.detach() for t in state) if mode == "LSTM" else state.detach()
        outs.append(out.data)
    assert np.array_equal(np.concatenate(outs, axis=1), whole.data)
    for a, b in zip(state if mode == "LSTM" else [state], h_whole if mode == "LSTM" else [h_whole]):
        assert np.array_equal(a.data, b.data)


def test_dropout_between_layers():
    ne.manual_seed(0)
    m = nn.LSTM(4, 8, num_layers=2, dropout=0.5)
    x = ne.randn(6, 3, 4)
    m.eval()
    a, _ = m(x)
    b, _ = m(x)
    assert np.array_equal(a.data, b.data)
    m.train()
    c, _ = m(x)
    assert not np.allclose(a.data, c.data)
    m2 = nn.LSTM(4, 8, num_layers=2)
    m2.load_state_dict(m.state_dict())
    assert np.array_equal(m2(x)[0].data, a.data)


def check_layer_input_errors(m):
    """The input checks every recurrent layer shares (``m`` built with input_size 4)."""
    with pytest.raises(ValueError, match="input: expected last dimension 4"):
        m(ne.randn(3, 2, 5))
    with pytest.raises(ValueError, match="input: expected 2 or 3 dimensions"):
        m(ne.randn(3, 2, 4, 1))
    with pytest.raises(TypeError, match="input: expected a Tensor"):
        m("abc")


def test_bad_input():
    m = nn.LSTM(4, 8, num_layers=2)
    check_layer_input_errors(m)
    with pytest.raises(ValueError, match=r"h0: expected shape \(2, 2, 8\)"):
        m(ne.randn(3, 2, 4), (ne.randn(1, 2, 8), ne.randn(2, 2, 8)))
    with pytest.raises(TypeError, match="hx: expected a tuple"):
        m(ne.randn(3, 2, 4), ne.randn(2, 2, 8))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNN(4, 8, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size: expected a positive int"):
        nn.LSTM(4, 0)
    with pytest.raises(ValueError, match="dropout"):
        nn.LSTM(4, 8, dropout=1.5)
    with pytest.raises(ValueError, match=r"hx: expected shape \(2, 8\)"):
        nn.RNNCell(4, 8)(ne.randn(2, 4), ne.randn(3, 8))
    with pytest.raises(ValueError, match="w_ih: expected shape"):
        ne.functional.lstm_sequence(ne.randn(2, 3, 4), None, ne.randn(8, 5), ne.randn(8, 2))


@pytest.mark.parametrize("mode", ["lstm", "rnn"])
def test_functional_sequence_reverse_equals_flipped(mode):
    """F.{lstm,rnn}_sequence(reverse=True) is the forward recurrence over the time-flipped input, with
    identical outputs and gradients (the reverse flag of the one-direction layer node)."""
    rng = np.random.default_rng(3)
    T, B, I, H = 6, 5, 7, 9
    G = 4 if mode == "lstm" else 1
    f = ne.functional.lstm_sequence if mode == "lstm" else ne.functional.rnn_sequence
    x = rng.standard_normal((T, B, I)).astype(np.float32)
    ws = [rng.standard_normal(s).astype(np.float32) * 0.3 for s in ((G * H, I), (G * H, H), (G * H,), (G * H,))]
    results = []
    for reverse in (True, False):
        xs = ne.tensor(x if reverse else x[::-1].copy(), requires_grad=True)
        params = [ne.tensor(w, requires_grad=True) for w in ws]
        out = f(xs, None, *params, reverse=reverse)
        y = out[0].numpy() if reverse else out[0].numpy()[::-1]
        (out[0] * ne.tensor(np.arange(T * B * H, dtype=np.float32).reshape(T, B, H) % 7)[:: 1 if reverse else -1]
         ).sum().backward()
        gx = xs.grad if reverse else xs.grad[::-1]
        results.append((y, out[1].numpy(), gx, *[p.grad for p in params]))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_inter_layer_dropout_is_the_dropout_kernels_mask(threads):
    """The mask between layers is F.dropout's (C++ hash of a seed from nnengine.random): the layer-1 output
    times 1/(1-p) where kept, reproducible under manual_seed and the same at 1 and 2 threads."""
    from nnengine.functional import _rnn
    x = ne.randn(5, 40, 6)
    seen = []
    real = _rnn.dropout
    _rnn.dropout = lambda t, p, training: (seen.append(t.data.copy()), real(t, p, training))[1]
    try:
        outs = []
        for nt in (1, 2, 1):
            ne.manual_seed(3)
            m = nn.GRU(6, 16, num_layers=2, dropout=0.3)
            with threads(nt):
                outs.append(m(x)[0].data)
    finally:
        _rnn.dropout = real
    assert len(seen) == 3
    assert np.array_equal(outs[0], outs[1]) and np.array_equal(outs[0], outs[2])
    ne.manual_seed(11)
    h = ne.randn(200, 50)
    y = ne.functional.dropout(h, 0.3).data
    kept = y != 0
    assert 0.66 < kept.mean() < 0.74  # keep rate 1 - p
    np.testing.assert_allclose(y[kept], h.data[kept] / np.float32(0.7), rtol=1e-6)
    d = nn.LSTM(3, 4, num_layers=2, dropout=0.5).double()  # float64 layers: the same mask, scaled in float64
    out = d(ne.randn(4, 2, 3, dtype=ne.float64))[0]
    assert out.dtype == np.float64
