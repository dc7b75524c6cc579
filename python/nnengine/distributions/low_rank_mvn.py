"""``LowRankMultivariateNormal(loc, cov_factor, cov_diag)`` (torch.distributions.LowRankMultivariateNormal): a
multivariate normal whose covariance is ``cov_factor @ cov_factor.T + diag(cov_diag)``."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..tensor import Tensor
from .distribution import _as_param
from .multivariate_normal import MultivariateNormal, _batch_mv


class LowRankMultivariateNormal(MultivariateNormal):
    """The normal distribution with mean ``loc`` (..., n) and covariance W W^T + diag(D) for ``cov_factor`` W
    (..., n, r) and a positive ``cov_diag`` D (..., n), batch dims broadcast. ``rsample`` is torch's
    ``loc + W eps_W + sqrt(D) eps_D``; ``log_prob``, ``entropy`` and the matrices go through the Cholesky factor
    of the covariance (torch uses the Woodbury identity: the same values up to rounding), differentiable in all
    three parameters.

    Example:
        >>> from nnengine.distributions import LowRankMultivariateNormal
        >>> d = LowRankMultivariateNormal(ne.zeros(3), ne.ones(3, 1), ne.ones(3))
        >>> d.variance, d.rsample((4,)).shape, round(d.log_prob(ne.zeros(3)).item(), 4)
        (tensor([2., 2., 2.]), (4, 3), -3.45)
    """

    _params = ("loc", "cov_factor", "cov_diag")
    _batch_params = ("loc", "cov_factor", "cov_diag", "covariance_matrix")

    def __init__(self, loc: Any, cov_factor: Any, cov_diag: Any, validate_args: Optional[bool] = None) -> None:
        loc, W, D = _as_param(loc, "loc"), _as_param(cov_factor, "cov_factor"), _as_param(cov_diag, "cov_diag")
        if loc.ndim < 1:
            raise ValueError(f"loc: expected at least one dimension, got shape {loc.shape}")
        n = loc.shape[-1]
        if W.ndim < 2 or W.shape[-2] != n:
            raise ValueError(f"cov_factor: expected shape (..., {n}, rank) (loc's last dim {n}), got {W.shape}")
        if D.ndim < 1 or D.shape[-1] != n:
            raise ValueError(f"cov_diag: expected shape (..., {n}) (loc's last dim), got {D.shape}")
        if (True if validate_args is None else validate_args) and not np.all(np.asarray(D._data) > 0):
            raise ValueError("cov_diag: expected positive values")
        dt = np.result_type(loc.dtype, W.dtype, D.dtype)
        loc, W, D = (t if t.dtype == dt else t.to(dt) for t in (loc, W, D))
        batch = tuple(np.broadcast_shapes(loc.shape[:-1], W.shape[:-2], D.shape[:-1]))
        self.cov_factor = W.expand(*batch, n, W.shape[-1])
        self.cov_diag = D.expand(*batch, n)
        cov = W @ W.transpose(-2, -1) + D.unsqueeze(-1) * Tensor(np.eye(n, dtype=dt))
        super().__init__(loc.expand(*batch, n), covariance_matrix=cov, validate_args=False)
        self._validate_args = True if validate_args is None else bool(validate_args)

    @property
    def variance(self) -> Tensor:
        """``(cov_factor ** 2).sum(-1) + cov_diag``.

        Example:
            >>> from nnengine.distributions import LowRankMultivariateNormal
            >>> LowRankMultivariateNormal(ne.zeros(2), ne.ones(2, 1), ne.ones(2)).variance
            tensor([2., 2.])
        """
        return self.cov_factor.pow(2).sum(-1) + self.cov_diag

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        rng, dt = self._rng(), self.loc.dtype
        eps_w = Tensor(rng.standard_normal(shape[:-1] + (self.cov_factor.shape[-1],)).astype(dt), dtype=dt)
        eps_d = Tensor(rng.standard_normal(shape).astype(dt), dtype=dt)
        return self.loc + _batch_mv(self.cov_factor, eps_w) + self.cov_diag.sqrt() * eps_d
