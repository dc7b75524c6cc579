"""Convolutions on the engine's conv2d and conv_transpose2d kernels (direct stride-1 kernels or blocked
im2col + GEMM, bias fused). A 1-D convolution runs as a 2-D one over a height-1 image: the same kernels,
the direct stride-1 path included, with no copy (the arrays are reshaped views)."""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

from .. import _core
from ..autograd import Function
from ..tensor import Tensor
from ._util import check_tensor, f32c, pair

IntPair = Union[int, Tuple[int, int]]
IntOne = Union[int, Tuple[int]]


def single(v: Any, name: str) -> Tuple[int]:
    """An int or a 1-tuple of ints as a 1-tuple of a non-negative int (torch's ``_single``)."""
    if isinstance(v, (tuple, list)) and len(v) == 1:
        v = v[0]
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        if v < 0:
            raise ValueError(f"{name}: expected a non-negative value, got {v!r}")
        return (int(v),)
    raise TypeError(f"{name}: expected an int or a 1-tuple of ints, got {v!r}")


def _to4(a: np.ndarray, spatial: int, batched: bool) -> np.ndarray:
    """View (N, C, *spatial) / (C, *spatial) data as (N, C, H, W): a 1-D signal is an image of height 1."""
    if not batched:
        a = a[None]
    return f32c(a[:, :, None, :] if spatial == 1 else a)


def _from4(a: np.ndarray, spatial: int, batched: bool) -> np.ndarray:
    if spatial == 1:
        a = a[:, :, 0, :]
    return a if batched else a[0]


def _pad_end(x4: np.ndarray, extra: Tuple[int, int]) -> np.ndarray:
    """x4 with extra[0] zero rows and extra[1] zero columns appended (asymmetric 'same' padding)."""
    if extra == (0, 0):
        return x4
    out = np.zeros(x4.shape[:2] + (x4.shape[2] + extra[0], x4.shape[3] + extra[1]), np.float32)
    out[:, :, : x4.shape[2], : x4.shape[3]] = x4
    return out


def _prepare(ctx, x, w, b, spatial):
    """The forward's common part of both Functions: (N, C, H, W) views of x and the weight (a 1-D signal is an image
    of height 1), the bias as float32 or None, and what the backward needs to undo the views."""
    batched = x.ndim == spatial + 2
    x4 = _to4(x, spatial, batched)
    w4 = f32c(w[:, :, None, :] if spatial == 1 else w)
    ctx.has_bias = b is not None
    return batched, x4, w4, None if b is None else f32c(b)


def _grad_views(ctx, g, spatial, batched):
    """The backward's common part: the (N, K, P, Q) view of the output gradient and the flags of the gradients
    wanted (input, weight, bias)."""
    nx, nw, nb = ctx.needs_input_grad[:3]
    return _to4(g, spatial, batched), nx, nw, nb and ctx.has_bias


class ConvFn(Function):
    """conv1d / conv2d: one tape node; ``spatial`` is 1 or 2, ``extra`` the right/bottom zero padding that
    an asymmetric 'same' adds beyond ``padding``."""

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups, spatial, extra):
        batched, x4, w4, b = _prepare(ctx, x, w, b, spatial)
        xe = _pad_end(x4, extra)
        ctx.save_for_backward(xe, w4)
        ctx.args = (stride, padding, dilation, groups)
        ctx.meta = (spatial, batched, x4.shape, w.shape)
        return _from4(_core.conv2d_forward(xe, w4, b, stride, padding, dilation, groups), spatial, batched)

    @staticmethod
    def backward(ctx, g):
        xe, w4 = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.args
        spatial, batched, xshape, wshape = ctx.meta
        g4, nx, nw, nb = _grad_views(ctx, g, spatial, batched)
        dx = dw = db = None
        if nx:
            dx = _core.conv2d_backward_data(g4, w4, xe.shape[2:], stride, padding, dilation, groups)
            dx = _from4(dx[:, :, : xshape[2], : xshape[3]], spatial, batched)
        if nw or nb:
            dw, db = _core.conv2d_backward_weights(
                g4, xe, w4.shape[2:], stride, padding, dilation, groups, need_weight=nw, need_bias=nb
            )
        return dx, None if dw is None else dw.reshape(wshape), db, None, None, None, None, None, None


# Back-compatible name: the 2-D convolution's Function.
Conv2dFn = ConvFn


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


def _check_groups(groups: Any, ranges: bool) -> int:
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or (ranges and groups < 1):
        raise ValueError(f"groups: expected a positive int, got {groups!r}")
    return int(groups)


def _positive(v: Tuple[int, ...], name: str, raw: Any, ranges: bool) -> Tuple[int, ...]:
    if ranges and min(v) < 1:
        raise ValueError(f"{name}: expected values >= 1, got {raw!r}")
    return v


def _check_bias(bias: Any, n: int) -> Optional[Tensor]:
    if bias is None:
        return None
    b = check_tensor(bias, "bias", ndim=1)
    if b.shape[0] != n:
        raise ValueError(f"bias: expected shape ({n},), got {b.shape}")
    return b


def _common_args(input, weight, stride, dilation, groups, spatial: int, ranges: bool = True):
    """What every convolution entry point checks in Python, where the names and the 1-D vs 2-D forms are known:
    input and weight ranks, the types of groups, stride and dilation (tuples of ints of this dimensionality);
    returns them with the tuple maker. ``ranges=False`` (conv1d/conv2d) leaves the ranges of groups, stride and
    dilation, like the channel counts and the bias shape, to the one check in the binding (``bind_conv2d.cpp``,
    ``conv_args.h``), which names the same arguments; the transposed convolution still checks them here."""
    to_tuple = single if spatial == 1 else pair
    x = check_tensor(input, "input", ndim=(spatial + 1, spatial + 2))
    w = check_tensor(weight, "weight", ndim=spatial + 2)
    groups = _check_groups(groups, ranges)
    st = _positive(to_tuple(stride, "stride"), "stride", stride, ranges)
    dl = _positive(to_tuple(dilation, "dilation"), "dilation", dilation, ranges)
    return to_tuple, x, w, groups, st, dl


def _convnd(input, weight, bias, stride, padding, dilation, groups, spatial: int):
    to_tuple, x, w, groups, st, dl = _common_args(input, weight, stride, dilation, groups, spatial, ranges=False)
    pd, extra = _conv_padding(padding, w.shape[2:], dl, st, to_tuple)
    b = None if bias is None else check_tensor(bias, "bias")
    if spatial == 1:
        st, pd, dl, extra = (1,) + st, (0,) + pd, (1,) + dl, (0,) + extra
    return ConvFn.apply(x, w, b, st, pd, dl, groups, spatial, extra)


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


class ConvTransposeFn(Function):
    """conv_transpose1d / conv_transpose2d: one tape node on the conv_transpose2d kernels."""

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, output_padding, dilation, groups, spatial):
        batched, x4, w4, b = _prepare(ctx, x, w, b, spatial)
        ctx.save_for_backward(x4, w4)
        ctx.args = (stride, padding, output_padding, dilation, groups)
        ctx.meta = (spatial, batched, w.shape)
        y = _core.conv_transpose2d_forward(x4, w4, b, stride, padding, output_padding, dilation, groups)
        return _from4(y, spatial, batched)

    @staticmethod
    def backward(ctx, g):
        x4, w4 = ctx.saved_tensors
        spatial, batched, wshape = ctx.meta
        g4, nx, nw, nb = _grad_views(ctx, g, spatial, batched)
        # one kernel call for every requested gradient: the strided layers build dy's column matrix once
        dx, dw, db = _core.conv_transpose2d_backward(
            g4, x4, w4, *ctx.args, need_input=nx, need_weight=nw, need_bias=nb
        )
        dx = None if dx is None else _from4(dx, spatial, batched)
        return dx, None if dw is None else dw.reshape(wshape), db, None, None, None, None, None, None


def _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, spatial: int):
    to_tuple, x, w, groups, st, dl = _common_args(input, weight, stride, dilation, groups, spatial)
    pd = to_tuple(padding, "padding")
    op = to_tuple(output_padding, "output_padding")
    for i in range(spatial):
        if op[i] >= st[i] and op[i] >= dl[i]:
            raise ValueError(
                f"output_padding: expected values smaller than stride or dilation, got output_padding={op}, "
                f"stride={st}, dilation={dl}"
            )
    c_in = x.shape[-spatial - 1]
    if c_in != w.shape[0]:
        raise ValueError(f"input: expected {w.shape[0]} channels (weight {w.shape}), got shape {x.shape}")
    if c_in % groups:
        raise ValueError(f"groups: input channels ({c_in}) must be divisible by groups ({groups})")
    b = _check_bias(bias, w.shape[1] * groups)
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
