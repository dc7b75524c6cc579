"""``Dropout``: inverted dropout while training, identity in eval mode."""

from __future__ import annotations

from ... import functional as F
from ...functional._util import probability
from ...tensor import Tensor
from ..module import Module


class Dropout(Module):
    """Zero each element with probability ``p`` while training and scale the rest by 1/(1-p).

    Example:
        >>> d = Dropout(0.5)
        >>> d(ne.ones(2, 4)).shape, d.eval()(ne.ones(3))
        ((2, 4), tensor([1., 1., 1.]))
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p = probability(p)
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={bool(self.inplace)}"


class _DropoutNd(Dropout):
    _fn = staticmethod(F.dropout2d)

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, self.p, self.training)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p`` while training (the rest scaled
    by 1/(1-p)); identity in eval mode.

    Example:
        >>> Dropout1d(0.2)(ne.ones(2, 3, 10)).shape
        (2, 3, 10)
    """

    _fn = staticmethod(F.dropout1d)


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) input with probability ``p`` while training (a 3-D input is read as
    (N, C, L), as torch does); identity in eval mode.

    Example:
        >>> Dropout2d(0.2)(ne.ones(2, 3, 5, 5)).shape
        (2, 3, 5, 5)
    """

    _fn = staticmethod(F.dropout2d)


class AlphaDropout(Dropout):
    """Alpha dropout for SELU networks: dropped elements take SELU's saturation value and an affine map keeps
    zero mean and unit variance while training; identity in eval mode.

    Example:
        >>> AlphaDropout(0.2)(ne.zeros(2, 4)).shape
        (2, 4)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.alpha_dropout(input, self.p, self.training, bool(self.inplace))

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={bool(self.inplace)}"


class FeatureAlphaDropout(AlphaDropout):
    """Alpha dropout of whole channels (dim 1 of (N, C, ...)) while training; identity in eval mode.

    Example:
        >>> FeatureAlphaDropout(0.2)(ne.zeros(2, 4, 3)).shape
        (2, 4, 3)
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.feature_alpha_dropout(input, self.p, self.training, bool(self.inplace))


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability ``p`` while training (the
    rest scaled by 1/(1-p)); identity in eval mode.

    Example:
        >>> Dropout3d(0.2)(ne.ones(2, 3, 2, 4, 4)).shape
        (2, 3, 2, 4, 4)
    """

    _fn = staticmethod(F.dropout3d)
