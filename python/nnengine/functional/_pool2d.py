"""Max, min and average pooling (2-D, and 1-D as planes of height 1) and maxout on the engine's pool2d
kernels."""

from __future__ import annotations

from typing import Any, Callable, List, Optional, Tuple, Union

import numpy as np

from .. import _core
from ..autograd import Function
from ..tensor import Tensor, tensor
from ._util import check_tensor, dim_index, f32c, from4, pair, positive_int, single, to4

IntPair = Union[int, Tuple[int, int]]


class Pool2dFn(Function):
    """max/min/avg pooling, one tape node; ``spatial`` 1 pools (N, C, L) as (N, C, 1, L). ``box`` (a list or
    None) receives the max's int64 indices for ``return_indices`` (torch's flat position in the plane)."""

    @staticmethod
    def forward(ctx, x, kind, k, s, p, spatial=2, box=None):
        batched = x.ndim == spatial + 2
        x4 = to4(x, spatial, batched)
        need = ctx.needs_input_grad[0] or box is not None
        y, idx = _core.pool2d_forward(x4, kind, k, s, p, with_indices=need)
        if box is not None:
            box.append(from4(idx, spatial, batched).astype(np.int64))
        ctx.save_for_backward(idx)
        ctx.args = (kind, x4.shape[2:], k, s, p, spatial, batched)
        return from4(y, spatial, batched)

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        kind, hw, k, s, p, spatial, batched = ctx.args
        dx = _core.pool2d_backward(to4(g, spatial, batched), kind, idx, hw, k, s, p)
        return from4(dx, spatial, batched), None, None, None, None, None, None


class ReluMaxPool2dFn(Function):
    """ReLU then 2-D max pooling as one tape node, on (N, C, H, W) float32 (what ``nn.Sequential`` and
    ``models.LeNet5`` run for a hook-free ReLU -> MaxPool2d, see ``nn.modules.pooling.relu_max_pool``). The forward
    is the pool2d kernel's ``relu_max`` (one pass over x, the activation kernel's ReLU applied to each window value);
    the backward masks dy where the pooled output is not positive (the ReLU backward on the pooled values: y > 0
    exactly where the window's winner x > 0) and scatters it through the max's indices. Outputs and gradients equal
    F.relu followed by F.max_pool2d bit for bit, without the full-size ReLU output and its gradient."""

    @staticmethod
    def forward(ctx, x, k, s, p):
        y, idx = _core.pool2d_forward(x, "relu_max", k, s, p, with_indices=ctx.needs_input_grad[0])
        ctx.save_for_backward(idx, y)
        ctx.args = (x.shape[2:], k, s, p)
        return y

    @staticmethod
    def backward(ctx, g):
        idx, y = ctx.saved_tensors
        hw, k, s, p = ctx.args
        # the ReLU mask on dy inside the pooling backward's call (relu_output): one call, no masked temporary
        return _core.pool2d_backward(f32c(g), "max", idx, hw, k, s, p, False, y), None, None, None


def _window(
    norm: Callable[[Any, str], Tuple[int, ...]], kernel_size: Any, stride: Any, padding: Any
) -> Tuple[Tuple[int, ...], Tuple[int, ...], Tuple[int, ...]]:
    """A pooling window's (kernel, stride, padding) as tuples of one (``norm=single``) or two (``pair``) ints
    (their types checked here, where the 1-D and 2-D forms are known), the stride defaulting to the kernel. The
    ranges (kernel and stride >= 1, padding at most half the kernel, the window inside the padded plane) have
    their one check in the binding (``bind_pool2d.cpp``), which names the same arguments."""
    k = norm(kernel_size, "kernel_size")
    empty = stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0)
    s = k if empty else norm(stride, "stride")
    return k, s, norm(padding, "padding")


def _pool(
    kind: str, input: Tensor, kernel_size: IntPair, stride: Optional[IntPair], padding: IntPair
) -> Tensor:
    x = check_tensor(input, "input", ndim=(3, 4))
    return Pool2dFn.apply(x, kind, *_window(pair, kernel_size, stride, padding))


def max_pool2d(
    input: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0,
    dilation: IntPair = 1, ceil_mode: bool = False, return_indices: bool = False,
) -> Any:
    """2-D max pooling (PyTorch's ``F.max_pool2d``; stride defaults to kernel_size, padded positions never win;
    dilation 1 and floor mode only); ``return_indices`` also gives each maximum's int64 flat position in its
    plane (what ``max_unpool2d`` takes).

    Example:
        >>> x = ne.randn(2, 3, 28, 28)
        >>> max_pool2d(x, 2).shape
        (2, 3, 14, 14)
    """
    _unsupported("dilation", pair(dilation, "dilation"), (1, 1))
    _unsupported("ceil_mode", bool(ceil_mode), False)
    if not return_indices:
        return _pool("max", input, kernel_size, stride, padding)
    x = check_tensor(input, "input", ndim=(3, 4))
    box: List[np.ndarray] = []
    y = Pool2dFn.apply(x, "max", *_window(pair, kernel_size, stride, padding), 2, box)
    return y, tensor(box[0])


def _relu_max_pool2d(
    input: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0
) -> Tensor:
    """``max_pool2d(relu(input), ...)`` as one op (ReluMaxPool2dFn) on a 4-D float32 tensor: equal bit for bit,
    without the full-size ReLU output. Internal: the layers call it where they see the pattern
    (``nn.modules.pooling.relu_max_pool``)."""
    x = check_tensor(input, "input", ndim=4)
    return ReluMaxPool2dFn.apply(x, *_window(pair, kernel_size, stride, padding))


def min_pool2d(
    input: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0
) -> Tensor:
    """2-D min pooling: the minimum over each window (padded positions are ignored, as in max pooling).

    Example:
        >>> x = ne.randn(2, 3, 28, 28)
        >>> min_pool2d(x, 3, stride=2, padding=1).shape
        (2, 3, 14, 14)
    """
    return _pool("min", input, kernel_size, stride, padding)


def avg_pool2d(
    input: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0
) -> Tensor:
    """2-D average pooling, PyTorch's defaults (count_include_pad=True: padding counts as zeros).

    Example:
        >>> x = ne.randn(2, 3, 28, 28)
        >>> avg_pool2d(x, 2).shape
        (2, 3, 14, 14)
    """
    return _pool("avg", input, kernel_size, stride, padding)


def _pool1d(kind: str, input: Tensor, kernel_size: Any, stride: Any, padding: Any, box: Optional[list] = None):
    x = check_tensor(input, "input", ndim=(2, 3))
    (k,), (st,), (p,) = _window(single, kernel_size, stride, padding)
    return Pool2dFn.apply(x, kind, (1, k), (1, st), (0, p), 1, box)


def _unsupported(name: str, value: Any, default: Any) -> None:
    if value != default:
        raise ValueError(f"{name}: only {default!r} is supported, got {value!r}")


def max_pool1d(
    input: Tensor,
    kernel_size: Union[int, Tuple[int]],
    stride: Optional[Union[int, Tuple[int]]] = None,
    padding: Union[int, Tuple[int]] = 0,
    dilation: Union[int, Tuple[int]] = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """1-D max pooling over (N, C, L) or (C, L), PyTorch's ``F.max_pool1d`` (dilation 1, floor mode); with
    ``return_indices`` also the int64 position of each maximum.

    Example:
        >>> x = ne.randn(2, 3, 100)
        >>> max_pool1d(x, 2).shape
        (2, 3, 50)
    """
    _unsupported("dilation", single(dilation, "dilation"), (1,))
    _unsupported("ceil_mode", bool(ceil_mode), False)
    box: Optional[List[np.ndarray]] = [] if return_indices else None
    y = _pool1d("max", input, kernel_size, stride, padding, box)
    return (y, tensor(box[0])) if box is not None else y


def avg_pool1d(
    input: Tensor,
    kernel_size: Union[int, Tuple[int]],
    stride: Optional[Union[int, Tuple[int]]] = None,
    padding: Union[int, Tuple[int]] = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """1-D average pooling over (N, C, L) or (C, L), PyTorch's ``F.avg_pool1d`` (floor mode, padding counted as
    zeros).

    Example:
        >>> x = ne.randn(2, 3, 100)
        >>> avg_pool1d(x, 4, stride=2).shape
        (2, 3, 49)
    """
    _unsupported("ceil_mode", bool(ceil_mode), False)
    _unsupported("count_include_pad", bool(count_include_pad), True)
    return _pool1d("avg", input, kernel_size, stride, padding)


class MaxoutFn(Function):
    @staticmethod
    def forward(ctx, x, pieces, dim):
        shape = x.shape
        outer = int(np.prod(shape[:dim], dtype=np.int64))
        inner = int(np.prod(shape[dim + 1 :], dtype=np.int64))
        y, idx = _core.maxout_forward(
            f32c(x.reshape(outer, shape[dim], inner)), pieces, with_indices=bool(ctx.needs_input_grad[0])
        )
        ctx.save_for_backward(idx)
        ctx.args = (shape, pieces)
        return y.reshape(shape[:dim] + (shape[dim] // pieces,) + shape[dim + 1 :])

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        shape, pieces = ctx.args
        dx = _core.maxout_backward(f32c(g.reshape(idx.shape)), idx, pieces)
        return dx.reshape(shape), None, None


def maxout(input: Tensor, pieces: int, dim: int = 1) -> Tensor:
    """Maxout (Goodfellow et al. 2013): each output is the max of ``pieces`` consecutive entries of
    ``dim``, which shrinks from ``k * pieces`` to ``k``.

    Example:
        >>> maxout(ne.tensor([[1.0, 5.0, 3.0, 2.0]]), pieces=2)
        tensor([[5., 3.]])
    """
    x = check_tensor(input, "input")
    pieces = positive_int(pieces, "pieces")
    d = dim_index(dim, x.ndim)
    if x.ndim == 0 or x.shape[d] % pieces:
        raise ValueError(f"input: dimension {d} of shape {x.shape} is not divisible by pieces={pieces}")
    return MaxoutFn.apply(x, int(pieces), d)
