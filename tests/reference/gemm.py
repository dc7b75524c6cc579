"""Float64 numpy oracle of the GEMM (gemm.h): op(a) @ op(b) of float32 operands, in float64."""

from __future__ import annotations

import numpy as np


def gemm(a: np.ndarray, b: np.ndarray, ta: bool = False, tb: bool = False) -> np.ndarray:
    """``op(a) @ op(b)`` in float64 (op = transpose when ``ta`` / ``tb``)."""
    a64 = a.astype(np.float64).T if ta else a.astype(np.float64)
    b64 = b.astype(np.float64).T if tb else b.astype(np.float64)
    return a64 @ b64
