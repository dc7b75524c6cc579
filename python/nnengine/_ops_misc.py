"""The rest of torch's top level that programs touch: constants (``pi``, ``inf``...), configuration calls that
are no-ops or records on a CPU engine (``set_float32_matmul_precision``, interop threads, the default device),
dtype helpers (``promote_types``, ``can_cast``), ``broadcast_shapes``, ``asarray``, ``scalar_tensor``,
window functions, ``block_diag``, ``cosine_similarity``, ``bitwise_*``, special functions (``polygamma``,
``i0``, ``mvlgamma``, ``frexp``), ``histogram``, and the module-level spellings of the in-place ops
(``ne.relu_(x)``...).

Example:
    >>> ne.set_float32_matmul_precision("high"); ne.get_float32_matmul_precision()
    'high'
    >>> ne.broadcast_shapes((2, 1), (3,)), ne.pi
    ((2, 3), 3.141592653589793)
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from . import ops
from ._coerce import as_array, ensure_tensor
from ._dtypes import to_dtype
from .tensor import Size, Tensor, _factory, _InputError, cat, result_type, tensor

pi = math.pi
e = math.e
inf = math.inf
nan = math.nan
newaxis = None

_settings = {"matmul_precision": "highest", "interop_threads": 1, "flush_denormal": False}


def set_float32_matmul_precision(precision: str) -> None:
    """Record torch's float32 matmul precision ('highest', 'high', 'medium'). nnengine's float32 GEMM is
    always full float32; bf16 products are opt-in through ``ne.autocast``.

    Example:
        >>> ne.set_float32_matmul_precision("medium"); ne.set_float32_matmul_precision("highest")
    """
    if precision not in ("highest", "high", "medium"):
        import warnings

        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the set_float32_matmul_precision "
                      "call has no effect.", UserWarning, stacklevel=2)
        return
    _settings["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    """The value given to :func:`set_float32_matmul_precision` ('highest' by default).

    Example:
        >>> ne.get_float32_matmul_precision() in ("highest", "high", "medium")
        True
    """
    return _settings["matmul_precision"]


def set_num_interop_threads(num: int) -> None:
    """Accepted for torch code (nnengine has one thread pool: ``set_num_threads``).

    Example:
        >>> ne.set_num_interop_threads(1); ne.get_num_interop_threads()
        1
    """
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < 1:
        raise ValueError(f"num: expected a positive int, got {num!r}")
    _settings["interop_threads"] = int(num)


def get_num_interop_threads() -> int:
    """The value of :func:`set_num_interop_threads` (1 by default).

    Example:
        >>> ne.get_num_interop_threads() >= 1
        True
    """
    return _settings["interop_threads"]


def set_flush_denormal(mode: bool) -> bool:
    """Accepted; returns False (denormals are not flushed by nnengine's kernels).

    Example:
        >>> ne.set_flush_denormal(True)
        False
    """
    _settings["flush_denormal"] = bool(mode)
    return False


def promote_types(type1: Any, type2: Any) -> np.dtype:
    """torch's type promotion of two dtypes (the higher category wins, then the wider type).

    Example:
        >>> ne.promote_types(ne.int64, ne.float32), ne.promote_types(ne.uint8, ne.int8)
        (dtype('float32'), dtype('int16'))
    """
    from .tensor import _promote2

    return _promote2(to_dtype(type1, "type1"), to_dtype(type2, "type2"))


def can_cast(from_: Any, to: Any) -> bool:
    """Whether torch's casting rules allow ``from_`` -> ``to`` (no lower category: float -> int is False).

    Example:
        >>> ne.can_cast(ne.float64, ne.float32), ne.can_cast(ne.float32, ne.int32)
        (True, False)
    """
    cat_ = {"b": 0, "u": 1, "i": 1, "f": 2}
    return cat_[to_dtype(from_, "from_").kind] <= cat_[to_dtype(to, "to").kind]


def broadcast_shapes(*shapes: Any) -> Size:
    """The broadcast of the given shapes (ints or tuples).

    Example:
        >>> ne.broadcast_shapes((2, 1), (1, 3), 3)
        (2, 3)
    """
    try:
        return Size(np.broadcast_shapes(*[(s,) if isinstance(s, (int, np.integer)) else tuple(s) for s in shapes]))
    except ValueError as err:
        raise _InputError(f"Shape mismatch: objects cannot be broadcast to a single shape: {shapes}") from err


def is_complex(input: Any) -> bool:  # noqa: A002
    """False: nnengine has no complex tensors.

    Example:
        >>> ne.is_complex(ne.ones(1))
        False
    """
    return False


def is_same_size(input: Any, other: Any) -> bool:  # noqa: A002
    """Whether two tensors have the same shape.

    Example:
        >>> ne.is_same_size(ne.ones(2), ne.zeros(2))
        True
    """
    return tuple(as_array(input).shape) == tuple(as_array(other).shape)


def is_storage(obj: Any) -> bool:
    """False: nnengine has no storage objects.

    Example:
        >>> ne.is_storage(ne.ones(1))
        False
    """
    return False


def typename(obj: Any) -> str:
    """torch's type string of a tensor ('torch.FloatTensor'...), else the object's type name.

    Example:
        >>> ne.typename(ne.ones(1))
        'torch.FloatTensor'
    """
    if isinstance(obj, Tensor):
        return obj.type()
    return type(obj).__module__ + "." + type(obj).__qualname__


def scalar_tensor(s: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A 0-d tensor (float32 unless ``dtype``).

    Example:
        >>> ne.scalar_tensor(3)
        tensor(3.)
    """
    return _factory(np.asarray(float(s) if dtype is None else s, to_dtype(dtype) or np.float32), requires_grad, device)


def asarray(obj: Any, *, dtype: Any = None, device: Any = None, copy: Optional[bool] = None,
            requires_grad: bool = False) -> Tensor:
    """A tensor of ``obj`` sharing memory when it can (``copy=True`` always copies; ``copy=False`` raises if
    a copy is needed).

    Example:
        >>> a = np.zeros(2, np.float32); np.shares_memory(ne.asarray(a).data, a)
        True
    """
    from .tensor import as_tensor

    if copy:
        return tensor(obj, dtype=dtype, device=device, requires_grad=requires_grad)
    t = as_tensor(obj, dtype=dtype, device=device)
    if copy is False and isinstance(obj, (np.ndarray, Tensor)) and not np.shares_memory(t._data, as_array(obj)):
        raise ValueError("asarray: copy=False but a copy is needed for the requested dtype")
    if requires_grad:
        t.requires_grad_(True)
    return t


def frombuffer(buffer: Any, *, dtype: Any, count: int = -1, offset: int = 0, requires_grad: bool = False) -> Tensor:
    """A 1-D tensor over the bytes of ``buffer`` (shared, as torch).

    Example:
        >>> ne.frombuffer(bytearray(b"\\x01\\x02"), dtype=ne.uint8).tolist()
        [1, 2]
    """
    arr = np.frombuffer(buffer, dtype=to_dtype(dtype), count=count, offset=offset)
    return _factory(arr if arr.flags.aligned else arr.copy(), requires_grad, None)


def empty_strided(size: Sequence[int], stride: Sequence[int], *, dtype: Any = None, device: Any = None,
                  requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor of ``size`` (contiguous: the strides are accepted, not honoured).

    Example:
        >>> ne.empty_strided((2, 3), (1, 2)).shape
        (2, 3)
    """
    return _factory(np.empty(tuple(size), to_dtype(dtype) or np.float32), requires_grad, device)


def _window(values: np.ndarray, dtype: Any, requires_grad: bool, device: Any) -> Tensor:
    return _factory(values.astype(to_dtype(dtype) or np.float32), requires_grad, device)


def _window_n(window_length: int, periodic: bool) -> Tuple[int, int]:
    n = int(window_length)
    if n < 0:
        raise _InputError(f"window_length: expected a non-negative int, got {window_length}")
    return n, (n + 1 if periodic else n)


def hann_window(window_length: int, periodic: bool = True, *, dtype: Any = None, device: Any = None,
                requires_grad: bool = False) -> Tensor:
    """The Hann window (periodic by default, as torch: the first ``N`` of an ``N + 1`` symmetric window).

    Example:
        >>> ne.hann_window(4)
        tensor([0. , 0.5, 1. , 0.5])
    """
    n, m = _window_n(window_length, periodic)
    return _window(np.hanning(m)[:n] if n > 1 else np.ones(n), dtype, requires_grad, device)


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54, beta: float = 0.46, *,
                   dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """The (generalised) Hamming window ``alpha - beta cos(2 pi k / (M - 1))``.

    Example:
        >>> ne.hamming_window(3, periodic=False)
        tensor([0.08, 1.  , 0.08])
    """
    n, m = _window_n(window_length, periodic)
    k = np.arange(n)
    w = alpha - beta * np.cos(2 * np.pi * k / max(m - 1, 1)) if n > 1 else np.ones(n)
    return _window(w, dtype, requires_grad, device)


def blackman_window(window_length: int, periodic: bool = True, *, dtype: Any = None, device: Any = None,
                    requires_grad: bool = False) -> Tensor:
    """The Blackman window.

    Example:
        >>> ne.blackman_window(3, periodic=False).tolist()[1]
        1.0
    """
    n, m = _window_n(window_length, periodic)
    return _window(np.blackman(m)[:n] if n > 1 else np.ones(n), dtype, requires_grad, device)


def bartlett_window(window_length: int, periodic: bool = True, *, dtype: Any = None, device: Any = None,
                    requires_grad: bool = False) -> Tensor:
    """The Bartlett (triangular) window.

    Example:
        >>> ne.bartlett_window(5, periodic=False)
        tensor([0. , 0.5, 1. , 0.5, 0. ])
    """
    n, m = _window_n(window_length, periodic)
    return _window(np.bartlett(m)[:n] if n > 1 else np.ones(n), dtype, requires_grad, device)


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *, dtype: Any = None,
                  device: Any = None, requires_grad: bool = False) -> Tensor:
    """The Kaiser window with shape parameter ``beta``.

    Example:
        >>> ne.kaiser_window(3, periodic=False, beta=0.0)
        tensor([1., 1., 1.])
    """
    n, m = _window_n(window_length, periodic)
    return _window(np.kaiser(m, beta)[:n] if n > 1 else np.ones(n), dtype, requires_grad, device)


# ------------------------------------------------------------------ products and distances
def block_diag(*tensors: Any) -> Tensor:
    """A block-diagonal matrix of the inputs (0-d and 1-D ones as a row; differentiable).

    Example:
        >>> ne.block_diag(ne.tensor([[1, 2]]), ne.tensor([[3], [4]])).tolist()
        [[1, 2, 0], [0, 0, 3], [0, 0, 4]]
    """
    ts = [ensure_tensor(t) for t in tensors]
    ts = [t.reshape(1, -1) if t.ndim < 2 else t for t in ts]
    if any(t.ndim != 2 for t in ts):
        raise _InputError("torch.block_diag: Input tensors must have 2 or fewer dimensions")
    if not ts:
        return Tensor._wrap(np.zeros((1, 0), np.float32))
    dt = result_type(*ts)
    cols = sum(t.shape[1] for t in ts)
    rows, left = [], 0
    for t in ts:
        r, c = t.shape
        parts = [Tensor._wrap(np.zeros((r, left), dt)), t._cast(dt), Tensor._wrap(np.zeros((r, cols - left - c), dt))]
        rows.append(cat(parts, 1))
        left += c
    return cat(rows, 0)


def chain_matmul(*matrices: Any) -> Tensor:
    """The product of the matrices, left to right (torch's deprecated name of ``linalg.multi_dot``).

    Example:
        >>> ne.chain_matmul(ne.ones(2, 3), ne.ones(3, 4)).shape
        (2, 4)
    """
    from .linalg import multi_dot

    if len(matrices) == 1:
        return ensure_tensor(matrices[0])
    return multi_dot(matrices)


def cosine_similarity(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``F.cosine_similarity`` at top level.

    Example:
        >>> ne.cosine_similarity(ne.tensor([[1.0, 0.0]]), ne.tensor([[1.0, 1.0]]))
        tensor([0.7071])
    """
    from .functional import cosine_similarity as f

    return f(ensure_tensor(x1), ensure_tensor(x2), dim, eps)


def pairwise_distance(x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """``F.pairwise_distance`` at top level.

    Example:
        >>> ne.pairwise_distance(ne.tensor([[0.0, 0.0]]), ne.tensor([[3.0, 4.0]]))
        tensor([5.])
    """
    from .functional import pairwise_distance as f

    return f(ensure_tensor(x1), ensure_tensor(x2), p, eps, keepdim)


def pdist(input: Any, p: float = 2.0) -> Tensor:  # noqa: A002
    """The p-norm distances between all pairs of rows ``i < j`` of a 2-D tensor, flattened (differentiable).

    Example:
        >>> ne.pdist(ne.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]]))
        tensor([5.    , 1.    , 4.2426])
    """
    x = ensure_tensor(input)
    if x.ndim != 2:
        raise _InputError(f"pdist only supports 2D tensors, got: {x.ndim}D")
    i, j = np.triu_indices(x.shape[0], 1)
    return (x[i] - x[j]).norm(p=float(p), dim=1)


def rsub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``other - alpha * input``.

    Example:
        >>> ne.rsub(ne.tensor([1.0, 2.0]), 10.0)
        tensor([9., 8.])
    """
    x = ensure_tensor(input)
    return other - (x if alpha == 1 else x * alpha)


# ------------------------------------------------------------------ special functions
def polygamma(n: int, input: Any) -> Tensor:  # noqa: A002
    """The ``n``-th derivative of the digamma function (differentiable: ``polygamma(n + 1)``).

    Example:
        >>> ne.polygamma(1, ne.tensor([1.0]))
        tensor([1.6449])
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise _InputError(f"polygamma(n, x) does not support negative n, got {n!r}")
    name = f"polygamma{int(n)}"
    if name not in ops._UNARY:
        from scipy.special import polygamma as pg

        k = int(n)
        ops._UNARY[name] = (lambda a, k=k: np.asarray(pg(k, a)).astype(a.dtype),
                            lambda a, o, k=k: np.asarray(pg(k + 1, a)))
    x = ensure_tensor(input)
    return ops.UnaryFn.apply(x if x.dtype.kind == "f" else x._cast(np.dtype(np.float32)), name)


def _polygamma_method(self: Tensor, n: int) -> Tensor:
    """``polygamma(n, self)`` (torch's method argument order).

    Example:
        >>> ne.tensor([1.0]).polygamma(0)
        tensor([-0.5772])
    """
    return polygamma(n, self)


def i0(input: Any) -> Tensor:  # noqa: A002
    """The modified Bessel function of the first kind, order 0 (differentiable: its derivative is i1).

    Example:
        >>> ne.i0(ne.tensor([0.0, 1.0]))
        tensor([1.    , 1.2661])
    """
    if "i0" not in ops._UNARY:
        def di0(a: np.ndarray, o: np.ndarray) -> np.ndarray:
            from scipy.special import i1

            return np.asarray(i1(a))

        ops._UNARY["i0"] = (lambda a: np.i0(a).astype(a.dtype), di0)
    x = ensure_tensor(input)
    return ops.UnaryFn.apply(x if x.dtype.kind == "f" else x._cast(np.dtype(np.float32)), "i0")


def mvlgamma(input: Any, p: int) -> Tensor:  # noqa: A002
    """The multivariate log-gamma of dimension ``p`` (defined where every entry exceeds ``(p - 1) / 2``).

    Example:
        >>> ne.mvlgamma(ne.tensor([2.5]), 2)
        tensor([0.857])
    """
    from ._ops_math import lgamma

    x = ensure_tensor(input)
    if int(p) < 1:
        raise _InputError("p has to be greater than or equal to 1")
    out = lgamma(x)
    for j in range(1, int(p)):
        out = out + lgamma(x - j / 2)
    return out + int(p) * (int(p) - 1) / 4 * math.log(math.pi)


frexp_t = namedtuple("frexp", ["mantissa", "exponent"])


def frexp(input: Any) -> Any:  # noqa: A002
    """``(mantissa, exponent)`` with ``input = mantissa * 2**exponent``, mantissa in (-1, -0.5] or [0.5, 1).

    Example:
        >>> m, e = ne.frexp(ne.tensor([8.0])); m, e, e.dtype
        (tensor([0.5]), tensor([4]), dtype('int32'))
    """
    a = as_array(input)
    if a.dtype.kind != "f":
        raise _InputError("torch.frexp() only supports floating-point dtypes")
    m, ex = np.frexp(a)
    return frexp_t(Tensor._wrap(m.astype(a.dtype)), Tensor._wrap(ex.astype(np.int32)))


histogram_t = namedtuple("histogram", ["hist", "bin_edges"])


def histogram(input: Any, bins: Any = 100, *, range: Optional[Tuple[float, float]] = None,  # noqa: A002
              weight: Any = None, density: bool = False) -> Any:
    """``(hist, bin_edges)`` of a float tensor: ``bins`` equal bins over ``range`` (the data's by default) or
    the given edges; ``weight`` and ``density`` as numpy's.

    Example:
        >>> ne.histogram(ne.tensor([1.0, 2.0, 1.0]), bins=2)
        histogram(hist=tensor([2., 1.]), bin_edges=tensor([1. , 1.5, 2. ]))
    """
    a = as_array(input)
    if a.dtype.kind != "f":
        raise _InputError(f"torch.histogram: input tensor and bins tensors should have the same dtype, got {a.dtype}")
    b = as_array(bins) if isinstance(bins, Tensor) else int(bins)
    h, edges = np.histogram(a, bins=b, range=range, weights=None if weight is None else as_array(weight),
                            density=density)
    return histogram_t(Tensor._wrap(h.astype(a.dtype)), Tensor._wrap(edges.astype(a.dtype)))


# ------------------------------------------------------------------ bitwise
def bitwise_and(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input & other`` (integer and bool tensors).

    Example:
        >>> ne.bitwise_and(ne.tensor([12]), 10)
        tensor([8])
    """
    return ensure_tensor(input) & other


def bitwise_or(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input | other`` (integer and bool tensors).

    Example:
        >>> ne.bitwise_or(ne.tensor([12]), 10)
        tensor([14])
    """
    return ensure_tensor(input) | other


def bitwise_xor(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input ^ other`` (integer and bool tensors).

    Example:
        >>> ne.bitwise_xor(ne.tensor([12]), 10)
        tensor([6])
    """
    return ensure_tensor(input) ^ other


def bitwise_not(input: Any) -> Tensor:  # noqa: A002
    """``~input`` (integer and bool tensors).

    Example:
        >>> ne.bitwise_not(ne.tensor([True, False]))
        tensor([False,  True])
    """
    return ~ensure_tensor(input)


def _int_shift(f: Any, input: Any, other: Any) -> Tensor:  # noqa: A002
    a, b = as_array(input), as_array(other)
    if a.dtype.kind not in "iu":
        raise _InputError(f"bitwise shift: expected an integer tensor, got {a.dtype}")
    return Tensor._wrap(np.asarray(f(a, np.asarray(b, a.dtype))).astype(result_type(input, other)))


def bitwise_left_shift(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input << other`` (integer tensors).

    Example:
        >>> ne.bitwise_left_shift(ne.tensor([1, 3]), 2)
        tensor([ 4, 12])
    """
    return _int_shift(np.left_shift, input, other)


def bitwise_right_shift(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input >> other`` (integer tensors; arithmetic for signed).

    Example:
        >>> ne.bitwise_right_shift(ne.tensor([-8, 12]), 2)
        tensor([-2,  3])
    """
    return _int_shift(np.right_shift, input, other)


def _is_false(self: Tensor) -> bool:
    """False (no shared-memory or pinned tensors on the CPU-only engine).

    Example:
        >>> ne.ones(1).is_pinned(), ne.ones(1).is_shared()
        (False, False)
    """
    return False


# ------------------------------------------------------------------ torch's top-level spellings of functional ops
_FUNCTIONAL = ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "max_pool1d",
               "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "avg_pool1d", "channel_shuffle",
               "adaptive_avg_pool1d", "adaptive_max_pool1d", "pixel_shuffle", "pixel_unshuffle", "selu", "celu",
               "prelu", "rrelu", "threshold", "hardshrink", "dropout", "alpha_dropout", "feature_alpha_dropout",
               "group_norm", "layer_norm", "rms_norm", "bilinear")


def _functional(name: str) -> Any:
    def f(*args: Any, **kwargs: Any) -> Any:
        from . import functional

        return getattr(functional, name)(*args, **kwargs)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"``torch.{name}``: ``nnengine.functional.{name}`` (the same positional arguments).\n\n"
                 f"Example:\n    >>> callable(ne.{name})\n    True\n")
    return f


def as_strided(input: Any, size: Any, stride: Any, storage_offset: Any = None) -> Tensor:  # noqa: A002
    """``torch.as_strided``: ``input.as_strided(size, stride, storage_offset)``.

    Example:
        >>> ne.as_strided(ne.arange(4.0), (3, 2), (1, 1))[2]
        tensor([2., 3.])
    """
    return ensure_tensor(input).as_strided(size, stride, storage_offset)


def constant_pad_nd(input: Any, pad: Sequence[int], value: float = 0) -> Tensor:  # noqa: A002
    """``F.pad(input, pad, value=value)``.

    Example:
        >>> ne.constant_pad_nd(ne.ones(2), (1, 1))
        tensor([0., 1., 1., 0.])
    """
    from .functional import pad as _pad

    return _pad(ensure_tensor(input), list(pad), value=value)


def gradient(input: Any, *, spacing: Any = 1, dim: Any = None, edge_order: int = 1) -> Tuple[Tensor, ...]:  # noqa: A002
    """Central differences in the interior and one-sided ones (``edge_order`` 1 or 2) at the ends, one tensor
    per dim (``spacing`` a number or one per dim); differentiable.

    Example:
        >>> ne.gradient(ne.tensor([1.0, 2.0, 4.0, 8.0]))
        (tensor([1. , 1.5, 3. , 4. ]),)
    """
    x = ensure_tensor(input)
    if x.dtype.kind != "f":
        x = x._cast(np.dtype(np.float32))
    dims = list(range(x.ndim)) if dim is None else [dim] if isinstance(dim, int) else list(dim)
    dims = [d % x.ndim for d in dims]
    hs = list(spacing) if isinstance(spacing, (list, tuple)) else [spacing] * len(dims)
    if len(hs) != len(dims):
        raise _InputError(f"torch.gradient expected spacing to be unspecified, a scalar or a list of length {len(dims)}")
    if edge_order not in (1, 2):
        raise _InputError("torch.gradient only supports edge_order=1 and edge_order=2.")
    out = []
    for d, h in zip(dims, hs):
        h = float(h.item() if isinstance(h, Tensor) else h)
        n = x.shape[d]
        if n < edge_order + 1:
            raise _InputError(f"torch.gradient expected each dimension size to be at least edge_order+1, got {n}")

        def sl(a: int, b: int, d: int = d) -> Tensor:
            return x.narrow(d, a, b - a)

        mid = (sl(2, n) - sl(0, n - 2)) / (2 * h)
        if edge_order == 1:
            first = (sl(1, 2) - sl(0, 1)) / h
            last = (sl(n - 1, n) - sl(n - 2, n - 1)) / h
        else:
            first = (sl(0, 1) * -3 + sl(1, 2) * 4 - sl(2, 3)) / (2 * h)
            last = (sl(n - 1, n) * 3 - sl(n - 2, n - 1) * 4 + sl(n - 3, n - 2)) / (2 * h)
        out.append(cat([first, mid, last], d))
    return tuple(out)


def angle(input: Any) -> Tensor:  # noqa: A002
    """The argument of real numbers: 0 for positive, pi for negative (NaN stays NaN); float result.

    Example:
        >>> ne.angle(ne.tensor([-2.0, 3.0]))
        tensor([3.1416, 0.    ])
    """
    x = ensure_tensor(input)
    a = x._data if x.dtype.kind == "f" else x._data.astype(np.float32)
    return Tensor._wrap(np.where(np.isnan(a), a, np.where(a < 0, np.pi, 0.0)).astype(a.dtype))


def frobenius_norm(input: Any, dim: Any = (-2, -1), keepdim: bool = False) -> Tensor:  # noqa: A002
    """The Frobenius norm over ``dim``.

    Example:
        >>> ne.frobenius_norm(ne.tensor([[3.0, 4.0]]))
        tensor(5.)
    """
    return ensure_tensor(input).norm(2, tuple(dim) if isinstance(dim, (list, tuple)) else dim, keepdim)


def nuclear_norm(input: Any, keepdim: bool = False) -> Tensor:  # noqa: A002
    """The sum of a matrix's singular values.

    Example:
        >>> ne.nuclear_norm(ne.tensor([[3.0, 0.0], [0.0, -4.0]]))
        tensor(7.)
    """
    from .linalg import matrix_norm

    return matrix_norm(input, "nuc", keepdim=keepdim)


def binomial(count: Any, prob: Any, generator: Any = None) -> Tensor:
    """Binomial samples with ``count`` trials of probability ``prob`` (``count``'s float dtype).

    Example:
        >>> ne.binomial(ne.tensor([5.0, 5.0]), ne.tensor([0.0, 1.0]))
        tensor([0., 5.])
    """
    from . import random as _random

    c, p = as_array(count), as_array(prob)
    g = _random.resolve_generator(generator)
    return Tensor._wrap(g.binomial(c.astype(np.int64), p).astype(c.dtype if c.dtype.kind == "f" else np.float32))


_flags = {"warn_always": False, "deterministic_debug_mode": 0}


def set_warn_always(b: bool) -> None:
    """Recorded (nnengine warns once per call site, Python's default).

    Example:
        >>> ne.set_warn_always(False); ne.is_warn_always_enabled()
        False
    """
    _flags["warn_always"] = bool(b)


def is_warn_always_enabled() -> bool:
    """The flag of :func:`set_warn_always`.

    Example:
        >>> ne.is_warn_always_enabled() in (True, False)
        True
    """
    return _flags["warn_always"]


def set_deterministic_debug_mode(debug_mode: Any) -> None:
    """Recorded: 0/'default', 1/'warn', 2/'error' (nnengine's ops are deterministic).

    Example:
        >>> ne.set_deterministic_debug_mode("warn"); ne.get_deterministic_debug_mode()
        1
        >>> ne.set_deterministic_debug_mode(0)
    """
    modes = {"default": 0, "warn": 1, "error": 2}
    m = modes.get(debug_mode, debug_mode) if isinstance(debug_mode, str) else debug_mode
    if m not in (0, 1, 2):
        raise _InputError(f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, got {debug_mode!r}")
    _flags["deterministic_debug_mode"] = int(m)


def get_deterministic_debug_mode() -> int:
    """The value of :func:`set_deterministic_debug_mode` (0 by default).

    Example:
        >>> ne.get_deterministic_debug_mode() in (0, 1, 2)
        True
    """
    return _flags["deterministic_debug_mode"]


def is_anomaly_enabled() -> bool:
    """Whether ``autograd.detect_anomaly`` is active on this thread.

    Example:
        >>> ne.is_anomaly_enabled()
        False
    """
    from .autograd import _state

    return bool(_state.anomaly)


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """Switch anomaly detection on this thread (``detect_anomaly`` without the ``with``).

    Example:
        >>> ne.set_anomaly_enabled(True); ne.is_anomaly_enabled()
        True
        >>> ne.set_anomaly_enabled(False)
    """
    from . import _tape

    _tape.set_anomaly(bool(enabled))


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly detection checks NaN (whenever it is on).

    Example:
        >>> ne.is_anomaly_check_nan_enabled()
        False
    """
    return is_anomaly_enabled()


def set_default_tensor_type(t: Any) -> None:
    """``torch.set_default_tensor_type``: 'torch.FloatTensor' (or ``ne.FloatTensor``) sets the default float
    dtype through ``set_default_dtype`` (float32 only, so another type raises its ValueError).

    Example:
        >>> ne.set_default_tensor_type("torch.FloatTensor"); ne.get_default_dtype()
        dtype('float32')
    """
    from ._dtypes import set_default_dtype

    d = getattr(t, "dtype", None)
    set_default_dtype(d if d is not None else to_dtype(t, "t"))


has_lapack = True
has_mkl = False
has_openmp = True  # (as backends.openmp.is_available())


_INPLACE_TOP = ("relu_", "sigmoid_", "tanh_", "exp_", "log_", "sqrt_", "abs_", "neg_", "floor_", "ceil_", "round_",
                "trunc_", "sign_", "sin_", "cos_", "tan_", "reciprocal_", "rsqrt_", "square_", "erf_", "log1p_",
                "expm1_", "clamp_", "clip_", "fill_", "zero_", "acos_", "asin_", "atan_", "sinh_", "cosh_", "log2_",
                "log10_", "exp2_", "frac_", "fix_", "sgn_", "erfinv_", "lgamma_", "digamma_", "deg2rad_",
                "rad2deg_", "nan_to_num_", "logit_", "xlogy_", "arccos_", "arcsin_", "arctan_", "negative_",
                "clamp_min_", "clamp_max_", "square_", "sinc_", "index_add_", "index_fill_", "index_copy_")


def _top_inplace(name: str) -> Any:
    def f(input: Any, *args: Any, **kwargs: Any) -> Tensor:  # noqa: A002
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): input: expected a Tensor, got {type(input).__name__}")
        return getattr(input, name)(*args, **kwargs)

    f.__name__ = f.__qualname__ = name
    f.__doc__ = (f"``ne.{name}(x, ...)`` is ``x.{name}(...)``: in place, returns ``x``.\n\n"
                 f"Example:\n    >>> callable(ne.{name})\n    True\n")
    return f


def install_inplace(namespace: dict, cls: type) -> list:
    """Add ``ne.<op>_(x, ...)`` for the in-place methods of ``cls`` named in ``_INPLACE_TOP`` to ``namespace``;
    returns the names added.

    Example:
        >>> "relu_" in install_inplace({}, ne.Tensor)
        True
    """
    added = []
    for name in dict.fromkeys(_INPLACE_TOP):
        if hasattr(cls, name) and name not in namespace:
            namespace[name] = _top_inplace(name)
            added.append(name)
    return added


__all__ = [
    "pi", "e", "inf", "nan", "newaxis", "set_float32_matmul_precision", "get_float32_matmul_precision",
    "set_num_interop_threads", "get_num_interop_threads", "set_flush_denormal", "promote_types", "can_cast", "broadcast_shapes", "is_complex", "is_same_size",
    "is_storage", "typename", "scalar_tensor", "asarray", "frombuffer", "empty_strided", "hann_window",
    "hamming_window", "blackman_window", "bartlett_window", "kaiser_window", "block_diag", "chain_matmul",
    "cosine_similarity", "pairwise_distance", "pdist", "rsub", "polygamma", "i0", "mvlgamma", "frexp",
    "histogram", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
    "bitwise_right_shift", "constant_pad_nd", "as_strided", "gradient", "angle", "frobenius_norm", "nuclear_norm", "binomial",
    "set_warn_always", "is_warn_always_enabled", "set_deterministic_debug_mode", "get_deterministic_debug_mode",
    "is_anomaly_enabled", "set_anomaly_enabled", "is_anomaly_check_nan_enabled", "set_default_tensor_type",
    "has_lapack", "has_mkl", "has_openmp",
] + list(_FUNCTIONAL)
globals().update({n: _functional(n) for n in _FUNCTIONAL})

TENSOR_METHODS = {"bitwise_and": bitwise_and, "bitwise_or": bitwise_or, "bitwise_xor": bitwise_xor,
                  "bitwise_not": bitwise_not, "polygamma": _polygamma_method, "i0": i0, "mvlgamma": mvlgamma, "frexp": frexp,
                  "histogram": histogram, "bitwise_left_shift": bitwise_left_shift,
                  "bitwise_right_shift": bitwise_right_shift, "is_pinned": _is_false, "is_shared": _is_false,
                  "__lshift__": bitwise_left_shift, "__rshift__": bitwise_right_shift, "angle": angle}
