"""``Tensor``: a numpy array (float32 by default; any bool/int/float dtype), an optional gradient, and the
op that made it.

Glue ops (arithmetic, reductions, indexing, reshapes, ``cat``/``stack``) compute in the tensors' own dtype
with PyTorch's type promotion (``int64 + float32 -> float32``, ``int / int -> float32``, Python scalars
only decide the category); the heavy kernels (``nnengine.functional``) compute in float32.

Example:
    >>> import nnengine as ne
    >>> x = ne.tensor([[1.0, 2.0]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    array([[2., 4.]], dtype=float32)
"""

from __future__ import annotations

import math
import warnings
import weakref
from collections import namedtuple
from typing import Any, Callable, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _higher_order, _tape, ops
from ._device import CPU, DeviceError, check_device, is_device_like
from ._dtypes import to_dtype, type_name
from ._tape import consumed as _tape_consumed
from ._tape import note_mutation as _note_mutation

ArrayLike = Union["Tensor", np.ndarray, float, int, Sequence]
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_I64 = np.dtype(np.int64)
_BOOL = np.dtype(np.bool_)
_CAT = {"b": 0, "u": 1, "i": 1, "f": 2}
_SCALAR_DEFAULT = (_BOOL, _I64, _F32)
_PRINT = {"precision": 4}


class _DtypeError(RuntimeError, TypeError):
    """A dtype an op does not take (mixed float32/float64, an integer tensor where floats are needed, a gradient
    asked of a non-float tensor): a RuntimeError like torch's (``except RuntimeError`` in torch code catches it),
    and a TypeError (the contract)."""


class _ScalarError(RuntimeError, ValueError):
    """A multi-element tensor used as a Python scalar (RuntimeError like torch's, and a ValueError)."""


class _InputError(RuntimeError, ValueError):
    """An invalid argument to a torch-parity op: a RuntimeError like torch's, and a ValueError (the engine's
    contract: every public entry raises ValueError / TypeError for bad input)."""


def _count_arg(v: Any, name: str, op: str) -> int:
    """``v`` as a count >= 1 (an int, not a bool): TypeError / ValueError naming ``op`` and ``name`` otherwise."""
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{op}(): {name}: expected an int, got {type(v).__name__}")
    if v < 1:
        raise _InputError(f"{op}(): {name}: expected a value greater than 0, got {v}")
    return int(v)


class _IndexError(IndexError, ValueError):
    """A dim or index out of range: an IndexError like torch's, and a ValueError (the engine's contract)."""


def _int_divisor(dt: np.dtype, b: Any) -> None:
    """torch's error for an integer division (``//``, ``%``, ``div`` with a rounding mode) by zero, where numpy
    silently gives 0."""
    if dt.kind in "iu" and np.any(np.asarray(b) == 0):
        raise _InputError("ZeroDivisionError")


def _nonempty(a: np.ndarray, op: str, axis: Any) -> None:
    """torch's error for a reduction without an identity (max, argmax, median, mode...) over nothing: an empty
    reduced dim (``axis`` an int or a tuple of them), or an empty tensor reduced whole (``axis`` None)."""
    if a.size:
        return
    if axis is None:
        raise _InputError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")
    for d in axis if isinstance(axis, tuple) else (axis,):
        if a.shape[d] == 0:
            raise _IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


class _Unimplemented(NotImplementedError, ValueError):
    """An option of a torch op that nnengine does not implement: NotImplementedError, and a ValueError (the engine's
    contract: an argument value it cannot take)."""


class return_types:  # noqa: N801 - torch.return_types
    """torch's ``(values, indices)`` named tuples: ``v, i = x.max(1)``, ``x.max(1)[1]``, ``.values``.

    Example:
        >>> v, i = ne.tensor([[1.0, 5.0]]).max(1)
        >>> ne.tensor([[1.0, 5.0]]).max(1).indices, i
        (tensor([1]), tensor([1]))
    """

    max = namedtuple("max", ["values", "indices"])
    min = namedtuple("min", ["values", "indices"])
    sort = namedtuple("sort", ["values", "indices"])
    topk = namedtuple("topk", ["values", "indices"])
    kthvalue = namedtuple("kthvalue", ["values", "indices"])
    median = namedtuple("median", ["values", "indices"])
    mode = namedtuple("mode", ["values", "indices"])


class Size(tuple):
    """``torch.Size``: a tuple of dims (what ``x.shape`` and ``x.size()`` return), with ``numel()``; ``+``
    keeps the type. It prints as a plain tuple, and a slice is a plain tuple (indexing stays tuple-fast).

    Example:
        >>> s = ne.zeros(2, 3).shape
        >>> isinstance(s, ne.Size), s.numel(), s == (2, 3), s + (4,)
        (True, 6, True, (2, 3, 4))
    """

    __slots__ = ()

    def numel(self) -> int:
        """The number of elements of a tensor of this shape.

        Example:
            >>> ne.Size([2, 3]).numel()
            6
        """
        return math.prod(self)

    def __add__(self, o: Any) -> Size:
        return Size(tuple.__add__(self, o))

    def __radd__(self, o: Any) -> Size:
        return Size(tuple(o) + tuple(self))


def _as_array(x: Any) -> np.ndarray:
    if isinstance(x, Tensor):
        return x._data
    if hasattr(x, "detach") and hasattr(x, "cpu") and hasattr(x, "numpy"):  # a torch tensor
        x = x.detach().cpu().numpy()
    return np.asarray(x)


_tape.configure_tensor(_as_array)  # (Tensor.backward, typed in the tape, converts a given grad with it)


def _is_basic_index(idx: Any) -> bool:
    items = idx if isinstance(idx, tuple) else (idx,)
    return all(isinstance(i, (int, np.integer, slice, type(None), type(Ellipsis))) for i in items)


def _norm_index(idx: Any) -> Any:
    if isinstance(idx, Tensor):
        kind = idx._data.dtype.kind
        if kind in "fc":
            raise _IndexError("tensors used as indices must be long, int, byte or bool tensors, got dtype "
                              f"{idx.data.dtype}")
        if idx._data.dtype == np.uint8:  # torch: a uint8 index is a (deprecated) mask, not positions
            warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype torch.bool "
                          "instead.", UserWarning, stacklevel=3)
            return idx._data.astype(bool)
        if idx._data.ndim == 0 and kind in "iu":
            return int(idx._data)  # torch: a 0-d integer tensor indexes like an int (a view, not a copy)
        return idx._data
    if isinstance(idx, tuple):
        return tuple(_norm_index(i) for i in idx)
    if isinstance(idx, list):
        return np.asarray(idx)
    return idx


def _shape_args(shape: tuple) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _size_kw(size: tuple, kw: dict) -> tuple:
    """The factories' shape: the positional sizes, or torch's ``size=`` keyword (``ne.empty(size=(2, 3))``)."""
    return (kw["size"],) if not size and "size" in kw else size


def _promote2(d1: np.dtype, d2: np.dtype) -> np.dtype:
    """torch.promote_types: the higher category wins; within one category the wider type."""
    if d1 == d2:
        return d1
    c1, c2 = _CAT.get(d1.kind, 2), _CAT.get(d2.kind, 2)
    if c1 != c2:
        return d1 if c1 > c2 else d2
    return np.promote_types(d1, d2)


def result_type(*xs: Any) -> np.dtype:
    """torch.result_type of Tensors, arrays and Python scalars: dimensioned operands decide; 0-d tensors
    and then scalars only when their category (bool < integer < float) is higher (a float scalar gives
    float32, an int scalar int64).

    Example:
        >>> result_type(ne.tensor([1, 2]), 2.5)
        dtype('float32')
    """
    dim = zero = None
    sc = -1
    for x in xs:
        if isinstance(x, Tensor):
            a = x._data
        elif isinstance(x, np.ndarray):
            a = x
        elif isinstance(x, (bool, np.bool_)):
            sc = max(sc, 0)
            continue
        elif isinstance(x, (int, np.integer)):
            sc = max(sc, 1)
            continue
        elif isinstance(x, (float, np.floating)):
            sc = max(sc, 2)
            continue
        else:
            a = _as_array(x)
        if a.ndim:
            dim = a.dtype if dim is None else _promote2(dim, a.dtype)
        else:
            zero = a.dtype if zero is None else _promote2(zero, a.dtype)
    res = dim
    if zero is not None and (res is None or _CAT.get(zero.kind, 2) > _CAT.get(res.kind, 2)):
        res = zero
    if sc >= 0 and (res is None or sc > _CAT.get(res.kind, 2)):
        res = _SCALAR_DEFAULT[sc]
    return _F32 if res is None else res


_TORCH_SHORT = {"f": "Float", "i": "Long", "u": "Byte", "b": "Bool"}


def _check_cast(res: np.dtype, out: np.dtype) -> None:
    if _CAT.get(res.kind, 2) > _CAT.get(out.kind, 2):
        raise _InputError(f"result type {_TORCH_SHORT.get(res.kind, res.name)} can't be cast to the desired "
                           f"output type {_TORCH_SHORT.get(out.kind, out.name)}")


def _dim(d: Any, ndim: int) -> int:
    n = max(ndim, 1)
    if isinstance(d, Tensor):
        d = int(d)
    if not -n <= d < n:
        raise _IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
    return int(d) % n


def _consumed(t: Tensor) -> bool:
    """Whether a live recorded op holds ``t`` as an input (its backward would follow ``t._ctx``): the tape
    keeps a weak reference to each node that consumed a non-leaf tensor (``nnengine._tape.consumed``)."""
    return _tape_consumed(t)


def _saves(ctx: Any, arr: np.ndarray) -> bool:
    """Whether a recorded op's context keeps ``arr`` (or a view of its memory) for its backward."""
    held = list(ctx.saved_tensors) + list(vars(ctx).values())
    while held:
        v = held.pop()
        if isinstance(v, (tuple, list)):
            held.extend(v)
        elif isinstance(v, Tensor):
            held.append(v._data)
        elif isinstance(v, np.ndarray) and np.may_share_memory(v, arr):
            return True
    return False


def _hand_over_consumers(t: Tensor, old: Tensor) -> None:
    """An in-place op on non-leaf ``t`` that live recorded ops consume. torch allows it unless one of them saved
    ``t``'s values for its backward (its version check fails at backward time): then a RuntimeError, now. Else
    each consumer gets ``old`` (``t``'s array and graph position before the op) in place of ``t``, so its
    backward still follows ``t``'s old history once ``t`` becomes the in-place op's output (karpathy's
    backprop lecture: ``dC[ix] += demb[k, j]`` in a loop, each ``dC[ix]`` read consuming ``dC``)."""
    nodes = [n for n in (r() for r in t._consumers) if n is not None and n.ctx is not None]
    if any(_saves(n.ctx, t._data) for n in nodes):
        raise RuntimeError("in-place operation on a tensor that an operation recorded for backward already "
                           "uses: its gradient would be wrong. Use an out-of-place op (y = y + 1) or clone() "
                           "it first")
    for n in nodes:
        n.inputs = [old if a is t else a for a in n.inputs]
    old._consumers, t._consumers = t._consumers, None


_VIEW_FNS: tuple = ()
_PLAIN_OPERANDS = frozenset((int, float, bool, np.ndarray))  # operand types that never carry a recorded .grad


#: Tensor methods implemented by nnengine.functional (relu, sigmoid, tanh, softmax, log_softmax), registered by it
#: at import: the dependency points one way, from the layers down to the tape.
KERNEL_METHODS: dict = {}


#: The array types of a leaf's ``.data`` once it requires a gradient and of a leaf's ``.grad``: numpy arrays
#: with torch's in-place methods (``nn.parameter.ParameterData`` and ``GradData``, registered by that module at
#: import, so the dependency points one way), so ``w.data.zero_()``, ``p.grad.data.zero_()``, ``p.grad.mul_(s)``
#: run as written. Op outputs keep plain arrays (no cost on the hot path). The third entry is the class of a
#: ``state_dict()`` value and of nnengine's own buffers read as attributes (``nn.parameter.StateData``:
#: ``bn.running_mean.clone()`` / ``.copy_()`` as in torch), a view of the buffer's array.
#: The fourth is the class of ``t.data`` read on a tensor whose array is a plain ndarray (an op's output, a leaf
#: without gradient): ``nn.parameter.TensorData``, a view of the same memory, so torch code's ``out.data.cpu()``,
#: ``out.data.max(1)[1]`` and ``x.data.view_as(y)`` run as written. The array itself is ``t._data`` (what nnengine
#: reads internally: a plain ndarray or one of the first classes, never a view type).
LEAF_ARRAYS: list = [np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _dims_keyword(dims: tuple, kwargs: dict, name: str) -> tuple:
    """``dims`` given positionally or as torch's ``dims=`` keyword (not both)."""
    if kwargs:
        if set(kwargs) != {"dims"}:
            raise TypeError(f"{name}() got an unexpected keyword argument {next(k for k in kwargs if k != 'dims')!r}")
        if dims:
            raise TypeError(f"{name}(): dims given both positionally and as a keyword")
        d = kwargs["dims"]
        return (tuple(d),) if isinstance(d, (tuple, list)) else (d,)
    return dims


def _axis_alias(name: str, dim: Any, axis: Any) -> Any:
    """numpy's ``axis`` for ``dim``: torch's argument parser accepts it for every native function (with
    ``keepdims`` for ``keepdim``), so ``x.sum(axis=1)`` and ``x.argmax(axis=1)`` run as in torch."""
    if dim is not None:
        raise TypeError(f"{name}(): received both 'dim' and its alias 'axis'")
    return axis


def _is_size(n: Any) -> bool:
    return isinstance(n, (int, np.integer)) and not isinstance(n, (bool, np.bool_))


class Tensor:
    """An array that can record the operations applied to it for automatic differentiation.

    ``Tensor(data)`` gives float32 (like ``torch.Tensor``); ``ne.tensor(data)`` infers the dtype like
    ``torch.tensor``. As in torch, ints are sizes: ``Tensor(2, 3)`` is a (2, 3) tensor (zero-filled; torch's is
    uninitialized) and ``Tensor(3)`` has shape (3,), while ``tensor(3)`` is a 0-d tensor. ``.data`` is the numpy
    array itself.

    Example:
        >>> t = ne.Tensor([[1, 2], [3, 4]])
        >>> t.dtype, t.device
        (dtype('float32'), device(type='cpu'))
    """

    __array_priority__ = 1000  # numpy defers to Tensor's reflected operators

    def __init__(self, data: ArrayLike = (), *sizes: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        if sizes and len(sizes) == 1 and isinstance(sizes[0], bool):  # Tensor(data, requires_grad)
            requires_grad, sizes = sizes[0], ()
        if _is_size(data) and all(_is_size(n) for n in sizes):  # torch.Tensor(2, 3): a (2, 3) tensor
            arr = np.zeros((int(data),) + tuple(int(n) for n in sizes), to_dtype(dtype) or np.float32)
        elif sizes:
            raise TypeError(f"Tensor: expected data or sizes (ints), got {data!r} and {sizes!r}")
        else:
            arr = _as_array(data)
        if dtype is not None:
            arr = arr.astype(to_dtype(dtype), copy=False)
        elif arr.dtype != np.float32:
            if arr.dtype.kind in "fbiu" or arr.dtype == object:
                arr = arr.astype(np.float32)
            else:
                raise TypeError(f"data: expected numbers, got an array of dtype {arr.dtype}")
        if not arr.flags.aligned:  # e.g. np.frombuffer at an odd offset: kernels load whole floats
            arr = arr.copy()
        self._data: np.ndarray = arr
        self.grad: Optional[np.ndarray] = None
        self._ctx = None
        self._out_index = 0
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    _leaf_arrays = LEAF_ARRAYS  # (read by the tape's backward sweep, which accumulates a first .grad inline)
    # the tape's weak list of the recorded nodes that read this (non-leaf) tensor, set on its first use: the
    # class default keeps the tape's read from missing (a missing attribute builds an AttributeError)
    _consumers: Optional[list] = None

    #: ``Tensor._wrap(arr)``: a Tensor around ndarray ``arr`` without ``__init__``'s conversions (the output of
    #: every op; typed: ``nnengine._tape.wrap``)
    _wrap = classmethod(_tape.wrap)

    # ----------------------------------------------------------------- properties
    @property
    def data(self) -> np.ndarray:
        """The numpy array behind the tensor, outside autograd (torch's ``.data``): the same memory, so writes
        change the tensor. A numpy array that also has torch's tensor methods: a leaf's parameter array
        (:class:`~nnengine.nn.parameter.ParameterData`) or, for any other tensor, a
        :class:`~nnengine.nn.parameter.TensorData` view, so ``out.data.max(1)[1]``, ``out.data.cpu().numpy()``
        and ``y.data.view_as(pred)`` run as in torch. Assigning replaces the array (a Tensor or numpy array).

        Example:
            >>> x = ne.tensor([[1.0, 5.0], [7.0, 2.0]])
            >>> (x * 2).data.max(1)[1]
            tensor([1, 0])
            >>> x.data[0, 0] = 3.0; x[0, 0].item()
            3.0
        """
        a = self._data
        return a.view(LEAF_ARRAYS[3]) if type(a) is np.ndarray else a

    @data.setter
    def data(self, value: Any) -> None:
        if isinstance(value, Tensor):
            value = value._data
        elif not isinstance(value, np.ndarray):
            raise TypeError(f"data: expected a Tensor or numpy array, got {type(value).__name__}")
        elif isinstance(value, tuple(LEAF_ARRAYS[1:])):  # a detached view (another .data, a .grad...): its memory
            value = value.view(np.ndarray)
        if type(value) is np.ndarray and self.requires_grad and self._ctx is None:
            value = value.view(LEAF_ARRAYS[0])  # a trainable leaf keeps torch's in-place methods on its .data
        self._data = value

    @property
    def shape(self) -> Size:
        """The dims as a :class:`Size` (a tuple subclass, torch's ``torch.Size``).

        Example:
            >>> ne.zeros(2, 3).shape
            (2, 3)
        """
        return Size(self._data.shape)

    @property
    def ndim(self) -> int:
        """The number of dims (property).

        Example:
            >>> ne.zeros(2, 3).ndim
            2
        """
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        """The element type, a numpy dtype (``ne.float32`` is ``np.dtype('float32')``).

        Example:
            >>> ne.ones(1).dtype == ne.float32
            True
        """
        return self._data.dtype

    @property
    def device(self) -> Any:
        """Always ``ne.device("cpu")``.

        Example:
            >>> ne.ones(1).device
            device(type='cpu')
        """
        return CPU

    is_cuda = False
    is_xpu = False  # torch's other device flags: dcgan/main.py tests `input.is_cuda or input.is_xpu`
    is_mps = False
    is_meta = False
    is_cpu = True
    is_sparse = False
    is_quantized = False
    layout = "strided"

    def to_sparse(self, *args: Any, **kwargs: Any) -> Tensor:
        """The sparse COO form (its nonzero entries), torch's ``to_sparse()``; see :mod:`nnengine.sparse`.

        Example:
            >>> ne.eye(3).to_sparse()._nnz()
            3
        """
        from .sparse import to_sparse

        return to_sparse(self)

    def to_dense(self, dtype: Any = None) -> Tensor:
        """A dense tensor is its own dense form (torch's ``to_dense`` on a strided tensor).

        Example:
            >>> t = ne.ones(2)
            >>> t.to_dense() is t
            True
        """
        return self if dtype is None else self.to(dtype)

    def get_device(self) -> int:
        """-1, torch's answer for a CPU tensor.

        Example:
            >>> ne.ones(1).get_device()
            -1
        """
        return -1

    def size(self, dim: Optional[int] = None) -> Union[Size, int]:
        """The shape, or the size of dim ``dim``.

        Example:
            >>> ne.zeros(2, 3).size(), ne.zeros(2, 3).size(-1)
            ((2, 3), 3)
        """
        return Size(self._data.shape) if dim is None else self._data.shape[dim]

    def numel(self) -> int:
        """The number of entries.

        Example:
            >>> ne.zeros(2, 3).numel()
            6
        """
        return int(self._data.size)

    nelement = numel

    def dim(self) -> int:
        """The number of dims.

        Example:
            >>> ne.zeros(2, 3).dim()
            2
        """
        return self._data.ndim

    ndimension = dim

    def element_size(self) -> int:
        """Bytes per element.

        Example:
            >>> ne.ones(1).element_size(), ne.ones(1, dtype=ne.float64).element_size()
            (4, 8)
        """
        return int(self._data.itemsize)

    def stride(self, dim: Optional[int] = None) -> Union[tuple, int]:
        """Strides in elements, like torch's.

        Example:
            >>> ne.zeros(2, 3).stride(), ne.zeros(2, 3).t().stride()
            ((3, 1), (1, 3))
        """
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[dim]

    def is_contiguous(self, memory_format: Any = None) -> bool:
        """Whether the storage is C-contiguous.

        Example:
            >>> ne.zeros(2, 3).is_contiguous(), ne.zeros(2, 3).t().is_contiguous()
            (True, False)
        """
        return bool(self._data.flags.c_contiguous)

    def is_floating_point(self) -> bool:
        """Whether the dtype is a floating-point type.

        Example:
            >>> ne.ones(1).is_floating_point(), ne.tensor([1]).is_floating_point()
            (True, False)
        """
        return self._data.dtype.kind == "f"

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (user-created, parameters).

        Example:
            >>> w = ne.ones(2, requires_grad=True)
            >>> w.is_leaf, (w * 2).is_leaf
            (True, False)
        """
        return self._ctx is None

    @property
    def T(self) -> Tensor:
        """The tensor with its dims reversed (a view; a matrix's transpose).

        Example:
            >>> ne.zeros(2, 3).T.shape
            (3, 2)
        """
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self) -> Tensor:  # noqa: N802
        """The last two dims swapped (batched matrix transpose).

        Example:
            >>> ne.zeros(5, 2, 3).mT.shape
            (5, 3, 2)
        """
        if self.ndim < 2:
            raise _InputError(f"tensor.mT is only supported on matrices or batches of matrices. Got {self.ndim}-D tensor.")
        return self.transpose(-2, -1)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __repr__(self) -> str:
        body = np.array2string(self._data, precision=_PRINT["precision"], separator=", ", prefix="tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        return f"tensor({body}{extra})"

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        return object.__format__(self, spec)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self._data if dtype is None else self._data.astype(dtype)

    # ----------------------------------------------------------------- autograd
    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Set ``requires_grad`` (leaves only); returns ``self``.

        Example:
            >>> ne.ones(2).requires_grad_().requires_grad
            True
        """
        if flag and self._data.dtype.kind != "f":
            raise _DtypeError("only Tensors of floating point dtype can require gradients "
                                  f"(only floating point tensors can require gradients), got {self.dtype}")
        if not flag and self._ctx is not None:
            raise RuntimeError("requires_grad_: cannot turn off gradients of a non-leaf tensor; use detach()")
        if flag and self._ctx is None and type(self._data) is np.ndarray:
            self._data = self._data.view(LEAF_ARRAYS[0])  # torch's w.data.zero_() / .copy_() / .clamp_() idioms
        self.requires_grad = bool(flag)
        return self

    def detach(self) -> Tensor:
        """A new leaf sharing the storage, cut from the graph.

        Example:
            >>> w = ne.ones(2, requires_grad=True)
            >>> d = w.detach(); d.requires_grad, d.is_leaf
            (False, True)
        """
        return Tensor._wrap(self._data)

    def detach_(self) -> Tensor:
        """Cut ``self`` from the graph in place (it becomes a leaf without gradient).

        Example:
            >>> t = ne.ones(2, requires_grad=True) * 2
            >>> t.detach_().requires_grad
            False
        """
        self._ctx = None
        self.requires_grad = False
        return self

    def _accumulate(self, g: np.ndarray, inplace: bool = True) -> None:
        """Adds gradient ``g`` into ``.grad``: the first one copied (or converted) into a fresh GradData, later ones
        added in place, as torch's AccumulateGrad does outside ``create_graph`` (``inplace=False``: a new array, for
        the recorded path and a non-leaf's ``retain_grad``, as in torch): a loop that accumulates over micro-batches allocates nothing per step, and a reference to
        ``.grad`` taken earlier sees the sum, as in torch. A read-only ``.grad``, another dtype or shape, or a
        recorded gradient (GraphGradData) get a new array instead."""
        if self.grad is None:
            d = self._data
            if type(d) is np.ndarray:  # a leaf made trainable by ``t.requires_grad = True``: requires_grad_'s view
                self._data = d = d.view(LEAF_ARRAYS[0])
            dt = d.dtype
            if type(g) is np.ndarray and g.dtype is dt and (dt is _F32 or dt is _F64) and g.shape == d.shape:
                self.grad = g.copy("K").view(LEAF_ARRAYS[1])  # the usual case, as below without the conversions
                return
            g = np.array(g, dtype=d.dtype if d.dtype.kind == "f" else np.float32, copy=True)
            if g.shape != d.shape:  # (reshape only when needed: it costs more than the view below)
                g = g.reshape(d.shape)
            self.grad = g.view(LEAF_ARRAYS[1])
        else:
            cur = self.grad
            if (inplace and type(cur) is LEAF_ARRAYS[1] and isinstance(g, np.ndarray) and g.dtype is cur.dtype
                    and g.shape == cur.shape and cur.flags.writeable):
                np.add(cur, g, out=cur)
                return
            # (np.asarray: the sum of two 0-d arrays is a numpy scalar, whose .view keeps it a scalar)
            self.grad = np.asarray(cur + g).view(LEAF_ARRAYS[1])

    #: ``t.backward(gradient=None, retain_graph=None, create_graph=False, inputs=None)``: backpropagate from this
    #: tensor (typed: ``nnengine._tape.tensor_backward``, whose docstring says the rest)
    backward = _tape.tensor_backward

    # tensor hooks of a leaf ({handle id: hook}; a non-leaf's live on its node, ``_tape.output_hooks``), and
    # its post-accumulate-grad hooks: None until the first is registered
    _hooks: Optional[dict] = None
    _post_hooks: Optional[dict] = None

    def register_hook(self, hook: Callable[[Tensor], Any]) -> Any:
        """Run ``hook(grad)`` whenever backward computes this tensor's gradient (a Tensor); a non-None result
        (same shape) replaces the gradient for the rest of the sweep (and, on a leaf, what ``.grad``
        accumulates). Hooks run in registration order; returns a handle whose ``remove()`` unregisters it.

        Example:
            >>> x = ne.tensor([1.0, 2.0], requires_grad=True)
            >>> y = x * 3
            >>> h = y.register_hook(lambda g: g * 0.5)
            >>> y.sum().backward(); x.grad
            array([1.5, 1.5], dtype=float32)
            >>> h.remove()
        """
        from .autograd import RemovableHandle

        if not callable(hook):
            raise TypeError(f"hook: expected a callable, got {type(hook).__name__}")
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._ctx is None:
            if self._hooks is None:
                self._hooks = {}
                _tape.note_leaf_hook()
            d = self._hooks
        else:
            d = _tape.output_hooks(self._ctx, self._out_index)[0]
        h = RemovableHandle(d)
        d[h.id] = hook
        return h

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], Any]) -> Any:
        """Run ``hook(tensor)`` on this leaf after backward has accumulated its ``.grad`` (e.g. an optimizer
        step per parameter); returns a removable handle.

        Example:
            >>> w = ne.ones(2, requires_grad=True)
            >>> h = w.register_post_accumulate_grad_hook(lambda t: print(t.grad))
            >>> (w * 2).sum().backward()
            [2. 2.]
        """
        from .autograd import RemovableHandle

        if not callable(hook):
            raise TypeError(f"hook: expected a callable, got {type(hook).__name__}")
        if self._ctx is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._post_hooks is None:
            self._post_hooks = {}
            _tape.note_leaf_hook()
        h = RemovableHandle(self._post_hooks)
        self._post_hooks[h.id] = hook
        return h

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward (a leaf's always is: no-op).

        Example:
            >>> x = ne.tensor([1.0, 2.0], requires_grad=True)
            >>> y = x * x
            >>> y.retain_grad(); y.sum().backward(); y.grad
            array([1., 1.], dtype=float32)
        """
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._ctx is not None:
            _tape.output_hooks(self._ctx, self._out_index)[1] = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        """Whether ``retain_grad()`` was called on this non-leaf tensor.

        Example:
            >>> y = ne.ones(2, requires_grad=True) * 2
            >>> y.retain_grad(); y.retains_grad
            True
        """
        if self._ctx is None or self._ctx.hooks is None:
            return False
        e = self._ctx.hooks.get(self._out_index)
        return e is not None and e[1] is not None and e[1]() is self

    @property
    def grad_fn(self) -> Any:
        """The node that produced this tensor on the tape (None for leaves and outside autograd).

        Example:
            >>> w = ne.ones(2, requires_grad=True)
            >>> w.grad_fn is None, (w * 2).grad_fn is not None
            (True, True)
        """
        return self._ctx

    # ----------------------------------------------------------------- conversion
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The numpy array (shares the storage). ``force`` is torch's (detach/copy to the CPU first): accepted,
        the array is already a CPU array.

        Example:
            >>> ne.tensor([1.0, 2.0]).numpy(force=True)
            array([1., 2.], dtype=float32)
        """
        return self._data

    def tolist(self) -> Any:
        """The values as (nested) Python lists.

        Example:
            >>> ne.tensor([[1, 2], [3, 4]]).tolist()
            [[1, 2], [3, 4]]
        """
        return self._data.tolist()

    def item(self) -> Any:
        """The value of a one-element tensor as a Python number.

        Example:
            >>> ne.tensor([2.5]).item()
            2.5
        """
        if self._data.size != 1:
            raise _ScalarError(f"item: only one-element tensors can be converted, got shape {self.shape}")
        return self._data.reshape(()).item()

    def _cast(self, dt: np.dtype) -> Tensor:
        if self._data.dtype == dt:
            return self
        if dt.kind == "f":  # differentiable between float dtypes; Function.apply decides whether it records
            return ops.CastFn.apply(self, dt)
        return Tensor._wrap(self._data.astype(dt))  # to integers/bool: a new leaf, no gradient (as torch)

    def float(self) -> Tensor:
        """float32 (self if already float32); differentiable, like PyTorch's ``.float()``.

        Example:
            >>> ne.ones(1, dtype=ne.float64).float().dtype
            dtype('float32')
        """
        return self if self._data.dtype is _F32 else self._cast(_F32)

    def double(self) -> Tensor:
        """float64 (computed by the glue ops in float64; kernels still compute in float32).

        Example:
            >>> ne.ones(1).double().dtype
            dtype('float64')
        """
        return self._cast(np.dtype(np.float64))

    def half(self) -> Tensor:
        """float16 storage, as torch's ``.half()`` (nnengine computes in float32).

        Example:
            >>> ne.ones(2).half().dtype
            dtype('float16')
        """
        return self._cast(np.dtype(np.float16))

    def long(self) -> Tensor:
        """An int64 copy (truncated toward zero), torch's class-label dtype.

        Example:
            >>> ne.tensor([-1.7, 2.9]).long()
            tensor([-1,  2])
        """
        return self._cast(_I64)

    def int(self) -> Tensor:
        """An int32 copy (truncated toward zero).

        Example:
            >>> ne.tensor([-1.7, 2.9]).int()
            tensor([-1,  2])
        """
        return self._cast(np.dtype(np.int32))

    def short(self) -> Tensor:
        """An int16 copy.

        Example:
            >>> ne.tensor([-1.7, 2.0]).short().dtype
            dtype('int16')
        """
        return self._cast(np.dtype(np.int16))

    def char(self) -> Tensor:
        """An int8 copy.

        Example:
            >>> ne.tensor([-1.7, 2.0]).char()
            tensor([-1,  2])
        """
        return self._cast(np.dtype(np.int8))

    def byte(self) -> Tensor:
        """A uint8 copy.

        Example:
            >>> ne.tensor([1.7, 2.0]).byte()
            tensor([1, 2])
        """
        return self._cast(np.dtype(np.uint8))

    def bool(self) -> Tensor:
        """A bool copy (``!= 0``).

        Example:
            >>> ne.tensor([0.0, 2.0]).bool()
            tensor([False,  True])
        """
        return self._cast(_BOOL)

    def type(self, dtype: Any = None, non_blocking: bool = False) -> Any:
        """Without ``dtype``: torch's type string ('torch.FloatTensor', 'torch.LongTensor'...), so
        ``x.type() == 'torch.FloatTensor'`` checks carry over. With one (a dtype or such a string): the
        converted tensor (self when it already has that dtype).

        Example:
            >>> ne.tensor([1, 2]).type()
            'torch.LongTensor'
            >>> ne.tensor([1, 2]).type(ne.float32).dtype
            dtype('float32')
            >>> ne.tensor([1, 2]).type(ne.Tensor).dtype  # torch.Tensor: the default tensor type
            dtype('float32')
        """
        if dtype is None:
            return type_name(self._data.dtype)
        if dtype is Tensor:  # torch: ``x.type(torch.Tensor)`` (CycleGAN's ``Tensor = torch.Tensor``) is the default type
            return self._cast(np.dtype(np.float32))
        return self._cast(to_dtype(dtype))

    def type_as(self, other: Tensor) -> Tensor:
        """A copy cast to ``other``'s dtype (``self`` when it already has it).

        Example:
            >>> ne.tensor([1, 2]).type_as(ne.ones(1)).dtype
            dtype('float32')
        """
        return self._cast(other.dtype)

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other_tensor)``; ``device=``/``dtype=``/
        ``copy=``/``non_blocking=`` keywords. Returns self when nothing changes (as torch). Any device but
        the CPU raises ``DeviceError``.

        Example:
            >>> x = ne.zeros(2).to("cpu", ne.float64)
            >>> x.dtype
            dtype('float64')
        """
        copy = bool(kwargs.pop("copy", False))
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        dt = None
        for a in args:
            if isinstance(a, Tensor):
                dt = a._data.dtype
            elif a is None or isinstance(a, bool):
                continue
            elif is_device_like(a) or isinstance(a, int):
                check_device(a, "to")
            else:
                dt = to_dtype(a, "to")
        if "device" in kwargs:
            check_device(kwargs.pop("device"), "device")
        if "dtype" in kwargs:
            dt = to_dtype(kwargs.pop("dtype"))
        if kwargs:
            raise TypeError(f"to: unexpected keyword arguments {sorted(kwargs)}")
        out = self if dt is None else self._cast(dt)
        return out.clone() if copy and out is self else out

    def cpu(self) -> Tensor:
        """``self``: everything lives on the CPU.

        Example:
            >>> t = ne.ones(1); t.cpu() is t
            True
        """
        return self

    def cuda(self, device: Any = None, non_blocking: bool = False) -> Tensor:
        """Always raises ``DeviceError``: nnengine runs on the CPU only.

        Example:
            >>> ne.ones(1).cuda()
            Traceback (most recent call last):
                ...
            nnengine._device.DeviceError: cuda: nnengine runs on the CPU only; got device 'cuda'
        """
        name = "cuda" if device is None else f"cuda:{device}" if isinstance(device, int) else str(device)
        raise DeviceError(f"cuda: nnengine runs on the CPU only; got device '{name}'")

    def pin_memory(self) -> Tensor:
        """``self`` (no pinned memory on the CPU-only engine), for torch data pipelines.

        Example:
            >>> t = ne.ones(1); t.pin_memory() is t
            True
        """
        return self

    def share_memory_(self) -> Tensor:
        """``self`` (accepted for torch multiprocessing code).

        Example:
            >>> t = ne.ones(1); t.share_memory_() is t
            True
        """
        return self

    def clone(self, memory_format: Any = None) -> Tensor:
        """A copy with its own storage (differentiable).

        Example:
            >>> t = ne.tensor([1.0]); c = t.clone(); c += 1; t
            tensor([1.])
        """
        return ops.CloneFn.apply(self)

    def new_tensor(self, data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """A new tensor from ``data`` with ``self``'s dtype (unless ``dtype``).

        Example:
            >>> ne.ones(1, dtype=ne.float64).new_tensor([1, 2]).dtype
            dtype('float64')
        """
        check_device(device)
        return Tensor(np.array(_as_array(data), copy=True), requires_grad=requires_grad,
                      dtype=self.dtype if dtype is None else dtype)

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """Zeros of ``size`` with ``self``'s dtype (unless ``dtype``).

        Example:
            >>> ne.ones(1).new_zeros(2, 2)
            tensor([[0., 0.],
                    [0., 0.]])
        """
        return zeros(*size, dtype=self.dtype if dtype is None else dtype, device=device, requires_grad=requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """Ones of ``size`` with ``self``'s dtype (unless ``dtype``).

        Example:
            >>> ne.tensor([1]).new_ones(2)
            tensor([1, 1])
        """
        return ones(*size, dtype=self.dtype if dtype is None else dtype, device=device, requires_grad=requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """An uninitialised tensor of ``size`` with ``self``'s dtype (unless ``dtype``).

        Example:
            >>> ne.ones(1, dtype=ne.float64).new_empty(2, 3).dtype
            dtype('float64')
        """
        return empty(*size, dtype=self.dtype if dtype is None else dtype, device=device, requires_grad=requires_grad)

    def new_full(self, size: Any, fill_value: Any, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        """``fill_value`` in ``size`` with ``self``'s dtype (unless ``dtype``).

        Example:
            >>> ne.tensor([1]).new_full((2,), 7)
            tensor([7, 7])
        """
        return full(size, fill_value, dtype=self.dtype if dtype is None else dtype, device=device,
                    requires_grad=requires_grad)

    # ----------------------------------------------------------------- arithmetic
    def _bin(self, o: Any, fn: Any, rev: bool = False, div: bool = False) -> Tensor:
        sd = self._data.dtype
        if isinstance(o, Tensor):
            dt = sd if o._data.dtype is sd else result_type(self, o)
        elif type(o) is float and sd.kind == "f":
            dt = sd
        else:
            if not isinstance(o, (int, float, np.generic, np.ndarray)):
                o = _as_array(o)
            elif type(o) not in _PLAIN_OPERANDS and getattr(o, "_graph", None) is not None:
                g = _higher_order.live_graph(o)  # a .grad recorded by backward(create_graph=True): its history
                o = o if g is None else g
            dt = result_type(self, o)
        if div and dt.kind != "f":
            dt = _F32
        return fn.apply(o, self, dt) if rev else fn.apply(self, o, dt)

    @staticmethod
    def _other(x: Any) -> Any:
        if isinstance(x, Tensor):
            return x
        a = np.asarray(x)
        return a.astype(np.float32) if a.dtype != np.float32 else a

    def __add__(self, o):
        return self._bin(o, ops.AddFn)

    def __radd__(self, o):
        return self._bin(o, ops.AddFn, True)

    def __sub__(self, o):
        return self._bin(o, ops.SubFn)

    def __rsub__(self, o):
        return self._bin(o, ops.SubFn, True)

    def __mul__(self, o):
        return self._bin(o, ops.MulFn)

    def __rmul__(self, o):
        return self._bin(o, ops.MulFn, True)

    def __truediv__(self, o: Any) -> Tensor:
        """``self / other`` (true division; ``true_divide``).

        Example:
            >>> ne.tensor([1, 2]) / 2
            tensor([0.5, 1. ])
        """
        return self._bin(o, ops.DivFn, div=True)

    def __rtruediv__(self, o):
        return self._bin(o, ops.DivFn, True, div=True)

    def __floordiv__(self, o):
        dt = result_type(self, o)
        b = _as_array(o)
        _int_divisor(dt, b)
        with np.errstate(divide="ignore", invalid="ignore"):  # floats: +-inf / NaN, as torch, without a warning
            return Tensor._wrap(np.floor_divide(self._data, b, dtype=dt))

    def __rfloordiv__(self, o):
        dt = result_type(self, o)
        _int_divisor(dt, self._data)
        with np.errstate(divide="ignore", invalid="ignore"):
            return Tensor._wrap(np.floor_divide(_as_array(o), self._data, dtype=dt))

    def __mod__(self, o):
        if self._data.dtype.kind in "iub":  # an integer result needs an integer self: floats skip the check
            _int_divisor(result_type(self, o), o._data if isinstance(o, Tensor) else o)
        return self._bin(o, ops.RemainderFn)

    def __rmod__(self, o):
        if self._data.dtype.kind in "iub":
            _int_divisor(result_type(self, o), self._data)
        return self._bin(o, ops.RemainderFn, True)

    def __neg__(self):
        if self._data.dtype.kind == "b":
            raise TypeError("Negation, the `-` operator, on a bool tensor is not supported.")
        return ops.NegFn.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    def __pow__(self, o):
        return self._bin(o, ops.PowFn)

    def __rpow__(self, o):
        return self._bin(o, ops.PowFn, True)

    def __matmul__(self, o):
        return ops.MatMulFn.apply(self, o if isinstance(o, Tensor) else tensor(o))

    def __rmatmul__(self, o):
        return ops.MatMulFn.apply(o if isinstance(o, Tensor) else tensor(o), self)

    def _logic(self, fn: Any, o: Any) -> Tensor:
        return Tensor._wrap(np.asarray(fn(self._data, _as_array(o))))

    def __and__(self, o):
        return self._logic(np.bitwise_and, o)

    __rand__ = __and__

    def __or__(self, o):
        return self._logic(np.bitwise_or, o)

    __ror__ = __or__

    def __xor__(self, o):
        return self._logic(np.bitwise_xor, o)

    __rxor__ = __xor__

    def __invert__(self):
        if self._data.dtype.kind == "f":
            raise TypeError("~ (bitwise_not) is only supported for integer and bool tensors")
        return Tensor._wrap(np.invert(self._data))

    def logical_not(self) -> Tensor:
        """Elementwise not (bool).

        Example:
            >>> ne.tensor([True, False]).logical_not()
            tensor([False,  True])
        """
        return Tensor._wrap(np.logical_not(self._data))

    def logical_and(self, o: Any) -> Tensor:
        """Elementwise and (bool).

        Example:
            >>> ne.tensor([True, True]).logical_and(ne.tensor([True, False]))
            tensor([ True, False])
        """
        return Tensor._wrap(np.logical_and(self._data, _as_array(o)))

    def logical_or(self, o: Any) -> Tensor:
        """Elementwise or (bool).

        Example:
            >>> ne.tensor([True, False]).logical_or(ne.tensor([False, False]))
            tensor([ True, False])
        """
        return Tensor._wrap(np.logical_or(self._data, _as_array(o)))

    # ----------------------------------------------------------------- in place (torch's autograd rules)
    def _rebind(self, compute: Callable[[Tensor], Tensor], reshape: bool = False) -> Tensor:
        """Grad-mode in-place op: the out-of-place result goes on the tape and this object becomes it.

        Safe only while no recorded op holds this tensor (its backward would follow the new node): then
        a RuntimeError, as torch's version counter would give at backward time.
        """
        if self._ctx is None and self.requires_grad:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        node = self._ctx
        if node is not None and node.fn in _VIEW_FNS and node.inputs and isinstance(node.inputs[0], Tensor) and \
                np.may_share_memory(self._data, node.inputs[0]._data):
            return self._rebind_view(compute, reshape)
        proxy = Tensor._wrap(self._data)
        proxy._ctx, proxy._out_index, proxy.requires_grad = self._ctx, self._out_index, self.requires_grad
        if _consumed(self):
            _hand_over_consumers(self, proxy)
        res = compute(proxy)
        if not reshape and res._data.shape != self._data.shape:
            raise _InputError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                               f"{list(res.shape)}")
        if res._data.dtype != self._data.dtype:
            _check_cast(res._data.dtype, self._data.dtype)
            res = res._cast(self._data.dtype)
        self._data, self._ctx, self._out_index = res._data, res._ctx, res._out_index
        self.requires_grad = res.requires_grad
        self.grad = None
        return self

    def _rebind_view(self, compute: Callable[[Tensor], Tensor], reshape: bool) -> Tensor:
        """Grad-mode in-place op on a view (reshape, view, permute, basic indexing) of a tensor with history, as
        torch's: the values are written through to the shared memory, the view becomes the op's output, and each
        base up the chain of views becomes its old self with the view's region replaced (torch's CopySlices:
        ``index_put`` of the new values for a slice, the inverse reshape / permute for a view of the whole base),
        so gradients reach the base's history only where the write did not land (d2l's ``masked_softmax``:
        ``X.reshape(-1, n)[~mask] = -1e6``; MUNIT's ``ReLU(inplace=True)`` on ``out.view(...)``). The op runs on a
        copy of the view's values, so nothing it saves is overwritten; a recorded op that saved a base's values
        makes it a RuntimeError (as torch's version check would at backward).
        """
        if reshape:
            raise RuntimeError("in-place resize of a view of a tensor that requires grad is not supported")
        proxy = Tensor._wrap(self._data.copy())
        proxy._ctx, proxy._out_index, proxy.requires_grad = self._ctx, self._out_index, self.requires_grad
        res = compute(proxy)
        if res._data.shape != self._data.shape:
            raise _InputError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                               f"{list(res.shape)}")
        if res._data.dtype != self._data.dtype:
            _check_cast(res._data.dtype, self._data.dtype)
            res = res._cast(self._data.dtype)
        # each base up the chain: its new graph position from its child's new value, built before anything is
        # written (the old values are what its consumers keep)
        rebinds = []
        child, new = self, res
        while child._ctx is not None and child._ctx.fn in _VIEW_FNS:
            vnode = child._ctx
            base = vnode.inputs[0] if vnode.inputs else None
            if vnode.ctx is None or not isinstance(base, Tensor) or not np.may_share_memory(child._data, base._data):
                break  # (a view node freed by a backward: its base's graph is gone, only the values change)
            if base._ctx is None and base.requires_grad:
                raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                                   "operation.")
            if vnode.fn is ops.ExpandFn:
                raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers "
                                   "to a single memory location. Please clone() the tensor before performing the "
                                   "operation.")
            old = Tensor._wrap(base._data)
            old._ctx, old._out_index, old.requires_grad = base._ctx, base._out_index, base.requires_grad
            if vnode.fn is ops.IndexFn:
                new = ops.IndexPutFn.apply(old, new, vnode.ctx.idx)
            elif vnode.fn is ops.PermuteFn:
                new = new.permute(*[int(i) for i in np.argsort(vnode.ctx.axes)])
            elif hasattr(vnode.fn, "view_scatter"):  # a view Function that scatters back itself (diagonal)
                new = vnode.fn.view_scatter(old, new, vnode.ctx)
            else:  # ReshapeFn / ViewFn: a view of the whole base
                new = new.reshape(base._data.shape)
            rebinds.append((base, old, new))
            child = base
        if not self._data.flags.writeable:
            raise ValueError("in-place operation on a read-only view")
        for base, old, _ in rebinds:  # (raises, before any write, if a recorded op saved a base's values)
            if _consumed(base):
                _hand_over_consumers(base, old)
        if _consumed(self):
            _hand_over_consumers(self, proxy)
        self._data[...] = res._data  # the write lands in the bases' memory, as torch's
        _note_mutation(self._data)
        for base, _, new in rebinds:
            base._ctx, base._out_index, base.requires_grad = new._ctx, new._out_index, new.requires_grad
            base.grad = None
        self._ctx, self._out_index, self.requires_grad = res._ctx, res._out_index, res.requires_grad
        self.grad = None
        return self

    def _needs_tape(self, others: Sequence[Any]) -> bool:
        return _tape.will_record(self, *others)  # Function.apply's own test

    def _inplace_apply(self, compute: Callable[[Tensor], Tensor], others: Sequence[Any] = (),
                       reshape: bool = False) -> Tensor:
        if self._needs_tape(others):
            return self._rebind(compute, reshape)
        res = compute(self)._data
        if reshape:
            self._data = res
            return self
        _check_cast(res.dtype, self._data.dtype)
        if res.shape != self._data.shape and np.broadcast_shapes(res.shape, self._data.shape) != self._data.shape:
            raise _InputError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                               f"{list(np.broadcast_shapes(res.shape, self._data.shape))}")
        self._data[...] = res
        _note_mutation(self._data)
        return self

    def _ibin(self, o: Any, fn: Any, ufunc: Any, div: bool = False, alpha: Any = None) -> Tensor:
        if self._needs_tape((o,)):
            if alpha is not None:
                return self._rebind(lambda s: s._bin((s if o is self else o) * alpha, fn, div=div))
            return self._rebind(lambda s: s._bin(s if o is self else o, fn, div=div))  # y.mul_(y)
        b = o._data if isinstance(o, Tensor) else o if isinstance(o, (int, float, np.generic, np.ndarray)) \
            else _as_array(o)
        dt = result_type(self, b)
        if div and dt.kind != "f":
            dt = _F32
        _check_cast(dt, self._data.dtype)
        if alpha is not None:
            b = np.multiply(b, alpha)
        ufunc(self._data, b, out=self._data, casting="unsafe")
        _note_mutation(self._data)
        return self

    def __iadd__(self, o):
        return self._ibin(o, ops.AddFn, np.add)

    def __isub__(self, o):
        return self._ibin(o, ops.SubFn, np.subtract)

    def __imul__(self, o):
        return self._ibin(o, ops.MulFn, np.multiply)

    def __itruediv__(self, o):
        return self._ibin(o, ops.DivFn, np.divide, div=True)

    def __ipow__(self, o):
        return self._ibin(o, ops.PowFn, np.power)

    @staticmethod
    def _legacy_alpha(name: str, other: Any, alpha: Any) -> Tuple[Any, Any]:
        """torch's deprecated ``add_(Number alpha, Tensor other)`` order (``p.data.add_(-lr, p.grad.data)`` of older
        scripts): ``(other, alpha)`` swapped back, with torch's warning; any other call unchanged."""
        if (alpha is not None and isinstance(other, (int, float, np.number)) and not isinstance(other, (bool, np.bool_))
                and not isinstance(alpha, (int, float, np.number))):
            warnings.warn(f"This overload of {name} is deprecated:\n\t{name}(Number alpha, Tensor other)\n"
                          f"Consider using one of the following signatures instead:\n"
                          f"\t{name}(Tensor other, *, Number alpha = 1)", UserWarning, stacklevel=3)
            return alpha, other
        return other, alpha

    def add_(self, other: Any, alpha: Any = None) -> Tensor:
        """In-place ``self += alpha * other`` (torch's autograd rules for in-place ops).

        Example:
            >>> t = ne.tensor([1.0, 2.0])
            >>> t.add_(1.0, alpha=2); t
            tensor([3., 4.])
            tensor([3., 4.])
        """
        other, alpha = Tensor._legacy_alpha("add_", other, alpha)
        return self._ibin(other, ops.AddFn, np.add, alpha=None if alpha is None or alpha == 1 else alpha)

    def sub_(self, other: Any, alpha: Any = None) -> Tensor:
        """In-place :meth:`sub`.

        Example:
            >>> t = ne.tensor([5.0])
            >>> t.sub_(1.0); t
            tensor([4.])
            tensor([4.])
        """
        other, alpha = Tensor._legacy_alpha("sub_", other, alpha)
        return self._ibin(other, ops.SubFn, np.subtract, alpha=None if alpha is None or alpha == 1 else alpha)

    def mul_(self, other: Any) -> Tensor:
        """In-place ``self *= other``.

        Example:
            >>> t = ne.tensor([1.0, 2.0])
            >>> t.mul_(3); t
            tensor([3., 6.])
            tensor([3., 6.])
        """
        return self._ibin(other, ops.MulFn, np.multiply)

    def div_(self, other: Any, rounding_mode: Optional[str] = None) -> Tensor:
        """In-place :meth:`div`.

        Example:
            >>> t = ne.tensor([2.0, 4.0])
            >>> t.div_(2.0); t
            tensor([1., 2.])
            tensor([1., 2.])
        """
        if rounding_mode is not None:
            return self._inplace_apply(lambda s: s.div(other, rounding_mode=rounding_mode), (other,))
        return self._ibin(other, ops.DivFn, np.divide, div=True)

    def pow_(self, e: Any) -> Tensor:
        """In-place ``self **= e``.

        Example:
            >>> t = ne.tensor([2.0, 3.0])
            >>> t.pow_(2); t
            tensor([4., 9.])
            tensor([4., 9.])
        """
        return self._ibin(e, ops.PowFn, np.power)

    def add(self, other: Any, alpha: Any = None) -> Tensor:
        """``self + alpha * other`` (torch.Tensor.add).

        Example:
            >>> ne.tensor([1.0, 2.0]).add(ne.tensor([1.0, 1.0]), alpha=10)
            tensor([11., 12.])
        """
        other, alpha = Tensor._legacy_alpha("add", other, alpha)
        return self + (other if alpha is None or alpha == 1 else other * alpha)

    def sub(self, other: Any, alpha: Any = None) -> Tensor:
        """``self - alpha * other``.

        Example:
            >>> ne.tensor([5.0, 6.0]).sub(ne.tensor([1.0, 1.0]), alpha=2)
            tensor([3., 4.])
        """
        other, alpha = Tensor._legacy_alpha("sub", other, alpha)
        return self - (other if alpha is None or alpha == 1 else other * alpha)

    def mul(self, other: Any) -> Tensor:
        """``self * other``.

        Example:
            >>> ne.tensor([1.0, 2.0]).mul(3)
            tensor([3., 6.])
        """
        return self * other

    def div(self, other: Any, rounding_mode: Optional[str] = None) -> Tensor:
        """``self / other``; ``rounding_mode='floor'`` or ``'trunc'`` rounds the quotient.

        Example:
            >>> ne.tensor([-3.0, 3.0]).div(2.0, rounding_mode="trunc")
            tensor([-1.,  1.])
        """
        if rounding_mode is None:
            return self / other
        if rounding_mode not in ("floor", "trunc"):
            raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")
        dt = result_type(self, other)
        if dt.kind in "iu":  # exact integer quotients (a float32 quotient loses integers past 2**24)
            a, b = self._data, _as_array(other)
            _int_divisor(dt, b)
            q = np.floor_divide(a, b, dtype=dt)
            if rounding_mode == "trunc":  # floor + 1 where the exact quotient is negative and not whole
                q = q + ((np.remainder(a, b, dtype=dt) != 0) & ((a < 0) != (b < 0))).astype(dt)
            return Tensor._wrap(np.asarray(q, dt))
        q = (self / other)._data
        return Tensor._wrap((np.floor(q) if rounding_mode == "floor" else np.trunc(q)).astype(dt))

    true_divide = __truediv__
    multiply = mul
    subtract = sub
    divide = div

    def neg(self) -> Tensor:
        """``-self``.

        Example:
            >>> ne.tensor([1.0, -2.0]).neg()
            tensor([-1.,  2.])
        """
        return -self

    negative = neg

    def fill_(self, value: Any) -> Tensor:
        """Set every entry to ``value``; returns ``self``.

        Example:
            >>> ne.zeros(3).fill_(7)
            tensor([7., 7., 7.])
        """
        if not self._needs_tape((value,)):
            self._data[...] = _as_array(value)
            _note_mutation(self._data)
            return self
        return self._rebind(lambda s: ops.MaskedFillFn.apply(s, np.ones(s.shape, bool), _as_array(value)))

    def zero_(self) -> Tensor:
        """Set every entry to zero; returns ``self``.

        Example:
            >>> ne.ones(2).zero_()
            tensor([0., 0.])
        """
        return self.fill_(0)

    def copy_(self, src: ArrayLike, non_blocking: bool = False) -> Tensor:
        """Copy ``src``'s values (broadcast) into ``self``, keeping ``self``'s dtype.

        Example:
            >>> t = ne.zeros(2, 2)
            >>> t.copy_(ne.tensor([1.0, 2.0])); t
            tensor([[1., 2.],
                    [1., 2.]])
            tensor([[1., 2.],
                    [1., 2.]])
        """
        if not self._needs_tape((src,)):
            np.copyto(self._data, _as_array(src), casting="unsafe")
            _note_mutation(self._data)
            return self
        s = src if isinstance(src, Tensor) else Tensor._wrap(_as_array(src))
        return self._rebind(lambda _: s._cast(self._data.dtype).expand(self.shape).clone())

    # uniform_ / normal_ and the other in-place samplers (generator=): nnengine._ops_random

    def masked_fill_(self, mask: Any, value: Any) -> Tensor:
        """In-place :meth:`masked_fill`.

        Example:
            >>> t = ne.zeros(2)
            >>> t.masked_fill_(ne.tensor([False, True]), 5.0); t
            tensor([0., 5.])
            tensor([0., 5.])
        """
        return self._inplace_apply(lambda s: s.masked_fill(mask, value))

    def clamp_(self, min: Optional[float] = None, max: Optional[float] = None) -> Tensor:  # noqa: A002
        """In-place :meth:`clamp`.

        Example:
            >>> t = ne.tensor([-2.0, 0.5, 3.0])
            >>> t.clamp_(max=1.0); t
            tensor([-2. ,  0.5,  1. ])
            tensor([-2. ,  0.5,  1. ])
        """
        return self._inplace_apply(lambda s: s.clamp(min, max))

    clip_ = clamp_

    def t_(self) -> Tensor:
        """In-place :meth:`t`.

        Example:
            >>> t = ne.zeros(2, 3)
            >>> t.t_(); t.shape
            tensor([[0., 0.],
                    [0., 0.],
                    [0., 0.]])
            (3, 2)
        """
        return self._inplace_apply(lambda s: s.t(), reshape=True)

    def squeeze_(self, dim: Optional[int] = None) -> Tensor:
        """In-place :meth:`squeeze`.

        Example:
            >>> t = ne.zeros(1, 3)
            >>> t.squeeze_(); t.shape
            tensor([0., 0., 0.])
            (3,)
        """
        return self._inplace_apply(lambda s: s.squeeze(dim), reshape=True)

    def unsqueeze_(self, dim: int) -> Tensor:
        """In-place :meth:`unsqueeze`.

        Example:
            >>> t = ne.zeros(3)
            >>> t.unsqueeze_(0); t.shape
            tensor([[0., 0., 0.]])
            (1, 3)
        """
        return self._inplace_apply(lambda s: s.unsqueeze(dim), reshape=True)

    def scatter_(self, dim: int, index: Any, src: Any = None, value: Any = None, reduce: Any = None) -> Tensor:
        """In-place :meth:`scatter`: ``self[index[i]] = src[i]`` along ``dim`` (or ``value``; ``reduce='add'/'multiply'``).

        Example:
            >>> t = ne.zeros(3)
            >>> t.scatter_(0, ne.tensor([2]), ne.tensor([5.0])); t
            tensor([0., 0., 5.])
            tensor([0., 0., 5.])
        """
        return self._inplace_apply(lambda s: s.scatter(dim, index, src, value=value, reduce=reduce), (src,))

    def scatter_add_(self, dim: int, index: Any, src: Any) -> Tensor:
        """In-place :meth:`scatter_add`.

        Example:
            >>> t = ne.zeros(2)
            >>> t.scatter_add_(0, ne.tensor([0, 0]), ne.tensor([1.0, 2.0])); t
            tensor([3., 0.])
            tensor([3., 0.])
        """
        return self._inplace_apply(lambda s: s.scatter_add(dim, index, src), (src,))

    # comparisons give plain boolean tensors (non-differentiable)
    def _cmp(self, fn, o) -> Tensor:
        return Tensor._wrap(np.asarray(fn(self._data, _as_array(o))))

    def __lt__(self, o):
        return self._cmp(np.less, o)

    def __le__(self, o):
        return self._cmp(np.less_equal, o)

    def __gt__(self, o):
        return self._cmp(np.greater, o)

    def __ge__(self, o):
        return self._cmp(np.greater_equal, o)

    def eq(self, o: Any) -> Tensor:
        """Elementwise ``==`` (bool tensor).

        Example:
            >>> ne.tensor([1, 2]).eq(2)
            tensor([False,  True])
        """
        return self._cmp(np.equal, o)

    def ne(self, o: Any) -> Tensor:
        """Elementwise ``!=`` (bool tensor).

        Example:
            >>> ne.tensor([1, 2]).ne(2)
            tensor([ True, False])
        """
        return self._cmp(np.not_equal, o)

    def lt(self, o: Any) -> Tensor:
        """Elementwise ``<`` (bool tensor).

        Example:
            >>> ne.tensor([1, 2]).lt(2)
            tensor([ True, False])
        """
        return self._cmp(np.less, o)

    def le(self, o: Any) -> Tensor:
        """Elementwise ``<=`` (bool tensor).

        Example:
            >>> ne.tensor([1, 2]).le(1)
            tensor([ True, False])
        """
        return self._cmp(np.less_equal, o)

    def gt(self, o: Any) -> Tensor:
        """Elementwise ``>`` (bool tensor).

        Example:
            >>> ne.tensor([1, 2]).gt(1)
            tensor([False,  True])
        """
        return self._cmp(np.greater, o)

    def ge(self, o: Any) -> Tensor:
        """Elementwise ``>=`` (bool tensor).

        Example:
            >>> ne.tensor([1, 2]).ge(2)
            tensor([False,  True])
        """
        return self._cmp(np.greater_equal, o)

    def __eq__(self, o):  # type: ignore[override]
        return self._cmp(np.equal, o)

    def __ne__(self, o):  # type: ignore[override]
        return self._cmp(np.not_equal, o)

    __hash__ = object.__hash__

    def equal(self, o: Any) -> bool:
        """Same shape and same values (a Python bool).

        Example:
            >>> ne.tensor([1, 2]).equal(ne.tensor([1, 2]))
            True
        """
        b = _as_array(o)
        return self._data.shape == b.shape and bool(np.array_equal(self._data, b))

    def allclose(self, o: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
        """Whether all entries are within ``atol + rtol * |o|`` of ``o`` (a Python bool).

        Example:
            >>> ne.ones(2).allclose(ne.ones(2) + 1e-9)
            True
        """
        return bool(np.allclose(self._data, _as_array(o), rtol=rtol, atol=atol, equal_nan=equal_nan))

    def isnan(self) -> Tensor:
        """NaN mask (bool).

        Example:
            >>> ne.tensor([1.0, float("nan")]).isnan()
            tensor([False,  True])
        """
        return Tensor._wrap(np.asarray(np.isnan(self._data)))

    def isinf(self) -> Tensor:
        """Infinity mask (bool).

        Example:
            >>> ne.tensor([1.0, float("inf")]).isinf()
            tensor([False,  True])
        """
        return Tensor._wrap(np.asarray(np.isinf(self._data)))

    def isfinite(self) -> Tensor:
        """Finite mask (bool).

        Example:
            >>> ne.tensor([1.0, float("inf")]).isfinite()
            tensor([ True, False])
        """
        return Tensor._wrap(np.asarray(np.isfinite(self._data)))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError("Boolean value of a Tensor with more than one value is ambiguous")
        return bool(self._data.reshape(()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub":
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    # ----------------------------------------------------------------- elementwise math
    def _fl(self) -> Tensor:
        """self, or a float32 copy of an integer/bool tensor (torch: exp(int tensor) is float32)."""
        return self if self._data.dtype.kind == "f" else Tensor._wrap(self._data.astype(_F32))

    def exp(self) -> Tensor:
        """Elementwise e**x.

        Example:
            >>> ne.tensor([0.0, 1.0]).exp()
            tensor([1.    , 2.7183])
        """
        return ops.ExpFn.apply(self._fl())

    def log(self) -> Tensor:
        """Natural logarithm, elementwise.

        Example:
            >>> ne.tensor([1.0]).log()
            tensor([0.])
        """
        return ops.LogFn.apply(self._fl())

    def sqrt(self) -> Tensor:
        """Square root, elementwise.

        Example:
            >>> ne.tensor([4.0, 9.0]).sqrt()
            tensor([2., 3.])
        """
        return ops.SqrtFn.apply(self._fl())

    def abs(self) -> Tensor:
        """Elementwise absolute value. Mirrors ``torch.Tensor.abs``.

        Example:
            >>> v = ne.tensor([0.25, 1.0, 4.0])
            >>> v.abs()
            tensor([0.25, 1.  , 4.  ])
        """
        return ops.AbsFn.apply(self)

    absolute = abs

    def _unary(self, name: str, keep_int: bool = False) -> Tensor:
        if self._data.dtype.kind != "f":
            if keep_int:
                f, _ = ops._UNARY[name]
                return Tensor._wrap(np.asarray(f(self._data)).astype(self._data.dtype))
            return ops.UnaryFn.apply(Tensor._wrap(self._data.astype(_F32)), name)
        return ops.UnaryFn.apply(self, name)

    def log1p(self) -> Tensor:
        """log(1 + x), accurate near 0.

        Example:
            >>> ne.tensor([0.0]).log1p()
            tensor([0.])
        """
        return self._unary("log1p")

    def expm1(self) -> Tensor:
        """exp(x) - 1, accurate near 0.

        Example:
            >>> ne.tensor([0.0]).expm1()
            tensor([0.])
        """
        return self._unary("expm1")

    def log2(self) -> Tensor:
        """Base-2 logarithm, elementwise.

        Example:
            >>> ne.tensor([8.0]).log2()
            tensor([3.])
        """
        return self._unary("log2")

    def log10(self) -> Tensor:
        """Base-10 logarithm, elementwise.

        Example:
            >>> ne.tensor([100.0]).log10()
            tensor([2.])
        """
        return self._unary("log10")

    def exp2(self) -> Tensor:
        """Elementwise 2**x.

        Example:
            >>> ne.tensor([0.0, 3.0]).exp2()
            tensor([1., 8.])
        """
        return self._unary("exp2")

    def sin(self) -> Tensor:
        """Elementwise sine.

        Example:
            >>> ne.tensor([0.0]).sin()
            tensor([0.])
        """
        return self._unary("sin")

    def cos(self) -> Tensor:
        """Elementwise cosine.

        Example:
            >>> ne.tensor([0.0]).cos()
            tensor([1.])
        """
        return self._unary("cos")

    def tan(self) -> Tensor:
        """Elementwise tangent.

        Example:
            >>> ne.tensor([0.0]).tan()
            tensor([0.])
        """
        return self._unary("tan")

    def asin(self) -> Tensor:
        """Elementwise arcsine.

        Example:
            >>> ne.tensor([0.0, 1.0]).asin()
            tensor([0.    , 1.5708])
        """
        return self._unary("asin")

    def acos(self) -> Tensor:
        """Elementwise arccosine.

        Example:
            >>> ne.tensor([1.0, 0.0]).acos()
            tensor([0.    , 1.5708])
        """
        return self._unary("acos")

    def atan(self) -> Tensor:
        """Elementwise arctangent.

        Example:
            >>> ne.tensor([0.0, 1.0]).atan()
            tensor([0.    , 0.7854])
        """
        return self._unary("atan")

    def sinh(self) -> Tensor:
        """Elementwise hyperbolic sine.

        Example:
            >>> ne.tensor([0.0]).sinh()
            tensor([0.])
        """
        return self._unary("sinh")

    def cosh(self) -> Tensor:
        """Elementwise hyperbolic cosine.

        Example:
            >>> ne.tensor([0.0]).cosh()
            tensor([1.])
        """
        return self._unary("cosh")

    def rsqrt(self) -> Tensor:
        """``1 / sqrt(self)``.

        Example:
            >>> ne.tensor([4.0]).rsqrt()
            tensor([0.5])
        """
        return self._unary("rsqrt")

    def reciprocal(self) -> Tensor:
        """``1 / self``.

        Example:
            >>> ne.tensor([2.0, 4.0]).reciprocal()
            tensor([0.5 , 0.25])
        """
        return self._unary("reciprocal")

    def square(self) -> Tensor:
        """``self * self``.

        Example:
            >>> ne.tensor([-2.0, 3.0]).square()
            tensor([4., 9.])
        """
        return self._unary("square", keep_int=True)

    def erf(self) -> Tensor:
        """Gauss error function, elementwise.

        Example:
            >>> ne.tensor([0.0]).erf()
            tensor([0.])
        """
        return self._unary("erf")

    def sign(self) -> Tensor:
        """-1, 0 or 1, elementwise.

        Example:
            >>> ne.tensor([-3.0, 0.0, 2.0]).sign()
            tensor([-1.,  0.,  1.])
        """
        return self._unary("sign", keep_int=True)

    def floor(self) -> Tensor:
        """Round down, elementwise.

        Example:
            >>> ne.tensor([-1.5, 1.5]).floor()
            tensor([-2.,  1.])
        """
        return self._unary("floor", keep_int=True)

    def ceil(self) -> Tensor:
        """Round up. Mirrors ``torch.Tensor.ceil``.

        Example:
            >>> v = ne.tensor([0.25, 1.0, 4.0])
            >>> v.ceil()
            tensor([1., 1., 4.])
        """
        return self._unary("ceil", keep_int=True)

    def trunc(self) -> Tensor:
        """Round toward zero.

        Example:
            >>> ne.tensor([-1.5, 1.5]).trunc()
            tensor([-1.,  1.])
        """
        return self._unary("trunc", keep_int=True)

    def round(self, decimals: int = 0) -> Tensor:
        """Round half to even (torch's rule), to ``decimals`` digits.

        Example:
            >>> ne.tensor([0.5, 1.5, 1.26]).round(), ne.tensor([1.26]).round(decimals=1)
            (tensor([0., 2., 1.]), tensor([1.3]))
        """
        if decimals:
            return Tensor._wrap(np.round(self._data, decimals))
        return self._unary("round", keep_int=True)

    def pow(self, e: Any) -> Tensor:
        """``self ** e`` (``e`` a number or a tensor).

        Example:
            >>> ne.tensor([2.0, 3.0]).pow(2)
            tensor([4., 9.])
        """
        return self ** e

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        """Entries clamped into ``[min, max]`` (either may be None).

        Example:
            >>> ne.tensor([-2.0, 0.5, 3.0]).clamp(min=0.0, max=1.0)
            tensor([0. , 0.5, 1. ])
        """
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            out = self
            if min is not None:
                out = maximum(out, min)
            if max is not None:
                out = minimum(out, max)
            return out
        if min is None and max is None:
            raise _InputError("torch.clamp: At least one of 'min' or 'max' must not be None")
        x = self
        if x._data.dtype.kind in "iu" and any(isinstance(b, (float, np.floating)) for b in (min, max)):
            x = Tensor._wrap(x._data.astype(_F32))  # torch: an int tensor clamped by a float bound is float
        return ops.ClampFn.apply(x, min, max)

    clip = clamp

    def maximum(self, other: Any) -> Tensor:
        """Elementwise maximum with ``other`` (ties split the gradient).

        Example:
            >>> ne.tensor([1.0, 5.0]).maximum(ne.tensor([3.0, 2.0]))
            tensor([3., 5.])
        """
        return maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        """Elementwise minimum with ``other``.

        Example:
            >>> ne.tensor([1.0, 5.0]).minimum(ne.tensor([3.0, 2.0]))
            tensor([1., 2.])
        """
        return minimum(self, other)

    # Methods backed by the kernel layer: nnengine.functional registers them in KERNEL_METHODS when it is
    # imported (nnengine's __init__ does), so the tape never imports the layers above it.
    def relu(self) -> Tensor:
        """``max(self, 0)``.

        Example:
            >>> ne.tensor([-1.0, 2.0]).relu()
            tensor([0., 2.])
        """
        return KERNEL_METHODS["relu"](self)

    def sigmoid(self) -> Tensor:
        """Logistic sigmoid, elementwise.

        Example:
            >>> ne.tensor([0.0]).sigmoid()
            tensor([0.5])
        """
        return KERNEL_METHODS["sigmoid"](self)

    def tanh(self) -> Tensor:
        """Elementwise hyperbolic tangent.

        Example:
            >>> ne.tensor([0.0, 100.0]).tanh()
            tensor([0., 1.])
        """
        return KERNEL_METHODS["tanh"](self)

    def softmax(self, dim: Any = None, dtype: Any = None, *, axis: Any = None) -> Tensor:
        """Softmax along ``dim`` (the engine's kernel for float32).

        Example:
            >>> ne.tensor([[1.0, 1.0]]).softmax(1)
            tensor([[0.5, 0.5]])
        """
        if axis is not None:
            dim = _axis_alias("softmax", dim, axis)
        elif dim is None:
            raise TypeError("softmax() missing 1 required positional argument: 'dim'")
        x = self if dtype is None else self._cast(to_dtype(dtype))
        return KERNEL_METHODS["softmax"](x, dim)

    def log_softmax(self, dim: Any = None, dtype: Any = None, *, axis: Any = None) -> Tensor:
        """Log-softmax along ``dim`` (the engine's kernel for float32).

        Example:
            >>> ne.tensor([[0.0, 0.0]]).log_softmax(1)
            tensor([[-0.6931, -0.6931]])
        """
        if axis is not None:
            dim = _axis_alias("log_softmax", dim, axis)
        elif dim is None:
            raise TypeError("log_softmax() missing 1 required positional argument: 'dim'")
        x = self if dtype is None else self._cast(to_dtype(dtype))
        return KERNEL_METHODS["log_softmax"](x, dim)

    def masked_fill(self, mask: Any, value: Any) -> Tensor:
        """Entries where ``mask`` is True replaced by ``value`` (differentiable in self).

        Example:
            >>> ne.zeros(3).masked_fill(ne.tensor([True, False, True]), 1.0)
            tensor([1., 0., 1.])
        """
        m = np.broadcast_to(_as_array(mask).astype(bool), self.shape)
        return ops.MaskedFillFn.apply(self, m, _as_array(value))

    # ----------------------------------------------------------------- reductions
    @staticmethod
    def _axis(dim: Any) -> Any:
        if isinstance(dim, list):
            return tuple(dim)
        return dim

    def sum(self, dim: Any = None, keepdim: bool = False, dtype: Any = None,
            *, keepdims: Optional[bool] = None, axis: Any = None) -> Tensor:
        """Sum (of all entries, or over ``dim``); bool/int sums are int64, as torch.

        Example:
            >>> x = ne.tensor([[1.0, -2.0], [3.0, 0.5]])
            >>> x.sum(), x.sum(dim=0), ne.tensor([True, True]).sum()
            (tensor(2.5), tensor([ 4. , -1.5]), tensor(2))
        """
        if axis is not None:
            dim = _axis_alias("sum", dim, axis)
        keepdim = keepdim if keepdims is None else keepdims  # numpy's spelling, accepted by torch
        x = self if dtype is None else self._cast(to_dtype(dtype))
        return ops.SumFn.apply(x, self._axis(dim), keepdim)

    def mean(self, dim: Any = None, keepdim: bool = False, dtype: Any = None,
            *, keepdims: Optional[bool] = None, axis: Any = None) -> Tensor:
        """Mean (of all entries, or over ``dim``); floating-point tensors only, as torch.

        Example:
            >>> x = ne.tensor([[1.0, -2.0], [3.0, 0.5]])
            >>> x.mean(), x.mean(dim=0)
            (tensor(0.625), tensor([ 2.  , -0.75]))
        """
        if axis is not None:
            dim = _axis_alias("mean", dim, axis)
        keepdim = keepdim if keepdims is None else keepdims  # numpy's spelling, accepted by torch
        x = self if dtype is None else self._cast(to_dtype(dtype))
        if x._data.dtype.kind != "f":
            raise _InputError("mean(): could not infer output dtype. Input dtype must be either a floating point "
                               f"or complex dtype. Got: {_TORCH_SHORT.get(x.dtype.kind, x.dtype.name)}")
        return ops.MeanFn.apply(x, self._axis(dim), keepdim)

    def var(self, dim: Any = None, unbiased: Any = None, keepdim: Any = None, *,
            correction: Optional[float] = None, keepdims: Optional[bool] = None) -> Tensor:
        """Variance, Bessel-corrected by default, with torch's overloads: ``var(dim, unbiased, keepdim)``
        positionally, ``var(unbiased)`` with a bool first, or ``var(dim, correction=0, keepdim=True)``.

        Example:
            >>> ne.tensor([1.0, 3.0]).var(), ne.tensor([1.0, 3.0]).var(unbiased=False)
            (tensor(2.), tensor(1.))
        """
        keepdim = keepdim if keepdims is None else keepdims  # numpy's spelling, accepted by torch
        if isinstance(dim, (bool, np.bool_)):  # var(unbiased)
            if unbiased is not None:
                raise TypeError("var(): with a bool first argument (unbiased) no further positional "
                                f"arguments are accepted, got {unbiased!r}")
            dim, unbiased = None, bool(dim)
        if unbiased is not None and correction is not None:
            raise TypeError("var(): pass either unbiased or correction, not both")
        if unbiased is not None and not isinstance(unbiased, (bool, np.bool_)):
            raise TypeError(f"unbiased: expected a bool, got {type(unbiased).__name__}")
        if correction is None:
            c = 0 if unbiased is False else 1
        elif isinstance(correction, (bool, np.bool_)) or not isinstance(correction, (int, float, np.number)):
            raise TypeError(f"correction: expected a number, got {type(correction).__name__}")
        else:
            c = correction
        return ops.VarFn.apply(self, self._axis(dim), bool(keepdim), c)

    def std(self, dim: Any = None, unbiased: Any = None, keepdim: Any = None, *,
            correction: Optional[float] = None, keepdims: Optional[bool] = None) -> Tensor:
        """Standard deviation: :meth:`var`'s overloads, then ``sqrt``.

        Example:
            >>> ne.tensor([1.0, 3.0]).std(), ne.tensor([1.0, 3.0]).std(correction=0)
            (tensor(1.4142), tensor(1.))
        """
        keepdim = keepdim if keepdims is None else keepdims  # numpy's spelling, accepted by torch
        return self.var(dim, unbiased, keepdim, correction=correction).sqrt()

    def prod(self, dim: Optional[int] = None, keepdim: bool = False, dtype: Any = None,
            *, keepdims: Optional[bool] = None) -> Tensor:
        """Product (of all entries, or over ``dim``).

        Example:
            >>> ne.tensor([[1.0, 2.0], [3.0, 4.0]]).prod(dim=1)
            tensor([ 2., 12.])
        """
        keepdim = keepdim if keepdims is None else keepdims  # numpy's spelling, accepted by torch
        x = self if dtype is None else self._cast(to_dtype(dtype))
        dt = x.dtype if x.dtype.kind == "f" else _I64
        return ops.ProdFn.apply(x, None if dim is None else _dim(dim, self.ndim), keepdim, dt)

    def cumsum(self, dim: int, dtype: Any = None) -> Tensor:
        """Cumulative sum along ``dim``.

        Example:
            >>> ne.tensor([1.0, 2.0, 3.0]).cumsum(0)
            tensor([1., 3., 6.])
        """
        x = self if dtype is None else self._cast(to_dtype(dtype))
        dt = x.dtype if x.dtype.kind == "f" else _I64
        return ops.CumsumFn.apply(x, _dim(dim, self.ndim), dt)

    def logsumexp(self, dim: Any, keepdim: bool = False, *, keepdims: Optional[bool] = None) -> Tensor:
        """log(sum(exp(x))) over ``dim``, computed stably.

        Example:
            >>> ne.tensor([[0.0, 0.0]]).logsumexp(1)
            tensor([0.6931])
        """
        keepdim = keepdim if keepdims is None else keepdims  # numpy's spelling, accepted by torch
        return ops.LogSumExpFn.apply(self._fl(), self._axis(dim), keepdim)

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
        """Vector norm over ``dim`` (all elements by default): p = 2 / 'fro', 1, inf, -inf, 0 or any float.

        Example:
            >>> ne.tensor([3.0, 4.0]).norm()
            tensor(5.)
        """
        if p == "fro" or p is None:
            p = 2
        if isinstance(p, str):
            raise NotImplementedError(f"norm: p={p!r} is not supported (vector norms only)")
        x = self._fl() if dtype is None else self._cast(to_dtype(dtype))
        return ops.NormFn.apply(x, float(p), self._axis(dim), keepdim)

    def all(self, dim: Optional[int] = None, keepdim: bool = False,
            *, keepdims: Optional[bool] = None) -> Tensor:
        """Whether all entries are true (over ``dim`` if given).

        Example:
            >>> ne.tensor([[True, False], [True, True]]).all(dim=1)
            tensor([False,  True])
        """
        keepdim = keepdim if keepdims is None else keepdims  # numpy's spelling, accepted by torch
        return Tensor._wrap(np.asarray(np.all(self._data, axis=dim, keepdims=keepdim)))

    def any(self, dim: Optional[int] = None, keepdim: bool = False,
            *, keepdims: Optional[bool] = None) -> Tensor:
        """Whether any entry is true (over ``dim`` if given).

        Example:
            >>> ne.tensor([[True, False], [False, False]]).any(dim=1)
            tensor([ True, False])
        """
        keepdim = keepdim if keepdims is None else keepdims  # numpy's spelling, accepted by torch
        return Tensor._wrap(np.asarray(np.any(self._data, axis=dim, keepdims=keepdim)))

    def _pick(self, idx: np.ndarray, d: int, keepdim: bool, kind: Any) -> Any:
        """(values, indices) named tuple: values gathered at ``idx`` (kept dim) so the gradient goes to
        exactly those positions."""
        values = ops.GatherFn.apply(self, idx, d)
        if not keepdim:
            idx = np.squeeze(idx, d)
            values = values.reshape(idx.shape)
        return kind(values, Tensor._wrap(idx.astype(np.int64, copy=False)))

    def _reduce_pick(self, argfn: Any, dim: Any, keepdim: bool, kind: Any) -> Any:
        if self.ndim == 0:
            _dim(dim, 0)
            return kind(self.clone(), Tensor._wrap(np.zeros((), np.int64)))
        d = _dim(dim, self.ndim)
        _nonempty(self._data, kind.__name__, d)
        return self._pick(argfn(self._data, axis=d, keepdims=True), d, keepdim, kind)

    def max(self, dim: Any = None, keepdim: bool = False, *, keepdims: Optional[bool] = None,
            axis: Any = None) -> Any:
        """``max()`` -> 0-d tensor (gradient split evenly among ties, as torch); ``max(dim)`` ->
        ``(values, indices)`` with the whole gradient at ``indices`` (torch's rule); ``max(other)`` ->
        elementwise maximum.

        Example:
            >>> x = ne.tensor([[1.0, -2.0], [3.0, 0.5]])
            >>> x.max(), x.max(dim=1).values
            (tensor(3.), tensor([1., 3.]))
        """
        if axis is not None:
            dim = _axis_alias("max", dim, axis)
        keepdim = keepdim if keepdims is None else keepdims  # numpy's spelling, accepted by torch
        if isinstance(dim, Tensor):
            return maximum(self, dim)
        if dim is None:
            _nonempty(self._data, "max", None)
            return ops.MaxMinFn.apply(self, None, False, True)
        return self._reduce_pick(np.argmax, dim, keepdim, return_types.max)

    def min(self, dim: Any = None, keepdim: bool = False, *, keepdims: Optional[bool] = None,
            axis: Any = None) -> Any:
        """Like ``max``: 0-d without ``dim``, ``(values, indices)`` with it, elementwise with a Tensor.

        Example:
            >>> x = ne.tensor([[1.0, -2.0], [3.0, 0.5]])
            >>> x.min(), x.min(dim=1).indices
            (tensor(-2.), tensor([1, 1]))
        """
        if axis is not None:
            dim = _axis_alias("min", dim, axis)
        keepdim = keepdim if keepdims is None else keepdims  # numpy's spelling, accepted by torch
        if isinstance(dim, Tensor):
            return minimum(self, dim)
        if dim is None:
            _nonempty(self._data, "min", None)
            return ops.MaxMinFn.apply(self, None, False, False)
        return self._reduce_pick(np.argmin, dim, keepdim, return_types.min)

    def amax(self, dim: Any = None, keepdim: bool = False, *, keepdims: Optional[bool] = None) -> Tensor:
        """Max over one or several dims, gradient split evenly among ties (torch.amax).

        Example:
            >>> x = ne.tensor([[1.0, -2.0], [3.0, 0.5]])
            >>> x.amax(dim=0)
            tensor([3. , 0.5])
        """
        keepdim = keepdim if keepdims is None else keepdims  # numpy's spelling, accepted by torch
        axis = self._axis(dim)
        _nonempty(self._data, "amax", axis)
        return ops.MaxMinFn.apply(self, axis, keepdim, True)

    def amin(self, dim: Any = None, keepdim: bool = False, *, keepdims: Optional[bool] = None) -> Tensor:
        """Min over one or several dims, gradient split evenly among ties (torch.amin).

        Example:
            >>> x = ne.tensor([[1.0, -2.0], [3.0, 0.5]])
            >>> x.amin(dim=(0, 1))
            tensor(-2.)
        """
        keepdim = keepdim if keepdims is None else keepdims  # numpy's spelling, accepted by torch
        axis = self._axis(dim)
        _nonempty(self._data, "amin", axis)
        return ops.MaxMinFn.apply(self, axis, keepdim, False)

    def argmax(self, dim: Optional[int] = None, keepdim: bool = False,
            *, keepdims: Optional[bool] = None, axis: Optional[int] = None) -> Tensor:
        """Index of the maximum (of the flattened tensor without ``dim``), int64.

        Example:
            >>> x = ne.tensor([[1.0, -2.0], [3.0, 0.5]])
            >>> x.argmax(), x.argmax(dim=1)
            (tensor(2), tensor([0, 0]))
        """
        if axis is not None:
            dim = _axis_alias("argmax", dim, axis)
        keepdim = keepdim if keepdims is None else keepdims  # numpy's spelling, accepted by torch
        if dim is None:
            _nonempty(self._data, "argmax", None)
            r = np.argmax(self._data)
            return Tensor._wrap(np.asarray(r, np.int64).reshape((1,) * self.ndim if keepdim else ()))
        d = _dim(dim, self.ndim)
        _nonempty(self._data, "argmax", d)
        return Tensor._wrap(np.asarray(np.argmax(self._data, axis=d, keepdims=keepdim), np.int64))

    def argmin(self, dim: Optional[int] = None, keepdim: bool = False,
            *, keepdims: Optional[bool] = None, axis: Optional[int] = None) -> Tensor:
        """Index of the minimum (of the flattened tensor without ``dim``), int64.

        Example:
            >>> x = ne.tensor([[1.0, -2.0], [3.0, 0.5]])
            >>> x.argmin(dim=1)
            tensor([1, 1])
        """
        if axis is not None:
            dim = _axis_alias("argmin", dim, axis)
        keepdim = keepdim if keepdims is None else keepdims  # numpy's spelling, accepted by torch
        if dim is None:
            _nonempty(self._data, "argmin", None)
            r = np.argmin(self._data)
            return Tensor._wrap(np.asarray(r, np.int64).reshape((1,) * self.ndim if keepdim else ()))
        d = _dim(dim, self.ndim)
        _nonempty(self._data, "argmin", d)
        return Tensor._wrap(np.asarray(np.argmin(self._data, axis=d, keepdims=keepdim), np.int64))

    def _argsort(self, d: int, descending: bool) -> np.ndarray:
        if not descending:
            return np.argsort(self._data, axis=d, kind="stable")
        n = self.shape[d]
        return (n - 1) - np.flip(np.argsort(np.flip(self._data, d), axis=d, kind="stable"), d)

    def argsort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
        """Indices that sort along ``dim`` (``descending`` for largest first).

        Example:
            >>> ne.tensor([3.0, 1.0, 2.0]).argsort(descending=True)
            tensor([0, 2, 1])
        """
        if self.ndim == 0:
            return Tensor._wrap(np.zeros((), np.int64))
        return Tensor._wrap(self._argsort(_dim(dim, self.ndim), descending).astype(np.int64))

    def sort(self, dim: int = -1, descending: bool = False, stable: bool = False) -> Any:
        """``(values, indices)`` along ``dim`` (stable; NaN sorts as the largest value, as torch).

        Example:
            >>> ne.tensor([3.0, 1.0, 2.0]).sort(descending=True)
            sort(values=tensor([3., 2., 1.]), indices=tensor([0, 2, 1]))
        """
        if self.ndim == 0:
            return return_types.sort(self.clone(), Tensor._wrap(np.zeros((), np.int64)))
        d = _dim(dim, self.ndim)
        return self._pick(self._argsort(d, descending), d, True, return_types.sort)

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
        """The ``k`` largest (``largest=False``: smallest) entries along ``dim`` as ``(values, indices)``.

        Example:
            >>> ne.tensor([3.0, 1.0, 2.0]).topk(2)
            topk(values=tensor([3., 2.]), indices=tensor([0, 2]))
        """
        d = _dim(dim, self.ndim)
        n = self.shape[d] if self.ndim else 1
        if not 0 <= k <= n:
            raise _InputError(f"selected index k out of range (k={k}, size {n})")
        if self.ndim == 0:
            return return_types.topk(self.clone(), Tensor._wrap(np.zeros((), np.int64)))
        idx = np.take(self._argsort(d, largest), np.arange(k), axis=d)
        return self._pick(idx, d, True, return_types.topk)

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False) -> Any:
        """The ``k``-th smallest entry (1-based) along ``dim`` as ``(values, indices)``.

        Example:
            >>> ne.tensor([3.0, 1.0, 2.0]).kthvalue(2)
            kthvalue(values=tensor(2.), indices=tensor(2))
        """
        d = _dim(dim, self.ndim)
        n = self.shape[d] if self.ndim else 1
        if not 1 <= k <= n:
            raise _InputError(f"kthvalue(): selected number k out of range for dimension {d} (k={k}, size {n})")
        if self.ndim == 0:
            return return_types.kthvalue(self.clone(), Tensor._wrap(np.zeros((), np.int64)))
        idx = np.take(self._argsort(d, False), [k - 1], axis=d)
        return self._pick(idx, d, keepdim, return_types.kthvalue)

    def median(self, dim: Any = None, keepdim: bool = False, *, keepdims: Optional[bool] = None) -> Any:
        """Lower median (torch's: no averaging). Without ``dim`` a 0-d tensor (gradient split evenly among
        entries equal to it); with ``dim`` ``(values, indices)``.

        Example:
            >>> ne.tensor([3.0, 1.0, 2.0, 4.0]).median()
            tensor(2.)
        """
        keepdim = keepdim if keepdims is None else keepdims  # numpy's spelling, accepted by torch
        if dim is None:
            flat = self._data.reshape(-1)
            if flat.size == 0:
                return Tensor._wrap(np.asarray(np.nan, self.dtype))
            srt = np.sort(flat, kind="stable")
            v = srt[(flat.size - 1) // 2]
            if np.isnan(srt[-1]) if self.dtype.kind == "f" else False:
                v = srt[-1]
            m = (self._data == v) if not (self.dtype.kind == "f" and np.isnan(v)) else np.isnan(self._data)
            w = (m / max(int(m.sum()), 1)).astype(_F32)
            return ops.SelectFn.apply(self, np.asarray(v, self.dtype), w)
        if self.ndim == 0:
            return return_types.median(self.clone(), Tensor._wrap(np.zeros((), np.int64)))
        d = _dim(dim, self.ndim)
        n = self.shape[d]
        _nonempty(self._data, "median", d)
        idx = np.take(self._argsort(d, False), [(n - 1) // 2], axis=d)
        if self.dtype.kind == "f":  # a row with NaN has median NaN, at its first NaN (torch)
            nan = np.isnan(self._data)
            has = nan.any(axis=d, keepdims=True)
            if has.any():
                idx = np.where(has, np.argmax(nan, axis=d, keepdims=True), idx)
        return self._pick(idx, d, keepdim, return_types.median)

    def mode(self, dim: int = -1, keepdim: bool = False) -> Any:
        """Most frequent value along ``dim`` (the smallest among equally frequent ones) and the index of
        its last occurrence, as ``(values, indices)``; NaNs count as distinct values (NaN only for an all-NaN row).

        Example:
            >>> ne.tensor([1.0, 2.0, 2.0, 3.0]).mode()
            mode(values=tensor(2.), indices=tensor(2))
        """
        if self.ndim == 0:
            return return_types.mode(self.clone(), Tensor._wrap(np.zeros((), np.int64)))
        d = _dim(dim, self.ndim)
        _nonempty(self._data, "mode", d)
        a = np.moveaxis(self._data, d, -1)
        rows = a.reshape(-1, a.shape[-1])
        out = np.empty(rows.shape[0], np.int64)
        for r, row in enumerate(rows):
            # NaNs are distinct values (NaN != NaN, each seen once, as torch counts them), so a row's mode is NaN
            # only when the row is all NaN: then its last NaN
            real = row[~np.isnan(row)] if row.dtype.kind == "f" else row
            if real.size == 0:
                out[r] = row.size - 1
                continue
            vals, counts = np.unique(real, return_counts=True)
            v = vals[np.argmax(counts)]
            out[r] = np.flatnonzero(row == v)[-1]
        idx = np.expand_dims(out.reshape(a.shape[:-1]), d)
        return self._pick(idx, d, keepdim, return_types.mode)

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape: Any) -> Tensor:
        """The same entries in ``shape`` (-1 infers one dim); a view when possible.

        Example:
            >>> ne.arange(6).reshape(2, -1).shape
            (2, 3)
        """
        return ops.ReshapeFn.apply(self, _shape_args(shape))

    def view(self, *shape: Any) -> Tensor:
        """A reshape that shares the storage; raises RuntimeError (like torch) when the strides do not allow
        it, e.g. after ``t()``: use ``reshape`` or ``contiguous().view``. ``view(dtype)`` reinterprets bytes.

        Example:
            >>> ne.arange(6).view(3, 2).shape
            (3, 2)
            >>> ne.zeros(2, 3).t().view(6)
            Traceback (most recent call last):
                ...
            RuntimeError: view size is not compatible with input tensor's size and stride (s...
        """
        if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int, np.integer)):
            dt = to_dtype(shape[0])
            return Tensor._wrap(self._data.view(dt))
        return ops.ViewFn.apply(self, _shape_args(shape))

    def view_as(self, other: Tensor) -> Tensor:
        """``self.view(other.shape)``.

        Example:
            >>> ne.arange(6).view_as(ne.zeros(3, 2)).shape
            (3, 2)
        """
        return self.view(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        """``self.reshape(other.shape)``.

        Example:
            >>> ne.arange(6).reshape_as(ne.zeros(3, 2)).shape
            (3, 2)
        """
        return self.reshape(other.shape)

    def expand_as(self, other: Tensor) -> Tensor:
        """``self.expand(other.shape)``.

        Example:
            >>> ne.tensor([1.0, 2.0]).expand_as(ne.zeros(3, 2)).shape
            (3, 2)
        """
        return self.expand(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Dims ``start_dim..end_dim`` merged into one.

        Example:
            >>> ne.zeros(2, 3, 4).flatten(1).shape
            (2, 12)
        """
        nd = self.ndim
        if nd == 0:
            return self.reshape(1)
        s = start_dim % nd
        e = end_dim % nd
        shape = self.shape[:s] + (math.prod(self.shape[s : e + 1]),) + self.shape[e + 1 :]  # (np.prod: ~5 us)
        return self.reshape(shape)

    def unflatten(self, dim: int, sizes: Sequence[int]) -> Tensor:
        """Dim ``dim`` split into ``sizes``.

        Example:
            >>> ne.zeros(2, 12).unflatten(1, (3, 4)).shape
            (2, 3, 4)
        """
        d = _dim(dim, self.ndim)
        return self.reshape(self.shape[:d] + tuple(sizes) + self.shape[d + 1 :])

    def permute(self, *dims: Any, **kwargs: Any) -> Tensor:
        """Dims reordered (a view); ``dims=`` as a keyword too (torch's).

        Example:
            >>> ne.zeros(2, 3, 4).permute(2, 0, 1).shape, ne.zeros(2, 3).permute(dims=(1, 0)).shape
            ((4, 2, 3), (3, 2))
        """
        dims = _dims_keyword(dims, kwargs, "permute")
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        return ops.PermuteFn.apply(self, tuple(d % max(self.ndim, 1) for d in dims))

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """Dims ``dim0`` and ``dim1`` swapped (a view).

        Example:
            >>> ne.zeros(2, 3, 4).transpose(0, 2).shape
            (4, 3, 2)
        """
        axes = list(range(self.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return ops.PermuteFn.apply(self, tuple(axes))

    swapaxes = transpose

    def t(self) -> Tensor:
        """The transpose of a (at most) 2-D tensor (a view).

        Example:
            >>> ne.zeros(2, 3).t().shape
            (3, 2)
        """
        if self.ndim > 2:
            raise _InputError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        if self.ndim < 2:
            return self
        return self.transpose(0, 1)

    def unsqueeze(self, dim: Any = None, *, axis: Any = None) -> Tensor:
        """A size-1 dim inserted at ``dim``.

        Example:
            >>> ne.zeros(2, 3).unsqueeze(1).shape
            (2, 1, 3)
        """
        if axis is not None:
            dim = _axis_alias("unsqueeze", dim, axis)
        elif dim is None:
            raise TypeError("unsqueeze() missing 1 required positional argument: 'dim'")
        d = dim if dim >= 0 else self.ndim + 1 + dim
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim: Optional[int] = None, *, axis: Optional[int] = None) -> Tensor:
        """Size-1 dims removed (only ``dim`` if given).

        Example:
            >>> ne.zeros(2, 1, 3, 1).squeeze().shape, ne.zeros(2, 1, 3, 1).squeeze(1).shape
            ((2, 3), (2, 3, 1))
        """
        if axis is not None:
            dim = _axis_alias("squeeze", dim, axis)
        if dim is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        if isinstance(dim, (tuple, list)):
            ds = {_dim(d, self.ndim) for d in dim}
            return self.reshape(tuple(s for i, s in enumerate(self.shape) if not (i in ds and s == 1)))
        d = dim % max(self.ndim, 1)
        if self.ndim == 0 or self.shape[d] != 1:
            return self
        return self.reshape(self.shape[:d] + self.shape[d + 1 :])

    def expand(self, *shape: Any) -> Tensor:
        """A broadcast view to ``shape`` (-1 keeps a dim); no copy.

        Example:
            >>> ne.tensor([[1.0], [2.0]]).expand(2, 3)
            tensor([[1., 1., 1.],
                    [2., 2., 2.]])
        """
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        full = tuple(self.shape[i - (len(shape) - self.ndim)] if s == -1 else s for i, s in enumerate(shape))
        return ops.ExpandFn.apply(self, full)

    def repeat(self, *sizes: Any) -> Tensor:
        """The tensor tiled ``sizes`` times along each dim (torch's ``repeat``, numpy's ``tile``).

        Example:
            >>> ne.tensor([1, 2]).repeat(2, 2)
            tensor([[1, 2, 1, 2],
                    [1, 2, 1, 2]])
        """
        reps = _shape_args(sizes)
        if len(reps) < self.ndim:
            raise _InputError("Number of dimensions of repeat dims can not be smaller than number of dimensions "
                               "of tensor")
        return ops.RepeatFn.apply(self, reps)

    def contiguous(self, memory_format: Any = None) -> Tensor:
        """self when C-contiguous, else a C-contiguous copy (differentiable).

        Example:
            >>> t = ne.zeros(2, 3).t()
            >>> t.is_contiguous(), t.contiguous().is_contiguous()
            (False, True)
        """
        if self._data.flags.c_contiguous:
            return self
        return ops.ContiguousFn.apply(self)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> Tuple[Tensor, ...]:
        """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the given sizes.

        Example:
            >>> [p.shape for p in ne.arange(5).split(2)], [p.shape for p in ne.arange(5).split([1, 4])]
            ([(2,), (2,), (1,)], [(1,), (4,)])
        """
        d = _dim(dim, self.ndim)
        n = self.shape[d]
        if isinstance(split_size_or_sections, (int, np.integer)):
            step = int(split_size_or_sections)
            if step <= 0 and n:
                raise _InputError(f"split_size can only be 0 if dimension size is 0, but got {step}")
            bounds = [(i, min(i + step, n)) for i in range(0, n, max(step, 1))] or [(0, 0)]
        else:
            sizes = [int(s) for s in split_size_or_sections]
            if sum(sizes) != n:
                raise _InputError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                                   f"size at dimension {d}), but got split_sizes={sizes}")
            ends = np.cumsum(sizes).tolist()
            bounds = [(e - s, e) for s, e in zip(sizes, ends)]
        pre = (slice(None),) * d
        return tuple(self[pre + (slice(a, b),)] for a, b in bounds)

    def chunk(self, chunks: int, dim: int = 0) -> Tuple[Tensor, ...]:
        """``chunks`` nearly equal pieces along ``dim`` (views).

        Example:
            >>> [c.shape for c in ne.zeros(5, 2).chunk(3)]
            [(2, 2), (2, 2), (1, 2)]
        """
        chunks = _count_arg(chunks, "chunks", "chunk")
        n = self.shape[_dim(dim, self.ndim)]
        return self.split(max(-(-n // chunks), 1), dim)

    def tensor_split(self, indices_or_sections: Any, dim: int = 0) -> Tuple[Tensor, ...]:
        """``indices_or_sections`` nearly equal pieces along ``dim`` (the first ones one larger), or, given a
        sequence of indices, the pieces between them (torch's and numpy's ``array_split`` semantics).

        Example:
            >>> [p.shape for p in ne.arange(5).tensor_split(2)], [p.shape for p in ne.arange(5).tensor_split([1, 4])]
            ([(3,), (2,)], [(1,), (3,), (1,)])
        """
        d = _dim(dim, self.ndim)
        n = self.shape[d]
        ios = indices_or_sections
        if isinstance(ios, Tensor) and ios.ndim == 0:
            ios = ios.item()
        if isinstance(ios, (int, np.integer)) and not isinstance(ios, bool):
            sections = _count_arg(ios, "indices_or_sections", "tensor_split")
            q, r = divmod(n, sections)
            return self.split([q + 1] * r + [q] * (sections - r), d)
        if isinstance(ios, (str, bytes)) or not hasattr(ios, "__iter__"):
            raise TypeError(f"tensor_split(): indices_or_sections: expected an int or a sequence of ints, "
                            f"got {type(ios).__name__}")
        bounds: List[Optional[int]] = [0]
        for i in (ios.tolist() if isinstance(ios, Tensor) else list(ios)):
            if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
                raise TypeError(f"tensor_split(): indices_or_sections: expected ints, got {i!r}")
            bounds.append(int(i))
        bounds.append(None)
        pieces = []
        for a, b in zip(bounds[:-1], bounds[1:]):  # each piece is the slice [a:b] (Python's, and torch's, rules)
            lo, hi, _ = slice(a, b).indices(n)
            pieces.append(self.narrow(d, lo, max(hi - lo, 0)))
        return tuple(pieces)

    def unfold(self, dimension: int, size: int, step: int) -> Tensor:
        """Every window of ``size`` entries of ``dimension``, one each ``step``: that dim becomes the window
        count ``(n - size) // step + 1`` and the window is a new last dim (torch's layout; differentiable,
        overlapping windows add their gradients).

        Example:
            >>> ne.arange(7.0).unfold(0, 3, 2)
            tensor([[0., 1., 2.],
                    [2., 3., 4.],
                    [4., 5., 6.]])
        """
        if self.ndim == 0:
            raise ValueError("unfold: expected a tensor with at least one dimension, got a 0-d tensor")
        d = _dim(dimension, self.ndim)
        for name, v in (("size", size), ("step", step)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"unfold: {name}: expected a positive int, got {v!r}")
        if size > self.shape[d]:
            raise ValueError(f"unfold: size: expected at most the size of dimension {d} ({self.shape[d]}), "
                             f"got {size}")
        return ops.UnfoldFn.apply(self, d, int(size), int(step))

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        """``length`` entries from ``start`` along ``dim`` (a view).

        Example:
            >>> ne.arange(5).narrow(0, 1, 3)
            tensor([1, 2, 3])
        """
        if self.ndim == 0:
            raise _InputError("narrow() cannot be applied to a 0-dim tensor.")
        d = _dim(dim, self.ndim)
        start = int(start) % max(self.shape[d], 1) if int(start) < 0 else int(start)
        if int(length) < 0:
            raise _InputError(f"narrow(): length must be non-negative, got {length}")
        if start + length > self.shape[d]:
            raise _InputError(f"start ({start}) + length ({length}) exceeds dimension size ({self.shape[d]}).")
        return self[(slice(None),) * d + (slice(start, start + int(length)),)]

    def unbind(self, dim: int = 0) -> Tuple[Tensor, ...]:
        """The slices along ``dim`` as a tuple.

        Example:
            >>> ne.tensor([[1, 2], [3, 4]]).unbind(1)
            (tensor([1, 3]), tensor([2, 4]))
        """
        d = _dim(dim, self.ndim)
        return tuple(self[(slice(None),) * d + (i,)] for i in range(self.shape[d]))

    def flip(self, *dims: Any, **kwargs: Any) -> Tensor:
        """The order reversed along ``dims`` (positional or ``dims=``).

        Example:
            >>> ne.tensor([1, 2, 3]).flip(0), ne.tensor([[1, 2]]).flip(dims=[1])
            (tensor([3, 2, 1]), tensor([[2, 1]]))
        """
        dims = _dims_keyword(dims, kwargs, "flip")
        ds = {_dim(d, self.ndim) for d in _shape_args(dims)}
        return self[tuple(slice(None, None, -1) if i in ds else slice(None) for i in range(self.ndim))]

    def index_select(self, dim: int, index: Any) -> Tensor:
        """Entries at ``index`` along ``dim``.

        Example:
            >>> ne.tensor([10, 20, 30]).index_select(0, ne.tensor([2, 0]))
            tensor([30, 10])
        """
        d = _dim(dim, self.ndim)
        return self[(slice(None),) * d + (np.asarray(_as_array(index), np.int64).reshape(-1),)]

    def gather(self, dim: int, index: Any) -> Tensor:
        """torch.gather: ``out[i][j] = self[i][index[i][j]]`` for ``dim=1`` (differentiable).

        Example:
            >>> ne.tensor([[1, 2], [3, 4]]).gather(1, ne.tensor([[1], [0]]))
            tensor([[2],
                    [3]])
        """
        idx = np.asarray(_as_array(index))
        if idx.dtype.kind not in "iu":
            raise _InputError(f"gather(): Expected dtype int64 for index, got {idx.dtype}")
        d = _dim(dim, self.ndim)
        if idx.ndim != max(self.ndim, 1) and not (self.ndim == 0 and idx.ndim == 0):
            raise _InputError(f"gather(): index: expected {self.ndim} dims like input, got {idx.ndim}")
        n = self.shape[d] if self.ndim else 1
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise _IndexError(f"gather(): index out of bounds for dimension {d} with size {n}")
        for k in range(idx.ndim):
            if k != d and self.ndim and idx.shape[k] > self.shape[k]:
                raise _InputError(f"gather(): index: size {idx.shape[k]} at dim {k} exceeds the input's "
                                  f"{self.shape[k]}")
        return ops.GatherFn.apply(self, idx, d)

    def scatter(self, dim: int, index: Any, src: Any = None, value: Any = None, reduce: Any = None) -> Tensor:
        """torch.scatter: ``out[i][index[i][j]] = src[i][j]`` for ``dim=1`` (``src`` a Tensor or a scalar);
        ``reduce='add'`` or ``'multiply'`` combines instead of overwriting.

        Example:
            >>> ne.zeros(3).scatter(0, ne.tensor([0, 0, 2]), ne.tensor([1., 2., 3.]), reduce="add")
            tensor([3., 0., 3.])
        """
        if src is None:
            src = value
        if reduce is not None:
            modes = {"add": "sum", "multiply": "prod"}
            if reduce not in modes:
                raise ValueError(f"reduce: expected 'add' or 'multiply', got {reduce!r}")
            return self.scatter_reduce(dim, index, src, modes[reduce])
        s = src if isinstance(src, Tensor) else _as_array(src).astype(self.dtype)
        if isinstance(s, Tensor) and s.dtype != self.dtype:
            s = s._cast(self.dtype)
        idx, s = self._scatter_operands(index, s)
        return ops.ScatterFn.apply(self, idx, s, _dim(dim, self.ndim), False)

    def _scatter_operands(self, index: Any, src: Any) -> Tuple[np.ndarray, Any]:
        """The index as an array; a 0-d index (and 0-d src) into a 1-D tensor as one element, as torch takes it
        (the Datasets tutorial's one-hot ``zeros(10).scatter_(0, torch.tensor(y), value=1)``)."""
        idx = np.asarray(_as_array(index))
        if idx.ndim == 0 and self.ndim == 1:
            idx = idx.reshape(1)
            if isinstance(src, (Tensor, np.ndarray)) and src.ndim == 0:
                src = src.reshape(1)
        return idx, src

    def scatter_reduce(self, dim: int, index: Any, src: Any, reduce: str, *, include_self: bool = True) -> Tensor:
        """torch.scatter_reduce: combine ``src`` into ``self`` at ``index`` along ``dim`` with ``reduce`` in
        ``'sum'``, ``'prod'``, ``'mean'``, ``'amax'``, ``'amin'``; ``include_self=False`` leaves the original
        values out of every position that receives one. Differentiable like torch's.

        Example:
            >>> ne.zeros(2).scatter_reduce(0, ne.tensor([0, 0, 1]), ne.tensor([1., 5., 2.]), "amax")
            tensor([5., 2.])
        """
        if reduce not in ops._SCATTER_UFUNC:
            raise ValueError(f"reduce: expected one of {sorted(ops._SCATTER_UFUNC)}, got {reduce!r}")
        idx, src = self._scatter_operands(index, src)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"index: expected an integer tensor, got dtype {idx.dtype}")
        d = _dim(dim, self.ndim)
        if idx.ndim != max(self.ndim, 1) or any(idx.shape[k] > self.shape[k] for k in range(self.ndim) if k != d):
            raise ValueError(f"index: expected {self.ndim} dimensions no larger than self {tuple(self.shape)} "
                             f"outside dim {d}, got shape {idx.shape}")
        if idx.size and (idx.min() < -self.shape[d] or idx.max() >= self.shape[d]):
            raise _IndexError(f"index: values must be in [{-self.shape[d]}, {self.shape[d] - 1}] along dim {d}")
        s = src if isinstance(src, Tensor) else _as_array(src).astype(self.dtype)
        if isinstance(s, Tensor) and s.dtype != self.dtype:
            s = s._cast(self.dtype)
        sshape = np.shape(s._data if isinstance(s, Tensor) else s)
        if len(sshape) and (len(sshape) != idx.ndim or any(a < b for a, b in zip(sshape, idx.shape))):
            raise ValueError(f"src: expected a shape at least index's {idx.shape}, got {sshape}")
        return ops.ScatterReduceFn.apply(self, idx, s, d, reduce, bool(include_self))

    def scatter_reduce_(self, dim: int, index: Any, src: Any, reduce: str, *, include_self: bool = True) -> Tensor:
        """In-place :meth:`scatter_reduce`.

        Example:
            >>> t = ne.zeros(2)
            >>> t.scatter_reduce_(0, ne.tensor([1, 1]), ne.tensor([1.0, 3.0]), "amax"); t
            tensor([0., 3.])
            tensor([0., 3.])
        """
        return self._inplace_apply(lambda s: s.scatter_reduce(dim, index, src, reduce, include_self=include_self),
                                   (src,))

    def scatter_add(self, dim: int, index: Any, src: Any) -> Tensor:
        """``self`` with ``src`` added at ``index`` along ``dim`` (duplicates accumulate).

        Example:
            >>> ne.zeros(2).scatter_add(0, ne.tensor([1, 1]), ne.tensor([1.0, 2.0]))
            tensor([0., 3.])
        """
        s = src if isinstance(src, Tensor) else _as_array(src).astype(self.dtype)
        idx, s = self._scatter_operands(index, s)
        return ops.ScatterFn.apply(self, idx, s, _dim(dim, self.ndim), True)

    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle (entries above diagonal ``diagonal`` set to 0).

        Example:
            >>> ne.ones(2, 2).tril()
            tensor([[1., 0.],
                    [1., 1.]])
        """
        return ops.TriMaskFn.apply(self, int(diagonal), False)

    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle (entries below diagonal ``diagonal`` set to 0).

        Example:
            >>> ne.ones(2, 2).triu()
            tensor([[1., 1.],
                    [0., 1.]])
        """
        return ops.TriMaskFn.apply(self, int(diagonal), True)

    def diag(self, diagonal: int = 0) -> Tensor:
        """A matrix's diagonal ``diagonal`` (1-D), or a diagonal matrix from a 1-D tensor.

        Example:
            >>> ne.tensor([[1.0, 2.0], [3.0, 4.0]]).diag()
            tensor([1., 4.])
        """
        return ops.DiagFn.apply(self, int(diagonal))

    def mm(self, other: Tensor) -> Tensor:
        """Product of two matrices.

        Example:
            >>> ne.ones(2, 3).mm(ne.ones(3, 4)).shape
            (2, 4)
        """
        if self.ndim != 2 or _as_array(other).ndim != 2:
            raise _InputError(f"mm: expected 2-D tensors, got {self.ndim}-D and {_as_array(other).ndim}-D")
        return self @ other

    def bmm(self, other: Tensor) -> Tensor:
        """Batched matrix product of (B, n, m) and (B, m, p) tensors.

        Example:
            >>> ne.ones(4, 2, 3).bmm(ne.ones(4, 3, 5)).shape
            (4, 2, 5)
        """
        if self.ndim != 3 or _as_array(other).ndim != 3:
            raise _InputError(f"bmm: expected 3-D tensors, got {self.ndim}-D and {_as_array(other).ndim}-D")
        return self @ other

    def matmul(self, other: Tensor) -> Tensor:
        """Matrix product with numpy/torch broadcasting (``@``).

        Example:
            >>> ne.ones(5, 2, 3).matmul(ne.ones(3, 4)).shape
            (5, 2, 4)
        """
        return self @ other

    def dot(self, other: Tensor) -> Tensor:
        """Inner product of two 1-D tensors (0-d).

        Example:
            >>> ne.tensor([1.0, 2.0]).dot(ne.tensor([3.0, 4.0]))
            tensor(11.)
        """
        if self.ndim != 1 or _as_array(other).ndim != 1:
            raise _InputError("1D tensors expected, but got "
                               f"{self.ndim}D and {_as_array(other).ndim}D tensors")
        return self @ other

    def outer(self, other: Tensor) -> Tensor:
        """Outer product of two 1-D tensors.

        Example:
            >>> ne.tensor([1.0, 2.0]).outer(ne.tensor([1.0, 10.0]))
            tensor([[ 1., 10.],
                    [ 2., 20.]])
        """
        o = other if isinstance(other, Tensor) else tensor(other)
        return self.reshape(-1, 1) * o.reshape(1, -1)

    def __getitem__(self, idx: Any) -> Tensor:
        if type(idx) is not int:
            idx = _norm_index(idx)
        if type(idx) is int:
            idx = (idx, Ellipsis)  # x[0] of a 1-D tensor: a 0-d view (as torch), not a numpy scalar copy
        return ops.IndexFn.apply(self, idx)

    def __setitem__(self, idx: Any, value: Any) -> None:
        idx = _norm_index(idx)
        if self._needs_tape((value,)):
            v = value if isinstance(value, Tensor) else _as_array(value)
            self._rebind(lambda s: ops.IndexPutFn.apply(s, v, idx))
            return
        self._data[idx] = _as_array(value)
        _note_mutation(self._data)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(len(self)):
            yield self[i]


def _inplace_unary(name: str) -> Callable[[Tensor], Tensor]:
    def method(self: Tensor) -> Tensor:
        return self._inplace_apply(lambda s: getattr(s, name)())

    method.__name__ = name + "_"
    method.__doc__ = (f"In-place ``{name}`` (torch's autograd rules for in-place ops).\n\n"
                      f"Example:\n    >>> t = ne.tensor([0.25, 1.0]); y = t.{name}()\n"
                      f"    >>> t.{name}_() is t, bool((t == y).all())\n    (True, True)\n")
    return method


for _name in ("exp", "log", "sqrt", "abs", "neg", "sigmoid", "tanh", "relu", "floor", "ceil", "round", "sign",
              "sin", "cos", "reciprocal", "square", "log1p", "expm1", "trunc", "rsqrt", "erf"):
    setattr(Tensor, _name + "_", _inplace_unary(_name))
del _name

_VIEW_FNS = (ops.IndexFn, ops.ReshapeFn, ops.ViewFn, ops.PermuteFn, ops.ExpandFn)


def _register_view_fn(fn: Any) -> None:
    """Declare ``fn``'s output a view of its first input (in-place ops on it write through, recorded via
    ``fn.view_scatter``): for the view Functions defined above this module (``_ops_index``'s diagonal)."""
    global _VIEW_FNS
    _VIEW_FNS = _VIEW_FNS + (fn,)


def tensor(data: ArrayLike, requires_grad: bool = False, dtype: Any = None, *, device: Any = None,
           pin_memory: bool = False) -> Tensor:
    """A new Tensor holding a copy of ``data``, dtype inferred like ``torch.tensor``: Python floats ->
    float32, ints -> int64, bools -> bool; numpy arrays and Tensors keep their dtype (float64 stays
    float64). Only floating-point tensors can require gradients.

    Example:
        >>> ne.tensor([1, 2]).dtype, ne.tensor([1.0, 2]).dtype, ne.tensor(True).dtype
        (dtype('int64'), dtype('float32'), dtype('bool'))
    """
    if type(data) is np.ndarray and dtype is None and device is None and data.dtype.kind in "biuf":
        t = Tensor._wrap(ops.copy_array(data))  # the usual case (a stream's next sample), as below
        if requires_grad:
            t.requires_grad_(True)
        return t
    check_device(device)
    if dtype is not None:
        return Tensor(np.array(_as_array(data), copy=True), requires_grad=requires_grad, dtype=to_dtype(dtype))
    if isinstance(data, (Tensor, np.ndarray, np.generic)) or (
            hasattr(data, "detach") and hasattr(data, "numpy")):
        arr = ops.copy_array(np.asarray(_as_array(data)))
    else:
        arr = np.array(data)
        if arr.dtype.kind == "f":
            arr = arr.astype(np.float32)
        elif arr.dtype.kind in "iu":
            arr = arr.astype(np.int64)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"data: expected numbers, got an array of dtype {arr.dtype}")
    t = Tensor._wrap(arr if arr.flags.aligned else arr.copy())
    if requires_grad:
        t.requires_grad_(True)
    return t


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares a numpy array's memory (or a Tensor itself) when no conversion is needed.

    Example:
        >>> a = np.zeros(3, np.float32)
        >>> np.shares_memory(ne.as_tensor(a).data, a)
        True
    """
    check_device(device)
    dt = to_dtype(dtype)
    if isinstance(data, Tensor):
        return data if dt is None else data._cast(dt)
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf":
        return Tensor._wrap(data if dt is None else data.astype(dt, copy=False))
    return tensor(data, dtype=dt)


def _as_tensors(tensors: Iterable[Any], name: str) -> list:
    ts = [t if isinstance(t, Tensor) else tensor(t) for t in tensors]
    if not ts:
        raise ValueError(f"{name}: expected a non-empty sequence")
    dt = ts[0]._data.dtype
    if any(t._data.dtype != dt for t in ts):
        dt = result_type(*ts)
        ts = [t._cast(dt) for t in ts]
    return ts


def cat(tensors: Iterable[Tensor], dim: Any = None, *, axis: Any = None) -> Tensor:
    """Concatenate along ``dim`` (differentiable; mixed dtypes promote like torch).

    Example:
        >>> ne.cat([ne.zeros(2, 3), ne.ones(1, 3)]).shape
        (3, 3)
    """
    dim = 0 if axis is None and dim is None else dim if axis is None else _axis_alias("cat", dim, axis)
    ts = _as_tensors(tensors, "tensors")
    ts = [t for t in ts if not (t.ndim == 1 and t.shape[0] == 0)] or ts[:1]  # torch skips legacy empty 1-D
    return ops.CatFn.apply(_dim(dim, ts[0].ndim), *ts)


concat = cat


def concatenate(tensors: Iterable[Tensor], axis: int = 0, **kwargs: Any) -> Tensor:
    """torch's numpy-style alias of :func:`cat`: ``axis`` is the dimension (``dim=`` also accepted).

    Example:
        >>> ne.concatenate([ne.zeros(2, 3), ne.ones(2, 1)], axis=1).shape
        (2, 4)
    """
    if "dim" in kwargs:
        axis = kwargs.pop("dim")
    return cat(tensors, axis, **kwargs)


def stack(tensors: Iterable[Tensor], dim: Any = None, *, axis: Any = None) -> Tensor:
    """Stack along a new dimension ``dim`` (differentiable).

    Example:
        >>> ne.stack([ne.zeros(3), ne.ones(3)], dim=1).shape
        (3, 2)
    """
    dim = 0 if axis is None and dim is None else dim if axis is None else _axis_alias("stack", dim, axis)
    ts = _as_tensors(tensors, "tensors")
    return ops.StackFn.apply(_dim(dim, ts[0].ndim + 1), *ts)


def where(cond: Any, a: Any = None, b: Any = None) -> Any:
    """``a`` where ``cond`` else ``b`` (differentiable in both; scalars promote like torch, so
    ``where(c, 1, 0)`` is int64). ``where(cond)`` alone is ``nonzero(cond, as_tuple=True)``.

    Example:
        >>> ne.where(ne.tensor([True, False]), 1, 0)
        tensor([1, 0])
    """
    c = _as_array(cond).astype(bool)
    if a is None and b is None:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in np.nonzero(c))
    dt = result_type(a, b)
    if dt.kind not in "biufc":  # an object / string operand would make an object tensor
        raise TypeError(f"where(): input, other: expected numbers or Tensors, got {type(a).__name__} and "
                        f"{type(b).__name__}")
    ta = a if isinstance(a, Tensor) else Tensor._wrap(np.asarray(_as_array(a), dt))
    tb = b if isinstance(b, Tensor) else Tensor._wrap(np.asarray(_as_array(b), dt))
    return ops.WhereFn.apply(c, ta, tb, dt)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum (torch.maximum: ties split the gradient in half).

    Example:
        >>> ne.maximum(ne.tensor([1.0, 5.0]), ne.tensor([3.0, 2.0]))
        tensor([3., 5.])
    """
    ta = a if isinstance(a, Tensor) else tensor(a)
    return ops.MaxMinBinaryFn.apply(ta, b, True, result_type(ta, b))


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum (torch.minimum).

    Example:
        >>> ne.minimum(ne.tensor([1.0, 5.0]), ne.tensor([3.0, 2.0]))
        tensor([1., 2.])
    """
    ta = a if isinstance(a, Tensor) else tensor(a)
    return ops.MaxMinBinaryFn.apply(ta, b, False, result_type(ta, b))


def _factory(arr: np.ndarray, requires_grad: bool, device: Any) -> Tensor:
    if device is not None:
        check_device(device)
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, **_: Any) -> Tensor:
    """Zeros of ``size`` (float32 unless ``dtype``).

    Example:
        >>> ne.zeros(2, 3, dtype=ne.int64).dtype
        dtype('int64')
    """
    return _factory(np.zeros(_shape_args(_size_kw(size, _)), to_dtype(dtype) or _F32), requires_grad, device)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, **_: Any) -> Tensor:
    """Ones of ``size`` (float32 unless ``dtype``).

    Example:
        >>> ne.ones(2, 2)
        tensor([[1., 1.],
                [1., 1.]])
    """
    return _factory(np.ones(_shape_args(_size_kw(size, _)), to_dtype(dtype) or _F32), requires_grad, device)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False, **_: Any) -> Tensor:
    """Uninitialised tensor of ``size`` (float32 unless ``dtype``).

    Example:
        >>> ne.empty(2, 3).shape, ne.empty(2, dtype=ne.int64).dtype
        ((2, 3), dtype('int64'))
    """
    return _factory(np.empty(_shape_args(_size_kw(size, _)), to_dtype(dtype) or _F32), requires_grad, device)


def _scalar_dtype(v: Any) -> np.dtype:
    if isinstance(v, (bool, np.bool_)):
        return _BOOL
    if isinstance(v, (int, np.integer)):
        return _I64
    return _F32


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
         **_: Any) -> Tensor:
    """``size`` filled with ``fill_value``; dtype inferred from it like torch (int -> int64, bool -> bool,
    float -> float32).

    Example:
        >>> ne.full((2,), 7).dtype
        dtype('int64')
    """
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    dt = to_dtype(dtype) or _scalar_dtype(fill_value)
    shape = _shape_args((size,)) if isinstance(size, (tuple, list)) else (int(size),)
    return _factory(np.full(shape, fill_value, dt), requires_grad, device)


def _gen(generator: Any = None) -> np.random.Generator:
    """``generator=`` of the samplers as a numpy Generator: None -> the global one (``ne.manual_seed``), an
    ``ne.Generator``, or a numpy Generator."""
    from . import random

    return random.resolve_generator(generator)


def randn(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          generator: Any = None, **_: Any) -> Tensor:
    """Standard normal samples from the global generator (``ne.manual_seed``).

    Example:
        >>> ne.randn(2, 3).shape, ne.randn(2, dtype=ne.float64).dtype
        ((2, 3), dtype('float64'))
    """
    dt = to_dtype(dtype) or _F32
    g = _gen(generator)
    arr = g.standard_normal(_shape_args(_size_kw(size, _)), dtype=dt if dt in (_F32, np.dtype(np.float64)) else np.float64)
    return _factory(np.asarray(arr, dt), requires_grad, device)


def rand(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
         generator: Any = None, **_: Any) -> Tensor:
    """Uniform [0, 1) samples from the global generator.

    Example:
        >>> x = ne.rand(1000); bool(((x >= 0) & (x < 1)).all())
        True
    """
    dt = to_dtype(dtype) or _F32
    g = _gen(generator)
    arr = g.random(_shape_args(_size_kw(size, _)), dtype=dt if dt in (_F32, np.dtype(np.float64)) else np.float64)
    return _factory(np.asarray(arr, dt), requires_grad, device)


def randint(low: int = 0, high: Optional[int] = None, size: Any = None, *args: Any, dtype: Any = None,
            device: Any = None, requires_grad: bool = False, generator: Any = None) -> Tensor:
    """``randint(high, size)`` or ``randint(low, high, size)``: int64 samples in [low, high).

    Example:
        >>> ne.randint(0, 10, (3,)).dtype
        dtype('int64')
    """
    if size is None and high is not None and not isinstance(high, (int, np.integer)):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    shape = _shape_args((size,)) if isinstance(size, (tuple, list)) else (int(size),)
    g = _gen(generator)
    return _factory(g.integers(int(low), int(high), shape).astype(to_dtype(dtype) or _I64), requires_grad, device)


def randperm(n: int, dtype: Any = None, device: Any = None, requires_grad: bool = False,
             generator: Any = None) -> Tensor:
    """A random permutation of ``0..n-1`` (int64).

    Example:
        >>> sorted(ne.randperm(5).tolist())
        [0, 1, 2, 3, 4]
    """
    g = _gen(generator)
    return _factory(g.permutation(int(n)).astype(to_dtype(dtype) or _I64), requires_grad, device)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *, generator: Any = None, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """Normal samples: scalar ``mean``/``std`` with ``size``, or elementwise Tensor mean/std.

    Example:
        >>> ne.normal(0.0, 1.0, size=(2, 3)).shape, ne.normal(ne.zeros(4), 1.0).shape
        ((2, 3), (4,))
    """
    g = _gen(generator)
    m, s = _as_array(mean), _as_array(std)
    shape = np.broadcast_shapes(m.shape, s.shape) if size is None else (
        _shape_args((size,)) if isinstance(size, (tuple, list)) else (int(size),))
    dt = to_dtype(dtype) or (m.dtype if m.ndim and m.dtype.kind == "f" else _F32)
    return _factory((g.standard_normal(shape) * s + m).astype(dt), requires_grad, device)


def arange(start: Any = 0, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """``[start, end)`` by ``step``: int64 when all are ints, float32 otherwise (like torch).

    Example:
        >>> ne.arange(3)
        tensor([0, 1, 2])
    """
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    dt = to_dtype(dtype) or (_F32 if any(isinstance(v, (float, np.floating)) for v in vals) else _I64)
    if vals[2] == 0:
        raise _InputError("step must be nonzero")
    n = max(int(np.ceil((vals[1] - vals[0]) / vals[2])), 0)
    arr = (vals[0] + np.arange(n, dtype=np.float64) * vals[2]) if dt.kind == "f" else np.arange(*vals)
    return _factory(arr.astype(dt), requires_grad, device)


def linspace(start: float, end: float, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive (float32 by default).

    Example:
        >>> ne.linspace(0, 1, 5)
        tensor([0.  , 0.25, 0.5 , 0.75, 1.  ])
    """
    return _factory(np.linspace(float(start), float(end), int(steps)).astype(to_dtype(dtype) or _F32),
                    requires_grad, device)


def eye(n: int, m: Optional[int] = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """Identity matrix ``n x m`` (float32 by default).

    Example:
        >>> ne.eye(2, 3)
        tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    return _factory(np.eye(int(n), None if m is None else int(m), dtype=to_dtype(dtype) or _F32),
                    requires_grad, device)


def _like(t: Any, dtype: Any) -> Tuple[tuple, np.dtype]:
    a = _as_array(t)
    return a.shape, (to_dtype(dtype) or a.dtype)


def zeros_like(input: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,  # noqa: A002
               **_: Any) -> Tensor:
    """Zeros with ``input``'s shape and dtype.

    Example:
        >>> ne.zeros_like(ne.ones(2))
        tensor([0., 0.])
    """
    shape, dt = _like(input, dtype)
    return _factory(np.zeros(shape, dt), requires_grad, device)


def ones_like(input: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,  # noqa: A002
              **_: Any) -> Tensor:
    """Ones with ``input``'s shape and dtype.

    Example:
        >>> ne.ones_like(ne.zeros(2, dtype=ne.int64))
        tensor([1, 1])
    """
    shape, dt = _like(input, dtype)
    return _factory(np.ones(shape, dt), requires_grad, device)


def empty_like(input: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,  # noqa: A002
               **_: Any) -> Tensor:
    """Uninitialised, with ``input``'s shape and dtype.

    Example:
        >>> ne.empty_like(ne.zeros(2, 3, dtype=ne.float64)).dtype
        dtype('float64')
    """
    shape, dt = _like(input, dtype)
    return _factory(np.empty(shape, dt), requires_grad, device)


def full_like(input: Any, fill_value: Any, dtype: Any = None, device: Any = None,  # noqa: A002
              requires_grad: bool = False, **_: Any) -> Tensor:
    """``fill_value`` with ``input``'s shape and dtype.

    Example:
        >>> ne.full_like(ne.zeros(2), 7.5)
        tensor([7.5, 7.5])
    """
    shape, dt = _like(input, dtype)
    return _factory(np.full(shape, fill_value, dt), requires_grad, device)


def randn_like(input: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,  # noqa: A002
               **_: Any) -> Tensor:
    """Standard normal samples with ``input``'s shape and dtype.

    Example:
        >>> ne.randn_like(ne.zeros(2, 3)).shape
        (2, 3)
    """
    shape, dt = _like(input, dtype)
    return randn(*shape, dtype=dt, device=device, requires_grad=requires_grad)


def rand_like(input: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,  # noqa: A002
              **_: Any) -> Tensor:
    """Uniform [0, 1) samples with ``input``'s shape and dtype.

    Example:
        >>> ne.rand_like(ne.zeros(2, 3)).shape
        (2, 3)
    """
    shape, dt = _like(input, dtype)
    return rand(*shape, dtype=dt, device=device, requires_grad=requires_grad)


def from_numpy(a: np.ndarray) -> Tensor:
    """A Tensor sharing ``a``'s memory and dtype (torch.from_numpy): writes to one show in the other.

    Example:
        >>> a = np.arange(3)
        >>> t = ne.from_numpy(a)
        >>> t.dtype, np.shares_memory(t.data, a)
        (dtype('int64'), True)
    """
    if not isinstance(a, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(a).__name__})")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"can't convert np.ndarray of type {a.dtype}. The only supported types are: float64, "
                        "float32, float16, int64, int32, int16, int8, uint8, and bool.")
    return Tensor._wrap(a)

