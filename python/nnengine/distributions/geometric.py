"""``Geometric(probs | logits)`` (torch.distributions.Geometric): the number of failures before the first success."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .. import functional as F
from ..tensor import Tensor
from .categorical import _binary_logits, _one_of
from .distribution import Distribution, _as_param, _as_value, _check


class Geometric(Distribution):
    """The number of failures before the first success of Bernoulli(``probs``) trials, given by ``probs`` in
    ``(0, 1]`` or by ``logits`` (log-odds); ``log_prob`` and ``entropy`` are differentiable in the parameter.

    Example:
        >>> d = Geometric(probs=ne.tensor([0.3]))
        >>> round(d.log_prob(ne.tensor([2.0])).item(), 4), d.mean
        (-1.9173, tensor([2.3333]))
    """

    _batch_params = ("probs", "logits")

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: Optional[bool] = None) -> None:
        _one_of(probs, logits, "Geometric")
        if probs is not None:
            self.probs = _as_param(probs, "probs")
            if validate_args is None or validate_args:
                _check((self.probs._data > 0) & (self.probs._data <= 1), "probs", "every value in (0, 1]",
                       self.probs._data)
            self.logits = _binary_logits(self.probs)
        else:
            self.logits = _as_param(logits, "logits")
            self.probs = self.logits.sigmoid()
        self._params = ("probs",) if probs is not None else ("logits",)  # torch's repr: the given one
        super().__init__(self.probs.shape, (), validate_args)

    @property
    def mean(self) -> Tensor:
        """``1 / probs - 1``.

        Example:
            >>> Geometric(probs=ne.tensor([0.5])).mean
            tensor([1.])
        """
        return 1.0 / self.probs - 1.0

    @property
    def mode(self) -> Tensor:
        """0.

        Example:
            >>> Geometric(probs=ne.tensor([0.5])).mode
            tensor([0.])
        """
        return Tensor._wrap(np.zeros(self._batch_shape, self.probs.dtype))

    @property
    def variance(self) -> Tensor:
        """``(1 / probs - 1) / probs``.

        Example:
            >>> Geometric(probs=ne.tensor([0.5])).variance
            tensor([2.])
        """
        return (1.0 / self.probs - 1.0) / self.probs

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        dt = self.probs.dtype
        u = np.asarray(self._rng().uniform(float(np.finfo(dt).tiny), 1.0, shape))
        p = np.broadcast_to(np.asarray(self.probs._data, np.float64), shape)
        with np.errstate(divide="ignore"):
            k = np.floor(np.log(u) / np.log1p(-p))  # p = 1: log(u) / -inf = -0 -> 0 failures
        return Tensor._wrap(np.asarray(np.abs(k)).astype(dt))

    def log_prob(self, value: Any) -> Tensor:
        value = _as_value(value, self.probs)
        v = value._data
        self._check_value((v >= 0) & (v == np.floor(v)), "non-negative integers")
        shape = tuple(np.broadcast_shapes(v.shape, self.probs.shape))
        p = self.probs.expand(*shape)
        p = p.masked_fill(np.broadcast_to((self.probs._data == 1) & (v == 0), shape), 0.0)  # 0 * log(0) -> 0
        return value * (-p).log1p() + self.probs.log()

    def entropy(self) -> Tensor:
        # torch's: the loss's own gradient (the max(x, 0) + log1p(exp(-|x|)) form has kinks at logits 0)
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none") / self.probs
