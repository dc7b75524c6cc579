"""Triplet margin (p-norm and custom distance, swap), multi-class / multi-label margin, multi-label and two-class soft
margin, hinge embedding, Poisson and Gaussian NLL: values and gradients equal torch's for every reduction
(float32 and float64), finite-difference checks, modules' reprs and weight buffers."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine import nn
from nnengine.autograd import gradcheck

R = np.random.default_rng(0)
X = R.standard_normal((5, 4))
A, P, N = (R.standard_normal((5, 6)) for _ in range(3))
CLS = np.array([0, 3, 1, 1, 2])
ML = np.array([[3, 0, -1, 1], [1, -1, 0, 0], [0, 1, 2, 3], [-1, 2, 1, 0], [2, 2, -1, 3]])  # -1 ends each list
PM1 = np.sign(R.standard_normal((5, 4)))
BIN = (R.random((5, 4)) > 0.5).astype(float)
COUNTS = R.poisson(2.0, (5, 4)).astype(float)
VAR = R.random((5, 4)) + 0.1

# name -> (differentiable inputs, constant args builder(lib, dtype), kwargs)
CASES = {
    "triplet_margin_loss": ([A, P, N], lambda lib, dt: (), dict(margin=0.8)),
    "triplet_margin_loss_swap_p1": ([A, P, N], lambda lib, dt: (), dict(p=1, swap=True)),
    "triplet_margin_with_distance_loss": ([A, P, N], lambda lib, dt: (), dict(margin=1.5)),
    "triplet_margin_with_distance_loss_cos": ([A, P, N], lambda lib, dt: (), "cos"),
    "multi_margin_loss": ([X], lambda lib, dt: (lib.tensor(CLS),), dict()),
    "multi_margin_loss_p2_w": ([X], lambda lib, dt: (lib.tensor(CLS),),
                               "weights"),
    "multilabel_margin_loss": ([X], lambda lib, dt: (lib.tensor(ML),), dict()),
    "multilabel_soft_margin_loss": ([X], lambda lib, dt: (lib.tensor(BIN.astype(dt)),), dict()),
    "soft_margin_loss": ([X], lambda lib, dt: (lib.tensor(PM1.astype(dt)),), dict()),
    "hinge_embedding_loss": ([np.abs(X)], lambda lib, dt: (lib.tensor(PM1.astype(dt)),), dict(margin=1.2)),
    "poisson_nll_loss": ([X], lambda lib, dt: (lib.tensor(COUNTS.astype(dt)),), dict()),
    "poisson_nll_loss_full_rate": ([np.abs(X) + 0.1], lambda lib, dt: (lib.tensor(COUNTS.astype(dt)),),
                                   dict(log_input=False, full=True)),
    # a differentiable target: the Stirling term's gradient (it was treated as a constant)
    "poisson_nll_loss_full_target": ([np.abs(X) + 0.1, COUNTS + 0.3], lambda lib, dt: (),
                                     dict(log_input=False, full=True)),
    "gaussian_nll_loss": ([X, VAR], lambda lib, dt: (), "gauss"),
    "gaussian_nll_loss_homo_full": ([X, VAR[:, 0]], lambda lib, dt: (), "gauss_homo"),
}


def _call(lib, case, xs, consts, reduction):
    f = lib.nn.functional
    name = case
    while not hasattr(f, name):
        name = name.rsplit("_", 1)[0]
    kw = CASES[case][2]
    if kw == "cos":
        return f.triplet_margin_with_distance_loss(*xs, distance_function=lambda a, b: 1 - f.cosine_similarity(a, b),
                                                   swap=True, reduction=reduction)
    dt = xs[0].detach().numpy().dtype
    if kw == "weights":
        w = lib.tensor(np.array([1.0, 2.0, 0.5, 3.0], dt))
        return f.multi_margin_loss(xs[0], *consts, p=2, margin=0.7, weight=w, reduction=reduction)
    if kw in ("gauss", "gauss_homo"):
        tgt = lib.tensor(BIN.astype(dt))
        return f.gaussian_nll_loss(xs[0], tgt, xs[1], full=kw == "gauss_homo", reduction=reduction)
    return getattr(f, name)(*xs, *consts, reduction=reduction, **kw)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_values_and_grads_match_torch(torch, case, reduction, dtype):
    arrs = [a.astype(dtype) for a in CASES[case][0]]
    mine_in = [ne.tensor(a, requires_grad=True) for a in arrs]
    ref_in = [torch.tensor(a, requires_grad=True) for a in arrs]
    mine = _call(ne, case, mine_in, CASES[case][1](ne, dtype), reduction)
    ref = _call(torch, case, ref_in, CASES[case][1](torch, dtype), reduction)
    tol = dict(rtol=3e-6, atol=3e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    assert mine.dtype == dtype and tuple(mine.shape) == tuple(ref.shape)
    np.testing.assert_allclose(mine.detach().numpy(), ref.detach().numpy(), **tol)
    w = np.random.default_rng(1).standard_normal(tuple(ref.shape)).astype(dtype)
    (mine * ne.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    for a, b in zip(mine_in, ref_in):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), **tol)


@pytest.mark.parametrize("case", ["multi_margin_loss", "multilabel_margin_loss", "hinge_embedding_loss",
                                  "gaussian_nll_loss", "triplet_margin_loss"])
def test_gradcheck(case):
    xs = [ne.tensor(a.astype(np.float64), requires_grad=True) for a in CASES[case][0]]
    consts = CASES[case][1](ne, np.float64)
    assert gradcheck(lambda *t: _call(ne, case, t, consts, "sum"), xs, eps=1e-6, atol=1e-5)


MODULES = [
    ("TripletMarginLoss", dict(margin=0.5, p=1.0, swap=True), 3),
    ("MultiMarginLoss", dict(p=2, margin=0.5), 1),
    ("MultiLabelMarginLoss", dict(reduction="sum"), 1),
    ("MultiLabelSoftMarginLoss", dict(), 1),
    ("SoftMarginLoss", dict(), 1),
    ("HingeEmbeddingLoss", dict(margin=2.0), 1),
    ("PoissonNLLLoss", dict(full=True), 1),
    ("GaussianNLLLoss", dict(full=True, eps=1e-3), 2),
    ("TripletMarginWithDistanceLoss", dict(margin=0.3), 3),
]


@pytest.mark.parametrize("name,kwargs,n", MODULES, ids=[m[0] for m in MODULES])
def test_modules_match_torch(torch, name, kwargs, n):
    m, tm = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(m) == repr(tm)
    if n == 3:
        args = [A, P, N]
    elif name == "GaussianNLLLoss":
        args = [X, BIN, VAR]
    else:
        tgt = {"MultiMarginLoss": CLS, "MultiLabelMarginLoss": ML, "MultiLabelSoftMarginLoss": BIN,
               "PoissonNLLLoss": COUNTS}.get(name, PM1)
        args = [np.abs(X) if name == "HingeEmbeddingLoss" else X, tgt]
    mine = m(*[ne.tensor(a if a.dtype.kind == "i" else a.astype(np.float32)) for a in args])
    ref = tm(*[torch.tensor(a if a.dtype.kind == "i" else a.astype(np.float32)) for a in args])
    np.testing.assert_allclose(mine.numpy(), ref.numpy(), rtol=3e-6, atol=3e-6)


def test_weighted_modules_keep_weight_buffer(torch):
    w = np.array([1.0, 2.0, 0.5, 3.0], np.float32)
    for name in ("MultiMarginLoss", "MultiLabelSoftMarginLoss"):
        m, tm = getattr(nn, name)(weight=ne.tensor(w)), getattr(torch.nn, name)(weight=torch.tensor(w))
        assert list(m.state_dict()) == list(tm.state_dict()) == ["weight"]
        tgt = CLS if name == "MultiMarginLoss" else BIN.astype(np.float32)
        np.testing.assert_allclose(m(ne.tensor(X.astype(np.float32)), ne.tensor(tgt)).numpy(),
                                   tm(torch.tensor(X.astype(np.float32)), torch.tensor(tgt)).numpy(), rtol=3e-6)


@pytest.mark.parametrize("reduction", ["none", "sum"])
def test_margin_losses_with_infinite_inputs_match_torch(torch, reduction):
    # multi_margin picked x[y] as a product with a one-hot mask (-inf * 0 = NaN made the row NaN); hinge masked
    # by products too. Both now gather / select, as torch
    x = np.array([[-np.inf, 0.5, 1.0], [0.2, 0.1, -0.3], [1.0, -np.inf, 0.0]], np.float32)
    t = np.array([2, 0, 0])
    a, b = ne.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    mine = F.multi_margin_loss(a, ne.tensor(t), reduction=reduction)
    ref = torch.nn.functional.multi_margin_loss(b, torch.tensor(t), reduction=reduction)
    np.testing.assert_allclose(mine.detach().numpy(), ref.detach().numpy(), rtol=1e-6)
    mine.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-6)
    h = np.array([np.inf, 0.3, -np.inf, 2.0], np.float32)
    y = np.array([-1.0, 1.0, 1.0, -1.0], np.float32)
    np.testing.assert_allclose(
        F.hinge_embedding_loss(ne.tensor(h), ne.tensor(y), reduction="none").numpy(),
        torch.nn.functional.hinge_embedding_loss(torch.tensor(h), torch.tensor(y), reduction="none").numpy())


def test_one_d_inputs_match_torch(torch):
    x = X[0].astype(np.float32)
    for fn, tgt in (("multi_margin_loss", np.array([2])), ("multi_margin_loss", np.array(2)),
                    ("multilabel_margin_loss", ML[0])):
        for red in ("none", "mean"):
            a = getattr(F, fn)(ne.tensor(x), ne.tensor(tgt), reduction=red)
            b = getattr(torch.nn.functional, fn)(torch.tensor(x), torch.tensor(tgt), reduction=red)
            assert tuple(a.shape) == tuple(b.shape)
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=3e-6)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: F.triplet_margin_loss(ne.ones(2, 3), ne.ones(3), ne.ones(2, 3)), ValueError, "same number of dim"),
    (lambda: F.triplet_margin_with_distance_loss(ne.ones(3), ne.ones(3), ne.ones(3), margin=0.0), ValueError,
     "margin"),
    (lambda: F.multi_margin_loss(ne.ones(2, 3), ne.tensor([0, 3])), ValueError, "target"),
    (lambda: F.multi_margin_loss(ne.ones(2, 3), ne.tensor([0, 1]), p=3), ValueError, "p"),
    (lambda: F.multi_margin_loss(ne.ones(2, 3), ne.tensor([0, 1]), weight=ne.ones(2)), ValueError, "weight"),
    (lambda: F.multilabel_margin_loss(ne.ones(2, 3), ne.tensor([0, 1])), ValueError, "target"),
    (lambda: F.soft_margin_loss(ne.ones(2, 3), ne.ones(3)), ValueError, "target"),
    (lambda: F.gaussian_nll_loss(ne.ones(2, 3), ne.ones(2, 3), ne.ones(3, 2)), ValueError, "var"),
    (lambda: F.gaussian_nll_loss(ne.ones(2, 3), ne.ones(2, 3), -ne.ones(2, 3)), ValueError, "negative"),
    (lambda: F.poisson_nll_loss(ne.ones(2), ne.ones(2), reduction="avg"), ValueError, "reduction"),
    (lambda: nn.TripletMarginLoss(margin=-1.0), ValueError, "margin"),
])
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
