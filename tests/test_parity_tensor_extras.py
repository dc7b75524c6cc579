"""Issue 16 leftovers against torch: var/std overloads, scatter(reduce=)/scatter_reduce with gradients, and the
version check that turns an in-place write to a saved array into torch's error instead of a wrong gradient."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
from tests.conftest import require

T = require("torch")

X = np.array([[1.0, 2.0, 2.0, 3.0, 3.0], [5.0, 5.0, 1.0, 1.0, 0.0], [0.5, -1.0, 4.0, 2.0, 7.0]], np.float32)


@pytest.mark.parametrize("call", [
    lambda t: t.var(), lambda t: t.var(1), lambda t: t.var(1, False), lambda t: t.var(False), lambda t: t.var(True),
    lambda t: t.var(0, True, True), lambda t: t.var(1, keepdim=True), lambda t: t.var(1, correction=0),
    lambda t: t.var((0, 1), False), lambda t: t.std(1, True, True), lambda t: t.std(False), lambda t: t.std(0, False),
    lambda t: t.std(dim=1, correction=2, keepdim=True)])
def test_var_std_overloads_match_torch(call):
    got = call(ne.tensor(X)).numpy()
    ref = call(T.tensor(X)).numpy()
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, rtol=1e-6)


def test_var_module_function_and_errors():
    np.testing.assert_allclose(ne.var(ne.tensor(X), 1, False).numpy(), T.var(T.tensor(X), 1, False).numpy(), rtol=1e-6)
    with pytest.raises(TypeError, match="unbiased"):
        ne.tensor(X).var(1, "yes")
    with pytest.raises(TypeError, match="either unbiased or correction"):
        ne.tensor(X).var(1, True, correction=0)


def _scatter_pair(reduce, include_self, index, src_shape, self_vals=None):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 5)).astype(np.float64) if self_vals is None else self_vals
    s = rng.standard_normal(src_shape).round(0)  # rounded: ties for amax/amin, zeros for prod
    ours_a, ours_s = ne.tensor(a, requires_grad=True), ne.tensor(s, requires_grad=True)
    th_a, th_s = T.tensor(a, requires_grad=True), T.tensor(s, requires_grad=True)
    o = ours_a.scatter_reduce(1, ne.tensor(index), ours_s, reduce, include_self=include_self)
    r = th_a.scatter_reduce(1, T.tensor(index), th_s, reduce, include_self=include_self)
    w = rng.standard_normal(o.shape)
    (o * ne.tensor(w)).sum().backward()
    (r * T.tensor(w)).sum().backward()
    return o, r, (ours_a, th_a), (ours_s, th_s)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_values_and_gradients_match_torch(reduce, include_self):
    index = np.array([[0, 0, 2, 4], [1, 1, 1, 3], [4, 0, 4, 4]])
    o, r, (ga, ta), (gs, ts) = _scatter_pair(reduce, include_self, index, (3, 4))
    np.testing.assert_allclose(o.numpy(), r.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ga.grad, ta.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gs.grad, ts.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_scatter_reduce_prod_with_zeros_matches_torch():
    a = np.array([[0.0, 2.0, 3.0, 1.0, 0.0], [1.0, 0.0, 2.0, 2.0, 5.0], [1.0, 1.0, 1.0, 0.0, 1.0]])
    index = np.array([[0, 0, 1, 4], [1, 1, 1, 3], [3, 3, 4, 2]])
    for include_self in (True, False):
        o, r, (ga, ta), (gs, ts) = _scatter_pair("prod", include_self, index, (3, 4), self_vals=a)
        np.testing.assert_allclose(o.numpy(), r.detach().numpy())
        np.testing.assert_allclose(ga.grad, ta.grad.numpy(), atol=1e-12)
        np.testing.assert_allclose(gs.grad, ts.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("reduce", ["add", "multiply"])
def test_scatter_with_reduce_matches_torch(reduce):
    index = np.array([[0, 1, 0], [2, 2, 2]])
    src = np.arange(1.0, 7.0, dtype=np.float32).reshape(2, 3)
    base = np.full((2, 4), 2.0, np.float32)
    got = ne.tensor(base).scatter(1, ne.tensor(index), ne.tensor(src), reduce=reduce)
    ref = T.tensor(base).scatter(1, T.tensor(index), T.tensor(src), reduce=reduce)
    np.testing.assert_array_equal(got.numpy(), ref.numpy())
    inplace = ne.tensor(base)
    inplace.scatter_(1, ne.tensor(index), ne.tensor(src), reduce=reduce)
    np.testing.assert_array_equal(inplace.numpy(), ref.numpy())
    with pytest.raises(ValueError, match="reduce"):
        ne.tensor(base).scatter(1, ne.tensor(index), ne.tensor(src), reduce="max")


def test_scatter_reduce_integer_and_bad_arguments():
    a = ne.tensor([10, 20, 30])
    got = a.scatter_reduce(0, ne.tensor([0, 0, 2]), ne.tensor([1, 7, 3]), "mean")
    ref = T.tensor([10, 20, 30]).scatter_reduce(0, T.tensor([0, 0, 2]), T.tensor([1, 7, 3]), "mean")
    np.testing.assert_array_equal(got.numpy(), ref.numpy())
    assert got.dtype == np.int64
    with pytest.raises(ValueError, match="reduce"):
        a.scatter_reduce(0, ne.tensor([0]), ne.tensor([1]), "max")
    with pytest.raises(IndexError, match="index"):
        a.scatter_reduce(0, ne.tensor([3]), ne.tensor([1]), "sum")
    with pytest.raises(TypeError, match="index"):
        a.scatter_reduce(0, ne.tensor([0.5]), ne.tensor([1]), "sum")


# ------------------------------------------------------------------ version check on saved arrays
def test_inplace_write_to_saved_array_raises_like_torch():
    w = ne.randn(3, requires_grad=True)
    a = ne.randn(3)
    y = (w * a).sum()  # Mul saves a
    with ne.no_grad():
        a.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    tw, ta = T.randn(3, requires_grad=True), T.randn(3)
    ty = (tw * ta).sum()
    ta.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.backward()


@pytest.mark.parametrize("write", [
    lambda t: t.fill_(0.0), lambda t: t.zero_(), lambda t: t.copy_(np.ones(6, np.float32)),
    lambda t: t.mul_(2), lambda t: t.__setitem__(slice(0, 2), 5.0), lambda t: t.clamp_(0, 1),
    lambda t: t[2:].add_(1)])  # through a view: same memory
def test_every_inplace_path_is_checked(write):
    w = ne.randn(6, requires_grad=True)
    a = ne.randn(6)
    y = (w * a).sum()
    write(a)
    with pytest.raises(RuntimeError, match="inplace"):
        y.backward()


def test_inplace_write_the_graph_does_not_need_is_fine():
    w = ne.randn(3, requires_grad=True)
    a = ne.randn(3)
    y = (w + a).sum()  # Add saves nothing
    a.add_(1)
    other = ne.randn(3)
    other.mul_(3)  # unrelated memory
    y.backward()
    np.testing.assert_array_equal(w.grad, np.ones(3, np.float32))
    # a write before the op is recorded is fine too
    b = ne.randn(3)
    b.add_(1)
    z = (w * b).sum()
    w.grad = None
    z.backward()
    np.testing.assert_allclose(w.grad, b.numpy())


def test_float64_gradients_stay_float64():
    z = ne.randn(4, dtype=ne.float64, requires_grad=True)
    (z * z).sum().backward()
    assert z.grad.dtype == np.float64
    np.testing.assert_allclose(z.grad, 2 * z.numpy(), rtol=1e-15)


# ------------------------------------------------------------------ fused MSE == the glue ops it replaced
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(1, 1), (7, 3), (2, 3, 5)])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_mse_loss_node_equals_the_glue_ops_bit_for_bit(reduction, shape, dt):
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(shape).astype(dt), rng.standard_normal(shape).astype(np.float32)
    grads = []
    for fused in (True, False):
        a, b = ne.tensor(x, requires_grad=True), ne.tensor(y, requires_grad=True)
        if fused:
            out = ne.functional.mse_loss(a, b, reduction=reduction)
        else:
            d = a - b
            out = {"mean": lambda t: t.mean(), "sum": lambda t: t.sum(), "none": lambda t: t}[reduction](d * d)
        (out * ne.tensor(np.linspace(0.5, 2, out.numel()).reshape(out.shape))).sum().backward()
        grads.append((out.numpy(), a.grad, b.grad, out.dtype))
    (o1, ga1, gb1, d1), (o2, ga2, gb2, d2) = grads
    assert d1 == d2
    np.testing.assert_array_equal(o1, o2)
    np.testing.assert_array_equal(ga1, ga2)
    np.testing.assert_array_equal(gb1, gb2)
    ref = T.nn.functional.mse_loss(T.tensor(x), T.tensor(y.astype(dt)), reduction=reduction).numpy()
    np.testing.assert_allclose(o1, ref, rtol=1e-6)


def test_fuzz_findings_narrow_and_index_put_validate_their_arguments():
    # scripts/fuzz.py Tensor.extras_sparse: numpy's IndexError leaked from a 0-d narrow and from index_put
    with pytest.raises(ValueError, match="0-dim"):
        ne.tensor(1.0).narrow_copy(0, 0, 1)
    with pytest.raises(ValueError, match="length"):
        ne.ones(3).narrow(0, 0, -1)
    for idx in ((ne.tensor([0]),), (np.array([0j, 1j]),)):
        with pytest.raises(IndexError, match="indices") as info:
            ne.tensor([1.0, 2.0]).index_put(idx + idx, ne.tensor(1.0))
        assert isinstance(info.value, ValueError)
    with pytest.raises(ValueError, match="out of bounds"):
        ne.ones(2).index_put((ne.tensor([5]),), ne.tensor(1.5), accumulate=True)


def test_new_empty_strided_validates_the_strides():
    assert ne.ones(1).new_empty_strided((2, 3), (3, 1)).shape == (2, 3)
    for stride in ((-1, 1), (1,), "x"):
        with pytest.raises(ValueError, match="stride"):
            ne.ones(1).new_empty_strided((2, 2), stride)


def test_prod_gradient_of_a_0d_tensor_over_its_dim():
    """``x.prod(-1)`` / ``x.prod(0)`` of a 0-d tensor is the element, its gradient 1 (torch); the backward's
    exclusive products indexed a dimension the 0-d array does not have (found by the fuzz campaign)."""
    x = ne.tensor(np.float32(3), requires_grad=True)
    for dim, keep in ((-1, False), (0, True)):
        (g,) = ne.autograd.grad(x.prod(dim, keepdim=keep), [x])
        assert g.shape == () and float(g) == 1.0


def test_storage_is_the_shared_flat_memory_as_torch():
    # the idioms of torch's book chapter on tensor storage: views share one storage, writes go through it
    data = [[4.0, 1.0], [5.0, 3.0], [2.0, 1.0]]
    p, tp = ne.tensor(data), T.tensor(data)
    s, ts = p.storage(), tp.storage()
    assert len(s) == len(ts) == s.size() and list(s) == list(ts) and s.tolist() == ts.tolist()
    assert s[1] == ts[1] and s[-1] == ts[-1] and s.element_size() == ts.element_size() and s.dtype == np.float32
    second = p[1]
    assert second.storage_offset() == tp[1].storage_offset() == 2
    assert second.storage().data_ptr() == s.data_ptr() == p.t().storage().data_ptr()
    s[0] = 2.0
    assert p[0, 0].item() == 2.0
    s[2:4] = [7.0, 8.0]
    assert p[1].tolist() == [7.0, 8.0]
    s.fill_(0.0)
    assert float(p.abs().sum()) == 0.0
    assert p.untyped_storage().nbytes() == tp.untyped_storage().nbytes() == 24
    assert p.untyped_storage().data_ptr() == p[1:].untyped_storage().data_ptr() != ne.zeros(3).untyped_storage().data_ptr()
    assert repr(ne.tensor([1.0, 2.0]).storage()).startswith(" 1.0\n 2.0\n[nnengine.TypedStorage(dtype=float32")
    with pytest.raises(IndexError):
        s[6]
    with pytest.raises(TypeError):
        s["a"]


@pytest.mark.parametrize("args", [((4, 3), (1, 1)), ((3, 4), (4, 1)), ((2, 2), (1, 4), 3), ((3,), (0,)),
                                  ((2, 0), (1, 1)), ((2, 3, 2), (4, 1, 2))], ids=str)
def test_as_strided_matches_torch(args):
    x = np.arange(12, dtype=np.float32)
    np.testing.assert_array_equal(ne.tensor(x).as_strided(*args).numpy(), T.tensor(x).as_strided(*args).numpy())
    np.testing.assert_array_equal(ne.as_strided(ne.tensor(x), *args).numpy(), T.as_strided(T.tensor(x), *args).numpy())
    a, b = ne.tensor(x, requires_grad=True), T.tensor(x, requires_grad=True)
    ya, yb = a.as_strided(*args), b.as_strided(*args)
    g = np.random.default_rng(0).standard_normal(tuple(yb.shape)).astype(np.float32)
    ya.backward(ne.tensor(g))
    yb.backward(T.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6)  # overlapping windows add


def test_as_strided_views_offsets_and_errors():
    x = np.arange(12, dtype=np.float32)
    v, tv = ne.tensor(x)[2:], T.tensor(x)[2:]  # the default offset is the view's own
    assert v.as_strided((2,), (1,)).tolist() == tv.as_strided((2,), (1,)).tolist() == [2.0, 3.0]
    w = ne.zeros(6)
    w.as_strided((3,), (2,))[...] = 1.0  # without a tape: a view of the memory, as torch's
    assert w.tolist() == [1.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    with pytest.raises(ValueError, match="reaches element 12"):
        ne.tensor(x).as_strided((5,), (3,))
    with pytest.raises(ValueError, match="stride"):
        ne.tensor(x).as_strided((2, 2), (1,))
    with pytest.raises(ValueError, match="size"):
        ne.tensor(x).as_strided((-1,), (1,))
    with pytest.raises(ValueError, match="inside the tensor's own"):
        ne.tensor(x, requires_grad=True)[::2].as_strided((3,), (1,))
