"""The pool2d kernel family: max / min / avg pooling (2-D, and 1-D as planes of height 1) and maxout: float64
oracle (finite differences), every ISA, scalar twins, 1 vs 2 threads, PyTorch side by side, modules and bad
input."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import numeric_grad
from reference import pool2d as ref

import nnengine as ne
import nnengine.functional as F
from nnengine import _core
from nnengine.autograd import gradcheck

# (N, C, H, W, kernel, stride, padding)
GRID = [
    (2, 3, 8, 8, (2, 2), (2, 2), (0, 0)),  # the 2x2 fast path
    (1, 2, 9, 17, (2, 2), (2, 2), (0, 0)),  # odd sizes: last row/column dropped
    (2, 2, 7, 9, (3, 3), (2, 2), (1, 1)),  # overlapping windows with padding
    (1, 3, 15, 16, (3, 2), (1, 2), (1, 1)),
    (1, 1, 33, 8, (5, 3), (3, 1), (2, 0)),
    (2, 2, 1, 7, (1, 3), (1, 1), (0, 1)),
    (1, 4, 6, 6, (6, 6), (6, 6), (0, 0)),  # global pooling
    # rows of many windows (the row-at-a-time select loops' vector bodies and tails): stride 2 (vector
    # deinterleaving copies), stride 1 (read in place), stride 3
    (1, 2, 5, 75, (3, 3), (2, 2), (1, 1)),
    (1, 2, 4, 41, (3, 3), (1, 1), (1, 1)),
    (1, 1, 5, 70, (2, 4), (1, 3), (0, 2)),
]
KINDS = ["max", "min", "avg"]


def _x(shape, seed=0):
    # distinct values so that the arg-extreme (and so the gradient) is unambiguous
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) / n - 0.5).astype(np.float32)


@pytest.mark.parametrize("kind", KINDS)
def test_oracle_matches_finite_differences(kind):
    x = _x((1, 2, 5, 6)).astype(np.float64)
    y, bwd = ref.pool2d(x, kind, (3, 2), (2, 1), (1, 1))
    dy = np.random.default_rng(1).standard_normal(y.shape)
    num = numeric_grad(lambda v: (ref.pool2d(v, kind, (3, 2), (2, 1), (1, 1))[0] * dy).sum(), x)
    np.testing.assert_allclose(bwd(dy), num, atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("cfg", GRID)
def test_kernels_match_oracle(cfg, kind, isa):
    N, C, H, W, k, s, p = cfg
    x = _x((N, C, H, W))
    yr, bwd = ref.pool2d(x, kind, k, s, p)
    y, idx = _core.pool2d_forward(x, kind, k, s, p)
    np.testing.assert_allclose(y, yr, atol=1e-6)
    dy = np.random.default_rng(2).standard_normal(y.shape).astype(np.float32)
    dx = _core.pool2d_backward(dy, kind, idx, (H, W), k, s, p)
    np.testing.assert_allclose(dx, bwd(dy), atol=1e-5)
    yt, it = _core.pool2d_forward(x, kind, k, s, p, reference=True)
    np.testing.assert_allclose(yt, y, atol=1e-6)
    if kind != "avg":
        assert np.array_equal(it, idx)
        y2, none = _core.pool2d_forward(x, kind, k, s, p, with_indices=False)
        assert none is None and np.array_equal(y2, y)
    np.testing.assert_allclose(
        _core.pool2d_backward(dy, kind, idx, (H, W), k, s, p, reference=True), dx, atol=1e-6
    )


@pytest.mark.parametrize("kind", KINDS)
def test_one_and_two_threads_identical(isa, kind, threads):
    x = _x((4, 16, 33, 35))
    res = []
    for n in (1, 2):
        with threads(n):
            y, idx = _core.pool2d_forward(x, kind, (3, 3), (2, 2), (1, 1))
            res.append((y, _core.pool2d_backward(y, kind, idx, (33, 35), (3, 3), (2, 2), (1, 1))))
    assert np.array_equal(res[0][0], res[1][0]) and np.array_equal(res[0][1], res[1][1])


@pytest.mark.parametrize("cfg", GRID[:5])
def test_autograd_matches_torch(cfg, torch):
    N, C, H, W, k, s, p = cfg
    x = _x((N, C, H, W), seed=4)
    for kind, fn, tfn in (
        ("max", F.max_pool2d, torch.nn.functional.max_pool2d),
        ("avg", F.avg_pool2d, torch.nn.functional.avg_pool2d),
        ("min", F.min_pool2d, lambda t, *a: -torch.nn.functional.max_pool2d(-t, *a)),
    ):
        xt = torch.tensor(x, requires_grad=True)
        yt = tfn(xt, k, s, p)
        yt.sum().backward()
        xn = ne.Tensor(x, requires_grad=True)
        yn = fn(xn, k, s, p)
        yn.sum().backward()
        np.testing.assert_allclose(yn.numpy(), yt.detach().numpy(), atol=1e-6, err_msg=kind)
        np.testing.assert_allclose(xn.grad, xt.grad.numpy(), atol=1e-6, err_msg=kind)


def test_unbatched_defaults_and_modules():
    x = ne.Tensor(_x((3, 8, 6)), requires_grad=True)
    y = F.max_pool2d(x, 2)
    assert y.shape == (3, 4, 3)
    y.sum().backward()
    assert x.grad.shape == (3, 8, 6) and x.grad.sum() == 36
    for cls in (ne.nn.MaxPool2d, ne.nn.AvgPool2d, ne.nn.MinPool2d):
        m = cls(3, stride=2, padding=1)
        assert m(ne.randn(2, 3, 9, 9)).shape == (2, 3, 5, 5)
        assert cls(2).stride == 2
        assert list(m.state_dict()) == []
    with ne.no_grad():
        assert F.max_pool2d(ne.Tensor(_x((1, 1, 4, 4)), requires_grad=True), 2).shape == (1, 1, 2, 2)


def test_pool_bad_input():
    x = ne.randn(1, 2, 8, 8)
    with pytest.raises(ValueError, match="padding: should be at most half"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="kernel_size"):
        F.avg_pool2d(x, 0)
    with pytest.raises(ValueError, match="stride"):
        F.min_pool2d(x, 2, stride=0)
    with pytest.raises(TypeError, match="kernel_size"):
        F.max_pool2d(x, "2")
    with pytest.raises(ValueError, match="smaller than kernel_size"):
        F.max_pool2d(x, 9)
    with pytest.raises(ValueError, match="input: expected 3 or 4 dimensions"):
        F.max_pool2d(ne.randn(4, 4), 2)
    with pytest.raises(ValueError, match="kind"):
        _core.pool2d_forward(x.numpy(), "median", (2, 2), (2, 2))
    with pytest.raises(ValueError, match="indices: values must lie"):
        _core.pool2d_backward(
            np.ones((1, 1, 2, 2), np.float32),
            "max",
            np.full((1, 1, 2, 2), 99, np.int32),
            (4, 4),
            (2, 2),
            (2, 2),
        )


# ------------------------------------------------------------------------------------------- maxout
@pytest.mark.parametrize(
    "shape,pieces,dim",
    [
        ((7, 12), 3, 1),
        ((2, 8, 5, 3), 4, 1),
        ((3, 9), 9, -1),
        ((2, 3, 34), 2, 2),
        ((17,), 17, 0),
        ((2, 6, 33), 1, 1),
    ],
)
def test_maxout_matches_oracle(shape, pieces, dim, isa):
    x = _x(shape, seed=6)
    xn = ne.Tensor(x, requires_grad=True)
    y = F.maxout(xn, pieces, dim)
    np.testing.assert_array_equal(y.numpy(), ref.maxout(x, pieces, dim % len(shape)).astype(np.float32))
    dy = np.random.default_rng(3).standard_normal(y.shape).astype(np.float32)
    y.backward(dy)
    num = numeric_grad(
        lambda v: (ref.maxout(v, pieces, dim % len(shape)) * dy).sum(), x.astype(np.float64), 1e-7
    )
    np.testing.assert_allclose(xn.grad, num, atol=1e-5)
    d = dim % len(shape)
    outer, inner = int(np.prod(shape[:d])), int(np.prod(shape[d + 1 :]))
    x3 = x.reshape(outer, shape[d], inner)
    yk, ik = _core.maxout_forward(x3, pieces)
    yr, ir = _core.maxout_forward(x3, pieces, reference=True)
    assert np.array_equal(yk, yr) and np.array_equal(ik, ir)


def test_maxout_threads_module_and_bad_input(threads):
    x = _x((64, 96, 40))
    res = []
    for n in (1, 2):
        with threads(n):
            y, i = _core.maxout_forward(x, 3)
            res.append((y, _core.maxout_backward(y, i, 3)))
    assert np.array_equal(res[0][0], res[1][0]) and np.array_equal(res[0][1], res[1][1])
    m = ne.nn.Maxout(4)
    assert m(ne.randn(5, 16)).shape == (5, 4)
    with pytest.raises(ValueError, match="not divisible by pieces=3"):
        F.maxout(ne.randn(2, 8), 3)
    with pytest.raises(ValueError, match="pieces"):
        F.maxout(ne.randn(2, 8), 0)
    with pytest.raises(ValueError, match="dim"):
        F.maxout(ne.randn(2, 8), 2, dim=2)


POOL1D = [
    ("max_pool1d", dict(kernel_size=2)),
    ("max_pool1d", dict(kernel_size=3, stride=2, padding=1)),
    ("avg_pool1d", dict(kernel_size=4, stride=3, padding=2)),
    ("avg_pool1d", dict(kernel_size=1)),
]


@pytest.mark.parametrize("name,kw", POOL1D, ids=[f"{a[0]}-{i}" for i, a in enumerate(POOL1D)])
@pytest.mark.parametrize("L", [1, 8, 17, 33])
def test_pool1d_matches_torch(name, kw, L, torch, isa):
    if L < kw["kernel_size"] - 2 * kw.get("padding", 0):
        return  # torch rejects it too (checked in test_bad_input)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 5, L)).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    yt = getattr(torch.nn.functional, name)(xt, **kw)
    dy = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    yt.backward(torch.tensor(dy))
    xn = ne.Tensor(x, requires_grad=True)
    yn = getattr(F, name)(xn, **kw)
    yn.backward(dy)
    np.testing.assert_allclose(yn.numpy(), yt.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(xn.grad, xt.grad.numpy(), atol=1e-5)
    np.testing.assert_allclose(getattr(F, name)(ne.Tensor(x[0]), **kw).numpy(), yt.detach().numpy()[0], atol=1e-5)  # unbatched
    if name == "max_pool1d":
        _, idx = F.max_pool1d(ne.Tensor(x), return_indices=True, **kw)
        _, it = torch.nn.functional.max_pool1d(torch.tensor(x), return_indices=True, **kw)
        assert np.array_equal(idx.numpy(), it.numpy())


def test_pool1d_gradcheck_modules_and_bad_input(torch):
    rng = np.random.default_rng(5)
    # distinct values in (-1, 1) over 0.02 apart: the finite-difference step (0.01) never changes the maximum
    x1 = ne.Tensor(rng.permutation(np.linspace(-0.95, 0.95, 54)).reshape(2, 3, 9).astype(np.float32),
                   requires_grad=True)
    assert gradcheck(lambda t: F.avg_pool1d(t, 3, 2, 1), [x1])
    assert gradcheck(lambda t: F.max_pool1d(t, 2), [x1])
    x = np.random.default_rng(6).standard_normal((2, 4, 12)).astype(np.float32)
    for nm, tm in ((ne.nn.MaxPool1d(3, 2, 1), torch.nn.MaxPool1d(3, 2, 1)), (ne.nn.AvgPool1d(2), torch.nn.AvgPool1d(2))):
        np.testing.assert_allclose(nm(ne.Tensor(x)).numpy(), tm(torch.tensor(x)).numpy(), atol=1e-5)
        assert list(nm.state_dict()) == []
    with pytest.raises(ValueError, match="dilation: only"):
        F.max_pool1d(ne.randn(2, 3, 8), 2, dilation=2)
    with pytest.raises(ValueError, match="padding: should be at most half"):
        F.max_pool1d(ne.randn(2, 3, 8), 2, padding=2)
    with pytest.raises(ValueError, match="smaller than kernel_size"):
        F.max_pool1d(ne.randn(2, 3, 2), 5)
    with pytest.raises(TypeError, match="kernel_size"):
        F.max_pool1d(ne.randn(2, 3, 8), (2, 2))


def _relu_max_data(shape, seed):
    """Normal values with exact zeros of both signs, NaNs and ties, the cases where ReLU then max pooling could
    differ from max pooling then ReLU."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    flat = x.reshape(-1)
    flat[::5] = 0.0
    flat[::7] = -0.0
    flat[::11] = -1.0
    flat[::13] = np.nan
    return x


@pytest.mark.parametrize("cfg", GRID + [(3, 6, 28, 28, (2, 2), (2, 2), (0, 0)), (1, 1, 17, 33, (2, 2), (2, 2), (0, 0))])
def test_relu_max_equals_relu_then_max(cfg, isa):
    # 'relu_max' is the fused ReLU -> MaxPool2d: bit-identical values and indices to the two kernels in a row, at
    # every ISA and in the scalar twin (NaNs included: the first NaN of a window wins on every path)
    N, C, H, W, k, s, p = cfg
    for seed, nan in ((0, True), (1, False)):
        x = _relu_max_data((N, C, H, W), seed)
        if not nan:
            x = np.nan_to_num(x, nan=0.5)
        r = _core.activation_forward(x, "relu", 0.0, 0.0)
        y0, i0 = _core.pool2d_forward(r, "max", k, s, p)
        y1, i1 = _core.pool2d_forward(x, "relu_max", k, s, p)
        assert np.array_equal(y0.view(np.int32), y1.view(np.int32)) and np.array_equal(i0, i1)
        y2, none = _core.pool2d_forward(x, "relu_max", k, s, p, with_indices=False)
        assert none is None and np.array_equal(y2.view(np.int32), y1.view(np.int32))
        y3, i3 = _core.pool2d_forward(x, "relu_max", k, s, p, reference=True)
        np.testing.assert_array_equal(y3, y1)
        np.testing.assert_array_equal(i3, i1)
        if not nan:
            assert np.array_equal(y3.view(np.int32), y1.view(np.int32))
            yr, _ = ref.pool2d(np.maximum(x, 0).astype(np.float64), "max", k, s, p)
            np.testing.assert_allclose(y1, yr, atol=0)


@pytest.mark.parametrize("cfg", GRID + [(1, 1, 17, 33, (2, 2), (2, 2), (0, 0))])
def test_max_and_min_pooling_propagate_nan(cfg, isa, torch_or_none):
    # a window holding a NaN pools to NaN (its first NaN: index and gradient go there), as torch's max pooling;
    # the 2x2 paths dropped it (max(NaN, v) kept v), so a NaN activation vanished silently
    N, C, H, W, k, s, p = cfg
    x = _x((N, C, H, W), seed=3)
    x.reshape(-1)[::7] = np.nan
    for kind in ("max", "min", "relu_max"):
        y, idx = _core.pool2d_forward(x, kind, k, s, p)
        yt, it = _core.pool2d_forward(x, kind, k, s, p, reference=True)
        np.testing.assert_array_equal(y, yt)
        np.testing.assert_array_equal(idx, it)
        y2, _ = _core.pool2d_forward(x, kind, k, s, p, with_indices=False)
        np.testing.assert_array_equal(y2, y)
        flat = x.reshape(N * C, H * W)
        picked = np.take_along_axis(flat, idx.reshape(N * C, -1).astype(np.int64), 1).reshape(y.shape)
        np.testing.assert_array_equal(np.isnan(picked), np.isnan(y))  # the index points at the NaN
    big = np.where(np.isnan(x), 0.0, x).astype(np.float64)
    want = ref.pool2d(np.where(np.isnan(x), np.inf, big), "max", k, s, p)[0]
    y, _ = _core.pool2d_forward(x, "max", k, s, p)
    np.testing.assert_array_equal(np.isnan(y), np.isinf(want))
    assert np.isnan(y).any()
    if torch_or_none is not None:
        tf = torch_or_none.nn.functional
        np.testing.assert_array_equal(
            F.max_pool2d(ne.tensor(x), k, s, p).numpy(), tf.max_pool2d(torch_or_none.tensor(x), k, s, p).numpy())


def test_maxout_propagates_nan(isa):
    x = _x((2, 12, 5), seed=4)
    x[0, 1, 2] = x[1, 7, 0] = x[1, 6, 0] = np.nan
    for grad in (True, False):  # with and without indices
        y = F.maxout(ne.tensor(x, requires_grad=grad), 3, dim=1).detach().numpy()
        assert np.isnan(y[0, 0, 2]) and np.isnan(y[1, 2, 0]) and np.isnan(y).sum() == 2
    y, idx = _core.maxout_forward(x, 3)
    yt, it = _core.maxout_forward(x, 3, reference=True)
    np.testing.assert_array_equal(y, yt)
    np.testing.assert_array_equal(idx, it)
    assert idx[1, 2, 0] == 0  # channels 6 and 7 are pieces 0 and 1 of unit 2: the first NaN


@pytest.mark.parametrize("cfg", GRID + [(3, 6, 28, 28, (2, 2), (2, 2), (0, 0)), (1, 1, 17, 33, (2, 2), (2, 2), (0, 0))])
def test_pool2d_backward_relu_output_is_the_relu_backward_then_the_pool_backward(cfg, isa, threads):
    # relu_output: dy masked where the pooled ReLU output is > 0 inside the pooling backward's call (ReluMaxPool2dFn);
    # the bits of activation_backward then pool2d_backward, kernels and scalar twins, 1 and 2 threads
    N, C, H, W, k, s, p = cfg
    y, idx = _core.pool2d_forward(_relu_max_data((N, C, H, W), 0), "relu_max", k, s, p)
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
    for ref_ in (False, True):
        want = _core.pool2d_backward(_core.activation_backward(dy, y, None, kind="relu", reference=ref_), "max", idx,
                                     (H, W), k, s, p, reference=ref_)
        for n in (1, 2):
            with threads(n):
                got = _core.pool2d_backward(dy, "max", idx, (H, W), k, s, p, reference=ref_, relu_output=y)
            assert np.array_equal(got.view(np.int32), want.view(np.int32))
    with pytest.raises(ValueError, match="relu_output: expected shape"):
        _core.pool2d_backward(dy, "max", idx, (H, W), k, s, p, relu_output=np.zeros((N, C, 1, 1), np.float32)
                              if y.shape[2:] != (1, 1) else np.zeros((N, C, 2, 2), np.float32))
    with pytest.raises(TypeError, match="relu_output: expected dtype float32"):
        _core.pool2d_backward(dy, "max", idx, (H, W), k, s, p, relu_output=y.astype(np.float64))


def test_relu_max_threads_and_bad_kind(threads):
    x = _relu_max_data((4, 16, 34, 30), 3)
    res = []
    for n in (1, 2):
        with threads(n):
            res.append(_core.pool2d_forward(x, "relu_max", (2, 2), (2, 2)))
    assert np.array_equal(res[0][0].view(np.int32), res[1][0].view(np.int32))
    assert np.array_equal(res[0][1], res[1][1])
    with pytest.raises(ValueError, match="kind"):
        _core.pool2d_forward(x, "relu_min", (2, 2), (2, 2))
    with pytest.raises(ValueError, match="kind"):  # the backward scatters 'max' indices; no 'relu_max' there
        _core.pool2d_backward(res[0][0], "relu_max", res[0][1], (34, 30), (2, 2), (2, 2))


def _conv_relu_pool_net(inplace=False):
    ne.manual_seed(0)
    return ne.nn.Sequential(ne.nn.Conv2d(3, 8, 3, padding=1), ne.nn.ReLU(inplace), ne.nn.MaxPool2d(2),
                            ne.nn.Conv2d(8, 16, 3), ne.nn.ReLU(), ne.nn.MaxPool2d(3, stride=2, padding=1),
                            ne.nn.Flatten(), ne.nn.Linear(16 * 3 * 3, 5), ne.nn.ReLU())


def _run(net, layers=None):
    """Output and gradients (input, parameters) of the net, or of its layers called one by one (no fusion)."""
    x = ne.Tensor(np.random.default_rng(5).standard_normal((4, 3, 14, 14)).astype(np.float32), requires_grad=True)
    y = x
    if layers is None:
        y = net(x)
    else:
        for m in layers:
            y = F.relu(y) if isinstance(m, ne.nn.ReLU) else m(y)
    (y * ne.tensor(np.linspace(-1, 1, y.numel()).reshape(y.shape).astype(np.float32))).sum().backward()
    out = [y.numpy(), x.grad.numpy()] + [p.grad.numpy() for p in net.parameters()]
    for p in net.parameters():
        p.grad = None
    return y, [a.view(np.int32) for a in out]


def test_sequential_fuses_relu_max_pool_bit_for_bit(isa):
    net = _conv_relu_pool_net()
    y, fused = _run(net)
    _, plain = _run(net, list(net))
    assert all(np.array_equal(a, b) for a, b in zip(fused, plain))
    nodes, seen = [], {y.grad_fn}  # the two ReLU -> MaxPool2d pairs each ran as one node; the last ReLU alone
    while seen:
        n = seen.pop()
        nodes.append(n.name())
        seen.update(i.grad_fn for i in n.inputs if isinstance(i, ne.Tensor) and i.grad_fn is not None)
    assert nodes.count("ReluMaxPool2dFn") == 2 and "Pool2dFn" not in nodes
    assert "ReLU()" in repr(net) and list(net.state_dict()) == list(_conv_relu_pool_net().state_dict())
    with ne.no_grad():  # inference: the fused node without indices
        x = ne.tensor(np.random.default_rng(7).standard_normal((2, 3, 14, 14)).astype(np.float32))
        y = x
        for m in net:
            y = F.relu(y) if isinstance(m, ne.nn.ReLU) else m(y)
        assert np.array_equal(net(x).numpy(), y.numpy())


def test_sequential_relu_max_pool_keeps_hooks_and_inplace():
    # a hook on the ReLU or the pool sees what it saw before (the pair then runs unfused), an in-place ReLU keeps
    # its meaning; every variant gives the same bits
    net = _conv_relu_pool_net()
    _, base = _run(net)
    seen = []
    for mod in (net[1], net[2]):
        h = mod.register_forward_hook(lambda m, a, o: seen.append((type(m).__name__, o.shape)))
        _, hooked = _run(net)
        h.remove()
        assert all(np.array_equal(a, b) for a, b in zip(base, hooked))
    assert seen == [("ReLU", (4, 8, 14, 14)), ("MaxPool2d", (4, 8, 7, 7))]
    grads = []
    h = net[1].register_full_backward_hook(lambda m, gi, go: grads.append(go[0].shape))
    _, hooked = _run(net)
    h.remove()
    assert grads == [(4, 8, 14, 14)] and all(np.array_equal(a, b) for a, b in zip(base, hooked))
    inplace = _conv_relu_pool_net(inplace=True)
    _, got = _run(inplace)
    assert all(np.array_equal(a, b) for a, b in zip(base, got))


def test_lenet_relu_max_pool_fused_equals_unfused_and_torch(torch):
    from nnengine.models import LeNet5

    ne.manual_seed(0)
    m = LeNet5(10)
    x = np.random.default_rng(6).standard_normal((5, 1, 28, 28)).astype(np.float32)
    y_cls = np.arange(5)

    def run():
        xt = ne.Tensor(x, requires_grad=True)
        out = m(xt)
        F.cross_entropy(out, y_cls).backward()
        res = [out.numpy(), xt.grad.numpy()] + [p.grad.numpy() for p in m.parameters()]
        for p in m.parameters():
            p.grad = None
        return res

    fused = run()
    h = m.pool.register_forward_hook(lambda mod, a, o: None)  # a hook on the pool: the unfused layers
    plain = run()
    h.remove()
    assert all(np.array_equal(a.view(np.int32), b.view(np.int32)) for a, b in zip(fused, plain))
    tnn = torch.nn
    tm = tnn.Sequential(tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Conv2d(6, 16, 5),
                        tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(400, 120), tnn.ReLU(),
                        tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10))
    tm.load_state_dict({k: torch.tensor(v) for k, v in zip(tm.state_dict(), m.state_dict().values())})
    xt = torch.tensor(x, requires_grad=True)
    out = tm(xt)
    torch.nn.functional.cross_entropy(out, torch.tensor(y_cls)).backward()
    np.testing.assert_allclose(fused[0], out.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(fused[1], xt.grad.numpy(), atol=1e-5)
    for a, p in zip(fused[2:], tm.parameters()):
        np.testing.assert_allclose(a, p.grad.numpy(), atol=1e-5)
