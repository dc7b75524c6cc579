"""``Independent(base_distribution, reinterpreted_batch_ndims)`` (torch.distributions.Independent)."""

from __future__ import annotations

from typing import Any, Optional

from ..tensor import Tensor
from .distribution import Distribution, _sum_rightmost


class Independent(Distribution):
    """Reinterprets the rightmost ``reinterpreted_batch_ndims`` batch dims of ``base_distribution`` as event
    dims: ``log_prob`` and ``entropy`` sum over them (a diagonal Gaussian policy's ``Independent(Normal(mu,
    std), 1)``); sampling, ``mean`` and ``variance`` are the base distribution's.

    Example:
        >>> from nnengine.distributions import Normal
        >>> d = Independent(Normal(ne.zeros(4, 3), ne.ones(4, 3)), 1)
        >>> d.batch_shape, d.event_shape, d.log_prob(d.rsample()).shape
        ((4,), (3,), (4,))
    """

    def __init__(self, base_distribution: Distribution, reinterpreted_batch_ndims: int,
                 validate_args: Optional[bool] = None) -> None:
        if not isinstance(base_distribution, Distribution):
            raise TypeError(f"base_distribution: expected a Distribution, got {type(base_distribution).__name__}")
        n = int(reinterpreted_batch_ndims)
        if n < 0 or n > len(base_distribution.batch_shape):
            raise ValueError(f"reinterpreted_batch_ndims: expected 0..{len(base_distribution.batch_shape)} "
                             f"(the base's batch dims), got {reinterpreted_batch_ndims}")
        shape = tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape)
        event_dim = n + len(base_distribution.event_shape)
        self.base_dist, self.reinterpreted_batch_ndims = base_distribution, n
        super().__init__(shape[: len(shape) - event_dim], shape[len(shape) - event_dim:], validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Independent:
        new = super().expand(batch_shape)
        new.base_dist = self.base_dist.expand(new.batch_shape + self.event_shape[: self.reinterpreted_batch_ndims])
        return new

    @property
    def has_rsample(self) -> bool:  # type: ignore[override]
        """Whether the base distribution has ``rsample``.

        Example:
            >>> from nnengine.distributions import Normal
            >>> Independent(Normal(ne.zeros(2), 1.0), 1).has_rsample
            True
        """
        return self.base_dist.has_rsample

    @property
    def mode(self) -> Tensor:
        """The most likely value of each distribution (torch's ``mode``).

        Example:
            >>> Independent(ne.distributions.Normal(ne.tensor([1.0, 2.0]), 1.0), 1).mode
            tensor([1., 2.])
        """
        return self.base_dist.mode

    @property
    def mean(self) -> Tensor:
        """The base distribution's mean.

        Example:
            >>> from nnengine.distributions import Normal
            >>> Independent(Normal(ne.tensor([1.0, 2.0]), 1.0), 1).mean
            tensor([1., 2.])
        """
        return self.base_dist.mean

    @property
    def variance(self) -> Tensor:
        """The base distribution's variance.

        Example:
            >>> from nnengine.distributions import Normal
            >>> Independent(Normal(ne.zeros(2), 2.0), 1).variance
            tensor([4., 4.])
        """
        return self.base_dist.variance

    def sample(self, sample_shape: Any = ()) -> Tensor:
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value: Any) -> Tensor:
        return _sum_rightmost(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self) -> Tensor:
        return _sum_rightmost(self.base_dist.entropy(), self.reinterpreted_batch_ndims)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_dist}, {self.reinterpreted_batch_ndims})"
