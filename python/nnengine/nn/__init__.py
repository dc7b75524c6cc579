"""Layers, containers, losses and init (``from nnengine import nn``), PyTorch's names and layouts."""

from .. import functional  # noqa: E402  (nn.functional, as torch.nn.functional)
from . import init, utils
from .module import Module

# --- linear, activations, losses, flatten (issue 3)
from .modules.activation import ELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh

# --- attention and transformers (issue 17)
from .modules.attention import MultiheadAttention
from .modules.container import ModuleDict, ModuleList, Sequential

# --- convolution, pooling, maxout, batch norm, dropout (issue 4)
from .modules.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .modules.dropout import Dropout
from .modules.linear import Flatten, Identity, Linear, Unflatten
from .modules.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from .modules.maxout import Maxout
from .modules.normalization import BatchNorm1d, BatchNorm2d
from .modules.pooling import AvgPool2d, MaxPool2d, MinPool2d

# --- recurrent networks (issue 5)
from .modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell

# --- distributed training (issue 18): batch statistics over all ranks
from .modules.syncbatchnorm import SyncBatchNorm
from .parameter import Parameter

__all__ = [name for name in dir() if not name.startswith("_")]
