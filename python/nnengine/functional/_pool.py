"""Max, min and average pooling on the engine's pool2d kernels (2-D, and 1-D as planes of height 1), and
adaptive average / max pooling on the adaptive_pool kernels."""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from .. import _core
from ..autograd import Function, is_grad_enabled
from ..tensor import Tensor, tensor
from ._conv import _from4, _to4, single
from ._util import check_tensor, pair

IntPair = Union[int, Tuple[int, int]]


class Pool2dFn(Function):
    """max/min/avg pooling, one tape node; ``spatial`` 1 pools (N, C, L) as (N, C, 1, L). ``box`` (a list or
    None) receives the max's int64 indices for ``return_indices`` (torch's flat position in the plane)."""

    @staticmethod
    def forward(ctx, x, kind, k, s, p, spatial=2, box=None):
        batched = x.ndim == spatial + 2
        x4 = _to4(x, spatial, batched)
        need = (ctx.needs_input_grad[0] and is_grad_enabled()) or box is not None
        y, idx = _core.pool2d_forward(x4, kind, k, s, p, with_indices=need)
        if box is not None:
            box.append(_from4(idx, spatial, batched).astype(np.int64))
        ctx.save_for_backward(idx)
        ctx.args = (kind, x4.shape[2:], k, s, p, spatial, batched)
        return _from4(y, spatial, batched)

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        kind, hw, k, s, p, spatial, batched = ctx.args
        dx = _core.pool2d_backward(_to4(g, spatial, batched), kind, idx, hw, k, s, p)
        return _from4(dx, spatial, batched), None, None, None, None, None, None


def _pool(
    kind: str, input: Tensor, kernel_size: IntPair, stride: Optional[IntPair], padding: IntPair
) -> Tensor:
    x = check_tensor(input, "input", ndim=(3, 4))
    k = pair(kernel_size, "kernel_size")
    s = (
        k
        if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0)
        else pair(stride, "stride")
    )
    p = pair(padding, "padding")
    if min(k) < 1:
        raise ValueError(f"kernel_size: expected values >= 1, got {kernel_size!r}")
    if min(s) < 1:
        raise ValueError(f"stride: expected values >= 1, got {stride!r}")
    if p[0] * 2 > k[0] or p[1] * 2 > k[1]:
        raise ValueError(f"padding: should be at most half of kernel_size {k}, got {p}")
    return Pool2dFn.apply(x, kind, k, s, p)


def max_pool2d(
    input: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0
) -> Tensor:
    """2-D max pooling (PyTorch's ``F.max_pool2d``; stride defaults to kernel_size, padding is ignored).

    Example:
        >>> x = ne.randn(2, 3, 28, 28)
        >>> max_pool2d(x, 2).shape
        (2, 3, 14, 14)
    """
    return _pool("max", input, kernel_size, stride, padding)


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
    k = single(kernel_size, "kernel_size")
    st = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else single(stride, "stride")
    p = single(padding, "padding")
    if k[0] < 1:
        raise ValueError(f"kernel_size: expected a value >= 1, got {kernel_size!r}")
    if st[0] < 1:
        raise ValueError(f"stride: expected a value >= 1, got {stride!r}")
    if 2 * p[0] > k[0]:
        raise ValueError(f"padding: should be at most half of kernel_size {k[0]}, got {p[0]}")
    return Pool2dFn.apply(x, kind, (1, k[0]), (1, st[0]), (0, p[0]), 1, box)


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


class AdaptivePoolFn(Function):
    """Adaptive max/avg pooling, one tape node (``spatial`` 1: (N, C, L) as (N, C, 1, L))."""

    @staticmethod
    def forward(ctx, x, kind, out, spatial, box):
        batched = x.ndim == spatial + 2
        x4 = _to4(x, spatial, batched)
        need = kind == "max" and ((ctx.needs_input_grad[0] and is_grad_enabled()) or box is not None)
        y, idx = _core.adaptive_pool2d_forward(x4, kind, out, with_indices=need)
        if box is not None:
            box.append(_from4(idx, spatial, batched).astype(np.int64))
        ctx.save_for_backward(idx)
        ctx.args = (kind, x4.shape[2:], spatial, batched)
        return _from4(y, spatial, batched)

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        kind, hw, spatial, batched = ctx.args
        dx = _core.adaptive_pool2d_backward(_to4(g, spatial, batched), kind, idx, hw)
        return _from4(dx, spatial, batched), None, None, None, None


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
