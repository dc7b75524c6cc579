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

from .tensor import Tensor, _as_array


def _coef(name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {type(v).__name__}")
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name}: expected a finite coefficient >= 0, got {v!r}")
    return float(v)


def _tensor(w: Any) -> Tensor:
    return w if isinstance(w, Tensor) else Tensor(w)


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
        w = _tensor(w)
        total = Tensor(np.zeros((), np.float32))
        if self.l1:
            if self.proximal:
                total = total + Tensor(np.float32(self.l1 * np.abs(_as_array(w)).sum(dtype=np.float64)))
            else:
                total = total + self.l1 * w.abs().sum()
        if self.l2:
            total = total + self.l2 * (w * w).sum()
        return total

    def prox(self, w: np.ndarray, lr: float) -> None:
        if self.proximal and self.l1 and lr > 0:
            t = np.float32(lr * self.l1)
            np.copyto(w, np.sign(w) * np.maximum(np.abs(w) - t, np.float32(0)))

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

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2"]
