"""Float64 numpy oracles of the optimizer family's epilogues and penalty (optim.h)."""

from __future__ import annotations

import numpy as np


def epilogue(w: np.ndarray, view: tuple, t: float, kind: str, max_value: float) -> np.ndarray:
    """optim.h's epilogue contract: the proximal L1 step (threshold ``t``), then the constraint ``kind``
    (the binding's names: 'none', 'max_norm' to ``max_value``, 'unit_norm', 'non_neg') over the rows of
    ``view``'s axis 1."""
    x = w.astype(np.float64).reshape(view)
    if t > 0:
        x = np.sign(x) * np.maximum(np.abs(x) - np.float64(np.float32(t)), 0)
    if kind == "non_neg":
        x = np.maximum(x, 0)
    elif kind in ("max_norm", "unit_norm"):
        n = np.sqrt((x * x).sum(axis=1, keepdims=True))
        c = 1 / (1e-7 + n) if kind == "unit_norm" else np.clip(n, 0, max_value) / (1e-7 + n)
        x = x * c
    return x.reshape(w.shape)


def penalty(w: np.ndarray, l1: float, l2: float) -> tuple:
    """(sum |w|, sum w^2) and the gradient l1 * sign(w) + l2 * w of the fused L1/L2 penalty, in float64."""
    w64 = w.astype(np.float64)
    return (np.abs(w64).sum(), (w64 * w64).sum()), l1 * np.sign(w64) + l2 * w64
