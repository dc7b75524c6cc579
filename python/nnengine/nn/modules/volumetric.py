"""3-D layers (volumes, video clips) with PyTorch's names, arguments, attributes and reprs: ``Conv3d``,
``ConvTranspose3d``, ``MaxPool3d``, ``AvgPool3d``, ``AdaptiveAvgPool3d``, ``AdaptiveMaxPool3d``
(``BatchNorm3d``: batchnorm.py). Their functional forms run on the 2-D kernels (``functional/_volumetric.py``)."""

from __future__ import annotations

from typing import Any, Optional, Sequence

from ... import functional as F
from ...tensor import Tensor
from .conv import _ConvNd, _ConvTransposeNd
from .pooling import _AdaptivePool, _AvgPoolNd, _MaxPoolNd


class Conv3d(_ConvNd):
    """3-D convolution over (N, C, D, H, W) or (C, D, H, W) input; weight (out, in/groups, kD, kH, kW), torch's
    default init; ``padding_mode`` 'zeros' or 'circular'.

    Example:
        >>> conv = Conv3d(3, 8, 3, padding=1)
        >>> conv(ne.randn(2, 3, 4, 16, 16)).shape
        (2, 8, 4, 16, 16)
    """

    _spatial = 3

    def forward(self, input: Tensor) -> Tensor:
        x, padding = self._padded(input)
        return F.conv3d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution over (N, C, D, H, W) or (C, D, H, W); weight (in, out/groups, kD, kH, kW) as
    torch; ``output_size`` in forward picks the output padding as torch.

    Example:
        >>> up = ConvTranspose3d(8, 4, 2, stride=2)
        >>> up(ne.randn(1, 8, 2, 4, 4)).shape
        (1, 4, 4, 8, 8)
    """

    _spatial = 3

    def forward(self, input: Tensor, output_size: Optional[Sequence[int]] = None) -> Tensor:
        op = self._output_padding(input, output_size)
        return F.conv_transpose3d(input, self.weight, self.bias, self.stride, self.padding, op, self.groups,
                                  self.dilation)


class MaxPool3d(_MaxPoolNd):
    """Max over each kernel_size volume window (stride defaults to kernel_size; dilation 1 only); ``ceil_mode``
    and ``return_indices`` as torch.

    Example:
        >>> MaxPool3d(2)(ne.randn(2, 3, 4, 8, 8)).shape
        (2, 3, 2, 4, 4)
    """

    _fn = staticmethod(F.max_pool3d)


class AvgPool3d(_AvgPoolNd):
    """Average over each volume window, torch's arguments (``count_include_pad``, ``ceil_mode``,
    ``divisor_override`` as ``AvgPool2d``).

    Example:
        >>> AvgPool3d(2, stride=2)(ne.randn(2, 3, 4, 8, 8)).shape
        (2, 3, 2, 4, 4)
    """

    _fn = staticmethod(F.avg_pool3d)


class AdaptiveAvgPool3d(_AdaptivePool):
    """Average pooling of (N, C, D, H, W) or (C, D, H, W) to a fixed output size (None keeps the input's size).

    Example:
        >>> AdaptiveAvgPool3d(1)(ne.randn(2, 8, 4, 7, 7)).shape
        (2, 8, 1, 1, 1)
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__(output_size)

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool3d(_AdaptivePool):
    """Max pooling of volumes to a fixed output size; ``return_indices`` as torch (flat d * H * W + h * W + w).

    Example:
        >>> AdaptiveMaxPool3d((2, 1, 1))(ne.randn(2, 8, 4, 7, 7)).shape
        (2, 8, 2, 1, 1)
    """

    def forward(self, input: Tensor) -> Any:
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)
