"""RNN / LSTM C++ kernels (one direction) vs the float64 numpy oracle, which is itself checked by
finite differences; every ISA; scalar twins; 1 vs 2 threads bit-identical; vector-math error bounds."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import numeric_grad
from reference import rnn as R

from nnengine import _core


def _data(rng, T, B, I, H, G, bias=True):
    f = np.float32
    return dict(
        x=rng.standard_normal((T, B, I)).astype(f),
        h0=(0.5 * rng.standard_normal((B, H))).astype(f),
        c0=(0.5 * rng.standard_normal((B, H))).astype(f),
        w_ih=(rng.standard_normal((G * H, I)) / np.sqrt(I)).astype(f),
        w_hh=(rng.standard_normal((G * H, H)) / np.sqrt(H)).astype(f),
        bias=rng.standard_normal(G * H).astype(f) if bias else None,
        dy=rng.standard_normal((T, B, H)).astype(f),
        dh=rng.standard_normal((B, H)).astype(f),
        dc=rng.standard_normal((B, H)).astype(f),
    )


def _close(got, want, tol=2e-5):
    for g, w in zip(got, want):
        if w is None:
            assert g is None
            continue
        scale = max(1.0, float(np.abs(w).max()))
        np.testing.assert_allclose(g, w, rtol=0, atol=tol * scale)


SHAPES = [
    (1, 1, 1, 1),
    (3, 2, 5, 7),
    (4, 3, 8, 8),
    (2, 9, 9, 9),
    (5, 1, 15, 16),
    (3, 17, 4, 17),
    (2, 5, 33, 33),
    (6, 20, 3, 15),
]


@pytest.mark.parametrize("T,B,I,H", SHAPES)
@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_kernel_vs_float64(isa, rng, T, B, I, H, reverse):
    d = _data(rng, T, B, I, H, 4, bias=H != 9)
    args = (d["x"], d["h0"], d["c0"], d["w_ih"], d["w_hh"], d["bias"])
    want = R.lstm_forward(*args, reverse=reverse)
    want_b = R.lstm_backward(d["dy"], d["dh"], d["dc"], *args, reverse=reverse)
    for reference in (False, True):
        y, hn, cn, g, cs = _core.lstm_forward(*args, reverse=reverse, reference=reference)
        _close((y, hn, cn), want)
        got = _core.lstm_backward(
            d["dy"], d["dh"], d["dc"], *args, y, g, cs, reverse=reverse, reference=reference
        )
        _close(got, want_b)
    # inference mode (no workspace) gives the same outputs
    y2, hn2, cn2, g2, cs2 = _core.lstm_forward(*args, reverse=reverse, train=False)
    assert g2 is None and cs2 is None
    _close((y2, hn2, cn2), want)


@pytest.mark.parametrize("T,B,I,H", SHAPES)
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("reverse", [False, True])
def test_rnn_kernel_vs_float64(isa, rng, T, B, I, H, nonlinearity, reverse):
    d = _data(rng, T, B, I, H, 1, bias=H != 9)
    args = (d["x"], d["h0"], d["w_ih"], d["w_hh"], d["bias"])
    want = R.rnn_forward(*args, nonlinearity, reverse)
    for reference in (False, True):
        y, hn = _core.rnn_forward(*args, nonlinearity, reverse, reference)
        _close((y, hn), want)
        got = _core.rnn_backward(d["dy"], d["dh"], *args, y, nonlinearity, reverse, reference)
        _close(got, R.rnn_backward(d["dy"], d["dh"], *args, y.astype(np.float64), nonlinearity, reverse))


@pytest.mark.parametrize("reverse", [False, True])
def test_float64_oracle_lstm_finite_differences(rng, reverse):
    T, B, I, H = 3, 2, 3, 2
    d = _data(rng, T, B, I, H, 4)
    names = ["x", "h0", "c0", "w_ih", "w_hh", "bias"]
    base = {k: d[k].astype(np.float64) for k in names}
    dy, dh, dc = (d[k].astype(np.float64) for k in ("dy", "dh", "dc"))

    def loss(**kw):
        y, h, c = R.lstm_forward(*(kw[k] for k in names), reverse=reverse)
        return float((y * dy).sum() + (h * dh).sum() + (c * dc).sum())

    grads = R.lstm_backward(dy, dh, dc, *(base[k] for k in names), reverse=reverse)
    for name, g in zip(["x", "h0", "c0", "w_ih", "w_hh", "bias"], grads):
        num = numeric_grad(lambda v, n=name: loss(**{**base, n: v}), base[name])
        np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_float64_oracle_rnn_finite_differences(rng, nonlinearity):
    T, B, I, H = 3, 2, 3, 3
    d = _data(rng, T, B, I, H, 1)
    names = ["x", "h0", "w_ih", "w_hh", "bias"]
    base = {k: d[k].astype(np.float64) for k in names}
    dy, dh = d["dy"].astype(np.float64), d["dh"].astype(np.float64)

    def loss(**kw):
        y, h = R.rnn_forward(*(kw[k] for k in names), nonlinearity)
        return float((y * dy).sum() + (h * dh).sum())

    y, _ = R.rnn_forward(*(base[k] for k in names), nonlinearity)
    grads = R.rnn_backward(dy, dh, *(base[k] for k in names), y, nonlinearity)
    grads = (grads[0], grads[1], grads[2], grads[3], grads[4])
    for name, g in zip(names, grads):
        num = numeric_grad(lambda v, n=name: loss(**{**base, n: v}), base[name])
        np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("reverse", [False, True])
def test_one_vs_two_threads_identical(isa, rng, threads, reverse):
    # B 40 / 64: threads take whole row groups for the whole sequence; B 5, H 200: a single row group,
    # each step split over hidden blocks.
    cases = []
    for T, B, I, H in ((4, 40, 24, 72), (3, 5, 7, 200)):
        d = _data(rng, T, B, I, H, 4)
        cases.append(("lstm", d, (d["x"], d["h0"], d["c0"], d["w_ih"], d["w_hh"], d["bias"])))
    for T, B, I, H in ((4, 64, 24, 136), (3, 5, 7, 300)):
        r = _data(rng, T, B, I, H, 1)
        cases.append(("rnn", r, (r["x"], r["h0"], r["w_ih"], r["w_hh"], r["bias"])))
    outs = []
    for n in (1, 2):
        res = []
        with threads(n):
            for kind, d, args in cases:
                if kind == "lstm":
                    y, hn, cn, g, cs = _core.lstm_forward(*args, reverse=reverse)
                    back = _core.lstm_backward(d["dy"], d["dh"], d["dc"], *args, y, g, cs, reverse=reverse)
                    res += [y, hn, cn, *back]
                else:
                    ry, rh = _core.rnn_forward(*args, reverse=reverse)
                    rback = _core.rnn_backward(d["dy"], d["dh"], *args, ry, reverse=reverse)
                    res += [ry, rh, *rback]
        outs.append(res)
    for a, b in zip(*outs):
        assert np.array_equal(a, b)


def test_vmath_error(isa):
    """core/simd.h's vsigmoid / vtanh / vexp as the recurrent kernels use them: stated max errors hold."""
    x = np.concatenate(
        [np.linspace(-30, 30, 120001), np.logspace(-30, 1, 1000), -np.logspace(-30, 1, 1000), [0.0]]
    ).astype(np.float32)
    xd = x.astype(np.float64)
    sr, tr = 1 / (1 + np.exp(-xd)), np.tanh(xd)
    nz = tr != 0
    for suffix in ("", "_fast"):  # exact division / vrcp (estimate + one Newton step)
        s, t = _core.vmath(x, "sigmoid" + suffix), _core.vmath(x, "tanh" + suffix)
        assert np.abs(s - sr).max() <= 2.5e-7 and (np.abs(s - sr) / sr).max() <= 2.5e-7
        assert np.abs(t - tr).max() <= 2.5e-7 and (np.abs(t - tr)[nz] / np.abs(tr[nz])).max() <= 2.5e-7
        assert np.all(t[x == 0] == 0.0)
    xe = np.linspace(-87, 88, 50001).astype(np.float32)
    er = np.exp(xe.astype(np.float64))
    for kind in ("exp", "exp_fast"):
        assert (np.abs(_core.vmath(xe, kind) - er) / er).max() <= 1.5e-7
    # saturation: no inf / nan far outside the range
    big = np.array([-1e30, -200, 200, 1e30], np.float32)
    for suffix in ("", "_fast"):
        assert np.array_equal(_core.vmath(big, "tanh" + suffix), [-1, -1, 1, 1])
        sb = _core.vmath(big, "sigmoid" + suffix)
        assert np.all(np.isfinite(sb)) and np.all(sb[:2] < 1e-38) and np.all(np.abs(sb[2:] - 1) <= 6e-8)
    with pytest.raises(ValueError, match="kind: expected"):
        _core.vmath(x, "relu")


def test_kernel_bad_input():
    f = np.float32
    x, h0 = np.zeros((2, 3, 4), f), np.zeros((3, 5), f)
    wi, wh = np.zeros((20, 4), f), np.zeros((20, 5), f)
    with pytest.raises(ValueError, match="x: expected 3 dimensions"):
        _core.lstm_forward(np.zeros((3, 4), f), h0, h0, wi, wh)
    with pytest.raises(TypeError, match="x: expected dtype float32"):
        _core.lstm_forward(x.astype(np.float64), h0, h0, wi, wh)
    with pytest.raises(ValueError, match="w_hh: expected shape"):
        _core.lstm_forward(x, h0, h0, wi, np.zeros((20, 4), f))
    with pytest.raises(ValueError, match="w_ih: expected shape"):
        _core.lstm_forward(x, h0, h0, np.zeros((20, 3), f), wh)
    with pytest.raises(ValueError, match="c0: expected shape"):
        _core.lstm_forward(x, h0, np.zeros((2, 5), f), wi, wh)
    with pytest.raises(ValueError, match="bias: expected shape"):
        _core.lstm_forward(x, h0, h0, wi, wh, np.zeros(5, f))
    with pytest.raises(ValueError, match="x: expected a non-empty"):
        _core.rnn_forward(np.zeros((0, 3, 4), f), h0, wi[:5], wh[:5])
    with pytest.raises(ValueError, match="nonlinearity"):
        _core.rnn_forward(x, h0, wi[:5], wh[:5], None, "sigmoid")
    with pytest.raises(ValueError, match="gates: expected shape"):
        _core.lstm_backward(
            np.zeros((2, 3, 5), f),
            h0,
            h0,
            x,
            h0,
            h0,
            wi,
            wh,
            None,
            np.zeros((2, 3, 5), f),
            np.zeros((2, 3, 5), f),
            np.zeros((2, 3, 5), f),
        )


@pytest.mark.parametrize("reference", [False, True])
def test_shared_output_columns(isa, rng, reference):
    """Both directions writing one (T, B, 2H) array (out / out_col, y_col) equal separate contiguous calls."""
    T, B, I, H = 5, 19, 7, 9
    for G, fwd, bwd in ((4, _core.lstm_forward, _core.lstm_backward), (1, _core.rnn_forward, _core.rnn_backward)):
        d = _data(rng, T, B, I, H, G)
        lstm = G == 4
        pre = (d["x"], d["h0"], d["c0"]) if lstm else (d["x"], d["h0"])
        args = pre + (d["w_ih"], d["w_hh"], d["bias"])
        out = np.full((T, B, 2 * H + 3), np.nan, np.float32)
        dy2 = rng.standard_normal(out.shape).astype(np.float32)
        for col, rev in ((0, False), (H + 3, True)):
            alone = fwd(*args, reverse=rev, reference=reference)
            shared = fwd(*args, reverse=rev, reference=reference, out=out, out_col=col)
            assert shared[0] is out
            np.testing.assert_array_equal(out[:, :, col : col + H], alone[0])
            for a, b in zip(alone[1:], shared[1:]):
                assert (a is None and b is None) or np.array_equal(a, b)
            dy = np.ascontiguousarray(dy2[:, :, col : col + H])
            if lstm:
                tail = (d["x"], d["h0"], d["c0"], d["w_ih"], d["w_hh"], d["bias"])
                g1 = bwd(dy, d["dh"], d["dc"], *tail, alone[0], *alone[3:], reverse=rev, reference=reference)
                g2 = bwd(dy2, d["dh"], d["dc"], *tail, out, *shared[3:], reverse=rev, reference=reference, y_col=col)
            else:
                tail = (d["x"], d["h0"], d["w_ih"], d["w_hh"], d["bias"])
                g1 = bwd(dy, d["dh"], *tail, alone[0], reverse=rev, reference=reference)
                g2 = bwd(dy2, d["dh"], *tail, out, reverse=rev, reference=reference, y_col=col)
            for a, b in zip(g1, g2):
                np.testing.assert_array_equal(a, b)
        assert np.isnan(out[:, :, H : H + 3]).all()  # the gap between the two directions is untouched
    x, h0 = d["x"], d["h0"]
    with pytest.raises(ValueError, match="out_col"):
        _core.rnn_forward(x, h0, d["w_ih"], d["w_hh"], out=np.zeros((T, B, H), np.float32), out_col=1)
    with pytest.raises(ValueError, match="out: expected shape"):
        _core.rnn_forward(x, h0, d["w_ih"], d["w_hh"], out=np.zeros((T, B + 1, H), np.float32))
    with pytest.raises(ValueError, match="dy: expected shape"):
        _core.rnn_backward(np.zeros((T, B, H), np.float32), d["dh"], x, h0, d["w_ih"], d["w_hh"], None,
                           np.zeros((T, B, H + 1), np.float32))


def _forward_of(kind, rng, I, H):
    """(forward(w_ih, w_hh) -> outputs, w_ih, w_hh) of one recurrent kernel with fixed other operands."""
    G = {"lstm": 4, "rnn": 1, "gru": 3}[kind]
    d = _data(rng, 1, 2, I, H, G)
    if kind == "lstm":
        return (lambda wi, wh: _core.lstm_forward(d["x"], d["h0"], d["c0"], wi, wh, d["bias"], train=False)[:3],
                d["w_ih"], d["w_hh"])
    if kind == "rnn":
        return lambda wi, wh: _core.rnn_forward(d["x"], d["h0"], wi, wh, d["bias"], "tanh", False), d["w_ih"], d["w_hh"]
    b = d["bias"][: G * H]
    return lambda wi, wh: _core.gru_forward(d["x"], d["h0"], wi, wh, b, b, train=False)[:2], d["w_ih"], d["w_hh"]


@pytest.mark.parametrize("kind", ["lstm", "rnn", "gru"])
def test_packed_weight_cache_follows_every_write(isa, rng, kind):
    """The forward kernels reuse their packed weights while the weight bytes are those they were packed from: a
    write in place (same array, same address, one element) must repack: each result equals the one computed
    after evicting the cache (another shape in between), bit for bit."""
    fwd, w_ih, w_hh = _forward_of(kind, rng, 5, 9)
    other, wi2, wh2 = _forward_of(kind, rng, 3, 4)

    def fresh():
        other(wi2, wh2)  # another shape evicts the cached packing
        return fwd(w_ih, w_hh)

    prev = fwd(w_ih, w_hh)
    for w, idx in ((w_hh, (0, 0)), (w_hh, (-1, -1)), (w_ih, (3, 2)), (w_ih, (-1, -1))):
        w[idx] += 0.25  # an in-place edit, as an optimizer step or load_state_dict's copy makes
        got = fwd(w_ih, w_hh)
        assert not all(np.array_equal(a, b) for a, b in zip(got, prev)), "the edit was not seen"
        for a, b in zip(got, fresh()):
            assert np.array_equal(a, b)
        prev = got
    assert all(np.array_equal(a, b) for a, b in zip(fwd(w_ih, w_hh), prev))  # unchanged bytes: same result
    w_ih2, w_hh2 = w_ih.copy(), w_hh.copy()  # equal bytes at other addresses: the same values
    for a, b in zip(fwd(w_ih2, w_hh2), prev):
        assert np.array_equal(a, b)
