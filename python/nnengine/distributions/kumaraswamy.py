"""``Kumaraswamy(concentration1, concentration0)`` (torch.distributions.Kumaraswamy): a Beta-like distribution on
``(0, 1)`` with a closed-form cdf, built as torch builds it: a uniform draw pushed through
``PowerTransform(1 / concentration0)``, ``AffineTransform(1, -1)`` and ``PowerTransform(1 / concentration1)``, so
``rsample`` is reparameterized and ``log_prob`` / ``cdf`` / ``icdf`` follow torch's chain."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..tensor import Tensor
from .distribution import _EULER, _broadcast, _check
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, PowerTransform
from .uniform import Uniform


def _moments(a: Tensor, b: Tensor, n: int) -> Tensor:
    """The ``n``-th raw moment: ``b * B(1 + n / a, b)``."""
    arg1 = 1 + n / a
    return b * (arg1.lgamma() + b.lgamma() - (arg1 + b).lgamma()).exp()


class Kumaraswamy(TransformedDistribution):
    """The Kumaraswamy distribution on ``(0, 1)``: density ``a b x^(a-1) (1 - x^a)^(b-1)`` with
    ``a = concentration1``, ``b = concentration0``; ``mode`` is NaN unless both are >= 1 (torch's).

    Example:
        >>> from nnengine.distributions import Kumaraswamy
        >>> d = Kumaraswamy(ne.tensor([2.0]), ne.tensor([2.0]))
        >>> round(d.mean.item(), 4), round(d.log_prob(ne.tensor([0.5])).item(), 4)
        (0.5333, 0.4055)
    """

    _params = ("concentration1", "concentration0")

    def __init__(self, concentration1: Any, concentration0: Any, validate_args: Optional[bool] = None) -> None:
        self.concentration1, self.concentration0 = _broadcast((concentration1, "concentration1"),
                                                              (concentration0, "concentration0"))
        if validate_args is None or validate_args:
            for t, name in ((self.concentration1, "concentration1"), (self.concentration0, "concentration0")):
                _check(t._data > 0, name, "every value > 0", t._data)
        dt, shape = self.concentration0.dtype, self.concentration0.shape
        base = Uniform(Tensor._wrap(np.zeros(shape, dt)), Tensor._wrap(np.ones(shape, dt)), validate_args=False)
        transforms = [PowerTransform(self.concentration0.reciprocal()), AffineTransform(1.0, -1.0),
                      PowerTransform(self.concentration1.reciprocal())]
        super().__init__(base, transforms, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        """``b * B(1 + 1 / a, b)``.

        Example:
            >>> from nnengine.distributions import Kumaraswamy
            >>> Kumaraswamy(ne.tensor([1.0]), ne.tensor([1.0])).mean
            tensor([0.5])
        """
        return _moments(self.concentration1, self.concentration0, 1)

    @property
    def mode(self) -> Tensor:
        """``((a - 1) / (a b - 1)) ** (1 / a)``, NaN where ``a < 1`` or ``b < 1``. (torch 2.13's expression,
        ``log1p(-b) / b - log1p(-a b)``, is NaN for every ``b > 1``: the density's maximum is returned instead.)

        Example:
            >>> from nnengine.distributions import Kumaraswamy
            >>> Kumaraswamy(ne.tensor([2.0, 0.5]), ne.tensor([2.0, 2.0])).mode
            tensor([0.5774,    nan])
        """
        a, b = self.concentration1, self.concentration0
        with np.errstate(divide="ignore", invalid="ignore"):
            log_mode = ((a - 1).log() - (a * b - 1).log()) / a
        bad = (np.asarray(a._data) < 1) | (np.asarray(b._data) < 1)
        return log_mode.masked_fill(np.broadcast_to(bad, log_mode.shape), float("nan")).exp()

    @property
    def variance(self) -> Tensor:
        """The second moment minus the squared mean.

        Example:
            >>> from nnengine.distributions import Kumaraswamy
            >>> Kumaraswamy(ne.tensor([1.0]), ne.tensor([1.0])).variance
            tensor([0.0833])
        """
        return _moments(self.concentration1, self.concentration0, 2) - self.mean.pow(2)

    def entropy(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        t1, t0 = 1 - a.reciprocal(), 1 - b.reciprocal()
        h0 = (b + 1).digamma() + _EULER
        return t0 + t1 * h0 - a.log() - b.log()
