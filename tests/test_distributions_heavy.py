"""Cauchy, HalfCauchy, StudentT, Gumbel, Geometric and MixtureSameFamily against torch.distributions: log_prob,
cdf / icdf, entropy, mean / mode / variance (including the NaN and inf cases), gradients of log_prob with respect to
every parameter (float64), sample shapes and dtypes, and sample moments from nnengine's generator."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require
from dist_testing import check_density_against_torch, eq

import nnengine as ne
import nnengine.distributions as D

T = require("torch")

X = np.array([-2.5, -0.3, 0.0, 0.7, 3.0])
POS = np.array([0.0, 0.2, 1.0, 2.5, 7.0])
COUNTS = np.array([0.0, 1.0, 2.0, 5.0, 9.0])
P = np.array([0.05, 0.3, 0.5, 0.8, 1.0])

# name -> (params as float64 arrays, builder(module, *params), values to score, has cdf/icdf)
CASES = {
    "Cauchy": ([np.array([0.0, 1.0, -1.0, 0.5, 2.0]), np.array([1.0, 0.5, 2.0, 3.0, 0.1])],
               lambda m, a, b: m.Cauchy(a, b), X, True),
    "HalfCauchy": ([np.array([1.0, 0.5, 2.0, 3.0, 0.1])], lambda m, a: m.HalfCauchy(a), POS, True),
    "StudentT": ([np.array([0.5, 1.5, 3.0, 10.0, 2.5]), np.array([0.0, 1.0, -1.0, 0.5, 2.0]),
                  np.array([1.0, 0.5, 2.0, 3.0, 0.7])], lambda m, a, b, c: m.StudentT(a, b, c), X, False),
    "Gumbel": ([np.array([0.0, 1.0, -1.0, 0.5, 2.0]), np.array([1.0, 0.5, 2.0, 3.0, 0.7])],
               lambda m, a, b: m.Gumbel(a, b), X, True),
    "Geometric": ([P], lambda m, p: m.Geometric(probs=p), COUNTS, False),
    "GeometricLogits": ([np.array([-2.0, -0.5, 0.0, 1.0, 3.0])], lambda m, lg: m.Geometric(logits=lg), COUNTS, False),
}


def _both(name, requires_grad=False):
    params, build, _, _ = CASES[name]
    tp = [T.tensor(p, requires_grad=requires_grad) for p in params]
    npar = [ne.tensor(p, requires_grad=requires_grad) for p in params]
    return build(T.distributions, *tp), build(D, *npar), tp, npar


def _eq(got, want, rtol=1e-6):
    eq(got, want, rtol, 1e-10)


@pytest.mark.parametrize("name", sorted(CASES))
def test_densities_moments_and_gradients_match_torch(name):
    dt, dn, tp, npar = _both(name, requires_grad=True)
    v = CASES[name][2]
    check_density_against_torch(T, dt, dn, tp, npar, v, rtol=1e-6, grad_rtol=1e-5, atol=1e-10)
    if CASES[name][3]:
        _eq(dn.cdf(ne.tensor(v)), dt.cdf(T.tensor(v)))
        q = np.array([0.01, 0.2, 0.5, 0.75, 0.99])
        _eq(dn.icdf(ne.tensor(q)), dt.icdf(T.tensor(q)), rtol=1e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_sample_shapes_and_moments(name):
    dt, dn, _, _ = _both(name)
    s = dn.sample((4000, ))
    assert s.shape == tuple(dt.sample((4000,)).shape) and s.dtype == np.float64 and dn.sample().shape == (5,)
    if name == "StudentT" or name.startswith("Geometric"):  # finite means where torch has them
        mean = dt.mean.numpy()
        ok = np.isfinite(mean) & ((dt.variance.numpy() < 50) if name == "StudentT" else (mean < 20))
        sd = np.sqrt(np.where(ok, dt.variance.numpy(), 1.0))
        np.testing.assert_array_less(np.abs(s.numpy().mean(0) - mean)[ok], (6 * sd / np.sqrt(4000))[ok] + 1e-9)
    elif name in ("Cauchy", "HalfCauchy", "Gumbel"):  # medians: icdf(1/2)
        med = dt.icdf(T.full((5,), 0.5, dtype=T.float64)).numpy()
        scale = dt.scale.numpy()
        np.testing.assert_array_less(np.abs(np.median(s.numpy(), 0) - med), 0.1 * scale)
    if dn.has_rsample:
        _, dg, _, npar = _both(name, requires_grad=True)
        dg.rsample((3,)).sum().backward()
        assert all(p.grad is not None and np.isfinite(p.grad.numpy()).all() for p in npar)


def test_mixture_same_family_matches_torch():
    """A mixture density network's head: log_prob, cdf, mean, variance and the gradients to the mixture logits
    and the component parameters equal torch's; batched mixture, and an Independent multivariate component."""
    rng = np.random.default_rng(0)
    logits, loc, scale = rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), rng.uniform(0.5, 2, (4, 3))
    x = rng.standard_normal(4)

    def build(m, lg, lc, sc):
        return m.MixtureSameFamily(m.Categorical(logits=lg), m.Normal(lc, sc))

    tp = [T.tensor(a, requires_grad=True) for a in (logits, loc, scale)]
    npar = [ne.tensor(a, requires_grad=True) for a in (logits, loc, scale)]
    mt, mn = build(T.distributions, *tp), build(D, *npar)
    assert mn.batch_shape == tuple(mt.batch_shape) and mn.event_shape == tuple(mt.event_shape)
    lt, ln = mt.log_prob(T.tensor(x)), mn.log_prob(ne.tensor(x))
    _eq(ln, lt)
    lt.sum().backward()
    ln.sum().backward()
    for a, b in zip(tp, npar):
        _eq(b.grad, a.grad, rtol=1e-5)
    for attr in ("mean", "variance"):
        _eq(getattr(mn, attr), getattr(mt, attr))
    _eq(mn.cdf(ne.tensor(x)), mt.cdf(T.tensor(x)))
    assert mn.sample((5,)).shape == (5, 4) and mn.sample().shape == (4,)
    # samples follow the mixture: a far-apart two-component mixture's sample mean
    far = D.MixtureSameFamily(D.Categorical(probs=ne.tensor([0.25, 0.75])), D.Normal(ne.tensor([-10.0, 10.0]), 0.1))
    assert abs(far.sample((4000,)).numpy().mean() - 5.0) < 0.5
    # a 2-D event: Independent(Normal) components
    loc2 = rng.standard_normal((3, 2))
    ct = T.distributions.Independent(T.distributions.Normal(T.tensor(loc2), 1.0), 1)
    cn = D.Independent(D.Normal(ne.tensor(loc2), 1.0), 1)
    mt2 = T.distributions.MixtureSameFamily(T.distributions.Categorical(logits=T.zeros(3, dtype=T.float64)), ct)
    mn2 = D.MixtureSameFamily(D.Categorical(logits=ne.zeros(3, dtype=ne.float64)), cn)
    y = rng.standard_normal((5, 2))
    _eq(mn2.log_prob(ne.tensor(y)), mt2.log_prob(T.tensor(y)))
    _eq(mn2.mean, mt2.mean)
    assert mn2.sample((6,)).shape == (6, 2)
    with pytest.raises(ValueError, match="components"):
        D.MixtureSameFamily(D.Categorical(logits=ne.zeros(2)), D.Normal(ne.zeros(3), 1.0))
    with pytest.raises(ValueError, match="Categorical"):
        D.MixtureSameFamily(D.Normal(0.0, 1.0), D.Normal(ne.zeros(3), 1.0))


def test_parameter_checks():
    with pytest.raises(ValueError, match="scale"):
        D.Cauchy(0.0, -1.0)
    with pytest.raises(ValueError, match="df"):
        D.StudentT(0.0)
    with pytest.raises(ValueError, match="probs"):
        D.Geometric(probs=ne.tensor([0.0]))
    with pytest.raises(ValueError, match="exactly one of probs or logits"):
        D.Geometric()
    with pytest.raises(ValueError, match="support"):
        D.Geometric(probs=ne.tensor([0.5])).log_prob(ne.tensor([1.5]))


@pytest.mark.parametrize("name", ["RelaxedBernoulli", "LogitRelaxedBernoulli", "RelaxedOneHotCategorical",
                                  "ExpRelaxedCategorical"])
def test_relaxed_distributions_match_torch(name):
    """The Concrete / Gumbel-softmax relaxations: log_prob and its gradients to the logits and the temperature equal
    torch's (float64); rsample is differentiable, in the support, with torch's shapes; at a low temperature the
    relaxed Bernoulli's samples average to probs."""
    import torch.distributions.relaxed_bernoulli as rb
    import torch.distributions.relaxed_categorical as rc

    tmod = {"RelaxedBernoulli": T.distributions.RelaxedBernoulli, "LogitRelaxedBernoulli": rb.LogitRelaxedBernoulli,
            "RelaxedOneHotCategorical": T.distributions.RelaxedOneHotCategorical,
            "ExpRelaxedCategorical": rc.ExpRelaxedCategorical}[name]
    lg = np.array([[0.2, -1.0, 0.5], [1.0, 0.0, -0.3]])
    value = {"RelaxedBernoulli": np.array([[0.3, 0.9, 0.5], [0.1, 0.6, 0.99]]),
             "LogitRelaxedBernoulli": np.array([[0.3, -2.0, 0.5], [1.0, 0.6, -0.2]]),
             "RelaxedOneHotCategorical": np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]),
             "ExpRelaxedCategorical": np.log([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])}[name]
    tl, tt = T.tensor(lg, requires_grad=True), T.tensor(0.7, dtype=T.float64, requires_grad=True)
    nl, nt = ne.tensor(lg, requires_grad=True), ne.tensor(0.7, dtype=ne.float64, requires_grad=True)
    dt, dn = tmod(tt, logits=tl), getattr(D, name)(nt, logits=nl)
    assert dn.batch_shape == tuple(dt.batch_shape) and dn.event_shape == tuple(dt.event_shape)
    lt, ln = dt.log_prob(T.tensor(value)), dn.log_prob(ne.tensor(value))
    _eq(ln, lt)
    lt.sum().backward()
    ln.sum().backward()
    _eq(nl.grad, tl.grad, rtol=1e-5)
    _eq(nt.grad, tt.grad, rtol=1e-5)
    nl.grad = None
    dn = getattr(D, name)(nt, logits=nl)  # (a fresh graph: the first backward freed the normalised logits')
    s = dn.rsample((5,))
    assert s.shape == tuple(dt.rsample((5,)).shape)
    s.sum().backward()
    assert nl.grad is not None and np.isfinite(nl.grad.numpy()).all()
    x = s.detach().numpy()
    if name == "RelaxedBernoulli":
        assert ((x > 0) & (x < 1)).all()
    if name == "RelaxedOneHotCategorical":
        np.testing.assert_allclose(x.sum(-1), 1.0, rtol=1e-12)
    if name == "RelaxedBernoulli":
        p = np.array([0.2, 0.5, 0.9])
        cold = D.RelaxedBernoulli(ne.tensor(0.05, dtype=ne.float64), probs=ne.tensor(p)).sample((4000,)).numpy()
        np.testing.assert_allclose(cold.mean(0), p, atol=0.04)


@pytest.mark.parametrize("name", ["Geometric", "Bernoulli", "Binomial", "NegativeBinomial", "Categorical",
                                  "ContinuousBernoulli"])
@pytest.mark.parametrize("given", ["probs", "logits"])
def test_repr_shows_the_given_parameterization_as_torch(name, given):
    kw = {"total_count": 3} if name in ("Binomial", "NegativeBinomial") else {}
    want = repr(getattr(T.distributions, name)(**{given: T.tensor([0.3, 0.6])}, **kw))
    got = repr(getattr(D, name)(**{given: ne.tensor([0.3, 0.6])}, **kw))
    assert got == want.replace("torch.Size([2])", "(2,)")
