"""The smaller ``torch.Tensor`` methods: torch's aliases (``greater``, ``not_equal``, ``swapaxes_``...),
in-place variants of the out-of-place ops (``ge_``, ``tril_``, ``cumsum_``, ``fmod_``...), metadata
(``is_signed``, ``data_ptr``, ``nbytes``, ``itemsize``), ``new``, ``bfloat16``, ``fill_diagonal_``,
``sum_to_size``, ``apply_``/``map_`` and conjugate-transpose views of real tensors (``H``, ``mH``,
``adjoint``).

``_tensor_api`` attaches ``TENSOR_METHODS`` and ``TENSOR_PROPERTIES`` to ``Tensor``.

Example:
    >>> t = ne.tensor([1.0, 5.0])
    >>> t.greater(2.0), t.ge_(2.0), t
    (tensor([False,  True]), tensor([0., 1.]), tensor([0., 1.]))
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ._coerce import as_array
from ._storage import as_strided, storage, untyped_storage
from .autograd import Function
from .tensor import Tensor, _dim, _IndexError, _InputError, _shape_args

_F32 = np.dtype(np.float32)


def new(self: Tensor, *args: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """torch's legacy constructor: ``x.new(2, 3)`` (uninitialised, ``x``'s dtype), ``x.new(data)``,
    ``x.new()`` (empty).

    Example:
        >>> ne.ones(1, dtype=ne.float64).new(2, 3).shape, ne.tensor([1]).new([1.5]).dtype
        ((2, 3), dtype('int64'))
    """
    from .tensor import empty

    dt = self.dtype if dtype is None else dtype
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)) and not (
            isinstance(args[0], tuple) and all(isinstance(s, (int, np.integer)) for s in args[0])):
        return self.new_tensor(args[0], dtype=dt, device=device, requires_grad=requires_grad)
    return empty(*args if args else (0,), dtype=dt, device=device, requires_grad=requires_grad)


def is_signed(self: Tensor) -> bool:
    """Whether the dtype is signed (floats and signed integers; not uint8 or bool).

    Example:
        >>> ne.ones(1).is_signed(), ne.ones(1, dtype=ne.uint8).is_signed()
        (True, False)
    """
    return self.dtype.kind in "fi"


def is_nonzero(self: Tensor) -> bool:
    """The truth value of a one-element tensor (RuntimeError for more or fewer elements).

    Example:
        >>> ne.tensor([1.5]).is_nonzero()
        True
    """
    if self._data.size != 1:
        raise _InputError(f"Boolean value of Tensor with {'no values' if self.data.size == 0 else 'more than one value'}"
                           " is ambiguous")
    return bool(self._data.reshape(()).item() != 0)


def data_ptr(self: Tensor) -> int:
    """The address of the first element (as torch's, for identity checks between views).

    Example:
        >>> t = ne.zeros(4); t.data_ptr() == t[:2].data_ptr()
        True
    """
    return int(self._data.__array_interface__["data"][0])


def is_inference(self: Tensor) -> bool:
    """False: nnengine has no inference tensors (``inference_mode`` only disables recording).

    Example:
        >>> ne.ones(1).is_inference()
        False
    """
    return False


def is_same_size(self: Tensor, other: Tensor) -> bool:
    """Whether ``other`` has the same shape.

    Example:
        >>> ne.zeros(2, 3).is_same_size(ne.ones(2, 3))
        True
    """
    return tuple(self.shape) == tuple(other.shape)


def is_complex(self: Tensor) -> bool:
    """False: nnengine has no complex tensors.

    Example:
        >>> ne.ones(1).is_complex()
        False
    """
    return False


class _Bf16RoundFn(Function):
    """float32 values rounded to the nearest bfloat16 (ties to even); the gradient passes unchanged."""

    @staticmethod
    def forward(ctx, a):
        u = np.ascontiguousarray(a, np.float32).view(np.uint32)
        r = ((u + np.uint32(0x7FFF) + ((u >> np.uint32(16)) & np.uint32(1))) & np.uint32(0xFFFF0000))
        r = np.where(np.isnan(a), u, r).astype(np.uint32)
        return r.view(np.float32).reshape(a.shape)

    @staticmethod
    def backward(ctx, g):
        return g


def bfloat16(self: Tensor, memory_format: Any = None) -> Tensor:
    """The values rounded to bfloat16 precision, kept in float32 storage (numpy has no bf16 type; the dtype
    stays float32). For bf16 compute use ``ne.autocast("cpu", dtype=ne.bfloat16)``.

    Example:
        >>> ne.tensor([1.0 + 2 ** -10]).bfloat16().item()
        1.0
    """
    return _Bf16RoundFn.apply(self.float())


def fill_diagonal_(self: Tensor, fill_value: Any, wrap: bool = False) -> Tensor:
    """Set the main diagonal (all dims equal for >2-D) to ``fill_value``; ``wrap`` restarts it below a tall
    matrix's square part, as torch/numpy. Returns ``self``.

    Example:
        >>> ne.zeros(2, 2).fill_diagonal_(5.0)
        tensor([[5., 0.],
                [0., 5.]])
    """
    if self.ndim < 2:
        raise _InputError("dimensions must larger than 1")
    if self.ndim > 2 and len(set(self.shape)) != 1:
        raise _InputError("all dimensions of input must be of equal length")

    def compute(s: Tensor) -> Tensor:
        mask = np.zeros(s.shape, bool)
        np.fill_diagonal(mask, True, wrap=wrap)
        return s.masked_fill(mask, as_array(fill_value))

    return self._inplace_apply(compute)


def sum_to_size(self: Tensor, *size: Any) -> Tensor:
    """Summed down to ``size`` (a shape ``self`` broadcasts from), differentiable.

    Example:
        >>> ne.ones(2, 3).sum_to_size(1, 3)
        tensor([[2., 2., 2.]])
    """
    shape = _shape_args(size)
    try:
        if np.broadcast_shapes(shape, self.shape) != tuple(self.shape):
            raise ValueError
    except ValueError:
        raise _InputError(f"size {list(shape)} is not expandable to size {list(self.shape)}") from None
    out = self
    lead = self.ndim - len(shape)
    if lead:
        out = out.sum(tuple(range(lead)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and out.shape[i] != 1)
    if axes:
        out = out.sum(axes, keepdim=True)
    return out


def apply_(self: Tensor, callable: Callable[[Any], Any]) -> Tensor:  # noqa: A002
    """Apply a Python function to every entry in place (slow; tensors that do not require grad only).

    Example:
        >>> ne.tensor([1.0, 2.0]).apply_(lambda v: v * 10)
        tensor([10., 20.])
    """
    if self.requires_grad:
        raise _InputError("apply_ is only implemented on tensors that do not require grad")
    flat = self._data.reshape(-1)
    vals = np.array([callable(v) for v in flat.tolist()], dtype=self.dtype)
    self._data[...] = vals.reshape(self.shape)
    return self


def map_(self: Tensor, tensor: Tensor, callable: Callable[[Any, Any], Any]) -> Tensor:  # noqa: A002
    """``self[i] = callable(self[i], tensor[i])`` in place (``tensor`` broadcast; slow).

    Example:
        >>> ne.tensor([1.0, 2.0]).map_(ne.tensor([3.0, 4.0]), lambda a, b: a + b)
        tensor([4., 6.])
    """
    if self.requires_grad:
        raise _InputError("map_ is only implemented on tensors that do not require grad")
    other = np.broadcast_to(as_array(tensor), self.shape).reshape(-1).tolist()
    vals = np.array([callable(a, b) for a, b in zip(self._data.reshape(-1).tolist(), other)], dtype=self.dtype)
    self._data[...] = vals.reshape(self.shape)
    return self


def _mh(self: Tensor) -> Tensor:
    """The last two dims swapped (real tensors: the conjugate transpose is the transpose).

    Example:
        >>> ne.zeros(2, 3).mH.shape
        (3, 2)
    """
    return self.mT


def _h(self: Tensor) -> Tensor:
    """A matrix's conjugate transpose (real tensors: the transpose).

    Example:
        >>> ne.zeros(2, 3).H.shape
        (3, 2)
    """
    if self.ndim != 2:
        raise _InputError(f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D tensor.")
    return self.t()


def adjoint(self: Tensor) -> Tensor:
    """The conjugate transpose of the last two dims (real tensors: ``mT``).

    Example:
        >>> ne.zeros(4, 2, 3).adjoint().shape
        (4, 3, 2)
    """
    return self.mT


def _itemsize(self: Tensor) -> int:
    """Bytes per element.

    Example:
        >>> ne.ones(1).itemsize
        4
    """
    return int(self._data.itemsize)


def _nbytes(self: Tensor) -> int:
    """Bytes of all elements.

    Example:
        >>> ne.ones(3).nbytes
        12
    """
    return int(self._data.nbytes)


def storage_offset(self: Tensor) -> int:
    """Where this tensor starts in the memory of the array it is a view of, in elements (0 for a tensor that
    owns its memory), as torch's offset into the storage.

    Example:
        >>> ne.arange(12).reshape(3, 4)[1:].storage_offset()
        4
    """
    a = self._data
    b = a
    while isinstance(b.base, np.ndarray):
        b = b.base
    off = a.__array_interface__["data"][0] - b.__array_interface__["data"][0]
    return off // a.itemsize if off > 0 and off % a.itemsize == 0 else 0


def resize_(self: Tensor, *sizes: Any, memory_format: Any = None) -> Tensor:
    """Resize in place: the first entries kept (in row-major order), new ones zero. Tensors that do not
    require grad only. Returns ``self``.

    Example:
        >>> ne.tensor([1.0, 2.0, 3.0]).resize_(2)
        tensor([1., 2.])
    """
    if self.requires_grad:
        raise _InputError("cannot resize variables that require grad")
    shape = _shape_args(sizes)
    n = int(np.prod(shape))
    flat = np.zeros(n, self.dtype)
    src = self._data.reshape(-1)[:n]
    flat[: src.size] = src
    self._data = flat.reshape(shape)
    return self


def resize_as_(self: Tensor, the_template: Tensor, memory_format: Any = None) -> Tensor:
    """:func:`resize_` to ``the_template``'s shape.

    Example:
        >>> ne.zeros(4).resize_as_(ne.ones(2, 2)).shape
        (2, 2)
    """
    return resize_(self, the_template.shape)


# ------------------------------------------------------------------ aliases and in-place variants
def _alias(name: str, target: str) -> Callable[..., Any]:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, target)(*args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (f"torch's alias of :meth:`{target}`.\n\nExample:\n"
                      f"    >>> callable(ne.Tensor.{name})\n    True\n")
    return method


def _inplace(name: str) -> Callable[..., Any]:
    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        others = [a for a in args if isinstance(a, Tensor)] + [v for v in kwargs.values() if isinstance(v, Tensor)]
        return self._inplace_apply(lambda s: getattr(s, name)(*args, **kwargs), others)

    method.__name__ = method.__qualname__ = name + "_"
    method.__doc__ = (f"In-place :meth:`{name}` (the result is cast back to ``self``'s dtype; torch's autograd "
                      f"rules for in-place ops).\n\nExample:\n    >>> callable(ne.Tensor.{name}_)\n    True\n")
    return method


ALIASES = {"greater": "gt", "greater_equal": "ge", "less": "lt", "less_equal": "le", "not_equal": "ne",
           "arccos": "acos", "arcsin": "asin", "arctan": "atan", "ger": "outer", "floor_divide": "__floordiv__",
           "unsafe_chunk": "chunk", "unsafe_split": "split", "conj_physical": "conj", "resolve_conj": "conj", "unsafe_split_with_sizes": "split_with_sizes",
           "const_data_ptr": "data_ptr", "hardshrink": "_hardshrink", "prelu": "_prelu"}

#: out-of-place methods that get an in-place ``name_`` (through ``Tensor._inplace_apply``)
INPLACE = ("acos", "asin", "atan", "tan", "sinh", "cosh", "log2", "log10", "exp2", "ge", "gt", "lt", "le", "eq",
           "ne", "tril", "triu", "cumsum", "cumprod", "floor_divide", "fmod", "remainder", "sgn", "frac", "lerp",
           "addmm", "addmv", "addbmm", "baddbmm", "addr", "addcmul", "addcdiv", "atan2", "hypot", "xlogy",
           "logit", "nan_to_num", "erfinv", "erfc", "lgamma", "digamma", "sinc", "deg2rad", "rad2deg",
           "clamp_min", "clamp_max", "logical_and", "logical_or", "logical_not", "logical_xor", "copysign",
           "heaviside", "gcd", "lcm", "ldexp", "float_power", "asinh", "acosh", "atanh", "true_divide",
           "multiply", "subtract", "divide", "negative", "absolute", "transpose", "swapdims", "greater",
           "greater_equal", "less", "less_equal", "not_equal", "arccos", "arcsin", "arctan", "arctan2",
           "arcsinh", "arccosh", "arctanh", "fix", "index_put", "masked_scatter", "renorm", "swapaxes",
           "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "sigmoid", "square", "fmax", "fmin", "i0",
           "mvlgamma", "polygamma", "nextafter", "bitwise_left_shift", "bitwise_right_shift")

_RESHAPING = ("transpose", "swapdims", "swapaxes")

#: augmented assignment -> the in-place method it runs (``__iadd__`` & co. are Tensor's own)
INPLACE_OPERATORS = {"__ifloordiv__": "floor_divide_", "__imod__": "remainder_", "__iand__": "bitwise_and_",
                     "__ior__": "bitwise_or_", "__ixor__": "bitwise_xor_", "__ilshift__": "bitwise_left_shift_",
                     "__irshift__": "bitwise_right_shift_"}


def index_put(self: Tensor, indices: Any, values: Any, accumulate: bool = False) -> Tensor:
    """``self`` with ``self[indices] = values`` (or ``+=`` with ``accumulate``; repeated indices add up),
    differentiable.

    Example:
        >>> ne.zeros(3).index_put((ne.tensor([0, 0]),), ne.tensor(1.0), accumulate=True)
        tensor([2., 0., 0.])
    """
    from . import ops
    from .tensor import _norm_index

    idx = _norm_index(tuple(indices))
    try:  # validate the indices (dtype, count, range) on a free broadcast view: numpy's IndexError otherwise
        np.broadcast_to(np.False_, self.shape)[idx]
    except IndexError as e:
        raise _IndexError(f"index_put(): indices: {e}") from None
    v = values if isinstance(values, Tensor) else Tensor._wrap(np.asarray(as_array(values), self.dtype))
    if v.dtype != self.dtype:
        v = v._cast(self.dtype)
    if accumulate:
        from ._ops_index import index_add

        flat = np.arange(self._data.size).reshape(self.shape)[idx]
        src = v.expand(flat.shape) if tuple(v.shape) != flat.shape else v
        return index_add(self.reshape(-1), 0, flat.reshape(-1), src.reshape(-1)).reshape(self.shape)
    return ops.IndexPutFn.apply(self, v, idx)


def renorm(self: Tensor, p: float, dim: int, maxnorm: float) -> Tensor:
    """Each slice along ``dim`` rescaled so its p-norm is at most ``maxnorm`` (differentiable).

    Example:
        >>> ne.tensor([[3.0, 4.0], [0.3, 0.4]]).renorm(2, 0, 1.0)
        tensor([[0.6, 0.8],
                [0.3, 0.4]])
    """
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"renorm(): p: expected a number, got {type(p).__name__}")
    d = _dim(dim, self.ndim)
    others = tuple(i for i in range(self.ndim) if i != d)
    norms = self.norm(p=p, dim=others, keepdim=True)
    over = norms._data > maxnorm
    scale = (maxnorm / (norms + 1e-7)).masked_fill(~over, 1.0)
    return self * scale


def fill(self: Tensor, value: Any) -> Tensor:
    """A copy of ``self`` with every entry ``value`` (differentiable: zero gradient to ``self``).

    Example:
        >>> ne.zeros(2).fill(3.0)
        tensor([3., 3.])
    """
    return self.masked_fill(np.ones(self.shape, bool), as_array(value))


def is_neg(self: Tensor) -> bool:
    """False (nnengine has no lazy negation bit).

    Example:
        >>> ne.ones(1).is_neg()
        False
    """
    return False


def resolve_neg(self: Tensor) -> Tensor:
    """``self`` (no lazy negation to resolve).

    Example:
        >>> t = ne.ones(1); t.resolve_neg() is t
        True
    """
    return self


def conj(self: Tensor) -> Tensor:
    """``self``: nnengine's tensors are real, and the conjugate of a real tensor is itself (torch returns ``self``
    for a real tensor too). ``conj_physical`` and ``resolve_conj`` are the same.

    Example:
        >>> t = ne.ones(1); t.conj() is t
        True
    """
    return self


def is_conj(self: Tensor) -> bool:
    """False (real tensors carry no conjugation bit).

    Example:
        >>> ne.ones(1).is_conj()
        False
    """
    return False


def _real(self: Tensor) -> Tensor:
    """``self`` (a real tensor is its own real part, as torch's ``.real``).

    Example:
        >>> t = ne.ones(1); t.real is t
        True
    """
    return self


def _imag(self: Tensor) -> Tensor:
    """torch's error: a real tensor has no imaginary part.

    Example:
        >>> ne.ones(1).imag
        Traceback (most recent call last):
        ...
        nnengine.tensor._InputError: imag is not implemented for tensors with non-complex dtypes.
    """
    raise _InputError("imag is not implemented for tensors with non-complex dtypes.")


def narrow_copy(self: Tensor, dim: int, start: int, length: int) -> Tensor:
    """:meth:`narrow` as a copy.

    Example:
        >>> ne.arange(5).narrow_copy(0, 1, 2)
        tensor([1, 2])
    """
    return self.narrow(dim, start, length).clone()


def nonzero_static(self: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """:meth:`nonzero` padded with ``fill_value`` (or truncated) to exactly ``size`` rows.

    Example:
        >>> ne.tensor([0, 3, 0, 4]).nonzero_static(size=3).tolist()
        [[1], [3], [-1]]
    """
    nz = np.argwhere(self._data).astype(np.int64)[: int(size)]
    out = np.full((int(size), max(self.ndim, 1) if self.ndim else 0), int(fill_value), np.int64)
    out[: nz.shape[0]] = nz
    return Tensor._wrap(out)


def new_empty_strided(self: Tensor, size: Any, stride: Any, *, dtype: Any = None, device: Any = None,
                      requires_grad: bool = False) -> Tensor:
    """:meth:`new_empty` (contiguous: the strides are accepted, not honoured).

    Example:
        >>> ne.ones(1, dtype=ne.float64).new_empty_strided((2, 3), (3, 1)).dtype
        dtype('float64')
    """
    size, st = _shape_args((size,)), tuple(stride) if isinstance(stride, (tuple, list)) else stride
    if not isinstance(st, tuple) or len(st) != len(size):
        raise ValueError(f"new_empty_strided(): stride: expected {len(size)} ints like size {tuple(size)}, got {stride!r}")
    if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0 for s in st):
        raise ValueError(f"new_empty_strided(): stride: expected non-negative ints, got {stride!r}")
    return self.new_empty(*tuple(size), dtype=dtype, device=device, requires_grad=requires_grad)


def output_nr(self: Tensor) -> int:
    """Which output of the op that made it this tensor is (0 for leaves).

    Example:
        >>> ne.ones(1).output_nr
        0
    """
    return int(self._out_index)


def _hardshrink(self: Tensor, lambd: float = 0.5) -> Tensor:
    from .functional import hardshrink as f

    return f(self, lambd)


def _prelu(self: Tensor, weight: Tensor) -> Tensor:
    from .functional import prelu as f

    return f(self, weight)


__all__: list = []

TENSOR_METHODS = {f.__name__: f for f in (
    new, is_signed, is_nonzero, data_ptr, is_inference, is_same_size, is_complex, bfloat16, fill_diagonal_,
    sum_to_size, apply_, map_, adjoint, storage_offset, resize_, resize_as_, index_put, renorm, is_neg, resolve_neg, conj, is_conj,
    narrow_copy, nonzero_static, new_empty_strided, _hardshrink, _prelu, fill, storage, untyped_storage,
    as_strided)}
TENSOR_PROPERTIES = {"H": _h, "mH": _mh, "itemsize": _itemsize, "nbytes": _nbytes, "output_nr": output_nr,
                     "real": _real, "imag": _imag}


def attach(cls: type) -> None:
    """Attach the aliases and the in-place variants (after every out-of-place method is on ``cls``).

    Example:
        >>> attach(ne.Tensor); callable(ne.Tensor.ge_)
        True
    """
    for name, target in ALIASES.items():
        if not hasattr(cls, name):
            setattr(cls, name, _alias(name, target))
    for name in INPLACE:
        if hasattr(cls, name) and not hasattr(cls, name + "_"):
            f = _inplace(name)
            if name in _RESHAPING:
                def f(self: Tensor, *a: Any, _n: str = name, **k: Any) -> Tensor:  # noqa: E306
                    return self._inplace_apply(lambda s: getattr(s, _n)(*a, **k), reshape=True)

                f.__name__ = f.__qualname__ = name + "_"
                f.__doc__ = f"In-place :meth:`{name}`.\n\nExample:\n    >>> ne.zeros(2, 3).{name}_(0, 1).shape\n    (3, 2)\n"
            setattr(cls, name + "_", f)
    # the augmented assignments that have an in-place method (``x //= 2`` changes x and every view of it, as torch;
    # without them Python rebinds x to a new tensor)
    for dunder, name in INPLACE_OPERATORS.items():
        if not hasattr(cls, dunder):
            setattr(cls, dunder, getattr(cls, name))

