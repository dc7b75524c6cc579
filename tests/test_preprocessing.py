"""Scalers, PCA and whitening vs scikit-learn; whitened covariance is the identity; state round trips."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require

import nnengine as ne
from nnengine import nn
from nnengine.preprocessing import (
    PCA,
    MeanSubtraction,
    MinMaxScaler,
    NotFittedError,
    PCAWhitening,
    StandardScaler,
    ZCAWhitening,
)

skp = require("sklearn.preprocessing")
skd = require("sklearn.decomposition")


@pytest.fixture
def x(rng):
    # correlated features with different scales, plus a constant column
    a = rng.standard_normal((60, 7)) @ rng.standard_normal((7, 7)) * np.arange(1, 8) + np.arange(7) * 3
    a[:, 3] = 2.5
    return a


@pytest.mark.parametrize("n", [1, 7, 8, 9, 17])
def test_standard_scaler_matches_sklearn(rng, n):
    a = rng.standard_normal((33, n)) * 5 + 2
    ref = skp.StandardScaler().fit(a)
    ours = StandardScaler().fit(a)
    np.testing.assert_allclose(ours.mean_, ref.mean_, rtol=1e-12)
    np.testing.assert_allclose(ours.scale_, ref.scale_, rtol=1e-12)
    np.testing.assert_allclose(ours.transform(a), ref.transform(a), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(a)), a, rtol=1e-10, atol=1e-10)


def test_scalers_constant_column_and_options(x):
    for ours, ref in [(StandardScaler(), skp.StandardScaler()),
                      (StandardScaler(with_mean=False), skp.StandardScaler(with_mean=False)),
                      (MinMaxScaler(), skp.MinMaxScaler()),
                      (MinMaxScaler(feature_range=(-2, 3)), skp.MinMaxScaler(feature_range=(-2, 3)))]:
        got = ours.fit_transform(x)
        np.testing.assert_allclose(got, ref.fit_transform(x), rtol=1e-10, atol=1e-12)
        assert np.all(np.isfinite(got))
        np.testing.assert_allclose(ours.inverse_transform(got), x, rtol=1e-10, atol=1e-9)


def test_minmax_matches_sklearn_attrs(x):
    ref = skp.MinMaxScaler(feature_range=(-1, 1)).fit(x)
    ours = MinMaxScaler(feature_range=(-1, 1)).fit(x)
    for name in ("data_min_", "data_max_", "scale_", "min_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(ref, name), rtol=1e-12)
    clipped = MinMaxScaler(clip=True).fit(x).transform(x * 2)
    assert clipped.min() >= 0 and clipped.max() <= 1


def test_mean_subtraction_and_per_channel(rng):
    imgs = rng.standard_normal((5, 3, 4, 6)) * np.array([1, 5, 9])[None, :, None, None] + 7
    ms = MeanSubtraction().fit(imgs)
    assert ms.mean_.shape == (3 * 4 * 6,)
    np.testing.assert_allclose(ms.transform(imgs).mean(axis=0), 0, atol=1e-12)
    pc = StandardScaler(per_channel=True).fit(imgs)
    assert pc.mean_.shape == (3,)
    z = pc.transform(imgs)
    assert z.shape == imgs.shape
    np.testing.assert_allclose(z.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=(0, 2, 3)), 1, rtol=1e-12)
    np.testing.assert_allclose(pc.inverse_transform(z), imgs, rtol=1e-12, atol=1e-12)
    mm = MinMaxScaler(per_channel=True).fit(imgs)
    y = mm.transform(imgs)
    np.testing.assert_allclose(y.min(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.max(axis=(0, 2, 3)), 1, atol=1e-12)


def test_tensor_in_tensor_out_and_dtypes(x):
    sc = StandardScaler().fit(ne.Tensor(x))
    out = sc.transform(ne.Tensor(x))
    assert isinstance(out, ne.Tensor) and out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), skp.StandardScaler().fit_transform(x.astype(np.float32)),
                               rtol=1e-4, atol=1e-5)
    assert sc.transform(x.astype(np.float32)).dtype == np.float32
    assert sc.transform(x).dtype == np.float64
    assert sc.transform(x.astype(np.int64)).dtype == np.float64


@pytest.mark.parametrize("k", [1, 3, 7, 0.9, 0.5, None])
def test_pca_matches_sklearn(x, k):
    ref = skd.PCA(n_components=k, svd_solver="full").fit(x)
    ours = PCA(n_components=k).fit(x)
    assert ours.n_components_ == ref.n_components_
    # the same subspace and variances; signs are fixed by the same rule but compare robustly anyway
    signs = np.sign(np.sum(ours.components_ * ref.components_, axis=1))
    np.testing.assert_allclose(ours.components_ * signs[:, None], ref.components_, atol=1e-8)
    np.testing.assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-9)
    np.testing.assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=1e-9)
    np.testing.assert_allclose(ours.singular_values_, ref.singular_values_, rtol=1e-9)
    np.testing.assert_allclose(ours.transform(x) * signs, ref.transform(x), rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(x)),
                               ref.inverse_transform(ref.transform(x)), rtol=1e-7, atol=1e-8)


def test_pca_images_flatten_and_restore(rng):
    imgs = rng.standard_normal((20, 2, 3, 3))
    p = PCA().fit(imgs)
    z = p.transform(imgs)
    assert z.shape == (20, 18)
    np.testing.assert_allclose(p.inverse_transform(z), imgs, atol=1e-10)


@pytest.mark.parametrize("k", [None, 4])
def test_pca_whitening_identity_covariance(x, k):
    w = PCAWhitening(n_components=k, epsilon=0.0)
    z = w.fit_transform(np.delete(x, 3, axis=1))  # drop the constant column: full rank
    d = z.shape[1]
    assert d == (k or 6)
    np.testing.assert_allclose(np.cov(z, rowvar=False), np.eye(d), atol=1e-10)
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-10)
    if k is None:
        np.testing.assert_allclose(w.inverse_transform(z), np.delete(x, 3, axis=1), atol=1e-8)


def test_zca_whitening_identity_covariance(x, rng):
    full = np.delete(x, 3, axis=1)
    zca = ZCAWhitening(epsilon=0.0)
    z = zca.fit_transform(full)
    np.testing.assert_allclose(np.cov(z, rowvar=False), np.eye(6), atol=1e-10)
    np.testing.assert_allclose(zca.whitening_, zca.whitening_.T, atol=1e-12)  # symmetric (ZCA, not PCA)
    np.testing.assert_allclose(zca.inverse_transform(z), full, atol=1e-8)
    # small epsilon: close to the identity; images keep their shape; fewer samples than features works
    imgs = rng.standard_normal((10, 1, 4, 4))
    zi = ZCAWhitening(epsilon=1e-2).fit(imgs).transform(imgs)
    assert zi.shape == imgs.shape
    with pytest.raises(ValueError, match="singular"):
        ZCAWhitening(epsilon=0.0).fit(x)


def test_module_stage_state_dict_roundtrip(x):
    ne.manual_seed(0)
    sc = StandardScaler().fit(x)
    model = nn.Sequential(sc, PCA(3).fit(sc.transform(x)))
    out = model(ne.Tensor(x))
    assert isinstance(out, ne.Tensor) and out.shape == (60, 3)
    sd = model.state_dict()
    assert {"0.mean_", "0.scale_", "1.components_"} <= set(sd)
    assert sd["0.mean_"].dtype == np.float64
    fresh = nn.Sequential(StandardScaler(), PCA(3))
    fresh.load_state_dict(sd)
    np.testing.assert_array_equal(fresh(ne.Tensor(x)).numpy(), out.numpy())
    # get_state / set_state, also replacing an already fitted state of another shape
    other = StandardScaler().fit(x[:, :2])
    other.set_state(sc.get_state())
    np.testing.assert_array_equal(other.transform(x), sc.transform(x))


def test_bad_inputs(x):
    with pytest.raises(NotFittedError, match="not fitted"):
        StandardScaler().transform(x)
    with pytest.raises(ValueError, match="fitted on features of shape"):
        StandardScaler().fit(x).transform(x[:, :3])
    with pytest.raises(ValueError, match="ndim >= 2"):
        StandardScaler().fit(np.ones(5))
    with pytest.raises(ValueError, match="NaN"):
        MinMaxScaler().fit(np.array([[1.0], [np.nan]]))
    with pytest.raises(ValueError, match="feature_range"):
        MinMaxScaler(feature_range=(1, 0))
    with pytest.raises(ValueError, match="variance fraction"):
        PCA(n_components=1.5)
    with pytest.raises(TypeError, match="n_components"):
        PCA(n_components="all")
    with pytest.raises(ValueError, match="exceeds"):
        PCA(n_components=8).fit(x)
    with pytest.raises(TypeError, match="expected numbers"):
        StandardScaler().fit(np.array([["a"], ["b"]]))
    with pytest.raises(ValueError, match="epsilon"):
        ZCAWhitening(epsilon=-1)
