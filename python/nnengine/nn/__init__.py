"""Layers, containers, losses and init (``from nnengine import nn``), PyTorch's names and layouts."""

from . import init
from .module import Module
from .modules.container import ModuleDict, ModuleList, Sequential
from .parameter import Parameter

# --- linear, activations, losses, flatten (issue 3)

# --- convolution, pooling, maxout, batch norm, dropout (issue 4)
from .modules.conv import Conv2d
from .modules.dropout import Dropout
from .modules.maxout import Maxout
from .modules.normalization import BatchNorm1d, BatchNorm2d
from .modules.pooling import AvgPool2d, MaxPool2d, MinPool2d

# --- recurrent networks (issue 5)

__all__ = [name for name in dir() if not name.startswith("_")]
