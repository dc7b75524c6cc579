"""nn.GRU / nn.GRUCell / F.gru vs torch (outputs, h_n and every gradient, weights from torch's state_dict),
every ISA, streaming in chunks, dropout between layers, gradcheck, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from test_rnn_modules import CONFIGS, _compare, _copy, _pair, _vs_torch, check_layer_input_errors

import nnengine as ne
from nnengine import nn
from nnengine.autograd import gradcheck


@pytest.mark.parametrize("cfg", CONFIGS)
def test_gru_vs_torch(torch, cfg):
    _vs_torch(torch, "GRU", cfg)


def test_gru_vs_torch_every_isa(torch, isa):
    """The bench shape's layer type (2 layers, bidirectional, batch_first) on every ISA."""
    m, tm = _pair(torch, "GRU", 9, 17, num_layers=2, batch_first=True, bidirectional=True, seed=1)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((33, 6, 9)).astype(np.float32)
    _compare(torch, m, tm, x, rng.standard_normal((4, 33, 17)).astype(np.float32), batch_first=True)


def test_unbatched_and_shapes(torch):
    m, tm = _pair(torch, "GRU", 4, 6, num_layers=2, bidirectional=True)
    x = np.random.default_rng(3).standard_normal((5, 4)).astype(np.float32)
    _compare(torch, m, tm, x, np.random.default_rng(4).standard_normal((4, 6)).astype(np.float32))
    out, h = m(ne.tensor(x))
    assert out.shape == (5, 12) and h.shape == (4, 6)
    out, h = nn.GRU(4, 6, batch_first=True)(ne.randn(2, 5, 4))
    assert out.shape == (2, 5, 6) and h.shape == (1, 2, 6)


def test_init_range_names_and_torch_state_dict(torch):
    m = nn.GRU(3, 16, num_layers=2, bidirectional=True)
    tm = torch.nn.GRU(3, 16, num_layers=2, bidirectional=True)
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in tm.named_parameters()]
    for (n, p), (_, tp) in zip(m.named_parameters(), tm.named_parameters()):
        assert p.shape == tuple(tp.shape), n
        assert np.abs(p.data).max() <= 0.25 and np.abs(p.data).max() > 0.2  # U(-1/sqrt(H), 1/sqrt(H))
    assert m.weight_ih_l1.shape == (48, 32) and m.weight_hh_l1_reverse.shape == (48, 16)
    c, tc = nn.GRUCell(3, 5, bias=False), torch.nn.GRUCell(3, 5, bias=False)
    assert list(c.state_dict()) == list(tc.state_dict()) == ["weight_ih", "weight_hh"]
    assert repr(nn.GRU(3, 4, num_layers=2, batch_first=True)) == "GRU(3, 4, num_layers=2, batch_first=True)"


@pytest.mark.parametrize("bias", [True, False])
def test_gru_cell_vs_torch(torch, bias):
    torch.manual_seed(0)
    tm, m = torch.nn.GRUCell(7, 9, bias=bias), nn.GRUCell(7, 9, bias=bias)
    _copy(m, tm)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 7)).astype(np.float32)
    h = rng.standard_normal((4, 9)).astype(np.float32)
    xt, xn = torch.tensor(x, requires_grad=True), ne.tensor(x, requires_grad=True)
    ht, hn = torch.tensor(h, requires_grad=True), ne.tensor(h, requires_grad=True)
    w = rng.standard_normal((4, 9)).astype(np.float32)
    ot, on = tm(xt, ht), m(xn, hn)
    np.testing.assert_allclose(on.data, ot.detach().numpy(), atol=2e-6)
    (ot * torch.tensor(w)).sum().backward()
    (on * ne.tensor(w)).sum().backward()
    np.testing.assert_allclose(xn.grad, xt.grad.numpy(), atol=2e-5)
    np.testing.assert_allclose(hn.grad, ht.grad.numpy(), atol=2e-5)
    tp = dict(tm.named_parameters())
    for name, p in m.named_parameters():
        np.testing.assert_allclose(p.grad, tp[name].grad.numpy(), atol=1e-4, err_msg=name)
    # no state (zeros) and unbatched input
    np.testing.assert_allclose(m(ne.tensor(x)).data, tm(torch.tensor(x)).detach().numpy(), atol=2e-6)
    h1 = m(ne.tensor(x[0]), ne.tensor(h[0]))
    assert h1.shape == (9,)
    np.testing.assert_allclose(h1.data, tm(torch.tensor(x[0]), torch.tensor(h[0])).detach().numpy(), atol=2e-6)


def test_grucell_steps_equal_the_layer():
    """(Chunked streaming == one whole call is tests/test_rnn_modules.py's test_chunked_stream_equals_whole.)"""
    ne.manual_seed(0)
    x = np.random.default_rng(6).standard_normal((2, 50, 3)).astype(np.float32)
    # a GRUCell stepping through the sequence equals the layer (one step is a sequence of length 1)
    cell = nn.GRUCell(3, 12)
    one = nn.GRU(3, 12, batch_first=True)
    cell.load_state_dict({k[:-3]: v for k, v in one.state_dict().items()})
    h, hs = None, []
    for t in range(50):
        h = cell(ne.tensor(x[:, t]), h)
        hs.append(h.data)
    with ne.no_grad():
        seq, _ = one(ne.tensor(x))
    assert np.array_equal(np.stack(hs, 1), seq.data)


def test_dropout_between_layers():
    ne.manual_seed(0)
    m = nn.GRU(4, 8, num_layers=2, dropout=0.5)
    x = ne.randn(6, 3, 4)
    m.eval()
    a, _ = m(x)
    assert np.array_equal(m(x)[0].data, a.data)
    m.train()
    c, _ = m(x)
    assert not np.allclose(a.data, c.data)
    one = nn.GRU(4, 8, num_layers=1, dropout=0.5)  # dropout after the last layer: none (PyTorch)
    one.train()
    assert np.array_equal(one(x)[0].data, one(x)[0].data)


def test_gradcheck():
    ne.manual_seed(0)
    gru = nn.GRU(3, 4, num_layers=2, bidirectional=True)
    seq = ne.tensor(np.random.default_rng(7).standard_normal((4, 2, 3)).astype(np.float32), requires_grad=True)
    h0 = ne.tensor((np.random.default_rng(8).standard_normal((4, 2, 4)) * 0.5).astype(np.float32), requires_grad=True)
    assert gradcheck(lambda s, h, w, b: gru(s, h)[0], [seq, h0, gru.weight_hh_l1, gru.bias_hh_l0_reverse])
    cell = nn.GRUCell(3, 5)
    assert gradcheck(lambda s, h: cell(s, h), [seq[0].detach().requires_grad_(True),
                                               ne.tensor(np.full((2, 5), 0.3, np.float32), requires_grad=True)])


@pytest.mark.parametrize("mode", ["sequence", "stacked"])
def test_functional(torch, mode):
    """F.gru_sequence (reverse = the flipped forward) and F.gru (the flat parameter list) as nn.GRU."""
    rng = np.random.default_rng(3)
    T, B, I, H = 6, 5, 7, 9
    x = rng.standard_normal((T, B, I)).astype(np.float32)
    ws = [rng.standard_normal(s).astype(np.float32) * 0.3 for s in ((3 * H, I), (3 * H, H), (3 * H,), (3 * H,))]
    if mode == "stacked":
        m = nn.GRU(I, H)
        m.load_state_dict(dict(zip(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"], ws)))
        out, h = ne.functional.gru(ne.tensor(x), None, [ne.tensor(w) for w in ws])
        ref, href = m(ne.tensor(x))
        assert np.array_equal(out.data, ref.data) and np.array_equal(h.data, href.data)
        return
    results = []
    for reverse in (True, False):
        xs = ne.tensor(x if reverse else x[::-1].copy(), requires_grad=True)
        params = [ne.tensor(w, requires_grad=True) for w in ws]
        y, h = ne.functional.gru_sequence(xs, None, *params, reverse=reverse)
        proj = ne.tensor(np.arange(T * B * H, dtype=np.float32).reshape(T, B, H) % 7)
        (y * proj[:: 1 if reverse else -1]).sum().backward()
        yv = y.numpy() if reverse else y.numpy()[::-1]
        gx = xs.grad if reverse else xs.grad[::-1]
        results.append((yv, h.numpy(), gx, *[p.grad for p in params]))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_empty_batch(torch):
    m, tm = nn.GRU(3, 4, bidirectional=True), torch.nn.GRU(3, 4, bidirectional=True)
    x = ne.tensor(np.zeros((5, 0, 3), np.float32), requires_grad=True)
    out, h = m(x)
    to, th = tm(torch.zeros(5, 0, 3))
    assert out.shape == tuple(to.shape) and h.shape == tuple(th.shape)
    out.sum().backward()
    assert x.grad.shape == (5, 0, 3) and np.all(m.weight_hh_l0.grad == 0)


def test_bad_input():
    m = nn.GRU(4, 8, num_layers=2)
    check_layer_input_errors(m)
    with pytest.raises(ValueError, match=r"hx: expected shape \(2, 2, 8\)"):
        m(ne.randn(3, 2, 4), ne.randn(1, 2, 8))
    with pytest.raises(ValueError, match="hidden_size: expected a positive int"):
        nn.GRU(4, 0)
    with pytest.raises(ValueError, match="num_layers: expected a positive int"):
        nn.GRU(4, 3, num_layers=0)
    with pytest.raises(ValueError, match="dropout"):
        nn.GRU(4, 8, dropout=-0.1)
    with pytest.raises(ValueError, match=r"hx: expected shape \(2, 8\)"):
        nn.GRUCell(4, 8)(ne.randn(2, 4), ne.randn(3, 8))
    with pytest.raises(ValueError, match="input: expected last dimension 4"):
        nn.GRUCell(4, 8)(ne.randn(2, 5))
    with pytest.raises(ValueError, match=r"w_hh: expected shape \(3\*H, H\)"):
        ne.functional.gru_sequence(ne.randn(2, 3, 4), None, ne.randn(12, 4), ne.randn(8, 2))
    with pytest.raises(ValueError, match="w_ih: expected shape"):
        ne.functional.gru_sequence(ne.randn(2, 3, 4), None, ne.randn(12, 5), ne.randn(12, 4))
    with pytest.raises(ValueError, match=r"b_hh: expected shape \(12,\)"):
        ne.functional.gru_sequence(ne.randn(2, 3, 4), None, ne.randn(12, 4), ne.randn(12, 4), None, ne.randn(4))
