"""Layers, containers, losses and init (``from nnengine import nn``), PyTorch's names and layouts."""

from . import init
from .module import Module
from .modules.container import ModuleDict, ModuleList, Sequential
from .parameter import Parameter

# --- linear, activations, losses, flatten (issue 3)

# --- convolution, pooling, maxout, batch norm, dropout (issue 4)

# --- recurrent networks (issue 5)
from .modules.rnn import LSTM, RNN, LSTMCell, RNNBase, RNNCell

__all__ = [name for name in dir() if not name.startswith("_")]
