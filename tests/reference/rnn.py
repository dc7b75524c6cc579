"""Float64 numpy oracles of one RNN / LSTM direction over a sequence (forward and BPTT).

Layout as the kernels: x (T, B, I), h0/c0 (B, H), w_ih (G*H, I), w_hh (G*H, H), bias (G*H) or None;
gate order i, f, g, o. ``reverse`` runs the recurrence from the last step to the first. ``bf16``: the
operands of every matrix product rounded to bf16 (autocast's gate products; states, gates, the carried
gradients and the bias sums stay unrounded), as the kernels' ``bf16=True``.
"""

from __future__ import annotations

import numpy as np

from .bf16 import bf16_round


def _rounder(bf16):
    """The operand rounding of a product: bf16 (via float32) or none."""
    if not bf16:
        return lambda a: a
    return lambda a: bf16_round(np.asarray(a, np.float32)).astype(np.float64)


def _sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def _order(T, reverse):
    return list(range(T - 1, -1, -1)) if reverse else list(range(T))


def rnn_forward(x, h0, w_ih, w_hh, bias, nonlinearity="tanh", reverse=False, bf16=False):
    r = _rounder(bf16)
    x, h, w_ih, w_hh = (np.asarray(a, np.float64) for a in (x, h0, w_ih, w_hh))
    x, w_ih, w_hh = r(x), r(w_ih), r(w_hh)
    b = 0.0 if bias is None else np.asarray(bias, np.float64)
    y = np.zeros(x.shape[:2] + (w_hh.shape[1],))
    for t in _order(x.shape[0], reverse):
        a = x[t] @ w_ih.T + r(h) @ w_hh.T + b
        h = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0.0)
        y[t] = h
    return y, h


def rnn_backward(dy, dh_n, x, h0, w_ih, w_hh, bias, y, nonlinearity="tanh", reverse=False, bf16=False):
    r = _rounder(bf16)
    dy, dh, x, h0, w_ih, w_hh, y = (np.asarray(a, np.float64) for a in (dy, dh_n, x, h0, w_ih, w_hh, y))
    x, w_ih, w_hh = r(x), r(w_ih), r(w_hh)
    T = x.shape[0]
    order = _order(T, reverse)
    dx, dwi, dwh = np.zeros_like(x), np.zeros_like(w_ih), np.zeros_like(w_hh)
    db = np.zeros(w_hh.shape[0])
    for n, t in enumerate(reversed(order)):
        prev_t = order[len(order) - 2 - n] if n < T - 1 else None
        hp = h0 if prev_t is None else y[prev_t]
        d = dy[t] + dh
        d = d * (1 - y[t] ** 2) if nonlinearity == "tanh" else d * (y[t] > 0)
        db += d.sum(0)
        d = r(d)
        dx[t] = d @ w_ih
        dwi += d.T @ x[t]
        dwh += d.T @ r(hp)
        dh = d @ w_hh
    return dx, dh, dwi, dwh, (None if bias is None else db)


def lstm_forward(x, h0, c0, w_ih, w_hh, bias, reverse=False, bf16=False):
    r = _rounder(bf16)
    x, h, c, w_ih, w_hh = (np.asarray(a, np.float64) for a in (x, h0, c0, w_ih, w_hh))
    x, w_ih, w_hh = r(x), r(w_ih), r(w_hh)
    b = 0.0 if bias is None else np.asarray(bias, np.float64)
    H = h.shape[1]
    y = np.zeros(x.shape[:2] + (H,))
    for t in _order(x.shape[0], reverse):
        a = x[t] @ w_ih.T + r(h) @ w_hh.T + b
        i, f, g, o = _sig(a[:, :H]), _sig(a[:, H : 2 * H]), np.tanh(a[:, 2 * H : 3 * H]), _sig(a[:, 3 * H :])
        c = f * c + i * g
        h = o * np.tanh(c)
        y[t] = h
    return y, h, c


def lstm_backward(dy, dh_n, dc_n, x, h0, c0, w_ih, w_hh, bias, reverse=False, bf16=False, saved=None):
    """Recomputes the forward in float64 (or takes the kernel's ``saved`` = (y, gates, cs)), then BPTT ->
    (dx, dh0, dc0, dw_ih, dw_hh, db)."""
    r = _rounder(bf16)
    dy, dh, dc, x, h0, c0, w_ih, w_hh = (
        np.asarray(a, np.float64) for a in (dy, dh_n, dc_n, x, h0, c0, w_ih, w_hh)
    )
    x, w_ih, w_hh = r(x), r(w_ih), r(w_hh)
    b = 0.0 if bias is None else np.asarray(bias, np.float64)
    H = h0.shape[1]
    order = _order(x.shape[0], reverse)
    h, c, cache = h0, c0, []
    for k, t in enumerate(order):
        a = x[t] @ w_ih.T + r(h) @ w_hh.T + b
        i, f, g, o = _sig(a[:, :H]), _sig(a[:, H : 2 * H]), np.tanh(a[:, 2 * H : 3 * H]), _sig(a[:, 3 * H :])
        cn = f * c + i * g
        if saved is not None:  # the kernel's states instead (a bf16 rounding tie cannot send the two apart)
            sy, sg, sc = (np.asarray(a, np.float64) for a in saved)
            h, c = (h0, c0) if k == 0 else (sy[order[k - 1]], sc[order[k - 1]])
            i, f, g, o = np.split(sg[t], 4, axis=1)
            cn = sc[t]
        cache.append((t, h, c, i, f, g, o, cn))
        c, h = cn, o * np.tanh(cn)
    dx, dwi, dwh = np.zeros_like(x), np.zeros_like(w_ih), np.zeros_like(w_hh)
    db = np.zeros(4 * H)
    for t, hp, cp, i, f, g, o, cn in reversed(cache):
        d = dy[t] + dh
        tc = np.tanh(cn)
        dct = dc + d * o * (1 - tc**2)
        da = np.concatenate(
            [dct * g * i * (1 - i), dct * cp * f * (1 - f), dct * i * (1 - g**2), d * tc * o * (1 - o)],
            axis=1,
        )
        dc = dct * f
        db += da.sum(0)
        da = r(da)
        dx[t] = da @ w_ih
        dwi += da.T @ x[t]
        dwh += da.T @ r(hp)
        dh = da @ w_hh
    return dx, dh, dc, dwi, dwh, (None if bias is None else db)


def _gru_step(xt, h, w_ih, w_hh, b_ih, b_hh, rnd=lambda a: a):
    """One GRU step (gates r, z, n; b_hn inside the reset product) -> (h', r, z, n, gh_n); ``rnd`` rounds
    the products' operands (x_t and the weights are given rounded)."""
    H = h.shape[1]
    gi, gh = xt @ w_ih.T + b_ih, rnd(h) @ w_hh.T + b_hh
    r = _sig(gi[:, :H] + gh[:, :H])
    z = _sig(gi[:, H : 2 * H] + gh[:, H : 2 * H])
    n = np.tanh(gi[:, 2 * H :] + r * gh[:, 2 * H :])
    return (1 - z) * n + z * h, r, z, n, gh[:, 2 * H :]


def _f64(*arrays):
    return [None if a is None else np.asarray(a, np.float64) for a in arrays]


def gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False, bf16=False):
    r = _rounder(bf16)
    x, h, w_ih, w_hh, b_ih, b_hh = _f64(x, h0, w_ih, w_hh, b_ih, b_hh)
    x, w_ih, w_hh = r(x), r(w_ih), r(w_hh)
    b_ih, b_hh = (0.0 if b is None else b for b in (b_ih, b_hh))
    y = np.zeros(x.shape[:2] + (h.shape[1],))
    for t in _order(x.shape[0], reverse):
        h = _gru_step(x[t], h, w_ih, w_hh, b_ih, b_hh, r)[0]
        y[t] = h
    return y, h


def gru_backward(dy, dh_n, x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False, bf16=False, saved=None):
    """Recomputes the forward in float64 (or takes the kernel's ``saved`` = (y, gates)), then BPTT ->
    (dx, dh0, dw_ih, dw_hh, db_ih, db_hh)."""
    r_ = _rounder(bf16)
    has_ih, has_hh = b_ih is not None, b_hh is not None
    dy, dh, x, h0, w_ih, w_hh, b_ih, b_hh = _f64(dy, dh_n, x, h0, w_ih, w_hh, b_ih, b_hh)
    x, w_ih, w_hh = r_(x), r_(w_ih), r_(w_hh)
    b_ih, b_hh = (0.0 if b is None else b for b in (b_ih, b_hh))
    h, cache, order = h0, [], _order(x.shape[0], reverse)
    for k, t in enumerate(order):
        hn, r, z, n, ghn = _gru_step(x[t], h, w_ih, w_hh, b_ih, b_hh, r_)
        if saved is not None:  # the kernel's states instead
            sy, sg = (np.asarray(a, np.float64) for a in saved)
            h = h0 if k == 0 else sy[order[k - 1]]
            r, z, n, ghn = np.split(sg[t], 4, axis=1)
            hn = sy[t]
        cache.append((t, h, r, z, n, ghn))
        h = hn
    dx, dwi, dwh = np.zeros_like(x), np.zeros_like(w_ih), np.zeros_like(w_hh)
    dbi, dbh = np.zeros(w_ih.shape[0]), np.zeros(w_hh.shape[0])
    for t, hp, r, z, n, ghn in reversed(cache):
        d = dy[t] + dh
        dan = d * (1 - z) * (1 - n**2)
        dar = dan * ghn * r * (1 - r)
        daz = d * (hp - n) * z * (1 - z)
        dgx = np.concatenate([dar, daz, dan], axis=1)
        dgh = np.concatenate([dar, daz, dan * r], axis=1)
        dbi += dgx.sum(0)
        dbh += dgh.sum(0)
        dgx, dgh = r_(dgx), r_(dgh)
        dx[t] = dgx @ w_ih
        dwi += dgx.T @ x[t]
        dwh += dgh.T @ r_(hp)
        dh = dgh @ w_hh + d * z
    return dx, dh, dwi, dwh, (dbi if has_ih else None), (dbh if has_hh else None)
