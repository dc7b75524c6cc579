"""Weight initialisation, PyTorch's names and formulas (in place, drawing from ``ne.manual_seed``'s RNG).

Example:
    >>> layer = nn.Linear(4, 3)
    >>> _ = nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
"""

from __future__ import annotations

import math
from typing import Any, Tuple

import numpy as np

from ..random import generator
from ..tensor import Tensor

_GAINS = {"linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0),
          "selu": 0.75}


def calculate_gain(nonlinearity: str, param: Any = None) -> float:
    """Recommended gain for a nonlinearity (PyTorch's table).

    Example:
        >>> round(calculate_gain("relu"), 4), calculate_gain("leaky_relu", 0.2) > 1
        (1.4142, True)
    """
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity not in _GAINS:
        raise ValueError(f"nonlinearity: expected one of {sorted(_GAINS) + ['leaky_relu']}, got {nonlinearity!r}")
    return _GAINS[nonlinearity]


def _fans(t: Tensor) -> Tuple[int, int]:
    if t.ndim < 2:
        raise ValueError(f"tensor: fan in/out need at least 2 dimensions, got shape {t.shape}")
    rf = int(np.prod(t.shape[2:])) if t.ndim > 2 else 1
    return t.shape[1] * rf, t.shape[0] * rf


def _check(t: Any) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"tensor: expected a Tensor, got {type(t).__name__}")
    return t


def _fill(t: Tensor, values: np.ndarray) -> Tensor:
    t.data[...] = values.astype(np.float32)
    return t


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill ``tensor`` in place from U(a, b); returns it.

    Example:
        >>> w = uniform_(ne.empty(2, 3), -0.1, 0.1)
        >>> bool((w.abs() <= 0.1).all())
        True
    """
    t = _check(tensor)
    if a > b:
        raise ValueError(f"a: expected a <= b, got a={a}, b={b}")
    return _fill(t, generator().uniform(a, b, t.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill ``tensor`` in place from N(mean, std**2); returns it.

    Example:
        >>> normal_(ne.empty(1000), 0.0, 0.01).std().item() < 0.02
        True
    """
    t = _check(tensor)
    if std < 0:
        raise ValueError(f"std: expected >= 0, got {std}")
    return _fill(t, generator().normal(mean, std, t.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill ``tensor`` in place with ``val``; returns it.

    Example:
        >>> constant_(ne.empty(3), 0.5)
        tensor([0.5, 0.5, 0.5])
    """
    t = _check(tensor)
    t.data[...] = val
    return t


def zeros_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` in place with zeros; returns it.

    Example:
        >>> zeros_(ne.empty(2))
        tensor([0., 0.])
    """
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` in place with ones; returns it.

    Example:
        >>> ones_(ne.empty(2))
        tensor([1., 1.])
    """
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot & Bengio 2010: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).

    Example:
        >>> w = xavier_uniform_(ne.empty(30, 20))
        >>> bool((w.abs() <= (6 / 50) ** 0.5).all())
        True
    """
    fi, fo = _fans(_check(tensor))
    a = gain * math.sqrt(6.0 / (fi + fo))
    return uniform_(tensor, -a, a)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot & Bengio 2010: N(0, std**2), std = gain * sqrt(2 / (fan_in + fan_out)); in place.

    Example:
        >>> xavier_normal_(ne.empty(64, 32)).shape
        (64, 32)
    """
    fi, fo = _fans(_check(tensor))
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fi + fo)))


def _kaiming_std(t: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    fi, fo = _fans(t)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode: expected 'fan_in' or 'fan_out', got {mode!r}")
    fan = fi if mode == "fan_in" else fo
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """He et al. 2015: U(-b, b), b = gain * sqrt(3 / fan).

    Example:
        >>> kaiming_uniform_(ne.empty(16, 8), nonlinearity="relu").shape
        (16, 8)
    """
    std = _kaiming_std(_check(tensor), a, mode, nonlinearity)
    b = math.sqrt(3.0) * std
    return uniform_(tensor, -b, b)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """He et al. 2015: N(0, std**2), std = gain / sqrt(fan) (``mode`` 'fan_in' or 'fan_out'); in place.

    Example:
        >>> kaiming_normal_(ne.empty(16, 8), mode="fan_out", nonlinearity="relu").shape
        (16, 8)
    """
    std = _kaiming_std(_check(tensor), a, mode, nonlinearity)
    return normal_(tensor, 0.0, std)


xavier_uniform = xavier_uniform_
xavier_normal = xavier_normal_
kaiming_uniform = kaiming_uniform_
kaiming_normal = kaiming_normal_


def default_layer_init_(weight: Tensor, bias: Any = None) -> None:
    """PyTorch's default for Linear/Conv: kaiming_uniform_(a=sqrt(5)) weights, U(-1/sqrt(fan_in), ...) bias.

    Example:
        >>> fc = nn.Linear(4, 2)
        >>> default_layer_init_(fc.weight, fc.bias)
        >>> bool((fc.bias.abs() <= 0.5).all())
        True
    """
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fi, _ = _fans(weight)
        bound = 1.0 / math.sqrt(fi) if fi > 0 else 0.0
        uniform_(bias, -bound, bound)
