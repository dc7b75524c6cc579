"""RBM: the fused Gibbs half-step kernel (vs a float64 oracle and its scalar twin, every ISA, 1 vs 2
threads, bad input) and the model learning on digits (reconstruction error falls, hidden features feed a
classifier)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import numeric_grad, require
from reference import rbm as oracle

import nnengine as ne
from nnengine import _core
from nnengine.models import RBM


@pytest.mark.parametrize("n,vis,hid", [(1, 1, 1), (7, 9, 8), (8, 17, 15), (9, 33, 16), (33, 64, 7)])
@pytest.mark.parametrize("trans_w", [True, False])
def test_rbm_sample_matches_oracle(isa, rng, n, vis, hid, trans_w):
    inp, out = (vis, hid) if trans_w else (hid, vis)
    x = (rng.random((n, inp)) < 0.5).astype(np.float32)
    w = rng.normal(0, 0.5, (hid, vis)).astype(np.float32)
    b = rng.normal(0, 0.5, out).astype(np.float32)
    p, s = _core.rbm_sample(x, w, b, trans_w, 12345)
    pr, sr = _core.rbm_sample(x, w, b, trans_w, 12345, reference=True)
    np.testing.assert_allclose(p, oracle.prob(x, w, b, trans_w), rtol=2e-6, atol=2e-7)
    np.testing.assert_allclose(pr, oracle.prob(x, w, b, trans_w), rtol=1e-6, atol=1e-7)
    assert set(np.unique(s)) <= {0.0, 1.0}
    # samples agree with the twin except where p sits within rounding of its uniform
    assert (s != sr).sum() <= max(1, s.size // 1000)
    p2, none = _core.rbm_sample(x, w, b, trans_w, None)
    assert none is None and np.array_equal(p, p2)


def test_rbm_samples_are_bernoulli_and_seeded(rng):
    x = rng.random((200, 30)).astype(np.float32)
    w = rng.normal(0, 0.3, (50, 30)).astype(np.float32)
    b = np.zeros(50, np.float32)
    p, s1 = _core.rbm_sample(x, w, b, True, 7)
    _, s2 = _core.rbm_sample(x, w, b, True, 7)
    _, s3 = _core.rbm_sample(x, w, b, True, 8)
    assert np.array_equal(s1, s2) and not np.array_equal(s1, s3)
    # the mean of 10,000 Bernoulli draws matches the mean probability (5 sigma)
    assert abs(s1.mean() - p.mean()) < 5 * 0.5 / np.sqrt(s1.size)


def test_rbm_sample_threads_bit_identical(isa, threads, rng):
    x = (rng.random((300, 64)) < 0.3).astype(np.float32)
    w = rng.normal(0, 0.2, (129, 64)).astype(np.float32)
    b = rng.normal(0, 0.2, 129).astype(np.float32)
    with threads(1):
        p1, s1 = _core.rbm_sample(x, w, b, True, 99)
    with threads(2):
        p2, s2 = _core.rbm_sample(x, w, b, True, 99)
    assert np.array_equal(p1, p2) and np.array_equal(s1, s2)


def test_rbm_sample_bad_input(rng):
    x = np.zeros((4, 5), np.float32)
    w = np.zeros((3, 5), np.float32)
    with pytest.raises(TypeError, match="x: expected dtype float32"):
        _core.rbm_sample(x.astype(np.float64), w, None, True, 1)
    with pytest.raises(ValueError, match="weight: expected shape"):
        _core.rbm_sample(x, w, None, False, 1)
    with pytest.raises(ValueError, match="bias: expected shape"):
        _core.rbm_sample(x, w, np.zeros(5, np.float32), True, 1)
    with pytest.raises(ValueError, match=r"seed: expected an int in \[0, 2\^64 - 1\]"):
        _core.rbm_sample(x, w, None, True, -1)
    with pytest.raises(ValueError, match="x: expected 2 dimensions"):
        _core.rbm_sample(x[0], w, None, True, 1)
    with pytest.raises(ValueError, match="v: expected shape"):
        RBM(6, 3).contrastive_divergence(x)
    with pytest.raises(ValueError, match="k:"):
        RBM(6, 3, k=0)


def test_rbm_free_energy_and_gradient_direction(rng):
    """The CD-1 gradient (with chains at the data) is the exact positive phase minus a model term; check
    the free energy formula against brute force on a tiny RBM."""
    ne.manual_seed(0)
    r = RBM(3, 2)
    r.weight.data[...] = rng.normal(0, 1, (2, 3))
    r.visible_bias.data[...] = rng.normal(0, 1, 3)
    r.hidden_bias.data[...] = rng.normal(0, 1, 2)
    v = np.array([[1, 0, 1], [0, 1, 1]], np.float32)
    W, b, c = (a.data.astype(np.float64) for a in (r.weight, r.visible_bias, r.hidden_bias))
    hs = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float64)
    brute = [-np.log(sum(np.exp(vi @ b + h @ c + h @ W @ vi) for h in hs)) for vi in v.astype(np.float64)]
    np.testing.assert_allclose(r.free_energy(v), brute, rtol=1e-6)


def test_rbm_cd_gradient_is_the_free_energy_difference(rng):
    """CD-1 (chains at the data) writes grad = d/dtheta [mean F(v0) - mean F(v1)] with the reconstruction v1
    held fixed: check every parameter's .grad against central differences of the float64 free energy."""
    ne.manual_seed(3)
    r = RBM(5, 3)
    r.weight.data[...] = rng.normal(0, 1, (3, 5))
    r.visible_bias.data[...] = rng.normal(0, 1, 5)
    r.hidden_bias.data[...] = rng.normal(0, 1, 3)
    v0 = (rng.random((4, 5)) < 0.5).astype(np.float32)
    recons = []
    real = r.sample_visible

    def spy(h, sample=True):
        out = real(h, sample)
        recons.append(out[0])
        return out

    r.sample_visible = spy
    r.contrastive_divergence(v0)
    v1 = recons[-1].astype(np.float64)  # the mean-field reconstruction the negative phase used
    assert v1.shape == v0.shape and not np.allclose(v1, v0)
    theta = {"weight": r.weight.data.astype(np.float64), "visible_bias": r.visible_bias.data.astype(np.float64),
             "hidden_bias": r.hidden_bias.data.astype(np.float64)}

    def objective(name, value):
        p = {**theta, name: value}
        args = (p["weight"], p["visible_bias"], p["hidden_bias"])
        return oracle.free_energy(v0.astype(np.float64), *args).mean() - oracle.free_energy(v1, *args).mean()

    for name in theta:
        num = numeric_grad(lambda x, n=name: objective(n, x), theta[name])
        # the engine forms the gradient in float32 (sigmoid ~5e-7 relative, float32 sums of 4 rows)
        np.testing.assert_allclose(getattr(r, name).grad, num, rtol=1e-5, atol=2e-6, err_msg=name)


def digits_split():
    d = require("sklearn.datasets").load_digits()
    x = (d.data / 16.0).astype(np.float32)
    p = np.random.default_rng(0).permutation(len(x))
    return x[p[:1200]], d.target[p[:1200]], x[p[1200:]], d.target[p[1200:]]


@pytest.mark.parametrize("persistent", [False, True])
def test_rbm_reconstruction_error_falls(persistent):
    xtr, _, xte, _ = digits_split()
    ne.manual_seed(0)
    r = RBM(64, 64, k=1, persistent=persistent)
    before = float(((r.reconstruct(xte) - xte) ** 2).mean())
    errs = r.fit(xtr, epochs=10, lr=0.05 if not persistent else 0.02)
    after = float(((r.reconstruct(xte) - xte) ** 2).mean())
    print(f"RBM persistent={persistent}: train recon {np.round(errs, 4)}; held-out {before:.4f} -> {after:.4f}")
    # PCD does not minimise the reconstruction error directly (its chains wander), so it falls more slowly
    assert errs[-1] < (0.85 if persistent else 0.6) * errs[0] and after < 0.5 * before
    samples = r.gibbs_sample(4, steps=20)
    assert samples.shape == (4, 64) and 0 <= samples.min() and samples.max() <= 1


def test_rbm_features_beat_raw_pixels_with_few_labels():
    """64 hidden units = 64 pixels, so the logistic regression on top has the same capacity either way.
    RBM trained on 1200 unlabelled digits, classifiers on 200 labels; each gets its best C of (1, 10)."""
    lm = require("sklearn.linear_model")
    xtr, ytr, xte, yte = digits_split()
    ne.manual_seed(0)
    r = RBM(64, 64)
    r.fit(xtr, epochs=20)
    with ne.no_grad():
        ftr, fte = r(xtr).data, r(xte).data
    nl = 200

    def best(a, b):
        return max(lm.LogisticRegression(max_iter=3000, C=c).fit(a[:nl], ytr[:nl]).score(b, yte) for c in (1, 10))

    raw, feat = best(xtr, xte), best(ftr, fte)
    print(f"RBM features: logistic regression on {nl} labels, held-out accuracy raw {raw:.3f} vs RBM {feat:.3f}")
    assert feat > raw
