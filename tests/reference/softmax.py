"""float64 numpy oracles for the softmax family's losses: ``lse`` (log-sum-exp along an axis) and ``nll`` (the nll
kernel pair's per-row loss, row weight and input gradient), used by tests/test_softmax.py."""

from __future__ import annotations

import numpy as np


def lse(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def nll(x, t, w, ignore_index):
    """float64 oracle: per-row loss and weight, rows in (N, d...) order, and dloss/dx for a unit per-row grad."""
    N, C = x.shape[:2]
    x3 = x.astype(np.float64).reshape(N, C, -1)
    D = x3.shape[2]
    tt = t.reshape(N, D)
    loss, rw, dx = np.zeros((N, D)), np.zeros((N, D)), np.zeros_like(x3)
    for o in range(N):
        for i in range(D):
            if tt[o, i] == ignore_index:
                continue
            rw[o, i] = 1.0 if w is None else w[tt[o, i]]
            loss[o, i] = -x3[o, tt[o, i], i] * rw[o, i]
            dx[o, tt[o, i], i] = -rw[o, i]
    return loss.reshape(-1), rw.reshape(-1), dx.reshape(x.shape)
