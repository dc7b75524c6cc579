"""conv3d kernels (cpp/kernels/conv3d.h): float64 oracle (proven by finite differences), the kernels on every ISA,
the scalar twin, 1 vs 2 threads, faked cache descriptions, bf16, the binding's argument checks, and F.conv3d /
F.conv_transpose3d (one tape node each on these kernels) against torch to second order."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import numeric_grad, require
from conv_testing import close
from reference import conv3d as ref
from reference.bf16 import bf16_round

import nnengine as ne
import nnengine.functional as F
from nnengine import _core

HAVE_BF16 = _core.bf16_unavailable_reason() == ""

# (N, C, (D, H, W), K, (T, R, S), stride, padding, dilation, groups): SIMD-awkward sizes, every hyper-parameter,
# each path of the kernels: packed GEMMs from the padded copy or the input itself, small volumes batched into one
# GEMM, pointwise in place, the data gradient as a forward (stride 1, >= 8 channels a group) or by scatter.
GRID = [
    (2, 3, (5, 6, 7), 4, (3, 3, 3), (1, 1, 1), (1, 1, 1), (1, 1, 1), 1),  # few channels: scatter data gradient
    (2, 8, (6, 5, 17), 5, (3, 3, 3), (1, 1, 1), (1, 1, 1), (1, 1, 1), 1),  # data gradient as a forward
    (3, 16, (4, 7, 9), 6, (2, 3, 1), (1, 1, 1), (0, 1, 0), (2, 1, 1), 2),  # ... with groups and dilation
    (2, 4, (9, 10, 33), 6, (3, 2, 3), (2, 1, 3), (1, 0, 2), (1, 2, 1), 2),  # strides, rows of one panel or more
    (3, 5, (3, 3, 3), 17, (1, 1, 1), (1, 1, 1), (0, 0, 0), (1, 1, 1), 1),  # pointwise, small volumes batched
    (2, 9, (8, 9, 10), 7, (1, 1, 1), (1, 1, 1), (0, 0, 0), (1, 1, 1), 1),  # pointwise, one image in place
    (2, 16, (5, 6, 7), 33, (1, 1, 1), (2, 2, 2), (0, 0, 0), (1, 1, 1), 1),  # 1x1x1 strided
    (2, 6, (4, 4, 4), 6, (3, 3, 3), (1, 1, 1), (1, 1, 1), (1, 1, 1), 6),  # depthwise
    (1, 2, (3, 4, 40), 3, (1, 2, 3), (1, 1, 2), (2, 0, 3), (2, 1, 3), 1),  # padding past the kernel reach
    (2, 3, (4, 5, 6), 2, (4, 5, 6), (1, 1, 1), (0, 0, 0), (1, 1, 1), 1),  # kernel = volume
    (1, 8, (3, 17, 18), 16, (3, 3, 3), (2, 2, 2), (1, 1, 1), (1, 1, 1), 1),  # stride 2, vector row copies
    # strided data gradients by output phases (>= 8 channels a group, dilation 1): uneven strides and taps per
    # phase, groups; a transposed convolution's 4/2/1; stride 3 > kernel 2 (phases that no tap reaches)
    (2, 16, (7, 9, 11), 6, (3, 2, 4), (2, 1, 3), (1, 0, 2), (1, 1, 1), 2),
    (2, 8, (8, 8, 8), 4, (4, 4, 4), (2, 2, 2), (1, 1, 1), (1, 1, 1), 1),
    (1, 8, (7, 8, 9), 3, (2, 2, 2), (3, 3, 3), (0, 1, 0), (1, 1, 1), 1),
    # ... by channel-lane tiles (one or two vectors of input channels a group: AVX-512 16 or 32, AVX2 8 or 16,
    # baseline 4 or 8): a 4/2/1 transposed convolution's phases (8 rows: tiles one row shorter), uneven strides with
    # groups, 2x2x2/2 (one tap a phase)
    (2, 16, (8, 9, 18), 8, (4, 4, 4), (2, 2, 2), (1, 1, 1), (1, 1, 1), 1),
    (1, 32, (9, 8, 20), 6, (3, 3, 3), (2, 1, 2), (1, 1, 1), (1, 1, 1), 2),
    (2, 32, (8, 6, 18), 5, (2, 2, 2), (2, 2, 2), (0, 0, 0), (1, 1, 1), 1),
    (1, 64, (6, 7, 18), 8, (3, 3, 3), (2, 2, 2), (1, 1, 1), (1, 1, 1), 1),  # pairs of vectors (AVX-512: two pairs)
    # strided forwards and weight gradients by channel-lane tiles (one or two vectors of output channels a group):
    # a transposed convolution's backward (4x4x4/2), strides (1, 2, 2) with groups, dilation with stride (2, 1, 2)
    (1, 16, (10, 12, 18), 32, (4, 4, 4), (2, 2, 2), (1, 1, 1), (1, 1, 1), 1),
    (2, 12, (5, 9, 20), 32, (3, 3, 3), (1, 2, 2), (1, 1, 1), (1, 1, 1), 2),
    (1, 4, (7, 11, 21), 16, (2, 2, 3), (2, 1, 2), (0, 1, 1), (2, 1, 2), 1),
    (2, 8, (6, 9, 19), 64, (3, 3, 3), (2, 2, 2), (1, 1, 1), (1, 1, 1), 1),  # pairs of vectors (AVX-512: two pairs)
    # Winograd F(2x2x2, 3x3x3) (3x3x3, stride 1, >= 16 channels both sides; its data gradient too): odd output
    # sizes (partial tiles), channels not a multiple of the lanes, no padding, padding 2 (output past the input),
    # mixed paddings
    (2, 16, (5, 6, 7), 17, (3, 3, 3), (1, 1, 1), (1, 1, 1), (1, 1, 1), 1),
    (1, 20, (4, 4, 9), 33, (3, 3, 3), (1, 1, 1), (0, 0, 0), (1, 1, 1), 1),
    (2, 16, (3, 5, 4), 16, (3, 3, 3), (1, 1, 1), (2, 2, 2), (1, 1, 1), 1),
    (1, 24, (6, 5, 8), 40, (3, 3, 3), (1, 1, 1), (2, 0, 1), (1, 1, 1), 1),
]


def _ids(c):
    return f"{c[0]}x{c[1]}x{'x'.join(map(str, c[2]))}-k{c[3]}-{'x'.join(map(str, c[4]))}-s{c[5]}p{c[6]}d{c[7]}g{c[8]}"


def _data(cfg, seed=0):
    N, C, dhw, K, ks, st, pd, dl, g = cfg
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C) + dhw).astype(np.float32)
    w = rng.standard_normal((K, C // g) + ks).astype(np.float32)
    b = rng.standard_normal(K).astype(np.float32)
    out = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in zip(dhw, ks, st, pd, dl))
    dy = rng.standard_normal((N, K) + out).astype(np.float32)
    return x, w, b, dy


def _run(cfg, x, w, b, dy, **kw):
    _, _, dhw, _, ks, st, pd, dl, g = cfg
    y = _core.conv3d_forward(x, w, b, st, pd, dl, g, **kw)
    dx = _core.conv3d_backward_data(dy, w, dhw, st, pd, dl, g, **kw)
    dw, db = _core.conv3d_backward_weights(dy, x, ks, st, pd, dl, g, **kw)
    return y, dx, dw, db


@pytest.mark.parametrize("cfg", [(1, 2, (3, 4, 3), 2, (2, 3, 2), (2, 1, 1), (1, 1, 0), (1, 1, 2), 1),
                                 (2, 4, (3, 3, 4), 2, (2, 1, 2), (1, 2, 1), (0, 1, 1), (2, 1, 1), 2)], ids=_ids)
def test_oracle_matches_finite_differences(cfg):
    x, w, b, dy = _data(cfg)
    st, pd, dl, g = cfg[5:]
    dyd = dy.astype(np.float64)
    dx, dw, db = ref.conv3d_backward(dyd, x, w, st, pd, dl, g)
    for got, f, at in ((dx, lambda v: ref.conv3d(v, w, b, st, pd, dl, g), x),
                       (dw, lambda v: ref.conv3d(x, v, b, st, pd, dl, g), w),
                       (db, lambda v: ref.conv3d(x, w, v, st, pd, dl, g), b)):
        np.testing.assert_allclose(got, numeric_grad(lambda v, f=f: (f(v) * dyd).sum(), at), rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("cfg", GRID, ids=_ids)
def test_kernels_match_the_oracle(cfg, isa):
    x, w, b, dy = _data(cfg)
    st, pd, dl, g = cfg[5:]
    y, dx, dw, db = _run(cfg, x, w, b, dy)
    close(y, ref.conv3d(x, w, b, st, pd, dl, g))
    for got, want in zip((dx, dw, db), ref.conv3d_backward(dy, x, w, st, pd, dl, g)):
        close(got, want)
    assert y.dtype == dx.dtype == dw.dtype == db.dtype == np.float32
    assert dx.shape == x.shape and dw.shape == w.shape


@pytest.mark.parametrize("cfg", GRID[::2], ids=_ids)
def test_scalar_twin_matches_the_kernel(cfg):
    x, w, b, dy = _data(cfg, seed=3)
    for got, want in zip(_run(cfg, x, w, b, dy, reference=True), _run(cfg, x, w, b, dy)):
        close(got, want)


@pytest.mark.parametrize("cfg", [
    (5, 8, (6, 7, 9), 16, (3, 3, 3), (1, 1, 1), (1, 1, 1), (1, 1, 1), 1),  # threads over blocks of images
    (1, 16, (8, 12, 12), 32, (3, 3, 3), (1, 1, 1), (1, 1, 1), (1, 1, 1), 1),  # one image: threads in the GEMM
    (3, 4, (5, 9, 9), 8, (3, 3, 3), (2, 2, 2), (1, 1, 1), (1, 1, 1), 2),  # three blocks; scatter data gradient
    (3, 16, (5, 9, 9), 8, (3, 3, 3), (2, 2, 2), (1, 1, 1), (1, 1, 1), 2),  # data gradient by phases
    (2, 16, (8, 8, 16), 8, (4, 4, 4), (2, 2, 2), (1, 1, 1), (1, 1, 1), 1),  # ... by channel-lane tiles
    (2, 16, (8, 10, 20), 32, (4, 4, 4), (2, 2, 2), (1, 1, 1), (1, 1, 1), 1),  # strided forward by lane tiles
    (2, 8, (6, 9, 19), 64, (3, 3, 3), (2, 2, 2), (1, 1, 1), (1, 1, 1), 1),  # ... pairs of channel vectors
    (9, 24, (3, 4, 4), 20, (1, 1, 1), (1, 1, 1), (0, 0, 0), (1, 1, 1), 1),  # small volumes batched
    (2, 3, (20, 21, 22), 8, (3, 3, 3), (1, 1, 1), (1, 1, 1), (1, 1, 1), 1),  # weight gradient over column slices
    (3, 16, (6, 7, 8), 24, (3, 3, 3), (1, 1, 1), (1, 1, 1), (1, 1, 1), 1),  # Winograd: threads over tile chunks
], ids=_ids)
def test_one_and_two_threads_identical(cfg, isa, threads):
    x, w, b, dy = _data(cfg, seed=5)
    outs = []
    for n in (1, 2):
        with threads(n):
            outs.append(_run(cfg, x, w, b, dy))
    for a, c in zip(*outs):
        assert np.array_equal(a, c)


@pytest.mark.parametrize("l2", [64 << 10, 256 << 10, 4 << 20])
@pytest.mark.parametrize("cfg", [(3, 5, (7, 9, 11), 6, (3, 3, 3), (1, 2, 1), (1, 1, 1), (1, 1, 2), 1),
                                 (2, 40, (5, 9, 7), 20, (3, 3, 3), (1, 1, 1), (1, 1, 1), (1, 1, 1), 1)], ids=_ids)
def test_any_cache_description_gives_correct_results(l2, cfg):
    """The weight gradient's column blocks, the Winograd path's chunks of tiles (the second shape) and the GEMM's
    blocking follow the L2 the CPU reports: a faked one changes the blocks, never the result beyond float32
    summation order."""
    x, w, b, dy = _data(cfg, seed=9)
    st, pd, dl, g = cfg[5:]
    ne.backend.set_cache_sizes(l2=l2)
    try:
        y, dx, dw, db = _run(cfg, x, w, b, dy)
    finally:
        ne.backend.set_cache_sizes()
    close(y, ref.conv3d(x, w, b, st, pd, dl, g))
    for got, want in zip((dx, dw, db), ref.conv3d_backward(dy, x, w, st, pd, dl, g)):
        close(got, want)


WINO = (2, 16, (6, 5, 7), 24, (3, 3, 3), (1, 1, 1), (1, 1, 1), (1, 1, 1), 1)


@pytest.mark.parametrize("mode", ["f2", "f4"])
def test_winograd_path_runs_and_off_keeps_the_gemm(mode, isa):
    """Stride-1 3x3x3 layers with >= 16 channels a side run F(2x2x2, 3x3x3) in Winograd modes f2 and f4 (forward, data
    and weight gradients): within float32 rounding of the oracle and of the im2col + GEMM path that mode "off" keeps,
    and not bit-identical to it (the transforms are other arithmetic)."""
    x, w, b, dy = _data(WINO, seed=17)
    st, pd, dl, g = WINO[5:]
    try:
        ne.backend.set_winograd_mode("off")
        gemm = _run(WINO, x, w, b, dy)
        ne.backend.set_winograd_mode(mode)
        wino = _run(WINO, x, w, b, dy)
    finally:
        ne.backend.set_winograd_mode()
    want = (ref.conv3d(x, w, b, st, pd, dl, g),) + tuple(ref.conv3d_backward(dy, x, w, st, pd, dl, g))
    for got, ref_gemm, exp in zip(wino, gemm, want):
        close(got, exp)
        close(got, ref_gemm)
    for a, c in zip(wino[:3], gemm[:3]):
        assert not np.array_equal(a, c)


@pytest.mark.skipif(not HAVE_BF16, reason="justified: this CPU has no bf16 kernels (test_bf16_without_the_kernel_"
                                          "raises checks the error instead)")
@pytest.mark.parametrize("cfg", [GRID[1], GRID[3], GRID[4]], ids=_ids)
def test_bf16_products_of_rounded_operands(cfg, threads):
    """autocast("bf16"): the GEMMs take bf16 operands and sum in float32: the float64 oracle of the rounded operands
    up to float32 summation, visibly not the float32 result, the same at 1 and 2 threads; db stays a float32 sum."""
    x, w, b, dy = _data(cfg, seed=11)
    st, pd, dl, g = cfg[5:]
    outs = []
    for n in (1, 2):
        with threads(n):
            outs.append(_run(cfg, x, w, b, dy, bf16=True))
    for a, c in zip(*outs):
        assert np.array_equal(a, c)
    y, dx, dw, db = outs[0]
    xr, wr, dyr = bf16_round(x), bf16_round(w), bf16_round(dy)
    close(y, ref.conv3d(xr, wr, b, st, pd, dl, g))
    close(dx, ref.conv3d_backward(dyr, xr, wr, st, pd, dl, g)[0])
    close(dw, ref.conv3d_backward(dyr, xr, wr, st, pd, dl, g)[1])
    close(db, ref.conv3d_backward(dy, x, w, st, pd, dl, g)[2])
    y32 = ref.conv3d(x, w, b, st, pd, dl, g)
    assert np.abs(y - y32).max() > 1e-4 * np.abs(y32).max()


@pytest.mark.skipif(not HAVE_BF16, reason="justified: this CPU has no bf16 kernels (test_bf16_without_the_kernel_"
                                          "raises checks the error instead)")
def test_autocast_runs_conv3d_and_its_transpose_on_the_bf16_kernels():
    """Under autocast("bf16") F.conv3d / F.conv_transpose3d and their gradients are the kernels' bf16 calls
    (float32 tensors in and out, the same shapes as without autocast)."""
    cfg = GRID[1]
    x, w, b, dy = _data(cfg, seed=13)
    st, pd, dl, g = cfg[5:]
    xs, ws = ne.tensor(x, requires_grad=True), ne.tensor(w, requires_grad=True)
    with ne.autocast("bf16"):
        y = F.conv3d(xs, ws, ne.tensor(b), st, pd, dl, g)
        yt = F.conv_transpose3d(ne.tensor(dy), ws, None, st, pd, 0, g, dl)
    y.backward(ne.tensor(dy))
    want = _run(cfg, x, w, b, dy, bf16=True)
    assert y.dtype == yt.dtype == np.float32 and y.shape == want[0].shape and yt.shape == x.shape
    for got, exp in ((y.numpy(), want[0]), (yt.numpy(), want[1]), (xs.grad.numpy(), want[1]),
                     (ws.grad.numpy(), want[2])):
        assert np.array_equal(got, exp)


def test_bf16_without_the_kernel_raises():
    x, w, b, dy = _data(GRID[0])
    if HAVE_BF16:
        with pytest.raises(ValueError, match="bf16: the scalar reference twins run in float32"):
            _core.conv3d_forward(x, w, b, bf16=True, reference=True)
    else:
        with pytest.raises(ValueError, match="bf16"):
            _core.conv3d_forward(x, w, b, bf16=True)


X5, W5 = np.zeros((1, 2, 4, 4, 4), np.float32), np.zeros((3, 2, 2, 2, 2), np.float32)


@pytest.mark.parametrize("call,match", [
    (lambda: _core.conv3d_forward(X5[0], W5), "x: expected 5 dimensions, got 4"),
    (lambda: _core.conv3d_forward(X5, np.zeros((3, 1, 2, 2, 2), np.float32)), "input: expected 1 channels"),
    (lambda: _core.conv3d_forward(X5, W5, stride=(1, 0, 1)), "stride: expected values in \\[1"),
    (lambda: _core.conv3d_forward(X5, W5, padding=(0, -1, 0)), "padding: expected values in \\[0"),
    (lambda: _core.conv3d_forward(X5, W5, dilation=(1, 1, 5)), "smaller than the dilated kernel in dimension 2"),
    (lambda: _core.conv3d_forward(X5, W5, np.zeros(2, np.float32)), "bias: expected shape \\(3,\\), got \\(2,\\)"),
    (lambda: _core.conv3d_forward(X5, np.zeros((3, 1, 2, 2, 2), np.float32), groups=2),
     "not divisible by groups=2"),
    (lambda: _core.conv3d_backward_data(np.zeros((1, 3, 2, 2, 2), np.float32), W5, (4, 4, 5)),
     "dy: expected shape \\(1, 3, 3, 3, 4\\)"),
    (lambda: _core.conv3d_backward_weights(np.zeros((1, 3, 3, 3, 3), np.float32), X5, (0, 2, 2)),
     "kernel_size: expected values in \\[1"),
    (lambda: _core.conv3d_forward(X5, W5, stride=(1, 2**40, 1)), "stride: expected values in \\[1, 2\\^31 - 1\\]"),
])
def test_bad_arguments_raise_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("C,K,k,pad", [(2, 3, 2, 0), (16, 16, 3, 1)], ids=["gemm", "winograd-shape"])
def test_empty_batch_gives_empty_outputs_and_zero_weight_gradients(C, K, k, pad):
    x, w = np.zeros((0, C, 4, 4, 4), np.float32), np.ones((K, C, k, k, k), np.float32)
    o = 4 + 2 * pad - k + 1
    assert _core.conv3d_forward(x, w, None, (1, 1, 1), (pad,) * 3).shape == (0, K, o, o, o)
    dy = np.zeros((0, K, o, o, o), np.float32)
    assert _core.conv3d_backward_data(dy, w, (4, 4, 4), (1, 1, 1), (pad,) * 3).shape == x.shape
    dw, db = _core.conv3d_backward_weights(dy, x, (k, k, k), (1, 1, 1), (pad,) * 3)
    assert not dw.any() and not db.any() and dw.shape == w.shape


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("kw", [dict(stride=2, padding=1, groups=2), dict(dilation=(1, 2, 1), padding=(0, 2, 1))],
                         ids=str)
def test_functional_forms_match_torch_to_second_order(transposed, kw):
    """A gradient penalty through F.conv3d / F.conv_transpose3d: the first gradients and the gradients of their
    squared norm, against torch's."""
    torch = require("torch")
    rng = np.random.default_rng(2)
    g = kw.get("groups", 1)
    x = rng.standard_normal((2, 4, 5, 6, 5)).astype(np.float32)
    w = rng.standard_normal((4, 6 // g, 3, 2, 3) if transposed else (6, 4 // g, 3, 2, 3)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    if transposed:  # output_padding below the stride, and at the stride (allowed below the dilation)
        kw = dict(kw, output_padding=1) if kw.get("stride") == 2 else dict(kw, output_padding=(0, 1, 0))

    def run(lib, fn):
        xs, ws, bs = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
        y = fn(xs, ws, bs, **kw)
        gx, gw = lib.autograd.grad((y * y).sum(), (xs, ws), create_graph=True)
        ((gx * gx).sum() + (gw * gw).sum()).backward()
        return [t.detach().numpy() for t in (y, gx, gw, xs.grad, ws.grad, bs.grad)]

    name = "conv_transpose3d" if transposed else "conv3d"
    got = run(ne, getattr(F, name))
    want = run(torch, getattr(torch.nn.functional, name))
    for a, c in zip(got, want):
        close(a, c, tol=1e-4)
