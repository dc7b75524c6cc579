"""Transposed convolutions on the engine's conv_transpose2d kernels: ``conv_transpose2d`` and
``conv_transpose1d`` (a 1-D signal is a height-1 image, as in ``_conv2d.py``, whose argument checks and views
it shares)."""

from __future__ import annotations

from typing import Optional

from .. import _core
from .._higher_order import const
from ..amp import _bf16_on, _entered
from ..autograd import Function
from ..tensor import Tensor
from ._conv2d import IntOne, IntPair, _common_args, _grad_views, _prepare
from ._util import as_shape, check_tensor, from4


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
        return dx, as_shape(dw, wshape), db, None, None, None, None, None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        # create_graph=True, in Tensor ops (recorded): dx is the convolution of g with the same weight (the adjoint),
        # dw the correlation of g with x (batch and channels swapped, stride and dilation exchanged), db g summed
        from ._conv2d import Conv2dFn, weight_grad_by_conv

        x4, w4 = ctx.saved_tensors
        stride, padding, output_padding, dilation, groups = ctx.args
        spatial, batched, wshape = ctx.meta
        tx = const(x4) if inputs[0] is None else inputs[0].reshape(x4.shape)
        tw = const(w4) if inputs[1] is None else inputs[1].reshape(w4.shape)
        n, c = x4.shape[:2]
        cg, kg, kh, kw = w4.shape[0] // groups, w4.shape[1], w4.shape[2], w4.shape[3]
        g4 = g.reshape(n, kg * groups, -1, g.shape[-1])
        need = [t is not None and t.requires_grad for t in inputs[:3]]
        gx = gw = gb = None
        if need[0]:
            gx = Conv2dFn.apply(g4, tw, None, stride, padding, dilation, groups, 2, (0, 0)).reshape(inputs[0].shape)
        if need[1]:
            gw = weight_grad_by_conv(g4, tx, kg, cg, groups, (kh, kw), stride, padding, dilation).reshape(wshape)
        if need[2] and ctx.has_bias:
            gb = g4.sum(dim=(0, 2, 3))
        return gx, gw, gb, None, None, None, None, None, None


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
