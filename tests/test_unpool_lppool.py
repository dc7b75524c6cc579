"""max_pool*_with_indices / adaptive_max_pool*_with_indices, max_pool2d(return_indices=True), max_unpool1d/2d
(default and explicit output_size, round trip with the pooling indices) and lp_pool1d/2d: values, indices and
gradients equal torch's; modules' reprs equal torch's; a finite-difference check of the unpooling backward."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine import nn
from nnengine.autograd import gradcheck

R = np.random.default_rng(0)
X2 = R.standard_normal((2, 3, 8, 9)).astype(np.float32)
X1 = R.standard_normal((2, 3, 11)).astype(np.float32)


@pytest.mark.parametrize("name,x,args", [
    ("max_pool2d_with_indices", X2, (3, 2, 1)), ("max_pool1d_with_indices", X1, (3, 2, 1)),
    ("adaptive_max_pool2d_with_indices", X2, ((3, 4),)), ("adaptive_max_pool1d_with_indices", X1, (4,)),
])
def test_with_indices_match_torch(torch, name, x, args):
    y, i = getattr(F, name)(ne.tensor(x), *args)
    ty, ti = getattr(torch.nn.functional, name)(torch.tensor(x), *args)
    np.testing.assert_array_equal(y.numpy(), ty.numpy())
    np.testing.assert_array_equal(i.numpy(), ti.numpy())


@pytest.mark.parametrize("spatial,x,k,s,p,out", [
    (2, X2[..., :8], 2, None, 0, None), (2, X2[:, :, :7, :7], 3, 2, 1, None), (2, X2, 2, 2, 0, (9, 9)),
    (1, X1, 2, None, 0, None), (1, X1, 3, 2, 1, (12,)),
])
def test_unpool_matches_torch(torch, spatial, x, k, s, p, out):
    pool = F.max_pool2d if spatial == 2 else F.max_pool1d
    tpool = getattr(torch.nn.functional, f"max_pool{spatial}d")
    y, i = pool(ne.tensor(x), k, s, p, return_indices=True)
    ty, ti = tpool(torch.tensor(x), k, s, p, return_indices=True)
    a = ne.tensor(y.numpy(), requires_grad=True)
    ta = torch.tensor(ty.numpy(), requires_grad=True)
    u = getattr(F, f"max_unpool{spatial}d")(a, i, k, s, p, output_size=out)
    tu = getattr(torch.nn.functional, f"max_unpool{spatial}d")(ta, ti, k, s, p, output_size=out)
    np.testing.assert_array_equal(u.detach().numpy(), tu.detach().numpy())
    w = R.standard_normal(tu.shape).astype(np.float32)
    (u * ne.tensor(w)).sum().backward()
    (tu * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(a.grad, ta.grad.numpy())


def test_unpool_gradcheck_and_modules(torch):
    y, i = F.max_pool2d(ne.tensor(X2[:1, :2, :, :8]), 2, return_indices=True)
    a = ne.tensor(y.numpy().astype(np.float64), requires_grad=True)
    assert gradcheck(lambda t: F.max_unpool2d(t, i, 2), [a], eps=1e-6, atol=1e-6)
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    tpool, tunpool = torch.nn.MaxPool2d(2, return_indices=True), torch.nn.MaxUnpool2d(2)
    assert repr(unpool) == repr(tunpool) and repr(pool) == repr(tpool)
    assert repr(nn.MaxUnpool1d(3, 2, 1)) == repr(torch.nn.MaxUnpool1d(3, 2, 1))
    x = np.ascontiguousarray(X2[..., :8])
    np.testing.assert_array_equal(unpool(*pool(ne.tensor(x))).numpy(), tunpool(*tpool(torch.tensor(x))).numpy())


def test_unpool_modules_save_and_load(tmp_path):
    from nnengine import io

    for m in (nn.MaxUnpool2d(3, 2, 1), nn.MaxUnpool1d(2), nn.MaxUnpool3d(2, (1, 2, 2))):
        io.save_model(m, str(tmp_path / "u.safetensors"))
        back = io.load_model(str(tmp_path / "u.safetensors"))
        assert type(back) is type(m) and repr(back) == repr(m)


@pytest.mark.parametrize("p", [1, 2, 3.5])
def test_lp_pool_matches_torch(torch, p):
    for spatial, x, k, s in ((2, np.abs(X2) + 0.1, 2, None), (2, X2, (2, 3), 2), (1, np.abs(X1) + 0.1, 3, 2)):
        if p == 3.5 and (x < 0).any():
            continue  # a fractional power of a negative sum is NaN in both
        a, t = ne.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y = getattr(F, f"lp_pool{spatial}d")(a, p, k, s)
        ty = getattr(torch.nn.functional, f"lp_pool{spatial}d")(t, p, k, s)
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=2e-5, atol=1e-6)
        y.sum().backward()
        ty.sum().backward()
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=2e-4, atol=1e-5)
        m = getattr(nn, f"LPPool{spatial}d")(p, k, s)
        assert repr(m) == repr(getattr(torch.nn, f"LPPool{spatial}d")(p, k, s))


@pytest.mark.parametrize("call,exc,match", [
    (lambda: F.max_unpool2d(ne.ones(1, 1, 2, 2), np.zeros((1, 1, 2), np.int64), 2), ValueError, "indices"),
    (lambda: F.max_unpool2d(ne.ones(1, 1, 2, 2), np.zeros((1, 1, 2, 2), np.int64), 2, output_size=(9, 9)), ValueError,
     "output_size"),
    (lambda: F.max_unpool2d(ne.ones(1, 1, 2, 2), np.full((1, 1, 2, 2), 99), 2), ValueError, "indices"),
    (lambda: F.max_unpool1d(ne.ones(1, 1, 2), np.zeros((1, 1, 2)), 2), TypeError, "indices"),
    (lambda: F.max_pool2d(ne.ones(1, 1, 4, 4), 2, dilation=2), ValueError, "dilation"),
    (lambda: F.lp_pool2d(ne.ones(1, 1, 4, 4), "2", 2), TypeError, "norm_type"),
])
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
