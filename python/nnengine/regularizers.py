"""Weight regularizers with Keras semantics: ``L1(l)``, ``L2(l)``, ``L1L2(l1, l2)``.

A regularizer is a callable on a weight Tensor returning a 0-d differentiable Tensor
(``l * sum|w|``, ``l * sum w^2``). Attach one to a parameter (``p.regularizer = L2(1e-4)``) or a layer
(``nn.Linear(4, 2, weight_regularizer=L2(1e-4))``) and add ``model.regularization_loss()`` to the loss.

Exact zeros: the subgradient of ``|w|`` makes SGD oscillate around 0, never landing on it (Keras
behaves the same). ``L1(l, proximal=True)`` instead applies the L1 proximal operator (soft
thresholding, ``w <- sign(w) * max(|w| - lr*l, 0)``) inside ``optimizer.step()`` after each update,
which drives weights to exact zeros (proximal gradient descent / ISTA); its ``__call__`` then returns
the penalty's value as a constant (no gradient), so the loss reports it without counting it twice.
The threshold uses the group's plain ``lr``: exact for SGD; with Adam/RMSprop/Adagrad, whose
per-coordinate steps are rescaled, it is a weaker heuristic that yields few exact zeros.

On float32 weights the penalty is one tape node on a C++ kernel pair (``_core.weight_penalty_forward`` /
``_backward``, sums in double) and the proximal step runs in C++ with the constraints
(``_core.optim_epilogue``, one call per optimizer step); float64 weights take the same formulas in numpy.

Example:
    >>> from nnengine.regularizers import L2
    >>> model = nn.Linear(4, 2)
    >>> model.weight.regularizer = L2(1e-4)
    >>> loss = model(ne.randn(3, 4)).pow(2).mean() + model.regularization_loss()
"""

from __future__ import annotations

import numbers
from typing import Any, Dict

import numpy as np

from . import _core
from ._coerce import as_array, wrap_tensor
from .autograd import Function
from .constraints import KIND_NONE
from .ops import f32c
from .tensor import Tensor


def _coef(name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {type(v).__name__}")
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name}: expected a finite coefficient >= 0, got {v!r}")
    return float(v)


def _sums(w: np.ndarray) -> tuple:
    """(sum |w|, sum w^2) in double: the C++ kernel for float32, numpy for float64."""
    if w.dtype == np.float64:
        return float(np.abs(w).sum()), float(np.vdot(w, w).real)
    return _core.weight_penalty_forward(w)


class WeightPenaltyFn(Function):
    """``l1 * sum|w| + l2 * sum w^2`` as one tape node; ``l1_grad=False`` (proximal L1) leaves the L1 part
    out of the gradient. Float32 weights run on the weight_penalty kernel pair (cpp/kernels/optim.h).

    Example:
        >>> w = nn.Parameter(ne.tensor([-1.0, 2.0]))
        >>> v = WeightPenaltyFn.apply(w, 0.5, 0.5, True); v.backward(); v, w.grad
        (tensor(4., requires_grad=True), array([-1.5,  2.5], dtype=float32))
    """

    @staticmethod
    def forward(ctx: Any, w: np.ndarray, l1: float, l2: float, l1_grad: bool) -> np.ndarray:
        w = w if w.dtype == np.float64 else f32c(w)
        s_abs, s_sq = _sums(w)
        ctx.save_for_backward(w)
        ctx.coefs = (l1 if l1_grad else 0.0, l2)
        return np.asarray(l1 * s_abs + l2 * s_sq, dtype=w.dtype)

    @staticmethod
    def backward(ctx: Any, g: Any) -> tuple:
        (w,) = ctx.saved_tensors
        l1, l2 = ctx.coefs
        go = float(np.asarray(g).reshape(()))
        if w.dtype == np.float64:
            gw = (go * l1) * np.sign(w) + (2.0 * go * l2) * w
        else:
            gw = _core.weight_penalty_backward(w, go * l1, 2.0 * go * l2)
        return gw, None, None, None


class Regularizer:
    """Base class: ``__call__(w) -> 0-d Tensor``; ``prox(w_array, lr)`` (optional, in place).

    Example:
        >>> class Abs3(Regularizer):
        ...     def __call__(self, w):
        ...         return 3 * w.abs().sum()
        >>> Abs3()(ne.tensor([-1.0, 2.0]))
        tensor(9.)
    """

    def __call__(self, w: Tensor) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def prox(self, w: np.ndarray, lr: float) -> None:
        """Proximal step applied by the optimizer after each update (no-op unless proximal).

        Example:
            >>> w = np.array([0.3, -0.05], np.float32)
            >>> L1(0.1, proximal=True).prox(w, lr=1.0); w
            array([ 0.20000002, -0.        ], dtype=float32)
        """

    def get_config(self) -> Dict[str, Any]:
        """The constructor arguments (Keras' ``get_config``).

        Example:
            >>> L1L2(0.1, 0.2).get_config()
            {'l1': 0.1, 'l2': 0.2, 'proximal': False}
        """
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """``l1 * sum|w| + l2 * sum w^2`` (Keras ``L1L2``); ``proximal=True`` handles the L1 part by soft
    thresholding in the optimizer step (exact zeros) instead of through the gradient.

    Example:
        >>> L1L2(l1=0.5, l2=0.5)(ne.tensor([-1.0, 2.0]))
        tensor(4.)
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0, proximal: bool = False) -> None:
        self.l1 = _coef("l1", l1)
        self.l2 = _coef("l2", l2)
        self.proximal = bool(proximal)

    def __call__(self, w: Any) -> Tensor:
        w = wrap_tensor(w)
        if self.l2 or (self.l1 and not self.proximal):
            return WeightPenaltyFn.apply(w, self.l1, self.l2, not self.proximal)
        if self.l1:  # proximal L1 alone: the value as a constant (the prox step does the work)
            a = as_array(w)
            a = a if a.dtype == np.float64 else f32c(a)
            return Tensor(np.float32(self.l1 * _sums(a)[0]))
        return Tensor(np.zeros((), np.float32))

    def prox_threshold(self, lr: float) -> float:
        """The soft threshold ``lr * l1`` the proximal step applies (0.0 when not proximal).

        Example:
            >>> L1(0.1, proximal=True).prox_threshold(0.5)
            0.05
        """
        return float(lr * self.l1) if self.proximal and self.l1 and lr > 0 else 0.0

    def prox(self, w: np.ndarray, lr: float) -> None:
        t = self.prox_threshold(lr)
        if not t:
            return
        if w.dtype == np.float32 and w.flags.c_contiguous and w.flags.writeable and w.flags.aligned:
            _core.optim_epilogue([w], [(1, w.size, 1)], [t], [KIND_NONE], [0.0])
        else:
            t = np.float32(t)
            np.copyto(w, np.sign(w) * np.maximum(np.abs(w) - t, w.dtype.type(0)))

    def get_config(self) -> Dict[str, Any]:
        """The constructor arguments (Keras' ``get_config``).

        Example:
            >>> L1L2(0.1, 0.2).get_config()
            {'l1': 0.1, 'l2': 0.2, 'proximal': False}
        """
        return {"l1": self.l1, "l2": self.l2, "proximal": self.proximal}


class L1(L1L2):
    """``l1 * sum|w|`` (Keras ``L1``); ``proximal=True`` gives exact zeros (see the module docstring).

    Example:
        >>> L1(0.5)(ne.tensor([-1.0, 2.0]))
        tensor(1.5)
    """

    def __init__(self, l1: float = 0.01, proximal: bool = False) -> None:
        super().__init__(l1=l1, l2=0.0, proximal=proximal)

    def get_config(self) -> Dict[str, Any]:
        """The constructor arguments (Keras' ``get_config``).

        Example:
            >>> L1(0.5).get_config()
            {'l1': 0.5, 'proximal': False}
        """
        return {"l1": self.l1, "proximal": self.proximal}


class L2(L1L2):
    """``l2 * sum w^2`` (Keras ``L2``; note: twice the gradient of PyTorch's ``weight_decay=l2``).

    Example:
        >>> L2(0.5)(ne.tensor([-1.0, 2.0]))
        tensor(2.5)
    """

    def __init__(self, l2: float = 0.01) -> None:
        super().__init__(l1=0.0, l2=l2)

    def get_config(self) -> Dict[str, Any]:
        """The constructor arguments (Keras' ``get_config``).

        Example:
            >>> L2(0.5).get_config()
            {'l2': 0.5}
        """
        return {"l2": self.l2}


l1 = L1
l2 = L2
l1_l2 = L1L2

__all__ = ["Regularizer", "L1", "L2", "L1L2", "WeightPenaltyFn", "l1", "l2", "l1_l2"]
