"""Float64 numpy oracles of one RNN / LSTM direction over a sequence (forward and BPTT).

Layout as the kernels: x (T, B, I), h0/c0 (B, H), w_ih (G*H, I), w_hh (G*H, H), bias (G*H) or None;
gate order i, f, g, o. ``reverse`` runs the recurrence from the last step to the first.
"""

from __future__ import annotations

import numpy as np


def _sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def _order(T, reverse):
    return list(range(T - 1, -1, -1)) if reverse else list(range(T))


def rnn_forward(x, h0, w_ih, w_hh, bias, nonlinearity="tanh", reverse=False):
    x, h, w_ih, w_hh = (np.asarray(a, np.float64) for a in (x, h0, w_ih, w_hh))
    b = 0.0 if bias is None else np.asarray(bias, np.float64)
    y = np.zeros(x.shape[:2] + (w_hh.shape[1],))
    for t in _order(x.shape[0], reverse):
        a = x[t] @ w_ih.T + h @ w_hh.T + b
        h = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0.0)
        y[t] = h
    return y, h


def rnn_backward(dy, dh_n, x, h0, w_ih, w_hh, bias, y, nonlinearity="tanh", reverse=False):
    dy, dh, x, h0, w_ih, w_hh, y = (np.asarray(a, np.float64) for a in (dy, dh_n, x, h0, w_ih, w_hh, y))
    T = x.shape[0]
    order = _order(T, reverse)
    dx, dwi, dwh = np.zeros_like(x), np.zeros_like(w_ih), np.zeros_like(w_hh)
    db = np.zeros(w_hh.shape[0])
    for n, t in enumerate(reversed(order)):
        prev_t = order[len(order) - 2 - n] if n < T - 1 else None
        hp = h0 if prev_t is None else y[prev_t]
        d = dy[t] + dh
        d = d * (1 - y[t] ** 2) if nonlinearity == "tanh" else d * (y[t] > 0)
        dx[t] = d @ w_ih
        dwi += d.T @ x[t]
        dwh += d.T @ hp
        db += d.sum(0)
        dh = d @ w_hh
    return dx, dh, dwi, dwh, (None if bias is None else db)


def lstm_forward(x, h0, c0, w_ih, w_hh, bias, reverse=False):
    x, h, c, w_ih, w_hh = (np.asarray(a, np.float64) for a in (x, h0, c0, w_ih, w_hh))
    b = 0.0 if bias is None else np.asarray(bias, np.float64)
    H = h.shape[1]
    y = np.zeros(x.shape[:2] + (H,))
    for t in _order(x.shape[0], reverse):
        a = x[t] @ w_ih.T + h @ w_hh.T + b
        i, f, g, o = _sig(a[:, :H]), _sig(a[:, H : 2 * H]), np.tanh(a[:, 2 * H : 3 * H]), _sig(a[:, 3 * H :])
        c = f * c + i * g
        h = o * np.tanh(c)
        y[t] = h
    return y, h, c


def lstm_backward(dy, dh_n, dc_n, x, h0, c0, w_ih, w_hh, bias, reverse=False):
    """Recomputes the forward in float64, then BPTT -> (dx, dh0, dc0, dw_ih, dw_hh, db)."""
    dy, dh, dc, x, h0, c0, w_ih, w_hh = (
        np.asarray(a, np.float64) for a in (dy, dh_n, dc_n, x, h0, c0, w_ih, w_hh)
    )
    b = 0.0 if bias is None else np.asarray(bias, np.float64)
    H = h0.shape[1]
    order = _order(x.shape[0], reverse)
    h, c, cache = h0, c0, []
    for t in order:
        a = x[t] @ w_ih.T + h @ w_hh.T + b
        i, f, g, o = _sig(a[:, :H]), _sig(a[:, H : 2 * H]), np.tanh(a[:, 2 * H : 3 * H]), _sig(a[:, 3 * H :])
        cn = f * c + i * g
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
        dx[t] = da @ w_ih
        dwi += da.T @ x[t]
        dwh += da.T @ hp
        db += da.sum(0)
        dh = da @ w_hh
    return dx, dh, dc, dwi, dwh, (None if bias is None else db)


def _gru_step(xt, h, w_ih, w_hh, b_ih, b_hh):
    """One GRU step (gates r, z, n; b_hn inside the reset product) -> (h', r, z, n, gh_n)."""
    H = h.shape[1]
    gi, gh = xt @ w_ih.T + b_ih, h @ w_hh.T + b_hh
    r = _sig(gi[:, :H] + gh[:, :H])
    z = _sig(gi[:, H : 2 * H] + gh[:, H : 2 * H])
    n = np.tanh(gi[:, 2 * H :] + r * gh[:, 2 * H :])
    return (1 - z) * n + z * h, r, z, n, gh[:, 2 * H :]


def _f64(*arrays):
    return [None if a is None else np.asarray(a, np.float64) for a in arrays]


def gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False):
    x, h, w_ih, w_hh, b_ih, b_hh = _f64(x, h0, w_ih, w_hh, b_ih, b_hh)
    b_ih, b_hh = (0.0 if b is None else b for b in (b_ih, b_hh))
    y = np.zeros(x.shape[:2] + (h.shape[1],))
    for t in _order(x.shape[0], reverse):
        h = _gru_step(x[t], h, w_ih, w_hh, b_ih, b_hh)[0]
        y[t] = h
    return y, h


def gru_backward(dy, dh_n, x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False):
    """Recomputes the forward in float64, then BPTT -> (dx, dh0, dw_ih, dw_hh, db_ih, db_hh)."""
    has_ih, has_hh = b_ih is not None, b_hh is not None
    dy, dh, x, h0, w_ih, w_hh, b_ih, b_hh = _f64(dy, dh_n, x, h0, w_ih, w_hh, b_ih, b_hh)
    b_ih, b_hh = (0.0 if b is None else b for b in (b_ih, b_hh))
    h, cache = h0, []
    for t in _order(x.shape[0], reverse):
        hn, r, z, n, ghn = _gru_step(x[t], h, w_ih, w_hh, b_ih, b_hh)
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
        dx[t] = dgx @ w_ih
        dwi += dgx.T @ x[t]
        dwh += dgh.T @ hp
        dbi += dgx.sum(0)
        dbh += dgh.sum(0)
        dh = dgh @ w_hh + d * z
    return dx, dh, dwi, dwh, (dbi if has_ih else None), (dbh if has_hh else None)
