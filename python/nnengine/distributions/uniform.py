"""``Uniform(low, high)`` (torch.distributions.Uniform)."""

from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

from ..tensor import Tensor, where
from .distribution import Distribution, _as_param, _broadcast, _check


class Uniform(Distribution):
    """The uniform distribution on ``[low, high)`` (broadcast together); ``rsample`` is
    ``low + u * (high - low)`` with ``u`` from nnengine's generator, so gradients reach both bounds.

    Example:
        >>> low = ne.zeros(2, requires_grad=True)
        >>> d = Uniform(low, ne.tensor([1.0, 4.0]))
        >>> x = d.rsample((3,)); x.sum().backward()
        >>> x.shape, low.grad.shape, Uniform(0.0, ne.tensor([1.0, 4.0])).entropy()
        ((3, 2), (2,), tensor([0.    , 1.3863]))
    """

    has_rsample = True
    _params = _batch_params = ("low", "high")

    def __init__(self, low: Any, high: Any, validate_args: Optional[bool] = None) -> None:
        self.low, self.high = _broadcast((low, "low"), (high, "high"))
        super().__init__(self.low.shape, (), validate_args)
        if self._validate_args:
            _check(self.low._data < self.high._data, "low", "low < high everywhere", self.low._data)

    @property
    def mean(self) -> Tensor:
        """The mean of each distribution.

        Example:
            >>> Uniform(0.0, ne.tensor([2.0])).mean
            tensor([1.])
        """
        return (self.high + self.low) / 2

    @property
    def variance(self) -> Tensor:
        """The variance of each distribution.

        Example:
            >>> Uniform(0.0, ne.tensor([6.0])).variance
            tensor([3.])
        """
        return (self.high - self.low).pow(2) / 12

    @property
    def stddev(self) -> Tensor:
        """The standard deviation of each distribution.

        Example:
            >>> Uniform(0.0, ne.tensor([12.0 ** 0.5])).stddev
            tensor([1.])
        """
        return (self.high - self.low) / math.sqrt(12)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = Tensor(self._rng().random(shape).astype(self.low.dtype), dtype=self.low.dtype)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value: Any) -> Tensor:
        value = _as_param(value, "value")
        self._check_value((self.low._data <= value._data) & (value._data <= self.high._data), "values in [low, high]")
        inside = (self.low._data <= value._data) & (self.high._data > value._data)
        lp = -(self.high - self.low).log()
        shape = tuple(np.broadcast_shapes(lp.shape, value.shape))
        return where(np.broadcast_to(inside, shape), lp.expand(*shape), float("-inf"))

    def cdf(self, value: Any) -> Tensor:
        """``P(X <= value)``: ``(value - low) / (high - low)`` clamped to ``[0, 1]``.

        Example:
            >>> Uniform(0.0, 4.0).cdf(ne.tensor([1.0, 5.0]))
            tensor([0.25, 1.  ])
        """
        value = _as_param(value, "value")
        return ((value - self.low) / (self.high - self.low)).clamp(min=0, max=1)

    def icdf(self, value: Any) -> Tensor:
        """The quantile of probability ``value``: ``low + value * (high - low)``.

        Example:
            >>> Uniform(2.0, 4.0).icdf(ne.tensor(0.5))
            tensor(3.)
        """
        value = _as_param(value, "value")
        return value * (self.high - self.low) + self.low

    def entropy(self) -> Tensor:
        return (self.high - self.low).log()
