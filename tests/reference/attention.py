"""float64 numpy oracle for scaled dot-product attention (forward and backward), proven by finite differences
in tests/test_attention.py. Plain formulas over (B, L, E) / (B, S, E) / (B, S, Ev) with B = batch * heads."""

from __future__ import annotations

import numpy as np


def attention(q, k, v, scale, mask=None, causal=False, keep=None, zero_rows=True):
    """``(out, attn, backward)``: mask additive (broadcast to (B, L, S)), keep the dropout multipliers
    (0 or 1/(1-p), (B, L, S)) or None; ``backward(dout, dattn=None) -> (dq, dk, dv)``."""
    q, k, v = (np.asarray(a, np.float64) for a in (q, k, v))
    L, S = q.shape[1], k.shape[1]
    s = scale * q @ k.transpose(0, 2, 1)
    if mask is not None:
        s = s + np.asarray(mask, np.float64)
    if causal:
        s = np.where(np.tril(np.ones((L, S), bool)), s, -np.inf)
    m = s.max(axis=-1, keepdims=True)
    dead = ~np.isfinite(m)  # rows with every position masked
    e = np.exp(s - np.where(dead, 0.0, m))
    with np.errstate(invalid="ignore", divide="ignore"):
        attn = e / e.sum(axis=-1, keepdims=True)
    attn = np.where(dead, 0.0 if zero_rows else np.nan, attn)
    kp = np.ones_like(attn) if keep is None else np.asarray(keep, np.float64)
    pd = attn * kp
    out = pd @ v

    def backward(dout, dattn=None):
        dout = np.asarray(dout, np.float64)
        dp = (dout @ v.transpose(0, 2, 1)) * kp
        if dattn is not None:
            dp = dp + dattn
        ds = attn * (dp - (dp * attn).sum(axis=-1, keepdims=True))
        return scale * ds @ k, scale * ds.transpose(0, 2, 1) @ q, pd.transpose(0, 2, 1) @ dout

    return out, attn, backward
