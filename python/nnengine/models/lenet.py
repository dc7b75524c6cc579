"""LeNet-5 (LeCun et al. 1998) for 28x28 images, with optional batch norm and dropout."""

from __future__ import annotations

from .. import functional as F
from .. import nn
from ..nn.modules.linear import linear_relu
from ..nn.modules.pooling import relu_max_pool
from ..tensor import Tensor

_ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "elu")


class LeNet5(nn.Module):
    """conv 6@5x5 (pad 2) -> pool 2 -> conv 16@5x5 -> pool 2 -> fc 120 -> fc 84 -> fc num_classes.

    ``batch_norm=True`` adds BatchNorm2d after each conv and BatchNorm1d after fc1/fc2 (before the
    activation); ``dropout > 0`` adds Dropout after fc1 and fc2. Input (N, in_channels, 28, 28); output logits.

    Example:
        >>> model = LeNet5(num_classes=10)
        >>> model(ne.randn(2, 1, 28, 28)).shape
        (2, 10)
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, batch_norm: bool = False, dropout: float = 0.0,
                 activation: str = "relu") -> None:
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation: expected one of {list(_ACTIVATIONS)}, got {activation!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout: expected a probability in [0, 1), got {dropout!r}")
        self.activation = activation
        self.conv1 = nn.Conv2d(in_channels, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)
        self.pool = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        if batch_norm:
            self.bn1, self.bn2 = nn.BatchNorm2d(6), nn.BatchNorm2d(16)
            self.bn3, self.bn4 = nn.BatchNorm1d(120), nn.BatchNorm1d(84)
        self.batch_norm = batch_norm
        self.drop = nn.Dropout(dropout) if dropout > 0 else None

    def _block(self, x: Tensor, layer: nn.Module, bn: str) -> Tensor:
        if self.activation == "relu" and not self.batch_norm:  # Linear -> ReLU as one node (same bits)
            y = linear_relu(layer, None, x)
            if y is not None:
                return y
        x = layer(x)
        if self.batch_norm:
            x = getattr(self, bn)(x)
        return getattr(F, self.activation)(x)

    def _pooled_block(self, x: Tensor, layer: nn.Module, bn: str) -> Tensor:
        if self.activation == "relu":  # ReLU -> MaxPool2d as one node when the pool has no hooks (same bits)
            x = layer(x)
            if self.batch_norm:
                x = getattr(self, bn)(x)
            y = relu_max_pool(None, self.pool, x)
            return self.pool(F.relu(x)) if y is None else y
        return self.pool(self._block(x, layer, bn))

    def forward(self, x: Tensor) -> Tensor:
        x = self._pooled_block(x, self.conv1, "bn1")
        x = self._pooled_block(x, self.conv2, "bn2")
        x = self._block(self.flatten(x), self.fc1, "bn3")
        if self.drop is not None:
            x = self.drop(x)
        x = self._block(x, self.fc2, "bn4")
        if self.drop is not None:
            x = self.drop(x)
        return self.fc3(x)
