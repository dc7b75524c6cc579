"""The names ``import nnengine as torch`` code expects at top level: dtypes (``ne.float32``, ``ne.long``...),
``ne.device``, the factories with ``dtype=``/``device=`` and the function namespace of ``_functions``.
``nnengine/__init__.py`` star-imports this module last.

Example:
    >>> import nnengine as torch
    >>> torch.zeros(2, dtype=torch.long, device=torch.device("cpu")).dtype
    dtype('int64')
"""

from __future__ import annotations

import builtins
import functools
from typing import Any

import numpy as np

from . import _ops_index, _ops_math, _ops_misc, _ops_random, _tensor_extras, linalg
from ._device import (
    CPU,
    DeviceError,
    channels_last,
    channels_last_3d,
    check_device,
    contiguous_format,
    device,
    memory_format,
    preserve_format,
)
from ._dtypes import (
    bool_,
    double,
    dtype,
    finfo,
    float16,
    float32,
    float64,
    float_,
    get_default_dtype,
    half,
    iinfo,
    int8,
    int16,
    int32,
    int64,
    int_,
    is_floating_point,
    long,
    set_default_dtype,
    short,
    uint8,
)
from ._functions import *  # noqa: F401, F403
from ._functions import __all__ as _fn_all
from ._ops_index import *  # noqa: F401, F403
from ._ops_math import *  # noqa: F401, F403
from ._ops_misc import *  # noqa: F401, F403
from ._ops_random import *  # noqa: F401, F403
from .sparse import sparse_coo_tensor, spmm
from .tensor import (
    Size,
    Tensor,
    arange,
    as_tensor,
    cat,
    concat,
    concatenate,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    maximum,
    minimum,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    result_type,
    return_types,
    stack,
    tensor,
    where,
    zeros,
    zeros_like,
)


class _TypedTensorType(type):
    """The metaclass of the legacy typed constructors: ``isinstance(t, ne.LongTensor)`` tests the dtype."""

    def __instancecheck__(cls, obj: Any) -> builtins.bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype

    def __repr__(cls) -> str:
        return f"<class 'torch.{cls.__name__}'>"


def _typed_new(cls: type, *args: Any, device: Any = None) -> Tensor:
    check_device(device)
    dt = cls.dtype
    if not args:
        return empty(0, dtype=dt)
    if builtins.all(isinstance(a, (builtins.int, np.integer)) and not isinstance(a, (builtins.bool, np.bool_)) for a in args):
        return empty(*args, dtype=dt)  # torch.LongTensor(2, 3): uninitialized, of that shape
    if len(args) > 1:
        raise TypeError(f"{cls.__name__}(): expected sizes (ints) or one sequence of data, got {args!r}")
    data = args[0]
    if isinstance(data, Tensor):
        if data.dtype != dt:
            raise TypeError(f"{cls.__name__}(): expected a tensor of dtype {dt}, got {data.dtype}")
        return data.detach()
    if not isinstance(data, (list, tuple, np.ndarray)):
        raise TypeError(f"{cls.__name__}(): data must be a sequence (got {type(data).__name__})")
    return tensor(np.asarray(data).astype(dt))  # (float data to an integer type truncates, as torch)


def _typed_tensor(name: str, dt: Any) -> type:
    example = (f">>> ne.{name}([1, 2]).dtype, ne.{name}(2, 3).shape, isinstance(ne.{name}([1]), ne.{name})\n"
               f"(dtype('{np.dtype(dt).name}'), (2, 3), True)")
    doc = (f"torch's legacy ``torch.{name}``: ``{name}(sequence)`` is a {np.dtype(dt).name} tensor of that data, "
           f"``{name}(*sizes)`` an uninitialized one of that shape, ``{name}()`` an empty one; "
           f"``isinstance(t, ne.{name})`` tests the dtype.\n\nExample:\n    " + example.replace("\n", "\n    "))
    return _TypedTensorType(name, (), {"__new__": _typed_new, "dtype": np.dtype(dt), "__doc__": doc,
                                       "__module__": __name__})


def set_default_device(device: Any) -> None:
    """torch's ``torch.set_default_device``: where factory functions put new tensors. nnengine runs on the CPU,
    so ``"cpu"``, ``ne.device("cpu")`` or None are accepted and another device is a ``DeviceError``.

    Example:
        >>> ne.set_default_device("cpu"); ne.get_default_device()
        device(type='cpu')
    """
    check_device(device, "device")


def get_default_device() -> Any:
    """torch's ``torch.get_default_device()``: always ``device("cpu")`` in nnengine.

    Example:
        >>> ne.get_default_device() == "cpu"
        True
    """
    return CPU


FloatTensor = _typed_tensor("FloatTensor", float32)
DoubleTensor = _typed_tensor("DoubleTensor", float64)
HalfTensor = _typed_tensor("HalfTensor", float16)
LongTensor = _typed_tensor("LongTensor", int64)
IntTensor = _typed_tensor("IntTensor", int32)
ShortTensor = _typed_tensor("ShortTensor", int16)
CharTensor = _typed_tensor("CharTensor", int8)
ByteTensor = _typed_tensor("ByteTensor", uint8)
BoolTensor = _typed_tensor("BoolTensor", bool_)

float = float_  # noqa: A001  torch.float
int = int_  # noqa: A001  torch.int
bool = bool_  # noqa: A001  torch.bool


#: The methods and functions taking a ``dim`` that torch's argument parser also lets numpy code call with
#: ``axis=`` / ``keepdims=`` (every native function's ``dim`` / ``keepdim``: ``x.std(axis=0)``,
#: ``torch.topk(x, 2, axis=1)``). The per-op-hot ones (``sum``, ``mean``, ``max``, ``min``, ``argmax``,
#: ``argmin``, ``softmax``, ``log_softmax``, ``unsqueeze``, ``squeeze``, ``cat``, ``stack``) take ``axis``
#: in their own signatures instead; torch's Python-level functions (``F.softmax``, ``x.norm``, ``x.split``,
#: ``torch.unique``) accept neither, in torch as here.
_NUMPY_DIM_METHODS = (
    "var", "std", "prod", "amax", "amin", "cumsum", "cumprod", "logcumsumexp", "logsumexp", "all", "any", "topk",
    "sort", "argsort", "index_select", "median", "nanmedian", "mode", "chunk", "unbind", "kthvalue", "nansum",
    "nanmean", "count_nonzero", "cummax", "cummin", "repeat_interleave", "diff", "aminmax", "quantile",
    "nanquantile", "select", "narrow", "gather", "take_along_dim", "index_add", "index_fill", "index_copy",
    "tensor_split", "unflatten", "cross", "flatten_dims",
)
_NUMPY_DIM_FUNCTIONS = _NUMPY_DIM_METHODS + ("var_mean", "std_mean", "trapezoid", "cumulative_trapezoid")


def _numpy_names(fn: Any) -> Any:
    """``fn`` also taking numpy's ``axis`` for ``dim`` and ``keepdims`` for ``keepdim`` (translated before the
    call; giving both spellings is a TypeError, as torch)."""
    if getattr(fn, "_numpy_names", False):
        return fn

    @functools.wraps(fn)
    def f(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            for alias, name in (("axis", "dim"), ("keepdims", "keepdim")):
                if alias in kwargs:
                    if name in kwargs:
                        raise TypeError(f"{fn.__name__}(): received both {name!r} and its alias {alias!r}")
                    kwargs[name] = kwargs.pop(alias)
        return fn(*args, **kwargs)

    f._numpy_names = True  # type: ignore[attr-defined]
    return f


def _attach() -> None:
    """The one place the op modules' functions become ``Tensor`` methods (their first argument is ``self``)."""
    from .tensor import Tensor

    for mod in (_ops_index, _ops_math, _ops_misc, _ops_random, _tensor_extras, linalg):
        for name, fn in mod.TENSOR_METHODS.items():
            setattr(Tensor, name, fn)
    for name, fn in _tensor_extras.TENSOR_PROPERTIES.items():
        setattr(Tensor, name, property(fn))
    _tensor_extras.attach(Tensor)
    for name in _NUMPY_DIM_METHODS:
        if name in Tensor.__dict__ and callable(Tensor.__dict__[name]):
            setattr(Tensor, name, _numpy_names(Tensor.__dict__[name]))
    g = globals()
    for name in _NUMPY_DIM_FUNCTIONS:  # the op modules' own functions (the _functions ones call the methods)
        fn = g.get(name)
        if callable(fn) and getattr(fn, "__module__", "").startswith("nnengine._ops_"):
            g[name] = _numpy_names(fn)


_attach()
globals().update(linalg.TOP_LEVEL)  # torch.inverse / det / logdet / slogdet / svd / cholesky / pinverse / qr...
_inplace_top = _ops_misc.install_inplace(globals(), Tensor)  # ne.relu_(x), ne.clamp_(x, 0, 1)...

__all__ = list(_fn_all) + list(linalg.TOP_LEVEL) + _inplace_top + list(_ops_misc.__all__) + list(_ops_index.__all__) + list(_ops_math.__all__) + list(_ops_random.__all__) + [
    "DeviceError", "check_device", "device", "double", "dtype", "finfo", "float16", "float32", "float64",
    "get_default_dtype", "half", "iinfo", "int8", "int16", "int32", "int64", "is_floating_point", "long",
    "set_default_dtype", "short", "uint8", "float", "int", "bool", "arange", "as_tensor", "cat", "concat",
    "concatenate", "empty", "empty_like", "eye", "from_numpy", "full", "full_like", "linspace", "maximum",
    "minimum", "normal", "ones", "ones_like", "rand", "rand_like", "randint", "randn", "randn_like", "randperm",
    "result_type", "return_types", "Size", "stack", "tensor", "where", "zeros", "zeros_like",
    "FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
    "ByteTensor", "BoolTensor", "sparse_coo_tensor", "spmm", "set_default_device", "get_default_device",
    "memory_format", "contiguous_format", "channels_last", "channels_last_3d", "preserve_format",
]
