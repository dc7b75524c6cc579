"""Limits the engine must hold on any input: fork after threaded kernels, extreme logits like torch,
misaligned arrays, integer hyper-parameters beyond 2^31 (the reproducers that are not fuzz-shaped)."""

from __future__ import annotations

import multiprocessing as mp

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine import _core


def _child_matmul(seed: int):
    a = np.random.default_rng(seed).standard_normal((300, 300)).astype(np.float32)
    return (ne.tensor(a) @ ne.tensor(a)).data, ne.get_num_threads()


def test_forked_child_runs_kernels_after_parent_used_threads():
    """libgomp's pool does not survive fork(): a child forked after a 2-thread kernel used to hang in its
    first parallel region. It now runs single-threaded, with the same result."""
    with ne.backend.num_threads(2):
        a = np.random.default_rng(0).standard_normal((300, 300)).astype(np.float32)
        ref = (ne.tensor(a) @ ne.tensor(a)).data  # starts the OpenMP pool in this process
        with mp.get_context("fork").Pool(1) as pool:
            out, threads = pool.apply_async(_child_matmul, (0,)).get(timeout=60)
    assert threads == 1
    np.testing.assert_array_equal(out, ref)  # bit-identical at any thread count


EXTREME_ROWS = [
    [-1e30, -1e30, -1e30, -1e30],
    [1e30, 1e30, 0.0, -1e30],
    [1e8, 0.0, -1e8, 3.0],
    [np.inf, 1.0, 0.0, 2.0],
    [-np.inf, -np.inf, -np.inf, -np.inf],
    [np.nan, 1.0, 0.0, 2.0],
    [-np.inf, 0.0, 1.0, 2.0],
    [3e38, -3e38, 0.0, 1.0],
]


@pytest.mark.parametrize("row", EXTREME_ROWS, ids=[str(r) for r in EXTREME_ROWS])
def test_softmax_family_at_extreme_logits_matches_torch(torch, isa, row):
    x = np.array([row], np.float32)
    tx = torch.tensor(x)
    # softmax: the vectorised exp floors at exp(-87.3) ~ 1.2e-38 where torch underflows to 0
    np.testing.assert_allclose(F.softmax(ne.tensor(x), 1).data, torch.softmax(tx, 1).numpy(), rtol=1e-6,
                               atol=2e-38, equal_nan=True)
    np.testing.assert_allclose(F.log_softmax(ne.tensor(x), 1).data, torch.log_softmax(tx, 1).numpy(), rtol=1e-6,
                               atol=0, equal_nan=True)
    for t in range(4):
        xt = ne.tensor(x, requires_grad=True)
        loss = F.cross_entropy(xt, np.array([t]))
        loss.backward()
        txg = tx.clone().requires_grad_(True)
        tl = torch.nn.functional.cross_entropy(txg, torch.tensor([t]))
        tl.backward()
        np.testing.assert_allclose(loss.item(), tl.item(), rtol=1e-6, equal_nan=True)
        np.testing.assert_allclose(xt.grad, txg.grad.numpy(), rtol=1e-6, atol=1e-7, equal_nan=True)


def test_log_softmax_keeps_the_log_term_for_huge_logits():
    x = np.full((1, 4), -1e30, np.float32)
    np.testing.assert_allclose(F.log_softmax(ne.tensor(x), 1).data, np.full((1, 4), -np.log(4)), rtol=1e-6)
    assert F.cross_entropy(ne.tensor(x), np.array([2])).item() == pytest.approx(np.log(4), rel=1e-6)


def _misaligned(shape):
    n = int(np.prod(shape))
    buf = np.zeros(4 * n + 1, np.uint8)
    a = np.frombuffer(buf.data, np.float32, count=n, offset=1).reshape(shape)
    assert not a.flags.aligned
    return a


def test_misaligned_arrays_are_copied_by_the_api_and_rejected_by_bindings():
    x = _misaligned((2, 3, 5, 5))
    w = np.ones((4, 3, 3, 3), np.float32)
    y = F.conv2d(ne.tensor(x), ne.tensor(w))  # the public API copies
    np.testing.assert_array_equal(y.data, np.zeros((2, 4, 3, 3), np.float32))
    assert F.relu(ne.tensor(_misaligned((7,)))).data.shape == (7,)
    with pytest.raises(ValueError, match="x: expected an aligned array"):
        _core.conv2d_forward(x, w)


@pytest.mark.parametrize("kw,name", [
    (dict(dilation=(1, 2**62)), "dilation"),
    (dict(padding=(0, 2**63 - 1)), "padding"),
    (dict(stride=(2**32, 2**63 - 1)), "stride"),
    (dict(padding=(0, 2**31 - 1)), "output"),
])
def test_conv2d_huge_hyper_parameters_raise(kw, name):
    x = ne.tensor(np.ones((1, 1, 4, 4), np.float32))
    with pytest.raises(ValueError, match=name):
        F.conv2d(x, ne.tensor(np.ones((1, 1, 2, 2), np.float32)), **kw)


def test_binding_integer_limits():
    x = np.ones((3, 2, 4), np.float32)
    wi, wh, h0 = np.ones((4, 4), np.float32), np.ones((4, 4), np.float32), np.zeros((2, 4), np.float32)
    out = np.zeros((3, 2, 8), np.float32)
    with pytest.raises(ValueError, match="out_col"):
        _core.rnn_forward(x, h0, wi, wh, None, "tanh", False, False, out, 2**63 - 1)
    with pytest.raises(ValueError, match="pieces"):
        _core.maxout_backward(np.ones((1, 2, 1), np.float32), np.zeros((1, 2, 1), np.int32), 2**62)
    with pytest.raises(ValueError, match="padding"):
        _core.pool2d_forward(np.ones((1, 1, 4, 4), np.float32), "max", (2, 2), (1, 1), (2**62, 0))
    with pytest.raises(ValueError, match="seed"):
        _core.rbm_sample(np.ones((2, 3), np.float32), np.ones((4, 3), np.float32), None, True, 2**64)
    prob, state = _core.rbm_sample(np.ones((2, 3), np.float32), np.ones((0, 3), np.float32), None, True, 2**63)
    assert prob.shape == (2, 0) and state.shape == (2, 0)


@pytest.mark.parametrize("fn", [F.nll_loss, F.cross_entropy])
def test_loss_ignore_index_must_be_an_int(fn):
    """Found by the 10^6-call campaign: an array ignore_index raised IndexError from numpy."""
    x = ne.tensor(np.zeros((1, 3), np.float32))
    for bad in (np.zeros(3), np.ones((1, 1, 1, 1, 1)), 1.5, None, True):
        with pytest.raises(TypeError, match="ignore_index"):
            fn(x, np.array([0]), ignore_index=bad)
    assert np.isnan(fn(x, np.array([0]), ignore_index=np.int64(0)).item())  # every target ignored: nan, as torch
