"""``Gamma(concentration, rate)`` (torch.distributions.Gamma)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..tensor import Tensor
from .distribution import Distribution, _as_param, _broadcast, _check


class Gamma(Distribution):
    """The gamma distribution with shape ``concentration`` and inverse scale ``rate``. ``log_prob``,
    ``entropy``, ``mean`` and ``variance`` are torch's formulas, differentiable in both parameters;
    ``sample`` draws from numpy's gamma sampler seeded by nnengine's generator. ``rsample`` raises
    NotImplementedError (``has_rsample`` is False): torch differentiates gamma draws by implicit
    reparameterization, which nnengine does not implement.

    Example:
        >>> c = ne.tensor([1.0, 3.0], requires_grad=True)
        >>> d = Gamma(c, 2.0)
        >>> d.log_prob(d.sample((5,))).sum().backward(); d.mean.tolist(), c.grad.shape
        ([0.5, 1.5], (2,))
    """

    _params = _batch_params = ("concentration", "rate")

    def __init__(self, concentration: Any, rate: Any, validate_args: Optional[bool] = None) -> None:
        self.concentration, self.rate = _broadcast((concentration, "concentration"), (rate, "rate"))
        super().__init__(self.concentration.shape, (), validate_args)
        if self._validate_args:
            _check(self.concentration._data > 0, "concentration", "every value > 0", self.concentration._data)
            _check(self.rate._data > 0, "rate", "every value > 0", self.rate._data)

    @property
    def mode(self) -> Tensor:
        """The most likely value of each distribution (torch's ``mode``).

        Example:
            >>> Gamma(ne.tensor([3.0, 0.5]), ne.tensor([2.0, 1.0])).mode
            tensor([1., 0.])
        """
        return (self.concentration - 1).clamp(min=0) / self.rate

    @property
    def mean(self) -> Tensor:
        """The mean of each distribution (``concentration / rate``).

        Example:
            >>> Gamma(ne.tensor([3.0]), 2.0).mean
            tensor([1.5])
        """
        return self.concentration / self.rate

    @property
    def variance(self) -> Tensor:
        """The variance of each distribution (``concentration / rate ** 2``).

        Example:
            >>> Gamma(ne.tensor([3.0]), 2.0).variance
            tensor([0.75])
        """
        return self.concentration / self.rate.pow(2)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        dt = self.rate.dtype
        g = self._rng().standard_gamma(np.broadcast_to(np.asarray(self.concentration._data, np.float64), shape))
        x = (g / np.asarray(self.rate._data, np.float64)).astype(dt)
        return Tensor(np.maximum(x, np.finfo(dt).tiny).astype(dt), dtype=dt)

    def log_prob(self, value: Any) -> Tensor:
        value = _as_param(value, "value")
        self._check_value(value._data >= 0, "values >= 0")
        c = self.concentration
        return c.xlogy(self.rate) + (c - 1).xlogy(value) - self.rate * value - c.lgamma()

    def entropy(self) -> Tensor:
        c = self.concentration
        return c - self.rate.log() + c.lgamma() + (1.0 - c) * c.digamma()
