"""``Parameter``: a leaf Tensor that a Module registers as trainable."""

from __future__ import annotations

import contextlib
import contextvars
from typing import Any, Iterator, List, Optional

import numpy as np

from .._coerce import as_array
from ..amp import note_weight_write
from ..tensor import LEAF_ARRAYS, Tensor

# [parameter elements left, modules left, what is being built] while a file's architecture is built
_BUDGET: contextvars.ContextVar[Optional[List[Any]]] = contextvars.ContextVar("nnengine_build_budget", default=None)


@contextlib.contextmanager
def build_budget(elements: int, modules: int, what: str) -> Iterator[None]:
    """While active, every Parameter created takes its size from ``elements`` and every Module from
    ``modules``; going over raises ValueError naming ``what``. ``nnengine.io`` builds a file's architecture
    under the size of the weights the file holds, so a hostile architecture (``Linear(40000, 40000)``
    with a 1 KB file, ten million layers) fails before its memory is touched.

    Example:
        >>> with build_budget(1000, 10, "model.safetensors"):
        ...     m = nn.Linear(10, 10)
        >>> with build_budget(100, 10, "model.safetensors"):
        ...     m = nn.Linear(10, 10)
        Traceback (most recent call last):
            ...
        ValueError: model.safetensors: the architecture's parameters are larger than the...
    """
    token = _BUDGET.set([int(elements), int(modules), what])
    try:
        yield
    finally:
        _BUDGET.reset(token)


def charge_module() -> None:
    """Count one Module against the active build budget (no-op outside ``build_budget``).

    Example:
        >>> charge_module()  # outside build_budget: nothing to count
    """
    b = _BUDGET.get()
    if b is not None:
        b[1] -= 1
        if b[1] < 0:
            raise ValueError(f"{b[2]}: the architecture builds more modules than the file can describe")


def charge_elements(n: int) -> None:
    """Count ``n`` elements (a buffer about to be allocated) against the active build budget (no-op outside).

    Example:
        >>> with build_budget(10, 1, "w.safetensors"):
        ...     charge_elements(11)
        Traceback (most recent call last):
            ...
        ValueError: w.safetensors: the architecture's parameters are larger than the wei...
    """
    b = _BUDGET.get()
    if b is not None:
        b[0] -= n
        if b[0] < 0:
            raise ValueError(f"{b[2]}: the architecture's parameters are larger than the weights the file "
                             "holds")


def _data_inplace(name: str, call: str, result: str) -> Any:
    def method(self: ParameterData, *args: Any, **kwargs: Any) -> ParameterData:
        from ..autograd import no_grad

        with no_grad():
            getattr(Tensor._wrap(self), name)(*args, **kwargs)  # a plain view of the same memory
        return self

    method.__name__ = name
    method.__doc__ = (f"``Tensor.{name}`` on the parameter's memory, untracked (torch's ``p.data.{name}``); "
                      "returns the same array.\n\nExample:\n    >>> p = Parameter(np.ones(3, np.float32))\n"
                      f"    >>> p.data.{call}\n    {result}\n")
    return method


class ParameterData(np.ndarray):
    """``Parameter.data``: the parameter's float32 numpy array, plus torch's in-place methods, so the
    idioms ``p.data.add_(p.grad, alpha=-lr)``, ``m.weight.data.normal_(0.0, 0.02)`` and ``p.data.zero_()``
    run as written (untracked writes, like torch's ``.data``). Everything else is numpy: results of numpy
    operations on it are plain ``np.ndarray``.

    Example:
        >>> p = Parameter(np.ones(3, np.float32))
        >>> p.data.add_(np.full(3, 2.0, np.float32), alpha=-0.5)
        ParameterData([0., 0., 0.], dtype=float32)
    """

    __array_priority__ = -1.0  # mixed with plain arrays, numpy builds plain arrays

    def __array_wrap__(self, arr: np.ndarray, context: Any = None, return_scalar: bool = False) -> Any:
        if arr is self:  # in place (``p.data -= lr * g``): stays itself, with its methods
            note_weight_write()  # (autocast's cached casts of the weight are made again)
            return arr
        if type(arr) is not np.ndarray:
            arr = arr.view(np.ndarray)
        return arr[()] if return_scalar else arr

    def __setitem__(self, key: Any, value: Any) -> None:  # ``p.data[...] = v``: a write the tape does not see
        np.ndarray.__setitem__(self, key, value)
        note_weight_write()

    add_ = _data_inplace("add_", "add_(np.ones(3, np.float32), alpha=-0.5)", "ParameterData([0.5, 0.5, 0.5], dtype=float32)")
    sub_ = _data_inplace("sub_", "sub_(2.0)", "ParameterData([-1., -1., -1.], dtype=float32)")
    mul_ = _data_inplace("mul_", "mul_(3.0)", "ParameterData([3., 3., 3.], dtype=float32)")
    div_ = _data_inplace("div_", "div_(4.0)", "ParameterData([0.25, 0.25, 0.25], dtype=float32)")
    fill_ = _data_inplace("fill_", "fill_(7.0)", "ParameterData([7., 7., 7.], dtype=float32)")
    zero_ = _data_inplace("zero_", "zero_()", "ParameterData([0., 0., 0.], dtype=float32)")
    copy_ = _data_inplace("copy_", "copy_(np.arange(3))", "ParameterData([0., 1., 2.], dtype=float32)")
    clamp_ = _data_inplace("clamp_", "clamp_(max=0.5)", "ParameterData([0.5, 0.5, 0.5], dtype=float32)")
    uniform_ = _data_inplace("uniform_", "uniform_(-0.1, 0.1).shape", "(3,)")
    normal_ = _data_inplace("normal_", "normal_(0.0, 0.02).shape", "(3,)")


class _NumelAndSize(int):
    """numpy's ``size`` (the element count, an int) that is also torch's ``size()`` call (the shape)."""

    def __new__(cls, shape: tuple) -> _NumelAndSize:
        obj = int.__new__(cls, int(np.prod(shape, dtype=np.int64)))
        obj.shape = shape
        return obj

    def __call__(self, dim: Optional[int] = None) -> Any:
        return self.shape if dim is None else self.shape[dim]


_NUMPY_REDUCE_KWARGS = frozenset({"axis", "dtype", "out", "ddof", "keepdims", "where", "initial", "kind", "order"})


def _ints(args: tuple) -> bool:
    return all(isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_)) for a in args)


def _is_torch_call(name: str, args: tuple, kwargs: dict) -> bool:
    """Whether ``a.<name>(*args, **kwargs)`` on a :class:`ParameterData` is written the torch way. numpy's own
    functions call these methods with numpy's keywords (``np.sum(a, 1)`` is ``a.sum(axis=1, ...)``) or without
    arguments (``np.unique`` sorts with ``a.sort()``), so those calls keep numpy's meaning."""
    if name == "view":
        shape = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
        return bool(shape) and not kwargs and _ints(shape)
    if _NUMPY_REDUCE_KWARGS & set(kwargs):
        return False
    if name in ("std", "var"):
        return True
    if name == "transpose":
        return (len(args) == 2 and _ints(args) and not kwargs) or (not args and set(kwargs) == {"dim0", "dim1"})
    if name == "flatten":
        return bool(args or kwargs) and _ints(args)
    return bool(args or kwargs)


def _torch_style(name: str, doc: str) -> Any:
    """``Tensor.<name>`` semantics for a call written the torch way (``g.view(-1)``, ``g.std()``,
    ``out.data.max(1)``); a call with numpy's keywords (``axis=``, ``ddof=``...), or for the methods numpy
    itself calls without arguments, none, stays numpy's (see :func:`_is_torch_call`)."""
    numpy_method = getattr(np.ndarray, name)

    def method(self: np.ndarray, *args: Any, **kwargs: Any) -> Any:
        if _is_torch_call(name, args, kwargs):
            return getattr(Tensor._wrap(self.view(np.ndarray)), name)(*args, **kwargs)
        return numpy_method(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = doc
    return method


def _norm(self: np.ndarray, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
    """``Tensor.norm`` of the array (a 0-d Tensor by default, so ``p.grad.data.norm(2).item()`` runs as in torch).

    Example:
        >>> Parameter(np.array([3.0, 4.0], np.float32)).data.norm(2).item()
        5.0
    """
    return Tensor._wrap(np.asarray(self)).norm(p, dim, keepdim)


ParameterData.norm = _norm  # type: ignore[attr-defined]


def _size(self: np.ndarray) -> _NumelAndSize:
    """The element count (numpy's ``size``), callable as torch's ``size()`` / ``size(dim)``.

    Example:
        >>> g = Parameter(np.zeros((2, 3), np.float32)).data
        >>> g.size, g.size(), g.size(-1)
        (6, (2, 3), 3)
    """
    return _NumelAndSize(self.shape)


def _tensor_fallback(self: np.ndarray, name: str) -> Any:
    """A name numpy arrays lack is ``Tensor``'s, on the same memory, untracked: torch code's
    ``p.grad.numpy()``, ``p.grad.clone()``, ``p.data.cpu()``, ``p.grad.pow(2).sum()`` run as written.

    Example:
        >>> w = Parameter(np.array([3.0, 4.0], np.float32))
        >>> (w * w).sum().backward()
        >>> w.grad.numpy(), w.grad.clone().pow(2).sum().item(), w.grad.dim()
        (array([6., 8.], dtype=float32), 100.0, 1)
    """
    if name.startswith("__") or not hasattr(Tensor, name):
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
    return getattr(Tensor._wrap(self.view(np.ndarray)), name)


ParameterData.size = property(_size)  # type: ignore[assignment]
ParameterData.__getattr__ = _tensor_fallback  # type: ignore[attr-defined]
ParameterData.view = _torch_style("view", """``view(*shape)`` as torch's (a Tensor on the same memory); ``view(dtype)`` /
    ``view(array type)`` as numpy's.

    Example:
        >>> g = Parameter(np.zeros((2, 3), np.float32)).data
        >>> g.view(-1).shape, type(g.view(np.ndarray)).__name__
        ((6,), 'ndarray')
    """)
ParameterData.std = _torch_style("std", """``std()`` as torch's (Bessel-corrected, ``dim``/``correction``/``keepdim``); with numpy's
    keywords (``axis=``, ``ddof=``...) numpy's.

    Example:
        >>> g = Parameter(np.array([1.0, 3.0], np.float32)).data
        >>> round(g.std().item(), 4), float(g.std(ddof=0))
        (1.4142, 1.0)
    """)
ParameterData.var = _torch_style("var", """``var()`` as torch's (Bessel-corrected, ``dim``/``correction``/``keepdim``); with numpy's
    keywords (``axis=``, ``ddof=``...) numpy's.

    Example:
        >>> g = Parameter(np.array([1.0, 3.0], np.float32)).data
        >>> g.var().item(), float(g.var(ddof=0))
        (2.0, 1.0)
    """)

for _name, _what in (("max", "``max(dim)``: the ``(values, indices)`` pair"), ("min", "``min(dim)``: ``(values, indices)``"),
                     ("sort", "``sort(dim, descending)``: ``(values, indices)``, the array unchanged")):
    setattr(ParameterData, _name, _torch_style(_name, f"""{_what} as torch's (Tensors) when called with a
    dim or torch's keywords; without arguments or with numpy's keywords (``axis=``...), numpy's.

    Example:
        >>> d = ne.tensor([[1.0, 5.0], [7.0, 2.0]]).data
        >>> d.max(1)[1], float(d.max())
        (tensor([1, 0]), 7.0)
    """))


def _torch_arguments(name: str, doc: str) -> Any:
    """``<name>`` with torch's arguments (``dim``, ``keepdim``) and numpy's values: the methods whose
    results are the same numbers in both libraries (``sum(1)``, ``argmax(1, keepdim=True)``, ``transpose(0, 1)``)
    give a :class:`TensorData` array, which numpy code and torch code both read as they expect."""
    numpy_method = getattr(np.ndarray, name)

    def method(self: np.ndarray, *args: Any, **kwargs: Any) -> Any:
        if not _is_torch_call(name, args, kwargs):
            return numpy_method(self, *args, **kwargs)
        plain = self.view(np.ndarray)
        if name in ("transpose", "flatten"):
            r = getattr(Tensor._wrap(plain), name)(*args, **kwargs)._data
        else:
            if len(args) > (1 if name == "cumsum" else 2):
                raise TypeError(f"{name}(): expected at most dim and keepdim positionally, got {len(args)} arguments")
            kw = dict(kwargs)
            dim = args[0] if args else kw.pop("dim", None)
            keep = bool(args[1] if len(args) > 1 else kw.pop("keepdim", False))
            if kw:  # a dtype= (numpy's keyword too) never gets here: _is_torch_call leaves such calls to numpy
                raise TypeError(f"{name}() got an unexpected keyword argument {sorted(kw)[0]!r}")
            axis = tuple(dim) if isinstance(dim, (list, tuple)) else dim
            r = numpy_method(plain, axis) if name == "cumsum" else numpy_method(plain, axis=axis, keepdims=keep)
        return np.asarray(r).view(LEAF_ARRAYS[3])

    method.__name__ = name
    method.__doc__ = doc
    return method


for _name in ("sum", "mean", "prod", "argmax", "argmin", "cumsum", "all", "any", "transpose", "flatten"):
    setattr(ParameterData, _name, _torch_arguments(_name, f"""``{_name}`` with torch's arguments when called with a dim or
    torch's keywords (a numpy array with the tensor methods, see :class:`TensorData`); without arguments or with
    numpy's keywords (``axis=``...), numpy's.

    Example:
        >>> d = ne.tensor([[1.0, 5.0], [7.0, 2.0]]).data
        >>> d.{_name}({'0, 1' if _name == 'transpose' else '0'}).shape
        ({'2, 2' if _name in ('transpose', 'cumsum') else '4,' if _name == 'flatten' else '2,'})
    """))


class DetachedData(ParameterData):
    """An array as torch code reads a detached tensor: a leaf's ``.grad`` (:class:`GradData`) or a ``state_dict()``
    value (:class:`StateData`). Torch's in-place methods (``zero_``, ``mul_``, ``add_``, ``clamp_``, ``copy_``...),
    the Tensor methods numpy lacks (``clone()``, ``cpu()``, ``numel()``, ``size()``...) and the attributes torch
    code reads: ``.data`` (the array itself), ``detach()`` / ``detach_()``, ``requires_grad`` (False) and
    ``requires_grad_(False)``, ``norm()``. Prints as the numpy array it is.

    Example:
        >>> v = np.array([3.0, 4.0], np.float32).view(DetachedData)
        >>> v.clone().norm().item(), v.size(), v.requires_grad
        (5.0, (2,), False)
    """

    requires_grad = False
    grad = None
    is_leaf = True

    def __repr__(self) -> str:  # prints as the numpy array it is
        return repr(self.view(np.ndarray))

    @property
    def data(self) -> DetachedData:  # type: ignore[override]
        """The array itself (torch's ``p.grad.data`` / ``v.data``; numpy's buffer ``memoryview`` is ``.view(np.ndarray).data``).

        Example:
            >>> g = np.zeros(2, np.float32).view(DetachedData)
            >>> g.data is g
            True
        """
        return self

    def detach(self) -> DetachedData:
        """The same memory (this array is not part of a graph).

        Example:
            >>> g = np.ones(2, np.float32).view(DetachedData)
            >>> g.detach().base is g
            True
        """
        return self.view(type(self))

    def detach_(self) -> DetachedData:
        """``self`` (already detached).

        Example:
            >>> g = np.ones(2, np.float32).view(DetachedData)
            >>> g.detach_() is g
            True
        """
        return self

    def requires_grad_(self, requires_grad: bool = True) -> DetachedData:
        """``requires_grad_(False)`` returns ``self``; nnengine records no graph through a gradient or a
        ``state_dict()`` value (no double backward through ``.grad``), so True raises.

        Example:
            >>> g = np.ones(2, np.float32).view(DetachedData)
            >>> g.requires_grad_(False) is g
            True
        """
        if requires_grad:
            raise RuntimeError("requires_grad_: a parameter's .grad or a state_dict() value is a plain array in "
                               "nnengine and cannot require a gradient itself (use nn.Parameter(value) for a new leaf)")
        return self


class GradData(DetachedData):
    """A leaf's ``.grad``: its numpy array with torch's in-place methods (``zero_``, ``mul_``, ``add_``,
    ``clamp_``, ``copy_``...) and the attributes torch code reads on a gradient: ``.data`` (the array itself),
    ``detach()`` / ``detach_()``, ``requires_grad`` (False) and ``requires_grad_(False)``, ``norm()``.

    Example:
        >>> w = nn.Parameter(ne.tensor([1.0, 2.0]))
        >>> (w * w).sum().backward()
        >>> w.grad.data.mul_(0.5)
        array([1., 2.], dtype=float32)
        >>> w.grad.zero_()
        array([0., 0.], dtype=float32)
    """


class StateData(DetachedData):
    """A ``Module.state_dict()`` value, or nnengine's own buffer read as an attribute (``bn.running_mean``): the
    parameter's or buffer's own memory (torch's state_dict shares storage
    with the module: ``own_state[name].copy_(param)`` loads a weight, ``v.clone()`` copies), a numpy array with
    torch's tensor methods (:class:`DetachedData`). ``copy.deepcopy`` copies it (torch's ``best =
    copy.deepcopy(model.state_dict())``); pickled, it becomes a plain numpy array, so a file written from it needs
    no nnengine to read.

    Example:
        >>> m = nn.Linear(2, 1)
        >>> m.state_dict()["bias"].fill_(0.5)
        array([0.5], dtype=float32)
        >>> m.bias.item()
        0.5
    """

    def __reduce__(self) -> Any:
        return np.ndarray.__reduce__(self.view(np.ndarray))


class TensorData(DetachedData):
    """``t.data`` of a tensor whose array is a plain ndarray (an op's output, an input, a buffer): a view of the
    same memory, outside autograd (torch's ``.data``), with torch's tensor methods (:class:`DetachedData`), so
    ``out.data.max(1)[1]``, ``loss.data.cpu().numpy()``, ``target.data.view_as(pred)`` and ``x.data.size(0)`` run
    as in torch; every numpy operation works as on the plain array. Prints as the numpy array it is.

    Example:
        >>> out = ne.tensor([[0.1, 0.9], [0.8, 0.2]]) * 1.0
        >>> out.data.max(1)[1], out.data.cpu().numpy().shape, out.data.size(0)
        (tensor([1, 0]), (2, 2), 2)
    """

    def __reduce__(self) -> Any:  # pickled, a plain numpy array (a file that needs no nnengine to read)
        return np.ndarray.__reduce__(self.view(np.ndarray))


LEAF_ARRAYS[:] = [ParameterData, GradData, StateData, TensorData]


class SharedParameterData(ParameterData):
    """A :class:`ParameterData` in shared memory (``Module.share_memory()``, ``Parameter.share_memory_()``):
    handed to a process started with ``nnengine.multiprocessing`` (its ``Process`` arguments), it arrives as a
    view of the same memory, so every process's in-place optimizer steps land in one set of weights
    (Hogwild!, pytorch/examples' mnist_hogwild). Like multiprocessing's shared arrays, it is passed at process
    start only; pickled elsewhere it raises.

    Example:
        >>> w = nn.Parameter(ne.ones(3)).share_memory_()
        >>> type(w.data).__name__, w.is_shared()
        ('SharedParameterData', True)
    """

    def __reduce__(self) -> Any:
        raw = self.__dict__.get("_raw")
        if raw is None:  # a view or slice of the shared array: an ordinary copy
            return np.ndarray.__reduce__(self.view(ParameterData))
        from multiprocessing.context import get_spawning_popen

        if get_spawning_popen() is None:
            raise RuntimeError("shared parameters are passed to a process through inheritance only (its Process "
                               "arguments), as multiprocessing's shared arrays are; save state_dict() instead")
        return _rebuild_shared, (raw, self.dtype.str, self.shape)


def _rebuild_shared(raw: Any, dtype: str, shape: tuple) -> SharedParameterData:
    n = int(np.prod(shape, dtype=np.int64))
    arr = np.frombuffer(raw, dtype=np.dtype(dtype), count=n).reshape(shape).view(SharedParameterData)
    arr._raw = raw
    return arr


def share_array(arr: np.ndarray) -> SharedParameterData:
    """A copy of ``arr`` in shared memory (a ``multiprocessing.RawArray``), itself if already shared.

    Example:
        >>> share_array(np.arange(3.0)).tolist()
        [0.0, 1.0, 2.0]
    """
    if isinstance(arr, SharedParameterData) and "_raw" in arr.__dict__:
        return arr
    import multiprocessing

    arr = np.asarray(arr)
    raw = multiprocessing.RawArray("b", max(arr.nbytes, 1))
    out = _rebuild_shared(raw, arr.dtype.str, arr.shape)
    out[...] = arr
    return out


class Parameter(Tensor):
    """A Tensor that is a module parameter (requires_grad=True by default). Its ``.data`` is the numpy
    array (a :class:`ParameterData`, which also has torch's in-place methods ``add_``, ``mul_``, ``zero_``...).

    Example:
        >>> w = Parameter(np.zeros((3, 4), np.float32))
        >>> w.data.uniform_(-0.1, 0.1).shape
        (3, 4)
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.zeros((0,), np.float32)
        arr = as_array(data)
        charge_elements(arr.size)  # before the copy below touches the memory
        self._setup(np.array(arr, dtype=np.float32, copy=True), requires_grad)

    @classmethod
    def new(cls, *shape: int, fill: Optional[float] = None) -> Parameter:
        """A fresh float32 Parameter of ``shape``, uninitialised (``fill=None``) or filled; the way layers
        allocate their weights, so a build budget is charged before any memory is reserved.

        Example:
            >>> w = Parameter.new(16, 8)            # then initialised by the layer
            >>> g = Parameter.new(16, fill=1.0)
        """
        charge_elements(int(np.prod(shape, dtype=np.int64)) if all(int(d) >= 0 for d in shape) else 0)
        p = cls.__new__(cls)
        p._setup(np.empty(shape, np.float32) if fill is None else np.full(shape, fill, np.float32), True)
        return p

    def _setup(self, arr: np.ndarray, requires_grad: bool) -> None:
        super().__init__(arr, requires_grad=requires_grad)
        # Keras-style attachments: ``regularizer(p) -> 0-d Tensor`` is summed by
        # Module.regularization_loss(); ``constraint(p)`` is applied in place by optimizer.step().
        self.regularizer: Any = None
        self.constraint: Any = None

    def share_memory_(self) -> Parameter:
        """Move the values into shared memory (see :class:`SharedParameterData`), torch's ``share_memory_``;
        returns self. The gradient stays per process, as torch's (allocated lazily).

        Example:
            >>> nn.Parameter(ne.zeros(2)).share_memory_().is_shared()
            True
        """
        self._data = share_array(self._data)
        return self

    def is_shared(self) -> bool:
        """Whether the values live in shared memory (after ``share_memory_()``).

        Example:
            >>> nn.Parameter(ne.zeros(2)).is_shared()
            False
        """
        return isinstance(self._data, SharedParameterData) and "_raw" in self._data.__dict__

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Buffer(np.ndarray):
    """torch's ``nn.Buffer``: assigning ``module.name = nn.Buffer(data, persistent=True)`` registers ``data`` as a
    buffer, as ``module.register_buffer(name, tensor)`` does: stored as a numpy array, read back as a Tensor
    around it (torch's nn.Buffer is a Tensor).

    Example:
        >>> m = nn.Module(); m.steps = nn.Buffer(ne.zeros(2)); m.tmp = nn.Buffer(ne.ones(1), persistent=False)
        >>> list(m.state_dict()), type(m.steps).__name__
        (['steps'], 'Tensor')
    """

    persistent: bool

    def __new__(cls, data: Any = None, *, persistent: bool = True) -> Buffer:
        arr = np.asarray(as_array(np.zeros(0, np.float32) if data is None else data))
        if arr.dtype == np.float64 and not isinstance(data, (np.ndarray, Tensor)):
            arr = arr.astype(np.float32)
        out = arr.view(cls)
        out.persistent = bool(persistent)
        return out

    def __array_finalize__(self, obj: Any) -> None:
        self.persistent = getattr(obj, "persistent", True)
