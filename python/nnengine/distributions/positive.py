"""``HalfNormal``, ``Chi2``, ``Pareto`` and ``Weibull`` (torch.distributions' formulas): positive families built
on ``Normal``, ``Gamma`` and ``Exponential``. ``log_prob``, ``cdf`` and ``icdf`` follow torch's transform chains
(Pareto: ``scale * exp(E / alpha)``, Weibull: ``scale * E ** (1 / concentration)`` with ``E`` a unit exponential),
so values, NaN cases and gradients match; ``rsample`` (all but Chi2, which is a Gamma) pushes nnengine's draws
through the same chains, differentiable in the parameters."""

from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

from ..tensor import Tensor
from .distribution import _EULER, Distribution, _as_param, _broadcast, _check, _Folded
from .exponential import Exponential
from .gamma import Gamma
from .normal import Normal


class HalfNormal(_Folded):
    """``|X|`` for ``X ~ Normal(0, scale)``: density on ``[0, inf)`` (``-inf`` below 0, as torch).

    Example:
        >>> from nnengine.distributions import HalfNormal
        >>> round(HalfNormal(1.0).log_prob(ne.tensor(0.0)).item(), 4)
        -0.2258
    """

    @staticmethod
    def _base_family() -> type:
        return Normal

    @property
    def mean(self) -> Tensor:
        """``scale * sqrt(2 / pi)``.

        Example:
            >>> from nnengine.distributions import HalfNormal
            >>> HalfNormal(ne.tensor([1.0])).mean
            tensor([0.7979])
        """
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self) -> Tensor:
        """``scale ** 2 * (1 - 2 / pi)``.

        Example:
            >>> from nnengine.distributions import HalfNormal
            >>> HalfNormal(ne.tensor([1.0])).variance
            tensor([0.3634])
        """
        return self.scale.pow(2) * (1 - 2 / math.pi)


class Chi2(Gamma):
    """The chi-squared distribution with ``df`` degrees of freedom: exactly ``Gamma(df / 2, 1 / 2)`` (torch's).

    Example:
        >>> from nnengine.distributions import Chi2
        >>> d = Chi2(ne.tensor([4.0]))
        >>> d.mean, d.df
        (tensor([4.]), tensor([4.]))
    """

    _params = ("df",)

    def __init__(self, df: Any, validate_args: Optional[bool] = None) -> None:
        (df,) = _broadcast((df, "df"))
        if validate_args is not False:
            _check(df._data > 0, "df", "every value > 0", df._data)
        super().__init__(0.5 * df, 0.5, validate_args=validate_args)

    @property
    def df(self) -> Tensor:
        """The degrees of freedom (``2 * concentration``).

        Example:
            >>> from nnengine.distributions import Chi2
            >>> Chi2(3.0).df
            tensor(3.)
        """
        return self.concentration * 2


def _unit_exponential(d: Distribution, shape: Any, like: Tensor) -> Tensor:
    """Unit-rate exponential draws of ``d``'s extended ``shape`` in ``like``'s dtype, from nnengine's generator."""
    return Exponential(Tensor._wrap(np.ones(d._batch_shape, like.dtype)), validate_args=False).sample(shape)


class Pareto(Distribution):
    """The Pareto (type I) distribution with minimum ``scale`` and tail index ``alpha``: ``scale * exp(E / alpha)``
    for ``E`` a unit exponential (torch's transform chain); ``mean`` is inf for ``alpha <= 1``, ``variance`` for
    ``alpha <= 2``, as torch.

    Example:
        >>> from nnengine.distributions import Pareto
        >>> d = Pareto(ne.tensor([1.0]), ne.tensor([3.0]))
        >>> d.mean, round(d.log_prob(ne.tensor([2.0])).item(), 4)
        (tensor([1.5]), -1.674)
    """

    has_rsample = True
    _params = ("alpha", "scale")  # torch's repr order
    _batch_params = ("scale", "alpha")

    def __init__(self, scale: Any, alpha: Any, validate_args: Optional[bool] = None) -> None:
        self.scale, self.alpha = _broadcast((scale, "scale"), (alpha, "alpha"))
        super().__init__(self.scale.shape, (), validate_args)
        if self._validate_args:
            _check(self.scale._data > 0, "scale", "every value > 0", self.scale._data)
            _check(self.alpha._data > 0, "alpha", "every value > 0", self.alpha._data)

    @property
    def mean(self) -> Tensor:
        """``alpha * scale / (alpha - 1)`` (inf for ``alpha <= 1``).

        Example:
            >>> from nnengine.distributions import Pareto
            >>> Pareto(ne.tensor([2.0, 2.0]), ne.tensor([3.0, 0.5])).mean
            tensor([ 3., inf])
        """
        a = self.alpha.clamp(min=1)
        return a * self.scale / (a - 1)

    @property
    def mode(self) -> Tensor:
        """The minimum, ``scale``.

        Example:
            >>> from nnengine.distributions import Pareto
            >>> Pareto(ne.tensor([2.0]), 3.0).mode
            tensor([2.])
        """
        return self.scale

    @property
    def variance(self) -> Tensor:
        """``scale ** 2 * alpha / ((alpha - 1) ** 2 * (alpha - 2))`` (inf for ``alpha <= 2``).

        Example:
            >>> from nnengine.distributions import Pareto
            >>> Pareto(ne.tensor([1.0, 1.0]), ne.tensor([3.0, 2.0])).variance
            tensor([0.75,  inf])
        """
        a = self.alpha.clamp(min=2)
        return self.scale.pow(2) * a / ((a - 1).pow(2) * (a - 2))

    def _log_ratio(self, value: Any) -> Tensor:
        value = _as_param(value, "value")
        self._check_value(value._data >= self.scale._data, "values >= scale")
        return (value / self.scale).log()

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        return self.scale * (_unit_exponential(self, sample_shape, self.scale) / self.alpha).exp()

    def log_prob(self, value: Any) -> Tensor:
        x = self._log_ratio(value)
        return self.alpha.log() - self.alpha * x - self.scale.log() - x

    def cdf(self, value: Any) -> Tensor:
        """``1 - (scale / value) ** alpha``.

        Example:
            >>> from nnengine.distributions import Pareto
            >>> Pareto(1.0, 2.0).cdf(ne.tensor(2.0))
            tensor(0.75)
        """
        return 1 - (-self.alpha * self._log_ratio(value)).exp()

    def icdf(self, prob: Any) -> Tensor:
        """The quantile of probability ``prob``: ``scale * (1 - prob) ** (-1 / alpha)``.

        Example:
            >>> from nnengine.distributions import Pareto
            >>> Pareto(1.0, 2.0).icdf(ne.tensor(0.75))
            tensor(2.)
        """
        return self.scale * (-(-_as_param(prob, "prob")).log1p() / self.alpha).exp()

    def entropy(self) -> Tensor:
        return (self.scale / self.alpha).log() + (1 + self.alpha.reciprocal())


class Weibull(Distribution):
    """The Weibull distribution with ``scale`` and shape ``concentration``: ``scale * E ** (1 / concentration)``
    for ``E`` a unit exponential (torch's transform chain, so ``log_prob`` at 0 is NaN as torch's).

    Example:
        >>> from nnengine.distributions import Weibull
        >>> d = Weibull(ne.tensor([1.0]), ne.tensor([1.0]))
        >>> d.mean, round(d.log_prob(ne.tensor([2.0])).item(), 4)
        (tensor([1.]), -2.0)
    """

    has_rsample = True
    _params = _batch_params = ("scale", "concentration")

    def __init__(self, scale: Any, concentration: Any, validate_args: Optional[bool] = None) -> None:
        self.scale, self.concentration = _broadcast((scale, "scale"), (concentration, "concentration"))
        super().__init__(self.scale.shape, (), validate_args)
        if self._validate_args:
            _check(self.scale._data > 0, "scale", "every value > 0", self.scale._data)
            _check(self.concentration._data > 0, "concentration", "every value > 0", self.concentration._data)

    @property
    def concentration_reciprocal(self) -> Tensor:
        """``1 / concentration``.

        Example:
            >>> from nnengine.distributions import Weibull
            >>> Weibull(1.0, ne.tensor([4.0])).concentration_reciprocal
            tensor([0.25])
        """
        return self.concentration.reciprocal()

    @property
    def mean(self) -> Tensor:
        """``scale * Gamma(1 + 1 / concentration)``.

        Example:
            >>> from nnengine.distributions import Weibull
            >>> Weibull(ne.tensor([2.0]), 1.0).mean
            tensor([2.])
        """
        return self.scale * (1 + self.concentration_reciprocal).lgamma().exp()

    @property
    def mode(self) -> Tensor:
        """``scale * ((concentration - 1) / concentration) ** (1 / concentration)`` (NaN below concentration 1,
        as torch).

        Example:
            >>> from nnengine.distributions import Weibull
            >>> Weibull(ne.tensor([1.0]), 2.0).mode
            tensor([0.7071])
        """
        c = self.concentration
        return self.scale * ((c - 1) / c).pow(c.reciprocal())

    @property
    def variance(self) -> Tensor:
        """``scale ** 2 * (Gamma(1 + 2 / c) - Gamma(1 + 1 / c) ** 2)``.

        Example:
            >>> from nnengine.distributions import Weibull
            >>> Weibull(ne.tensor([1.0]), 1.0).variance
            tensor([1.])
        """
        r = self.concentration_reciprocal
        return self.scale.pow(2) * ((1 + 2 * r).lgamma().exp() - (2 * (1 + r).lgamma()).exp())

    def _unit(self, value: Any) -> tuple:
        """``value / scale`` and the unit exponential it comes from (torch's inverse transforms)."""
        value = _as_param(value, "value")
        self._check_value(value._data > 0, "values > 0")
        x1 = value / self.scale
        return x1, x1.pow(1 / self.concentration_reciprocal)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        return self.scale * _unit_exponential(self, sample_shape, self.scale).pow(self.concentration_reciprocal)

    def log_prob(self, value: Any) -> Tensor:
        x1, x0 = self._unit(value)
        return -self.scale.log() - (self.concentration_reciprocal * x1 / x0).abs().log() - x0

    def cdf(self, value: Any) -> Tensor:
        """``1 - exp(-(value / scale) ** concentration)``.

        Example:
            >>> from nnengine.distributions import Weibull
            >>> round(Weibull(1.0, 1.0).cdf(ne.tensor(1.0)).item(), 4)
            0.6321
        """
        return 1 - (-self._unit(value)[1]).exp()

    def icdf(self, prob: Any) -> Tensor:
        """The quantile of probability ``prob``: ``scale * (-log(1 - prob)) ** (1 / concentration)``.

        Example:
            >>> from nnengine.distributions import Weibull
            >>> round(Weibull(1.0, 1.0).icdf(ne.tensor(0.5)).item(), 4)
            0.6931
        """
        return self.scale * (-(-_as_param(prob, "prob")).log1p()).pow(self.concentration_reciprocal)

    def entropy(self) -> Tensor:
        r = self.concentration_reciprocal
        return _EULER * (1 - r) + (self.scale * r).log() + 1
