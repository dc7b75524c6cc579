"""``OneHotCategorical(probs=None, logits=None)`` (torch.distributions.OneHotCategorical)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..tensor import Tensor
from .categorical import Categorical
from .distribution import Distribution, _as_value


class OneHotCategorical(Distribution):
    """A ``Categorical`` whose samples are one-hot vectors of ``probs``' dtype (``event_shape == (K,)``);
    ``log_prob`` scores the hot index, differentiable in the parameters.

    Example:
        >>> logits = ne.zeros(2, 3, requires_grad=True)
        >>> d = OneHotCategorical(logits=logits)
        >>> x = d.sample(); d.log_prob(x).sum().backward()
        >>> x.shape, x.sum(-1), d.event_shape, logits.grad.shape
        ((2, 3), tensor([1., 1.]), (3,), (2, 3))
    """

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: Optional[bool] = None) -> None:
        self._categorical = Categorical(probs, logits, validate_args=validate_args)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:], validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> OneHotCategorical:
        new = super().expand(batch_shape)
        new._categorical = self._categorical.expand(new.batch_shape)
        return new

    @property
    def probs(self) -> Tensor:
        """The normalised probabilities.

        Example:
            >>> OneHotCategorical(logits=ne.zeros(2)).probs
            tensor([0.5, 0.5])
        """
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        """The normalised log-probabilities.

        Example:
            >>> OneHotCategorical(probs=ne.tensor([1.0, 1.0])).logits
            tensor([-0.6931, -0.6931])
        """
        return self._categorical.logits

    @property
    def param_shape(self) -> tuple:
        """The shape of ``probs`` / ``logits``: ``batch_shape + (K,)``.

        Example:
            >>> OneHotCategorical(logits=ne.zeros(3, 5)).param_shape
            (3, 5)
        """
        return self._categorical.param_shape

    @property
    def mean(self) -> Tensor:
        """The mean one-hot vector: ``probs``.

        Example:
            >>> OneHotCategorical(probs=ne.tensor([0.25, 0.75])).mean
            tensor([0.25, 0.75])
        """
        return self._categorical.probs

    @property
    def variance(self) -> Tensor:
        """The variance of each component: ``probs * (1 - probs)``.

        Example:
            >>> OneHotCategorical(probs=ne.tensor([0.5, 0.5])).variance
            tensor([0.25, 0.25])
        """
        p = self._categorical.probs
        return p * (1 - p)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        idx = self._categorical.sample(sample_shape).numpy()
        k = self._event_shape[0]
        dt = self._categorical.probs.dtype
        return Tensor(np.eye(k, dtype=dt)[idx], dtype=dt)

    def log_prob(self, value: Any) -> Tensor:
        value = _as_value(value, self._categorical.probs)
        v = np.asarray(value._data)
        if v.ndim < 1 or v.shape[-1] != self._event_shape[0]:
            raise ValueError(f"value: expected a last dim of size {self._event_shape[0]}, got shape {v.shape}")
        self._check_value(np.all((v == 0) | (v == 1)) and np.all(v.sum(-1) == 1), "one-hot vectors")
        # (an ndarray even for one vector: Tensor(<numpy int>) is torch's Tensor(size), zeros of that length)
        return self._categorical.log_prob(Tensor._wrap(np.asarray(v.argmax(-1), dtype=np.int64)))

    def entropy(self) -> Tensor:
        return self._categorical.entropy()

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """Every one-hot vector, shaped ``(K,) + batch_shape + (K,)`` (``expand=False``: ``(K,) + (1,) * ndim
        + (K,)``).

        Example:
            >>> OneHotCategorical(logits=ne.zeros(2)).enumerate_support()
            tensor([[1., 0.],
                    [0., 1.]])
        """
        k = self._event_shape[0]
        dt = self._categorical.probs.dtype
        v = np.eye(k, dtype=dt).reshape((k,) + (1,) * len(self._batch_shape) + (k,))
        return Tensor(np.broadcast_to(v, (k,) + self._batch_shape + (k,)).copy() if expand else v, dtype=dt)


class OneHotCategoricalStraightThrough(OneHotCategorical):
    """A ``OneHotCategorical`` whose ``rsample`` is the straight-through estimator (torch's): the one-hot sample
    in the forward pass, the gradient of ``probs`` in the backward pass (``sample + probs - probs.detach()``).

    Example:
        >>> from nnengine.distributions import OneHotCategoricalStraightThrough
        >>> logits = ne.zeros(3, requires_grad=True)
        >>> y = OneHotCategoricalStraightThrough(logits=logits).rsample()
        >>> (y * ne.tensor([1.0, 2.0, 3.0])).sum().backward(); float(y.sum()), logits.grad.shape
        (1.0, (3,))
    """

    has_rsample = True

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        probs = self._categorical.probs
        return self.sample(sample_shape) + (probs - probs.detach())
