"""``Tensor.storage()`` / ``Tensor.untyped_storage()``: torch's view of the flat memory a tensor (and every view of
it) lives in. A tensor's storage is the whole root array its data views (the memory ``storage_offset`` counts
from): indexing it reads and writes that memory, so changes show in every tensor on it, as torch's book examples
(``points.storage()[0] = 2.0``) expect; ``data_ptr()`` compares storages (two views of one tensor share one)."""

from __future__ import annotations

from typing import Any, Iterator, List

import numpy as np


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
            raise IndexError(f"index {i} out of range for storage of size {len(self)}")
        return self._flat[int(i)].item()

    def __setitem__(self, i: Any, value: Any) -> None:
        if not isinstance(i, slice) and (isinstance(i, bool) or not isinstance(i, (int, np.integer))):
            raise TypeError(f"index: expected an int or a slice, got {type(i).__name__}")
        if not isinstance(i, slice) and not -len(self) <= i < len(self):
            raise IndexError(f"index {i} out of range for storage of size {len(self)}")
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
