"""Fused optimizer kernels: SIMD vs the scalar reference twins on every ISA, sizes around the vector
widths, 1 vs 2 threads bit-identical, binding validation."""

from __future__ import annotations

import numpy as np
import pytest

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
