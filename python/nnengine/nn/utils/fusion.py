"""``torch.nn.utils.fusion``: fold an eval-mode BatchNorm into the convolution or Linear before it (one layer
instead of two at inference, the same outputs up to rounding), torch's functions and formulas.

Example:
    >>> conv, bn = nn.Conv2d(1, 2, 3).eval(), nn.BatchNorm2d(2).eval()
    >>> fused = nn.utils.fusion.fuse_conv_bn_eval(conv, bn)
    >>> x = ne.randn(1, 1, 5, 5)
    >>> bool(ne.allclose(fused(x), bn(conv(x)), atol=1e-6))
    True
"""

from __future__ import annotations

import copy
from typing import Any, Optional, Tuple

import numpy as np

from ..._coerce import as_array
from ..module import Module
from ..parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights"]


def _a(x: Any) -> np.ndarray:
    return np.asarray(as_array(x))


def fuse_conv_bn_weights(conv_w: Any, conv_b: Optional[Any], bn_rm: Any, bn_rv: Any, bn_eps: float,
                         bn_w: Optional[Any], bn_b: Optional[Any],
                         transpose: bool = False) -> Tuple[Parameter, Parameter]:
    """The fused ``(weight, bias)``: ``w * g / sqrt(var + eps)`` per output channel (dim 1 when ``transpose``)
    and ``(b - mean) * g / sqrt(var + eps) + beta``.

    Example:
        >>> w, b = nn.utils.fusion.fuse_conv_bn_weights(ne.ones(2, 1, 1, 1), None, np.zeros(2), np.ones(2), 0.0,
        ...                                               ne.full((2,), 2.0), ne.ones(2))
        >>> w.flatten().tolist(), b.tolist()
        ([2.0, 2.0], [1.0, 1.0])
    """
    w = _a(conv_w)
    rm, rv = _a(bn_rm), _a(bn_rv)
    b = _a(conv_b) if conv_b is not None else np.zeros_like(rm)
    g = _a(bn_w) if bn_w is not None else np.ones_like(rm)
    beta = _a(bn_b) if bn_b is not None else np.zeros_like(rm)
    rsqrt = 1.0 / np.sqrt(rv + bn_eps)
    shape = [1, -1] + [1] * (w.ndim - 2) if transpose else [-1, 1] + [1] * (w.ndim - 2)
    fw = (w * (g * rsqrt).reshape(shape)).astype(w.dtype)
    fb = ((b - rm) * rsqrt * g + beta).astype(_a(conv_b).dtype if conv_b is not None else w.dtype)
    rg_w = bool(getattr(conv_w, "requires_grad", False))
    rg_b = bool(getattr(conv_b, "requires_grad", False)) if conv_b is not None else False
    return Parameter(fw, requires_grad=rg_w), Parameter(fb, requires_grad=rg_b)


def fuse_conv_bn_eval(conv: Module, bn: Module, transpose: bool = False) -> Module:
    """A copy of ``conv`` (eval mode) computing ``bn(conv(x))`` of the eval-mode ``bn``.

    Example:
        >>> fused = nn.utils.fusion.fuse_conv_bn_eval(nn.Conv2d(3, 4, 1).eval(), nn.BatchNorm2d(4).eval())
        >>> type(fused).__name__, fused.bias is not None
        ('Conv2d', True)
    """
    if conv.training or bn.training:
        raise ValueError("Fusion only for eval! (conv and bn must be in eval mode)")
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("bn: its running statistics must not be None (track_running_stats=True)")
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                    bn.eps, bn.weight, bn.bias, transpose)
    return fused


def fuse_linear_bn_weights(linear_w: Any, linear_b: Optional[Any], bn_rm: Any, bn_rv: Any, bn_eps: float,
                           bn_w: Any, bn_b: Any) -> Tuple[Parameter, Parameter]:
    """The fused Linear ``(weight, bias)``: rows scaled by ``g / sqrt(var + eps)``, the bias shifted.

    Example:
        >>> w, b = nn.utils.fusion.fuse_linear_bn_weights(ne.ones(2, 3), None, np.zeros(2), np.ones(2), 0.0,
        ...                                                 ne.full((2,), 3.0), ne.zeros(2))
        >>> w.sum().item()
        18.0
    """
    w = _a(linear_w)
    rm, rv = _a(bn_rm), _a(bn_rv)
    b = _a(linear_b) if linear_b is not None else np.zeros_like(rm)
    scale = _a(bn_w) / np.sqrt(rv + bn_eps)
    fw = (w * scale[:, None]).astype(w.dtype)
    fb = ((b - rm) * scale + _a(bn_b)).astype(_a(linear_b).dtype if linear_b is not None else w.dtype)
    rg_w = bool(getattr(linear_w, "requires_grad", False))
    rg_b = bool(getattr(linear_b, "requires_grad", False)) if linear_b is not None else False
    return Parameter(fw, requires_grad=rg_w), Parameter(fb, requires_grad=rg_b)


def fuse_linear_bn_eval(linear: Module, bn: Module) -> Module:
    """A copy of ``linear`` (eval mode) computing ``bn(linear(x))`` of the eval-mode ``BatchNorm1d``.

    Example:
        >>> lin, bn = nn.Linear(3, 2).eval(), nn.BatchNorm1d(2).eval()
        >>> x = ne.randn(4, 3)
        >>> bool(ne.allclose(nn.utils.fusion.fuse_linear_bn_eval(lin, bn)(x), bn(lin(x)), atol=1e-6))
        True
    """
    if linear.training or bn.training:
        raise ValueError("Fusion only for eval! (linear and bn must be in eval mode)")
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise ValueError(f"To fuse, linear.out_features == bn.num_features or bn.num_features == 1, got "
                         f"linear.out_features={linear.out_features} and bn.num_features={bn.num_features}")
    if bn.running_mean is None or bn.running_var is None:
        raise ValueError("bn: its running statistics must not be None (track_running_stats=True)")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                      bn.eps, bn.weight, bn.bias)
    return fused
