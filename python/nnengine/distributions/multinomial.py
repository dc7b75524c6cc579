"""``Multinomial(total_count=1, probs=None, logits=None)`` (torch.distributions.Multinomial)."""

from __future__ import annotations

import math
from typing import Any, Optional

import numpy as np

from .._coerce import as_array
from ..tensor import Tensor
from .categorical import Categorical
from .distribution import Distribution, _as_value


class Multinomial(Distribution):
    """Counts of ``total_count`` draws among ``K`` categories with probabilities ``probs`` (normalised over the
    last dim) or ``logits``: ``sample`` gives float counts of shape ``sample_shape + batch_shape + (K,)``;
    ``log_prob`` is differentiable in the parameters. As in torch, ``total_count`` is one int (it only matters to
    ``sample``, ``mean`` and ``variance``).

    Example:
        >>> _ = ne.manual_seed(0)
        >>> fair = ne.ones(6) / 6
        >>> counts = Multinomial(10, fair).sample((3,))
        >>> counts.shape, counts.sum(1).tolist()
        ((3, 6), [10.0, 10.0, 10.0])
        >>> round(Multinomial(2, ne.tensor([0.5, 0.5])).log_prob(ne.tensor([1.0, 1.0])).exp().item(), 4)
        0.5
    """

    _params = ("probs", "logits")
    _batch_params = ()

    def __init__(self, total_count: int = 1, probs: Any = None, logits: Any = None,
                 validate_args: Optional[bool] = None) -> None:
        if isinstance(total_count, Tensor) and total_count.numel() == 1:
            total_count = total_count.item()
        if isinstance(total_count, (bool, np.bool_)) or not isinstance(total_count, (int, np.integer)):
            if not (isinstance(total_count, (float, np.floating)) and float(total_count).is_integer()):
                raise TypeError(f"total_count: expected an int (torch's Multinomial takes one count), got "
                                f"{total_count!r}")
        if total_count < 0:
            raise ValueError(f"total_count: expected a non-negative count, got {total_count}")
        self.total_count = int(total_count)
        self._categorical = Categorical(probs=probs, logits=logits, validate_args=validate_args)
        k = self._categorical.param_shape[-1]
        super().__init__(self._categorical.batch_shape, (k,), validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Multinomial:
        """This distribution with its parameters expanded to ``batch_shape``.

        Example:
            >>> Multinomial(4, ne.ones(3)).expand((2,)).sample().shape
            (2, 3)
        """
        shape = tuple(batch_shape)
        new = type(self).__new__(type(self))
        new.total_count = self.total_count
        new._categorical = self._categorical.expand(shape)
        Distribution.__init__(new, shape, self._event_shape, self._validate_args)
        return new

    @property
    def probs(self) -> Tensor:
        """The normalised probabilities of the categories.

        Example:
            >>> Multinomial(3, ne.tensor([1.0, 3.0])).probs
            tensor([0.25, 0.75])
        """
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        """The normalised log-probabilities of the categories.

        Example:
            >>> Multinomial(3, logits=ne.zeros(2)).logits
            tensor([-0.6931, -0.6931])
        """
        return self._categorical.logits

    @property
    def param_shape(self) -> tuple:
        """The shape of ``probs`` / ``logits``.

        Example:
            >>> Multinomial(3, ne.ones(2, 4)).param_shape
            (2, 4)
        """
        return self._categorical.param_shape

    @property
    def mean(self) -> Tensor:
        """``total_count * probs``.

        Example:
            >>> Multinomial(4, ne.tensor([0.25, 0.75])).mean
            tensor([1., 3.])
        """
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        """``total_count * probs * (1 - probs)``.

        Example:
            >>> Multinomial(4, ne.tensor([0.5, 0.5])).variance
            tensor([1., 1.])
        """
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        p = np.asarray(self.probs._data, dtype=np.float64)
        p = p / p.sum(-1, keepdims=True)
        counts = self._rng().multinomial(self.total_count, np.broadcast_to(p, shape), size=shape[:-1])
        return Tensor(counts.astype(self.probs.dtype), dtype=self.probs.dtype)

    def log_prob(self, value: Any) -> Tensor:
        value = _as_value(value, self.probs)
        v = as_array(value)
        if v.shape[-1:] != self._event_shape:
            raise ValueError(f"value: expected a last dimension of {self._event_shape[0]} (the categories), got "
                             f"shape {v.shape}")
        if self._validate_args and (np.any(v < 0) or np.any(v != np.floor(v))):
            raise ValueError("value: expected non-negative integer counts")
        logits = self.logits
        shape = tuple(np.broadcast_shapes(logits.shape, value.shape))
        logits, value = logits.expand(*shape), value.expand(*shape)
        zero = (v == 0) & np.isneginf(as_array(logits))  # torch: 0 * log(0) counts as 0
        if zero.any():
            logits = logits.masked_fill(Tensor(np.broadcast_to(zero, shape).copy(), dtype=np.bool_), 0.0)
        log_factorial_n = math.lgamma(self.total_count + 1)
        log_factorial_xs = (value + 1).lgamma().sum(-1)
        return (logits * value).sum(-1) - log_factorial_xs + log_factorial_n
