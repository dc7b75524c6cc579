"""``Binomial(total_count=1, probs=None, logits=None)`` (torch.distributions.Binomial)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .._coerce import as_array
from ..tensor import Tensor
from .categorical import _binary_logits, _one_of
from .distribution import Distribution, _as_value, _broadcast


class Binomial(Distribution):
    """The number of successes among ``total_count`` trials of success probability ``probs`` (or
    ``sigmoid(logits)``); ``total_count`` and the probabilities broadcast to the batch shape. ``sample`` gives
    float counts; ``log_prob`` is torch's logits form, differentiable in the parameters.

    Example:
        >>> _ = ne.manual_seed(0)
        >>> b = Binomial(10, ne.tensor([0.0, 0.5, 1.0]))
        >>> b.sample((2,)).shape, b.mean
        ((2, 3), tensor([ 0.,  5., 10.]))
        >>> round(Binomial(2, ne.tensor(0.5)).log_prob(ne.tensor(1.0)).exp().item(), 4)
        0.5
    """

    _params = ("total_count", "probs", "logits")
    _batch_params = ("total_count", "_probs", "_logits")

    def __init__(self, total_count: Any = 1, probs: Any = None, logits: Any = None,
                 validate_args: Optional[bool] = None) -> None:
        _one_of(probs, logits, "Binomial")
        if isinstance(total_count, Tensor) and total_count.dtype.kind != "f":
            total_count = total_count.float()
        if probs is not None:
            self.total_count, p = _broadcast((total_count, "total_count"), (probs, "probs"))
            if (validate_args is None or validate_args) and not np.all((p._data >= 0) & (p._data <= 1)):
                raise ValueError("probs: expected values in [0, 1]")
            self._probs: Optional[Tensor] = p
            self._logits: Optional[Tensor] = None
        else:
            self.total_count, self._logits = _broadcast((total_count, "total_count"), (logits, "logits"))
            self._probs = None
        n = as_array(self.total_count)
        if (validate_args is None or validate_args) and (np.any(n < 0) or np.any(n != np.floor(n))):
            raise ValueError(f"total_count: expected non-negative integer counts, got {n}")
        super().__init__(self.total_count.shape, (), validate_args)

    @property
    def probs(self) -> Tensor:
        """The success probabilities.

        Example:
            >>> Binomial(4, logits=ne.tensor([0.0])).probs
            tensor([0.5])
        """
        if self._probs is None:
            self._probs = self._logits.sigmoid()
        return self._probs

    @property
    def logits(self) -> Tensor:
        """``log(p) - log(1 - p)`` of the clamped probabilities (or the logits given).

        Example:
            >>> Binomial(4, probs=ne.tensor([0.5])).logits
            tensor([0.])
        """
        if self._logits is None:
            self._logits = _binary_logits(self._probs)
        return self._logits

    @property
    def mean(self) -> Tensor:
        """``total_count * probs``.

        Example:
            >>> Binomial(4, ne.tensor([0.25])).mean
            tensor([1.])
        """
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        """``floor((total_count + 1) * probs)``, at most ``total_count``.

        Example:
            >>> Binomial(4, ne.tensor([0.3])).mode
            tensor([1.])
        """
        return ((self.total_count + 1) * self.probs).detach().floor().clamp(max=self.total_count.detach())

    @property
    def variance(self) -> Tensor:
        """``total_count * probs * (1 - probs)``.

        Example:
            >>> Binomial(4, ne.tensor([0.5])).variance
            tensor([1.])
        """
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        n = np.broadcast_to(as_array(self.total_count).astype(np.int64), shape)
        p = np.broadcast_to(np.asarray(self.probs._data, dtype=np.float64), shape)
        # (np.asarray: numpy returns a Python int for 0-d parameters)
        return Tensor(np.asarray(self._rng().binomial(n, p)).astype(self.probs.dtype), dtype=self.probs.dtype)

    def log_prob(self, value: Any) -> Tensor:
        value = _as_value(value, self.logits)
        v = as_array(value)
        if self._validate_args:
            n_arr = as_array(self.total_count)
            if np.any(v < 0) or np.any(v != np.floor(v)) or np.any(v > n_arr):
                raise ValueError("value: expected integer counts in [0, total_count]")
        n, lg = self.total_count, self.logits
        log_factorial_n = (n + 1).lgamma()
        log_factorial_k = (value + 1).lgamma()
        log_factorial_nmk = (n - value + 1).lgamma()
        clamp_by_zero = (lg.clamp(min=0) + lg - lg.clamp(max=0)) / 2  # torch's _clamp_by_zero
        normalize_term = n * clamp_by_zero + n * (-lg.abs()).exp().log1p() - log_factorial_n
        return value * lg - log_factorial_k - log_factorial_nmk - normalize_term
