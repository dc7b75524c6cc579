"""Optimizers with fused C++ steps and learning-rate schedules, PyTorch's API (``nnengine.optim``).

Example:
    >>> from nnengine import optim
    >>> opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
"""

from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD"]
