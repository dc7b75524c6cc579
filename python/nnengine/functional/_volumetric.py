"""3-D (volume, video clip) layers' functional forms:

- ``conv3d`` / ``conv_transpose3d``: the native conv3d kernels (``cpp/kernels/conv3d.h``: im2col over the three
  dimensions + the engine's GEMM), one tape node each; the transposed convolution's forward is conv3d's data
  gradient and its data gradient conv3d's forward. Their backward under ``create_graph=True`` is made of the same
  two nodes, so they are differentiable to any order;
- ``max_pool3d`` / ``avg_pool3d``: the 2-D pooling over every depth plane, then the max / sum over the depth
  window (a box is separable); average divisors as torch's (count_include_pad, ceil_mode, divisor_override);
- ``adaptive_avg_pool3d`` / ``adaptive_max_pool3d``: the 2-D adaptive pooling per plane, then torch's depth bins.

Results equal torch's up to float32 summation order (the sums run in another order); max pooling is exact and
returns torch's indices (flat d * H * W + h * W + w)."""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from .. import _core
from .._higher_order import const, recompute
from ..amp import _bf16_on
from ..autograd import Function
from ..tensor import Tensor, cat, stack
from ._adaptive_pool2d import AdaptivePoolFn, adaptive_avg_pool2d, adaptive_max_pool2d
from ._conv2d import _check_groups, _conv_padding
from ._pad import pad
from ._pool2d import _divisor, _flag, _out_len, _unsupported, _window, _window_counts, avg_pool2d, max_pool2d
from ._util import adaptive_bins, check_tensor, f32c, triple

IntTriple = Union[int, Tuple[int, int, int]]


def _volume(input: Any) -> Tuple[Tensor, bool]:
    """(N, C, D, H, W) input (an unbatched (C, D, H, W) one gets N = 1) and whether it was batched."""
    x = check_tensor(input, "input", ndim=(4, 5))
    if x._data.size == 0:
        raise ValueError(f"input: expected a non-empty tensor, got shape {x.shape}")
    return (x, True) if x.ndim == 5 else (x.unsqueeze(0), False)


def _conv_args(input: Any, weight: Any, groups: Any, stride: Any, dilation: Any) -> Tuple[Any, ...]:
    """The volume, whether it was batched, the 5-D weight (no empty dimension), groups, stride and dilation."""
    x, batched = _volume(input)
    w = check_tensor(weight, "weight", ndim=5)
    g = _check_groups(groups)
    st, dl = triple(stride, "stride"), triple(dilation, "dilation")
    if g < 1 or min(st) < 1 or min(dl) < 1:
        raise ValueError(f"groups/stride/dilation: expected positive values, got {groups!r}, {stride!r}, {dilation!r}")
    if min(w.shape) < 1:
        raise ValueError(f"weight: expected no empty dimension, got shape {w.shape}")
    return x, batched, w, g, st, dl


def _depth_windows(x: Tensor, k: int, s: int, dil: int, out: int) -> List[Tensor]:
    """For each depth tap j < k, the planes x[:, :, j * dil + o * s] for o < out: k tensors (N, C, out, ...)."""
    return [x[:, :, j * dil: j * dil + (out - 1) * s + 1: s] for j in range(k)]


def _bias_arg(bias: Any, c: int) -> Optional[Tensor]:
    if bias is None:
        return None
    b = check_tensor(bias, "bias", ndim=1)
    if b.shape != (c,):
        raise ValueError(f"bias: expected shape ({c},), got {b.shape}")
    return b


def _weight_grad(a: Tensor, b: Tensor, ca: int, cb: int, groups: int, kernel: Tuple[int, ...], stride: Any,
                 padding: Any, dilation: Any) -> Tensor:
    """A 3-D convolution's weight gradient as recorded convolutions (create_graph=True), as ``_conv2d``'s
    ``weight_grad_by_conv``: per group the correlation of ``a`` (the image side, ``ca`` channels a group) with ``b``
    (the kernel side, ``cb`` a group), batch and channels swapped, stride and dilation exchanged, cropped."""
    parts = []
    for j in range(groups):
        ag = a[:, j * ca:(j + 1) * ca].transpose(0, 1)
        bg = b[:, j * cb:(j + 1) * cb].transpose(0, 1)
        r = Conv3dFn.apply(ag, bg, None, dilation, padding, stride, 1)
        parts.append(r[:, :, :kernel[0], :kernel[1], :kernel[2]].transpose(0, 1))
    return parts[0] if groups == 1 else cat(parts, 0)


def _graph_grads(ctx: Any, inputs: Any, g: Tensor, transposed: bool) -> tuple:
    """(dx, dw, db) of a Conv3dFn / ConvTranspose3dFn node in recorded ops (create_graph=True): each one's data
    gradient is the other's forward, the weight gradient a convolution (``_weight_grad``), db g summed."""
    x5, w5 = ctx.saved_tensors
    stride, padding, dilation, groups = ctx.args
    tx = const(x5) if inputs[0] is None else inputs[0]
    tw = const(w5) if inputs[1] is None else inputs[1]
    need = [t is not None and t.requires_grad for t in inputs[:3]]
    a, b = (g, tx) if transposed else (tx, g)  # the image side and the kernel side of the weight gradient
    gx = gw = gb = None
    if need[0]:
        gx = (Conv3dFn.apply(g, tw, None, stride, padding, dilation, groups) if transposed else
              ConvTranspose3dFn.apply(g, tw, None, stride, padding, tuple(x5.shape[2:]), dilation, groups))
    if need[1]:
        gw = _weight_grad(a, b, a.shape[1] // groups, b.shape[1] // groups, groups, tuple(w5.shape[2:]), stride,
                          padding, dilation)
    if need[2] and ctx.has_bias:
        gb = g.sum(dim=(0, 2, 3, 4))
    return gx, gw, gb


class Conv3dFn(Function):
    """conv3d on the native kernels (``_core.conv3d_*``, im2col + GEMM): x (N, C, D, H, W) with symmetric padding
    (an asymmetric 'same' pads x first), one tape node."""

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        x5, w5 = f32c(x), f32c(w)
        ctx.save_for_backward(x5, w5)
        ctx.args = (stride, padding, dilation, groups)
        ctx.has_bias = b is not None
        ctx.bf16 = _bf16_on()  # autocast("bf16"): products in bf16, both passes
        return _core.conv3d_forward(x5, w5, None if b is None else f32c(b), stride, padding, dilation, groups,
                                    False, ctx.bf16)

    @staticmethod
    def backward(ctx, g):
        x5, w5 = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.args
        nx, nw, nb = ctx.needs_input_grad[:3]
        nb = nb and ctx.has_bias
        g5 = f32c(g)
        dx = dw = db = None
        if nx:
            dx = _core.conv3d_backward_data(g5, w5, x5.shape[2:], stride, padding, dilation, groups, False, ctx.bf16)
        if nw or nb:
            dw, db = _core.conv3d_backward_weights(g5, x5, w5.shape[2:], stride, padding, dilation, groups, nw, nb,
                                                   False, ctx.bf16)
        return dx, dw, db, None, None, None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return _graph_grads(ctx, inputs, g, False)


class ConvTranspose3dFn(Function):
    """conv_transpose3d on the native conv3d kernels: its forward is conv3d's data gradient (to the output size
    ``out`` (D, H, W)), its data gradient conv3d's forward, its weight gradient conv3d's with the roles of x and
    dy exchanged."""

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, out, dilation, groups):
        x5, w5 = f32c(x), f32c(w)
        ctx.save_for_backward(x5, w5)
        ctx.args = (stride, padding, dilation, groups)
        ctx.has_bias = b is not None
        ctx.bf16 = _bf16_on()  # autocast("bf16"): products in bf16, both passes
        y = _core.conv3d_backward_data(x5, w5, out, stride, padding, dilation, groups, False, ctx.bf16)
        if b is not None:
            y += f32c(b).reshape(1, -1, 1, 1, 1)
        return y

    @staticmethod
    def backward(ctx, g):
        x5, w5 = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.args
        nx, nw, nb = ctx.needs_input_grad[:3]
        g5 = f32c(g)
        dx = dw = db = None
        if nx:
            dx = _core.conv3d_forward(g5, w5, None, stride, padding, dilation, groups, False, ctx.bf16)
        if nw:
            dw, _ = _core.conv3d_backward_weights(x5, g5, w5.shape[2:], stride, padding, dilation, groups, True,
                                                  False, False, ctx.bf16)
        if nb and ctx.has_bias:
            db = g5.sum(axis=(0, 2, 3, 4), dtype=np.float64).astype(np.float32)
        return dx, dw, db, None, None, None, None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return _graph_grads(ctx, inputs, g, True)


def conv3d(
    input: Tensor,
    weight: Tensor,
    bias: Optional[Tensor] = None,
    stride: IntTriple = 1,
    padding: Union[IntTriple, str] = 0,
    dilation: IntTriple = 1,
    groups: int = 1,
) -> Tensor:
    """3-D cross-correlation, PyTorch's ``F.conv3d``: input (N, C, D, H, W) or unbatched (C, D, H, W), weight
    (out_channels, C / groups, kD, kH, kW), bias (out_channels,); padding an int, a triple, 'valid' or 'same'.

    Example:
        >>> x, w = ne.randn(2, 3, 8, 16, 16), ne.randn(4, 3, 3, 3, 3)
        >>> conv3d(x, w, padding=1).shape
        (2, 4, 8, 16, 16)
    """
    x, batched, w, g, st, dl = _conv_args(input, weight, groups, stride, dilation)
    c = x.shape[1]
    co, cg, kd, kh, kw = w.shape
    if c != cg * g or co % g:
        raise ValueError(f"input: expected {cg * g} channels (weight.shape[1] * groups) and out_channels ({co}) "
                         f"divisible by groups ({g}), got input shape {x.shape}")
    b = _bias_arg(bias, co)
    pd, extra = _conv_padding(padding, (kd, kh, kw), dl, st, triple)
    if any(extra):  # asymmetric 'same' padding: the extra zeros at the end first
        x = pad(x, (0, extra[2], 0, extra[1], 0, extra[0]))
    for i, name in enumerate(("depth", "height", "width")):
        if x.shape[2 + i] + 2 * pd[i] < dl[i] * ((kd, kh, kw)[i] - 1) + 1:
            raise ValueError(f"input: {name} {x.shape[2 + i]} (padded by {pd[i]} on each side) is smaller than "
                             f"the dilated kernel {name} {dl[i] * ((kd, kh, kw)[i] - 1) + 1}")
    y = Conv3dFn.apply(x, w, b, st, tuple(pd), dl, g)
    return y if batched else y.squeeze(0)


def conv_transpose3d(
    input: Tensor,
    weight: Tensor,
    bias: Optional[Tensor] = None,
    stride: IntTriple = 1,
    padding: IntTriple = 0,
    output_padding: IntTriple = 0,
    groups: int = 1,
    dilation: IntTriple = 1,
) -> Tensor:
    """3-D transposed convolution, PyTorch's ``F.conv_transpose3d``: input (N, C_in, D, H, W) or unbatched,
    weight (C_in, out_channels / groups, kD, kH, kW); output depth (D - 1) * stride - 2 * padding
    + dilation * (kD - 1) + output_padding + 1 (and likewise H, W).

    Example:
        >>> x, w = ne.randn(1, 4, 3, 5, 5), ne.randn(4, 2, 2, 2, 2)
        >>> conv_transpose3d(x, w, stride=2).shape
        (1, 2, 6, 10, 10)
    """
    x, batched, w, g, st, dl = _conv_args(input, weight, groups, stride, dilation)
    pd, op = triple(padding, "padding"), triple(output_padding, "output_padding")
    n, c, d, h, wd = x.shape
    ci, cog, kd, kh, kw = w.shape
    if ci != c or c % g:
        raise ValueError(f"weight: expected {c} input channels (dimension 0) divisible by groups ({g}), "
                         f"got shape {w.shape}")
    if any(o >= max(si, di) for o, si, di in zip(op, st, dl)):
        raise ValueError(f"output_padding: expected values smaller than stride or dilation, got {output_padding!r}")
    out = tuple((size - 1) * st[i] - 2 * pd[i] + dl[i] * (k - 1) + op[i] + 1
                for i, (size, k) in enumerate(zip((d, h, wd), (kd, kh, kw))))
    if min(out) < 1:
        raise ValueError(f"padding: the output size would be {out} (input {(d, h, wd)}, padding {pd})")
    b = _bias_arg(bias, g * cog)
    if all(o < si for o, si in zip(op, st)):
        y = ConvTranspose3dFn.apply(x, w, b, st, pd, out, dl, g)
    else:  # output_padding at or past the stride (torch allows it below the dilation): no conv3d shape has this
        # output as its input, so the unpadded full output, then torch's crop by padding and the extra zeros
        full = tuple((size - 1) * st[i] + dl[i] * (k - 1) + 1 for i, (size, k) in enumerate(zip((d, h, wd),
                                                                                                (kd, kh, kw))))
        y = ConvTranspose3dFn.apply(x, w, None, st, (0, 0, 0), full, dl, g)
        y = pad(y, tuple(v for i in (2, 1, 0) for v in (-pd[i], out[i] - (full[i] - pd[i]))))
        if b is not None:
            y = y + b.reshape(1, -1, 1, 1, 1)
    return y if batched else y.squeeze(0)


def _pool_window(kernel_size: Any, stride: Any, padding: Any) -> Tuple[Tuple[int, ...], ...]:
    k, s, p = _window(triple, kernel_size, stride, padding)
    if min(k) < 1 or min(s) < 1:
        raise ValueError(f"kernel_size/stride: expected positive values, got {kernel_size!r}, {stride!r}")
    if any(2 * pi > ki for pi, ki in zip(p, k)):
        raise ValueError(f"padding: expected at most half the kernel size {k}, got {p}")
    return k, s, p


def _depth_out(x: Tensor, k: Tuple[int, ...], s: Tuple[int, ...], p: Tuple[int, ...], ceil: bool) -> int:
    do = _out_len(int(x.shape[2]), k[0], s[0], p[0], ceil)
    if do < 1:
        raise ValueError(f"input: depth {x.shape[2]} is too small for kernel_size {k[0]} with padding {p[0]}")
    return do


def _planes(x: Tensor) -> Tensor:
    n, c, d, h, w = x.shape
    return x.reshape(n, c * d, h, w)


def _depth_max(a: np.ndarray, k: int, s: int, p: int, do: int) -> Tuple[np.ndarray, np.ndarray]:
    """The max over each depth window (size k, stride s, -inf padding p in front) of (N, C, D, H, W) planes and the
    first tap holding it (the first NaN when there is one): (N, C, do, H, W) values and int32 taps."""
    back = max(0, (do - 1) * s + k - a.shape[2] - p)
    if p or back:
        a = np.pad(a, ((0, 0), (0, 0), (p, back), (0, 0), (0, 0)), constant_values=-np.inf)
    win = [a[:, :, j: j + (do - 1) * s + 1: s] for j in range(k)]
    best, tap = win[0].copy(), np.zeros(win[0].shape, np.int32)
    for j in range(1, k):
        upd = (win[j] > best) | (np.isnan(win[j]) & ~np.isnan(best))
        np.copyto(best, win[j], where=upd)
        tap[upd] = j
    return best, tap


def _depth_max_recorded(y2: Tensor, k: int, s: int, p: int, do: int) -> Tensor:
    """_depth_max in recorded Tensor ops (DepthMaxFn's backward under create_graph=True)."""
    back = max(0, (do - 1) * s + k - y2.shape[2] - p)
    taps = _depth_windows(pad(y2, (0, 0, 0, 0, p, back), value=float("-inf")), k, s, 1, do)
    return stack(taps, dim=0).max(dim=0)[0]


class DepthMaxFn(Function):
    """The depth step of max_pool3d: forward given (``_depth_max``'s values and taps), backward routes each
    gradient to the plane of its window's tap (+= where windows overlap)."""

    @staticmethod
    def forward(ctx, x, y, tap, k, s, p):
        ctx.save_for_backward(tap)
        ctx.meta = (x.shape, k, s, p)
        return y

    @staticmethod
    def backward(ctx, g):
        (tap,) = ctx.saved_tensors
        shape, k, s, p = ctx.meta
        do = tap.shape[2]
        span = max(shape[2] + p, (do - 1) * s + k)
        gx = np.zeros(shape[:2] + (span,) + shape[3:], np.float32)
        for j in range(k):
            gx[:, :, j: j + (do - 1) * s + 1: s] += np.where(tap == j, g, np.float32(0))
        return gx[:, :, p: p + shape[2]], None, None, None, None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        shape, k, s, p = ctx.meta
        (tap,) = ctx.saved_tensors
        return recompute(lambda t: _depth_max_recorded(t[0], k, s, p, tap.shape[2]), inputs,
                         (None, None, None, k, s, p), (g,))


def max_pool3d(
    input: Tensor, kernel_size: IntTriple, stride: Optional[IntTriple] = None, padding: IntTriple = 0,
    dilation: IntTriple = 1, ceil_mode: bool = False, return_indices: bool = False,
) -> Any:
    """3-D max pooling, PyTorch's ``F.max_pool3d`` (dilation 1): input (N, C, D, H, W) or (C, D, H, W); padded
    positions never win; ``ceil_mode`` keeps torch's partial last windows; ``return_indices`` also gives each
    maximum's int64 flat position d * H * W + h * W + w in its volume.

    Example:
        >>> max_pool3d(ne.randn(2, 3, 4, 8, 8), 2).shape
        (2, 3, 2, 4, 4)
    """
    _unsupported("dilation", triple(dilation, "dilation"), (1, 1, 1))
    ceil, want_idx = _flag(ceil_mode, "ceil_mode"), _flag(return_indices, "return_indices")
    x, batched = _volume(input)
    k, s, p = _pool_window(kernel_size, stride, padding)
    do = _depth_out(x, k, s, p, ceil)
    n, c, d, h, w = x.shape
    r = max_pool2d(_planes(x), k[1:], s[1:], p[1:], 1, ceil, want_idx)
    y2, i2 = r if want_idx else (r, None)
    y2 = y2.reshape(n, c, d, y2.shape[2], y2.shape[3])
    yv, tap = _depth_max(y2._data, k[0], s[0], p[0], do)
    y = DepthMaxFn.apply(y2, yv, tap, k[0], s[0], p[0])
    if not batched:
        y = y.squeeze(0)
    if not want_idx:
        return y
    assert i2 is not None
    depth = np.clip(np.arange(do).reshape(1, 1, do, 1, 1) * s[0] - p[0] + tap, 0, d - 1)
    flat = np.take_along_axis(i2._data.reshape(y2.shape), depth, axis=2) + depth * (h * w)
    idx = Tensor._wrap(flat.astype(np.int64))
    return y, (idx if batched else idx.squeeze(0))


def avg_pool3d(
    input: Tensor, kernel_size: IntTriple, stride: Optional[IntTriple] = None, padding: IntTriple = 0,
    ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: Optional[int] = None,
) -> Tensor:
    """3-D average pooling, PyTorch's ``F.avg_pool3d`` and defaults (``count_include_pad``, ``ceil_mode`` and
    ``divisor_override`` as :func:`avg_pool2d`, over the volume's windows).

    Example:
        >>> avg_pool3d(ne.ones(1, 1, 4, 4, 4), 2)
        tensor([[[[[1., 1.],
                   [1., 1.]],
        <BLANKLINE>
                  [[1., 1.],
                   [1., 1.]]]]])
    """
    ceil, include = _flag(ceil_mode, "ceil_mode"), _flag(count_include_pad, "count_include_pad")
    divisor = _divisor(divisor_override)
    x, batched = _volume(input)
    k, s, p = _pool_window(kernel_size, stride, padding)
    do = _depth_out(x, k, s, p, ceil)
    n, c, d, h, w = x.shape
    y2 = avg_pool2d(_planes(x), k[1:], s[1:], p[1:], ceil, True, 1)  # window sums (padding adds zeros)
    ho, wo = y2.shape[2:]
    y2 = y2.reshape(n, c, d, ho, wo)
    back = max(0, (do - 1) * s[0] + k[0] - d - p[0])
    taps = _depth_windows(pad(y2, (0, 0, 0, 0, p[0], back)), k[0], s[0], 1, do)
    total = taps[0]
    for t in taps[1:]:
        total = total + t
    if divisor is not None:
        y = total / float(divisor)
    else:
        counts = [_window_counts(size, ki, si, pi, m, include)
                  for size, ki, si, pi, m in zip((d, h, w), k, s, p, (do, ho, wo))]
        div = counts[0][:, None, None] * counts[1][None, :, None] * counts[2][None, None, :]
        y = total / Tensor._wrap(div.astype(np.float32))
    return y if batched else y.squeeze(0)


def _adaptive_size(output_size: Any, dhw: Sequence[int]) -> Tuple[int, int, int]:
    vals = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * 3
    if len(vals) != 3:
        raise ValueError(f"output_size: expected an int or 3 values, got {output_size!r}")
    out = []
    for v, size in zip(vals, dhw):
        if v is None:
            out.append(int(size))
        elif isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"output_size: expected ints or None, got {output_size!r}")
        elif v < 1:
            raise ValueError(f"output_size: expected positive values, got {output_size!r}")
        else:
            out.append(int(v))
    return out[0], out[1], out[2]


def adaptive_avg_pool3d(input: Tensor, output_size: Union[int, Sequence[Optional[int]]]) -> Tensor:
    """3-D adaptive average pooling, PyTorch's ``F.adaptive_avg_pool3d`` (None keeps the input's size).

    Example:
        >>> adaptive_avg_pool3d(ne.randn(2, 8, 4, 7, 7), 1).shape
        (2, 8, 1, 1, 1)
    """
    x, batched = _volume(input)
    n, c, d, h, w = x.shape
    do, ho, wo = _adaptive_size(output_size, (d, h, w))
    if (do, ho, wo) == (1, 1, 1):  # global average pooling (a 3-D classifier's head): one span per plane
        y = AdaptivePoolFn.apply(x.reshape(n, c, d * h * w), "avg", (1, 1), 1, None).reshape(n, c, 1, 1, 1)
        return y if batched else y.squeeze(0)
    y2 = adaptive_avg_pool2d(_planes(x), (ho, wo)).reshape(n, c, d, ho, wo)
    if do != d:
        y2 = stack([y2[:, :, a:b].mean(dim=2) for a, b in zip(*adaptive_bins(d, do))], dim=2)
    return y2 if batched else y2.squeeze(0)


def adaptive_max_pool3d(input: Tensor, output_size: Union[int, Sequence[Optional[int]]],
                        return_indices: bool = False) -> Any:
    """3-D adaptive max pooling, PyTorch's ``F.adaptive_max_pool3d``; ``return_indices`` gives torch's flat
    d * H * W + h * W + w positions.

    Example:
        >>> adaptive_max_pool3d(ne.randn(2, 8, 4, 7, 7), (2, 1, 1)).shape
        (2, 8, 2, 1, 1)
    """
    want_idx = _flag(return_indices, "return_indices")
    x, batched = _volume(input)
    n, c, d, h, w = x.shape
    do, ho, wo = _adaptive_size(output_size, (d, h, w))
    y2, i2 = adaptive_max_pool2d(_planes(x), (ho, wo), return_indices=True)
    y2 = y2.reshape(n, c, d, ho, wo)
    vals, taps = [], []
    for a, b in zip(*adaptive_bins(d, do)):
        v, t = y2[:, :, a:b].max(dim=2)
        vals.append(v)
        taps.append(t._data + a)
    y = stack(vals, dim=2)
    if not batched:
        y = y.squeeze(0)
    if not want_idx:
        return y
    depth = np.stack(taps, axis=2)
    flat = np.take_along_axis(i2._data.reshape(n, c, d, ho, wo), depth, axis=2) + depth * (h * w)
    idx = Tensor._wrap(flat.astype(np.int64))
    return y, (idx if batched else idx.squeeze(0))
