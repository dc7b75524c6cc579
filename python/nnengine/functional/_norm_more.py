"""``F.rms_norm`` (Zhang & Sennrich 2019), ``F.local_response_norm`` (Krizhevsky et al. 2012), ``F.bilinear`` and
``F.pdist``, composed of differentiable Tensor ops with torch's formulas; float32 and float64."""

from __future__ import annotations

from typing import Optional, Sequence, Union

import numpy as np

from ..tensor import Tensor, cat
from ._layernorm import normalized_shape_tuple
from ._util import check_tensor, number, positive_int, same_float_dtype


def rms_norm(input: Tensor, normalized_shape: Union[int, Sequence[int]], weight: Optional[Tensor] = None,
             eps: Optional[float] = None) -> Tensor:
    """``x / sqrt(mean(x^2) + eps) * weight`` over the trailing ``normalized_shape`` dims; ``eps`` defaults to the
    dtype's machine epsilon, as torch's.

    Example:
        >>> F.rms_norm(ne.tensor([[3.0, 4.0]]), (2,))
        tensor([[0.8485, 1.1314]])
    """
    x = check_tensor(input, "input", float64=True)
    shp = normalized_shape_tuple(normalized_shape)
    if x.ndim < len(shp) or tuple(x.shape[x.ndim - len(shp):]) != shp:
        raise ValueError(f"input: expected trailing dimensions {shp} (normalized_shape), got shape {x.shape}")
    e = float(np.finfo(x._data.dtype).eps) if eps is None else number(eps, "eps")
    dims = tuple(range(x.ndim - len(shp), x.ndim))
    y = x * ((x * x).mean(dims, keepdim=True) + e).rsqrt()
    if weight is not None:
        w = check_tensor(weight, "weight", float64=True)
        if tuple(w.shape) != shp:
            raise ValueError(f"weight: expected shape {shp} (normalized_shape), got {tuple(w.shape)}")
        y = y * w
    return y


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """``x / (k + alpha * mean of x^2 over `size` neighbouring channels) ** beta`` (the window zero-padded at the
    edges, torch's placement: size // 2 before, (size - 1) // 2 after).

    Example:
        >>> F.local_response_norm(ne.ones(1, 3, 1, 1), size=2, alpha=1.0, beta=1.0)[0, :, 0, 0]
        tensor([0.6667, 0.5   , 0.5   ])
    """
    x = check_tensor(input, "input", float64=True)
    if x.ndim < 3:
        raise ValueError(f"input: expected 3 or more dimensions (N, C, ...), got shape {x.shape}")
    size = positive_int(size, "size")
    alpha, beta, k = number(alpha, "alpha"), number(beta, "beta"), number(k, "k")
    c = x.shape[1]
    sq = x * x
    front, back = size // 2, (size - 1) // 2
    dt = x._data.dtype
    parts = []
    if front:
        parts.append(Tensor(np.zeros((x.shape[0], front) + tuple(x.shape[2:]), dt), dtype=dt))
    parts.append(sq)
    if back:
        parts.append(Tensor(np.zeros((x.shape[0], back) + tuple(x.shape[2:]), dt), dtype=dt))
    padded = cat(parts, 1) if len(parts) > 1 else sq
    acc = padded[:, 0:c]
    for j in range(1, size):
        acc = acc + padded[:, j:j + c]
    div = (acc * (alpha / size) + k) ** beta
    return x / div


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """``y[..., o] = x1[..., i] weight[o, i, j] x2[..., j] + bias[o]`` (torch's ``F.bilinear``).

    Example:
        >>> F.bilinear(ne.tensor([[1.0, 2.0]]), ne.tensor([[3.0]]), ne.ones(1, 2, 1), ne.tensor([0.5]))
        tensor([[9.5]])
    """
    x1 = check_tensor(input1, "input1", float64=True)
    x2 = check_tensor(input2, "input2", float64=True)
    w = check_tensor(weight, "weight", ndim=3, float64=True)
    same_float_dtype("bilinear", x1, x2, w)
    o, i, j = w.shape
    if x1.ndim == 0 or x2.ndim == 0:
        raise ValueError(f"input1, input2: expected at least 1 dim, got shapes {tuple(x1.shape)} and {tuple(x2.shape)}")
    if x1.shape[-1] != i or x2.shape[-1] != j or tuple(x1.shape[:-1]) != tuple(x2.shape[:-1]):
        raise ValueError(f"input1: expected (..., {i}) and input2 (..., {j}) with the same leading dims for weight "
                         f"{tuple(w.shape)}, got {tuple(x1.shape)} and {tuple(x2.shape)}")
    lead = tuple(x1.shape[:-1])
    a = x1.reshape(-1, i) @ w.permute(1, 0, 2).reshape(i, o * j)  # (n, o * j)
    y = (a.reshape(-1, o, j) * x2.reshape(-1, 1, j)).sum(-1)
    if bias is not None:
        b = check_tensor(bias, "bias", float64=True)
        if tuple(b.shape) != (o,):
            raise ValueError(f"bias: expected shape ({o},), got {tuple(b.shape)}")
        y = y + b
    return y.reshape(lead + (o,))


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The p-norm distances between the rows of ``input`` (N, M), pairs i < j in row-major order:
    N (N - 1) / 2 values (torch's ``F.pdist``).

    Example:
        >>> F.pdist(ne.tensor([[0.0, 0.0], [3.0, 4.0], [6.0, 8.0]]))
        tensor([ 5., 10.,  5.])
    """
    x = check_tensor(input, "input", ndim=2, float64=True)
    p = number(p, "p")
    if p < 0:
        raise ValueError(f"p: expected a non-negative value, got {p}")
    n = x.shape[0]
    i, j = np.triu_indices(n, 1)
    if i.size == 0:
        return x.sum(1)[:0]
    d = x[i] - x[j]
    if p == 2:
        return ((d * d).sum(1)).sqrt()
    return d.norm(p, 1)


