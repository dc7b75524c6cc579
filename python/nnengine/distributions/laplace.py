"""``Laplace(loc, scale)`` (torch.distributions.Laplace)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from .distribution import _as_param, _LocationScale


class Laplace(_LocationScale):
    """The Laplace (double exponential) distribution with location ``loc`` and scale ``scale``;
    ``rsample`` is torch's inverse-CDF transform of a uniform draw, differentiable in both parameters.

    Example:
        >>> loc = ne.zeros(3, requires_grad=True)
        >>> d = Laplace(loc, 2.0)
        >>> d.log_prob(d.rsample((4,))).sum().backward(); loc.grad.shape, round(d.entropy()[0].item(), 4)
        ((3,), 2.3863)
    """

    @property
    def mean(self) -> Tensor:
        """The mean of each distribution.

        Example:
            >>> Laplace(ne.tensor([1.0]), 1.0).mean
            tensor([1.])
        """
        return self.loc

    @property
    def variance(self) -> Tensor:
        """The variance of each distribution (``2 * scale ** 2``).

        Example:
            >>> Laplace(0.0, ne.tensor([2.0])).variance
            tensor([8.])
        """
        return 2 * self.scale.pow(2)

    @property
    def stddev(self) -> Tensor:
        """The standard deviation of each distribution (``sqrt(2) * scale``).

        Example:
            >>> Laplace(0.0, ne.tensor([2.0 ** -0.5])).stddev
            tensor([1.])
        """
        return math.sqrt(2) * self.scale

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        dt = self.loc.dtype
        eps = float(np.finfo(dt).eps)
        u = self._rng().uniform(eps - 1, 1, shape)
        return self.loc - self.scale * Tensor((np.sign(u) * np.log1p(-np.abs(u))).astype(dt), dtype=dt)

    def log_prob(self, value: Any) -> Tensor:
        value = _as_param(value, "value")
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value: Any) -> Tensor:
        """``P(X <= value)``.

        Example:
            >>> Laplace(0.0, 1.0).cdf(ne.tensor(0.0))
            tensor(0.5)
        """
        value = _as_param(value, "value")
        d = value - self.loc
        return 0.5 - 0.5 * d.sign() * (-d.abs() / self.scale).expm1()

    def icdf(self, value: Any) -> Tensor:
        """The quantile of probability ``value``.

        Example:
            >>> Laplace(1.0, 1.0).icdf(ne.tensor(0.5))
            tensor(1.)
        """
        term = _as_param(value, "value") - 0.5
        return self.loc - self.scale * term.sign() * (-2 * term.abs()).log1p()

    def entropy(self) -> Tensor:
        return 1 + (2 * self.scale).log()
