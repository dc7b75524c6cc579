"""Functional ops (``import nnengine.functional as F``), PyTorch's names and signatures."""

# --- activations, softmax and losses
from ._activation import (
    elu,
    gelu,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    mish,
    prelu,
    relu,
    relu6,
    sigmoid,
    silu,
    softplus,
    softsign,
    tanh,
)
from ._activation_more import (
    celu,
    celu_,
    elu_,
    glu,
    gumbel_softmax,
    hardshrink,
    hardtanh_,
    leaky_relu_,
    logsigmoid,
    relu_,
    rrelu,
    rrelu_,
    selu,
    selu_,
    softmin,
    softshrink,
    tanhshrink,
    threshold,
    threshold_,
)
from ._adaptive_pool2d import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
)

# --- attention
from ._alpha_dropout import alpha_dropout, feature_alpha_dropout
from ._attention import scaled_dot_product_attention
from ._batchnorm import batch_norm

# --- convolution, pooling, maxout, normalisation, dropout
from ._channel_shuffle import channel_shuffle, native_channel_shuffle
from ._conv2d import conv1d, conv2d
from ._conv_transpose import conv_transpose1d, conv_transpose2d
from ._ctc import ctc_loss
from ._distance import cosine_similarity, normalize, pairwise_distance
from ._dropout import dropout
from ._dropout2d import dropout1d, dropout2d, dropout3d
from ._embedding import embedding, one_hot
from ._embedding_bag import embedding_bag
from ._fold import fold, unfold
from ._grid_sample import affine_grid, grid_sample
from ._interpolate import interpolate, upsample, upsample_bilinear, upsample_nearest
from ._layernorm import group_norm, instance_norm, layer_norm
from ._linear import _linear_relu, linear, matmul_arrays  # noqa: F401  (_linear_relu: the layers' Linear -> ReLU)
from ._loss import cosine_embedding_loss, margin_ranking_loss
from ._loss_more import (
    gaussian_nll_loss,
    hinge_embedding_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from ._norm_more import bilinear, local_response_norm, pdist, rms_norm
from ._pad import pad
from ._pixel_shuffle import pixel_shuffle, pixel_unshuffle
from ._pointwise_loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    smooth_l1_loss,
)
from ._pool2d import (
    _relu_max_pool2d,  # noqa: F401  (the layers' fused ReLU -> MaxPool2d)
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
    maxout,
    min_pool2d,
)
from ._rnn import gru, gru_sequence, lstm, lstm_sequence, rnn, rnn_sequence

# --- recurrent networks
from ._softmax import cross_entropy, log_softmax, nll_loss, softmax
from ._unpool import (
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d_with_indices,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    max_pool1d_with_indices,
    max_pool2d_with_indices,
    max_pool3d_with_indices,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
)
from ._volumetric import (
    adaptive_avg_pool3d,
    adaptive_max_pool3d,
    avg_pool3d,
    conv3d,
    conv_transpose3d,
    max_pool3d,
)

__all__ = [name for name in dir() if not name.startswith("_")]

from ..tensor import KERNEL_METHODS as _KERNEL_METHODS  # noqa: E402

_KERNEL_METHODS.update(relu=relu, sigmoid=sigmoid, tanh=tanh, softmax=softmax, log_softmax=log_softmax)
