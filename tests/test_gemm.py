"""GEMM kernel vs a float64 oracle: transposes, alpha/beta, biases, awkward sizes, every ISA, threads."""

import numpy as np
import pytest
from reference import gemm as gemm_ref

import nnengine as ne
from nnengine import _core

SIZES = [(1, 1, 1), (7, 15, 16), (16, 17, 33), (33, 16, 7), (257, 33, 17), (1, 300, 64), (300, 1, 64),
         (5, 1000, 3), (64, 200, 576), (13, 9, 600),
         # tile shapes and paths: 8-row tiles (M = 32, 64), one-vector tiles (N <= 16), B read in place
         # by one row panel (M = 8) or copied by the first of several (M <= 128, two KC blocks)
         (32, 512, 128), (64, 97, 40), (128, 10, 130), (200, 16, 33), (8, 200, 700), (100, 150, 900),
         (129, 50, 400)]


def _operands(rng, M, N, K, ta, tb):
    a = rng.standard_normal((K, M) if ta else (M, K)).astype(np.float32)
    b = rng.standard_normal((N, K) if tb else (K, N)).astype(np.float32)
    return a, b


@pytest.mark.parametrize("M,N,K", SIZES)
@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_gemm_matches_float64(isa, rng, M, N, K, ta, tb):
    a, b = _operands(rng, M, N, K, ta, tb)
    out = _core.gemm(a, b, ta, tb)
    ref = gemm_ref.gemm(a, b, ta, tb)
    tol = 1e-5 * np.sqrt(K) * (np.abs(a).max() * np.abs(b).max() + 1)
    np.testing.assert_allclose(out, ref, atol=tol, rtol=1e-5)


@pytest.mark.parametrize("alpha,beta", [(1.0, 0.0), (0.5, 1.0), (-2.0, 0.25), (0.0, 3.0)])
@pytest.mark.parametrize("M,N,K,tb", [(37, 45, 300, True), (37, 45, 900, False), (128, 10, 500, False),
                                      (300, 70, 500, False), (3, 40, 500, False), (40, 3, 100, False),
                                      (6, 33, 70, True)])
def test_gemm_alpha_beta_bias(isa, rng, alpha, beta, M, N, K, tb):
    # every path (packed, B in place, narrow tiles, GEMV rows, transposed), with K over several blocks
    a, b = _operands(rng, M, N, K, False, tb)
    c = rng.standard_normal((M, N)).astype(np.float32)
    br = rng.standard_normal(M).astype(np.float32)
    bc = rng.standard_normal(N).astype(np.float32)
    out = _core.gemm(a, b, False, tb, alpha, beta, c.copy() if beta else None, br, bc)
    ref = alpha * gemm_ref.gemm(a, b, False, tb) + (beta * c if beta else 0) + br[:, None] + bc[None, :]
    np.testing.assert_allclose(out, ref, atol=2e-4 * np.sqrt(K), rtol=1e-5)


def test_gemm_beta_zero_ignores_nan_in_c(rng):
    a, b = _operands(rng, 8, 8, 8, False, False)
    c = np.full((8, 8), np.nan, np.float32)
    out = _core.gemm(a, b, c=c)
    assert np.isfinite(out).all()


def test_gemm_k_zero(rng):
    a = np.zeros((3, 0), np.float32)
    b = np.zeros((0, 4), np.float32)
    np.testing.assert_array_equal(_core.gemm(a, b), np.zeros((3, 4), np.float32))


def test_gemm_reference_twin(rng):
    a, b = _operands(rng, 19, 23, 41, True, False)
    fast = _core.gemm(a, b, True, False)
    ref = _core.gemm(a, b, True, False, reference=True)
    np.testing.assert_allclose(fast, ref, atol=1e-4, rtol=1e-5)


def test_gemm_float64_oracle(rng):
    a = rng.standard_normal((9, 5))
    b = rng.standard_normal((7, 5))
    np.testing.assert_allclose(_core.gemm(a, b, False, True), a @ b.T, rtol=1e-12)


@pytest.mark.parametrize("M,N,K", [(512, 64, 128), (64, 3136, 96), (600, 600, 300), (256, 256, 256), (32, 700, 450),
                                   (128, 10, 500), (3, 2000, 300), (8, 700, 37)])
@pytest.mark.parametrize("tb", [False, True])
def test_gemm_threads_bit_identical(isa, rng, M, N, K, tb):
    a, b = _operands(rng, M, N, K, False, tb)
    with ne.backend.num_threads(1):
        one = _core.gemm(a, b, False, tb)
    with ne.backend.num_threads(2):
        two = _core.gemm(a, b, False, tb)
    with ne.backend.num_threads(3):
        three = _core.gemm(a, b, False, tb)
    assert np.array_equal(one, two) and np.array_equal(one, three)


def test_gemm_bad_arguments():
    a = np.ones((3, 4), np.float32)
    with pytest.raises(ValueError, match="inner dimensions"):
        _core.gemm(a, np.ones((5, 2), np.float32))
    with pytest.raises(TypeError, match="dtype float32"):
        _core.gemm(a, np.ones((4, 2), np.int32))
    with pytest.raises(TypeError, match="numpy.ndarray"):
        _core.gemm(a, [[1.0]])
    with pytest.raises(ValueError, match="C-contiguous"):
        _core.gemm(a, np.ones((2, 4), np.float32).T)
    with pytest.raises(ValueError, match="2 dimensions"):
        _core.gemm(a, np.ones(4, np.float32))
    with pytest.raises(ValueError, match="c: expected shape"):
        _core.gemm(a, np.ones((4, 2), np.float32), beta=1.0, c=np.ones((2, 2), np.float32))
    with pytest.raises(ValueError, match="beta != 0 needs"):
        _core.gemm(a, np.ones((4, 2), np.float32), beta=1.0)
    with pytest.raises(ValueError, match="bias_col"):
        _core.gemm(a, np.ones((4, 2), np.float32), bias_col=np.ones(3, np.float32))
    with pytest.raises(ValueError, match="read-only"):
        c = np.ones((3, 2), np.float32)
        c.flags.writeable = False
        _core.gemm(a, np.ones((4, 2), np.float32), c=c)


@pytest.mark.parametrize("M", [1, 2, 3, 4])
@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
def test_gemm_few_rows_gemv_path(isa, rng, M, ta, tb):
    N, K = 1001, 1100  # K spans several blocks of the GEMV path; N splits over threads
    a, b = _operands(rng, M, N, K, ta, tb)
    c = rng.standard_normal((M, N)).astype(np.float32)
    br = rng.standard_normal(M).astype(np.float32)
    bc = rng.standard_normal(N).astype(np.float32)
    out = _core.gemm(a, b, ta, tb, 0.5, 2.0, c.copy(), br, bc)
    ref = 0.5 * gemm_ref.gemm(a, b, ta, tb) + 2.0 * c + br[:, None] + bc[None, :]
    np.testing.assert_allclose(out, ref, atol=1e-3, rtol=1e-5)
    with ne.backend.num_threads(1):
        one = _core.gemm(a, b, ta, tb)
    with ne.backend.num_threads(2):
        two = _core.gemm(a, b, ta, tb)
    assert np.array_equal(one, two)


@pytest.mark.parametrize("tb", [False])  # a transposed B with <= 8 rows takes the dot path (gemm.h)
@pytest.mark.parametrize("K", [5, 300, 900])
@pytest.mark.parametrize("N", [10, 40, 77, 200])  # 10: one-vector tiles; 40: A read in place; 77, 200: A packed
@pytest.mark.parametrize("M", [50, 300])  # 50: B read in place; 300: B packed ahead
def test_gemm_row_result_independent_of_row_count(isa, rng, tb, K, N, M):
    """A row of C is bit-identical whether computed alone, in a few-row call or in a big one
    (what makes a streamed RNN equal the whole-sequence call)."""
    a = rng.standard_normal((M, K)).astype(np.float32)
    b = rng.standard_normal((N, K) if tb else (K, N)).astype(np.float32)
    bias = rng.standard_normal(N).astype(np.float32)
    whole = _core.gemm(a, b, False, tb, bias_col=bias)
    for rows in (slice(0, 1), slice(3, 5), slice(10, 13), slice(20, 24), slice(30, 45)):
        part = _core.gemm(np.ascontiguousarray(a[rows]), b, False, tb, bias_col=bias)
        assert np.array_equal(part, whole[rows]), rows


@pytest.mark.parametrize("tb", [False, True])
def test_gemm_edge_tiles_same_bits_as_full_tiles(isa, rng, tb):
    """Edge tiles compute only their rows (rounded up to 4) and vectors (gemm_micro.h micro_kernel_edge); every
    element is still the FMA chain it has inside a full tile, so the leading m x n block of the operands gives
    the leading block of C bit for bit, for row and column counts around every tile height and vector width
    (several KC blocks, alpha, beta and both biases). With a transposed B, up to 16 rows take the dot path."""
    M, N, K = 52, 100, 1100
    a = rng.standard_normal((M, K)).astype(np.float32)
    b = rng.standard_normal((N, K) if tb else (K, N)).astype(np.float32)
    c = rng.standard_normal((M, N)).astype(np.float32)
    br, bc = rng.standard_normal(M).astype(np.float32), rng.standard_normal(N).astype(np.float32)
    whole = _core.gemm(a, b, False, tb, 0.5, 0.75, c.copy(), br, bc)
    for m in ((17, 20, 23, 25, 29, 33, 47, 49) if tb else (1, 5, 6, 7, 9, 12, 13, 17, 20, 23, 25, 29, 33, 47, 49)):
        for n in (1, 4, 5, 8, 9, 15, 16, 17, 24, 31, 33, 47, 49, 63, 65, 97):
            bb = b[:n] if tb else b[:, :n]
            part = _core.gemm(np.ascontiguousarray(a[:m]), np.ascontiguousarray(bb), False, tb, 0.5, 0.75,
                              c[:m, :n].copy(), br[:m].copy(), bc[:n].copy())
            assert np.array_equal(part, whole[:m, :n]), (m, n)


def test_gemm_dot_path_one_or_two_rows_same_bits_as_more(isa, rng, threads):
    """A transposed B with 1 or 2 rows of C takes the dot path in blocks of 8 columns on AVX-512 (gemm_dot.h,
    kDotColsFew), 3 or more rows in blocks of 4: every output is the same chain of FMAs along k either way, so
    those rows of a 3-row call come out bit for bit, at 1 and 2 threads, for column counts around both block
    widths and K around the vector width (alpha, beta and both biases); and within the float64 oracle's bound."""
    for K in (1, 15, 16, 17, 100, 1100):
        for N in (1, 3, 7, 8, 9, 15, 17, 33, 100):
            a = rng.standard_normal((3, K)).astype(np.float32)
            b = rng.standard_normal((N, K)).astype(np.float32)
            c = rng.standard_normal((3, N)).astype(np.float32)
            br, bc = rng.standard_normal(3).astype(np.float32), rng.standard_normal(N).astype(np.float32)
            whole = _core.gemm(a, b, False, True, 0.5, 0.75, c.copy(), br, bc)
            ref = 0.5 * (a.astype(np.float64) @ b.astype(np.float64).T) + 0.75 * c + br[:, None] + bc[None, :]
            np.testing.assert_allclose(whole, ref, rtol=1e-5, atol=1e-5 * np.sqrt(K), err_msg=f"N={N} K={K}")
            for m in (1, 2):
                for t in (1, 2):
                    with threads(t):
                        part = _core.gemm(np.ascontiguousarray(a[:m]), b, False, True, 0.5, 0.75, c[:m].copy(),
                                          br[:m].copy(), bc)
                    assert np.array_equal(part, whole[:m]), (m, N, K, t)


@pytest.mark.parametrize("seed", range(6))
def test_gemm_random_shapes_every_path(isa, seed):
    """Seeded random problems over the ranges where the paths switch (GEMV rows, dot products, tile
    shapes, B in place up to 128 rows, narrow outputs, several KC blocks), with alpha/beta and biases."""
    rng = np.random.default_rng(seed)
    for _ in range(12):
        M, N = (int(v) for v in rng.integers(1, 150, size=2))
        K = int(rng.integers(1, 900))
        ta, tb = (bool(v) for v in rng.integers(0, 2, size=2))
        alpha, beta = float(rng.choice([1.0, -0.5])), float(rng.choice([0.0, 0.75]))
        a, b = _operands(rng, M, N, K, ta, tb)
        c = rng.standard_normal((M, N)).astype(np.float32)
        br, bc = rng.standard_normal(M).astype(np.float32), rng.standard_normal(N).astype(np.float32)
        out = _core.gemm(a, b, ta, tb, alpha, beta, c.copy() if beta else None, br, bc)
        ref = alpha * gemm_ref.gemm(a, b, ta, tb) + (beta * c if beta else 0) + br[:, None] + bc[None, :]
        np.testing.assert_allclose(out, ref, atol=2e-5 * np.sqrt(K) * 4, rtol=1e-5,
                                   err_msg=f"M={M} N={N} K={K} ta={ta} tb={tb}")
