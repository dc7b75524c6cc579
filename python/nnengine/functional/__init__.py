"""Functional ops (``import nnengine.functional as F``), PyTorch's names and signatures."""

from ._linear import linear, matmul_arrays

# --- activations, softmax and losses (issue 3)

# --- convolution, pooling, maxout, batch norm, dropout (issue 4)

# --- recurrent networks (issue 5)
from ._rnn import lstm, lstm_sequence, rnn, rnn_sequence

__all__ = [name for name in dir() if not name.startswith("_")]
