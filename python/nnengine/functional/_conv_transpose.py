"""Transposed convolutions on the engine's conv_transpose2d kernels: ``conv_transpose2d`` and
``conv_transpose1d`` (a 1-D signal is a height-1 image, as in ``_conv2d.py``, whose argument checks and views
it shares)."""

from __future__ import annotations

from typing import Optional

from .. import _core
from ..amp import _bf16_on, _entered
from ..autograd import Function
from ..tensor import Tensor
from ._conv2d import IntOne, IntPair, _common_args, _grad_views, _prepare
from ._util import check_tensor, from4


class ConvTransposeFn(Function):
    """conv_transpose1d / conv_transpose2d: one tape node on the conv_transpose2d kernels."""

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, output_padding, dilation, groups, spatial):
        batched, x4, w4, b = _prepare(ctx, x, w, b, spatial)
        ctx.save_for_backward(x4, w4)
        ctx.args = (stride, padding, output_padding, dilation, groups)
        ctx.meta = (spatial, batched, w.shape)
        ctx.bf16 = bf16 = _entered[0] > 0 and _bf16_on()  # autocast("bf16"): products in bf16, both passes
        y = _core.conv_transpose2d_forward(x4, w4, b, stride, padding, output_padding, dilation, groups, False, bf16)
        return from4(y, spatial, batched)

    @staticmethod
    def backward(ctx, g):
        x4, w4 = ctx.saved_tensors
        spatial, batched, wshape = ctx.meta
        g4, nx, nw, nb = _grad_views(ctx, g, spatial, batched)
        # one kernel call for every requested gradient: the strided layers build dy's column matrix once
        dx, dw, db = _core.conv_transpose2d_backward(
            g4, x4, w4, *ctx.args, nx, nw, nb, False, ctx.bf16
        )
        dx = None if dx is None else from4(dx, spatial, batched)
        return dx, None if dw is None else dw.reshape(wshape), db, None, None, None, None, None, None


def _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, spatial: int):
    to_tuple, x, w, groups, st, dl = _common_args(input, weight, stride, dilation, groups, spatial)
    pd = to_tuple(padding, "padding")
    op = to_tuple(output_padding, "output_padding")
    b = None if bias is None else check_tensor(bias, "bias")
    if spatial == 1:
        st, pd, op, dl = (1,) + st, (0,) + pd, (0,) + op, (1,) + dl
    return ConvTransposeFn.apply(x, w, b, st, pd, op, dl, groups, spatial)


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Optional[Tensor] = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
    output_padding: IntPair = 0,
    groups: int = 1,
    dilation: IntPair = 1,
) -> Tensor:
    """2-D transposed convolution, PyTorch's ``F.conv_transpose2d`` (same argument order: groups before
    dilation): input (N, C, H, W) or (C, H, W), weight (C, out_channels / groups, kH, kW).

    Example:
        >>> x, w = ne.randn(2, 8, 4, 4), ne.randn(8, 3, 4, 4)
        >>> conv_transpose2d(x, w, stride=2, padding=1).shape
        (2, 3, 8, 8)
    """
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, 2)


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Optional[Tensor] = None,
    stride: IntOne = 1,
    padding: IntOne = 0,
    output_padding: IntOne = 0,
    groups: int = 1,
    dilation: IntOne = 1,
) -> Tensor:
    """1-D transposed convolution, PyTorch's ``F.conv_transpose1d``: input (N, C, L) or (C, L), weight
    (C, out_channels / groups, k).

    Example:
        >>> x, w = ne.randn(8, 16, 50), ne.randn(16, 6, 4)
        >>> conv_transpose1d(x, w, stride=2).shape
        (8, 6, 102)
    """
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, 1)
