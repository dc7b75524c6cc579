"""``F.embedding_bag``: sums, means or maxima of bags of embedding rows without materialising the per-index
embeddings' graph (torch's semantics: 2-D input = one bag per row, or 1-D input with ``offsets``;
``per_sample_weights`` with 'sum'; ``padding_idx`` entries skipped; empty bags give zeros)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .. import _core
from ..autograd import Function
from ..tensor import Tensor
from ._embedding import _indices, _padding_idx
from ._util import check_tensor, f32c

_MODES = ("sum", "mean", "max")


class _BagFn(Function):
    """out[b] = reduce over bag b of weight[idx[k]] * scale[k] (mode 'sum'/'mean': the scale carries 1/count)
    or max (mode 'max'); the gradient goes to weight rows (and to per-sample weights for 'sum')."""

    @staticmethod
    def forward(ctx, weight, psw, idx, bag, nbags, scale, mode):
        rows = weight[idx]  # (K, D)
        d = weight.shape[1]
        if mode == "max":
            out = np.zeros((nbags, d), weight.dtype)
            arg = np.full((nbags, d), -1, np.int64)
            for b in range(nbags):
                sel = np.flatnonzero(bag == b)
                if sel.size:
                    k = np.argmax(rows[sel], axis=0)
                    arg[b] = sel[k]
                    out[b] = rows[sel[k], np.arange(d)]
            ctx.args = (weight.shape, idx, bag, None, arg, mode, None)
            return out
        s = scale if psw is None else scale * psw
        out = np.zeros((nbags, d), weight.dtype)
        np.add.at(out, bag, rows * s[:, None].astype(weight.dtype))
        ctx.args = (weight.shape, idx, bag, s, None, mode, rows if psw is not None else None)
        ctx.scale = scale
        return out

    @staticmethod
    def backward(ctx, g):
        shape, idx, bag, s, arg, mode, rows = ctx.args
        gw = np.zeros(shape, g.dtype)
        gpsw = None
        if mode == "max":
            b, j = np.nonzero(arg >= 0)
            np.add.at(gw, (idx[arg[b, j]], j), g[b, j])
        else:
            np.add.at(gw, idx, g[bag] * s[:, None].astype(g.dtype))
            if rows is not None and ctx.needs_input_grad[1]:
                gpsw = ((g[bag] * rows).sum(1) * ctx.scale).astype(g.dtype)
        return gw, gpsw, None, None, None, None, None


def embedding_bag(input: Any, weight: Tensor, offsets: Optional[Any] = None, max_norm: Optional[float] = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Optional[Tensor] = None, include_last_offset: bool = False,
                  padding_idx: Optional[int] = None) -> Tensor:
    """Reduce bags of ``weight`` rows: ``input`` (B, N) is B bags of N indices, or ``input`` (K,) with ``offsets``
    (B,) the start of each bag (B + 1 with ``include_last_offset``); ``mode`` 'sum', 'mean' or 'max'; output
    (B, D). ``per_sample_weights`` (same shape as ``input``, 'sum' only) scales each row; ``padding_idx`` rows are
    left out (and not counted by 'mean'). ``sparse=True`` gives dense gradients (SparseAdam takes them);
    ``scale_grad_by_freq`` is not supported.

    Example:
        >>> w = ne.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]])
        >>> F.embedding_bag(ne.tensor([0, 1, 2, 2]), w, ne.tensor([0, 2]), mode="sum")
        tensor([[1., 1.],
                [4., 4.]])
    """
    w = check_tensor(weight, "weight", ndim=2, float64=True)
    if mode not in _MODES:
        raise ValueError(f"mode: expected 'sum', 'mean' or 'max', got {mode!r}")
    if scale_grad_by_freq:
        raise ValueError("scale_grad_by_freq: not supported for embedding_bag, expected False")
    idx = _indices(input)
    v = w.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= v):
        raise ValueError(f"input: indices must be in [0, {v - 1}] (num_embeddings), got {idx.min()}..{idx.max()}")
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("offsets: has to be None if input is 2-D (one bag per row)")
        nbags, n = idx.shape
        bag = np.repeat(np.arange(nbags), n)
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("offsets: has to be a 1-D tensor when input is 1-D")
        off = _indices(offsets, "offsets").astype(np.int64)
        if off.ndim != 1 or (off.size and off[0] != 0) or np.any(np.diff(off) < 0) or (off.size and off[-1] > idx.size):
            raise ValueError(f"offsets: expected a 1-D non-decreasing sequence starting at 0 and within the input, "
                             f"got {off.tolist()}")
        if include_last_offset:
            if off.size == 0:
                raise ValueError("offsets: include_last_offset needs at least one offset")
            off, ends = off[:-1], off[1:]
        else:
            ends = np.append(off[1:], idx.size)
        nbags = off.size
        bag = np.repeat(np.arange(nbags), ends - off)
        keep_len = int(ends[-1]) if nbags else 0
        idx = idx[:keep_len]
    else:
        raise ValueError(f"input: expected 1-D (with offsets) or 2-D indices, got shape {idx.shape}")
    flat = idx.reshape(-1)
    bag = bag[: flat.size]
    psw = None
    if per_sample_weights is not None:
        if mode != "sum":
            raise ValueError(f"per_sample_weights: only supported for mode='sum', got mode={mode!r}")
        psw = check_tensor(per_sample_weights, "per_sample_weights", float64=True)
        if tuple(psw.shape) != tuple(_indices(input).shape):
            raise ValueError(f"per_sample_weights: expected the input's shape {tuple(_indices(input).shape)}, got "
                             f"{tuple(psw.shape)}")
        psw = psw.reshape(-1)[: flat.size] if psw.ndim == 1 else psw.reshape(-1)
    keep = np.ones(flat.size, bool)
    pad = _padding_idx(padding_idx, v)
    if pad >= 0:
        keep = flat != pad
    if max_norm is not None:  # in place, outside autograd, as torch's embedding_renorm_
        _core.embedding_renorm(f32c(w._data) if w._data.dtype == np.float32 else w._data, flat[keep].astype(np.int64),
                               float(max_norm), float(norm_type))
    if psw is not None and not keep.all():
        psw = psw[np.flatnonzero(keep)]
    flat, bag = flat[keep], bag[keep]
    scale = np.ones(flat.size)
    if mode == "mean":
        counts = np.bincount(bag, minlength=nbags)
        scale = 1.0 / counts[bag] if flat.size else scale
    return _BagFn.apply(w, psw, flat.astype(np.intp), bag, nbags, scale, mode)


