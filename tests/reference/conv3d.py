"""float64 numpy oracle for conv3d (forward and backward), proven by finite differences in tests/test_conv3d.py.
Plain formulas: one einsum per kernel tap over strided views of the zero-padded input."""

from __future__ import annotations

import itertools

import numpy as np


def _out(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _taps(x_shape, w_shape, stride, padding, dilation):
    """(output dims, padded-input slices of every tap (t, r, u))."""
    dims = x_shape[2:]
    ks = w_shape[2:]
    out = tuple(_out(n, k, s, p, d) for n, k, s, p, d in zip(dims, ks, stride, padding, dilation))
    taps = []
    for tap in itertools.product(*(range(k) for k in ks)):
        sl = tuple(slice(t * d, t * d + s * (o - 1) + 1, s) for t, d, s, o in zip(tap, dilation, stride, out))
        taps.append((tap, sl))
    return out, taps


def _pad(x, padding):
    return np.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in padding))


def conv3d(x, w, b=None, stride=(1, 1, 1), padding=(0, 0, 0), dilation=(1, 1, 1), groups=1):
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    N = x.shape[0]
    K, Cg = w.shape[:2]
    Kg = K // groups
    out, taps = _taps(x.shape, w.shape, stride, padding, dilation)
    xp = _pad(x, padding)
    y = np.zeros((N, K) + out)
    for g in range(groups):
        xg, wg = xp[:, g * Cg:(g + 1) * Cg], w[g * Kg:(g + 1) * Kg]
        for tap, sl in taps:
            y[:, g * Kg:(g + 1) * Kg] += np.einsum("ncdpq,kc->nkdpq", xg[(slice(None), slice(None)) + sl],
                                                   wg[(slice(None), slice(None)) + tap])
    if b is not None:
        y += np.asarray(b, np.float64)[None, :, None, None, None]
    return y


def conv3d_backward(dy, x, w, stride=(1, 1, 1), padding=(0, 0, 0), dilation=(1, 1, 1), groups=1):
    """(dx, dw, db) of conv3d for upstream gradient dy."""
    dy, x, w = (np.asarray(a, np.float64) for a in (dy, x, w))
    K, Cg = w.shape[:2]
    Kg = K // groups
    _, taps = _taps(x.shape, w.shape, stride, padding, dilation)
    xp = _pad(x, padding)
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for g in range(groups):
        cs, ks = slice(g * Cg, (g + 1) * Cg), slice(g * Kg, (g + 1) * Kg)
        for tap, sl in taps:
            idx = (slice(None), cs) + sl
            dxp[idx] += np.einsum("nkdpq,kc->ncdpq", dy[:, ks], w[(ks, slice(None)) + tap])
            dw[(ks, slice(None)) + tap] += np.einsum("nkdpq,ncdpq->kc", dy[:, ks], xp[idx])
    crop = (slice(None), slice(None)) + tuple(slice(p, p + n) for p, n in zip(padding, x.shape[2:]))
    return dxp[crop], dw, dy.sum(axis=(0, 2, 3, 4))
