"""3-D (volume, video clip) layers' functional forms, composed of the 2-D kernels on the tape, so every one is
differentiable (and to second order where the 2-D ops are) with no kernel of its own:

- ``conv3d``: the depth taps fold into the channels: for each output depth the kD input planes it reads are
  stacked as kD * C channels of one image, and a single ``conv2d`` over all (N * D_out) images does the rest
  (one GEMM over K = C * kD * kH * kW, as a 3-D im2col would);
- ``conv_transpose3d``: one ``conv_transpose2d`` over the N * D input planes with the depth taps as extra output
  channels, then each tap's planes added at their output depths (the depth part of col2im);
- ``max_pool3d`` / ``avg_pool3d``: the 2-D pooling over every depth plane, then the max / sum over the depth
  window (a box is separable); average divisors as torch's (count_include_pad, ceil_mode, divisor_override);
- ``adaptive_avg_pool3d`` / ``adaptive_max_pool3d``: the 2-D adaptive pooling per plane, then torch's depth bins.

Results equal torch's up to float32 summation order (the sums run in another order); max pooling is exact and
returns torch's indices (flat d * H * W + h * W + w)."""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..tensor import Tensor, stack
from ._adaptive_pool2d import adaptive_avg_pool2d, adaptive_max_pool2d
from ._conv2d import _check_groups, _conv_padding, conv2d
from ._conv_transpose import conv_transpose2d
from ._pad import pad
from ._pool2d import _divisor, _flag, _out_len, _unsupported, avg_pool2d, max_pool2d
from ._util import check_tensor, triple

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


def _bias(y: Tensor, bias: Optional[Tensor], c: int) -> Tensor:
    if bias is None:
        return y
    b = check_tensor(bias, "bias", ndim=1)
    if b.shape != (c,):
        raise ValueError(f"bias: expected shape ({c},), got {b.shape}")
    return y + b.reshape(1, c, 1, 1, 1)


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
    n, c, _, _, _ = x.shape
    co, cg, kd, kh, kw = w.shape
    if c != cg * g or co % g:
        raise ValueError(f"input: expected {cg * g} channels (weight.shape[1] * groups) and out_channels ({co}) "
                         f"divisible by groups ({g}), got input shape {x.shape}")
    pd, extra = _conv_padding(padding, (kd, kh, kw), dl, st, triple)
    if any(extra) or pd[0]:  # asymmetric 'same' padding, or the depth's: zeros first (H, W's go to conv2d)
        hw = (0, 0) if any(extra) else pd[1:]
        x = pad(x, (pd[2] - hw[1], pd[2] - hw[1] + extra[2], pd[1] - hw[0], pd[1] - hw[0] + extra[1],
                    pd[0], pd[0] + extra[0]))
    else:
        hw = pd[1:]
    dp, hp, wp = x.shape[2:]
    do = (dp - dl[0] * (kd - 1) - 1) // st[0] + 1
    if do < 1:
        raise ValueError(f"input: depth {dp} (padded) is smaller than the dilated kernel depth {dl[0] * (kd - 1) + 1}")
    taps = _depth_windows(x, kd, st[0], dl[0], do)  # kd x (N, C, Do, H, W)
    # images (N * Do, g * kd * C/g, H, W): group-major channels, then the tap, then the group's channel
    xs = stack(taps, dim=1).reshape(n, kd, g, cg, do, hp, wp).permute(0, 4, 2, 1, 3, 5, 6)
    xs = xs.reshape(n * do, g * kd * cg, hp, wp)
    w2 = w.permute(0, 2, 1, 3, 4).reshape(co, kd * cg, kh, kw)
    y = conv2d(xs, w2, None, st[1:], hw, dl[1:], g)
    y = y.reshape(n, do, co, y.shape[2], y.shape[3]).permute(0, 2, 1, 3, 4)
    y = _bias(y, bias, co).contiguous()
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
    if op[0] >= max(st[0], dl[0]):
        raise ValueError(f"output_padding: expected values smaller than stride or dilation, got {output_padding!r}")
    full = (d - 1) * st[0] + dl[0] * (kd - 1) + 1 + op[0]
    do = full - 2 * pd[0]
    if do < 1:
        raise ValueError(f"padding: the output depth would be {do} (input depth {d}, padding {pd[0]})")
    xs = x.permute(0, 2, 1, 3, 4).reshape(n * d, c, h, wd)
    w2 = w.permute(0, 2, 1, 3, 4).reshape(ci, kd * cog, kh, kw)  # output channels (group, tap, channel)
    y = conv_transpose2d(xs, w2, None, st[1:], pd[1:], op[1:], g, dl[1:])
    ho, wo = y.shape[2:]
    y = y.reshape(n, d, g, kd, cog, ho, wo)
    span = (d - 1) * st[0] + 1  # the depths one tap writes, from its first
    acc: Optional[Tensor] = None
    for j in range(kd):
        t = y[:, :, :, j]  # (N, D, g, C/g, Ho, Wo)
        if st[0] > 1:  # input depth i lands at i * stride: interleave stride - 1 zero planes
            t = pad(t.unsqueeze(2), (0, 0) * 4 + (0, st[0] - 1)).reshape(n, d * st[0], g, cog, ho, wo)[:, :span]
        t = pad(t, (0, 0) * 4 + (j * dl[0], full - j * dl[0] - span))
        acc = t if acc is None else acc + t
    assert acc is not None
    out = acc[:, pd[0]: pd[0] + do].reshape(n, do, g * cog, ho, wo).permute(0, 2, 1, 3, 4)
    out = _bias(out, bias, g * cog).contiguous()
    return out if batched else out.squeeze(0)


def _pool_window(kernel_size: Any, stride: Any, padding: Any) -> Tuple[Tuple[int, ...], ...]:
    k = triple(kernel_size, "kernel_size")
    empty = stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0)
    s = k if empty else triple(stride, "stride")
    p = triple(padding, "padding")
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
    back = max(0, (do - 1) * s[0] + k[0] - d - p[0])
    taps = _depth_windows(pad(y2, (0, 0, 0, 0, p[0], back), value=float("-inf")), k[0], s[0], 1, do)
    y, tap = stack(taps, dim=0).max(dim=0)  # the first tap holding the maximum, as torch's d-major scan
    if not batched:
        y = y.squeeze(0)
    if not want_idx:
        return y
    assert i2 is not None
    depth = np.clip(np.arange(do).reshape(1, 1, do, 1, 1) * s[0] - p[0] + tap._data, 0, d - 1)
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
        counts = []
        for size, ki, si, pi, m in zip((d, h, w), k, s, p, (do, ho, wo)):
            start = np.arange(m, dtype=np.int64) * si - pi
            end = np.minimum(start + ki, size + pi)
            counts.append(end - start if include else np.minimum(end, size) - np.maximum(start, 0))
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


def _depth_bins(d: int, do: int) -> List[Tuple[int, int]]:
    """torch's adaptive bins: [floor(o * d / do), ceil((o + 1) * d / do))."""
    return [((o * d) // do, -((-(o + 1) * d) // do)) for o in range(do)]


def adaptive_avg_pool3d(input: Tensor, output_size: Union[int, Sequence[Optional[int]]]) -> Tensor:
    """3-D adaptive average pooling, PyTorch's ``F.adaptive_avg_pool3d`` (None keeps the input's size).

    Example:
        >>> adaptive_avg_pool3d(ne.randn(2, 8, 4, 7, 7), 1).shape
        (2, 8, 1, 1, 1)
    """
    x, batched = _volume(input)
    n, c, d, h, w = x.shape
    do, ho, wo = _adaptive_size(output_size, (d, h, w))
    if (do, ho, wo) == (1, 1, 1):  # global average pooling (a 3-D classifier's head): one reduction
        y = x.mean(dim=(2, 3, 4), keepdim=True)
        return y if batched else y.squeeze(0)
    y2 = adaptive_avg_pool2d(_planes(x), (ho, wo)).reshape(n, c, d, ho, wo)
    if do != d:
        y2 = stack([y2[:, :, a:b].mean(dim=2) for a, b in _depth_bins(d, do)], dim=2)
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
    for a, b in _depth_bins(d, do):
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
