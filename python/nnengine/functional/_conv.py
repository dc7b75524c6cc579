"""2-D convolution on the engine's conv2d kernels (blocked im2col + GEMM, bias fused)."""

from __future__ import annotations

from typing import Any, Optional, Tuple, Union

from .. import _core
from ..autograd import Function
from ..tensor import Tensor
from ._util import check_tensor, f32c, pair

IntPair = Union[int, Tuple[int, int]]


class Conv2dFn(Function):
    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        unbatched = x.ndim == 3
        x4 = f32c(x[None] if unbatched else x)
        w = f32c(w)  # a strided weight view (e.g. a transposed array) is valid input, as for x
        b = None if b is None else f32c(b)
        ctx.save_for_backward(x4, w)
        ctx.args = (stride, padding, dilation, groups)
        ctx.unbatched = unbatched
        ctx.has_bias = b is not None
        y = _core.conv2d_forward(x4, w, b, stride, padding, dilation, groups)
        return y[0] if unbatched else y

    @staticmethod
    def backward(ctx, g):
        x4, w = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.args
        g4 = f32c(g[None] if ctx.unbatched else g)
        nx, nw, nb = ctx.needs_input_grad[:3]
        dx = None
        if nx:
            dx = _core.conv2d_backward_data(g4, w, x4.shape[2:], stride, padding, dilation, groups)
            if ctx.unbatched:
                dx = dx[0]
        dw = db = None
        if nw or (nb and ctx.has_bias):
            dw, db = _core.conv2d_backward_weights(
                g4,
                x4,
                w.shape[2:],
                stride,
                padding,
                dilation,
                groups,
                need_weight=nw,
                need_bias=nb and ctx.has_bias,
            )
        return dx, dw, db, None, None, None, None


def _conv_padding(padding: Any, w_shape: tuple, dilation: Tuple[int, int]) -> Tuple[int, int]:
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0)
        if padding == "same":
            total = [dilation[i] * (w_shape[2 + i] - 1) for i in range(2)]
            if any(t % 2 for t in total):
                raise ValueError(
                    f"padding: 'same' needs an even total padding, got {tuple(total)} "
                    "for this kernel size and dilation (asymmetric padding is not supported)"
                )
            return (total[0] // 2, total[1] // 2)
        raise ValueError(f"padding: expected an int, a pair, 'valid' or 'same', got {padding!r}")
    return pair(padding, "padding")


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Optional[Tensor] = None,
    stride: IntPair = 1,
    padding: Union[IntPair, str] = 0,
    dilation: IntPair = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation, PyTorch's ``F.conv2d``: input (N, C, H, W) or unbatched (C, H, W),
    weight (out_channels, C / groups, kH, kW), bias (out_channels,).

    Example:
        >>> y = conv2d(x, w, b, stride=1, padding=1)   # x (8, 3, 32, 32), w (16, 3, 3, 3) -> (8, 16, 32, 32)
    """
    x = check_tensor(input, "input", ndim=(3, 4))
    w = check_tensor(weight, "weight", ndim=4)
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"groups: expected a positive int, got {groups!r}")
    st = pair(stride, "stride")
    dl = pair(dilation, "dilation")
    if min(st) < 1:
        raise ValueError(f"stride: expected values >= 1, got {stride!r}")
    if min(dl) < 1:
        raise ValueError(f"dilation: expected values >= 1, got {dilation!r}")
    pd = _conv_padding(padding, w.shape, dl)
    c_in = x.shape[-3]
    if c_in != w.shape[1] * groups:
        raise ValueError(
            f"input: expected {w.shape[1] * groups} channels (weight {w.shape} with groups={groups}), "
            f"got shape {x.shape}"
        )
    b = None
    if bias is not None:
        b = check_tensor(bias, "bias", ndim=1)
        if b.shape[0] != w.shape[0]:
            raise ValueError(f"bias: expected shape ({w.shape[0]},), got {b.shape}")
    return Conv2dFn.apply(x, w, b, st, pd, dl, groups)
