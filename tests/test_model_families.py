"""Model families learn on real data (scikit-learn's bundled 8x8 digits, no download): autoencoders beat
PCA at the same code size, the VAE's ELBO improves steadily, GAN samples are classified confidently and
spread over the classes."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require

import nnengine as ne
from nnengine.models import DBN, GAN, VAE, Autoencoder, ConvAutoencoder, DenoisingAutoencoder, Ladder
from nnengine.models.autoencoder import upsample_nearest2x
from nnengine.models.gan import sample_score

sklearn_datasets = require("sklearn.datasets")


@pytest.fixture(scope="module")
def digits():
    d = sklearn_datasets.load_digits()
    x = (d.data / 16.0).astype(np.float32)
    p = np.random.default_rng(0).permutation(len(x))
    return x[p[:1400]], d.target[p[:1400]], x[p[1400:]], d.target[p[1400:]]


def pca_error(train: np.ndarray, test: np.ndarray, k: int) -> float:
    """Held-out mean squared reconstruction error of PCA with k components (numpy SVD)."""
    mu = train.mean(0)
    _, _, vt = np.linalg.svd(train - mu, full_matrices=False)
    v = vt[:k].T
    return float((((test - mu) @ v @ v.T + mu - test) ** 2).mean())


@pytest.mark.parametrize("cls", [Autoencoder, DenoisingAutoencoder])
def test_autoencoder_beats_pca(digits, cls):
    xtr, _, xte, _ = digits
    k = 8
    ne.manual_seed(0)
    model = cls(64, code_size=k, hidden_sizes=(128,))
    with ne.no_grad():
        before = float(((model(xte).data - xte) ** 2).mean())
    model.fit(xtr, epochs=30)
    with ne.no_grad():
        rec = model(xte).data
        code = model.encode(xte).data
    err, pca = float(((rec - xte) ** 2).mean()), pca_error(xtr, xte, k)
    print(f"{cls.__name__}: held-out MSE {err:.4f} vs PCA({k}) {pca:.4f} (untrained {before:.4f})")
    assert code.shape == (len(xte), k) and rec.shape == xte.shape
    assert err < 0.9 * pca < before


def test_conv_autoencoder_beats_pca(digits):
    xtr, _, xte, _ = digits
    ne.manual_seed(0)
    model = ConvAutoencoder(1, (8, 8), code_size=8, channels=(16, 32))
    hist = model.fit(xtr.reshape(-1, 1, 8, 8), epochs=15, lr=5e-3, batch_size=32)
    with ne.no_grad():
        rec = model(xte.reshape(-1, 1, 8, 8)).data
        code = model.encode(xte).data  # flat (N, 64) rows are accepted too
    err, pca = float(((rec.reshape(len(xte), -1) - xte) ** 2).mean()), pca_error(xtr, xte, 8)
    print(f"ConvAutoencoder: held-out MSE {err:.4f} vs PCA(8) {pca:.4f}; training {np.round(hist, 4)}")
    assert rec.shape == (len(xte), 1, 8, 8) and code.shape == (len(xte), 8)
    assert err < 0.9 * pca and hist[-1] < 0.5 * hist[0]
    with pytest.raises(ValueError, match="x: expected shape"):
        model.encode(np.zeros((2, 1, 9, 8), np.float32))
    with pytest.raises(ValueError, match="image_size"):
        ConvAutoencoder(1, (6, 8), channels=(16, 32))


def test_upsample_nearest2x_gradient():
    x = ne.tensor(np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2), requires_grad=True)
    y = upsample_nearest2x(x)
    assert np.array_equal(y.data, x.data.repeat(2, 2).repeat(2, 3))
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad, 8 * x.data)  # 4 copies, d(y^2)/dy = 2y


def test_denoising_autoencoder_removes_noise(digits):
    xtr, _, xte, _ = digits
    ne.manual_seed(1)
    model = DenoisingAutoencoder(64, code_size=16, hidden_sizes=(128,), noise_std=0.3)
    model.fit(xtr, epochs=30)
    noisy = (xte + np.random.default_rng(2).normal(0, 0.3, xte.shape)).astype(np.float32)
    with ne.no_grad():
        den = model(noisy).data
    noisy_err, den_err = float(((noisy - xte) ** 2).mean()), float(((den - xte) ** 2).mean())
    print(f"denoising: noisy MSE {noisy_err:.4f} -> {den_err:.4f}")
    assert den_err < 0.5 * noisy_err


def test_denoising_masks_come_from_the_dropout_kernel(threads):
    from nnengine.functional._dropout import dropout_mask
    dae = DenoisingAutoencoder(64, 8, noise_std=0.0, mask_prob=0.3)
    x = ne.tensor(np.random.default_rng(0).uniform(0.5, 1.0, (100, 64)).astype(np.float32))
    res = []
    for nt in (1, 2):
        ne.manual_seed(5)
        with threads(nt):
            res.append(dae.corrupt(x).data)
    assert np.array_equal(res[0], res[1])  # seeded, thread-count independent
    kept = res[0] != 0
    assert 0.67 < kept.mean() < 0.73 and np.array_equal(res[0][kept], x.data[kept])  # zeroed, not rescaled
    ne.manual_seed(5)
    np.testing.assert_array_equal(kept, dropout_mask((100, 64), 0.3))  # the one generator: same seed, same mask
    assert not np.array_equal(kept, dropout_mask((100, 64), 0.3))  # a fresh seed per call


def test_autoencoder_bad_arguments():
    with pytest.raises(ValueError, match="activation"):
        Autoencoder(64, 8, activation="bogus")
    with pytest.raises(ValueError, match="code_size"):
        Autoencoder(64, 0)
    with pytest.raises(ValueError, match="mask_prob"):
        DenoisingAutoencoder(64, 8, mask_prob=1.5)
    with pytest.raises(ValueError, match="latent_size"):
        VAE(64, latent_size=0)
    with pytest.raises(ValueError, match="n:"):
        VAE(64, 4).sample(0)


def test_vae_elbo_improves_steadily(digits):
    xtr, _, xte, _ = digits
    ne.manual_seed(0)
    vae = VAE(64, latent_size=4, hidden_sizes=(128,))
    epoch_elbo = vae.fit(xtr, epochs=12)
    print("VAE ELBO per epoch:", np.round(epoch_elbo, 2))
    # steady: every 3-epoch window improves on the previous one, and the total gain is large
    w = [np.mean(epoch_elbo[i : i + 3]) for i in range(0, 12, 3)]
    assert all(b > a for a, b in zip(w, w[1:])), w
    assert epoch_elbo[-1] > epoch_elbo[0] + 8
    vae.eval()
    with ne.no_grad():
        _, test_stats = vae.loss(xte)
        rec = vae(xte).data
    samples = vae.sample(16).data
    assert samples.shape == (16, 64) and 0 <= samples.min() and samples.max() <= 1
    assert test_stats["elbo"] > epoch_elbo[0]
    for b in range(0, 64, 32):  # the reported parts add up: elbo = -(recon + kl), kl >= 0
        _, st = vae.loss(xte[b : b + 32])
        assert np.isclose(st["elbo"], -(st["recon"] + st["kl"]), rtol=1e-5) and st["kl"] >= 0
    assert float(((rec - xte) ** 2).mean()) < float(((xtr.mean(0) - xte) ** 2).mean())


def classifier_score(clf, samples: np.ndarray) -> tuple:
    return sample_score(clf.predict_proba(samples))


def test_gan_samples_are_confident_and_diverse(digits):
    lm = require("sklearn.linear_model")
    xtr, ytr, _, _ = digits
    clf = lm.LogisticRegression(max_iter=2000).fit(xtr, ytr)
    ne.manual_seed(0)
    gan = GAN(64, latent_size=16)
    untrained = classifier_score(clf, gan.sample(1000).data)
    gan.fit(xtr, epochs=150)
    real = classifier_score(clf, xtr)
    conf, ent, covered = classifier_score(clf, gan.sample(1000).data)
    print(f"GAN: max-prob {conf:.3f} entropy {ent:.3f} classes {covered} | real {real} | untrained {untrained}")
    assert conf > 0.6 and conf > untrained[0] + 0.1
    assert ent > 0.8 and covered >= 8


def test_dbn_pretraining_beats_random_init(digits):
    xtr, ytr, xte, yte = digits
    ne.manual_seed(0)
    dbn = DBN([64, 128, 64])
    hist = dbn.pretrain(xtr, epochs=10)
    assert all(h[-1] < h[0] for h in hist)
    results = {}
    for nl, epochs in ((100, 180), (len(xtr), 30)):
        for pre in (True, False):
            ne.manual_seed(1)
            mlp = dbn.unroll(10, pretrained=pre)
            DBN.finetune(mlp, xtr[:nl], ytr[:nl], epochs=epochs)
            results[nl, pre] = DBN.accuracy(mlp, xte, yte)
    print("DBN held-out accuracy (labels, pretrained):", results)
    for nl in (100, len(xtr)):
        assert results[nl, True] > results[nl, False]
    assert results[len(xtr), True] > 0.95


def test_ladder_beats_supervised_with_100_labels(digits):
    xtr, ytr, xte, yte = digits
    lab = np.concatenate([np.flatnonzero(ytr == c)[:10] for c in range(10)])  # 10 labels per class
    acc = {}
    for w, unlabelled in ((0.0, None), (1.0, xtr)):
        ne.manual_seed(0)
        model = Ladder([64, 200, 100, 10], noise_std=0.3, denoising_weight=w)
        model.fit(xtr[lab], ytr[lab], unlabelled, epochs=40)
        acc[w] = model.accuracy(xte, yte)
    print(f"Ladder (100 labels + {len(xtr)} unlabelled) {acc[1.0]:.3f} vs same network on the labels alone "
          f"{acc[0.0]:.3f}")
    assert acc[1.0] > acc[0.0] and acc[1.0] > 0.9


def test_ladder_normalise_is_batch_norm():
    """The ladder's per-layer normalisation is the batchnorm kernel without affine: batch statistics and a
    running update (unbiased variance) in training, running statistics in eval; float64 oracle, gradcheck."""
    from nnengine.autograd import gradcheck

    m = Ladder([6, 5, 3], momentum=0.25)
    z = np.random.default_rng(0).standard_normal((9, 5)).astype(np.float32) * 3 + 1
    z64 = z.astype(np.float64)
    mean, var = z64.mean(0), z64.var(0)
    y, got_mean, got_var = m._normalise(ne.tensor(z), 0, update=True)
    np.testing.assert_allclose(y.numpy(), (z64 - mean) / np.sqrt(var + m.eps), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_mean.numpy(), mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_var.numpy(), var, rtol=1e-5)
    np.testing.assert_allclose(m.running_mean_0, 0.25 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.running_var_0, 0.75 + 0.25 * var * 9 / 8, rtol=1e-5)
    before = m.running_mean_1.copy()
    m._normalise(ne.tensor(z), 1, update=False)  # the noisy path leaves the running statistics alone
    np.testing.assert_array_equal(m.running_mean_1, before)
    assert gradcheck(lambda t: m._normalise(t, 1, update=False)[0], [ne.tensor(z, requires_grad=True)])
    m.eval()
    y, got_mean, _ = m._normalise(ne.tensor(z), 0, update=False)
    rm, rv = m.running_mean_0.astype(np.float64), m.running_var_0.astype(np.float64)
    np.testing.assert_allclose(y.numpy(), (z64 - rm) / np.sqrt(rv + m.eps), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got_mean.numpy(), rm)
