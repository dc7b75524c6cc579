"""Functional ops (``import nnengine.functional as F``), PyTorch's names and signatures."""

from ._linear import linear, matmul_arrays

# --- activations, softmax and losses (issue 3)

# --- convolution, pooling, maxout, batch norm, dropout (issue 4)
from ._conv import conv2d
from ._norm import batch_norm, dropout, maxout
from ._pool import avg_pool2d, max_pool2d, min_pool2d

# --- recurrent networks (issue 5)

__all__ = [name for name in dir() if not name.startswith("_")]
