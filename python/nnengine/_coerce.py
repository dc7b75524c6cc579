"""One home for turning inputs into numpy arrays or Tensors: which helper to call for which contract.

=====================  =======================================================================================
``as_array(x)``        the array behind ``x``: a Tensor's ``.data`` (no copy), a torch tensor's numpy, else
                       ``np.asarray(x)`` (dtype kept). Defined by the tape (``tensor._as_array``), which
                       cannot import this module; every module above the tape imports it from here.
``f32c(a)``            a C-contiguous aligned float32 view (no copy when it already is one) or copy: a kernel
                       operand. Defined by the tape (``ops.f32c``); on the hot path, so kept one call deep.
``data_or_self(x)``    a Tensor's ``.data``, anything else (None, numbers, masks) unchanged.
``array_data(x)``      the numpy array itself (a Tensor's ``.data``), never a copy, for in-place updates
                       (constraints, running statistics); TypeError naming the argument for anything else.
``wrap_tensor(x)``     ``x`` if it is a Tensor, else ``Tensor(x)`` (the constructor: float32).
``as_f32(x)``          a C-contiguous float32 numpy array of a Tensor or array-like (a copy only if needed).
``as_f32_tensor(x)``   ``x`` if it is a Tensor, else a float32 Tensor of it.
``ensure_tensor(x)``   ``x`` if it is a Tensor, else ``nnengine.tensor(x)`` (dtype inferred, as torch does).
=====================  =======================================================================================

``nnengine.data.to_tensor`` (a batch: floats -> float32, integers -> int64) is the data loader's policy and
stays public there.

Example:
    >>> t = ne.tensor([1.0, 2.0])
    >>> np.shares_memory(as_array(t), t.data), as_f32([1, 2]).dtype, data_or_self(None), ensure_tensor(t) is t
    (True, dtype('float32'), None, True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .ops import f32c
from .tensor import Tensor, tensor
from .tensor import _as_array as as_array

__all__ = ["as_array", "f32c", "data_or_self", "array_data", "wrap_tensor", "as_f32", "as_f32_tensor", "ensure_tensor"]


def data_or_self(x: Any) -> Any:
    """A Tensor's ``.data``; anything else unchanged.

    Example:
        >>> data_or_self(ne.ones(2)), data_or_self(3)
        (array([1., 1.], dtype=float32), 3)
    """
    return x._data if isinstance(x, Tensor) else x


def array_data(x: Any, name: str = "w") -> np.ndarray:
    """The numpy array behind ``x`` (a Tensor's ``.data``, or ``x`` itself), never a copy, so that writes to
    it update ``x``; TypeError naming ``name`` when ``x`` is neither.

    Example:
        >>> w = ne.ones(2); array_data(w)[0] = 5.0; w
        tensor([5., 1.])
    """
    a = x._data if isinstance(x, Tensor) else x
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name}: expected a Tensor or numpy array, got {type(x).__name__}")
    return a


def wrap_tensor(x: Any) -> Tensor:
    """``x`` if it is a Tensor, else ``Tensor(x)`` (the constructor's dtype rule: float32 unless given).

    Example:
        >>> wrap_tensor(np.ones(2, np.float32)).dtype, wrap_tensor([1, 2]).dtype
        (dtype('float32'), dtype('float32'))
    """
    return x if isinstance(x, Tensor) else Tensor(x)


def as_f32(x: Any) -> np.ndarray:
    """A C-contiguous float32 numpy array of ``x`` (Tensor or array-like).

    Example:
        >>> as_f32(ne.ones(2, 3).t()).flags.c_contiguous, as_f32([1, 2]).dtype
        (True, dtype('float32'))
    """
    return np.ascontiguousarray(x._data if isinstance(x, Tensor) else np.asarray(x), dtype=np.float32)


def as_f32_tensor(x: Any) -> Tensor:
    """``x`` if it is a Tensor, else a float32 Tensor of it (C-contiguous, as ``as_f32``).

    Example:
        >>> as_f32_tensor([1, 2]).dtype
        dtype('float32')
    """
    return x if isinstance(x, Tensor) else Tensor(as_f32(x))


def ensure_tensor(x: Any) -> Tensor:
    """``x`` if it is a Tensor, else ``nnengine.tensor(x)`` (its dtype inferred from the data).

    Example:
        >>> ensure_tensor([1, 2]).dtype
        dtype('int64')
    """
    return x if isinstance(x, Tensor) else tensor(x)
