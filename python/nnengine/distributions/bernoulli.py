"""``Bernoulli(probs=None, logits=None)`` (torch.distributions.Bernoulli)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .. import functional as F
from ..tensor import Tensor
from .categorical import _binary_logits, _one_of
from .distribution import Distribution, _as_param


class Bernoulli(Distribution):
    """0/1 outcomes with success probability ``probs`` (or ``sigmoid(logits)``); ``log_prob`` and ``entropy``
    are torch's binary-cross-entropy-with-logits forms, differentiable in the parameters.

    Example:
        >>> p = ne.tensor([0.2, 0.9], requires_grad=True)
        >>> d = Bernoulli(probs=p)
        >>> d.log_prob(ne.tensor([0.0, 1.0])).sum().backward(); d.sample((4,)).shape, p.grad.shape
        ((4, 2), (2,))
    """

    _params = ("probs", "logits")
    _batch_params = ("_probs", "_logits")

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: Optional[bool] = None) -> None:
        _one_of(probs, logits, "Bernoulli")
        if probs is not None:
            p = _as_param(probs, "probs")
            if (validate_args is None or validate_args) and not np.all((p._data >= 0) & (p._data <= 1)):
                raise ValueError("probs: expected values in [0, 1]")
            self._probs: Optional[Tensor] = p
            self._logits: Optional[Tensor] = None
        else:
            self._logits, self._probs = _as_param(logits, "logits"), None
        super().__init__((self._probs if self._probs is not None else self._logits).shape, (), validate_args)

    @property
    def probs(self) -> Tensor:
        """The success probabilities.

        Example:
            >>> Bernoulli(logits=ne.tensor([0.0])).probs
            tensor([0.5])
        """
        if self._probs is None:
            self._probs = self._logits.sigmoid()
        return self._probs

    @property
    def logits(self) -> Tensor:
        """``log(p) - log(1 - p)`` of the clamped probabilities (or the logits given).

        Example:
            >>> Bernoulli(probs=ne.tensor([0.5])).logits
            tensor([0.])
        """
        if self._logits is None:
            self._logits = _binary_logits(self._probs)
        return self._logits

    @property
    def mean(self) -> Tensor:
        """The mean of each distribution.

        Example:
            >>> Bernoulli(probs=ne.tensor([0.25])).mean
            tensor([0.25])
        """
        return self.probs

    @property
    def variance(self) -> Tensor:
        """The variance of each distribution.

        Example:
            >>> Bernoulli(probs=ne.tensor([0.5])).variance
            tensor([0.25])
        """
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        p = np.broadcast_to(np.asarray(self.probs._data), shape)
        return Tensor((self._rng().random(shape) < p).astype(self.probs.dtype), dtype=self.probs.dtype)

    def log_prob(self, value: Any) -> Tensor:
        value = _as_param(value, "value")
        if self._validate_args and not np.all((value._data == 0) | (value._data == 1)):
            raise ValueError("value: expected 0 or 1 values")
        lg = self.logits
        shape = tuple(np.broadcast_shapes(lg.shape, value.shape))
        return -F.binary_cross_entropy_with_logits(lg.expand(*shape), value.expand(*shape), reduction="none")

    def entropy(self) -> Tensor:
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")
