"""``MaxUnpool1d/2d/3d`` (the inverse of max pooling with ``return_indices=True``) and ``LPPool1d/2d``
(power-average pooling, ``LPPool3d`` too), torch's arguments and reprs."""

from __future__ import annotations

from typing import Any, Optional, Sequence

from ... import functional as F
from ...functional._util import number, pair, single, triple
from ...tensor import Tensor
from ..module import Module


class _MaxUnpoolNd(Module):
    _norm = staticmethod(pair)
    _fn = staticmethod(F.max_unpool2d)

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        norm = type(self)._norm
        self.kernel_size = norm(kernel_size, "kernel_size")
        self.stride = norm(stride if stride is not None else kernel_size, "stride")
        self.padding = norm(padding, "padding")

    def forward(self, input: Tensor, indices: Any, output_size: Optional[Sequence[int]] = None) -> Tensor:
        return type(self)._fn(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Puts each value back at the position ``MaxPool1d(return_indices=True)`` took it from; zeros elsewhere.

    Example:
        >>> pool, unpool = nn.MaxPool1d(2, return_indices=True), nn.MaxUnpool1d(2)
        >>> unpool(*pool(ne.tensor([[[1.0, 3.0, 2.0, 0.0]]])))
        tensor([[[0., 3., 2., 0.]]])
    """

    _norm = staticmethod(single)
    _fn = staticmethod(F.max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    """Puts each value back at the position ``MaxPool2d(return_indices=True)`` took it from; zeros elsewhere.

    Example:
        >>> pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
        >>> y, idx = pool(ne.randn(1, 3, 8, 8))
        >>> unpool(y, idx).shape, unpool(y, idx, output_size=(9, 9)).shape
        ((1, 3, 8, 8), (1, 3, 9, 9))
    """


class MaxUnpool3d(_MaxUnpoolNd):
    """Puts each value back at the position ``MaxPool3d(return_indices=True)`` took it from; zeros elsewhere.

    Example:
        >>> pool, unpool = nn.MaxPool3d(2, return_indices=True), nn.MaxUnpool3d(2)
        >>> unpool(*pool(ne.randn(1, 2, 4, 4, 4))).shape
        (1, 2, 4, 4, 4)
    """

    _norm = staticmethod(triple)
    _fn = staticmethod(F.max_unpool3d)


class _LPPoolNd(Module):
    _fn = staticmethod(F.lp_pool2d)

    def __init__(self, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type = norm_type
        number(norm_type, "norm_type")
        self.kernel_size, self.stride, self.ceil_mode = kernel_size, stride, bool(ceil_mode)

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """(sum over each window of x ** norm_type) ** (1 / norm_type) over (N, C, L) input.

    Example:
        >>> nn.LPPool1d(2, 2)(ne.tensor([[[3.0, 4.0, 1.0, 1.0]]]))
        tensor([[[5.    , 1.4142]]])
    """

    _fn = staticmethod(F.lp_pool1d)


class LPPool2d(_LPPoolNd):
    """2-D power-average pooling over (N, C, H, W) input.

    Example:
        >>> nn.LPPool2d(2, 2)(ne.ones(1, 1, 4, 4)).shape
        (1, 1, 2, 2)
    """


class LPPool3d(_LPPoolNd):
    """3-D power-average pooling over (N, C, D, H, W) or (C, D, H, W) input.

    Example:
        >>> nn.LPPool3d(2, 2)(ne.ones(1, 1, 4, 4, 4)).shape
        (1, 1, 2, 2, 2)
    """

    _fn = staticmethod(F.lp_pool3d)
