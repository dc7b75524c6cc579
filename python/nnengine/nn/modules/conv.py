"""Convolution layers with PyTorch's attributes, weight layouts and default init: ``Conv1d``, ``Conv2d``,
``ConvTranspose1d``, ``ConvTranspose2d`` (``Conv3d`` / ``ConvTranspose3d``: volumetric.py)."""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple, Union

from ... import functional as F
from ...functional._util import pair, single, triple
from ...tensor import Tensor
from .. import init
from ..module import Module, check_factory_kwargs
from ..parameter import Parameter
from .linear import attach

IntOrTuple = Union[int, Tuple[int, ...]]  # an int or one per spatial dimension


_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """Shared constructor of the convolution layers (``spatial`` dims, ``transposed`` weight layout), as torch's
    ``_ConvNd``: this signature is the plain convolutions' (``Conv1d``, ``Conv2d``), ``_ConvTransposeNd`` has the
    transposed order (``output_padding``, ``groups``, ``bias``, ``dilation``); both build the layer in ``_setup``."""

    _spatial = 2
    _transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrTuple,
        stride: IntOrTuple = 1,
        padding: Union[IntOrTuple, str] = 0,
        dilation: IntOrTuple = 1,
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
        self._setup(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
            device, dtype, 0, weight_regularizer, bias_regularizer, weight_constraint, bias_constraint,
        )

    def _setup(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any,
        padding: Any,
        dilation: Any,
        groups: int,
        bias: bool,
        padding_mode: str,
        device: Any,
        dtype: Any,
        output_padding: Any,
        weight_regularizer: Any,
        bias_regularizer: Any,
        weight_constraint: Any,
        bias_constraint: Any,
    ) -> None:
        super().__init__()
        check_factory_kwargs(device, dtype, type(self).__name__)
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name}: expected a positive int, got {v!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"groups: in_channels ({in_channels}) and out_channels ({out_channels}) must be "
                f"divisible by groups ({groups})"
            )
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode: expected one of {_PADDING_MODES}, got {padding_mode!r}")
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f"padding_mode: only 'zeros' is supported for {type(self).__name__}, got {padding_mode!r}")
        tup = {1: single, 2: pair, 3: triple}[self._spatial]
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = tup(kernel_size, "kernel_size")
        if min(self.kernel_size) < 1:
            raise ValueError(f"kernel_size: expected values >= 1, got {kernel_size!r}")
        self.stride = tup(stride, "stride")
        if isinstance(padding, str):
            if self._transposed:
                raise ValueError(f"padding: expected an int or a tuple of ints, got {padding!r}")
            if padding not in ("same", "valid"):
                raise ValueError(f"padding: expected an int, a tuple, 'valid' or 'same', got {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"padding: 'same' is not supported for strided convolutions, got stride={stride}")
            self.padding: Any = padding
        else:
            self.padding = tup(padding, "padding")
        self.dilation = tup(dilation, "dilation")
        self.output_padding = tup(output_padding, "output_padding")
        # F.pad's (last dim first, left and right) padding for a padding_mode other than zeros, as torch's
        # _reversed_padding_repeated_twice: 'same' puts the odd element on the right
        pads: list = []
        for k, d, p in reversed(list(zip(self.kernel_size, self.dilation, (
                (None,) * self._spatial if isinstance(self.padding, str) else self.padding)))):
            if self.padding == "same":
                total = d * (k - 1)
                pads += [total // 2, total - total // 2]
            else:
                pads += [0, 0] if self.padding == "valid" else [p, p]
        self._reversed_padding_repeated_twice = tuple(pads)
        self.transposed = self._transposed
        self.padding_mode = padding_mode
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter.new(*shape)
        self.bias = Parameter.new(out_channels) if bias else None
        if not bias:
            self.register_parameter("bias", None)
        self.reset_parameters()
        attach(self.weight, weight_regularizer, weight_constraint)
        attach(self.bias, bias_regularizer, bias_constraint)

    def reset_parameters(self) -> None:
        # torch's fan_in is weight.size(1) * kernel area for both layouts, as _fans computes it
        """Re-draw weight and bias with PyTorch's default init (kaiming_uniform_, a=sqrt(5)).

        Example:
            >>> conv = Conv2d(1, 2, 3)
            >>> conv.reset_parameters(); conv.weight.shape
            (2, 1, 3, 3)
        """
        init.default_layer_init_(self.weight, self.bias)

    def extra_repr(self) -> str:
        zero = (0,) * self._spatial
        one = (1,) * self._spatial
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != zero:
            s += f", padding={self.padding}"
        if self.dilation != one:
            s += f", dilation={self.dilation}"
        if self.output_padding != zero:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _padded(self, input: Tensor) -> Tuple[Tensor, Any]:
        """The input and padding the convolution takes: ``padding_mode`` other than zeros pads first (F.pad)."""
        if self.padding_mode == "zeros":
            return input, self.padding
        return F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode), 0


class Conv2d(_ConvNd):
    """2-D convolution over (N, C, H, W) or (C, H, W) input; weight (out, in/groups, kH, kW).

    Example:
        >>> conv = Conv2d(1, 6, 5, padding=2)
        >>> conv(ne.randn(2, 1, 28, 28)).shape
        (2, 6, 28, 28)
    """

    def forward(self, input: Tensor) -> Tensor:
        x, padding = self._padded(input)
        return F.conv2d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L) or (C, L) input; weight (out, in/groups, k). Runs on the conv2d
    kernels as a height-1 image.

    Example:
        >>> conv = Conv1d(6, 16, 5, padding="same")
        >>> conv(ne.randn(2, 6, 100)).shape
        (2, 16, 100)
    """

    _spatial = 1

    def forward(self, input: Tensor) -> Tensor:
        x, padding = self._padded(input)
        return F.conv1d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class _ConvTransposeNd(_ConvNd):
    """The transposed layers' constructor (torch's argument order) and ``output_size`` rule."""

    _transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrTuple,
        stride: IntOrTuple = 1,
        padding: IntOrTuple = 0,
        output_padding: IntOrTuple = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: IntOrTuple = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
        *,
        weight_regularizer: Any = None,
        bias_regularizer: Any = None,
        weight_constraint: Any = None,
        bias_constraint: Any = None,
    ) -> None:
        self._setup(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
            device, dtype, output_padding, weight_regularizer, bias_regularizer, weight_constraint, bias_constraint,
        )

    def _output_padding(self, input: Tensor, output_size: Optional[Sequence[int]]) -> Tuple[int, ...]:
        """torch's rule: ``output_size`` (the spatial sizes, optionally with N and C in front) picks the
        output_padding that yields it; it must lie in [min, min + stride - 1]."""
        if output_size is None:
            return self.output_padding
        n = self._spatial
        size = list(output_size)
        if len(size) in (n + 1, n + 2):
            size = size[-n:]
        if len(size) != n or not all(isinstance(v, int) and not isinstance(v, bool) for v in size):
            raise ValueError(f"output_size: expected {n} ints (or {n + 2} with N and C), got {output_size!r}")
        out = []
        for i in range(n):
            d_in = input.shape[-n + i]
            lo = ((d_in - 1) * self.stride[i] - 2 * self.padding[i] + self.dilation[i] * (self.kernel_size[i] - 1)
                  + 1)
            hi = lo + self.stride[i] - 1
            if not lo <= size[i] <= hi:
                raise ValueError(
                    f"output_size: expected sizes between {lo} and {hi} in dimension {i}, got {size[i]}"
                )
            out.append(size[i] - lo)
        return tuple(out)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution over (N, C, H, W) or (C, H, W); weight (in, out/groups, kH, kW) as torch.
    Its forward is conv2d's backward-data (the same kernels).

    Example:
        >>> up = ConvTranspose2d(16, 8, 4, stride=2, padding=1)
        >>> up(ne.randn(2, 16, 7, 7)).shape
        (2, 8, 14, 14)
    """

    def forward(self, input: Tensor, output_size: Optional[Sequence[int]] = None) -> Tensor:
        op = self._output_padding(input, output_size)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding, op, self.groups,
                                  self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution over (N, C, L) or (C, L); weight (in, out/groups, k) as torch.

    Example:
        >>> up = ConvTranspose1d(16, 8, 4, stride=2, padding=1)
        >>> up(ne.randn(2, 16, 50)).shape
        (2, 8, 100)
    """

    _spatial = 1

    def forward(self, input: Tensor, output_size: Optional[Sequence[int]] = None) -> Tensor:
        op = self._output_padding(input, output_size)
        return F.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding, op, self.groups,
                                  self.dilation)
