"""``Tensor``: numpy float32 storage, an optional gradient, and the op that made it.

Example:
    >>> import nnengine as ne
    >>> x = ne.tensor([[1.0, 2.0]], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    array([[2., 4.]], dtype=float32)
"""

from __future__ import annotations

from typing import Any, Iterable, Optional, Sequence, Union

import numpy as np

from . import ops
from .autograd import backward as _run_backward
from .autograd import is_grad_enabled

ArrayLike = Union["Tensor", np.ndarray, float, int, Sequence]
_F32 = np.dtype(np.float32)


def _as_array(x: Any) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.data
    if hasattr(x, "detach") and hasattr(x, "cpu") and hasattr(x, "numpy"):  # a torch tensor
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _is_basic_index(idx: Any) -> bool:
    items = idx if isinstance(idx, tuple) else (idx,)
    return all(isinstance(i, (int, np.integer, slice, type(None), type(Ellipsis))) for i in items)


def _norm_index(idx: Any) -> Any:
    if isinstance(idx, Tensor):
        return idx.data.astype(np.int64) if idx.data.dtype.kind == "f" else idx.data
    if isinstance(idx, tuple):
        return tuple(_norm_index(i) for i in idx)
    if isinstance(idx, list):
        return np.asarray(idx)
    return idx


class Tensor:
    """A float32 array that can record the operations applied to it for automatic differentiation."""

    __array_priority__ = 1000  # numpy defers to Tensor's reflected operators

    def __init__(self, data: ArrayLike, requires_grad: bool = False, dtype: Any = None) -> None:
        arr = _as_array(data)
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        elif arr.dtype != np.float32:
            if arr.dtype.kind in "fbiu" or arr.dtype == object:
                arr = arr.astype(np.float32)
            else:
                raise TypeError(f"data: expected numbers, got an array of dtype {arr.dtype}")
        if not arr.flags.aligned:  # e.g. np.frombuffer at an odd offset: kernels load whole floats
            arr = arr.copy()
        self.data: np.ndarray = arr
        self.grad: Optional[np.ndarray] = None
        self._ctx = None
        self._out_index = 0
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, arr: np.ndarray) -> Tensor:
        t = cls.__new__(cls)
        if type(arr) is not np.ndarray or arr.dtype is not _F32:
            arr = np.asarray(arr)
            if arr.dtype != np.float32 and arr.dtype.kind == "f":
                arr = arr.astype(np.float32)
        t.data = arr
        t.grad = None
        t._ctx = None
        t._out_index = 0
        t.requires_grad = False
        return t

    # ----------------------------------------------------------------- properties
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def size(self, dim: Optional[int] = None) -> Union[tuple, int]:
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self) -> int:
        return int(self.data.size)

    def dim(self) -> int:
        return self.data.ndim

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def T(self) -> Tensor:
        return self.permute(*reversed(range(self.ndim)))

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", prefix="tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        return f"tensor({body}{extra})"

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    # ----------------------------------------------------------------- autograd
    def requires_grad_(self, flag: bool = True) -> Tensor:
        if flag and self.data.dtype.kind != "f":
            raise TypeError(f"requires_grad: only floating-point tensors can require gradients, got {self.dtype}")
        if not flag and self._ctx is not None:
            raise RuntimeError("requires_grad_: cannot turn off gradients of a non-leaf tensor; use detach()")
        self.requires_grad = bool(flag)
        return self

    def detach(self) -> Tensor:
        """A new leaf sharing the storage, cut from the graph."""
        return Tensor._wrap(self.data)

    def detach_(self) -> Tensor:
        self._ctx = None
        self.requires_grad = False
        return self

    def _accumulate(self, g: np.ndarray) -> None:
        if self.grad is None:
            self.grad = np.array(g, dtype=np.float32, copy=True).reshape(self.data.shape)
        else:
            self.grad = self.grad + g

    def backward(self, grad: Any = None) -> None:
        """Backpropagate from this tensor; leaf gradients accumulate into ``.grad``.

        ``grad`` defaults to 1 for a one-element tensor; otherwise it must have this tensor's shape.
        """
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require grad and has no grad_fn")
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: grad can be implicitly created only for scalar outputs, got shape {self.shape}")
            g = np.ones(self.data.shape, dtype=np.float32)
        else:
            g = np.asarray(_as_array(grad), dtype=np.float32)
            if g.shape != self.data.shape:
                raise ValueError(f"grad: expected shape {self.data.shape}, got {g.shape}")
        _run_backward(self, g)

    def zero_(self) -> Tensor:
        self.data[...] = 0
        return self

    @property
    def grad_fn(self):
        return self._ctx

    # ----------------------------------------------------------------- conversion
    def numpy(self) -> np.ndarray:
        return self.data

    def tolist(self) -> Any:
        return self.data.tolist()

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted, got shape {self.shape}")
        return self.data.reshape(()).item()

    def float(self) -> Tensor:
        """float32 copy (self if already float32); differentiable, like PyTorch's ``.float()``."""
        if self.dtype == np.float32:
            return self
        if self.requires_grad and is_grad_enabled():
            return ops.Mul.apply(self, np.float32(1.0))  # float32 result, gradient flows back to self
        return Tensor(self.data.astype(np.float32))

    def long(self) -> Tensor:
        return Tensor(self.data.astype(np.int64), dtype=np.int64)

    def clone(self) -> Tensor:
        return ops.Mul.apply(self, np.float32(1.0)) if self.requires_grad else Tensor._wrap(self.data.copy())

    def copy_(self, src: ArrayLike) -> Tensor:
        self.data[...] = _as_array(src)
        return self

    # ----------------------------------------------------------------- arithmetic
    @staticmethod
    def _other(x: Any) -> Any:
        if isinstance(x, Tensor):
            return x
        a = np.asarray(x)
        return a.astype(np.float32) if a.dtype != np.float32 else a

    def __add__(self, o):
        return ops.Add.apply(self, self._other(o))

    def __radd__(self, o):
        return ops.Add.apply(self._other(o), self)

    def __sub__(self, o):
        return ops.Sub.apply(self, self._other(o))

    def __rsub__(self, o):
        return ops.Sub.apply(self._other(o), self)

    def __mul__(self, o):
        return ops.Mul.apply(self, self._other(o))

    def __rmul__(self, o):
        return ops.Mul.apply(self._other(o), self)

    def __truediv__(self, o):
        return ops.Div.apply(self, self._other(o))

    def __rtruediv__(self, o):
        return ops.Div.apply(self._other(o), self)

    def __neg__(self):
        return ops.Neg.apply(self)

    def __pos__(self):
        return self

    def __pow__(self, o):
        return ops.Pow.apply(self, self._other(o))

    def __rpow__(self, o):
        return ops.Pow.apply(self._other(o), self)

    def __matmul__(self, o):
        return ops.MatMul.apply(self, self._other(o))

    def __rmatmul__(self, o):
        return ops.MatMul.apply(self._other(o), self)

    def __iadd__(self, o):
        return self._inplace(np.add, o)

    def __isub__(self, o):
        return self._inplace(np.subtract, o)

    def __imul__(self, o):
        return self._inplace(np.multiply, o)

    def __itruediv__(self, o):
        return self._inplace(np.divide, o)

    def _inplace(self, fn, o):
        if self.requires_grad and is_grad_enabled():
            raise RuntimeError("in-place operation on a tensor that requires grad; use ne.no_grad() or out-of-place ops")
        fn(self.data, _as_array(o), out=self.data, casting="unsafe")
        return self

    # comparisons give plain boolean tensors (non-differentiable)
    def _cmp(self, fn, o) -> Tensor:
        return Tensor(fn(self.data, _as_array(o)), dtype=bool)

    def __lt__(self, o):
        return self._cmp(np.less, o)

    def __le__(self, o):
        return self._cmp(np.less_equal, o)

    def __gt__(self, o):
        return self._cmp(np.greater, o)

    def __ge__(self, o):
        return self._cmp(np.greater_equal, o)

    def eq(self, o) -> Tensor:
        return self._cmp(np.equal, o)

    def ne(self, o) -> Tensor:
        return self._cmp(np.not_equal, o)

    def __eq__(self, o):  # type: ignore[override]
        return self._cmp(np.equal, o)

    def __ne__(self, o):  # type: ignore[override]
        return self._cmp(np.not_equal, o)

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError("Boolean value of a Tensor with more than one value is ambiguous")
        return bool(self.data.reshape(()))

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iub":
            raise TypeError("only integer tensors can be used as an index")
        return int(self.item())

    # ----------------------------------------------------------------- elementwise math
    def exp(self) -> Tensor:
        return ops.Exp.apply(self)

    def log(self) -> Tensor:
        return ops.Log.apply(self)

    def sqrt(self) -> Tensor:
        return ops.Sqrt.apply(self)

    def abs(self) -> Tensor:
        return ops.Abs.apply(self)

    def pow(self, e) -> Tensor:
        return self ** e

    def clamp(self, min: Optional[float] = None, max: Optional[float] = None) -> Tensor:
        return ops.Clamp.apply(self, min, max)

    clip = clamp

    def relu(self) -> Tensor:
        from .functional import relu

        return relu(self)

    def sigmoid(self) -> Tensor:
        from .functional import sigmoid

        return sigmoid(self)

    def tanh(self) -> Tensor:
        from .functional import tanh

        return tanh(self)

    def softmax(self, dim: int) -> Tensor:
        from .functional import softmax

        return softmax(self, dim)

    def log_softmax(self, dim: int) -> Tensor:
        from .functional import log_softmax

        return log_softmax(self, dim)

    # ----------------------------------------------------------------- reductions
    @staticmethod
    def _axis(dim: Any) -> Any:
        if isinstance(dim, list):
            return tuple(dim)
        return dim

    def sum(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return ops.Sum.apply(self, self._axis(dim), keepdim)

    def mean(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return ops.Mean.apply(self, self._axis(dim), keepdim)

    def var(self, dim: Any = None, keepdim: bool = False, unbiased: bool = True) -> Tensor:
        return ops.Var.apply(self, self._axis(dim), keepdim, 1 if unbiased else 0)

    def std(self, dim: Any = None, keepdim: bool = False, unbiased: bool = True) -> Tensor:
        return self.var(dim, keepdim, unbiased).sqrt()

    def max(self, dim: Optional[int] = None, keepdim: bool = False) -> Tensor:
        return ops.MaxMin.apply(self, dim, keepdim, True)

    def min(self, dim: Optional[int] = None, keepdim: bool = False) -> Tensor:
        return ops.MaxMin.apply(self, dim, keepdim, False)

    def argmax(self, dim: Optional[int] = None, keepdim: bool = False) -> Tensor:
        r = np.argmax(self.data, axis=dim, keepdims=keepdim) if dim is not None else np.argmax(self.data)
        return Tensor(np.asarray(r), dtype=np.int64)

    def argmin(self, dim: Optional[int] = None, keepdim: bool = False) -> Tensor:
        r = np.argmin(self.data, axis=dim, keepdims=keepdim) if dim is not None else np.argmin(self.data)
        return Tensor(np.asarray(r), dtype=np.int64)

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return ops.Reshape.apply(self, tuple(int(s) for s in shape))

    view = reshape

    def view_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        nd = self.ndim
        if nd == 0:
            return self.reshape(1)
        s = start_dim % nd
        e = end_dim % nd
        shape = self.shape[:s] + (int(np.prod(self.shape[s : e + 1])),) + self.shape[e + 1 :]
        return self.reshape(shape)

    def permute(self, *dims: Any) -> Tensor:
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        return ops.Permute.apply(self, tuple(d % max(self.ndim, 1) for d in dims))

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        axes = list(range(self.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return ops.Permute.apply(self, tuple(axes))

    def t(self) -> Tensor:
        if self.ndim < 2:
            return self
        return self.transpose(0, 1)

    def unsqueeze(self, dim: int) -> Tensor:
        d = dim if dim >= 0 else self.ndim + 1 + dim
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim: Optional[int] = None) -> Tensor:
        if dim is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        d = dim % max(self.ndim, 1)
        if self.ndim == 0 or self.shape[d] != 1:
            return self
        return self.reshape(self.shape[:d] + self.shape[d + 1 :])

    def expand(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        full = tuple(self.shape[i - (len(shape) - self.ndim)] if s == -1 else s for i, s in enumerate(shape))
        return ops.Expand.apply(self, full)

    def contiguous(self) -> Tensor:
        return self

    def __getitem__(self, idx: Any) -> Tensor:
        idx = _norm_index(idx)
        return ops.Index.apply(self, idx)

    def __setitem__(self, idx: Any, value: Any) -> None:
        if self.requires_grad and is_grad_enabled():
            raise RuntimeError("in-place assignment to a tensor that requires grad; use ne.no_grad()")
        self.data[_norm_index(idx)] = _as_array(value)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


def tensor(data: ArrayLike, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """Create a Tensor (float32 unless ``dtype`` says otherwise). Same as ``Tensor(...)``."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def cat(tensors: Iterable[Tensor], dim: int = 0) -> Tensor:
    """Concatenate along ``dim`` (differentiable)."""
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not ts:
        raise ValueError("tensors: expected a non-empty sequence")
    return ops.Cat.apply(dim % ts[0].ndim, *ts)


def stack(tensors: Iterable[Tensor], dim: int = 0) -> Tensor:
    """Stack along a new dimension ``dim`` (differentiable)."""
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not ts:
        raise ValueError("tensors: expected a non-empty sequence")
    return ops.Stack.apply(dim % (ts[0].ndim + 1), *ts)


def where(cond: Any, a: Any, b: Any) -> Tensor:
    c = _as_array(cond).astype(bool)
    return ops.Where.apply(c, a if isinstance(a, Tensor) else Tensor(a), b if isinstance(b, Tensor) else Tensor(b))


def zeros(*shape: Any, requires_grad: bool = False) -> Tensor:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Tensor(np.zeros(shape, np.float32), requires_grad=requires_grad)


def ones(*shape: Any, requires_grad: bool = False) -> Tensor:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Tensor(np.ones(shape, np.float32), requires_grad=requires_grad)


def randn(*shape: Any, requires_grad: bool = False) -> Tensor:
    from .random import generator

    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Tensor(generator().standard_normal(shape, dtype=np.float32), requires_grad=requires_grad)


def rand(*shape: Any, requires_grad: bool = False) -> Tensor:
    from .random import generator

    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Tensor(generator().random(shape, dtype=np.float32), requires_grad=requires_grad)


def from_numpy(a: np.ndarray) -> Tensor:
    return Tensor(a)
