"""Pooling layers: ``MaxPool2d``, ``AvgPool2d``, ``MinPool2d`` (PyTorch's arguments and defaults)."""

from __future__ import annotations

from typing import Optional, Tuple, Union

from ... import functional as F
from ...tensor import Tensor
from ..module import Module

IntPair = Union[int, Tuple[int, int]]


class _Pool2d(Module):
    _fn = staticmethod(F.max_pool2d)

    def __init__(self, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def forward(self, input: Tensor) -> Tensor:
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Max over each kernel_size window (stride defaults to kernel_size).

    Example:
        >>> y = MaxPool2d(2)(x)   # (N, C, 28, 28) -> (N, C, 14, 14)
    """

    _fn = staticmethod(F.max_pool2d)


class AvgPool2d(_Pool2d):
    """Average over each window; padding counts as zeros (count_include_pad=True).

    Example:
        >>> y = AvgPool2d(2)(x)
    """

    _fn = staticmethod(F.avg_pool2d)


class MinPool2d(_Pool2d):
    """Minimum over each window (padded positions are ignored).

    Example:
        >>> y = MinPool2d(3, stride=2, padding=1)(x)
    """

    _fn = staticmethod(F.min_pool2d)
