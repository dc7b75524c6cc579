"""float64 numpy oracles for the CNN ops (conv2d, pooling, batch norm, maxout), proven by finite
differences in the tests. Plain formulas, no cleverness."""

from __future__ import annotations

import numpy as np


def _out(n, k, s, p, d=1):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def conv2d(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    N, C, H, W = x.shape
    K, Cg, R, S = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    P, Q = _out(H, R, sh, ph, dh), _out(W, S, sw, pw, dw)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    Kg = K // groups
    y = np.zeros((N, K, P, Q))
    for g in range(groups):
        xg = xp[:, g * Cg : (g + 1) * Cg]
        wg = w[g * Kg : (g + 1) * Kg]
        for r in range(R):
            for s in range(S):
                patch = xg[
                    :, :, r * dh : r * dh + sh * (P - 1) + 1 : sh, s * dw : s * dw + sw * (Q - 1) + 1 : sw
                ]
                y[:, g * Kg : (g + 1) * Kg] += np.einsum("ncpq,kc->nkpq", patch, wg[:, :, r, s])
    if b is not None:
        y += np.asarray(b, np.float64)[None, :, None, None]
    return y


def conv2d_backward(dy, x, w, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    """(dx, dw, db) of conv2d for upstream gradient dy."""
    dy = np.asarray(dy, np.float64)
    x = np.asarray(x, np.float64)
    w = np.asarray(w, np.float64)
    N, C, H, W = x.shape
    K, Cg, R, S = w.shape
    (sh, sw), (ph, pw), (dh, dw_) = stride, padding, dilation
    P, Q = dy.shape[2:]
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    Kg = K // groups
    for g in range(groups):
        cs, ks = slice(g * Cg, (g + 1) * Cg), slice(g * Kg, (g + 1) * Kg)
        for r in range(R):
            for s in range(S):
                hs = slice(r * dh, r * dh + sh * (P - 1) + 1, sh)
                ws = slice(s * dw_, s * dw_ + sw * (Q - 1) + 1, sw)
                dw[ks, :, r, s] = np.einsum("nkpq,ncpq->kc", dy[:, ks], xp[:, cs, hs, ws])
                dxp[:, cs, hs, ws] += np.einsum("nkpq,kc->ncpq", dy[:, ks], w[ks, :, r, s])
    dx = dxp[:, :, ph : ph + H, pw : pw + W]
    return dx, dw, dy.sum(axis=(0, 2, 3))


def _windows(x, k, s, p, fill):
    """(N, C, P, Q, kh*kw) windows of x padded with `fill`, and the plane index of each tap (-1 = pad)."""
    N, C, H, W = x.shape
    xp = np.pad(np.asarray(x, np.float64), ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=fill)
    ip = np.pad(np.arange(H * W).reshape(H, W), ((p[0], p[0]), (p[1], p[1])), constant_values=-1)
    P, Q = _out(H, k[0], s[0], p[0]), _out(W, k[1], s[1], p[1])
    taps, idx = [], []
    for r in range(k[0]):
        for t in range(k[1]):
            taps.append(xp[:, :, r : r + s[0] * (P - 1) + 1 : s[0], t : t + s[1] * (Q - 1) + 1 : s[1]])
            idx.append(ip[r : r + s[0] * (P - 1) + 1 : s[0], t : t + s[1] * (Q - 1) + 1 : s[1]])
    return np.stack(taps, -1), np.stack(idx, -1)


def pool2d(x, kind, k, s, p):
    """(y, dx_fn): pooling forward and a function mapping dy to dx (first extreme wins on ties)."""
    x = np.asarray(x, np.float64)
    N, C, H, W = x.shape
    fill = {"max": -np.inf, "min": np.inf, "avg": 0.0}[kind]
    win, idx = _windows(x, k, s, p, fill)
    if kind == "avg":
        y = win.sum(-1) / (k[0] * k[1])
    else:
        pick = win.argmax(-1) if kind == "max" else win.argmin(-1)
        y = np.take_along_axis(win, pick[..., None], -1)[..., 0]

    def backward(dy):
        dy = np.asarray(dy, np.float64)
        dx = np.zeros((N * C, H * W))
        P, Q = y.shape[2:]
        if kind == "avg":
            for j in range(idx.shape[-1]):
                valid = idx[..., j] >= 0
                for c in range(N * C):
                    np.add.at(dx[c], idx[..., j][valid], dy.reshape(N * C, P, Q)[c][valid] / (k[0] * k[1]))
        else:
            plane = np.take_along_axis(np.broadcast_to(idx, win.shape), pick[..., None], -1)[..., 0]
            for c in range(N * C):
                np.add.at(dx[c], plane.reshape(N * C, -1)[c], dy.reshape(N * C, -1)[c])
        return dx.reshape(N, C, H, W)

    return y, backward


def batch_norm_train(x, w, b, eps):
    """(y, mean, biased var, backward(dy) -> (dx, dw, db)) over channel dim 1."""
    x = np.asarray(x, np.float64)
    axes = (0,) + tuple(range(2, x.ndim))
    shp = (1, -1) + (1,) * (x.ndim - 2)
    mean = x.mean(axes)
    var = x.var(axes)
    xh = (x - mean.reshape(shp)) / np.sqrt(var.reshape(shp) + eps)
    w = np.ones_like(mean) if w is None else np.asarray(w, np.float64)
    b = np.zeros_like(mean) if b is None else np.asarray(b, np.float64)
    y = xh * w.reshape(shp) + b.reshape(shp)
    m = x.size / x.shape[1]

    def backward(dy):
        dy = np.asarray(dy, np.float64)
        db = dy.sum(axes)
        dw = (dy * xh).sum(axes)
        dxh = dy * w.reshape(shp)
        invstd = 1 / np.sqrt(var.reshape(shp) + eps)
        dx = invstd / m * (m * dxh - dxh.sum(axes).reshape(shp) - xh * (dxh * xh).sum(axes).reshape(shp))
        return dx, dw, db

    return y, mean, var, backward


def maxout(x, pieces, dim=1):
    x = np.asarray(x, np.float64)
    shp = x.shape[:dim] + (x.shape[dim] // pieces, pieces) + x.shape[dim + 1 :]
    return x.reshape(shp).max(axis=dim + 1)
