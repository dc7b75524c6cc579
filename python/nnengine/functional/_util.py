"""Argument checks and array helpers shared by the functional ops."""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

from ..tensor import Tensor

_F32 = np.dtype(np.float32)


def f32c(a: Any) -> np.ndarray:
    """A C-contiguous, aligned float32 view or copy of ``a`` (no-op fast path for arrays that already are)."""
    if type(a) is np.ndarray and a.dtype is _F32 and a.flags.c_contiguous and a.flags.aligned:
        return a
    return np.require(a, np.float32, ("C", "A"))


def check_tensor(x: Any, name: str, ndim: Optional[Union[int, Sequence[int]]] = None) -> Tensor:
    """``x`` as a float Tensor (numpy arrays are wrapped), with an optional rank check."""
    if type(x) is Tensor or isinstance(x, Tensor):
        if ndim is None and x.data.dtype is _F32:
            return x
        t = x
    elif isinstance(x, (np.ndarray, list, tuple, float, int)):
        t = Tensor(x)
    else:
        raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
    if t.data.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating-point tensor, got dtype {t.data.dtype}")
    if t.data.dtype != np.float32:
        # the engine computes in float32: float64 in -> float32 out, and the cast stays on the tape so a
        # float64 tensor that requires grad still receives its gradient (as float32, like every .grad here)
        t = t.float()
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if t.ndim not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise ValueError(f"{name}: expected {want} dimensions, got {t.ndim} with shape {t.shape}")
    return t


def pair(v: Any, name: str) -> Tuple[int, int]:
    """An int or a pair of ints as a 2-tuple of non-negative ints."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        t = (int(v), int(v))
    elif isinstance(v, (tuple, list)) and len(v) == 2 and all(
        isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in v
    ):
        t = (int(v[0]), int(v[1]))
    else:
        raise TypeError(f"{name}: expected an int or a pair of ints, got {v!r}")
    if t[0] < 0 or t[1] < 0:
        raise ValueError(f"{name}: expected non-negative values, got {v!r}")
    return t


def dim_index(dim: Any, ndim: int, name: str = "dim") -> int:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{name}: expected an int, got {type(dim).__name__}")
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise ValueError(f"{name}: expected a value in [{-max(ndim, 1)}, {max(ndim, 1) - 1}], got {dim}")
    return int(dim) % max(ndim, 1)
