"""Fully connected layers (torch's ``nn.modules.linear``): ``Linear`` and ``Identity``."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ... import functional as F
from ...tensor import Tensor
from .. import init
from ..module import Module, check_factory_kwargs
from ..parameter import Parameter
from .activation import ReLU


def _check_size(v: Any, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{name}: expected an int, got {type(v).__name__}")
    if v < 0:
        raise ValueError(f"{name}: expected a non-negative int, got {v}")
    return int(v)


def attach(p: Optional[Parameter], regularizer: Any = None, constraint: Any = None) -> None:
    """Attach a Keras-style regularizer / constraint to a parameter (no-op for None).

    Example:
        >>> w = nn.Parameter(ne.ones(2))
        >>> attach(w, regularizer=ne.regularizers.L2(0.5))
        >>> w.regularizer(w)
        tensor(1., requires_grad=True)
    """
    if p is None:
        return
    if regularizer is not None and not callable(regularizer):
        raise TypeError(f"regularizer: expected a callable, got {type(regularizer).__name__}")
    if constraint is not None and not callable(constraint):
        raise TypeError(f"constraint: expected a callable, got {type(constraint).__name__}")
    p.regularizer = regularizer
    p.constraint = constraint


class Linear(Module):
    """``y = x @ weight.T + bias`` with weight ``(out_features, in_features)`` (PyTorch layout and init).

    Keras conveniences: ``weight_regularizer=L2(1e-4)``, ``weight_constraint=MaxNorm(3)`` (and bias_*).

    Example:
        >>> fc = Linear(784, 10)
        >>> fc(ne.randn(32, 784)).shape
        (32, 10)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None,
                 *, weight_regularizer: Any = None, bias_regularizer: Any = None, weight_constraint: Any = None,
                 bias_constraint: Any = None) -> None:
        super().__init__()
        check_factory_kwargs(device, dtype, "Linear")
        self.in_features = _check_size(in_features, "in_features")
        self.out_features = _check_size(out_features, "out_features")
        self.weight = Parameter.new(self.out_features, self.in_features)
        self.bias = Parameter.new(self.out_features) if bias else None
        if not bias:
            self.register_parameter("bias", None)
        self.reset_parameters()
        attach(self.weight, weight_regularizer, weight_constraint)
        attach(self.bias, bias_regularizer, bias_constraint)

    def reset_parameters(self) -> None:
        """Re-draw the weights and bias with PyTorch's default init (kaiming_uniform_, a=sqrt(5)).

        Example:
            >>> fc = Linear(3, 2)
            >>> fc.reset_parameters(); fc.weight.shape
            (2, 3)
        """
        if self.in_features > 0:
            init.default_layer_init_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        p = self._parameters  # direct: Module.__getattr__ costs ~1 us per parameter on a small layer
        try:
            return F.linear(input, p["weight"], p["bias"])
        except KeyError:  # weight/bias re-assigned as plain attributes
            return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


_HOOKS = ("_forward_pre_hooks", "_forward_hooks", "_backward_hooks")


def linear_relu(linear: Module, relu: Optional[Module], x: Any) -> Optional[Tensor]:
    """``relu(linear(x))`` as one fused node (``F._linear_relu``) when nothing can tell the difference, else None
    (the caller runs the two layers): exactly ``nn.Linear`` (its weight and bias registered parameters) and
    ``nn.ReLU`` (not in place; None: ``F.relu`` called by the caller's own forward), neither with hooks, on a
    float32 input. The Linear's output is then never seen, and outputs and gradients are the same bits.

    Example:
        >>> linear_relu(nn.Linear(3, 2), nn.ReLU(), ne.ones(4, 3)).shape
        (4, 2)
        >>> linear_relu(nn.Linear(3, 2), nn.ReLU(inplace=True), ne.ones(4, 3)) is None
        True
    """
    if type(linear) is not Linear or (relu is not None and (type(relu) is not ReLU or relu.inplace)):
        return None
    for m in (linear,) if relu is None else (linear, relu):
        d = m.__dict__
        if d.get(_HOOKS[0]) or d.get(_HOOKS[1]) or d.get(_HOOKS[2]):
            return None
    p = linear._parameters
    w, b = p.get("weight", _MISSING), p.get("bias", _MISSING)
    if w is _MISSING or b is _MISSING or "weight" in linear.__dict__ or "bias" in linear.__dict__:
        return None
    return F._linear_relu(x, w, b)


_MISSING = object()


class Identity(Module):
    """Returns its input unchanged.

    Example:
        >>> Identity(54, unused="ignored")(ne.ones(2))
        tensor([1., 1.])
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Bilinear(Module):
    """``y = x1^T A x2 + b`` with weight ``(out_features, in1_features, in2_features)``, torch's layout and
    init (U(-1/sqrt(in1_features), 1/sqrt(in1_features)) for weight and bias).

    Example:
        >>> m = Bilinear(3, 4, 5)
        >>> m(ne.randn(8, 3), ne.randn(8, 4)).shape, m.weight.shape
        ((8, 5), (5, 3, 4))
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        check_factory_kwargs(device, dtype, "Bilinear")
        self.in1_features = _check_size(in1_features, "in1_features")
        self.in2_features = _check_size(in2_features, "in2_features")
        self.out_features = _check_size(out_features, "out_features")
        self.weight = Parameter.new(self.out_features, self.in1_features, self.in2_features)
        if bias:
            self.bias = Parameter.new(self.out_features)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw weight and bias from U(-1/sqrt(in1_features), 1/sqrt(in1_features)), torch's init.

        Example:
            >>> m = Bilinear(4, 2, 1); m.reset_parameters(); bool((m.weight.abs() <= 0.5).all())
            True
        """
        bound = 1.0 / self.in1_features ** 0.5 if self.in1_features > 0 else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
