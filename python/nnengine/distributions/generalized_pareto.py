"""``GeneralizedPareto(loc, scale, concentration)`` (torch.distributions.GeneralizedPareto, after TensorFlow
Probability's): the tail model of extreme-value statistics; concentration 0 is the shifted Exponential, -1 the
Uniform on [loc, loc + scale]."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..tensor import Tensor, where
from .distribution import Distribution, _as_param, _broadcast, _check
from .heavy_tailed import _uniform


class GeneralizedPareto(Distribution):
    """Density ``(1 + c z)^(-1/c - 1) / scale`` for ``z = (x - loc) / scale`` (``exp(-z) / scale`` at c = 0) on
    ``[loc, loc - scale / c]`` for c < 0, ``[loc, inf)`` otherwise; torch's formulas (c within 1e-8 of 0 takes the
    exponential branch), ``rsample`` through ``icdf``, differentiable in all three parameters.

    Example:
        >>> from nnengine.distributions import GeneralizedPareto
        >>> d = GeneralizedPareto(0.0, 2.0, 0.25)
        >>> round(d.log_prob(ne.tensor(1.0)).item(), 4), round(d.mean.item(), 4), d.rsample((3,)).shape
        (-1.2821, 2.6667, (3,))
    """

    has_rsample = True
    _params = _batch_params = ("loc", "scale", "concentration")

    def __init__(self, loc: Any, scale: Any, concentration: Any, validate_args: Optional[bool] = None) -> None:
        self.loc, self.scale, self.concentration = _broadcast((loc, "loc"), (scale, "scale"),
                                                              (concentration, "concentration"))
        super().__init__(self.loc.shape, (), validate_args)
        if self._validate_args:
            _check(self.scale._data > 0, "scale", "every value > 0", self.scale._data)

    def _zero(self) -> np.ndarray:
        return np.abs(self.concentration._data) <= 1e-8  # torch.isclose(c, 0)

    def _safe(self) -> Tensor:
        return where(self._zero(), 1.0, self.concentration)

    def _checked(self, value: Any) -> Tensor:
        value = _as_param(value, "value")
        if self._validate_args:
            v, lo, c = value._data, self.loc._data, self.concentration._data
            with np.errstate(divide="ignore", invalid="ignore"):
                hi = np.where(c < 0, lo - self.scale._data / np.where(c < 0, c, -1.0), np.inf)
            self._check_value((v >= lo) & (v <= hi), "values in [loc, loc - scale / concentration] (or [loc, inf))")
        return value

    def log_prob(self, value: Any) -> Tensor:
        z = (self._checked(value) - self.loc) / self.scale
        c = self._safe()
        y = 1.0 / c + 1.0
        nonzero = where(y._data == 0, y, y * (c * z).log1p())
        return -self.scale.log() - where(self._zero(), z, nonzero)

    def log_survival_function(self, value: Any) -> Tensor:
        """``log(1 - cdf(value))``: ``-log1p(c z) / c`` (``-z`` at c = 0).

        Example:
            >>> round(GeneralizedPareto(0.0, 1.0, 0.0).log_survival_function(ne.tensor(2.0)).item(), 4)
            -2.0
        """
        z = (self._checked(value) - self.loc) / self.scale
        c = self._safe()
        return where(self._zero(), -z, -(c * z).log1p() / c)

    def log_cdf(self, value: Any) -> Tensor:
        """``log1p(-exp(log_survival_function(value)))``.

        Example:
            >>> round(GeneralizedPareto(0.0, 1.0, 0.0).log_cdf(ne.tensor(1.0)).item(), 4)
            -0.4587
        """
        return (-(self.log_survival_function(value).exp())).log1p()

    def cdf(self, value: Any) -> Tensor:
        """``exp(log_cdf(value))``.

        Example:
            >>> round(GeneralizedPareto(0.0, 1.0, -1.0).cdf(ne.tensor(0.25)).item(), 4)
            0.25
        """
        return self.log_cdf(value).exp()

    def icdf(self, value: Any) -> Tensor:
        """The quantile of probability ``value``: ``loc + scale / c * expm1(-c log1p(-value))`` (``loc - scale *
        log1p(-value)`` at c = 0).

        Example:
            >>> round(GeneralizedPareto(0.0, 1.0, 0.0).icdf(ne.tensor(0.5)).item(), 4)
            0.6931
        """
        value = _as_param(value, "value")
        c = self._safe()
        logu = (-value).log1p()
        nonzero = self.loc + self.scale / c * (-c * logu).expm1()
        return where(self._zero(), self.loc - self.scale * logu, nonzero)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        return self.icdf(_uniform(self, self._extended_shape(sample_shape), self.loc.dtype))

    @property
    def mean(self) -> Tensor:
        """``loc + scale / (1 - c)``, NaN for c >= 1.

        Example:
            >>> GeneralizedPareto(0.0, 1.0, ne.tensor([0.5, 1.0])).mean
            tensor([ 2., nan])
        """
        valid = self.concentration._data < 1
        c = where(valid, self.concentration, 0.5)
        return where(valid, self.loc + self.scale / (1.0 - c), float("nan"))

    @property
    def variance(self) -> Tensor:
        """``scale^2 / ((1 - c)^2 (1 - 2c))``, NaN for c >= 1/2.

        Example:
            >>> GeneralizedPareto(0.0, 1.0, ne.tensor([0.0, 0.5])).variance
            tensor([ 1., nan])
        """
        valid = self.concentration._data < 0.5
        c = where(valid, self.concentration, 0.25)
        return where(valid, self.scale.pow(2) / ((1.0 - c).pow(2) * (1.0 - 2.0 * c)), float("nan"))

    @property
    def mode(self) -> Tensor:
        """The location.

        Example:
            >>> GeneralizedPareto(ne.tensor([1.0]), 1.0, 0.1).mode
            tensor([1.])
        """
        return self.loc

    def entropy(self) -> Tensor:
        return (self.scale.log() + self.concentration + 1.0).expand(*self._batch_shape)
