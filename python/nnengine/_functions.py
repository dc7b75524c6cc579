"""PyTorch's module-level function namespace (``ne.exp``, ``ne.max``, ``ne.einsum``...): thin wrappers of
the Tensor methods, with torch's signatures, so code written as ``torch.f(x, ...)`` runs unchanged.

Example:
    >>> import nnengine as ne
    >>> x = ne.randn(4, 3)
    >>> v, i = ne.max(x, dim=1)
    >>> ne.einsum("ij,jk->ik", x, ne.randn(3, 2)).shape
    (4, 2)
"""

from __future__ import annotations

import builtins
import string
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from . import ops
from .tensor import _PRINT, Tensor, _as_array, maximum, minimum, tensor


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else tensor(x)


def _method(name: str, doc: str) -> Any:
    def f(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        return getattr(_t(input), name)(*args, **kwargs)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"{doc}\n\nExample:\n    >>> ne.{name}(x)  # same as x.{name}()\n"
    return f


exp = _method("exp", "Elementwise e**x.")
log = _method("log", "Natural logarithm.")
log1p = _method("log1p", "log(1 + x), accurate near 0.")
expm1 = _method("expm1", "exp(x) - 1, accurate near 0.")
log2 = _method("log2", "Base-2 logarithm.")
log10 = _method("log10", "Base-10 logarithm.")
sqrt = _method("sqrt", "Square root.")
rsqrt = _method("rsqrt", "1 / sqrt(x).")
square = _method("square", "x * x.")
abs = _method("abs", "Absolute value.")  # noqa: A001
absolute = abs
neg = _method("neg", "-x.")
negative = neg
reciprocal = _method("reciprocal", "1 / x.")
sigmoid = _method("sigmoid", "Logistic sigmoid.")
tanh = _method("tanh", "Hyperbolic tangent.")
relu = _method("relu", "max(x, 0).")
softmax = _method("softmax", "Softmax over ``dim``.")
log_softmax = _method("log_softmax", "Log-softmax over ``dim``.")
sin = _method("sin", "Sine.")
cos = _method("cos", "Cosine.")
tan = _method("tan", "Tangent.")
erf = _method("erf", "Gauss error function.")
sign = _method("sign", "Sign (-1, 0, 1).")
floor = _method("floor", "Round down.")
ceil = _method("ceil", "Round up.")
trunc = _method("trunc", "Round toward zero.")
round = _method("round", "Round half to even (torch's rule).")  # noqa: A001
sum = _method("sum", "Sum (of all elements, or over ``dim``); bool/int sums are int64.")  # noqa: A001
mean = _method("mean", "Mean (floating-point tensors only, as torch).")
std = _method("std", "Standard deviation (Bessel-corrected by default).")
var = _method("var", "Variance (Bessel-corrected by default).")
prod = _method("prod", "Product (of all elements, or over ``dim``).")
cumsum = _method("cumsum", "Cumulative sum along ``dim``.")
logsumexp = _method("logsumexp", "log(sum(exp(x))) over ``dim``, computed stably.")
norm = _method("norm", "Vector norm (p = 2/'fro', 1, inf...).")
argmax = _method("argmax", "Index of the maximum (flat without ``dim``).")
argmin = _method("argmin", "Index of the minimum (flat without ``dim``).")
amax = _method("amax", "Maximum over dims (gradient split among ties).")
amin = _method("amin", "Minimum over dims (gradient split among ties).")
argsort = _method("argsort", "Indices that sort along ``dim``.")
sort = _method("sort", "(values, indices) sorted along ``dim``.")
topk = _method("topk", "(values, indices) of the k largest along ``dim``.")
kthvalue = _method("kthvalue", "(values, indices) of the k-th smallest along ``dim``.")
median = _method("median", "Lower median; (values, indices) with ``dim``.")
mode = _method("mode", "(values, indices) of the most frequent value along ``dim``.")
all = _method("all", "Whether all entries are true.")  # noqa: A001
any = _method("any", "Whether any entry is true.")  # noqa: A001
clamp = _method("clamp", "Clamp into [min, max].")
clip = clamp
flatten = _method("flatten", "Flatten dims ``start_dim..end_dim``.")
reshape = _method("reshape", "Reshape (a view when possible).")
squeeze = _method("squeeze", "Remove size-1 dims.")
unsqueeze = _method("unsqueeze", "Insert a size-1 dim.")
transpose = _method("transpose", "Swap two dims.")
swapaxes = transpose
permute = _method("permute", "Reorder dims.")
t = _method("t", "Transpose a 2-D tensor.")
split = _method("split", "Split into pieces along ``dim``.")
chunk = _method("chunk", "Split into ``chunks`` pieces along ``dim``.")
tensor_split = _method("tensor_split", "Split into ``sections`` nearly equal pieces.")
narrow = _method("narrow", "Slice ``length`` entries from ``start`` along ``dim``.")
unbind = _method("unbind", "Slices along ``dim`` as a tuple.")
flip = _method("flip", "Reverse the order along dims.")
mm = _method("mm", "2-D matrix product.")
bmm = _method("bmm", "Batched (3-D) matrix product.")
matmul = _method("matmul", "Matrix product with numpy/torch broadcasting.")
dot = _method("dot", "Inner product of 1-D tensors.")
outer = _method("outer", "Outer product of 1-D tensors.")
diag = _method("diag", "Diagonal of a matrix, or a diagonal matrix from a vector.")
tril = _method("tril", "Lower triangle.")
triu = _method("triu", "Upper triangle.")
gather = _method("gather", "torch.gather along ``dim``.")
scatter = _method("scatter", "torch.scatter along ``dim`` (``reduce='add'/'multiply'``).")
scatter_add = _method("scatter_add", "torch.scatter_add along ``dim``.")
scatter_reduce = _method("scatter_reduce", "torch.scatter_reduce along ``dim`` (sum, prod, mean, amax, amin).")
index_select = _method("index_select", "Entries at ``index`` along ``dim``.")
masked_fill = _method("masked_fill", "Entries where ``mask`` replaced by ``value``.")
isnan = _method("isnan", "NaN mask.")
isinf = _method("isinf", "Inf mask.")
isfinite = _method("isfinite", "Finite mask.")
clone = _method("clone", "A copy (differentiable).")
logical_not = _method("logical_not", "Elementwise not.")
logical_and = _method("logical_and", "Elementwise and.")
logical_or = _method("logical_or", "Elementwise or.")


def max(input: Any, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:  # noqa: A001, A002
    """``max(x)`` -> 0-d; ``max(x, dim)`` -> (values, indices); ``max(a, b)`` -> elementwise maximum.

    Example:
        >>> v, i = ne.max(ne.tensor([[1.0, 5.0]]), 1)
    """
    if other is not None:
        return maximum(input, other)
    return _t(input).max(dim, keepdim)


def min(input: Any, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:  # noqa: A001, A002
    """``min(x)`` -> 0-d; ``min(x, dim)`` -> (values, indices); ``min(a, b)`` -> elementwise minimum."""
    if other is not None:
        return minimum(input, other)
    return _t(input).min(dim, keepdim)


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001, A002
    """``input ** exponent`` (either may be a scalar).

    Example:
        >>> ne.pow(2, ne.tensor([1.0, 2.0]))
        tensor([2., 4.])
    """
    return _t(input) ** exponent if isinstance(input, Tensor) or not isinstance(exponent, Tensor) \
        else exponent.__rpow__(input)


def add(input: Any, other: Any, *, alpha: Any = None) -> Tensor:  # noqa: A002
    """``input + alpha * other``."""
    return _t(input).add(other, alpha=alpha)


def sub(input: Any, other: Any, *, alpha: Any = None) -> Tensor:  # noqa: A002
    """``input - alpha * other``."""
    return _t(input).sub(other, alpha=alpha)


subtract = sub


def mul(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input * other``."""
    return _t(input) * other


multiply = mul


def div(input: Any, other: Any, *, rounding_mode: Optional[str] = None) -> Tensor:  # noqa: A002
    """``input / other`` (true division; ``rounding_mode='floor'|'trunc'`` rounds)."""
    return _t(input).div(other, rounding_mode=rounding_mode)


divide = div
true_divide = div


def remainder(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Python's modulo (sign of the divisor)."""
    return _t(input) % other


def floor_divide(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Floor of ``input / other``."""
    return _t(input) // other


def eq(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Elementwise ``==``."""
    return _t(input).eq(other)


def ne(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Elementwise ``!=``."""
    return _t(input).ne(other)


def gt(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Elementwise ``>``."""
    return _t(input) > other


def ge(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Elementwise ``>=``."""
    return _t(input) >= other


def lt(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Elementwise ``<``."""
    return _t(input) < other


def le(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Elementwise ``<=``."""
    return _t(input) <= other


def allclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
             equal_nan: bool = False) -> bool:
    """Whether all entries are close (a Python bool).

    Example:
        >>> ne.allclose(ne.ones(2), ne.ones(2) + 1e-9)
        True
    """
    return bool(np.allclose(_as_array(input), _as_array(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
            equal_nan: bool = False) -> Tensor:
    """Elementwise closeness mask."""
    return Tensor._wrap(np.asarray(np.isclose(_as_array(input), _as_array(other), rtol=rtol, atol=atol,
                                              equal_nan=equal_nan)))


def equal(input: Any, other: Any) -> bool:  # noqa: A002
    """Same shape and same values (a Python bool)."""
    return _t(input).equal(other)


def numel(input: Any) -> int:  # noqa: A002
    """Number of elements."""
    return int(_as_array(input).size)


def is_tensor(obj: Any) -> bool:
    """Whether ``obj`` is an nnengine Tensor.

    Example:
        >>> ne.is_tensor(ne.zeros(1)), ne.is_tensor([1])
        (True, False)
    """
    return isinstance(obj, Tensor)


def is_nonzero(input: Any) -> bool:  # noqa: A002
    """The truth value of a one-element tensor."""
    return bool(_t(input))


def nonzero(input: Any, *, as_tuple: bool = False) -> Any:  # noqa: A002
    """Indices of the non-zero entries: an ``(n, ndim)`` int64 tensor, or one tensor per dim."""
    nz = np.nonzero(_as_array(input))
    if as_tuple:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in nz)
    return Tensor._wrap(np.stack(nz, axis=1).astype(np.int64) if nz else np.zeros((0, 0), np.int64))


def count_nonzero(input: Any, dim: Any = None) -> Tensor:  # noqa: A002
    """Number of non-zero entries (int64)."""
    return Tensor._wrap(np.asarray(np.count_nonzero(_as_array(input), axis=dim), np.int64))


def set_printoptions(precision: Optional[int] = None, threshold: Optional[int] = None, edgeitems: Optional[int] = None,
                     linewidth: Optional[int] = None, profile: Optional[str] = None,
                     sci_mode: Optional[bool] = None) -> None:
    """Accepted for compatibility; ``precision`` (and ``profile``) set the digits ``repr`` prints, the other
    options are ignored.

    Example:
        >>> ne.set_printoptions(precision=2)
    """
    if profile is not None:
        _PRINT["precision"] = {"default": 4, "short": 2, "full": 4}.get(profile, 4)
    if precision is not None:
        _PRINT["precision"] = int(precision)


def _einsum_normalize(equation: str, ndims: Sequence[int]) -> str:
    eq = equation.replace(" ", "")
    ins, arrow, out = eq.partition("->")
    subs = ins.split(",")
    if len(subs) != len(ndims):
        raise ValueError(f"einsum(): {len(subs)} operands in the equation but {len(ndims)} given")
    used = set(c for c in eq if c.isalpha())
    free = [c for c in string.ascii_letters if c not in used]
    nell = 0
    for s, nd in zip(subs, ndims):
        if "..." in s:
            nell = builtins.max(nell, nd - (len(s) - 3))
    ell = "".join(free[:nell])
    new = []
    for s, nd in zip(subs, ndims):
        if "..." in s:
            k = nd - (len(s) - 3)
            s = s.replace("...", ell[nell - k:])
        new.append(s)
    if arrow:
        out = out.replace("...", ell)
    else:
        letters = "".join(new)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    return ",".join(new) + "->" + out


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation (numpy's einsum forward, differentiable in every operand).

    Example:
        >>> ne.einsum("bij,bjk->bik", ne.randn(2, 3, 4), ne.randn(2, 4, 5)).shape
        (2, 3, 5)
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ts = [_t(o) for o in operands]
    eq = _einsum_normalize(equation, [x.ndim for x in ts])
    return ops.Einsum.apply(eq, *ts)


def broadcast_tensors(*tensors: Any) -> Tuple[Tensor, ...]:
    """The tensors expanded to their common broadcast shape."""
    ts = [_t(x) for x in tensors]
    shape = np.broadcast_shapes(*[x.shape for x in ts])
    return tuple(x.expand(shape) for x in ts)


__all__ = [n for n in dir() if not n.startswith("_") and n not in (
    "annotations", "string", "np", "ops", "Any", "Optional", "Sequence", "Tuple", "Tensor", "tensor",
    "builtins")]
