"""``Categorical(probs=None, logits=None)`` (torch.distributions.Categorical)."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .._coerce import as_array
from ..tensor import Tensor
from .distribution import Distribution, _as_param


def _one_of(probs: Any, logits: Any, cls: str) -> None:
    if (probs is None) == (logits is None):
        raise ValueError(f"{cls}: expected exactly one of probs or logits, got "
                         f"{'both' if probs is not None else 'neither'}")


def _clamp_probs(p: Tensor) -> Tensor:
    """torch's ``_clamp_probs``: ``p`` clamped to ``[eps, 1 - eps]`` (its dtype's machine epsilon)."""
    eps = float(np.finfo(p.dtype).eps)
    return p.clamp(min=eps, max=1 - eps)


def _binary_logits(p: Tensor) -> Tensor:
    """torch's ``probs_to_logits(p, is_binary=True)``: ``log(p) - log(1 - p)`` of the clamped probabilities."""
    p = _clamp_probs(p)
    return p.log() - (-p).log1p()


class Categorical(Distribution):
    """A distribution over ``0 .. K-1`` for each row of ``probs`` (normalised over the last dim) or of
    ``logits`` (unnormalised log-probabilities). ``sample`` returns int64 indices; ``log_prob`` and
    ``entropy`` are differentiable in the parameters (the REINFORCE idiom).

    Example:
        >>> logits = ne.zeros(2, 4, requires_grad=True)
        >>> m = Categorical(logits=logits)
        >>> a = m.sample(); (-m.log_prob(a)).sum().backward()
        >>> a.dtype, a.shape, logits.grad.shape, round(m.entropy()[0].item(), 4)
        (dtype('int64'), (2,), (2, 4), 1.3863)
    """

    _params = ("probs", "logits")
    _batch_params = ("_probs", "_logits")

    def __init__(self, probs: Any = None, logits: Any = None, validate_args: Optional[bool] = None) -> None:
        _one_of(probs, logits, "Categorical")
        if probs is not None:
            p = _as_param(probs, "probs")
            if p.ndim < 1:
                raise ValueError(f"probs: expected at least one dimension, got shape {p.shape}")
            if (validate_args is None or validate_args) and not (np.all(p._data >= 0) and np.all(p._data.sum(-1) > 0)):
                raise ValueError("probs: expected non-negative values with a positive sum over the last dim")
            self._probs: Optional[Tensor] = p / p.sum(-1, keepdim=True)
            self._logits: Optional[Tensor] = None
            param = p
        else:
            lg = _as_param(logits, "logits")
            if lg.ndim < 1:
                raise ValueError(f"logits: expected at least one dimension, got shape {lg.shape}")
            self._logits, self._probs = lg - lg.logsumexp(-1, keepdim=True), None
            param = lg
        self._num_events = param.shape[-1]
        super().__init__(param.shape[:-1], (), validate_args)

    @property
    def probs(self) -> Tensor:
        """The normalised probabilities (softmax of the logits when built from logits).

        Example:
            >>> Categorical(logits=ne.zeros(2)).probs
            tensor([0.5, 0.5])
        """
        if self._probs is None:
            self._probs = self._logits.softmax(-1)
        return self._probs

    @property
    def logits(self) -> Tensor:
        """The normalised log-probabilities (``log`` of the clamped probs when built from probs).

        Example:
            >>> Categorical(probs=ne.tensor([1.0, 1.0])).logits
            tensor([-0.6931, -0.6931])
        """
        if self._logits is None:
            self._logits = _clamp_probs(self._probs).log()
        return self._logits

    @property
    def param_shape(self) -> tuple:
        """The shape of ``probs`` / ``logits``: ``batch_shape + (K,)``.

        Example:
            >>> Categorical(logits=ne.zeros(3, 5)).param_shape
            (3, 5)
        """
        return self._batch_shape + (self._num_events,)

    @property
    def mode(self) -> Tensor:
        """The most likely value of each distribution (torch's ``mode``).

        Example:
            >>> Categorical(probs=ne.tensor([0.2, 0.5, 0.3])).mode
            tensor(1)
        """
        return self.probs.detach().argmax(-1)

    @property
    def mean(self) -> Tensor:
        """The mean of each distribution.

        Example:
            >>> Categorical(logits=ne.zeros(2, 3)).mean  # undefined for categories, as torch
            tensor([nan, nan])
        """
        return Tensor(np.full(self._batch_shape, np.nan, dtype=self.probs.dtype), dtype=self.probs.dtype)

    @property
    def variance(self) -> Tensor:
        """The variance of each distribution.

        Example:
            >>> Categorical(logits=ne.zeros(2, 3)).variance
            tensor([nan, nan])
        """
        return Tensor(np.full(self._batch_shape, np.nan, dtype=self.probs.dtype), dtype=self.probs.dtype)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        cdf = np.cumsum(np.asarray(self.probs._data, dtype=np.float64), -1)
        cdf = cdf.reshape(-1, self._num_events)
        n = int(np.prod(shape[: len(shape) - len(self._batch_shape)], dtype=np.int64))
        u = self._rng().random((n, cdf.shape[0])) * cdf[:, -1]  # inverse-CDF draws, row by row
        idx = (u[..., None] >= cdf[None]).sum(-1)
        return Tensor(np.minimum(idx, self._num_events - 1).astype(np.int64).reshape(shape), dtype=np.int64)

    def log_prob(self, value: Any) -> Tensor:
        v = as_array(value)
        if v.dtype.kind not in "iuf" or not np.all(v == np.floor(v)):
            raise ValueError(f"value: expected integer category indices, got {v.dtype} values")
        v = v.astype(np.int64)
        if self._validate_args and (np.any(v < 0) or np.any(v >= self._num_events)):
            raise ValueError(f"value: expected indices in [0, {self._num_events - 1}], got {v.min()}..{v.max()}")
        shape = np.broadcast_shapes(v.shape, self._batch_shape)
        lg = self.logits.expand(*shape, self._num_events)
        idx = Tensor(np.broadcast_to(v, shape)[..., None].copy(), dtype=np.int64)
        return lg.gather(-1, idx).squeeze(-1)

    def entropy(self) -> Tensor:
        lg = self.logits.clamp(min=float(np.finfo(self.logits.dtype).min))
        return -(lg * self.probs).sum(-1)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """Every category index, shaped ``(K,) + batch_shape`` (``expand=False``: ``(K,) + (1,) * ndim``).

        Example:
            >>> Categorical(logits=ne.zeros(2, 3)).enumerate_support().shape
            (3, 2)
        """
        k = np.arange(self._num_events, dtype=np.int64).reshape((-1,) + (1,) * len(self._batch_shape))
        return Tensor(np.broadcast_to(k, (self._num_events,) + self._batch_shape).copy() if expand else k,
                      dtype=np.int64)
