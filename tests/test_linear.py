"""The linear family: ``_core.linear_backward`` (LinearFn.backward's three GEMMs in one call, shared with the
native training plan): bit-identical to the three ``_core.gemm`` calls it replaces, a float64 oracle, the
need flags, empty batches, every ISA, 1 vs 2 threads, bad arguments; F.linear's gradients vs finite
differences and torch."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine import _core


def _three_gemms(g, x, w):
    ones = np.ones((1, g.shape[0]), np.float32)
    return _core.gemm(g, w), _core.gemm(g, x, True), _core.gemm(ones, g).reshape(-1)


@pytest.mark.parametrize("M,N,K", [(1, 1, 1), (1, 32, 16), (7, 9, 8), (17, 33, 15), (64, 16, 65), (0, 5, 3)])
def test_linear_backward_is_the_three_gemms_bit_for_bit(isa, threads, M, N, K, rng):
    g = rng.standard_normal((M, N)).astype(np.float32)
    x = rng.standard_normal((M, K)).astype(np.float32)
    w = rng.standard_normal((N, K)).astype(np.float32)
    want = _three_gemms(g, x, w)
    results = []
    for n in (1, 2):
        with threads(n):
            got = _core.linear_backward(g, x, w, True, True, True)
        for a, b in zip(got, want):
            assert a.dtype == np.float32 and a.shape == b.shape
            np.testing.assert_array_equal(a, b)
        results.append(got)
    g64, x64, w64 = g.astype(np.float64), x.astype(np.float64), w.astype(np.float64)
    oracle = (g64 @ w64, g64.T @ x64, g64.sum(0))
    for a, o in zip(results[0], oracle):
        np.testing.assert_allclose(a, o, rtol=1e-5, atol=1e-5 * max(M, N, K, 1))


def test_linear_backward_computes_only_what_is_needed(rng):
    g, x, w = (rng.standard_normal(s).astype(np.float32) for s in ((4, 3), (4, 5), (3, 5)))
    full = _core.linear_backward(g, x, w, True, True, True)
    for flags in [(True, False, False), (False, True, False), (False, False, True), (False, False, False)]:
        got = _core.linear_backward(g, x, w, *flags)
        for need, a, b in zip(flags, got, full):
            if need:
                np.testing.assert_array_equal(a, b)
            else:
                assert a is None


def test_linear_backward_bad_arguments_raise_naming_the_argument():
    f = np.zeros((4, 3), np.float32)
    x = np.zeros((4, 5), np.float32)
    w = np.zeros((3, 5), np.float32)
    with pytest.raises(ValueError, match=r"weight: expected 3 rows"):
        _core.linear_backward(f, x, np.zeros((2, 5), np.float32), True, True, True)
    with pytest.raises(ValueError, match=r"input: expected shape \(4, 5\)"):
        _core.linear_backward(f, np.zeros((4, 6), np.float32), w, True, True, True)
    with pytest.raises(ValueError, match="grad_output: expected 2 dimensions"):
        _core.linear_backward(f[0], x, w, True, True, True)
    with pytest.raises(TypeError, match="input: expected dtype float32"):
        _core.linear_backward(f, x.astype(np.float64), w, True, True, True)
    with pytest.raises(ValueError, match="C-contiguous"):
        _core.linear_backward(f, x, np.zeros((5, 3), np.float32).T, True, True, True)
    with pytest.raises(TypeError, match="grad_output: expected a numpy.ndarray"):
        _core.linear_backward([[1.0]], x, w, True, True, True)


@pytest.mark.parametrize("lead", [(), (3,), (2, 3)])
def test_linear_gradients_vs_finite_differences_and_torch(lead, rng, torch):
    x = ne.tensor(rng.standard_normal(lead + (5,)).astype(np.float32), requires_grad=True)
    w = ne.tensor(rng.standard_normal((4, 5)).astype(np.float32), requires_grad=True)
    b = ne.tensor(rng.standard_normal(4).astype(np.float32), requires_grad=True)
    assert ne.autograd.gradcheck(lambda x, w, b: F.linear(x, w, b), [x, w, b])
    for t in (x, w, b):
        t.grad = None  # gradcheck's own backward passes accumulated into them
    F.linear(x, w, b).sum().backward()
    tx, tw, tb = (torch.tensor(t.data, requires_grad=True) for t in (x, w, b))
    torch.nn.functional.linear(tx, tw, tb).sum().backward()
    for a, t in zip((x, w, b), (tx, tw, tb)):
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-5, atol=1e-5)


def _relu_edges(a):
    """Exact zeros, a negative zero and a NaN among the values (where ReLU's mask decides at the boundary)."""
    flat = a.reshape(-1)
    flat[: min(3, flat.size)] = [0.0, -0.0, np.nan][: min(3, flat.size)]
    return a


def _same_bits(a, b):
    assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_array_equal(a.view(np.uint32), b.view(np.uint32))


@pytest.mark.parametrize("M,N,K", [(1, 1, 1), (3, 15, 4), (7, 16, 9), (17, 17, 33), (64, 33, 20), (0, 5, 3)])
def test_gemm_relu_is_the_relu_kernel_on_the_gemm_bit_for_bit(isa, threads, M, N, K, rng):
    x = rng.standard_normal((M, K)).astype(np.float32)
    w = rng.standard_normal((N, K)).astype(np.float32)
    b = _relu_edges(rng.standard_normal(N).astype(np.float32))
    if M:
        x[0] = 0.0  # row 0's pre-activations are the bias: 0, -0 and NaN reach the ReLU
    for ref in (False, True):
        want = _core.activation_forward(_core.gemm(x, w, False, True, 1.0, 0.0, None, None, b, ref), "relu",
                                        reference=ref)
        for n in (1, 2):
            with threads(n):
                _same_bits(_core.gemm(x, w, False, True, 1.0, 0.0, None, None, b, ref, False, False, True), want)
    with pytest.raises(TypeError, match="relu: only supported for float32"):
        _core.gemm(np.ones((2, 2)), np.ones((2, 2)), relu=True)


@pytest.mark.parametrize("M,N,K", [(1, 1, 1), (3, 15, 4), (7, 16, 9), (17, 33, 15), (64, 17, 65), (0, 5, 3)])
def test_linear_backward_relu_output_is_the_relu_backward_then_the_linear_backward(isa, threads, M, N, K, rng):
    g = rng.standard_normal((M, N)).astype(np.float32)
    x = rng.standard_normal((M, K)).astype(np.float32)
    w = rng.standard_normal((N, K)).astype(np.float32)
    y = _relu_edges(np.maximum(rng.standard_normal((M, N)), 0).astype(np.float32))
    want = _core.linear_backward(_core.activation_backward(g, y, None, kind="relu"), x, w, True, True, True)
    for n in (1, 2):
        with threads(n):
            got = _core.linear_backward(g, x, w, True, True, True, False, y)
        for a, b in zip(got, want):
            _same_bits(a, b)
    f, x, w = np.zeros((4, 3), np.float32), np.zeros((4, 5), np.float32), np.zeros((3, 5), np.float32)
    with pytest.raises(ValueError, match=r"relu_output: expected shape \(4, 3\)"):
        _core.linear_backward(f, x, w, True, True, True, False, np.zeros((3, 4), np.float32))
    with pytest.raises(TypeError, match="relu_output: expected dtype float32"):
        _core.linear_backward(f, x, w, True, True, True, False, np.zeros((4, 3)))


def _mlp_pair(lead):
    """The same MLP as an nn.Sequential (Linear -> ReLU fused) and as separate F.linear / F.relu calls."""
    ne.manual_seed(3)
    seq = ne.nn.Sequential(ne.nn.Linear(9, 17), ne.nn.ReLU(), ne.nn.Linear(17, 33), ne.nn.ReLU(), ne.nn.Linear(33, 4),
                           ne.nn.ReLU())
    ps = list(seq.parameters())

    def separate(x):
        for i in range(0, 6, 2):
            x = F.relu(F.linear(x, ps[i], ps[i + 1]))
        return x

    x = np.random.default_rng(0).standard_normal(lead + (9,)).astype(np.float32)
    x.reshape(-1, 9)[0] = 0.0  # pre-activations exactly the bias
    ps[1].data[:2] = [0.0, -0.0]  # ... and at ReLU's boundary
    ps[5].data[0] = np.nan  # a NaN pre-activation of the last layer (its gradient is masked to 0)
    return seq, separate, ps, x


@pytest.mark.parametrize("lead", [(5,), (2, 3)])
def test_sequential_linear_relu_is_one_node_with_the_separate_layers_bits(threads, lead):
    seq, separate, ps, xa = _mlp_pair(lead)
    results = []
    for n in (1, 2):
        with threads(n):
            for f in (seq, separate):
                x = ne.tensor(xa.copy(), requires_grad=True)
                for p in ps:
                    p.grad = None
                y = f(x)
                (y * ne.tensor(np.linspace(-1, 1, y.numel(), dtype=np.float32).reshape(y.shape))).sum().backward()
                results.append([y.data, x.grad.data] + [p.grad.data for p in ps])
                if f is seq:
                    assert "LinearReluFn" in repr(y.grad_fn)
    for r in results[1:]:
        for a, b in zip(r, results[0]):
            _same_bits(a, b)
    with ne.no_grad():
        _same_bits(seq(ne.tensor(xa)).data, results[0][0])


def test_sequential_linear_relu_not_fused_where_it_could_be_seen():
    seq, separate, ps, xa = _mlp_pair((5,))
    want = separate(ne.tensor(xa)).data
    seen = []
    h = seq[0].register_forward_hook(lambda m, a, out: seen.append(out.data.copy()))
    _same_bits(seq(ne.tensor(xa)).data, want)
    h.remove()
    assert len(seen) == 1 and (seen[0] < 0).any()  # the hook saw the Linear's own output, before the ReLU

    class MyLinear(ne.nn.Linear):
        pass

    for mods in ([seq[0], ne.nn.ReLU(inplace=True)], [ne.nn.Linear(9, 17), ne.nn.ReLU()]):
        if isinstance(mods[1], ne.nn.ReLU) and not mods[1].inplace:
            mods[0].__class__ = MyLinear
            mods[0].load_state_dict(seq[0].state_dict())
        x = ne.tensor(xa, requires_grad=True)
        y = ne.nn.Sequential(*mods)(x)
        assert "LinearReluFn" not in repr(y.grad_fn)
        _same_bits(y.data, F.relu(F.linear(ne.tensor(xa), seq[0].weight, seq[0].bias)).data)
