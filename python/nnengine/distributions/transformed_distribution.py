"""``TransformedDistribution(base_distribution, transforms)`` and ``LogNormal(loc, scale)``
(torch.distributions')."""

from __future__ import annotations

from typing import Any, List, Optional, Union

from ..autograd import no_grad
from ..tensor import Tensor
from .distribution import Distribution, _as_param, _sum_rightmost
from .independent import Independent
from .normal import Normal
from .transforms import ComposeTransform, ExpTransform, Transform


class TransformedDistribution(Distribution):
    """``base_distribution`` pushed through ``transforms`` (a Transform or a list, applied in order):
    ``sample``/``rsample`` transform base draws; ``log_prob(y)`` inverts the transforms and subtracts their
    log-det-Jacobians (torch's algorithm, differentiable; batch dims the transforms couple become event
    dims through ``Independent``).

    Example:
        >>> from nnengine.distributions import Normal
        >>> from nnengine.distributions.transforms import TanhTransform
        >>> mu = ne.zeros(2, requires_grad=True)
        >>> d = TransformedDistribution(Normal(mu, 1.0), [TanhTransform(cache_size=1)])
        >>> a = d.rsample(); d.log_prob(a).sum().backward()
        >>> a.shape, bool((a.abs() < 1).all()), mu.grad.shape
        ((2,), True, (2,))
    """

    def __init__(self, base_distribution: Distribution, transforms: Union[Transform, List[Transform]],
                 validate_args: Optional[bool] = None) -> None:
        if isinstance(transforms, Transform):
            self.transforms = [transforms]
        elif isinstance(transforms, list):
            if not all(isinstance(t, Transform) for t in transforms):
                raise ValueError("transforms: expected a Transform or a list of Transforms")
            self.transforms = transforms
        else:
            raise ValueError(f"transforms: expected a Transform or a list of Transforms, got {type(transforms).__name__}")
        if not isinstance(base_distribution, Distribution):
            raise TypeError(f"base_distribution: expected a Distribution, got {type(base_distribution).__name__}")
        base_shape = tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape)
        base_event_dim = len(base_distribution.event_shape)
        transform = ComposeTransform(self.transforms)
        if len(base_shape) < transform._domain_event_dim:
            raise ValueError(f"base_distribution: expected a shape of at least {transform._domain_event_dim} dims, "
                             f"got {base_shape}")
        forward_shape = transform.forward_shape(base_shape)
        expanded = transform.inverse_shape(forward_shape)
        if base_shape != expanded:
            base_distribution = base_distribution.expand(expanded[: len(expanded) - base_event_dim])
        reinterpreted = transform._domain_event_dim - base_event_dim
        if reinterpreted > 0:
            base_distribution = Independent(base_distribution, reinterpreted)
        self.base_dist = base_distribution
        event_dim = max(transform._codomain_event_dim,
                        base_event_dim + transform._codomain_event_dim - transform._domain_event_dim)
        cut = len(forward_shape) - event_dim
        super().__init__(forward_shape[:cut], forward_shape[cut:], validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> TransformedDistribution:
        new = super().expand(batch_shape)
        shape = new.batch_shape + self.event_shape
        for t in reversed(self.transforms):
            shape = t.inverse_shape(shape)
        new.base_dist = self.base_dist.expand(shape[: len(shape) - len(self.base_dist.event_shape)])
        return new

    @property
    def has_rsample(self) -> bool:  # type: ignore[override]
        """Whether the base distribution has ``rsample``.

        Example:
            >>> from nnengine.distributions import Normal
            >>> from nnengine.distributions.transforms import ExpTransform
            >>> TransformedDistribution(Normal(0.0, 1.0), ExpTransform()).has_rsample
            True
        """
        return self.base_dist.has_rsample

    def sample(self, sample_shape: Any = ()) -> Tensor:
        with no_grad():
            x = self.base_dist.sample(sample_shape)
            for t in self.transforms:
                x = t(x)
            return x

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        x = self.base_dist.rsample(sample_shape)
        for t in self.transforms:
            x = t(x)
        return x

    def log_prob(self, value: Any) -> Tensor:
        if not isinstance(value, Tensor):
            value = _as_param(value, "value")
        if self.transforms:
            self._check_value(self.transforms[-1]._support_ok(value), "values in the last transform's codomain")
        event_dim = len(self.event_shape)
        lp: Any = 0.0
        y = value
        for t in reversed(self.transforms):
            x = t.inv(y)
            event_dim += t._domain_event_dim - t._codomain_event_dim
            lp = lp - _sum_rightmost(t.log_abs_det_jacobian(x, y), event_dim - t._domain_event_dim)
            y = x
        return lp + _sum_rightmost(self.base_dist.log_prob(y), event_dim - len(self.base_dist.event_shape))

    def _monotonize_cdf(self, value: Tensor) -> Tensor:
        sign: Any = 1
        for t in self.transforms:
            sign = sign * t.sign
        if isinstance(sign, int) and sign == 1:
            return value
        return sign * (value - 0.5) + 0.5

    def cdf(self, value: Any) -> Tensor:
        """``P(Y <= value)``: the base cdf of the inverted value (flipped for decreasing transforms).

        Example:
            >>> from nnengine.distributions import Normal
            >>> from nnengine.distributions.transforms import ExpTransform
            >>> TransformedDistribution(Normal(0.0, 1.0), ExpTransform()).cdf(ne.tensor(1.0))
            tensor(0.5)
        """
        value = _as_param(value, "value")
        for t in self.transforms[::-1]:
            value = t.inv(value)
        return self._monotonize_cdf(self.base_dist.cdf(value))

    def icdf(self, value: Any) -> Tensor:
        """The quantile of probability ``value``: the base quantile pushed through the transforms.

        Example:
            >>> from nnengine.distributions import Normal
            >>> from nnengine.distributions.transforms import ExpTransform
            >>> TransformedDistribution(Normal(0.0, 1.0), ExpTransform()).icdf(ne.tensor(0.5))
            tensor(1.)
        """
        value = self.base_dist.icdf(self._monotonize_cdf(_as_param(value, "value")))
        for t in self.transforms:
            value = t(value)
        return value


class LogNormal(TransformedDistribution):
    """``exp`` of ``Normal(loc, scale)``: a positive distribution; ``rsample`` is reparameterized, ``log_prob``,
    ``entropy``, ``mean`` and ``variance`` are differentiable in both parameters.

    Example:
        >>> scale = ne.tensor([0.5, 1.0], requires_grad=True)
        >>> d = LogNormal(0.0, scale)
        >>> d.log_prob(d.rsample((3,))).sum().backward(); d.rsample((3,)).shape, scale.grad.shape
        ((3, 2), (2,))
    """

    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: Optional[bool] = None) -> None:
        super().__init__(Normal(loc, scale, validate_args=validate_args), ExpTransform(), validate_args)

    @property
    def loc(self) -> Tensor:
        """The mean of the underlying normal (of ``log X``).

        Example:
            >>> LogNormal(ne.tensor([1.0]), 1.0).loc
            tensor([1.])
        """
        return self.base_dist.loc

    @property
    def scale(self) -> Tensor:
        """The standard deviation of the underlying normal (of ``log X``).

        Example:
            >>> LogNormal(0.0, ne.tensor([2.0])).scale
            tensor([2.])
        """
        return self.base_dist.scale

    @property
    def mean(self) -> Tensor:
        """The mean of each distribution: ``exp(loc + scale ** 2 / 2)``.

        Example:
            >>> LogNormal(ne.tensor([0.0]), 1.0).mean
            tensor([1.6487])
        """
        return (self.loc + self.scale.pow(2) / 2).exp()

    @property
    def variance(self) -> Tensor:
        """The variance of each distribution: ``expm1(scale ** 2) * exp(2 * loc + scale ** 2)``.

        Example:
            >>> LogNormal(ne.tensor([0.0]), 1.0).variance
            tensor([4.6708])
        """
        s2 = self.scale.pow(2)
        return s2.expm1() * (2 * self.loc + s2).exp()

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() + self.loc
