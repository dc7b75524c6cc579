"""Layers, containers, losses and init (``from nnengine import nn``), PyTorch's names and layouts."""

from .. import functional  # noqa: E402  (nn.functional, as torch.nn.functional)
from . import init, utils
from .module import Module

# --- linear, activations, losses, flatten
from .modules.activation import (
    ELU,
    GELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Softsign,
    Tanh,
)

# --- attention and transformers
from .modules.attention import MultiheadAttention
from .modules.container import ModuleDict, ModuleList, Sequential

# --- convolution, pooling, maxout, batch norm, dropout
from .modules.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .modules.dropout import Dropout, Dropout1d, Dropout2d
from .modules.linear import Flatten, Identity, Linear, Unflatten
from .modules.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .modules.maxout import Maxout
from .modules.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    LayerNorm,
)
from .modules.pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
    MinPool2d,
)
from .modules.resample import (
    ConstantPad1d,
    ConstantPad2d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReplicationPad1d,
    ReplicationPad2d,
    Upsample,
    UpsamplingBilinear2d,
    UpsamplingNearest2d,
    ZeroPad1d,
    ZeroPad2d,
)

# --- recurrent networks
from .modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell

# --- embeddings
from .modules.sparse import Embedding

# --- distributed training: batch statistics over all ranks
from .modules.syncbatchnorm import SyncBatchNorm
from .modules.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from .parameter import Parameter

__all__ = [name for name in dir() if not name.startswith("_")]
