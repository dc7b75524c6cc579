"""The adaptive_pool2d kernel family (AdaptiveAvgPool1d/2d, AdaptiveMaxPool1d/2d; 1-D as planes of height 1):
the float64 oracle (proven by finite differences), the kernels on every ISA, the scalar twins, 1 vs 2 threads,
PyTorch side by side (values, gradients, return_indices) and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close, numeric_grad
from reference import adaptive_pool2d as ref

import nnengine as ne
import nnengine.functional as F
from nnengine import _core
from nnengine.autograd import gradcheck

# (N, C, H, W, P, Q): divisible and non-divisible (overlapping windows), up- and down-sizing, SIMD tails.
GRID = [
    (2, 3, 7, 7, 1, 1),
    (2, 3, 9, 17, 2, 3),
    (1, 5, 16, 33, 7, 8),
    (2, 2, 8, 9, 8, 9),  # identity
    (1, 3, 5, 4, 9, 7),  # output larger than input
    (3, 2, 1, 40, 1, 17),  # a 1-D signal
    (1, 1, 15, 15, 15, 1),
]


@pytest.mark.parametrize("kind", ["avg", "max"])
def test_oracle_matches_finite_differences(kind):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 7, 5))
    dy = rng.standard_normal((1, 2, 3, 2))
    _, _, bwd = ref.adaptive_pool2d(x, (3, 2), kind)
    np.testing.assert_allclose(bwd(dy), numeric_grad(lambda v: (ref.adaptive_pool2d(v, (3, 2), kind)[0] * dy).sum(), x),
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("cfg", GRID, ids=lambda c: "x".join(map(str, c)))
@pytest.mark.parametrize("kind", ["avg", "max"])
def test_adaptive_kernels_match_oracle(cfg, kind, isa):
    N, C, H, W, P, Q = cfg
    rng = np.random.default_rng(1)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    dy = rng.standard_normal((N, C, P, Q)).astype(np.float32)
    yr, argr, bwd = ref.adaptive_pool2d(x, (P, Q), kind)
    y, idx = _core.adaptive_pool2d_forward(x, kind, (P, Q), with_indices=True)
    assert_close(y, yr)
    if kind == "max":
        assert np.array_equal(idx, argr)
    else:
        assert idx is None
    assert_close(_core.adaptive_pool2d_backward(dy, kind, idx, (H, W)), bwd(dy.astype(np.float64)))
    yt, it = _core.adaptive_pool2d_forward(x, kind, (P, Q), with_indices=True, reference=True)
    assert_close(yt, y)
    assert_close(_core.adaptive_pool2d_backward(dy, kind, it, (H, W), reference=True),
           _core.adaptive_pool2d_backward(dy, kind, idx, (H, W)))


def test_adaptive_max_ties_and_nan_follow_torch(torch):
    x = np.array([[[[1, 1, 0], [np.nan, 1, 2], [3, 3, np.nan]]]], np.float32)
    y, idx = _core.adaptive_pool2d_forward(x, "max", (2, 2), with_indices=True)
    yt, it = torch.nn.functional.adaptive_max_pool2d(torch.tensor(x), (2, 2), return_indices=True)
    np.testing.assert_array_equal(y, yt.numpy())
    np.testing.assert_array_equal(idx, it.numpy())


@pytest.mark.parametrize("kind", ["avg", "max"])
def test_one_and_two_threads_identical(kind, threads, isa):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 17, 23, 19)).astype(np.float32)
    dy = rng.standard_normal((6, 17, 5, 4)).astype(np.float32)
    outs = []
    for n in (1, 2):
        with threads(n):
            y, idx = _core.adaptive_pool2d_forward(x, kind, (5, 4), with_indices=True)
            outs.append((y, _core.adaptive_pool2d_backward(dy, kind, idx, (23, 19))))
    for a, b in zip(*outs):
        assert np.array_equal(a, b)


ADAPTIVE = [
    ("adaptive_avg_pool2d", (2, 3, 9, 10), (4, None)),
    ("adaptive_avg_pool2d", (3, 9, 10), 3),
    ("adaptive_max_pool2d", (2, 3, 9, 10), (4, 3)),
    ("adaptive_avg_pool1d", (2, 3, 17), 5),
    ("adaptive_max_pool1d", (3, 17), 4),
]


@pytest.mark.parametrize("name,shape,out", ADAPTIVE, ids=[f"{a[0]}-{len(a[1])}d" for a in ADAPTIVE])
def test_adaptive_matches_torch(name, shape, out, torch):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    yt = getattr(torch.nn.functional, name)(xt, out)
    dy = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    yt.backward(torch.tensor(dy))
    xn = ne.Tensor(x, requires_grad=True)
    yn = getattr(F, name)(xn, out)
    yn.backward(dy)
    assert yn.shape == tuple(yt.shape)
    assert_close(yn.numpy(), yt.detach().numpy())
    assert_close(xn.grad, xt.grad.numpy())
    if "max" in name:
        y2, idx = getattr(F, name)(ne.Tensor(x), out, return_indices=True)
        _, it = getattr(torch.nn.functional, name)(torch.tensor(x), out, return_indices=True)
        assert idx.numpy().dtype == np.int64 and np.array_equal(idx.numpy(), it.numpy())


def test_gradcheck():
    rng = np.random.default_rng(5)
    # distinct values in (-1, 1) over 0.02 apart: the finite-difference step (0.01) never changes the maximum
    x = ne.Tensor(rng.permutation(np.linspace(-0.95, 0.95, 84)).reshape(1, 2, 7, 6).astype(np.float32),
                  requires_grad=True)
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, (3, 4)), [x])
    assert gradcheck(lambda t: F.adaptive_max_pool2d(t, (3, 4)), [x])


def test_modules(torch):
    x = np.random.default_rng(6).standard_normal((2, 4, 12, 10)).astype(np.float32)
    pairs = [
        (ne.nn.AdaptiveAvgPool2d((1, 1)), torch.nn.AdaptiveAvgPool2d((1, 1)), x),
        (ne.nn.AdaptiveMaxPool2d(3), torch.nn.AdaptiveMaxPool2d(3), x),
        (ne.nn.AdaptiveAvgPool1d(3), torch.nn.AdaptiveAvgPool1d(3), x[:, :, 0]),
        (ne.nn.AdaptiveMaxPool1d(4), torch.nn.AdaptiveMaxPool1d(4), x[:, :, 0]),
    ]
    for nm, tm, inp in pairs:
        assert_close(nm(ne.Tensor(np.ascontiguousarray(inp))).numpy(), tm(torch.tensor(inp)).numpy())
        assert list(nm.state_dict()) == []
    y, idx = ne.nn.AdaptiveMaxPool2d(2, return_indices=True)(ne.Tensor(x))
    assert y.shape == (2, 4, 2, 2) and idx.shape == (2, 4, 2, 2)
    assert "output_size=(1, 1)" in repr(pairs[0][0])


def test_bad_input():
    x = ne.randn(2, 3, 8, 8)
    with pytest.raises(ValueError, match="output_size"):
        F.adaptive_avg_pool2d(x, 0)
    with pytest.raises(TypeError, match="output_size"):
        F.adaptive_avg_pool2d(x, (1, 2, 3))
    with pytest.raises(ValueError, match="input: expected 3 or 4 dimensions"):
        F.adaptive_max_pool2d(ne.randn(8, 8), 2)
    with pytest.raises(ValueError, match="input: expected a non-empty spatial size"):
        F.adaptive_avg_pool1d(ne.randn(2, 3, 0), 2)
    f32 = np.float32
    with pytest.raises(ValueError, match="kind: expected 'max' or 'avg'"):
        _core.adaptive_pool2d_forward(np.zeros((1, 1, 4, 4), f32), "min", (2, 2))
    with pytest.raises(ValueError, match="indices: values must lie in"):
        _core.adaptive_pool2d_backward(np.zeros((1, 1, 2, 2), f32), "max", np.full((1, 1, 2, 2), 16, np.int32), (4, 4))
    with pytest.raises(ValueError, match="indices: adaptive max pooling backward needs"):
        _core.adaptive_pool2d_backward(np.zeros((1, 1, 2, 2), f32), "max", None, (4, 4))
    with pytest.raises(ValueError, match="expected at most 2\\^31 elements"):
        _core.adaptive_pool2d_forward(np.zeros((1, 1, 4, 4), f32), "avg", (2**30, 2**30))
