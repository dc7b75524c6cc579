"""torch's elementwise math, fused multiply-adds (``addmm``, ``addcmul``, ``lerp``...), products (``mv``,
``kron``, ``tensordot``, ``cross``, ``cdist``) and cumulative/NaN-aware reductions that nnengine's core Tensor
lacked.

One function per op, its first argument the tensor (``_tensor_api`` attaches the names in
``TENSOR_METHODS`` to ``Tensor``). Integer inputs of float-valued ops compute in float32, as torch. Elementwise
binary ops broadcast; their ``Function``s return full-shape gradients and the tape sums them back.

Example:
    >>> ne.atan2(ne.tensor([1.0]), ne.tensor([1.0])), ne.tensor([1.0, 2.0]).lerp(ne.tensor([3.0, 4.0]), 0.5)
    (tensor([0.7854]), tensor([2., 3.]))
"""

from __future__ import annotations

import builtins
import math
import numbers
from collections import namedtuple
from typing import Any, Optional, Tuple

import numpy as np

from . import ops
from ._coerce import as_array, ensure_tensor
from .autograd import Function
from .tensor import (
    Tensor,
    _dim,
    _IndexError,
    _InputError,
    _int_divisor,
    _nonempty,
    result_type,
    stack,
    tensor,
)

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_I64 = np.dtype(np.int64)


def _t(x: Any) -> Tensor:
    return ensure_tensor(x)


def _float_pair(a: Any, b: Any) -> Tuple[Tensor, Tensor]:
    """``a`` and ``b`` as Tensors of their promoted floating dtype (integers -> float32, as torch)."""
    dt = result_type(a, b)
    if dt.kind != "f":
        dt = _F32
    ta = a._cast(dt) if isinstance(a, Tensor) else Tensor._wrap(np.asarray(as_array(a), dt))
    tb = b._cast(dt) if isinstance(b, Tensor) else Tensor._wrap(np.asarray(as_array(b), dt))
    return ta, tb


def _fl(x: Any) -> Tensor:
    t = _t(x)
    return t if t.dtype.kind == "f" else t._cast(_F32)


# ------------------------------------------------------------------ elementwise binary
class _BinaryFn(Function):
    """``f(a, b)`` with partial derivatives ``da(a, b, out)``, ``db(a, b, out)``, by name in ``_BINARY``."""

    @staticmethod
    def forward(ctx, a, b, name):
        f = _BINARY[name][0]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = np.asarray(f(a, b)).astype(np.result_type(a, b), copy=False)
        ctx.save_for_backward(a, b, out)
        ctx.name = name
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        _, da, db = _BINARY[ctx.name]
        na, nb = ctx.needs_input_grad[:2]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ga = (g * da(a, b, out)).astype(g.dtype, copy=False) if na else None
            gb = (g * db(a, b, out)).astype(g.dtype, copy=False) if nb else None
        return ga, gb, None


def _xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(y), np.nan, np.where(x == 0, 0, x * np.log(y)))


_BINARY = {
    "atan2": (np.arctan2, lambda a, b, o: b / (a * a + b * b), lambda a, b, o: -a / (a * a + b * b)),
    "hypot": (np.hypot, lambda a, b, o: np.where(o == 0, 0, a / o), lambda a, b, o: np.where(o == 0, 0, b / o)),
    "fmod": (np.fmod, lambda a, b, o: np.ones_like(o), lambda a, b, o: -np.trunc(a / b)),
    "xlogy": (_xlogy, lambda a, b, o: np.log(b), lambda a, b, o: a / b),  # d/dx at x = 0 is log(y), as torch
    "logaddexp": (np.logaddexp, lambda a, b, o: np.exp(a - o), lambda a, b, o: np.exp(b - o)),
    "logaddexp2": (np.logaddexp2, lambda a, b, o: np.exp2(a - o), lambda a, b, o: np.exp2(b - o)),
    "fmax": (np.fmax, lambda a, b, o: (a >= b) | np.isnan(b), lambda a, b, o: ~((a >= b) | np.isnan(b))),
    "fmin": (np.fmin, lambda a, b, o: (a <= b) | np.isnan(b), lambda a, b, o: ~((a <= b) | np.isnan(b))),
    "copysign": (np.copysign, lambda a, b, o: np.where(a == 0, 0, o / np.where(a == 0, 1, a)),
                 lambda a, b, o: np.zeros_like(o)),
}


def _binary(name: str, a: Any, b: Any) -> Tensor:
    ta, tb = _float_pair(a, b)
    return _BinaryFn.apply(ta, tb, name)


def atan2(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The angle of the point ``(other, input)``: ``atan(input / other)`` in the right quadrant.

    Example:
        >>> ne.atan2(ne.tensor([1.0, -1.0]), ne.tensor([-1.0, -1.0]))
        tensor([ 2.3562, -2.3562])
    """
    return _binary("atan2", input, other)


arctan2 = atan2


def hypot(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``sqrt(input**2 + other**2)`` without overflow.

    Example:
        >>> ne.hypot(ne.tensor([3.0]), ne.tensor([4.0]))
        tensor([5.])
    """
    return _binary("hypot", input, other)


def fmod(input: Any, other: Any) -> Tensor:  # noqa: A002
    """C's remainder: the sign of the dividend (``remainder`` takes the divisor's); integers stay integers.

    Example:
        >>> ne.fmod(ne.tensor([-3.0, 3.0]), 2)
        tensor([-1.,  1.])
    """
    dt = result_type(input, other)
    if dt.kind != "f":
        b = as_array(other)
        _int_divisor(dt, b)
        return Tensor._wrap(np.asarray(np.fmod(as_array(input), b)).astype(dt))
    return _binary("fmod", input, other)


def remainder(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Python's modulo: the result has the divisor's sign (``fmod`` takes the dividend's).

    Example:
        >>> ne.tensor([-3.0, 3.0]).remainder(2.0)
        tensor([1., 1.])
    """
    x = input if isinstance(input, Tensor) else tensor(input)
    return x % other


def xlogy(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input * log(other)``, 0 where ``input`` is 0 (NaN where ``other`` is NaN).

    Example:
        >>> ne.xlogy(ne.tensor([0.0, 2.0]), ne.tensor([0.0, 1.0]))
        tensor([0., 0.])
    """
    return _binary("xlogy", input, other)


def logaddexp(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``log(exp(input) + exp(other))``, computed stably.

    Example:
        >>> ne.logaddexp(ne.tensor([0.0]), ne.tensor([0.0]))
        tensor([0.6931])
    """
    return _binary("logaddexp", input, other)


def logaddexp2(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``log2(2**input + 2**other)``, computed stably.

    Example:
        >>> ne.logaddexp2(ne.tensor([1.0]), ne.tensor([1.0]))
        tensor([2.])
    """
    return _binary("logaddexp2", input, other)


def fmax(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Elementwise maximum that ignores NaN (NaN only where both are NaN).

    Example:
        >>> ne.fmax(ne.tensor([1.0, float("nan")]), ne.tensor([2.0, 0.0]))
        tensor([2., 0.])
    """
    if result_type(input, other).kind != "f":
        return Tensor._wrap(np.asarray(np.fmax(as_array(input), as_array(other))).astype(result_type(input, other)))
    return _binary("fmax", input, other)


def fmin(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Elementwise minimum that ignores NaN (NaN only where both are NaN).

    Example:
        >>> ne.fmin(ne.tensor([1.0, float("nan")]), ne.tensor([2.0, 0.0]))
        tensor([1., 0.])
    """
    if result_type(input, other).kind != "f":
        return Tensor._wrap(np.asarray(np.fmin(as_array(input), as_array(other))).astype(result_type(input, other)))
    return _binary("fmin", input, other)


def copysign(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``|input|`` with the sign of ``other`` (float result).

    Example:
        >>> ne.copysign(ne.tensor([1.0, 2.0]), ne.tensor([-1.0, 1.0]))
        tensor([-1.,  2.])
    """
    return _binary("copysign", input, other)


def float_power(input: Any, exponent: Any) -> Tensor:  # noqa: A002
    """``input ** exponent`` computed in float64 (torch's rule), differentiable.

    Example:
        >>> ne.float_power(ne.tensor([2, 3]), 2).dtype
        dtype('float64')
    """
    x = _t(input)._cast(_F64)
    e = exponent._cast(_F64) if isinstance(exponent, Tensor) else exponent
    return x ** e


def ldexp(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input * 2**other`` (float result).

    Example:
        >>> ne.ldexp(ne.tensor([1.0]), ne.tensor([3]))
        tensor([8.])
    """
    a, b = _float_pair(input, other)
    return a * b.exp2()


def heaviside(input: Any, values: Any) -> Tensor:  # noqa: A002
    """The step function: 0 for negative ``input``, 1 for positive, ``values`` where ``input`` is 0.

    Example:
        >>> ne.heaviside(ne.tensor([-1.0, 0.0, 2.0]), ne.tensor([0.5]))
        tensor([0. , 0.5, 1. ])
    """
    a, v = as_array(input), as_array(values)
    if a.dtype != v.dtype and isinstance(values, Tensor):
        raise _InputError(f"heaviside is not yet implemented for tensors with different dtypes: {a.dtype} and {v.dtype}")
    return Tensor._wrap(np.asarray(np.heaviside(a, v)).astype(result_type(input, values)))


def _int_binary(f: Any, name: str, input: Any, other: Any) -> Tensor:  # noqa: A002
    a, b = as_array(input), as_array(other)
    if a.dtype.kind not in "iu" or b.dtype.kind not in "iu":
        raise _InputError(f"{name}: expected integer tensors, got {a.dtype} and {b.dtype}")
    return Tensor._wrap(np.asarray(f(a, b)).astype(result_type(input, other)))


def gcd(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Greatest common divisor of integer tensors.

    Example:
        >>> ne.gcd(ne.tensor([4, 6]), ne.tensor([6, 9]))
        tensor([2, 3])
    """
    return _int_binary(np.gcd, "gcd", input, other)


def lcm(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Least common multiple of integer tensors.

    Example:
        >>> ne.lcm(ne.tensor([4, 6]), ne.tensor([6, 9]))
        tensor([12, 18])
    """
    return _int_binary(np.lcm, "lcm", input, other)


def logical_xor(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Elementwise exclusive or (bool).

    Example:
        >>> ne.logical_xor(ne.tensor([True, False]), ne.tensor([True, True]))
        tensor([False,  True])
    """
    return Tensor._wrap(np.asarray(np.logical_xor(as_array(input), as_array(other))))


def isclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:  # noqa: A002
    """``|input - other| <= atol + rtol * |other|`` elementwise (bool).

    Example:
        >>> ne.tensor([1.0, 2.0]).isclose(ne.tensor([1.0, 2.1]))
        tensor([ True, False])
    """
    return Tensor._wrap(np.asarray(np.isclose(as_array(input), as_array(other), rtol, atol, equal_nan)))


# ------------------------------------------------------------------ elementwise unary
def _digamma(x: np.ndarray) -> np.ndarray:
    try:
        from scipy.special import digamma as f

        return np.asarray(f(x))
    except ImportError:  # pragma: no cover - scipy is a test dependency
        return _psi(np.asarray(x, np.float64), 0).astype(x.dtype)


def _psi(x: np.ndarray, order: int) -> np.ndarray:  # pragma: no cover - the fallback without scipy
    """digamma (order 0) / trigamma (order 1): recurrence up to x >= 6, then the asymptotic series;
    reflection for x < 0.5."""
    refl = x < 0.5
    xr = np.where(refl, 1 - x, x)
    acc = np.zeros_like(xr)
    while np.any(xr < 6):
        m = xr < 6
        acc = acc + np.where(m, (1 / xr if order == 0 else 1 / (xr * xr)), 0)
        xr = np.where(m, xr + 1, xr)
    i2 = 1 / (xr * xr)
    if order == 0:
        v = np.log(xr) - 0.5 / xr - i2 * (1 / 12 - i2 * (1 / 120 - i2 * (1 / 252 - i2 / 240))) - acc
        return np.where(refl, v - np.pi / np.tan(np.pi * x), v)
    v = 1 / xr + i2 / 2 + i2 / xr * (1 / 6 - i2 * (1 / 30 - i2 * (1 / 42 - i2 / 30))) + acc
    return np.where(refl, (np.pi / np.sin(np.pi * x)) ** 2 - v, v)


def _trigamma(x: np.ndarray) -> np.ndarray:
    try:
        from scipy.special import polygamma

        return np.asarray(polygamma(1, x))
    except ImportError:  # pragma: no cover
        return _psi(np.asarray(x, np.float64), 1).astype(x.dtype)


def _lgamma(x: np.ndarray) -> np.ndarray:
    try:
        from scipy.special import gammaln

        return np.asarray(gammaln(x))
    except ImportError:  # pragma: no cover
        return np.vectorize(math.lgamma, otypes=[np.float64])(x).astype(x.dtype)


def _erfc(x: np.ndarray) -> np.ndarray:
    try:
        from scipy.special import erfc

        return np.asarray(erfc(x))
    except ImportError:  # pragma: no cover
        return np.vectorize(math.erfc, otypes=[np.float64])(x).astype(x.dtype)


def _erfinv(y: np.ndarray) -> np.ndarray:
    try:
        from scipy.special import erfinv

        return np.asarray(erfinv(y))
    except ImportError:  # pragma: no cover - Giles' approximation, two Newton steps on erf
        yd = np.asarray(y, np.float64)
        w = -np.log((1 - yd) * (1 + yd))
        x = yd * np.where(w < 5, 1.50140941 + 0.246640727 * (w - 2.5), 2.83297682 + 1.00167406 * (np.sqrt(w) - 3))
        for _ in builtins.range(2):
            x = x - (np.vectorize(math.erf)(x) - yd) / (2 / np.sqrt(np.pi) * np.exp(-x * x))
        return np.where(np.abs(yd) == 1, np.sign(yd) * np.inf, x).astype(y.dtype)


def _sinc(a: np.ndarray) -> np.ndarray:
    return np.sinc(a)


def _dsinc(a: np.ndarray, o: np.ndarray) -> np.ndarray:
    pa = np.pi * a
    safe = np.where(a == 0, 1, a)
    return np.where(a == 0, 0, (np.cos(pa) * np.pi * a - np.sin(pa)) / (np.pi * safe * safe))


_UNARY = {
    "frac": (lambda a: a - np.trunc(a), lambda a, o: np.ones_like(a)),
    "sinc": (_sinc, _dsinc),
    "erfc": (_erfc, lambda a, o: -(2 / np.sqrt(np.pi)) * np.exp(-a * a)),
    "erfinv": (_erfinv, lambda a, o: (np.sqrt(np.pi) / 2) * np.exp(o * o)),
    "lgamma": (_lgamma, lambda a, o: _digamma(a)),
    "digamma": (_digamma, lambda a, o: _trigamma(a)),
    "asinh": (np.arcsinh, lambda a, o: 1 / np.sqrt(a * a + 1)),
    "acosh": (np.arccosh, lambda a, o: 1 / np.sqrt(a * a - 1)),
    "atanh": (np.arctanh, lambda a, o: 1 / (1 - a * a)),
}
ops._UNARY.update(_UNARY)  # ops.UnaryFn computes them by name


def _unary(name: str, x: Any) -> Tensor:
    return ops.UnaryFn.apply(_fl(x), name)


def frac(input: Any) -> Tensor:  # noqa: A002
    """The fractional part ``x - trunc(x)`` (sign of ``x``).

    Example:
        >>> ne.frac(ne.tensor([1.5, -2.25]))
        tensor([ 0.5 , -0.25])
    """
    return _unary("frac", input)


def sinc(input: Any) -> Tensor:  # noqa: A002
    """The normalized sinc ``sin(pi x) / (pi x)`` (1 at 0).

    Example:
        >>> ne.sinc(ne.tensor([0.0, 0.5]))
        tensor([1.    , 0.6366])
    """
    return _unary("sinc", input)


def erfc(input: Any) -> Tensor:  # noqa: A002
    """The complementary error function ``1 - erf(x)``, accurate for large ``x``.

    Example:
        >>> ne.erfc(ne.tensor([0.0, 1.0]))
        tensor([1.    , 0.1573])
    """
    return _unary("erfc", input)


def erfinv(input: Any) -> Tensor:  # noqa: A002
    """The inverse error function on (-1, 1) (+-inf at +-1).

    Example:
        >>> ne.erfinv(ne.tensor([0.0, 0.5]))
        tensor([0.    , 0.4769])
    """
    return _unary("erfinv", input)


def lgamma(input: Any) -> Tensor:  # noqa: A002
    """``log|Gamma(x)|``.

    Example:
        >>> ne.lgamma(ne.tensor([1.0, 5.0]))
        tensor([0.    , 3.1781])
    """
    return _unary("lgamma", input)


def digamma(input: Any) -> Tensor:  # noqa: A002
    """The digamma function, d/dx lgamma(x).

    Example:
        >>> ne.digamma(ne.tensor([1.0]))
        tensor([-0.5772])
    """
    return _unary("digamma", input)


def asinh(input: Any) -> Tensor:  # noqa: A002
    """Inverse hyperbolic sine.

    Example:
        >>> ne.asinh(ne.tensor([0.0, 1.0]))
        tensor([0.    , 0.8814])
    """
    return _unary("asinh", input)


def acosh(input: Any) -> Tensor:  # noqa: A002
    """Inverse hyperbolic cosine (NaN below 1).

    Example:
        >>> ne.acosh(ne.tensor([1.0, 2.0]))
        tensor([0.   , 1.317])
    """
    return _unary("acosh", input)


def atanh(input: Any) -> Tensor:  # noqa: A002
    """Inverse hyperbolic tangent on (-1, 1).

    Example:
        >>> ne.atanh(ne.tensor([0.0, 0.5]))
        tensor([0.    , 0.5493])
    """
    return _unary("atanh", input)


def nan_to_num(input: Any, nan: float = 0.0, posinf: Optional[float] = None,  # noqa: A002
               neginf: Optional[float] = None) -> Tensor:
    """NaN, +inf and -inf replaced by ``nan`` and the dtype's largest/smallest finite value (or the given
    ones); the gradient passes where the input was finite.

    Example:
        >>> ne.nan_to_num(ne.tensor([float("nan"), 1.0, float("-inf")]), neginf=-5.0)
        tensor([ 0.,  1., -5.])
    """
    x = _t(input)
    if x.dtype.kind != "f":
        return x.clone()
    fi = np.finfo(x.dtype)
    a = x._data
    x = x.masked_fill(np.isnan(a), nan).masked_fill(np.isposinf(a), fi.max if posinf is None else posinf)
    return x.masked_fill(np.isneginf(a), fi.min if neginf is None else neginf)


def logit(input: Any, eps: Optional[float] = None) -> Tensor:  # noqa: A002
    """``log(p / (1 - p))``, with ``p`` clamped to ``[eps, 1 - eps]`` when ``eps`` is given (gradient 0 outside).

    Example:
        >>> ne.logit(ne.tensor([0.5, 0.75]))
        tensor([0.    , 1.0986])
    """
    x = _fl(input)
    if eps is None:
        return (x / (1 - x)).log()
    e = float(eps)
    return (x.clamp(e, 1 - e) / (1 - x.clamp(e, 1 - e))).log()


def deg2rad(input: Any) -> Tensor:  # noqa: A002
    """Degrees to radians.

    Example:
        >>> ne.deg2rad(ne.tensor([180.0]))
        tensor([3.1416])
    """
    return _fl(input) * (math.pi / 180)


def rad2deg(input: Any) -> Tensor:  # noqa: A002
    """Radians to degrees.

    Example:
        >>> ne.rad2deg(ne.tensor([math.pi]))
        tensor([180.])
    """
    return _fl(input) * (180 / math.pi)


def sgn(input: Any) -> Tensor:  # noqa: A002
    """The sign (torch's complex-aware ``sign``; for real tensors the same as ``sign``).

    Example:
        >>> ne.sgn(ne.tensor([-2.0, 0.0, 3.0]))
        tensor([-1.,  0.,  1.])
    """
    return _t(input).sign()


def fix(input: Any) -> Tensor:  # noqa: A002
    """Round toward zero (``trunc``).

    Example:
        >>> ne.fix(ne.tensor([-1.5, 1.5]))
        tensor([-1.,  1.])
    """
    return _t(input).trunc()


def positive(input: Any) -> Tensor:  # noqa: A002
    """``input`` itself (unary plus); bool tensors raise, as torch.

    Example:
        >>> t = ne.tensor([1.0]); ne.positive(t) is t
        True
    """
    x = _t(input)
    if x.dtype.kind == "b":
        raise TypeError("The `+` operator, on a bool tensor is not supported.")
    return x


def signbit(input: Any) -> Tensor:  # noqa: A002
    """Whether the sign bit is set (True for -0.0).

    Example:
        >>> ne.signbit(ne.tensor([-1.0, -0.0, 2.0]))
        tensor([ True,  True, False])
    """
    return Tensor._wrap(np.asarray(np.signbit(as_array(input))))


def isneginf(input: Any) -> Tensor:  # noqa: A002
    """Whether each entry is -inf.

    Example:
        >>> ne.isneginf(ne.tensor([float("-inf"), 1.0]))
        tensor([ True, False])
    """
    return Tensor._wrap(np.asarray(np.isneginf(as_array(input))))


def isposinf(input: Any) -> Tensor:  # noqa: A002
    """Whether each entry is +inf.

    Example:
        >>> ne.isposinf(ne.tensor([float("inf"), 1.0]))
        tensor([ True, False])
    """
    return Tensor._wrap(np.asarray(np.isposinf(as_array(input))))


def isreal(input: Any) -> Tensor:  # noqa: A002
    """True everywhere (nnengine has no complex tensors).

    Example:
        >>> ne.isreal(ne.tensor([1.0, 2.0]))
        tensor([ True,  True])
    """
    return Tensor._wrap(np.ones(as_array(input).shape, bool))


def clamp_min(input: Any, min: Any) -> Tensor:  # noqa: A002
    """``clamp(input, min=min)``.

    Example:
        >>> ne.tensor([-1.0, 2.0]).clamp_min(0.0)
        tensor([0., 2.])
    """
    return _t(input).clamp(min=min)


def clamp_max(input: Any, max: Any) -> Tensor:  # noqa: A002
    """``clamp(input, max=max)``.

    Example:
        >>> ne.tensor([-1.0, 2.0]).clamp_max(0.0)
        tensor([-1.,  0.])
    """
    return _t(input).clamp(max=max)


# ------------------------------------------------------------------ fused multiply-adds and products
def _scaled(x: Tensor, s: Any, name: str = "value") -> Tensor:
    if not isinstance(s, (Tensor, numbers.Number, np.ndarray)):  # numpy would raise UFuncTypeError
        raise TypeError(f"{name}: expected a number or a Tensor, got {type(s).__name__}")
    return x if (not isinstance(s, Tensor) and s == 1) else x * s


def addmm(input: Any, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * (mat1 @ mat2)`` (``input`` broadcast; ignored when ``beta`` is 0).

    Example:
        >>> ne.addmm(ne.ones(2, 2), ne.ones(2, 3), ne.ones(3, 2), beta=0.5)
        tensor([[3.5, 3.5],
                [3.5, 3.5]])
    """
    m1, m2 = _t(mat1), _t(mat2)
    if m1.ndim != 2 or m2.ndim != 2:
        raise _InputError(f"addmm: mat1 and mat2 must be matrices, got {m1.ndim}-D and {m2.ndim}-D")
    return _fma(input, m1.mm(m2), beta, alpha)


def _fma(input: Any, prod: Tensor, beta: Any, alpha: Any) -> Tensor:
    p = _scaled(prod, alpha, "alpha")
    if not isinstance(beta, (Tensor, numbers.Number, np.ndarray)):
        raise TypeError(f"beta: expected a number or a Tensor, got {type(beta).__name__}")
    if not isinstance(beta, Tensor) and beta == 0:
        x = as_array(input)
        np.broadcast_shapes(x.shape, p.shape)
        return p if x.shape == p.shape else p.expand(np.broadcast_shapes(x.shape, p.shape))
    return _scaled(_t(input), beta, "beta") + p


def addmv(input: Any, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * (mat @ vec)``.

    Example:
        >>> ne.addmv(ne.ones(2), ne.ones(2, 3), ne.ones(3))
        tensor([4., 4.])
    """
    return _fma(input, mv(mat, vec), beta, alpha)


def addbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``.

    Example:
        >>> ne.addbmm(ne.zeros(2, 2), ne.ones(3, 2, 4), ne.ones(3, 4, 2))
        tensor([[12., 12.],
                [12., 12.]])
    """
    return _fma(input, _t(batch1).bmm(_t(batch2)).sum(0), beta, alpha)


def baddbmm(input: Any, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * (batch1 @ batch2)`` per batch entry.

    Example:
        >>> ne.baddbmm(ne.zeros(3, 2, 2), ne.ones(3, 2, 4), ne.ones(3, 4, 2), alpha=0.5).shape
        (3, 2, 2)
    """
    return _fma(input, _t(batch1).bmm(_t(batch2)), beta, alpha)


def addr(input: Any, vec1: Any, vec2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * outer(vec1, vec2)``.

    Example:
        >>> ne.addr(ne.zeros(2, 2), ne.tensor([1.0, 2.0]), ne.tensor([1.0, 3.0]))
        tensor([[1., 3.],
                [2., 6.]])
    """
    return _fma(input, _t(vec1).outer(_t(vec2)), beta, alpha)


def addcmul(input: Any, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:  # noqa: A002
    """``input + value * tensor1 * tensor2`` (broadcast).

    Example:
        >>> ne.addcmul(ne.ones(2), ne.tensor([1.0, 2.0]), ne.tensor([3.0, 4.0]), value=0.5)
        tensor([2.5, 5. ])
    """
    return _t(input) + _scaled(_t(tensor1) * tensor2, value)


def addcdiv(input: Any, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:  # noqa: A002
    """``input + value * tensor1 / tensor2`` (broadcast; integer division raises, as torch).

    Example:
        >>> ne.addcdiv(ne.zeros(2), ne.tensor([1.0, 2.0]), ne.tensor([2.0, 4.0]), value=2)
        tensor([1., 1.])
    """
    t1, t2 = _t(tensor1), _t(tensor2)
    if t1.dtype.kind in "iub" and t2.dtype.kind in "iub":
        raise _InputError("Integer division with addcdiv is no longer supported; use true_divide or floor_divide")
    return _t(input) + _scaled(t1 / t2, value)


def lerp(input: Any, end: Any, weight: Any) -> Tensor:  # noqa: A002
    """``input + weight * (end - input)`` (``weight`` a number or a tensor; broadcast, differentiable).

    Example:
        >>> ne.lerp(ne.tensor([0.0, 10.0]), ne.tensor([10.0, 20.0]), 0.25)
        tensor([ 2.5, 12.5])
    """
    for name, v in (("end", end), ("weight", weight)):  # numpy would raise UFuncTypeError
        if not isinstance(v, (Tensor, numbers.Number, np.ndarray, list, tuple)):
            raise TypeError(f"lerp(): {name}: expected a Tensor or a number, got {type(v).__name__}")
    x, e = _t(input), _t(end)
    w = weight if isinstance(weight, (numbers.Real, Tensor)) else _t(weight)
    return x + (e - x) * w


def mv(input: Any, vec: Any) -> Tensor:  # noqa: A002
    """Matrix-vector product.

    Example:
        >>> ne.mv(ne.ones(2, 3), ne.tensor([1.0, 2.0, 3.0]))
        tensor([6., 6.])
    """
    m, v = _t(input), _t(vec)
    if m.ndim != 2 or v.ndim != 1:
        raise _InputError(f"vector + matrix @ vector expected, got {m.ndim}, {v.ndim}")
    if m.shape[1] != v.shape[0]:
        raise _InputError(f"size mismatch, got mat {tuple(m.shape)}, vec {tuple(v.shape)}")
    return m.matmul(v)


def inner(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Sum of products over the last dims (scalars multiply).

    Example:
        >>> ne.inner(ne.tensor([1.0, 2.0]), ne.tensor([3.0, 4.0]))
        tensor(11.)
    """
    a, b = _t(input), _t(other)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return tensordot(a, b, dims=([a.ndim - 1], [b.ndim - 1]))


def vdot(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Dot product of two 1-D tensors (real tensors: the same as ``dot``).

    Example:
        >>> ne.vdot(ne.tensor([1.0, 2.0]), ne.tensor([3.0, 4.0]))
        tensor(11.)
    """
    return _t(input).dot(_t(other))


def tensordot(a: Any, b: Any, dims: Any = 2) -> Tensor:
    """Contract the last ``dims`` dims of ``a`` with the first of ``b`` (or the listed dim pairs).

    Example:
        >>> ne.tensordot(ne.ones(2, 3, 4), ne.ones(3, 4, 5)).shape
        (2, 5)
    """
    ta, tb = _t(a), _t(b)
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        n = int(dims)
        if n < 0:
            raise _InputError(f"tensordot expects dims >= 0, but got dims={n}")
        da, db = list(builtins.range(ta.ndim - n, ta.ndim)), list(builtins.range(n))
    else:
        da, db = [list(d) if isinstance(d, (list, tuple)) else [d] for d in dims]
    da = [_dim(d, ta.ndim) for d in da]
    db = [_dim(d, tb.ndim) for d in db]
    for t, ds, name in ((ta, da, "a"), (tb, db, "b")):
        if ds and t.ndim == 0:
            raise _IndexError(f"tensordot(): dims: {name} is 0-d, it has no dim to contract")
    if len(da) != len(db) or any(ta.shape[i] != tb.shape[j] for i, j in zip(da, db)):
        raise _InputError(f"contracted dimensions need to match, got {[ta.shape[i] for i in da]} and "
                           f"{[tb.shape[j] for j in db]}")
    fa = [i for i in builtins.range(ta.ndim) if i not in da]
    fb = [j for j in builtins.range(tb.ndim) if j not in db]
    k = int(np.prod([ta.shape[i] for i in da]))
    am = ta.permute(*(fa + da)).reshape(-1, k)
    bm = tb.permute(*(db + fb)).reshape(k, -1)
    return am.matmul(bm).reshape([ta.shape[i] for i in fa] + [tb.shape[j] for j in fb])


def kron(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The Kronecker product (differentiable).

    Example:
        >>> ne.kron(ne.eye(2), ne.ones(2, 2)).shape
        (4, 4)
    """
    a, b = _t(input), _t(other)
    nd = builtins.max(a.ndim, b.ndim)
    a = a.reshape((1,) * (nd - a.ndim) + tuple(a.shape))
    b = b.reshape((1,) * (nd - b.ndim) + tuple(b.shape))
    ai = a.reshape(sum(((s, 1) for s in a.shape), ()))
    bi = b.reshape(sum(((1, s) for s in b.shape), ()))
    return (ai * bi).reshape(tuple(x * y for x, y in zip(a.shape, b.shape)))


def cross(input: Any, other: Any, dim: Optional[int] = None) -> Tensor:  # noqa: A002
    """Cross product of 3-vectors along ``dim`` (the first dim of size 3 when None; broadcast).

    Example:
        >>> ne.cross(ne.tensor([1.0, 0.0, 0.0]), ne.tensor([0.0, 1.0, 0.0]), dim=0)
        tensor([0., 0., 1.])
    """
    a, b = _t(input), _t(other)
    shape = np.broadcast_shapes(a.shape, b.shape)
    a, b = a.expand(shape), b.expand(shape)
    if dim is None:
        dims = [i for i, s in enumerate(shape) if s == 3]
        if not dims:
            raise _InputError("no dimension of size 3 in input")
        d = dims[0]
    else:
        d = _dim(dim, len(shape))
    if shape[d] != 3:
        raise _InputError(f"linalg.cross: inputs dimension {d} must have length 3. Got {shape[d]}")

    def c(t: Tensor, i: int) -> Tensor:
        return t.select(d, i)

    return stack([c(a, 1) * c(b, 2) - c(a, 2) * c(b, 1), c(a, 2) * c(b, 0) - c(a, 0) * c(b, 2),
                  c(a, 0) * c(b, 1) - c(a, 1) * c(b, 0)], d)


def cdist(x1: Any, x2: Any, p: float = 2.0, compute_mode: Any = None) -> Tensor:
    """Pairwise p-norm distances between the rows of ``x1`` ``(..., P, M)`` and ``x2`` ``(..., R, M)``
    -> ``(..., P, R)`` (differentiable; the gradient at a zero distance is 0).

    Example:
        >>> ne.cdist(ne.tensor([[0.0, 0.0]]), ne.tensor([[3.0, 4.0], [0.0, 1.0]]))
        tensor([[5., 1.]])
    """
    a, b = _fl(x1), _fl(x2)
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-1]:
        raise _InputError(f"cdist: x1 and x2 must be at least 2-D with the same last dim, got {a.shape} and "
                           f"{b.shape}")
    if float(p) < 0:
        raise _InputError("cdist only supports non-negative p values")
    diff = a.unsqueeze(-2) - b.unsqueeze(-3)
    return diff.norm(p=float(p), dim=-1)


def dist(input: Any, other: Any, p: float = 2) -> Tensor:  # noqa: A002
    """The p-norm of ``input - other``.

    Example:
        >>> ne.dist(ne.tensor([0.0, 0.0]), ne.tensor([3.0, 4.0]))
        tensor(5.)
    """
    return (_fl(input) - other).norm(p=float(p))


def diff(input: Any, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Tensor:  # noqa: A002
    """The ``n``-th forward difference along ``dim`` (``prepend``/``append`` joined first; bool: xor).

    Example:
        >>> ne.diff(ne.tensor([1, 3, 6, 10]))
        tensor([2, 3, 4])
    """
    from .tensor import cat

    x = _t(input)
    if x.ndim == 0:
        raise _InputError("diff expects input to be at least one-dimensional")
    if isinstance(n, builtins.bool) or not isinstance(n, (builtins.int, np.integer)):
        raise TypeError(f"diff(): n: expected an int, got {type(n).__name__}")
    if n < 0:
        raise _InputError(f"order must be non-negative but got {n}")
    d = _dim(dim, x.ndim)
    parts = [p if isinstance(p, Tensor) else tensor(p) for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        x = cat(parts, d)
    for _ in builtins.range(builtins.min(int(n), x.shape[d])):  # after shape[d] steps the dim is empty
        m = x.shape[d]
        hi = x.narrow(d, 1, builtins.max(m - 1, 0))
        lo = x.narrow(d, 0, builtins.max(m - 1, 0))
        x = hi.logical_xor(lo) if x.dtype.kind == "b" else hi - lo
    return x


def trapezoid(y: Any, x: Any = None, *, dx: Optional[float] = None, dim: int = -1) -> Tensor:
    """The trapezoidal rule along ``dim`` (sample points ``x``, or a spacing ``dx``, default 1).

    Example:
        >>> ne.trapezoid(ne.tensor([1.0, 2.0, 3.0]))
        tensor(4.)
    """
    t = _fl(y)
    d = _dim(dim, t.ndim)
    m = t.shape[d]
    if m == 0:
        return t.sum(d)
    s = t.narrow(d, 1, m - 1) + t.narrow(d, 0, m - 1)
    if x is None:
        return s.sum(d) * (0.5 * (1.0 if dx is None else float(dx)))
    tx = _fl(x)
    if tx.ndim == 1:
        dxs = (tx[1:] - tx[:-1]).reshape([-1 if k == d else 1 for k in builtins.range(t.ndim)])
    else:
        dxs = tx.narrow(d, 1, m - 1) - tx.narrow(d, 0, m - 1)
    return (s * dxs).sum(d) * 0.5


trapz = trapezoid


def cumulative_trapezoid(y: Any, x: Any = None, *, dx: Optional[float] = None, dim: int = -1) -> Tensor:
    """The running trapezoidal integral along ``dim`` (one entry fewer than ``y``).

    Example:
        >>> ne.cumulative_trapezoid(ne.tensor([1.0, 2.0, 3.0]))
        tensor([1.5, 4. ])
    """
    t = _fl(y)
    d = _dim(dim, t.ndim)
    m = t.shape[d]
    s = (t.narrow(d, 1, m - 1) + t.narrow(d, 0, m - 1)) * 0.5
    if x is None:
        return (s * (1.0 if dx is None else float(dx))).cumsum(d)
    tx = _fl(x)
    dxs = (tx[1:] - tx[:-1]).reshape([-1 if k == d else 1 for k in builtins.range(t.ndim)]) if tx.ndim == 1 else \
        tx.narrow(d, 1, m - 1) - tx.narrow(d, 0, m - 1)
    return (s * dxs).cumsum(d)


# ------------------------------------------------------------------ cumulative and NaN-aware reductions
class _CumprodFn(Function):
    """Cumulative product; the backward is exact with zeros (a quadratic sum along lines that hold one)."""

    @staticmethod
    def forward(ctx, a, axis, dt):
        out = np.cumprod(a, axis=axis, dtype=dt)
        ctx.save_for_backward(a, out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        ax = ctx.axis
        am, om, gm = (np.moveaxis(v, ax, -1) for v in (a, out, g))
        n = am.shape[-1]
        res = np.empty(am.shape, g.dtype)
        zero = (am == 0).any(axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            rc = np.flip(np.cumsum(np.flip(gm * om, -1), -1), -1)
            res[...] = rc / np.where(am == 0, 1, am)
        if zero.any():
            # lines with a zero: grad_i = sum_{j>=i} g_j * prod_{k<=j, k!=i} a_k, the products built
            # from an exclusive prefix (before i) times the running product of a_{i+1..j}
            za, zg = am[zero], gm[zero]
            zr = np.zeros_like(za, dtype=g.dtype)
            excl = np.concatenate([np.ones_like(za[..., :1]), np.cumprod(za[..., :-1], -1)], -1)
            for i in builtins.range(n):
                run = np.cumprod(np.concatenate([np.ones_like(za[..., :1]), za[..., i + 1:]], -1), -1)
                zr[..., i] = excl[..., i] * (zg[..., i:] * run).sum(-1)
            res[zero] = zr
        return np.moveaxis(res, -1, ax), None, None


def cumprod(input: Any, dim: int, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """Cumulative product along ``dim`` (integers accumulate in int64; the gradient is exact with zeros).

    Example:
        >>> ne.tensor([1.0, 2.0, 3.0]).cumprod(0)
        tensor([1., 2., 6.])
    """
    from ._dtypes import to_dtype

    x = _t(input)
    if dtype is not None:
        x = x._cast(to_dtype(dtype))
    dt = x.dtype if x.dtype.kind == "f" else _I64
    if x.ndim == 0:
        return x.clone() if dt == x.dtype else x._cast(dt)
    return _CumprodFn.apply(x, _dim(dim, x.ndim), dt)


class _LogCumSumExpFn(Function):
    @staticmethod
    def forward(ctx, a, axis):
        out = np.logaddexp.accumulate(a, axis=axis)
        ctx.save_for_backward(a, out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        ax = ctx.axis
        am, om, gm = (np.moveaxis(v, ax, -1) for v in (a, out, g))
        # grad_i = sum_{j>=i} g_j exp(a_i - out_j) = exp(a_i - out_i) * R_i, R_i = g_i + exp(out_i - out_{i+1}) R_{i+1}
        r = np.empty_like(gm)
        acc = np.zeros(gm.shape[:-1], gm.dtype)
        n = gm.shape[-1]
        with np.errstate(invalid="ignore", over="ignore"):
            for i in builtins.range(n - 1, -1, -1):
                acc = gm[..., i] + (np.exp(om[..., i] - om[..., i + 1]) * acc if i < n - 1 else 0)
                r[..., i] = acc
            res = np.where(np.isneginf(am), 0, np.exp(am - om) * r)
        return np.moveaxis(res, -1, ax).astype(g.dtype, copy=False), None


def logcumsumexp(input: Any, dim: int) -> Tensor:  # noqa: A002
    """``log(cumsum(exp(x)))`` along ``dim``, computed stably.

    Example:
        >>> ne.logcumsumexp(ne.tensor([0.0, 0.0]), 0)
        tensor([0.    , 0.6931])
    """
    x = _fl(input)
    if x.ndim == 0:
        return x.clone()
    return _LogCumSumExpFn.apply(x, _dim(dim, x.ndim))


cummax_t = namedtuple("cummax", ["values", "indices"])
cummin_t = namedtuple("cummin", ["values", "indices"])
aminmax_t = namedtuple("aminmax", ["min", "max"])


def _cum_extreme(x: Tensor, dim: int, is_max: bool) -> Tuple[Tensor, np.ndarray]:
    d = _dim(dim, x.ndim)
    a = np.moveaxis(x._data if x.ndim else x._data.reshape(1), d, -1)
    n = a.shape[-1]
    if a.size == 0:  # an empty dim anywhere: empty values and indices of the input's shape
        return x.clone(), np.zeros(x.shape, np.int64)
    idx = np.zeros(a.shape, np.int64)
    best = a[..., 0].copy()
    bi = np.zeros(a.shape[:-1], np.int64)
    for i in builtins.range(n):
        v = a[..., i]
        nan_b = np.isnan(best) if a.dtype.kind == "f" else False
        take = (v >= best) if is_max else (v <= best)
        if a.dtype.kind == "f":
            take = (take | np.isnan(v)) & ~nan_b  # torch: a NaN wins and stays
        best = np.where(take, v, best)
        bi = np.where(take, i, bi)
        idx[..., i] = bi
    idx = np.moveaxis(idx, -1, d)
    if x.ndim == 0:
        idx = idx.reshape(())
        return x.clone(), idx
    return x.gather(d, idx), idx


def cummax(input: Any, dim: int) -> Any:  # noqa: A002
    """Running maximum along ``dim``: ``(values, indices)`` (the last index among ties, as torch; the
    gradient goes to those indices).

    Example:
        >>> ne.tensor([1.0, 3.0, 2.0, 5.0]).cummax(0)
        cummax(values=tensor([1., 3., 3., 5.]), indices=tensor([0, 1, 1, 3]))
    """
    x = _t(input)
    v, i = _cum_extreme(x, dim, True)
    return cummax_t(v, Tensor._wrap(i))


def cummin(input: Any, dim: int) -> Any:  # noqa: A002
    """Running minimum along ``dim``: ``(values, indices)``.

    Example:
        >>> ne.tensor([3.0, 1.0, 2.0]).cummin(0)
        cummin(values=tensor([3., 1., 1.]), indices=tensor([0, 1, 1]))
    """
    x = _t(input)
    v, i = _cum_extreme(x, dim, False)
    return cummin_t(v, Tensor._wrap(i))


def aminmax(input: Any, *, dim: Optional[int] = None, keepdim: bool = False) -> Any:  # noqa: A002
    """``(min, max)`` of all entries or over ``dim``.

    Example:
        >>> ne.aminmax(ne.tensor([3.0, 1.0, 2.0]))
        aminmax(min=tensor(1.), max=tensor(3.))
    """
    x = _t(input)
    return aminmax_t(x.amin(dim, keepdim) if dim is not None else x.amin(),
                     x.amax(dim, keepdim) if dim is not None else x.amax())


def _reduce_dims(dim: Any, ndim: int) -> Any:
    if dim is None:
        return None
    if isinstance(dim, (list, tuple)):
        return tuple(_dim(d, ndim) for d in dim)
    return _dim(dim, ndim)


def nansum(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """Sum treating NaN as 0 (differentiable; NaN entries get no gradient).

    Example:
        >>> ne.nansum(ne.tensor([1.0, float("nan"), 2.0]))
        tensor(3.)
    """
    x = _t(input)
    if x.dtype.kind == "f":
        x = x.masked_fill(np.isnan(x._data), 0.0)
    return x.sum(_reduce_dims(dim, x.ndim), keepdim, dtype=dtype)


def nanmean(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """Mean of the non-NaN entries (NaN where all are NaN).

    Example:
        >>> ne.nanmean(ne.tensor([1.0, float("nan"), 3.0]))
        tensor(2.)
    """
    x = _t(input)
    if x.dtype.kind != "f":
        raise _InputError(f"nanmean(): expected input to have floating point dtype but got {x.dtype}")
    d = _reduce_dims(dim, x.ndim)
    cnt = np.sum(~np.isnan(x._data), axis=d, keepdims=keepdim).astype(x.dtype)
    return nansum(x, dim, keepdim, dtype=dtype) / cnt


def nanmedian(input: Any, dim: Optional[int] = None, keepdim: bool = False) -> Any:  # noqa: A002
    """The lower median of the non-NaN entries; ``(values, indices)`` with ``dim`` (differentiable).

    Example:
        >>> ne.nanmedian(ne.tensor([3.0, float("nan"), 1.0, 2.0]))
        tensor(2.)
    """
    from .tensor import return_types

    x = _t(input)
    if dim is None:
        flat = x.reshape(-1)
        a = flat._data
        ok = np.nonzero(~np.isnan(a))[0] if a.dtype.kind == "f" else np.arange(a.size)
        if ok.size == 0:
            return Tensor._wrap(np.asarray(np.nan, a.dtype))
        order = ok[np.argsort(a[ok], kind="stable")]
        return flat[int(order[(ok.size - 1) // 2])]
    d = _dim(dim, x.ndim)
    _nonempty(x._data, "median", d)  # (torch's nanmedian names median too)
    a = np.moveaxis(x._data, d, -1)
    srt = np.argsort(np.where(np.isnan(a), np.inf, a) if a.dtype.kind == "f" else a, axis=-1, kind="stable")
    cnt = (~np.isnan(a)).sum(-1) if a.dtype.kind == "f" else np.full(a.shape[:-1], a.shape[-1])
    k = np.maximum((cnt - 1) // 2, 0)
    idx = np.take_along_axis(srt, k[..., None], -1)
    allnan = (cnt == 0)[..., None]
    if a.dtype.kind == "f" and allnan.any():  # torch: the index of a NaN
        idx = np.where(allnan, 0, idx)
    idx = np.moveaxis(idx, -1, d)
    vals = x.gather(d, idx)
    if not keepdim:
        vals, idx = vals.squeeze(d), np.squeeze(idx, d)
    return return_types.median(vals, Tensor._wrap(idx.astype(np.int64)))


_INTERP = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(x: Tensor, q: Any, dim: Optional[int], keepdim: bool, interpolation: str, ignore_nan: bool,
              name: str) -> Tensor:
    if interpolation not in _INTERP:
        raise ValueError(f"interpolation: expected one of {_INTERP}, got {interpolation!r}")
    if x.dtype.kind != "f":
        raise _InputError(f"{name}() input tensor must be either float or double dtype")
    qa = np.asarray(as_array(q), np.float64)
    if qa.ndim > 1:
        raise _InputError(f"{name}() q must be a scalar or 1D tensor")
    if qa.size and (qa.min() < 0 or qa.max() > 1):
        raise _InputError(f"{name}() q values must be in the range [0, 1]")
    if dim is None:
        xs, d = x.reshape(-1), 0
    else:
        xs, d = x, _dim(dim, x.ndim)
    if x.numel() == 0:
        raise _InputError(f"{name}() input tensor must be non-empty")
    xm = xs.movedim(d, -1) if xs.ndim else xs.reshape(1)
    a = xm._data
    srt = np.argsort(np.where(np.isnan(a), np.inf, a), axis=-1, kind="stable")
    srt_t = xm.gather(-1, srt)  # sorted values, NaN last, differentiable
    n = a.shape[-1]
    nan_cnt = np.isnan(a).sum(-1)
    valid = (n - nan_cnt) if ignore_nan else np.full(a.shape[:-1], n)
    outs = []
    for qq in np.atleast_1d(qa):
        pos = qq * np.maximum(valid - 1, 0).astype(np.float64)
        lo = np.floor(pos).astype(np.int64)
        hi = np.ceil(pos).astype(np.int64)
        if interpolation == "lower":
            hi = lo
        elif interpolation == "higher":
            lo = hi
        elif interpolation == "nearest":
            lo = hi = np.round(pos).astype(np.int64)  # half to even, as torch
        w = (pos - lo) if interpolation == "linear" else np.full(pos.shape, 0.5 if interpolation == "midpoint" else 0.0)
        vlo = srt_t.gather(-1, lo[..., None]).squeeze(-1)
        vhi = srt_t.gather(-1, hi[..., None]).squeeze(-1)
        v = vlo + (vhi - vlo) * w.astype(x.dtype)
        bad = (nan_cnt == n) if ignore_nan else (nan_cnt > 0)
        if np.any(bad):
            v = v.masked_fill(bad, float("nan"))
        outs.append(v)
    out = stack(outs, 0) if qa.ndim == 1 else outs[0]
    if keepdim:
        if dim is None:
            out = out.reshape(out.shape[: qa.ndim] + (1,) * x.ndim)
        else:
            out = out.unsqueeze(d + qa.ndim)
    return out


def quantile(input: Any, q: Any, dim: Optional[int] = None, keepdim: bool = False, *,  # noqa: A002
             interpolation: str = "linear") -> Tensor:
    """The ``q``-quantiles (a number or a 1-D tensor, which adds a leading dim) over ``dim`` (all entries
    when None), with torch's interpolation modes; NaN where a reduced line holds a NaN. Differentiable.

    Example:
        >>> ne.quantile(ne.tensor([1.0, 2.0, 3.0, 4.0]), 0.5), ne.quantile(ne.tensor([1.0, 2.0, 3.0, 4.0]), 0.5, interpolation="lower")
        (tensor(2.5), tensor(2.))
    """
    return _quantile(_t(input), q, dim, keepdim, interpolation, False, "quantile")


def nanquantile(input: Any, q: Any, dim: Optional[int] = None, keepdim: bool = False, *,  # noqa: A002
                interpolation: str = "linear") -> Tensor:
    """:func:`quantile` ignoring NaN entries (NaN only where a line is all NaN).

    Example:
        >>> ne.nanquantile(ne.tensor([1.0, float("nan"), 3.0]), 0.5)
        tensor(2.)
    """
    return _quantile(_t(input), q, dim, keepdim, interpolation, True, "nanquantile")


def msort(input: Any) -> Tensor:  # noqa: A002
    """Sorted along dim 0 (values only).

    Example:
        >>> ne.msort(ne.tensor([[3.0, 1.0], [1.0, 2.0]])).tolist()
        [[1.0, 1.0], [3.0, 2.0]]
    """
    return _t(input).sort(0).values


def var_mean(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,  # noqa: A002
             correction: Optional[float] = None) -> Tuple[Tensor, Tensor]:
    """``(var, mean)`` with :meth:`Tensor.var`'s arguments.

    Example:
        >>> ne.var_mean(ne.tensor([1.0, 3.0]))
        (tensor(2.), tensor(2.))
    """
    x = _t(input)
    v = x.var(dim, unbiased, keepdim, correction=correction)
    if isinstance(dim, (bool, np.bool_)):
        dim = None
    return v, x.mean(Tensor._axis(dim), keepdim)


def std_mean(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,  # noqa: A002
             correction: Optional[float] = None) -> Tuple[Tensor, Tensor]:
    """``(std, mean)`` with :meth:`Tensor.std`'s arguments.

    Example:
        >>> ne.std_mean(ne.tensor([1.0, 3.0]), correction=0)
        (tensor(1.), tensor(2.))
    """
    v, m = var_mean(input, dim, unbiased, keepdim, correction=correction)
    return v.sqrt(), m


def cov(input: Any, *, correction: int = 1, fweights: Any = None, aweights: Any = None) -> Tensor:  # noqa: A002
    """The covariance matrix of the variables in the rows of ``input`` (observations in the columns), with
    integer frequency weights and observation weights as torch/numpy; differentiable.

    Example:
        >>> ne.cov(ne.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]]))
        tensor([[ 1., -1.],
                [-1.,  1.]])
    """
    x = _fl(input)
    if x.ndim > 2:
        raise _InputError(f"cov(): expected input to have two or fewer dimensions but got an input with {x.ndim} dimensions")
    if x.ndim < 2:
        x = x.reshape(1, -1)
    n = x.shape[1]
    w: Any = None
    if fweights is not None:
        fw = as_array(fweights)
        if fw.dtype.kind not in "iu" or fw.shape != (n,) or (fw < 0).any():
            raise _InputError(f"cov(): fweights: expected {n} non-negative integers, got {fw.dtype} {fw.shape}")
        w = Tensor._wrap(fw.astype(x.dtype))
    aw: Any = None
    if aweights is not None:
        aw = _t(aweights)._cast(x.dtype)
        if tuple(aw.shape) != (n,) or (aw._data < 0).any():
            raise _InputError(f"cov(): aweights: expected {n} non-negative weights, got shape {tuple(aw.shape)}")
        w = aw if w is None else w * aw
    if w is None:
        xc = x - x.mean(1, keepdim=True)
        out = xc.matmul(xc.t()) / builtins.max(n - correction, 0)
    else:
        wsum = w.sum()
        xc = x - (x * w).sum(1, keepdim=True) / wsum
        norm = wsum - ((w * aw).sum() * correction / wsum if aw is not None else correction)
        out = (xc * w).matmul(xc.t()) / norm.clamp(min=0.0)
    return out.reshape(()) if _t(input).ndim < 2 else out


def corrcoef(input: Any) -> Tensor:  # noqa: A002
    """Pearson correlation coefficients of the rows of ``input`` (clipped to [-1, 1]; differentiable).

    Example:
        >>> ne.corrcoef(ne.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.5]])).shape
        (2, 2)
    """
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal()
    return (c / (d.unsqueeze(1) * d.unsqueeze(0)).sqrt()).clamp(-1, 1)


def nextafter(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The next floating-point value after ``input`` toward ``other``.

    Example:
        >>> bool((ne.nextafter(ne.tensor([1.0]), ne.tensor([2.0])) > 1.0).all())
        True
    """
    a, b = _float_pair(input, other)
    return Tensor._wrap(np.asarray(np.nextafter(a._data, b._data)))


def logspace(start: float, end: float, steps: int, base: float = 10.0, *, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """``base ** linspace(start, end, steps)`` (float32 by default).

    Example:
        >>> ne.logspace(0, 2, 3)
        tensor([  1.,  10., 100.])
    """
    from ._dtypes import to_dtype
    from .tensor import _factory

    if int(steps) < 0:
        raise _InputError("number of steps must be non-negative")
    arr = np.power(float(base), np.linspace(float(start), float(end), int(steps)))
    return _factory(arr.astype(to_dtype(dtype) or _F32), requires_grad, device)


def range(start: float = 0, end: Optional[float] = None, step: float = 1, *, dtype: Any = None,  # noqa: A001
          device: Any = None, requires_grad: bool = False) -> Tensor:
    """torch's deprecated ``range``: ``start`` to ``end`` inclusive by ``step`` (float32 by default).

    Example:
        >>> ne.range(1, 4)
        tensor([1., 2., 3., 4.])
    """
    from ._dtypes import to_dtype
    from .tensor import _factory

    if end is None:
        start, end = 0, start
    if step == 0:
        raise _InputError("step must be nonzero")
    n = builtins.max(int(math.floor((float(end) - float(start)) / float(step))) + 1, 0)
    arr = float(start) + np.arange(n, dtype=np.float64) * float(step)
    return _factory(arr.astype(to_dtype(dtype) or _F32), requires_grad, device)


__all__ = [
    "atan2", "arctan2", "hypot", "fmod", "remainder", "xlogy", "logaddexp", "logaddexp2", "fmax", "fmin",
    "copysign", "float_power", "ldexp", "heaviside", "gcd", "lcm", "logical_xor", "isclose", "frac", "sinc",
    "erfc", "erfinv", "lgamma", "digamma", "asinh", "acosh", "atanh", "nan_to_num", "logit", "deg2rad",
    "rad2deg", "sgn", "fix", "positive", "signbit", "isneginf", "isposinf", "isreal", "clamp_min", "clamp_max",
    "addmm", "addmv", "addbmm", "baddbmm", "addr", "addcmul", "addcdiv", "lerp", "mv", "inner", "vdot",
    "tensordot", "kron", "cross", "cdist", "dist", "diff", "trapezoid", "trapz", "cumulative_trapezoid",
    "cumprod", "logcumsumexp", "cummax", "cummin", "aminmax", "nansum", "nanmean", "nanmedian", "quantile",
    "nanquantile", "msort", "var_mean", "std_mean", "logspace", "range", "cov", "corrcoef", "nextafter",
]

#: Tensor method name -> function (the function's first argument becomes ``self``)
TENSOR_METHODS = {n: globals()[n] for n in __all__ if n not in (
    "tensordot", "cdist", "trapezoid", "trapz", "cumulative_trapezoid", "var_mean", "std_mean", "logspace",
    "range", "isreal")}
TENSOR_METHODS.update({"arcsinh": asinh, "arccosh": acosh, "arctanh": atanh, "isreal": isreal})
_ALIASES = {"arcsinh": asinh, "arccosh": acosh, "arctanh": atanh}
globals().update(_ALIASES)
__all__ += list(_ALIASES)
