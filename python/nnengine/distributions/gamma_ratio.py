"""``InverseGamma`` and ``FisherSnedecor`` (torch.distributions' formulas): ``1 / Gamma`` through torch's
``PowerTransform(-1)`` chain, and the ratio of two scaled chi-squared draws; values, the inf / NaN moments and
gradients as torch's. Both sample from nnengine's generator; neither has ``rsample`` (torch's reparameterizes gamma
draws implicitly, which nnengine's ``Gamma`` does not)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..tensor import Tensor, where
from .distribution import Distribution, _as_param, _broadcast, _check
from .gamma import Gamma
from .transformed_distribution import TransformedDistribution
from .transforms import PowerTransform


class InverseGamma(TransformedDistribution):
    """``1 / X`` for ``X ~ Gamma(concentration, rate)``: ``log_prob``, ``entropy``, ``mean`` (inf for
    ``concentration <= 1``), ``mode`` and ``variance`` (inf for ``concentration <= 2``) are torch's, differentiable
    in both parameters.

    Example:
        >>> from nnengine.distributions import InverseGamma
        >>> d = InverseGamma(ne.tensor([3.0]), ne.tensor([2.0]))
        >>> d.mean, round(d.log_prob(ne.tensor([1.0])).item(), 4)
        (tensor([1.]), -0.6137)
    """

    _params = ("concentration", "rate")

    def __init__(self, concentration: Any, rate: Any, validate_args: Optional[bool] = None) -> None:
        base = Gamma(concentration, rate, validate_args=validate_args)
        neg_one = Tensor._wrap(np.full((), -1.0, base.rate.dtype))
        super().__init__(base, PowerTransform(neg_one), validate_args=validate_args)

    @property
    def concentration(self) -> Tensor:
        """The base gamma's shape.

        Example:
            >>> from nnengine.distributions import InverseGamma
            >>> InverseGamma(ne.tensor([3.0]), 2.0).concentration
            tensor([3.])
        """
        return self.base_dist.concentration

    @property
    def rate(self) -> Tensor:
        """The base gamma's rate (the inverse gamma's scale).

        Example:
            >>> from nnengine.distributions import InverseGamma
            >>> InverseGamma(3.0, ne.tensor([2.0])).rate
            tensor([2.])
        """
        return self.base_dist.rate

    @property
    def mean(self) -> Tensor:
        """``rate / (concentration - 1)``, inf for ``concentration <= 1``.

        Example:
            >>> from nnengine.distributions import InverseGamma
            >>> InverseGamma(ne.tensor([3.0, 0.5]), 2.0).mean
            tensor([ 1., inf])
        """
        c = self.concentration
        return where(c > 1, self.rate / (c - 1), float("inf"))

    @property
    def mode(self) -> Tensor:
        """``rate / (concentration + 1)``.

        Example:
            >>> from nnengine.distributions import InverseGamma
            >>> InverseGamma(ne.tensor([3.0]), 2.0).mode
            tensor([0.5])
        """
        return self.rate / (self.concentration + 1)

    @property
    def variance(self) -> Tensor:
        """``rate ** 2 / ((concentration - 1) ** 2 (concentration - 2))``, inf for ``concentration <= 2``.

        Example:
            >>> from nnengine.distributions import InverseGamma
            >>> InverseGamma(ne.tensor([3.0, 2.0]), 2.0).variance
            tensor([ 1., inf])
        """
        c = self.concentration
        return where(c > 2, self.rate.pow(2) / ((c - 1).pow(2) * (c - 2)), float("inf"))

    def entropy(self) -> Tensor:
        c = self.concentration
        return c + self.rate.log() + c.lgamma() - (1 + c) * c.digamma()


class FisherSnedecor(Distribution):
    """Snedecor's F distribution with ``df1`` and ``df2`` degrees of freedom (torch's formulas: ``mean`` NaN for
    ``df2 <= 2``, ``mode`` NaN for ``df1 <= 2``, ``variance`` NaN for ``df2 <= 4``); ``sample`` is the ratio of two
    gamma draws, clamped above the dtype's tiny as torch's.

    Example:
        >>> from nnengine.distributions import FisherSnedecor
        >>> d = FisherSnedecor(ne.tensor([4.0]), ne.tensor([6.0]))
        >>> d.mean, round(d.log_prob(ne.tensor([1.0])).item(), 4)
        (tensor([1.5]), -0.8802)
    """

    _params = _batch_params = ("df1", "df2")

    def __init__(self, df1: Any, df2: Any, validate_args: Optional[bool] = None) -> None:
        self.df1, self.df2 = _broadcast((df1, "df1"), (df2, "df2"))
        super().__init__(self.df1.shape, (), validate_args)
        if self._validate_args:
            _check(self.df1._data > 0, "df1", "every value > 0", self.df1._data)
            _check(self.df2._data > 0, "df2", "every value > 0", self.df2._data)

    @property
    def mean(self) -> Tensor:
        """``df2 / (df2 - 2)``, NaN for ``df2 <= 2``.

        Example:
            >>> from nnengine.distributions import FisherSnedecor
            >>> FisherSnedecor(1.0, ne.tensor([6.0, 2.0])).mean
            tensor([1.5, nan])
        """
        d2 = self.df2.masked_fill(self.df2._data <= 2, float("nan"))
        return d2 / (d2 - 2)

    @property
    def mode(self) -> Tensor:
        """``(df1 - 2) / df1 * df2 / (df2 + 2)``, NaN for ``df1 <= 2``.

        Example:
            >>> from nnengine.distributions import FisherSnedecor
            >>> FisherSnedecor(ne.tensor([4.0, 1.0]), 6.0).mode
            tensor([0.375,   nan])
        """
        m = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return m.masked_fill(np.broadcast_to(self.df1._data <= 2, m.shape), float("nan"))

    @property
    def variance(self) -> Tensor:
        """``2 df2^2 (df1 + df2 - 2) / (df1 (df2 - 2)^2 (df2 - 4))``, NaN for ``df2 <= 4``.

        Example:
            >>> from nnengine.distributions import FisherSnedecor
            >>> FisherSnedecor(4.0, ne.tensor([6.0, 4.0])).variance
            tensor([4.5, nan])
        """
        d2 = self.df2.masked_fill(self.df2._data <= 4, float("nan"))
        return 2 * d2.pow(2) * (self.df1 + d2 - 2) / (self.df1 * (d2 - 2).pow(2) * (d2 - 4))

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        rng, dt = self._rng(), self.df1.dtype
        d1 = np.broadcast_to(np.asarray(self.df1._data, np.float64), shape)
        d2 = np.broadcast_to(np.asarray(self.df2._data, np.float64), shape)
        tiny = float(np.finfo(dt).tiny)
        x1 = (rng.standard_gamma(d1 * 0.5) / d1).astype(dt)  # Gamma(df / 2, rate=df) as torch's
        x2 = np.maximum((rng.standard_gamma(d2 * 0.5) / d2).astype(dt), tiny)
        return Tensor._wrap(np.maximum(x1 / x2, tiny).astype(dt))

    def log_prob(self, value: Any) -> Tensor:
        value = _as_param(value, "value")
        self._check_value(value._data > 0, "values > 0")
        ct1, ct2 = self.df1 * 0.5, self.df2 * 0.5
        ct3 = self.df1 / self.df2
        t1 = (ct1 + ct2).lgamma() - ct1.lgamma() - ct2.lgamma()
        t2 = ct1 * ct3.log() + (ct1 - 1) * value.log()
        t3 = (ct1 + ct2) * (ct3 * value).log1p()
        return t1 + t2 - t3
