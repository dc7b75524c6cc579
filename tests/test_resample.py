"""The interpolate, pad and dropout2d kernel families (F.interpolate / Upsample, F.pad and the padding layers,
Dropout1d / Dropout2d): float64 oracles (interpolation as a dense matrix, pad through numpy.pad; the adjoints
proven by finite differences), the kernels on every ISA, the scalar twins, 1 vs 2 threads, PyTorch side by side
(values and gradients) and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import numeric_grad

import nnengine as ne
import nnengine.functional as F
from nnengine import _core
from nnengine.autograd import gradcheck


def _close(a, b, tol=2e-6):
    scale = max(1.0, float(np.abs(b).max()))
    np.testing.assert_allclose(a, b, rtol=0, atol=tol * scale)


# ------------------------------------------------------------------------------------------- interpolate
def interp_matrix(n_in, n_out, mode, align_corners, scale=0.0):
    """(n_out, n_in) float64 matrix of torch's 1-D resampling (indices computed in float32 as torch does)."""
    A = np.zeros((n_out, n_in))
    f32 = np.float32
    if mode == "bilinear" and align_corners:
        sc = f32(n_in - 1) / f32(n_out - 1) if n_out > 1 else f32(0)
    else:
        sc = f32(1.0 / scale) if scale > 0 else f32(n_in) / f32(n_out)
    for o in range(n_out):
        if mode == "nearest":
            i = o if n_out == n_in else o >> 1 if n_out == 2 * n_in else min(int(math.floor(f32(o) * sc)), n_in - 1)
            A[o, i] = 1.0
            continue
        src = sc * f32(o) if align_corners else max(sc * (f32(o) + f32(0.5)) - f32(0.5), f32(0))
        i0 = min(int(src), n_in - 1)
        i1 = i0 + (1 if i0 < n_in - 1 else 0)
        lam = min(max(float(src) - i0, 0.0), 1.0)
        A[o, i0] += 1 - lam
        A[o, i1] += lam
    return A


def interp_ref(x, out, mode, align_corners, scales=(0.0, 0.0)):
    Ah = interp_matrix(x.shape[2], out[0], mode, align_corners, scales[0])
    Aw = interp_matrix(x.shape[3], out[1], mode, align_corners, scales[1])
    return np.einsum("ph,nchw,qw->ncpq", Ah, np.asarray(x, np.float64), Aw), Ah, Aw


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
    _, Ah, Aw = interp_ref(x, (7, 3), "bilinear", False)
    dx = np.einsum("ph,ncpq,qw->nchw", Ah, dy, Aw)
    np.testing.assert_allclose(dx, numeric_grad(lambda v: (interp_ref(v, (7, 3), "bilinear", False)[0] * dy).sum(), x),
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("cfg", INTERP, ids=_iid)
def test_interpolate_kernels_match_oracle(cfg, isa):
    N, C, H, W, P, Q, mode, ac, sc = cfg
    rng = np.random.default_rng(1)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    dy = rng.standard_normal((N, C, P, Q)).astype(np.float32)
    yr, Ah, Aw = interp_ref(x, (P, Q), mode, ac, sc)
    _close(_core.interpolate_forward(x, (P, Q), mode, ac, sc), yr)
    dx = _core.interpolate_backward(dy, (H, W), mode, ac, sc)
    _close(dx, np.einsum("ph,ncpq,qw->nchw", Ah, dy.astype(np.float64), Aw))
    _close(_core.interpolate_forward(x, (P, Q), mode, ac, sc, reference=True),
           _core.interpolate_forward(x, (P, Q), mode, ac, sc))
    _close(_core.interpolate_backward(dy, (H, W), mode, ac, sc, reference=True), dx)


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
    _close(yn.numpy(), yt.detach().numpy())
    _close(xn.grad, xt.grad.numpy(), tol=1e-5)


def test_upsample_modules(torch):
    x = np.random.default_rng(3).standard_normal((2, 3, 5, 6)).astype(np.float32)
    for nm, tm in (
        (ne.nn.Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2)),
        (ne.nn.Upsample(size=(7, 9), mode="bilinear"), torch.nn.Upsample(size=(7, 9), mode="bilinear")),
        (ne.nn.UpsamplingNearest2d(scale_factor=3), torch.nn.UpsamplingNearest2d(scale_factor=3)),
        (ne.nn.UpsamplingBilinear2d(size=11), torch.nn.UpsamplingBilinear2d(size=11)),
    ):
        _close(nm(ne.Tensor(x)).numpy(), tm(torch.tensor(x)).numpy())
        assert list(nm.state_dict()) == []


# ------------------------------------------------------------------------------------------------- pad
def pad_ref(x, pads, mode, value=0.0):
    """float64 F.pad of the last len(pads)//2 dims through numpy.pad (negative pads crop first)."""
    x = np.asarray(x, np.float64)
    nd = len(pads) // 2
    widths = [(0, 0)] * (x.ndim - nd)
    crops = [slice(None)] * (x.ndim - nd)
    for d in range(nd):  # pads list the last dimension first
        lo, hi = pads[2 * (nd - 1 - d)], pads[2 * (nd - 1 - d) + 1]
        n = x.shape[x.ndim - nd + d]
        crops.append(slice(max(0, -lo), n - max(0, -hi)))
        widths.append((max(0, lo), max(0, hi)))
    x = x[tuple(crops)]
    npmode = {"constant": "constant", "reflect": "reflect", "replicate": "edge"}[mode]
    return np.pad(x, widths, npmode, **({"constant_values": value} if mode == "constant" else {}))


PADS = [  # (shape, pads, mode)
    ((2, 3, 7, 9), (1, 2, 3, 0), "constant"),
    ((2, 3, 7, 9), (-2, 1, 0, -3), "constant"),
    ((2, 3, 7, 9), (3, 2, 1, 6), "reflect"),
    ((2, 3, 7, 9), (8, 8, 6, 6), "reflect"),
    ((2, 3, 7, 9), (5, 0, 9, 2), "replicate"),
    ((2, 3, 33), (7, 8), "reflect"),
    ((3, 17), (16, 1), "replicate"),
    ((2, 3, 1, 1), (2, 3, 4, 5), "replicate"),
    ((4, 16), (0, 0), "constant"),
]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "constant"])
def test_pad_oracle_adjoint_matches_finite_differences(mode):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 1, 4, 5))
    pads = (3, 1, 2, 3) if mode != "constant" else (2, -1, 3, 0)
    y = pad_ref(x, pads, mode)
    dy = rng.standard_normal(y.shape)
    dx = _core.pad_backward(dy.astype(np.float32), (4, 5), pads, mode, reference=True)
    np.testing.assert_allclose(dx, numeric_grad(lambda v: (pad_ref(v, pads, mode) * dy).sum(), x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape,pads,mode", PADS, ids=[f"{p[2]}-{i}" for i, p in enumerate(PADS)])
def test_pad_kernels_match_oracle(shape, pads, mode, isa):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape).astype(np.float32)
    value = 1.5 if mode == "constant" else None
    xn = ne.Tensor(x, requires_grad=True)
    y = F.pad(xn, pads, mode, value)
    _close(y.numpy(), pad_ref(x, pads, mode, value or 0.0))
    dy = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(dy)
    # the adjoint through the dense Jacobian of the oracle, column by column (small shapes)
    jac_dx = np.zeros(x.size)
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = 1.0
        jac_dx[i] = (pad_ref(e.reshape(shape), pads, mode, 0.0) * dy).sum()
    _close(xn.grad, jac_dx.reshape(shape))
    nd = len(pads) // 2
    x4 = x.reshape((-1, 1) + ((1,) if nd == 1 else ()) + shape[-nd:])
    p4 = tuple(pads) + ((0, 0) if nd == 1 else ())
    _close(_core.pad_forward(x4, p4, mode, value or 0.0, reference=True), _core.pad_forward(x4, p4, mode, value or 0.0))
    dy4 = dy.reshape((x4.shape[0], 1) + y.shape[-2:] if nd == 2 else (x4.shape[0], 1, 1, y.shape[-1]))
    _close(_core.pad_backward(dy4, x4.shape[2:], p4, mode, reference=True),
           _core.pad_backward(dy4, x4.shape[2:], p4, mode))


@pytest.mark.parametrize("shape,pads,mode", PADS, ids=[f"{p[2]}-{i}" for i, p in enumerate(PADS)])
def test_pad_matches_torch(shape, pads, mode, torch):
    rng = np.random.default_rng(6)
    x = rng.standard_normal(shape).astype(np.float32)
    kw = {"value": -2.0} if mode == "constant" else {}
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.pad(xt, pads, mode, **kw)
    dy = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    yt.backward(torch.tensor(dy))
    xn = ne.Tensor(x, requires_grad=True)
    yn = F.pad(xn, pads, mode, **kw)
    yn.backward(dy)
    assert np.array_equal(yn.numpy(), yt.detach().numpy())
    _close(xn.grad, xt.grad.numpy())


def test_pad_modules(torch):
    x = np.random.default_rng(7).standard_normal((2, 3, 6, 7)).astype(np.float32)
    x1 = np.ascontiguousarray(x[:, :, 0])
    for nm, tm, inp in (
        (ne.nn.ZeroPad2d(2), torch.nn.ZeroPad2d(2), x),
        (ne.nn.ConstantPad2d((1, 0, 2, 3), 0.5), torch.nn.ConstantPad2d((1, 0, 2, 3), 0.5), x),
        (ne.nn.ReflectionPad2d(3), torch.nn.ReflectionPad2d(3), x),
        (ne.nn.ReplicationPad2d((1, 2, 3, 4)), torch.nn.ReplicationPad2d((1, 2, 3, 4)), x),
        (ne.nn.ConstantPad1d(2, 1.0), torch.nn.ConstantPad1d(2, 1.0), x1),
        (ne.nn.ZeroPad1d((0, 3)), torch.nn.ZeroPad1d((0, 3)), x1),
        (ne.nn.ReflectionPad1d(4), torch.nn.ReflectionPad1d(4), x1),
        (ne.nn.ReplicationPad1d((5, 1)), torch.nn.ReplicationPad1d((5, 1)), x1),
    ):
        assert np.array_equal(nm(ne.Tensor(inp)).numpy(), tm(torch.tensor(inp)).numpy())


@pytest.mark.parametrize("which", ["interp", "pad"])
def test_one_and_two_threads_identical(which, threads, isa):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((5, 13, 17, 19)).astype(np.float32)
    outs = []
    for n in (1, 2):
        with threads(n):
            if which == "interp":
                y = _core.interpolate_forward(x, (33, 25), "bilinear", False, (0.0, 0.0))
                dx = _core.interpolate_backward(y, (17, 19), "bilinear", False, (0.0, 0.0))
            else:
                y = _core.pad_forward(x, (3, 4, 5, 6), "reflect", 0.0)
                dx = _core.pad_backward(y, (17, 19), (3, 4, 5, 6), "reflect")
            outs.append((y, dx))
    for a, b in zip(*outs):
        assert np.array_equal(a, b)


def test_gradcheck():
    rng = np.random.default_rng(9)
    x = ne.Tensor(rng.standard_normal((2, 2, 4, 5)).astype(np.float32), requires_grad=True)
    assert gradcheck(lambda t: F.interpolate(t, size=(7, 3), mode="bilinear", align_corners=True), [x])
    assert gradcheck(lambda t: F.interpolate(t, scale_factor=2), [x])
    assert gradcheck(lambda t: F.pad(t, (2, 1, 3, 2), mode="reflect"), [x])
    assert gradcheck(lambda t: F.pad(t, (4, 1), mode="replicate"), [x])


# ------------------------------------------------------------------------------------------- dropout2d
def test_channel_dropout_masks_whole_channels(isa, threads):
    x = np.random.default_rng(10).standard_normal((8, 64, 5, 7)).astype(np.float32) + 3.0
    y = _core.dropout2d_forward(x, 8 * 64, 0.3, 1234)
    planes = y.reshape(8 * 64, -1)
    kept = np.all(planes != 0, axis=1)
    assert np.all(kept | np.all(planes == 0, axis=1))  # every channel all kept or all zero
    np.testing.assert_allclose(planes[kept], (x.reshape(8 * 64, -1)[kept] / 0.7), rtol=1e-6)
    assert abs((~kept).mean() - 0.3) < 0.06  # 512 channels: sd of the drop rate ~0.02
    assert np.array_equal(_core.dropout2d_forward(x, 512, 0.3, 1234, reference=True), y)
    g = np.ones_like(x)
    assert np.array_equal(_core.dropout2d_backward(g, 512, 0.3, 1234) != 0, y != 0)
    with threads(1):
        y1 = _core.dropout2d_forward(x, 512, 0.3, 1234)
    with threads(2):
        y2 = _core.dropout2d_forward(x, 512, 0.3, 1234)
    assert np.array_equal(y1, y2) and np.array_equal(y1, y)
    assert not np.array_equal(_core.dropout2d_forward(x, 512, 0.3, 99), y)


def test_dropout_modules(torch):
    ne.manual_seed(0)
    x = ne.Tensor(np.ones((4, 16, 3, 3), np.float32), requires_grad=True)
    m = ne.nn.Dropout2d(0.5)
    y = m(x)
    y.sum().backward()
    ch = y.numpy().reshape(64, 9)
    assert set(np.unique(ch)) <= {0.0, 2.0} and np.all(ch.min(1) == ch.max(1))
    assert np.array_equal(x.grad, y.numpy())
    m.eval()
    assert m(x) is x or np.array_equal(m(x).numpy(), x.numpy())
    d1 = ne.nn.Dropout1d(0.25)
    y1 = d1(ne.Tensor(np.ones((16, 20), np.float32)))  # unbatched (C, L): one mask per channel
    assert np.all(y1.numpy().min(1) == y1.numpy().max(1))
    assert repr(d1) == "Dropout1d(p=0.25)"
    # torch's statistics: E[y] = x
    ne.manual_seed(1)
    big = ne.nn.Dropout2d(0.2)(ne.Tensor(np.ones((64, 128, 2, 2), np.float32))).numpy()
    assert abs(big.mean() - 1.0) < 0.05


def test_bad_input():
    x = ne.randn(2, 3, 8, 8)
    with pytest.raises(ValueError, match="size, scale_factor: expected exactly one"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="size, scale_factor: expected exactly one"):
        F.interpolate(x, size=4, scale_factor=2)
    with pytest.raises(ValueError, match="mode: expected one of"):
        F.interpolate(x, size=4, mode="bicubic")
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
    with pytest.raises(ValueError, match="pad: expected 2 or 4 ints"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(ValueError, match="pad: reflect padding must be smaller"):
        F.pad(x, (8, 0), mode="reflect")
    with pytest.raises(ValueError, match="mode: expected 'constant', 'reflect' or 'replicate'"):
        F.pad(x, (1, 1), mode="circular")
    with pytest.raises(ValueError, match="value: only mode 'constant'"):
        F.pad(x, (1, 1), mode="reflect", value=1.0)
    with pytest.raises(ValueError, match="pad: the padded size"):
        F.pad(x, (-4, -4))
    with pytest.raises(TypeError, match="pad: expected ints"):
        F.pad(x, (1.5, 1))
    with pytest.raises(ValueError, match="input: reflect padding of 2 dimension"):
        F.pad(ne.randn(8, 8), (1, 1, 1, 1), mode="reflect")
    with pytest.raises(ValueError, match="p: expected a probability"):
        F.dropout2d(x, 1.5)
    with pytest.raises(ValueError, match="input: expected 3 or 4 dimensions"):
        F.dropout2d(ne.randn(8, 8), 0.5)
    f32 = np.float32
    with pytest.raises(ValueError, match="x: 12 elements do not split into planes=5"):
        _core.dropout2d_forward(np.zeros((3, 4), f32), 5, 0.5, 1)
    with pytest.raises(ValueError, match="mode: expected 'nearest' or 'bilinear'"):
        _core.interpolate_forward(np.zeros((1, 1, 4, 4), f32), (2, 2), "area")
    with pytest.raises(ValueError, match="expected at most 2\\^31 elements"):
        _core.interpolate_forward(np.zeros((1, 1, 4, 4), f32), (2**30, 2**30))
    with pytest.raises(ValueError, match="pad: negative pads must leave part of the input"):
        _core.pad_forward(np.zeros((1, 1, 4, 4), f32), (-4, 5, 0, 0), "replicate")


# ------------------------------------------------------------------------------------- interop and ONNX
def _layer_pairs(tnn):
    return {
        "maxpool1d": (tnn.MaxPool1d(3, 2, 1), (2, 3, 17)),
        "avgpool1d": (tnn.AvgPool1d(4, 2, 2), (2, 3, 17)),
        "adaptive_avg2d": (tnn.AdaptiveAvgPool2d((2, 3)), (2, 3, 8, 9)),
        "adaptive_avg2d_global": (tnn.AdaptiveAvgPool2d(1), (2, 3, 7, 5)),
        "adaptive_max2d": (tnn.AdaptiveMaxPool2d(2), (2, 3, 8, 6)),
        "adaptive_avg1d": (tnn.AdaptiveAvgPool1d(4), (2, 3, 16)),
        "adaptive_max1d": (tnn.AdaptiveMaxPool1d(1), (2, 3, 15)),
        "upsample_nearest": (tnn.Upsample(scale_factor=2), (2, 3, 5, 4)),
        "upsample_nearest_size": (tnn.Upsample(size=(10, 8)), (2, 3, 5, 4)),
        "upsample_bilinear": (tnn.Upsample(scale_factor=2, mode="bilinear"), (2, 3, 5, 4)),
        "upsample_bilinear_ac": (tnn.UpsamplingBilinear2d(size=(9, 7)), (2, 3, 5, 4)),
        "upsample_linear": (tnn.Upsample(scale_factor=3, mode="linear"), (2, 3, 6)),
        "zeropad2d": (tnn.ZeroPad2d((1, 2, 0, 3)), (2, 3, 5, 4)),
        "constpad1d": (tnn.ConstantPad1d(2, -1.5), (2, 3, 6)),
        "reflpad2d": (tnn.ReflectionPad2d(2), (2, 3, 5, 4)),
        "replpad1d": (tnn.ReplicationPad1d((3, 1)), (2, 3, 6)),
        "dropout2d": (tnn.Dropout2d(0.3), (2, 3, 5, 4)),
        "dropout1d": (tnn.Dropout1d(0.3), (2, 3, 6)),
    }


LAYER_NAMES = ["maxpool1d", "avgpool1d", "adaptive_avg2d", "adaptive_avg2d_global", "adaptive_max2d", "adaptive_avg1d",
               "adaptive_max1d", "upsample_nearest", "upsample_nearest_size", "upsample_bilinear",
               "upsample_bilinear_ac", "upsample_linear", "zeropad2d", "constpad1d", "reflpad2d", "replpad1d",
               "dropout2d", "dropout1d"]


@pytest.mark.parametrize("which", LAYER_NAMES)
def test_interop_and_onnx(which, torch, tmp_path):
    from conftest import require

    from nnengine import interop
    from nnengine.onnx import export

    tm, shape = _layer_pairs(torch.nn)[which]
    tm.eval()
    rng = np.random.default_rng(11)
    x = rng.standard_normal(shape).astype(np.float32)
    nm = interop.from_torch(torch.nn.Sequential(tm)).eval()
    with torch.no_grad():
        want = tm(torch.tensor(x)).numpy()
    _close(nm(ne.tensor(x)).numpy(), want)
    back = interop.to_torch(nm).eval()
    with torch.no_grad():
        _close(back(torch.tensor(x)).numpy(), want)
    onnx, ort = require("onnx"), require("onnxruntime")
    path = str(tmp_path / "m.onnx")
    export(nm, x, path)
    onnx.checker.check_model(onnx.load(path))
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for inp in (x, rng.standard_normal((shape[0] + 2,) + shape[1:]).astype(np.float32)):
        got = sess.run(None, {sess.get_inputs()[0].name: inp})[0]
        np.testing.assert_allclose(got, nm(ne.tensor(inp)).numpy(), rtol=1e-5, atol=1e-5)


def test_onnx_rejects_uneven_adaptive_pooling(tmp_path):
    from nnengine.onnx import export

    with pytest.raises(NotImplementedError, match="ONNX has no adaptive pooling"):
        export(ne.nn.Sequential(ne.nn.AdaptiveAvgPool2d(3)), np.zeros((1, 2, 7, 7), np.float32),
               str(tmp_path / "m.onnx"))
