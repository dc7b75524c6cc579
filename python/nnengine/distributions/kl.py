"""``kl_divergence(p, q)`` for the pairs torch registers among nnengine's distributions."""

from __future__ import annotations

from typing import Any, Callable, Dict, Tuple

import numpy as np

from .. import functional as F
from ..tensor import Tensor, _Unimplemented, where
from .bernoulli import Bernoulli
from .categorical import Categorical
from .continuous_bernoulli import ContinuousBernoulli
from .dirichlet import Beta, Dirichlet
from .distribution import _EULER, Distribution, _sum_rightmost
from .exponential import Exponential
from .gamma import Gamma
from .geometric import Geometric
from .heavy_tailed import Cauchy, Gumbel
from .independent import Independent
from .laplace import Laplace
from .multivariate_normal import MultivariateNormal, _batch_mahalanobis, _tril_inverse
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .poisson import Poisson
from .positive import HalfNormal, Pareto
from .transformed_distribution import TransformedDistribution
from .uniform import Uniform


def _mask(m: Any, shape: Tuple[int, ...]) -> np.ndarray:
    return np.broadcast_to(np.asarray(m), shape)


def _kl_normal_normal(p: Normal, q: Normal) -> Tensor:
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Tensor:
    t = p.probs * (p.logits - q.logits)
    shape = t.shape
    t = where(Tensor(np.broadcast_to(q.probs._data == 0, shape)), float("inf"), t)
    t = where(Tensor(np.broadcast_to(p.probs._data == 0, shape)), 0.0, t)
    return t.sum(-1)


def _kl_onehot_onehot(p: OneHotCategorical, q: OneHotCategorical) -> Tensor:
    return _kl_categorical_categorical(p._categorical, q._categorical)


def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    pp, qp = np.asarray(p.probs._data), np.asarray(q.probs._data)
    t1 = p.probs * (F.softplus(-q.logits) - F.softplus(-p.logits))
    t1 = where(_mask(pp == 0, t1.shape), 0.0, where(_mask(qp == 0, t1.shape), float("inf"), t1))
    t2 = (1 - p.probs) * (F.softplus(q.logits) - F.softplus(p.logits))
    t2 = where(_mask(pp == 1, t2.shape), 0.0, where(_mask(qp == 1, t2.shape), float("inf"), t2))
    return t1 + t2


def _kl_uniform_uniform(p: Uniform, q: Uniform) -> Tensor:
    result = ((q.high - q.low) / (p.high - p.low)).log()
    bad = (np.asarray(q.low._data) > np.asarray(p.low._data)) | (np.asarray(q.high._data) < np.asarray(p.high._data))
    return where(_mask(bad, result.shape), float("inf"), result)


def _kl_exponential_exponential(p: Exponential, q: Exponential) -> Tensor:
    rate_ratio = q.rate / p.rate
    return -rate_ratio.log() + rate_ratio - 1


def _kl_laplace_laplace(p: Laplace, q: Laplace) -> Tensor:
    scale_ratio = p.scale / q.scale
    loc_abs_diff = (p.loc - q.loc).abs()
    return -scale_ratio.log() + loc_abs_diff / q.scale + scale_ratio * (-loc_abs_diff / p.scale).exp() - 1


def _kl_gamma_gamma(p: Gamma, q: Gamma) -> Tensor:
    t1 = q.concentration * (p.rate / q.rate).log()
    t2 = q.concentration.lgamma() - p.concentration.lgamma()
    t3 = (p.concentration - q.concentration) * p.concentration.digamma()
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


def _kl_beta_beta(p: Beta, q: Beta) -> Tensor:
    sp = p.concentration1 + p.concentration0
    sq = q.concentration1 + q.concentration0
    t1 = q.concentration1.lgamma() + q.concentration0.lgamma() + sp.lgamma()
    t2 = p.concentration1.lgamma() + p.concentration0.lgamma() + sq.lgamma()
    t3 = (p.concentration1 - q.concentration1) * p.concentration1.digamma()
    t4 = (p.concentration0 - q.concentration0) * p.concentration0.digamma()
    t5 = (sq - sp) * sp.digamma()
    return t1 - t2 + t3 + t4 + t5


def _kl_dirichlet_dirichlet(p: Dirichlet, q: Dirichlet) -> Tensor:
    sp, sq = p.concentration.sum(-1), q.concentration.sum(-1)
    t1 = sp.lgamma() - sq.lgamma()
    t2 = (p.concentration.lgamma() - q.concentration.lgamma()).sum(-1)
    t3 = p.concentration - q.concentration
    t4 = p.concentration.digamma() - sp.digamma().unsqueeze(-1)
    return t1 - t2 + (t3 * t4).sum(-1)


def _kl_poisson_poisson(p: Poisson, q: Poisson) -> Tensor:
    return p.rate * (p.rate.log() - q.rate.log()) - (p.rate - q.rate)


def _kl_mvn_mvn(p: MultivariateNormal, q: MultivariateNormal) -> Tensor:
    if p.event_shape != q.event_shape:
        raise ValueError(f"kl_divergence: MultivariateNormals of different event shapes {p.event_shape} and "
                         f"{q.event_shape}")
    pL, qL = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_term1 = qL.diagonal(dim1=-2, dim2=-1).log().sum(-1) - pL.diagonal(dim1=-2, dim2=-1).log().sum(-1)
    n = p.event_shape[0]
    batch = tuple(np.broadcast_shapes(qL.shape[:-2], pL.shape[:-2]))
    x = _tril_inverse(qL.expand(*batch, n, n)) @ pL.expand(*batch, n, n)
    term2 = x.pow(2).sum((-2, -1))
    term3 = _batch_mahalanobis(qL, q.loc - p.loc)
    return half_term1 + 0.5 * (term2 + term3 - n)


def _kl_independent_independent(p: Independent, q: Independent) -> Tensor:
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise _Unimplemented("kl_divergence: Independent distributions with different "
                                  "reinterpreted_batch_ndims")
    return _sum_rightmost(kl_divergence(p.base_dist, q.base_dist), p.reinterpreted_batch_ndims)


def _kl_transformed_transformed(p: TransformedDistribution, q: TransformedDistribution) -> Tensor:
    if p.transforms != q.transforms or p.event_shape != q.event_shape:
        raise _Unimplemented("kl_divergence: TransformedDistributions with different transforms or event "
                                  "shapes")
    return kl_divergence(p.base_dist, q.base_dist)


def _kl_continuous_bernoulli(p: ContinuousBernoulli, q: ContinuousBernoulli) -> Tensor:
    t1 = p.mean * (p.logits - q.logits)
    return t1 + (p._log_norm() + (-p.probs).log1p()) + (-q._log_norm() - (-q.probs).log1p())


def _kl_gumbel_gumbel(p: Gumbel, q: Gumbel) -> Tensor:
    ct1, ct2, ct3 = p.scale / q.scale, q.loc / q.scale, p.loc / q.scale
    t1 = -ct1.log() - ct2 + ct3
    t3 = (ct2 + (1 + ct1).lgamma() - ct3).exp()
    return t1 + ct1 * _EULER + t3 - (1 + _EULER)


def _kl_geometric_geometric(p: Geometric, q: Geometric) -> Tensor:
    return -p.entropy() - (-q.probs).log1p() / p.probs - q.logits


def _kl_halfnormal_halfnormal(p: HalfNormal, q: HalfNormal) -> Tensor:
    return _kl_normal_normal(p._base, q._base)


def _kl_pareto_pareto(p: Pareto, q: Pareto) -> Tensor:
    alpha_ratio = q.alpha / p.alpha
    out = q.alpha * (p.scale / q.scale).log() - alpha_ratio.log() + alpha_ratio - 1
    return out.masked_fill(_mask(p.scale._data < q.scale._data, out.shape), float("inf"))  # p's support not in q's


def _kl_cauchy_cauchy(p: Cauchy, q: Cauchy) -> Tensor:
    return ((p.scale + q.scale).pow(2) + (p.loc - q.loc).pow(2)).log() - (4 * p.scale * q.scale).log()


_KL: Dict[Tuple[type, type], Callable[[Any, Any], Tensor]] = {
    (Normal, Normal): _kl_normal_normal,
    (Categorical, Categorical): _kl_categorical_categorical,
    (OneHotCategorical, OneHotCategorical): _kl_onehot_onehot,
    (Bernoulli, Bernoulli): _kl_bernoulli_bernoulli,
    (Uniform, Uniform): _kl_uniform_uniform,
    (Exponential, Exponential): _kl_exponential_exponential,
    (Laplace, Laplace): _kl_laplace_laplace,
    (Gamma, Gamma): _kl_gamma_gamma,
    (Beta, Beta): _kl_beta_beta,
    (Dirichlet, Dirichlet): _kl_dirichlet_dirichlet,
    (Poisson, Poisson): _kl_poisson_poisson,
    (MultivariateNormal, MultivariateNormal): _kl_mvn_mvn,
    (Independent, Independent): _kl_independent_independent,
    (TransformedDistribution, TransformedDistribution): _kl_transformed_transformed,
    (ContinuousBernoulli, ContinuousBernoulli): _kl_continuous_bernoulli,
    (Gumbel, Gumbel): _kl_gumbel_gumbel,
    (Geometric, Geometric): _kl_geometric_geometric,
    (HalfNormal, HalfNormal): _kl_halfnormal_halfnormal,
    (Pareto, Pareto): _kl_pareto_pareto,
    (Cauchy, Cauchy): _kl_cauchy_cauchy,
}


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """``KL(p || q)`` per batch element, with torch's formulas for the pairs it registers: Normal,
    Categorical, OneHotCategorical, Bernoulli, Uniform, Exponential, Laplace, Gamma, Beta, Dirichlet,
    Poisson, MultivariateNormal, ContinuousBernoulli, Gumbel, Geometric, HalfNormal, Pareto, Cauchy, Independent
    and TransformedDistribution (e.g. LogNormal, InverseGamma) with the same type on both sides (subclasses
    dispatch to their base class's formula, as torch).

    Example:
        >>> from nnengine.distributions import Normal
        >>> kl_divergence(Normal(0.0, 1.0), Normal(1.0, 1.0)).item()
        0.5
    """
    for tp in type(p).__mro__:
        for tq in type(q).__mro__:
            fn = _KL.get((tp, tq))
            if fn is not None:
                return fn(p, q)
    raise _Unimplemented(f"kl_divergence: no formula for p={type(p).__name__}, q={type(q).__name__} "
                              f"(registered: {', '.join(f'{a.__name__}/{b.__name__}' for a, b in _KL)})")
