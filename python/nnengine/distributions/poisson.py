"""``Poisson(rate)`` (torch.distributions.Poisson)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..tensor import Tensor
from .distribution import Distribution, _as_value, _broadcast, _check


class Poisson(Distribution):
    """The Poisson distribution with mean ``rate``: counts ``0, 1, 2...`` (floats of ``rate``'s dtype, as
    torch); ``log_prob`` is differentiable in ``rate``.

    Example:
        >>> rate = ne.tensor([1.0, 4.0], requires_grad=True)
        >>> d = Poisson(rate)
        >>> d.log_prob(ne.tensor([0.0, 3.0])).sum().backward(); d.sample((5,)).shape, rate.grad
        ((5, 2), array([-1.  , -0.25], dtype=float32))
    """

    _params = _batch_params = ("rate",)

    def __init__(self, rate: Any, validate_args: Optional[bool] = None) -> None:
        (self.rate,) = _broadcast((rate, "rate"))
        super().__init__(self.rate.shape, (), validate_args)
        if self._validate_args:
            _check(self.rate._data >= 0, "rate", "every value >= 0", self.rate._data)

    @property
    def mode(self) -> Tensor:
        """The most likely value of each distribution (torch's ``mode``).

        Example:
            >>> Poisson(ne.tensor([2.5])).mode
            tensor([2.])
        """
        return self.rate.detach().floor()

    @property
    def mean(self) -> Tensor:
        """The mean of each distribution (``rate``).

        Example:
            >>> Poisson(ne.tensor([3.0])).mean
            tensor([3.])
        """
        return self.rate

    @property
    def variance(self) -> Tensor:
        """The variance of each distribution (``rate``).

        Example:
            >>> Poisson(ne.tensor([3.0])).variance
            tensor([3.])
        """
        return self.rate

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        lam = np.broadcast_to(np.asarray(self.rate._data, np.float64), shape)
        return Tensor(np.asarray(self._rng().poisson(lam)).astype(self.rate.dtype), dtype=self.rate.dtype)

    def log_prob(self, value: Any) -> Tensor:
        value = _as_value(value, self.rate)
        v = np.asarray(value._data)
        self._check_value((v >= 0) & (v == np.floor(v)), "non-negative integer counts")
        shape = tuple(np.broadcast_shapes(self.rate.shape, value.shape))
        rate, value = self.rate.expand(*shape), value.expand(*shape)
        return value.xlogy(rate) - rate - (value + 1).lgamma()
