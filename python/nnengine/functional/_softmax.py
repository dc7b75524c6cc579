"""Softmax and log-softmax along one dimension on the engine's softmax kernels (the fused cross-entropy on the
same kernels is ``F.cross_entropy`` in ``_loss.py``)."""

from __future__ import annotations

import numpy as np

from .. import _core
from ..autograd import Function
from ..tensor import Tensor
from . import _float64
from ._util import check_tensor, dim_index, f32c


class SoftmaxFn(Function):
    @staticmethod
    def forward(ctx, x, dim, log):
        y = _core.softmax_forward(f32c(x), dim, log)
        ctx.dim, ctx.log = dim, log
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return _core.softmax_backward(f32c(g), y, ctx.dim, ctx.log), None, None


def _softmax(input: Tensor, dim: int, log: bool) -> Tensor:
    x = check_tensor(input, "input", float64=True)
    if x.data.dtype == np.float64:
        return _float64.Softmax64Fn.apply(x, dim_index(dim, max(x.ndim, 1)) if x.ndim else 0, log)
    if x.ndim == 0:
        x = x.reshape(1)
        return SoftmaxFn.apply(x, 0, log).reshape(())
    return SoftmaxFn.apply(x, dim_index(dim, x.ndim), log)


def softmax(input: Tensor, dim: int) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``. Example: ``F.softmax(logits, dim=1)``.

    Example:
        >>> F.softmax(ne.tensor([[1.0, 1.0], [0.0, 0.0]]), dim=1)
        tensor([[0.5, 0.5],
                [0.5, 0.5]])
    """
    return _softmax(input, dim, False)


def log_softmax(input: Tensor, dim: int) -> Tensor:
    """x - logsumexp(x) along ``dim`` (numerically stable).

    Example:
        >>> F.log_softmax(ne.tensor([[0.0, 0.0]]), dim=1)
        tensor([[-0.6931, -0.6931]])
    """
    return _softmax(input, dim, True)
