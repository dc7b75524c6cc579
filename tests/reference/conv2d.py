"""float64 numpy oracle for conv2d (forward and backward), proven by finite differences in
tests/test_conv2d.py. Plain formulas, no cleverness."""

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
