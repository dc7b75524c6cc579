"""Layer / group / instance norm (the layernorm kernel family): float64 oracle (finite differences), every
ISA, scalar twins, 1 vs 2 threads, gradcheck, PyTorch side by side (forward, input and weight gradients,
running statistics, state_dict from torch weights), modules and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import numeric_grad
from reference import layernorm as ref

import nnengine as ne
import nnengine.functional as F
from nnengine import _core
from nnengine.autograd import gradcheck

# (N, G, K, L) views: LayerNorm rows (L = 1) around the vector widths, group and instance norm shapes
VIEWS = [(3, 1, d, 1) for d in (1, 7, 8, 9, 15, 16, 17, 33)] + [
    (5, 1, 1030, 1),
    (2, 4, 3, 7),
    (3, 2, 1, 33),
    (2, 3, 5, 16),
    (4, 6, 1, 17),
    (1, 1, 3, 1100),
]


def test_oracle_matches_finite_differences():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 2, 3, 4)), rng.standard_normal(6), rng.standard_normal(6)
    dy = rng.standard_normal(x.shape)
    dx, dw, db = ref.row_norm(x, w, b, 1e-5)[3](dy)
    for got, fn, at in (
        (dx, lambda v: (ref.row_norm(v, w, b, 1e-5)[0] * dy).sum(), x),
        (dw, lambda v: (ref.row_norm(x, v, b, 1e-5)[0] * dy).sum(), w),
        (db, lambda v: (ref.row_norm(x, w, v, 1e-5)[0] * dy).sum(), b),
    ):
        np.testing.assert_allclose(got, numeric_grad(fn, at), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("affine", [True, False])
def test_kernel_matches_oracle_and_twin(view, affine, isa):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(view) * 3 + 2).astype(np.float32)
    C = view[1] * view[2]
    w = rng.standard_normal(C).astype(np.float32) if affine else None
    b = rng.standard_normal(C).astype(np.float32) if affine else None
    dy = rng.standard_normal(view).astype(np.float32)
    yr, mr, vr, bwd = ref.row_norm(x, w, b, 1e-5)
    dxr, dwr, dbr = bwd(dy)
    y, mean, rstd, var = _core.layernorm_forward(x, w, b, 1e-5)
    np.testing.assert_allclose(y, yr, atol=3e-6 * max(1.0, np.abs(yr).max()))
    np.testing.assert_allclose(mean, mr, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(var, vr, rtol=2e-6)
    np.testing.assert_allclose(rstd, 1 / np.sqrt(vr + 1e-5), rtol=2e-6)
    dx, dw, db = _core.layernorm_backward(dy, x, mean, rstd, w)
    # dx is a difference of terms of size rstd * |w dy| (1/sqrt(eps) for rows of one value): the scale
    wdy = dy * (1.0 if w is None else w.reshape(1, view[1], view[2], 1))
    scale = max(1.0, np.abs(dxr).max(), (np.abs(wdy) * rstd[:, :, None, None]).max())
    np.testing.assert_allclose(dx, dxr, atol=5e-6 * scale)
    np.testing.assert_allclose(dw, dwr, atol=5e-6 * max(1.0, np.abs(dwr).max()))
    np.testing.assert_allclose(db, dbr, atol=5e-6 * max(1.0, np.abs(dbr).max()))
    twin = _core.layernorm_forward(x, w, b, 1e-5, reference=True)
    for a, c in zip((y, mean, rstd, var), twin):
        np.testing.assert_allclose(a, c, rtol=2e-6, atol=3e-6 * max(1.0, np.abs(c).max()))
    for a, c in zip((dx, dw, db), _core.layernorm_backward(dy, x, mean, rstd, w, reference=True)):
        np.testing.assert_allclose(a, c, atol=5e-6 * max(scale, np.abs(c).max()))
    # each output alone (the others not requested) is the same array
    for i, flags in enumerate(((True, False, False), (False, True, False), (False, False, True))):
        alone = _core.layernorm_backward(dy, x, mean, rstd, w, *flags)
        assert np.array_equal(alone[i], (dx, dw, db)[i]) and sum(a is not None for a in alone) == 1


def test_long_rows_keep_precision(isa):
    # a row of 200,000 values far from zero: the float partials are folded into double
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((2, 1, 4, 50_000)) + 100.0).astype(np.float32)
    y, mean, rstd, var = _core.layernorm_forward(x, None, None, 1e-5)
    yr, mr, vr, _ = ref.row_norm(x, None, None, 1e-5)
    np.testing.assert_allclose(mean, mr, rtol=1e-7)
    np.testing.assert_allclose(var, vr, rtol=1e-5)
    np.testing.assert_allclose(y, yr, atol=2e-5)


def test_threads_bit_identical(isa, threads):
    rng = np.random.default_rng(3)
    res = []
    for view in ((512, 1, 300, 1), (8, 4, 16, 100)):
        x = rng.standard_normal(view).astype(np.float32)
        w = rng.standard_normal(view[1] * view[2]).astype(np.float32)
        dy = rng.standard_normal(view).astype(np.float32)
        out = []
        for n in (1, 2):
            with threads(n):
                y, m, r, v = _core.layernorm_forward(x, w, w, 1e-5)
                out.append((y, m, r, v, *_core.layernorm_backward(dy, x, m, r, w)))
        for a, c in zip(*out):
            assert np.array_equal(a, c)
        res.append(out)


def test_gradcheck():
    rng = np.random.default_rng(4)

    def t(*shape):
        return ne.Tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)

    x, w, b = t(3, 2, 5), t(2, 5), t(2, 5)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, (2, 5), w, b), [x, w, b])
    x, w, b = t(2, 6, 3, 2), t(6), t(6)
    assert gradcheck(lambda x, w, b: F.group_norm(x, 3, w, b), [x, w, b])
    assert gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b), [x, w, b])


def _load_pair(mn, mt, torch, rng):
    """Random torch weights (and running statistics) loaded into both modules, from torch's state_dict."""
    sd = {}
    for k, v in mt.state_dict().items():
        a = v.numpy()
        if k == "running_var":
            sd[k] = torch.tensor(rng.uniform(0.5, 2, a.shape).astype(np.float32))
        elif a.dtype == np.float32:
            sd[k] = torch.tensor(rng.standard_normal(a.shape).astype(np.float32))
        else:
            sd[k] = v
    mt.load_state_dict(sd)
    mn.load_state_dict(sd)
    assert list(mn.state_dict()) == list(mt.state_dict())


CASES = [
    ("LayerNorm", (33,), {}, (4, 5, 33)),
    ("LayerNorm", ((5, 9),), {"eps": 1e-3}, (3, 5, 9)),
    ("LayerNorm", (16,), {"bias": False}, (7, 16)),
    ("LayerNorm", (8,), {"elementwise_affine": False}, (2, 3, 8)),
    ("GroupNorm", (4, 12), {}, (3, 12, 5, 7)),
    ("GroupNorm", (3, 6), {"affine": False}, (2, 6, 17)),
    ("GroupNorm", (1, 5), {"bias": False}, (4, 5)),
    ("InstanceNorm1d", (6,), {"affine": True}, (3, 6, 100)),
    ("InstanceNorm1d", (6,), {}, (6, 9)),
    ("InstanceNorm2d", (5,), {"affine": True, "track_running_stats": True}, (2, 5, 7, 9)),
    ("InstanceNorm2d", (4,), {"track_running_stats": True, "momentum": None}, (3, 4, 8, 8)),
    ("InstanceNorm3d", (3,), {"affine": True, "bias": False}, (2, 3, 3, 4, 5)),
]


@pytest.mark.parametrize("cls,args,kwargs,shape", CASES)
def test_modules_match_torch(cls, args, kwargs, shape, torch):
    rng = np.random.default_rng(5)
    mn, mt = getattr(ne.nn, cls)(*args, **kwargs), getattr(torch.nn, cls)(*args, **kwargs)
    assert repr(mn).split("(", 1)[1] == repr(mt).split("(", 1)[1]
    _load_pair(mn, mt, torch, rng)
    for step in range(2):
        x = (rng.standard_normal(shape) * (step + 1) + step).astype(np.float32)
        xn, xt = ne.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        yn, yt = mn(xn), mt(xt)
        np.testing.assert_allclose(yn.numpy(), yt.detach().numpy(), atol=3e-5)
        g = rng.standard_normal(shape).astype(np.float32)
        yn.backward(g)
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(xn.grad, xt.grad.numpy(), atol=5e-5)
    for name, p in mt.named_parameters():
        np.testing.assert_allclose(getattr(mn, name).grad, p.grad.numpy(), rtol=1e-4, atol=1e-4)
    for k, v in mt.state_dict().items():
        np.testing.assert_allclose(mn.state_dict()[k], v.numpy(), rtol=1e-5, atol=1e-6)
    mn.eval()
    mt.eval()
    x = rng.standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(mn(ne.Tensor(x)).numpy(), mt(torch.tensor(x)).detach().numpy(), atol=3e-5)


def test_functional_matches_torch(torch):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 6, 4, 5)).astype(np.float32)
    w, b = rng.standard_normal(6).astype(np.float32), rng.standard_normal(6).astype(np.float32)
    tt = torch.tensor
    pairs = [
        (F.layer_norm(ne.Tensor(x), [4, 5]), torch.nn.functional.layer_norm(tt(x), [4, 5])),
        (F.group_norm(ne.Tensor(x), 2, w, b), torch.nn.functional.group_norm(tt(x), 2, tt(w), tt(b))),
        (F.instance_norm(ne.Tensor(x), weight=w, bias=b), torch.nn.functional.instance_norm(tt(x), weight=tt(w),
                                                                                           bias=tt(b))),
    ]
    rm, rv = rng.standard_normal(6).astype(np.float32), rng.uniform(0.5, 2, 6).astype(np.float32)
    rmt, rvt = tt(rm.copy()), tt(rv.copy())
    pairs.append((F.instance_norm(ne.Tensor(x), rm, rv, momentum=0.3),
                  torch.nn.functional.instance_norm(tt(x), rmt, rvt, momentum=0.3)))
    for yn, yt in pairs:
        np.testing.assert_allclose(yn.numpy(), yt.numpy(), atol=3e-5)
    np.testing.assert_allclose(rm, rmt.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv, rvt.numpy(), rtol=1e-5, atol=1e-6)
    y = F.instance_norm(ne.Tensor(x), rm, rv, use_input_stats=False)
    yt = torch.nn.functional.instance_norm(tt(x), rmt, rvt, use_input_stats=False)
    np.testing.assert_allclose(y.numpy(), yt.numpy(), atol=3e-5)


def test_empty_batch_and_zero_variance():
    y = F.layer_norm(ne.Tensor(np.zeros((0, 4), np.float32), requires_grad=True), 4)
    assert y.shape == (0, 4)
    y.sum().backward()
    x = ne.Tensor(np.full((2, 3), 5.0, np.float32), requires_grad=True)
    y = F.layer_norm(x, 3, ne.Tensor(np.ones(3, np.float32)), ne.Tensor(np.arange(3, dtype=np.float32)))
    assert np.array_equal(y.numpy(), np.tile(np.arange(3, dtype=np.float32), (2, 1)))
    (y * y).sum().backward()
    assert np.all(np.isfinite(x.grad))


def test_bad_input():
    x = ne.randn(2, 6, 4)
    with pytest.raises(ValueError, match=r"input: expected trailing dimensions \(5,\)"):
        F.layer_norm(x, 5)
    with pytest.raises(TypeError, match="normalized_shape: expected an int or a sequence"):
        F.layer_norm(x, "4")
    with pytest.raises(ValueError, match="normalized_shape: expected one or more positive ints"):
        ne.nn.LayerNorm(0)
    with pytest.raises(ValueError, match=r"weight: expected shape \(4,\), got \(3,\)"):
        F.layer_norm(x, 4, ne.randn(3))
    with pytest.raises(ValueError, match="eps: expected a finite float >= 0"):
        F.layer_norm(x, 4, eps=-1.0)
    with pytest.raises(ValueError, match="num_groups: expected a divisor of the 6 channels"):
        F.group_norm(x, 4)
    with pytest.raises(ValueError, match="num_channels: expected a multiple of num_groups=4, got 6"):
        ne.nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match="num_groups: expected a positive int"):
        ne.nn.GroupNorm(0, 6)
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        F.instance_norm(ne.randn(2, 3, 1))
    with pytest.raises(ValueError, match="expected 3 or 4D input"):
        ne.nn.InstanceNorm2d(3)(ne.randn(4, 3))
    with pytest.raises(ValueError, match="expected 6 channels"):
        ne.nn.InstanceNorm1d(6, affine=True)(ne.randn(2, 5, 4))
    with pytest.raises(ValueError, match="required when use_input_stats=False"):
        F.instance_norm(x, use_input_stats=False)
    rm = np.ones(3, np.float32)
    for bad in (np.ones(1, np.float32), np.ones((2, 2), np.complex64), None, True):  # (fuzz: numpy's error)
        with pytest.raises(TypeError, match="momentum: expected a number"):
            F.instance_norm(ne.randn(2, 3, 4), rm, None, momentum=bad)
    np.testing.assert_array_equal(rm, np.ones(3, np.float32))  # untouched
    with pytest.raises(ValueError, match="x: expected 4 dimensions"):
        _core.layernorm_forward(np.zeros((2, 3), np.float32), None, None, 1e-5)
    with pytest.raises(ValueError, match="at least one value per normalised row"):
        _core.layernorm_forward(np.zeros((2, 1, 0, 1), np.float32), None, None, 1e-5)
    with pytest.raises(ValueError, match=r"rstd: expected shape \(2, 1\)"):
        z = np.zeros((2, 1, 3, 1), np.float32)
        _core.layernorm_backward(z, z, np.zeros((2, 1), np.float32), np.zeros((1, 2), np.float32), None)
    with pytest.raises(TypeError, match="x: expected dtype float32"):
        _core.layernorm_forward(np.zeros((2, 1, 3, 1)), None, None, 1e-5)
