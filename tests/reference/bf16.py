"""float64 oracles for bf16 compute: round-to-nearest-even to bfloat16, and a GEMM of the rounded inputs."""

from __future__ import annotations

from typing import Optional, Tuple

import numpy as np


def bf16_round(x: np.ndarray) -> np.ndarray:
    """float32 values rounded to the nearest bfloat16 (ties to even), as float32; NaN stays NaN."""
    x = np.asarray(x, np.float32)
    u = x.view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16 << 16).astype(np.uint32).view(np.float32)
    return np.where(np.isnan(x), x, r)


def bf16_gemm_oracle(a: np.ndarray, b: np.ndarray, ta: bool, tb: bool, alpha: float = 1.0, beta: float = 0.0,
                     c: Optional[np.ndarray] = None, br: Optional[np.ndarray] = None,
                     bc: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray]:
    """(float64 result, error bound) of alpha*bf16(op(a))@bf16(op(b)) + beta*c + br[:,None] + bc[None,:] as
    float32 sums compute it: the bound is K float32 roundings of the absolute products plus the epilogue's."""
    A = bf16_round(a).astype(np.float64)
    B = bf16_round(b).astype(np.float64)
    A, B = (A.T if ta else A), (B.T if tb else B)
    out = alpha * (A @ B)
    mag = abs(alpha) * (np.abs(A) @ np.abs(B))
    if beta != 0.0:
        out += beta * c
        mag += abs(beta) * np.abs(c)
    if br is not None:
        out += br[:, None]
        mag += np.abs(br)[:, None]
    if bc is not None:
        out += bc[None, :]
        mag += np.abs(bc)[None, :]
    eps = 2.0 ** -24
    return out, (A.shape[1] + 4) * eps * mag + 1e-30
