"""``Cauchy``, ``HalfCauchy``, ``StudentT`` and ``Gumbel`` (torch.distributions' formulas): location-scale
families with closed-form densities; ``rsample`` (Cauchy, HalfCauchy, Gumbel) is the inverse-CDF transform of a
uniform draw from nnengine's generator, differentiable in the parameters."""

from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

from ..tensor import Tensor
from .distribution import _EULER, Distribution, _as_param, _broadcast, _check, _Folded, _LocationScale


def _uniform(d: Distribution, shape: tuple, dt: np.dtype) -> Tensor:
    """Uniform draws in (tiny, 1 - eps) of ``dt`` (so logs and tangents of them stay finite)."""
    fi = np.finfo(dt)
    u = np.asarray(d._rng().uniform(float(fi.tiny), 1.0 - float(fi.eps), shape)).astype(dt)
    return Tensor._wrap(u)


class Cauchy(_LocationScale):
    """The Cauchy (Lorentz) distribution with location ``loc`` and scale ``scale``: no mean or variance (NaN and
    inf, as torch); ``rsample`` is ``loc + scale * tan(pi (u - 1/2))``.

    Example:
        >>> d = Cauchy(ne.tensor([0.0]), 2.0)
        >>> round(d.log_prob(ne.tensor([0.0])).item(), 4), round(d.cdf(ne.tensor([2.0])).item(), 4)
        (-1.8379, 0.75)
    """

    @property
    def mean(self) -> Tensor:
        """NaN: a Cauchy distribution has no mean.

        Example:
            >>> Cauchy(0.0, 1.0).mean
            tensor(nan)
        """
        return Tensor._wrap(np.full(self._batch_shape, np.nan, self.loc.dtype))

    @property
    def variance(self) -> Tensor:
        """inf: a Cauchy distribution has no finite variance.

        Example:
            >>> Cauchy(0.0, 1.0).variance
            tensor(inf)
        """
        return Tensor._wrap(np.full(self._batch_shape, np.inf, self.loc.dtype))

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        u = _uniform(self, self._extended_shape(sample_shape), self.loc.dtype)
        return self.loc + self.scale * (math.pi * (u - 0.5)).tan()

    def log_prob(self, value: Any) -> Tensor:
        value = _as_param(value, "value")
        return -math.log(math.pi) - self.scale.log() - (((value - self.loc) / self.scale) ** 2).log1p()

    def cdf(self, value: Any) -> Tensor:
        """``P(X <= value) = atan((value - loc) / scale) / pi + 1/2``.

        Example:
            >>> Cauchy(0.0, 1.0).cdf(ne.tensor(0.0))
            tensor(0.5)
        """
        value = _as_param(value, "value")
        return ((value - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value: Any) -> Tensor:
        """The quantile of probability ``value``.

        Example:
            >>> round(Cauchy(1.0, 2.0).icdf(ne.tensor(0.75)).item(), 4)
            3.0
        """
        value = _as_param(value, "value")
        return (math.pi * (value - 0.5)).tan() * self.scale + self.loc

    def entropy(self) -> Tensor:
        return math.log(4 * math.pi) + self.scale.log()


class HalfCauchy(_Folded):
    """``|X|`` for ``X ~ Cauchy(0, scale)``: density on ``[0, inf)`` (``-inf`` below 0, as torch).

    Example:
        >>> round(HalfCauchy(1.0).log_prob(ne.tensor(0.0)).item(), 4)
        -0.4516
    """

    @staticmethod
    def _base_family() -> type:
        return Cauchy

    @property
    def mean(self) -> Tensor:
        """inf (the half-Cauchy's mean diverges).

        Example:
            >>> HalfCauchy(1.0).mean
            tensor(inf)
        """
        return Tensor._wrap(np.full(self._batch_shape, np.inf, self.scale.dtype))

    @property
    def variance(self) -> Tensor:
        """inf.

        Example:
            >>> HalfCauchy(1.0).variance
            tensor(inf)
        """
        return Tensor._wrap(np.full(self._batch_shape, np.inf, self.scale.dtype))


class StudentT(Distribution):
    """Student's t distribution with ``df`` degrees of freedom, location ``loc`` and scale ``scale`` (torch's
    density, entropy and moments: mean NaN for ``df <= 1``, variance inf for ``1 < df <= 2``, NaN for ``df <= 1``).
    ``sample`` draws ``loc + scale * z / sqrt(chi2 / df)``; there is no ``rsample`` (it would need Gamma's implicit
    reparameterization, see ``Gamma``).

    Example:
        >>> d = StudentT(ne.tensor([3.0]))
        >>> round(d.log_prob(ne.tensor([0.5])).item(), 4), d.variance
        (-1.161, tensor([3.]))
    """

    _params = _batch_params = ("df", "loc", "scale")

    def __init__(self, df: Any, loc: Any = 0.0, scale: Any = 1.0, validate_args: Optional[bool] = None) -> None:
        self.df, self.loc, self.scale = _broadcast((df, "df"), (loc, "loc"), (scale, "scale"))
        super().__init__(self.df.shape, (), validate_args)
        if self._validate_args:
            _check(self.df._data > 0, "df", "every value > 0", self.df._data)
            _check(self.scale._data > 0, "scale", "every value > 0", self.scale._data)

    @property
    def mean(self) -> Tensor:
        """``loc`` where ``df > 1``, NaN elsewhere.

        Example:
            >>> StudentT(ne.tensor([0.5, 2.0]), 1.0).mean
            tensor([nan,  1.])
        """
        return self.loc.masked_fill(self.df._data <= 1, float("nan"))

    @property
    def mode(self) -> Tensor:
        """``loc``.

        Example:
            >>> StudentT(ne.tensor([3.0]), 2.0).mode
            tensor([2.])
        """
        return self.loc

    @property
    def variance(self) -> Tensor:
        """``scale^2 df / (df - 2)`` where ``df > 2``, inf for ``1 < df <= 2``, NaN for ``df <= 1``.

        Example:
            >>> StudentT(ne.tensor([0.5, 1.5, 4.0])).variance
            tensor([nan, inf,  2.])
        """
        df = self.df._data
        v = self.scale.pow(2) * self.df / (self.df - 2).masked_fill(df <= 2, 1.0)
        return v.masked_fill(df <= 2, float("inf")).masked_fill(df <= 1, float("nan"))

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        dt = self.df.dtype
        rng = self._rng()
        df = np.broadcast_to(np.asarray(self.df._data, np.float64), shape)
        z = rng.standard_normal(shape) / np.sqrt(rng.chisquare(df) / df)
        y = np.asarray(self.loc._data, np.float64) + np.asarray(self.scale._data, np.float64) * z
        return Tensor._wrap(np.asarray(y).astype(dt))

    def log_prob(self, value: Any) -> Tensor:
        value = _as_param(value, "value")
        y = (value - self.loc) / self.scale
        z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi) + (0.5 * self.df).lgamma()
             - (0.5 * (self.df + 1.0)).lgamma())
        return -0.5 * (self.df + 1.0) * (y**2 / self.df).log1p() - z

    def entropy(self) -> Tensor:
        lbeta = (0.5 * self.df).lgamma() + math.lgamma(0.5) - (0.5 * (self.df + 1)).lgamma()
        return (self.scale.log() + 0.5 * (self.df + 1) * ((0.5 * (self.df + 1)).digamma() - (0.5 * self.df).digamma())
                + 0.5 * self.df.log() + lbeta)


class Gumbel(_LocationScale):
    """The Gumbel (type-I extreme value) distribution with location ``loc`` and scale ``scale``; ``rsample`` is
    ``loc - scale * log(-log(u))``.

    Example:
        >>> d = Gumbel(ne.tensor([0.0]), 1.0)
        >>> round(d.log_prob(ne.tensor([0.5])).item(), 4), round(d.mean.item(), 4)
        (-1.1065, 0.5772)
    """

    @property
    def mean(self) -> Tensor:
        """``loc + scale * euler_gamma``.

        Example:
            >>> round(Gumbel(1.0, 2.0).mean.item(), 4)
            2.1544
        """
        return self.loc + self.scale * _EULER

    @property
    def stddev(self) -> Tensor:
        """``pi / sqrt(6) * scale``.

        Example:
            >>> round(Gumbel(0.0, 1.0).stddev.item(), 4)
            1.2825
        """
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self) -> Tensor:
        """``stddev^2``.

        Example:
            >>> round(Gumbel(0.0, 1.0).variance.item(), 4)
            1.6449
        """
        return self.stddev.pow(2)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        u = _uniform(self, self._extended_shape(sample_shape), self.loc.dtype)
        return self.loc - self.scale * (-(u.log())).log()

    def log_prob(self, value: Any) -> Tensor:
        value = _as_param(value, "value")
        z = (self.loc - value) / self.scale
        return (z - z.exp()) - self.scale.log()

    def cdf(self, value: Any) -> Tensor:
        """``exp(-exp(-(value - loc) / scale))``.

        Example:
            >>> round(Gumbel(0.0, 1.0).cdf(ne.tensor(0.0)).item(), 4)
            0.3679
        """
        value = _as_param(value, "value")
        return (-((self.loc - value) / self.scale).exp()).exp()

    def icdf(self, value: Any) -> Tensor:
        """The quantile of probability ``value``: ``loc - scale * log(-log(value))``.

        Example:
            >>> round(Gumbel(0.0, 1.0).icdf(ne.tensor(0.3679)).item(), 3)
            0.0
        """
        value = _as_param(value, "value")
        return self.loc - self.scale * (-(value.log())).log()

    def entropy(self) -> Tensor:
        return self.scale.log() + (1 + _EULER)
