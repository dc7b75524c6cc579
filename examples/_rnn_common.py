"""Helpers shared by the recurrent examples (and their tests): an Adam optimizer and gradient clipping."""

from __future__ import annotations

import numpy as np

import nnengine as ne


class _MiniAdam:
    """Adam (Kingma & Ba 2015) on numpy, used until ``nnengine.optim.Adam`` is available."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        self.lr, self.b1, self.b2, self.eps, self.t = lr, betas[0], betas[1], eps, 0
        self.m = [np.zeros_like(p.data) for p in self.params]
        self.v = [np.zeros_like(p.data) for p in self.params]

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        self.t += 1
        c1, c2 = 1 - self.b1**self.t, 1 - self.b2**self.t
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            m *= self.b1
            m += (1 - self.b1) * p.grad
            v *= self.b2
            v += (1 - self.b2) * p.grad * p.grad
            p.data -= (self.lr / c1) * m / (np.sqrt(v / c2) + self.eps)


def adam(params, lr=1e-3):
    """``nnengine.optim.Adam`` when it exists, else the numpy fallback."""
    optim = getattr(ne, "optim", None)
    if optim is not None and hasattr(optim, "Adam"):
        return optim.Adam(params, lr=lr)
    return _MiniAdam(params, lr=lr)


def clip_grad_norm(params, max_norm: float) -> float:
    """Scale gradients so their global L2 norm is at most ``max_norm``; returns the norm before clipping."""
    grads = [p.grad for p in params if p.grad is not None]
    norm = float(np.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in grads)))
    if norm > max_norm:
        for p in params:
            if p.grad is not None:
                p.grad = p.grad * np.float32(max_norm / (norm + 1e-6))
    return norm
