"""Max, min and average 2-D pooling (NCHW) on the engine's pool2d kernels."""

from __future__ import annotations

from typing import Optional, Tuple, Union

from .. import _core
from ..autograd import Function, is_grad_enabled
from ..tensor import Tensor
from ._util import check_tensor, f32c, pair

IntPair = Union[int, Tuple[int, int]]


class Pool2dFn(Function):
    @staticmethod
    def forward(ctx, x, kind, k, s, p):
        unbatched = x.ndim == 3
        x4 = f32c(x[None] if unbatched else x)
        need = ctx.needs_input_grad[0] and is_grad_enabled()
        y, idx = _core.pool2d_forward(x4, kind, k, s, p, with_indices=need)
        ctx.save_for_backward(idx)
        ctx.args = (kind, x4.shape[2:], k, s, p, unbatched)
        return y[0] if unbatched else y

    @staticmethod
    def backward(ctx, g):
        (idx,) = ctx.saved_tensors
        kind, hw, k, s, p, unbatched = ctx.args
        dx = _core.pool2d_backward(f32c(g[None] if unbatched else g), kind, idx, hw, k, s, p)
        return (dx[0] if unbatched else dx), None, None, None, None


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
        >>> y = max_pool2d(x, 2)   # (N, C, 28, 28) -> (N, C, 14, 14)
    """
    return _pool("max", input, kernel_size, stride, padding)


def min_pool2d(
    input: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0
) -> Tensor:
    """2-D min pooling: the minimum over each window (padded positions are ignored, as in max pooling).

    Example:
        >>> y = min_pool2d(x, 3, stride=2, padding=1)
    """
    return _pool("min", input, kernel_size, stride, padding)


def avg_pool2d(
    input: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0
) -> Tensor:
    """2-D average pooling, PyTorch's defaults (count_include_pad=True: padding counts as zeros).

    Example:
        >>> y = avg_pool2d(x, 2)
    """
    return _pool("avg", input, kernel_size, stride, padding)
