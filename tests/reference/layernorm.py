"""float64 oracles of the per-row normalisations (layer / group / instance norm), checked by finite
differences in tests/test_layernorm.py."""

from __future__ import annotations

import numpy as np


def row_norm(x4, w, b, eps):
    """(y, mean, biased var, backward(dy) -> (dx, dw, db)) of x viewed as (N, G, K, L): each row (n, g)
    normalised over its K*L values, then the affine of channel g*K + k (w, b of length G*K, or None)."""
    x = np.asarray(x4, np.float64)
    N, G, K, L = x.shape
    mean = x.mean(axis=(2, 3))
    var = x.var(axis=(2, 3))
    rstd = 1.0 / np.sqrt(var + eps)
    xh = (x - mean[:, :, None, None]) * rstd[:, :, None, None]
    wv = np.ones((G, K)) if w is None else np.asarray(w, np.float64).reshape(G, K)
    bv = np.zeros((G, K)) if b is None else np.asarray(b, np.float64).reshape(G, K)
    y = xh * wv[None, :, :, None] + bv[None, :, :, None]
    M = K * L

    def backward(dy):
        dy = np.asarray(dy, np.float64).reshape(x.shape)
        dw = (dy * xh).sum(axis=(0, 3)).reshape(-1)
        db = dy.sum(axis=(0, 3)).reshape(-1)
        dxh = dy * wv[None, :, :, None]
        s1 = dxh.sum(axis=(2, 3), keepdims=True)
        s2 = (dxh * xh).sum(axis=(2, 3), keepdims=True)
        dx = rstd[:, :, None, None] / M * (M * dxh - s1 - xh * s2)
        return dx, dw, db

    return y, mean, var, backward
