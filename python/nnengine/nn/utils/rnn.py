"""``torch.nn.utils.rnn``: ``pad_sequence`` (variable-length sequences to one padded batch)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ...tensor import Tensor, cat, stack

__all__ = ["pad_sequence"]


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


