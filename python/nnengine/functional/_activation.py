"""Elementwise activations and PReLU on the engine's activation kernels; kinds are named by string
('relu', 'gelu_tanh'... the names of cpp/kernels/activation.h)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from .._higher_order import const, where
from .._tape import will_record
from ..autograd import Function
from ..tensor import Tensor
from . import _float64
from ._util import check_tensor, f32c, number

# the kinds whose backward reads the output y, and those that do not read the input x (activation.h)
_NEEDS_Y = ("elu", "sigmoid", "tanh")
_NO_X = ("sigmoid", "tanh")
_FLOAT64_KINDS = _float64.ACT_KINDS  # the activations with a float64 path (the others raise on float64)
_F32 = np.dtype(np.float32)


class ActivationFn(Function):
    @staticmethod
    def forward(ctx, x, kind, alpha, beta):
        x = f32c(x)
        y = _core.activation_forward(x, kind, alpha, beta)
        ctx.kind, ctx.alpha, ctx.beta = kind, alpha, beta
        ctx.save_for_backward(None if kind in _NO_X else x, y if kind in _NEEDS_Y else None)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        dx = _core.activation_backward(f32c(g), x, y, kind=ctx.kind, alpha=ctx.alpha, beta=ctx.beta)
        return dx, None, None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return act_graph_grad(inputs[0], g, ctx.kind, ctx.alpha, ctx.beta), None, None, None


_SQRT1_2, _INV_SQRT_2PI, _GELU_K = float(np.sqrt(0.5)), float(1 / np.sqrt(2 * np.pi)), float(np.sqrt(2 / np.pi))


def act_graph_grad(x: Tensor, g: Tensor, kind: str, alpha: float, beta: float) -> Tensor:
    """``g * f'(x)`` of activation ``kind`` in Tensor ops (recorded, so differentiable again): the backward of
    ActivationFn and Activation64Fn under ``create_graph=True``, torch's derivative formulas.

    Example:
        >>> x = ne.tensor([-1.0, 2.0], requires_grad=True)
        >>> act_graph_grad(x, ne.ones(2), "leaky_relu", 0.1, 0.0)
        tensor([0.1, 1. ])
    """
    xa = x._data
    if kind == "relu":
        return where(const(xa > 0), g, 0.0)
    if kind == "leaky_relu":
        return g * const(np.where(xa > 0, 1.0, alpha), xa.dtype)
    if kind == "elu":
        return where(const(xa > 0), g, g * (alpha * x.clamp(max=0.0).exp()))
    if kind == "sigmoid":
        s = x.sigmoid()
        return g * (s * (1 - s))
    if kind == "tanh":
        t = x.tanh()
        return g * (1 - t * t)
    if kind == "softplus":  # alpha: torch's beta, beta: its threshold
        return where(const(xa * alpha > beta), g, g * (x * alpha).sigmoid())
    if kind == "silu":
        s = x.sigmoid()
        return g * (s * (1 + x * (1 - s)))
    if kind == "gelu":
        cdf = 0.5 * (1 + (x * _SQRT1_2).erf())
        return g * (cdf + x * (_INV_SQRT_2PI * (-0.5 * x * x).exp()))
    if kind == "gelu_tanh":
        t = (_GELU_K * (x + 0.044715 * x * x * x)).tanh()
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * (_GELU_K * (1 + 3 * 0.044715 * x * x)))
    if kind == "mish":
        t = softplus(x).tanh()
        return g * (t + x * x.sigmoid() * (1 - t * t))
    if kind == "hardtanh":  # alpha: min_val, beta: max_val
        return g * const((xa > alpha) & (xa < beta), xa.dtype)
    if kind == "hardswish":
        mid = const((xa >= -3) & (xa <= 3))
        return where(mid, g * (x / 3 + 0.5), g * const(xa > 3, xa.dtype))
    if kind == "hardsigmoid":
        return g * const(((xa > -3) & (xa < 3)) / 6, xa.dtype)
    if kind == "softsign":
        d = 1 + x.abs()
        return g / (d * d)
    raise NotImplementedError(f"create_graph=True through activation {kind!r}: no differentiable backward")


def _act_inplace(x: Tensor, kind: str, alpha: float, name: str, beta: float = 0.0) -> Tensor:
    """``inplace=True``: ``x`` becomes the activation and is returned, like PyTorch. Without a gradient
    being recorded the array is overwritten in place (same storage, as torch keeps it). While autograd records
    through ``x``, the activation goes on the tape out of place and the Tensor object is rebound to the result
    (``Tensor._rebind``), so no array another op saved for its backward is ever overwritten; a leaf that
    requires grad, or a tensor another recorded op already consumed, raises (never a wrong gradient)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"input: inplace=True needs a Tensor to modify, got {type(x).__name__}")
    if x._data.dtype.kind != "f":
        raise TypeError(f"input: expected a floating-point tensor, got dtype {x.data.dtype}")
    if will_record(x):
        return x._rebind(lambda s: _act(s, kind, alpha, False, name, beta))
    if x._data.dtype == np.float64:
        check_tensor(x, "input", float64=kind in _FLOAT64_KINDS)  # a TypeError naming the op if it has no path
        y = _float64.act_forward(x._data, kind, alpha, beta)
    else:
        y = _core.activation_forward(f32c(x._data), kind, alpha, beta)
    if x._data.flags.writeable:
        x._data[...] = y  # keeps the array object (and any numpy views of it), as torch keeps the storage
    else:
        raise ValueError(f"{name}(inplace=True): the tensor's array is read-only")
    return x


def _act(x: Tensor, kind: str, alpha: float = 0.0, inplace: bool = False, name: str = "", beta: float = 0.0) -> Tensor:
    if inplace:
        return _act_inplace(x, kind, alpha, name, beta)
    if type(x) is not Tensor or x._data.dtype is not _F32:  # (identity: a dtype == type comparison costs ~0.2 us)
        x = check_tensor(x, "input", float64=kind in _FLOAT64_KINDS)
        if x._data.dtype == np.float64:
            return _float64.Activation64Fn.apply(x, kind, float(alpha), float(beta))
    if not will_record(x):  # inference: skip the tape entirely
        return Tensor._wrap(_core.activation_forward(f32c(x._data), kind, alpha, beta))
    return ActivationFn.apply(x, kind, float(alpha), float(beta))


def _int_as_float(x: Any) -> Any:
    """An integer or bool tensor as float32 (torch's sigmoid and tanh promote them to the default float dtype)."""
    if isinstance(x, Tensor) and x._data.dtype.kind in "biu":
        return Tensor._wrap(x._data.astype(_F32))
    return x


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(0, x). Example: ``F.relu(ne.tensor([-1.0, 2.0]))`` -> ``[0, 2]``.

    ``inplace=True`` overwrites ``input`` and returns it (not allowed while it records gradients).

    Example:
        >>> x = ne.tensor([-2.0, 0.0, 3.0])
        >>> F.relu(x)
        tensor([0., 0., 3.])
    """
    if isinstance(input, Tensor) and input._data.dtype.kind in "iu" and not inplace:  # torch keeps the int dtype
        return Tensor._wrap(np.maximum(input._data, 0).astype(input._data.dtype, copy=False))
    return _act(input, "relu", 0.0, inplace, "relu")


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope * x otherwise.

    Example:
        >>> x = ne.tensor([-2.0, 0.0, 3.0])
        >>> F.leaky_relu(x, negative_slope=0.1)
        tensor([-0.2,  0. ,  3. ])
    """
    return _act(input, "leaky_relu", number(negative_slope, "negative_slope"), inplace, "leaky_relu")


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha * (exp(x) - 1) otherwise (Clevert et al. 2015).

    Example:
        >>> x = ne.tensor([-2.0, 0.0, 3.0])
        >>> F.elu(x)
        tensor([-0.8647,  0.    ,  3.    ])
    """
    return _act(input, "elu", number(alpha, "alpha"), inplace, "elu")


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)) (vectorised exp, max relative error ~5e-7).

    Example:
        >>> F.sigmoid(ne.tensor([0.0]))
        tensor([0.5])
    """
    return _act(_int_as_float(input), "sigmoid")


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent (vectorised, max absolute error ~3e-7).

    Example:
        >>> F.tanh(ne.tensor([0.0, 100.0]))
        tensor([0., 1.])
    """
    return _act(_int_as_float(input), "tanh")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, or x where beta x > threshold (PyTorch's ``F.softplus``); one fused
    kernel, stable for every x. Example: ``F.softplus(x, beta=2.0)``.

    Example:
        >>> x = ne.tensor([-2.0, 0.0, 3.0])
        >>> F.softplus(x), F.softplus(x, beta=2.0)
        (tensor([0.1269, 0.6931, 3.0486]), tensor([0.0091, 0.3466, 3.0012]))
    """
    beta, threshold = number(beta, "beta"), number(threshold, "threshold")
    if beta == 0.0:
        raise ValueError("beta: expected a non-zero value, got 0.0")
    return _act(input, "softplus", beta, False, "softplus", threshold)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF (``approximate='none'``, erf form) or its tanh form
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (``'tanh'``), as PyTorch's ``F.gelu``.

    Example:
        >>> x = ne.tensor([-2.0, 0.0, 3.0])
        >>> F.gelu(x), F.gelu(x, approximate="tanh")
        (tensor([-0.0455,  0.    ,  2.996 ]), tensor([-0.0454,  0.    ,  2.9964]))
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate: expected 'none' or 'tanh', got {approximate!r}")
    return _act(input, "gelu" if approximate == "none" else "gelu_tanh")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (swish). Example: ``F.silu(x)``.

    Example:
        >>> x = ne.tensor([-2.0, 0.0, 3.0])
        >>> F.silu(x)
        tensor([-0.2384,  0.    ,  2.8577])
    """
    return _act(input, "silu", 0.0, inplace, "silu")


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x)) (Misra 2019). Example: ``F.mish(x)``.

    Example:
        >>> x = ne.tensor([-2.0, 0.0, 3.0])
        >>> F.mish(x)
        tensor([-0.2525,  0.    ,  2.9865])
    """
    return _act(input, "mish", 0.0, inplace, "mish")


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """clamp(x, min_val, max_val); the gradient is zero outside the open interval, as PyTorch's.
    Example: ``F.hardtanh(x, -2.0, 2.0)``.

    Example:
        >>> x = ne.tensor([-2.0, 0.0, 3.0])
        >>> F.hardtanh(x), F.hardtanh(x, -2.0, 2.0)
        (tensor([-1.,  0.,  1.]), tensor([-2.,  0.,  2.]))
    """
    lo, hi = number(min_val, "min_val"), number(max_val, "max_val")
    if lo > hi:
        raise ValueError(f"max_val: expected a value >= min_val={lo}, got {hi}")
    return _act(input, "hardtanh", lo, inplace, "hardtanh", hi)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(0, x), 6) = hardtanh(x, 0, 6). Example: ``F.relu6(x)``.

    Example:
        >>> F.relu6(ne.tensor([-1.0, 3.0, 9.0]))
        tensor([0., 3., 6.])
    """
    return hardtanh(input, 0.0, 6.0, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6 (Howard et al. 2019). Example: ``F.hardswish(x)``.

    Example:
        >>> F.hardswish(ne.tensor([0.5, 1.0, 4.0]))
        tensor([0.2917, 0.6667, 4.    ])
    """
    return _act(input, "hardswish", 0.0, inplace, "hardswish")


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6. Example: ``F.hardsigmoid(x)``.

    Example:
        >>> F.hardsigmoid(ne.tensor([-4.0, 0.0, 4.0]))
        tensor([0. , 0.5, 1. ])
    """
    return _act(input, "hardsigmoid", 0.0, inplace, "hardsigmoid")


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|). Example: ``F.softsign(x)``.

    Example:
        >>> x = ne.tensor([-2.0, 0.0, 3.0])
        >>> F.softsign(x)
        tensor([-0.6667,  0.    ,  0.75  ])
    """
    return _act(input, "softsign")


class PReLUFn(Function):
    @staticmethod
    def forward(ctx, x, w):
        shape = x.shape
        c = w.shape[0]
        n = shape[0] if x.ndim >= 2 and c > 1 else 1
        x3 = f32c(x.reshape(n, c, -1) if x.size else x.reshape(n, c, 0))
        ctx.save_for_backward(x3, w)
        ctx.shape = shape
        return _core.prelu_forward(x3, w).reshape(shape)

    @staticmethod
    def backward(ctx, g):
        x3, w = ctx.saved_tensors
        nx, nw = ctx.needs_input_grad[:2]
        dx, dw = _core.prelu_backward(f32c(g.reshape(x3.shape)), x3, w, need_input=nx, need_weight=nw)
        return (None if dx is None else dx.reshape(ctx.shape)), dw

    @staticmethod
    def graph_backward(ctx, inputs, g):
        x3, w = ctx.saved_tensors
        tx = const(x3) if inputs[0] is None else inputs[0].reshape(x3.shape)
        tw = (const(w) if inputs[1] is None else inputs[1]).reshape(1, -1, 1)
        pos = const(x3 > 0)
        g3 = g.reshape(x3.shape)
        dx = where(pos, g3, g3 * tw).reshape(ctx.shape)
        dw = where(pos, 0.0, g3 * tx).sum(dim=(0, 2)) if inputs[1] is not None else None
        return dx, dw


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x if x > 0 else weight * x, with one slope (``weight`` of 1 element) or one per channel (dim 1 of
    (N, C, *) input), as PyTorch's ``F.prelu``; the slopes get a gradient.

    Example:
        >>> x = ne.tensor([-2.0, 0.0, 3.0])
        >>> F.prelu(x, ne.tensor([0.25]))
        tensor([-0.5,  0. ,  3. ])
    """
    x = check_tensor(input, "input")
    w = check_tensor(weight, "weight")
    if w.ndim > 1:
        raise ValueError(f"weight: expected a 1-D tensor (or a scalar), got shape {w.shape}")
    w = w.reshape(-1) if w.ndim == 0 else w
    c = w.shape[0]
    if c != 1 and (x.ndim < 2 or x.shape[1] != c):
        raise ValueError(
            f"weight: expected 1 slope or one per channel (dimension 1 of input {x.shape}), got {c} slopes"
        )
    if c == 0:
        raise ValueError("weight: expected at least one slope, got 0")
    return PReLUFn.apply(x, w)
