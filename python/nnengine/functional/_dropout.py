"""Inverted dropout on the engine's dropout kernels (``F.dropout``); the mask is a hash of the seed and the
element index, so backward regenerates it instead of storing it."""

from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from .. import _core
from .._higher_order import const
from ..autograd import Function
from ..random import seed_int
from ..tensor import Tensor
from ._util import check_tensor, f32c, probability


class DropoutFn(Function):
    # nnengine.compile: a replay draws a fresh seed for argument 2, as each eager call does
    _replay_fresh = {2: seed_int}

    @staticmethod
    def forward(ctx, x, p, seed):
        ctx.args = (p, seed)
        return _core.dropout_forward(f32c(x), p, seed)

    @staticmethod
    def backward(ctx, g):
        p, seed = ctx.args
        return _core.dropout_backward(f32c(g), p, seed), None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        p, seed = ctx.args  # the backward applies the forward's mask and scale: linear in g
        scale = _core.dropout_backward(np.ones(g.shape, np.float32), p, seed)
        return g * const(scale), None, None


def dropout_mask(shape: Tuple[int, ...], p: float) -> np.ndarray:
    """The dropout kernel's keep mask (bool, each element kept with probability ``1 - p``, ``0 <= p < 1``) for a
    fresh seed from ``nnengine.random``: the one mask generator behind ``F.dropout``, the RNN inter-layer dropout
    and the denoising autoencoder's masking noise.

    Example:
        >>> m = dropout_mask((10000,), 0.25); m.dtype, 0.72 < m.mean() < 0.78
        (dtype('bool'), True)
    """
    return _core.dropout_forward(np.ones(shape, np.float32), float(p), seed_int()) != 0


def no_mask(x: Tensor, p: float, training: bool) -> Optional[Tensor]:
    """The result of a dropout that draws no mask (in eval mode or at p = 0: ``x``; at p = 1: zeros), else
    None: shared by element and channel dropout."""
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    return None


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by 1/(1-p)
    (identity when not training). The mask comes from ``ne.manual_seed``'s generator.

    Example:
        >>> y = dropout(ne.ones(1000), p=0.5, training=True)
        >>> sorted(set(y.tolist())), dropout(ne.ones(2), training=False)
        ([0.0, 2.0], tensor([1., 1.]))
    """
    x = check_tensor(input, "input")
    p = probability(p)
    y = no_mask(x, p, training)
    return y if y is not None else DropoutFn.apply(x, p, seed_int())
