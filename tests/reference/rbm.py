"""float64 numpy oracles for the rbm family: ``prob`` (the fused Gibbs half-step's probabilities) and
``free_energy`` (F(v) of a binary RBM), used by tests/test_rbm.py."""

from __future__ import annotations

import numpy as np


def prob(x, w, b, trans_w):
    """The Gibbs half-step's probabilities sigmoid(x W^T + b) (or x W + b without trans_w), float64."""
    pre = x.astype(np.float64) @ (w.T if trans_w else w).astype(np.float64) + b
    return 1.0 / (1.0 + np.exp(-pre))


def free_energy(v, W, b, c):
    """F(v) = -v.b - sum_j softplus(c_j + W_j v), float64 (checked against brute force in tests/test_rbm.py)."""
    return -(v @ b) - np.logaddexp(0.0, v @ W.T + c).sum(1)
