"""The Winograd F(2x2, 2x2) path of conv_transpose2d (stride 2, 4x4 kernel, dilation 1, one group, >= 16 channels
in and out, >= 1024 input positions; cpp/kernels/conv_transpose_winograd.cpp): forward, input and weight gradients
against the float64 oracle on every ISA, odd sizes, every padding / output_padding residue, several blocks of images
(faked caches), 1 vs 2 threads bit-identical, the fused backward bit for bit the separate kernels, PyTorch side by
side, and the shapes just outside its domain (groups, dilation, stride, kernel, channels, positions) on the other
paths."""

from __future__ import annotations

import numpy as np
import pytest
from conv_testing import check_against_torch
from conv_testing import close as _close
from reference import conv_transpose as ref

import nnengine as ne
import nnengine.functional as F
from nnengine import _core

# (N, C, H, W, K, padding, output_padding); stride 2, kernel 4x4, dilation 1, groups 1.
WINO = [
    (64, 16, 4, 4, 16, (1, 1), (0, 0)),  # the DCGAN doubling layer at the smallest size the path takes
    (12, 17, 9, 11, 18, (0, 2), (1, 0)),  # odd sizes (ragged tiles), asymmetric padding, output_padding
    (400, 16, 1, 3, 16, (1, 0), (0, 1)),  # one input row
    (30, 20, 6, 6, 24, (2, 1), (1, 1)),  # padding 2
    (70, 19, 3, 5, 17, (3, 1), (1, 1)),  # padding 3: phases reading far outside x
    (26, 33, 7, 6, 17, (1, 1), (0, 0)),  # channels off the vector width
    (257, 16, 2, 2, 16, (0, 0), (1, 1)),  # images off the vector width, no padding
]


def _data(cfg, seed=0):
    N, C, H, W, K, pd, op = cfg
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    w = rng.standard_normal((C, K, 4, 4)).astype(np.float32)
    b = rng.standard_normal(K).astype(np.float32)
    hp = ((2, 2), pd, op, (1, 1), 1)
    dy = rng.standard_normal(ref.conv_transpose2d(x, w, b, *hp).shape).astype(np.float32)
    return x, w, b, dy, hp


def _ids(c):
    return "x".join(map(str, c[:5])) + f"-p{c[5]}o{c[6]}"


def _all(x, w, b, dy, hp):
    H, W = x.shape[2:]
    return [_core.conv_transpose2d_forward(x, w, b, *hp), _core.conv_transpose2d_backward_data(dy, w, (H, W), *hp),
            *_core.conv_transpose2d_backward_weights(dy, x, (4, 4), *hp), *_core.conv_transpose2d_backward(dy, x, w, *hp)]


@pytest.mark.parametrize("cfg", WINO, ids=_ids)
def test_matches_oracle(cfg, isa):
    x, w, b, dy, hp = _data(cfg)
    y, dx, dw, db, fx, fw, fb = _all(x, w, b, dy, hp)
    _close(y, ref.conv_transpose2d(x, w, b, *hp))
    for got, want in zip((dx, dw, db), ref.conv_transpose2d_backward(dy, x, w, *hp)):
        _close(got, want)
    # the fused backward (one transform of dy for dx and dw) is bit for bit the separate kernels
    assert np.array_equal(fx, dx) and np.array_equal(fw, dw) and np.array_equal(fb, db)
    for need in [(True, False, False), (False, True, False)]:
        got = _core.conv_transpose2d_backward(dy, x, w, *hp, need_input=need[0], need_weight=need[1], need_bias=False)
        assert np.array_equal(got[0] if need[0] else got[1], dx if need[0] else dw)


@pytest.mark.parametrize("cfg", [WINO[1], WINO[5]], ids=_ids)
def test_scalar_twin_matches_kernel(cfg):
    x, w, b, dy, hp = _data(cfg, seed=3)
    _close(_core.conv_transpose2d_forward(x, w, b, *hp, reference=True), _core.conv_transpose2d_forward(x, w, b, *hp))
    for a, k in zip(_core.conv_transpose2d_backward(dy, x, w, *hp, reference=True),
                    _core.conv_transpose2d_backward(dy, x, w, *hp)):
        _close(a, k)


@pytest.mark.parametrize("sizes", [None, (1 << 10, 4 << 10, 8 << 10)])
def test_blocks_and_threads(sizes, isa):
    """40 images of 8x7 (16 tiles each): one block, or with faked small caches two blocks of 20 (blocks of at least
    512 tiles; dw summed block by block in order); against the oracle and 1 vs 2 threads bit-identical."""
    x, w, b, dy, hp = _data((40, 16, 8, 7, 16, (1, 1), (1, 0)), seed=5)
    if sizes:
        ne.backend.set_cache_sizes(*sizes)
    try:
        outs = []
        for n in (1, 2):
            with ne.backend.num_threads(n):
                outs.append(_all(x, w, b, dy, hp))
    finally:
        ne.backend.set_cache_sizes()
    _close(outs[0][0], ref.conv_transpose2d(x, w, b, *hp))
    for got, want in zip(outs[0][1:4], ref.conv_transpose2d_backward(dy, x, w, *hp)):
        _close(got, want)
    for a, c in zip(*outs):
        assert np.array_equal(a, c)


@pytest.mark.parametrize("cfg", [WINO[0], WINO[1], WINO[4]], ids=_ids)
def test_autograd_matches_torch(cfg, torch):
    x, w, b, dy, (st, pd, op, dl, g) = _data(cfg, seed=7)
    check_against_torch(torch, F.conv_transpose2d, torch.nn.functional.conv_transpose2d, x, w, b, dy,
                        stride=st, padding=pd, output_padding=op, groups=g, dilation=dl)


# Just outside the Winograd domain (64 images of 4x4: enough positions): each falls back to the GEMM / sub-pixel /
# direct paths.
OUTSIDE = [
    (64, 16, 4, 4, 16, 4, 4, (2, 2), (1, 1), (0, 0), (1, 1), 2),  # groups
    (64, 16, 4, 5, 16, 4, 4, (2, 2), (1, 1), (1, 1), (2, 2), 1),  # dilation (output_padding < dilation)
    (64, 16, 4, 4, 16, 4, 4, (2, 1), (1, 1), (0, 0), (1, 1), 1),  # stride (2, 1)
    (64, 16, 4, 4, 16, 4, 3, (2, 2), (1, 1), (0, 0), (1, 1), 1),  # kernel 4x3
    (64, 15, 4, 4, 16, 4, 4, (2, 2), (1, 1), (0, 0), (1, 1), 1),  # 15 input channels
    (64, 16, 4, 4, 15, 4, 4, (2, 2), (1, 1), (1, 1), (1, 1), 1),  # 15 output channels
    (63, 16, 4, 4, 16, 4, 4, (2, 2), (1, 1), (0, 0), (1, 1), 1),  # 1008 input positions
]


@pytest.mark.parametrize("cfg", OUTSIDE, ids=lambda c: "x".join(map(str, c[:7])) + f"-s{c[7]}d{c[10]}g{c[11]}")
def test_outside_the_domain_matches_oracle(cfg, isa):
    N, C, H, W, K, R, S, st, pd, op, dl, g = cfg
    rng = np.random.default_rng(11)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    w = rng.standard_normal((C, K // g, R, S)).astype(np.float32)
    b = rng.standard_normal(K).astype(np.float32)
    hp = (st, pd, op, dl, g)
    y = _core.conv_transpose2d_forward(x, w, b, *hp)
    _close(y, ref.conv_transpose2d(x, w, b, *hp))
    dy = rng.standard_normal(y.shape).astype(np.float32)
    for got, want in zip(_core.conv_transpose2d_backward(dy, x, w, *hp), ref.conv_transpose2d_backward(dy, x, w, *hp)):
        _close(got, want)

