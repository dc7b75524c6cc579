"""The torch functions and Tensor methods added by _ops_index, _ops_math, _ops_random and _tensor_extras,
each compared with torch itself: values, dtypes, shapes, gradients (float64 inputs, a random projection of the
output) and error types; plus finite-difference checks of the new Functions' backwards."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
from tests.conftest import require

T = require("torch")

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4))
B = RNG.standard_normal((3, 4))
P = RNG.uniform(0.1, 0.9, (3, 4))
SQ = RNG.standard_normal((4, 4))
V3 = RNG.standard_normal((2, 3))


def _np(x):
    if isinstance(x, T.Tensor):
        return x.detach().numpy()
    if isinstance(x, ne.Tensor):
        return x.numpy()
    return x


def _flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _same(got, ref, rtol=1e-6, atol=1e-9):
    got, ref = _flat(got), _flat(ref)
    assert len(got) == len(ref)
    for g, r in zip(got, ref):
        if isinstance(r, (bool, int, float)):
            assert g == r
            continue
        g, r = _np(g), _np(r)
        assert np.asarray(g).shape == np.asarray(r).shape, (np.shape(g), np.shape(r))
        assert np.asarray(g).dtype == np.asarray(r).dtype, (np.asarray(g).dtype, np.asarray(r).dtype)
        np.testing.assert_allclose(np.asarray(g, np.float64), np.asarray(r, np.float64), rtol=rtol, atol=atol,
                                   equal_nan=True)


# (id, fn(lib, *tensors), float64 inputs): values and gradients against torch
DIFF_CASES = [
    ("where_method", lambda L, a, b: a.where(a > 0, b), (A, B)),
    ("masked_select", lambda L, a: a.masked_select(a > 0), (A,)),
    ("masked_select_broadcast", lambda L, a: a.masked_select(L.tensor([True, False, True, False])), (A,)),
    ("roll_flat", lambda L, a: a.roll(3), (A,)),
    ("roll_dims", lambda L, a: L.roll(a, (1, -2), (0, 1)), (A,)),
    ("repeat_interleave", lambda L, a: a.repeat_interleave(2, 1), (A,)),
    ("repeat_interleave_t", lambda L, a: a.repeat_interleave(L.tensor([1, 0, 3]), dim=0), (A,)),
    ("repeat_interleave_flat", lambda L, a: L.repeat_interleave(a, 2), (A,)),
    ("meshgrid_ij", lambda L, a, b: L.meshgrid(a[0], b[1], indexing="ij"), (A, B)),
    ("meshgrid_xy", lambda L, a, b: L.meshgrid(a[0], b[1][:3], indexing="xy"), (A, B)),
    ("cumprod", lambda L, a: a.cumprod(1), (A,)),
    ("cumprod_zero", lambda L, a: (a * L.tensor([1.0, 0.0, 1.0, 1.0], dtype=L.float64)).cumprod(1), (A,)),
    ("cumprod_two_zeros", lambda L, a: (a * L.tensor([1.0, 0.0, 1.0, 0.0], dtype=L.float64)).cumprod(-1), (A,)),
    ("lerp_scalar", lambda L, a, b: a.lerp(b, 0.3), (A, B)),
    ("lerp_tensor", lambda L, a, b, p: L.lerp(a, b, p), (A, B, P)),
    ("index_add", lambda L, a, b: a.index_add(1, L.tensor([0, 2, 0]), b[:, :3], alpha=2.0), (A, B)),
    ("index_copy", lambda L, a, b: a.index_copy(0, L.tensor([2, 0]), b[:2]), (A, B)),
    ("index_fill", lambda L, a: a.index_fill(1, L.tensor([1, 3]), -2.0), (A,)),
    ("masked_scatter", lambda L, a, b: a.masked_scatter(a > 0, b), (A, B)),
    ("take", lambda L, a: a.take(L.tensor([[0, 5], [11, 5]])), (A,)),
    ("take_along_dim", lambda L, a: L.take_along_dim(a, a.argsort(1), 1), (A,)),
    ("take_along_dim_flat", lambda L, a: L.take_along_dim(a, L.tensor([3, 3, 0])), (A,)),
    ("select", lambda L, a: a.select(1, -1), (A,)),
    ("tile", lambda L, a: a.tile((2, 1, 2)), (A,)),
    ("movedim", lambda L, a: a.reshape(3, 2, 2).movedim((0, 1), (2, 0)), (A,)),
    ("swapdims", lambda L, a: a.swapdims(0, 1), (A,)),
    ("rot90", lambda L, a: L.rot90(a, 3, (1, 0)), (A,)),
    ("diagonal", lambda L, a: a.reshape(2, 2, 3).diagonal(1, 2, 0), (A,)),
    ("diagonal_adjacent", lambda L, a: a.diagonal(-1), (A,)),
    ("diag_embed", lambda L, a: L.diag_embed(a, 1, 0, 2), (A,)),
    ("diagflat", lambda L, a: L.diagflat(a[:2, :2], -1), (A,)),
    ("trace", lambda L, a: a.trace(), (SQ,)),
    ("hstack", lambda L, a, b: L.hstack([a, b]), (A, B)),
    ("vstack", lambda L, a, b: L.vstack([a[0], b[0]]), (A, B)),
    ("dstack", lambda L, a, b: L.dstack([a, b]), (A, B)),
    ("column_stack", lambda L, a, b: L.column_stack([a[0], b]), (A.T.copy(), B)),
    ("hsplit", lambda L, a: L.hsplit(a, [1, 3]), (A,)),
    ("vsplit", lambda L, a: a.vsplit(3), (A,)),
    ("cartesian_prod", lambda L, a, b: L.cartesian_prod(a[0], b[0, :2]), (A, B)),
    ("combinations", lambda L, a: L.combinations(a[0], 3), (A,)),
    ("atan2", lambda L, a, b: L.atan2(a, b), (A, B)),
    ("hypot", lambda L, a, b: a.hypot(b), (A, B)),
    ("fmod", lambda L, a, b: L.fmod(a * 3, b), (A, B)),
    ("remainder_m", lambda L, a, b: (a * 3).remainder(b), (A, B)),
    ("xlogy", lambda L, a, p: L.xlogy(a, p), (A, P)),
    ("logaddexp", lambda L, a, b: L.logaddexp(a, b), (A, B)),
    ("logaddexp2", lambda L, a, b: a.logaddexp2(b), (A, B)),
    ("fmax", lambda L, a, b: L.fmax(a, b), (A, B)),
    ("fmin", lambda L, a, b: a.fmin(b[0]), (A, B)),
    ("float_power", lambda L, p: L.float_power(p, 2.5), (P,)),
    ("frac", lambda L, a: (a * 3).frac(), (A,)),
    ("sinc", lambda L, a: L.sinc(a), (A,)),
    ("erfc", lambda L, a: a.erfc(), (A,)),
    ("erfinv", lambda L, p: (p * 2 - 1).erfinv(), (P,)),
    ("lgamma", lambda L, p: (p * 4).lgamma(), (P,)),
    ("digamma", lambda L, p: L.digamma(p + 1), (P,)),
    ("asinh", lambda L, a: a.asinh(), (A,)),
    ("acosh", lambda L, p: (p + 1.5).arccosh(), (P,)),
    ("atanh", lambda L, p: L.atanh(p - 0.5), (P,)),
    ("logit", lambda L, p: p.logit(), (P,)),
    ("logit_eps", lambda L, p: L.logit(p, eps=0.3), (P,)),
    ("nan_to_num", lambda L, a: L.nan_to_num(a.log(), neginf=-3.0), (A,)),
    ("deg2rad", lambda L, a: a.deg2rad(), (A,)),
    ("clamp_min", lambda L, a: a.clamp_min(0.1), (A,)),
    ("addmm", lambda L, a, b, s: L.addmm(a[:, :3], b, s[:, :3], beta=0.5, alpha=2.0), (A, B, SQ)),
    ("addmm_beta0", lambda L, a, b, s: a[:, :3].addmm(b, s[:, :3], beta=0), (A, B, SQ)),
    ("addmv", lambda L, a, s, b: L.addmv(a[0, :3], s[:3], b[0]), (A, SQ, B)),
    ("addbmm", lambda L, s, a: L.addbmm(s[:2, :2], a.reshape(3, 2, 2), a.reshape(3, 2, 2), alpha=0.5), (SQ, A)),
    ("baddbmm", lambda L, s, a: s[:2, :2].baddbmm(a.reshape(3, 2, 2), a.reshape(3, 2, 2)), (SQ, A)),
    ("addr", lambda L, s, a, b: L.addr(s[:4, :3], a[0], b[1, :3], beta=2), (SQ, A, B)),
    ("addcmul", lambda L, a, b, p: a.addcmul(b, p, value=-0.5), (A, B, P)),
    ("addcdiv", lambda L, a, b, p: L.addcdiv(a, b, p, value=2), (A, B, P)),
    ("mv", lambda L, a, s: a.mv(s[0]), (A, SQ)),
    ("inner", lambda L, a, b: L.inner(a, b), (A, B)),
    ("vdot", lambda L, a, b: L.vdot(a[0], b[0]), (A, B)),
    ("tensordot", lambda L, a, b: L.tensordot(a, b, dims=([1], [1])), (A, B)),
    ("tensordot_int", lambda L, a, s: L.tensordot(a, s, 1), (A, SQ)),
    ("kron", lambda L, a, s: L.kron(a, s[:2, :3]), (A, SQ)),
    ("cross", lambda L, a, b: L.cross(a[:, :3], b[:, :3], dim=1), (A, B)),
    ("cdist", lambda L, a, b: L.cdist(a, b[:2]), (A, B)),
    ("cdist_p1", lambda L, a, b: L.cdist(a, b, p=1.0), (A, B)),
    ("dist", lambda L, a, b: L.dist(a, b, 3), (A, B)),
    ("diff", lambda L, a: a.diff(2, 0), (A,)),
    ("diff_prepend", lambda L, a, b: L.diff(a, dim=1, prepend=b[:, :1]), (A, B)),
    ("trapezoid", lambda L, a: L.trapezoid(a, dx=0.5), (A,)),
    ("trapezoid_x", lambda L, a, p: L.trapezoid(a, p[0].cumsum(0)), (A, P)),
    ("cumulative_trapezoid", lambda L, a: L.cumulative_trapezoid(a, dim=0), (A,)),
    ("logcumsumexp", lambda L, a: a.logcumsumexp(1), (A,)),
    ("cummax", lambda L, a: a.round().cummax(1), (A,)),
    ("cummin", lambda L, a: L.cummin(a.round(), 0), (A,)),
    ("nansum", lambda L, a: L.nansum(a.log(), 1), (A,)),
    ("nanmean", lambda L, a: a.log().nanmean(0, keepdim=True), (A,)),
    ("nanmedian_dim", lambda L, a: a.log().nanmedian(1), (A,)),
    ("nanmedian", lambda L, a: a.log().nanmedian(), (A,)),
    ("quantile", lambda L, a: L.quantile(a, 0.3, 1, keepdim=True), (A,)),
    ("quantile_vec", lambda L, a: a.quantile(L.tensor([0.1, 0.5, 1.0], dtype=L.float64), 0), (A,)),
    ("quantile_all", lambda L, a: L.quantile(a, 0.75), (A,)),
    ("nanquantile", lambda L, a: L.nanquantile(a.log(), 0.5, 1), (A,)),
    ("var_mean", lambda L, a: L.var_mean(a, 1), (A,)),
    ("std_mean", lambda L, a: L.std_mean(a, 0, correction=0, keepdim=True), (A,)),
    ("msort", lambda L, a: L.msort(a), (A,)),
    ("aminmax", lambda L, a: L.aminmax(a, dim=0), (A,)),
    ("sum_to_size", lambda L, a: a.sum_to_size(1, 4), (A,)),
    ("renorm", lambda L, a: a.renorm(2, 0, 1.0), (A,)),
    ("index_put_acc", lambda L, a, b: a.index_put((L.tensor([0, 0, 2]), L.tensor([1, 1, 3])), b[0, :3],
                                                 accumulate=True), (A, B)),
    ("index_reduce_prod", lambda L, a, b: a.index_reduce(1, L.tensor([0, 2, 0]), b[:, :3], "prod"), (A, B)),
    ("index_reduce_mean", lambda L, a, b: a.index_reduce(0, L.tensor([1, 1]), b[:2], "mean", include_self=False),
     (A, B)),
    ("index_reduce_amax", lambda L, a, b: L.index_reduce(a, 1, L.tensor([3, 3]), b[:, :2], "amax"), (A, B)),
    ("select_scatter", lambda L, a, b: L.select_scatter(a, b[:, 0], 1, 2), (A, B)),
    ("slice_scatter", lambda L, a, b: a.slice_scatter(b[:, :2], 1, 1, None, 2), (A, B)),
    ("diagonal_scatter", lambda L, a, b: a.diagonal_scatter(b[0, :3], 1), (A, B)),
    ("put", lambda L, a, b: a.put(L.tensor([0, 11, 5]), b[0, :3]), (A, B)),
    ("put_acc", lambda L, a, b: a.put(L.tensor([0, 0, 5]), b[0, :3], accumulate=True), (A, B)),
    ("split_with_sizes", lambda L, a: a.split_with_sizes([1, 3], 1), (A,)),
    ("cov", lambda L, a: L.cov(a), (A,)),
    ("cov_1d", lambda L, a: L.cov(a[0], correction=0), (A,)),
    ("cov_weights", lambda L, a, p: a.cov(fweights=L.tensor([1, 2, 1, 3]), aweights=p[0]), (A, P)),
    ("corrcoef", lambda L, a: a.corrcoef(), (A,)),
    ("unflatten", lambda L, a: L.unflatten(a, 1, (2, -1)), (A,)),
    ("broadcast_to", lambda L, a: L.broadcast_to(a[0], (2, 4)), (A,)),
    ("ravel", lambda L, a: a.t().ravel(), (A,)),
]

_QUANTILE_MODES = [(f"quantile_{m}", lambda L, a, m=m: a.quantile(0.4, 1, interpolation=m), (A,))
                   for m in ("lower", "higher", "midpoint", "nearest")]


@pytest.mark.parametrize("name,fn,inputs", DIFF_CASES + _QUANTILE_MODES, ids=[c[0] for c in DIFF_CASES + _QUANTILE_MODES])
def test_values_and_gradients_match_torch(name, fn, inputs):
    ours = [ne.tensor(x, requires_grad=True) for x in inputs]
    ref = [T.tensor(x, requires_grad=True) for x in inputs]
    got, exp = fn(ne, *ours), fn(T, *ref)
    _same(got, exp, rtol=1e-6, atol=1e-10)
    outs_g = [o for o in _flat(got) if isinstance(o, ne.Tensor) and o.requires_grad]
    outs_r = [o for o in _flat(exp) if isinstance(o, T.Tensor) and o.requires_grad]
    assert len(outs_g) == len(outs_r)
    if not outs_r:
        return
    rng = np.random.default_rng(1)
    loss_g = loss_r = 0
    for og, orf in zip(outs_g, outs_r):
        w = rng.standard_normal(tuple(orf.shape))
        mask = np.isfinite(_np(orf))
        loss_g = loss_g + (og.masked_fill(ne.tensor(~mask), 0.0) * ne.tensor(w)).sum()
        loss_r = loss_r + (orf.masked_fill(T.tensor(~mask), 0.0) * T.tensor(w)).sum()
    loss_g.backward()
    loss_r.backward()
    for tg, tr in zip(ours, ref):
        gr = np.zeros(tr.shape) if tr.grad is None else tr.grad.numpy()
        gg = np.zeros(tg.shape) if tg.grad is None else tg.grad
        np.testing.assert_allclose(gg, gr, rtol=1e-6, atol=1e-9, equal_nan=True)


NODIFF_CASES = [
    ("vander", lambda L: L.vander(L.tensor([1.5, 2.0, -1.0]), 4, increasing=True)),
    ("vander_int", lambda L: L.vander(L.tensor([1, 2, 3]))),
    ("nonzero", lambda L: L.tensor([[0, 1], [2, 0]]).nonzero()),
    ("nonzero_tuple", lambda L: L.nonzero(L.tensor([[0, 1], [2, 0]]), as_tuple=True)),
    ("argwhere", lambda L: L.argwhere(L.tensor([0.0, 2.0, 0.0, 1.0]))),
    ("unique", lambda L: L.unique(L.tensor([3, 1, 3, 2, 1]), return_inverse=True, return_counts=True)),
    ("unique_dim", lambda L: L.unique(L.tensor([[1, 2], [0, 1], [1, 2]]), dim=0, return_inverse=True)),
    ("unique_consecutive", lambda L: L.unique_consecutive(L.tensor([1, 1, 2, 2, 3, 1, 1]), return_inverse=True,
                                                          return_counts=True)),
    ("unique_consecutive_dim", lambda L: L.tensor([[1, 1], [1, 1], [2, 0]]).unique_consecutive(dim=0)),
    ("bincount", lambda L: L.bincount(L.tensor([0, 3, 3, 1]), minlength=6)),
    ("bincount_w", lambda L: L.tensor([0, 3, 3]).bincount(L.tensor([0.5, 1.0, 2.0]))),
    ("bucketize", lambda L: L.bucketize(L.tensor([1, 5, 9, 3]), L.tensor([1, 3, 5, 7]), right=True)),
    ("searchsorted", lambda L: L.searchsorted(L.tensor([[1, 3, 5], [2, 4, 6]]), L.tensor([[3, 6], [1, 4]]))),
    ("searchsorted_right", lambda L: L.searchsorted(L.tensor([1.0, 3.0, 5.0]), L.tensor([3.0]), side="right")),
    ("isin", lambda L: L.isin(L.tensor([1, 2, 3, 4]), L.tensor([2, 4]), invert=True)),
    ("count_nonzero", lambda L: L.count_nonzero(L.tensor([[0, 1], [2, 3]]), dim=1)),
    ("count_nonzero_m", lambda L: L.tensor([[0, 1], [2, 3]]).count_nonzero()),
    ("histc", lambda L: L.histc(L.tensor([1.0, 2.0, 1.0, 7.0]), bins=4, min=0, max=3)),
    ("histc_auto", lambda L: L.tensor([1.0, 2.0, 1.0, 7.0]).histc(bins=3)),
    ("tril_indices", lambda L: L.tril_indices(3, 4, -1)),
    ("triu_indices", lambda L: L.triu_indices(4, 3, 1)),
    ("unravel_index", lambda L: L.unravel_index(L.tensor([4, 1, 5]), (2, 3))),
    ("repeat_interleave_counts", lambda L: L.repeat_interleave(L.tensor([2, 0, 3]))),
    ("gcd", lambda L: L.gcd(L.tensor([4, 6, 0]), L.tensor([6, 9, 5]))),
    ("lcm", lambda L: L.tensor([4, 6]).lcm(L.tensor([6, 9]))),
    ("fmod_int", lambda L: L.fmod(L.tensor([-7, 7]), 3)),
    ("heaviside", lambda L: L.heaviside(L.tensor([-1.0, 0.0, 2.0]), L.tensor([0.5]))),
    ("signbit", lambda L: L.signbit(L.tensor([-1.0, -0.0, 2.0]))),
    ("isneginf", lambda L: L.isneginf(L.tensor([float("-inf"), 1.0]))),
    ("isposinf", lambda L: L.isposinf(L.tensor([float("inf"), 1.0]))),
    ("logical_xor", lambda L: L.logical_xor(L.tensor([True, False]), L.tensor([True, True]))),
    ("isclose", lambda L: L.tensor([1.0, 2.0]).isclose(L.tensor([1.0, 2.1]))),
    ("sgn", lambda L: L.sgn(L.tensor([-2.0, 0.0, 3.0]))),
    ("fix", lambda L: L.tensor([-1.5, 1.5]).fix()),
    ("atan2_int", lambda L: L.atan2(L.tensor([1, -1]), L.tensor([2, 2]))),
    ("xlogy_zero", lambda L: L.xlogy(L.tensor([0.0, 0.0, 1.0]), L.tensor([0.0, float("nan"), 2.0]))),
    ("float_power_int", lambda L: L.float_power(L.tensor([2, 3]), 2)),
    ("logspace", lambda L: L.logspace(0, 2, 5, base=2.0)),
    ("range", lambda L: L.range(1, 2.5, 0.5)),
    ("greater", lambda L: L.greater(L.tensor([1, 3]), 2)),
    ("less_equal_m", lambda L: L.tensor([1, 3]).less_equal(L.tensor([1, 2]))),
    ("not_equal_m", lambda L: L.tensor([1, 3]).not_equal(3)),
    ("is_signed", lambda L: (L.ones(1).is_signed(), L.ones(1, dtype=L.uint8).is_signed())),
    ("is_nonzero", lambda L: (L.tensor([0.0]).is_nonzero(), L.is_nonzero(L.tensor([2])))),
    ("new", lambda L: L.ones(1, dtype=L.float64).new(2, 3).shape),
    ("cummax_nan", lambda L: L.tensor([1.0, float("nan"), 3.0]).cummax(0)),
    ("fill_diagonal", lambda L: L.zeros(5, 3).fill_diagonal_(2.0, wrap=True)),
    ("clamp_max_int", lambda L: L.tensor([1, 5]).clamp_max(3)),
    ("bitwise", lambda L: (L.tensor([12]).bitwise_and(10), L.tensor([12]).bitwise_xor(10),
                           L.tensor([True]).bitwise_not())),
    ("inplace_cmp", lambda L: L.tensor([1.0, 5.0]).lt_(2.0)),
    ("inplace_tril", lambda L: L.ones(3, 3).tril_(-1)),
    ("inplace_cumsum", lambda L: L.ones(2, 3).cumsum_(1)),
    ("inplace_fmod", lambda L: L.tensor([5.0, -5.0]).fmod_(3.0)),
    ("inplace_floor_divide", lambda L: L.tensor([5.0, -5.0]).floor_divide_(3.0)),
    ("inplace_transpose", lambda L: L.zeros(2, 3).transpose_(0, 1).shape),
    ("inplace_acos", lambda L: L.tensor([0.5]).acos_()),
    ("inplace_lerp", lambda L: L.zeros(2).lerp_(L.ones(2), 0.25)),
    ("inplace_addmm", lambda L: L.ones(2, 2).addmm_(L.ones(2, 3), L.ones(3, 2), alpha=0.5)),
    ("inplace_index_add", lambda L: L.zeros(3).index_add_(0, L.tensor([0, 0]), L.tensor([1.0, 2.0]))),
    ("inplace_index_fill", lambda L: L.zeros(2, 2).index_fill_(0, L.tensor([1]), 3.0)),
    ("inplace_index_copy", lambda L: L.zeros(3).index_copy_(0, L.tensor([2]), L.tensor([4.0]))),
    ("inplace_masked_scatter", lambda L: L.zeros(3).masked_scatter_(L.tensor([True, False, True]), L.ones(3))),
    ("inplace_clamp_min", lambda L: L.tensor([-1.0, 1.0]).clamp_min_(0.0)),
    ("H", lambda L: L.arange(6.0).reshape(2, 3).H),
    ("mH", lambda L: L.arange(6.0).reshape(1, 2, 3).mH),
    ("adjoint", lambda L: L.arange(6.0).reshape(2, 3).adjoint()),
    ("nbytes", lambda L: (L.ones(3).nbytes, L.ones(3, dtype=L.float64).itemsize)),
    ("sum_to_size_lead", lambda L: L.ones(2, 3, 4).sum_to_size(3, 1)),
]


@pytest.mark.parametrize("name,fn", NODIFF_CASES, ids=[c[0] for c in NODIFF_CASES])
def test_values_match_torch(name, fn):
    got, exp = fn(ne), fn(T)
    if isinstance(exp, T.Size):
        assert tuple(got) == tuple(exp)
        return
    _same(got, exp)


@pytest.mark.parametrize("call,exc", [
    (lambda L: L.roll(L.ones(3), (1, 2)), RuntimeError),
    (lambda L: L.roll(L.ones(3, 2), (1, 2), (0,)), RuntimeError),
    (lambda L: L.ones(3).repeat_interleave(L.tensor([1, 2])), RuntimeError),
    (lambda L: L.ones(3).index_add(0, L.tensor([3]), L.ones(1)), IndexError),
    (lambda L: L.ones(3).take(L.tensor([3])), IndexError),
    (lambda L: L.ones(2, 2).masked_select(L.tensor([1, 0])), (TypeError, RuntimeError)),
    (lambda L: L.ones(3).diagonal(), IndexError),
    (lambda L: L.mv(L.ones(2, 3), L.ones(2)), RuntimeError),
    (lambda L: L.cross(L.ones(2, 2), L.ones(2, 2)), RuntimeError),
    (lambda L: L.quantile(L.ones(3), 1.5), RuntimeError),
    (lambda L: L.multinomial(L.tensor([1.0, 0.0]), 3), RuntimeError),
    (lambda L: L.multinomial(L.tensor([-1.0, 1.0]), 1), RuntimeError),
    (lambda L: L.bincount(L.tensor([-1, 2])), RuntimeError),
    (lambda L: L.movedim(L.ones(2, 3), (0, 1), (1,)), RuntimeError),
    (lambda L: L.meshgrid(L.ones(2, 2)), RuntimeError),
    (lambda L: L.trace(L.ones(3)), RuntimeError),
    (lambda L: L.vsplit(L.ones(3), 3), RuntimeError),
    (lambda L: L.hsplit(L.ones(2, 3), 2), RuntimeError),
    (lambda L: L.ones(2).is_nonzero(), RuntimeError),
    (lambda L: L.addcdiv(L.ones(2), L.tensor([1, 2]), L.tensor([1, 2])), RuntimeError),
    (lambda L: L.histc(L.tensor([1, 2])), RuntimeError),
])
def test_bad_input_raises_like_torch(call, exc):
    with pytest.raises(exc):
        call(T)
    with pytest.raises(exc) as info:
        call(ne)
    # the engine's contract too: bad input is a ValueError / TypeError (torch's type is a base as well)
    assert isinstance(info.value, (ValueError, TypeError)), type(info.value).__mro__


def test_fuzz_findings_in_index_and_math_ops():
    # scripts/fuzz.py ne.index_ops / ne.math_ops: 0-d inputs, out-of-range indices, a huge diff order
    x = ne.tensor(1.0)
    assert float(ne.index_add(x, 0, ne.tensor([0]), ne.tensor(2.0))) == 3.0
    assert float(ne.index_copy(x, 0, ne.tensor([0]), ne.tensor([4.0]))) == 4.0
    assert float(ne.index_fill(x, 0, ne.tensor([0]), 5.0)) == 5.0
    assert ne.index_add(x, 0, ne.tensor([], dtype=ne.int64), ne.ones(0)).shape == ()
    with pytest.raises(ValueError, match="0-d"):
        ne.diag_embed(x)
    with pytest.raises(ValueError, match="one-dimensional"):
        ne.diff(x)
    with pytest.raises(ValueError, match="non-negative"):
        ne.diff(ne.ones(3), -1)
    assert ne.diff(ne.tensor([1.0, 2.0, 4.0]), 2**62).shape == (0,)  # no endless loop
    m = ne.ones(2, 2)
    for call in (lambda: m.gather(1, ne.tensor([[2]])), lambda: ne.take_along_dim(m, ne.tensor([[3]]), 1),
                 lambda: m.gather(1, ne.tensor([0])), lambda: ne.tensordot(m, m, 5)):
        with pytest.raises(ValueError):
            call()
    with pytest.raises(ValueError, match="bmm"):
        ne.baddbmm(ne.ones(1, 2, 2), ne.ones(1, 2, 2), ne.ones(1, 1, 2, 2))
    # second campaign: 0-d roll / take_along_dim with a dim (torch: IndexError), empty cummax, searchsorted
    for call in (lambda: ne.roll(x, 1, 0), lambda: ne.take_along_dim(x, ne.tensor(0), 0)):
        with pytest.raises(IndexError, match="no dimensions") as info:
            call()
        assert isinstance(info.value, ValueError)
    v, i = ne.cummax(ne.ones(5, 0, 1), 1)
    assert v.shape == i.shape == (5, 0, 1)
    assert ne.cummin(ne.ones(0), -1).indices.shape == (0,)
    with pytest.raises(TypeError, match="sorted_sequence"):
        ne.searchsorted(np.array(["x"]), 1.0)
    with pytest.raises(ValueError, match="0-d"):
        ne.searchsorted(ne.tensor(1.0), 1.0)
    with pytest.raises(ValueError, match="leading dims"):
        ne.searchsorted(ne.ones(2, 3), ne.tensor(1.0))
    with pytest.raises(ValueError, match="sorter"):
        ne.searchsorted(ne.tensor([3.0, 1.0]), ne.tensor([2.0]), sorter=ne.tensor([1, 5]))
    # third campaign: unique with a dim on 0-d (numpy AxisError), non-number scalars (numpy UFuncTypeError)
    for call in (lambda: ne.unique(x, dim=0), lambda: ne.unique_consecutive(x, dim=0)):
        with pytest.raises(ValueError, match="no dimensions"):
            call()
    with pytest.raises(TypeError, match="end"):
        ne.lerp(ne.ones(5), {}, 0.2)
    with pytest.raises(TypeError, match="weight"):
        ne.lerp(ne.ones(5), ne.ones(5), {})
    with pytest.raises(TypeError, match="alpha"):
        ne.addmm(ne.ones(1, 2), ne.ones(1, 4), ne.ones(4, 2), alpha={})
    with pytest.raises(TypeError, match="beta"):
        ne.baddbmm(ne.ones(1, 1, 2), ne.ones(1, 1, 4), ne.ones(1, 4, 2), beta="x")
    with pytest.raises(TypeError, match="where"):  # silently made an object tensor
        ne.where(np.ones(2), object(), np.float32(1))
    with pytest.raises(ValueError, match="bins"):  # numpy's linspace raised IndexError
        ne.histc(ne.ones(3), bins=2**63)
    with pytest.raises(TypeError, match="p"):  # Tensor.norm raised NotImplementedError
        ne.ones(2, 2).renorm("x", 0, 1.0)
    wide = ne.tensor(np.array([-1e38, 3.4e38, -88.8, -1.0], np.float32))  # float32 bin arithmetic overflowed
    assert ne.histc(wide, bins=1).tolist() == [4.0]
    for data in ([1.0, np.inf], [1.0, np.nan]):  # numpy's histogram raised IndexError; torch's message
        with pytest.raises(ValueError, match="not finite"):
            ne.histc(ne.tensor(data), bins=6)
    with pytest.raises(IndexError, match="0-d") as info:
        ne.tensordot(ne.ones(0, 1), ne.tensor(1.0), ([1], [0]))
    assert isinstance(info.value, ValueError)


def test_argument_type_errors_name_the_argument():
    with pytest.raises(TypeError, match="index"):
        ne.ones(3).index_add(0, ne.tensor([0.5]), ne.ones(1))
    with pytest.raises(TypeError, match="shifts"):
        ne.ones(3).roll("a")
    with pytest.raises(ValueError, match="indexing"):
        ne.meshgrid(ne.ones(2), indexing="xx")
    with pytest.raises(ValueError, match="interpolation"):
        ne.quantile(ne.ones(3), 0.5, interpolation="cubic")
    with pytest.raises(ValueError, match="source"):
        ne.zeros(3, 2).index_add(0, ne.tensor([0]), ne.ones(2, 2))
    with pytest.raises(TypeError, match="generator"):
        ne.randn(2, generator="seed")


def test_meshgrid_default_is_ij_and_views_share_storage():
    gx, gy = ne.meshgrid(ne.arange(3), ne.arange(2))
    assert gx.shape == (3, 2) and np.shares_memory(gx.data, gy.data) is False
    tx, _ = T.meshgrid(T.arange(3), T.arange(2), indexing="ij")
    np.testing.assert_array_equal(gx.numpy(), tx.numpy())


def test_inplace_index_add_on_a_tape_tensor_matches_torch():
    a = np.arange(6.0).reshape(2, 3)
    w, tw = ne.tensor(a, requires_grad=True), T.tensor(a, requires_grad=True)
    y, ty = w * 2, tw * 2
    y.index_add_(1, ne.tensor([0, 0]), w[:, :2])
    ty.index_add_(1, T.tensor([0, 0]), tw[:, :2])
    _same(y, ty)
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(w.grad, tw.grad.numpy())


def test_float32_dtypes_follow_torch():
    x, tx = ne.tensor([1.0, 2.0]), T.tensor([1.0, 2.0])
    for f in ("atan2", "hypot", "logaddexp", "xlogy", "fmax", "copysign"):
        assert getattr(ne, f)(x, x).dtype == getattr(T, f)(tx, tx).numpy().dtype, f
    for f in ("erfc", "lgamma", "sinc", "frac", "logit", "deg2rad", "asinh", "nan_to_num"):
        assert getattr(ne, f)(x).dtype == getattr(T, f)(tx).numpy().dtype, f
    assert ne.tensor([1, 2]).cumprod(0).dtype == np.int64
    assert ne.tensor([True, False]).cumprod(0).dtype == np.int64
    assert ne.atan2(ne.tensor([1]), ne.tensor([2])).dtype == np.float32


# ------------------------------------------------------------------ finite differences of the new Functions
@pytest.mark.parametrize("fn", [
    lambda x: x.cumprod(1), lambda x: (x * ne.tensor([1.0, 0.0, 1.0])).cumprod(1), lambda x: x.logcumsumexp(0),
    lambda x: ne.atan2(x, x.flip(0)), lambda x: ne.hypot(x, 2.0), lambda x: ne.logaddexp(x, x * 0.5),
    lambda x: x.roll(1, 1), lambda x: x.diagonal(), lambda x: ne.diag_embed(x),
    lambda x: x.index_add(0, ne.tensor([1, 1]), x), lambda x: x.index_copy(1, ne.tensor([2]), x[:, :1]),
    lambda x: ne.erfinv(x * 0.3), lambda x: ne.sinc(x), lambda x: ne.xlogy(x, x * x + 1),
    lambda x: ne.quantile(x, 0.4, 1), lambda x: x.renorm(2, 0, 0.5),
])
def test_gradcheck(fn):
    x = ne.tensor(np.random.default_rng(2).uniform(-1, 1, (2, 3)), requires_grad=True)
    assert ne.autograd.gradcheck(fn, [x], eps=1e-6, atol=1e-5, rtol=1e-4)


# ------------------------------------------------------------------ random
def test_generator_streams_are_reproducible_and_independent():
    g = ne.Generator().manual_seed(0)
    a = ne.randn(4, generator=g)
    b = ne.rand(2, generator=g)
    g.manual_seed(0)
    assert (ne.randn(4, generator=g) == a).all() and (ne.rand(2, generator=g) == b).all()
    ne.manual_seed(0)
    c = ne.randn(3)
    ne.randn(5, generator=ne.Generator().manual_seed(9))  # does not advance the global stream
    ne.manual_seed(0)
    assert (ne.randn(3) == c).all()
    s = g.get_state()
    x = ne.randint(0, 100, (5,), generator=g)
    g.set_state(s)
    assert (ne.randint(0, 100, (5,), generator=g) == x).all()
    assert ne.Generator().manual_seed(7).initial_seed() == 7
    with pytest.raises(TypeError, match="seed"):
        ne.Generator().manual_seed(1.5)


def test_global_rng_state_round_trips_as_uint8_tensor():
    s = ne.get_rng_state()
    assert s.dtype == np.uint8 and s.ndim == 1
    a = ne.randn(3)
    ne.set_rng_state(s)
    assert (ne.randn(3) == a).all()
    ne.manual_seed(11)
    assert ne.initial_seed() == 11
    s2 = ne.seed()
    assert ne.initial_seed() == s2
    with pytest.raises(ValueError, match="state"):
        ne.set_rng_state(ne.zeros(3, dtype=ne.uint8))


def test_generator_in_data_loading_and_samplers():
    ds = ne.data.TensorDataset(np.arange(10.0).reshape(10, 1))
    order = [list(ne.data.DataLoader(ds, batch_size=10, shuffle=True, generator=ne.Generator().manual_seed(3)))[0][0]
             .numpy().ravel().tolist() for _ in range(2)]
    assert order[0] == order[1]
    s1 = [len(p) for p in ne.data.random_split(ds, [7, 3], generator=ne.Generator().manual_seed(1))]
    assert s1 == [7, 3]
    g = ne.Generator().manual_seed(5)
    x = ne.multinomial(ne.tensor([[0.1, 0.9], [0.5, 0.5]]), 1000, replacement=True, generator=g)
    assert x.shape == (2, 1000) and x.dtype == np.int64
    assert 0.85 < x[0].float().mean().item() < 0.95
    y = ne.multinomial(ne.tensor([1.0, 2.0, 0.0, 4.0]), 3, generator=g)
    assert sorted(y.tolist()) == [0, 1, 3]
    for name, args in [("bernoulli_", (0.5,)), ("random_", (0, 5)), ("exponential_", ()), ("log_normal_", ()),
                       ("geometric_", (0.3,)), ("cauchy_", ()), ("uniform_", ()), ("normal_", ())]:
        a = getattr(ne.empty(6), name)(*args, generator=ne.Generator().manual_seed(2))
        b = getattr(ne.empty(6), name)(*args, generator=ne.Generator().manual_seed(2))
        assert (a == b).all(), name
    p = ne.bernoulli(ne.full((2000,), 0.25), generator=g)
    assert p.dtype == np.float32 and 0.2 < p.mean().item() < 0.3
    r = ne.randint_like(ne.zeros(4, dtype=ne.int64), 3, 6)
    assert r.dtype == np.int64 and ((r >= 3) & (r < 6)).all()
    assert ne.poisson(ne.full((3,), 2.0)).dtype == np.float32


def test_use_deterministic_algorithms_flag():
    ne.use_deterministic_algorithms(True, warn_only=True)
    assert ne.are_deterministic_algorithms_enabled() and ne.is_deterministic_algorithms_warn_only_enabled()
    ne.use_deterministic_algorithms(False)
    assert not ne.are_deterministic_algorithms_enabled()
    with pytest.raises(TypeError, match="mode"):
        ne.use_deterministic_algorithms("yes")


def test_misc_tensor_methods():
    t = ne.zeros(4)
    assert t.data_ptr() == t[:2].data_ptr() != t[1:].data_ptr()
    assert ne.tensor([1.0 + 2 ** -10, 3.0]).bfloat16().tolist() == T.tensor([1.0 + 2 ** -10, 3.0]).bfloat16().float().tolist()
    assert ne.tensor([1, 2]).new([1.5]).dtype == np.int64
    assert ne.tensor([1.0]).apply_(lambda v: v + 1).item() == 2.0
    assert ne.tensor([1.0, 2.0, 3.0]).resize_(2, 2).tolist() == [[1.0, 2.0], [3.0, 0.0]]
    w = ne.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError):
        w.apply_(lambda v: v)


# ------------------------------------------------------------------ _ops_misc: the rest of torch's top level
MISC_CASES = [
    ("promote_types", lambda L: (str(L.promote_types(L.int64, L.float32)).split(".")[-1].replace("dtype('", "")
                                 .replace("')", ""))),
    ("can_cast", lambda L: (L.can_cast(L.float64, L.float32), L.can_cast(L.float32, L.int32),
                            L.can_cast(L.int32, L.bool), L.can_cast(L.bool, L.uint8))),
    ("broadcast_shapes", lambda L: tuple(L.broadcast_shapes((2, 1), (1, 3), 3))),
    ("constants", lambda L: (L.pi, L.e, L.inf, L.newaxis)),
    ("scalar_tensor", lambda L: L.scalar_tensor(3)),
    ("asarray", lambda L: L.asarray([1.5, 2.0])),
    ("hann", lambda L: L.hann_window(5)),
    ("hann_sym", lambda L: L.hann_window(5, periodic=False, dtype=L.float64)),
    ("hamming", lambda L: L.hamming_window(6)),
    ("blackman", lambda L: L.blackman_window(7, periodic=False)),
    ("bartlett", lambda L: L.bartlett_window(6)),
    ("kaiser", lambda L: L.kaiser_window(6, True, 5.0)),
    ("window_1", lambda L: L.hann_window(1)),
    ("block_diag", lambda L: L.block_diag(L.tensor([[1, 2]]), L.tensor(3), L.tensor([[4.0], [5.0]]))),
    ("chain_matmul", lambda L: L.chain_matmul(L.ones(2, 3), L.ones(3, 4), L.ones(4, 1))),
    ("cosine_similarity", lambda L: L.cosine_similarity(L.tensor([[1.0, 0.0]]), L.tensor([[1.0, 1.0]]))),
    ("pairwise_distance", lambda L: L.pairwise_distance(L.tensor([[0.0, 0.0]]), L.tensor([[3.0, 4.0]]))),
    ("pdist", lambda L: L.pdist(L.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]]), p=1)),
    ("rsub", lambda L: L.rsub(L.tensor([1.0, 2.0]), 10.0, alpha=2)),
    ("polygamma", lambda L: L.polygamma(2, L.tensor([1.0, 3.5]))),
    ("polygamma_m", lambda L: L.tensor([1.0, 2.0]).polygamma(1)),
    ("i0", lambda L: L.i0(L.tensor([0.0, 1.0, -2.0]))),
    ("mvlgamma", lambda L: L.mvlgamma(L.tensor([2.5, 4.0]), 3)),
    ("frexp", lambda L: L.frexp(L.tensor([8.0, -0.3, 0.0]))),
    ("histogram", lambda L: L.histogram(L.tensor([1.0, 2.0, 1.0, 4.0]), bins=3)),
    ("histogram_range", lambda L: L.histogram(L.tensor([1.0, 2.0, 1.0]), 4, range=(0.0, 4.0), density=True)),
    ("bitwise_top", lambda L: (L.bitwise_and(L.tensor([12]), 10), L.bitwise_or(L.tensor([12]), 10),
                               L.bitwise_xor(L.tensor([12]), 10), L.bitwise_not(L.tensor([5])))),
    ("shifts", lambda L: (L.bitwise_left_shift(L.tensor([1, 3]), 2), L.tensor([-8, 12]).bitwise_right_shift(2),
                          L.tensor([1, 2]) << 1, L.tensor([8]) >> 2)),
    ("inplace_top", lambda L: (L.relu_(L.tensor([-1.0, 2.0])), L.clamp_(L.tensor([-1.0, 2.0]), 0, 1),
                               L.sigmoid_(L.tensor([0.0])))),
    ("is_same_size", lambda L: (L.is_same_size(L.ones(2), L.zeros(2)), L.is_complex(L.ones(1)),
                                L.ones(1).is_pinned(), L.ones(1).is_shared())),
]


@pytest.mark.parametrize("name,fn", MISC_CASES, ids=[c[0] for c in MISC_CASES])
def test_misc_values_match_torch(name, fn):
    got, exp = fn(ne), fn(T)
    if name in ("promote_types",):
        assert got == exp.replace("torch.", "") if isinstance(exp, str) else got == exp
        return
    if isinstance(exp, tuple) and all(isinstance(v, (bool, int, float, type(None))) for v in exp):
        assert got == exp
        return
    _same(got, exp, rtol=1e-5, atol=1e-7)


def test_misc_settings_and_errors():
    ne.set_float32_matmul_precision("high")
    assert ne.get_float32_matmul_precision() == "high"
    ne.set_float32_matmul_precision("highest")
    for lib in (ne, T):
        with pytest.warns(UserWarning, match="low"):
            lib.set_float32_matmul_precision("low")
        assert lib.get_float32_matmul_precision() == "highest"
    ne.set_num_interop_threads(1)
    assert ne.get_num_interop_threads() == 1
    with pytest.raises(ValueError, match="num"):
        ne.set_num_interop_threads(0)
    assert str(ne.get_default_device()) == "cpu"
    ne.set_default_device("cpu")
    with pytest.raises(ne.DeviceError):
        ne.set_default_device("cuda")
    with pytest.raises(RuntimeError):
        ne.broadcast_shapes((2,), (3,))
    with pytest.raises(RuntimeError):
        ne.pdist(ne.ones(3))
    with pytest.raises(RuntimeError):
        ne.polygamma(-1, ne.ones(1))
    with pytest.raises(TypeError, match="input"):
        ne.relu_([1.0])
    assert ne.typename(ne.ones(1)) == T.typename(T.ones(1))
    a = np.zeros(3, np.float32)
    assert np.shares_memory(ne.asarray(a).data, a) and not np.shares_memory(ne.asarray(a, copy=True).data, a)
    buf = bytearray(b"\x01\x02\x03\x04")
    t = ne.frombuffer(buf, dtype=ne.uint8)
    buf[0] = 9
    assert t.tolist() == [9, 2, 3, 4]


def test_polygamma_and_i0_gradients_match_torch():
    x = np.array([0.7, 1.5, 3.0])
    for f in (lambda L, t: L.polygamma(1, t), lambda L, t: L.i0(t), lambda L, t: L.mvlgamma(t + 2, 2)):
        g, r = ne.tensor(x, requires_grad=True), T.tensor(x, requires_grad=True)
        f(ne, g).sum().backward()
        f(T, r).sum().backward()
        np.testing.assert_allclose(g.grad, r.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name,fn", [
    ("gradient", lambda L: L.gradient(L.tensor([[1.0, 2, 4, 7], [3, 5, 9, 2], [0, 1, 1, 1]]), spacing=2.0,
                                      edge_order=2)),
    ("gradient_dims", lambda L: L.gradient(L.tensor([[1.0, 2, 4, 7], [3, 5, 9, 2]]), spacing=[1.0, 2.0], dim=(0, 1))),
    ("angle", lambda L: L.angle(L.tensor([-2.0, 3.0, 0.0]))),
    ("frobenius_norm", lambda L: L.frobenius_norm(L.tensor([[3.0, 4.0], [1.0, 2.0]]), (0, 1))),
    ("nuclear_norm", lambda L: L.nuclear_norm(L.tensor([[3.0, 1.0], [0.0, -4.0]]))),
    ("constant_pad_nd", lambda L: L.constant_pad_nd(L.ones(2, 2), (1, 0, 0, 1), 5.0)),
    ("conv2d", lambda L: L.conv2d(L.ones(1, 1, 3, 3), L.ones(2, 1, 2, 2), None, 1, 1)),
    ("max_pool2d", lambda L: L.max_pool2d(L.arange(16.0).reshape(1, 1, 4, 4), 2)),
    ("dropout_eval", lambda L: L.dropout(L.ones(3), 0.5, False)),
    ("layer_norm", lambda L: L.layer_norm(L.arange(6.0).reshape(2, 3), (3,))),
    ("selu", lambda L: L.selu(L.tensor([-1.0, 1.0]))),
    ("pixel_shuffle", lambda L: L.pixel_shuffle(L.arange(8.0).reshape(1, 4, 1, 2), 2)),
])
def test_top_level_functional_and_misc_match_torch(name, fn):
    _same(fn(ne), fn(T), rtol=1e-5, atol=1e-6)


def test_flags_default_generator_and_gradient_grads():
    assert ne.has_lapack and not ne.is_anomaly_enabled()
    ne.set_anomaly_enabled(True)
    assert ne.is_anomaly_enabled() and ne.is_anomaly_check_nan_enabled()
    ne.set_anomaly_enabled(False)
    ne.set_deterministic_debug_mode("error")
    assert ne.get_deterministic_debug_mode() == 2
    ne.set_deterministic_debug_mode(0)
    with pytest.raises(RuntimeError):
        ne.set_deterministic_debug_mode("loud")
    with pytest.raises(ValueError, match="float32"):  # nnengine's default dtype is float32 only
        ne.set_default_tensor_type(ne.DoubleTensor)
    ne.set_default_tensor_type("torch.FloatTensor")
    assert ne.get_default_dtype() == np.float32
    ne.default_generator.manual_seed(4)
    a = ne.randn(3)
    ne.manual_seed(4)
    assert (ne.randn(3) == a).all() and ne.default_generator.initial_seed() == 4
    s = ne.default_generator.get_state()
    b = ne.rand(2)
    ne.default_generator.set_state(s)
    assert (ne.rand(2) == b).all()
    x = np.array([1.0, 2.0, 4.0, 8.0, 3.0])
    g, r = ne.tensor(x, requires_grad=True), T.tensor(x, requires_grad=True)
    (ne.gradient(g, edge_order=2)[0] * ne.tensor(x)).sum().backward()
    (T.gradient(r, edge_order=2)[0] * T.tensor(x)).sum().backward()
    np.testing.assert_allclose(g.grad, r.grad.numpy())
    assert ne.binomial(ne.full((100,), 10.0), ne.full((100,), 0.5)).max().item() <= 10


@pytest.mark.parametrize("name,fn", [
    ("index_put_", lambda L: L.zeros(3).index_put_((L.tensor([1, 1]),), L.tensor(2.0), accumulate=True)),
    ("i0_", lambda L: L.tensor([0.5, 2.0]).i0_()),
    ("polygamma_", lambda L: L.tensor([1.0, 2.5]).polygamma_(1)),
    ("mvlgamma_", lambda L: L.tensor([2.5, 3.0]).mvlgamma_(2)),
    ("shift_", lambda L: L.tensor([1, 2]).bitwise_left_shift_(3)),
    ("nextafter_", lambda L: L.tensor([1.0, 2.0]).nextafter_(L.tensor([2.0, 0.0]))),
    ("hardshrink", lambda L: L.tensor([-1.0, 0.2, 1.0]).hardshrink(0.5)),
    ("prelu", lambda L: L.tensor([[-1.0, 2.0]]).prelu(L.tensor([0.25]))),
    ("narrow_copy", lambda L: L.arange(5).narrow_copy(0, 1, 3)),
    ("nonzero_static", lambda L: L.tensor([[0, 3], [4, 0]]).nonzero_static(size=3, fill_value=-2)),
    ("unsafe_split", lambda L: L.arange(5).unsafe_split(2)),
    ("unsafe_chunk", lambda L: L.unsafe_chunk(L.arange(6), 3)),
    ("fill", lambda L: L.fill(L.zeros(2, dtype=L.int64), 3)),
    ("ger", lambda L: L.ger(L.tensor([1.0, 2.0]), L.tensor([3.0, 4.0]))),
    ("renorm_top", lambda L: L.renorm(L.tensor([[3.0, 4.0], [0.3, 0.4]]), 1, 0, 1.0)),
    ("put_top", lambda L: L.put(L.zeros(2, 2), L.tensor([3, 0]), L.tensor([1.0, 2.0]))),
    ("flags", lambda L: (L.is_signed(L.ones(1)), L.is_inference(L.ones(1)), L.is_neg(L.ones(1)),
                         L.ones(1).is_neg(), L.ones(1).output_nr)),
])
def test_remaining_methods_match_torch(name, fn):
    got, exp = fn(ne), fn(T)
    if isinstance(exp, tuple) and all(isinstance(v, (bool, int)) for v in exp):
        assert got == exp
        return
    _same(got, exp, rtol=1e-6, atol=1e-9)


def test_manual_seed_returns_the_default_generator(torch_or_none):
    """torch.manual_seed returns its default Generator: ``g = torch.manual_seed(0)`` then g's methods work."""
    g = ne.manual_seed(4)
    assert g is ne.default_generator and g.initial_seed() == 4
    a = ne.rand(3)
    assert bool((ne.rand(3, generator=None) != a).any())
    g.manual_seed(4)
    assert bool((ne.rand(3) == a).all())
    if torch_or_none is not None:
        assert torch_or_none.manual_seed(4) is torch_or_none.default_generator


def test_median_and_mode_with_nan_and_empty_reductions_match_torch():
    """median over a dim propagates NaN (the index of the row's first NaN, where the gradient goes), as torch's;
    mode of a row with NaN no longer raises an internal IndexError (NaNs are distinct values: NaN only for an
    all-NaN row); a reduction without an identity over an empty dim raises torch's IndexError (it raised numpy's
    messages, or an IndexError from inside nnengine), and logsumexp over an empty dim is -inf, as torch's."""
    a = np.array([[1.0, np.nan, 3.0, np.nan], [np.nan, -1.0, 2.0, 0.5], [4.0, 1.0, 2.0, 3.0]])
    for d in (0, 1, -1):
        x, xt = ne.tensor(a, requires_grad=True), T.tensor(a, requires_grad=True)
        got, ref = ne.median(x, d), T.median(xt, d)
        np.testing.assert_array_equal(got.values.numpy(), ref.values.detach().numpy())  # (NaN == NaN here)
        np.testing.assert_array_equal(got.indices.numpy(), ref.indices.numpy())
        got.values.sum().backward()
        ref.values.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())
    for row, value, index in (([np.nan, 2.0, 2.0, np.nan, np.nan], 2.0, 2), ([np.nan, np.nan, 1.0], 1.0, 2),
                              ([np.nan, np.nan], np.nan, 1), ([3.0, 1.0, 3.0], 3.0, 2)):
        v, i = ne.mode(ne.tensor(np.array([row])), 1)
        np.testing.assert_array_equal(v.numpy(), [value])
        assert i.tolist() == [index]
    for shape in ((2, 0), (0,)):
        for name, f in (("median", lambda L, x: L.median(x, -1)), ("median", lambda L, x: L.nanmedian(x, -1)),
                        ("mode", lambda L, x: L.mode(x, -1)), ("max", lambda L, x: L.max(x, -1)),
                        ("argmax", lambda L, x: L.argmax(x, -1)), ("argmin", lambda L, x: L.argmin(x, -1)),
                        ("amax", lambda L, x: L.amax(x, -1)), ("amin", lambda L, x: L.amin(x, (0, -1)))):
            with pytest.raises(IndexError, match="Expected reduction dim") as ref:
                f(T, T.zeros(shape))
            with pytest.raises(IndexError, match=rf"{name}\(\): Expected reduction dim -?\d to have non-zero size"):
                f(ne, ne.zeros(shape))
            assert isinstance(ref.value, IndexError)
        for name, f in (("max", lambda L, x: L.max(x)), ("amax", lambda L, x: L.amax(x)),
                        ("argmax", lambda L, x: L.argmax(x)), ("min", lambda L, x: L.min(x))):
            with pytest.raises((RuntimeError, IndexError), match="numel"):
                f(T, T.zeros(shape))
            with pytest.raises(ValueError, match=rf"{name}\(\): Expected reduction dim to be specified"):
                f(ne, ne.zeros(shape))
        with pytest.raises(ValueError, match="quantile.. input tensor must be non-empty"):
            ne.quantile(ne.zeros(shape), 0.5)
    ref = T.logsumexp(T.zeros(2, 0), 1)
    x = ne.zeros(2, 0, requires_grad=True)
    got = ne.logsumexp(x, 1)
    np.testing.assert_array_equal(got.numpy(), ref.numpy())
    got.sum().backward()
    assert x.grad.shape == (2, 0)
    # and over non-empty dims of an empty tensor the reductions are empty, not errors
    assert ne.zeros(0, 3).max(1).values.shape == (0,) and ne.amax(ne.zeros(0, 3), 1).shape == (0,)
