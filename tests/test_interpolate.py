"""The interpolate kernel family (F.interpolate, F.upsample, Upsample): the float64 oracle (interpolation as a
dense matrix, its adjoint proven by finite differences), the kernels on every ISA, the scalar twins, 1 vs 2
threads, PyTorch side by side (values and gradients) and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close, numeric_grad
from reference import interpolate as ref

import nnengine as ne
import nnengine.functional as F
from nnengine import _core
from nnengine.autograd import gradcheck

INTERP = [  # (N, C, H, W, P, Q, mode, align_corners, scales)
    (2, 3, 8, 8, 16, 16, "nearest", False, (2.0, 2.0)),
    (1, 2, 7, 9, 15, 17, "nearest", False, (0.0, 0.0)),
    (2, 2, 9, 33, 4, 8, "nearest", False, (0.0, 0.0)),  # downsampling
    (1, 3, 5, 6, 15, 9, "nearest", False, (3.0, 1.5)),
    (2, 3, 8, 7, 16, 14, "bilinear", False, (2.0, 2.0)),
    (1, 2, 7, 9, 17, 8, "bilinear", False, (0.0, 0.0)),
    (1, 2, 7, 9, 17, 8, "bilinear", True, (0.0, 0.0)),
    (2, 1, 1, 16, 1, 33, "bilinear", True, (0.0, 0.0)),  # 1-D
    (1, 2, 16, 15, 1, 7, "bilinear", True, (0.0, 0.0)),  # out == 1 with align_corners
    (1, 2, 9, 9, 9, 9, "bilinear", False, (0.0, 0.0)),  # identity
]


def _iid(c):
    return "x".join(map(str, c[:6])) + f"-{c[6]}-ac{int(c[7])}-s{c[8][0]}"


def test_interp_oracle_adjoint_matches_finite_differences():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 1, 4, 5))
    dy = rng.standard_normal((1, 1, 7, 3))
    _, Ah, Aw = ref.interpolate(x, (7, 3), "bilinear", False)
    dx = np.einsum("ph,ncpq,qw->nchw", Ah, dy, Aw)
    np.testing.assert_allclose(dx, numeric_grad(lambda v: (ref.interpolate(v, (7, 3), "bilinear", False)[0] * dy).sum(), x),
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("cfg", INTERP, ids=_iid)
def test_interpolate_kernels_match_oracle(cfg, isa):
    N, C, H, W, P, Q, mode, ac, sc = cfg
    rng = np.random.default_rng(1)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    dy = rng.standard_normal((N, C, P, Q)).astype(np.float32)
    yr, Ah, Aw = ref.interpolate(x, (P, Q), mode, ac, sc)
    assert_close(_core.interpolate_forward(x, (P, Q), mode, ac, sc), yr)
    dx = _core.interpolate_backward(dy, (H, W), mode, ac, sc)
    assert_close(dx, np.einsum("ph,ncpq,qw->nchw", Ah, dy.astype(np.float64), Aw))
    assert_close(_core.interpolate_forward(x, (P, Q), mode, ac, sc, reference=True),
           _core.interpolate_forward(x, (P, Q), mode, ac, sc))
    assert_close(_core.interpolate_backward(dy, (H, W), mode, ac, sc, reference=True), dx)


INTERP_TORCH = [
    ((2, 3, 8, 7), dict(scale_factor=2)),
    ((2, 3, 8, 7), dict(size=(13, 5))),
    ((2, 3, 9, 7), dict(scale_factor=(1.7, 0.6))),
    ((2, 3, 8, 7), dict(scale_factor=2, mode="bilinear")),
    ((2, 3, 8, 7), dict(scale_factor=2, mode="bilinear", align_corners=True)),
    ((2, 3, 8, 7), dict(size=(17, 3), mode="bilinear", align_corners=False)),
    ((2, 3, 9, 7), dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True)),
    ((2, 3, 9, 7), dict(scale_factor=2.5, mode="bilinear")),
    ((2, 3, 17), dict(scale_factor=3)),
    ((2, 3, 17), dict(size=40, mode="linear", align_corners=True)),
    ((2, 3, 17), dict(scale_factor=0.5, mode="linear")),
]


@pytest.mark.parametrize("shape,kw", INTERP_TORCH, ids=[str(i) for i in range(len(INTERP_TORCH))])
def test_interpolate_matches_torch(shape, kw, torch):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.interpolate(xt, **kw)
    dy = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    yt.backward(torch.tensor(dy))
    xn = ne.Tensor(x, requires_grad=True)
    yn = F.interpolate(xn, **kw)
    yn.backward(dy)
    assert yn.shape == tuple(yt.shape)
    assert_close(yn.numpy(), yt.detach().numpy())
    assert_close(xn.grad, xt.grad.numpy(), tol=1e-5)


def test_upsample_modules(torch):
    x = np.random.default_rng(3).standard_normal((2, 3, 5, 6)).astype(np.float32)
    for nm, tm in (
        (ne.nn.Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2)),
        (ne.nn.Upsample(size=(7, 9), mode="bilinear"), torch.nn.Upsample(size=(7, 9), mode="bilinear")),
        (ne.nn.UpsamplingNearest2d(scale_factor=3), torch.nn.UpsamplingNearest2d(scale_factor=3)),
        (ne.nn.UpsamplingBilinear2d(size=11), torch.nn.UpsamplingBilinear2d(size=11)),
    ):
        assert_close(nm(ne.Tensor(x)).numpy(), tm(torch.tensor(x)).numpy())
        assert list(nm.state_dict()) == []


def test_one_and_two_threads_identical(threads, isa):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((5, 13, 17, 19)).astype(np.float32)
    outs = []
    for n in (1, 2):
        with threads(n):
            y = _core.interpolate_forward(x, (33, 25), "bilinear", False, (0.0, 0.0))
            outs.append((y, _core.interpolate_backward(y, (17, 19), "bilinear", False, (0.0, 0.0))))
    for a, b in zip(*outs):
        assert np.array_equal(a, b)


def test_gradcheck():
    rng = np.random.default_rng(9)
    x = ne.Tensor(rng.standard_normal((2, 2, 4, 5)).astype(np.float32), requires_grad=True)
    assert gradcheck(lambda t: F.interpolate(t, size=(7, 3), mode="bilinear", align_corners=True), [x])
    assert gradcheck(lambda t: F.interpolate(t, scale_factor=2), [x])


def test_interpolate_bad_input():
    x = ne.randn(2, 3, 8, 8)
    f32 = np.float32
    with pytest.raises(ValueError, match="size, scale_factor: expected exactly one"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="size, scale_factor: expected exactly one"):
        F.interpolate(x, size=4, scale_factor=2)
    with pytest.raises(ValueError, match="mode: expected one of"):
        F.interpolate(x, size=4, mode="cubic")
    with pytest.raises(ValueError, match="input: mode 'bilinear' needs 4-D input"):
        F.interpolate(ne.randn(2, 3, 8), size=4, mode="bilinear")
    with pytest.raises(ValueError, match="align_corners: can only be set"):
        F.interpolate(x, size=4, align_corners=True)
    with pytest.raises(ValueError, match="size: expected 2 values"):
        F.interpolate(x, size=(1, 2, 3))
    with pytest.raises(ValueError, match="scale_factor: expected positive finite"):
        F.interpolate(x, scale_factor=-1.0)
    with pytest.raises(ValueError, match="size: the output size"):
        F.interpolate(x, scale_factor=0.1)
    with pytest.raises(ValueError, match="mode: expected 'nearest' or 'bilinear'"):
        _core.interpolate_forward(np.zeros((1, 1, 4, 4), f32), (2, 2), "area")
    with pytest.raises(ValueError, match="expected at most 2\\^31 elements"):
        _core.interpolate_forward(np.zeros((1, 1, 4, 4), f32), (2**30, 2**30))
