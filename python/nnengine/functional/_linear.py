"""Linear layers and matrix products on the engine's GEMM (bias fused into the GEMM epilogue)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .. import _core
from .._higher_order import const, operand, where
from .._tape import linear_args_ok, recording, will_record
from ..amp import _bf16_on, _entered, cached_bf16_bits
from ..autograd import Function
from ..ops import matmul_arrays  # noqa: F401  (re-exported: the glue matmul lives with the tape)
from ..tensor import Tensor
from . import _float64
from ._util import as_shape, check_tensor, f32c, is_f64, same_float_dtype

_F32 = np.dtype(np.float32)


#: Under autocast, products of at most this many rows (batch-1..4 inference) read a trainable weight's bf16 cast
#: kept for the autocast region (``amp.cached_bf16_bits``, as torch's autocast cache) instead of converting the
#: whole weight on every call (``_core.linear_bf16w``, vdpbf16ps on the kept bits where the CPU has AVX512-BF16:
#: Sapphire Rapids, 784 -> 256, one row 5.8 us (the portable kernel 9.8), float32 10.2 us, converting per call
#: 18.6 us; 4 rows 17.2 us, float32 16.7; from 5 rows the bf16 GEMM is faster).
_BF16_FEW_ROWS = 4


def _linear_arrays(x: np.ndarray, w: np.ndarray, b: Optional[np.ndarray], bf16: bool = False,
                   relu: bool = False) -> tuple:
    """``(y, x2, w)`` for y = x @ w.T + b on contiguous float32 operands (x2: x as rows); ``bf16``: the
    product in bf16 with float32 sums (autocast); ``relu``: y = relu(y) in the same native call (the ReLU
    kernel's bits)."""
    x2 = f32c(x if x.ndim == 2 else x.reshape(-1, x.shape[-1]))
    w = f32c(w)
    bias = None if b is None else f32c(b)
    bits = cached_bf16_bits(w) if bf16 and x2.shape[0] <= _BF16_FEW_ROWS else None
    if bits is not None:
        y = _core.linear_bf16w(x2, bits, bias, relu)
    else:  # positional arguments: pybind11 parses keywords at ~0.4 us each, more than a small GEMM costs
        y = _core.gemm(x2, w, False, True, 1.0, 0.0, None, None, bias, False, bf16, False, relu)
    return (y if x.ndim == 2 else y.reshape(x.shape[:-1] + (w.shape[0],))), x2, w


def linear_graph_grad(ctx: Any, inputs: Any, g: Tensor) -> tuple:
    """(dx, dw, db) of ``y = x @ w.T + b`` in Tensor ops (recorded: differentiable again), the backward of the
    linear nodes under ``create_graph=True``; ``ctx.saved_tensors`` holds the (rows, in) input and the weight.

    Example:
        >>> x, w = ne.ones(2, 3, requires_grad=True), ne.ones(4, 3, requires_grad=True)
        >>> y = linear(x, w)
        >>> [None if t is None else t.shape for t in linear_graph_grad(y.grad_fn.ctx, y.grad_fn.inputs, ne.ones(2, 4))]
        [(2, 3), (4, 3), None]
    """
    x2, w = ctx.saved_tensors[:2]
    tx, tw = operand(inputs, 0, x2), operand(inputs, 1, w)
    g2 = g.reshape(-1, w.shape[0])
    need = [t is not None and t.requires_grad for t in inputs[:3]]
    gx = (g2 @ tw).reshape(tuple(ctx.lead) + (w.shape[1],)) if need[0] else None
    gw = g2.t() @ tx.reshape(-1, w.shape[1]) if need[1] else None
    gb = g2.sum(0) if need[2] and ctx.has_bias else None
    return gx, gw, gb


class LinearFn(Function):
    @staticmethod
    def forward(ctx, x, w, b):
        ctx.bf16 = bf16 = _entered[0] > 0 and _bf16_on()
        y, x2, w = _linear_arrays(x, w, b, bf16)
        ctx.save_for_backward(x2, w)
        ctx.lead = x.shape[:-1]
        ctx.has_bias = b is not None
        return y

    @staticmethod
    def backward(ctx, g):
        x2, w = ctx.saved_tensors
        g2 = f32c(g.reshape(-1, w.shape[0]))
        nx, nw, nb = ctx.needs_input_grad
        # one native call for the three GEMMs (gx = g @ w, gw = g^T @ x, and the bias gradient as a GEMM with a
        # row of ones: one fixed summation order, the one a native training plan reproduces bit for bit)
        # (under autocast, gx and gw are bf16 products as in torch; the bias gradient stays a float32 sum)
        gx, gw, gb = _core.linear_backward(g2, x2, w, nx, nw, nb and ctx.has_bias, ctx.bf16)
        return as_shape(gx, ctx.lead + (w.shape[1],)), gw, gb

    @staticmethod
    def graph_backward(ctx, inputs, g):
        return linear_graph_grad(ctx, inputs, g)


class LinearReluFn(Function):
    """``relu(x @ w.T + b)`` as one node: the ReLU kernel runs on the GEMM's output inside the same ``_core``
    call, and the backward masks the gradient inside ``linear_backward`` (the ReLU backward kernel on the saved
    output, > 0 exactly where the ReLU's input is). Outputs and gradients are LinearFn's then ActivationFn's
    ("relu"), bit for bit, without the second node, its call and its full-size temporaries."""

    @staticmethod
    def forward(ctx, x, w, b):
        x2 = f32c(x if x.ndim == 2 else x.reshape(-1, x.shape[-1]))
        w = f32c(w)
        y = _core.gemm(x2, w, False, True, 1.0, 0.0, None, None, None if b is None else f32c(b), False, False, False,
                       True)
        ctx.save_for_backward(x2, w, y)
        ctx.lead = x.shape[:-1]
        ctx.has_bias = b is not None
        return y if x.ndim == 2 else y.reshape(x.shape[:-1] + (w.shape[0],))

    @staticmethod
    def backward(ctx, g):
        x2, w, y = ctx.saved_tensors
        g2 = f32c(g.reshape(-1, w.shape[0]))
        nx, nw, nb = ctx.needs_input_grad
        gx, gw, gb = _core.linear_backward(g2, x2, w, nx, nw, nb and ctx.has_bias, False, y)
        return as_shape(gx, ctx.lead + (w.shape[1],)), gw, gb

    @staticmethod
    def graph_backward(ctx, inputs, g):
        y = ctx.saved_tensors[2]
        return linear_graph_grad(ctx, inputs, where(const(y.reshape(g.shape) > 0), g, 0.0))


def _linear_relu(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Optional[Tensor]:
    """``relu(linear(input, weight, bias))`` as one op (LinearReluFn), equal bit for bit, for the common float32
    call outside ``nnengine.compile``'s capture (whose plans keep the two ops), under autocast for inference only
    (no tape); else None (the caller runs the two). Internal: ``nn.Sequential`` calls it where a Linear is
    followed by a ReLU (``nn.modules.linear.linear_relu``)."""
    if not linear_args_ok(input, weight, bias) or recording():
        return None
    bf16 = _entered[0] > 0 and _bf16_on()
    if not will_record(input, weight, bias):  # inference: no tape
        x = input._data
        if bf16:  # (the bf16 product, then the ReLU kernel in the same native call: the bits of the two ops)
            return Tensor._wrap(_linear_arrays(x, weight._data, None if bias is None else bias._data, True, True)[0])
        y = _core.gemm(f32c(x if x.ndim == 2 else x.reshape(-1, x.shape[-1])), f32c(weight._data), False, True, 1.0,
                       0.0, None, None, None if bias is None else f32c(bias._data), False, False, False, True)
        return Tensor._wrap(y if x.ndim == 2 else y.reshape(x.shape[:-1] + (weight.shape[0],)))
    return None if bf16 else LinearReluFn.apply(input, weight, bias)


def linear(input: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """``y = input @ weight.T + bias`` (PyTorch layout: weight is ``(out_features, in_features)``).

    Example:
        >>> x, w, b = ne.ones(2, 3), ne.ones(4, 3), ne.zeros(4)
        >>> linear(x, w, b)
        tensor([[3., 3., 3., 3.],
                [3., 3., 3., 3.]])
    """
    if linear_args_ok(input, weight, bias):
        x, w, b = input, weight, bias  # the common call, already valid: no per-argument checks
    else:
        x, w, b = _checked_linear_args(input, weight, bias)
        if is_f64(x, w, b):
            same_float_dtype("linear", x, w, b)
            return _float64.Linear64Fn.apply(x, w, b)
    if not will_record(x, w, b):
        return Tensor._wrap(_linear_arrays(x._data, w._data, None if b is None else b._data,  # inference: no tape
                                           _entered[0] > 0 and _bf16_on())[0])
    return LinearFn.apply(x, w, b)


def _checked_linear_args(input: Any, weight: Any, bias: Any) -> tuple:
    x = check_tensor(input, "input", float64=True)
    w = check_tensor(weight, "weight", ndim=2, float64=True)
    if x.ndim < 1 or x.shape[-1] != w.shape[1]:
        raise ValueError(f"input: expected last dimension {w.shape[1]} (weight in_features), got shape {x.shape}")
    if bias is not None:
        b = check_tensor(bias, "bias", ndim=1, float64=True)
        if b.shape[0] != w.shape[0]:
            raise ValueError(f"bias: expected shape ({w.shape[0]},), got {b.shape}")
    else:
        b = None
    return x, w, b
