"""The names ``import nnengine as torch`` code expects at top level: dtypes (``ne.float32``, ``ne.long``...),
``ne.device``, the factories with ``dtype=``/``device=`` and the function namespace of ``_functions``.
``nnengine/__init__.py`` star-imports this module last.

Example:
    >>> import nnengine as torch
    >>> torch.zeros(2, dtype=torch.long, device=torch.device("cpu")).dtype
    dtype('int64')
"""

from __future__ import annotations

from ._device import DeviceError, check_device, device
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
from .tensor import (
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

float = float_  # noqa: A001  torch.float
int = int_  # noqa: A001  torch.int
bool = bool_  # noqa: A001  torch.bool

__all__ = list(_fn_all) + [
    "DeviceError", "check_device", "device", "double", "dtype", "finfo", "float16", "float32", "float64",
    "get_default_dtype", "half", "iinfo", "int8", "int16", "int32", "int64", "is_floating_point", "long",
    "set_default_dtype", "short", "uint8", "float", "int", "bool", "arange", "as_tensor", "cat", "concat",
    "concatenate", "empty", "empty_like", "eye", "from_numpy", "full", "full_like", "linspace", "maximum",
    "minimum", "normal", "ones", "ones_like", "rand", "rand_like", "randint", "randn", "randn_like", "randperm",
    "result_type", "return_types", "stack", "tensor", "where", "zeros", "zeros_like",
]
