"""Issue 16 (PyTorch parity I, tensor side): every item compared against torch itself -- values, dtypes,
shapes, gradients (incl. which index receives a tie's gradient) and error types."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import nnengine as ne
from tests.conftest import require

T = require("torch")


def tt(t):
    """torch tensor -> numpy (detached)."""
    return t.detach().numpy()


def ndt(torch_dtype) -> np.dtype:
    return tt(T.zeros(1, dtype=torch_dtype)).dtype


# ------------------------------------------------------------------ import swap and namespaces
def test_import_swap_namespaces():
    import nnengine.backends.cudnn as cudnn
    import nnengine.nn.functional as F
    import nnengine.utils.data
    from nnengine.utils.data import DataLoader, Dataset

    assert F is ne.functional and nnengine.utils.data is ne.data
    assert DataLoader is ne.data.DataLoader and Dataset is ne.data.Dataset
    cudnn.benchmark = True
    cudnn.deterministic = True
    assert not ne.backends.mps.is_available()
    assert not ne.cuda.is_available() and ne.cuda.device_count() == 0
    ne.cuda.manual_seed(0)
    ne.cuda.manual_seed_all(0)
    assert not ne.accelerator.is_available() and ne.accelerator.current_accelerator() is None


def test_plain_import_reaches_distributed_multiprocessing_and_nn_parallel():
    # a fresh interpreter: `import torch` alone makes torch.distributed, torch.multiprocessing and
    # torch.nn.parallel reachable; nnengine imports them on first use (not at `import nnengine`)
    code = ("import sys, nnengine as torch\n"
            "assert 'nnengine.distributed' not in sys.modules and 'nnengine.multiprocessing' not in sys.modules\n"
            "ddp = torch.nn.parallel.DistributedDataParallel\n"
            "assert ddp is torch.distributed.DistributedDataParallel and torch.distributed.is_available()\n"
            "assert torch.multiprocessing.spawn and torch.multiprocessing.Process\n"
            "for mod, name in ((torch, 'nope'), (torch.nn, 'parallels')):\n"
            "    try:\n"
            "        getattr(mod, name)\n"
            "    except AttributeError as e:\n"
            "        assert name in str(e)\n"
            "    else:\n"
            "        raise SystemExit(name)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


# ------------------------------------------------------------------ dtypes
@pytest.mark.parametrize("name", ["float32", "float", "float64", "double", "int64", "long", "int32", "int", "bool",
                                  "uint8", "int8", "int16", "float16", "half"])
def test_dtype_objects_match_torch(name):
    d = getattr(ne, name)
    assert d == ndt(getattr(T, name))
    assert ne.zeros(2, dtype=d).dtype == d


@pytest.mark.parametrize("data", [[1, 2, 3], [1.0, 2], [True, False], 3, 2.5, True, [[1, 2], [3, 4]]])
def test_tensor_inference(data):
    assert ne.tensor(data).dtype == ndt(T.tensor(data).dtype)
    np.testing.assert_array_equal(ne.tensor(data).data, tt(T.tensor(data)))


@pytest.mark.parametrize("dt", [np.float64, np.float32, np.int32, np.int64, np.uint8, np.bool_, np.float16])
def test_numpy_keeps_dtype_and_from_numpy_shares(dt):
    a = np.arange(6).reshape(2, 3).astype(dt)
    assert ne.tensor(a).dtype == tt(T.tensor(a)).dtype == dt
    t = ne.from_numpy(a)
    assert t.dtype == dt and np.shares_memory(t.data, a)
    t[0, 0] = 1
    assert a[0, 0] == 1
    with pytest.raises(TypeError):
        ne.from_numpy([1, 2])


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        T.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        ne.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError):
        ne.zeros(2, dtype=ne.long).requires_grad_()


@pytest.mark.parametrize("factory,args", [
    ("zeros", (2, 3)), ("ones", (2, 3)), ("empty", (2, 3)), ("rand", (2, 3)), ("randn", (2, 3)),
    ("eye", (3,)),
])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_factories_dtype_device(factory, args, dtype):
    if factory in ("rand", "randn") and dtype == "int64":
        return
    out = getattr(ne, factory)(*args, dtype=getattr(ne, dtype), device="cpu")
    ref = getattr(T, factory)(*args, dtype=getattr(T, dtype), device="cpu")
    assert out.shape == tuple(ref.shape) and out.dtype == ndt(ref.dtype)
    if factory not in ("empty", "rand", "randn"):
        np.testing.assert_array_equal(out.data, tt(ref))


def test_factories_inference_and_like():
    for args, kw in [((5,), {}), ((1, 4), {}), ((0, 1, 0.25), {}), ((2, 8, 3), {}), ((5,), {"dtype": "float64"})]:
        kwn = {k: getattr(ne, v) for k, v in kw.items()}
        kwt = {k: getattr(T, v) for k, v in kw.items()}
        a, b = ne.arange(*args, **kwn), T.arange(*args, **kwt)
        assert a.dtype == ndt(b.dtype)
        np.testing.assert_allclose(a.data, tt(b), rtol=1e-6)
    for v in (7, 2.5, True):
        assert ne.full((2,), v).dtype == ndt(T.full((2,), v).dtype)
    np.testing.assert_allclose(ne.linspace(0, 1, 7).data, tt(T.linspace(0, 1, 7)), rtol=1e-6)
    assert ne.linspace(0, 1, 7).dtype == np.float32
    x = ne.tensor([[1, 2]])
    for f in ("zeros_like", "ones_like", "empty_like"):
        r = getattr(ne, f)(x)
        assert r.dtype == np.int64 and r.shape == (1, 2)
    assert ne.full_like(x, 3).data.tolist() == [[3, 3]]
    assert ne.zeros_like(x, dtype=ne.float32).dtype == np.float32
    assert ne.randn_like(ne.zeros(3, 2)).shape == (3, 2) and ne.rand_like(ne.zeros(3)).dtype == np.float32
    r = ne.randint(0, 10, (50,))
    assert r.dtype == np.int64 and 0 <= r.data.min() and r.data.max() < 10
    assert ne.randint(5, (3,)).shape == (3,)
    assert sorted(ne.randperm(6).tolist()) == list(range(6)) and ne.randperm(6).dtype == np.int64
    assert ne.normal(0.0, 1.0, (4, 2)).shape == (4, 2)
    assert ne.normal(ne.zeros(3), ne.ones(3)).shape == (3,)


def test_type_and_conversions():
    x = ne.tensor([1.5, -2.5])
    assert x.type() == T.tensor([1.5]).type() == "torch.FloatTensor"
    assert ne.tensor([1]).type() == T.tensor([1]).type() == "torch.LongTensor"
    assert x.type(ne.int64).dtype == np.int64 and x.type("torch.DoubleTensor").dtype == np.float64
    for m in ("double", "float", "long", "int", "bool", "half"):
        a, b = getattr(x, m)(), getattr(T.tensor([1.5, -2.5]), m)()
        assert a.dtype == ndt(b.dtype)
        np.testing.assert_array_equal(a.data, tt(b))
    assert x.float() is x
    w = ne.tensor([1.0, 2.0], requires_grad=True)
    w.double().sum().backward()
    np.testing.assert_allclose(w.grad, [1.0, 1.0])
    assert not w.long().requires_grad


@pytest.mark.parametrize("a,b", [
    ("int64", "float32"), ("int32", "int64"), ("float32", "float64"), ("bool", "int64"), ("uint8", "int8"),
    ("float16", "float32"), ("bool", "float32"),
])
@pytest.mark.parametrize("op", ["add", "mul", "sub", "truediv"])
def test_binary_promotion_like_torch(a, b, op):
    if op == "sub" and "bool" in (a, b):
        return
    xa = np.array([1, 2, 3]).astype(ndt(getattr(T, a)))
    xb = np.array([2, 1, 1]).astype(ndt(getattr(T, b)))
    f = getattr(__import__("operator"), op)
    r = f(ne.tensor(xa), ne.tensor(xb))
    ref = f(T.tensor(xa), T.tensor(xb))
    assert r.dtype == ndt(ref.dtype), (a, b, op)
    np.testing.assert_allclose(r.data.astype(np.float64), tt(ref).astype(np.float64), rtol=1e-3)


@pytest.mark.parametrize("dt", ["int64", "int32", "float32", "float64", "bool", "float16"])
@pytest.mark.parametrize("scalar", [2, 2.5, True])
def test_scalar_promotion_like_torch(dt, scalar):
    x = np.array([1, 0, 3]).astype(ndt(getattr(T, dt)))
    for op in ("add", "mul"):
        f = getattr(__import__("operator"), op)
        r, ref = f(ne.tensor(x), scalar), f(T.tensor(x), scalar)
        assert r.dtype == ndt(ref.dtype), (dt, scalar, op)
        r, ref = f(scalar, ne.tensor(x)), f(scalar, T.tensor(x))
        assert r.dtype == ndt(ref.dtype), (dt, scalar, op)


def test_zero_dim_promotion_and_where_sum():
    a = ne.tensor(np.array([1, 2], np.int32))
    assert (a + ne.tensor(5)).dtype == ndt((T.tensor([1, 2], dtype=T.int32) + T.tensor(5)).dtype)
    assert (ne.ones(2) + ne.tensor(np.float64(1))).dtype == np.float32
    c = ne.tensor([True, False, True])
    assert ne.where(c, 1, 0).dtype == ndt(T.where(T.tensor([True, False, True]), 1, 0).dtype)
    assert ne.where(c, 1.0, 0).dtype == np.float32
    assert c.sum().dtype == ndt(T.tensor([True, False]).sum().dtype) and c.sum().item() == 2
    assert ne.tensor([1, 2]).sum().dtype == np.int64
    with pytest.raises(RuntimeError):
        ne.tensor([1, 2]).mean()
    assert (ne.tensor([3]) / ne.tensor([2])).dtype == np.float32
    assert (ne.tensor([3]) // 2).tolist() == [1] and (ne.tensor([-3]) % 2).tolist() == [1]
    x = ne.tensor(np.array([1.0, 2.0]))
    assert (x * 2).dtype == np.float64 and x.sum().dtype == np.float64
    assert ne.cat([ne.tensor([1]), ne.tensor([1.5])]).dtype == np.float32


# ------------------------------------------------------------------ (values, indices) reductions
def _grad_pair(fn_ne, fn_t, x):
    a = ne.tensor(x, requires_grad=True)
    b = T.tensor(x, requires_grad=True)
    oa, ob = fn_ne(a), fn_t(b)
    ga = np.arange(1, oa.data.size + 1, dtype=np.float32).reshape(oa.shape)
    oa.backward(ga)
    ob.backward(T.tensor(ga))
    np.testing.assert_allclose(oa.data, tt(ob), rtol=1e-6)
    np.testing.assert_allclose(a.grad, tt(b.grad), rtol=1e-6)


TIES = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [5.0, -1.0, 5.0, -1.0]], np.float32)


def test_keepdims_numpy_spelling_like_torch():
    """torch's argument parser takes numpy's ``keepdims`` for ``keepdim`` (karpathy: ``P.sum(1, keepdims=True)``)."""
    a = np.arange(1.0, 13.0, dtype=np.float32).reshape(3, 4)
    x, tx = ne.tensor(a), T.tensor(a)
    for name in ("sum", "mean", "std", "var", "prod", "amax", "amin", "logsumexp", "argmax", "argmin", "all",
                 "any"):
        got, want = getattr(x, name)(1, keepdims=True), getattr(tx, name)(1, keepdims=True)
        np.testing.assert_allclose(got.numpy(), tt(want), rtol=1e-6, err_msg=name)
    for name in ("max", "min", "median"):
        got, want = getattr(x, name)(0, keepdims=True), getattr(tx, name)(0, keepdims=True)
        assert got.values.shape == tuple(want.values.shape) and got.indices.tolist() == want.indices.tolist()
    np.testing.assert_allclose(ne.sum(x, 0, keepdims=True).numpy(), tt(T.sum(tx, 0, keepdims=True)))
    w = ne.tensor(a, requires_grad=True)
    (w / w.sum(1, keepdims=True)).sum().backward()  # differentiable as keepdim
    assert w.grad.shape == (3, 4)


def test_requires_grad_set_as_an_attribute_is_a_trainable_leaf():
    """``p.requires_grad = True`` (karpathy's lectures) instead of ``requires_grad_()``: after backward, ``p.data``
    has torch's methods like a Parameter's (``p.data.std()`` a Tensor, Bessel-corrected), so karpathy's
    ``((lr * p.grad).std() / p.data.std()).log10().item()`` runs. (``lr * p.grad`` is a numpy array here, the
    documented ``.grad`` difference, so its ``std()`` is numpy's.)"""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 4)).astype(np.float32)
    vals = []
    for lib in (ne, T):
        p = lib.tensor(a)
        p.requires_grad = True
        (p * p).sum().backward()
        vals.append((p.data.std().item(), p.grad.std().item(), p.data.std().log10().item()))
        ((0.1 * p.grad).std() / p.data.std()).log10().item()
    np.testing.assert_allclose(vals[0], vals[1], rtol=1e-5)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_dim_named_tuple_and_tie_gradient(name, keepdim):
    x = ne.tensor(TIES)
    r, ref = getattr(x, name)(1, keepdim), getattr(T.tensor(TIES), name)(1, keepdim)
    v, i = r
    assert r[1] is i and r.values is v and r.indices is i
    np.testing.assert_array_equal(v.data, tt(ref.values))
    np.testing.assert_array_equal(i.data, tt(ref.indices))
    assert i.dtype == np.int64
    _grad_pair(lambda t: getattr(t, name)(1, keepdim)[0], lambda t: getattr(t, name)(1, keepdim)[0], TIES)
    _grad_pair(lambda t: getattr(ne, name)(t, dim=0).values, lambda t: getattr(T, name)(t, dim=0).values, TIES)


def test_max_without_dim_and_elementwise():
    _grad_pair(lambda t: t.max(), lambda t: t.max(), TIES)
    _grad_pair(lambda t: t.min(), lambda t: t.min(), TIES)
    assert ne.tensor(TIES).max().shape == ()
    a = np.array([1.0, 2.0, 3.0], np.float32)
    b = np.array([1.0, 3.0, 2.0], np.float32)
    for fn in ("max", "min", "maximum", "minimum"):
        x, y = ne.tensor(a, requires_grad=True), ne.tensor(b, requires_grad=True)
        tx, ty = T.tensor(a, requires_grad=True), T.tensor(b, requires_grad=True)
        o, to = getattr(ne, fn)(x, y), getattr(T, fn)(tx, ty)
        np.testing.assert_array_equal(o.data, tt(to))
        o.backward(np.array([1.0, 2.0, 3.0], np.float32))
        to.backward(T.tensor([1.0, 2.0, 3.0]))
        np.testing.assert_allclose(x.grad, tt(tx.grad))
        np.testing.assert_allclose(y.grad, tt(ty.grad))
    out = ne.tensor(TIES)
    assert out.max(1)[1].tolist() == T.tensor(TIES).max(1)[1].tolist()
    assert ne.tensor(TIES).argmax(1).tolist() == T.tensor(TIES).argmax(1).tolist()
    assert ne.tensor(TIES).argmin().item() == T.tensor(TIES).argmin().item()
    assert ne.tensor(TIES).argmax(1, keepdim=True).shape == (3, 1)


X = np.array([[3.0, 1.0, 4.0, 1.5, 9.0], [2.0, 7.0, 1.0, 8.0, 2.5], [0.5, -1.0, 6.0, 2.0, 5.0]], np.float32)


@pytest.mark.parametrize("case", [
    ("sort", (), {}), ("sort", (0,), {}), ("sort", (1,), {"descending": True}),
    ("topk", (2,), {}), ("topk", (2, 0), {}), ("topk", (3,), {"largest": False}),
    ("kthvalue", (2,), {}), ("kthvalue", (2, 0), {"keepdim": True}),
    ("median", (1,), {}), ("median", (0,), {"keepdim": True}),
    ("mode", (1,), {}),
])
def test_value_index_reductions_match_torch(case):
    name, args, kw = case
    r, ref = getattr(ne.tensor(X), name)(*args, **kw), getattr(T.tensor(X), name)(*args, **kw)
    assert type(r).__name__ == name and r._fields == ("values", "indices")
    np.testing.assert_array_equal(r.values.data, tt(ref.values))
    if name != "mode":
        np.testing.assert_array_equal(r.indices.data, tt(ref.indices))
    assert r.indices.dtype == np.int64
    _grad_pair(lambda t: getattr(t, name)(*args, **kw)[0], lambda t: getattr(t, name)(*args, **kw)[0], X)
    _grad_pair(lambda t: getattr(ne, name)(t, *args, **kw)[0], lambda t: getattr(T, name)(t, *args, **kw)[0], X)


def test_reduction_ties_give_gradient_to_the_index():
    x = np.array([[1.0, 2.0, 2.0, 0.0, 2.0]], np.float32)
    for name, args in (("sort", (1, True)), ("topk", (2,)), ("kthvalue", (4,)), ("median", (1,))):
        t = ne.tensor(x, requires_grad=True)
        v, i = getattr(t, name)(*args)
        v.sum().backward()
        expect = np.zeros_like(x)
        np.add.at(expect, (np.zeros_like(i.data), i.data), 1.0)
        np.testing.assert_array_equal(t.grad, expect)  # each gradient at exactly the reported index
    _grad_pair(lambda t: t.median(), lambda t: t.median(), x)
    m = np.array([1.0, 2.0, 2.0, 3.0, 4.0], np.float32)
    assert ne.tensor(m).median().item() == T.tensor(m).median().item()
    assert ne.tensor(m[:4]).median().item() == T.tensor(m[:4]).median().item()


# ------------------------------------------------------------------ devices
def test_devices():
    d = ne.device("cpu")
    assert str(d) == "cpu" and d == "cpu" and ne.device("cpu:0") == "cpu:0" and str(ne.device("cpu:0")) == "cpu:0"
    assert repr(d) == repr(T.device("cpu"))
    x = ne.ones(2, device=d)
    assert x.device == "cpu" and x.device == ne.device("cpu") and not x.is_cuda
    t = T.ones(2)
    for flag in ("is_cuda", "is_xpu", "is_mps", "is_meta", "is_cpu"):  # dcgan: `input.is_cuda or input.is_xpu`
        assert getattr(x, flag) == getattr(t, flag), flag
    assert x.to("cpu") is x and x.cpu() is x and x.to(d) is x
    assert x.to(ne.float64).dtype == np.float64
    assert x.to("cpu", ne.int64).dtype == np.int64
    assert x.to(device="cpu", dtype=ne.float16).dtype == np.float16
    assert x.to(ne.tensor([1])).dtype == np.int64
    assert x.to(ne.float64, copy=True) is not x
    with pytest.raises(RuntimeError, match="cuda:0"):
        x.to("cuda:0")
    with pytest.raises(ValueError, match="CPU only"):
        x.to(ne.device("cuda"))
    with pytest.raises(RuntimeError, match="CPU only"):
        x.cuda()
    with pytest.raises(RuntimeError, match="mps"):
        ne.zeros(2, device="mps")
    assert ne._device.check_device(None, "device") == "cpu"
    with pytest.raises(RuntimeError, match="nnengine runs on the CPU only; got device 'cuda:1'"):
        ne._device.check_device("cuda:1", "device")
    assert ne.tensor([1.0], device="cpu").device == "cpu"


# ------------------------------------------------------------------ function namespace
A = np.array([[0.3, -1.2, 2.0], [1.5, 0.7, -0.4]], np.float32)
P = np.abs(A) + 0.5


@pytest.mark.parametrize("name,args,x", [
    ("exp", (), A), ("log", (), P), ("log1p", (), P), ("expm1", (), A), ("sqrt", (), P), ("abs", (), A),
    ("sigmoid", (), A), ("tanh", (), A), ("relu", (), A), ("softmax", (1,), A), ("log_softmax", (0,), A),
    ("sum", (), A), ("sum", (1,), A), ("mean", (0,), A), ("std", (1,), A), ("var", (), A), ("prod", (), P),
    ("prod", (1,), A), ("clamp", (-0.5, 0.5), A), ("clip", (-0.5, 0.5), A), ("flatten", (), A),
    ("reshape", ((3, 2),), A), ("squeeze", (), A[None]), ("unsqueeze", (1,), A), ("transpose", (0, 1), A),
    ("permute", ((1, 0),), A), ("narrow", (1, 1, 2), A), ("sign", (), A), ("floor", (), A), ("ceil", (), A),
    ("round", (), A), ("pow", (2,), A), ("sin", (), A), ("cos", (), A), ("erf", (), A),
    ("logsumexp", (1,), A), ("cumsum", (1,), A), ("cumsum", (0,), A), ("diag", (), A[:, :2]), ("diag", (), A[0]),
    ("diag", (1,), A), ("tril", (), A), ("triu", (1,), A), ("square", (), A), ("rsqrt", (), P),
    ("norm", (), A), ("norm", (1,), A), ("norm", (float("inf"),), A), ("norm", (2, 1), A), ("norm", (1, 0, True), A),
    ("amax", (1,), TIES), ("amin", (0,), TIES), ("flip", ((1,),), A),
])
def test_functions_match_torch(name, args, x):
    _grad_pair(lambda t: getattr(ne, name)(t, *args), lambda t: getattr(T, name)(t, *args), x)
    _grad_pair(lambda t: getattr(t, name)(*args), lambda t: getattr(T.Tensor, name)(t, *args), x)


def test_products_and_einsum():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((4, 5)).astype(np.float32)
    c, d = rng.standard_normal((2, 3, 4)).astype(np.float32), rng.standard_normal((2, 4, 2)).astype(np.float32)
    v, w = rng.standard_normal(4).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    cases = [("mm", (a, b)), ("matmul", (c, d)), ("bmm", (c, d)), ("dot", (v, v * 2)), ("outer", (v, w)),
             ("matmul", (a, v))]
    for name, (p, q) in cases:
        xs, ts = [ne.tensor(p, requires_grad=True), ne.tensor(q, requires_grad=True)], \
            [T.tensor(p, requires_grad=True), T.tensor(q, requires_grad=True)]
        o, to = getattr(ne, name)(*xs), getattr(T, name)(*ts)
        np.testing.assert_allclose(o.data, tt(to), rtol=1e-5, atol=1e-5)
        o.sum().backward()
        to.sum().backward()
        for x, t in zip(xs, ts):
            np.testing.assert_allclose(x.grad, tt(t.grad), rtol=1e-5, atol=1e-5)
    with pytest.raises(RuntimeError):
        ne.mm(ne.tensor(c), ne.tensor(d))
    for eq, ops in [("ij,jk->ik", (a, b)), ("bij,bjk->bik", (c, d)), ("ii->i", (a[:, :3],)), ("ij->", (a,)),
                    ("i,i->", (v, v)), ("ij,j", (a, v)), ("...ij,...jk->...ik", (c, d)), ("ij->ji", (a,)),
                    ("bij->j", (c,)), ("i,j->ij", (v, w))]:
        xs = [ne.tensor(o, requires_grad=True) for o in ops]
        ts = [T.tensor(o, requires_grad=True) for o in ops]
        o, to = ne.einsum(eq, *xs), T.einsum(eq, *ts)
        np.testing.assert_allclose(o.data, tt(to), rtol=1e-5, atol=1e-5)
        g = rng.standard_normal(o.shape).astype(np.float32)
        o.backward(g)
        to.backward(T.tensor(g))
        for x, t in zip(xs, ts):
            np.testing.assert_allclose(x.grad, tt(t.grad), rtol=1e-5, atol=1e-5, err_msg=eq)
    assert ne.einsum("ij,jk->ik", [ne.tensor(a), ne.tensor(b)]).shape == (3, 5)


def test_split_chunk_cat_stack_gather_scatter():
    x = np.arange(20, dtype=np.float32).reshape(4, 5)
    for args in ((2,), (2, 1), ([1, 3],), ([2, 3], 1)):
        r, ref = ne.split(ne.tensor(x), *args), T.split(T.tensor(x), *args)
        assert [p.data.tolist() for p in r] == [tt(p).tolist() for p in ref]
    for args in ((3,), (2, 1), (3, 1)):
        r, ref = ne.tensor(x).chunk(*args), T.tensor(x).chunk(*args)
        assert [p.shape for p in r] == [tuple(p.shape) for p in ref]
    t = ne.tensor(x, requires_grad=True)
    a, b = t.split(2)
    ne.cat([b, a], 1).sum().backward()
    np.testing.assert_array_equal(t.grad, np.ones_like(x))
    assert ne.concat([ne.tensor(x), ne.tensor(x)]).shape == (8, 5)
    assert ne.stack([ne.tensor(x)] * 3, 1).shape == (4, 3, 5)
    idx = np.array([[0, 0, 2], [1, 4, 4], [3, 2, 1], [0, 1, 2]])
    _grad_pair(lambda t: ne.gather(t, 1, ne.tensor(idx)), lambda t: T.gather(t, 1, T.tensor(idx)), x)
    _grad_pair(lambda t: t.gather(0, ne.tensor(idx[:2, :3] % 4)), lambda t: t.gather(0, T.tensor(idx[:2, :3] % 4)), x)
    sidx = np.array([[0, 2], [4, 1], [3, 2], [0, 1]])
    src = np.full((4, 2), 9.0, np.float32)
    np.testing.assert_array_equal(ne.scatter(ne.tensor(x), 1, ne.tensor(sidx), ne.tensor(src)).data,
                                  tt(T.scatter(T.tensor(x), 1, T.tensor(sidx), T.tensor(src))))
    np.testing.assert_array_equal(ne.tensor(x).scatter(1, ne.tensor(sidx), 7.0).data,
                                  tt(T.tensor(x).scatter(1, T.tensor(sidx), 7.0)))
    _grad_pair(lambda t: t.scatter(1, ne.tensor(sidx), 0.0), lambda t: t.scatter(1, T.tensor(sidx), 0.0), x)
    np.testing.assert_array_equal(ne.tensor(x).scatter_add(1, ne.tensor(sidx), ne.tensor(src)).data,
                                  tt(T.tensor(x).scatter_add(1, T.tensor(sidx), T.tensor(src))))
    mask = x % 3 == 0
    _grad_pair(lambda t: t.masked_fill(ne.tensor(mask), -1.0), lambda t: t.masked_fill(T.tensor(mask), -1.0), x)
    _grad_pair(lambda t: ne.masked_fill(t, ne.tensor(mask), 0.5), lambda t: T.masked_fill(t, T.tensor(mask), 0.5), x)
    _grad_pair(lambda t: t.index_select(1, ne.tensor([4, 0, 4])), lambda t: t.index_select(1, T.tensor([4, 0, 4])), x)
    _grad_pair(lambda t: t.repeat(2, 1, 3), lambda t: t.repeat(2, 1, 3), x)
    _grad_pair(lambda t: t.expand_as(ne.zeros(3, 4, 5)), lambda t: t.expand_as(T.zeros(3, 4, 5)), x)
    assert [u.shape for u in ne.tensor(x).unbind(1)] == [(4,)] * 5


def test_misc_functions():
    x = np.array([1.0, np.nan, np.inf, -2.0], np.float32)
    for f in ("isnan", "isinf", "isfinite"):
        assert getattr(ne, f)(ne.tensor(x)).data.tolist() == tt(getattr(T, f)(T.tensor(x))).tolist()
    assert ne.allclose(ne.ones(2), ne.ones(2) + 1e-9) and not ne.allclose(ne.ones(2), ne.zeros(2))
    assert ne.equal(ne.ones(2), ne.ones(2)) and not ne.equal(ne.ones(2), ne.ones(3))
    assert ne.numel(ne.zeros(3, 4)) == 12 and ne.is_tensor(ne.zeros(1)) and not ne.is_tensor(np.zeros(1))
    ne.set_printoptions(precision=2)
    ne.set_printoptions(precision=4)
    assert ne.eye(3, 2).shape == (3, 2)
    assert ne.pow(2, ne.tensor([1.0, 3.0])).tolist() == [2.0, 8.0]


# ------------------------------------------------------------------ Tensor surface
def test_tensor_methods_surface():
    x = ne.tensor(A)
    assert x.size(1) == 3 and x.size() == (2, 3) and x.dim() == 2 and x.numel() == 6 and x.nelement() == 6
    assert x.element_size() == 4 and ne.tensor([1]).element_size() == 8
    assert x.new_zeros(2, 2).dtype == np.float32 and ne.tensor([1]).new_ones((2,)).dtype == np.int64
    assert x.new_full((2,), 3.0).tolist() == [3.0, 3.0] and x.new_tensor([1, 2]).dtype == np.float32
    assert x.new_empty(3).shape == (3,)
    assert x.t().shape == (3, 2) and x.T.shape == (3, 2) and ne.zeros(4, 2, 3).mT.shape == (4, 3, 2)
    assert x.view_as(ne.zeros(3, 2)).shape == (3, 2) and x.reshape_as(ne.zeros(6)).shape == (6,)
    assert x.tolist() == A.tolist() and ne.tensor(2.5).item() == 2.5 and isinstance(ne.tensor(3).item(), int)
    assert f"{ne.tensor(1.2345):.2f}" == f"{T.tensor(1.2345):.2f}" == "1.23"
    with pytest.raises(TypeError):
        f"{ne.tensor([1.0, 2.0]):.2f}"  # noqa: B018
    assert len(x) == 2 and [r.shape for r in x] == [(3,), (3,)]
    with pytest.raises(TypeError):
        len(ne.tensor(1.0))
    with pytest.raises(TypeError):
        iter(ne.tensor(1.0)).__next__()
    assert bool(ne.tensor([1.0])) and float(ne.tensor(2.0)) == 2.0 and int(ne.tensor(3)) == 3
    assert [10, 20, 30][ne.tensor(1)] == 20
    with pytest.raises(RuntimeError):
        bool(ne.ones(2))
    with pytest.raises(RuntimeError):
        ne.ones(2).item()


def test_view_contiguous_like_torch():
    x = ne.tensor(A)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x.t().view(6)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        T.tensor(A).t().view(6)
    assert not x.t().is_contiguous() and x.is_contiguous()
    c = x.t().contiguous()
    assert c.is_contiguous() and c.data.flags.c_contiguous
    np.testing.assert_array_equal(c.view(6).data, tt(T.tensor(A).t().contiguous().view(6)))
    assert x.contiguous() is x
    v = x.view(3, 2)
    assert np.shares_memory(v.data, x.data)
    w = ne.tensor(A, requires_grad=True)
    w.t().contiguous().view(-1).sum().backward()
    np.testing.assert_array_equal(w.grad, np.ones_like(A))
    assert x.t().reshape(6).shape == (6,)


# ------------------------------------------------------------------ in-place ops and autograd
def test_inplace_values_match_torch():
    ops = [("add_", (1.5,), {}), ("add_", (np.ones(3, np.float32),), {"alpha": 2.0}), ("sub_", (0.5,), {}),
           ("mul_", (2.0,), {}), ("div_", (4.0,), {}), ("pow_", (2,), {}), ("clamp_", (-0.5, 0.5), {}),
           ("fill_", (3.0,), {}), ("zero_", (), {}), ("exp_", (), {}), ("neg_", (), {}), ("abs_", (), {}),
           ("sigmoid_", (), {}), ("tanh_", (), {}), ("relu_", (), {}), ("t_", (), {}),
           ("masked_fill_", (A > 0, 9.0), {}), ("copy_", (np.full(3, 7.0, np.float32),), {})]
    for name, args, kw in ops:
        a, b = ne.tensor(A.copy()), T.tensor(A.copy())
        args_t = tuple(T.tensor(v) if isinstance(v, np.ndarray) else v for v in args)
        args_n = tuple(ne.tensor(v) if isinstance(v, np.ndarray) else v for v in args)
        ra = getattr(a, name)(*args_n, **kw)
        getattr(b, name)(*args_t, **kw)
        assert ra is a
        np.testing.assert_allclose(a.data, tt(b), rtol=1e-6, err_msg=name)
    a = ne.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        a += 1.5
    with pytest.raises(RuntimeError, match="can't be cast"):
        T.tensor([1, 2]).add_(1.5)
    a.add_(3)
    assert a.tolist() == [4, 5] and a.dtype == np.int64
    u = ne.zeros(1000).uniform_(-1, 2)
    assert -1 <= u.data.min() and u.data.max() < 2
    assert abs(float(ne.zeros(2000).normal_(3.0, 0.1).mean()) - 3.0) < 0.05


def test_inplace_leaf_requiring_grad_rules():
    msg = "a leaf Variable that requires grad is being used in an in-place operation."
    p = ne.tensor([1.0, 2.0], requires_grad=True)
    tp = T.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=msg):
        tp.add_(1)
    for f in (lambda: p.add_(1), lambda: p.mul_(2), lambda: p.zero_(), lambda: p.exp_(), lambda: p.fill_(1)):
        with pytest.raises(RuntimeError, match=msg):
            f()
    with pytest.raises(RuntimeError, match=msg):
        p -= 1
    with pytest.raises(RuntimeError, match=msg):
        p[0] = 5.0
    p.grad = np.array([0.5, 0.5], np.float32)
    with ne.no_grad():  # the manual SGD idioms
        p -= 0.1 * p.grad
        p.add_(ne.tensor(p.grad), alpha=-0.1)
        p.sub_(ne.ones(2))
        p.data -= 0.1 * p.grad  # .data is the numpy array itself
    np.testing.assert_allclose(p.data, [1.0 - 0.15 - 1.0, 2.0 - 0.15 - 1.0], rtol=1e-6)
    assert p.requires_grad and p.is_leaf


def test_inplace_on_nonleaf_rebinds_through_the_tape():
    x = np.array([0.5, -1.0, 2.0], np.float32)
    a, ta = ne.tensor(x, requires_grad=True), T.tensor(x, requires_grad=True)
    ys = []
    for t, lib in ((a, ne), (ta, T)):
        y = t * 2
        y += t  # residual-style in-place add
        y[0] = 1.0
        if lib is ne:
            y.mul_(y)  # torch computes it too but refuses the backward (version counter); nnengine's is exact
        else:
            y = y * y
        y.relu_()
        z = t - 1
        z.exp_()
        ys.append(y + z)
    np.testing.assert_allclose(ys[0].data, tt(ys[1]), rtol=1e-5)
    assert not ys[0].is_leaf and ys[0].requires_grad
    ys[0].sum().backward()
    ys[1].sum().backward()
    np.testing.assert_allclose(a.grad, tt(ta.grad), rtol=1e-5)
    # a non-grad buffer receiving a grad tensor joins the graph (torch's copy_/setitem rules)
    w, tw = ne.tensor(x, requires_grad=True), T.tensor(x, requires_grad=True)
    bufs = []
    for t, lib in ((w, ne), (tw, T)):
        buf = lib.zeros(2, 3)
        buf[1] = t * 3
        buf += t
        bufs.append(buf)
    bufs[0].sum().backward()
    bufs[1].sum().backward()
    np.testing.assert_allclose(w.grad, tt(tw.grad))


def test_inplace_on_consumed_tensor_raises_instead_of_wrong_gradient():
    a = ne.tensor([1.0, 2.0], requires_grad=True)
    h = a * 2
    z = h * h  # records h as an input and saves it for backward (torch's version check would fail)
    with pytest.raises(RuntimeError, match="already uses"):
        h.add_(1)
    z.sum().backward()  # the graph is intact
    np.testing.assert_allclose(a.grad, [8.0, 16.0])
    h2 = a * 2
    h2.sum().backward()
    h2.add_(1)  # once the consumer has been swept by backward(), it is free to change
    base = a * 1
    base.view(2, 1).add_(1)  # a view of a tensor on the tape: the base is updated, as in torch
    assert base.tolist() == [2.0, 3.0]
    base[0].add_(1)  # a partial view too
    assert base.tolist() == [3.0, 3.0]
    with pytest.raises(RuntimeError, match="single memory location"):
        (a * 1).expand(3, 2).add_(1)
    b = ne.zeros(3)
    b[1].add_(5)  # no grad involved: an integer index is a view, as in torch
    assert b.tolist() == [0.0, 5.0, 0.0]


def test_inplace_on_a_tensor_only_read_by_recorded_ops_like_torch():
    """torch refuses an in-place op on a tensor only when a recorded op saved its values for backward; one only
    read (an index, an add) lets it through, as karpathy's backprop lecture needs: ``dC[ix] += demb[k, j]`` in a
    loop, where every ``dC[ix]`` read consumes ``dC``. Gradients follow the history each read saw."""
    rng = np.random.default_rng(0)
    d, xb = rng.standard_normal((4, 3, 2)).astype(np.float32), rng.integers(0, 5, (4, 3))
    grads = []
    for lib in (ne, T):
        demb = lib.tensor(d, requires_grad=True)
        xs = lib.tensor(xb)
        dc = lib.zeros(5, 2)
        for k in range(4):
            for j in range(3):
                ix = xs[k, j]
                dc[ix] += demb[k, j]
        (dc * lib.arange(10.0).view(5, 2)).sum().backward()
        grads.append((dc.detach().numpy(), demb.grad if lib is ne else tt(demb.grad)))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-6)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-6)
    a = ne.tensor([1.0, 2.0], requires_grad=True)
    h = a * 2
    y = h + 1.0  # reads h, saves nothing of it
    h.mul_(3)
    (y.sum() + h.sum()).backward()
    np.testing.assert_allclose(a.grad, [8.0, 8.0])  # 2 (through y) + 6 (through the in-place product)


# ------------------------------------------------------------------ out= of the module-level functions
def test_out_argument_writes_into_the_given_tensor():
    """The blitz tensor tutorial's ``torch.matmul(t, t.T, out=y3)``, ``torch.mul(t, t, out=z3)``,
    ``torch.add(x, y, out=result)``: the result lands in ``out`` (same storage), which is returned."""
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    for name, args in (("matmul", (a, a.T)), ("mul", (a, a)), ("add", (a, a)), ("sub", (a, 1.0)), ("div", (a, 2.0)),
                       ("exp", (a / 10,)), ("sum", (a, 0))):
        ref = getattr(T, name)(*(T.tensor(x) if isinstance(x, np.ndarray) else x for x in args))
        out, tout = ne.empty(*ref.shape), T.empty(*ref.shape)
        mem = out.numpy()
        res = getattr(ne, name)(*(ne.tensor(x) if isinstance(x, np.ndarray) else x for x in args), out=out)
        getattr(T, name)(*(T.tensor(x) if isinstance(x, np.ndarray) else x for x in args), out=tout)
        assert res is out and np.shares_memory(out.numpy(), mem), name
        np.testing.assert_allclose(out.numpy(), tt(tout), rtol=1e-6, err_msg=name)
    v, i = ne.empty(3), ne.empty(3, dtype=ne.int64)
    r = ne.max(ne.tensor(a), 1, out=(v, i))
    assert r.values is v and v.tolist() == [3.0, 7.0, 11.0] and i.tolist() == [3, 3, 3]
    small = ne.empty(0)
    assert ne.add(ne.ones(2), 1, out=small).tolist() == [2.0, 2.0]  # resized, as torch
    with pytest.raises(RuntimeError, match="can't be cast"):
        ne.add(ne.ones(2), 0.5, out=ne.zeros(2, dtype=ne.int64))
    with pytest.raises(RuntimeError, match="automatic differentiation"):
        ne.mul(ne.ones(2, requires_grad=True), 2.0, out=ne.empty(2))
    with pytest.raises(TypeError, match="out"):
        ne.mul(ne.ones(2), 2.0, out=np.empty(2))


def test_legacy_typed_constructors_and_variable():
    """``torch.LongTensor(list)`` (char_rnn_generation's targets), ``torch.FloatTensor(2, 3)``, ``isinstance`` on
    them, and ``torch.autograd.Variable`` of the older tutorials, against torch."""
    from nnengine.autograd import Variable

    for name in ("FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ByteTensor", "BoolTensor"):
        ours, ref = getattr(ne, name)([1, 0, 2]), getattr(T, name)([1, 0, 2])
        assert ours.dtype == ndt(ref.dtype) and ours.tolist() == ref.tolist(), name
        assert getattr(ne, name)(2, 3).shape == tuple(getattr(T, name)(2, 3).shape) == (2, 3)
        assert isinstance(ours, getattr(ne, name)) and not isinstance(ne.zeros(1, dtype=ne.float16), getattr(ne, name))
    assert ne.LongTensor([1.7, -1.7]).tolist() == T.LongTensor([1.7, -1.7]).tolist() == [1, -1]
    assert ne.FloatTensor().shape == (0,)
    with pytest.raises(TypeError, match="sequence"):
        ne.LongTensor(2.5)
    with pytest.raises(TypeError, match="dtype"):
        ne.LongTensor(ne.ones(2))
    t = ne.ones(2)
    v = Variable(t, requires_grad=True)
    assert v.requires_grad and not t.requires_grad and np.shares_memory(v.data, t.data)
    y = v * 2
    assert not Variable(y).requires_grad and Variable(y).grad_fn is None and isinstance(y, Variable)


def test_tensor_sizes_constructor(torch):
    # torch.Tensor(2, 3) / nn.Parameter(torch.Tensor(in, out)) (gcn's GraphConv); Tensor(data) and tensor(3)
    # unchanged
    assert ne.Tensor(2, 3).shape == tuple(torch.Tensor(2, 3).shape) == (2, 3)
    assert ne.Tensor(4).shape == tuple(torch.Tensor(4).shape) == (4,)
    assert ne.Tensor().shape == tuple(torch.Tensor().shape) == (0,)
    assert ne.Tensor([3]).tolist() == [3.0] and ne.tensor(3).shape == ()
    assert ne.Tensor(np.int64(2), 2).shape == (2, 2)
    assert ne.Tensor([1.0], True).requires_grad
    p = ne.nn.Parameter(ne.Tensor(3, 5))
    assert p.shape == (3, 5) and p.requires_grad
    a = np.array([[1, 0], [2, 3]], np.int32)  # gcn/gat's torch.FloatTensor(numpy int32 array)
    assert np.array_equal(ne.FloatTensor(a).numpy(), torch.FloatTensor(a).numpy())
    assert ne.FloatTensor(a).dtype == np.float32 and ne.LongTensor(a.ravel()).dtype == np.int64
    with pytest.raises(TypeError, match="Tensor: expected data or sizes"):
        ne.Tensor([1.0], 2)


def test_randint_high_only_with_size_keyword(torch):
    # mnist_forward_forward: torch.randint(len(allowed_indices), size=(1,))
    ne.manual_seed(0)
    r = ne.randint(9, size=(1,))
    assert r.shape == (1,) and r.dtype == np.int64 and 0 <= r.item() < 9
    assert torch.randint(9, size=(1,)).shape == (1,)
    v = ne.randint(3, size=(1000,)).numpy()
    assert set(np.unique(v)) == {0, 1, 2}
    assert ne.randint(9, (2,)).shape == (2,) and ne.randint(2, 5, (4,)).numpy().min() >= 2
    assert ne.randint(low=2, high=5, size=(4,)).numpy().min() >= 2


def test_factories_take_size_keyword(torch):
    # gat's nn.Parameter(torch.empty(size=(in_features, n_hidden * n_heads)))
    for name in ("empty", "zeros", "ones", "randn", "rand"):
        assert getattr(ne, name)(size=(2, 3)).shape == tuple(getattr(torch, name)(size=(2, 3)).shape) == (2, 3)
        assert getattr(ne, name)(size=(4,), dtype=ne.float64).dtype == np.float64
    assert ne.zeros(2, 3).shape == (2, 3) and ne.ones((2, 3)).shape == (2, 3)


def test_default_device_is_the_cpu():
    """The char-RNN tutorial's ``torch.set_default_device(device)`` / ``torch.get_default_device()``."""
    ne.set_default_device(ne.device("cpu"))
    ne.set_default_device(None)
    assert ne.get_default_device() == "cpu" and str(ne.get_default_device()) == str(T.get_default_device())
    with pytest.raises(ne.DeviceError, match="CPU only"):
        ne.set_default_device("cuda")


def test_inplace_on_views_writes_through_to_the_base_like_torch(torch_or_none):
    """An in-place op on a view of a tensor with history (d2l's masked_softmax: ``X.reshape(-1, n)[~mask] = v``;
    a slice, a permuted view, a slice of a reshape) updates the base's values and its graph (torch's CopySlices):
    gradients reach the base's history only where the write did not land."""
    def prog(T):
        rng = np.random.default_rng(0)
        q = T.tensor(rng.standard_normal((2, 3, 4)).astype(np.float32), requires_grad=True)
        k = T.tensor(rng.standard_normal((2, 5, 4)).astype(np.float32), requires_grad=True)
        X = T.bmm(q, k.transpose(1, 2)) / 2.0
        shape = X.shape
        valid = T.tensor([2, 3]).repeat_interleave(shape[1])
        Y = X.reshape(-1, shape[-1])
        mask = T.arange(shape[-1], dtype=T.float32)[None, :] < valid[:, None]
        Y[~mask] = -1e6
        out = T.nn.functional.softmax(Y.reshape(shape), dim=-1)
        Z = q * 2
        Z[0, 1].mul_(3)
        Z.permute(2, 0, 1)[0].add_(1)
        W = (k * 1).reshape(10, 4)[2:5]
        W.sub_(0.5)
        loss = (out * out).sum() + (Z ** 2).sum() + X.sum() + (W ** 2).sum()
        loss.backward()
        return [np.asarray(t.detach().numpy()) for t in (out, Z, X, W, q.grad, k.grad)]

    ours = prog(ne)
    assert ours[2].min() == -1e6  # the write landed in X's memory
    if torch_or_none is not None:
        for a, b in zip(ours, prog(torch_or_none)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_a_0d_tensor_used_twice_then_written_in_place(torch_or_none):
    """Two 0-d gradients summed give a numpy scalar; the sweep hands the next backward an array (an index_put's
    backward assigns into it): a 0-d view written in place and read twice, as torch."""
    def prog(T):
        x = T.tensor(np.arange(18, dtype=np.float32).reshape(3, 3, 2) / 10, requires_grad=True)
        b = T.tanh(x) * 1.5
        v = b.view(-1)[0]
        v[...] = 3.0
        ((b * b).sum() + (v * 3).sum()).backward()
        return np.asarray(x.grad.numpy() if hasattr(x.grad, "numpy") else x.grad)

    ours = prog(ne)
    assert ours[0, 0, 0] == 0.0  # overwritten: no gradient to x there
    if torch_or_none is not None:
        np.testing.assert_allclose(ours, prog(torch_or_none), rtol=1e-5, atol=1e-6)


def test_storage_offset_of_views_matches_torch():
    """storage_offset is where a view starts in its base's memory, in elements (it was always 0)."""
    torch = T
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    for view in (lambda t: t, lambda t: t[1:], lambda t: t[:, 1:, 2:], lambda t: t[1, 2], lambda t: t.view(-1)[5:],
                 lambda t: t.transpose(0, 2)[1:], lambda t: t.narrow(2, 1, 2), lambda t: t.select(1, 2)):
        assert view(ne.tensor(a)).storage_offset() == view(torch.tensor(a)).storage_offset()
    assert ne.tensor(a)[1:].clone().storage_offset() == 0


def test_integer_division_exact_and_by_zero_like_torch():
    """Integer div(rounding_mode=...) is exact (it went through a float32 quotient: 16777217 // 1 gave 16777216);
    integer //, %, div by zero raise torch's ZeroDivisionError (numpy silently gave 0); //=, %=, &=, |=, ^=, <<=,
    >>= work in place (a view sees the change), as torch's."""
    torch = T
    a = np.array([16777217, -16777217, 7, -7, 0, 2**40 + 3])
    for mode in ("floor", "trunc"):
        for d in (1, 2, -2, 3, np.array([1, 2, -3, 2, 5, -7])):
            want = torch.tensor(a).div(torch.tensor(d) if isinstance(d, np.ndarray) else d, rounding_mode=mode)
            got = ne.tensor(a).div(ne.tensor(d) if isinstance(d, np.ndarray) else d, rounding_mode=mode)
            assert got.dtype == np.int64 and got.tolist() == want.tolist(), (mode, d)
    for f in (lambda L, x: x // 0, lambda L, x: x % 0, lambda L, x: 5 // x, lambda L, x: 5 % x,
              lambda L, x: x.div(L.tensor([1, 0, 1, 1, 1, 1]), rounding_mode="trunc"), lambda L, x: L.fmod(x, 0)):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            f(torch, torch.tensor(a))
        with pytest.raises(ValueError, match="ZeroDivisionError"):
            f(ne, ne.tensor(a))
    f = np.array([1.0, -1.0, 0.0], np.float32)
    np.testing.assert_array_equal((ne.tensor(f) // 0).numpy(), (torch.tensor(f) // 0).numpy())
    for op in ("//=", "%=", "&=", "|=", "^=", "<<=", ">>="):
        outs = []
        for L in (torch, ne):
            x = L.tensor([6, -5, 9])
            v = x[1:]
            exec(f"x {op} 2")
            outs.append(v.tolist())
        assert outs[0] == outs[1], op


def test_conj_real_imag_of_real_tensors_like_torch():
    """Generic code calls conj / resolve_conj / real on real tensors: each is the tensor itself, as torch returns
    for a real tensor; imag raises torch's error."""
    for L in (T, ne):
        t = L.tensor([1.0, -2.0], requires_grad=True)
        for got in (t.conj(), t.resolve_conj(), t.real, L.conj(t), L.resolve_conj(t), L.real(t)):
            assert got is t
        assert t.conj_physical().tolist() == [1.0, -2.0] and not t.is_conj() and not L.is_conj(t)
        with pytest.raises(RuntimeError, match="imag is not implemented"):
            _ = t.imag
        with pytest.raises(RuntimeError, match="imag is not implemented"):
            L.imag(t)
