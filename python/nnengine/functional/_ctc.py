"""Connectionist temporal classification loss (Graves et al. 2006), torch's ``F.ctc_loss``: the forward-backward
recursions in log space over the blank-extended targets (numpy), torch's gradient formula (the one that, chained
through ``log_softmax``, gives exp(log_probs) - posterior on the logits), ``zero_infinity`` and reductions."""

from __future__ import annotations

from typing import Any, Tuple

import numpy as np

from .._coerce import as_array
from ..autograd import Function
from ..tensor import Tensor
from ._loss import _reduction
from ._util import check_tensor

_NEG = -np.inf


def _lse(*xs: np.ndarray) -> np.ndarray:
    m = np.maximum.reduce(xs)
    safe = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.where(np.isfinite(m), safe + np.log(sum(np.exp(x - safe) for x in xs)), m)


def _one(lp: np.ndarray, tgt: np.ndarray, blank: int) -> Tuple[float, np.ndarray]:
    """(nll, torch's gradient of nll w.r.t. lp) for one sample: lp (T, C) float64, tgt (S,)."""
    t_len, c = lp.shape
    ext = np.full(2 * tgt.size + 1, blank, np.int64)
    ext[1::2] = tgt
    n = ext.size
    skip = np.zeros(n, bool)  # s may come from s - 2: a label different from the one two back
    skip[2:] = (ext[2:] != blank) & (ext[2:] != ext[:-2])
    e = lp[:, ext]  # (T, L)
    alpha = np.full((t_len, n), _NEG)
    alpha[0, 0] = e[0, 0]
    if n > 1:
        alpha[0, 1] = e[0, 1]
    for t in range(1, t_len):
        a = alpha[t - 1]
        b = np.concatenate([[_NEG], a[:-1]])
        c2 = np.where(skip, np.concatenate([[_NEG, _NEG], a[:-2]]), _NEG)
        alpha[t] = e[t] + _lse(a, b, c2)
    nll = -_lse(alpha[-1, -1], alpha[-1, -2] if n > 1 else np.array(_NEG))
    beta = np.full((t_len, n), _NEG)
    beta[-1, -1] = e[-1, -1]
    if n > 1:
        beta[-1, -2] = e[-1, -2]
    skip_fwd = np.zeros(n, bool)  # s may go to s + 2
    skip_fwd[:-2] = skip[2:]
    for t in range(t_len - 2, -1, -1):
        a = beta[t + 1]
        b = np.concatenate([a[1:], [_NEG]])
        c2 = np.where(skip_fwd, np.concatenate([a[2:], [_NEG, _NEG]]), _NEG)
        beta[t] = e[t] + _lse(a, b, c2)
    ab = alpha + beta  # (T, L): log of the paths through (t, s), lp[t, ext[s]] counted twice
    lcab = np.full((t_len, c), _NEG)
    for s in range(n):
        lcab[:, ext[s]] = _lse(lcab[:, ext[s]], ab[:, s])
    with np.errstate(over="ignore", invalid="ignore"):
        grad = np.exp(lp) - np.exp(lcab + nll - lp)
    return float(nll), grad


class _CTCFn(Function):
    @staticmethod
    def forward(ctx, lp, targets, in_lens, tgt_lens, blank, zero_inf):
        t_max, batch, c = lp.shape
        lp64 = lp.astype(np.float64)
        losses = np.zeros(batch)
        grad = np.zeros((t_max, batch, c))
        for i in range(batch):
            nll, g = _one(lp64[: in_lens[i], i], targets[i], blank)
            if zero_inf and not np.isfinite(nll):
                nll, g = 0.0, np.zeros_like(g)
            losses[i] = nll
            grad[: in_lens[i], i] = g
        ctx.grad = grad
        return losses.astype(lp.dtype)

    @staticmethod
    def backward(ctx, g):
        return (ctx.grad * g[None, :, None]).astype(g.dtype), None, None, None, None, None


def _lengths(v: Any, name: str, batch: int) -> np.ndarray:
    a = np.atleast_1d(np.asarray(as_array(v)))
    if a.dtype.kind not in "iu" or a.shape != (batch,):
        raise ValueError(f"{name}: expected {batch} integer lengths (one per sample), got {a.tolist()}")
    return a.astype(np.int64)


def ctc_loss(log_probs: Tensor, targets: Any, input_lengths: Any, target_lengths: Any, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """CTC loss of ``log_probs`` (T, N, C) (log-softmax outputs; (T, C) unbatched) against ``targets`` (N, S)
    padded or 1-D concatenated, with per-sample ``input_lengths`` and ``target_lengths``; 'mean' divides each
    loss by its target length before averaging (torch's); ``zero_infinity`` zeroes impossible alignments.

    Example:
        >>> lp = ne.tensor(np.log(np.full((3, 1, 2), 0.5)))
        >>> F.ctc_loss(lp, ne.tensor([[1]]), [3], [1], reduction="sum")
        tensor(0.2877)
    """
    red = _reduction(reduction)
    lp = check_tensor(log_probs, "log_probs", ndim=(2, 3), float64=True)
    unbatched = lp.ndim == 2
    if unbatched:
        lp = lp.reshape(lp.shape[0], 1, lp.shape[1])
    t_max, batch, c = lp.shape
    if isinstance(blank, bool) or not isinstance(blank, (int, np.integer)) or not 0 <= blank < c:
        raise ValueError(f"blank: expected a class index in [0, {c - 1}], got {blank!r}")
    in_lens = _lengths(input_lengths, "input_lengths", batch)
    tgt_lens = _lengths(target_lengths, "target_lengths", batch)
    if np.any(in_lens > t_max) or np.any(in_lens < 1):
        raise ValueError(f"input_lengths: expected values in [1, {t_max}], got {in_lens.tolist()}")
    tg = np.asarray(as_array(targets))
    if tg.dtype.kind not in "iu":
        raise TypeError(f"targets: expected integer class indices, got dtype {tg.dtype}")
    if unbatched:
        tg = tg.reshape(1, -1)
    if tg.ndim == 2:
        if tg.shape[0] != batch or np.any(tgt_lens > tg.shape[1]):
            raise ValueError(f"targets: expected shape ({batch}, >= max target length), got {tg.shape}")
        per = [tg[i, : tgt_lens[i]] for i in range(batch)]
    elif tg.ndim == 1:
        if tgt_lens.sum() != tg.size:
            raise ValueError(f"targets: 1-D targets must hold sum(target_lengths) = {tgt_lens.sum()} labels, got "
                             f"{tg.size}")
        ends = np.cumsum(tgt_lens)
        per = [tg[e - n: e] for e, n in zip(ends, tgt_lens)]
    else:
        raise ValueError(f"targets: expected 1-D or 2-D targets, got shape {tg.shape}")
    for p in per:
        if p.size and (p.min() < 0 or p.max() >= c or np.any(p == blank)):
            raise ValueError(f"targets: labels must be in [0, {c - 1}] and not the blank ({blank}), got {p.tolist()}")
    losses = _CTCFn.apply(lp, [p.astype(np.int64) for p in per], in_lens, tgt_lens, int(blank), bool(zero_infinity))
    if red == "none":
        return losses.reshape(()) if unbatched else losses
    if red == "sum":
        return losses.sum()
    dt = losses._data.dtype
    return (losses / Tensor(np.maximum(tgt_lens, 1).astype(dt), dtype=dt)).mean()
