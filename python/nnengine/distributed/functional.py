"""Differentiable collectives (for layers such as ``nn.SyncBatchNorm``).

Example:
    >>> local_sum = ne.ones(3, requires_grad=True)
    >>> total = all_reduce_sum(local_sum)  # forward: sum over ranks; backward: sum of the gradients
    >>> total.sum().backward(); local_sum.grad
    array([1., 1., 1.], dtype=float32)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from . import process_group as pg

__all__ = ["all_reduce_sum"]


def _sum(a: np.ndarray) -> np.ndarray:
    out = np.array(a, dtype=np.float32, order="C", copy=True)
    comm = pg.comm()
    if comm is not None:
        comm.Allreduce(pg.mpi().IN_PLACE, out, op=pg.mpi().SUM)
    return out


class _AllReduceSumFn(Function):
    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        return _sum(x)

    @staticmethod
    def backward(ctx: Any, g: np.ndarray) -> np.ndarray:
        # y = sum_r x_r is seen by every rank, and the objective is the sum of the ranks' losses, so
        # d(sum_r' L_r') / d x_r = sum_r' dL_r'/dy: the gradients are summed over ranks too
        return _sum(g)


def all_reduce_sum(x: Tensor) -> Tensor:
    """``x`` summed over all ranks, differentiable (a new Tensor; ``x`` is unchanged).

    Example:
        >>> all_reduce_sum(ne.tensor([1.0, 2.0]))  # one process: unchanged
        tensor([1., 2.])
    """
    return _AllReduceSumFn.apply(x)
