"""``Exponential(rate)`` (torch.distributions.Exponential)."""

from __future__ import annotations

from typing import Any, Optional

from ..tensor import Tensor
from .distribution import Distribution, _as_param, _broadcast, _check


class Exponential(Distribution):
    """The exponential distribution with rate ``rate`` (mean ``1 / rate``); ``rsample`` is a standard
    exponential draw divided by ``rate``, differentiable in ``rate``.

    Example:
        >>> rate = ne.tensor([0.5, 2.0], requires_grad=True)
        >>> d = Exponential(rate)
        >>> d.rsample((3,)).sum().backward(); d.mean.tolist(), rate.grad.shape
        ([2.0, 0.5], (2,))
    """

    has_rsample = True
    _params = _batch_params = ("rate",)

    def __init__(self, rate: Any, validate_args: Optional[bool] = None) -> None:
        (self.rate,) = _broadcast((rate, "rate"))
        super().__init__(self.rate.shape, (), validate_args)
        if self._validate_args:
            _check(self.rate._data > 0, "rate", "every value > 0", self.rate._data)

    @property
    def mode(self) -> Tensor:
        """The most likely value of each distribution (torch's ``mode``).

        Example:
            >>> Exponential(ne.tensor([2.0])).mode
            tensor([0.])
        """
        return self.rate * 0.0

    @property
    def mean(self) -> Tensor:
        """The mean of each distribution (``1 / rate``).

        Example:
            >>> Exponential(ne.tensor([4.0])).mean
            tensor([0.25])
        """
        return self.rate.reciprocal()

    @property
    def variance(self) -> Tensor:
        """The variance of each distribution (``rate ** -2``).

        Example:
            >>> Exponential(ne.tensor([2.0])).variance
            tensor([0.25])
        """
        return self.rate.pow(-2)

    @property
    def stddev(self) -> Tensor:
        """The standard deviation of each distribution (``1 / rate``).

        Example:
            >>> Exponential(ne.tensor([2.0])).stddev
            tensor([0.5])
        """
        return self.rate.reciprocal()

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        dt = self.rate.dtype
        return Tensor(self._rng().standard_exponential(shape).astype(dt), dtype=dt) / self.rate

    def log_prob(self, value: Any) -> Tensor:
        value = _as_param(value, "value")
        self._check_value(value._data >= 0, "values >= 0")
        return self.rate.log() - self.rate * value

    def cdf(self, value: Any) -> Tensor:
        """``P(X <= value) = 1 - exp(-rate * value)``.

        Example:
            >>> round(Exponential(2.0).cdf(ne.tensor(0.5)).item(), 4)
            0.6321
        """
        value = _as_param(value, "value")
        return 1 - (-self.rate * value).exp()

    def icdf(self, value: Any) -> Tensor:
        """The quantile of probability ``value``: ``-log1p(-value) / rate``.

        Example:
            >>> round(Exponential(1.0).icdf(ne.tensor(0.5)).item(), 4)
            0.6931
        """
        value = _as_param(value, "value")
        return -(-value).log1p() / self.rate

    def entropy(self) -> Tensor:
        return 1.0 - self.rate.log()
