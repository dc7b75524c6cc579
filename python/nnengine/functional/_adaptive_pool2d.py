"""Adaptive average and max pooling (2-D, and 1-D as planes of height 1) on the engine's adaptive_pool2d
kernels."""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from .. import _core
from .._higher_order import scratch_ctx
from ..autograd import Function
from ..ops import LinearGradFn
from ..tensor import Tensor, tensor
from ._util import check_tensor, from4, pair, single, to4


class AdaptivePoolFn(Function):
    """Adaptive max/avg pooling, one tape node (``spatial`` 1: (N, C, L) as (N, C, 1, L))."""

    @staticmethod
    def forward(ctx, x, kind, out, spatial, box):
        batched = x.ndim == spatial + 2
        x4 = to4(x, spatial, batched)
        need = kind == "max" and (ctx.needs_input_grad[0] or box is not None)
        y, idx = _core.adaptive_pool2d_forward(x4, kind, out, with_indices=need)
        if box is not None:
            box.append(from4(idx, spatial, batched).astype(np.int64))
        ctx.save_for_backward(idx)
        ctx.args = (kind, x4.shape[2:], spatial, batched)
        ctx.out = out
        return from4(y, spatial, batched)

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        kind, hw, spatial, batched = ctx.args
        dx = _core.adaptive_pool2d_backward(to4(g, spatial, batched), kind, idx, hw)
        return from4(dx, spatial, batched), None, None, None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        (idx,) = ctx.saved_tensors
        kind, hw, spatial, batched = ctx.args
        if kind == "max":
            from ._pool2d import _route

            return _route(g, idx, hw, hw, inputs[0].shape), None, None, None, None
        fake = scratch_ctx()
        args = ("avg", ctx.out, spatial, None)
        return (LinearGradFn.apply(g, lambda a: AdaptivePoolFn.backward(ctx, a)[0],
                                   lambda a: AdaptivePoolFn.forward(fake, a, *args),
                                   lambda t: AdaptivePoolFn.apply(t, *args)), None, None, None, None)


def _adaptive(kind: str, input: Tensor, output_size: Any, spatial: int, return_indices: bool = False) -> Any:
    x = check_tensor(input, "input", ndim=(spatial + 1, spatial + 2))
    if spatial == 1:
        out = (1,) + single(output_size, "output_size")
    else:
        # torch: an int, or a pair whose None entries keep the input's size
        if isinstance(output_size, (tuple, list)) and len(output_size) == 2:
            output_size = tuple(x.shape[-2 + i] if v is None else v for i, v in enumerate(output_size))
        out = pair(output_size, "output_size")
    if min(out) < 1:
        raise ValueError(f"output_size: expected values >= 1, got {output_size!r}")
    if min(x.shape[-spatial:]) < 1:
        raise ValueError(f"input: expected a non-empty spatial size, got shape {x.shape}")
    box: Optional[List[np.ndarray]] = [] if return_indices else None
    y = AdaptivePoolFn.apply(x, kind, out, spatial, box)
    return (y, tensor(box[0])) if box is not None else y


def adaptive_avg_pool2d(input: Tensor, output_size: Union[int, Sequence[Optional[int]]]) -> Tensor:
    """Adaptive 2-D average pooling to ``output_size`` (PyTorch's ``F.adaptive_avg_pool2d``; None keeps a size).

    Example:
        >>> x = ne.randn(2, 8, 7, 7)
        >>> adaptive_avg_pool2d(x, 1).shape
        (2, 8, 1, 1)
    """
    return _adaptive("avg", input, output_size, 2)


def adaptive_avg_pool1d(input: Tensor, output_size: Union[int, Tuple[int]]) -> Tensor:
    """Adaptive 1-D average pooling of (N, C, L) or (C, L) to ``output_size``.

    Example:
        >>> x = ne.randn(2, 3, 100)
        >>> adaptive_avg_pool1d(x, 1).shape
        (2, 3, 1)
    """
    return _adaptive("avg", input, output_size, 1)


def adaptive_max_pool2d(
    input: Tensor, output_size: Union[int, Sequence[Optional[int]]], return_indices: bool = False
) -> Any:
    """Adaptive 2-D max pooling (PyTorch's ``F.adaptive_max_pool2d``); with ``return_indices`` also the int64
    flat position (h * W + w) of each maximum.

    Example:
        >>> x = ne.randn(2, 3, 9, 7)
        >>> y, idx = adaptive_max_pool2d(x, (2, 3), return_indices=True)
        >>> y.shape, idx.dtype
        ((2, 3, 2, 3), dtype('int64'))
    """
    return _adaptive("max", input, output_size, 2, bool(return_indices))


def adaptive_max_pool1d(input: Tensor, output_size: Union[int, Tuple[int]], return_indices: bool = False) -> Any:
    """Adaptive 1-D max pooling of (N, C, L) or (C, L).

    Example:
        >>> x = ne.randn(2, 3, 100)
        >>> adaptive_max_pool1d(x, 4).shape
        (2, 3, 4)
    """
    return _adaptive("max", input, output_size, 1, bool(return_indices))
