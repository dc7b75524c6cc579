"""float64 numpy oracles for the activation family: ``basic`` / ``basic_grad`` (relu, leaky_relu, elu,
sigmoid, tanh with their alpha) and ``ORACLES[kind] = (alpha, beta, f, f')`` for the others at the alpha / beta
the tests use, checked against finite differences and torch in tests/test_activation.py."""

from __future__ import annotations

import math

import numpy as np


def basic(kind, x, alpha):
    """relu, leaky_relu(alpha), elu(alpha), sigmoid, tanh in float64."""
    x = x.astype(np.float64)
    if kind == "relu":
        return np.maximum(x, 0)
    if kind == "leaky_relu":
        return np.where(x > 0, x, alpha * x)
    if kind == "elu":
        return np.where(x > 0, x, alpha * np.expm1(x))
    if kind == "sigmoid":
        return 1 / (1 + np.exp(-x))
    return np.tanh(x)


def basic_grad(kind, x, alpha):
    """Their derivatives in float64."""
    x = x.astype(np.float64)
    if kind == "relu":
        return (x > 0).astype(np.float64)
    if kind == "leaky_relu":
        return np.where(x > 0, 1.0, alpha)
    if kind == "elu":
        return np.where(x > 0, 1.0, alpha * np.exp(x))
    if kind == "sigmoid":
        s = 1 / (1 + np.exp(-x))
        return s * (1 - s)
    return 1 - np.tanh(x) ** 2


_erfc = np.vectorize(math.erfc)


def _sig(z):
    e = np.exp(-np.abs(z))  # stable: no cancellation on either side
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _sp(z):
    return np.logaddexp(0.0, z)


_C = math.sqrt(2 / math.pi)


def _gelu_t(v):
    return _sig(2 * _C * (v + 0.044715 * v**3))


# kind: (alpha, beta, f, f') in float64
ORACLES = {
    "gelu": (0.0, 0.0, lambda v: 0.5 * v * _erfc(-v / math.sqrt(2)),
             lambda v: 0.5 * _erfc(-v / math.sqrt(2)) + v * np.exp(-v * v / 2) / math.sqrt(2 * math.pi)),
    "gelu_tanh": (0.0, 0.0, lambda v: v * _gelu_t(v),
                  lambda v: _gelu_t(v) + v * _gelu_t(v) * (1 - _gelu_t(v)) * 2 * _C * (1 + 3 * 0.044715 * v * v)),
    "silu": (0.0, 0.0, lambda v: v * _sig(v), lambda v: _sig(v) * (1 + v * (1 - _sig(v)))),
    "mish": (0.0, 0.0, lambda v: v * np.tanh(_sp(v)),
             lambda v: np.tanh(_sp(v)) + v * (1 - np.tanh(_sp(v)) ** 2) * _sig(v)),
    "softplus": (1.0, 20.0, lambda v: np.where(v > 20, v, _sp(v)), lambda v: np.where(v > 20, 1.0, _sig(v))),
    "hardtanh": (-1.0, 1.0, lambda v: np.clip(v, -1, 1), lambda v: ((v > -1) & (v < 1)).astype(float)),
    "hardswish": (0.0, 0.0, lambda v: v * np.clip(v + 3, 0, 6) / 6,
                  lambda v: np.where(v < -3, 0, np.where(v <= 3, v / 3 + 0.5, 1))),
    "hardsigmoid": (0.0, 0.0, lambda v: np.clip(v + 3, 0, 6) / 6, lambda v: ((v > -3) & (v < 3)) / 6.0),
    "softsign": (0.0, 0.0, lambda v: v / (1 + np.abs(v)), lambda v: 1 / (1 + np.abs(v)) ** 2),
}
