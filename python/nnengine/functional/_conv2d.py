"""Convolutions on the engine's conv2d kernels (direct stride-1 kernels or blocked im2col + GEMM, bias fused):
``conv2d`` and ``conv1d``. A 1-D convolution runs as a 2-D one over a height-1 image: the same kernels, the
direct stride-1 path included, with no copy (the arrays are reshaped views). The argument checks and the
(N, C, H, W) views here are shared with the transposed convolution (``_conv_transpose.py``)."""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

from .. import _core
from .._higher_order import _Unsupported, const, operand
from ..amp import _bf16_on, _entered
from ..autograd import Function
from ..tensor import Tensor, cat
from ._util import as_shape, check_tensor, f32c, from4, pair, single, to4

IntPair = Union[int, Tuple[int, int]]
IntOne = Union[int, Tuple[int]]


def _pad_end(x4: np.ndarray, extra: Tuple[int, int]) -> np.ndarray:
    """x4 with extra[0] zero rows and extra[1] zero columns appended (asymmetric 'same' padding)."""
    if extra == (0, 0):
        return x4
    out = np.zeros(x4.shape[:2] + (x4.shape[2] + extra[0], x4.shape[3] + extra[1]), np.float32)
    out[:, :, : x4.shape[2], : x4.shape[3]] = x4
    return out


def _prepare(ctx, x, w, b, spatial):
    """The forward's common part of both Functions (Conv2dFn, ``ConvTransposeFn``): (N, C, H, W) views of x and the weight (a 1-D signal is an image
    of height 1), the bias as float32 or None, and what the backward needs to undo the views."""
    batched = x.ndim == spatial + 2
    x4 = to4(x, spatial, batched)
    w4 = f32c(w[:, :, None, :] if spatial == 1 else w)
    ctx.has_bias = b is not None
    return batched, x4, w4, None if b is None else f32c(b)


def _grad_views(ctx, g, spatial, batched):
    """The backward's common part: the (N, K, P, Q) view of the output gradient and the flags of the gradients
    wanted (input, weight, bias)."""
    nx, nw, nb = ctx.needs_input_grad[:3]
    return to4(g, spatial, batched), nx, nw, nb and ctx.has_bias


def weight_grad_by_conv(a: Tensor, b: Tensor, ca: int, cb: int, groups: int, kernel: Tuple[int, int],
                        stride: Tuple[int, int], padding: Tuple[int, int], dilation: Tuple[int, int]) -> Tensor:
    """A convolution's weight gradient as a recorded convolution (create_graph=True): per group, the correlation
    of ``a`` (the image side, ``ca`` channels a group) with ``b`` (the kernel side, ``cb`` channels a group), batch
    and channels swapped, stride and dilation exchanged, cropped to ``kernel``; (groups * cb, ca, kh, kw) for a
    conv2d (a = x, b = dy) and (groups * cb, ca, kh, kw) read as the transposed layer's (C, K/groups, kh, kw)
    weight for a conv_transpose2d (a = dy, b = x).

    Example:
        >>> x, g = ne.randn(2, 3, 6, 6), ne.randn(2, 4, 4, 4)
        >>> weight_grad_by_conv(x, g, 3, 4, 1, (3, 3), (1, 1), (0, 0), (1, 1)).shape
        (4, 3, 3, 3)
    """
    parts = []
    for j in range(groups):
        ag = a[:, j * ca:(j + 1) * ca].transpose(0, 1)
        bg = b[:, j * cb:(j + 1) * cb].transpose(0, 1)
        r = Conv2dFn.apply(ag, bg, None, dilation, padding, stride, 1, 2, (0, 0))
        parts.append(r[:, :, :kernel[0], :kernel[1]].transpose(0, 1))
    return parts[0] if groups == 1 else cat(parts, 0)


def conv_graph_grad(ctx: Any, inputs: Any, g: Tensor) -> tuple:
    """(dx, dw, db) of a Conv2dFn node in Tensor ops (recorded: differentiable again), its backward under
    ``create_graph=True``: dx is the transposed convolution of g with the weight, dw a convolution of the input
    with g (batch and channels swapped, stride and dilation exchanged), db g summed.

    Example:
        >>> x, w = ne.randn(1, 2, 5, 5, requires_grad=True), ne.randn(3, 2, 3, 3, requires_grad=True)
        >>> y = F.conv2d(x, w, stride=2, padding=1)
        >>> [None if t is None else t.shape for t in conv_graph_grad(y.grad_fn.ctx, y.grad_fn.inputs, y * 0 + 1)]
        [(1, 2, 5, 5), (3, 2, 3, 3), None]
    """
    xe, w4 = ctx.saved_tensors
    stride, padding, dilation, groups = ctx.args
    spatial, batched, xshape, wshape = ctx.meta
    if tuple(xe.shape) != tuple(xshape):
        raise _Unsupported("create_graph=True through a convolution with asymmetric 'same' padding: not supported "
                           "yet (give symmetric padding)")
    tx = operand(inputs, 0, None)
    tx = const(xe) if inputs[0] is None else tx.reshape(xshape)
    tw = const(w4) if inputs[1] is None else inputs[1].reshape(w4.shape)
    n, c, h, wd = xshape
    k, cg, kh, kw = w4.shape
    g4 = g.reshape(n, k, -1, g.shape[-1])
    need = [t is not None and t.requires_grad for t in inputs[:3]]
    gx = gw = gb = None
    if need[0]:
        outp = tuple(int(size - ((o - 1) * s - 2 * p + d * (kk - 1) + 1)) for size, o, s, p, d, kk in zip(
            (h, wd), g4.shape[2:], stride, padding, dilation, (kh, kw)))
        from ._conv_transpose import ConvTransposeFn

        gx = ConvTransposeFn.apply(g4, tw, None, stride, padding, outp, dilation, groups, 2).reshape(
            inputs[0].shape)
    if need[1]:
        gw = weight_grad_by_conv(tx, g4, cg, k // groups, groups, (kh, kw), stride, padding, dilation).reshape(wshape)
    if need[2] and ctx.has_bias:
        gb = g4.sum(dim=(0, 2, 3))
    return gx, gw, gb


class Conv2dFn(Function):
    """conv1d / conv2d: one tape node; ``spatial`` is 1 or 2, ``extra`` the right/bottom zero padding that
    an asymmetric 'same' adds beyond ``padding``."""

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups, spatial, extra):
        batched, x4, w4, b = _prepare(ctx, x, w, b, spatial)
        xe = _pad_end(x4, extra)
        ctx.save_for_backward(xe, w4)
        ctx.args = (stride, padding, dilation, groups)
        ctx.meta = (spatial, batched, x4.shape, w.shape)
        ctx.bf16 = bf16 = _entered[0] > 0 and _bf16_on()  # autocast("bf16"): products in bf16, both passes
        return from4(_core.conv2d_forward(xe, w4, b, stride, padding, dilation, groups, False, bf16), spatial,
                      batched)

    @staticmethod
    def backward(ctx, g):
        xe, w4 = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.args
        spatial, batched, xshape, wshape = ctx.meta
        g4, nx, nw, nb = _grad_views(ctx, g, spatial, batched)
        dx = dw = db = None
        if nx:
            dx = _core.conv2d_backward_data(g4, w4, xe.shape[2:], stride, padding, dilation, groups, False,
                                            ctx.bf16)
            if dx.shape[2:] != xshape[2:]:  # ('same' padding's extra right/bottom zeros; no view otherwise: as_shape)
                dx = dx[:, :, : xshape[2], : xshape[3]]
            dx = from4(dx, spatial, batched)
        if nw or nb:
            dw, db = _core.conv2d_backward_weights(
                g4, xe, w4.shape[2:], stride, padding, dilation, groups, nw, nb, False, ctx.bf16
            )
        return dx, as_shape(dw, wshape), db, None, None, None, None, None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return conv_graph_grad(ctx, inputs, g)


def _conv_padding(
    padding: Any, kernel: Sequence[int], dilation: Sequence[int], stride: Sequence[int], to_tuple: Any
) -> Tuple[Tuple[int, ...], Tuple[int, ...]]:
    """(symmetric padding, extra right/bottom padding) for an int/tuple or torch's 'valid'/'same'."""
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * n, (0,) * n
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"padding: 'same' is not supported for strided convolutions, got stride={stride}")
            total = [dilation[i] * (kernel[i] - 1) for i in range(n)]
            # as torch: an odd total puts the extra zero on the right/bottom
            return tuple(t // 2 for t in total), tuple(t % 2 for t in total)
        raise ValueError(f"padding: expected an int, a tuple, 'valid' or 'same', got {padding!r}")
    return to_tuple(padding, "padding"), (0,) * n


def _check_groups(groups: Any) -> int:
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise ValueError(f"groups: expected a positive int, got {groups!r}")
    return int(groups)


def _common_args(input, weight, stride, dilation, groups, spatial: int):
    """What every convolution entry point checks in Python, where the names and the 1-D vs 2-D forms are known:
    input and weight ranks, the types of groups, stride and dilation (tuples of ints of this dimensionality);
    returns them with the tuple maker. Their ranges, the channel counts, output_padding and the bias shape have
    their one check in the binding (``bind_conv2d.cpp`` / ``bind_conv_transpose.cpp``, ``conv_args.h``), which
    names the same arguments."""
    to_tuple = single if spatial == 1 else pair
    x = check_tensor(input, "input", ndim=(spatial + 1, spatial + 2))
    w = check_tensor(weight, "weight", ndim=spatial + 2)
    return to_tuple, x, w, _check_groups(groups), to_tuple(stride, "stride"), to_tuple(dilation, "dilation")


def _convnd(input, weight, bias, stride, padding, dilation, groups, spatial: int):
    to_tuple, x, w, groups, st, dl = _common_args(input, weight, stride, dilation, groups, spatial)
    pd, extra = _conv_padding(padding, w.shape[2:], dl, st, to_tuple)
    b = None if bias is None else check_tensor(bias, "bias")
    if spatial == 1:
        st, pd, dl, extra = (1,) + st, (0,) + pd, (1,) + dl, (0,) + extra
    return Conv2dFn.apply(x, w, b, st, pd, dl, groups, spatial, extra)


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
        >>> x, w, b = ne.randn(8, 3, 32, 32), ne.randn(16, 3, 3, 3), ne.zeros(16)
        >>> conv2d(x, w, b, stride=1, padding=1).shape
        (8, 16, 32, 32)
    """
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 2)


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Optional[Tensor] = None,
    stride: IntOne = 1,
    padding: Union[IntOne, str] = 0,
    dilation: IntOne = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation, PyTorch's ``F.conv1d``: input (N, C, L) or unbatched (C, L), weight
    (out_channels, C / groups, k), bias (out_channels,); padding an int, 'valid' or 'same'.

    Example:
        >>> x, w = ne.randn(2, 6, 100), ne.randn(64, 6, 5)
        >>> conv1d(x, w, padding="same").shape
        (2, 64, 100)
    """
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 1)
