"""Layer, group and instance normalisation on the engine's per-row kernel pair (``_core.layernorm_*``).

All three view the input as (N, G, K, L) rows: every row (n, g) of K*L values is normalised with its own
mean and biased variance, then the affine of channel g*K + k is applied (see cpp/kernels/layernorm.h).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

from .. import _core
from .._higher_order import const
from ..autograd import Function
from ..tensor import Tensor
from ._batchnorm import _as_buffer, affine, batch_norm, norm_backward, norm_graph_grad
from ._util import check_tensor, f32c, number, positive_int


class RowNormFn(Function):
    """One node: forward ``layernorm_forward`` on the (N, G, K, L) view, backward ``layernorm_backward``.
    ``stats`` (a list or None) receives the per-row (mean, biased var) for running-statistics updates."""

    @staticmethod
    def forward(ctx, x, w, b, view, eps, stats):
        shape = x.shape
        x4 = f32c(x.reshape(view))
        ctx.affine_shapes = (None if w is None else w.shape, None if b is None else b.shape)
        w = None if w is None else f32c(w.reshape(-1))  # LayerNorm's weight/bias may be N-d
        y, mean, rstd, var = _core.layernorm_forward(x4, w, None if b is None else f32c(b.reshape(-1)), eps)
        if stats is not None:
            stats.extend((mean, var))
        ctx.save_for_backward(x4, mean, rstd, w)
        ctx.shape, ctx.eps = shape, eps
        return y.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        x4, mean, rstd, w = ctx.saved_tensors
        dx, dw, db = norm_backward(_core.layernorm_backward, ctx, g, x4, mean, rstd, w)
        ws, bs = ctx.affine_shapes
        dw = None if dw is None else dw.reshape(ws)
        db = None if db is None or bs is None else db.reshape(bs)
        return dx, dw, db, None, None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        x4 = ctx.saved_tensors[0]
        n, grp, k, l = x4.shape
        w = inputs[1]
        tx = const(x4) if inputs[0] is None else inputs[0].reshape(x4.shape)
        dx, dw, db = norm_graph_grad(tx, g.reshape(x4.shape), (2, 3), ctx.eps,
                                     None if w is None else w.reshape(1, grp, k, 1), (0, 3))
        ws, bs = ctx.affine_shapes
        return (dx.reshape(ctx.shape), None if dw is None or ws is None else dw.reshape(ws),
                None if bs is None else db.reshape(bs), None, None, None)


def _check_eps(eps: Any) -> float:
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating)) or not 0 <= eps < float("inf"):
        raise ValueError(f"eps: expected a finite float >= 0, got {eps!r}")
    return float(eps)


def normalized_shape_tuple(normalized_shape: Union[int, Sequence[int]]) -> Tuple[int, ...]:
    """``normalized_shape`` (an int or a sequence of positive ints) as a tuple; TypeError/ValueError otherwise."""
    shp = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else normalized_shape
    if isinstance(shp, (list, tuple)) or (hasattr(shp, "__iter__") and not isinstance(shp, (str, bytes))):
        shp = tuple(shp)
    else:
        raise TypeError(f"normalized_shape: expected an int or a sequence of ints, got {normalized_shape!r}")
    if not shp or any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1 for d in shp):
        raise ValueError(f"normalized_shape: expected one or more positive ints, got {normalized_shape!r}")
    return tuple(int(d) for d in shp)


def layer_norm(
    input: Tensor,
    normalized_shape: Union[int, Sequence[int]],
    weight: Optional[Tensor] = None,
    bias: Optional[Tensor] = None,
    eps: float = 1e-5,
) -> Tensor:
    """Layer normalisation over the trailing ``normalized_shape`` dimensions, PyTorch's ``F.layer_norm``:
    ``(x - mean) / sqrt(var + eps) * weight + bias`` with the biased variance of each trailing block;
    weight/bias have shape ``normalized_shape`` (elementwise affine) or are None.

    Example:
        >>> x = ne.tensor([[1.0, 2.0, 3.0]])
        >>> layer_norm(x, (3,))
        tensor([[-1.2247,  0.    ,  1.2247]])
    """
    x = check_tensor(input, "input")
    shp = normalized_shape_tuple(normalized_shape)
    if x.shape[x.ndim - len(shp) :] != shp or x.ndim < len(shp):
        raise ValueError(
            f"input: expected trailing dimensions {shp} (normalized_shape), got shape {x.shape}"
        )
    w, b = affine(weight, "weight", shp), affine(bias, "bias", shp)
    d = int(np.prod(shp, dtype=np.int64))
    rows = x._data.size // d
    return RowNormFn.apply(x, w, b, (rows, 1, d, 1), _check_eps(eps), None)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Optional[Tensor] = None,
    bias: Optional[Tensor] = None,
    eps: float = 1e-5,
) -> Tensor:
    """Group normalisation (Wu & He 2018), PyTorch's ``F.group_norm``: the C channels of (N, C, *) input
    are split into ``num_groups`` groups, each normalised over its channels and positions; weight/bias
    (C,) are per channel.

    Example:
        >>> x = ne.randn(2, 32, 4, 4)
        >>> group_norm(x, 8, ne.ones(32), ne.zeros(32)).shape
        (2, 32, 4, 4)
    """
    x = check_tensor(input, "input")
    if x.ndim < 2:
        raise ValueError(f"input: expected at least 2 dimensions (N, C, *), got shape {x.shape}")
    num_groups = positive_int(num_groups, "num_groups")
    n, c = x.shape[0], x.shape[1]
    if c % num_groups:
        raise ValueError(f"num_groups: expected a divisor of the {c} channels of input {x.shape}, got {num_groups}")
    w, b = affine(weight, "weight", (c,)), affine(bias, "bias", (c,))
    rest = int(np.prod(x.shape[2:], dtype=np.int64))
    if rest == 0:
        raise ValueError(f"input: expected at least one value per group, got shape {x.shape}")
    return RowNormFn.apply(x, w, b, (n, int(num_groups), c // num_groups, rest), _check_eps(eps), None)


def instance_norm(
    input: Tensor,
    running_mean: Any = None,
    running_var: Any = None,
    weight: Optional[Tensor] = None,
    bias: Optional[Tensor] = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Instance normalisation (Ulyanov et al. 2016), PyTorch's ``F.instance_norm``: each (sample, channel)
    of (N, C, *) input is normalised over its positions. With ``use_input_stats`` the running statistics
    (float32 arrays/Tensors of shape (C,), may be None) are updated in place with ``momentum`` from the
    batch average of the instance means and unbiased variances; otherwise they normalise, as in eval.

    Example:
        >>> x = ne.randn(2, 3, 5, 5)
        >>> y = instance_norm(x, weight=ne.ones(3), bias=ne.zeros(3))
        >>> bool(y.mean(dim=(2, 3)).abs().max() < 1e-5)
        True
    """
    x = check_tensor(input, "input")
    if x.ndim < 3:
        raise ValueError(f"input: expected at least 3 dimensions (N, C, *), got shape {x.shape}")
    n, c = x.shape[0], x.shape[1]
    w, b = affine(weight, "weight", (c,)), affine(bias, "bias", (c,))
    rm = _as_buffer(running_mean, "running_mean", c)
    rv = _as_buffer(running_var, "running_var", c)
    eps = _check_eps(eps)
    momentum = number(momentum, "momentum")  # (before any update)
    if not use_input_stats:
        if rm is None or rv is None:
            raise ValueError("running_mean/running_var: required when use_input_stats=False")
        return batch_norm(x, rm, rv, w, b, False, momentum, eps)
    rest = int(np.prod(x.shape[2:], dtype=np.int64))
    if rest <= 1:
        raise ValueError(f"input: expected more than 1 spatial element per channel, got shape {x.shape}")
    for name, a in (("running_mean", rm), ("running_var", rv)):
        if a is not None and a.dtype != np.float32:
            raise TypeError(f"{name}: expected a float32 array to update in place, got {a.dtype}")
    stats: Optional[list] = [] if (rm is not None or rv is not None) else None
    y = RowNormFn.apply(x, w, b, (n, c, 1, rest), eps, stats)
    if stats and n > 0:
        mean, var = (s.astype(np.float64) for s in stats)
        if rm is not None:
            rm *= 1.0 - momentum
            rm += (momentum * mean.mean(axis=0)).astype(np.float32)
        if rv is not None:
            rv *= 1.0 - momentum
            rv += (momentum * (var * (rest / (rest - 1))).mean(axis=0)).astype(np.float32)
    return y
