"""``Maxout``: the max over groups of ``pieces`` consecutive entries of a dimension."""

from __future__ import annotations

from ... import functional as F
from ...tensor import Tensor
from ..module import Module


class Maxout(Module):
    """Maxout activation (Goodfellow et al. 2013): dim shrinks from ``k * pieces`` to ``k``.

    Example:
        >>> Maxout(4)(ne.randn(8, 64)).shape
        (8, 16)
    """

    def __init__(self, pieces: int, dim: int = 1) -> None:
        super().__init__()
        if isinstance(pieces, bool) or not isinstance(pieces, int) or pieces < 1:
            raise ValueError(f"pieces: expected a positive int, got {pieces!r}")
        self.pieces, self.dim = pieces, dim

    def forward(self, input: Tensor) -> Tensor:
        return F.maxout(input, self.pieces, self.dim)

    def extra_repr(self) -> str:
        return f"pieces={self.pieces}, dim={self.dim}"
