"""``Dirichlet(concentration)`` and ``Beta(concentration1, concentration0)`` (torch.distributions')."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..tensor import Tensor, stack
from .distribution import Distribution, _as_param, _broadcast, _check


class Dirichlet(Distribution):
    """The Dirichlet distribution over the simplex, one per row of ``concentration`` (last dim: the
    categories). ``log_prob``, ``entropy``, ``mean`` and ``variance`` are torch's formulas, differentiable
    in ``concentration``; ``sample`` normalises numpy gamma draws (seeded by nnengine's generator).
    ``rsample`` raises NotImplementedError (``has_rsample`` is False): torch differentiates the draws by
    implicit reparameterization, which nnengine does not implement.

    Example:
        >>> c = ne.tensor([1.0, 2.0, 3.0], requires_grad=True)
        >>> d = Dirichlet(c)
        >>> d.log_prob(d.sample((4,))).sum().backward(); d.sample().shape, d.entropy().shape, c.grad.shape
        ((3,), (), (3,))
    """

    _params = _batch_params = ("concentration",)

    def __init__(self, concentration: Any, validate_args: Optional[bool] = None) -> None:
        c = _as_param(concentration, "concentration")
        if c.ndim < 1:
            raise ValueError(f"concentration: expected at least one dimension, got shape {c.shape}")
        self.concentration = c
        super().__init__(c.shape[:-1], c.shape[-1:], validate_args)
        if self._validate_args:
            _check(c._data > 0, "concentration", "every value > 0", c._data)

    @property
    def mean(self) -> Tensor:
        """The mean of each distribution (``concentration / concentration.sum(-1)``).

        Example:
            >>> Dirichlet(ne.tensor([1.0, 3.0])).mean
            tensor([0.25, 0.75])
        """
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def variance(self) -> Tensor:
        """The variance of each component.

        Example:
            >>> Dirichlet(ne.tensor([1.0, 1.0])).variance
            tensor([0.0833, 0.0833])
        """
        c = self.concentration
        c0 = c.sum(-1, keepdim=True)
        return c * (c0 - c) / (c0.pow(2) * (c0 + 1))

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        dt = self.concentration.dtype
        g = self._rng().standard_gamma(np.broadcast_to(np.asarray(self.concentration._data, np.float64), shape))
        x = g / g.sum(-1, keepdims=True)
        return Tensor(np.clip(x, np.finfo(dt).tiny, 1 - np.finfo(dt).eps).astype(dt), dtype=dt)

    def log_prob(self, value: Any) -> Tensor:
        value = _as_param(value, "value")
        if value.ndim < 1 or value.shape[-1] != self._event_shape[0]:
            raise ValueError(f"value: expected a last dim of size {self._event_shape[0]}, got shape {value.shape}")
        v = np.asarray(value._data)
        self._check_value(np.all(v >= 0) and np.all(np.abs(v.sum(-1) - 1) < 1e-6), "rows on the simplex")
        c = self.concentration
        return (c - 1.0).xlogy(value).sum(-1) + c.sum(-1).lgamma() - c.lgamma().sum(-1)

    def entropy(self) -> Tensor:
        c = self.concentration
        k, a0 = c.shape[-1], c.sum(-1)
        return c.lgamma().sum(-1) - a0.lgamma() - (k - a0) * a0.digamma() - ((c - 1.0) * c.digamma()).sum(-1)


class Beta(Distribution):
    """The beta distribution on ``[0, 1]`` with concentrations ``concentration1`` (alpha) and
    ``concentration0`` (beta): torch's two-category Dirichlet, so ``log_prob``, ``entropy``, ``mean`` and
    ``variance`` are differentiable in both; ``sample`` uses numpy's gamma sampler (nnengine's generator).
    ``rsample`` raises NotImplementedError (``has_rsample`` is False): no implicit reparameterization.

    Example:
        >>> a = ne.tensor([2.0, 5.0], requires_grad=True)
        >>> d = Beta(a, 2.0)
        >>> d.log_prob(d.sample((4,))).sum().backward(); d.sample((4,)).shape, a.grad.shape
        ((4, 2), (2,))
    """

    def __init__(self, concentration1: Any, concentration0: Any, validate_args: Optional[bool] = None) -> None:
        c1, c0 = _broadcast((concentration1, "concentration1"), (concentration0, "concentration0"))
        if validate_args is None or validate_args:
            _check(c1._data > 0, "concentration1", "every value > 0", c1._data)
            _check(c0._data > 0, "concentration0", "every value > 0", c0._data)
        self._dirichlet = Dirichlet(stack([c1, c0], -1), validate_args=validate_args)
        super().__init__(self._dirichlet.batch_shape, (), validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Beta:
        new = super().expand(batch_shape)
        new._dirichlet = self._dirichlet.expand(new.batch_shape)
        return new

    @property
    def concentration1(self) -> Tensor:
        """The first concentration (alpha) of each distribution.

        Example:
            >>> Beta(ne.tensor([2.0]), 3.0).concentration1
            tensor([2.])
        """
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self) -> Tensor:
        """The second concentration (beta) of each distribution.

        Example:
            >>> Beta(ne.tensor([2.0]), 3.0).concentration0
            tensor([3.])
        """
        return self._dirichlet.concentration[..., 1]

    @property
    def mean(self) -> Tensor:
        """The mean of each distribution (``alpha / (alpha + beta)``).

        Example:
            >>> Beta(ne.tensor([1.0]), 3.0).mean
            tensor([0.25])
        """
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def variance(self) -> Tensor:
        """The variance of each distribution.

        Example:
            >>> Beta(ne.tensor([1.0]), 1.0).variance
            tensor([0.0833])
        """
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def sample(self, sample_shape: Any = ()) -> Tensor:
        return self._dirichlet.sample(sample_shape)[..., 0]

    def log_prob(self, value: Any) -> Tensor:
        value = _as_param(value, "value")
        self._check_value((value._data >= 0) & (value._data <= 1), "values in [0, 1]")
        return self._dirichlet.log_prob(stack([value, 1.0 - value], -1))

    def entropy(self) -> Tensor:
        return self._dirichlet.entropy()
