"""Channel dropout on the engine's dropout2d kernels: ``F.dropout1d`` / ``F.dropout2d`` zero whole
channels (planes)."""

from __future__ import annotations

import warnings
from typing import Tuple

import numpy as np

from .. import _core
from .._higher_order import const
from ..autograd import Function
from ..random import seed_int
from ..tensor import Tensor
from ._dropout import no_mask
from ._util import check_tensor, f32c, probability


class Dropout2dFn(Function):
    # nnengine.compile: a replay draws a fresh seed for argument 3, as each eager call does
    _replay_fresh = {3: seed_int}

    @staticmethod
    def forward(ctx, x, planes, p, seed):
        ctx.args = (planes, p, seed)
        return _core.dropout2d_forward(f32c(x), planes, p, seed)

    @staticmethod
    def backward(ctx, g):
        planes, p, seed = ctx.args
        return _core.dropout2d_backward(f32c(g), planes, p, seed), None, None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        planes, p, seed = ctx.args  # the backward applies the forward's channel mask and scale: linear in g
        scale = _core.dropout2d_backward(np.ones(g.shape, np.float32), planes, p, seed)
        return g * const(scale), None, None, None


def _channel_dropout(input: Tensor, p: float, training: bool, ndims: Tuple[int, ...], name: str,
                     batch_ndim: int) -> Tensor:
    x = check_tensor(input, "input", ndim=ndims)
    p = probability(p)
    y = no_mask(x, p, training)
    if y is not None:
        return y
    planes = x.shape[0] * x.shape[1] if x.ndim >= batch_ndim else x.shape[0]
    return Dropout2dFn.apply(x, int(planes), p, seed_int())


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Channel dropout of (N, C, L) or (C, L): each channel is zeroed with probability ``p`` (the rest scaled by
    1/(1-p)), PyTorch's ``F.dropout1d``.

    Example:
        >>> dropout1d(ne.ones(2, 3, 10), 0.2).shape
        (2, 3, 10)
    """
    return _channel_dropout(input, p, training, (2, 3), "dropout1d", 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Channel dropout of (N, C, H, W) (a 3-D input is read as (N, C, L), as torch does), PyTorch's
    ``F.dropout2d``. Other ranks >= 2 warn and drop each (n, c) slice, as torch's deprecated path does
    (a 2-D (N, C) input loses single elements).

    Example:
        >>> dropout2d(ne.ones(2, 3, 5, 5), 0.2).shape
        (2, 3, 5, 5)
    """
    x = check_tensor(input, "input")
    if x.ndim not in (3, 4):
        if x.ndim < 2:
            raise ValueError(f"input: expected 3 or 4 dimensions, got {x.ndim} with shape {x.shape}")
        # torch's deprecated path: feature dropout over dims (0, 1), so a 2-D (N, C) input drops elements
        warnings.warn(f"dropout2d: Received a {x.ndim}-D input to dropout2d, which is deprecated and will "
                      "result in an error in a future release (as in torch). To retain the behavior and "
                      "silence this warning, please use dropout instead.", UserWarning, stacklevel=2)
    return _channel_dropout(x, p, training, (x.ndim,), "dropout2d", 2)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Channel dropout of (N, C, D, H, W) or (C, D, H, W): each channel volume is zeroed with probability ``p``
    (the rest scaled by 1/(1-p)), PyTorch's ``F.dropout3d``.

    Example:
        >>> dropout3d(ne.ones(2, 3, 2, 4, 4), 0.2).shape
        (2, 3, 2, 4, 4)
    """
    return _channel_dropout(input, p, training, (4, 5), "dropout3d", 5)
