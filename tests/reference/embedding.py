"""float64 numpy oracles for the embedding family: ``backward`` (the scatter-add of the output gradient, with
padding_idx and scale_grad_by_freq) and ``renorm`` (max-norm renormalisation of the looked-up rows), used by
tests/test_embedding.py."""

from __future__ import annotations

import numpy as np


def backward(g, idx, V, padding_idx=-1, scale=False):
    g64 = g.astype(np.float64).reshape(-1, g.shape[-1])
    flat = idx.reshape(-1).astype(np.int64)
    dw = np.zeros((V, g.shape[-1]))
    counts = np.bincount(flat, minlength=V)
    rows = g64 / counts[flat][:, None] if scale else g64
    np.add.at(dw, flat, rows)
    if padding_idx >= 0:
        dw[padding_idx] = 0
    return dw


def renorm(w, idx, max_norm, p):
    w = w.astype(np.float64).copy()
    for v in np.unique(idx):
        n = np.linalg.norm(w[v], ord=p)
        if n > max_norm:
            w[v] *= max_norm / (n + 1e-7)
    return w
