"""``Maxout``: the max over groups of ``pieces`` consecutive entries of a dimension."""

from __future__ import annotations

from ... import functional as F
from ...functional._util import positive_int
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
        self.pieces, self.dim = positive_int(pieces, "pieces"), dim

    def forward(self, input: Tensor) -> Tensor:
        return F.maxout(input, self.pieces, self.dim)

    def extra_repr(self) -> str:
        return f"pieces={self.pieces}, dim={self.dim}"
