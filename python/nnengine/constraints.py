"""Weight constraints with Keras semantics, enforced by ``optimizer.step()`` after every update.

Attach with ``p.constraint = MaxNorm(3.0)`` or a layer's ``weight_constraint=`` argument. A constraint
is a callable that rewrites a weight in place (a Parameter, Tensor or numpy array) and returns it.
MaxNorm, UnitNorm and NonNeg on float32 weights run in C++ (``_core.optim_epilogue``, cpp/kernels/optim.h):
``optimizer.step()`` applies every parameter's proximal L1 step and constraint in one native call after
the update; float64 weights and reductions over non-adjacent axes take the numpy formulas below.
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

from . import _core
from ._coerce import array_data

EPSILON = 1e-7  # Keras' backend epsilon, used exactly as Keras does

Axis = Optional[Union[int, Sequence[int]]]
View = Tuple[int, int, int]
# the constraint kinds of cpp/kernels/optim.h (ConstraintKind), by the names the binding takes
KIND_NONE, KIND_MAX_NORM, KIND_UNIT_NORM, KIND_NON_NEG = "none", "max_norm", "unit_norm", "non_neg"


def _axes(a: np.ndarray, axis: Axis) -> Tuple[int, ...]:
    if axis is None:
        return tuple(range(1, a.ndim)) if a.ndim > 1 else (0,)
    ax = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    for x in ax:
        if not -a.ndim <= x < a.ndim:
            raise ValueError(f"axis: {x} is out of range for a weight of shape {a.shape}")
    return ax


def _norms(a: np.ndarray, axis: Axis) -> np.ndarray:
    """The L2 norms of ``a`` over the constraint's axes (kept as size-1 dims): the numpy path of MaxNorm and
    UnitNorm."""
    return np.sqrt(np.sum(np.square(a), axis=_axes(a, axis), keepdims=True))


def _view(a: np.ndarray, axes: Tuple[int, ...]) -> Optional[View]:
    """``(outer, red, inner)`` of ``a`` when the reduced axes are adjacent (None otherwise)."""
    if a.ndim == 0:
        return None
    ax = sorted(x % a.ndim for x in axes)
    if len(set(ax)) != len(ax) or ax[-1] - ax[0] != len(ax) - 1:
        return None
    sh = a.shape
    return (int(np.prod(sh[:ax[0]])), int(np.prod(sh[ax[0]:ax[-1] + 1])), int(np.prod(sh[ax[-1] + 1:])))


def _native(a: np.ndarray) -> bool:
    return a.dtype == np.float32 and a.flags.c_contiguous and a.flags.writeable and a.flags.aligned


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

    def epilogue_spec(self, a: np.ndarray) -> Optional[Tuple[View, str, float]]:
        """``(view, kind, max_value)`` for ``_core.optim_epilogue`` when this constraint runs natively on the
        float32 array ``a``, else None (custom constraints, float64, non-adjacent axes): ``optimizer.step()``
        then calls the constraint from Python.

        Example:
            >>> MaxNorm(3.0).epilogue_spec(np.zeros((4, 5), np.float32))
            ((4, 5, 1), 'max_norm', 3.0)
        """
        return None

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
        a = array_data(w)
        if _run_native(self, a):
            return w
        norms = _norms(a, self.axis)
        desired = np.clip(norms, 0, self.max_value)
        a *= (desired / (np.float32(EPSILON) + norms)).astype(a.dtype, copy=False)
        return w

    def epilogue_spec(self, a: np.ndarray) -> Optional[Tuple[View, str, float]]:
        """See ``Constraint.epilogue_spec``.

        Example:
            >>> MaxNorm(2.0, axis=0).epilogue_spec(np.zeros((4, 5), np.float32))
            ((1, 4, 5), 'max_norm', 2.0)
        """
        return _norm_spec(self, a, KIND_MAX_NORM, MaxNorm, self.max_value)

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
        a = array_data(w)
        if not _run_native(self, a):
            np.maximum(a, 0, out=a)
        return w

    def epilogue_spec(self, a: np.ndarray) -> Optional[Tuple[View, str, float]]:
        """See ``Constraint.epilogue_spec``.

        Example:
            >>> NonNeg().epilogue_spec(np.zeros((4, 5), np.float32))
            ((1, 20, 1), 'non_neg', 0.0)
        """
        if type(self).__call__ is not NonNeg.__call__ or not _native(a):
            return None
        return (1, a.size, 1), KIND_NON_NEG, 0.0


class UnitNorm(Constraint):
    """Rescales each output unit's incoming weights to unit L2 norm: ``w / (EPSILON + ||w[i]||)``.

    Example:
        >>> UnitNorm()(np.array([[3.0, 4.0]], np.float32))
        array([[0.6, 0.8]], dtype=float32)
    """

    def __init__(self, axis: Axis = None) -> None:
        self.axis = axis

    def __call__(self, w: Any) -> Any:
        a = array_data(w)
        if _run_native(self, a):
            return w
        norms = _norms(a, self.axis)
        a /= np.float32(EPSILON) + norms
        return w

    def epilogue_spec(self, a: np.ndarray) -> Optional[Tuple[View, str, float]]:
        """See ``Constraint.epilogue_spec``.

        Example:
            >>> UnitNorm().epilogue_spec(np.zeros((4, 5, 3), np.float32))
            ((4, 15, 1), 'unit_norm', 0.0)
        """
        return _norm_spec(self, a, KIND_UNIT_NORM, UnitNorm, 0.0)

    def get_config(self) -> Dict[str, Any]:
        """The constructor arguments (Keras' ``get_config``).

        Example:
            >>> UnitNorm().get_config()
            {'axis': None}
        """
        return {"axis": self.axis}


def _norm_spec(con: Any, a: np.ndarray, kind: str, cls: type, max_value: float) -> Optional[Tuple[View, str, float]]:
    if type(con).__call__ is not cls.__call__ or not _native(a):
        return None
    view = _view(a, _axes(a, con.axis))
    return None if view is None else (view, kind, max_value)


def _run_native(con: Constraint, a: np.ndarray) -> bool:
    """Applies ``con`` to ``a`` through ``_core.optim_epilogue`` if it can; False if it cannot."""
    spec = con.epilogue_spec(a)
    if spec is None:
        return False
    view, kind, max_value = spec
    _core.optim_epilogue([a], [view], [0.0], [kind], [max_value])
    return True


max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm

__all__ = ["Constraint", "MaxNorm", "NonNeg", "UnitNorm", "max_norm", "non_neg", "unit_norm", "EPSILON"]
