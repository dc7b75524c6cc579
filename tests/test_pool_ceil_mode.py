"""torch's pooling options on top of the floor-mode pool2d kernels: ``ceil_mode`` (max / min / avg, 2-D and 1-D,
``return_indices``), ``count_include_pad=False`` and ``divisor_override`` (avg): a float64 loop oracle written
from torch's formulas, PyTorch side by side (values, gradients, indices), finite differences, the modules, the
unchanged fast path and bad arguments."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine import _core
from nnengine.autograd import gradcheck


def _x(shape, seed=0):
    # distinct values so that the arg-extreme (and so the gradient) is unambiguous
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) / n - 0.5).astype(np.float32)


def _out_len(n, k, s, p, ceil):
    out = (n + 2 * p - k + (s - 1 if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= n + p:
        out -= 1
    return out


def oracle(x, kind, k, s, p, ceil=False, include_pad=True, divisor=None):
    """(y, dx_of(dy)) in float64 by loops over windows, torch's rules (Pool.h, AvgPoolKernel.cpp,
    MaxPoolKernel.cpp): a window [o * s - p, o * s - p + k) clipped to the input for max/min; for avg the divisor
    is the window clipped to the padded input (count_include_pad), or the real elements in it, or the
    override."""
    x = np.asarray(x, np.float64)
    N, C, H, W = x.shape
    (kh, kw), (sh, sw), (ph, pw) = k, s, p
    P, Q = _out_len(H, kh, sh, ph, ceil), _out_len(W, kw, sw, pw, ceil)
    y = np.zeros((N, C, P, Q))
    taps = {}  # (i, j) -> list of ((h, w), weight) per plane, weights independent of the plane for avg
    for i in range(P):
        for j in range(Q):
            h0, w0 = i * sh - ph, j * sw - pw
            h1, w1 = min(h0 + kh, H + ph), min(w0 + kw, W + pw)
            pool = (h1 - h0) * (w1 - w0)
            h0c, w0c, h1c, w1c = max(h0, 0), max(w0, 0), min(h1, H), min(w1, W)
            win = x[:, :, h0c:h1c, w0c:w1c].reshape(N, C, -1)
            if kind == "avg":
                div = divisor if divisor is not None else pool if include_pad else (h1c - h0c) * (w1c - w0c)
                y[:, :, i, j] = win.sum(-1) / div
                taps[i, j] = (h0c, h1c, w0c, w1c, 1.0 / div)
            else:
                a = win.argmax(-1) if kind == "max" else win.argmin(-1)
                y[:, :, i, j] = np.take_along_axis(win, a[..., None], -1)[..., 0]
                taps[i, j] = (h0c, w0c, w1c - w0c, a)

    def dx_of(dy):
        dx = np.zeros_like(x)
        for (i, j), t in taps.items():
            if kind == "avg":
                h0c, h1c, w0c, w1c, f = t
                dx[:, :, h0c:h1c, w0c:w1c] += (dy[:, :, i, j] * f)[..., None, None]
            else:
                h0c, w0c, ww, a = t
                for n in range(N):
                    for c in range(C):
                        dx[n, c, h0c + a[n, c] // ww, w0c + a[n, c] % ww] += dy[n, c, i, j]
        return dx

    return y, dx_of


# (H, W, kernel, stride, padding): odd sizes, partial last windows, windows starting in the right padding (dropped
# by torch's rule), the 1x1 plane and a kernel larger than the input (only ceil mode gives it a window)
CEIL_GRID = [
    (5, 5, (2, 2), (2, 2), (0, 0)),
    (7, 9, (3, 3), (2, 2), (1, 1)),
    (6, 6, (3, 3), (2, 2), (1, 1)),
    (1, 1, (1, 1), (2, 2), (0, 0)),
    (1, 7, (1, 3), (1, 2), (0, 1)),
    (2, 2, (3, 3), (2, 2), (0, 0)),
    (8, 7, (4, 2), (3, 3), (2, 1)),
    (11, 4, (2, 3), (3, 2), (1, 1)),
]
AVG_OPTS = [
    dict(ceil_mode=True),
    dict(ceil_mode=True, count_include_pad=False),
    dict(ceil_mode=False, count_include_pad=False),
    dict(ceil_mode=True, divisor_override=3),
    dict(ceil_mode=False, divisor_override=-2),
]


def _cid(c):
    return "x".join(map(str, c[:2])) + f"-k{c[2][0]}{c[2][1]}-s{c[3][0]}{c[3][1]}-p{c[4][0]}{c[4][1]}"


@pytest.mark.parametrize("cfg", CEIL_GRID, ids=_cid)
def test_oracle_matches_torch_and_ne_matches_oracle(cfg, torch):
    H, W, k, s, p = cfg
    x = _x((2, 3, H, W))
    dy = np.random.default_rng(1)
    for kind, kw in [("max", dict(ceil_mode=True)), ("min", dict(ceil_mode=True))] + [("avg", o) for o in AVG_OPTS]:
        ceil, inc, div = kw["ceil_mode"], kw.get("count_include_pad", True), kw.get("divisor_override")
        if min(_out_len(H, k[0], s[0], p[0], ceil), _out_len(W, k[1], s[1], p[1], ceil)) < 1:
            with pytest.raises(ValueError, match="smaller than kernel_size"):  # torch: "Output size is too small"
                F.avg_pool2d(ne.Tensor(x), k, s, p, **kw)
            continue
        yr, bwd = oracle(x, kind, k, s, p, ceil, inc, div)
        t = torch.tensor(x.astype(np.float64))
        if kind == "avg":
            yt = torch.nn.functional.avg_pool2d(t, k, s, p, **kw)
        else:
            sign = 1 if kind == "max" else -1
            yt = sign * torch.nn.functional.max_pool2d(sign * t, k, s, p, ceil_mode=True)
        np.testing.assert_allclose(yr, yt.numpy(), atol=1e-12, err_msg=f"{kind} {kw}")  # the oracle is torch's
        xn = ne.Tensor(x, requires_grad=True)
        fn = {"max": F.max_pool2d, "min": F.min_pool2d, "avg": F.avg_pool2d}[kind]
        yn = fn(xn, k, s, p, **kw)
        g = dy.standard_normal(yr.shape).astype(np.float32)
        yn.backward(g)
        assert yn.shape == yr.shape
        np.testing.assert_allclose(yn.numpy(), yr, atol=2e-6, err_msg=f"{kind} {kw}")
        np.testing.assert_allclose(xn.grad, bwd(g.astype(np.float64)), atol=2e-6, err_msg=f"{kind} {kw}")


@pytest.mark.parametrize("cfg", CEIL_GRID, ids=_cid)
def test_matches_torch_values_gradients_indices(cfg, torch):
    H, W, k, s, p = cfg
    x = _x((2, 3, H, W), seed=3)
    rng = np.random.default_rng(2)
    tf = torch.nn.functional
    cases = [
        ("max", F.max_pool2d, lambda t: tf.max_pool2d(t, k, s, p, ceil_mode=True), dict(ceil_mode=True)),
        ("min", F.min_pool2d, lambda t: -tf.max_pool2d(-t, k, s, p, ceil_mode=True), dict(ceil_mode=True)),
    ] + [("avg", F.avg_pool2d, lambda t, o=o: tf.avg_pool2d(t, k, s, p, **o), o) for o in AVG_OPTS]
    for kind, fn, tfn, kw in cases:
        if not kw["ceil_mode"] and min(_out_len(H, k[0], s[0], p[0], False), _out_len(W, k[1], s[1], p[1], False)) < 1:
            continue  # torch rejects it too (the test above)
        xt = torch.tensor(x, requires_grad=True)
        yt = tfn(xt)
        dy = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
        yt.backward(torch.tensor(dy))
        xn = ne.Tensor(x, requires_grad=True)
        yn = fn(xn, k, s, p, **kw)
        yn.backward(dy)
        assert yn.shape == tuple(yt.shape), (kind, kw)
        np.testing.assert_allclose(yn.numpy(), yt.detach().numpy(), atol=1e-5, err_msg=f"{kind} {kw}")
        np.testing.assert_allclose(xn.grad, xt.grad.numpy(), atol=1e-5, err_msg=f"{kind} {kw}")
    yn, idx = F.max_pool2d(ne.Tensor(x), k, s, p, ceil_mode=True, return_indices=True)
    yt, it = tf.max_pool2d(torch.tensor(x), k, s, p, ceil_mode=True, return_indices=True)
    assert idx.dtype == ne.int64 and np.array_equal(idx.numpy(), it.numpy())
    # unbatched (C, H, W)
    np.testing.assert_allclose(F.avg_pool2d(ne.Tensor(x[0]), k, s, p, ceil_mode=True, count_include_pad=False).numpy(),
                               tf.avg_pool2d(torch.tensor(x[0]), k, s, p, ceil_mode=True, count_include_pad=False).numpy(),
                               atol=1e-5)


POOL1D = [(1, 1, 2, 0), (2, 3, 2, 1), (7, 2, 2, 0), (7, 3, 2, 1), (10, 4, 3, 2), (5, 5, 1, 2), (9, 2, 3, 1)]


@pytest.mark.parametrize("L,k,s,p", POOL1D)
def test_pool1d_ceil_mode_and_count_include_pad_match_torch(L, k, s, p, torch):
    x = _x((2, 3, L), seed=5)
    rng = np.random.default_rng(6)
    tf = torch.nn.functional
    for name, kw in [("max_pool1d", dict(ceil_mode=True)), ("avg_pool1d", dict(ceil_mode=True)),
                     ("avg_pool1d", dict(ceil_mode=True, count_include_pad=False)),
                     ("avg_pool1d", dict(count_include_pad=False))]:
        xt = torch.tensor(x, requires_grad=True)
        yt = getattr(tf, name)(xt, k, s, p, **kw)
        dy = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
        yt.backward(torch.tensor(dy))
        xn = ne.Tensor(x, requires_grad=True)
        yn = getattr(F, name)(xn, k, s, p, **kw)
        yn.backward(dy)
        np.testing.assert_allclose(yn.numpy(), yt.detach().numpy(), atol=1e-5, err_msg=f"{name} {kw}")
        np.testing.assert_allclose(xn.grad, xt.grad.numpy(), atol=1e-5, err_msg=f"{name} {kw}")
        np.testing.assert_allclose(getattr(F, name)(ne.Tensor(x[0]), k, s, p, **kw).numpy(),
                                   yt.detach().numpy()[0], atol=1e-5)  # unbatched
    _, idx = F.max_pool1d(ne.Tensor(x), k, s, p, ceil_mode=True, return_indices=True)
    _, it = tf.max_pool1d(torch.tensor(x), k, s, p, ceil_mode=True, return_indices=True)
    assert np.array_equal(idx.numpy(), it.numpy())


def test_gradcheck_finite_differences():
    # distinct values in (-1, 1) over 0.02 apart: the finite-difference step (0.01) never changes the maximum
    vals = np.random.default_rng(7).permutation(np.linspace(-0.95, 0.95, 2 * 7 * 5)).astype(np.float32)
    x = ne.Tensor(vals.reshape(1, 2, 7, 5), requires_grad=True)
    assert gradcheck(lambda t: F.max_pool2d(t, 3, 2, 1, ceil_mode=True), [x])
    assert gradcheck(lambda t: F.min_pool2d(t, 2, ceil_mode=True), [x])
    assert gradcheck(lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True), [x])
    assert gradcheck(lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False), [x])
    assert gradcheck(lambda t: F.avg_pool2d(t, (2, 3), 2, 1, divisor_override=5), [x])
    x1 = ne.Tensor(vals.reshape(2, 5, 7), requires_grad=True)
    assert gradcheck(lambda t: F.avg_pool1d(t, 4, 3, 2, ceil_mode=True, count_include_pad=False), [x1])
    assert gradcheck(lambda t: F.max_pool1d(t, 2, ceil_mode=True), [x1])


def test_default_options_take_the_kernel_path_unchanged():
    x = _x((2, 3, 9, 9), seed=8)
    for kind, fn in (("max", F.max_pool2d), ("min", F.min_pool2d), ("avg", F.avg_pool2d)):
        y, _ = _core.pool2d_forward(x, kind, (3, 3), (2, 2), (1, 1))
        assert np.array_equal(fn(ne.Tensor(x), 3, 2, 1).numpy(), y)
        # ceil mode whose output equals floor mode's, and count_include_pad=False without padding: same bits
        assert np.array_equal(fn(ne.Tensor(x), 3, 2, 1, ceil_mode=True).numpy(), y)
    y, _ = _core.pool2d_forward(x, "avg", (2, 2), (2, 2), (0, 0))
    assert np.array_equal(F.avg_pool2d(ne.Tensor(x), 2, count_include_pad=False).numpy(), y)


def test_modules_match_torch(torch):
    x = _x((2, 3, 9, 10), seed=9)
    pairs = [
        (ne.nn.MaxPool2d(3, 2, 1, ceil_mode=True), torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
        (ne.nn.AvgPool2d(3, 2, 1, ceil_mode=True), torch.nn.AvgPool2d(3, 2, 1, ceil_mode=True)),
        (ne.nn.AvgPool2d(3, 2, 1, True, False), torch.nn.AvgPool2d(3, 2, 1, True, False)),
        (ne.nn.AvgPool2d(2, divisor_override=3), torch.nn.AvgPool2d(2, divisor_override=3)),
        (ne.nn.AvgPool2d((3, 2), (2, 3), (1, 1), count_include_pad=False),
         torch.nn.AvgPool2d((3, 2), (2, 3), (1, 1), count_include_pad=False)),
    ]
    for nm, tm in pairs:
        np.testing.assert_allclose(nm(ne.Tensor(x)).numpy(), tm(torch.tensor(x)).numpy(), atol=1e-5, err_msg=repr(nm))
        assert list(nm.state_dict()) == []
    mn = ne.nn.MinPool2d(3, 2, ceil_mode=True)
    np.testing.assert_allclose(mn(ne.Tensor(x)).numpy(), -torch.nn.MaxPool2d(3, 2, ceil_mode=True)(-torch.tensor(x)).numpy())
    m1 = ne.nn.MaxPool1d(3, 2, 1, ceil_mode=True, return_indices=True)
    y1, i1 = m1(ne.Tensor(x[0]))
    yt1, it1 = torch.nn.MaxPool1d(3, 2, 1, ceil_mode=True, return_indices=True)(torch.tensor(x[0]))
    np.testing.assert_allclose(y1.numpy(), yt1.numpy())
    assert np.array_equal(i1.numpy(), it1.numpy())
    a1 = ne.nn.AvgPool1d(4, 3, 2, ceil_mode=True, count_include_pad=False)
    np.testing.assert_allclose(a1(ne.Tensor(x[0])).numpy(),
                               torch.nn.AvgPool1d(4, 3, 2, ceil_mode=True, count_include_pad=False)(torch.tensor(x[0])).numpy(),
                               atol=1e-5)
    m = ne.nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False, divisor_override=2)
    assert (m.ceil_mode, m.count_include_pad, m.divisor_override) == (True, False, 2)


def test_sequential_relu_maxpool_ceil_mode_is_not_fused_and_matches_torch(torch):
    x = np.random.default_rng(10).standard_normal((2, 3, 9, 9)).astype(np.float32)
    seq = ne.nn.Sequential(ne.nn.ReLU(), ne.nn.MaxPool2d(2, ceil_mode=True))
    tseq = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.MaxPool2d(2, ceil_mode=True))
    xn, xt = ne.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yn, yt = seq(xn), tseq(xt)
    assert yn.shape == (2, 3, 5, 5)
    np.testing.assert_allclose(yn.numpy(), yt.detach().numpy())
    yn.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xn.grad, xt.grad.numpy())


def test_bad_arguments():
    x = ne.randn(1, 2, 8, 8)
    with pytest.raises(TypeError, match="ceil_mode: expected a bool, got 'yes'"):
        F.max_pool2d(x, 2, ceil_mode="yes")
    with pytest.raises(TypeError, match="ceil_mode: expected a bool"):
        F.min_pool2d(x, 2, ceil_mode=2)
    with pytest.raises(TypeError, match="count_include_pad: expected a bool, got None"):
        F.avg_pool2d(x, 2, count_include_pad=None)
    with pytest.raises(ValueError, match="divisor_override: expected a non-zero int, got 0"):
        F.avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(TypeError, match="divisor_override: expected None or an int, got 1.5"):
        F.avg_pool2d(x, 2, divisor_override=1.5)
    with pytest.raises(TypeError, match="divisor_override"):
        ne.nn.AvgPool2d(2, divisor_override=True)(x)
    with pytest.raises(TypeError, match="return_indices: expected a bool"):
        F.max_pool2d(x, 2, return_indices="no")
    # the window checks name the argument in ceil mode too (the binding's one check)
    with pytest.raises(ValueError, match="stride: expected values in"):
        F.max_pool2d(x, 2, stride=0, ceil_mode=True)
    with pytest.raises(ValueError, match="kernel_size: expected values in"):
        F.avg_pool2d(x, (0, 2), ceil_mode=True, count_include_pad=False)
    with pytest.raises(ValueError, match="padding: should be at most half"):
        F.avg_pool2d(x, 3, padding=2, ceil_mode=True)
    with pytest.raises(ValueError, match="smaller than kernel_size"):
        F.avg_pool2d(ne.randn(1, 1, 2, 8), (5, 2), stride=(1, 2), ceil_mode=True)
    with pytest.raises(ValueError, match="non-empty spatial size"):
        F.max_pool2d(ne.randn(1, 1, 0, 4), 1, ceil_mode=True)
    with pytest.raises(ValueError, match="input: expected 2 or 3 dimensions"):
        F.avg_pool1d(x, 2, ceil_mode=True)
    with pytest.raises(ValueError, match="dilation: only"):
        F.max_pool2d(x, 2, dilation=2, ceil_mode=True)
