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

from . import _tape, ops
from ._coerce import as_array, ensure_tensor
from .tensor import _PRINT, Tensor, maximum, minimum


def _into_out(name: str, res: Any, out: Any) -> Any:
    """torch's ``out=`` argument: ``res`` written into the tensor ``out`` (resized when its shape differs; a tuple of
    tensors for (values, indices) results), which is returned. Like torch, no autograd through ``out=``."""
    if out is None:
        return res
    if isinstance(res, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(res):
            raise TypeError(f"{name}(): out: expected a tuple of {len(res)} tensors, got {type(out).__name__}")
        for r, o in zip(res, out):
            _into_out(name, r, o)
        return type(res)(*out) if hasattr(res, "_fields") else tuple(out)
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): out: expected a Tensor, got {type(out).__name__}")
    r = ensure_tensor(res)
    if _tape.is_grad_enabled() and (r.requires_grad or out.requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    src, dst = r._data, out._data
    if not np.can_cast(src.dtype, dst.dtype, "same_kind"):
        raise RuntimeError(f"{name}(): result type {src.dtype} can't be cast to the desired output type {dst.dtype}")
    if src.shape == dst.shape:
        np.copyto(dst, src, casting="unsafe")
        _tape.note_mutation(dst)
    else:  # (torch resizes out, with a warning unless it was empty)
        out._data = src.astype(dst.dtype, copy=True)
    return out


def _method(name: str, doc: str, example: str) -> Any:
    """``ne.<name>(input, ...)``: ``input`` as a Tensor, then its method ``name``; ``example`` is doctest text."""

    def f(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002
        if "out" in kwargs:
            out = kwargs.pop("out")
            return _into_out(name, getattr(ensure_tensor(input), name)(*args, **kwargs), out)
        return getattr(ensure_tensor(input), name)(*args, **kwargs)

    f.__name__ = f.__qualname__ = name
    body = "\n".join("    " + line for line in example.strip().splitlines())
    f.__doc__ = f"{doc}\n\nMirrors ``torch.{name}``; the same as ``Tensor.{name}``.\n\nExample:\n{body}\n"
    return f


exp = _method("exp", "Elementwise e**x.", '>>> ne.exp(ne.tensor([0.0, 1.0]))\ntensor([1.    , 2.7183])')
log = _method("log", "Natural logarithm.", '>>> ne.log(ne.tensor([1.0, 100.0]))\ntensor([0.    , 4.6052])')
log1p = _method("log1p", "log(1 + x), accurate near 0.", '>>> ne.log1p(ne.tensor([0.0, 1e-8])).tolist()\n[0.0, 9.99999993922529e-09]')
expm1 = _method("expm1", "exp(x) - 1, accurate near 0.", '>>> ne.expm1(ne.tensor([0.0, 1.0]))\ntensor([0.    , 1.7183])')
log2 = _method("log2", "Base-2 logarithm.", '>>> ne.log2(ne.tensor([1.0, 8.0]))\ntensor([0., 3.])')
log10 = _method("log10", "Base-10 logarithm.", '>>> ne.log10(ne.tensor([1.0, 1000.0]))\ntensor([0., 3.])')
sqrt = _method("sqrt", "Square root.", '>>> ne.sqrt(ne.tensor([4.0, 9.0]))\ntensor([2., 3.])')
rsqrt = _method("rsqrt", "1 / sqrt(x).", '>>> ne.rsqrt(ne.tensor([4.0, 16.0]))\ntensor([0.5 , 0.25])')
square = _method("square", "x * x.", '>>> ne.square(ne.tensor([-2.0, 3.0]))\ntensor([4., 9.])')
abs = _method("abs", "Absolute value.", '>>> ne.abs(ne.tensor([-1.5, 2.0]))\ntensor([1.5, 2. ])')  # noqa: A001
absolute = abs
neg = _method("neg", "-x.", '>>> ne.neg(ne.tensor([1.0, -2.0]))\ntensor([-1.,  2.])')
negative = neg
reciprocal = _method("reciprocal", "1 / x.", '>>> ne.reciprocal(ne.tensor([2.0, 4.0]))\ntensor([0.5 , 0.25])')
sigmoid = _method("sigmoid", "Logistic sigmoid.", '>>> ne.sigmoid(ne.tensor([0.0]))\ntensor([0.5])')
tanh = _method("tanh", "Hyperbolic tangent.", '>>> ne.tanh(ne.tensor([0.0, 100.0]))\ntensor([0., 1.])')
relu = _method("relu", "max(x, 0).", '>>> ne.relu(ne.tensor([-1.0, 2.0]))\ntensor([0., 2.])')
softmax = _method("softmax", "Softmax over ``dim``.", '>>> ne.softmax(ne.tensor([[1.0, 1.0]]), dim=1)\ntensor([[0.5, 0.5]])')
log_softmax = _method("log_softmax", "Log-softmax over ``dim``.", '>>> ne.log_softmax(ne.tensor([[0.0, 0.0]]), dim=1)\ntensor([[-0.6931, -0.6931]])')
sin = _method("sin", "Sine.", '>>> ne.sin(ne.tensor([0.0]))\ntensor([0.])')
cos = _method("cos", "Cosine.", '>>> ne.cos(ne.tensor([0.0]))\ntensor([1.])')
tan = _method("tan", "Tangent.", '>>> ne.tan(ne.tensor([0.0]))\ntensor([0.])')
erf = _method("erf", "Gauss error function.", '>>> ne.erf(ne.tensor([0.0, 1.0]))\ntensor([0.    , 0.8427])')
sign = _method("sign", "Sign (-1, 0, 1).", '>>> ne.sign(ne.tensor([-3.0, 0.0, 2.0]))\ntensor([-1.,  0.,  1.])')
floor = _method("floor", "Round down.", '>>> ne.floor(ne.tensor([-1.5, 1.5]))\ntensor([-2.,  1.])')
ceil = _method("ceil", "Round up.", '>>> ne.ceil(ne.tensor([-1.5, 1.5]))\ntensor([-1.,  2.])')
trunc = _method("trunc", "Round toward zero.", '>>> ne.trunc(ne.tensor([-1.5, 1.5]))\ntensor([-1.,  1.])')
round = _method("round", "Round half to even (torch's rule).", '>>> ne.round(ne.tensor([0.5, 1.5, 2.5]))\ntensor([0., 2., 2.])')  # noqa: A001
sum = _method("sum", "Sum (of all elements, or over ``dim``); bool/int sums are int64.", '>>> ne.sum(ne.tensor([[1.0, 2.0], [3.0, 4.0]]), dim=0)\ntensor([4., 6.])')  # noqa: A001
mean = _method("mean", "Mean (floating-point tensors only, as torch).", '>>> ne.mean(ne.tensor([[1.0, 2.0], [3.0, 4.0]]))\ntensor(2.5)')
std = _method("std", "Standard deviation (Bessel-corrected by default).", '>>> ne.std(ne.tensor([1.0, 3.0]))\ntensor(1.4142)')
var = _method("var", "Variance (Bessel-corrected by default).", '>>> ne.var(ne.tensor([1.0, 3.0]))\ntensor(2.)')
prod = _method("prod", "Product (of all elements, or over ``dim``).", '>>> ne.prod(ne.tensor([2.0, 3.0]))\ntensor(6.)')
cumsum = _method("cumsum", "Cumulative sum along ``dim``.", '>>> ne.cumsum(ne.tensor([1.0, 2.0, 3.0]), dim=0)\ntensor([1., 3., 6.])')
logsumexp = _method("logsumexp", "log(sum(exp(x))) over ``dim``, computed stably.", '>>> ne.logsumexp(ne.tensor([[0.0, 0.0]]), dim=1)\ntensor([0.6931])')
norm = _method("norm", "Vector norm (p = 2/'fro', 1, inf...).", '>>> ne.norm(ne.tensor([3.0, 4.0]))\ntensor(5.)')
argmax = _method("argmax", "Index of the maximum (flat without ``dim``).", '>>> ne.argmax(ne.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=1)\ntensor([1, 0])')
argmin = _method("argmin", "Index of the minimum (flat without ``dim``).", '>>> ne.argmin(ne.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=1)\ntensor([0, 1])')
amax = _method("amax", "Maximum over dims (gradient split among ties).", '>>> ne.amax(ne.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=0)\ntensor([7., 5.])')
amin = _method("amin", "Minimum over dims (gradient split among ties).", '>>> ne.amin(ne.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=0)\ntensor([1., 2.])')
argsort = _method("argsort", "Indices that sort along ``dim``.", '>>> ne.argsort(ne.tensor([3.0, 1.0, 2.0]))\ntensor([1, 2, 0])')
sort = _method("sort", "(values, indices) sorted along ``dim``.", '>>> ne.sort(ne.tensor([3.0, 1.0, 2.0])).values\ntensor([1., 2., 3.])')
topk = _method("topk", "(values, indices) of the k largest along ``dim``.", '>>> ne.topk(ne.tensor([3.0, 1.0, 2.0]), 2)\ntopk(values=tensor([3., 2.]), indices=tensor([0, 2]))')
kthvalue = _method("kthvalue", "(values, indices) of the k-th smallest along ``dim``.", '>>> ne.kthvalue(ne.tensor([3.0, 1.0, 2.0]), 1)\nkthvalue(values=tensor(1.), indices=tensor(1))')
median = _method("median", "Lower median; (values, indices) with ``dim``.", '>>> ne.median(ne.tensor([3.0, 1.0, 2.0, 4.0]))\ntensor(2.)')
mode = _method("mode", "(values, indices) of the most frequent value along ``dim``.", '>>> ne.mode(ne.tensor([1.0, 2.0, 2.0])).values\ntensor(2.)')
all = _method("all", "Whether all entries are true.", '>>> ne.all(ne.tensor([True, False]))\ntensor(False)')  # noqa: A001
any = _method("any", "Whether any entry is true.", '>>> ne.any(ne.tensor([True, False]))\ntensor(True)')  # noqa: A001
clamp = _method("clamp", "Clamp into [min, max].", '>>> ne.clamp(ne.tensor([-2.0, 0.5, 3.0]), min=0.0, max=1.0)\ntensor([0. , 0.5, 1. ])')
clip = clamp
flatten = _method("flatten", "Flatten dims ``start_dim..end_dim``.", '>>> ne.flatten(ne.zeros(2, 3, 4), start_dim=1).shape\n(2, 12)')
reshape = _method("reshape", "Reshape (a view when possible).", '>>> ne.reshape(ne.arange(6), (2, 3)).shape\n(2, 3)')
squeeze = _method("squeeze", "Remove size-1 dims.", '>>> ne.squeeze(ne.zeros(2, 1, 3)).shape\n(2, 3)')
unsqueeze = _method("unsqueeze", "Insert a size-1 dim.", '>>> ne.unsqueeze(ne.zeros(2, 3), 0).shape\n(1, 2, 3)')
transpose = _method("transpose", "Swap two dims.", '>>> ne.transpose(ne.zeros(2, 3, 4), 0, 2).shape\n(4, 3, 2)')
swapaxes = transpose
permute = _method("permute", "Reorder dims.", '>>> ne.permute(ne.zeros(2, 3, 4), (2, 0, 1)).shape\n(4, 2, 3)')
t = _method("t", "Transpose a 2-D tensor.", '>>> ne.t(ne.zeros(2, 3)).shape\n(3, 2)')
split = _method("split", "Split into pieces along ``dim``.", '>>> [p.shape for p in ne.split(ne.arange(5), 2)]\n[(2,), (2,), (1,)]')
chunk = _method("chunk", "Split into ``chunks`` pieces along ``dim``.", '>>> [p.shape for p in ne.chunk(ne.arange(6), 3)]\n[(2,), (2,), (2,)]')
tensor_split = _method("tensor_split", "Split into ``indices_or_sections`` nearly equal pieces, or at the given indices.", '>>> [p.shape for p in ne.tensor_split(ne.arange(5), 2)]\n[(3,), (2,)]')
narrow = _method("narrow", "Slice ``length`` entries from ``start`` along ``dim``.", '>>> ne.narrow(ne.arange(5), 0, 1, 3)\ntensor([1, 2, 3])')
unbind = _method("unbind", "Slices along ``dim`` as a tuple.", '>>> ne.unbind(ne.tensor([[1, 2], [3, 4]]))\n(tensor([1, 2]), tensor([3, 4]))')
flip = _method("flip", "Reverse the order along dims.", '>>> ne.flip(ne.tensor([1, 2, 3]), (0,))\ntensor([3, 2, 1])')
mm = _method("mm", "2-D matrix product.", '>>> ne.mm(ne.ones(2, 3), ne.ones(3, 4)).shape\n(2, 4)')
bmm = _method("bmm", "Batched (3-D) matrix product.", '>>> ne.bmm(ne.ones(5, 2, 3), ne.ones(5, 3, 4)).shape\n(5, 2, 4)')
matmul = _method("matmul", "Matrix product with numpy/torch broadcasting.", '>>> ne.matmul(ne.ones(5, 2, 3), ne.ones(3, 4)).shape\n(5, 2, 4)')
dot = _method("dot", "Inner product of 1-D tensors.", '>>> ne.dot(ne.tensor([1.0, 2.0]), ne.tensor([3.0, 4.0]))\ntensor(11.)')
outer = _method("outer", "Outer product of 1-D tensors.", '>>> ne.outer(ne.tensor([1.0, 2.0]), ne.tensor([1.0, 10.0]))\ntensor([[ 1., 10.],\n        [ 2., 20.]])')
diag = _method("diag", "Diagonal of a matrix, or a diagonal matrix from a vector.", '>>> ne.diag(ne.tensor([1.0, 2.0]))\ntensor([[1., 0.],\n        [0., 2.]])')
tril = _method("tril", "Lower triangle.", '>>> ne.tril(ne.ones(2, 2))\ntensor([[1., 0.],\n        [1., 1.]])')
triu = _method("triu", "Upper triangle.", '>>> ne.triu(ne.ones(2, 2))\ntensor([[1., 1.],\n        [0., 1.]])')
gather = _method("gather", "torch.gather along ``dim``.", '>>> ne.gather(ne.tensor([[1, 2], [3, 4]]), 1, ne.tensor([[1], [0]]))\ntensor([[2],\n        [3]])')
scatter = _method("scatter", "torch.scatter along ``dim`` (``reduce='add'/'multiply'``).", '>>> ne.scatter(ne.zeros(3), 0, ne.tensor([2]), ne.tensor([5.0]))\ntensor([0., 0., 5.])')
scatter_add = _method("scatter_add", "torch.scatter_add along ``dim``.", '>>> ne.scatter_add(ne.zeros(2), 0, ne.tensor([1, 1]), ne.tensor([1.0, 2.0]))\ntensor([0., 3.])')
scatter_reduce = _method("scatter_reduce", "torch.scatter_reduce along ``dim`` (sum, prod, mean, amax, amin).", '>>> ne.scatter_reduce(ne.zeros(2), 0, ne.tensor([1, 1]), ne.tensor([1.0, 2.0]), "amax")\ntensor([0., 2.])')
index_select = _method("index_select", "Entries at ``index`` along ``dim``.", '>>> ne.index_select(ne.tensor([10, 20, 30]), 0, ne.tensor([2, 0]))\ntensor([30, 10])')
masked_fill = _method("masked_fill", "Entries where ``mask`` replaced by ``value``.", '>>> ne.masked_fill(ne.zeros(3), ne.tensor([True, False, True]), 1.0)\ntensor([1., 0., 1.])')
isnan = _method("isnan", "NaN mask.", '>>> ne.isnan(ne.tensor([1.0, float("nan")]))\ntensor([False,  True])')
isinf = _method("isinf", "Inf mask.", '>>> ne.isinf(ne.tensor([1.0, float("inf")]))\ntensor([False,  True])')
isfinite = _method("isfinite", "Finite mask.", '>>> ne.isfinite(ne.tensor([1.0, float("inf")]))\ntensor([ True, False])')
clone = _method("clone", "A copy (differentiable).", '>>> ne.clone(ne.tensor([1.0, 2.0]))\ntensor([1., 2.])')
logical_not = _method("logical_not", "Elementwise not.", '>>> ne.logical_not(ne.tensor([True, False]))\ntensor([False,  True])')
logical_and = _method("logical_and", "Elementwise and.", '>>> ne.logical_and(ne.tensor([True, True]), ne.tensor([True, False]))\ntensor([ True, False])')
logical_or = _method("logical_or", "Elementwise or.", '>>> ne.logical_or(ne.tensor([True, False]), ne.tensor([False, False]))\ntensor([ True, False])')
asin = _method("asin", "Inverse sine.", '>>> ne.asin(ne.tensor([0.0, 1.0]))\ntensor([0.    , 1.5708])')
acos = _method("acos", "Inverse cosine.", '>>> ne.acos(ne.tensor([1.0, 0.0]))\ntensor([0.    , 1.5708])')
atan = _method("atan", "Inverse tangent.", '>>> ne.atan(ne.tensor([0.0, 1.0]))\ntensor([0.    , 0.7854])')
arcsin, arccos, arctan = asin, acos, atan
sinh = _method("sinh", "Hyperbolic sine.", '>>> ne.sinh(ne.tensor([0.0, 1.0]))\ntensor([0.    , 1.1752])')
cosh = _method("cosh", "Hyperbolic cosine.", '>>> ne.cosh(ne.tensor([0.0, 1.0]))\ntensor([1.    , 1.5431])')
exp2 = _method("exp2", "Elementwise 2**x.", '>>> ne.exp2(ne.tensor([0.0, 3.0]))\ntensor([1., 8.])')
greater = _method("greater", "Elementwise ``>`` (``gt``).", '>>> ne.greater(ne.tensor([1, 3]), 2)\ntensor([False,  True])')
greater_equal = _method("greater_equal", "Elementwise ``>=`` (``ge``).", '>>> ne.greater_equal(ne.tensor([1, 2]), 2)\ntensor([False,  True])')
less = _method("less", "Elementwise ``<`` (``lt``).", '>>> ne.less(ne.tensor([1, 3]), 2)\ntensor([ True, False])')
less_equal = _method("less_equal", "Elementwise ``<=`` (``le``).", '>>> ne.less_equal(ne.tensor([2, 3]), 2)\ntensor([ True, False])')
not_equal = _method("not_equal", "Elementwise ``!=`` (``ne``).", '>>> ne.not_equal(ne.tensor([1, 2]), 2)\ntensor([ True, False])')
is_nonzero = _method("is_nonzero", "The truth value of a one-element tensor.", '>>> ne.is_nonzero(ne.tensor([1.5]))\nTrue')
is_signed = _method("is_signed", "Whether the dtype is signed.", '>>> ne.is_signed(ne.ones(1)), ne.is_signed(ne.ones(1, dtype=ne.uint8))\n(True, False)')
is_inference = _method("is_inference", "False: no inference tensors in nnengine.", '>>> ne.is_inference(ne.ones(1))\nFalse')
is_neg = _method("is_neg", "False: no lazy negation in nnengine.", '>>> ne.is_neg(ne.ones(1))\nFalse')
resolve_neg = _method("resolve_neg", "The tensor itself.", '>>> t = ne.ones(1); ne.resolve_neg(t) is t\nTrue')
conj = _method("conj", "The tensor itself (real tensors).", '>>> t = ne.ones(1); ne.conj(t) is t\nTrue')
conj_physical = _method("conj_physical", "The tensor itself (real tensors).",
                        '>>> t = ne.ones(1); ne.conj_physical(t) is t\nTrue')
resolve_conj = _method("resolve_conj", "The tensor itself (real tensors).",
                       '>>> t = ne.ones(1); ne.resolve_conj(t) is t\nTrue')
is_conj = _method("is_conj", "False: real tensors.", '>>> ne.is_conj(ne.ones(1))\nFalse')


def real(input: Any) -> Tensor:  # noqa: A002
    """The real part: the tensor itself (nnengine's tensors are real).

    Example:
        >>> t = ne.ones(1); ne.real(t) is t
        True
    """
    return ensure_tensor(input).real


def imag(input: Any) -> Tensor:  # noqa: A002
    """torch's error: a real tensor has no imaginary part.

    Example:
        >>> ne.imag(ne.ones(1))
        Traceback (most recent call last):
        ...
        nnengine.tensor._InputError: imag is not implemented for tensors with non-complex dtypes.
    """
    return ensure_tensor(input).imag
detach = _method("detach", "A new leaf sharing the storage.", '>>> ne.detach(ne.ones(1, requires_grad=True)).requires_grad\nFalse')
adjoint = _method("adjoint", "The last two dims swapped (real tensors).", '>>> ne.adjoint(ne.zeros(2, 3)).shape\n(3, 2)')
ger = _method("ger", "Outer product (torch's old name).", '>>> ne.ger(ne.tensor([1.0, 2.0]), ne.tensor([3.0])).tolist()\n[[3.0], [6.0]]')
renorm = _method("renorm", "Slices along ``dim`` rescaled to p-norm at most ``maxnorm``.", '>>> ne.renorm(ne.tensor([[3.0, 4.0]]), 2, 0, 1.0)\ntensor([[0.6, 0.8]])')
put = _method("put", "Entries of the flattened tensor at ``index`` set to ``source``.", '>>> ne.put(ne.zeros(3), ne.tensor([1]), ne.tensor([5.0]))\ntensor([0., 5., 0.])')
index_put = _method("index_put", "``self[indices] = values`` out of place (``accumulate`` adds).", '>>> ne.index_put(ne.zeros(2), (ne.tensor([1]),), ne.tensor(3.0))\ntensor([0., 3.])')
index_put_ = _method("index_put_", "In-place ``index_put``.", '>>> ne.index_put_(ne.zeros(2), (ne.tensor([0]),), ne.tensor(1.0))\ntensor([1., 0.])')
fill = _method("fill", "A copy filled with ``value``.", '>>> ne.fill(ne.zeros(2), 7.0)\ntensor([7., 7.])')
unsafe_chunk = _method("unsafe_chunk", "``chunk``.", '>>> len(ne.unsafe_chunk(ne.arange(4), 2))\n2')
unsafe_split = _method("unsafe_split", "``split``.", '>>> len(ne.unsafe_split(ne.arange(4), 2))\n2')


def max(input: Any, dim: Any = None, keepdim: bool = False, *, other: Any = None, out: Any = None,  # noqa: A001, A002
        keepdims: Optional[bool] = None, axis: Any = None) -> Any:
    """``max(x)`` -> 0-d; ``max(x, dim)`` -> (values, indices); ``max(a, b)`` -> elementwise maximum.

    Example:
        >>> v, i = ne.max(ne.tensor([[1.0, 5.0]]), 1)
    """
    if other is not None:
        return _into_out("max", maximum(input, other), out)
    return _into_out("max", ensure_tensor(input).max(dim, keepdim, keepdims=keepdims, axis=axis), out)


def min(input: Any, dim: Any = None, keepdim: bool = False, *, other: Any = None, out: Any = None,  # noqa: A001, A002
        keepdims: Optional[bool] = None, axis: Any = None) -> Any:
    """``min(x)`` -> 0-d; ``min(x, dim)`` -> (values, indices); ``min(a, b)`` -> elementwise minimum.

    Example:
        >>> ne.min(ne.tensor([[1.0, 5.0], [7.0, 2.0]]), 1)
        min(values=tensor([1., 2.]), indices=tensor([0, 1]))
    """
    if other is not None:
        return _into_out("min", minimum(input, other), out)
    return _into_out("min", ensure_tensor(input).min(dim, keepdim, keepdims=keepdims, axis=axis), out)


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001, A002
    """``input ** exponent`` (either may be a scalar).

    Example:
        >>> ne.pow(2, ne.tensor([1.0, 2.0]))
        tensor([2., 4.])
    """
    return ensure_tensor(input) ** exponent if isinstance(input, Tensor) or not isinstance(exponent, Tensor) \
        else exponent.__rpow__(input)


def add(input: Any, other: Any, *, alpha: Any = None, out: Optional[Tensor] = None) -> Tensor:  # noqa: A002
    """``input + alpha * other`` (``out=``: written into that tensor, as torch).

    Example:
        >>> ne.add(ne.tensor([1.0, 2.0]), ne.tensor([1.0, 1.0]), alpha=10)
        tensor([11., 12.])
    """
    return _into_out("add", ensure_tensor(input).add(other, alpha=alpha), out)


def sub(input: Any, other: Any, *, alpha: Any = None, out: Optional[Tensor] = None) -> Tensor:  # noqa: A002
    """``input - alpha * other``.

    Example:
        >>> ne.sub(ne.tensor([1.0, 2.0]), 1.0)
        tensor([0., 1.])
    """
    return _into_out("sub", ensure_tensor(input).sub(other, alpha=alpha), out)


subtract = sub


def mul(input: Any, other: Any, *, out: Optional[Tensor] = None) -> Tensor:  # noqa: A002
    """``input * other``.

    Example:
        >>> ne.mul(ne.tensor([1.0, 2.0]), 3.0)
        tensor([3., 6.])
    """
    return _into_out("mul", ensure_tensor(input) * other, out)


multiply = mul


def div(input: Any, other: Any, *, rounding_mode: Optional[str] = None, out: Optional[Tensor] = None) -> Tensor:  # noqa: A002
    """``input / other`` (true division; ``rounding_mode='floor'|'trunc'`` rounds).

    Example:
        >>> ne.div(ne.tensor([-3.0, 3.0]), 2.0, rounding_mode="floor")
        tensor([-2.,  1.])
    """
    return _into_out("div", ensure_tensor(input).div(other, rounding_mode=rounding_mode), out)


divide = div
true_divide = div


def floor_divide(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Floor of ``input / other``.

    Example:
        >>> ne.floor_divide(ne.tensor([7, -7]), 2)
        tensor([ 3, -4])
    """
    return ensure_tensor(input) // other


def eq(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Elementwise ``==``.

    Example:
        >>> ne.eq(ne.tensor([1, 2]), 2)
        tensor([False,  True])
    """
    return ensure_tensor(input).eq(other)


def ne(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Elementwise ``!=``.

    Example:
        >>> ne.ne(ne.tensor([1, 2]), 2)
        tensor([ True, False])
    """
    return ensure_tensor(input).ne(other)


def gt(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Elementwise ``>``.

    Example:
        >>> ne.gt(ne.tensor([1, 2]), 1)
        tensor([False,  True])
    """
    return ensure_tensor(input) > other


def ge(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Elementwise ``>=``.

    Example:
        >>> ne.ge(ne.tensor([1, 2]), 2)
        tensor([False,  True])
    """
    return ensure_tensor(input) >= other


def lt(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Elementwise ``<``.

    Example:
        >>> ne.lt(ne.tensor([1, 2]), 2)
        tensor([ True, False])
    """
    return ensure_tensor(input) < other


def le(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Elementwise ``<=``.

    Example:
        >>> ne.le(ne.tensor([1, 2]), 1)
        tensor([ True, False])
    """
    return ensure_tensor(input) <= other


def allclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
             equal_nan: bool = False) -> bool:
    """Whether all entries are close (a Python bool).

    Example:
        >>> ne.allclose(ne.ones(2), ne.ones(2) + 1e-9)
        True
    """
    return bool(np.allclose(as_array(input), as_array(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input: Any, other: Any) -> bool:  # noqa: A002
    """Same shape and same values (a Python bool).

    Example:
        >>> ne.equal(ne.tensor([1, 2]), ne.tensor([1, 2]))
        True
    """
    return ensure_tensor(input).equal(other)


def numel(input: Any) -> int:  # noqa: A002
    """Number of elements.

    Example:
        >>> ne.numel(ne.zeros(2, 3))
        6
    """
    return int(as_array(input).size)


def is_tensor(obj: Any) -> bool:
    """Whether ``obj`` is an nnengine Tensor.

    Example:
        >>> ne.is_tensor(ne.zeros(1)), ne.is_tensor([1])
        (True, False)
    """
    return isinstance(obj, Tensor)


def set_printoptions(precision: Optional[int] = None, threshold: Optional[int] = None, edgeitems: Optional[int] = None,
                     linewidth: Optional[int] = None, profile: Optional[str] = None,
                     sci_mode: Optional[bool] = None) -> None:
    """Accepted for compatibility; ``precision`` (and ``profile``) set the digits ``repr`` prints, the other
    options are ignored.

    Example:
        >>> ne.set_printoptions(precision=2)
        >>> ne.tensor([1 / 3])
        tensor([0.33])
        >>> ne.set_printoptions(profile="default")  # back to 4 digits
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
    ts = [ensure_tensor(o) for o in operands]
    eq = _einsum_normalize(equation, [x.ndim for x in ts])
    return ops.EinsumFn.apply(eq, *ts)


def broadcast_tensors(*tensors: Any) -> Tuple[Tensor, ...]:
    """The tensors expanded to their common broadcast shape.

    Example:
        >>> [t.shape for t in ne.broadcast_tensors(ne.zeros(2, 1), ne.zeros(3))]
        [(2, 3), (2, 3)]
    """
    ts = [ensure_tensor(x) for x in tensors]
    shape = np.broadcast_shapes(*[x.shape for x in ts])
    return tuple(x.expand(shape) for x in ts)


__all__ = [n for n in dir() if not n.startswith("_") and n not in (
    "annotations", "string", "np", "ops", "Any", "Optional", "Sequence", "Tuple", "Tensor", "tensor",
    "builtins", "as_array", "ensure_tensor")]
