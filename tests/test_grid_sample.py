"""F.affine_grid and F.grid_sample (2-D): outputs and gradients for input, grid and theta equal torch's for every
mode x padding_mode x align_corners (grid points inside, on and well outside the image, float32 and float64), a
finite-difference check of the new backward, and the identity transform reproducing the image."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine.autograd import gradcheck

COMBOS = list(itertools.product(["bilinear", "nearest"], ["zeros", "border", "reflection"], [False, True]))


def _data(dtype, seed=0):
    rng = np.random.default_rng(seed)
    img = rng.standard_normal((2, 3, 5, 6)).astype(dtype)
    grid = (rng.random((2, 4, 7, 2)) * 3.2 - 1.6).astype(dtype)  # inside, near and outside [-1, 1]
    grid[0, 0, :3] = [[-1.0, -1.0], [1.0, 1.0], [0.0, 0.0]]
    return img, grid


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode,padding,align", COMBOS)
def test_grid_sample_matches_torch(torch, mode, padding, align, dtype):
    img, grid = _data(dtype)
    a, g = ne.tensor(img, requires_grad=True), ne.tensor(grid, requires_grad=True)
    ta, tg = torch.tensor(img, requires_grad=True), torch.tensor(grid, requires_grad=True)
    out = F.grid_sample(a, g, mode, padding, align)
    ref = torch.nn.functional.grid_sample(ta, tg, mode, padding, align)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    assert out.dtype == dtype
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), **tol)
    w = np.random.default_rng(1).standard_normal(ref.shape).astype(dtype)
    (out * ne.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(a.grad, ta.grad.numpy(), **tol)
    np.testing.assert_allclose(g.grad, tg.grad.numpy(), **tol)


@pytest.mark.parametrize("padding,align", [("zeros", False), ("border", True), ("reflection", False)])
def test_gradcheck(padding, align):
    img, _ = _data(np.float64, seed=3)
    grid = np.random.default_rng(4).random((1, 2, 3, 2)) * 2.6 - 1.3  # off the integer pixel coordinates (kinks)
    a = ne.tensor(img[:1, :2], requires_grad=True)
    g = ne.tensor(grid, requires_grad=True)
    assert gradcheck(lambda x, y: F.grid_sample(x, y, "bilinear", padding, align), [a, g], eps=1e-6, atol=1e-5)


@pytest.mark.filterwarnings("ignore:Since version 1.3.0")  # torch's note on unit-size grids
@pytest.mark.parametrize("align", [False, True])
def test_affine_grid_matches_torch_and_identity_reproduces(torch, align):
    rng = np.random.default_rng(0)
    theta = rng.standard_normal((2, 2, 3)).astype(np.float32)
    for size in [(2, 3, 5, 7), (2, 1, 1, 4)]:
        t = ne.tensor(theta, requires_grad=True)
        tt = torch.tensor(theta, requires_grad=True)
        grid = F.affine_grid(t, size, align_corners=align)
        ref = torch.nn.functional.affine_grid(tt, size, align_corners=align)
        np.testing.assert_allclose(grid.detach().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
        w = rng.standard_normal(ref.shape).astype(np.float32)
        (grid * ne.tensor(w)).sum().backward()
        (ref * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-5, atol=1e-5)
    img = ne.randn(2, 3, 5, 7)
    eye = ne.tensor(np.tile(np.array([[1.0, 0, 0], [0, 1.0, 0]], np.float32), (2, 1, 1)))
    same = F.grid_sample(img, F.affine_grid(eye, (2, 3, 5, 7), align_corners=align), align_corners=align)
    np.testing.assert_allclose(same.numpy(), img.numpy(), atol=1e-5)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: F.grid_sample(ne.ones(1, 1, 3, 3), ne.zeros(1, 2, 2, 2), mode="bicubic"), ValueError, "mode"),
    (lambda: F.grid_sample(ne.ones(1, 1, 3, 3), ne.zeros(1, 2, 2, 2), padding_mode="wrap"), ValueError,
     "padding_mode"),
    (lambda: F.grid_sample(ne.ones(1, 1, 3, 3), ne.zeros(2, 2, 2, 2)), ValueError, "grid"),
    (lambda: F.grid_sample(ne.ones(1, 3, 3), ne.zeros(1, 2, 2, 2)), ValueError, "input"),
    (lambda: F.affine_grid(ne.zeros(1, 2, 3), (1, 1, 4)), ValueError, "size"),
    (lambda: F.affine_grid(ne.zeros(2, 2, 3), (1, 1, 4, 4)), ValueError, "theta"),
])
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
