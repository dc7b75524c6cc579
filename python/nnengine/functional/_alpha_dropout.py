"""Alpha dropout (Klambauer et al. 2017), torch's ``F.alpha_dropout`` / ``F.feature_alpha_dropout``: dropped
units take SELU's negative saturation value and an affine map keeps zero mean and unit variance."""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from ._activation_more import _maybe_inplace
from ._dropout import dropout_mask
from ._util import check_tensor, probability

_ALPHA = 1.7580993408473766  # SELU's -scale * alpha


def _alpha(input: Tensor, p: float, training: bool, inplace: bool, feature: bool) -> Tensor:
    x = check_tensor(input, "input", float64=True)
    p = probability(p)
    if feature and x.ndim < 2:
        raise ValueError(f"input: feature_alpha_dropout needs at least 2 dimensions (N, C, ...), got shape {x.shape}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    shape = x.shape[:2] + (1,) * (x.ndim - 2) if feature else x.shape
    keep = dropout_mask(shape, p).astype(x._data.dtype)
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    b = (keep - 1.0) * (_ALPHA * a) + _ALPHA * a * p
    dt = x._data.dtype
    scale, shift = Tensor(np.asarray(keep * a, dt), dtype=dt), Tensor(np.asarray(b, dt), dtype=dt)
    return _maybe_inplace(input if inplace else x, inplace, lambda s: s * scale + shift)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Each element is set, with probability ``p``, to SELU's saturation value, then ``a * x + b`` restores zero
    mean and unit variance (for SELU networks). Identity when not training (torch's default here).

    Example:
        >>> y = F.alpha_dropout(ne.zeros(10000), 0.2, training=True).numpy()
        >>> len(set(np.round(y, 4).tolist())), abs(float(y.mean())) < 0.05
        (2, True)
    """
    return _alpha(input, p, training, inplace, False)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels (dim 1 of (N, C, ...)): each channel of each sample is dropped together.

    Example:
        >>> y = F.feature_alpha_dropout(ne.zeros(2, 64, 3), 0.5, training=True).numpy()
        >>> bool((y == y[:, :, :1]).all())
        True
    """
    return _alpha(input, p, training, inplace, True)
