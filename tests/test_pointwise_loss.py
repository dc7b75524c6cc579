"""SmoothL1 / Huber / MSE (the pointwise_loss kernel family), KLDiv, CosineEmbedding, MarginRanking and BCE with
weight / pos_weight: float64 oracle, every ISA, sizes around the vector widths, scalar twins, 1 vs 2 threads,
every reduction and both gradients against PyTorch, gradcheck, modules and bad arguments; MSE / L1 / BCE (and with
logits) at every reduction vs torch."""

from __future__ import annotations

import numpy as np
import pytest
from reference import pointwise_loss as oracle

import nnengine as ne
import nnengine.functional as F
from nnengine import _core, nn
from nnengine.autograd import gradcheck


@pytest.mark.parametrize("n", [1, 7, 8, 9, 15, 16, 17, 33, 10_001])
@pytest.mark.parametrize("kind,beta", [("smooth_l1", 1.0), ("smooth_l1", 0.3), ("huber", 1.0), ("huber", 2.5)])
def test_pointwise_kernel_matches_oracle_and_twin(n, kind, beta, isa):
    rng = np.random.default_rng(n)
    x, y = (rng.standard_normal(n) * 3).astype(np.float32), rng.standard_normal(n).astype(np.float32)
    d = x.astype(np.float64) - y
    out = _core.pointwise_loss_forward(x, y, kind, beta)
    loss64 = (oracle.smooth_l1 if kind == "smooth_l1" else oracle.huber)(d, beta)
    np.testing.assert_allclose(out, loss64, rtol=3e-7, atol=1e-7)
    np.testing.assert_allclose(out, _core.pointwise_loss_forward(x, y, kind, beta, reference=True), rtol=3e-7,
                               atol=1e-7)
    g = rng.standard_normal(n).astype(np.float32)
    s = 1.0 if kind == "smooth_l1" else beta
    mid = d / beta if kind == "smooth_l1" else d
    want = np.where(d < -beta, -s, np.where(d > beta, s, mid)) * g
    for gg, w in ((g, want), (np.float32([0.5]), want / g * 0.5)):
        got = _core.pointwise_loss_backward(x, y, gg, kind, beta)
        np.testing.assert_allclose(got, w, rtol=3e-7, atol=1e-7)
        np.testing.assert_allclose(got, _core.pointwise_loss_backward(x, y, gg, kind, beta, reference=True),
                                   rtol=3e-7, atol=1e-7)
    nan = _core.pointwise_loss_forward(np.float32([np.nan, 1]), np.float32([0, np.nan]), kind, beta)
    assert np.isnan(nan).all()


def test_pointwise_threads_bit_identical(threads):
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(300_001).astype(np.float32), rng.standard_normal(300_001).astype(np.float32)
    res = []
    for n in (1, 2):
        with threads(n):
            res.append([_core.pointwise_loss_forward(x, y, k, 0.7) for k in ("smooth_l1", "huber")]
                       + [_core.pointwise_loss_backward(x, y, x, k, 0.7) for k in ("smooth_l1", "huber")]
                       + [F.smooth_l1_loss(ne.tensor(x), y).numpy()]
                       + [_core.mse_forward(x, y), _core.mse_backward(x, y, x), _core.mse_backward(x, y, x[:1]),
                          F.mse_loss(ne.tensor(x), y).numpy()])
    for a, b in zip(*res):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("n", [1, 7, 8, 9, 15, 16, 17, 33, 10_001])
def test_mse_kernel_matches_oracle_and_twin(n, isa):
    rng = np.random.default_rng(n)
    x, y = (rng.standard_normal(n) * 3).astype(np.float32), rng.standard_normal(n).astype(np.float32)
    d = x.astype(np.float64) - y
    out = _core.mse_forward(x, y)
    np.testing.assert_allclose(out, d * d, rtol=3e-7, atol=1e-7)
    np.testing.assert_allclose(out, _core.mse_forward(x, y, reference=True), rtol=3e-7, atol=1e-7)
    dn = np.subtract(x, y)  # numpy's float32 order, which the kernel keeps bit for bit
    assert np.array_equal(out, dn * dn)
    g = rng.standard_normal(n).astype(np.float32)
    for gg in (g, np.float32([0.5])):
        got = _core.mse_backward(x, y, gg)
        np.testing.assert_allclose(got, 2 * d * gg.astype(np.float64), rtol=3e-7, atol=1e-7)
        np.testing.assert_allclose(got, _core.mse_backward(x, y, gg, reference=True), rtol=3e-7, atol=1e-7)
        t = gg * dn
        assert np.array_equal(got, t + t)
    nan = _core.mse_backward(np.float32([np.nan, 1]), np.float32([0, np.nan]), np.float32([1]))
    assert np.isnan(nan).all()


def test_mse_loss_on_the_kernel_vs_torch_and_gradcheck(torch):
    rng = np.random.default_rng(3)
    for shape in ((1, 1), (4, 9), (3, 5, 17)):
        x, y = rng.standard_normal(shape).astype(np.float32), rng.standard_normal(shape).astype(np.float32)
        for reduction in ("mean", "sum", "none"):
            a, b = ne.tensor(x, requires_grad=True), ne.tensor(y, requires_grad=True)
            out = F.mse_loss(a, b, reduction=reduction)
            out.backward(np.ones(out.shape, np.float32))
            ta, tb = torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)
            tout = torch.nn.functional.mse_loss(ta, tb, reduction=reduction)
            tout.backward(torch.ones(tout.shape))
            np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-5, atol=1e-7)
            np.testing.assert_allclose(b.grad, tb.grad.numpy(), rtol=1e-5, atol=1e-7)
    a = ne.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda t: F.mse_loss(t, np.ones((3, 4), np.float32)), [a])


def test_mse_bad_arguments():
    z = np.zeros(3, np.float32)
    with pytest.raises(ValueError, match=r"target: expected shape \(3,\) \(as input\), got \(2,\)"):
        _core.mse_forward(z, np.zeros(2, np.float32))
    with pytest.raises(ValueError, match=r"grad: expected shape \(3,\) \(as input\), got \(2,\)"):
        _core.mse_backward(z, z, np.zeros(2, np.float32))
    with pytest.raises(TypeError, match="input"):
        _core.mse_forward("x", z)


@pytest.mark.parametrize("n", [1, 7, 8, 9, 15, 16, 17, 33, 70_001])
@pytest.mark.parametrize("logits,weighted,pos", [(False, False, False), (False, True, False), (True, False, False),
                                                 (True, True, True), (True, False, True)])
def test_bce_kernels_match_float64_oracle_and_twin(n, logits, weighted, pos, isa):
    rng = np.random.default_rng(n)
    z = (rng.standard_normal(n) * 4).astype(np.float32)
    x = z if logits else (1 / (1 + np.exp(-z.astype(np.float64)))).astype(np.float32)
    if not logits:
        x[: n // 8] = np.float32([0.0, 1.0])[np.arange(n // 8) % 2]  # the clamped log terms
    t = rng.uniform(0, 1, n).astype(np.float32)
    w = rng.uniform(0.5, 2, n).astype(np.float32) if weighted else None
    pw = rng.uniform(0.2, 3, n).astype(np.float32) if pos else None
    loss, dx, dt = oracle.bce(x, t, w, pw, logits)
    g = rng.standard_normal(n).astype(np.float32)
    for ref in (False, True):
        out = _core.bce_forward(x, t, w, pw, logits, reference=ref)
        np.testing.assert_allclose(out, loss, rtol=2e-5, atol=2e-5)
        gx, gt = _core.bce_backward(x, t, g, w, pw, logits, True, reference=ref)
        np.testing.assert_allclose(gx, dx * g, rtol=2e-5, atol=1e-5 if logits else 1e-3 * np.abs(dx * g).max())
        np.testing.assert_allclose(gt, dt * g, rtol=2e-5, atol=2e-5)
        gx1, none = _core.bce_backward(x, t, np.float32([0.5]), w, pw, logits, reference=ref)
        assert none is None
        np.testing.assert_allclose(gx1, dx * 0.5, rtol=2e-5, atol=1e-5 if logits else 1e-3 * np.abs(dx).max())


@pytest.mark.parametrize("n", [1, 7, 8, 9, 15, 16, 17, 33, 70_001])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_kernels_match_float64_oracle_and_twin(n, log_target, isa):
    rng = np.random.default_rng(n)
    x = np.log(rng.uniform(0.01, 1, n)).astype(np.float32)
    t = (rng.standard_normal(n) if log_target else rng.uniform(0, 1, n)).astype(np.float32)
    if not log_target:
        t[: n // 8] = 0.0  # 0 log 0 = 0; torch's target gradient is NaN there
    loss, dx, dt = oracle.kl(x, t, log_target)
    g = rng.standard_normal(n).astype(np.float32)
    for ref in (False, True):
        np.testing.assert_allclose(_core.kl_div_forward(x, t, log_target, reference=ref), loss, rtol=2e-6, atol=2e-6)
        gx, gt = _core.kl_div_backward(x, t, g, log_target, True, reference=ref)
        np.testing.assert_allclose(gx, dx * g, rtol=2e-6, atol=1e-7)
        np.testing.assert_allclose(gt, dt * g, rtol=2e-6, atol=2e-6)
        gx1, none = _core.kl_div_backward(x, t, np.float32([0.5]), log_target, reference=ref)
        assert none is None
        np.testing.assert_allclose(gx1, dx * 0.5, rtol=2e-6, atol=1e-7)


def test_kl_kernels_threads_identical_special_values_and_validation(threads):
    rng = np.random.default_rng(6)
    x = np.log(rng.uniform(0.01, 1, 200_003)).astype(np.float32)
    t = rng.uniform(0, 1, 200_003).astype(np.float32)
    res = []
    for n in (1, 2):
        with threads(n):
            res.append([_core.kl_div_forward(x, t), *_core.kl_div_backward(x, t, t, False, True),
                        _core.kl_div_forward(x, t, True), *_core.kl_div_backward(x, t, t[:1], True, True)])
    for a, b in zip(*res):
        assert np.array_equal(a, b)
    tt = np.float32([0.0, -0.5, np.nan, np.inf])
    xx = np.float32([-1.0, -1.0, -1.0, -1.0])
    out = _core.kl_div_forward(xx, tt)
    assert out[0] == 0.0 and np.isnan(out[1:3]).all() and out[3] == np.inf  # xlogy: 0 at t == 0, NaN at t < 0 or NaN
    gx, gt = _core.kl_div_backward(xx, tt, np.float32([1.0]), False, True)
    assert np.isnan(gt).all() and gx[0] == 0.0 and np.signbit(gx[0])  # dt: 0 / 0, inf / inf; dx: -0.0 as torch's
    z = np.zeros(3, np.float32)
    with pytest.raises(ValueError, match=r"target: expected shape \(3,\) \(as input\), got \(2,\)"):
        _core.kl_div_forward(z, z[:2])
    with pytest.raises(ValueError, match=r"grad: expected shape \(3,\) \(as input\), got \(2,\)"):
        _core.kl_div_backward(z, z, z[:2])
    with pytest.raises(TypeError, match="input"):
        _core.kl_div_forward(z.astype(np.float64), z)


def test_kl_div_is_one_tape_node_and_edge_cases_match_torch(torch):
    x = np.float32([[-1.0, -2.0, -0.5, 0.3], [-0.1, -3.0, -1.5, -0.7]])
    t = np.float32([[0.0, 0.5, 0.2, 0.3], [0.25, 0.25, 0.0, 0.5]])
    for reduction in REDUCTIONS + ["batchmean"]:
        a, b = ne.tensor(x, requires_grad=True), ne.tensor(t, requires_grad=True)
        out = F.kl_div(a, b, reduction=reduction)
        assert out.grad_fn.inputs[0] is a and out.grad_fn.inputs[1] is b  # the reduction is in the node
        out.backward(np.ones(out.shape, np.float32))
        ta, tb = torch.tensor(x, requires_grad=True), torch.tensor(t, requires_grad=True)
        tout = torch.nn.functional.kl_div(ta, tb, reduction=reduction)
        tout.backward(torch.ones(tout.shape))
        np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(a.grad, ta.grad.numpy(), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(b.grad, tb.grad.numpy(), rtol=1e-5, atol=1e-7)  # NaN where t == 0, as torch
    e = F.kl_div(ne.tensor(np.zeros((0, 3), np.float32)), np.zeros((0, 3), np.float32), reduction="batchmean")
    assert np.isnan(e.item())


def test_bce_kernels_threads_identical_special_values_and_validation(threads):
    rng = np.random.default_rng(3)
    z = (rng.standard_normal(200_003) * 4).astype(np.float32)
    t, pw = rng.uniform(0, 1, z.size).astype(np.float32), rng.uniform(0.2, 3, z.size).astype(np.float32)
    p = (1 / (1 + np.exp(-z.astype(np.float64)))).astype(np.float32)
    res = []
    for n in (1, 2):
        with threads(n):
            res.append([_core.bce_forward(z, t, None, pw, True), *_core.bce_backward(z, t, t, None, pw, True, True),
                        _core.bce_forward(p, t, t), *_core.bce_backward(p, t, t, t, None, False, True)])
    for a, b in zip(*res):
        assert np.array_equal(a, b)
    x = np.float32([np.nan, 0.0, 1.0, 0.0, 100.0, -100.0])
    tt = np.float32([0.5, 0.0, 1.0, 1.0, 1.0, 0.0])
    out = _core.bce_forward(x[:4], tt[:4])
    np.testing.assert_array_equal(out[1:], [0, 0, 100])  # the log terms clamp at -100: no inf, no NaN
    assert np.isnan(out[0])
    lz = _core.bce_forward(x, tt, logits=True)
    assert np.isnan(lz[0]) and np.all(np.isfinite(lz[1:])) and lz[4] < 1e-30 and lz[5] < 1e-30
    with pytest.raises(ValueError, match="pos_weight: expected None without logits=True"):
        _core.bce_forward(p, t, None, pw)
    with pytest.raises(ValueError, match="target: expected shape"):
        _core.bce_forward(p, t[:5])
    with pytest.raises(ValueError, match="weight: expected shape"):
        _core.bce_forward(p, t, t[:5])
    with pytest.raises(ValueError, match="grad: expected shape"):
        _core.bce_backward(p, t, t[:2])
    with pytest.raises(TypeError, match="input: expected dtype float32"):
        _core.bce_forward(p.astype(np.float64), t)


def test_bce_is_one_tape_node_and_float64_matches_torch(torch):
    rng = np.random.default_rng(4)
    z = (rng.standard_normal((6, 5)) * 3).astype(np.float64)
    t = rng.uniform(0, 1, (6, 5))
    pw = rng.uniform(0.5, 2, 5)
    x = ne.tensor(z.astype(np.float32), requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, ne.tensor(t.astype(np.float32)), pos_weight=pw)
    assert loss.grad_fn.inputs[0] is x  # weight, pos_weight and the reduction are in the node
    x64 = ne.tensor(z, dtype=ne.float64, requires_grad=True)
    t64 = ne.tensor(t, dtype=ne.float64, requires_grad=True)
    l64 = F.binary_cross_entropy_with_logits(x64, t64, pos_weight=pw, reduction="sum")
    zt, tt = torch.tensor(z, requires_grad=True), torch.tensor(t, requires_grad=True)
    lt = torch.nn.functional.binary_cross_entropy_with_logits(zt, tt, pos_weight=torch.tensor(pw), reduction="sum")
    assert l64.dtype == np.float64
    np.testing.assert_allclose(l64.item(), lt.item(), rtol=1e-12)
    l64.backward()
    lt.backward()
    np.testing.assert_allclose(x64.grad, zt.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(t64.grad, tt.grad.numpy(), rtol=1e-12)


REDUCTIONS = ["mean", "sum", "none"]


def _both(torch, fn_ne, fn_t, arrays, grads=(0,), atol=1e-5):
    """Run the loss in both engines on float32 arrays; compare the value and the gradients of ``grads``."""
    tn = [ne.Tensor(a, requires_grad=i in grads) for i, a in enumerate(arrays)]
    tt = [torch.tensor(a, requires_grad=i in grads) for i, a in enumerate(arrays)]
    ln, lt = fn_ne(*tn), fn_t(*tt)
    np.testing.assert_allclose(ln.numpy(), lt.detach().numpy(), rtol=1e-5, atol=atol)
    g = np.random.default_rng(9).standard_normal(lt.shape).astype(np.float32)
    ln.backward(g if ln.ndim else None)
    lt.backward(torch.tensor(g) if lt.ndim else None)
    for i in grads:
        np.testing.assert_allclose(tn[i].grad, tt[i].grad.numpy(), rtol=1e-4, atol=atol)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [1.0, 0.5, 0.0])
def test_smooth_l1_and_huber_match_torch(reduction, beta, torch):
    rng = np.random.default_rng(2)
    x, y = (rng.standard_normal((5, 7)) * 2).astype(np.float32), rng.standard_normal((5, 7)).astype(np.float32)
    tf = torch.nn.functional
    _both(torch, lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=beta),
          lambda a, b: tf.smooth_l1_loss(a, b, reduction=reduction, beta=beta), [x, y], grads=(0, 1))
    if beta > 0:
        _both(torch, lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=2 * beta),
              lambda a, b: tf.huber_loss(a, b, reduction=reduction, delta=2 * beta), [x, y], grads=(0, 1))
        w = rng.uniform(0.5, 2, (5, 7)).astype(np.float32)
        _both(torch, lambda a, b: F.huber_loss(a, b, reduction=reduction, delta=beta, weight=w),
              lambda a, b: tf.huber_loss(a, b, reduction=reduction, delta=beta, weight=torch.tensor(w)), [x, y])


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target, torch):
    rng = np.random.default_rng(3)
    logp = np.log(rng.dirichlet(np.ones(6), 4)).astype(np.float32)
    q = rng.dirichlet(np.ones(6), 4)
    q[0, 2] = 0.0  # 0 log 0 = 0
    t = (np.log(q + 1e-3) if log_target else q).astype(np.float32)
    _both(torch, lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target),
          lambda a, b: torch.nn.functional.kl_div(a, b, reduction=reduction, log_target=log_target), [logp, t],
          grads=(0, 1) if log_target else (0,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.3])
def test_cosine_embedding_and_margin_ranking_match_torch(reduction, margin, torch):
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((6, 5)).astype(np.float32), rng.standard_normal((6, 5)).astype(np.float32)
    y = np.array([1, -1, 1, -1, -1, 1], np.float32)
    tf = torch.nn.functional
    _both(torch, lambda u, v: F.cosine_embedding_loss(u, v, y, margin, reduction=reduction),
          lambda u, v: tf.cosine_embedding_loss(u, v, torch.tensor(y), margin, reduction=reduction), [a, b],
          grads=(0, 1))
    _both(torch, lambda u, v: F.cosine_embedding_loss(u, v, y[:1].reshape(()), margin, reduction=reduction),
          lambda u, v: tf.cosine_embedding_loss(u, v, torch.tensor(y[:1].reshape(())), margin, reduction=reduction),
          [a[0], b[0]], grads=(0, 1))
    s1, s2 = rng.standard_normal(6).astype(np.float32), rng.standard_normal(6).astype(np.float32)
    _both(torch, lambda u, v: F.margin_ranking_loss(u, v, y, margin, reduction=reduction),
          lambda u, v: tf.margin_ranking_loss(u, v, torch.tensor(y), margin, reduction=reduction), [s1, s2],
          grads=(0, 1))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_weight_and_pos_weight_match_torch(reduction, torch):
    rng = np.random.default_rng(5)
    z = (rng.standard_normal((4, 3)) * 3).astype(np.float32)
    t = rng.uniform(0, 1, (4, 3)).astype(np.float32)
    w = rng.uniform(0.5, 2, (4, 3)).astype(np.float32)
    pw = np.array([0.5, 1.0, 3.0], np.float32)
    tf = torch.nn.functional
    _both(torch, lambda a, b: F.binary_cross_entropy_with_logits(a, b, w, reduction=reduction, pos_weight=pw),
          lambda a, b: tf.binary_cross_entropy_with_logits(a, b, torch.tensor(w), reduction=reduction,
                                                           pos_weight=torch.tensor(pw)), [z, t], grads=(0, 1))
    p = 1 / (1 + np.exp(-z))
    _both(torch, lambda a, b: F.binary_cross_entropy(a, b, w, reduction=reduction),
          lambda a, b: tf.binary_cross_entropy(a, b, torch.tensor(w), reduction=reduction), [p, t])


def test_modules_match_torch(torch):
    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((4, 5)).astype(np.float32), rng.standard_normal((4, 5)).astype(np.float32)
    s = np.array([1, -1, 1, 1], np.float32)
    for name, args, kw, ins in [
        ("SmoothL1Loss", (), {"beta": 0.5}, (x, y)),
        ("SmoothL1Loss", (None, False), {}, (x, y)),  # legacy reduce=False -> 'none'
        ("HuberLoss", ("sum", 2.0), {}, (x, y)),
        ("KLDivLoss", (), {"reduction": "batchmean", "log_target": True}, (x, y)),
        ("CosineEmbeddingLoss", (0.2,), {}, (x, y, s)),
        ("MarginRankingLoss", (0.1,), {"reduction": "sum"}, (x[:, 0], y[:, 0], s)),
        ("BCEWithLogitsLoss", (), {"pos_weight": np.full(5, 2.0, np.float32)}, (x, (y > 0).astype(np.float32))),
    ]:
        mn = getattr(ne.nn, name)(*args, **kw)
        mt = getattr(torch.nn, name)(*args, **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                                               for k, v in kw.items()})
        assert repr(mn) == repr(mt)
        out_n = mn(*(ne.tensor(a) for a in ins))
        out_t = mt(*(torch.tensor(a) for a in ins))
        np.testing.assert_allclose(out_n.numpy(), out_t.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("name", ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss"])
def test_loss_weights_are_buffers_as_in_torch(name, torch, tmp_path):
    """weight / pos_weight: in state_dict only when given (torch's keys), loaded from torch's state_dict,
    moved by .double(), saved and loaded by nnengine.io."""
    import nnengine.io as nio

    rng = np.random.default_rng(8)
    w = rng.uniform(0.5, 2, 5).astype(np.float32)
    kw = {"weight": w} if name != "BCEWithLogitsLoss" else {"weight": w, "pos_weight": w[::-1].copy() * 2}
    mt = getattr(torch.nn, name)(**{k: torch.tensor(v) for k, v in kw.items()})
    mn = getattr(ne.nn, name)(**{k: np.ones_like(v) for k, v in kw.items()})
    assert list(mn.state_dict()) == list(mt.state_dict()) == list(kw)
    assert list(getattr(ne.nn, name)().state_dict()) == list(getattr(torch.nn, name)().state_dict()) == []
    mn.load_state_dict(mt.state_dict())
    if name.startswith("BCE"):
        x = rng.standard_normal((4, 5)).astype(np.float32)
        ins = (1 / (1 + np.exp(-x)) if name == "BCELoss" else x, (rng.uniform(0, 1, (4, 5)) > 0.5).astype(np.float32))
    else:
        x = rng.standard_normal((6, 5)).astype(np.float32)
        ins = (x if name == "CrossEntropyLoss" else x - np.log(np.exp(x).sum(1, keepdims=True)), rng.integers(0, 5, 6))
    ref = mt(*(torch.tensor(a) for a in ins)).item()
    assert mn(*(ne.tensor(a) for a in ins)).item() == pytest.approx(ref, rel=1e-5)
    nio.save_model(mn, str(tmp_path / "loss.safetensors"))
    back = nio.load_model(str(tmp_path / "loss.safetensors"))
    for k in kw:
        np.testing.assert_array_equal(back.state_dict()[k], mt.state_dict()[k].numpy())
    mn.double()
    for k in kw:
        assert getattr(mn, k).dtype == np.float64
        assert mn.state_dict()[k].dtype == np.float64


def test_gradcheck():
    rng = np.random.default_rng(7)
    x = ne.Tensor((rng.standard_normal((3, 4)) * 2).astype(np.float32), requires_grad=True)
    y = rng.standard_normal((3, 4)).astype(np.float32)
    assert gradcheck(lambda a: F.smooth_l1_loss(a, y, beta=0.7), [x])
    assert gradcheck(lambda a: F.huber_loss(a, y, reduction="none", delta=0.8), [x])
    q = rng.dirichlet(np.ones(4), 3).astype(np.float32)
    assert gradcheck(lambda a: F.kl_div(a, q, reduction="batchmean"), [x])
    b = ne.Tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    assert gradcheck(lambda u, v: F.cosine_embedding_loss(u, v, np.array([1, -1, -1]), 0.1), [x, b])


def test_bad_arguments():
    x, y = ne.randn(3, 4), ne.randn(3, 4)
    with pytest.raises(ValueError, match="beta: expected a finite value >= 0, got -1.0"):
        F.smooth_l1_loss(x, y, beta=-1.0)
    with pytest.raises(ValueError, match="delta: expected a finite value > 0, got 0.0"):
        F.huber_loss(x, y, delta=0)
    with pytest.raises(TypeError, match="beta: expected a number, got str"):
        F.smooth_l1_loss(x, y, beta="1")
    with pytest.raises(ValueError, match=r"target: expected shape \(3, 4\) \(as input\), got \(4, 3\)"):
        F.huber_loss(x, ne.randn(4, 3))
    with pytest.raises(ValueError, match="reduction: expected one of"):
        F.kl_div(x, y, reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        ne.nn.SmoothL1Loss(reduction="avg")
    with pytest.raises(ValueError, match=r"target: expected shape \(3,\), got \(4,\)"):
        F.cosine_embedding_loss(x, y, np.ones(4))
    with pytest.raises(ValueError, match="input1: expected 1 or 2 dimensions"):
        F.cosine_embedding_loss(ne.randn(2, 3, 4), ne.randn(2, 3, 4), np.ones((2, 3)))
    with pytest.raises(ValueError, match="beta: expected a finite value > 0"):
        _core.pointwise_loss_forward(np.zeros(3, np.float32), np.zeros(3, np.float32), "smooth_l1", 0.0)
    with pytest.raises(ValueError, match="kind: expected 'smooth_l1' or 'huber', got 'l2'"):
        _core.pointwise_loss_forward(np.zeros(3, np.float32), np.zeros(3, np.float32), "l2", 1.0)
    with pytest.raises(ValueError, match=r"grad: expected shape \(3,\) \(as input\), got \(2,\)"):
        z = np.zeros(3, np.float32)
        _core.pointwise_loss_backward(z, z, np.zeros(2, np.float32), "smooth_l1", 1.0)


def test_loss_modules_interop_and_io(torch, tmp_path):
    """Every loss of the family converts from and to torch (arguments and weight buffers) and saves/loads."""
    from nnengine.interop import from_torch, to_torch
    from nnengine.io import load_model, save_model

    rng = np.random.default_rng(9)
    w = torch.tensor(rng.uniform(0.5, 2, 5).astype(np.float32))
    x, y = rng.standard_normal((4, 5)).astype(np.float32), rng.standard_normal((4, 5)).astype(np.float32)
    s = np.array([1, -1, 1, -1], np.float32)
    b = (y > 0).astype(np.float32)
    cases = [
        (torch.nn.SmoothL1Loss(reduction="sum", beta=0.4), (x, y)),
        (torch.nn.HuberLoss(reduction="none", delta=1.7), (x, y)),
        (torch.nn.KLDivLoss(reduction="batchmean", log_target=True), (x, y)),
        (torch.nn.CosineEmbeddingLoss(margin=0.3), (x, y, s)),
        (torch.nn.MarginRankingLoss(margin=0.2, reduction="sum"), (x[:, 0], y[:, 0], s)),
        (torch.nn.BCELoss(weight=w), (1 / (1 + np.exp(-x)), b)),
        (torch.nn.BCEWithLogitsLoss(weight=w, pos_weight=w * 2), (x, b)),
        (torch.nn.BCEWithLogitsLoss(pos_weight=w), (x, b)),
        (torch.nn.CrossEntropyLoss(weight=w, label_smoothing=0.1, ignore_index=2), (x, np.array([0, 2, 4, 1]))),
        (torch.nn.NLLLoss(weight=w), (x, np.array([0, 2, 4, 1]))),
    ]
    for tm, ins in cases:
        want = tm(*(torch.tensor(a) for a in ins)).detach().numpy()
        m = from_torch(tm)
        assert type(m).__name__ == type(tm).__name__ and repr(m) == repr(tm)
        save_model(m, str(tmp_path / "l.safetensors"))
        for mm in (m, load_model(str(tmp_path / "l.safetensors"))):
            np.testing.assert_allclose(mm(*(ne.tensor(a) for a in ins)).numpy(), want, rtol=1e-5, atol=1e-6,
                                       err_msg=repr(tm))
        back = to_torch(m)
        assert type(back) is type(tm)
        np.testing.assert_allclose(back(*(torch.tensor(a) for a in ins)).detach().numpy(), want, rtol=1e-6)
        for k, v in tm.state_dict().items():
            np.testing.assert_array_equal(back.state_dict()[k].numpy(), v.numpy())


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_l1_bce_vs_torch(torch, rng, reduction):
    tf = torch.nn.functional
    x = rng.standard_normal((6, 5)).astype(np.float32)
    y = rng.standard_normal((6, 5)).astype(np.float32)
    p = rng.uniform(0.01, 0.99, (6, 5)).astype(np.float32)
    yb = rng.integers(0, 2, (6, 5)).astype(np.float32)
    cases = [
        (lambda a: F.mse_loss(a, y, reduction=reduction),
         lambda b: tf.mse_loss(b, torch.tensor(y), reduction=reduction), x),
        (lambda a: F.l1_loss(a, y, reduction=reduction),
         lambda b: tf.l1_loss(b, torch.tensor(y), reduction=reduction), x),
        (lambda a: F.binary_cross_entropy(a, yb, reduction=reduction),
         lambda b: tf.binary_cross_entropy(b, torch.tensor(yb), reduction=reduction), p),
        (lambda a: F.binary_cross_entropy_with_logits(a, yb, reduction=reduction),
         lambda b: tf.binary_cross_entropy_with_logits(b, torch.tensor(yb), reduction=reduction), x * 10),
        (lambda a: F.binary_cross_entropy_with_logits(a, yb, reduction=reduction, pos_weight=np.full(5, 2.0, np.float32)),
         lambda b: tf.binary_cross_entropy_with_logits(b, torch.tensor(yb), reduction=reduction,
                                                       pos_weight=torch.full((5,), 2.0)), x),
    ]
    for f_ne, f_t, inp in cases:
        a = ne.tensor(inp, requires_grad=True)
        b = torch.tensor(inp, requires_grad=True)
        la, lb = f_ne(a), f_t(b)
        np.testing.assert_allclose(la.data, lb.detach().numpy(), rtol=1e-5, atol=1e-6)
        la.sum().backward()
        lb.sum().backward()
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_mse_module_and_bce_bad_input(rng):
    x = rng.standard_normal((4, 3)).astype(np.float32)
    assert nn.MSELoss(reduction="sum")(ne.tensor(x), x).item() == 0.0
    with pytest.raises(ValueError, match="target: expected shape"):
        F.mse_loss(ne.zeros(4, 3), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="probabilities"):
        F.binary_cross_entropy(ne.tensor([2.0]), [1.0])
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="bad")


def test_legacy_size_average_and_reduce_keywords():
    """torch's deprecated ``size_average`` / ``reduce`` on the losses (the spatial-transformer tutorial's
    ``F.nll_loss(output, target, size_average=False)``): folded into ``reduction`` as torch does."""
    x = ne.tensor([[0.2, 0.8], [0.6, 0.4]])
    t = ne.tensor([1, 0])
    lp = F.log_softmax(x, 1)
    y = ne.tensor([[0.0, 1.0], [1.0, 0.0]])
    for fn, a, b in ((F.nll_loss, lp, t), (F.cross_entropy, x, t), (F.mse_loss, x, y), (F.l1_loss, x, y),
                     (F.binary_cross_entropy, x, y), (F.binary_cross_entropy_with_logits, x, y)):
        for kw, red in (({"size_average": False}, "sum"), ({"size_average": True}, "mean"),
                        ({"reduce": False}, "none"), ({"size_average": False, "reduce": True}, "sum")):
            np.testing.assert_allclose(fn(a, b, **kw).numpy(), fn(a, b, reduction=red).numpy(), rtol=1e-6,
                                       err_msg=f"{fn.__name__} {kw}")
