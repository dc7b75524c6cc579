"""Sparse COO matrices, the part of ``torch.sparse`` that graph networks use (pytorch/examples' gcn and gat):
``ne.sparse_coo_tensor``, ``Tensor.to_sparse()``, ``indices() / values() / coalesce() / to_dense()``, and the
products ``sparse @ dense``, ``torch.mm``, ``torch.spmm``, ``torch.sparse.mm``, differentiable in the dense
operand. Each product reads only the stored entries (O(nnz x columns)).

Unlike torch, a sparse tensor here also keeps its dense values as ``.data``, so every other op (``dense +
sparse``, ``dense @ sparse``, reductions) simply computes densely and returns a dense tensor; memory is not
saved. Gradients with respect to a sparse operand are not supported (a clear error).

Example:
    >>> a = ne.sparse_coo_tensor([[0, 1, 1], [2, 0, 0]], [1.0, 2.0, 3.0], (2, 3))
    >>> a.coalesce().values().tolist(), (a @ ne.ones(3, 1)).tolist()
    ([1.0, 5.0], [[1.0], [5.0]])
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ._dtypes import to_dtype
from .autograd import Function
from .tensor import Tensor, _as_array, _InputError


class _Holder:
    __slots__ = ("a",)

    def __init__(self, a: Any) -> None:
        self.a = a


class _SparseDenseMM(Function):
    """``A @ B`` for the COO matrix A (row-sorted, duplicate-free) and the dense 2-D B."""

    @staticmethod
    def forward(ctx, b, holder):
        ctx.a = a = holder.a  # (in a holder: a Tensor argument would arrive as its dense array)
        return a._product(b)

    @staticmethod
    def backward(ctx, g):
        a = ctx.a
        rows, cols = a._indices
        gb = np.zeros((a.shape[1],) + g.shape[1:], g.dtype)
        np.add.at(gb, cols, a._values.astype(g.dtype)[:, None] * g[rows])
        return gb, None


class SparseTensor(Tensor):
    """A 2-D (or any-rank) sparse COO tensor: ``indices()`` (ndim, nnz) int64, ``values()`` (nnz,), torch's layout
    ``sparse_coo``. Build it with :func:`sparse_coo_tensor` or ``Tensor.to_sparse()``.

    Example:
        >>> s = ne.eye(3).to_sparse()
        >>> s.is_sparse, s._nnz(), s.to_dense().is_sparse
        (True, 3, False)
    """

    is_sparse = True
    layout = "sparse_coo"

    def __init__(self, indices: Any, values: Any, size: Any, dtype: Any = None, coalesced: bool = False) -> None:
        idx = np.asarray(_as_array(indices), dtype=np.int64)
        vals = _as_array(values)
        dt = to_dtype(dtype)
        if dt is not None:
            vals = vals.astype(dt)
        elif vals.dtype.kind not in "fbiu":
            raise TypeError(f"values: expected numbers, got dtype {vals.dtype}")
        shape = tuple(int(n) for n in size)
        if idx.ndim != 2 or idx.shape[0] != len(shape) or vals.ndim != 1 or vals.shape[0] != idx.shape[1]:
            raise ValueError(f"indices: expected shape (ndim={len(shape)}, nnz) with values (nnz,), got "
                             f"{idx.shape} and {vals.shape}")
        if idx.size and (idx.min() < 0 or np.any(idx.max(axis=1) >= np.asarray(shape))):
            raise ValueError(f"indices: out of bounds for size {shape}")
        dense = np.zeros(shape, vals.dtype)
        np.add.at(dense, tuple(idx), vals)
        Tensor.__init__(self, dense, dtype=vals.dtype)
        self._indices, self._values, self._coalesced = idx, vals, coalesced

    # ------------------------------------------------------------------ torch's sparse accessors
    def _nnz(self) -> int:
        """The number of stored entries (duplicates counted until ``coalesce()``).

        Example:
            >>> ne.sparse_coo_tensor([[0, 0]], [1.0, 2.0], (3,))._nnz()
            2
        """
        return int(self._values.shape[0])

    def is_coalesced(self) -> bool:
        """Whether the indices are sorted and duplicate-free (True after ``coalesce()``).

        Example:
            >>> ne.sparse_coo_tensor([[0, 0]], [1.0, 2.0], (3,)).coalesce().is_coalesced()
            True
        """
        return self._coalesced

    def coalesce(self) -> SparseTensor:
        """Duplicates summed, indices sorted (row-major), as torch's ``coalesce``.

        Example:
            >>> ne.sparse_coo_tensor([[1, 0, 1]], [1.0, 2.0, 3.0], (3,)).coalesce().values().tolist()
            [2.0, 4.0]
        """
        if self._coalesced:
            return self
        flat = np.ravel_multi_index(tuple(self._indices), self.shape) if self._indices.size else \
            np.zeros(0, np.int64)
        keys, inv = np.unique(flat, return_inverse=True)
        vals = np.zeros(keys.shape[0], self._values.dtype)
        np.add.at(vals, inv.reshape(-1), self._values)
        idx = np.stack(np.unravel_index(keys, self.shape)) if keys.size else np.zeros((self.ndim, 0), np.int64)
        return SparseTensor(idx, vals, self.shape, coalesced=True)

    def indices(self) -> Tensor:
        """The (ndim, nnz) int64 indices; torch requires a coalesced tensor, and so does this.

        Example:
            >>> ne.eye(2).to_sparse().indices().tolist()
            [[0, 1], [0, 1]]
        """
        if not self._coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call .coalesce() first")
        return Tensor._wrap(self._indices.copy())

    def values(self) -> Tensor:
        """The (nnz,) stored values; torch requires a coalesced tensor, and so does this.

        Example:
            >>> ne.eye(2).to_sparse().values().tolist()
            [1.0, 1.0]
        """
        if not self._coalesced:
            raise RuntimeError("Cannot get values on an uncoalesced tensor, please call .coalesce() first")
        return Tensor._wrap(self._values.copy())

    def to_dense(self, dtype: Any = None) -> Tensor:
        """The dense (strided) tensor, duplicates summed.

        Example:
            >>> ne.sparse_coo_tensor([[0, 0]], [1.0, 2.0], (2,)).to_dense().tolist()
            [3.0, 0.0]
        """
        arr = self._data.copy()
        return Tensor._wrap(arr if dtype is None else arr.astype(to_dtype(dtype)))

    def to_sparse(self, *args: Any, **kwargs: Any) -> SparseTensor:
        """Already sparse: itself.

        Example:
            >>> s = ne.eye(2).to_sparse()
            >>> s.to_sparse() is s
            True
        """
        return self

    # ------------------------------------------------------------------ products
    def _product(self, b: np.ndarray) -> np.ndarray:
        a = self.coalesce()
        rows, cols = a._indices
        dt = b.dtype if a._values.dtype.kind in "biu" else np.promote_types(a._values.dtype, b.dtype)
        out = np.zeros((self.shape[0],) + b.shape[1:], dt)
        if rows.size:
            contrib = a._values.astype(dt)[:, None] * b[cols].astype(dt, copy=False)
            starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])  # rows are sorted after coalesce
            out[rows[starts]] = np.add.reduceat(contrib, starts, axis=0)
        return out

    def __matmul__(self, o: Any) -> Tensor:
        other = o if isinstance(o, Tensor) else Tensor._wrap(_as_array(o))
        if self.ndim != 2 or other.ndim != 2:
            raise _InputError(f"sparse @ dense: expected 2-D operands, got {self.ndim}-D and {other.ndim}-D")
        if self.shape[1] != other.shape[0]:
            raise _InputError(f"mat1 and mat2 shapes cannot be multiplied ({self.shape[0]}x{self.shape[1]} and "
                               f"{other.shape[0]}x{other.shape[1]})")
        if self.requires_grad:
            raise NotImplementedError("gradients with respect to a sparse operand are not supported")
        a = self.coalesce()
        if isinstance(other, SparseTensor):  # sparse @ sparse stays sparse, as torch's
            return _from_dense(a._product(other._data))
        return _SparseDenseMM.apply(other, _Holder(a))

    def __repr__(self) -> str:
        a = self.coalesce() if self._coalesced else self
        return (f"tensor(indices={Tensor._wrap(a._indices)!r},\n       values={Tensor._wrap(a._values)!r},\n"
                f"       size={self.shape}, nnz={self._nnz()}, layout=torch.sparse_coo)")


def _from_dense(arr: np.ndarray) -> SparseTensor:
    idx = np.stack(np.nonzero(arr)) if arr.ndim else np.zeros((0, 1), np.int64)
    return SparseTensor(idx, arr[tuple(idx)], arr.shape, coalesced=True)


def to_sparse(t: Tensor) -> SparseTensor:
    """The COO form of a dense tensor (its nonzero entries), torch's ``Tensor.to_sparse()``.

    Example:
        >>> to_sparse(ne.tensor([[0.0, 2.0], [3.0, 0.0]]))._nnz()
        2
    """
    return t if isinstance(t, SparseTensor) else _from_dense(t._data)


def sparse_coo_tensor(indices: Any, values: Any, size: Optional[Any] = None, *, dtype: Any = None,
                      device: Any = None, requires_grad: bool = False, **_: Any) -> SparseTensor:
    """torch's ``sparse_coo_tensor``: entries ``values[k]`` at ``indices[:, k]`` (duplicates add up); ``size``
    defaults to the smallest that holds the indices.

    Example:
        >>> ne.sparse_coo_tensor([[0, 1], [1, 0]], [5, 7], (2, 2), dtype=ne.float32).to_dense().tolist()
        [[0.0, 5.0], [7.0, 0.0]]
    """
    from ._device import check_device

    check_device(device)
    idx = np.asarray(_as_array(indices), dtype=np.int64)
    if idx.ndim != 2:
        raise ValueError(f"sparse_coo_tensor: indices: expected a 2-D (ndim, nnz) array, got shape {idx.shape}")
    if size is None:
        size = tuple(int(n) + 1 for n in idx.max(axis=1)) if idx.size else (0,) * idx.shape[0]
    s = SparseTensor(idx, values, size, dtype=dtype)
    if requires_grad:
        raise NotImplementedError("sparse_coo_tensor: requires_grad=True is not supported (sparse gradients)")
    return s


def mm(mat1: Tensor, mat2: Tensor) -> Tensor:
    """torch.sparse.mm: ``mat1 @ mat2`` with a sparse ``mat1`` (dense result for a dense ``mat2``),
    differentiable in the dense operand.

    Example:
        >>> mm(ne.eye(2).to_sparse(), ne.ones(2, 3)).shape
        (2, 3)
    """
    if not isinstance(mat1, Tensor):
        raise TypeError(f"mat1: expected a Tensor, got {type(mat1).__name__}")
    return mat1 @ mat2


def spmm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002  torch's name
    """torch.spmm: a sparse (or dense) matrix times a dense one.

    Example:
        >>> spmm(ne.eye(2).to_sparse(), ne.ones(2, 1)).tolist()
        [[1.0], [1.0]]
    """
    return mm(input, mat2)
