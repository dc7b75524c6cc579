"""``NegativeBinomial(total_count, probs | logits)`` (torch.distributions.NegativeBinomial): the number of successes
before ``total_count`` failures, a gamma-Poisson mixture for real ``total_count``."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .. import functional as F
from ..tensor import Tensor
from .categorical import _binary_logits, _one_of
from .distribution import Distribution, _as_value, _broadcast, _check


class NegativeBinomial(Distribution):
    """The number of successes of Bernoulli(``probs``) trials before ``total_count`` failures (``probs`` in
    ``[0, 1)`` or ``logits``); ``total_count`` may be real (a gamma-Poisson mixture, the count model of
    overdispersed data). ``log_prob`` is torch's, differentiable in ``total_count`` and the probabilities.

    Example:
        >>> from nnengine.distributions import NegativeBinomial
        >>> d = NegativeBinomial(3.0, probs=ne.tensor([0.25]))
        >>> d.mean, round(d.log_prob(ne.tensor([1.0])).item(), 4)
        (tensor([1.]), -1.1507)
    """

    _params = ("total_count", "probs", "logits")
    _batch_params = ("total_count", "probs", "logits")

    def __init__(self, total_count: Any, probs: Any = None, logits: Any = None,
                 validate_args: Optional[bool] = None) -> None:
        _one_of(probs, logits, "NegativeBinomial")
        check = validate_args is None or validate_args
        if probs is not None:
            self.total_count, self.probs = _broadcast((total_count, "total_count"), (probs, "probs"))
            if check:
                _check((self.probs._data >= 0) & (self.probs._data < 1), "probs", "every value in [0, 1)",
                       self.probs._data)
            self.logits = _binary_logits(self.probs)
        else:
            self.total_count, self.logits = _broadcast((total_count, "total_count"), (logits, "logits"))
            self.probs = self.logits.sigmoid()
        if check:
            _check(self.total_count._data >= 0, "total_count", "every value >= 0", self.total_count._data)
        self._params = ("total_count", "probs" if probs is not None else "logits")  # torch's repr: the given one
        super().__init__(self.total_count.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        """``total_count * exp(logits)`` (``total_count * probs / (1 - probs)``).

        Example:
            >>> from nnengine.distributions import NegativeBinomial
            >>> NegativeBinomial(4.0, probs=ne.tensor([0.5])).mean
            tensor([4.])
        """
        return self.total_count * self.logits.exp()

    @property
    def mode(self) -> Tensor:
        """``floor((total_count - 1) * exp(logits))``, at least 0.

        Example:
            >>> from nnengine.distributions import NegativeBinomial
            >>> NegativeBinomial(4.0, probs=ne.tensor([0.5])).mode
            tensor([3.])
        """
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self) -> Tensor:
        """``mean / (1 - probs)``.

        Example:
            >>> from nnengine.distributions import NegativeBinomial
            >>> NegativeBinomial(4.0, probs=ne.tensor([0.5])).variance
            tensor([8.])
        """
        return self.mean / (-self.logits).sigmoid()

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        rng = self._rng()
        n = np.broadcast_to(np.asarray(self.total_count._data, np.float64), shape)
        odds = np.broadcast_to(np.exp(np.asarray(self.logits._data, np.float64)), shape)
        with np.errstate(invalid="ignore", over="ignore"):
            lam = rng.standard_gamma(n) * odds  # torch's: Poisson(Gamma(total_count, rate=exp(-logits)))
        return Tensor._wrap(np.asarray(rng.poisson(lam)).astype(self.probs.dtype))

    def log_prob(self, value: Any) -> Tensor:
        value = _as_value(value, self.logits)
        v = np.asarray(value._data)
        self._check_value((v >= 0) & (v == np.floor(v)), "non-negative integer counts")
        n, lg = self.total_count, self.logits
        unnormalized = n * F.logsigmoid(-lg) + value * F.logsigmoid(lg)
        norm = -(n + value).lgamma() + (1 + value).lgamma() + n.lgamma()
        shape = tuple(np.broadcast_shapes(n.shape, value.shape))
        norm = norm.masked_fill(np.broadcast_to(n._data + v == 0, shape), 0.0)  # 0 failures to wait for: P(0) = 1
        return unnormalized - norm
