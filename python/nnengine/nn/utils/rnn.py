"""``torch.nn.utils.rnn``: ``pad_sequence`` (variable-length sequences to one padded batch) and packed
sequences (``PackedSequence``, ``pack_padded_sequence``, ``pad_packed_sequence``, ``pack_sequence``) that
``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` accept with torch's semantics."""

from __future__ import annotations

from typing import Any, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from ..._coerce import as_array
from ...tensor import Tensor, cat, stack

__all__ = ["PackedSequence", "pack_padded_sequence", "pack_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "unpack_sequence"]


def pad_sequence(sequences: Sequence[Tensor], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack tensors of shapes ``(L_i, *)`` into ``(max L, B, *)`` (``batch_first``: ``(B, max L, *)``), each
    padded with ``padding_value`` on ``padding_side``; differentiable, dtypes kept (token ids stay int64).

    Example:
        >>> from nnengine.nn.utils.rnn import pad_sequence
        >>> pad_sequence([ne.tensor([1, 2, 3]), ne.tensor([4])], batch_first=True)
        tensor([[1, 2, 3],
                [4, 0, 0]])
    """
    if isinstance(sequences, Tensor) or not isinstance(sequences, (list, tuple)):
        raise TypeError(f"pad_sequence: sequences: expected a list or tuple of Tensors, got "
                        f"{type(sequences).__name__}")
    if not sequences:
        raise ValueError("pad_sequence: sequences: expected at least one Tensor, got an empty sequence")
    if padding_side not in ("left", "right"):
        raise ValueError(f"pad_sequence: padding_side: expected 'left' or 'right', got {padding_side!r}")
    for i, s in enumerate(sequences):
        if not isinstance(s, Tensor):
            raise TypeError(f"pad_sequence: sequences[{i}]: expected a Tensor, got {type(s).__name__}")
        if s.ndim < 1:
            raise ValueError(f"pad_sequence: sequences[{i}]: expected at least one dimension, got a 0-d tensor")
        if s.shape[1:] != sequences[0].shape[1:]:
            raise ValueError(f"pad_sequence: sequences[{i}]: expected trailing dims {sequences[0].shape[1:]} "
                             f"(those of sequences[0]), got shape {s.shape}")
    longest = max(s.shape[0] for s in sequences)
    rows = []
    for s in sequences:
        fill = longest - s.shape[0]
        if fill:
            pad = Tensor(np.full((fill,) + s.shape[1:], padding_value, dtype=s.dtype), dtype=s.dtype)
            s = cat([s, pad] if padding_side == "right" else [pad, s], 0)
        rows.append(s)
    return stack(rows, 1 if not batch_first else 0)




class PackedSequence(NamedTuple):
    """Variable-length sequences packed time step by time step (torch's layout): ``data`` holds, for each
    step ``t``, the rows of the ``batch_sizes[t]`` sequences still running, longest first; ``sorted_indices``
    maps that order to the original batch (None when the batch was already sorted), ``unsorted_indices`` back.

    Example:
        >>> from nnengine.nn.utils.rnn import pack_padded_sequence
        >>> p = pack_padded_sequence(ne.ones(3, 2, 4), [3, 1])
        >>> p.data.shape, p.batch_sizes.tolist()
        ((4, 4), [2, 1, 1])
    """

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Optional[Tensor] = None
    unsorted_indices: Optional[Tensor] = None


def _lengths(lengths: Any, batch: int) -> np.ndarray:
    arr = as_array(lengths)
    if arr.ndim != 1 or arr.dtype.kind not in "iu" and not (arr.dtype.kind == "f" and np.all(arr == np.floor(arr))):
        raise ValueError(f"lengths: expected a 1-D sequence of ints, got {lengths!r}")
    if arr.shape[0] != batch:
        raise ValueError(f"lengths: expected {batch} lengths (the batch size), got {arr.shape[0]}")
    if arr.size and arr.min() < 1:
        raise ValueError(f"lengths: expected every length >= 1, got {arr.min()}")
    return arr.astype(np.int64)


def pack_sorted(padded: Tensor, batch_sizes: np.ndarray) -> Tensor:
    """The packed ``data`` of a time-major ``padded`` batch whose sequences are sorted longest first."""
    return cat([padded[t, : int(b)] for t, b in enumerate(batch_sizes)], 0)


def unpack_sorted(data: Tensor, batch_sizes: np.ndarray, padding_value: float = 0.0,
                  total_length: Optional[int] = None) -> Tensor:
    """The time-major padded batch ``(T, B, *)`` (sorted order) of packed ``data``."""
    batch, steps, rows, start = int(batch_sizes[0]), len(batch_sizes), [], 0
    steps_out = steps if total_length is None else int(total_length)
    for t in range(steps_out):
        b = int(batch_sizes[t]) if t < steps else 0
        row = data[start: start + b]
        start += b
        if b < batch:
            fill = Tensor(np.full((batch - b,) + data.shape[1:], padding_value, dtype=data.dtype), dtype=data.dtype)
            row = cat([row, fill], 0) if b else fill
        rows.append(row)
    return stack(rows, 0)


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch ``(T, B, *)`` (``batch_first``: ``(B, T, *)``) of sequences of ``lengths``;
    ``enforce_sorted=True`` requires lengths in decreasing order, otherwise the batch is sorted (and the
    order recorded, so outputs come back in the original order).

    Example:
        >>> p = pack_padded_sequence(ne.zeros(3, 3, 5), [2, 3, 1], batch_first=True, enforce_sorted=False)
        >>> p.batch_sizes.tolist(), p.sorted_indices.tolist()
        ([3, 2, 1], [1, 0, 2])
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pack_padded_sequence: input: expected a Tensor, got {type(input).__name__}")
    if input.ndim < 2:
        raise ValueError(f"pack_padded_sequence: input: expected at least 2 dimensions, got shape {input.shape}")
    x = input.transpose(0, 1) if batch_first else input
    lens = _lengths(lengths, x.shape[1])
    if lens.size and lens.max() > x.shape[0]:
        raise ValueError(f"lengths: a length ({lens.max()}) exceeds the padded sequence length {x.shape[0]}")
    sorted_idx = unsorted_idx = None
    if enforce_sorted:
        if np.any(np.diff(lens) > 0):
            raise ValueError(f"lengths: expected a decreasing order with enforce_sorted=True, got {lens.tolist()}")
    else:
        order = np.argsort(-lens, kind="stable")
        sorted_idx = Tensor(order, dtype=np.int64)
        unsorted_idx = Tensor(np.argsort(order, kind="stable"), dtype=np.int64)
        x, lens = x.index_select(1, order), lens[order]
    batch_sizes = np.array([(lens > t).sum() for t in range(int(lens[0]))], dtype=np.int64)
    return PackedSequence(pack_sorted(x, batch_sizes), Tensor(batch_sizes, dtype=np.int64), sorted_idx, unsorted_idx)


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of ``(L_i, *)`` tensors (``pad_sequence`` then ``pack_padded_sequence``).

    Example:
        >>> pack_sequence([ne.ones(3, 2), ne.ones(1, 2)]).batch_sizes.tolist()
        [2, 1, 1]
    """
    padded = pad_sequence(sequences)
    return pack_padded_sequence(padded, [s.shape[0] for s in sequences], enforce_sorted=enforce_sorted)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: Optional[int] = None) -> Tuple[Tensor, Tensor]:
    """Undo ``pack_padded_sequence``: the padded batch (original order) and the int64 lengths.

    Example:
        >>> x = ne.arange(6.0).reshape(3, 2, 1)
        >>> out, lens = pad_packed_sequence(pack_padded_sequence(x, [3, 2]))
        >>> lens.tolist(), out[:, 1, 0].tolist()  # the second sequence is zero past its length
        ([3, 2], [1.0, 3.0, 0.0])
    """
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"pad_packed_sequence: sequence: expected a PackedSequence, got {type(sequence).__name__}")
    bs = np.asarray(sequence.batch_sizes._data, dtype=np.int64)
    if total_length is not None and total_length < len(bs):
        raise ValueError(f"total_length: expected at least the longest length {len(bs)}, got {total_length}")
    out = unpack_sorted(sequence.data, bs, padding_value, total_length)
    lens = np.array([(bs > b).sum() for b in range(int(bs[0]))], dtype=np.int64)
    if sequence.unsorted_indices is not None:
        order = np.asarray(sequence.unsorted_indices._data)
        out, lens = out.index_select(1, order), lens[order]
    return (out.transpose(0, 1) if batch_first else out), Tensor(lens, dtype=np.int64)


def unpad_sequence(padded_sequences: Tensor, lengths: Any, batch_first: bool = False) -> List[Tensor]:
    """The inverse of ``pad_sequence``: each sequence of the padded batch cut to its length (a list of Tensors,
    differentiable slices).

    Example:
        >>> seqs = unpad_sequence(pad_sequence([ne.ones(3), ne.ones(1)]), ne.tensor([3, 1]))
        >>> [s.shape for s in seqs]
        [(3,), (1,)]
    """
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    lens = np.asarray(as_array(lengths)).reshape(-1)
    if lens.shape != (x.shape[0],):
        raise ValueError(f"lengths: expected {x.shape[0]} lengths (one per sequence), got {lens.tolist()}")
    if np.any(lens < 0) or np.any(lens > x.shape[1]):
        raise ValueError(f"lengths: expected values in [0, {x.shape[1]}], got {lens.tolist()}")
    return [x[i, : int(n)] for i, n in enumerate(lens)]


def unpack_sequence(packed_sequences: PackedSequence) -> List[Tensor]:
    """The inverse of ``pack_sequence``: the list of (unpadded) sequences, in their original order.

    Example:
        >>> seqs = unpack_sequence(pack_sequence([ne.ones(3), ne.ones(1)]))
        >>> [s.shape for s in seqs]
        [(3,), (1,)]
    """
    padded, lens = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lens, batch_first=True)
