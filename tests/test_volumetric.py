"""3-D layers (Conv3d, ConvTranspose3d, MaxPool3d, AvgPool3d, AdaptiveAvg/MaxPool3d, BatchNorm3d) and F.pad over
three dimensions: values and gradients against torch and a float64 numpy oracle, torch's indices, reprs, a
training step from torch's weights, and the argument checks."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require

import nnengine as ne
import nnengine.functional as F
from nnengine import nn

T = require("torch")
TF = T.nn.functional
RNG = np.random.default_rng(7)
X = RNG.standard_normal((2, 4, 5, 6, 7)).astype(np.float32)


def _close(a, b, tol=2e-5):
    b = np.asarray(b)
    np.testing.assert_allclose(np.asarray(a), b, rtol=0, atol=tol * max(1.0, float(np.abs(b).max())))


def _vs_torch(fn_ne, fn_t, arrs, with_indices=False):
    a = [ne.tensor(x, requires_grad=True) for x in arrs]
    b = [T.tensor(x, requires_grad=True) for x in arrs]
    ya, yb = fn_ne(*a), fn_t(*b)
    if with_indices:
        np.testing.assert_array_equal(ya[1].numpy(), yb[1].numpy())
        assert ya[1].dtype == np.int64
        ya, yb = ya[0], yb[0]
    assert ya.shape == tuple(yb.shape) and ya.dtype == np.float32
    _close(ya.detach().numpy(), yb.detach().numpy())
    g = RNG.standard_normal(yb.shape).astype(np.float32)
    ya.backward(ne.tensor(g))
    yb.backward(T.tensor(g))
    for p, q in zip(a, b):
        _close(p.grad.numpy(), q.grad.numpy())


CONV = [{}, dict(stride=2, padding=1), dict(stride=(1, 2, 3), padding=(2, 0, 1), dilation=(2, 1, 2)),
        dict(groups=2, padding="same"), dict(padding="same", dilation=(1, 2, 2)), dict(groups=2, stride=2, padding="valid")]


@pytest.mark.parametrize("kw", CONV, ids=str)
def test_conv3d_matches_torch(kw):
    w = RNG.standard_normal((6, 4 // kw.get("groups", 1), 3, 2, 3)).astype(np.float32)
    b = RNG.standard_normal(6).astype(np.float32)
    _vs_torch(lambda x, w, b: F.conv3d(x, w, b, **kw), lambda x, w, b: TF.conv3d(x, w, b, **kw), [X, w, b])


def test_conv3d_matches_a_float64_oracle_unbatched():
    x, w = X[0].astype(np.float64), RNG.standard_normal((3, 4, 2, 3, 2))
    want = np.zeros((3, 4, 4, 6))
    for o in range(3):
        for d in range(4):
            for h in range(4):
                for c in range(6):
                    want[o, d, h, c] = np.sum(x[:, d:d + 2, h:h + 3, c:c + 2] * w[o])
    got = F.conv3d(ne.tensor(x.astype(np.float32)), ne.tensor(w.astype(np.float32)))
    assert got.shape == want.shape
    _close(got.numpy(), want)


TRANSPOSED = [{}, dict(stride=2), dict(stride=(2, 1, 3), padding=(1, 0, 1), output_padding=(1, 0, 2)),
              dict(groups=2, stride=2, dilation=(2, 1, 1), padding=1), dict(stride=3, dilation=2, output_padding=(1, 1, 0)),
              # output_padding at or past the stride, below the dilation (torch allows it)
              dict(stride=1, dilation=2, output_padding=1), dict(stride=(2, 1, 1), dilation=3, padding=(1, 2, 0),
                                                                   output_padding=(2, 1, 1), groups=2)]


@pytest.mark.parametrize("kw", TRANSPOSED, ids=str)
def test_conv_transpose3d_matches_torch(kw):
    w = RNG.standard_normal((4, 6 // kw.get("groups", 1), 3, 2, 3)).astype(np.float32)
    b = RNG.standard_normal(6).astype(np.float32)
    _vs_torch(lambda x, w, b: F.conv_transpose3d(x, w, b, **kw), lambda x, w, b: TF.conv_transpose3d(x, w, b, **kw),
              [X, w, b])


POOL = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
        dict(kernel_size=(2, 3, 2), stride=(1, 2, 3), ceil_mode=True), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)]


@pytest.mark.parametrize("kw", POOL, ids=str)
def test_pool3d_matches_torch(kw):
    _vs_torch(lambda x: F.max_pool3d(x, **kw, return_indices=True),
              lambda x: TF.max_pool3d(x, **kw, return_indices=True), [X], with_indices=True)
    for extra in (dict(count_include_pad=True), dict(count_include_pad=False), dict(divisor_override=5)):
        _vs_torch(lambda x, e=extra: F.avg_pool3d(x, **kw, **e), lambda x, e=extra: TF.avg_pool3d(x, **kw, **e), [X])


def test_max_pool3d_ties_and_unbatched_follow_torch():
    ties = np.round(X * 2) / 2  # many equal values: the index (and the gradient) goes to torch's first maximum
    _vs_torch(lambda x: F.max_pool3d(x, 2, 1, return_indices=True),
              lambda x: TF.max_pool3d(x, 2, 1, return_indices=True), [ties], with_indices=True)
    _vs_torch(lambda x: F.max_pool3d(x, 2, return_indices=True), lambda x: TF.max_pool3d(x, 2, return_indices=True),
              [X[0]], with_indices=True)
    nan = X.copy()
    nan[0, 0, 1, 2, 3] = np.nan
    np.testing.assert_array_equal(F.max_pool3d(ne.tensor(nan), 2).numpy(), TF.max_pool3d(T.tensor(nan), 2).numpy())


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=(3, 2, 2), stride=1)], ids=str)
def test_max_pool3d_second_order_matches_torch(kw):
    """The depth step's node (DepthMaxFn) under create_graph=True: a gradient penalty through max_pool3d."""
    def run(lib, fn):
        x = lib.tensor(X, requires_grad=True)
        y = fn(x * x, **kw)
        (gx,) = lib.autograd.grad((y * y).sum(), (x,), create_graph=True)
        (gx * gx).sum().backward()
        return gx.detach().numpy(), x.grad.numpy()

    for a, b in zip(run(ne, F.max_pool3d), run(T, TF.max_pool3d)):
        _close(a, b, tol=1e-4)


@pytest.mark.parametrize("size", [1, (2, 3, 4), (None, 2, 5), (3, None, 1), (5, 6, 7)], ids=str)
def test_adaptive_pool3d_matches_torch(size):
    _vs_torch(lambda x: F.adaptive_avg_pool3d(x, size), lambda x: TF.adaptive_avg_pool3d(x, size), [X])
    _vs_torch(lambda x: F.adaptive_max_pool3d(x, size, True), lambda x: TF.adaptive_max_pool3d(x, size, True), [X],
              with_indices=True)


@pytest.mark.parametrize("pads", [(1, 2, 0, 1, 1, 2), (0, 0, 0, 0, -1, 2), (1, 1, 1, 1, 1, 1, 1, 0),
                                  (1, -1, 2, 0, 0, 3, 2, 1, 1, 1)], ids=str)
@pytest.mark.parametrize("value", [None, -np.inf, 2.5])
def test_constant_pad_over_three_or_more_dimensions_matches_torch(pads, value):
    a, b = ne.tensor(X, requires_grad=True), T.tensor(X, requires_grad=True)
    ya, yb = F.pad(a, pads, value=value), TF.pad(b, pads, value=value)
    np.testing.assert_array_equal(ya.detach().numpy(), yb.detach().numpy())
    g = RNG.standard_normal(yb.shape).astype(np.float32)
    ya.backward(ne.tensor(g))
    yb.backward(T.tensor(g))
    np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    circ = (1, 1, 2, 0, 1, 2)
    np.testing.assert_array_equal(F.pad(ne.tensor(X), circ, mode="circular").numpy(),
                                  TF.pad(T.tensor(X), circ, mode="circular").numpy())


def test_modules_reprs_state_dicts_and_a_training_step_match_torch():
    def build(m):
        return m.Sequential(m.Conv3d(4, 6, 3, padding=1), m.BatchNorm3d(6), m.ReLU(), m.MaxPool3d(2),
                            m.ConvTranspose3d(6, 3, 2, stride=2), m.AvgPool3d((1, 2, 2)), m.AdaptiveAvgPool3d(1),
                            m.Flatten(), m.Linear(3, 2))
    tm, nm = build(T.nn), build(nn)
    assert repr(nm) == repr(tm)
    nm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x, y = X[:, :, :4, :6, :6], np.array([0, 1])
    ot, on = T.optim.SGD(tm.parameters(), lr=0.1, momentum=0.9), ne.optim.SGD(nm.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        lt = TF.cross_entropy(tm(T.tensor(x)), T.tensor(y))
        ln = F.cross_entropy(nm(ne.tensor(x)), ne.tensor(y))
        _close(ln.item(), lt.item(), 1e-4)
        ot.zero_grad()
        on.zero_grad()
        lt.backward()
        ln.backward()
        ot.step()
        on.step()
    for k, v in tm.state_dict().items():
        _close(np.asarray(nm.state_dict()[k]), v.detach().numpy(), 1e-4)
    tm.eval()
    nm.eval()
    _close(nm(ne.tensor(x)).detach().numpy(), tm(T.tensor(x)).detach().numpy(), 1e-4)
    for m in (nn.MaxPool3d(2, return_indices=True), nn.AdaptiveMaxPool3d(2, return_indices=True)):
        out, idx = m(ne.tensor(X))
        assert idx.dtype == np.int64 and idx.shape == out.shape
    up = T.nn.ConvTranspose3d(4, 2, 3, stride=2)(T.tensor(X), output_size=(12, 13, 16))
    assert nn.ConvTranspose3d(4, 2, 3, stride=2)(ne.tensor(X), output_size=(12, 13, 16)).shape == tuple(up.shape)


def test_results_do_not_depend_on_the_thread_count():
    w = ne.tensor(RNG.standard_normal((6, 4, 3, 3, 3)).astype(np.float32))
    outs = []
    for n in (1, 2):
        with ne.backend.num_threads(n):
            outs.append((F.conv3d(ne.tensor(X), w, padding=1).numpy(),
                         F.conv_transpose3d(ne.tensor(X), w[:4], stride=2).numpy()))
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("call, err", [
    (lambda: F.conv3d(ne.randn(1, 2, 3, 4), ne.randn(1, 2, 1, 1, 1)), ValueError),  # 4-D is unbatched (C, D, H, W)
    (lambda: F.conv3d(ne.randn(1, 2, 3, 4, 4), ne.randn(1, 3, 1, 1, 1)), ValueError),  # channels
    (lambda: F.conv3d(ne.randn(1, 2, 2, 4, 4), ne.randn(1, 2, 3, 1, 1)), ValueError),  # kernel deeper than input
    (lambda: F.conv3d(ne.randn(1, 2, 3, 4, 4), ne.randn(1, 2, 1, 1, 1), stride=(1, 1)), ValueError),
    (lambda: F.conv3d(ne.randn(1, 2, 3, 4, 4), ne.randn(1, 2, 1, 1, 1), stride=0), ValueError),
    (lambda: F.conv3d(ne.randn(2, 3, 4), ne.randn(1, 2, 1, 1, 1)), ValueError),
    (lambda: F.conv_transpose3d(ne.randn(1, 2, 3, 4, 4), ne.randn(3, 2, 1, 1, 1)), ValueError),
    (lambda: F.conv_transpose3d(ne.randn(1, 2, 3, 4, 4), ne.randn(2, 2, 1, 1, 1), output_padding=1), ValueError),
    (lambda: F.max_pool3d(ne.randn(1, 1, 1, 4, 4), 2), ValueError),
    (lambda: F.max_pool3d(ne.randn(1, 1, 4, 4, 4), 2, padding=2), ValueError),
    (lambda: F.max_pool3d(ne.randn(1, 1, 4, 4, 4), 2, dilation=2), ValueError),
    (lambda: F.avg_pool3d(ne.randn(1, 1, 4, 4, 4), 2, divisor_override=0), ValueError),
    (lambda: F.avg_pool3d(ne.randn(1, 1, 4, 4, 4), "2"), TypeError),
    (lambda: F.adaptive_avg_pool3d(ne.randn(1, 1, 4, 4, 4), (1, 1)), ValueError),
    (lambda: F.adaptive_max_pool3d(ne.randn(1, 1, 4, 4, 4), 0), ValueError),
    (lambda: F.adaptive_avg_pool3d(ne.zeros(1, 0, 4, 4, 4), 1), ValueError),
    (lambda: nn.BatchNorm3d(2)(ne.randn(2, 2, 3, 3)), ValueError),
    (lambda: F.pad(ne.randn(1, 2, 3, 4, 5), (1, 1, 1, 1, 1, 1, 1, 1), mode="reflect"), ValueError),
    (lambda: F.pad(ne.randn(3, 4), (1, 1, 1, 1, 1, 1)), ValueError),
    (lambda: F.pad(ne.randn(2, 3, 4), (0, 0, 0, 0, -3, 0)), ValueError),
])
def test_bad_arguments_raise_with_the_argument_named(call, err):
    with pytest.raises(err):
        call()


def test_batchnorm3d_matches_torch_in_training_and_eval():
    tb, nb = T.nn.BatchNorm3d(4, momentum=0.3), nn.BatchNorm3d(4, momentum=0.3)
    for _ in range(2):
        _vs_torch(lambda x: nb(x), lambda x: tb(x), [X])
    _close(nb.running_mean, tb.running_mean.numpy())
    _close(nb.running_var, tb.running_var.numpy())
    tb.eval()
    nb.eval()
    _vs_torch(lambda x: nb(x), lambda x: tb(x), [X])
    sync = nn.SyncBatchNorm(4)  # one process: BatchNorm3d's path
    assert sync(ne.tensor(X)).shape == X.shape


@pytest.mark.parametrize("mode", ["reflect", "replicate"])
@pytest.mark.parametrize("pads", [(1, 2, 0, 1, 1, 2), (0, 0, 0, 0, 3, 2), (1, 1, 1, 1, -1, 2), (1, 1, 1, 1, 2, -2)],
                         ids=str)
def test_reflect_and_replicate_pad_of_a_third_dimension_match_torch(mode, pads):
    for x in (X, X[0]):
        a, b = ne.tensor(x, requires_grad=True), T.tensor(x, requires_grad=True)
        ya, yb = F.pad(a, pads, mode=mode), TF.pad(b, pads, mode=mode)
        np.testing.assert_array_equal(ya.detach().numpy(), yb.detach().numpy())
        g = RNG.standard_normal(yb.shape).astype(np.float32)
        ya.backward(ne.tensor(g))
        yb.backward(T.tensor(g))
        _close(a.grad.numpy(), b.grad.numpy(), 1e-6)
    with pytest.raises(ValueError, match="reflect padding must be smaller"):
        F.pad(ne.tensor(X), (0, 0, 0, 0, 5, 0), mode="reflect")
    with pytest.raises(ValueError, match="needs at least 4"):
        F.pad(ne.tensor(X[0, 0]), (0, 0, 0, 0, 1, 0), mode=mode)


@pytest.mark.parametrize("name, args", [("ConstantPad3d", ((1, 0, 2, 1, 1, 2), 0.5)), ("ZeroPad3d", (1,)),
                                        ("ReflectionPad3d", ((1, 2, 0, 1, 3, 1),)), ("ReplicationPad3d", (2,)),
                                        ("CircularPad3d", ((1, 0, 2, 1, 1, 2),)), ("ConstantPad2d", (1, 0.5)),
                                        ("ZeroPad1d", (2,))])
def test_padding_modules_match_torch(name, args):
    t, m = getattr(T.nn, name)(*args), getattr(nn, name)(*args)
    assert repr(m) == repr(t)
    x = X if name.endswith("3d") else X[0]
    np.testing.assert_array_equal(m(ne.tensor(x)).numpy(), t(T.tensor(x)).numpy())


@pytest.mark.parametrize("name, args", [("LazyConv3d", (4, 3)), ("LazyConvTranspose3d", (4, 2)),
                                        ("LazyBatchNorm3d", ()), ("LazyInstanceNorm3d", ())])
def test_lazy_3d_layers_become_their_class_as_torch(name, args):
    t, m = getattr(T.nn, name)(*args), getattr(nn, name)(*args)
    assert m(ne.tensor(X)).shape == tuple(t(T.tensor(X)).shape)
    assert type(m).__name__ == type(t).__name__ and repr(m) == repr(t)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_conv3d_padding_modes_match_torch(mode):
    t = T.nn.Conv3d(4, 3, 3, padding=(1, 2, 1), padding_mode=mode)
    m = nn.Conv3d(4, 3, 3, padding=(1, 2, 1), padding_mode=mode)
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    assert repr(m) == repr(t)
    _close(m(ne.tensor(X)).detach().numpy(), t(T.tensor(X)).detach().numpy())


def test_max_unpool3d_inverts_max_pool3d_as_torch():
    y, i = TF.max_pool3d(T.tensor(X), 2, return_indices=True)  # (2, 4, 5, 6, 7) -> (2, 4, 2, 3, 3)
    for size in ((5, 6, 7), (5, 7, 7)):
        a = ne.tensor(y.numpy(), requires_grad=True)
        got = nn.MaxUnpool3d(2)(a, ne.tensor(i.numpy()), output_size=size)
        np.testing.assert_array_equal(got.detach().numpy(), T.nn.MaxUnpool3d(2)(y, i, output_size=size).numpy())
        got.sum().backward()
        np.testing.assert_array_equal(a.grad.numpy(), np.ones(y.shape, np.float32))
    assert repr(nn.MaxUnpool3d(2)) == repr(T.nn.MaxUnpool3d(2))
    even = X[:, :, :4, :6, :6]
    yn, iN = F.max_pool3d(ne.tensor(even), 2, return_indices=True)
    y, i = TF.max_pool3d(T.tensor(even), 2, return_indices=True)
    np.testing.assert_array_equal(F.max_unpool3d(yn, iN, 2).numpy(), TF.max_unpool3d(y, i, 2).numpy())
    with pytest.raises(ValueError, match="indices: positions must be in"):
        F.max_unpool3d(*F.max_pool3d(ne.tensor(X), 2, return_indices=True), 2)  # X's odd sizes: pass output_size


def test_interop_converts_3d_models_both_ways():
    tm = T.nn.Sequential(T.nn.Conv3d(4, 8, 3, padding=1, padding_mode="replicate"), T.nn.BatchNorm3d(8), T.nn.ReLU(),
                         T.nn.MaxPool3d(2, ceil_mode=True), T.nn.ConstantPad3d(1, 0.5),
                         T.nn.ConvTranspose3d(8, 4, 2, stride=2), T.nn.AvgPool3d(2, count_include_pad=False),
                         T.nn.AdaptiveMaxPool3d((2, 1, 1)), T.nn.AdaptiveAvgPool3d(1), T.nn.Flatten(), T.nn.Linear(4, 2))
    tm.eval()
    m = ne.interop.from_torch(tm)
    assert repr(m) == repr(tm) and not m.training
    _close(m(ne.tensor(X)).detach().numpy(), tm(T.tensor(X)).detach().numpy())
    back = ne.interop.to_torch(m)
    assert repr(back) == repr(tm)
    _close(back(T.tensor(X)).detach().numpy(), tm(T.tensor(X)).detach().numpy(), 1e-6)


@pytest.mark.parametrize("p, k, s", [(2, 2, None), (1, (2, 3, 2), 1), (3, 2, (1, 2, 2))], ids=str)
def test_lp_pool3d_matches_torch(p, k, s):
    pos = np.abs(X) + 0.1
    _vs_torch(lambda x: F.lp_pool3d(x, p, k, s), lambda x: TF.lp_pool3d(x, p, k, s), [pos])
    assert repr(nn.LPPool3d(p, k, s)) == repr(T.nn.LPPool3d(p, k, s))


def test_with_indices_spellings_and_top_level_aliases_match_torch():
    for ours, theirs in ((F.max_pool3d_with_indices(ne.tensor(X), 2), TF.max_pool3d_with_indices(T.tensor(X), 2)),
                         (F.adaptive_max_pool3d_with_indices(ne.tensor(X), 2),
                          TF.adaptive_max_pool3d_with_indices(T.tensor(X), 2))):
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    w = RNG.standard_normal((3, 4, 1, 2, 1)).astype(np.float32)
    _close(ne.conv3d(ne.tensor(X), ne.tensor(w), None, 1, 1).numpy(), T.conv3d(T.tensor(X), T.tensor(w), None, 1, 1).numpy())
    _close(ne.conv_transpose3d(ne.tensor(X), ne.tensor(w.transpose(1, 0, 2, 3, 4).copy()), None, 2).numpy(),
           T.conv_transpose3d(T.tensor(X), T.tensor(w.transpose(1, 0, 2, 3, 4).copy()), None, 2).numpy())
    np.testing.assert_array_equal(ne.max_pool3d(ne.tensor(X), 2).numpy(), T.max_pool3d(T.tensor(X), 2).numpy())


@pytest.mark.parametrize("pads", [(0, 0, 0, 0, 0, 0), (0, 0, 0, 0, -1, 0), (0, 0, 0, 0, 1, 0), (1, 0, 0, 0, -1, 0)],
                         ids=str)
def test_pad_of_a_third_dimension_never_aliases_its_input(pads):
    x = ne.ones(1, 2, 3, 4)
    y = F.pad(x, pads)
    y += 5.0
    assert float(x.sum()) == 24.0
