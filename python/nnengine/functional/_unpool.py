"""Pooling with indices and its inverse, and power-average pooling: torch's ``max_pool1d/2d_with_indices``,
``adaptive_max_pool1d/2d_with_indices``, ``max_unpool1d/2d`` (a numpy Function: scatter forward, gather backward)
and ``lp_pool1d/2d`` (composed of avg pooling)."""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

import numpy as np

from .._coerce import as_array
from ..autograd import Function
from ..tensor import Tensor
from ._activation import relu
from ._adaptive_pool2d import adaptive_max_pool1d, adaptive_max_pool2d
from ._pool2d import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from ._util import check_tensor, number, pair, single, triple
from ._volumetric import adaptive_max_pool3d, avg_pool3d, max_pool3d


def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                            dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = True) -> Any:
    """``max_pool1d(..., return_indices=True)``: (values, int64 positions).

    Example:
        >>> y, i = F.max_pool1d_with_indices(ne.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2)
        >>> y, i
        (tensor([[[3., 2.]]]), tensor([[[1, 2]]]))
    """
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                            dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = True) -> Any:
    """``max_pool2d(..., return_indices=True)``: (values, int64 flat positions in each plane).

    Example:
        >>> y, i = F.max_pool2d_with_indices(ne.arange(16.0).reshape(1, 1, 4, 4), 2)
        >>> i
        tensor([[[[ 5,  7],
                  [13, 15]]]])
    """
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
                            dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = True) -> Any:
    """``max_pool3d(..., return_indices=True)``: (values, int64 flat positions in each volume).

    Example:
        >>> F.max_pool3d_with_indices(ne.arange(8.0).reshape(1, 1, 2, 2, 2), 2)[1]
        tensor([[[[[7]]]]])
    """
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size: Any, return_indices: bool = True) -> Any:
    """``adaptive_max_pool1d(..., return_indices=True)``.

    Example:
        >>> F.adaptive_max_pool1d_with_indices(ne.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 1)[1]
        tensor([[[1]]])
    """
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: Any, return_indices: bool = True) -> Any:
    """``adaptive_max_pool2d(..., return_indices=True)``.

    Example:
        >>> F.adaptive_max_pool2d_with_indices(ne.arange(16.0).reshape(1, 1, 4, 4), 1)[1]
        tensor([[[[15]]]])
    """
    return adaptive_max_pool2d(input, output_size, True)


class _UnpoolFn(Function):
    @staticmethod
    def forward(ctx, x, idx, plane):
        lead = x.shape[: x.ndim - len(plane)]
        xf = x.reshape(-1, int(np.prod(x.shape[len(lead):], dtype=np.int64)))
        flat = idx.reshape(xf.shape)
        size = int(np.prod(plane, dtype=np.int64))
        out = np.zeros((xf.shape[0], size), x.dtype)
        np.put_along_axis(out, flat, xf, axis=1)
        ctx.args = (flat, x.shape)
        return out.reshape(lead + tuple(plane))

    @staticmethod
    def backward(ctx, g):
        flat, shape = ctx.args
        gf = g.reshape(flat.shape[0], -1)
        return np.take_along_axis(gf, flat, axis=1).reshape(shape), None, None


def _unpool(input: Tensor, indices: Any, k: Tuple[int, ...], s: Tuple[int, ...], p: Tuple[int, ...],
            output_size: Optional[Sequence[int]], spatial: int) -> Tensor:
    x = check_tensor(input, "input", ndim=(spatial + 1, spatial + 2), float64=True)
    idx = np.asarray(as_array(indices))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"indices: expected integer positions (from return_indices=True), got dtype {idx.dtype}")
    if idx.shape != tuple(x.shape):
        raise ValueError(f"indices: expected the input's shape {tuple(x.shape)}, got {idx.shape}")
    ins = x.shape[-spatial:]
    default = tuple((ins[i] - 1) * s[i] - 2 * p[i] + k[i] for i in range(spatial))
    if output_size is None:
        plane = default
    else:
        plane = tuple(int(v) for v in output_size)[-spatial:]
        if len(plane) != spatial:
            raise ValueError(f"output_size: expected {spatial} spatial sizes, got {tuple(output_size)}")
        for i in range(spatial):
            lo, hi = default[i] - s[i], default[i] + s[i]
            if not lo < plane[i] < hi:
                raise ValueError(f"output_size: size {plane[i]} of dim {i} must be between {lo} and {hi} (exclusive)")
    size = int(np.prod(plane, dtype=np.int64))
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        raise ValueError(f"indices: positions must be in [0, {size - 1}] for an output plane of {plane}, got "
                         f"{idx.min()}..{idx.max()}")
    return _UnpoolFn.apply(x, idx.astype(np.intp), plane)


def max_unpool1d(input: Tensor, indices: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 output_size: Optional[Sequence[int]] = None) -> Tensor:
    """The inverse of ``max_pool1d``: each value goes back to its ``indices`` position, zeros elsewhere.

    Example:
        >>> y, i = F.max_pool1d(ne.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2, return_indices=True)
        >>> F.max_unpool1d(y, i, 2)
        tensor([[[0., 3., 2., 0.]]])
    """
    k = single(kernel_size, "kernel_size")
    return _unpool(input, indices, k, k if stride is None else single(stride, "stride"), single(padding, "padding"),
                   output_size, 1)


def max_unpool3d(input: Tensor, indices: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 output_size: Optional[Sequence[int]] = None) -> Tensor:
    """The inverse of ``max_pool3d``: each value goes back to its flat ``indices`` position (d * H * W + h * W + w)
    in its volume, zeros elsewhere; differentiable in ``input``.

    Example:
        >>> y, i = F.max_pool3d(ne.randn(1, 2, 4, 4, 4), 2, return_indices=True)
        >>> F.max_unpool3d(y, i, 2).shape
        (1, 2, 4, 4, 4)
    """
    k = triple(kernel_size, "kernel_size")
    return _unpool(input, indices, k, k if stride is None else triple(stride, "stride"), triple(padding, "padding"),
                   output_size, 3)


def max_unpool2d(input: Tensor, indices: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 output_size: Optional[Sequence[int]] = None) -> Tensor:
    """The inverse of ``max_pool2d``: each value goes back to its flat ``indices`` position in its plane, zeros
    elsewhere (SegNet-style decoders); differentiable in ``input``.

    Example:
        >>> y, i = F.max_pool2d(ne.arange(16.0).reshape(1, 1, 4, 4), 2, return_indices=True)
        >>> F.max_unpool2d(y, i, 2)[0, 0]
        tensor([[ 0.,  0.,  0.,  0.],
                [ 0.,  5.,  0.,  7.],
                [ 0.,  0.,  0.,  0.],
                [ 0., 13.,  0., 15.]])
    """
    k = pair(kernel_size, "kernel_size")
    return _unpool(input, indices, k, k if stride is None else pair(stride, "stride"), pair(padding, "padding"),
                   output_size, 2)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size: Any, return_indices: bool = True) -> Any:
    """``adaptive_max_pool3d(..., return_indices=True)``.

    Example:
        >>> F.adaptive_max_pool3d_with_indices(ne.arange(8.0).reshape(1, 1, 2, 2, 2), 1)[1]
        tensor([[[[[7]]]]])
    """
    return adaptive_max_pool3d(input, output_size, True)


def _lp_power(norm_type: Any) -> float:
    p = number(norm_type, "norm_type")
    if p == 0 or p != p:  # the result is the window's power mean to the 1 / norm_type
        raise ValueError(f"norm_type: expected a nonzero number, got {norm_type!r}")
    return p


def _lp_finish(out: Tensor, area: int, p: float) -> Tensor:
    return (out.sign() * relu(out.abs())).mul(float(area)).pow(1.0 / p)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size: int, stride: Any = None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling: (sum over each window of x ** norm_type) ** (1 / norm_type), torch's formula.

    Example:
        >>> F.lp_pool1d(ne.tensor([[[3.0, 4.0, 1.0, 1.0]]]), 2, 2)
        tensor([[[5.    , 1.4142]]])
    """
    p = _lp_power(norm_type)
    (k,) = single(kernel_size, "kernel_size")
    x = check_tensor(input, "input", ndim=(2, 3))
    out = avg_pool1d(x.pow(p), k, k if stride is None else stride, 0, ceil_mode)
    return _lp_finish(out, k, p)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False) -> Tensor:
    """2-D power-average pooling (``norm_type`` 1: sum pooling, large: max pooling), torch's formula.

    Example:
        >>> F.lp_pool2d(ne.tensor([[[[3.0, 4.0], [0.0, 0.0]]]]), 2, 2)
        tensor([[[[5.]]]])
    """
    p = _lp_power(norm_type)
    kh, kw = pair(kernel_size, "kernel_size")
    if ceil_mode:
        raise ValueError("ceil_mode: only False is supported, got True")
    x = check_tensor(input, "input", ndim=(3, 4))
    out = avg_pool2d(x.pow(p), (kh, kw), (kh, kw) if stride is None else stride, 0)
    return _lp_finish(out, kh * kw, p)




def lp_pool3d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False) -> Tensor:
    """3-D power-average pooling over (N, C, D, H, W) or (C, D, H, W), torch's formula.

    Example:
        >>> F.lp_pool3d(ne.ones(1, 1, 2, 2, 2), 1, 2)
        tensor([[[[[8.]]]]])
    """
    p = _lp_power(norm_type)
    k = triple(kernel_size, "kernel_size")
    x = check_tensor(input, "input", ndim=(4, 5))
    out = avg_pool3d(x.pow(p), k, k if stride is None else stride, 0, ceil_mode)
    return _lp_finish(out, k[0] * k[1] * k[2], p)
