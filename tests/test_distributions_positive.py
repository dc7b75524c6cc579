"""HalfNormal, Chi2, Pareto, Weibull, NegativeBinomial, InverseGamma, FisherSnedecor, Kumaraswamy,
ContinuousBernoulli, OneHotCategoricalStraightThrough and PowerTransform against torch.distributions: log_prob (with
torch's NaN / -inf cases), cdf / icdf, entropy, mean / mode / variance (inf and NaN where torch has them), float64
gradients of log_prob and of rsample to every parameter, repr, expand, sample shapes, support checks and sample
moments from nnengine's generator."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require
from dist_testing import check_density_against_torch, eq

import nnengine as ne
import nnengine.distributions as D

T = require("torch")

SCALE = np.array([1.0, 0.5, 2.0, 3.0, 0.7])
# name -> (params as float64 arrays, values to score, has cdf/icdf, has rsample)
CASES = {
    "HalfNormal": ([SCALE], np.array([-1.0, 0.0, 0.7, 3.0, 1.5]), True, True),
    "Chi2": ([np.array([1.0, 3.0, 7.0, 0.5, 2.0])], np.array([0.2, 1.0, 5.0, 0.01, 2.0]), False, False),
    "Pareto": ([SCALE, np.array([3.0, 0.7, 2.5, 1.0, 2.0])], np.array([1.0, 0.7, 3.0, 30.0, 0.7]), True, True),
    "Weibull": ([SCALE, np.array([3.0, 0.7, 1.0, 2.5, 0.5])], np.array([0.1, 0.7, 3.0, 2.0, 1e-3]), True, True),
}


def _both(name, requires_grad=False, validate_args=None):
    params = CASES[name][0]
    tp = [T.tensor(p, requires_grad=requires_grad) for p in params]
    npar = [ne.tensor(p, requires_grad=requires_grad) for p in params]
    return (getattr(T.distributions, name)(*tp, validate_args=validate_args),
            getattr(D, name)(*npar, validate_args=validate_args), tp, npar)


def _eq(got, want, rtol=1e-7):
    eq(got, want, rtol, 1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_torch(name):
    # the cases score values outside the support too (HalfNormal's -1, Pareto's values below scale), unvalidated
    dt, dn, tp, npar = _both(name, requires_grad=True, validate_args=False)
    v = CASES[name][1]
    check_density_against_torch(T, dt, dn, tp, npar, v, rtol=1e-7, grad_rtol=1e-6, atol=1e-12)
    if CASES[name][2]:
        inside = np.maximum(v, CASES[name][0][0]) if name == "Pareto" else np.abs(v) + 1e-3
        _eq(dn.cdf(ne.tensor(inside)), dt.cdf(T.tensor(inside)))
        q = np.array([0.01, 0.2, 0.5, 0.75, 0.99])
        _eq(dn.icdf(ne.tensor(q)), dt.icdf(T.tensor(q)), rtol=1e-6)
    assert dn.batch_shape == tuple(dt.batch_shape)


@pytest.mark.parametrize("name", sorted(CASES))
def test_samples_rsample_gradients_and_expand(name):
    dt, dn, _, _ = _both(name)
    ne.manual_seed(0)
    T.manual_seed(0)
    s = dn.sample((20000,)).numpy()
    assert s.shape == (20000, 5) and s.dtype == np.float64 and dn.sample().shape == (5,)
    assert np.all(s >= (CASES[name][0][0] if name == "Pareto" else 0))
    # medians (every family here has a closed-form or torch-computed median): icdf(1/2), or Chi2's by torch's
    # Gamma samples
    med = np.median(s, 0)
    want = (dt.icdf(T.full((5,), 0.5, dtype=T.float64)).numpy() if CASES[name][2]
            else np.median(dt.sample((20000,)).numpy(), 0))
    np.testing.assert_allclose(med, want, rtol=0.06)
    e = dn.expand((3, 5))
    assert e.batch_shape == (3, 5) and e.sample((2,)).shape == (2, 3, 5)
    assert e.log_prob(ne.tensor(np.abs(CASES[name][1]) + 1.0)).shape == (3, 5)
    if CASES[name][3]:
        # rsample = the transform chain of a unit draw: the gradient to each parameter equals torch's on the
        # same draw (the chain's derivative at that draw)
        _, dg, _, npar = _both(name, requires_grad=True)
        x = dg.rsample((4,))
        x.sum().backward()
        assert all(p.grad is not None and np.isfinite(p.grad.numpy()).all() for p in npar)
        if name == "Pareto":  # d/dscale of scale * exp(E / alpha) = x / scale
            np.testing.assert_allclose(npar[0].grad.numpy(), (x.detach().numpy() / SCALE).sum(0), rtol=1e-12)
        if name == "Weibull":
            np.testing.assert_allclose(npar[0].grad.numpy(), (x.detach().numpy() / SCALE).sum(0), rtol=1e-12)
    else:
        with pytest.raises(NotImplementedError):
            dn.rsample()


def test_repr_and_checks_match_torch():
    assert repr(D.HalfNormal(ne.tensor([1.0, 2.0]))) == "HalfNormal()" == repr(T.distributions.HalfNormal(
        T.tensor([1.0, 2.0])))
    assert repr(D.Chi2(3.0)) == "Chi2()"
    assert repr(D.Pareto(ne.tensor([1.0, 2.0]), 3.0)) == "Pareto(alpha: (2,), scale: (2,))"
    assert D.Chi2(ne.tensor([4.0])).df.tolist() == [4.0]
    assert D.Weibull(1.0, ne.tensor([4.0])).concentration_reciprocal.tolist() == [0.25]
    for bad, what in ((lambda: D.HalfNormal(-1.0), "scale"), (lambda: D.Chi2(0.0), "df"),
                      (lambda: D.Pareto(1.0, -2.0), "alpha"), (lambda: D.Pareto(0.0, 2.0), "scale"),
                      (lambda: D.Weibull(1.0, 0.0), "concentration")):
        with pytest.raises(ValueError, match=what):
            bad()
    with pytest.raises(ValueError, match="support"):
        D.Pareto(2.0, 1.0).log_prob(ne.tensor(1.0))
    with pytest.raises(ValueError, match="support"):
        D.Weibull(2.0, 1.0).log_prob(ne.tensor(-1.0))
    with pytest.raises(TypeError, match="scale"):
        D.HalfNormal("1")
    # out-of-support values without validation: torch's numbers (HalfNormal -inf below 0, Weibull NaN at 0)
    assert D.HalfNormal(1.0, validate_args=False).log_prob(ne.tensor(-1.0)).item() == float("-inf")
    assert np.isnan(D.Weibull(1.0, 2.0, validate_args=False).log_prob(ne.tensor(0.0)).item())
    assert np.isnan(T.distributions.Weibull(1.0, 2.0, validate_args=False).log_prob(T.tensor(0.0)).item())


@pytest.mark.parametrize("given", ["probs", "logits"])
def test_negative_binomial_matches_torch(given):
    n = np.array([3.0, 0.0, 2.5, 10.0, 1.0])  # a real total_count, and 0 (P(0) = 1: log_prob 0 at 0)
    par = np.array([0.25, 0.5, 0.9, 0.1, 0.0]) if given == "probs" else np.array([-1.0, 0.0, 2.0, -3.0, 0.5])
    v = np.array([1.0, 0.0, 4.0, 7.0, 2.0])
    tn, tp = T.tensor(n, requires_grad=True), T.tensor(par, requires_grad=True)
    nn_, npar = ne.tensor(n, requires_grad=True), ne.tensor(par, requires_grad=True)
    dt = T.distributions.NegativeBinomial(tn, **{given: tp})
    dn = D.NegativeBinomial(nn_, **{given: npar})
    lt, ln = dt.log_prob(T.tensor(v)), dn.log_prob(ne.tensor(v))
    _eq(ln, lt)
    lt.sum().backward()
    ln.sum().backward()
    _eq(nn_.grad, tn.grad, rtol=1e-6)  # NaN where torch's is (lgamma'(0) at total_count 0)
    np.testing.assert_allclose(npar.grad.numpy(), tp.grad.numpy(), rtol=1e-6, atol=1e-12)
    for attr in ("mean", "mode", "variance"):
        _eq(getattr(dn, attr), getattr(dt, attr))
    assert repr(dn) == f"NegativeBinomial(total_count: (5,), {given}: (5,))"
    ne.manual_seed(0)
    d = D.NegativeBinomial(ne.tensor([3.0, 10.0, 2.5]), probs=ne.tensor([0.25, 0.6, 0.0]))
    s = d.sample((20000,)).numpy()
    assert s.shape == (20000, 3) and s.dtype == np.float32 and np.all(s == np.floor(s)) and np.all(s[:, 2] == 0)
    mean, sd = d.mean.numpy(), np.sqrt(d.variance.numpy())
    np.testing.assert_array_less(np.abs(s.mean(0) - mean), 6 * sd / np.sqrt(20000) + 1e-9)
    assert d.expand((4, 3)).sample((2,)).shape == (2, 4, 3)
    with pytest.raises(ValueError, match="probs"):
        D.NegativeBinomial(2.0, probs=ne.tensor([1.0]))
    with pytest.raises(ValueError, match="total_count"):
        D.NegativeBinomial(-1.0, logits=ne.tensor([0.0]))
    with pytest.raises(ValueError, match="exactly one of probs or logits"):
        D.NegativeBinomial(2.0)
    with pytest.raises(ValueError, match="support"):
        D.NegativeBinomial(2.0, probs=ne.tensor([0.5])).log_prob(ne.tensor([1.5]))


# name -> (params as float64 arrays, values to score, has cdf/icdf, has rsample, has entropy in torch)
MORE = {
    "InverseGamma": ([np.array([3.0, 0.5, 2.0, 5.0, 1.5]), np.array([2.0, 1.0, 0.5, 3.0, 1.0])],
                     np.array([1.0, 0.2, 3.0, 0.7, 2.0]), False, False, True),
    "FisherSnedecor": ([np.array([4.0, 1.0, 2.5, 10.0, 3.0]), np.array([6.0, 2.0, 4.0, 1.5, 9.0])],
                       np.array([1.0, 0.2, 3.0, 0.7, 2.0]), False, False, False),
    "Kumaraswamy": ([np.array([2.0, 0.5, 1.0, 3.0, 1.5]), np.array([2.0, 2.0, 0.7, 1.0, 4.0])],
                    np.array([0.5, 0.2, 0.9, 0.7, 0.05]), True, True, True),
}


@pytest.mark.parametrize("name", sorted(MORE))
def test_gamma_ratio_and_kumaraswamy_match_torch(name):
    params, v, has_cdf, has_rsample, has_entropy = MORE[name]
    tp = [T.tensor(p, requires_grad=True) for p in params]
    npar = [ne.tensor(p, requires_grad=True) for p in params]
    dt, dn = getattr(T.distributions, name)(*tp), getattr(D, name)(*npar)
    lt, ln = dt.log_prob(T.tensor(v)), dn.log_prob(ne.tensor(v))
    _eq(ln, lt)
    lt.backward(T.tensor(np.linspace(0.5, 1.5, 5)))
    ln.backward(ne.tensor(np.linspace(0.5, 1.5, 5)))
    for a, b in zip(tp, npar):
        _eq(b.grad, a.grad, rtol=1e-6)
    for attr in ("mean", "variance") + (() if name == "Kumaraswamy" else ("mode",)):
        _eq(getattr(dn, attr), getattr(dt, attr))
    if has_entropy:
        _eq(dn.entropy(), dt.entropy())
    if has_cdf:
        _eq(dn.cdf(ne.tensor(v)), dt.cdf(T.tensor(v)))
        q = np.array([0.1, 0.5, 0.9, 0.3, 0.7])
        _eq(dn.icdf(ne.tensor(q)), dt.icdf(T.tensor(q)), rtol=1e-6)
    assert dn.has_rsample == has_rsample and repr(dn).split("(")[0] == name
    ne.manual_seed(0)
    T.manual_seed(0)
    s = dn.sample((20000,)).numpy()
    assert s.shape == (20000, 5) and np.all(s > 0) and dn.expand((3, 5)).sample((2,)).shape == (2, 3, 5)
    np.testing.assert_allclose(np.median(s, 0), np.median(dt.sample((20000,)).numpy(), 0), rtol=0.08)
    if has_rsample:
        leaves = [ne.tensor(p, requires_grad=True) for p in params]
        x = getattr(D, name)(*leaves).rsample((3,))
        x.sum().backward()
        assert np.all((x.detach().numpy() > 0) & (x.detach().numpy() < 1))
        assert all(np.isfinite(p.grad.numpy()).all() for p in leaves)


def test_kumaraswamy_mode_is_the_density_maximum():
    # torch 2.13's mode expression is NaN for every concentration0 > 1; nnengine returns the maximum of the density
    a, b = np.array([2.0, 3.0, 1.5]), np.array([2.0, 1.0, 4.0])
    d = D.Kumaraswamy(ne.tensor(a), ne.tensor(b))
    x = np.linspace(1e-4, 1 - 1e-4, 200001)
    dens = a[:, None] * b[:, None] * x ** (a[:, None] - 1) * (1 - x ** a[:, None]) ** (b[:, None] - 1)
    np.testing.assert_allclose(d.mode.numpy(), x[dens.argmax(1)], atol=1e-4)
    assert np.isnan(D.Kumaraswamy(0.5, 2.0).mode.item())


def test_one_hot_straight_through_and_power_transform():
    logits = np.array([[0.2, -1.0, 0.5], [1.0, 0.0, -0.3]])
    lt, ln = T.tensor(logits, requires_grad=True), ne.tensor(logits, requires_grad=True)
    w = np.array([1.0, 2.0, 3.0])
    ne.manual_seed(0)
    yn = D.OneHotCategoricalStraightThrough(logits=ln).rsample()
    yt = T.nn.functional.one_hot(T.tensor(yn.detach().numpy().argmax(-1)), 3).double()
    # torch's estimator on the same draw: sample + probs - probs.detach()
    pt = T.distributions.OneHotCategoricalStraightThrough(logits=lt).probs
    ((yt + pt - pt.detach()) * T.tensor(w)).sum().backward()
    (yn * ne.tensor(w)).sum().backward()
    np.testing.assert_array_equal(yn.detach().numpy(), yt.numpy())
    _eq(ln.grad, lt.grad)
    assert D.OneHotCategoricalStraightThrough(logits=ln).has_rsample
    from nnengine.distributions.transforms import PowerTransform
    e = np.array([2.0, -1.0, 0.5])
    tt, tn = T.distributions.transforms.PowerTransform(T.tensor(e)), PowerTransform(ne.tensor(e))
    x = np.array([1.5, 0.3, 4.0])
    y = tn(ne.tensor(x))
    _eq(y, tt(T.tensor(x)))
    _eq(tn.inv(y), tt.inv(tt(T.tensor(x))))
    _eq(tn.log_abs_det_jacobian(ne.tensor(x), y), tt.log_abs_det_jacobian(T.tensor(x), tt(T.tensor(x))))
    assert tn.sign.tolist() == [1.0, -1.0, 1.0] and tn == PowerTransform(ne.tensor(e)) and tn != PowerTransform(2.0)
    assert tn.with_cache(1)._cache_size == 1


@pytest.mark.parametrize("given", ["probs", "logits"])
def test_continuous_bernoulli_matches_torch(given):
    # probs on both sides of the unstable region around 1/2 (torch's Taylor branches), at it, and clamped ends
    par = (np.array([0.2, 0.4995, 0.5, 0.7, 0.999, 0.0, 1.0]) if given == "probs"
           else np.array([-2.0, 0.001, 0.0, 1.0, 5.0, -30.0, 30.0]))
    v = np.array([0.5, 0.3, 0.9, 0.0, 1.0, 0.2, 0.7])
    tp, npar = T.tensor(par, requires_grad=True), ne.tensor(par, requires_grad=True)
    dt = T.distributions.ContinuousBernoulli(**{given: tp})
    dn = D.ContinuousBernoulli(**{given: npar})
    lt, ln = dt.log_prob(T.tensor(v)), dn.log_prob(ne.tensor(v))
    _eq(ln, lt)
    lt.sum().backward()
    ln.sum().backward()
    np.testing.assert_allclose(npar.grad.numpy(), tp.grad.numpy(), rtol=1e-7, atol=1e-12)
    for attr in ("mean", "variance", "stddev"):
        _eq(getattr(dn, attr), getattr(dt, attr))
    _eq(dn.entropy(), dt.entropy())
    _eq(dn.cdf(ne.tensor(v)), dt.cdf(T.tensor(v)))
    _eq(dn.icdf(ne.tensor(v)), dt.icdf(T.tensor(v)))
    assert repr(dn) == f"ContinuousBernoulli({given}: (7,))"
    # rsample: the inverse cdf of a uniform draw, in [0, 1], differentiable; sample means follow the mean
    ne.manual_seed(0)
    leaf = ne.tensor(np.array([0.1, 0.3, 0.5, 0.8]), requires_grad=True)
    d = D.ContinuousBernoulli(probs=leaf)
    x = d.rsample((20000,))
    x.sum().backward()
    s = x.detach().numpy()
    assert s.shape == (20000, 4) and np.all((s >= 0) & (s <= 1)) and np.isfinite(leaf.grad.numpy()).all()
    np.testing.assert_array_less(np.abs(s.mean(0) - d.mean.detach().numpy()),
                                 6 * np.sqrt(d.variance.detach().numpy() / 20000))
    assert d.expand((2, 4)).sample((3,)).shape == (3, 2, 4)
    with pytest.raises(ValueError, match="probs"):
        D.ContinuousBernoulli(probs=ne.tensor([1.5]), validate_args=True)
    with pytest.raises(ValueError, match="support"):
        D.ContinuousBernoulli(probs=ne.tensor([0.3])).log_prob(ne.tensor([1.5]))


_A, _B = np.array([0.2, 0.7, 1.5]), np.array([1.0, 0.3, 2.0])
KL_PAIRS = {  # name -> (p's parameters, q's parameters, keyword or None)
    "ContinuousBernoulli": (np.array([0.2, 0.4995, 0.8]), np.array([0.6, 0.3, 0.5001]), "probs"),
    "Gumbel": ((_A, _B), (_B, _A), None),
    "Geometric": (np.array([0.2, 0.5, 0.9]), np.array([0.6, 0.3, 0.5]), "probs"),  # logits 0: the entropy kink
    "HalfNormal": ((_B,), (_A,), None),
    "Pareto": ((_A, _B), (_B, _A), None),  # inf where p's support starts below q's
    "Cauchy": ((_A, _B), (_B, _A), None),
    "InverseGamma": ((_A, _B), (_B, _A), None),  # TransformedDistribution: KL of the gamma bases
    "Chi2": ((_A,), (_B,), None),  # a Gamma: Gamma's formula
}


@pytest.mark.parametrize("name", sorted(KL_PAIRS))
def test_kl_divergence_matches_torch(name):
    pa, qa, kw = KL_PAIRS[name]

    leaves = {"torch": [], "ne": []}

    def build(mod, lib, args):
        ts = [lib.tensor(a, requires_grad=True) for a in ((args,) if kw else args)]
        leaves["torch" if lib is T else "ne"] += ts
        return getattr(mod, name)(**{kw: ts[0]}) if kw else getattr(mod, name)(*ts)

    kt = T.distributions.kl_divergence(build(T.distributions, T, pa), build(T.distributions, T, qa))
    kn = D.kl_divergence(build(D, ne, pa), build(D, ne, qa))
    _eq(kn, kt)
    finite = np.isfinite(kt.detach().numpy())  # gradients of the finite entries, to p's and q's parameters
    kt.backward(T.tensor(finite.astype(np.float64)))
    kn.backward(ne.tensor(finite.astype(np.float64)))
    for a, b in zip(leaves["torch"], leaves["ne"]):
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-6, atol=1e-12)


def test_low_rank_multivariate_normal_matches_torch():
    rng = np.random.default_rng(3)
    loc, W, d = rng.standard_normal((2, 4)), rng.standard_normal((4, 2)), rng.random(4) + 0.5
    tp = [T.tensor(a, requires_grad=True) for a in (loc, W, d)]
    npar = [ne.tensor(a, requires_grad=True) for a in (loc, W, d)]
    dt, dn = T.distributions.LowRankMultivariateNormal(*tp), D.LowRankMultivariateNormal(*npar)
    assert repr(dn) == repr(dt).replace("torch.Size([2, 4, 2])", "(2, 4, 2)").replace("torch.Size([2, 4])", "(2, 4)")
    v = rng.standard_normal((3, 2, 4))
    lt, ln = dt.log_prob(T.tensor(v)), dn.log_prob(ne.tensor(v))
    eq(ln, lt, 1e-10)
    (lt.sum() + dt.entropy().sum()).backward()
    (ln.sum() + dn.entropy().sum()).backward()
    for a, b in zip(npar, tp):
        eq(a.grad, b.grad, 1e-8)
    for attr in ("mean", "mode", "variance", "covariance_matrix", "precision_matrix", "scale_tril"):
        eq(getattr(dn, attr), getattr(dt, attr), 1e-8)
    assert dn.batch_shape == (2,) and dn.event_shape == (4,) and dn.expand((3, 2)).cov_factor.shape == (3, 2, 4, 2)
    s = dn.rsample((20000,))
    assert s.shape == (20000, 2, 4)
    np.testing.assert_allclose(np.cov(s.detach().numpy()[:, 0].T), dt.covariance_matrix[0].detach().numpy(), atol=0.15)
    s.sum().backward()  # reparameterized: gradients reach the factor and the diagonal
    assert np.all(np.isfinite(npar[1].grad.numpy())) and np.all(np.isfinite(npar[2].grad.numpy()))
    q_t = T.distributions.MultivariateNormal(tp[0], T.eye(4, dtype=T.float64))
    q_n = D.MultivariateNormal(npar[0], ne.eye(4, dtype=ne.float64))
    eq(D.kl_divergence(dn, q_n), T.distributions.kl_divergence(dt, q_t), 1e-8)
    with pytest.raises(ValueError, match="cov_diag"):
        D.LowRankMultivariateNormal(ne.zeros(2), ne.ones(2, 1), ne.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="cov_factor"):
        D.LowRankMultivariateNormal(ne.zeros(2), ne.ones(3, 1), ne.ones(2))


def test_generalized_pareto_matches_torch():
    # float32: torch 2.13's GeneralizedPareto.log_prob compares float64 parameters with a float32 zero (an error)
    f = np.float32
    params = [np.array([0.0, 1.0, -1.0, 0.5, 2.0], f), np.array([1.0, 0.5, 2.0, 3.0, 0.7], f),
              np.array([0.0, 0.3, -0.5, 1.2, -1.0], f)]
    v, q = np.array([0.5, 1.5, 0.0, 3.0, 2.3], f), np.array([0.01, 0.2, 0.5, 0.75, 0.99], f)
    tp = [T.tensor(a, requires_grad=True) for a in params]
    npar = [ne.tensor(a, requires_grad=True) for a in params]
    dt, dn = T.distributions.GeneralizedPareto(*tp), D.GeneralizedPareto(*npar)
    check_density_against_torch(T, dt, dn, tp, npar, v, rtol=1e-5, grad_rtol=1e-5, atol=1e-6)
    for fn in ("cdf", "log_cdf", "log_survival_function"):
        eq(getattr(dn, fn)(ne.tensor(v)), getattr(dt, fn)(T.tensor(v)), 1e-5, 1e-7)
    eq(dn.icdf(ne.tensor(q)), dt.icdf(T.tensor(q)), 1e-5)
    s = dn.rsample((4000,))
    assert s.shape == (4000, 5) and s.dtype == np.float32
    lo = params[0]
    hi = np.where(params[2] < 0, lo - params[1] / np.where(params[2] < 0, params[2], -1), np.inf)
    assert np.all(s.detach().numpy() >= lo) and np.all(s.detach().numpy() <= hi + 1e-5)
    s.sum().backward()
    assert all(np.all(np.isfinite(p.grad.numpy())) for p in npar)
    assert repr(dn) == "GeneralizedPareto(loc: (5,), scale: (5,), concentration: (5,))"
    assert dn.expand((3, 5)).batch_shape == (3, 5)
    with pytest.raises(ValueError, match="support of GeneralizedPareto"):
        dn.log_prob(ne.tensor([-5.0] * 5))
    with pytest.raises(ValueError, match="scale"):
        D.GeneralizedPareto(0.0, -1.0, 0.1)


def test_von_mises_matches_torch():
    loc, k = np.array([0.0, 1.0, -2.0, 3.0, 0.5]), np.array([0.5, 2.0, 5.0, 10.0, 3.75])
    v = np.array([0.3, -1.0, 2.0, 3.1, 0.5])
    tp = [T.tensor(a, requires_grad=True) for a in (loc, k)]
    npar = [ne.tensor(a, requires_grad=True) for a in (loc, k)]
    dt, dn = T.distributions.VonMises(*tp), D.VonMises(*npar)
    lt, ln = dt.log_prob(T.tensor(v)), dn.log_prob(ne.tensor(v))
    eq(ln, lt, 1e-10)
    lt.sum().backward()
    ln.sum().backward()
    for a, b in zip(npar, tp):
        eq(a.grad, b.grad, 1e-9)
    for attr in ("mean", "mode", "variance"):
        eq(getattr(dn, attr), getattr(dt, attr), 1e-10)
    assert repr(dn) == "VonMises(loc: (5,), concentration: (5,))" and not dn.has_rsample
    s = dn.sample((20000,)).numpy()
    assert s.shape == (20000, 5) and s.dtype == np.float64 and s.min() > -np.pi and s.max() <= np.pi
    resultant = np.exp(1j * s).mean(0)  # circular mean and variance of the draws
    np.testing.assert_allclose(np.angle(resultant), np.angle(np.exp(1j * loc)), atol=0.05)
    np.testing.assert_allclose(1 - np.abs(resultant), dn.variance.detach().numpy(), atol=0.02)
    assert D.VonMises(0.0, 1e-7).sample((3,)).shape == (3,)  # tiny concentrations: the Taylor proposal, no hang
    with pytest.raises(ValueError, match="did not converge"):
        D.VonMises(0.0, float("nan"), validate_args=False).sample((3,))
    with pytest.raises(ValueError, match="concentration"):
        D.VonMises(0.0, -1.0)
    with pytest.raises(NotImplementedError):
        dn.rsample()
