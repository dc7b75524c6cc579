"""``Unfold`` (im2col) and ``Fold`` (col2im) layers, torch's ``nn.modules.fold``, over ``F.unfold`` / ``F.fold``."""

from __future__ import annotations

from typing import Any

from ... import functional as F
from ...tensor import Tensor
from ..module import Module


class Unfold(Module):
    """Sliding ``kernel_size`` blocks of (N, C, H, W) input as columns (N, C * kh * kw, L).

    Example:
        >>> nn.Unfold(kernel_size=2)(ne.randn(1, 3, 4, 5)).shape
        (1, 12, 12)
    """

    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> None:
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
                f"stride={self.stride}")


class Fold(Module):
    """Sum columns (N, C * kh * kw, L) back into (N, C, *output_size) (overlaps add up).

    Example:
        >>> nn.Fold(output_size=(4, 5), kernel_size=2)(ne.randn(1, 12, 12)).shape
        (1, 3, 4, 5)
    """

    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
                 stride: Any = 1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
