"""``MixtureSameFamily(mixture_distribution, component_distribution)`` (torch.distributions.MixtureSameFamily)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..tensor import Tensor
from .categorical import Categorical
from .distribution import Distribution


class MixtureSameFamily(Distribution):
    """A mixture of the ``K`` distributions of one batched family: ``component_distribution`` has batch shape
    ``B + (K,)``, ``mixture_distribution`` is a ``Categorical`` over the ``K`` components (batch shape ``B``, or
    one that broadcasts to it). ``log_prob`` is the log-sum-exp of the weighted components (differentiable in
    every parameter: a mixture density network's loss), ``sample`` picks a component per draw.

    Example:
        >>> from nnengine.distributions import Normal
        >>> mix = MixtureSameFamily(Categorical(probs=ne.tensor([0.3, 0.7])), Normal(ne.tensor([0.0, 2.0]),
        ...                         ne.tensor([1.0, 0.5])))
        >>> round(mix.log_prob(ne.tensor(1.0)).item(), 4), round(mix.mean.item(), 4), mix.sample((3,)).shape
        (-1.9093, 1.4, (3,))
    """

    _params = ("mixture_distribution", "component_distribution")

    def __init__(self, mixture_distribution: Categorical, component_distribution: Distribution,
                 validate_args: Optional[bool] = None) -> None:
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError("mixture_distribution: expected a Categorical, got "
                             f"{type(mixture_distribution).__name__}")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("component_distribution: expected a Distribution, got "
                             f"{type(component_distribution).__name__}")
        mdbs, cdbs = mixture_distribution.batch_shape, component_distribution.batch_shape[:-1]
        for a, b in zip(reversed(mdbs), reversed(cdbs)):
            if a != 1 and b != 1 and a != b:
                raise ValueError(f"mixture_distribution's batch shape {mdbs} is not compatible with "
                                 f"component_distribution's batch shape {component_distribution.batch_shape}")
        km = mixture_distribution.param_shape[-1]
        kc = component_distribution.batch_shape[-1] if component_distribution.batch_shape else None
        if km != kc:
            raise ValueError(f"mixture_distribution has {km} components but component_distribution's rightmost "
                             f"batch dimension is {kc}")
        self.mixture_distribution, self.component_distribution = mixture_distribution, component_distribution
        self._num_component = km
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(cdbs, component_distribution.event_shape, validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> MixtureSameFamily:
        shape = tuple(batch_shape)
        return MixtureSameFamily(self.mixture_distribution.expand(shape),
                                 self.component_distribution.expand(shape + (self._num_component,)),
                                 validate_args=False)

    def _pad(self, x: Tensor) -> Tensor:
        return x.unsqueeze(-1 - self._event_ndims)

    def _pad_mixture_dimensions(self, x: Tensor) -> Tensor:
        cat_nd = len(self.mixture_distribution.batch_shape)
        pad = 0 if cat_nd == 1 else len(self._batch_shape) - cat_nd
        xs = tuple(x.shape)
        return x.reshape(*(xs[:-1] + (1,) * pad + xs[-1:] + (1,) * self._event_ndims))

    @property
    def mean(self) -> Tensor:
        """The mixture's mean: the components' means weighted by the mixture probabilities.

        Example:
            >>> from nnengine.distributions import Normal
            >>> MixtureSameFamily(Categorical(probs=ne.tensor([0.5, 0.5])), Normal(ne.tensor([0.0, 2.0]), 1.0)).mean
            tensor(1.)
        """
        probs = self._pad_mixture_dimensions(self.mixture_distribution.probs)
        return (probs * self.component_distribution.mean).sum(-1 - self._event_ndims)

    @property
    def variance(self) -> Tensor:
        """The law of total variance: E[Var | component] + Var[E | component].

        Example:
            >>> from nnengine.distributions import Normal
            >>> MixtureSameFamily(Categorical(probs=ne.tensor([0.5, 0.5])), Normal(ne.tensor([0.0, 2.0]), 1.0)).variance
            tensor(2.)
        """
        probs = self._pad_mixture_dimensions(self.mixture_distribution.probs)
        d = -1 - self._event_ndims
        comp = self.component_distribution
        mean_cond_var = (probs * comp.variance).sum(d)
        var_cond_mean = (probs * (comp.mean - self._pad(self.mean)).pow(2)).sum(d)
        return mean_cond_var + var_cond_mean

    def cdf(self, x: Any) -> Tensor:
        """``P(X <= x)``: the components' CDFs weighted by the mixture probabilities.

        Example:
            >>> from nnengine.distributions import Normal
            >>> MixtureSameFamily(Categorical(probs=ne.tensor([0.5, 0.5])), Normal(ne.tensor([-1.0, 1.0]), 1.0)).cdf(ne.tensor(0.0))
            tensor(0.5)
        """
        x = self._pad(x if isinstance(x, Tensor) else Tensor._wrap(np.asarray(x, self.mixture_distribution.probs.dtype)))
        return (self.component_distribution.cdf(x) * self.mixture_distribution.probs).sum(-1)

    def log_prob(self, x: Any) -> Tensor:
        x = self._pad(x if isinstance(x, Tensor) else Tensor._wrap(np.asarray(x, self.mixture_distribution.probs.dtype)))
        log_prob_x = self.component_distribution.log_prob(x)  # sample + batch + (K,)
        log_mix_prob = self.mixture_distribution.logits.log_softmax(-1)
        return (log_prob_x + log_mix_prob).logsumexp(-1)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        from ..autograd import no_grad

        with no_grad():
            sample_shape = tuple(sample_shape) if not isinstance(sample_shape, int) else (sample_shape,)
            gather_dim = len(sample_shape) + len(self._batch_shape)
            es = self._event_shape
            mix = np.asarray(self.mixture_distribution.sample(sample_shape)._data)
            comp = self.component_distribution.sample(sample_shape)._data
            idx = mix.reshape(mix.shape + (1,) * (len(es) + 1))
            idx = np.broadcast_to(idx, comp.shape[:gather_dim] + (1,) + es)
            out = np.take_along_axis(comp, idx, axis=gather_dim)
            return Tensor._wrap(np.ascontiguousarray(np.squeeze(out, gather_dim)))
