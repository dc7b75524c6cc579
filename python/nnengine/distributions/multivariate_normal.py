"""``MultivariateNormal(loc, covariance_matrix=None, precision_matrix=None, scale_tril=None)``
(torch.distributions.MultivariateNormal)."""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any, Optional

import numpy as np

from .. import linalg
from ..tensor import Tensor
from .distribution import Distribution, _as_param


def _batch_mv(mat: Tensor, vec: Tensor) -> Tensor:
    return (mat @ vec.unsqueeze(-1)).squeeze(-1)


def _tril_inverse(L: Tensor) -> Tensor:
    """The inverse of lower-triangular ``L`` (itself lower triangular), differentiable."""
    return linalg.inv(L.tril()).tril()


def _batch_mahalanobis(L: Tensor, x: Tensor) -> Tensor:
    """``|L^-1 x|^2`` over the last dim, ``L``'s batch dims broadcast against ``x``'s."""
    return _batch_mv(_tril_inverse(L), x).pow(2).sum(-1)


def _precision_to_scale_tril(P: Tensor) -> Tensor:
    """torch's: the lower Cholesky factor of ``P^-1`` from the Cholesky factor of ``P`` flipped."""
    Lf = linalg.cholesky(P.flip(-2, -1))
    return _tril_inverse(Lf.flip(-2, -1).transpose(-2, -1))


def _pd_cholesky(m: Tensor, name: str) -> Tensor:
    a = np.asarray(m._data)
    if not np.allclose(a, np.swapaxes(a, -1, -2), rtol=1e-5, atol=1e-6 if a.dtype == np.float32 else 1e-12):
        raise ValueError(f"{name}: expected a symmetric positive-definite matrix, got an asymmetric one")
    try:
        return linalg.cholesky(m)
    except Exception as e:  # numpy's / the engine's LinAlgError
        raise ValueError(f"{name}: expected a symmetric positive-definite matrix ({e})") from e


class MultivariateNormal(Distribution):
    """The multivariate normal distribution with mean vector ``loc`` (last dim: the event) and exactly one
    of ``covariance_matrix``, ``precision_matrix`` or ``scale_tril`` (lower-triangular, positive diagonal),
    batch dims broadcast. Everything goes through the lower Cholesky factor of the covariance, as torch:
    ``rsample`` is ``loc + L @ eps``; ``log_prob`` and ``entropy`` are differentiable in all parameters.

    Example:
        >>> loc = ne.zeros(2, requires_grad=True)
        >>> d = MultivariateNormal(loc, covariance_matrix=ne.tensor([[2.0, 0.5], [0.5, 1.0]]))
        >>> d.log_prob(d.rsample((5,))).sum().backward()
        >>> d.batch_shape, d.event_shape, d.rsample((5,)).shape, round(d.entropy().item(), 4)
        ((), (2,), (5, 2), 3.1177)
    """

    has_rsample = True
    _params = _batch_params = ("loc", "covariance_matrix", "precision_matrix", "scale_tril")

    def __init__(self, loc: Any, covariance_matrix: Any = None, precision_matrix: Any = None,
                 scale_tril: Any = None, validate_args: Optional[bool] = None) -> None:
        loc = _as_param(loc, "loc")
        if loc.ndim < 1:
            raise ValueError(f"loc: expected at least one dimension, got shape {loc.shape}")
        given = [(n, m) for n, m in (("covariance_matrix", covariance_matrix), ("precision_matrix", precision_matrix),
                                     ("scale_tril", scale_tril)) if m is not None]
        if len(given) != 1:
            raise ValueError("MultivariateNormal: expected exactly one of covariance_matrix, precision_matrix or "
                             f"scale_tril, got {len(given) or 'none'}")
        name, m = given[0]
        m = _as_param(m, name)
        if m.ndim < 2 or m.shape[-1] != m.shape[-2]:
            raise ValueError(f"{name}: expected square matrices (with optional leading batch dims), "
                             f"got shape {m.shape}")
        n = loc.shape[-1]
        if m.shape[-1] != n:
            raise ValueError(f"{name}: expected {n}x{n} matrices (loc's last dim), got shape {m.shape}")
        dt = np.result_type(loc.dtype, m.dtype)
        loc, m = (loc if loc.dtype == dt else loc.to(dt)), (m if m.dtype == dt else m.to(dt))
        batch = tuple(np.broadcast_shapes(m.shape[:-2], loc.shape[:-1]))
        setattr(self, name, m.expand(*batch, n, n))
        self.loc = loc.expand(*batch, n)
        super().__init__(batch, (n,), validate_args)
        if name == "scale_tril":
            if self._validate_args:
                a = np.asarray(m._data)
                if not (np.all(np.triu(a, 1) == 0) and np.all(np.diagonal(a, 0, -2, -1) > 0)):
                    raise ValueError("scale_tril: expected lower-triangular matrices with a positive diagonal")
            self._unbroadcasted_scale_tril = m
        elif name == "covariance_matrix":
            self._unbroadcasted_scale_tril = _pd_cholesky(m, name) if self._validate_args else linalg.cholesky(m)
        else:
            if self._validate_args:
                _pd_cholesky(m, name)
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(m)

    @cached_property
    def scale_tril(self) -> Tensor:
        """The lower Cholesky factor of the covariance, broadcast to ``batch_shape + (n, n)``.

        Example:
            >>> from nnengine.distributions import MultivariateNormal
            >>> MultivariateNormal(ne.zeros(2), covariance_matrix=4 * ne.eye(2)).scale_tril
            tensor([[2., 0.],
                    [0., 2.]])
        """
        L = self._unbroadcasted_scale_tril
        return L.expand(*self._batch_shape, *L.shape[-2:])

    @cached_property
    def covariance_matrix(self) -> Tensor:
        """``L @ L.T``, broadcast to ``batch_shape + (n, n)``.

        Example:
            >>> from nnengine.distributions import MultivariateNormal
            >>> MultivariateNormal(ne.zeros(2), scale_tril=2 * ne.eye(2)).covariance_matrix
            tensor([[4., 0.],
                    [0., 4.]])
        """
        L = self._unbroadcasted_scale_tril
        return (L @ L.transpose(-2, -1)).expand(*self._batch_shape, *L.shape[-2:])

    @cached_property
    def precision_matrix(self) -> Tensor:
        """The inverse covariance, broadcast to ``batch_shape + (n, n)``.

        Example:
            >>> from nnengine.distributions import MultivariateNormal
            >>> MultivariateNormal(ne.zeros(2), scale_tril=2 * ne.eye(2)).precision_matrix
            tensor([[0.25, 0.  ],
                    [0.  , 0.25]])
        """
        L = self._unbroadcasted_scale_tril
        li = _tril_inverse(L)
        return (li.transpose(-2, -1) @ li).expand(*self._batch_shape, *L.shape[-2:])

    @property
    def mode(self) -> Tensor:
        """The most likely value of each distribution (torch's ``mode``).

        Example:
            >>> MultivariateNormal(ne.tensor([1.0, 2.0]), ne.eye(2)).mode
            tensor([1., 2.])
        """
        return self.loc

    @property
    def mean(self) -> Tensor:
        """The mean vector of each distribution (``loc``).

        Example:
            >>> MultivariateNormal(ne.tensor([1.0, 2.0]), ne.eye(2)).mean
            tensor([1., 2.])
        """
        return self.loc

    @property
    def variance(self) -> Tensor:
        """The diagonal of the covariance, shaped ``batch_shape + event_shape``.

        Example:
            >>> MultivariateNormal(ne.zeros(2), ne.tensor([[2.0, 0.5], [0.5, 1.0]])).variance
            tensor([2., 1.])
        """
        L = self._unbroadcasted_scale_tril
        return L.pow(2).sum(-1).expand(*self._batch_shape, *self._event_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = Tensor(self._rng().standard_normal(shape).astype(self.loc.dtype), dtype=self.loc.dtype)
        return self.loc + _batch_mv(self._unbroadcasted_scale_tril, eps)

    def _half_log_det(self) -> Tensor:
        return self._unbroadcasted_scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)

    def log_prob(self, value: Any) -> Tensor:
        value = _as_param(value, "value")
        n = self._event_shape[0]
        if value.ndim < 1 or value.shape[-1] != n:
            raise ValueError(f"value: expected a last dim of size {n} (the event), got shape {value.shape}")
        M = _batch_mahalanobis(self._unbroadcasted_scale_tril, value - self.loc)
        return -0.5 * (n * math.log(2 * math.pi) + M) - self._half_log_det()

    def entropy(self) -> Tensor:
        H = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return H if not self._batch_shape else H.expand(*self._batch_shape)
