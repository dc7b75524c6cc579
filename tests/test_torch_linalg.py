"""nnengine.linalg (and torch.inverse/det/svd/... at top level and as Tensor methods) against torch: values,
dtypes, gradients, error types; finite-difference checks of the Functions. Plus torch.Size,
torch.testing.assert_close and torch.is_inference_mode_enabled."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
from tests.conftest import require

T = require("torch")

RNG = np.random.default_rng(0)
M = RNG.standard_normal((3, 3))
BATCH = RNG.standard_normal((2, 3, 3))
RECT = RNG.standard_normal((4, 3))
SPD = M @ M.T + 3 * np.eye(3)
SPD_B = BATCH @ np.swapaxes(BATCH, -1, -2) + 2 * np.eye(3)
RHS = RNG.standard_normal((3, 2))
SING = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])


def _np(x):
    return x.detach().numpy() if isinstance(x, T.Tensor) else x.numpy() if isinstance(x, ne.Tensor) else np.asarray(x)


def _flat(x):
    return list(x) if isinstance(x, tuple) else [x]


CASES = [
    ("inv", lambda L, a: L.linalg.inv(a), (M,)),
    ("inv_batch", lambda L, a: L.linalg.inv(a), (BATCH,)),
    ("inverse_method", lambda L, a: a.inverse(), (M,)),
    ("det", lambda L, a: L.linalg.det(a), (BATCH,)),
    ("det_method", lambda L, a: a.det(), (M,)),
    ("slogdet", lambda L, a: L.linalg.slogdet(a), (BATCH,)),
    ("logdet", lambda L, a: L.logdet(a), (SPD_B,)),
    ("solve_mat", lambda L, a, b: L.linalg.solve(a, b), (M, RHS)),
    ("solve_vec", lambda L, a, b: L.linalg.solve(a, b[:, 0]), (M, RHS)),
    ("solve_batch_bcast", lambda L, a, b: L.linalg.solve(a, b), (BATCH, RHS)),
    ("solve_right", lambda L, a, b: L.linalg.solve(a, b.T, left=False), (M, RHS)),
    ("cholesky", lambda L, a: L.linalg.cholesky(a), (SPD,)),
    ("cholesky_upper", lambda L, a: L.linalg.cholesky(a, upper=True), (SPD_B,)),
    ("cholesky_top", lambda L, a: L.cholesky(a), (SPD,)),
    ("eigh", lambda L, a: L.linalg.eigh(a), (SPD,)),
    ("eigh_upper", lambda L, a: L.linalg.eigh(a, UPLO="U"), (SPD_B,)),
    ("eigvalsh", lambda L, a: L.linalg.eigvalsh(a), (SPD,)),
    ("svdvals", lambda L, a: L.linalg.svdvals(a), (RECT,)),
    ("svd_S", lambda L, a: L.linalg.svd(a, full_matrices=False).S, (RECT,)),
    ("svd_top_S", lambda L, a: L.svd(a)[1], (BATCH,)),
    ("matrix_power", lambda L, a: L.linalg.matrix_power(a, 3), (M,)),
    ("matrix_power_neg", lambda L, a: L.linalg.matrix_power(a, -2), (M,)),
    ("matrix_power_0", lambda L, a: a.matrix_power(0), (BATCH,)),
    ("multi_dot", lambda L, a, b: L.linalg.multi_dot([a, a, b]), (M, RHS)),
    ("cross", lambda L, a, b: L.linalg.cross(a, b), (M, M[::-1].copy())),
    ("vecdot", lambda L, a, b: L.linalg.vecdot(a, b), (M, BATCH)),
    ("ldiagonal", lambda L, a: L.linalg.diagonal(a, offset=1), (BATCH,)),
    ("norm_default", lambda L, a: L.linalg.norm(a), (BATCH,)),
    ("norm_vec_dim", lambda L, a: L.linalg.norm(a, 3, dim=1, keepdim=True), (BATCH,)),
    ("norm_ord_2d", lambda L, a: L.linalg.norm(a, float("inf")), (M,)),
    ("norm_nuc", lambda L, a: L.linalg.norm(a, "nuc", dim=(0, 2)), (BATCH,)),
    ("vector_norm", lambda L, a: L.linalg.vector_norm(a, 1, dim=(0, 2)), (BATCH,)),
    ("vector_norm_inf_all", lambda L, a: L.linalg.vector_norm(a, float("-inf")), (BATCH,)),
    ("vector_norm_keep_all", lambda L, a: L.linalg.vector_norm(a, keepdim=True), (M,)),
    ("vector_norm_0", lambda L, a: L.linalg.vector_norm(a, 0, dim=-1), (M,)),
] + [(f"matrix_norm_{o}", lambda L, a, o=o: L.linalg.matrix_norm(a, o, keepdim=True), (BATCH,))
     for o in ("fro", "nuc", 1, -1, 2, -2, float("inf"), float("-inf"))] + [
    ("matrix_norm_dims", lambda L, a: L.linalg.matrix_norm(a, 1, dim=(2, 0)), (BATCH,)),
]


@pytest.mark.parametrize("name,fn,inputs", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_match_torch(name, fn, inputs):
    ours = [ne.tensor(x, requires_grad=True) for x in inputs]
    ref = [T.tensor(x, requires_grad=True) for x in inputs]
    got, exp = _flat(fn(ne, *ours)), _flat(fn(T, *ref))
    assert len(got) == len(exp)
    rng = np.random.default_rng(1)
    loss_g = loss_r = 0
    for g, r in zip(got, exp):
        assert g.shape == tuple(r.shape) and g.dtype == _np(r).dtype, (g.shape, r.shape, g.dtype)
        if name.startswith("eigh") and g.ndim == _np(r).ndim and g.ndim >= 2 and g.shape == r.shape and \
                g.shape[-1] == g.shape[-2] and "eigenvectors" not in name:
            # eigenvectors are defined up to sign: align columns before comparing
            s = np.sign((_np(g) * _np(r)).sum(-2, keepdims=True))
            np.testing.assert_allclose(_np(g) * s, _np(r), rtol=1e-6, atol=1e-9)
            w = rng.standard_normal(tuple(r.shape))
            loss_g = loss_g + (g * ne.tensor(w * s)).sum()
            loss_r = loss_r + (r * T.tensor(w)).sum()
            continue
        np.testing.assert_allclose(_np(g), _np(r), rtol=1e-6, atol=1e-9)
        if r.requires_grad:
            w = rng.standard_normal(tuple(r.shape))
            loss_g = loss_g + (g * ne.tensor(w)).sum()
            loss_r = loss_r + (r * T.tensor(w)).sum()
    if isinstance(loss_r, int):
        return
    loss_g.backward()
    loss_r.backward()
    for tg, tr in zip(ours, ref):
        np.testing.assert_allclose(np.zeros(tg.shape) if tg.grad is None else tg.grad,
                                   np.zeros(tr.shape) if tr.grad is None else tr.grad.numpy(), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("name,fn,inputs", [
    ("qr", lambda L, a: L.linalg.qr(a), (RECT,)),
    ("qr_complete", lambda L, a: L.linalg.qr(a, mode="complete"), (RECT,)),
    ("torch_qr", lambda L, a: L.qr(a), (M,)),
    ("pinv", lambda L, a: L.linalg.pinv(a), (RECT,)),
    ("pinv_singular", lambda L, a: L.linalg.pinv(a), (SING,)),
    ("pinverse", lambda L, a: L.pinverse(a), (BATCH,)),
    ("lstsq", lambda L, a, b: L.linalg.lstsq(a, b).solution, (RECT, RNG.standard_normal((4, 2)))),
    ("matrix_rank", lambda L, a: L.linalg.matrix_rank(a), (SING,)),
    ("svd_full", lambda L, a: L.linalg.svd(a), (RECT,)),
    ("torch_svd", lambda L, a: L.svd(a), (RECT,)),
])
def test_forward_only_values_match_torch(name, fn, inputs):
    got = _flat(fn(ne, *[ne.tensor(x) for x in inputs]))
    exp = _flat(fn(T, *[T.tensor(x) for x in inputs]))
    if name.startswith(("qr", "torch_qr", "svd", "torch_svd")):  # factors are unique up to signs: compare products
        g, e = [_np(x) for x in got], [_np(x) for x in exp]
        for a, b in zip(g, e):
            assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(np.abs(g[1] if name.startswith(("svd", "torch_svd")) else g[1]),
                                   np.abs(e[1]), rtol=1e-6, atol=1e-9)
        return
    for g, e in zip(got, exp):
        assert g.shape == tuple(e.shape) and g.dtype == _np(e).dtype
        np.testing.assert_allclose(_np(g), _np(e), rtol=1e-6, atol=1e-9)


def test_float32_stays_float32():
    a = ne.tensor(SPD.astype(np.float32), requires_grad=True)
    for f in (ne.linalg.inv, ne.linalg.det, ne.linalg.cholesky, ne.linalg.svdvals, ne.linalg.pinv):
        out = f(a)
        assert out.dtype == np.float32, f
    ne.linalg.inv(a).sum().backward()
    assert a.grad.dtype == np.float32


@pytest.mark.parametrize("call,exc", [
    (lambda L: L.linalg.inv(L.tensor(SING)), RuntimeError),
    (lambda L: L.linalg.cholesky(L.tensor(-SPD)), RuntimeError),
    (lambda L: L.linalg.inv(L.ones(2, 3)), RuntimeError),
    (lambda L: L.linalg.inv(L.ones(3)), RuntimeError),
    (lambda L: L.linalg.det(L.ones(2, 2, dtype=L.int64)), RuntimeError),
    (lambda L: L.linalg.solve(L.eye(3), L.ones(2)), RuntimeError),
    (lambda L: L.linalg.qr(L.eye(2), mode="full"), RuntimeError),
    (lambda L: L.linalg.eigh(L.eye(2), UPLO="X"), RuntimeError),
    (lambda L: L.linalg.matrix_norm(L.eye(2), ord=3), RuntimeError),
])
def test_bad_input_raises_like_torch(call, exc):
    with pytest.raises(exc):
        call(T)
    with pytest.raises(exc):
        call(ne)


def test_linalg_error_class_and_forward_only_backward():
    with pytest.raises(ne.linalg.LinAlgError, match="inv"):
        ne.linalg.inv(ne.zeros(2, 2))
    with pytest.raises(T.linalg.LinAlgError):
        T.linalg.inv(T.zeros(2, 2))
    a = ne.tensor(RECT, requires_grad=True)
    with pytest.raises(NotImplementedError, match="qr"):
        ne.linalg.qr(ne.tensor(RECT.T.copy(), requires_grad=True)).R.sum().backward()

    r = T.tensor(RECT, requires_grad=True)
    ne.linalg.svd(a).U.sum().backward()  # full_matrices=True: the extra column of U gets no gradient, as torch
    T.linalg.svd(r).U.sum().backward()
    ga, gr = a.grad, r.grad.numpy()
    assert ga.shape == gr.shape and np.isfinite(ga).all()
    assert a.grad is not None


@pytest.mark.parametrize("fn", [
    lambda x: ne.linalg.inv(x + 3 * ne.eye(3, dtype=ne.float64)), lambda x: ne.linalg.det(x),
    lambda x: ne.linalg.slogdet(x + 3 * ne.eye(3, dtype=ne.float64)).logabsdet,
    lambda x: ne.linalg.solve(x + 3 * ne.eye(3, dtype=ne.float64), x[:, :2]),
    lambda x: ne.linalg.cholesky(x @ x.mT + ne.eye(3, dtype=ne.float64)),
    lambda x: ne.linalg.eigvalsh(x + x.mT), lambda x: ne.linalg.svdvals(x),
    lambda x: ne.linalg.matrix_norm(x, "nuc"),
    lambda x: (lambda u: u @ u.mT)(ne.linalg.svd(x[:, :2], full_matrices=False).U),  # sign-invariant projections
    lambda x: (lambda vh: vh.mT @ vh)(ne.linalg.svd(x[:2], full_matrices=False).Vh),
])
def test_gradcheck(fn):
    x = ne.tensor(np.random.default_rng(3).standard_normal((3, 3)), requires_grad=True)
    assert ne.autograd.gradcheck(fn, [x], eps=1e-6, atol=1e-5, rtol=1e-4)


def test_det_gradient_of_a_singular_matrix_is_the_cofactor_matrix():
    a = ne.tensor(SING, requires_grad=True)
    d = ne.det(a)
    assert abs(d.item()) < 1e-12
    d.backward()
    cof = np.array([[np.linalg.det(np.delete(np.delete(SING, i, 0), j, 1)) * (-1) ** (i + j) for j in range(3)]
                    for i in range(3)])
    np.testing.assert_allclose(a.grad, cof, atol=1e-12)


def test_eigh_eigenvector_gradient_matches_torch():
    a = SPD
    g, r = ne.tensor(a, requires_grad=True), T.tensor(a, requires_grad=True)
    vg, vr = ne.linalg.eigh(g).eigenvectors, T.linalg.eigh(r).eigenvectors
    s = np.sign((vg.numpy() * vr.detach().numpy()).sum(0, keepdims=True))
    w = np.random.default_rng(4).standard_normal((3, 3))
    (vg * ne.tensor(w * s)).sum().backward()
    (vr * T.tensor(w)).sum().backward()
    np.testing.assert_allclose(g.grad, r.grad.numpy(), rtol=1e-6, atol=1e-9)


# ------------------------------------------------------------------ Size, testing, inference mode
def test_size_is_a_tuple_with_numel():
    x = ne.zeros(2, 3, 4)
    assert isinstance(x.shape, ne.Size) and isinstance(x.size(), ne.Size) and isinstance(x.shape, tuple)
    assert x.shape == (2, 3, 4) == T.zeros(2, 3, 4).shape and x.size() == T.Size([2, 3, 4])
    assert x.shape.numel() == 24 == T.Size([2, 3, 4]).numel()
    assert isinstance(x.shape + (5,), ne.Size) and x.shape[1:] == (3, 4) and x.size(-1) == 4
    assert ne.Size([1, 2]) == (1, 2) and np.zeros(x.shape).shape == (2, 3, 4)
    a, b, c = x.shape
    assert (a, b, c) == (2, 3, 4) and hash(x.shape) == hash((2, 3, 4))


def test_assert_close_matches_torch_behaviour():
    for lib in (T, ne):
        lib.testing.assert_close(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0 + 1e-6]))
        lib.testing.assert_close(lib.tensor([1.0, float("nan")]), lib.tensor([1.0, float("nan")]), equal_nan=True)
        lib.testing.assert_close([lib.tensor(1.0), {"a": lib.tensor([2])}], [lib.tensor(1.0), {"a": lib.tensor([2])}])
        with pytest.raises(AssertionError, match="not close"):
            lib.testing.assert_close(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.1]))
        with pytest.raises(AssertionError, match="dtype"):
            lib.testing.assert_close(lib.tensor([1.0]), lib.tensor([1.0], dtype=lib.float64))
        with pytest.raises(AssertionError, match="shape"):
            lib.testing.assert_close(lib.ones(2), lib.ones(3))
        with pytest.raises(AssertionError):
            lib.testing.assert_close(lib.tensor([1, 2]), lib.tensor([1, 3]))
        with pytest.raises(AssertionError):
            lib.testing.assert_close(lib.tensor([float("nan")]), lib.tensor([float("nan")]))
        with pytest.raises(ValueError):
            lib.testing.assert_close(lib.ones(1), lib.ones(1), rtol=1e-3)
        lib.testing.assert_close(lib.tensor([1.0]), lib.tensor([1.05]), rtol=0.1, atol=0.0)
        lib.testing.assert_close(lib.tensor([1.0]), lib.tensor([2.0]), check_dtype=False, rtol=1.0, atol=0.0)
    with pytest.raises(AssertionError, match="custom"):
        ne.testing.assert_close(ne.ones(1), ne.zeros(1), msg="custom")
    ne.testing.assert_close(ne.ones(2), T.ones(2))  # a torch tensor on either side


def test_is_inference_mode_enabled():
    assert not ne.is_inference_mode_enabled() and not T.is_inference_mode_enabled()
    with ne.inference_mode():
        assert ne.is_inference_mode_enabled() and not ne.is_grad_enabled()
        with ne.inference_mode(False):
            assert not ne.is_inference_mode_enabled()
        assert ne.is_inference_mode_enabled()
    assert not ne.is_inference_mode_enabled() and ne.is_grad_enabled()

    @ne.inference_mode()
    def f():
        return ne.is_inference_mode_enabled(), ne.is_grad_enabled()

    @ne.inference_mode
    def g():
        return ne.is_inference_mode_enabled()

    assert f() == (True, False) and g() is True and not ne.is_inference_mode_enabled()
    with ne.no_grad():
        assert not ne.is_inference_mode_enabled()


@pytest.mark.parametrize("name,fn,inputs", [
    ("matrix_exp", lambda L, a: L.linalg.matrix_exp(a), (M,)),
    ("pinv_tall", lambda L, a: L.linalg.pinv(a), (RECT,)),
    ("qr_tall", lambda L, a: L.linalg.qr(a), (RECT,)),
    ("lstsq_grad", lambda L, a, b: L.linalg.lstsq(a, b).solution, (RECT, RNG.standard_normal((4, 2)))),
    ("qr_square_complete", lambda L, a: L.linalg.qr(a, mode="complete"), (BATCH,)),
    ("torch_qr_grad", lambda L, a: L.qr(a), (RECT,)),
    ("pinv_wide", lambda L, a: L.linalg.pinv(a), (RECT.T.copy(),)),
    ("pinv_batch", lambda L, a: L.pinverse(a), (BATCH,)),
    ("matrix_exp_big", lambda L, a: L.matrix_exp(a * 3), (BATCH,)),
    ("cholesky_solve", lambda L, a, b: L.cholesky_solve(b, L.linalg.cholesky(a)), (SPD, RHS)),
    ("cholesky_solve_upper", lambda L, a, b: L.cholesky_solve(b, L.linalg.cholesky(a).mT, upper=True), (SPD, RHS)),
    ("cholesky_inverse", lambda L, a: L.cholesky_inverse(L.linalg.cholesky(a)), (SPD,)),
])
def test_more_linalg_values_and_gradients_match_torch(name, fn, inputs):
    test_values_and_gradients_match_torch(name, fn, inputs)


def test_matrix_exp_gradcheck():
    x = ne.tensor(np.random.default_rng(5).standard_normal((3, 3)), requires_grad=True)
    assert ne.autograd.gradcheck(lambda t: ne.linalg.matrix_exp(t), [x], eps=1e-6, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 4, 3)])
def test_svd_factor_gradients_match_torch(shape):
    a = np.random.default_rng(6).standard_normal(shape)
    g, r = ne.tensor(a, requires_grad=True), T.tensor(a, requires_grad=True)
    ug, sg, vg = ne.linalg.svd(g, full_matrices=False)
    ur, sr, vr = T.linalg.svd(r, full_matrices=False)
    su = np.sign((ug.numpy() * ur.detach().numpy()).sum(-2, keepdims=True))  # column signs of U (and rows of Vh)
    np.testing.assert_allclose(ug.numpy() * su, ur.detach().numpy(), atol=1e-10)
    rng = np.random.default_rng(7)
    wu, ws, wv = rng.standard_normal(ur.shape), rng.standard_normal(sr.shape), rng.standard_normal(vr.shape)
    ((ug * ne.tensor(wu * su)).sum() + (sg * ne.tensor(ws)).sum() + (vg * ne.tensor(wv * np.swapaxes(su, -1, -2))).sum()).backward()
    ((ur * T.tensor(wu)).sum() + (sr * T.tensor(ws)).sum() + (vr * T.tensor(wv)).sum()).backward()
    np.testing.assert_allclose(g.grad, r.grad.numpy(), atol=1e-10)
    u2, s2, v2 = ne.svd(ne.tensor(a, requires_grad=True))
    assert v2.shape == ur.shape[:-2] + (shape[-1], min(shape[-2:]))


def test_fuzz_findings_lstsq_nan_and_empty_batch_and_value_error_contract():
    # scripts/fuzz.py ne.linalg: LAPACK's non-convergence on NaN input leaked numpy's LinAlgError; an empty
    # batch raised from np.stack. Input errors are ValueErrors as well as torch's RuntimeError.
    with pytest.raises(ne.linalg.LinAlgError, match="lstsq") as info:
        ne.linalg.lstsq(ne.tensor(np.full((4, 2), np.nan, np.float32)), ne.ones(4, 2))
    assert isinstance(info.value, (RuntimeError, ValueError))
    sol = ne.linalg.lstsq(ne.ones(0, 3, 2), ne.ones(0, 3, 1)).solution
    assert sol.shape == (0, 2, 1)
    with pytest.raises(ValueError, match="square"):
        ne.linalg.det(ne.ones(1, 3))
    with pytest.raises(RuntimeError, match="square"):
        ne.linalg.det(ne.ones(1, 3))
    # pinv / vector_norm: numpy's LinAlgError and AxisError leaked
    with pytest.raises(ne.linalg.LinAlgError, match="svd"):
        ne.linalg.pinv(ne.tensor(np.full((3, 2), np.nan, np.float32)))
    for dim in (2, -3, (0, 5)):
        with pytest.raises(ValueError, match="Dimension out of range"):
            ne.linalg.vector_norm(ne.ones(2, 7), 3.5, dim)
    # lstsq: LAPACK's gelsd looped forever on an Inf matrix (a fuzz hang); B of too few dims; empty B
    with pytest.raises(ne.linalg.LinAlgError, match="NaN or Inf"):
        ne.linalg.lstsq(ne.tensor([[np.inf, 1.0], [0.0, 1.0]]), ne.ones(2, 1))
    with pytest.raises(ValueError, match="B"):
        ne.linalg.lstsq(ne.ones(3, 4, 4), ne.ones(2))
    assert ne.linalg.lstsq(ne.ones(9, 3, 3), ne.ones(9, 3, 0)).solution.shape == (9, 3, 0)
    assert np.array_equal(ne.linalg.lstsq(ne.ones(0, 3), ne.ones(0, 2)).solution.data, np.zeros((3, 2)))
    # svd (and pinv, matrix_rank, the 2-norm through it): LAPACK's gesdd looped forever on an Inf entry
    a = ne.tensor(np.array([[-1e38, 0.08, 1.64], [np.inf, -0.48, -1.44], [1.79, 0.11, -0.87]], np.float32))
    for call in (ne.linalg.svd, ne.linalg.svdvals, ne.linalg.pinv, ne.linalg.matrix_rank):
        with pytest.raises(ne.linalg.LinAlgError, match="NaN or Inf"):
            call(a)
    with pytest.raises(ValueError, match="B"):  # a 0-d B raised IndexError
        ne.linalg.solve(ne.ones(1, 2, 2), ne.tensor(1.0))
