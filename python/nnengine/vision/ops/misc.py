"""torchvision.ops.misc's building blocks used by its models: Conv2dNormActivation (conv, norm, activation as
one Sequential, so state_dict keys are ``0.weight``, ``1.running_mean``...)."""

from __future__ import annotations

from typing import Any, Callable, Optional

from ... import nn

__all__ = ["ConvNormActivation", "Conv2dNormActivation"]


class ConvNormActivation(nn.Sequential):
    """``conv_layer`` (padding ``(kernel_size - 1) // 2 * dilation`` by default, bias only without a norm), then
    ``norm_layer(out_channels)`` and ``activation_layer(inplace=inplace)`` when given; ``out_channels`` kept.

    Example:
        >>> from nnengine import nn
        >>> len(ConvNormActivation(3, 8, conv_layer=nn.Conv2d))
        3
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any = 3, stride: Any = 1,
                 padding: Any = None, groups: int = 1,
                 norm_layer: Optional[Callable[..., nn.Module]] = nn.BatchNorm2d,
                 activation_layer: Optional[Callable[..., nn.Module]] = nn.ReLU, dilation: Any = 1,
                 inplace: Optional[bool] = True, bias: Optional[bool] = None,
                 conv_layer: Callable[..., nn.Module] = nn.Conv2d) -> None:
        if padding is None:
            if isinstance(kernel_size, int) and isinstance(dilation, int):
                padding = (kernel_size - 1) // 2 * dilation
            else:
                ks = (kernel_size,) * 2 if isinstance(kernel_size, int) else tuple(kernel_size)
                dl = (dilation,) * len(ks) if isinstance(dilation, int) else tuple(dilation)
                padding = tuple((k - 1) // 2 * d for k, d in zip(ks, dl))
        if bias is None:
            bias = norm_layer is None
        layers = [conv_layer(in_channels, out_channels, kernel_size, stride, padding, dilation=dilation,
                             groups=groups, bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer(**({} if inplace is None else {"inplace": inplace})))
        super().__init__(*layers)
        self.out_channels = out_channels


class Conv2dNormActivation(ConvNormActivation):
    """Conv2d, BatchNorm2d (or ``norm_layer``), ReLU (or ``activation_layer``) as a Sequential.

    Example:
        >>> import nnengine as ne
        >>> Conv2dNormActivation(3, 8, stride=2)(ne.randn(1, 3, 8, 8)).shape
        (1, 8, 4, 4)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any = 3, stride: Any = 1,
                 padding: Any = None, groups: int = 1,
                 norm_layer: Optional[Callable[..., nn.Module]] = nn.BatchNorm2d,
                 activation_layer: Optional[Callable[..., nn.Module]] = nn.ReLU, dilation: Any = 1,
                 inplace: Optional[bool] = True, bias: Optional[bool] = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, groups, norm_layer,
                         activation_layer, dilation, inplace, bias, nn.Conv2d)
