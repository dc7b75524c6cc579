"""Weight constraints with Keras semantics, enforced by ``optimizer.step()`` after every update.

Attach with ``p.constraint = MaxNorm(3.0)`` or a layer's ``weight_constraint=`` argument. A constraint
is a callable that rewrites a weight in place (a Parameter, Tensor or numpy array) and returns it.
"Per output unit" means each slice ``w[i]`` of PyTorch's ``(out, in, ...)`` layout, so the default
reduction axes are all but the first (Keras' ``axis=0`` for its ``(in, out)`` Dense kernels).

Example:
    >>> from nnengine.constraints import MaxNorm
    >>> layer = nn.Linear(4, 2)
    >>> layer.weight.constraint = MaxNorm(2.0)  # ||w[i]||_2 <= 2 after each optimizer step
"""

from __future__ import annotations

import numbers
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import numpy as np

from .tensor import Tensor

EPSILON = 1e-7  # Keras' backend epsilon, used exactly as Keras does

Axis = Optional[Union[int, Sequence[int]]]


def _array(w: Any) -> np.ndarray:
    a = w.data if isinstance(w, Tensor) else w
    if not isinstance(a, np.ndarray):
        raise TypeError(f"w: expected a Tensor or numpy array, got {type(w).__name__}")
    return a


def _axes(a: np.ndarray, axis: Axis) -> Tuple[int, ...]:
    if axis is None:
        return tuple(range(1, a.ndim)) if a.ndim > 1 else (0,)
    ax = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    for x in ax:
        if not -a.ndim <= x < a.ndim:
            raise ValueError(f"axis: {x} is out of range for a weight of shape {a.shape}")
    return ax


class Constraint:
    """Base class: ``__call__(w)`` projects ``w`` in place and returns it.

    Example:
        >>> class Clip1(Constraint):
        ...     def __call__(self, w):
        ...         np.clip(w, -1, 1, out=w)
        ...         return w
        >>> Clip1()(np.array([3.0, -0.5]))
        array([ 1. , -0.5])
    """

    def __call__(self, w: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self) -> Dict[str, Any]:
        """The constructor arguments (Keras' ``get_config``).

        Example:
            >>> MaxNorm(3.0).get_config()
            {'max_value': 3.0, 'axis': None}
        """
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + ", ".join(f"{k}={v}" for k, v in self.get_config().items()) + ")"


class MaxNorm(Constraint):
    """Caps the L2 norm of each output unit's incoming weights at ``max_value``:
    ``w <- w * clip(n, 0, max_value) / (EPSILON + n)``, ``n = ||w[i]||_2`` (Keras MaxNorm).
    ``axis=None`` reduces over all axes but the first (PyTorch's ``(out, in, ...)`` layout; a 1-D
    weight is treated as one vector).

    Example:
        >>> w = np.array([[3.0, 4.0], [0.3, 0.4]], np.float32)
        >>> MaxNorm(1.0)(w).round(4)  # the first row had norm 5, the second 0.5
        array([[0.6, 0.8],
               [0.3, 0.4]], dtype=float32)
    """

    def __init__(self, max_value: float = 2.0, axis: Axis = None) -> None:
        if isinstance(max_value, bool) or not isinstance(max_value, numbers.Real) or not max_value > 0:
            raise ValueError(f"max_value: expected a number > 0, got {max_value!r}")
        self.max_value = float(max_value)
        self.axis = axis

    def __call__(self, w: Any) -> Any:
        a = _array(w)
        norms = np.sqrt(np.sum(np.square(a), axis=_axes(a, self.axis), keepdims=True))
        desired = np.clip(norms, 0, self.max_value)
        a *= (desired / (np.float32(EPSILON) + norms)).astype(a.dtype, copy=False)
        return w

    def get_config(self) -> Dict[str, Any]:
        """The constructor arguments (Keras' ``get_config``).

        Example:
            >>> MaxNorm(3.0).get_config()
            {'max_value': 3.0, 'axis': None}
        """
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Clamps weights to be >= 0 (Keras NonNeg).

    Example:
        >>> NonNeg()(np.array([-1.0, 2.0]))
        array([0., 2.])
    """

    def __call__(self, w: Any) -> Any:
        a = _array(w)
        np.maximum(a, 0, out=a)
        return w


class UnitNorm(Constraint):
    """Rescales each output unit's incoming weights to unit L2 norm: ``w / (EPSILON + ||w[i]||)``.

    Example:
        >>> UnitNorm()(np.array([[3.0, 4.0]], np.float32))
        array([[0.6, 0.8]], dtype=float32)
    """

    def __init__(self, axis: Axis = None) -> None:
        self.axis = axis

    def __call__(self, w: Any) -> Any:
        a = _array(w)
        norms = np.sqrt(np.sum(np.square(a), axis=_axes(a, self.axis), keepdims=True))
        a /= np.float32(EPSILON) + norms
        return w

    def get_config(self) -> Dict[str, Any]:
        """The constructor arguments (Keras' ``get_config``).

        Example:
            >>> UnitNorm().get_config()
            {'axis': None}
        """
        return {"axis": self.axis}


max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm

__all__ = ["Constraint", "MaxNorm", "NonNeg", "UnitNorm", "max_norm", "non_neg", "unit_norm", "EPSILON"]
