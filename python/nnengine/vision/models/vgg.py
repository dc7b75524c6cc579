"""VGG-11/13/16/19 with and without batch norm, torchvision's module names and state_dict keys (Simonyan and
Zisserman 2014, "Very Deep Convolutional Networks for Large-Scale Image Recognition")."""

from __future__ import annotations

from typing import Any, Dict, List, Union

from ... import nn
from ...tensor import Tensor
from ._api import _check_weights, _load_weights, _weights_enum

__all__ = ["VGG", "make_layers", "cfgs", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19",
           "vgg19_bn", "VGG11_Weights", "VGG11_BN_Weights", "VGG13_Weights", "VGG13_BN_Weights", "VGG16_Weights",
           "VGG16_BN_Weights", "VGG19_Weights", "VGG19_BN_Weights"]


class VGG(nn.Module):
    """``features`` (the conv stack), ``avgpool`` (adaptive, to 7x7), ``classifier`` (4096-4096-num_classes with
    ReLU and dropout). With ``init_weights``: convs Kaiming-normal (fan_out) with zero bias, batch norms 1 / 0,
    linears N(0, 0.01) with zero bias, as torchvision.

    Example:
        >>> import nnengine as ne
        >>> m = VGG(make_layers([8, "M"]), num_classes=3)  # a small conv stack needs 512 output channels...
        >>> m.classifier[0].in_features
        25088
    """

    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5) -> None:
        super().__init__()
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
            raise ValueError(f"num_classes: expected a positive int, got {num_classes!r}")
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes))
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


def make_layers(cfg: List[Union[str, int]], batch_norm: bool = False) -> nn.Sequential:
    """The conv stack from a config: an int is a 3x3 conv (padding 1) to that many channels, [batch norm,] ReLU;
    "M" is a 2x2 max pool.

    Example:
        >>> [type(m).__name__ for m in make_layers([8, "M"], batch_norm=True)]
        ['Conv2d', 'BatchNorm2d', 'ReLU', 'MaxPool2d']
    """
    layers: List[nn.Module] = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        elif isinstance(v, int) and not isinstance(v, bool) and v > 0:
            layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(v))
            layers.append(nn.ReLU(inplace=True))
            in_channels = v
        else:
            raise ValueError(f"cfg: expected positive ints and 'M', got {v!r}")
    return nn.Sequential(*layers)


cfgs: Dict[str, List[Union[str, int]]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def _vgg(arch: str, cfg: str, batch_norm: bool, weights: Any, kwargs: Dict[str, Any]) -> VGG:
    name = _check_weights(arch, weights, kwargs)
    kwargs.pop("progress", None)
    return _load_weights(VGG(make_layers(cfgs[cfg], batch_norm=batch_norm), **kwargs), arch, name)


def vgg11(*, weights: Any = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-11 (config "A"); ``weights=`` loads torchvision's file from the hub cache.

    Example:
        >>> vgg11  # doctest: +ELLIPSIS
        <function vgg11 at 0x...>
    """
    return _vgg("vgg11", "A", False, weights, kwargs)


def vgg11_bn(*, weights: Any = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-11 with batch norm.

    Example:
        >>> vgg11_bn  # doctest: +ELLIPSIS
        <function vgg11_bn at 0x...>
    """
    return _vgg("vgg11_bn", "A", True, weights, kwargs)


def vgg13(*, weights: Any = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-13 (config "B").

    Example:
        >>> vgg13  # doctest: +ELLIPSIS
        <function vgg13 at 0x...>
    """
    return _vgg("vgg13", "B", False, weights, kwargs)


def vgg13_bn(*, weights: Any = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-13 with batch norm.

    Example:
        >>> vgg13_bn  # doctest: +ELLIPSIS
        <function vgg13_bn at 0x...>
    """
    return _vgg("vgg13_bn", "B", True, weights, kwargs)


def vgg16(*, weights: Any = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-16 (config "D").

    Example:
        >>> vgg16  # doctest: +ELLIPSIS
        <function vgg16 at 0x...>
    """
    return _vgg("vgg16", "D", False, weights, kwargs)


def vgg16_bn(*, weights: Any = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-16 with batch norm.

    Example:
        >>> vgg16_bn  # doctest: +ELLIPSIS
        <function vgg16_bn at 0x...>
    """
    return _vgg("vgg16_bn", "D", True, weights, kwargs)


def vgg19(*, weights: Any = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-19 (config "E").

    Example:
        >>> vgg19  # doctest: +ELLIPSIS
        <function vgg19 at 0x...>
    """
    return _vgg("vgg19", "E", False, weights, kwargs)


def vgg19_bn(*, weights: Any = None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-19 with batch norm.

    Example:
        >>> vgg19_bn  # doctest: +ELLIPSIS
        <function vgg19_bn at 0x...>
    """
    return _vgg("vgg19_bn", "E", True, weights, kwargs)


VGG11_Weights = _weights_enum(__name__, "VGG11_Weights", "IMAGENET1K_V1")
VGG11_BN_Weights = _weights_enum(__name__, "VGG11_BN_Weights", "IMAGENET1K_V1")
VGG13_Weights = _weights_enum(__name__, "VGG13_Weights", "IMAGENET1K_V1")
VGG13_BN_Weights = _weights_enum(__name__, "VGG13_BN_Weights", "IMAGENET1K_V1")
VGG16_Weights = _weights_enum(__name__, "VGG16_Weights", "IMAGENET1K_V1", "IMAGENET1K_FEATURES",
                             default="IMAGENET1K_V1")
VGG16_BN_Weights = _weights_enum(__name__, "VGG16_BN_Weights", "IMAGENET1K_V1")
VGG19_Weights = _weights_enum(__name__, "VGG19_Weights", "IMAGENET1K_V1")
VGG19_BN_Weights = _weights_enum(__name__, "VGG19_BN_Weights", "IMAGENET1K_V1")
