"""Batch normalisation on the engine's batchnorm kernels (``F.batch_norm``)."""

from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from .. import _core
from .._coerce import array_data
from .._higher_order import const
from ..autograd import Function
from ..tensor import Tensor
from ._util import check_tensor, f32c, number


def _as_buffer(v: Any, name: str, c: int) -> Optional[np.ndarray]:
    """A running-statistics buffer as the float32 numpy array itself (updated in place), or None."""
    if v is None:
        return None
    a = array_data(v, name)
    if a.shape != (c,):
        raise ValueError(f"{name}: expected shape ({c},), got {a.shape}")
    return a


def norm_backward(kernel: Callable[..., Any], ctx: Any, g: np.ndarray, x: np.ndarray, *saved: Any) -> tuple:
    """(dx in the input's shape ``ctx.shape``, dw, db) of a normalisation node: ``kernel`` is
    ``_core.batchnorm_backward`` or ``_core.layernorm_backward`` called on dy viewed as ``x`` (the kernel's
    view of the input), ``x`` and ``saved`` (mean, 1/std, weight[, training]); a gradient nobody needs is None."""
    nx, nw, nb = ctx.needs_input_grad[:3]
    w = saved[2]
    dx, dw, db = kernel(
        f32c(g.reshape(x.shape)), x, *saved, need_input=nx, need_weight=nw and w is not None, need_bias=nb
    )
    return (dx.reshape(ctx.shape) if dx is not None else None), dw, db


def norm_graph_grad(x: Tensor, g: Tensor, axes: tuple, eps: float, w: Optional[Tensor], sum_axes: tuple) -> tuple:
    """(dx, dw, db) of ``y = (x - mean) / sqrt(var + eps) * w + b`` (statistics over ``axes``, biased variance)
    in Tensor ops, recomputed from ``x`` (recorded: differentiable again): the backward of the batch / layer /
    group / instance norm nodes under ``create_graph=True``; ``w`` broadcasts against x, ``sum_axes`` are the
    axes the affine gradients sum over.

    Example:
        >>> x = ne.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
        >>> dx, dw, db = norm_graph_grad(x, ne.tensor([[1.0, 0.0, 0.0]]), (1,), 1e-5, None, (0,))
        >>> dx.shape, dw.shape
        ((1, 3), (3,))
    """
    mean = x.mean(dim=axes, keepdim=True)
    d = x - mean
    rstd = ((d * d).mean(dim=axes, keepdim=True) + eps).rsqrt()
    xhat = d * rstd
    gw = g if w is None else g * w
    dx = rstd * (gw - gw.mean(dim=axes, keepdim=True) - xhat * (gw * xhat).mean(dim=axes, keepdim=True))
    return dx, (g * xhat).sum(dim=sum_axes), g.sum(dim=sum_axes)


def affine(t: Any, name: str, shape: tuple) -> Optional[Tensor]:
    """A norm's ``weight`` / ``bias`` argument: None, or a Tensor of exactly ``shape`` (ValueError otherwise)."""
    if t is None:
        return None
    t = check_tensor(t, name)
    if t.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {t.shape}")
    return t


class BatchNormFn(Function):
    """``F.batch_norm``'s node; ``stats``, a list when given, receives the (mean, biased variance) it used."""

    @staticmethod
    def forward(ctx, x, w, b, rm, rv, training, momentum, eps, stats=None):
        shape = x.shape
        x3 = f32c(x.reshape(shape[0], shape[1], int(np.prod(shape[2:], dtype=np.int64))))  # N may be 0
        if training:
            y, mean, invstd, var = _core.batchnorm_forward_train(x3, w, b, eps)
            m = x3.shape[0] * x3.shape[2]
            if rm is not None:
                rm *= 1.0 - momentum
                rm += momentum * mean
            if rv is not None:
                rv *= 1.0 - momentum
                rv += momentum * var * (m / max(m - 1, 1))
        else:
            y = _core.batchnorm_forward_eval(x3, f32c(rm), f32c(rv), w, b, eps)
            mean = f32c(rm).copy()
            invstd = (1.0 / np.sqrt(rv.astype(np.float64) + eps)).astype(np.float32)
            var = f32c(rv).copy()
        if stats is not None:
            stats.extend((mean, var))
        ctx.save_for_backward(x3, mean, invstd, w)
        ctx.training = training
        ctx.shape, ctx.eps = shape, eps
        return y.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        x3, mean, invstd, w = ctx.saved_tensors
        return norm_backward(_core.batchnorm_backward, ctx, g, x3, mean, invstd, w, ctx.training) + (None,) * 5

    @staticmethod
    def graph_backward(ctx, inputs, g):
        x3, mean, invstd, w = ctx.saved_tensors
        c = x3.shape[1]
        tw = None if inputs[1] is None else inputs[1].reshape(1, c, 1)
        g3 = g.reshape(x3.shape)
        tx = const(x3) if inputs[0] is None else inputs[0].reshape(x3.shape)
        if ctx.training:
            dx, dw, db = norm_graph_grad(tx, g3, (0, 2), ctx.eps, tw, (0, 2))
        else:  # running statistics are constants: y is affine in x
            scale = const(invstd.reshape(1, c, 1))
            xhat = (tx - const(mean.reshape(1, c, 1))) * scale
            gs = g3 if tw is None else g3 * tw
            dx, dw, db = gs * scale, (g3 * xhat).sum(dim=(0, 2)), g3.sum(dim=(0, 2))
        return (dx.reshape(ctx.shape), dw if tw is not None else None, db) + (None,) * 6


def batch_norm(
    input: Tensor,
    running_mean: Any,
    running_var: Any,
    weight: Optional[Tensor] = None,
    bias: Optional[Tensor] = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation over channel dim 1 of (N, C), (N, C, L), (N, C, H, W) or (N, C, D, H, W), PyTorch's
    ``F.batch_norm``. In training the batch statistics are used and ``running_mean`` / ``running_var``
    (numpy arrays or Tensors, may be None) are updated in place with ``momentum`` (running_var unbiased);
    otherwise the running statistics are used.

    Example:
        >>> x, rm, rv = ne.randn(8, 3), np.zeros(3, np.float32), np.ones(3, np.float32)
        >>> y = batch_norm(x, rm, rv, ne.ones(3), ne.zeros(3), training=True)
        >>> bool(y.mean(dim=0).abs().max() < 1e-5), bool((rm != 0).any())  # running stats updated
        (True, True)
    """
    x = check_tensor(input, "input", ndim=(2, 3, 4, 5))
    if x.ndim == 5:  # (N, C, D, H, W): the same per-channel statistics over (N, C, D*H*W)
        return batch_norm(x.reshape(x.shape[0], x.shape[1], -1), running_mean, running_var, weight, bias, training,
                          momentum, eps).reshape(x.shape)
    c = x.shape[1]
    if c == 0:
        raise ValueError(f"input: expected at least one channel (dimension 1), got shape {x.shape}")
    rm = _as_buffer(running_mean, "running_mean", c)
    rv = _as_buffer(running_var, "running_var", c)
    w, b = affine(weight, "weight", (c,)), affine(bias, "bias", (c,))
    momentum, eps = number(momentum, "momentum"), number(eps, "eps")  # (before any update)
    if not eps > 0:
        raise ValueError(f"eps: expected a positive value, got {eps}")
    if training:
        if x._data.size // c <= 1:
            raise ValueError(
                f"input: expected more than 1 value per channel when training, got shape {x.shape}"
            )
        for name, a in (("running_mean", rm), ("running_var", rv)):
            if a is not None and a.dtype != np.float32:
                raise TypeError(f"{name}: expected a float32 array to update in place, got {a.dtype}")
    elif rm is None or rv is None:
        raise ValueError("running_mean/running_var: required when training=False")
    return BatchNormFn.apply(x, w, b, rm, rv, bool(training), momentum, eps)
