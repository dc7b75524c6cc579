"""float64 numpy oracle for the interpolate family: torch's 1-D resampling as a dense matrix, applied along H
and W; its adjoint (the transposed matrices) is proven by finite differences in tests/test_interpolate.py."""

from __future__ import annotations

import math

import numpy as np


def interp_matrix(n_in, n_out, mode, align_corners, scale=0.0):
    """(n_out, n_in) float64 matrix of torch's 1-D resampling (indices computed in float32 as torch does)."""
    A = np.zeros((n_out, n_in))
    f32 = np.float32
    if mode == "bilinear" and align_corners:
        sc = f32(n_in - 1) / f32(n_out - 1) if n_out > 1 else f32(0)
    else:
        sc = f32(1.0 / scale) if scale > 0 else f32(n_in) / f32(n_out)
    for o in range(n_out):
        if mode == "nearest":
            i = o if n_out == n_in else o >> 1 if n_out == 2 * n_in else min(int(math.floor(f32(o) * sc)), n_in - 1)
            A[o, i] = 1.0
            continue
        src = sc * f32(o) if align_corners else max(sc * (f32(o) + f32(0.5)) - f32(0.5), f32(0))
        i0 = min(int(src), n_in - 1)
        i1 = i0 + (1 if i0 < n_in - 1 else 0)
        lam = min(max(float(src) - i0, 0.0), 1.0)
        A[o, i0] += 1 - lam
        A[o, i1] += lam
    return A


def interpolate(x, out, mode, align_corners, scales=(0.0, 0.0)):
    Ah = interp_matrix(x.shape[2], out[0], mode, align_corners, scales[0])
    Aw = interp_matrix(x.shape[3], out[1], mode, align_corners, scales[1])
    return np.einsum("ph,nchw,qw->ncpq", Ah, np.asarray(x, np.float64), Aw), Ah, Aw
