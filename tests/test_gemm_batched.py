"""_core.gemm_batched (the N-D matmul's batch loop in C++): each product bit-identical to _core.gemm on that
pair, in float32 and in bf16 (bf16=True, autocast's batched matmul), numpy's batch broadcasting (a batch of 1 on
either side), float64 oracle, threads, bad arguments; and Tensor matmul over N-D operands through it, forward
and backward vs numpy/torch."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
from nnengine import _core
from nnengine.ops import matmul_arrays

HAVE_BF16 = _core.bf16_unavailable_reason() == ""
needs_bf16 = pytest.mark.skipif(not HAVE_BF16, reason="justified: this CPU has no bf16 kernels "
                                "(test_bf16_without_the_kernel_raises checks the error instead)")


@pytest.mark.parametrize("Ba,Bb", [(3, 3), (1, 4), (5, 1), (1, 1), (0, 0), (1, 0), (0, 1)])
@pytest.mark.parametrize("M,K,N", [(1, 1, 1), (7, 9, 8), (17, 33, 15), (4, 0, 3)])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("bf16", [False, pytest.param(True, marks=needs_bf16)])
def test_each_product_is_gemm_bit_for_bit(Ba, Bb, M, K, N, threads, bf16, rng):
    """float32, or bf16 (inputs rounded to bfloat16, float32 sums: within the float64 oracle's bound)."""
    from reference.bf16 import bf16_gemm_oracle

    ne.set_num_threads(threads)
    try:
        a = rng.standard_normal((Ba, M, K)).astype(np.float32)
        b = rng.standard_normal((Bb, K, N)).astype(np.float32)
        c = _core.gemm_batched(a, b, bf16=bf16)
        B = Bb if Ba == 1 else Ba
        assert c.shape == (B, M, N) and c.dtype == np.float32
        for i in range(B):
            ai, bi = a[0 if Ba == 1 else i], b[0 if Bb == 1 else i]
            np.testing.assert_array_equal(c[i], _core.gemm(ai, bi, bf16=bf16))
            if bf16:
                want, bound = bf16_gemm_oracle(ai, bi, False, False)
                assert np.all(np.abs(c[i] - want) <= bound)
        if not bf16:
            want = np.matmul(a.astype(np.float64), b.astype(np.float64))
            np.testing.assert_allclose(c, want, rtol=1e-5, atol=1e-5 * max(K, 1))
    finally:
        ne.set_num_threads(2)


def test_bf16_without_the_kernel_raises():
    f = np.ones((2, 3, 4), np.float32)
    g = np.ones((2, 4, 5), np.float32)
    isa = _core.isa()
    try:
        if HAVE_BF16:
            _core.set_isa("avx2")  # the same machine without its bf16 tier
        with pytest.raises(ValueError, match="bf16: "):
            _core.gemm_batched(f, g, bf16=True)
        np.testing.assert_array_equal(_core.gemm_batched(f, g), np.full((2, 3, 5), 4, np.float32))
    finally:
        _core.set_isa(isa)


def test_bad_arguments_raise_naming_the_argument():
    f = np.zeros((2, 3, 4), np.float32)
    with pytest.raises(ValueError, match="inner dimensions"):
        _core.gemm_batched(f, np.zeros((2, 5, 4), np.float32))
    with pytest.raises(ValueError, match="broadcast"):
        _core.gemm_batched(f, np.zeros((3, 4, 2), np.float32))
    with pytest.raises(ValueError, match="a: expected 3 dimensions"):
        _core.gemm_batched(f[0], np.zeros((2, 4, 2), np.float32))
    with pytest.raises(TypeError, match="b: expected dtype float32"):
        _core.gemm_batched(f, np.zeros((2, 4, 2)))
    with pytest.raises(ValueError, match="C-contiguous"):
        _core.gemm_batched(np.zeros((2, 4, 3), np.float32).transpose(0, 2, 1), np.zeros((2, 4, 2), np.float32))
    with pytest.raises(TypeError, match="a: expected a numpy.ndarray"):
        _core.gemm_batched([[[1.0]]], np.zeros((1, 1, 1), np.float32))


@pytest.mark.parametrize("sa,sb", [((2, 3, 5, 4), (2, 3, 4, 6)), ((3, 5, 4), (2, 1, 4, 6)), ((5, 4), (3, 4, 6)),
                                   ((1, 1, 5, 4), (2, 4, 6)), ((2, 1, 5, 4), (1, 3, 4, 6))])
def test_matmul_broadcasts_like_numpy(sa, sb, rng):
    a = rng.standard_normal(sa).astype(np.float32)
    b = rng.standard_normal(sb).astype(np.float32)
    got = matmul_arrays(a, b)
    want = np.matmul(a.astype(np.float64), b.astype(np.float64))
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_tensor_bmm_forward_backward_vs_torch(rng):
    torch = pytest.importorskip("torch")
    a = rng.standard_normal((4, 3, 5)).astype(np.float32)
    b = rng.standard_normal((1, 5, 2)).astype(np.float32)
    ta, tb = ne.tensor(a, requires_grad=True), ne.tensor(b, requires_grad=True)
    out = ta @ tb
    g = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(g)
    xa, xb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    xo = xa @ xb
    xo.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), xo.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ta.grad, xa.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(tb.grad, xb.grad.numpy(), rtol=1e-5, atol=1e-5)
