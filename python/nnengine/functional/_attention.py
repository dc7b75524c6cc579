"""Scaled dot-product attention on the engine's fused attention kernels (one Function for the kernel pair)."""

from __future__ import annotations

import math
from typing import Any, Optional, Tuple

import numpy as np

from .. import _core
from .._coerce import as_array
from .._tape import will_record
from ..autograd import Function
from ..random import seed_int
from ..tensor import Tensor
from ._dropout import DropoutFn
from ._util import check_tensor, f32c, probability

_SEED = 11  # position of the seed among AttentionFn.apply's arguments


class AttentionFn(Function):
    """``(out, attn)`` or ``out`` of ``_core.attention_forward``; q, k, v are Tensors (k = v = None when packed)."""

    # nnengine.compile: a replay draws a fresh dropout seed, as each eager call does
    _replay_fresh = {_SEED: seed_int}

    @staticmethod
    def forward(ctx, q, k, v, mask, kpm, heads, layout, scale, causal, zero_rows, p, seed, packed, weights):
        q, k, v = f32c(q), None if packed else f32c(k), None if packed else f32c(v)
        out, attn = _core.attention_forward(q, k, v, heads, layout, scale, mask, kpm, causal, zero_rows, p, seed, packed)
        ctx.save_for_backward(q, k, v, attn)
        ctx.args = (heads, layout, scale, p, seed, packed)
        return (out, attn) if weights else out

    @staticmethod
    def backward(ctx, g, gattn=None):
        q, k, v, attn = ctx.saved_tensors
        heads, layout, scale, p, seed, packed = ctx.args
        ga = None if gattn is None else f32c(gattn)
        dq, dk, dv = _core.attention_backward(f32c(g), q, k, v, attn, ga, heads, layout, scale, p, seed, packed)
        return (dq, dk, dv) + (None,) * 11


def mask_needs_grad(mask: Any) -> bool:
    """A float attn_mask Tensor that requires grad (and grad mode is on): torch gives it a gradient."""
    return isinstance(mask, Tensor) and mask.dtype.kind == "f" and will_record(mask)


def attention_composite(q: Tensor, k: Tensor, v: Tensor, mask: Optional[Any], scale: float, dropout_p: float,
                        zero_rows: bool = True) -> Tuple[Tensor, Tensor]:
    """``(softmax(q k^T * scale + mask) @ v, weights)`` from differentiable tensor ops on ``(..., L, E)``
    operands, so a float ``mask`` Tensor that requires grad gets its gradient (the tape sums it over the
    dimensions it was broadcast along, as torch's). Used only then; the fused kernel serves every other call.
    A fully masked row gives 0 (``zero_rows``) or NaN; dropout uses ``DropoutFn``'s mask, as the kernel does.
    """
    s = (q @ k.transpose(-2, -1)) * scale
    if mask is not None:
        s = s + mask
    dead = np.isneginf(s._data).all(-1, keepdims=True)  # every key masked
    if dead.any():
        s = s.masked_fill(np.broadcast_to(dead, s.shape), 0.0)
    w = s.softmax(-1)
    if dead.any():
        w = w.masked_fill(np.broadcast_to(dead, w.shape), 0.0 if zero_rows else float("nan"))
    wd = DropoutFn.apply(w, dropout_p, seed_int()) if dropout_p > 0.0 else w
    return wd @ v, wd


def float_mask(mask: Any, name: str, true_means_masked: bool) -> Optional[np.ndarray]:
    """An additive float32 mask from a boolean mask (-inf where masked) or a float one (as is); None passes."""
    if mask is None:
        return None
    m = as_array(mask)
    if m.dtype == np.bool_:
        # C order whatever m's layout (np.where keeps it: a transposed mask, as (src == pad).transpose(0, 1))
        return np.ascontiguousarray(np.where(m if true_means_masked else ~m, np.float32(-np.inf), np.float32(0.0)))
    if m.dtype.kind != "f":
        raise TypeError(f"{name}: expected a bool or floating-point mask, got dtype {m.dtype}")
    return f32c(m)


def default_scale(head_dim: int) -> float:
    """1/sqrt(head_dim); 1 for an empty head (its scores are 0 whatever the scale)."""
    return 1.0 / math.sqrt(head_dim) if head_dim > 0 else 1.0


def attention(
    q: Tensor,
    k: Optional[Tensor],
    v: Optional[Tensor],
    heads: int,
    layout: str,
    scale: float,
    mask: Optional[np.ndarray] = None,
    kpm: Optional[np.ndarray] = None,
    causal: bool = False,
    zero_rows: bool = True,
    dropout_p: float = 0.0,
    packed: bool = False,
    weights: bool = False,
) -> Any:
    """The engine's attention on prepared operands (layouts and masks as ``_core.attention_forward``).

    Returns ``out``, or ``(out, w)`` with ``w`` the ``(N*heads, L, S)`` weights (after dropout) when ``weights``.
    """
    if dropout_p >= 1.0:  # every weight dropped: torch's result is zeros
        dropout_p, zero_all = 0.0, True
    else:
        zero_all = False
    seed = seed_int() if dropout_p > 0.0 else 0
    ts = (q,) if packed else (q, k, v)
    if not will_record(*ts):  # inference: no tape
        out, attn = _core.attention_forward(
            f32c(q._data), None if packed else f32c(k._data), None if packed else f32c(v._data), heads, layout, scale,
            mask, kpm, causal, zero_rows, dropout_p, seed, packed, weights)
        out, w = Tensor._wrap(out * 0.0 if zero_all else out), None if attn is None else Tensor._wrap(attn)
    else:
        res = AttentionFn.apply(q, k, v, mask, kpm, heads, layout, scale, causal, zero_rows, dropout_p, seed, packed,
                                weights)
        out, w = res if weights else (res, None)
        if zero_all:
            out = out * 0.0
    if not weights:
        return out
    if zero_all:
        w = w * 0.0
    elif dropout_p > 0.0:  # the kernel's dropout mask is dropout.h's for the same seed and flat index
        w = DropoutFn.apply(w, dropout_p, seed)
    return out, w


def _repeat_heads(t: Tensor, heads: int, name: str) -> Tensor:
    """Grouped-query attention: each of t's (..., Hk, S, D) heads serves heads // Hk query heads in a row."""
    hk = t.shape[-3]
    if hk < 1 or heads % hk:
        raise ValueError(f"{name}: enable_gqa needs query heads ({heads}) divisible by {name} heads, got {t.shape}")
    g = heads // hk
    e = t.unsqueeze(-3).expand(t.shape[:-2] + (g,) + t.shape[-2:])
    return e.reshape(t.shape[:-3] + (heads,) + t.shape[-2:])


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Optional[Any] = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: Optional[float] = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value on ``(..., L, E)`` / ``(..., S, E)`` / ``(..., S, Ev)``
    (PyTorch's ``F.scaled_dot_product_attention``; one fused C++ kernel per batch*head, its backward too).

    ``attn_mask``: boolean (True = take part) or additive float, broadcastable to ``(..., L, S)``;
    ``is_causal``: row i attends to columns j <= i (top-left aligned, as torch); ``scale`` defaults to
    1/sqrt(E); ``dropout_p`` drops attention weights (always, as torch: pass 0.0 in eval). A row with every
    position masked gives 0 (torch's result). A float mask Tensor that requires grad gets its gradient, as in
    torch (that call runs on tensor ops instead of the fused kernel).

    Example:
        >>> q = ne.randn(2, 8, 128, 32); k = ne.randn(2, 8, 128, 32); v = ne.randn(2, 8, 128, 32)
        >>> out = F.scaled_dot_product_attention(q, k, v, is_causal=True)   # (2, 8, 128, 32)
    """
    q = check_tensor(query, "query")
    k = check_tensor(key, "key")
    v = check_tensor(value, "value")
    if q.ndim < 2 or k.ndim != q.ndim or v.ndim != q.ndim:
        raise ValueError(f"query, key, value: expected the same rank >= 2, got shapes {q.shape}, {k.shape}, {v.shape}")
    lead = q.shape[:-2]
    if enable_gqa and q.ndim >= 3 and k.shape[:-3] == lead[:-1] and k.shape[-3] != lead[-1]:
        k, v = _repeat_heads(k, lead[-1], "key"), _repeat_heads(v, lead[-1], "value")
    if k.shape[:-2] != lead or v.shape[:-2] != lead:
        raise ValueError(f"key, value: expected leading dimensions {lead} (query's), got {k.shape} and {v.shape}")
    if k.shape[-1] != q.shape[-1]:
        raise ValueError(f"key: expected last dimension {q.shape[-1]} (query's), got shape {k.shape}")
    if v.shape[-2] != k.shape[-2]:
        raise ValueError(f"value: expected {k.shape[-2]} positions (key's), got shape {v.shape}")
    p = probability(dropout_p, "dropout_p")
    if not isinstance(is_causal, (bool, np.bool_)):
        raise TypeError(f"is_causal: expected a bool, got {type(is_causal).__name__}")
    if is_causal and attn_mask is not None:
        raise ValueError("attn_mask: expected None when is_causal=True (torch's rule)")
    E = q.shape[-1]
    sc = default_scale(E) if scale is None else scale
    if isinstance(sc, bool) or not isinstance(sc, (int, float, np.floating)):
        raise TypeError(f"scale: expected a float or None, got {type(scale).__name__}")
    L, S = q.shape[-2], k.shape[-2]
    grad_mask = mask_needs_grad(attn_mask)
    mask = attn_mask if grad_mask else float_mask(attn_mask, "attn_mask", true_means_masked=False)
    if mask is not None:
        if mask.ndim > q.ndim:
            raise ValueError(f"attn_mask: expected at most {q.ndim} dimensions, got shape {mask.shape}")
        try:
            np.broadcast_shapes(mask.shape, lead + (L, S))
        except ValueError:
            raise ValueError(f"attn_mask: shape {mask.shape} does not broadcast to {lead + (L, S)}") from None
    if grad_mask:
        out = attention_composite(q, k, v, mask._cast(np.float32), float(sc), p if p < 1.0 else 0.0)[0]
        return out * 0.0 if p >= 1.0 else out
    # the kernel reads (N, heads, L, E): two leading dims as they are, any other count flattened into heads
    if len(lead) == 2:
        q4, k4, v4 = q, k, v
        if mask is not None and (mask.shape[-1] != S or mask.ndim < 2):
            mask = f32c(np.broadcast_to(mask, mask.shape[:-2] + (L, S)))
        if mask is not None:
            mask = mask.reshape((1,) * (4 - mask.ndim) + mask.shape)
    else:
        B = int(np.prod(lead, dtype=np.int64))
        q4, k4, v4 = (t.reshape((1, B) + t.shape[-2:]) for t in (q, k, v))
        if mask is not None:
            mask = f32c(np.broadcast_to(mask, lead + (L, S))).reshape(1, B, L, S)
    out = attention(q4, k4, v4, 1, "nhld", float(sc), mask, None, bool(is_causal), True, p)
    return out if len(lead) == 2 else out.reshape(lead + (L, v.shape[-1]))

