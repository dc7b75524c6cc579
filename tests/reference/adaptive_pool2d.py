"""float64 numpy oracle for adaptive average / max pooling (the adaptive_pool2d family), proven by finite
differences in tests/test_adaptive_pool2d.py."""

from __future__ import annotations

import numpy as np


def _windows(n, m):
    return [(o * n // m, -(-(o + 1) * n // m)) for o in range(m)]


def adaptive_pool2d(x, out, kind):
    """float64 adaptive pooling of (N, C, H, W) to out = (P, Q): (y, dx_fn)."""
    x = np.asarray(x, np.float64)
    N, C, H, W = x.shape
    rows, cols = _windows(H, out[0]), _windows(W, out[1])
    y = np.zeros((N, C) + tuple(out))
    arg = np.zeros((N, C) + tuple(out), np.int64)
    for p, (h0, h1) in enumerate(rows):
        for q, (w0, w1) in enumerate(cols):
            win = x[:, :, h0:h1, w0:w1].reshape(N, C, -1)
            if kind == "avg":
                y[:, :, p, q] = win.mean(-1)
            else:
                k = win.argmax(-1)
                y[:, :, p, q] = np.take_along_axis(win, k[..., None], -1)[..., 0]
                arg[:, :, p, q] = (h0 + k // (w1 - w0)) * W + w0 + k % (w1 - w0)

    def backward(dy):
        dx = np.zeros((N, C, H * W))
        for p, (h0, h1) in enumerate(rows):
            for q, (w0, w1) in enumerate(cols):
                if kind == "avg":
                    blk = dx.reshape(N, C, H, W)[:, :, h0:h1, w0:w1]
                    blk += dy[:, :, p, q][..., None, None] / ((h1 - h0) * (w1 - w0))
                else:
                    np.add.at(dx, (np.arange(N)[:, None], np.arange(C)[None, :], arg[:, :, p, q]), dy[:, :, p, q])
        return dx.reshape(N, C, H, W)

    return y, arg, backward
