"""MobileNetV2 as torchvision builds it (Sandler et al. 2018, "MobileNetV2: Inverted Residuals and Linear
Bottlenecks"), with its module names, ``last_channel`` and initialisation, so its state_dict keys and shapes are
torchvision's and ``mobilenet_v2-7ebf99e0.pth`` loads unchanged."""

from __future__ import annotations

from typing import Any, Callable, List, Optional

from ... import nn
from ...tensor import Tensor
from ..ops.misc import Conv2dNormActivation
from ._api import _check_weights, _load_weights, _weights_enum

__all__ = ["MobileNetV2", "InvertedResidual", "mobilenet_v2", "MobileNet_V2_Weights"]


def _make_divisible(v: float, divisor: int, min_value: Optional[int] = None) -> int:
    """The channel count rounded to a multiple of ``divisor``, never more than 10% below ``v`` (torchvision's).

    Example:
        >>> _make_divisible(32 * 0.75, 8)
        24
    """
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


class InvertedResidual(nn.Module):
    """1x1 expansion (skipped for ``expand_ratio`` 1), 3x3 depthwise (carrying the stride), 1x1 linear projection,
    each with batch norm (ReLU6 after the first two); a residual when the shape is kept. Layers in ``conv``.

    Example:
        >>> import nnengine as ne
        >>> InvertedResidual(16, 16, 1, expand_ratio=6)(ne.randn(1, 16, 4, 4)).shape
        (1, 16, 4, 4)
    """

    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int,
                 norm_layer: Optional[Callable[..., nn.Module]] = None) -> None:
        super().__init__()
        self.stride = stride
        if stride not in (1, 2):
            raise ValueError(f"stride: should be 1 or 2, got {stride}")
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        hidden_dim = int(round(inp * expand_ratio))
        self.use_res_connect = self.stride == 1 and inp == oup
        layers: List[nn.Module] = []
        if expand_ratio != 1:
            layers.append(Conv2dNormActivation(inp, hidden_dim, kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=nn.ReLU6))
        layers.extend([
            Conv2dNormActivation(hidden_dim, hidden_dim, stride=stride, groups=hidden_dim, norm_layer=norm_layer,
                                 activation_layer=nn.ReLU6),
            nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False),
            norm_layer(oup),
        ])
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup
        self._is_cn = stride > 1

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    """``features`` (a stride-2 stem, 17 inverted residual blocks, a 1x1 conv to ``last_channel``), a global
    average pool and ``classifier`` = Sequential(Dropout(dropout), Linear(last_channel, num_classes)); channels
    scaled by ``width_mult`` and rounded to multiples of ``round_nearest``. Kaiming-normal (fan_out) convs,
    N(0, 0.01) linear weights, zero biases, as torchvision.

    Example:
        >>> import nnengine as ne
        >>> m = MobileNetV2(num_classes=5, width_mult=0.5)
        >>> m.last_channel, m.eval()(ne.randn(1, 3, 32, 32)).shape
        (1280, (1, 5))
    """

    def __init__(self, num_classes: int = 1000, width_mult: float = 1.0,
                 inverted_residual_setting: Optional[List[List[int]]] = None, round_nearest: int = 8,
                 block: Optional[Callable[..., nn.Module]] = None,
                 norm_layer: Optional[Callable[..., nn.Module]] = None, dropout: float = 0.2) -> None:
        super().__init__()
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
            raise ValueError(f"num_classes: expected a positive int, got {num_classes!r}")
        if isinstance(width_mult, bool) or not isinstance(width_mult, (int, float)) or width_mult <= 0:
            raise ValueError(f"width_mult: expected a positive number, got {width_mult!r}")
        block = block or InvertedResidual
        norm_layer = norm_layer or nn.BatchNorm2d
        input_channel, last_channel = 32, 1280
        if inverted_residual_setting is None:
            inverted_residual_setting = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1],
                                         [6, 160, 3, 2], [6, 320, 1, 1]]  # t (expansion), c, n (repeats), s
        if len(inverted_residual_setting) == 0 or len(inverted_residual_setting[0]) != 4:
            raise ValueError(f"inverted_residual_setting: should be non-empty or a 4-element list, got "
                             f"{inverted_residual_setting}")
        input_channel = _make_divisible(input_channel * width_mult, round_nearest)
        self.last_channel = _make_divisible(last_channel * max(1.0, width_mult), round_nearest)
        features: List[nn.Module] = [Conv2dNormActivation(3, input_channel, stride=2, norm_layer=norm_layer,
                                                          activation_layer=nn.ReLU6)]
        for t, c, n, s in inverted_residual_setting:
            output_channel = _make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                features.append(block(input_channel, output_channel, s if i == 0 else 1, expand_ratio=t,
                                      norm_layer=norm_layer))
                input_channel = output_channel
        features.append(Conv2dNormActivation(input_channel, self.last_channel, kernel_size=1, norm_layer=norm_layer,
                                             activation_layer=nn.ReLU6))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), nn.Linear(self.last_channel, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def _forward_impl(self, x: Tensor) -> Tensor:
        x = self.features(x)
        x = nn.functional.adaptive_avg_pool2d(x, (1, 1))
        return self.classifier(x.flatten(1))

    def forward(self, x: Tensor) -> Tensor:
        return self._forward_impl(x)


def mobilenet_v2(*, weights: Any = None, progress: bool = True, **kwargs: Any) -> MobileNetV2:
    """MobileNetV2 (``num_classes``, ``width_mult``, ``dropout``... as ``MobileNetV2``); ``weights=`` loads
    torchvision's file from torch's hub cache (nnengine downloads nothing).

    Example:
        >>> m = mobilenet_v2(num_classes=10)
        >>> m.classifier[1].in_features, m.last_channel
        (1280, 1280)
    """
    name = _check_weights("mobilenet_v2", weights, kwargs)
    kwargs.pop("progress", None)
    return _load_weights(MobileNetV2(**kwargs), "mobilenet_v2", name)


MobileNet_V2_Weights = _weights_enum(__name__, "MobileNet_V2_Weights", "IMAGENET1K_V1", "IMAGENET1K_V2")
