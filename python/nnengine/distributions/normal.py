"""``Normal(loc, scale)`` (torch.distributions.Normal)."""

from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

from ..tensor import Tensor
from .distribution import LOG_SQRT_2PI, Distribution, _as_param


class Normal(Distribution):
    """The normal distribution with mean ``loc`` and standard deviation ``scale`` (broadcast together);
    ``rsample`` is ``loc + eps * scale`` with ``eps`` from nnengine's generator, so gradients reach both.

    Example:
        >>> loc, scale = ne.zeros(3, requires_grad=True), ne.ones(3, requires_grad=True)
        >>> d = Normal(loc, scale)
        >>> d.log_prob(d.rsample()).sum().backward(); loc.grad.shape, d.entropy().shape
        ((3,), (3,))
    """

    has_rsample = True
    _params = _batch_params = ("loc", "scale")

    def __init__(self, loc: Any, scale: Any, validate_args: Optional[bool] = None) -> None:
        loc, scale = _as_param(loc, "loc"), _as_param(scale, "scale")
        shape = tuple(np.broadcast_shapes(loc.shape, scale.shape))
        dt = np.result_type(loc.dtype, scale.dtype)
        self.loc = (loc if loc.dtype == dt else loc.to(dt)).expand(*shape)
        self.scale = (scale if scale.dtype == dt else scale.to(dt)).expand(*shape)
        super().__init__(shape, (), validate_args)
        if self._validate_args and not np.all(self.scale._data > 0):
            raise ValueError(f"scale: expected every value > 0, got {self.scale.data.min()} among them")

    @property
    def mode(self) -> Tensor:
        """The most likely value of each distribution (torch's ``mode``).

        Example:
            >>> Normal(ne.tensor([1.0, 2.0]), 1.0).mode
            tensor([1., 2.])
        """
        return self.loc

    @property
    def mean(self) -> Tensor:
        """The mean of each distribution.

        Example:
            >>> Normal(ne.tensor([1.0, 2.0]), 1.0).mean
            tensor([1., 2.])
        """
        return self.loc

    @property
    def variance(self) -> Tensor:
        """The variance of each distribution.

        Example:
            >>> Normal(0.0, ne.tensor([3.0])).variance
            tensor([9.])
        """
        return self.scale.pow(2)

    @property
    def stddev(self) -> Tensor:
        """The standard deviation of each distribution.

        Example:
            >>> Normal(0.0, ne.tensor([3.0])).stddev
            tensor([3.])
        """
        return self.scale

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = Tensor(self._rng().standard_normal(shape).astype(self.loc.dtype), dtype=self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value: Any) -> Tensor:
        value = _as_param(value, "value")
        return -((value - self.loc) ** 2) / (2 * self.scale**2) - self.scale.log() - LOG_SQRT_2PI

    def entropy(self) -> Tensor:
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()

    def cdf(self, value: Any) -> Tensor:
        """``P(X <= value)``.

        Example:
            >>> Normal(0.0, 1.0).cdf(ne.tensor(0.0)).item()
            0.5
        """
        value = _as_param(value, "value")
        return 0.5 * (1 + ((value - self.loc) * (1.0 / math.sqrt(2)) / self.scale).erf())

    def icdf(self, value: Any) -> Tensor:
        """The quantile of probability ``value``: ``loc + scale * sqrt(2) * erfinv(2 * value - 1)``.

        Example:
            >>> round(Normal(1.0, 2.0).icdf(ne.tensor(0.5)).item(), 4)
            1.0
        """
        value = _as_param(value, "value")
        return self.loc + self.scale * (2 * value - 1).erfinv() * math.sqrt(2)
