"""float64 numpy oracle for batch normalisation in training mode, proven by finite differences in
tests/test_batchnorm.py."""

from __future__ import annotations

import numpy as np


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
