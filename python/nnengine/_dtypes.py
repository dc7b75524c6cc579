"""PyTorch's dtype names as numpy dtypes: ``ne.float32``, ``ne.int64``, ``ne.long``... are usable wherever
torch takes a dtype (``dtype=`` of the factories, ``Tensor.to``, ``Tensor.type``) and compare equal to
``Tensor.dtype``, which stays a numpy dtype.

Example:
    >>> import nnengine as ne
    >>> ne.zeros(2, dtype=ne.int64).dtype == ne.long
    True
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
float16 = np.dtype(np.float16)
int64 = np.dtype(np.int64)
int32 = np.dtype(np.int32)
int16 = np.dtype(np.int16)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)
float_ = float32  # torch.float
double = float64
half = float16
long = int64
int_ = int32  # torch.int
short = int16
dtype = np.dtype  # ``isinstance(x, ne.dtype)``

_TYPE_NAMES = {
    float32: "torch.FloatTensor", float64: "torch.DoubleTensor", float16: "torch.HalfTensor",
    int64: "torch.LongTensor", int32: "torch.IntTensor", int16: "torch.ShortTensor", int8: "torch.CharTensor",
    uint8: "torch.ByteTensor", bool_: "torch.BoolTensor",
}
_NAME_TYPES = {v: k for k, v in _TYPE_NAMES.items()}
_NAME_TYPES.update({k.replace("torch.", ""): v for k, v in _NAME_TYPES.items()})
_NAME_TYPES.update({"torch.float32": float32, "torch.float64": float64, "torch.int64": int64, "torch.long": int64,
                    "torch.float": float32, "torch.double": float64, "torch.int32": int32, "torch.int": int32,
                    "torch.bool": bool_, "torch.uint8": uint8, "torch.half": float16, "torch.float16": float16})


def to_dtype(d: Any, name: str = "dtype") -> Optional[np.dtype]:
    """``d`` (a numpy dtype, a numpy/Python type, ``ne.long``..., a torch dtype or a torch type string such
    as ``"torch.LongTensor"``) as a numpy dtype; None stays None.

    Example:
        >>> to_dtype("torch.FloatTensor")
        dtype('float32')
    """
    if d is None or type(d) is np.dtype:
        return d
    if isinstance(d, str) and d in _NAME_TYPES:
        return _NAME_TYPES[d]
    if d is float:
        return float32  # torch: dtype=float means the default float dtype
    if d is int:
        return int64
    if d is bool:
        return bool_
    s = str(d)
    if s in ("nnengine.bfloat16", "torch.bfloat16"):
        raise TypeError(f"{name}: nnengine tensors are numpy arrays, which have no bfloat16; bf16 is a compute "
                        "precision: run the model inside ne.autocast('bf16') (float32 storage, bf16 products)")
    if s.startswith("torch.") and s in _NAME_TYPES:  # a torch.dtype object
        return _NAME_TYPES[s]
    try:
        out = np.dtype(d)
    except TypeError as e:
        raise TypeError(f"{name}: expected a dtype such as ne.float32 or ne.int64, got {d!r}") from e
    if out.kind not in "biuf":
        raise TypeError(f"{name}: nnengine tensors hold bool, integer or float data, got {out}")
    return out


def type_name(d: np.dtype) -> str:
    """torch's tensor type string of a dtype (``float32 -> 'torch.FloatTensor'``)."""
    return _TYPE_NAMES.get(np.dtype(d), f"torch.{np.dtype(d).name}")


def is_floating_point(t: Any) -> bool:
    """Whether a Tensor holds floating-point data (``torch.is_floating_point``).

    Example:
        >>> is_floating_point(ne.zeros(2))
        True
    """
    return np.asarray(t.data if hasattr(t, "data") else t).dtype.kind == "f"


def get_default_dtype() -> np.dtype:
    """The default float dtype: always float32 (the engine's kernels compute in float32).

    Example:
        >>> get_default_dtype()
        dtype('float32')
    """
    return float32


def set_default_dtype(d: Any) -> None:
    """Accepts float32 (a no-op); other dtypes raise ValueError, since the kernels compute in float32.

    Example:
        >>> set_default_dtype(ne.float32)
    """
    if to_dtype(d) != float32:
        raise ValueError(f"set_default_dtype: nnengine's default dtype is float32 only, got {d!r}")


def _info_dtype(type: Any, fn: str) -> tuple:
    """(numpy dtype or None for bfloat16, torch's name) of ``type`` for ``finfo`` / ``iinfo``."""
    s = str(type)
    if s in ("nnengine.bfloat16", "torch.bfloat16", "bfloat16"):
        return None, "bfloat16"
    if isinstance(getattr(type, "dtype", None), np.dtype):
        type = type.dtype  # a Tensor, an array or a numpy scalar: its dtype (np.finfo took them too)
    try:
        d = to_dtype(type, "type")
    except TypeError as e:
        raise TypeError(f"{fn}(): expected a dtype such as ne.float32 or ne.int64, got {type!r}") from e
    return d, d.name


class finfo:
    """``torch.finfo``: the machine limits of a floating-point dtype, as Python floats: ``bits``, ``eps``,
    ``max``, ``min``, ``tiny`` (= ``smallest_normal``), ``resolution`` and ``dtype`` (torch's name, a str).
    ``finfo()`` describes the default dtype (float32); ``type`` may be an nnengine / numpy / torch dtype,
    ``ne.bfloat16``, or a Tensor's ``.dtype``. Integer dtypes raise TypeError, as torch.

    Example:
        >>> ne.finfo(ne.float32).eps, ne.finfo().dtype, ne.finfo(ne.bfloat16).max
        (1.1920928955078125e-07, 'float32', 3.3895313892515355e+38)
        >>> ne.finfo(ne.zeros(1, dtype=ne.float16).dtype)
        finfo(resolution=0.001, min=-65504, max=65504, eps=0.000976562, smallest_normal=6.10352e-05, tiny=6.10352e-05, dtype=float16)
    """

    def __init__(self, type: Any = None) -> None:
        d, name = (float32, "float32") if type is None else _info_dtype(type, "finfo")
        if d is None:  # bfloat16: float32's exponent, an 8-bit significand
            self.bits, self.eps, self.max = 16, 2.0**-7, float(np.float32(3.3895313892515355e38))
            self.tiny, self.resolution = float(np.finfo(np.float32).tiny), 0.01
        else:
            if d.kind != "f":
                raise TypeError(f"finfo() requires a floating point input type, got {name}; use iinfo for "
                                "integer and bool types")
            info = np.finfo(d)
            self.bits, self.eps, self.max = int(info.bits), float(info.eps), float(info.max)
            self.tiny, self.resolution = float(info.smallest_normal), 10.0 ** -int(info.precision)
        self.min, self.smallest_normal, self.dtype = -self.max, self.tiny, name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    __hash__ = None  # type: ignore[assignment]  # torch's finfo is unhashable too

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")

    __str__ = __repr__


class iinfo:
    """``torch.iinfo``: the limits of an integer dtype as Python ints: ``bits``, ``max``, ``min`` and
    ``dtype`` (torch's name, a str). ``type`` may be an nnengine / numpy / torch dtype or a Tensor's
    ``.dtype``; float and bool dtypes raise TypeError, as torch.

    Example:
        >>> ne.iinfo(ne.int64).max, ne.iinfo(ne.uint8).min, ne.iinfo(ne.int32).dtype
        (9223372036854775807, 0, 'int32')
        >>> ne.iinfo(ne.int16)
        iinfo(min=-32768, max=32767, dtype=int16)
    """

    def __init__(self, type: Any) -> None:
        d, name = _info_dtype(type, "iinfo")
        if d is None or d.kind not in "iu":
            raise TypeError(f"iinfo() requires an integer input type, got {name}; use finfo for "
                            "floating point types" if name != "bool" else "bool is not supported by iinfo")
        info = np.iinfo(d)
        self.bits, self.max, self.min, self.dtype = int(info.bits), int(info.max), int(info.min), name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"

    __str__ = __repr__
