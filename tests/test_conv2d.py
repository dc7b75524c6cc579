"""conv2d: float64 oracle (proven by finite differences), kernels on every ISA, the scalar twin,
1 vs 2 threads, PyTorch side by side, the autograd op and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import numeric_grad
from conv_testing import check_against_torch
from conv_testing import close as _close
from reference import conv2d as ref

import nnengine as ne
import nnengine.functional as F
from nnengine import _core

# Shapes that take the channel-lane kernel on every ISA tier (test_lane_shapes_take_the_lane_kernel; some of LANES
# are too narrow for AVX-512's 8-column tiles or waste too little of the grid to take it there).
LANES_EVERY_ISA = [
    # stride 1, >= 128 taps although the padded grid wastes under an eighth of its outputs (ResNet-like 3x3)
    (2, 16, 18, 20, 32, 3, 3, (1, 1), (1, 1), (1, 1), 1),  # 144 taps
    (1, 64, 9, 17, 32, 3, 3, (1, 1), (1, 1), (1, 1), 1),  # 576 taps, two channel vectors
    (1, 16, 9, 14, 16, 3, 3, (1, 1), (1, 1), (1, 1), 1),  # Q = 14: 7-column tiles on AVX-512, 144 taps
    # the unpadded in-place reads, strided, dilated, with groups, Q >= 8
    (2, 4, 13, 17, 32, 3, 3, (2, 2), (0, 0), (1, 1), 2),
    (2, 8, 11, 12, 32, 3, 3, (1, 1), (0, 0), (2, 2), 2),
    (3, 6, 8, 12, 16, 5, 5, (1, 1), (0, 0), (1, 1), 1),
    (2, 2, 13, 17, 48, 3, 3, (3, 2), (0, 1), (1, 2), 1),
    # one output row (Conv1d): tiles of one row, the widest tile's columns or 5/6 or 2/3 of them (the fewest
    # computed with the overlapping right tile): a sensor window (Q = 37), 2-D taps onto one row, stride 2
    (2, 32, 1, 37, 32, 1, 5, (1, 1), (0, 2), (1, 1), 1),
    (2, 16, 3, 30, 16, 3, 3, (1, 1), (0, 1), (1, 1), 1),
    (2, 8, 1, 61, 32, 1, 3, (1, 2), (0, 1), (1, 1), 1),
]

# Forward shapes of the channel-lane kernel (conv2d_direct.h: output channels fill whole vectors; stride 1 with
# many taps or narrow outputs, or strided layers with few taps): LeNet conv2 at 12x12, groups with dilation, one
# image (split over channel blocks), 3 vectors, two output rows, strides, wide layers.
LANES = [
    (5, 6, 12, 12, 16, 5, 5, (1, 1), (0, 0), (1, 1), 1),
    (3, 4, 10, 10, 32, 3, 3, (1, 1), (1, 1), (2, 2), 2),
    (1, 5, 10, 10, 64, 3, 3, (1, 1), (0, 0), (1, 1), 1),
    (4, 3, 10, 10, 48, 3, 3, (1, 1), (0, 0), (1, 1), 1),
    (2, 2, 4, 9, 32, 3, 3, (1, 1), (0, 0), (1, 1), 1),  # two output rows
    (2, 3, 23, 21, 32, 7, 7, (2, 2), (3, 3), (1, 1), 1),  # the 7x7/2 stem, strided rows and columns
    (1, 3, 39, 17, 32, 7, 7, (2, 2), (3, 3), (1, 1), 1),  # P = 20: 3-row tiles, the last band overlapping
    (3, 4, 12, 10, 16, 3, 3, (2, 1), (1, 1), (1, 1), 1),  # strided rows only
    (2, 2, 13, 12, 48, 3, 3, (3, 2), (0, 1), (1, 2), 1),  # stride 3 x 2 with dilation
    (2, 6, 14, 14, 16, 5, 5, (1, 1), (0, 0), (1, 1), 1),  # LeNet conv2, Q = 10: 5-column tiles on AVX-512
    (2, 3, 12, 12, 16, 3, 3, (1, 1), (1, 1), (1, 1), 1),  # Q = 12: 6-column tiles
    (1, 2, 9, 14, 16, 3, 3, (1, 1), (1, 1), (1, 1), 1),  # Q = 14: 7-column tiles
    # no padding: the tiles read the image in place (no padded copy), up to its last row and column
    (2, 4, 13, 12, 32, 3, 3, (2, 2), (0, 0), (1, 1), 2),  # strided, groups
    (2, 8, 11, 11, 32, 3, 3, (1, 1), (0, 0), (2, 2), 2),  # dilated, groups
    (3, 6, 8, 8, 16, 5, 5, (1, 1), (0, 0), (1, 1), 1),  # kernel reaching the last row and column
] + LANES_EVERY_ISA


# (N, C, H, W, K, R, S, stride, padding, dilation, groups): SIMD-awkward sizes, every hyper-parameter.
GRID = [
    (2, 3, 9, 11, 4, 3, 3, (1, 1), (1, 1), (1, 1), 1),
    (1, 1, 7, 8, 1, 1, 1, (1, 1), (0, 0), (1, 1), 1),
    (3, 7, 9, 9, 17, 1, 1, (1, 1), (0, 0), (1, 1), 1),  # pointwise, small images batched
    (2, 5, 17, 16, 7, 1, 1, (1, 1), (0, 0), (1, 1), 1),  # pointwise, >= 256 positions: GEMMs in place
    (2, 6, 16, 17, 4, 1, 1, (1, 1), (0, 0), (1, 1), 2),  # ... with groups
    (2, 8, 15, 16, 9, 3, 3, (2, 2), (1, 1), (1, 1), 1),
    (2, 4, 9, 11, 6, 3, 2, (2, 1), (1, 0), (2, 1), 2),
    (2, 6, 17, 13, 6, 3, 3, (1, 2), (2, 1), (2, 2), 3),
    (2, 6, 8, 8, 6, 3, 3, (1, 1), (1, 1), (1, 1), 6),  # depthwise
    (1, 9, 33, 7, 8, 5, 3, (3, 1), (2, 1), (1, 3), 1),
    (2, 1, 28, 28, 6, 5, 5, (1, 1), (2, 2), (1, 1), 1),  # LeNet conv1
    (2, 6, 14, 14, 16, 5, 5, (1, 1), (0, 0), (1, 1), 1),  # LeNet conv2
    (1, 3, 23, 21, 8, 7, 7, (2, 2), (3, 3), (1, 1), 1),  # stem-like
    (1, 2, 9, 75, 4, 3, 3, (2, 2), (1, 1), (1, 1), 1),  # stride-2 rows long enough for vector copies
    (1, 2, 6, 70, 3, 3, 5, (2, 2), (0, 2), (1, 1), 1),  # ... ending at the last valid input column
    (2, 4, 5, 6, 8, 5, 6, (1, 1), (0, 0), (1, 1), 2),  # kernel = image
    (2, 16, 9, 9, 33, 1, 1, (2, 2), (0, 0), (1, 1), 1),  # 1x1 strided
    (2, 32, 17, 18, 9, 3, 3, (1, 1), (1, 1), (1, 1), 1),  # wide, few output channels
    (2, 32, 10, 9, 32, 3, 3, (1, 1), (1, 1), (1, 1), 2),  # channels fill the lanes, groups
    (3, 5, 11, 10, 13, 3, 3, (1, 1), (2, 2), (2, 2), 1),  # 13 channels in 16 lanes
] + LANES


def test_lane_shapes_take_the_lane_kernel(isa):
    """The shapes of LANES_EVERY_ISA run the channel-lane forward on every ISA tier (so the bit-for-bit test below
    checks that kernel there, not only the paths it is compared with)."""
    for c in LANES_EVERY_ISA:
        algo = ne.backend.conv2d_algorithm(c[:4], (c[4], c[1] // c[10], c[5], c[6]), c[7], c[8], c[9], c[10])
        assert algo["forward"] == "direct_lanes", (isa, c, algo)


def test_one_row_layers_take_the_lane_forward_and_the_gemm_weight_gradient(isa):
    """A Conv1d (one output row) with whole vectors of output channels and >= 128 taps runs the channel-lane forward
    (and data gradient); its weight gradient runs im2col + GEMM, not the grid kernel's outer products."""
    algo = ne.backend.conv2d_algorithm((32, 64, 1, 100), (64, 64, 1, 5), padding=(0, 2))
    assert algo["forward"] == "direct_lanes" and algo["backward_weights"] == "gemm", algo


@pytest.mark.parametrize("cfg", LANES)
def test_channel_lane_forward_equals_the_other_paths_bit_for_bit(cfg, isa, threads):
    """Channel blocks of 15 + 1 (never whole vectors) take the grid kernel (stride 1) or im2col + GEMM (strided);
    all run one fma chain per output over the taps in the same order (the GEMM while the taps fit its KC
    block), so the outputs are equal bit for bit, at 1 and 2 threads; and with a faked small L3, under which
    the channel-lane kernel streams its output (non-temporal stores), equal again."""
    x, w, b, _ = _data(cfg, seed=7)
    st, pd, dl, g = cfg[7:]
    Kg, Cg = cfg[4] // g, cfg[1] // g
    exact = st == (1, 1) or Cg * cfg[5] * cfg[6] <= ne.backend.cache_info()["gemm_kc"]
    outs = []
    for n in (1, 2):
        with threads(n):
            y = _core.conv2d_forward(x, w, b, st, pd, dl, g)
            parts = []
            for gr in range(g):
                wg, bg = w[gr * Kg:(gr + 1) * Kg], b[gr * Kg:(gr + 1) * Kg]
                xg = np.ascontiguousarray(x[:, gr * Cg:(gr + 1) * Cg])
                parts += [_core.conv2d_forward(xg, wg[:15], bg[:15], st, pd, dl),
                          _core.conv2d_forward(xg, wg[15:], bg[15:], st, pd, dl)]
            split = np.concatenate(parts, axis=1)
            assert np.array_equal(y, split) if exact else np.allclose(y, split, rtol=1e-5, atol=1e-5)
            outs.append(y)
    assert np.array_equal(*outs)
    info = ne.backend.cache_info()
    try:
        ne.backend.set_cache_sizes(info["l1d"], info["l2"], 65536)  # outputs over 32 KiB are streamed
        assert np.array_equal(_core.conv2d_forward(x, w, b, st, pd, dl, g), outs[0])
    finally:
        ne.backend.set_cache_sizes()


@pytest.mark.parametrize("cfg", [
    (2, 16, 18, 20, 32, 3, 3, (1, 1), (1, 1), (1, 1), 1),
    (1, 64, 9, 17, 32, 3, 3, (1, 1), (1, 1), (1, 1), 1),
    (2, 32, 12, 12, 16, 5, 5, (1, 1), (2, 2), (1, 1), 1),
    (2, 32, 1, 40, 32, 1, 5, (1, 1), (0, 2), (1, 1), 1),  # one row (Conv1d)
])
def test_channel_lane_backward_data_equals_the_grid_kernel_bit_for_bit(cfg, isa, threads):
    """The data gradient of a stride-1 layer is a forward convolution of dy with the flipped weights; with C a
    multiple of the vector width and enough taps it runs on the channel-lane kernel (conv2d_direct.cpp). Input
    channel blocks of 15 + 1 take the grid kernel; both run one fma chain per output over the taps in the same
    order, so the gradients are equal bit for bit, at 1 and 2 threads."""
    x, w, b, dy = _data(cfg, seed=11)
    H, W = cfg[2], cfg[3]
    st, pd, dl, g = cfg[7:]
    outs = []
    for n in (1, 2):
        with threads(n):
            dx = _core.conv2d_backward_data(dy, w, (H, W), st, pd, dl, g)
            split = np.concatenate([_core.conv2d_backward_data(dy, np.ascontiguousarray(w[:, :15]), (H, W), st, pd, dl),
                                    _core.conv2d_backward_data(dy, np.ascontiguousarray(w[:, 15:]), (H, W), st, pd, dl)],
                                   axis=1)
            assert np.array_equal(dx, split)
            outs.append(dx)
    assert np.array_equal(*outs)
    want = ref.conv2d_backward(dy, x, w, st, pd, dl, g)[0]  # the float64 oracle
    _close(outs[0], want)


def _data(cfg, seed=0):
    N, C, H, W, K, R, S, st, pd, dl, g = cfg
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    w = rng.standard_normal((K, C // g, R, S)).astype(np.float32)
    b = rng.standard_normal(K).astype(np.float32)
    y = ref.conv2d(x, w, b, st, pd, dl, g)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    return x, w, b, dy


@pytest.mark.parametrize(
    "cfg",
    [(1, 2, 5, 4, 3, 3, 2, (2, 1), (1, 1), (2, 1), 1), (1, 4, 4, 5, 2, 2, 3, (1, 2), (0, 1), (1, 1), 2)],
)
def test_oracle_matches_finite_differences(cfg):
    x, w, b, dy = _data(cfg)
    st, pd, dl, g = cfg[7:]
    dyd = dy.astype(np.float64)
    dx, dw, db = ref.conv2d_backward(dyd, x, w, st, pd, dl, g)
    np.testing.assert_allclose(
        dx, numeric_grad(lambda v: (ref.conv2d(v, w, b, st, pd, dl, g) * dyd).sum(), x), rtol=1e-7, atol=1e-8
    )
    np.testing.assert_allclose(
        dw, numeric_grad(lambda v: (ref.conv2d(x, v, b, st, pd, dl, g) * dyd).sum(), w), rtol=1e-7, atol=1e-8
    )
    np.testing.assert_allclose(
        db, numeric_grad(lambda v: (ref.conv2d(x, w, v, st, pd, dl, g) * dyd).sum(), b), rtol=1e-7, atol=1e-8
    )


@pytest.mark.parametrize(
    "cfg", GRID, ids=lambda c: "x".join(map(str, c[:7])) + f"-s{c[7]}p{c[8]}d{c[9]}g{c[10]}"
)
def test_kernels_match_oracle(cfg, isa):
    x, w, b, dy = _data(cfg)
    H, W, R, S = cfg[2], cfg[3], cfg[5], cfg[6]
    st, pd, dl, g = cfg[7:]
    y = _core.conv2d_forward(x, w, b, st, pd, dl, g)
    yr = ref.conv2d(x, w, b, st, pd, dl, g)
    _close(y, yr)
    dxr, dwr, dbr = ref.conv2d_backward(dy, x, w, st, pd, dl, g)
    dx = _core.conv2d_backward_data(dy, w, (H, W), st, pd, dl, g)
    dw, db = _core.conv2d_backward_weights(dy, x, (R, S), st, pd, dl, g)
    _close(dx, dxr)
    _close(dw, dwr)
    _close(db, dbr)
    assert dx.dtype == dw.dtype == db.dtype == np.float32


@pytest.mark.parametrize("cfg", GRID[::3])
def test_scalar_twin_matches_kernel(cfg):
    x, w, b, dy = _data(cfg, seed=3)
    H, W, R, S = cfg[2], cfg[3], cfg[5], cfg[6]
    st, pd, dl, g = cfg[7:]
    _close(
        _core.conv2d_forward(x, w, b, st, pd, dl, g, reference=True),
        _core.conv2d_forward(x, w, b, st, pd, dl, g),
    )
    _close(
        _core.conv2d_backward_data(dy, w, (H, W), st, pd, dl, g, reference=True),
        _core.conv2d_backward_data(dy, w, (H, W), st, pd, dl, g),
    )
    for a, k in zip(
        _core.conv2d_backward_weights(dy, x, (R, S), st, pd, dl, g, reference=True),
        _core.conv2d_backward_weights(dy, x, (R, S), st, pd, dl, g),
    ):
        _close(a, k)


@pytest.mark.parametrize(
    "cfg",
    [
        (5, 8, 18, 17, 16, 3, 3, (1, 1), (1, 1), (1, 1), 1),  # threads over images
        (1, 32, 40, 40, 64, 3, 3, (1, 1), (1, 1), (1, 1), 1),  # threads in the GEMM
        (17, 4, 12, 12, 8, 3, 3, (2, 2), (1, 1), (1, 1), 2),
        (3, 40, 20, 20, 24, 1, 1, (1, 1), (0, 0), (1, 1), 1),  # pointwise in place
        (1, 40, 20, 20, 24, 1, 1, (1, 1), (0, 0), (1, 1), 1),  # ... one image: threads in the GEMM
        (9, 24, 6, 6, 20, 1, 1, (1, 1), (0, 0), (1, 1), 1),  # pointwise, small images batched
    ],
)
def test_one_and_two_threads_identical(isa, cfg, threads):
    x, w, b, dy = _data(cfg, seed=5)
    H, W, R, S = cfg[2], cfg[3], cfg[5], cfg[6]
    st, pd, dl, g = cfg[7:]
    outs = []
    for n in (1, 2):
        with threads(n):
            outs.append(
                [
                    _core.conv2d_forward(x, w, b, st, pd, dl, g),
                    _core.conv2d_backward_data(dy, w, (H, W), st, pd, dl, g),
                    *_core.conv2d_backward_weights(dy, x, (R, S), st, pd, dl, g),
                ]
            )
    for a, c in zip(*outs):
        assert np.array_equal(a, c)


@pytest.mark.parametrize("cfg", [
    (9, 24, 6, 6, 20, 1, 1, (1, 1), (0, 0), (1, 1), 1),  # 36 positions: panels straddle images
    (5, 7, 3, 5, 33, 1, 1, (1, 1), (0, 0), (1, 1), 1),  # 15 positions, 33 output channels
    (6, 12, 7, 7, 9, 1, 1, (1, 1), (0, 0), (1, 1), 3),  # groups (6 images: blocks of 2)
    (30, 16, 9, 9, 64, 1, 1, (1, 1), (0, 0), (1, 1), 1),  # several GEMMs under the faked cache below
])
def test_batched_pointwise_equals_one_image_at_a_time(isa, cfg, threads):
    """Pointwise layers on small images run the forward and the data gradient as one GEMM over many images, op(B)
    packed straight from x (dy): bit for bit the products of each image alone (the in-place path), with and without
    bias, at 1 and 2 threads, also when a small cache cuts the batch into several GEMMs; close to the float64
    oracle. The weight gradient's GEMMs over blocks of images read dy and x in place too (GemmArgs::pack_a and
    pack_b): the same at 1 and 2 threads, with or without the bias gradient, close to the oracle."""
    x, w, b, dy = _data(cfg, seed=9)
    H, W = cfg[2], cfg[3]
    st, pd, dl, g = cfg[7:]
    want = ref.conv2d(x, w, b, st, pd, dl, g)
    want_dx, want_dw, want_db = ref.conv2d_backward(dy, x, w, st, pd, dl, g)
    for cache in (None, 64 << 10):
        try:
            if cache:
                ne.backend.set_cache_sizes(l2=cache)
            dx_alone = np.concatenate([_core.conv2d_backward_data(dy[i:i + 1], w, (H, W), st, pd, dl, g)
                                       for i in range(len(x))])
            for bias in (b, None):
                alone = np.concatenate([_core.conv2d_forward(x[i:i + 1], w, bias, st, pd, dl, g) for i in range(len(x))])
                for n in (1, 2):
                    with threads(n):
                        np.testing.assert_array_equal(_core.conv2d_forward(x, w, bias, st, pd, dl, g), alone)
                        np.testing.assert_array_equal(_core.conv2d_backward_data(dy, w, (H, W), st, pd, dl, g), dx_alone)
            _close(_core.conv2d_forward(x, w, b, st, pd, dl, g), want)
            _close(_core.conv2d_backward_data(dy, w, (H, W), st, pd, dl, g), want_dx)
            grads = []
            for n in (1, 2):
                with threads(n):
                    grads.append(_core.conv2d_backward_weights(dy, x, (1, 1), st, pd, dl, g))
                    dw_only = _core.conv2d_backward_weights(dy, x, (1, 1), st, pd, dl, g, need_bias=False)[0]
                    db_only = _core.conv2d_backward_weights(dy, x, (1, 1), st, pd, dl, g, need_weight=False)[1]
                    np.testing.assert_array_equal(dw_only, grads[-1][0])
                    np.testing.assert_array_equal(db_only, grads[-1][1])
            for a, c in zip(*grads):
                np.testing.assert_array_equal(a, c)
            _close(grads[0][0], want_dw)
            _close(grads[0][1], want_db)
        finally:
            ne.backend.set_cache_sizes()


@pytest.mark.parametrize("cfg", GRID[3:9])
def test_autograd_matches_torch(cfg, torch):
    x, w, b, dy = _data(cfg, seed=7)
    st, pd, dl, g = cfg[7:]
    check_against_torch(torch, F.conv2d, torch.nn.functional.conv2d, x, w, b, dy, stride=st, padding=pd,
                        dilation=dl, groups=g)


def test_unbatched_input_and_no_bias(torch):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 10, 9)).astype(np.float32)
    w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    xn, wn = ne.Tensor(x, requires_grad=True), ne.Tensor(w, requires_grad=True)
    y = F.conv2d(xn, wn, padding=1, stride=2)
    assert y.shape == (5, 5, 5)
    y.sum().backward()
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    torch.nn.functional.conv2d(xt, wt, padding=1, stride=2).sum().backward()
    _close(
        y.numpy(), torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), padding=1, stride=2).numpy()
    )
    _close(xn.grad, xt.grad.numpy())
    _close(wn.grad, wt.grad.numpy())


def test_padding_strings():
    x = ne.randn(1, 2, 7, 7)
    w = ne.randn(4, 2, 3, 3)
    assert F.conv2d(x, w, padding="same").shape == (1, 4, 7, 7)
    assert F.conv2d(x, w, padding="valid").shape == (1, 4, 5, 5)
    assert F.conv2d(x, ne.randn(4, 2, 2, 2), padding="same").shape == (1, 4, 7, 7)  # asymmetric, as torch
    with pytest.raises(ValueError, match="padding"):
        F.conv2d(x, w, padding="same", stride=2)


def test_bad_input():
    x, w = ne.randn(2, 4, 8, 8), ne.randn(6, 2, 3, 3)
    with pytest.raises(ValueError, match="input: expected 2 channels"):
        F.conv2d(x, ne.randn(6, 2, 3, 3))
    with pytest.raises(ValueError, match="groups"):
        F.conv2d(x, ne.randn(6, 1, 3, 3), groups=4)  # 6 output channels not divisible by 4
    with pytest.raises(ValueError, match="groups"):
        F.conv2d(x, w, groups=0)
    with pytest.raises(ValueError, match="padding"):
        F.conv2d(x, w, groups=2, padding=-1)
    with pytest.raises(ValueError, match="stride"):
        F.conv2d(x, w, groups=2, stride=0)
    with pytest.raises(TypeError, match="stride"):
        F.conv2d(x, w, groups=2, stride=1.5)
    with pytest.raises(ValueError, match="smaller than the dilated kernel"):
        F.conv2d(x, w, groups=2, dilation=5)
    with pytest.raises(ValueError, match="bias: expected shape"):
        F.conv2d(x, w, ne.randn(5), groups=2)
    with pytest.raises(ValueError, match="input: expected 3 or 4 dimensions"):
        F.conv2d(ne.randn(8, 8), w)
    with pytest.raises(TypeError, match="input"):
        F.conv2d("x", w)
    with pytest.raises(TypeError, match="x: expected dtype float32"):
        _core.conv2d_forward(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3), np.float32))
    with pytest.raises(ValueError, match="dy: expected shape"):
        _core.conv2d_backward_data(
            np.zeros((1, 2, 3, 3), np.float32), np.zeros((2, 1, 3, 3), np.float32), (6, 6)
        )
    with pytest.raises(ValueError, match="x: expected a C-contiguous"):
        _core.conv2d_forward(
            np.zeros((1, 1, 8, 8), np.float32)[:, :, ::2], np.zeros((1, 1, 3, 3), np.float32)
        )


def test_conv2d_module():
    ne.manual_seed(0)
    m = ne.nn.Conv2d(
        4, 8, (3, 5), stride=2, padding=(1, 2), groups=2, weight_regularizer=abs, bias_constraint=len
    )
    assert m.weight.shape == (8, 2, 3, 5) and m.bias.shape == (8,)
    bound = 1 / np.sqrt(2 * 3 * 5)
    assert np.abs(m.weight.numpy()).max() <= bound + 1e-6 and np.abs(m.bias.numpy()).max() <= bound + 1e-6
    assert m.weight.regularizer is abs and m.bias.constraint is len and m.weight.constraint is None
    assert list(m.state_dict()) == ["weight", "bias"]
    assert m(ne.randn(2, 4, 9, 10)).shape == (2, 8, 5, 5)
    m2 = ne.nn.Conv2d(3, 4, 3, bias=False)
    assert m2.bias is None and list(m2.state_dict()) == ["weight"]
    with pytest.raises(ValueError, match="groups"):
        ne.nn.Conv2d(3, 4, 3, groups=2)


def test_leaf_gradients_are_the_kernels_own_arrays(monkeypatch, rng):
    """conv2d's backward hands the tape the kernels' own dx and dw (a view only where 'same' padding crops dx or
    conv1d reshapes dw), which the tape keeps as the leaves' .grad instead of copying them (an 8x256x56x56 input's
    gradient is 25 MB a step); with 'same' padding's extra zero column, the cropped view is copied."""
    import sysconfig

    made = {}
    backward_data, backward_weights = _core.conv2d_backward_data, _core.conv2d_backward_weights

    def data(*a, **k):
        out = backward_data(*a, **k)
        made["dx"] = out.ctypes.data
        return out

    def weights(*a, **k):
        dw, db = backward_weights(*a, **k)
        made["dw"] = dw.ctypes.data
        return dw, db

    monkeypatch.setattr(_core, "conv2d_backward_data", data)
    monkeypatch.setattr(_core, "conv2d_backward_weights", weights)
    exact = not sysconfig.get_config_var("Py_GIL_DISABLED")  # (refcounts decide; a free-threaded build copies)
    for padding, kept in ((1, True), ("same", False)):
        x = ne.tensor(rng.standard_normal((2, 8, 12, 12)).astype(np.float32), requires_grad=True)
        w = ne.tensor(rng.standard_normal((16, 8, 3, 4)).astype(np.float32), requires_grad=True)
        y = F.conv2d(x, w, padding=padding)
        gy = rng.standard_normal(y.shape).astype(np.float32)
        y.backward(gy)
        assert (x.grad.ctypes.data == made["dx"]) == (kept and exact), padding
        assert (w.grad.ctypes.data == made["dw"]) == exact, padding
        if padding == 1:
            want = ref.conv2d_backward(gy, x.data, w.data, (1, 1), (1, 1), (1, 1), 1)
            _close(x.grad, want[0])
            _close(w.grad, want[1])
