"""``ContinuousBernoulli(probs | logits, lims)`` (torch.distributions.ContinuousBernoulli): the normalized
Bernoulli density on ``[0, 1]``, the correct likelihood of a VAE over pixel intensities in ``[0, 1]``
(Loaiza-Ganem and Cunningham, NeurIPS 2019). torch's formulas, including its Taylor expansions inside the unstable
region ``lims`` around ``probs = 1/2``."""

from __future__ import annotations

import math
from typing import Any, Optional, Tuple

import numpy as np

from .. import functional as F
from ..tensor import Tensor, where
from .categorical import _binary_logits, _clamp_probs, _one_of
from .distribution import Distribution, _as_param, _as_value, _check


class ContinuousBernoulli(Distribution):
    """Density ``C(p) p^x (1 - p)^(1 - x)`` on ``[0, 1]`` given by ``probs`` in ``[0, 1]`` (clamped inside as torch)
    or ``logits``; ``rsample`` is the inverse cdf of a uniform draw (reparameterized), ``log_prob`` and ``entropy``
    are differentiable in the parameter.

    Example:
        >>> from nnengine.distributions import ContinuousBernoulli
        >>> d = ContinuousBernoulli(probs=ne.tensor([0.2]))
        >>> round(d.mean.item(), 4), round(d.log_prob(ne.tensor([0.5])).item(), 4)
        (0.388, -0.0788)
    """

    has_rsample = True
    _batch_params = ("probs", "logits")

    def __init__(self, probs: Any = None, logits: Any = None, lims: Tuple[float, float] = (0.499, 0.501),
                 validate_args: Optional[bool] = None) -> None:
        _one_of(probs, logits, "ContinuousBernoulli")
        if probs is not None:
            p = _as_param(probs, "probs")
            if validate_args is not None:  # torch checks the unit interval only when asked
                _check((p._data >= 0) & (p._data <= 1), "probs", "every value in [0, 1]", p._data)
            self.probs = _clamp_probs(p)
            self.logits = _binary_logits(self.probs)
        else:
            self.logits = _as_param(logits, "logits")
            self.probs = _clamp_probs(self.logits.sigmoid())
        self._params = ("probs",) if probs is not None else ("logits",)  # torch's repr: the given one
        self._lims = (float(lims[0]), float(lims[1]))
        super().__init__(self.probs.shape, (), validate_args)

    def _outside(self) -> np.ndarray:
        """Where ``probs`` is outside the unstable region (the closed forms apply)."""
        p = np.asarray(self.probs._data)
        return (p <= self._lims[0]) | (p > self._lims[1])

    def _cut_probs(self) -> Tensor:
        return where(self._outside(), self.probs, self._lims[0])

    def _log_norm(self) -> Tensor:
        """log C(probs): closed form outside the unstable region, torch's Taylor expansion inside."""
        cut = self._cut_probs()
        c = np.asarray(cut._data)
        below, above = where(c <= 0.5, cut, 0.0), where(c >= 0.5, cut, 1.0)
        log_norm = ((-cut).log1p() - cut.log()).abs().log() - where(c <= 0.5, (-2.0 * below).log1p(),
                                                                        (2.0 * above - 1.0).log())
        x = (self.probs - 0.5).pow(2)
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return where(self._outside(), log_norm, taylor)

    @property
    def mean(self) -> Tensor:
        """The mean (closed form outside ``lims``, torch's Taylor expansion inside).

        Example:
            >>> from nnengine.distributions import ContinuousBernoulli
            >>> ContinuousBernoulli(probs=ne.tensor([0.5])).mean
            tensor([0.5])
        """
        cut = self._cut_probs()
        mus = cut / (2.0 * cut - 1.0) + 1.0 / ((-cut).log1p() - cut.log())
        x = self.probs - 0.5
        taylor = 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x.pow(2)) * x
        return where(self._outside(), mus, taylor)

    @property
    def variance(self) -> Tensor:
        """The variance (closed form outside ``lims``, torch's Taylor expansion inside).

        Example:
            >>> from nnengine.distributions import ContinuousBernoulli
            >>> ContinuousBernoulli(probs=ne.tensor([0.5])).variance
            tensor([0.0833])
        """
        cut = self._cut_probs()
        v = cut * (cut - 1.0) / (1.0 - 2.0 * cut).pow(2) + 1.0 / ((-cut).log1p() - cut.log()).pow(2)
        x = (self.probs - 0.5).pow(2)
        taylor = 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x
        return where(self._outside(), v, taylor)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        dt = self.probs.dtype
        u = np.asarray(self._rng().uniform(0.0, 1.0, shape)).astype(dt)
        return self.icdf(Tensor._wrap(u))

    def log_prob(self, value: Any) -> Tensor:
        value = _as_value(value, self.probs)
        v = np.asarray(value._data)
        self._check_value((v >= 0) & (v <= 1), "values in [0, 1]")
        shape = tuple(np.broadcast_shapes(self.logits.shape, value.shape))
        lg, value = self.logits.expand(*shape), value.expand(*shape)
        return -F.binary_cross_entropy_with_logits(lg, value, reduction="none") + self._log_norm()

    def cdf(self, value: Any) -> Tensor:
        """``P(X <= value)`` (``value`` itself inside the unstable region, as torch).

        Example:
            >>> from nnengine.distributions import ContinuousBernoulli
            >>> ContinuousBernoulli(probs=ne.tensor([0.5])).cdf(ne.tensor([0.25]))
            tensor([0.25])
        """
        value = _as_value(value, self.probs)
        cut = self._cut_probs()
        cdfs = (cut.pow(value) * (1.0 - cut).pow(1.0 - value) + cut - 1.0) / (2.0 * cut - 1.0)
        unbounded = where(self._outside(), cdfs, value)
        v = np.asarray(value._data)
        return where(v <= 0.0, 0.0, where(v >= 1.0, 1.0, unbounded))

    def icdf(self, value: Any) -> Tensor:
        """The quantile of probability ``value``.

        Example:
            >>> from nnengine.distributions import ContinuousBernoulli
            >>> ContinuousBernoulli(probs=ne.tensor([0.5])).icdf(ne.tensor([0.25]))
            tensor([0.25])
        """
        value = _as_value(value, self.probs)
        cut = self._cut_probs()
        q = ((-cut + value * (2.0 * cut - 1.0)).log1p() - (-cut).log1p()) / (cut.log() - (-cut).log1p())
        return where(self._outside(), q, value)

    def entropy(self) -> Tensor:
        log0, log1 = (-self.probs).log1p(), self.probs.log()
        return self.mean * (log0 - log1) - self._log_norm() - log0
