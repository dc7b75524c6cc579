"""The Concrete / Gumbel-softmax relaxations (torch.distributions' ``RelaxedBernoulli``,
``RelaxedOneHotCategorical`` and their log-space bases ``LogitRelaxedBernoulli``, ``ExpRelaxedCategorical``):
reparameterized samples of discrete variables at a ``temperature``, for VAEs and GANs with discrete latents."""

from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

from ..tensor import Tensor
from .categorical import Categorical, _binary_logits, _clamp_probs, _one_of
from .distribution import Distribution, _as_param, _check
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform, SigmoidTransform


def _uniforms(d: Distribution, shape: tuple, dt: np.dtype) -> Tensor:
    """torch's ``clamp_probs(rand(shape))``: uniform draws clamped into ``[eps, 1 - eps]``."""
    return _clamp_probs(Tensor._wrap(np.asarray(d._rng().random(shape)).astype(dt)))


def _temperature(t: Any, like: Tensor) -> Tensor:
    temp = _as_param(t, "temperature")
    _check(temp._data > 0, "temperature", "every value > 0", temp._data)
    return temp if temp.dtype == like.dtype else temp.to(like.dtype)


class LogitRelaxedBernoulli(Distribution):
    """The logit of a relaxed Bernoulli (Concrete) variable: ``rsample`` is ``(logit(u) + logits) / temperature``.

    Example:
        >>> d = LogitRelaxedBernoulli(ne.tensor(0.5), logits=ne.tensor([0.0, 1.0]))
        >>> d.rsample((3,)).shape, d.log_prob(ne.tensor([0.0, 0.0])).shape
        ((3, 2), (2,))
    """

    has_rsample = True
    _params = ("probs", "logits")
    _batch_params = ("probs", "logits")

    def __init__(self, temperature: Any, probs: Any = None, logits: Any = None,
                 validate_args: Optional[bool] = None) -> None:
        _one_of(probs, logits, type(self).__name__)
        if probs is not None:
            self.probs = _as_param(probs, "probs")
            if validate_args is None or validate_args:
                _check((self.probs._data >= 0) & (self.probs._data <= 1), "probs", "every value in [0, 1]",
                       self.probs._data)
            self.logits = _binary_logits(self.probs)
        else:
            self.logits = _as_param(logits, "logits")
            self.probs = self.logits.sigmoid()
        self.temperature = _temperature(temperature, self.logits)
        super().__init__(tuple(np.broadcast_shapes(self.logits.shape, self.temperature.shape)), (), validate_args)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        u = _uniforms(self, self._extended_shape(sample_shape), self.logits.dtype)
        return (u.log() - (-u).log1p() + self.logits) / self.temperature

    def log_prob(self, value: Any) -> Tensor:
        diff = self.logits - _as_param(value, "value") * self.temperature
        return self.temperature.log() + diff - 2 * diff.exp().log1p()


class RelaxedBernoulli(TransformedDistribution):
    """A relaxed Bernoulli (binary Concrete) variable in ``(0, 1)``: ``sigmoid`` of a ``LogitRelaxedBernoulli``;
    ``rsample`` is differentiable in ``probs`` / ``logits`` (the straight path of a discrete latent).

    Example:
        >>> logits = ne.zeros(3, requires_grad=True)
        >>> d = RelaxedBernoulli(ne.tensor(0.5), logits=logits)
        >>> y = d.rsample(); d.log_prob(y).sum().backward(); y.shape, logits.grad.shape
        ((3,), (3,))
    """

    has_rsample = True

    def __init__(self, temperature: Any, probs: Any = None, logits: Any = None,
                 validate_args: Optional[bool] = None) -> None:
        base = LogitRelaxedBernoulli(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, SigmoidTransform(), validate_args=validate_args)

    @property
    def temperature(self) -> Tensor:
        """The relaxation temperature.

        Example:
            >>> RelaxedBernoulli(ne.tensor(0.5), probs=ne.tensor([0.3])).temperature
            tensor(0.5)
        """
        return self.base_dist.temperature

    @property
    def probs(self) -> Tensor:
        """The Bernoulli probabilities.

        Example:
            >>> RelaxedBernoulli(ne.tensor(0.5), probs=ne.tensor([0.3])).probs
            tensor([0.3])
        """
        return self.base_dist.probs

    @property
    def logits(self) -> Tensor:
        """The Bernoulli log-odds.

        Example:
            >>> RelaxedBernoulli(ne.tensor(0.5), logits=ne.tensor([0.0])).logits
            tensor([0.])
        """
        return self.base_dist.logits


class ExpRelaxedCategorical(Distribution):
    """The log of a relaxed one-hot categorical (Concrete) variable: ``rsample`` is
    ``log_softmax((logits + gumbel) / temperature)``, event shape ``(K,)``.

    Example:
        >>> d = ExpRelaxedCategorical(ne.tensor(0.5), logits=ne.zeros(2, 4))
        >>> d.rsample().shape, d.log_prob(d.rsample()).shape
        ((2, 4), (2,))
    """

    has_rsample = True
    _params = ("probs", "logits")

    def __init__(self, temperature: Any, probs: Any = None, logits: Any = None,
                 validate_args: Optional[bool] = None) -> None:
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        self.temperature = _temperature(temperature, self._categorical.logits)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:], validate_args)

    @property
    def probs(self) -> Tensor:
        """The normalised probabilities.

        Example:
            >>> ExpRelaxedCategorical(ne.tensor(1.0), logits=ne.zeros(2)).probs
            tensor([0.5, 0.5])
        """
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        """The normalised log-probabilities.

        Example:
            >>> ExpRelaxedCategorical(ne.tensor(1.0), probs=ne.tensor([1.0, 1.0])).logits
            tensor([-0.6931, -0.6931])
        """
        return self._categorical.logits

    def expand(self, batch_shape: Any, _instance: Any = None) -> ExpRelaxedCategorical:
        new = super().expand(batch_shape)
        new._categorical = self._categorical.expand(new.batch_shape)
        return new

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        u = _uniforms(self, self._extended_shape(sample_shape), self.logits.dtype)
        scores = (self.logits - (-(u.log())).log()) / self.temperature
        return scores - scores.logsumexp(-1, keepdim=True)

    def log_prob(self, value: Any) -> Tensor:
        k = self._event_shape[0]
        t = self.temperature
        score = self.logits - _as_param(value, "value") * t
        score = (score - score.logsumexp(-1, keepdim=True)).sum(-1)
        return score + (math.lgamma(k) + (k - 1) * t.log())  # torch's log_scale: lgamma(K) - log(t) * -(K - 1)


class RelaxedOneHotCategorical(TransformedDistribution):
    """A relaxed one-hot categorical (Concrete / Gumbel-softmax) vector on the simplex: ``exp`` of an
    ``ExpRelaxedCategorical``; ``rsample`` is differentiable in ``probs`` / ``logits``.

    Example:
        >>> logits = ne.zeros(4, requires_grad=True)
        >>> d = RelaxedOneHotCategorical(ne.tensor(0.5), logits=logits)
        >>> y = d.rsample(); d.log_prob(y).backward(); y.shape, round(y.sum().item(), 5), logits.grad.shape
        ((4,), 1.0, (4,))
    """

    has_rsample = True

    def __init__(self, temperature: Any, probs: Any = None, logits: Any = None,
                 validate_args: Optional[bool] = None) -> None:
        base = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        super().__init__(base, ExpTransform(), validate_args=validate_args)

    @property
    def temperature(self) -> Tensor:
        """The relaxation temperature.

        Example:
            >>> RelaxedOneHotCategorical(ne.tensor(0.5), probs=ne.tensor([0.3, 0.7])).temperature
            tensor(0.5)
        """
        return self.base_dist.temperature

    @property
    def probs(self) -> Tensor:
        """The categorical probabilities.

        Example:
            >>> RelaxedOneHotCategorical(ne.tensor(0.5), probs=ne.tensor([1.0, 3.0])).probs
            tensor([0.25, 0.75])
        """
        return self.base_dist.probs

    @property
    def logits(self) -> Tensor:
        """The categorical log-probabilities.

        Example:
            >>> RelaxedOneHotCategorical(ne.tensor(0.5), probs=ne.tensor([1.0, 1.0])).logits
            tensor([-0.6931, -0.6931])
        """
        return self.base_dist.logits
