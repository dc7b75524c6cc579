"""The batchnorm kernel family (F.batch_norm, BatchNorm1d/2d): float64 oracle (finite differences), every ISA,
scalar twins, 1 vs 2 threads, PyTorch side by side (training, running statistics, eval), modules and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import numeric_grad
from reference import batchnorm as ref

import nnengine as ne
import nnengine.functional as F
from nnengine import _core

SHAPES = [(8, 3), (7, 17), (4, 5, 9), (3, 4, 5, 7), (2, 3, 16, 17), (1, 2, 33, 1)]


def test_oracle_matches_finite_differences():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((3, 2, 4)), rng.standard_normal(2), rng.standard_normal(2)
    dy = rng.standard_normal(x.shape)
    dx, dw, db = ref.batch_norm_train(x, w, b, 1e-5)[3](dy)
    np.testing.assert_allclose(
        dx, numeric_grad(lambda v: (ref.batch_norm_train(v, w, b, 1e-5)[0] * dy).sum(), x), rtol=1e-7, atol=1e-8
    )
    np.testing.assert_allclose(
        dw, numeric_grad(lambda v: (ref.batch_norm_train(x, v, b, 1e-5)[0] * dy).sum(), w), rtol=1e-7, atol=1e-8
    )
    np.testing.assert_allclose(
        db, numeric_grad(lambda v: (ref.batch_norm_train(x, w, v, 1e-5)[0] * dy).sum(), b), rtol=1e-7, atol=1e-8
    )


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_matches_oracle(shape, affine, isa):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    C = shape[1]
    w = rng.standard_normal(C).astype(np.float32) if affine else None
    b = rng.standard_normal(C).astype(np.float32) if affine else None
    yr, mr, vr, bwd = ref.batch_norm_train(x, w, b, 1e-5)
    rm, rv = np.zeros(C, np.float32), np.ones(C, np.float32)
    xn = ne.Tensor(x, requires_grad=True)
    wn = ne.Tensor(w, requires_grad=True) if affine else None
    bn = ne.Tensor(b, requires_grad=True) if affine else None
    y = F.batch_norm(xn, rm, rv, wn, bn, training=True, momentum=0.2)
    np.testing.assert_allclose(y.numpy(), yr, atol=2e-5)
    m = x.size // C
    np.testing.assert_allclose(rm, 0.2 * mr, atol=1e-5)
    np.testing.assert_allclose(rv, 0.8 + 0.2 * vr * m / (m - 1), rtol=1e-5)
    dy = rng.standard_normal(shape).astype(np.float32)
    y.backward(dy)
    dxr, dwr, dbr = bwd(dy)
    np.testing.assert_allclose(xn.grad, dxr, atol=5e-5)
    if affine:
        np.testing.assert_allclose(wn.grad, dwr, atol=5e-5 * max(1, np.abs(dwr).max()))
        np.testing.assert_allclose(bn.grad, dbr, atol=5e-5 * max(1, np.abs(dbr).max()))
    x3 = x.reshape(shape[0], C, -1)
    dy3 = dy.reshape(x3.shape)
    k = _core.batchnorm_forward_train(x3, w, b, 1e-5)
    t = _core.batchnorm_forward_train(x3, w, b, 1e-5, reference=True)
    for a, c in zip(k, t):
        np.testing.assert_allclose(a, c, atol=2e-5)
    for a, c in zip(
        _core.batchnorm_backward(dy3, x3, k[1], k[2], w, True),
        _core.batchnorm_backward(dy3, x3, k[1], k[2], w, True, reference=True),
    ):
        if a is not None:
            np.testing.assert_allclose(a, c, atol=5e-5 * max(1, np.abs(c).max()))


def test_batch_norm_eval_gradient(isa):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3, 5)).astype(np.float32)
    rm, rv = rng.standard_normal(3).astype(np.float32), rng.uniform(0.5, 2, 3).astype(np.float32)
    w, b = (rng.standard_normal(3).astype(np.float32).astype(np.float64) for _ in range(2))

    def f(xv, wv, bv):
        return (xv - rm[None, :, None]) / np.sqrt(rv[None, :, None] + 1e-5) * wv[None, :, None] + bv[
            None, :, None
        ]

    xn, wn, bn = (ne.Tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.batch_norm(xn, rm, rv, wn, bn, training=False)
    np.testing.assert_allclose(y.numpy(), f(x.astype(np.float64), w, b), rtol=1e-6, atol=1e-6)
    dy = rng.standard_normal(x.shape).astype(np.float32).astype(np.float64)
    y.backward(dy)
    # float32 engine vs float64 FD (~1e-9): the tolerance is float32 arithmetic on sums of <= 20 terms
    np.testing.assert_allclose(xn.grad, numeric_grad(lambda v: (f(v, w, b) * dy).sum(), x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(wn.grad, numeric_grad(lambda v: (f(x, v, b) * dy).sum(), w), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.grad, numeric_grad(lambda v: (f(x, w, v) * dy).sum(), b), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "cls,shape", [("BatchNorm1d", (16, 7)), ("BatchNorm1d", (8, 5, 9)), ("BatchNorm2d", (4, 6, 9, 11))]
)
def test_modules_match_torch(cls, shape, torch):
    rng = np.random.default_rng(3)
    C = shape[1]
    mn, mt = getattr(ne.nn, cls)(C, momentum=0.3), getattr(torch.nn, cls)(C, momentum=0.3)
    mt.load_state_dict({k: torch.tensor(v) for k, v in mn.state_dict().items()})
    for step in range(3):
        x = (rng.standard_normal(shape) * (step + 1) + step).astype(np.float32)
        xn, xt = ne.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        yn, yt = mn(xn), mt(xt)
        np.testing.assert_allclose(yn.numpy(), yt.detach().numpy(), atol=2e-5)
        (yn * yn).sum().backward()
        (yt * yt).sum().backward()
        np.testing.assert_allclose(xn.grad, xt.grad.numpy(), atol=1e-4)
    np.testing.assert_allclose(mn.weight.grad, mt.weight.grad.numpy(), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(mn.bias.grad, mt.bias.grad.numpy(), rtol=1e-4, atol=1e-3)
    sd = mn.state_dict()
    assert list(sd) == list(mt.state_dict())
    for k, v in mt.state_dict().items():
        np.testing.assert_allclose(sd[k], v.numpy(), rtol=1e-5, atol=1e-6)
    assert sd["num_batches_tracked"].dtype == np.int64 and int(sd["num_batches_tracked"]) == 3
    mn.eval()
    mt.eval()
    x = rng.standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(mn(ne.Tensor(x)).numpy(), mt(torch.tensor(x)).detach().numpy(), atol=2e-5)


def test_batch_norm_momentum_none_and_no_tracking(torch):
    rng = np.random.default_rng(4)
    mn, mt = ne.nn.BatchNorm2d(3, momentum=None), torch.nn.BatchNorm2d(3, momentum=None)
    for _ in range(3):
        x = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
        mn(ne.Tensor(x))
        mt(torch.tensor(x))
    np.testing.assert_allclose(mn.running_var, mt.running_var.numpy(), rtol=1e-5)
    m = ne.nn.BatchNorm1d(4, affine=False, track_running_stats=False)
    assert list(m.state_dict()) == [] and m.weight is None
    m.eval()
    x = rng.standard_normal((6, 4)).astype(np.float32)
    np.testing.assert_allclose(
        m(ne.Tensor(x)).numpy(), ref.batch_norm_train(x, None, None, 1e-5)[0], atol=2e-5
    )


def test_batch_norm_threads(isa, threads):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((8, 64, 300)).astype(np.float32)
    w = rng.standard_normal(64).astype(np.float32)
    res = []
    for n in (1, 2):
        with threads(n):
            y, m, i, v = _core.batchnorm_forward_train(x, w, None, 1e-5)
            res.append((y, m, i, v, *_core.batchnorm_backward(y, x, m, i, w, True)))
    for a, b in zip(*res):
        assert np.array_equal(a, b)


def test_batch_norm_bad_input():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(ne.randn(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match="running_mean: expected shape"):
        F.batch_norm(ne.randn(4, 3), np.zeros(2, np.float32), np.ones(3, np.float32))
    with pytest.raises(ValueError, match="required when training=False"):
        F.batch_norm(ne.randn(4, 3), None, None)
    with pytest.raises(ValueError, match="weight: expected shape"):
        F.batch_norm(ne.randn(4, 3), None, None, ne.randn(4), training=True)
    with pytest.raises(ValueError, match="expected 4D input"):
        ne.nn.BatchNorm2d(3)(ne.randn(4, 3))
    with pytest.raises(ValueError, match="num_features"):
        ne.nn.BatchNorm1d(0)
    rm, rv = np.zeros(3, np.float32), np.ones(3, np.float32)
    for bad in (np.full(1, 0.5, np.float32), ne.tensor([0.5]), None, True, "0.1"):  # a scalar never broadcasts
        with pytest.raises(TypeError, match="momentum: expected a number"):
            F.batch_norm(ne.randn(4, 3), rm, rv, training=True, momentum=bad)
        with pytest.raises(TypeError, match="eps: expected a number"):
            F.batch_norm(ne.randn(4, 3), rm, rv, training=True, eps=bad)
    np.testing.assert_array_equal(rm, np.zeros(3, np.float32))  # untouched
    np.testing.assert_array_equal(rv, np.ones(3, np.float32))
    y = F.batch_norm(ne.randn(4, 3), rm, rv, training=True, momentum=np.float32(0.5), eps=np.float64(1e-3))
    assert y.shape == (4, 3) and (rm != 0).any()


def test_reset_running_stats_after_training_steps():
    """num_batches_tracked stays a 0-d array through forward passes, so reset_running_stats can zero it."""
    bn = ne.nn.BatchNorm1d(3)
    bn(ne.randn(4, 3))
    bn(ne.randn(4, 3))
    assert isinstance(bn.num_batches_tracked, np.ndarray) and int(bn.num_batches_tracked) == 2
    bn.reset_running_stats()
    assert int(bn.num_batches_tracked) == 0
    np.testing.assert_array_equal(bn.running_mean, np.zeros(3, np.float32))
    np.testing.assert_array_equal(bn.running_var, np.ones(3, np.float32))
