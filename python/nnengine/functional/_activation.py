"""Activations and softmax on the C++ SIMD kernels (one Function per kernel pair)."""

from __future__ import annotations

import numpy as np

from .. import _core
from ..autograd import Function, is_grad_enabled
from ..tensor import Tensor
from ._util import check_tensor, dim_index, f32c

RELU, LEAKY_RELU, ELU, SIGMOID, TANH = 0, 1, 2, 3, 4
_NEEDS_X = (RELU, LEAKY_RELU, ELU)
_NEEDS_Y = (ELU, SIGMOID, TANH)


class Activation(Function):
    @staticmethod
    def forward(ctx, x, kind, alpha):
        x = f32c(x)
        y = _core.act_forward(x, kind, alpha)
        ctx.kind, ctx.alpha = kind, alpha
        ctx.save_for_backward(x if kind in _NEEDS_X else None, y if kind in _NEEDS_Y else None)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return _core.act_backward(f32c(g), x, y, kind=ctx.kind, alpha=ctx.alpha), None, None


def _act_inplace(x: Tensor, kind: int, alpha: float, name: str) -> Tensor:
    """``inplace=True``: ``x`` becomes the activation and is returned, like PyTorch. Without a gradient
    being recorded the array is overwritten in place (same storage, as torch keeps it). While autograd records
    through ``x``, the activation goes on the tape out of place and the Tensor object is rebound to the result
    (``Tensor._rebind``), so no array another op saved for its backward is ever overwritten; a leaf that
    requires grad, or a tensor another recorded op already consumed, raises (never a wrong gradient)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"input: inplace=True needs a Tensor to modify, got {type(x).__name__}")
    if x.data.dtype.kind != "f":
        raise TypeError(f"input: expected a floating-point tensor, got dtype {x.data.dtype}")
    if x.requires_grad and is_grad_enabled():
        return x._rebind(lambda s: _act(s, kind, alpha, False, name))
    y = _core.act_forward(f32c(x.data), kind, alpha)
    if x.data.flags.writeable:
        x.data[...] = y  # keeps the array object (and any numpy views of it), as torch keeps the storage
    else:
        raise ValueError(f"{name}(inplace=True): the tensor's array is read-only")
    return x


def _act(x: Tensor, kind: int, alpha: float = 0.0, inplace: bool = False, name: str = "") -> Tensor:
    if inplace:
        return _act_inplace(x, kind, alpha, name)
    if type(x) is not Tensor or x.data.dtype != np.float32:
        x = check_tensor(x, "input")
    if not (x.requires_grad and is_grad_enabled()):  # inference: skip the tape entirely
        return Tensor._wrap(_core.act_forward(f32c(x.data), kind, alpha))
    return Activation.apply(x, kind, float(alpha))


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(0, x). Example: ``F.relu(ne.tensor([-1.0, 2.0]))`` -> ``[0, 2]``.

    ``inplace=True`` overwrites ``input`` and returns it (not allowed while it records gradients)."""
    return _act(input, RELU, 0.0, inplace, "relu")


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope * x otherwise."""
    if not isinstance(negative_slope, (int, float)) or isinstance(negative_slope, bool):
        raise TypeError(f"negative_slope: expected a number, got {type(negative_slope).__name__}")
    return _act(input, LEAKY_RELU, negative_slope, inplace, "leaky_relu")


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha * (exp(x) - 1) otherwise (Clevert et al. 2015)."""
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool):
        raise TypeError(f"alpha: expected a number, got {type(alpha).__name__}")
    return _act(input, ELU, alpha, inplace, "elu")


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)) (vectorised exp, max relative error ~5e-7)."""
    return _act(input, SIGMOID)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent (vectorised, max absolute error ~3e-7)."""
    return _act(input, TANH)


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, dim, log):
        y = _core.softmax_forward(f32c(x), dim, log)
        ctx.dim, ctx.log = dim, log
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return _core.softmax_backward(f32c(g), y, ctx.dim, ctx.log), None, None


def _softmax(input: Tensor, dim: int, log: bool) -> Tensor:
    x = check_tensor(input, "input")
    if x.ndim == 0:
        x = x.reshape(1)
        return Softmax.apply(x, 0, log).reshape(())
    return Softmax.apply(x, dim_index(dim, x.ndim), log)


def softmax(input: Tensor, dim: int) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim``. Example: ``F.softmax(logits, dim=1)``."""
    return _softmax(input, dim, False)


def log_softmax(input: Tensor, dim: int) -> Tensor:
    """x - logsumexp(x) along ``dim`` (numerically stable)."""
    return _softmax(input, dim, True)


def softplus(input: Tensor) -> Tensor:
    """log(1 + exp(x)), computed stably."""
    x = check_tensor(input, "input")
    return relu(x) + ((-(x.abs())).exp() + 1.0).log()


