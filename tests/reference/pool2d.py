"""float64 numpy oracles for the pool2d family (max / min / average pooling, maxout), proven by finite
differences in tests/test_pool2d.py. Plain formulas, no cleverness."""

from __future__ import annotations

import numpy as np

from .conv2d import _out


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


def maxout(x, pieces, dim=1):
    x = np.asarray(x, np.float64)
    shp = x.shape[:dim] + (x.shape[dim] // pieces, pieces) + x.shape[dim + 1 :]
    return x.reshape(shp).max(axis=dim + 1)
