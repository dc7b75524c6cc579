"""GRU C++ kernels (one direction) vs the float64 numpy oracle (itself checked by finite differences);
every ISA; the scalar twins; 1 vs 2 threads bit-identical; shared output columns; bad input."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import numeric_grad
from reference import rnn as R
from test_rnn_kernels import SHAPES, _close

from nnengine import _core


def _data(rng, T, B, I, H, bias=(True, True), zero_h0=False):
    f = np.float32
    return dict(
        x=rng.standard_normal((T, B, I)).astype(f),
        h0=np.zeros((B, H), f) if zero_h0 else (0.5 * rng.standard_normal((B, H))).astype(f),
        w_ih=(rng.standard_normal((3 * H, I)) / np.sqrt(I)).astype(f),
        w_hh=(rng.standard_normal((3 * H, H)) / np.sqrt(H)).astype(f),
        b_ih=rng.standard_normal(3 * H).astype(f) if bias[0] else None,
        b_hh=rng.standard_normal(3 * H).astype(f) if bias[1] else None,
        dy=rng.standard_normal((T, B, H)).astype(f),
        dh=rng.standard_normal((B, H)).astype(f),
    )


def _args(d):
    return d["x"], d["h0"], d["w_ih"], d["w_hh"], d["b_ih"], d["b_hh"]


BIASES = [(True, True), (False, False), (True, False), (False, True)]


@pytest.mark.parametrize("T,B,I,H", SHAPES)
@pytest.mark.parametrize("reverse", [False, True])
def test_gru_kernel_vs_float64(isa, rng, T, B, I, H, reverse):
    bias = BIASES[(T + B + H) % 4]
    d = _data(rng, T, B, I, H, bias, zero_h0=B == 3)
    args = _args(d)
    want = R.gru_forward(*args, reverse=reverse)
    want_b = R.gru_backward(d["dy"], d["dh"], *args, reverse=reverse)
    for reference in (False, True):
        y, hn, g = _core.gru_forward(*args, reverse=reverse, reference=reference)
        assert g.shape == (T, B, 4 * H)
        _close((y, hn), want)
        got = _core.gru_backward(d["dy"], d["dh"], *args, y, g, reverse=reverse, reference=reference)
        _close(got, want_b)
    # inference mode (no workspace) gives the same outputs, bit for bit
    y2, hn2, g2 = _core.gru_forward(*args, reverse=reverse, train=False)
    assert g2 is None
    y1, hn1, _ = _core.gru_forward(*args, reverse=reverse)
    assert np.array_equal(y1, y2) and np.array_equal(hn1, hn2)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [(True, True), (True, False)])
def test_float64_oracle_gru_finite_differences(rng, reverse, bias):
    T, B, I, H = 3, 2, 3, 2
    d = _data(rng, T, B, I, H, bias)
    names = ["x", "h0", "w_ih", "w_hh", "b_ih", "b_hh"]
    base = {k: (None if d[k] is None else d[k].astype(np.float64)) for k in names}
    dy, dh = d["dy"].astype(np.float64), d["dh"].astype(np.float64)

    def loss(**kw):
        y, h = R.gru_forward(*(kw[k] for k in names), reverse=reverse)
        return float((y * dy).sum() + (h * dh).sum())

    grads = R.gru_backward(dy, dh, *(base[k] for k in names), reverse=reverse)
    for name, g in zip(names, grads):
        if base[name] is None:
            assert g is None
            continue
        num = numeric_grad(lambda v, n=name: loss(**{**base, n: v}), base[name])
        np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("reverse", [False, True])
def test_one_vs_two_threads_identical(isa, rng, threads, reverse):
    # B 40: threads take whole row groups for the whole sequence; B 5, H 200: one row group, each step
    # split over hidden blocks.
    cases = [_data(rng, T, B, I, H) for T, B, I, H in ((4, 40, 24, 72), (3, 5, 7, 200))]
    outs = []
    for n in (1, 2):
        res = []
        with threads(n):
            for d in cases:
                y, hn, g = _core.gru_forward(*_args(d), reverse=reverse)
                back = _core.gru_backward(d["dy"], d["dh"], *_args(d), y, g, reverse=reverse)
                res += [y, hn, g, *back]
        outs.append(res)
    for a, b in zip(*outs):
        assert np.array_equal(a, b)


def test_chunked_equals_whole(isa, rng):
    """A sequence fed in chunks with the state carried gives the whole call's outputs bit for bit."""
    d = _data(rng, 23, 19, 9, 17)
    y, hn, _ = _core.gru_forward(*_args(d), train=False)
    h, ys = d["h0"], []
    for s in range(0, 23, 5):
        yc, h, _ = _core.gru_forward(np.ascontiguousarray(d["x"][s : s + 5]), h, *_args(d)[2:], train=False)
        ys.append(yc)
    assert np.array_equal(np.concatenate(ys), y) and np.array_equal(h, hn)


@pytest.mark.parametrize("reference", [False, True])
def test_shared_output_columns(isa, rng, reference):
    """Both directions writing one (T, B, 2H) array (out / out_col, y_col) equal separate contiguous calls."""
    T, B, I, H = 5, 19, 7, 9
    d = _data(rng, T, B, I, H)
    args = _args(d)
    out = np.full((T, B, 2 * H + 3), np.nan, np.float32)
    dy2 = rng.standard_normal(out.shape).astype(np.float32)
    for col, rev in ((0, False), (H + 3, True)):
        alone = _core.gru_forward(*args, reverse=rev, reference=reference)
        shared = _core.gru_forward(*args, reverse=rev, reference=reference, out=out, out_col=col)
        assert shared[0] is out
        np.testing.assert_array_equal(out[:, :, col : col + H], alone[0])
        for a, b in zip(alone[1:], shared[1:]):
            assert np.array_equal(a, b)
        dy = np.ascontiguousarray(dy2[:, :, col : col + H])
        g1 = _core.gru_backward(dy, d["dh"], *args, alone[0], alone[2], reverse=rev, reference=reference)
        g2 = _core.gru_backward(dy2, d["dh"], *args, out, shared[2], reverse=rev, reference=reference, y_col=col)
        for a, b in zip(g1, g2):
            np.testing.assert_array_equal(a, b)
    assert np.isnan(out[:, :, H : H + 3]).all()  # the gap between the two directions is untouched


def test_kernel_bad_input():
    f = np.float32
    x, h0 = np.zeros((2, 3, 4), f), np.zeros((3, 5), f)
    wi, wh = np.zeros((15, 4), f), np.zeros((15, 5), f)
    with pytest.raises(ValueError, match="x: expected 3 dimensions"):
        _core.gru_forward(np.zeros((3, 4), f), h0, wi, wh)
    with pytest.raises(TypeError, match="x: expected dtype float32"):
        _core.gru_forward(x.astype(np.float64), h0, wi, wh)
    with pytest.raises(ValueError, match=r"w_hh: expected shape \(3\*H, H\)"):
        _core.gru_forward(x, h0, wi, np.zeros((20, 5), f))
    with pytest.raises(ValueError, match="w_ih: expected shape"):
        _core.gru_forward(x, h0, np.zeros((15, 3), f), wh)
    with pytest.raises(ValueError, match="h0: expected shape"):
        _core.gru_forward(x, np.zeros((2, 5), f), wi, wh)
    with pytest.raises(ValueError, match=r"b_ih: expected shape \(15,\)"):
        _core.gru_forward(x, h0, wi, wh, np.zeros(5, f))
    with pytest.raises(ValueError, match=r"b_hh: expected shape \(15,\)"):
        _core.gru_forward(x, h0, wi, wh, None, np.zeros(16, f))
    with pytest.raises(TypeError, match="b_hh: expected a numpy.ndarray"):
        _core.gru_forward(x, h0, wi, wh, None, [0.0] * 15)
    with pytest.raises(ValueError, match="x: expected a non-empty"):
        _core.gru_forward(np.zeros((0, 3, 4), f), h0, wi, wh)
    with pytest.raises(ValueError, match="out_col"):
        _core.gru_forward(x, h0, wi, wh, out=np.zeros((2, 3, 5), f), out_col=1)
    y = np.zeros((2, 3, 5), f)
    with pytest.raises(ValueError, match=r"gates: expected shape \(2, 3, 20\)"):
        _core.gru_backward(y, h0, x, h0, wi, wh, None, None, y, np.zeros((2, 3, 15), f))
    with pytest.raises(ValueError, match="dy: expected shape"):
        _core.gru_backward(np.zeros((2, 3, 6), f), h0, x, h0, wi, wh, None, None, y, np.zeros((2, 3, 20), f))
    with pytest.raises(ValueError, match="dh_n: expected shape"):
        _core.gru_backward(y, np.zeros((3, 4), f), x, h0, wi, wh, None, None, y, np.zeros((2, 3, 20), f))
