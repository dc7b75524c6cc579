"""nn.init's orthogonal_, trunc_normal_, eye_, dirac_ and sparse_: torch's structure (orthogonality, bounds,
identity, the conv identity, zeros per column) and distribution moments; eye_/dirac_ equal torch's exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nnengine as ne
from nnengine import nn
from nnengine.nn import init
from tests.conftest import require


@pytest.mark.parametrize("shape", [(6, 6), (3, 8), (8, 3), (4, 2, 3, 3)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    ne.manual_seed(0)
    w = init.orthogonal_(ne.empty(*shape), gain=2.0).numpy().reshape(shape[0], -1).astype(np.float64)
    r, c = w.shape
    g = w @ w.T if r <= c else w.T @ w
    np.testing.assert_allclose(g, 4.0 * np.eye(min(r, c)), atol=1e-5)


def test_orthogonal_is_haar_like_torch():
    # the sign fix makes Q Haar-distributed: entries have mean 0 and variance 1/n, as torch's
    ne.manual_seed(1)
    vals = np.concatenate([init.orthogonal_(ne.empty(16, 16)).numpy().ravel() for _ in range(50)])
    assert abs(vals.mean()) < 0.01 and abs(vals.var() - 1 / 16) < 0.005


def test_trunc_normal_bounds_and_moments(torch):
    ne.manual_seed(0)
    w = init.trunc_normal_(ne.empty(200000), mean=0.5, std=1.0, a=-0.5, b=2.0).numpy()
    assert w.min() >= -0.5 and w.max() <= 2.0
    t = torch.nn.init.trunc_normal_(torch.empty(200000), mean=0.5, std=1.0, a=-0.5, b=2.0).numpy()
    assert abs(w.mean() - t.mean()) < 0.01 and abs(w.std() - t.std()) < 0.01
    small = init.trunc_normal_(ne.empty(1000, 100), std=0.02).numpy()  # the ViT init: bounds far outside
    assert abs(small.std() - 0.02) < 0.0005


def test_eye_and_dirac_equal_torch(torch):
    for shape in [(3, 5), (5, 3), (4, 4)]:
        np.testing.assert_array_equal(init.eye_(ne.empty(*shape)).numpy(), torch.nn.init.eye_(torch.empty(shape)).numpy())
    for shape, groups in [((4, 3, 3), 1), ((6, 2, 3, 5), 2), ((4, 4, 3, 3, 3), 2), ((2, 5, 4, 4), 1)]:
        np.testing.assert_array_equal(init.dirac_(ne.empty(*shape), groups).numpy(),
                                      torch.nn.init.dirac_(torch.empty(shape), groups).numpy())


def test_dirac_conv_is_identity():
    conv = nn.Conv2d(3, 3, 3, padding=1, bias=False)
    init.dirac_(conv.weight)
    x = ne.randn(2, 3, 5, 5)
    np.testing.assert_allclose(conv(x).numpy(), x.numpy(), atol=1e-6)


def test_sparse_zeros_per_column_and_std():
    ne.manual_seed(0)
    w = init.sparse_(ne.empty(400, 50), sparsity=0.25, std=0.1).numpy()
    assert all((w[:, j] == 0).sum() == 100 for j in range(50))
    assert abs(w[w != 0].std() - 0.1) < 0.005


@pytest.mark.parametrize("call,exc,match", [
    (lambda: init.orthogonal_(ne.empty(3)), ValueError, "2 or more dimensions"),
    (lambda: init.eye_(ne.empty(2, 2, 2)), ValueError, "2-D"),
    (lambda: init.dirac_(ne.empty(3, 3)), ValueError, "3, 4 or 5-D"),
    (lambda: init.dirac_(ne.empty(3, 3, 3), groups=2), ValueError, "divisible"),
    (lambda: init.sparse_(ne.empty(3, 3), 1.5), ValueError, "sparsity"),
    (lambda: init.trunc_normal_(ne.empty(3), a=1.0, b=0.0), ValueError, "a <= b"),
    (lambda: init.trunc_normal_(ne.empty(3), std=[1.0]), TypeError, "std"),
    (lambda: init.orthogonal_(np.zeros((2, 2))), TypeError, "tensor"),
])
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_trunc_normal_degenerate_and_gain_math():
    with pytest.warns(UserWarning, match="more than 2 std"):
        assert np.all(init.trunc_normal_(ne.empty(4), mean=3.0, std=0.0, a=-1.0, b=1.0).numpy() == 1.0)
    assert math.isclose(init.calculate_gain("selu"), 0.75)


@pytest.mark.parametrize("fn", [init.kaiming_normal_, init.kaiming_uniform_, init.xavier_uniform_, init.xavier_normal_])
def test_fan_initialisers_accept_zero_element_tensors(fn):
    # scripts/fuzz.py nn.init_norms_grad: a zero fan divided by zero (ZeroDivisionError); torch does nothing
    assert fn(ne.ones(0, 0, 3)).shape == (0, 0, 3)


def test_dirac_accepts_a_zero_size_dim():
    # scripts/fuzz.py nn.init_norms_grad: indexing the centre of a zero-size spatial dim raised IndexError
    assert init.dirac_(ne.ones(3, 1, 2, 0)).shape == (3, 1, 2, 0)


@pytest.mark.parametrize("shape", [(8, 4), (8, 4, 3, 3), (8, 4, 3, 3, 3), (5, 3, 7)])
def test_private_fan_helpers_match_torch(shape):
    # custom layers copy torch's Linear init with init._calculate_fan_in_and_fan_out (a private name they use)
    torch = require("torch")
    assert init._calculate_fan_in_and_fan_out(ne.empty(*shape)) == torch.nn.init._calculate_fan_in_and_fan_out(
        torch.empty(*shape))
    for mode in ("fan_in", "fan_out"):
        assert init._calculate_correct_fan(ne.empty(*shape), mode) == torch.nn.init._calculate_correct_fan(
            torch.empty(*shape), mode)
    assert init._calculate_fan_in_and_fan_out(nn.Linear(3, 2).weight.data) == (3, 2)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init._calculate_fan_in_and_fan_out(ne.empty(3))
    with pytest.raises(ValueError, match="mode"):
        init._calculate_correct_fan(ne.empty(3, 2), "fan_avg")
