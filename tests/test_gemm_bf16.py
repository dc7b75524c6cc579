"""The bf16 GEMM (cpp/kernels/gemm_bf16.h): inputs rounded to bf16, float32 sums.

Oracle: float64 products of the bf16-rounded inputs (tests/reference/bf16.py). The scalar twin runs on every
CPU; the AVX512-BF16 kernel where the CPU has it, and where it does not, the same calls must raise the clear
error instead (so no test is skipped on either kind of machine).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from reference.bf16 import bf16_gemm_oracle, bf16_round

from nnengine import _core

HAVE_BF16 = _core.bf16_unavailable_reason() == ""

SHAPES = [(1, 1, 1), (1, 17, 3), (3, 5, 7), (12, 32, 2), (13, 33, 31), (11, 31, 32), (17, 16, 33), (24, 64, 64),
          (40, 70, 129), (5, 300, 33), (100, 50, 1030)]


def _operands(rng, M, N, K, ta, tb):
    a = rng.standard_normal((K, M) if ta else (M, K)).astype(np.float32)
    b = rng.standard_normal((N, K) if tb else (K, N)).astype(np.float32)
    return a, b


def _check_close(y, a, b, ta, tb, alpha=1.0, beta=0.0, c=None, br=None, bc=None):
    want, bound = bf16_gemm_oracle(a, b, ta, tb, alpha, beta, c, br, bc)
    err = np.abs(y.astype(np.float64) - want)
    assert np.all(err <= bound), f"max error/bound {float(np.max(err / bound)):.3g}"


def test_bf16_rounding_is_round_to_nearest_even():
    # values exactly halfway between two bf16 numbers round to the even one; others to the nearest
    one = np.float32(1.0)
    ulp = np.float32(2.0 ** -7)  # bf16 spacing at 1.0
    x = np.array([one + ulp / 2, one + 3 * ulp / 2, one + ulp / 2 + 2.0 ** -20, -(one + ulp / 2), 3.0e38,
                  np.float32(1e-3)], np.float32)
    want = np.array([1.0, 1.0 + 2 * ulp, 1.0 + ulp, -1.0, bf16_round(np.float32(3.0e38)), bf16_round(np.float32(1e-3))])
    assert bf16_round(x).tolist() == want.tolist()
    eye = np.eye(len(x), dtype=np.float32)
    for reference in ([True, False] if HAVE_BF16 else [True]):
        y = _core.gemm(eye, x[:, None].copy(), reference=reference, bf16=True)
        assert y[:, 0].tolist() == want.tolist(), reference


@pytest.mark.parametrize("ta,tb", list(itertools.product([False, True], repeat=2)))
def test_reference_twin_against_float64(ta, tb):
    rng = np.random.default_rng(1)
    for M, N, K in SHAPES[:8]:
        a, b = _operands(rng, M, N, K, ta, tb)
        _check_close(_core.gemm(a, b, ta, tb, reference=True, bf16=True), a, b, ta, tb)


@pytest.mark.parametrize("ta,tb", list(itertools.product([False, True], repeat=2)))
def test_kernel_against_float64_or_clear_error(ta, tb):
    rng = np.random.default_rng(2)
    for M, N, K in SHAPES:
        a, b = _operands(rng, M, N, K, ta, tb)
        c = rng.standard_normal((M, N)).astype(np.float32)
        br, bc = rng.standard_normal(M).astype(np.float32), rng.standard_normal(N).astype(np.float32)
        if not HAVE_BF16:
            with pytest.raises(ValueError, match="bf16: .*(AVX512-BF16|avx512)"):
                _core.gemm(a, b, ta, tb, bf16=True)
            continue
        _check_close(_core.gemm(a, b, ta, tb, bf16=True), a, b, ta, tb)
        y = _core.gemm(a, b, ta, tb, 0.5, 0.25, c.copy(), br, bc, bf16=True)
        _check_close(y, a, b, ta, tb, 0.5, 0.25, c, br, bc)


def test_kernel_k_blocks_and_big_shapes():
    """K beyond one packed block (the blocking's KC pairs) and M, N beyond one MC/NC block."""
    if not HAVE_BF16:
        pytest.raises(ValueError, _core.gemm, np.ones((2, 2), np.float32), np.ones((2, 2), np.float32), bf16=True)
        return
    rng = np.random.default_rng(3)
    for ta, tb in itertools.product([False, True], repeat=2):
        a, b = _operands(rng, 70, 1100, 2300, ta, tb)
        _check_close(_core.gemm(a, b, ta, tb, bf16=True), a, b, ta, tb)


def test_kernel_bit_identical_at_1_and_2_threads():
    if not HAVE_BF16:
        return test_kernel_against_float64_or_clear_error(False, False)
    rng = np.random.default_rng(4)
    nt = _core.get_num_threads()
    try:
        for M, N, K, ta, tb in [(300, 200, 700, False, True), (64, 900, 300, True, False), (500, 64, 129, False, False)]:
            a, b = _operands(rng, M, N, K, ta, tb)
            _core.set_num_threads(1)
            y1 = _core.gemm(a, b, ta, tb, bf16=True)
            _core.set_num_threads(2)
            y2 = _core.gemm(a, b, ta, tb, bf16=True)
            assert np.array_equal(y1, y2)
    finally:
        _core.set_num_threads(nt)


def test_isa_cap_below_avx512_turns_bf16_off():
    isa = _core.isa()
    try:
        _core.set_isa("avx2")
        reason = _core.bf16_unavailable_reason()
        assert reason, "bf16 kernels must need the avx512 level"
        with pytest.raises(ValueError, match="^bf16: "):
            _core.gemm(np.ones((2, 2), np.float32), np.ones((2, 2), np.float32), bf16=True)
        # the twin still runs (reference=True), in bf16
        y = _core.gemm(np.full((1, 1), 1 + 2.0 ** -9, np.float32), np.ones((1, 1), np.float32), reference=True,
                       bf16=True)
        assert y[0, 0] == 1.0
    finally:
        _core.set_isa(isa)


def test_bad_arguments():
    a = np.ones((2, 3), np.float32)
    with pytest.raises(TypeError, match="bf16"):  # (the twin: no CPU check before the dtype check)
        _core.gemm(a.astype(np.float64), a.T.astype(np.float64), reference=True, bf16=True)
    with pytest.raises(ValueError, match="inner dimensions"):
        _core.gemm(a, a, reference=True, bf16=True)


@pytest.mark.parametrize("bf16", [False, True])
@pytest.mark.parametrize("reference", [False, True])
@pytest.mark.parametrize("ta,tb", list(itertools.product([False, True], repeat=2)))
def test_caller_packed_b_gives_the_in_memory_result(bf16, reference, ta, tb):
    # GemmArgs::pack_b (a convolution's column matrix packed by its caller) with B itself null: the float32
    # tiled path, and with bf16 the bf16 kernel and both scalar twins (which read B in memory: op(B) is
    # materialized through the packer); this used to read the null B with bf16. Same result as op(b) in memory.
    if bf16 and not reference and not HAVE_BF16:
        with pytest.raises(ValueError, match="bf16"):
            _core.gemm(np.ones((2, 3), np.float32), np.ones((3, 2), np.float32), bf16=True, packed_b=True)
        return
    rng = np.random.default_rng(7)
    for M, N, K in [(1, 1, 1), (3, 17, 7), (17, 33, 31), (40, 70, 1030), (70, 5, 129)]:
        a, b = _operands(rng, M, N, K, ta, tb)
        c = rng.standard_normal((M, N)).astype(np.float32)
        bc = rng.standard_normal(N).astype(np.float32)
        kw = dict(trans_a=ta, trans_b=tb, alpha=0.5, beta=1.0, bias_col=bc, reference=reference, bf16=bf16)
        y = _core.gemm(a, b, c=c.copy(), packed_b=True, **kw)
        want = _core.gemm(a, b, c=c.copy(), **kw)
        if bf16 or reference or M > 16:  # (the in-memory float32 product of up to 16 rows may take the dot path)
            np.testing.assert_array_equal(y, want, err_msg=f"{(M, N, K)}")
        else:
            np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-4, err_msg=f"{(M, N, K)}")


def test_caller_packed_b_rejects_float64():
    with pytest.raises(TypeError, match="packed_b"):
        _core.gemm(np.ones((2, 3)), np.ones((3, 2)), packed_b=True)
