"""nnengine.distributions' wider family vs torch.distributions 2.13 (float64): Uniform, Laplace, Exponential,
Gamma, Beta, Dirichlet, Poisson, LogNormal, MultivariateNormal, OneHotCategorical, Independent,
TransformedDistribution with distributions.transforms, Normal.icdf/expand, and kl_divergence for the pairs
torch registers: values, shapes (batch/event/sample/expand), gradients of log_prob/entropy/mean/variance and
of rsample (checked against torch's implicit-reparameterization gradient at our own draws), sampling
moments, argument validation and reprs."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
from nnengine.distributions import (
    Bernoulli,
    Beta,
    Categorical,
    Dirichlet,
    Exponential,
    Gamma,
    Independent,
    Laplace,
    LogNormal,
    MultivariateNormal,
    Normal,
    OneHotCategorical,
    Poisson,
    TransformedDistribution,
    Uniform,
    kl_divergence,
)
from nnengine.distributions import transforms as T

RNG = np.random.default_rng(0)


def _close(a, b, tol=1e-10):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=tol, atol=tol)


def _params(torch, *arrs):
    """(nnengine float64 leaves, torch float64 leaves) for each array."""
    ours = [ne.tensor(a, dtype=ne.float64, requires_grad=True) for a in arrs]
    ref = [torch.tensor(a, requires_grad=True) for a in arrs]
    return ours, ref


def _pos(*shape):
    return RNG.random(shape) + 0.5


def _real(*shape):
    return RNG.standard_normal(shape)


# name -> (parameter arrays, nnengine ctor, torch ctor name, values to score (batch (2, 3)))
UNIVARIATE = {
    "Uniform": (lambda: [np.full((2, 3), -0.5) - RNG.random((2, 3)), 1.0 + RNG.random((2, 3))], Uniform, lambda: RNG.random((4, 2, 3)) * 0.5),
    "Laplace": (lambda: [_real(2, 3), _pos(2, 3)], Laplace, lambda: _real(4, 2, 3)),
    "Exponential": (lambda: [_pos(2, 3)], Exponential, lambda: _pos(4, 2, 3)),
    "Gamma": (lambda: [_pos(2, 3) * 2, _pos(2, 3)], Gamma, lambda: _pos(4, 2, 3)),
    "Beta": (lambda: [_pos(2, 3) * 2, _pos(2, 3)], Beta, lambda: RNG.random((4, 2, 3)) * 0.9 + 0.05),
    "Poisson": (lambda: [_pos(2, 3) * 3], Poisson, lambda: RNG.integers(0, 6, (4, 2, 3)).astype(np.float64)),
    "LogNormal": (lambda: [_real(2, 3), _pos(2, 3)], LogNormal, lambda: _pos(4, 2, 3)),
    "Normal": (lambda: [_real(2, 3), _pos(2, 3)], Normal, lambda: _real(4, 2, 3)),
}
HAS_ENTROPY = {"Uniform", "Laplace", "Exponential", "Gamma", "Beta", "LogNormal", "Normal"}
HAS_CDF = {"Uniform", "Laplace", "Exponential", "LogNormal", "Normal"}
HAS_ICDF = {"Uniform", "Laplace", "Exponential", "Normal"}
RSAMPLE = {"Uniform", "Laplace", "Exponential", "LogNormal", "Normal"}


@pytest.mark.parametrize("name", sorted(UNIVARIATE))
def test_univariate_vs_torch(torch, name):
    make, cls, values = UNIVARIATE[name]
    arrs = make()
    ours, ref = _params(torch, *arrs)
    d, dt = cls(*ours), getattr(torch.distributions, name)(*ref)
    assert d.batch_shape == tuple(dt.batch_shape) == (2, 3) and d.event_shape == tuple(dt.event_shape) == ()
    val = values()
    v, vt = ne.tensor(val, dtype=ne.float64), torch.tensor(val)
    out, want = d.log_prob(v), dt.log_prob(vt)
    _close(out.numpy(), want.detach().numpy())
    out, want = out.sum() + d.mean.sum() + d.variance.sum(), want.sum() + dt.mean.sum() + dt.variance.sum()
    _close(d.stddev.numpy(), dt.stddev.detach().numpy())
    if name in HAS_ENTROPY:
        _close(d.entropy().numpy(), dt.entropy().detach().numpy())
        out, want = out + d.entropy().sum(), want + dt.entropy().sum()
    if name in HAS_CDF:
        _close(d.cdf(v).numpy(), dt.cdf(vt).detach().numpy())
        out, want = out + d.cdf(v).sum(), want + dt.cdf(vt).sum()
    if name in HAS_ICDF:
        q = RNG.random((4, 2, 3)) * 0.9 + 0.05
        _close(d.icdf(ne.tensor(q, dtype=ne.float64)).numpy(), dt.icdf(torch.tensor(q)).detach().numpy())
        out, want = out + d.icdf(ne.tensor(q, dtype=ne.float64)).sum(), want + dt.icdf(torch.tensor(q)).sum()
    out.backward()
    want.backward()
    _close(out.item(), want.item())
    for a, b in zip(ours, ref):
        _close(a.grad, b.grad.numpy(), 1e-8)
    # shapes: sample_shape, expand (the expanded distribution scores like torch's expanded one)
    assert d.sample((5, 1)).shape == (5, 1, 2, 3) and d.sample().shape == (2, 3)
    e, et = d.expand((4, 2, 3)), dt.expand((4, 2, 3))
    assert e.batch_shape == (4, 2, 3) and e.sample((2,)).shape == (2, 4, 2, 3)
    _close(e.log_prob(v).numpy(), et.log_prob(vt).detach().numpy())
    assert d.has_rsample == (name in RSAMPLE)
    assert isinstance(d.sample(), ne.Tensor) and not d.sample().requires_grad


@pytest.mark.parametrize("name", sorted(RSAMPLE))
def test_rsample_gradient_is_torchs_reparameterization(torch, name):
    """dx/dtheta of our draw x equals -dF(x; theta)/dtheta / p(x; theta), torch's cdf and density at x: the
    gradient torch's own rsample gives for the same point."""
    make, cls, _ = UNIVARIATE[name]
    ours, ref = _params(torch, *make())
    ne.manual_seed(7)
    x = cls(*ours).rsample((3,))
    x.sum().backward()
    dt = getattr(torch.distributions, name)(*ref)
    xt = torch.tensor(x.detach().numpy())
    F, p = dt.cdf(xt), dt.log_prob(xt).exp().detach()
    grads = torch.autograd.grad(F, ref, grad_outputs=-1.0 / p)
    for a, g in zip(ours, grads):
        _close(a.grad, g.numpy(), 1e-8)


@pytest.mark.parametrize("name", ["Gamma", "Beta"])
def test_no_implicit_reparameterization(name):
    d = {"Gamma": Gamma(1.0, 1.0), "Beta": Beta(1.0, 1.0)}[name]
    with pytest.raises(NotImplementedError, match="no reparameterized sampler"):
        d.rsample()
    with pytest.raises(NotImplementedError):
        Dirichlet(ne.ones(3)).rsample()


def test_sampling_moments_and_seed():
    ne.manual_seed(11)
    n = 40000
    cases = [
        (Uniform(ne.tensor([-1.0, 2.0]), ne.tensor([1.0, 5.0])), 0.05),
        (Laplace(ne.tensor([1.0, -1.0]), ne.tensor([0.5, 2.0])), 0.05),
        (Exponential(ne.tensor([0.5, 3.0])), 0.05),
        (Gamma(ne.tensor([0.5, 4.0]), ne.tensor([1.0, 2.0])), 0.05),
        (Beta(ne.tensor([0.5, 4.0]), ne.tensor([2.0, 1.0])), 0.05),
        (Poisson(ne.tensor([0.5, 7.0])), 0.05),
        (LogNormal(ne.tensor([0.0, 0.5]), ne.tensor([0.25, 0.5])), 0.05),
    ]
    for d, tol in cases:
        s = d.sample((n,)).numpy()
        assert s.shape == (n, 2) and s.dtype == np.float32
        np.testing.assert_allclose(s.mean(0), d.mean.numpy(), rtol=tol, atol=tol, err_msg=repr(d))
        np.testing.assert_allclose(s.var(0), d.variance.numpy(), rtol=4 * tol, atol=tol, err_msg=repr(d))
    p = Poisson(ne.tensor([2.0])).sample((100,)).numpy()
    assert np.all(p == np.floor(p)) and np.all(p >= 0)
    dr = Dirichlet(ne.tensor([[1.0, 2.0, 3.0], [0.2, 0.2, 5.0]]))
    s = dr.sample((n,)).numpy()
    assert s.shape == (n, 2, 3)
    np.testing.assert_allclose(s.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(s.mean(0), dr.mean.numpy(), atol=0.01)
    np.testing.assert_allclose(s.var(0), dr.variance.numpy(), atol=0.01)
    mvn = MultivariateNormal(ne.tensor([1.0, -1.0]), ne.tensor([[2.0, 0.6], [0.6, 1.0]]))
    s = mvn.sample((n,)).numpy()
    np.testing.assert_allclose(np.cov(s.T), [[2.0, 0.6], [0.6, 1.0]], atol=0.06)
    np.testing.assert_allclose(s.mean(0), [1.0, -1.0], atol=0.03)
    ne.manual_seed(3)
    a = Gamma(2.0, 1.0).sample((5,)).numpy()
    ne.manual_seed(3)
    assert np.array_equal(Gamma(2.0, 1.0).sample((5,)).numpy(), a)


def _spd(rng, *batch, n=3):
    a = rng.standard_normal((*batch, n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


@pytest.mark.parametrize("param", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_multivariate_normal_vs_torch(torch, param):
    rng = np.random.default_rng(5)
    m = _spd(rng, 2)
    if param == "scale_tril":
        m = np.linalg.cholesky(m)
    (loc, mat), (loct, matt) = _params(torch, rng.standard_normal((4, 1, 3)), m)
    d = MultivariateNormal(loc, **{param: mat})
    dt = torch.distributions.MultivariateNormal(loct, **{param: matt})
    assert d.batch_shape == tuple(dt.batch_shape) == (4, 2) and d.event_shape == (3,)
    val = rng.standard_normal((5, 4, 2, 3))
    v, vt = ne.tensor(val, dtype=ne.float64), torch.tensor(val)
    _close(d.log_prob(v).numpy(), dt.log_prob(vt).detach().numpy())
    _close(d.entropy().numpy(), dt.entropy().detach().numpy())
    for attr in ("mean", "variance", "scale_tril", "covariance_matrix", "precision_matrix"):
        _close(getattr(d, attr).numpy(), getattr(dt, attr).detach().numpy(), 1e-9)
    q, qt = (MultivariateNormal(ne.tensor(rng.standard_normal(3), dtype=ne.float64),
                                ne.tensor(_spd(rng), dtype=ne.float64)), None)
    qt = torch.distributions.MultivariateNormal(torch.tensor(q.loc.numpy()), torch.tensor(q.covariance_matrix.numpy()))
    out = (d.log_prob(v).sum() + d.entropy().sum() + d.variance.sum() + kl_divergence(d, q).sum()
           + kl_divergence(q, d).sum())
    ref = (dt.log_prob(vt).sum() + dt.entropy().sum() + dt.variance.sum()
           + torch.distributions.kl_divergence(dt, qt).sum() + torch.distributions.kl_divergence(qt, dt).sum())
    out.backward()
    ref.backward()
    _close(out.item(), ref.item(), 1e-9)
    _close(loc.grad, loct.grad.numpy(), 1e-9)
    g = mat.grad.numpy()
    gt = matt.grad.numpy()
    if param != "scale_tril":  # torch's gradient wrt a symmetric input is not symmetrised; compare the symmetric parts
        g, gt = g + np.swapaxes(g, -1, -2), gt + np.swapaxes(gt, -1, -2)
    _close(g, gt, 1e-8)
    assert d.rsample((6,)).shape == (6, 4, 2, 3) and d.expand((3, 4, 2)).sample().shape == (3, 4, 2, 3)
    _close(d.expand((3, 4, 2)).log_prob(v[0]).numpy(), dt.expand((3, 4, 2)).log_prob(vt[0]).detach().numpy())


def test_multivariate_normal_rsample_gradient(torch):
    rng = np.random.default_rng(6)
    (loc, L), (loct, Lt) = _params(torch, rng.standard_normal((2, 3)), np.linalg.cholesky(_spd(rng)))
    ne.manual_seed(1)
    x = MultivariateNormal(loc, scale_tril=L).rsample((4,))
    (x ** 2).sum().backward()
    eps = np.linalg.solve(L.numpy(), (x.detach().numpy() - loc.numpy())[..., None])[..., 0]  # x = loc + L eps
    xt = loct + (Lt @ torch.tensor(eps)[..., None])[..., 0]
    (xt ** 2).sum().backward()
    _close(loc.grad, loct.grad.numpy())
    _close(L.grad, Lt.grad.numpy())


def test_independent_vs_torch(torch):
    (loc, scale), (loct, scalet) = _params(torch, _real(4, 2, 3), _pos(4, 2, 3))
    d = Independent(Normal(loc, scale), 2)
    dt = torch.distributions.Independent(torch.distributions.Normal(loct, scalet), 2)
    assert d.batch_shape == (4,) and d.event_shape == (2, 3) and d.has_rsample
    val = _real(5, 4, 2, 3)
    q = Independent(Normal(ne.zeros(4, 2, 3, dtype=ne.float64), 2.0), 2)
    qt = torch.distributions.Independent(torch.distributions.Normal(torch.zeros(4, 2, 3, dtype=torch.float64), 2.0), 2)
    out = d.log_prob(ne.tensor(val, dtype=ne.float64)).sum() + d.entropy().sum() + kl_divergence(d, q).sum()
    ref = dt.log_prob(torch.tensor(val)).sum() + dt.entropy().sum() + torch.distributions.kl_divergence(dt, qt).sum()
    assert d.log_prob(ne.tensor(val, dtype=ne.float64)).shape == (5, 4) and kl_divergence(d, q).shape == (4,)
    out.backward()
    ref.backward()
    _close(out.item(), ref.item())
    _close(scale.grad, scalet.grad.numpy())
    assert d.rsample((2,)).shape == (2, 4, 2, 3) and d.expand((3, 4)).batch_shape == (3, 4)
    assert d.expand((3, 4)).log_prob(ne.tensor(val, dtype=ne.float64)[0]).shape == (3, 4)
    _close(d.mean.numpy(), dt.mean.detach().numpy())
    _close(d.variance.numpy(), dt.variance.detach().numpy())
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims"):
        Independent(Normal(ne.zeros(3), 1.0), 2)
    with pytest.raises(NotImplementedError):
        kl_divergence(d, Independent(Normal(ne.zeros(4, 2, 3), 1.0), 1))


def test_transformed_tanh_policy_vs_torch(torch):
    """SAC's squashed Gaussian: Normal -> tanh -> affine (action bounds)."""
    (mu, std), (mut, stdt) = _params(torch, _real(5, 2), _pos(5, 2))

    def build(D, tr, m, s):
        return D.TransformedDistribution(D.Normal(m, s), [tr.TanhTransform(cache_size=1), tr.AffineTransform(1.0, 2.0)])

    import nnengine.distributions as ND

    d, dt = build(ND, T, mu, std), build(torch.distributions, torch.distributions.transforms, mut, stdt)
    assert d.batch_shape == (5, 2) and d.event_shape == () and d.has_rsample
    y = np.tanh(_real(3, 5, 2)) * 2 + 1
    out = d.log_prob(ne.tensor(y, dtype=ne.float64))
    ref = dt.log_prob(torch.tensor(y))
    _close(out.numpy(), ref.detach().numpy())
    out.sum().backward()
    ref.sum().backward()
    _close(mu.grad, mut.grad.numpy())
    _close(std.grad, stdt.grad.numpy())
    # log_prob(rsample()) goes through the tanh cache: exactly base log_prob - log|J| at the base draw
    ne.manual_seed(2)
    base = Normal(mu, std)
    a = d.rsample()
    ne.manual_seed(2)
    x = base.rsample()
    lp = base.log_prob(x) - 2.0 * (np.log(2.0) - x - ne.nn.functional.softplus(-2.0 * x)) - np.log(2.0)
    _close(d.log_prob(a).detach().numpy(), lp.detach().numpy(), 1e-12)
    assert np.all(np.abs(a.detach().numpy() - 1) <= 2)
    assert d.sample((4,)).shape == (4, 5, 2)
    with pytest.raises(ValueError, match="support"):  # tanh last: values outside [-1, 1] are rejected, as torch
        TransformedDistribution(Normal(mu, std), T.TanhTransform()).log_prob(ne.tensor(np.full((5, 2), 1.5)))


def test_transforms_vs_torch(torch):
    D = torch.distributions.transforms
    x = _real(3, 4)
    xt = torch.tensor(x, requires_grad=True)
    xn = ne.tensor(x, dtype=ne.float64, requires_grad=True)
    loc, scale = _real(4), _real(4)
    pairs = [
        (T.ExpTransform(), D.ExpTransform()),
        (T.SigmoidTransform(), D.SigmoidTransform()),
        (T.TanhTransform(), D.TanhTransform()),
        (T.SoftplusTransform(), D.SoftplusTransform()),
        (T.AffineTransform(ne.tensor(loc, dtype=ne.float64), ne.tensor(scale, dtype=ne.float64)),
         D.AffineTransform(torch.tensor(loc), torch.tensor(scale))),
        (T.AffineTransform(0.5, -3.0, event_dim=1), D.AffineTransform(0.5, -3.0, event_dim=1)),
        (T.ComposeTransform([T.AffineTransform(0.5, 0.25), T.TanhTransform(), T.ExpTransform()]),
         D.ComposeTransform([D.AffineTransform(0.5, 0.25), D.TanhTransform(), D.ExpTransform()])),
    ]
    total, total_t = 0.0, 0.0
    for ours, ref in pairs:
        y, yt = ours(xn), ref(xt)
        _close(y.detach().numpy(), yt.detach().numpy())
        _close(ours.inv(y).detach().numpy(), ref.inv(yt).detach().numpy(), 1e-8)
        j, jt = ours.log_abs_det_jacobian(xn, y), ref.log_abs_det_jacobian(xt, yt)
        assert j.shape == tuple(jt.shape), ours
        _close(j.detach().numpy(), jt.detach().numpy())
        _close(ours.inv.log_abs_det_jacobian(y, xn).detach().numpy(), ref.inv.log_abs_det_jacobian(yt, xt).detach().numpy())
        total, total_t = total + j.sum() + y.sum(), total_t + jt.sum() + yt.sum()
        assert ours.inv.inv is ours and ours.bijective
        assert (ours.sign if isinstance(ours.sign, int) else ours.sign.numpy().tolist()) == (
            ref.sign if isinstance(ref.sign, int) else ref.sign.numpy().tolist())
        assert repr(ours) == repr(ref)
    total.backward()
    total_t.backward()
    _close(xn.grad, xt.grad.numpy())
    assert T.ExpTransform() == T.ExpTransform() and T.AffineTransform(1.0, 2.0) == T.AffineTransform(1.0, 2.0)
    assert T.ExpTransform() != T.TanhTransform()
    assert T.AffineTransform(ne.zeros(3), 1.0).forward_shape((2, 1)) == (2, 3)
    with pytest.raises(ValueError, match="cache_size"):
        T.TanhTransform(cache_size=2)


def test_transformed_distribution_shapes_cdf_and_lognormal(torch):
    (loc, scale), (loct, scalet) = _params(torch, _real(3), _pos(3))
    d = TransformedDistribution(Normal(loc, scale), [T.ExpTransform()])
    ln = LogNormal(loc, scale)
    dt = torch.distributions.TransformedDistribution(torch.distributions.Normal(loct, scalet),
                                                     [torch.distributions.transforms.ExpTransform()])
    v = _pos(4, 3)
    for ours in (d, ln):
        _close(ours.log_prob(ne.tensor(v, dtype=ne.float64)).numpy(), dt.log_prob(torch.tensor(v)).detach().numpy())
        _close(ours.cdf(ne.tensor(v, dtype=ne.float64)).numpy(), dt.cdf(torch.tensor(v)).detach().numpy())
        q = RNG.random((4, 3))
        _close(ours.icdf(ne.tensor(q, dtype=ne.float64)).numpy(), dt.icdf(torch.tensor(q)).detach().numpy())
    dec = TransformedDistribution(Normal(loc, scale), [T.AffineTransform(0.0, -2.0)])
    dect = torch.distributions.TransformedDistribution(torch.distributions.Normal(loct, scalet),
                                                       [torch.distributions.transforms.AffineTransform(0.0, -2.0)])
    _close(dec.cdf(ne.tensor(v, dtype=ne.float64)).numpy(), dect.cdf(torch.tensor(v)).detach().numpy())
    # an event_dim=1 transform turns the base's batch dim into an event dim (via Independent), as torch
    ev = TransformedDistribution(Normal(loc, scale), T.AffineTransform(1.0, 2.0, event_dim=1))
    evt = torch.distributions.TransformedDistribution(torch.distributions.Normal(loct, scalet),
                                                      torch.distributions.transforms.AffineTransform(1.0, 2.0, event_dim=1))
    assert ev.batch_shape == tuple(evt.batch_shape) == () and ev.event_shape == tuple(evt.event_shape) == (3,)
    _close(ev.log_prob(ne.tensor(v, dtype=ne.float64)).numpy(), evt.log_prob(torch.tensor(v)).detach().numpy())
    # a broadcasting transform expands the base
    br = TransformedDistribution(Normal(0.0, 1.0), T.AffineTransform(ne.zeros(2, 3), 1.0))
    assert br.batch_shape == (2, 3) and br.sample().shape == (2, 3)
    e = ln.expand((2, 3))
    assert e.batch_shape == (2, 3) and e.sample((4,)).shape == (4, 2, 3) and isinstance(e, LogNormal)
    kl = kl_divergence(ln, LogNormal(0.0, 1.0))
    _close(kl.numpy(), torch.distributions.kl_divergence(
        torch.distributions.LogNormal(loct, scalet), torch.distributions.LogNormal(0.0, 1.0)).detach().numpy())
    with pytest.raises(ValueError, match="transforms"):
        TransformedDistribution(Normal(0.0, 1.0), "exp")


def test_dirichlet_and_one_hot_vs_torch(torch):
    (c,), (ct,) = _params(torch, _pos(2, 4) * 2)
    d, dt = Dirichlet(c), torch.distributions.Dirichlet(ct)
    assert d.batch_shape == (2,) and d.event_shape == (4,)
    v = RNG.dirichlet(np.ones(4), (3, 2))
    q = _pos(2, 4)
    out = (d.log_prob(ne.tensor(v, dtype=ne.float64)).sum() + d.entropy().sum() + d.mean.sum() + d.variance.sum()
           + kl_divergence(d, Dirichlet(ne.tensor(q, dtype=ne.float64))).sum())
    ref = (dt.log_prob(torch.tensor(v)).sum() + dt.entropy().sum() + dt.mean.sum() + dt.variance.sum()
           + torch.distributions.kl_divergence(dt, torch.distributions.Dirichlet(torch.tensor(q))).sum())
    out.backward()
    ref.backward()
    _close(out.item(), ref.item())
    _close(c.grad, ct.grad.numpy(), 1e-8)
    assert d.sample((5,)).shape == (5, 2, 4) and d.expand((3, 2)).sample().shape == (3, 2, 4)
    (lg,), (lgt,) = _params(torch, _real(2, 4))
    o, ot = OneHotCategorical(logits=lg), torch.distributions.OneHotCategorical(logits=lgt)
    assert o.batch_shape == (2,) and o.event_shape == (4,) and o.param_shape == (2, 4)
    x = np.eye(4)[RNG.integers(0, 4, (3, 2))]
    p2 = RNG.random((2, 4))
    out = (o.log_prob(ne.tensor(x, dtype=ne.float64)).sum() + o.entropy().sum() + o.variance.sum()
           + kl_divergence(o, OneHotCategorical(probs=ne.tensor(p2, dtype=ne.float64))).sum())
    ref = (ot.log_prob(torch.tensor(x)).sum() + ot.entropy().sum() + ot.variance.sum()
           + torch.distributions.kl_divergence(ot, torch.distributions.OneHotCategorical(probs=torch.tensor(p2))).sum())
    out.backward()
    ref.backward()
    _close(out.item(), ref.item())
    _close(lg.grad, lgt.grad.numpy())
    s = o.sample((6,))
    assert s.shape == (6, 2, 4) and s.dtype == np.float64 and np.all(s.numpy().sum(-1) == 1)
    assert o.enumerate_support().shape == tuple(ot.enumerate_support().shape) == (4, 2, 4)
    assert o.enumerate_support(expand=False).shape == (4, 1, 4)
    assert o.log_prob(ne.tensor(x.astype(np.int64))).shape == (3, 2)  # integer one-hots score too
    assert o.expand((3, 2)).sample().shape == (3, 2, 4)
    with pytest.raises(ValueError, match="one-hot"):
        o.log_prob(ne.tensor([[1.0, 1.0, 0.0, 0.0]] * 2))


@pytest.mark.parametrize("name", ["Uniform", "Exponential", "Laplace", "Gamma", "Beta", "Poisson", "Bernoulli"])
def test_kl_pairs_vs_torch(torch, name):
    rng = np.random.default_rng(9)
    if name == "Uniform":
        pa = [rng.random(4) - 1.0, rng.random(4) + 1.0]
        qa = [pa[0] - rng.random(4), pa[1] + rng.random(4)]
        qa[0][0] = pa[0][0] + 0.1  # q's support misses part of p's: inf
    elif name == "Bernoulli":
        pa, qa = [rng.random(4)], [rng.random(4)]
    else:
        n = {"Exponential": 1, "Poisson": 1}.get(name, 2)
        pa = [rng.random(4) + 0.5 for _ in range(n)]
        qa = [rng.random(4) + 0.5 for _ in range(n)]
    cls = {"Uniform": Uniform, "Exponential": Exponential, "Laplace": Laplace, "Gamma": Gamma, "Beta": Beta,
           "Poisson": Poisson, "Bernoulli": Bernoulli}[name]
    (p_ours, p_ref), (q_ours, q_ref) = _params(torch, *pa), _params(torch, *qa)
    tcls = getattr(torch.distributions, name)
    out = kl_divergence(cls(*p_ours), cls(*q_ours))
    ref = torch.distributions.kl_divergence(tcls(*p_ref), tcls(*q_ref))
    _close(out.detach().numpy(), ref.detach().numpy())
    fin = np.isfinite(ref.detach().numpy())
    ne.where(ne.tensor(fin), out, 0.0).sum().backward()
    ref[torch.tensor(fin)].sum().backward()
    for a, b in zip(p_ours + q_ours, p_ref + q_ref):
        _close(np.where(np.isfinite(a.grad), a.grad, 0), np.nan_to_num(b.grad.numpy()), 1e-9)


def test_kl_bernoulli_edges(torch):
    p = np.array([0.0, 1.0, 0.3, 0.3])
    q = np.array([0.5, 0.5, 0.0, 1.0])
    out = kl_divergence(Bernoulli(probs=ne.tensor(p, dtype=ne.float64)), Bernoulli(probs=ne.tensor(q, dtype=ne.float64)))
    ref = torch.distributions.kl_divergence(torch.distributions.Bernoulli(probs=torch.tensor(p)),
                                            torch.distributions.Bernoulli(probs=torch.tensor(q)))
    _close(out.numpy(), ref.numpy())


def test_normal_icdf_cdf_expand(torch):
    (loc, scale), (loct, scalet) = _params(torch, _real(3), _pos(3))
    q = RNG.random((2, 3))
    out = Normal(loc, scale).icdf(ne.tensor(q, dtype=ne.float64))
    ref = torch.distributions.Normal(loct, scalet).icdf(torch.tensor(q))
    _close(out.detach().numpy(), ref.detach().numpy())
    out.sum().backward()
    ref.sum().backward()
    _close(scale.grad, scalet.grad.numpy())
    e = Normal(loc, scale).expand((2, 3))
    assert e.batch_shape == (2, 3) and e.loc.shape == (2, 3) and e.rsample().shape == (2, 3)
    c = Categorical(logits=ne.zeros(3)).expand((4,))
    assert c.batch_shape == (4,) and c.sample((2,)).shape == (2, 4) and c.param_shape == (4, 3)


def test_parameter_validation():
    bad = [
        (lambda: Uniform(1.0, 0.0), "low: expected low < high"),
        (lambda: Laplace(0.0, -1.0), "scale: expected every value > 0"),
        (lambda: Exponential(ne.tensor([1.0, 0.0])), "rate: expected every value > 0"),
        (lambda: Gamma(0.0, 1.0), "concentration: expected every value > 0"),
        (lambda: Gamma(1.0, -2.0), "rate: expected every value > 0"),
        (lambda: Beta(-1.0, 1.0), "concentration1: expected every value > 0"),
        (lambda: Dirichlet(ne.tensor([1.0, -1.0])), "concentration: expected every value > 0"),
        (lambda: Dirichlet(ne.tensor(1.0)), "concentration: expected at least one dimension"),
        (lambda: Poisson(-1.0), "rate: expected every value >= 0"),
        (lambda: LogNormal(0.0, 0.0), "scale: expected every value > 0"),
        (lambda: MultivariateNormal(ne.zeros(2), ne.tensor([[1.0, 2.0], [2.0, 1.0]])), "positive-definite"),
        (lambda: MultivariateNormal(ne.zeros(2), ne.tensor([[1.0, 0.5], [0.0, 1.0]])), "asymmetric"),
        (lambda: MultivariateNormal(ne.zeros(2), scale_tril=ne.tensor([[1.0, 1.0], [0.0, 1.0]])), "lower-triangular"),
        (lambda: MultivariateNormal(ne.zeros(2), scale_tril=ne.tensor([[-1.0, 0.0], [0.0, 1.0]])), "positive diagonal"),
        (lambda: MultivariateNormal(ne.zeros(2)), "exactly one of"),
        (lambda: MultivariateNormal(ne.zeros(2), ne.eye(2), scale_tril=ne.eye(2)), "exactly one of"),
        (lambda: MultivariateNormal(ne.tensor(0.0), ne.eye(2)), "loc: expected at least one dimension"),
        (lambda: MultivariateNormal(ne.zeros(3), ne.eye(2)), "expected 3x3"),
        (lambda: OneHotCategorical(probs=ne.tensor([0.5, -0.1])), "probs: expected non-negative"),
        (lambda: Exponential(1.0).log_prob(ne.tensor(-1.0)), "value: expected values >= 0"),
        (lambda: Poisson(1.0).log_prob(ne.tensor(0.5)), "non-negative integer"),
        (lambda: Beta(1.0, 1.0).log_prob(ne.tensor(1.5)), r"values in \[0, 1\]"),
        (lambda: Dirichlet(ne.ones(3)).log_prob(ne.tensor([0.5, 0.6, 0.1])), "simplex"),
        (lambda: Uniform(0.0, 1.0).log_prob(ne.tensor(2.0)), "low, high"),
        (lambda: MultivariateNormal(ne.zeros(2), ne.eye(2)).log_prob(ne.zeros(3)), "last dim of size 2"),
    ]
    for fn, msg in bad:
        with pytest.raises(ValueError, match=msg):
            fn()
    with pytest.raises(TypeError, match="rate: expected a Tensor or a number, got str"):
        Exponential("1")
    # validate_args=False skips the checks, as torch
    assert Exponential(ne.tensor([-1.0]), validate_args=False).batch_shape == (1,)
    assert np.isneginf(Uniform(0.0, 1.0, validate_args=False).log_prob(ne.tensor(2.0)).item())
    assert Exponential(1.0, validate_args=False).log_prob(ne.tensor(-1.0)).item() == 1.0  # torch's formula, unchecked


def test_reprs_match_torch(torch):
    D = torch.distributions
    pairs = [
        (Normal(0.0, 1.0), D.Normal(0.0, 1.0)),
        (Normal(ne.zeros(3), 1.0), D.Normal(torch.zeros(3), 1.0)),
        (Categorical(logits=ne.zeros(3)), D.Categorical(logits=torch.zeros(3))),
        (Bernoulli(probs=ne.tensor(0.3)), D.Bernoulli(probs=torch.tensor(0.3))),
        (Uniform(0.0, 2.0), D.Uniform(0.0, 2.0)),
        (Laplace(0.0, 1.0), D.Laplace(0.0, 1.0)),
        (Exponential(2.0), D.Exponential(2.0)),
        (Gamma(1.0, 2.0), D.Gamma(1.0, 2.0)),
        (Poisson(2.0), D.Poisson(2.0)),
        (Beta(1.0, 2.0), D.Beta(1.0, 2.0)),
        (LogNormal(0.0, 1.0), D.LogNormal(0.0, 1.0)),
        (Dirichlet(ne.ones(3)), D.Dirichlet(torch.ones(3))),
        (OneHotCategorical(probs=ne.tensor([0.2, 0.8])), D.OneHotCategorical(probs=torch.tensor([0.2, 0.8]))),
        (MultivariateNormal(ne.zeros(2), ne.eye(2)), D.MultivariateNormal(torch.zeros(2), torch.eye(2))),
        (Independent(Normal(ne.zeros(3), 1.0), 1), D.Independent(D.Normal(torch.zeros(3), 1.0), 1)),
    ]
    for ours, ref in pairs:
        want = repr(ref)
        for n in range(1, 4):  # torch prints torch.Size([3]); nnengine shapes print as tuples
            want = want.replace("torch.Size([2, 2])", "(2, 2)").replace(f"torch.Size([{n}])", f"({n},)")
        assert repr(ours) == want


def test_scalar_samples_and_unimplemented_methods_are_typed():
    d = Poisson(ne.tensor(1.3))
    s = d.sample()  # a 0-d draw (numpy returns a Python int for it)
    assert isinstance(s, ne.Tensor) and s.shape == () and np.isfinite(d.log_prob(s).item())
    t = TransformedDistribution(Normal(ne.tensor(0.0), 1.0), [T.TanhTransform()])
    with pytest.raises(NotImplementedError, match="entropy"):  # torch's type...
        t.entropy()
    with pytest.raises(ValueError, match="entropy"):  # ...and the engine's input contract
        t.entropy()
    with pytest.raises(NotImplementedError, match="rsample"):
        Gamma(ne.tensor(2.0), ne.tensor(1.0)).rsample()


def test_mode_matches_torch():
    torch = pytest.importorskip("torch")
    td = torch.distributions
    pairs = [(Normal(ne.tensor([1.0, -2.0]), 1.0), td.Normal(torch.tensor([1.0, -2.0]), 1.0)),
             (Laplace(ne.tensor([0.5]), 2.0), td.Laplace(torch.tensor([0.5]), 2.0)),
             (Exponential(ne.tensor([2.0, 0.3])), td.Exponential(torch.tensor([2.0, 0.3]))),
             (Poisson(ne.tensor([2.5, 0.2, 3.0])), td.Poisson(torch.tensor([2.5, 0.2, 3.0]))),
             (Gamma(ne.tensor([3.0, 0.5]), ne.tensor([2.0, 1.0])), td.Gamma(torch.tensor([3.0, 0.5]),
                                                                              torch.tensor([2.0, 1.0]))),
             (Categorical(logits=ne.tensor([[0.1, 2.0, 0.3], [3.0, 0.0, 0.0]])),
              td.Categorical(logits=torch.tensor([[0.1, 2.0, 0.3], [3.0, 0.0, 0.0]]))),
             (MultivariateNormal(ne.tensor([1.0, 2.0]), ne.eye(2)), td.MultivariateNormal(torch.tensor([1.0, 2.0]),
                                                                                          torch.eye(2))),
             (Independent(Normal(ne.tensor([[1.0, 2.0]]), 1.0), 1),
              td.Independent(td.Normal(torch.tensor([[1.0, 2.0]]), 1.0), 1))]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.mode.numpy(), theirs.mode.numpy(), err_msg=type(ours).__name__)


def test_one_hot_log_prob_of_a_single_vector_matches_torch(torch):
    """OneHotCategorical.log_prob of one unbatched one-hot vector scored index 0 (or nothing: the hot index went
    through Tensor(<numpy int>), torch's Tensor(size) constructor); batched values were right."""
    p = [0.1, 0.2, 0.7]
    d, dt = OneHotCategorical(probs=ne.tensor(p)), torch.distributions.OneHotCategorical(probs=torch.tensor(p))
    for k in range(3):
        v = np.eye(3, dtype=np.float32)[k]
        np.testing.assert_allclose(d.log_prob(ne.tensor(v)).numpy(), dt.log_prob(torch.tensor(v)).numpy(), rtol=1e-6)
        assert d.log_prob(ne.tensor(v)).shape == ()


def test_scalar_parameter_sample_shapes_match_torch(torch):
    """sample() / sample((3,)) / log_prob(sample) shapes and dtypes of distributions with 0-d parameters equal
    torch's (Binomial(5, tensor(0.3)).sample() raised AttributeError: numpy returned a Python int)."""
    import nnengine.distributions as D

    makers = {
        "Categorical": lambda d, t: d.Categorical(probs=t([0.2, 0.8])), "Poisson": lambda d, t: d.Poisson(t(3.0)),
        "Bernoulli": lambda d, t: d.Bernoulli(t(0.3)), "Binomial": lambda d, t: d.Binomial(5, t(0.3)),
        "OneHotCategorical": lambda d, t: d.OneHotCategorical(t([0.2, 0.8])),
        "Multinomial": lambda d, t: d.Multinomial(4, t([0.2, 0.8])), "Normal": lambda d, t: d.Normal(0.0, 1.0),
        "Gamma": lambda d, t: d.Gamma(t(2.0), t(1.0)), "Exponential": lambda d, t: d.Exponential(t(2.0)),
        "Uniform": lambda d, t: d.Uniform(0.0, 1.0), "Laplace": lambda d, t: d.Laplace(0.0, 1.0),
        "Beta": lambda d, t: d.Beta(t(2.0), t(3.0)), "Dirichlet": lambda d, t: d.Dirichlet(t([1.0, 2.0])),
    }
    for name, make in makers.items():
        got = []
        for dmod, tmake in ((torch.distributions, torch.tensor), (D, ne.tensor)):
            d = make(dmod, tmake)
            s0, s1 = d.sample(), d.sample((3,))
            got.append((tuple(s0.shape), str(s0.dtype).replace("torch.", ""), tuple(s1.shape), tuple(d.log_prob(s0).shape)))
        assert got[0] == got[1], name
