"""``torch.special``: special functions under torch's names, differentiable where torch's are.

Most are nnengine's own ops under their ``torch.special`` names (``expit`` is ``sigmoid``, ``gammaln`` is
``lgamma``, ``psi`` is ``digamma``...); the rest are defined here: ``entr``, ``ndtr``, ``log_ndtr``, ``ndtri``,
``xlog1py``, ``erfcx``, ``i0e``, ``i1``, ``i1e`` with their derivatives, and the Bessel functions ``bessel_j0``,
``bessel_j1``, ``bessel_y0``, ``bessel_y1``, ``modified_bessel_i0/i1/k0/k1``, ``scaled_modified_bessel_k0/k1``,
``spherical_bessel_j0`` and ``airy_ai``, which torch does not differentiate either (their backward raises,
as torch's). Functions computed by SciPy (the Bessel family, ``erfcx``, ``log_ndtr``) need it installed.

Example:
    >>> ne.special.expit(ne.tensor([0.0])), ne.special.ndtr(ne.tensor([0.0]))
    (tensor([0.5]), tensor([0.5]))
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from . import ops
from ._coerce import ensure_tensor
from ._functions import erf, exp2, expm1, log1p, log_softmax, logsumexp, round, sigmoid, softmax  # noqa: A004
from ._ops_math import _BINARY, _binary, digamma, erfc, erfinv, lgamma, logit, sinc, xlogy
from ._ops_misc import i0, mvlgamma, polygamma
from .tensor import Tensor

__all__ = ["airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "digamma", "entr", "erf", "erfc",
           "erfcx", "erfinv", "exp2", "expit", "expm1", "gammaln", "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr",
           "log_softmax", "logit", "logsumexp", "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
           "modified_bessel_k1", "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round",
           "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "sinc", "softmax", "spherical_bessel_j0",
           "xlog1py", "xlogy"]

expit = sigmoid
gammaln = lgamma
psi = digamma
multigammaln = mvlgamma
_SQRT2 = math.sqrt(2.0)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _scipy(name: str) -> Callable[..., Any]:
    try:
        import scipy.special as sp
    except ImportError as e:  # pragma: no cover - scipy comes with the test extras
        raise ImportError(f"nnengine.special: {name} is computed by SciPy: pip install scipy") from e
    return getattr(sp, name)


def _unary(name: str, f: Callable[[np.ndarray], Any], df: Callable[[np.ndarray, np.ndarray], Any],
           input: Any) -> Tensor:  # noqa: A002
    if name not in ops._UNARY:
        ops._UNARY[name] = (lambda a: np.asarray(f(a)).astype(a.dtype, copy=False),
                            lambda a, o: np.asarray(df(a, o)))
    x = ensure_tensor(input)
    return ops.UnaryFn.apply(x if x.dtype.kind == "f" else x._cast(np.dtype(np.float32)), name)


def _pdf(a: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * a * a - _LOG_SQRT_2PI)


def entr(input: Any) -> Tensor:  # noqa: A002
    """Elementwise entropy ``-x * log(x)`` (0 at 0, -inf below 0).

    Example:
        >>> ne.special.entr(ne.tensor([0.0, 0.5, 1.0]))
        tensor([ 0.    ,  0.3466, -0.    ])
    """
    def f(a: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(a > 0, -a * np.log(np.where(a > 0, a, 1)), np.where(a == 0, 0, -np.inf))

    return _unary("special_entr", f, lambda a, o: -(np.log(a) + 1), input)


def ndtr(input: Any) -> Tensor:  # noqa: A002
    """The standard normal CDF, ``(1 + erf(x / sqrt 2)) / 2``.

    Example:
        >>> ne.special.ndtr(ne.tensor([0.0, 1.0]))
        tensor([0.5   , 0.8413])
    """
    return _unary("special_ndtr", lambda a: 0.5 * np.asarray(erfc(Tensor._wrap(-a / _SQRT2))._data),
                  lambda a, o: _pdf(a), input)


def log_ndtr(input: Any) -> Tensor:  # noqa: A002
    """``log(ndtr(x))``, accurate far into the lower tail (SciPy's).

    Example:
        >>> ne.special.log_ndtr(ne.tensor([0.0]))
        tensor([-0.6931])
    """
    return _unary("special_log_ndtr", lambda a: _scipy("log_ndtr")(a),
                  lambda a, o: np.exp(-0.5 * a * a - _LOG_SQRT_2PI - o), input)


def ndtri(input: Any) -> Tensor:  # noqa: A002
    """The inverse of :func:`ndtr`, ``sqrt 2 * erfinv(2p - 1)`` (differentiable through ``erfinv``).

    Example:
        >>> ne.special.ndtri(ne.tensor([0.5, 0.975]))
        tensor([0.  , 1.96])
    """
    x = ensure_tensor(input)
    return erfinv(x * 2 - 1) * _SQRT2


def xlog1py(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input * log1p(other)``, 0 where ``input`` is 0 (NaN where ``other`` is NaN).

    Example:
        >>> ne.special.xlog1py(ne.tensor([0.0, 2.0]), ne.tensor([-1.0, 0.0]))
        tensor([0., 0.])
    """
    if "xlog1py" not in _BINARY:
        def f(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            return np.where(np.isnan(y), np.nan, np.where(x == 0, 0, x * np.log1p(y)))

        _BINARY["xlog1py"] = (f, lambda a, b, o: np.log1p(b), lambda a, b, o: a / (1 + b))  # as torch's
    return _binary("xlog1py", input, other)


def erfcx(input: Any) -> Tensor:  # noqa: A002
    """The scaled complementary error function ``exp(x**2) * erfc(x)`` (SciPy's).

    Example:
        >>> ne.special.erfcx(ne.tensor([0.0]))
        tensor([1.])
    """
    return _unary("special_erfcx", lambda a: _scipy("erfcx")(a), lambda a, o: 2 * a * o - 2 / math.sqrt(math.pi),
                  input)


def i0e(input: Any) -> Tensor:  # noqa: A002
    """The exponentially scaled modified Bessel function of order 0, ``exp(-|x|) * i0(x)``.

    Example:
        >>> ne.special.i0e(ne.tensor([0.0, 1.0]))
        tensor([1.    , 0.4658])
    """
    return _unary("special_i0e", lambda a: _scipy("i0e")(a),
                  lambda a, o: _scipy("i1e")(a) - np.sign(a) * o, input)


def i1(input: Any) -> Tensor:  # noqa: A002
    """The modified Bessel function of the first kind, order 1 (derivative ``i0(x) - i1(x) / x``, 1/2 at 0).

    Example:
        >>> ne.special.i1(ne.tensor([0.0, 1.0]))
        tensor([0.    , 0.5652])
    """
    def d(a: np.ndarray, o: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(a == 0, 0.5, _scipy("i0")(a) - o / np.where(a == 0, 1, a))

    return _unary("special_i1", lambda a: _scipy("i1")(a), d, input)


def i1e(input: Any) -> Tensor:  # noqa: A002
    """``exp(-|x|) * i1(x)`` (derivative ``i0e(x) - i1e(x) * (sign(x) + 1/x)``, 1/2 at 0).

    Example:
        >>> ne.special.i1e(ne.tensor([0.0, 1.0]))
        tensor([0.    , 0.2079])
    """
    def d(a: np.ndarray, o: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(a == 0, 0.5, _scipy("i0e")(a) - o * (np.sign(a) + 1 / np.where(a == 0, 1, a)))

    return _unary("special_i1e", lambda a: _scipy("i1e")(a), d, input)


def _no_grad_fn(name: str, f: Callable[[np.ndarray], Any]) -> Callable[[Any], Tensor]:
    torch_name = "special_" + name

    def d(a: np.ndarray, o: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"the derivative for '{torch_name}' is not implemented (nor in torch)")

    def fn(input: Any) -> Tensor:  # noqa: A002
        return _unary(torch_name, f, d, input)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"torch.special.{name} (forward only: its backward raises, as torch's).\n\n"
                  f"    Example:\n        >>> ne.special.{name}(ne.tensor([1.0])).shape\n        (1,)\n    ")
    return fn


bessel_j0 = _no_grad_fn("bessel_j0", lambda a: _scipy("j0")(a))
bessel_j1 = _no_grad_fn("bessel_j1", lambda a: _scipy("j1")(a))
bessel_y0 = _no_grad_fn("bessel_y0", lambda a: _scipy("y0")(a))
bessel_y1 = _no_grad_fn("bessel_y1", lambda a: _scipy("y1")(a))
modified_bessel_i0 = _no_grad_fn("modified_bessel_i0", lambda a: _scipy("i0")(a))
modified_bessel_i1 = _no_grad_fn("modified_bessel_i1", lambda a: _scipy("i1")(a))
modified_bessel_k0 = _no_grad_fn("modified_bessel_k0", lambda a: _scipy("k0")(a))
modified_bessel_k1 = _no_grad_fn("modified_bessel_k1", lambda a: _scipy("k1")(a))
scaled_modified_bessel_k0 = _no_grad_fn("scaled_modified_bessel_k0", lambda a: _scipy("k0e")(a))
scaled_modified_bessel_k1 = _no_grad_fn("scaled_modified_bessel_k1", lambda a: _scipy("k1e")(a))
spherical_bessel_j0 = _no_grad_fn("spherical_bessel_j0", lambda a: np.where(a == 0, 1.0, np.sin(a) / np.where(
    a == 0, 1, a)))
airy_ai = _no_grad_fn("airy_ai", lambda a: _scipy("airy")(a)[0])
