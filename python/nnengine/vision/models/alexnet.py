"""AlexNet as torchvision builds it (the "one weird trick" variant: 64-192-384-256-256 channels), with its
module names and state_dict keys (Krizhevsky 2014, arXiv:1404.5997)."""

from __future__ import annotations

from typing import Any

from ... import nn
from ...tensor import Tensor
from ._api import _check_weights, _load_weights, _weights_enum

__all__ = ["AlexNet", "alexnet", "AlexNet_Weights"]


class AlexNet(nn.Module):
    """``features`` (five convs, three max pools), ``avgpool`` (adaptive, to 6x6), ``classifier``
    (dropout, 9216-4096-4096-num_classes); PyTorch's default layer init.

    Example:
        >>> import nnengine as ne
        >>> AlexNet(num_classes=4)(ne.randn(1, 3, 64, 64)).shape
        (1, 4)
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5) -> None:
        super().__init__()
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
            raise ValueError(f"num_classes: expected a positive int, got {num_classes!r}")
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


def alexnet(*, weights: Any = None, progress: bool = True, **kwargs: Any) -> AlexNet:
    """AlexNet; ``weights=`` loads torchvision's file from torch's hub cache (nnengine downloads nothing).

    Example:
        >>> alexnet(num_classes=10).classifier[6].out_features
        10
    """
    name = _check_weights("alexnet", weights, kwargs)
    kwargs.pop("progress", None)
    return _load_weights(AlexNet(**kwargs), "alexnet", name)


AlexNet_Weights = _weights_enum(__name__, "AlexNet_Weights", "IMAGENET1K_V1")
