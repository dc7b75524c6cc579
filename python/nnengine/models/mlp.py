"""Logistic regression and multi-layer perceptrons as plain Modules."""

from __future__ import annotations

from typing import Any, Sequence

from .. import nn
from ..tensor import Tensor

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "leaky_relu": nn.LeakyReLU, "elu": nn.ELU}


class LogisticRegression(nn.Module):
    """A linear layer producing logits: use with CrossEntropyLoss (multi-class, softmax regression) or, with
    ``num_classes=1``, BCEWithLogitsLoss (binary).

    Example:
        >>> model = LogisticRegression(30, 2)
        >>> x, y = ne.randn(8, 30), ne.tensor([0, 1] * 4)
        >>> nn.CrossEntropyLoss()(model(x), y).shape
        ()
    """

    def __init__(self, in_features: int, num_classes: int = 2, **layer_kwargs: Any) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, num_classes, **layer_kwargs)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x)

    def predict_proba(self, x: Tensor) -> Tensor:
        """Class probabilities: softmax of the logits (sigmoid for one output).

        Example:
            >>> p = LogisticRegression(4, 3).predict_proba(ne.randn(2, 4))
            >>> p.shape, bool(ne.allclose(p.sum(1), ne.ones(2)))
            ((2, 3), True)
        """
        from .. import functional as F

        logits = self.forward(x)
        return F.sigmoid(logits) if logits.shape[-1] == 1 else F.softmax(logits, -1)


class MLP(nn.Module):
    """Fully connected network ``sizes[0] -> ... -> sizes[-1]`` with ``activation`` between layers.

    Optional ``dropout`` (after each hidden activation) and ``batch_norm`` (before it; needs nn.BatchNorm1d).
    Weights use He init for ReLU-family activations and Xavier otherwise, biases zero; the last layer
    outputs logits. Layers are ``self.layers`` (an nn.Sequential), so keys read ``layers.0.weight``.

    Example:
        >>> model = MLP([784, 256, 128, 10], activation="relu")
    """

    def __init__(self, sizes: Sequence[int], activation: str = "relu", dropout: float = 0.0,
                 batch_norm: bool = False, **layer_kwargs: Any) -> None:
        super().__init__()
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise ValueError(f"sizes: expected at least 2 layer sizes, got {sizes}")
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation: expected one of {sorted(_ACTIVATIONS)}, got {activation!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout: expected a probability in [0, 1), got {dropout}")
        self.sizes, self.activation = sizes, activation
        mods = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            lin = nn.Linear(a, b, **layer_kwargs)
            last = i == len(sizes) - 2
            if activation in ("relu", "leaky_relu", "elu") and not last:
                nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
            else:
                nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)
            mods.append(lin)
            if not last:
                if batch_norm:
                    mods.append(nn.BatchNorm1d(b))
                mods.append(_ACTIVATIONS[activation]())
                if dropout > 0:
                    mods.append(nn.Dropout(dropout))
        self.layers = nn.Sequential(*mods)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim > 2:
            x = x.flatten(1)
        return self.layers(x)
