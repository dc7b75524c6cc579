"""F.normalize / cosine_similarity / pairwise_distance and nn.CosineSimilarity / PairwiseDistance: values and
gradients vs torch 2.13 (float64, so the formulas must match exactly, eps placement and the no-gradient clamp
of cosine_similarity included), errors, io and interop."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine import nn


def _compare(torch, fn_ne, fn_t, *arrays, tol=1e-12):
    rng = np.random.default_rng(7)
    xs = [ne.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = fn_ne(*xs), fn_t(*ts)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=tol, atol=tol)
    g = rng.standard_normal(out.shape)
    out.backward(g)
    ref.backward(torch.tensor(g))
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf")])
def test_normalize_vs_torch_with_a_zero_row(torch, p):
    x = np.random.default_rng(0).standard_normal((4, 5, 3))
    x[1, :, 0] = 0.0  # a zero vector: clamped by eps, its gradient is torch's
    _compare(torch, lambda a: F.normalize(a, p=p, dim=1), lambda a: torch.nn.functional.normalize(a, p=p, dim=1), x)
    _compare(torch, lambda a: F.normalize(a, p, -1, 1e-3), lambda a: torch.nn.functional.normalize(a, p, -1, 1e-3), x)


@pytest.mark.parametrize("dim,eps,scale", [(1, 1e-8, 1.0), (-1, 0.5, 0.01), (0, 1e-8, 1.0)])
def test_cosine_similarity_vs_torch_broadcast_and_clamped(torch, dim, eps, scale):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((4, 5, 3)) * scale, rng.standard_normal((1, 5, 3))
    _compare(torch, lambda x, y: F.cosine_similarity(x, y, dim, eps),
             lambda x, y: torch.nn.functional.cosine_similarity(x, y, dim, eps), a, b)
    _compare(torch, lambda x, y: nn.CosineSimilarity(dim, eps)(x, y),
             lambda x, y: torch.nn.CosineSimilarity(dim, eps)(x, y), b, a)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, float("inf")])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance_vs_torch(torch, p, keepdim):
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((6, 7)), rng.standard_normal((7,))
    _compare(torch, lambda x, y: F.pairwise_distance(x, y, p, 1e-6, keepdim),
             lambda x, y: torch.nn.functional.pairwise_distance(x, y, p, 1e-6, keepdim), a, b)
    _compare(torch, lambda x, y: nn.PairwiseDistance(p, keepdim=keepdim)(x, y),
             lambda x, y: torch.nn.PairwiseDistance(p, keepdim=keepdim)(x, y), a, a.copy())


def test_distance_float32_and_errors():
    x = ne.randn(3, 4)
    assert F.normalize(x).dtype == np.float32 and F.cosine_similarity(x, x).dtype == np.float32
    np.testing.assert_allclose(F.cosine_similarity(x, x).numpy(), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="dim"):
        F.normalize(x, dim=2)
    with pytest.raises(ValueError, match=r"x1 \(3, 4\) and x2 \(3, 5\)"):
        F.cosine_similarity(x, ne.zeros(3, 5))
    with pytest.raises(ValueError, match="x1 .* x2"):
        F.pairwise_distance(x, ne.zeros(2, 4))
    with pytest.raises(ValueError, match="eps"):
        F.normalize(x, eps=-1.0)
    with pytest.raises(TypeError, match="p"):
        F.pairwise_distance(x, x, p="2")
    with pytest.raises(TypeError, match="x1"):
        F.cosine_similarity("a", x)


def test_io_and_interop_round_trip(torch, tmp_path):
    for layer in (nn.CosineSimilarity(0, 1e-3), nn.PairwiseDistance(1.0, 1e-4, True)):  # two inputs
        ne.io.save_model(layer, str(tmp_path / "d.safetensors"))
        twin = ne.io.load_model(str(tmp_path / "d.safetensors"))
        a, b = ne.randn(3, 4), ne.randn(3, 4)
        assert type(twin) is type(layer) and vars(twin)["_init_args"] == vars(layer)["_init_args"]
        np.testing.assert_array_equal(twin(a, b).numpy(), layer(a, b).numpy())
    for tmod, keys in ((torch.nn.CosineSimilarity(0, 1e-3), ("dim", "eps")),
                       (torch.nn.PairwiseDistance(1.0, 1e-4, True), ("norm", "eps", "keepdim"))):
        twin = ne.interop.from_torch(torch.nn.Sequential(tmod))[0]
        back = ne.interop.to_torch(nn.Sequential(twin))[0]
        assert type(twin).__name__ == type(back).__name__ == type(tmod).__name__
        assert [getattr(twin, k) for k in keys] == [getattr(tmod, k) for k in keys] == [getattr(back, k) for k in keys]
