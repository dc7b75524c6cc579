"""Cache detection, the GEMM and conv2d blocking derived from it (faked cache descriptions at odd sizes,
every ISA, 1 vs 2 threads), the FMA probe, and the dynamic-chunk thread pool (bit-identical at any thread count,
concurrent callers, nesting)."""

import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from reference import conv2d as ref

import nnengine as ne
from nnengine import _core

# (l1d, l2, l3) bytes: tiny (every clamp at its floor), odd, a Zen 4 and a Sapphire Rapids core, huge
FAKE_CACHES = [(1 << 10, 4 << 10, 8 << 10), (33_333, 777_777, 3_333_333), (32 << 10, 1 << 20, 32 << 20),
               (48 << 10, 2 << 20, 105 << 20), (1 << 30, 1 << 30, 1 << 30)]
ODD = [1, 7, 17, 33, 100, 257]


def _expected_blocking(l1d, l2, l3):
    """The rule of cpuinfo.h, restated."""
    def c16(v, lo, hi):
        return min(hi, max(lo, v)) // 16 * 16
    kc = c16(l1d // 128, 64, 1024)
    return {"gemm_kc": kc, "gemm_nc": c16(l2 // 2 // 4 // kc, 16, 8192),
            "gemm_mc": c16(min(l3 // 4, 4 << 20) // 4 // kc, 64, 8192), "gemm_l2_floats": max(1024, l2 // 8)}


@pytest.fixture
def fake_cache():
    yield lambda sizes: ne.backend.set_cache_sizes(*sizes)
    ne.backend.set_cache_sizes()


def test_cache_info_detected_is_sane():
    info = ne.backend.cache_info()
    assert info["source"] in {"cpuid (intel)", "cpuid (amd)", "sysconf", "default", "NNENGINE_CACHE"}
    assert 4 << 10 <= info["l1d"] <= info["l2"] <= max(info["l2"], info["l3"])
    assert {k: info[k] for k in _expected_blocking(1, 1, 1)} == _expected_blocking(info["l1d"], info["l2"],
                                                                                    info["l3"])


@pytest.mark.parametrize("sizes", FAKE_CACHES)
def test_blocking_follows_the_cache_description(fake_cache, sizes):
    fake_cache(sizes)
    info = ne.backend.cache_info()
    assert (info["l1d"], info["l2"], info["l3"], info["source"]) == (*sizes, "set")
    assert {k: info[k] for k in _expected_blocking(1, 1, 1)} == _expected_blocking(*sizes)


@pytest.mark.parametrize("sizes", FAKE_CACHES)
def test_gemm_correct_with_faked_caches(isa, fake_cache, sizes):
    """Every path (GEMV rows, dot products, tiles, B in place) at odd sizes, several KC blocks deep."""
    fake_cache(sizes)
    rng = np.random.default_rng(len(sizes) + sizes[0] % 97)
    for M in ODD:
        for N, K in ((ODD[(M * 7) % 6], 300), (129, 1100), (17, 33)):
            for tb in (False, True):
                a = rng.standard_normal((M, K)).astype(np.float32)
                b = rng.standard_normal((N, K) if tb else (K, N)).astype(np.float32)
                bias = rng.standard_normal(N).astype(np.float32)
                with ne.backend.num_threads(1):
                    one = _core.gemm(a, b, False, tb, bias_col=bias)
                with ne.backend.num_threads(2):
                    two = _core.gemm(a, b, False, tb, bias_col=bias)
                ref = a.astype(np.float64) @ (b.T if tb else b).astype(np.float64) + bias
                np.testing.assert_allclose(one, ref, atol=2e-5 * np.sqrt(K) * 4, rtol=1e-5,
                                           err_msg=f"{sizes} M={M} N={N} K={K} tb={tb}")
                assert np.array_equal(one, two), (sizes, M, N, K, tb)


def test_large_gemm_faked_caches_threads_identical(fake_cache):
    """Several MC and NC blocks (tiny caches) with the row and column thread splits."""
    rng = np.random.default_rng(5)
    fake_cache(FAKE_CACHES[0])
    for M, N, K in ((300, 257, 200), (33, 700, 150)):
        a = rng.standard_normal((M, K)).astype(np.float32)
        b = rng.standard_normal((K, N)).astype(np.float32)
        outs = []
        for t in (1, 2, 3):
            with ne.backend.num_threads(t):
                outs.append(_core.gemm(a, b))
        np.testing.assert_allclose(outs[0], a.astype(np.float64) @ b, atol=1e-3, rtol=1e-4)
        assert all(np.array_equal(outs[0], o) for o in outs[1:])


# (N, C, H, W, K, R, S, stride, pad, groups): im2col (3x3, strided), pointwise small and large images
# (batched / in place), grouped, and the direct kernels' shapes (few channels), at odd sizes
CONV_CASES = [(3, 5, 17, 13, 7, 3, 3, 1, 1, 1), (2, 6, 33, 9, 9, 3, 3, 2, 1, 3), (5, 17, 7, 9, 33, 1, 1, 1, 0, 1),
              (2, 7, 33, 17, 9, 1, 1, 1, 0, 1), (4, 1, 15, 16, 3, 5, 5, 1, 2, 1), (3, 3, 9, 7, 16, 3, 3, 1, 0, 1)]


@pytest.mark.parametrize("sizes", FAKE_CACHES[:3] + FAKE_CACHES[4:])
def test_conv2d_correct_with_faked_caches(fake_cache, sizes):
    """conv2d's block geometry (L2) and direct weight-gradient blocking (L1) come from the caches: forward and
    both backward passes against the float64 oracle, 1 vs 2 threads bit-identical, under each description."""
    fake_cache(sizes)
    rng = np.random.default_rng(sizes[1] % 1009)
    for N, C, H, W, K, R, S, st, pd, g in CONV_CASES:
        x = rng.standard_normal((N, C, H, W)).astype(np.float32)
        w = rng.standard_normal((K, C // g, R, S)).astype(np.float32)
        b = rng.standard_normal(K).astype(np.float32)
        args = ((st, st), (pd, pd), (1, 1), g)
        yr = ref.conv2d(x, w, b, *args)
        dy = rng.standard_normal(yr.shape).astype(np.float32)
        dxr, dwr, dbr = ref.conv2d_backward(dy, x, w, *args)
        outs = []
        for t in (1, 2):
            with ne.backend.num_threads(t):
                y = _core.conv2d_forward(x, w, b, *args)
                dx = _core.conv2d_backward_data(dy, w, (H, W), *args)
                dw, db = _core.conv2d_backward_weights(dy, x, (R, S), *args)
            outs.append((y, dx, dw, db))
        for got, want in zip(outs[0], (yr, dxr, dwr, dbr)):
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * max(1.0, np.abs(want).max()),
                                       err_msg=f"{sizes} {(N, C, H, W, K, R, S, st, pd, g)}")
        assert all(np.array_equal(a, c) for a, c in zip(*outs)), (sizes, (N, C, H, W, K, R, S, st, pd, g))


def test_set_cache_sizes_bad_arguments():
    with pytest.raises(ValueError, match=r"l1d: expected 1 to 2\*\*40 bytes, got -1"):
        ne.backend.set_cache_sizes(l1d=-1)
    with pytest.raises(ValueError, match="l3"):
        ne.backend.set_cache_sizes(l3=1 << 41)
    with pytest.raises(TypeError, match="l2: expected an int"):
        ne.backend.set_cache_sizes(l2="512K")
    with pytest.raises(ValueError, match="l2"):
        _core.set_cache_sizes(0, -5, 0)
    assert ne.backend.cache_info()["source"] != "set"


def test_nnengine_cache_env_override_and_malformed_spec():
    code = "import nnengine as ne; i = ne.backend.cache_info(); print(i['l1d'], i['l2'], i['l3'], i['source'])"
    env = dict(os.environ, NNENGINE_CACHE="l1=16K,l2=1M,l3=3m")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == [str(16 << 10), str(1 << 20), str(3 << 20), "NNENGINE_CACHE"]
    detected = ne.backend.cache_info()
    for bad in ("l1=", "l4=32K", "l1=32X", "l2=-1", "garbage"):
        env = dict(os.environ, NNENGINE_CACHE=bad)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.split()[:3] == [str(detected[k]) for k in ("l1d", "l2", "l3")], bad
        assert out.stdout.split()[3] != "NNENGINE_CACHE", bad


def test_fma_probe_counts_flops_and_rejects_bad_iters():
    lanes = {"baseline": 4, "avx2": 8, "avx512": 16}
    for name in ne.backend.available_isas():
        with ne.backend.use_isa(name), ne.backend.num_threads(1):
            flops, checksum = _core.fma_probe(1000)
        assert flops == 2 * lanes[name] * 12 * 1000 and np.isfinite(checksum)
    with ne.backend.num_threads(2):
        assert _core.fma_probe(10)[0] == 2 * 2 * lanes[ne.backend.isa()] * 12 * 10
    for bad in (0, -1, 2**28 + 1):
        with pytest.raises(ValueError, match="iters"):
            _core.fma_probe(bad)


def test_pool_concurrent_callers_and_many_threads():
    """Python threads calling threaded kernels at once (the GIL is released) get the 1-thread results;
    so do thread counts above the core count."""
    rng = np.random.default_rng(1)
    a = rng.standard_normal((200, 300)).astype(np.float32)
    b = rng.standard_normal((300, 260)).astype(np.float32)
    x = rng.standard_normal((64, 3, 20, 20)).astype(np.float32)
    conv = ne.nn.Conv2d(3, 8, 3)
    with ne.backend.num_threads(1), ne.no_grad():
        want_g, want_c = _core.gemm(a, b), conv(ne.tensor(x)).numpy()
    for t in (2, 3, 8):
        with ne.backend.num_threads(t), ne.no_grad():
            assert np.array_equal(_core.gemm(a, b), want_g)
            assert np.array_equal(conv(ne.tensor(x)).numpy(), want_c)
    errors = []

    def worker():
        for _ in range(20):
            with ne.no_grad():
                if not (np.array_equal(_core.gemm(a, b), want_g) and np.array_equal(conv(ne.tensor(x)).numpy(),
                                                                                    want_c)):
                    errors.append("mismatch")

    with ne.backend.num_threads(2):
        ts = [threading.Thread(target=worker) for _ in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    assert not errors


def test_cli_info_prints_caches_and_blocking():
    out = subprocess.run([sys.executable, "-m", "nnengine", "info"], capture_output=True, text=True, check=True,
                         env=dict(os.environ, NNENGINE_CACHE="l1=48K,l2=2M,l3=105M"))
    assert "caches: L1d 48 KiB, L2 2048 KiB, L3 107520 KiB (NNENGINE_CACHE)" in out.stdout
    assert "gemm blocking: KC 384, MC 2720, NC 672, B in place up to 262144 floats" in out.stdout
