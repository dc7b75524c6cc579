"""F.interpolate / nn.Upsample's modes beyond the kernels': 'nearest-exact', 'area', 'bicubic', 'trilinear' and 5-D
'nearest': a float64 oracle (one dense matrix per axis, built element by element from torch's formulas, its adjoint
the gradient), PyTorch side by side (shapes, values, gradients; sizes and scale factors, align_corners, odd shapes,
up- and downsampling), finite differences, the module and bad arguments."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import assert_close

import nnengine as ne
import nnengine.functional as F
from nnengine.autograd import gradcheck

f32 = np.float32


# ------------------------------------------------------------------ the float64 oracle
def _scale(n_in, n_out, ac, sf):
    """torch's area_pixel_compute_scale<float> (float32, as torch's CPU kernels for float input)."""
    if ac:
        return float(f32(n_in - 1) / f32(n_out - 1)) if n_out > 1 else 0.0
    return float(f32(1.0 / sf)) if sf else float(f32(n_in) / f32(n_out))


def _cubic(x, A=-0.75):
    x = abs(x)
    if x <= 1:
        return ((A + 2) * x - (A + 3)) * x * x + 1
    if x < 2:
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
    return 0.0


def axis_matrix(mode, n_in, n_out, ac=False, sf=None):
    """The (n_out, n_in) float64 matrix of one axis, one row at a time from torch's formulas."""
    M = np.zeros((n_out, n_in))
    for o in range(n_out):
        if mode == "nearest-exact":
            src = math.floor(f32((o + 0.5) * _scale(n_in, n_out, False, sf)))  # floorf of the double product
            M[o, min(src, n_in - 1)] = 1.0
        elif mode == "nearest":
            M[o, min(math.floor(f32(o) * f32(_scale(n_in, n_out, False, sf))), n_in - 1)] = 1.0
        elif mode == "area":  # adaptive average pooling
            a, b = (o * n_in) // n_out, -((-(o + 1) * n_in) // n_out)
            M[o, a:b] = 1.0 / (b - a)
        elif mode == "linear":
            if n_in == n_out:
                M[o, o] = 1.0
                continue
            sc = _scale(n_in, n_out, ac, sf)
            real = sc * o if ac else max(sc * (o + 0.5) - 0.5, 0.0)
            i0 = min(int(math.floor(real)), n_in - 1)
            lam = min(max(real - i0, 0.0), 1.0)
            M[o, i0] += 1 - lam
            M[o, min(i0 + 1, n_in - 1)] += lam
        elif mode == "cubic":
            sc = _scale(n_in, n_out, ac, sf)
            real = sc * o if ac else sc * (o + 0.5) - 0.5
            i = min(int(math.floor(real)), n_in - 1)
            t = min(max(real - i, 0.0), 1.0)
            for j, d in zip(range(-1, 3), (t + 1, t, 1 - t, 2 - t)):
                M[o, min(max(i + j, 0), n_in - 1)] += _cubic(d)
    return M


AXIS_MODE = {"nearest-exact": "nearest-exact", "nearest": "nearest", "area": "area", "bicubic": "cubic",
             "trilinear": "linear"}


def oracle(x, out, mode, ac=False, sfs=None):
    """(y, dx_of(dy)) in float64: the axis matrices applied to the trailing axes, the gradient their adjoint."""
    nd = len(out)
    mats = [axis_matrix(AXIS_MODE[mode], n, o, ac, s) for n, o, s in zip(x.shape[-nd:], out, sfs or (None,) * nd)]

    def apply(a, ms, transpose=False):
        a = np.asarray(a, np.float64)
        for j, m in enumerate(ms):
            a = np.moveaxis(np.tensordot(m.T if transpose else m, np.moveaxis(a, a.ndim - nd + j, 0), axes=1), 0,
                            a.ndim - nd + j)
        return a

    return apply(x, mats), lambda dy: apply(dy, mats, True)


def _outsize(shape, size, scale_factor):
    nd = len(shape) - 2
    if size is not None:
        return tuple(size) if isinstance(size, (tuple, list)) else (size,) * nd
    sf = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * nd
    return tuple(int(math.floor(n * f)) for n, f in zip(shape[2:], sf))


CASES = [  # (shape, kwargs): odd sizes, 1 and 2, up- and downsampling, sizes and scale factors, align_corners
    ((2, 3, 7), dict(size=13, mode="nearest-exact")),
    ((2, 3, 7), dict(size=2, mode="nearest-exact")),
    ((1, 2, 1), dict(scale_factor=3, mode="nearest-exact")),
    ((2, 3, 7, 5), dict(scale_factor=(1.7, 0.6), mode="nearest-exact")),
    ((2, 3, 7, 5), dict(scale_factor=2.5, mode="nearest-exact", recompute_scale_factor=True)),
    ((1, 2, 2, 3, 4), dict(size=(3, 7, 2), mode="nearest-exact")),
    ((2, 3, 10), dict(size=3, mode="area")),
    ((2, 3, 7, 9), dict(size=(2, 4), mode="area")),
    ((2, 3, 5, 4), dict(size=(7, 9), mode="area")),
    ((2, 3, 7, 9), dict(scale_factor=0.5, mode="area")),
    ((1, 2, 5, 6, 7), dict(size=(2, 3, 4), mode="area")),
    ((1, 2, 2, 3, 1), dict(scale_factor=(1.5, 2.0, 3.0), mode="area")),
    ((2, 3, 7, 5), dict(size=(13, 9), mode="bicubic")),
    ((2, 3, 7, 5), dict(size=(13, 9), mode="bicubic", align_corners=True)),
    ((2, 3, 8, 9), dict(size=(3, 4), mode="bicubic")),
    ((2, 3, 8, 9), dict(size=(3, 4), mode="bicubic", align_corners=True)),
    ((2, 3, 7, 5), dict(scale_factor=2, mode="bicubic")),
    ((2, 3, 7, 5), dict(scale_factor=(1.7, 0.6), mode="bicubic", align_corners=False)),
    ((2, 3, 7, 5), dict(scale_factor=1.7, mode="bicubic", recompute_scale_factor=True)),
    ((1, 2, 1, 1), dict(size=(3, 2), mode="bicubic")),
    ((1, 2, 2, 7), dict(size=(1, 1), mode="bicubic", align_corners=True)),
    ((1, 2, 1, 2), dict(scale_factor=3, mode="bicubic", align_corners=True)),
    ((2, 2, 3, 4, 5), dict(scale_factor=2, mode="trilinear")),
    ((2, 2, 3, 4, 5), dict(size=(5, 2, 9), mode="trilinear", align_corners=True)),
    ((2, 2, 7, 4, 5), dict(size=(3, 4, 2), mode="trilinear", align_corners=False)),
    ((1, 2, 1, 2, 7), dict(scale_factor=(2.0, 1.5, 0.5), mode="trilinear")),
    ((1, 2, 2, 1, 3), dict(size=(1, 4, 1), mode="trilinear", align_corners=True)),
    ((2, 2, 3, 4, 5), dict(scale_factor=(1.5, 2.5, 0.6), mode="nearest")),
    ((1, 2, 1, 7, 2), dict(size=(2, 3, 5), mode="nearest")),
]


def _cid(c):
    return f"{c[1]['mode']}-{'x'.join(map(str, c[0]))}-" + "-".join(f"{k}{v}" for k, v in c[1].items() if k != "mode")


@pytest.mark.parametrize("shape,kw", CASES, ids=[_cid(c) for c in CASES])
def test_matches_oracle_and_torch(shape, kw, torch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    out = _outsize(shape, kw.get("size"), kw.get("scale_factor"))
    sf = kw.get("scale_factor")
    sfs = None if sf is None or kw.get("recompute_scale_factor") else (
        tuple(sf) if isinstance(sf, tuple) else (sf,) * (len(shape) - 2))
    yr, bwd = oracle(x, out, kw["mode"], bool(kw.get("align_corners")), sfs if kw["mode"] != "area" else None)
    # the oracle is torch's forward, in float64
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.interpolate(xt, **kw)
    assert_close(yt.detach().numpy(), yr, tol=1e-5)
    dy = rng.standard_normal(yr.shape).astype(np.float32)
    yt.backward(torch.tensor(dy))
    # nnengine against both
    xn = ne.Tensor(x, requires_grad=True)
    yn = F.interpolate(xn, **kw)
    assert yn.shape == tuple(yt.shape) == yr.shape
    assert_close(yn.numpy(), yr, tol=2e-6)
    assert_close(yn.numpy(), yt.detach().numpy(), tol=1e-5)
    yn.backward(dy)
    assert_close(xn.grad, bwd(dy), tol=2e-6)
    assert_close(xn.grad, xt.grad.numpy(), tol=1e-5)


def _grid():
    """A wider torch sweep: every mode, both align_corners where they apply, sizes 1/2/odd, sizes and scales."""
    out = []
    for mode, nd, acs in [("nearest-exact", 1, [None]), ("nearest-exact", 2, [None]), ("area", 2, [None]),
                          ("bicubic", 2, [False, True]), ("trilinear", 3, [False, True]), ("nearest", 3, [None]),
                          ("nearest-exact", 3, [None]), ("area", 1, [None])]:
        for ins in [(1,) * nd, (2,) * nd, (7, 3, 5)[:nd]]:
            for ac in acs:
                for size in [(1,) * nd, (2, 5, 3)[:nd], (9, 4, 13)[:nd]]:
                    out.append(((2, 2) + ins, dict(size=size, mode=mode, align_corners=ac)))
                for sf in [0.5, 2.0, 3.3]:
                    if min(int(n * sf) for n in ins) >= 1 and any(int(n * sf) != n for n in ins):
                        out.append(((2, 2) + ins, dict(scale_factor=sf, mode=mode, align_corners=ac)))
    return out


def test_torch_sweep(torch):
    rng = np.random.default_rng(1)
    for shape, kw in _grid():
        x = rng.standard_normal(shape).astype(np.float32)
        xt = torch.tensor(x, requires_grad=True)
        yt = torch.nn.functional.interpolate(xt, **kw)
        dy = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
        yt.backward(torch.tensor(dy))
        xn = ne.Tensor(x, requires_grad=True)
        yn = F.interpolate(xn, **kw)
        yn.backward(dy)
        assert yn.shape == tuple(yt.shape), (shape, kw)
        np.testing.assert_allclose(yn.numpy(), yt.detach().numpy(), atol=1e-5, err_msg=f"{shape} {kw}")
        np.testing.assert_allclose(xn.grad, xt.grad.numpy(), atol=1e-5, err_msg=f"{shape} {kw}")


def test_gradcheck_finite_differences():
    rng = np.random.default_rng(2)
    x4 = ne.Tensor(rng.standard_normal((1, 2, 4, 5)).astype(np.float32), requires_grad=True)
    x5 = ne.Tensor(rng.standard_normal((1, 2, 3, 2, 4)).astype(np.float32), requires_grad=True)
    x3 = ne.Tensor(rng.standard_normal((2, 2, 5)).astype(np.float32), requires_grad=True)
    assert gradcheck(lambda t: F.interpolate(t, size=(7, 3), mode="bicubic"), [x4])
    assert gradcheck(lambda t: F.interpolate(t, scale_factor=2.5, mode="bicubic", align_corners=True), [x4])
    assert gradcheck(lambda t: F.interpolate(t, size=(3, 9), mode="nearest-exact"), [x4])
    assert gradcheck(lambda t: F.interpolate(t, size=(3, 2), mode="area"), [x4])
    assert gradcheck(lambda t: F.interpolate(t, size=(5, 3, 7), mode="trilinear"), [x5])
    assert gradcheck(lambda t: F.interpolate(t, scale_factor=1.5, mode="trilinear", align_corners=True), [x5])
    assert gradcheck(lambda t: F.interpolate(t, size=(2, 5, 3), mode="area"), [x5])
    assert gradcheck(lambda t: F.interpolate(t, size=(4, 3, 5), mode="nearest"), [x5])
    assert gradcheck(lambda t: F.interpolate(t, size=8, mode="nearest-exact"), [x3])
    # a scale factor whose output keeps the input size: torch's backward kernels copy dy there (their
    # "output_size == input_size" shortcut) although the forward does not; nnengine's gradient is the forward's
    assert gradcheck(lambda t: F.interpolate(t, scale_factor=1.3, mode="bicubic"), [
        ne.Tensor(rng.standard_normal((1, 1, 2, 3)).astype(np.float32), requires_grad=True)])


def test_upsample_module_matches_torch(torch):
    x4 = np.random.default_rng(3).standard_normal((2, 3, 5, 6)).astype(np.float32)
    x5 = np.random.default_rng(4).standard_normal((1, 2, 3, 4, 5)).astype(np.float32)
    for x, kw in [(x4, dict(scale_factor=2, mode="bicubic")), (x4, dict(size=(7, 3), mode="bicubic", align_corners=True)),
                  (x4, dict(size=(2, 3), mode="area")), (x4, dict(scale_factor=1.5, mode="nearest-exact")),
                  (x5, dict(scale_factor=2, mode="trilinear")), (x5, dict(size=(4, 5, 6), mode="nearest"))]:
        nm, tm = ne.nn.Upsample(**kw), torch.nn.Upsample(**kw)
        assert_close(nm(ne.Tensor(x)).numpy(), tm(torch.tensor(x)).numpy(), tol=1e-5)
        assert list(nm.state_dict()) == []


def test_bad_arguments():
    x = ne.randn(1, 2, 6, 6)
    with pytest.raises(ValueError, match="antialias: only for the bilinear and bicubic modes"):
        F.interpolate(ne.randn(1, 2, 6), size=3, mode="linear", antialias=True)
    with pytest.raises(ValueError, match="antialias: only for the bilinear and bicubic modes"):
        F.interpolate(x, size=3, mode="nearest-exact", antialias=True)
    with pytest.raises(ValueError, match="align_corners: can only be set .* got mode 'area'"):
        F.interpolate(x, size=3, mode="area", align_corners=False)
    with pytest.raises(ValueError, match="align_corners: can only be set .* got mode 'nearest-exact'"):
        F.interpolate(x, size=3, mode="nearest-exact", align_corners=True)
    with pytest.raises(ValueError, match="input: mode 'bicubic' needs 4-D input"):
        F.interpolate(ne.randn(1, 2, 6), size=3, mode="bicubic")
    with pytest.raises(ValueError, match="input: mode 'trilinear' needs 5-D input"):
        F.interpolate(x, size=3, mode="trilinear")
    with pytest.raises(ValueError, match="mode: expected one of"):
        F.interpolate(x, size=3, mode="cubic")
    with pytest.raises(ValueError, match="input: expected 3 or 4 or 5 dimensions"):
        F.interpolate(ne.randn(1, 1, 2, 2, 2, 2), size=3)
    with pytest.raises(ValueError, match="size: expected 3 values"):
        F.interpolate(ne.randn(1, 1, 2, 2, 2), size=(3, 3), mode="trilinear")
    with pytest.raises(TypeError, match="size: expected ints"):
        F.interpolate(x, size=2.5, mode="bicubic")
    with pytest.raises(ValueError, match="scale_factor: expected positive finite"):
        F.interpolate(ne.randn(1, 1, 2, 2, 2), scale_factor=float("nan"), mode="nearest-exact")
    with pytest.raises(ValueError, match="size: the output size"):
        F.interpolate(x, scale_factor=0.1, mode="area")
    with pytest.raises(ValueError, match="size, scale_factor: expected exactly one"):
        F.interpolate(x, mode="bicubic")


@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("kw", [dict(size=(5, 7)), dict(size=(34, 40)), dict(size=(17, 9)), dict(scale_factor=0.37),
                                dict(scale_factor=(0.5, 2.5)), dict(size=(4, 5), align_corners=True), dict(size=(1, 1)),
                                dict(scale_factor=0.3, recompute_scale_factor=True)], ids=str)
def test_antialias_matches_torch(torch, mode, kw):
    # torch's _compute_weights_aa: PIL's filters (triangle; Keys' cubic A = -0.5), stretched when shrinking
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 17, 23)).astype(np.float32)
    a, b = ne.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ya = F.interpolate(a, mode=mode, antialias=True, **kw)
    yb = torch.nn.functional.interpolate(b, mode=mode, antialias=True, **kw)
    assert_close(ya.detach().numpy(), yb.detach().numpy(), tol=1e-5)
    g = rng.standard_normal(tuple(yb.shape)).astype(np.float32)
    ya.backward(ne.Tensor(g))
    yb.backward(torch.tensor(g))
    assert_close(a.grad.numpy(), b.grad.numpy(), tol=1e-5)


def test_antialias_preserves_constants_and_is_an_average_when_shrinking_by_an_integer():
    assert float((F.interpolate(ne.ones(1, 1, 9, 13), size=(4, 5), mode="bicubic", antialias=True) - 1).abs().max()) < 1e-6
    x = ne.randn(1, 2, 8, 8)
    got = F.interpolate(x, size=(4, 4), mode="bilinear", antialias=True)  # a 2x shrink: the triangle over 4 taps
    w = np.array([1.0, 3.0, 3.0, 1.0]) / 8.0
    xp = np.pad(x.numpy(), ((0, 0), (0, 0), (1, 1), (1, 1)))
    ref = np.zeros((1, 2, 4, 4))
    for i in range(4):
        for j in range(4):
            patch = xp[:, :, 2 * i:2 * i + 4, 2 * j:2 * j + 4]
            wi = w.copy() if 0 < i else np.array([0.0, 3.0, 3.0, 1.0]) / 7.0
            wi = wi if i < 3 else np.array([1.0, 3.0, 3.0, 0.0]) / 7.0
            wj = w.copy() if 0 < j else np.array([0.0, 3.0, 3.0, 1.0]) / 7.0
            wj = wj if j < 3 else np.array([1.0, 3.0, 3.0, 0.0]) / 7.0
            ref[:, :, i, j] = np.einsum("ncab,a,b->nc", patch, wi, wj)
    assert_close(got.numpy(), ref, tol=1e-5)
