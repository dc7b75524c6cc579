"""Argument checks and array helpers shared by the functional ops."""

from __future__ import annotations

import sys
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

from ..ops import f32c  # noqa: F401  (re-exported: one home, with the tape's glue matmul)
from ..tensor import Tensor, _DtypeError

_F32 = np.dtype(np.float32)


_F64 = np.dtype(np.float64)


def _public_caller() -> str:
    """The op a user called: the first public nnengine function up the stack from a check (a Module's
    ``forward`` names its class)."""
    f = sys._getframe(2)
    for _ in range(8):
        if f is None or not str(f.f_globals.get("__name__", "")).startswith("nnengine"):
            break
        name = f.f_code.co_name
        if name == "forward" and "self" in f.f_locals:
            return type(f.f_locals["self"]).__name__
        if not name.startswith("_") and name != "check_tensor":
            return name
        f = f.f_back
    return "this op"


def type_name(x: Any) -> str:
    """``x``'s type for an error message, with its module when it is another library's (``torch.Tensor``)."""
    t = type(x)
    mod = getattr(t, "__module__", "") or ""
    return t.__name__ if mod in ("builtins", "") or mod.startswith("nnengine") else f"{mod.split('.')[0]}.{t.__name__}"


def foreign_array(x: Any, name: str) -> np.ndarray:
    """The values of another library's array (anything with ``__array__``, e.g. a torch tensor) as numpy, or a
    TypeError naming the argument (a torch tensor that requires grad cannot give its values without ``detach()``).

    Example:
        >>> foreign_array(np.ones(2), "input").tolist()
        [1.0, 1.0]
    """
    try:
        a = np.asarray(x)
    except Exception as e:  # torch: "Can't call numpy() on Tensor that requires grad"
        raise TypeError(f"{name}: got a {type_name(x)} whose values numpy cannot read ({e}); pass an nnengine "
                        "Tensor, or x.detach() / x.cpu()") from None
    if a.dtype == object:
        raise TypeError(f"{name}: expected a Tensor, got {type_name(x)}")
    return a


def check_tensor(x: Any, name: str, ndim: Optional[Union[int, Sequence[int]]] = None,
                 float64: bool = False) -> Tensor:
    """``x`` as a float Tensor (numpy arrays and lists are wrapped like ``Tensor(x)``: float32), with an
    optional rank check. A float64 *Tensor* passes through where the op has a float64 path (``float64=True``:
    Linear, the activations, softmax, MSE/L1 and the recurrent layers); elsewhere it is a ``TypeError`` naming
    the op, never a silent downcast. float16/bfloat16 are computed in float32 (an exact widening)."""
    if type(x) is Tensor or isinstance(x, Tensor):
        if ndim is None and x._data.dtype is _F32:
            return x
        t = x
    elif isinstance(x, (np.ndarray, list, tuple, float, int)):
        t = Tensor(x)
    elif hasattr(x, "__array__"):  # another library's CPU array (a torch tensor from torchvision...): its values
        t = Tensor(foreign_array(x, name))
    else:
        raise TypeError(f"{name}: expected a Tensor, got {type_name(x)}")
    dt = t._data.dtype
    if dt.kind != "f":
        raise _DtypeError(f"{name}: expected a floating-point tensor, got dtype {dt}")
    if dt != np.float32:
        if dt == _F64:
            if not float64:
                op = _public_caller()
                raise _DtypeError(
                    f"{op}: {name} is float64, but the {op} kernel computes in float32 only (no silent "
                    "downcast); convert with .float() / model.float(). float64 runs end to end through Linear, "
                    "the activations, softmax, MSE/L1/BCE losses, RNN/LSTM/GRU and the optimizers.")
        else:
            t = t.float()
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if t.ndim not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise ValueError(f"{name}: expected {want} dimensions, got {t.ndim} with shape {t.shape}")
    return t


def is_f64(*xs: Any) -> bool:
    """Whether any of ``xs`` is a float64 Tensor (the ops with a float64 path switch to it)."""
    return any(isinstance(x, Tensor) and x._data.dtype == _F64 for x in xs)


def same_float_dtype(name: str, *xs: Any) -> None:
    """torch's rule for mixed-precision operands of one kernel: float32 with float64 is an error."""
    dts = {x._data.dtype for x in xs if isinstance(x, Tensor)}
    if len(dts) > 1:
        raise _DtypeError(f"{name}: expected all operands to have the same dtype, got {sorted(str(d) for d in dts)}"
                        " (convert with .float() or .double())")


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


def triple(v: Any, name: str) -> Tuple[int, int, int]:
    """An int or a 3-sequence of ints as a 3-tuple of non-negative ints (torch's ``_triple``; 3-D layers)."""
    t = as_tuple(v, 3, name, int)
    if min(t) < 0:
        raise ValueError(f"{name}: expected non-negative values, got {v!r}")
    return t


def single(v: Any, name: str) -> Tuple[int]:
    """An int or a 1-tuple of ints as a 1-tuple of a non-negative int (torch's ``_single``)."""
    if isinstance(v, (tuple, list)) and len(v) == 1:
        v = v[0]
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        if v < 0:
            raise ValueError(f"{name}: expected a non-negative value, got {v!r}")
        return (int(v),)
    raise TypeError(f"{name}: expected an int or a 1-tuple of ints, got {v!r}")


def to4(a: np.ndarray, spatial: int, batched: bool) -> np.ndarray:
    """View (N, C, *spatial) / (C, *spatial) data as (N, C, H, W): a 1-D signal is an image of height 1."""
    if not batched:
        a = a[None]
    return f32c(a[:, :, None, :] if spatial == 1 else a)


def as_shape(a: Optional[np.ndarray], shape: Tuple[int, ...]) -> Optional[np.ndarray]:
    """``a`` itself when it already has ``shape`` (or is None), else a reshaped view. A backward returns a kernel's
    own array this way: the tape keeps such an array as a leaf's .grad, where a view (even of the same shape, which
    ``reshape`` makes) would be copied."""
    return a if a is None or a.shape == shape else a.reshape(shape)


def from4(a: np.ndarray, spatial: int, batched: bool) -> np.ndarray:
    """The inverse of ``to4``: (N, C, H, W) data back as (N, C, *spatial) / (C, *spatial)."""
    if spatial == 1:
        a = a[:, :, 0, :]
    return a if batched else a[0]


def number(v: Any, name: str) -> float:
    """``v`` (a Python or numpy real number, not a bool) as a float; TypeError naming ``name`` otherwise
    (arrays and Tensors included, even of size 1: a scalar option never broadcasts)."""
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a number, got {type(v).__name__}")
    return float(v)


def probability(p: Any, name: str = "p") -> float:
    """``p`` (an int or float in [0, 1], not a bool) as a float; ValueError naming ``name`` otherwise."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: expected a probability in [0, 1], got {p!r}")
    return float(p)


def positive_int(v: Any, name: str) -> int:
    """``v`` (an int or numpy integer, not a bool) >= 1 as an int; ValueError naming ``name`` otherwise."""
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"{name}: expected a positive int, got {v!r}")
    return int(v)


def dim_index(dim: Any, ndim: int, name: str = "dim") -> int:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{name}: expected an int, got {type(dim).__name__}")
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise ValueError(f"{name}: expected a value in [{-max(ndim, 1)}, {max(ndim, 1) - 1}], got {dim}")
    return int(dim) % max(ndim, 1)


def as_tuple(v: Any, n: int, name: str, kind: type) -> Tuple[Any, ...]:
    """``v`` (one value or a sequence of ``n``) as ``n`` ints (``kind`` int) or floats, else a ValueError /
    TypeError naming ``name``."""
    vals = tuple(v) if isinstance(v, (tuple, list)) else (v,) * n
    if len(vals) != n:
        raise ValueError(f"{name}: expected {n} values for this input, got {v!r}")
    for a in vals:
        ok = isinstance(a, (int, np.integer)) if kind is int else isinstance(a, (int, float, np.integer, np.floating))
        if isinstance(a, bool) or not ok:
            raise TypeError(f"{name}: expected {'ints' if kind is int else 'numbers'}, got {v!r}")
    return tuple(kind(a) for a in vals)


def adaptive_bins(n_in: int, n_out: int) -> Tuple[np.ndarray, np.ndarray]:
    """torch's adaptive pooling bins (int64 starts and ends): bin o is [floor(o * n_in / n_out),
    ceil((o + 1) * n_in / n_out)).

    Example:
        >>> [b.tolist() for b in adaptive_bins(5, 3)]
        [[0, 1, 3], [2, 4, 5]]
    """
    o = np.arange(n_out, dtype=np.int64)
    return (o * n_in) // n_out, -((-(o + 1) * n_in) // n_out)
