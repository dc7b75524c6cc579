"""``Conv2d``: 2-D convolution layer with PyTorch's attributes, weight layout and default init."""

from __future__ import annotations

from typing import Any, Tuple, Union

from ... import functional as F
from ...functional._util import pair
from ...tensor import Tensor
from .. import init
from ..module import Module, check_factory_kwargs
from ..parameter import Parameter
from .linear import attach

IntPair = Union[int, Tuple[int, int]]


class Conv2d(Module):
    """2-D convolution over (N, C, H, W) or (C, H, W) input; weight (out, in/groups, kH, kW).

    Example:
        >>> conv = Conv2d(1, 6, 5, padding=2)
        >>> y = conv(x)   # (N, 1, 28, 28) -> (N, 6, 28, 28)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntPair,
        stride: IntPair = 1,
        padding: Union[IntPair, str] = 0,
        dilation: IntPair = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
        *,
        weight_regularizer: Any = None,
        bias_regularizer: Any = None,
        weight_constraint: Any = None,
        bias_constraint: Any = None,
    ) -> None:
        super().__init__()
        check_factory_kwargs(device, dtype, "Conv2d")
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name}: expected a positive int, got {v!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"groups: in_channels ({in_channels}) and out_channels ({out_channels}) must be "
                f"divisible by groups ({groups})"
            )
        if padding_mode != "zeros":
            raise ValueError(f"padding_mode: only 'zeros' is supported, got {padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(kernel_size, "kernel_size")
        if min(self.kernel_size) < 1:
            raise ValueError(f"kernel_size: expected values >= 1, got {kernel_size!r}")
        self.stride = pair(stride, "stride")
        self.padding = padding if isinstance(padding, str) else pair(padding, "padding")
        self.dilation = pair(dilation, "dilation")
        self.padding_mode = padding_mode
        shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter.new(*shape)
        self.bias = Parameter.new(out_channels) if bias else None
        if not bias:
            self.register_parameter("bias", None)
        self.reset_parameters()
        attach(self.weight, weight_regularizer, weight_constraint)
        attach(self.bias, bias_regularizer, bias_constraint)

    def reset_parameters(self) -> None:
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s
