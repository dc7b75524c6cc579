"""The bf16 GEMM (cpp/kernels/gemm_bf16.h): inputs rounded to bf16, float32 sums.

Oracle: float64 products of the bf16-rounded inputs (tests/reference/bf16.py). The scalar twin runs on every
CPU; each kernel (AMX-BF16 tiles, AVX512-BF16) where the CPU has it, selected through set_bf16_gemm_kernel, and
where it does not, selecting it or calling gemm(bf16=True) must raise the clear error instead (so no test is
skipped on either kind of machine).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import numpy as np
import pytest
from reference.bf16 import bf16_gemm_oracle, bf16_round

from nnengine import _core

HAVE_BF16 = _core.bf16_unavailable_reason() == ""
KERNELS = ["amx", "avx512bf16"]


SHAPES = [(1, 1, 1), (1, 17, 3), (3, 5, 7), (12, 32, 2), (13, 33, 31), (11, 31, 32), (17, 16, 33), (24, 64, 64),
          (40, 70, 129), (5, 300, 33), (100, 50, 1030)]
# Around the AMX tiles (16 rows, 16 pairs = 32 values of k, 32 x 32 blocks of C, steps of 8 x 32 values of k).
AMX_SHAPES = [(16, 16, 32), (31, 33, 63), (32, 32, 256), (33, 31, 257), (48, 80, 96), (65, 47, 511)]


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
def test_kernel_against_float64_or_clear_error(ta, tb, bf16_kernel):
    if bf16_kernel is None and HAVE_BF16:
        return  # (the other kernel runs these shapes)
    rng = np.random.default_rng(2)
    for M, N, K in SHAPES + AMX_SHAPES:
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


def test_kernel_k_blocks_and_big_shapes(bf16_kernel):
    """K beyond one packed block (the blocking's KC pairs; AMX: K chunks of 2048 values) and M, N beyond one
    MC/NC block (AMX: packed blocks of 2048 rows or columns)."""
    if bf16_kernel is None and HAVE_BF16:
        return
    if not HAVE_BF16:
        pytest.raises(ValueError, _core.gemm, np.ones((2, 2), np.float32), np.ones((2, 2), np.float32), bf16=True)
        return
    rng = np.random.default_rng(3)
    for ta, tb in itertools.product([False, True], repeat=2):
        a, b = _operands(rng, 70, 1100, 2300, ta, tb)
        _check_close(_core.gemm(a, b, ta, tb, bf16=True), a, b, ta, tb)
    for M, N, K in [(2100, 40, 70), (40, 2100, 70), (33, 45, 4200)]:
        a, b = _operands(rng, M, N, K, False, True)
        c = rng.standard_normal((M, N)).astype(np.float32)
        bc = rng.standard_normal(N).astype(np.float32)
        _check_close(_core.gemm(a, b, False, True, 0.5, 1.0, c.copy(), None, bc, bf16=True), a, b, False, True,
                     0.5, 1.0, c, None, bc)


def test_kernel_blocking_from_a_faked_cache(bf16_kernel):
    """The column blocks follow the L2 in use (NNENGINE_CACHE / set_cache_sizes): a tiny L2 gives blocks of one
    tile panel; the result is the same chain of products per element, so identical to the default blocking."""
    if bf16_kernel is None:
        return
    rng = np.random.default_rng(8)
    a, b = _operands(rng, 70, 300, 600, False, False)
    want = _core.gemm(a, b, bf16=True)
    info = _core.cache_info()
    try:
        _core.set_cache_sizes(info["l1d"], 16384, info["l3"])
        assert _core.cache_info()["gemm_l2_floats"] == 2048
        got = _core.gemm(a, b, bf16=True)
    finally:
        _core.reset_cache_sizes()
    np.testing.assert_array_equal(got, want)
    _check_close(got, a, b, False, False)


def test_kernel_bit_identical_at_1_and_2_threads(bf16_kernel):
    if bf16_kernel is None:
        return
    rng = np.random.default_rng(4)
    nt = _core.get_num_threads()
    try:
        for M, N, K, ta, tb in [(300, 200, 700, False, True), (64, 900, 300, True, False), (500, 64, 129, False, False),
                                (2100, 33, 300, False, False), (33, 2100, 2100, True, True)]:
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


@pytest.mark.parametrize("packed", ["b", "a", "ab"])
@pytest.mark.parametrize("bf16", [False, True])
@pytest.mark.parametrize("reference", [False, True])
@pytest.mark.parametrize("ta,tb", list(itertools.product([False, True], repeat=2)))
def test_caller_packed_operands_give_the_in_memory_result(packed, bf16, reference, ta, tb, bf16_kernel):
    # GemmArgs::pack_b / pack_a (a convolution's column matrix or its dy packed by the caller) with B / A itself
    # null: the float32 tiled path, and with bf16 the bf16 kernel and both scalar twins (which read the operands in
    # memory: they are materialized through the packers); pack_b used to read the null B with bf16. Same result as
    # the operands in memory.
    if bf16_kernel is None and (HAVE_BF16 or not bf16 or reference):
        return  # (the other kernel's run covers it)
    flags = dict(packed_a="a" in packed, packed_b="b" in packed)
    if bf16 and not reference and not HAVE_BF16:
        with pytest.raises(ValueError, match="bf16"):
            _core.gemm(np.ones((2, 3), np.float32), np.ones((3, 2), np.float32), bf16=True, **flags)
        return
    rng = np.random.default_rng(7)
    for M, N, K in [(1, 1, 1), (3, 17, 7), (17, 33, 31), (40, 70, 1030), (70, 5, 129), (13, 400, 45)]:
        a, b = _operands(rng, M, N, K, ta, tb)
        c = rng.standard_normal((M, N)).astype(np.float32)
        bc = rng.standard_normal(N).astype(np.float32)
        br = rng.standard_normal(M).astype(np.float32)
        kw = dict(trans_a=ta, trans_b=tb, alpha=0.5, beta=1.0, bias_col=bc, bias_row=br, reference=reference,
                  bf16=bf16)
        y = _core.gemm(a, b, c=c.copy(), **flags, **kw)
        want = _core.gemm(a, b, c=c.copy(), **kw)
        # (the in-memory product of up to 16 rows may take the dot or the few-rows path, which sum in another order
        # than the bf16 kernel or, with a transposed b, the float32 tiles; the packed one never does)
        if reference or M > 16:
            np.testing.assert_array_equal(y, want, err_msg=f"{(M, N, K)}")
        else:
            np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-4, err_msg=f"{(M, N, K)}")
        if bf16:
            _check_close(y, a, b, ta, tb, 0.5, 1.0, c, br, bc)
        else:
            oracle = 0.5 * ((a.T if ta else a).astype(np.float64) @ (b.T if tb else b)) + c + bc + br[:, None]
            np.testing.assert_allclose(y, oracle, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("flag", ["packed_a", "packed_b"])
def test_caller_packed_operands_reject_float64(flag):
    with pytest.raises(TypeError, match=flag):
        _core.gemm(np.ones((2, 3)), np.ones((3, 2)), **{flag: True})


def test_kernels_agree_to_float32_rounding():
    """The AMX and AVX512-BF16 kernels sum the same bf16 products in float32, in different orders: equal within
    the oracle's bound of each other (where the CPU has both; else the one it has against the oracle)."""
    rng = np.random.default_rng(11)
    a, b = _operands(rng, 70, 90, 1000, False, True)
    outs = {}
    try:
        for name in _core.bf16_gemm_kernels():
            _core.set_bf16_gemm_kernel(name)
            outs[name] = _core.gemm(a, b, False, True, bf16=True)
    finally:
        _core.set_bf16_gemm_kernel("auto")
    want, bound = bf16_gemm_oracle(a, b, False, True)
    for y in outs.values():
        assert np.all(np.abs(y - want) <= bound)
    if len(outs) == 2:
        assert np.all(np.abs(outs["amx"] - outs["avx512bf16"]) <= 2 * bound)


def test_kernel_selection():
    kernels = _core.bf16_gemm_kernels()
    assert set(kernels) <= set(KERNELS)
    assert _core.bf16_gemm_kernel() == (kernels[0] if kernels else "none")  # 'auto': the best one
    assert HAVE_BF16 == bool(kernels)
    with pytest.raises(ValueError, match="name: expected 'auto', 'amx' or 'avx512bf16', got 'tpu'"):
        _core.set_bf16_gemm_kernel("tpu")
    with pytest.raises(TypeError):
        _core.set_bf16_gemm_kernel(None)
    _core.set_bf16_gemm_kernel("auto")
    isa = _core.isa()
    try:
        _core.set_isa("avx2")  # the cap turns every bf16 kernel off, and back on when lifted
        assert _core.bf16_gemm_kernels() == [] and _core.bf16_gemm_kernel() == "none"
    finally:
        _core.set_isa(isa)
    assert _core.bf16_gemm_kernels() == kernels


@pytest.mark.parametrize("name", ["avx512bf16", "amx", "bogus"])
def test_env_picks_the_first_choice(name):
    """NNENGINE_BF16_GEMM names the kernel a process starts with; an unavailable or unknown name means 'auto'."""
    code = "from nnengine import _core; print(_core.bf16_gemm_kernel())"
    env = dict(os.environ, NNENGINE_BF16_GEMM=name)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    kernels = _core.bf16_gemm_kernels()
    want = name if name in kernels else (kernels[0] if kernels else "none")
    assert out.stdout.strip() == want


def test_amx_probe_or_clear_error():
    """The AMX tile probe (bench_bf16's ceiling): exact checksum (a product of 2^-14 summed 32 times per round),
    the flops it did, on every thread; the clear error where the CPU has no AMX; bounds on iters either way."""
    for bad in (0, -1, 2**24 + 1):
        with pytest.raises(ValueError, match="iters"):
            _core.amx_probe(bad)
    if "amx" not in _core.bf16_gemm_kernels():
        with pytest.raises(ValueError, match="amx_probe: .*no AMX-BF16"):
            _core.amx_probe(10)
        return
    nt = _core.get_num_threads()
    flops, checksum = _core.amx_probe(100)
    assert flops == nt * 100 * 4 * 2 * 16 * 16 * 32
    assert checksum == nt * 32 * 100 * 2.0 ** -14


@pytest.mark.parametrize("tb", [False, True])
def test_few_rows_round_as_they_read(tb, bf16_kernel):
    """Few rows of C (autocast's batch-1..4 inference) run the float32 GEMV-like kernels on values rounded to bf16
    as they are read (no copy of op(B)): one-hot rows pick single rounded values of B, bit for bit the oracle's
    rounding (ties, values rounding up to infinity, denormals, every lane position of a vector and its tail); NaN
    and infinity propagate; any row count and K around the vector width against the float64 oracle; 1 and 2
    threads identical."""
    if bf16_kernel is None:
        if not HAVE_BF16:
            with pytest.raises(ValueError, match="bf16"):
                _core.gemm(np.ones((1, 3), np.float32), np.ones((3, 2), np.float32), bf16=True)
        return
    rng = np.random.default_rng(12)
    K, N = 37, 21
    bits = rng.integers(0, 2 ** 32, (K, N), dtype=np.uint64).astype(np.uint32)
    b = bits.view(np.float32).copy()
    b[~np.isfinite(b)] = 1.0
    b[0, :4] = [1.0 + 2.0 ** -8, 1.0 + 3 * 2.0 ** -8, 3.3895e38, 1e-40]  # ties to even, to +inf, a denormal
    bm = b.T.copy() if tb else b
    eye = np.eye(K, dtype=np.float32)
    for i0 in range(0, K, 4):
        rows = eye[i0:i0 + 4]
        y = _core.gemm(rows, bm, False, tb, bf16=True)
        np.testing.assert_array_equal(y.view(np.uint32), bf16_round(b[i0:i0 + 4]).view(np.uint32))
    for M in (1, 2, 3, 4, 5, 8):
        for k in (1, 15, 16, 17, 33, 300):
            a, bb = _operands(rng, M, 19, k, False, tb)
            _check_close(_core.gemm(a, bb, False, tb, bf16=True), a, bb, False, tb)
            bias = rng.standard_normal(19).astype(np.float32)
            _check_close(_core.gemm(a, bb, False, tb, 1.0, 0.0, None, None, bias, bf16=True), a, bb, False, tb,
                         bc=bias)
    a, bb = _operands(rng, 2, 40, 50, False, tb)
    bb[(3, 7) if tb else (7, 3)] = np.nan
    bb[(5, 9) if tb else (9, 5)] = np.inf
    y = _core.gemm(np.abs(a), bb, False, tb, bf16=True)
    assert np.isnan(y[:, 3]).all() and np.isposinf(y[:, 5]).all() and np.isfinite(np.delete(y, [3, 5], 1)).all()
    nt = _core.get_num_threads()
    a, bb = _operands(rng, 3, 5000, 700, False, tb)
    try:
        _core.set_num_threads(1)
        y1 = _core.gemm(a, bb, False, tb, bf16=True)
        _core.set_num_threads(2)
        y2 = _core.gemm(a, bb, False, tb, bf16=True)
    finally:
        _core.set_num_threads(nt)
    assert np.array_equal(y1, y2)
    _check_close(y1, a, bb, False, tb)
