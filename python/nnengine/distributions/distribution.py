"""``Distribution``: the base class of ``nnengine.distributions`` (torch.distributions' interface)."""

from __future__ import annotations

import math
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from ..random import generator
from ..tensor import Tensor


def _as_param(v: Any, name: str) -> Tensor:
    """A distribution parameter as a float Tensor (Tensors pass through, so gradients reach them; numbers and
    arrays become float32 Tensors), else a TypeError naming ``name``."""
    if isinstance(v, Tensor):
        if v.dtype.kind != "f":
            raise TypeError(f"{name}: expected a floating-point Tensor, got dtype {v.dtype}")
        return v
    if isinstance(v, bool) or not isinstance(v, (int, float, np.ndarray, np.number, list, tuple)):
        raise TypeError(f"{name}: expected a Tensor or a number, got {type(v).__name__}")
    arr = np.asarray(v)
    return Tensor(arr.astype(arr.dtype if arr.dtype.kind == "f" else np.float32))


def _sample_shape(sample_shape: Any) -> Tuple[int, ...]:
    """``sample_shape`` (a tuple/list/torch.Size-like of non-negative ints, or one int) as a tuple."""
    shape = (sample_shape,) if isinstance(sample_shape, (int, np.integer)) else sample_shape
    if isinstance(shape, Tensor) or not isinstance(shape, Sequence):
        raise TypeError(f"sample_shape: expected a tuple of ints, got {type(sample_shape).__name__}")
    if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0 for s in shape):
        raise ValueError(f"sample_shape: expected non-negative ints, got {sample_shape!r}")
    return tuple(int(s) for s in shape)


class Distribution:
    """A batch of probability distributions with torch's interface: ``batch_shape``, ``event_shape``,
    ``sample(sample_shape)``, ``rsample`` (reparameterized, differentiable, where supported), ``log_prob``,
    ``entropy``, ``mean``, ``variance``, ``stddev``. Samples come from nnengine's generator
    (``ne.manual_seed``).

    Example:
        >>> from nnengine.distributions import Normal
        >>> d = Normal(ne.zeros(3), ne.ones(3))
        >>> d.batch_shape, d.event_shape, d.sample((2,)).shape
        ((3,), (), (2, 3))
    """

    has_rsample = False

    def __init__(self, batch_shape: Tuple[int, ...] = (), event_shape: Tuple[int, ...] = (),
                 validate_args: Optional[bool] = None) -> None:
        self._batch_shape, self._event_shape = tuple(batch_shape), tuple(event_shape)
        self._validate_args = True if validate_args is None else bool(validate_args)

    @property
    def batch_shape(self) -> Tuple[int, ...]:
        """The shape over which parameters are batched.

        Example:
            >>> from nnengine.distributions import Bernoulli
            >>> Bernoulli(probs=ne.full((2, 3), 0.5)).batch_shape
            (2, 3)
        """
        return self._batch_shape

    @property
    def event_shape(self) -> Tuple[int, ...]:
        """The shape of one sample of one distribution (``()`` for scalar distributions).

        Example:
            >>> from nnengine.distributions import Categorical
            >>> Categorical(logits=ne.zeros(4, 3)).event_shape
            ()
        """
        return self._event_shape

    def _extended_shape(self, sample_shape: Any = ()) -> Tuple[int, ...]:
        return _sample_shape(sample_shape) + self._batch_shape + self._event_shape

    @staticmethod
    def _rng() -> np.random.Generator:
        return generator()

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Draw ``sample_shape`` samples of every distribution of the batch (no gradient).

        Example:
            >>> from nnengine.distributions import Normal
            >>> Normal(0.0, 1.0).sample((5,)).shape
            (5,)
        """
        from ..autograd import no_grad

        with no_grad():
            return self.rsample(sample_shape).detach()

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """A reparameterized sample: differentiable with respect to the parameters.

        Example:
            >>> from nnengine.distributions import Normal
            >>> loc = ne.zeros(2, requires_grad=True)
            >>> Normal(loc, 1.0).rsample().sum().backward(); loc.grad
            array([1., 1.], dtype=float32)
        """
        raise NotImplementedError(f"{type(self).__name__} has no reparameterized sampler (rsample); use sample()")

    def log_prob(self, value: Any) -> Tensor:  # pragma: no cover - abstract
        """The log density / mass of ``value`` under each distribution of the batch.

        Example:
            >>> from nnengine.distributions import Normal
            >>> round(Normal(0.0, 1.0).log_prob(ne.tensor(0.0)).item(), 4)
            -0.9189
        """
        raise NotImplementedError

    def entropy(self) -> Tensor:  # pragma: no cover - abstract
        """The entropy of each distribution of the batch.

        Example:
            >>> from nnengine.distributions import Bernoulli
            >>> round(Bernoulli(probs=ne.tensor(0.5)).entropy().item(), 4)
            0.6931
        """
        raise NotImplementedError

    @property
    def mean(self) -> Tensor:  # pragma: no cover - abstract
        """The mean of each distribution.

        Example:
            >>> from nnengine.distributions import Normal
            >>> Normal(ne.tensor([1.0, 2.0]), 1.0).mean
            tensor([1., 2.])
        """
        raise NotImplementedError

    @property
    def variance(self) -> Tensor:  # pragma: no cover - abstract
        """The variance of each distribution.

        Example:
            >>> from nnengine.distributions import Normal
            >>> Normal(0.0, ne.tensor([2.0])).variance
            tensor([4.])
        """
        raise NotImplementedError

    @property
    def stddev(self) -> Tensor:
        """The standard deviation (the square root of the variance).

        Example:
            >>> from nnengine.distributions import Bernoulli
            >>> Bernoulli(probs=ne.tensor([0.5])).stddev
            tensor([0.5])
        """
        return self.variance.sqrt()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(batch_shape={self._batch_shape}, event_shape={self._event_shape})"


LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))
