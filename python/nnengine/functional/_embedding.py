"""Embedding lookups (``F.embedding``) on the C++ gather / scatter-add kernel pair, and ``F.one_hot``.

The backward pass is a deterministic scatter-add (rows partitioned by vocabulary index, each summed in
index order): bit-identical at any thread count. Indices are int64 or int32; an index outside the table
raises an error naming ``input`` that is both an IndexError (as PyTorch's) and a ValueError.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .. import _core
from .._coerce import data_or_self
from .._higher_order import const
from ..autograd import Function
from ..ops import LinearGradFn
from ..tensor import Tensor
from ._util import check_tensor, f32c


def _indices(input: Any, name: str = "input") -> np.ndarray:
    """int64 / int32 indices from a Tensor, numpy array or (nested) list; anything else is a TypeError
    (PyTorch accepts Long and Int index tensors only)."""
    a = data_or_self(input)
    if not isinstance(a, np.ndarray):
        if isinstance(a, (list, tuple, int, np.integer)) and not isinstance(a, bool):
            a = np.asarray(a)
            if a.dtype.kind in "iu" or a.size == 0:
                a = a.astype(np.int64)
        else:
            raise TypeError(f"{name}: expected a Tensor of int64 or int32 indices, got {type(input).__name__}")
    if a.dtype not in (np.int64, np.int32):
        raise TypeError(f"{name}: expected int64 or int32 indices, got dtype {a.dtype}")
    return np.require(a, a.dtype, ("C", "A"))


def _padding_idx(padding_idx: Optional[int], num_embeddings: int) -> int:
    """PyTorch's rule: padding_idx in [-num_embeddings, num_embeddings), negatives count from the end;
    returns the non-negative row, or -1 for none."""
    if padding_idx is None:
        return -1
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)):
        raise TypeError(f"padding_idx: expected an int or None, got {type(padding_idx).__name__}")
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(
            f"padding_idx: expected an index in [-{num_embeddings}, {num_embeddings}) (num_embeddings), "
            f"got {padding_idx}"
        )
    return int(padding_idx) % num_embeddings


class EmbeddingFn(Function):
    """out = weight[input] (input.shape + (D,)); backward: the scatter-add of the output gradient's rows
    into (V, D), skipping padding_idx, optionally divided by each row's count in the batch."""

    @staticmethod
    def forward(ctx, weight, idx, padding_idx, scale_grad_by_freq):
        weight = f32c(weight)
        ctx.idx, ctx.V = idx, weight.shape[0]
        ctx.padding_idx, ctx.scale = padding_idx, scale_grad_by_freq
        return _core.embedding_forward(idx, weight)

    @staticmethod
    def backward(ctx, g):
        dw = _core.embedding_backward(f32c(g), ctx.idx, ctx.V, ctx.padding_idx, ctx.scale)
        return dw, None, None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        # linear in g; the adjoint reads the rows back: each position's row of gg times the factor its gradient got
        idx = ctx.idx
        f = np.ones(idx.shape, np.float32)
        if ctx.padding_idx is not None:
            f[idx == ctx.padding_idx] = 0
        if ctx.scale:
            f /= np.bincount(idx.reshape(-1), minlength=ctx.V)[idx]
        f = f[..., None]
        return (LinearGradFn.apply(g, lambda a: EmbeddingFn.backward(ctx, a)[0],
                                   lambda a: _core.embedding_forward(idx, f32c(a)) * f,
                                   lambda t: EmbeddingFn.apply(t, idx, None, False) * const(f)), None, None, None)


def embedding(
    input: Any,
    weight: Tensor,
    padding_idx: Optional[int] = None,
    max_norm: Optional[float] = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` (V, D) at the integer ``input`` indices -> input.shape + (D,), as
    ``torch.nn.functional.embedding``. ``padding_idx``'s row gets no gradient; ``max_norm`` first rescales
    (in place, outside autograd) every referenced row whose ``norm_type``-norm exceeds it;
    ``scale_grad_by_freq`` divides each row's gradient by its count in ``input``. ``sparse=True`` is accepted
    and gives the same dense (V, D) gradient (``optim.SparseAdam`` reads the touched rows off it).

    Example:
        >>> w = ne.randn(10, 3, requires_grad=True)
        >>> F.embedding(ne.tensor([[1, 2], [4, 9]]), w).shape
        (2, 2, 3)
    """
    weight = check_tensor(weight, "weight", ndim=2)
    idx = _indices(input)
    pad = _padding_idx(padding_idx, weight.shape[0])
    if max_norm is not None:  # in place, outside autograd (as torch's embedding_renorm_)
        _core.embedding_renorm(weight._data, idx, float(max_norm), float(norm_type))
    return EmbeddingFn.apply(weight, idx, pad, bool(scale_grad_by_freq))


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: input.shape + (num_classes,), as ``torch.nn.functional.one_hot``;
    ``num_classes=-1`` takes max(input) + 1. Not differentiable.

    Example:
        >>> F.one_hot(ne.tensor([0, 2]), 3).numpy()
        array([[1, 0, 0],
               [0, 0, 1]])
    """
    idx = _indices(tensor, "tensor")
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"num_classes: expected an int, got {type(num_classes).__name__}")
    if idx.size and idx.min() < 0:
        raise ValueError(f"tensor: expected non-negative class values, got {int(idx.min())}")
    if num_classes == -1:
        if idx.size == 0:
            raise ValueError("num_classes: cannot be inferred (-1) from an empty tensor; pass it explicitly")
        num_classes = int(idx.max()) + 1
    elif num_classes < 0:
        raise ValueError(f"num_classes: expected -1 or a non-negative int, got {num_classes}")
    elif idx.size and idx.max() >= num_classes:
        raise ValueError(f"tensor: class values must be smaller than num_classes = {num_classes}, "
                         f"got {int(idx.max())}")
    out = np.zeros(idx.shape + (int(num_classes),), np.int64)
    np.put_along_axis(out, idx.astype(np.int64)[..., None], 1, axis=-1)
    return Tensor(out, dtype=np.int64)
