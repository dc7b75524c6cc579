"""Fused optimizer kernels: SIMD vs the scalar reference twins on every ISA, sizes around the vector
widths, 1 vs 2 threads bit-identical, binding validation."""

from __future__ import annotations

import numpy as np
import pytest
from reference import optim as optim_ref

import nnengine as ne
from nnengine import _core

SIZES = [1, 7, 8, 9, 15, 16, 17, 33]
BIG = [70001, 5, 40003]  # > 2 grains: threaded, chunks cut inside tensors


def _sgd(p, g, s, reference, **kw):
    _core.sgd_step(p, g, s[0], [i % 2 for i in range(len(p))], lr=0.1, momentum=0.9, dampening=0.1,
                   weight_decay=0.01, reference=reference, **kw)


def _sgd_nesterov(p, g, s, reference):
    _core.sgd_step(p, g, s[0], [0] * len(p), lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01,
                   maximize=True, reference=reference)


def _adam(p, g, s, reference):
    _core.adam_step(p, g, s[0], s[1], None, [3 + i for i in range(len(p))], lr=1e-2, weight_decay=0.1,
                    reference=reference)


def _adamw_ams(p, g, s, reference):
    _core.adam_step(p, g, s[0], s[1], s[2], [1] * len(p), lr=1e-2, beta1=0.8, beta2=0.9, weight_decay=0.1,
                    amsgrad=True, decoupled=True, reference=reference)


def _rmsprop(p, g, s, reference):
    _core.rmsprop_step(p, g, s[0], None, None, lr=1e-2, weight_decay=0.1, reference=reference)


def _rmsprop_centered(p, g, s, reference):
    _core.rmsprop_step(p, g, s[0], s[1], s[2], lr=1e-2, alpha=0.9, momentum=0.5, centered=True,
                       maximize=True, reference=reference)


def _adagrad(p, g, s, reference):
    _core.adagrad_step(p, g, s[0], [2] * len(p), lr=0.1, lr_decay=0.01, weight_decay=0.1, reference=reference)


KERNELS = {"sgd": _sgd, "sgd_nesterov": _sgd_nesterov, "adam": _adam, "adamw_amsgrad": _adamw_ams,
           "rmsprop": _rmsprop, "rmsprop_centered": _rmsprop_centered, "adagrad": _adagrad}


def _group(sizes, seed=0):
    rng = np.random.default_rng(seed)
    p = [rng.standard_normal(n).astype(np.float32) for n in sizes]
    g = [rng.standard_normal(n).astype(np.float32) for n in sizes]
    s0 = [np.abs(rng.standard_normal(n)).astype(np.float32) + 0.5 for n in sizes]  # also square_avg, sum
    s1 = [rng.random(n).astype(np.float32) + 0.5 for n in sizes]  # second moments: positive
    s2 = [np.abs(rng.standard_normal(n)).astype(np.float32) * 0.1 for n in sizes]
    return p, g, [s0, s1, s2]


def _copy(group):
    p, g, s = group
    return [a.copy() for a in p], g, [[a.copy() for a in lst] for lst in s]


def _flat(group):
    p, _, s = group
    return np.concatenate(p + [a for lst in s for a in lst])


@pytest.mark.parametrize("name", list(KERNELS))
def test_kernel_matches_reference(isa, name):
    base = _group(SIZES)
    ref, fast = _copy(base), _copy(base)
    for _ in range(3):
        KERNELS[name](*ref, reference=True)
        KERNELS[name](*fast, reference=False)
    np.testing.assert_allclose(_flat(fast), _flat(ref), rtol=2e-6, atol=1e-7)
    assert not np.array_equal(_flat(fast), _flat(base))


@pytest.mark.parametrize("name", list(KERNELS))
def test_kernel_one_vs_two_threads_identical(isa, threads, name):
    base = _group(BIG, seed=1)
    one, two = _copy(base), _copy(base)
    with threads(1):
        KERNELS[name](*one, reference=False)
    with threads(2):
        KERNELS[name](*two, reference=False)
    assert np.array_equal(_flat(one), _flat(two))
    bp, bg, bs = base  # a tensor alone gives the same bits as inside a group
    small = _copy(([bp[0]], [bg[0]], [[lst[0]] for lst in bs]))
    KERNELS[name](*small, reference=False)
    assert np.array_equal(small[0][0], one[0][0])


def _at_offset(a: np.ndarray, k: int) -> np.ndarray:
    """A copy of ``a`` starting ``k`` floats past a 64-byte boundary."""
    buf = np.empty(a.size + 32, np.float32)
    start = (-buf.ctypes.data // 4) % 16 + k
    out = buf[start:start + a.size]
    out[...] = a
    assert out.ctypes.data % 64 == 4 * k
    return out


@pytest.mark.parametrize("name", list(KERNELS))
def test_kernel_bits_do_not_depend_on_alignment(isa, name):
    # Every start offset from a 64-byte boundary, with the states and gradients at other offsets (vectors then split
    # cache lines, and the tails fall elsewhere), gives the same bits.
    base = _group([40, 3, 70001], seed=2)
    want = _copy(base)
    KERNELS[name](*want, reference=False)
    for k in (0, 1, 4, 12, 15):
        p, g, s = base
        got = ([_at_offset(a, k) for a in p], [_at_offset(a, (k + 5) % 16) for a in g],
               [[_at_offset(a, (k + 3 * j) % 16) for a in lst] for j, lst in enumerate(s)])
        KERNELS[name](*got, reference=False)
        assert np.array_equal(_flat(got), _flat(want)), k


def test_sgd_first_step_buffer_is_the_update():
    p = [np.ones(9, np.float32)]
    g = [np.full(9, 2.0, np.float32)]
    buf = [np.full(9, 7.0, np.float32)]  # garbage: ignored on the first step
    _core.sgd_step(p, g, buf, [1], lr=0.5, momentum=0.9, dampening=0.5, weight_decay=0.5)
    np.testing.assert_allclose(buf[0], 2.5)  # d = g + wd*p, undampened
    np.testing.assert_allclose(p[0], 1 - 0.5 * 2.5)


def test_binding_validation():
    p = [np.ones(4, np.float32)]
    with pytest.raises(ValueError, match="grads: expected one gradient per parameter"):
        _core.sgd_step(p, [], lr=0.1)
    with pytest.raises(TypeError, match=r"grads\[0\]: expected dtype float32"):
        _core.sgd_step(p, [np.ones(4)], lr=0.1)
    with pytest.raises(ValueError, match=r"grads\[0\]: expected shape"):
        _core.sgd_step(p, [np.ones(5, np.float32)], lr=0.1)
    with pytest.raises(ValueError, match=r"params\[0\]: expected a C-contiguous"):
        _core.sgd_step([np.ones((4, 4), np.float32)[:, ::2]], [np.ones((4, 2), np.float32)], lr=0.1)
    with pytest.raises(ValueError, match="momentum_buffers: required state list"):
        _core.sgd_step(p, [np.ones(4, np.float32)], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match=r"exp_avg_sqs\[0\]: expected 4 elements"):
        _core.adam_step(p, p, p, [np.ones(3, np.float32)], None, [1], lr=0.1)
    with pytest.raises(ValueError, match="steps: expected step counts >= 1"):
        _core.adagrad_step(p, p, [np.ones(4, np.float32)], [0], lr=0.1)
    ro = np.ones(4, np.float32)
    ro.setflags(write=False)
    with pytest.raises(ValueError, match="read-only"):
        _core.sgd_step([ro], p, lr=0.1)


def test_empty_group_and_empty_tensor():
    _core.sgd_step([], [], lr=0.1)
    p = [np.zeros(0, np.float32), np.ones(3, np.float32)]
    _core.sgd_step(p, [np.zeros(0, np.float32), np.ones(3, np.float32)], lr=0.5)
    np.testing.assert_allclose(p[1], 0.5)
    assert ne.backend.isa() in ne.backend.available_isas()


# ---------------------------------------------------------------- epilogues (prox L1 + constraints)
EPS32 = np.float32(1e-7)


EPI_CASES = [((1, n, 1), t, k, mv) for n in SIZES
             for (t, k, mv) in [(0.3, "none", 0.0), (0.0, "max_norm", 1.5), (0.1, "unit_norm", 0.0), (0.2, "non_neg", 0.0)]]
EPI_CASES += [((3, 5, 9), 0.05, "max_norm", 2.0), ((2, 7, 17), 0.0, "unit_norm", 0.0), ((4, 33, 1), 0.1, "max_norm", 0.5),
              ((1, 9, 16), 0, "max_norm", 1.0)]




def _epi_group(cases, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(int(np.prod(v))) * 2).astype(np.float32) for v, *_ in cases]


def _epi_run(ws, cases, reference=False):
    _core.optim_epilogue(ws, [c[0] for c in cases], [c[1] for c in cases], [c[2] for c in cases],
                         [c[3] for c in cases], reference=reference)


def test_epilogue_matches_float64_oracle_and_reference(isa):
    base = _epi_group(EPI_CASES)
    fast, ref = [w.copy() for w in base], [w.copy() for w in base]
    _epi_run(fast, EPI_CASES)
    _epi_run(ref, EPI_CASES, reference=True)
    for w0, f, r, (view, t, k, mv) in zip(base, fast, ref, EPI_CASES):
        want = optim_ref.epilogue(w0, view, t, k, mv)
        np.testing.assert_allclose(f, want, rtol=3e-6, atol=1e-7, err_msg=str((view, t, k)))
        np.testing.assert_allclose(f, r, rtol=1e-6, atol=1e-7, err_msg=str((view, t, k)))
        if t > 0 and k != "unit_norm":  # soft thresholding gives exact zeros
            assert np.count_nonzero(f == 0) == np.count_nonzero(want == 0)


def test_epilogue_threads_identical_and_big_slices(isa, threads):
    cases = [((1, 70001, 1), 0.01, "non_neg", 0.0), ((40, 2000, 1), 0.0, "max_norm", 10.0),
             ((3, 300, 257), 0.02, "unit_norm", 0.0), ((1, 100003, 1), 0.0, "max_norm", 50.0)]
    base = _epi_group(cases, seed=1)
    out = []
    for nt in (1, 2):
        ws = [w.copy() for w in base]
        with threads(nt):
            _epi_run(ws, cases)
        out.append(np.concatenate(ws))
    np.testing.assert_array_equal(out[0], out[1])
    want = np.concatenate([optim_ref.epilogue(w, *c) for w, c in zip(base, cases)])
    np.testing.assert_allclose(out[0], want, rtol=3e-6, atol=1e-7)


def test_epilogue_special_values():
    w = np.array([np.nan, -np.inf, 0.0, -0.0, 0.05, -3.0, 1e-45, np.inf], np.float32)
    a = w.copy()
    _core.optim_epilogue([a], [(1, 8, 1)], [0.1], ["non_neg"], [0.0])  # prox, then NonNeg: NaN stays, -inf -> 0
    np.testing.assert_array_equal(a, np.array([np.nan, 0, 0, 0, 0, 0, 0, np.inf], np.float32))
    for ref in (False, True):  # soft thresholding alone: numpy's values and zero signs
        c = w.copy()
        _core.optim_epilogue([c], [(1, 8, 1)], [0.1], ["none"], [0.0], reference=ref)
        want = np.sign(w) * np.maximum(np.abs(w) - np.float32(0.1), np.float32(0))
        np.testing.assert_array_equal(c, want)
        np.testing.assert_array_equal(np.signbit(c), np.signbit(want))
    b = np.array([[3.0, np.nan], [3.0, 4.0]], np.float32)
    _core.optim_epilogue([b], [(2, 2, 1)], [0.0], ["max_norm"], [1.0])  # a NaN norm turns its slice to NaN
    assert np.isnan(b[0]).all()
    np.testing.assert_allclose(b[1], [0.6, 0.8], rtol=1e-6)
    z = np.zeros((2, 3), np.float32)
    _core.optim_epilogue([z], [(2, 3, 1)], [0.0], ["unit_norm"], [0.0])  # zero rows stay zero (EPS in the divisor)
    np.testing.assert_array_equal(z, 0)
    _core.optim_epilogue([], [], [], [], [])
    e = np.zeros((0, 4), np.float32)
    _core.optim_epilogue([e], [(0, 4, 1)], [0.1], ["max_norm"], [1.0])


def test_epilogue_binding_validation():
    w = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match="views: expected one entry per weight"):
        _core.optim_epilogue([w], [], [0.0], ["none"], [0.0])
    with pytest.raises(ValueError, match=r"views\[0\]: expected outer\*red\*inner = 6"):
        _core.optim_epilogue([w], [(2, 2, 1)], [0.0], ["none"], [0.0])
    with pytest.raises(ValueError, match=r"views\[0\]\[1\]"):
        _core.optim_epilogue([w], [(2, -3, -1)], [0.0], ["none"], [0.0])
    with pytest.raises(ValueError, match=r"prox\[0\]: expected a finite threshold >= 0"):
        _core.optim_epilogue([w], [(2, 3, 1)], [-0.1], ["none"], [0.0])
    with pytest.raises(ValueError, match=r"kinds\[0\]: expected 'none', 'max_norm', 'unit_norm' or 'non_neg', got 'max'"):
        _core.optim_epilogue([w], [(2, 3, 1)], [0.0], ["max"], [0.0])
    with pytest.raises(ValueError, match=r"max_values\[0\]: expected a finite max_value > 0"):
        _core.optim_epilogue([w], [(2, 3, 1)], [0.0], ["max_norm"], [0.0])
    with pytest.raises(TypeError, match=r"weights\[0\]: expected dtype float32"):
        _core.optim_epilogue([w.astype(np.float64)], [(2, 3, 1)], [0.0], ["none"], [0.0])
    with pytest.raises(ValueError, match=r"weights\[0\]: expected a C-contiguous"):
        _core.optim_epilogue([np.ones((3, 2), np.float32).T], [(2, 3, 1)], [0.0], ["none"], [0.0])
    ro = np.ones(3, np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        _core.optim_epilogue([ro], [(1, 3, 1)], [0.0], ["non_neg"], [0.0])


# ---------------------------------------------------------------- fused L1/L2 penalty
@pytest.mark.parametrize("n", SIZES + [70001])
def test_penalty_kernel_pair_matches_float64_oracle(isa, n):
    w = np.random.default_rng(n).standard_normal(n).astype(np.float32)
    w[::5] = 0
    sums, grad = optim_ref.penalty(w, 0.3, 0.7)
    for reference in (False, True):
        s_abs, s_sq = _core.weight_penalty_forward(w, reference=reference)
        np.testing.assert_allclose([s_abs, s_sq], sums, rtol=1e-12)
        g = _core.weight_penalty_backward(w, 0.3, 0.7, reference=reference)
        assert g.dtype == np.float32 and g.shape == w.shape
        np.testing.assert_allclose(g, grad, rtol=1e-6, atol=1e-7)


def test_penalty_threads_identical_and_special_values(isa, threads):
    w = np.random.default_rng(3).standard_normal((300, 401)).astype(np.float32)
    res = []
    for nt in (1, 2):
        with threads(nt):
            res.append((_core.weight_penalty_forward(w), _core.weight_penalty_backward(w, 0.1, 0.2)))
    assert res[0][0] == res[1][0]
    np.testing.assert_array_equal(res[0][1], res[1][1])
    s = np.array([np.nan, 0.0, -0.0, np.inf, -2.0], np.float32)
    g = _core.weight_penalty_backward(s, 1.0, 0.0)
    np.testing.assert_array_equal(g, np.array([np.nan, 0, 0, 1, -1], np.float32))
    assert np.isnan(_core.weight_penalty_forward(s)[0])
    assert _core.weight_penalty_forward(np.zeros((0, 3), np.float32)) == (0.0, 0.0)
    with pytest.raises(ValueError, match="a: expected a finite number"):
        _core.weight_penalty_backward(w, float("nan"), 0.0)
    with pytest.raises(TypeError, match="w: expected dtype float32"):
        _core.weight_penalty_forward(w.astype(np.float64))
