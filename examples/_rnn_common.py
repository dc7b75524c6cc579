"""Helper shared by the recurrent examples (and their tests): global gradient-norm clipping."""

from __future__ import annotations

import numpy as np


def clip_grad_norm(params, max_norm: float) -> float:
    """Scale gradients so their global L2 norm is at most ``max_norm``; returns the norm before clipping."""
    grads = [p.grad for p in params if p.grad is not None]
    norm = float(np.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in grads)))
    if norm > max_norm:
        for p in params:
            if p.grad is not None:
                p.grad = p.grad * np.float32(max_norm / (norm + 1e-6))
    return norm
