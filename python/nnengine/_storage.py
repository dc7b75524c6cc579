"""``Tensor.storage()`` / ``Tensor.untyped_storage()``: torch's view of the flat memory a tensor (and every view of
it) lives in. A tensor's storage is the whole root array its data views (the memory ``storage_offset`` counts
from): indexing it reads and writes that memory, so changes show in every tensor on it, as torch's book examples
(``points.storage()[0] = 2.0``) expect; ``data_ptr()`` compares storages (two views of one tensor share one)."""

from __future__ import annotations

from typing import Any, Iterator, List

import numpy as np

from .tensor import _IndexError


def _root(a: np.ndarray) -> np.ndarray:
    """The flat array ``a`` views (itself when it owns its memory); a copy when the root is not one contiguous
    block of a's dtype (then writes to the storage do not reach the tensor)."""
    b = a
    while isinstance(b.base, np.ndarray):
        b = b.base
    if b.dtype == a.dtype and b.flags.c_contiguous:
        return b.reshape(-1)
    return np.ascontiguousarray(a).reshape(-1)


class TypedStorage:
    """The typed flat memory of a tensor (torch's ``TypedStorage``): ``len``, indexing and slicing (read and
    write, through to every tensor on it), iteration, ``tolist()``, ``size()``, ``dtype``, ``element_size()``,
    ``nbytes()``, ``data_ptr()``, ``fill_``.

    Example:
        >>> t = ne.tensor([[4.0, 1.0], [5.0, 3.0]])
        >>> s = t.storage(); s[0] = 2.0
        >>> len(s), t[0, 0].item(), t[1:].storage().data_ptr() == s.data_ptr()
        (4, 2.0, True)
    """

    def __init__(self, flat: np.ndarray) -> None:
        self._flat = flat

    @property
    def dtype(self) -> np.dtype:
        """The element type.

        Example:
            >>> ne.zeros(2).storage().dtype
            dtype('float32')
        """
        return self._flat.dtype

    @property
    def device(self) -> Any:
        """The CPU.

        Example:
            >>> ne.zeros(2).storage().device
            device(type='cpu')
        """
        from ._device import device

        return device("cpu")

    def __len__(self) -> int:
        return int(self._flat.size)

    def size(self) -> int:
        """The number of elements.

        Example:
            >>> ne.zeros(2, 3).storage().size()
            6
        """
        return len(self)

    def element_size(self) -> int:
        """Bytes per element.

        Example:
            >>> ne.zeros(2).storage().element_size()
            4
        """
        return int(self._flat.itemsize)

    def nbytes(self) -> int:
        """The size in bytes.

        Example:
            >>> ne.zeros(2, 3).storage().nbytes()
            24
        """
        return int(self._flat.nbytes)

    def data_ptr(self) -> int:
        """The address of the first element: equal for every tensor on this memory.

        Example:
            >>> t = ne.zeros(4); t.storage().data_ptr() == t[2:].storage().data_ptr()
            True
        """
        return int(self._flat.__array_interface__["data"][0])

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return type(self)(self._flat[i])
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"index: expected an int or a slice, got {type(i).__name__}")
        if not -len(self) <= i < len(self):
            raise _IndexError(f"index {i} out of range for storage of size {len(self)}")
        return self._flat[int(i)].item()

    def __setitem__(self, i: Any, value: Any) -> None:
        if not isinstance(i, slice) and (isinstance(i, bool) or not isinstance(i, (int, np.integer))):
            raise TypeError(f"index: expected an int or a slice, got {type(i).__name__}")
        if not isinstance(i, slice) and not -len(self) <= i < len(self):
            raise _IndexError(f"index {i} out of range for storage of size {len(self)}")
        self._flat[i] = value

    def __iter__(self) -> Iterator[Any]:
        return iter(self.tolist())

    def tolist(self) -> List[Any]:
        """The elements as Python numbers.

        Example:
            >>> ne.tensor([[1, 2], [3, 4]]).t().storage().tolist()
            [1, 2, 3, 4]
        """
        return self._flat.tolist()

    def fill_(self, value: Any) -> TypedStorage:
        """Every element set to ``value`` (in place, seen by every tensor on this memory).

        Example:
            >>> t = ne.zeros(3); _ = t.storage().fill_(7); t
            tensor([7., 7., 7.])
        """
        self._flat[...] = value
        return self

    def __repr__(self) -> str:
        body = "\n".join(f" {v}" for v in self._flat.tolist())
        head = f"[nnengine.{type(self).__name__}(dtype={self.dtype}, device=cpu) of size {len(self)}]"
        return (body + "\n" if body else "") + head


class UntypedStorage(TypedStorage):
    """The same memory as bytes (torch's ``UntypedStorage``): ``len`` and ``nbytes()`` in bytes, ``data_ptr()``.

    Example:
        >>> t = ne.zeros(4); t.untyped_storage().nbytes(), t.untyped_storage().data_ptr() == t.data_ptr()
        (16, True)
    """


def storage(self: Any) -> TypedStorage:
    """torch's ``Tensor.storage()``: the flat memory this tensor views (shared with its views; see TypedStorage).

    Example:
        >>> p = ne.tensor([[4.0, 1.0], [5.0, 3.0], [2.0, 1.0]])
        >>> p.storage()[1], p[1].storage_offset()
        (1.0, 2)
    """
    return TypedStorage(_root(self._data))


def untyped_storage(self: Any) -> UntypedStorage:
    """torch's ``Tensor.untyped_storage()``: the flat memory as bytes (``data_ptr()`` compares tensors' storages).

    Example:
        >>> t = ne.zeros(2, 3); t.untyped_storage().data_ptr() == t[1].untyped_storage().data_ptr()
        True
    """
    return UntypedStorage(_root(self._data).view(np.uint8))


def _int_list(v: Any, name: str) -> tuple:
    vals = tuple(v) if isinstance(v, (tuple, list)) else (v,)
    if any(isinstance(a, bool) or not isinstance(a, (int, np.integer)) or a < 0 for a in vals):
        raise ValueError(f"{name}: expected non-negative ints, got {v!r}")
    return tuple(int(a) for a in vals)


def as_strided(self: Any, size: Any, stride: Any, storage_offset: Any = None) -> Any:
    """torch's ``Tensor.as_strided``: the elements storage[offset + sum(i_k * stride_k)] of this tensor's storage
    (``storage_offset`` defaults to this tensor's), e.g. overlapping sliding windows. Without gradients it is a view
    of that memory, as torch's; on a tape it is a differentiable gather from this tensor's own elements (a copy;
    overlapping windows add their gradients), which must hold every element the view reaches.

    Example:
        >>> ne.arange(6.0).as_strided((4, 3), (1, 1))  # every window of 3
        tensor([[0., 1., 2.],
                [1., 2., 3.],
                [2., 3., 4.],
                [3., 4., 5.]])
    """
    from .autograd import is_grad_enabled
    from .tensor import Tensor

    shape, steps = _int_list(size, "size"), _int_list(stride, "stride")
    if len(shape) != len(steps):
        raise ValueError(f"stride: expected {len(shape)} values (one per size), got {stride!r}")
    own = self.storage_offset()
    offset = own if storage_offset is None else _int_list(storage_offset, "storage_offset")[0]
    root = _root(self._data)
    empty = 0 in shape
    last = offset + sum((n - 1) * s for n, s in zip(shape, steps))  # the farthest element (Python ints: no overflow)
    if not empty and last >= root.size:
        raise ValueError(f"size/stride: the view reaches element {last} of a storage of {root.size} "
                         f"(size {shape}, stride {steps}, storage_offset {offset})")
    if self.requires_grad and is_grad_enabled():
        inside = empty or (offset >= own and last < own + self._data.size)
        if not (self._data.flags.c_contiguous and inside):
            raise ValueError("as_strided: on a tensor that requires grad, the view must stay inside the tensor's own "
                             "contiguous elements (call .contiguous() first, or detach)")
        idx = np.full(shape, offset - own, np.int64)
        for d, (n, st) in enumerate(zip(shape, steps)):
            idx += (np.arange(n, dtype=np.int64) * st).reshape((n,) + (1,) * (len(shape) - d - 1))
        return self.reshape(-1)[Tensor._wrap(idx)]
    item = root.itemsize
    view = np.lib.stride_tricks.as_strided(root[offset:] if offset < root.size else root[:0], shape,
                                           tuple(s * item for s in steps))
    return Tensor._wrap(view)
