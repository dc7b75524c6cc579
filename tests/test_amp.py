"""``nnengine.autocast("bf16")``: torch.autocast's contract on the CPU (python/nnengine/amp.py).

Where the CPU has bf16 kernels: Linear / matmul / Conv1d/2d / ConvTranspose2d under autocast equal their
float32 ops on bf16-rounded operands (up to float32 summation), forward and backward; so do the steps of the
recurrent layers (LSTM / GRU / RNN and their cells: every gate product's operands rounded); shapes and dtypes are
the same with autocast on and off; compiled modules run eagerly inside it. Where it has none: entering
autocast raises the clear RuntimeError. The argument checks and the state rules run on every CPU.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from reference.bf16 import bf16_round

import nnengine as ne
from nnengine import _core, nn

HAVE_BF16 = _core.bf16_unavailable_reason() == ""
needs_bf16 = pytest.mark.skipif(not HAVE_BF16, reason="justified: this CPU has no bf16 kernels "
                                "(test_entering_without_bf16_raises checks the error instead)")


def _rel(a, b):
    return float(np.abs(np.asarray(a, np.float64) - b).max() / max(np.abs(b).max(), 1e-30))


def test_entering_without_bf16_raises():
    isa = _core.isa()
    try:
        if HAVE_BF16:
            _core.set_isa("avx2")  # the same machine without its bf16 tier
        with pytest.raises(RuntimeError, match="autocast\\('bf16'\\): .*(AVX512-BF16|avx512)"):
            with ne.autocast("bf16"):
                pass
        assert not ne.is_autocast_enabled()
        with ne.autocast("cpu", enabled=False):  # disabled: enters anywhere
            assert not ne.is_autocast_enabled()
    finally:
        _core.set_isa(isa)


def test_arguments_and_torch_spellings():
    for bad, err in [(("gpu",), ValueError), ((3,), TypeError), (("cpu", ne.float16), ValueError),
                     (("cpu", None, "yes"), TypeError)]:
        with pytest.raises(err):
            ne.autocast(*bad)
    with pytest.warns(UserWarning, match="CUDA is not available. Disabling"):  # torch without a GPU: off
        assert not ne.autocast("cuda")._enabled
    ne.autocast("cpu", dtype=ne.bfloat16, enabled=False)
    ne.autocast(device_type="cpu", dtype="bfloat16", cache_enabled=True, enabled=False)
    ne.amp.autocast("bf16", enabled=False)
    assert ne.get_autocast_dtype("cpu") is ne.bfloat16
    with pytest.raises(TypeError, match="bfloat16"):
        ne.zeros(2, dtype=ne.bfloat16)
    scaler = ne.amp.GradScaler()
    loss = ne.tensor(3.0)
    assert scaler.scale(loss) is loss and scaler.get_scale() == 1.0


@needs_bf16
def test_state_nests_per_thread_and_decorates():
    seen = []
    with ne.autocast("bf16"):
        assert ne.is_autocast_enabled()
        with ne.autocast("cpu", enabled=False):
            assert not ne.is_autocast_enabled()
        assert ne.is_autocast_enabled()
        t = threading.Thread(target=lambda: seen.append(ne.is_autocast_enabled()))
        t.start()
        t.join()
    assert not ne.is_autocast_enabled() and seen == [False]

    @ne.autocast("bf16")
    def f():
        return ne.is_autocast_enabled()

    assert f() and not ne.is_autocast_enabled()
    with pytest.raises(KeyError):
        with ne.autocast("bf16"):
            raise KeyError("x")
    assert not ne.is_autocast_enabled()


@needs_bf16
@pytest.mark.parametrize("batch", [1, 3, 37])
def test_linear_forward_and_backward_are_bf16_products(batch, bf16_kernel):
    if bf16_kernel is None:  # (this CPU lacks that kernel: the other one runs the test)
        return
    ne.manual_seed(0)
    lin = nn.Linear(70, 33)
    x = ne.randn(batch, 70, requires_grad=True)
    with ne.autocast("bf16"):
        y = lin(x)
    assert y.dtype == np.float32 and y.shape == (batch, 33)
    xr, wr = bf16_round(x.data).astype(np.float64), bf16_round(lin.weight.data).astype(np.float64)
    assert _rel(y.data, xr @ wr.T + lin.bias.data) < 1e-5
    g = np.random.default_rng(0).standard_normal((batch, 33)).astype(np.float32)
    y.backward(ne.tensor(g))
    gr = bf16_round(g).astype(np.float64)
    assert _rel(x.grad, gr @ wr) < 1e-5
    assert _rel(lin.weight.grad, gr.T @ xr) < 1e-5
    assert _rel(lin.bias.grad, g.astype(np.float64).sum(0)) < 1e-5  # the bias gradient stays float32
    # and it is not the float32 result: the products really are bf16
    assert _rel(y.data, x.data.astype(np.float64) @ lin.weight.data.T.astype(np.float64) + lin.bias.data) > 1e-5


@needs_bf16
def test_matmul_2d_under_autocast():
    a, b = ne.randn(9, 40, requires_grad=True), ne.randn(40, 7, requires_grad=True)
    with ne.autocast("bf16"):
        y = a @ b
    ar, br_ = bf16_round(a.data).astype(np.float64), bf16_round(b.data).astype(np.float64)
    assert _rel(y.data, ar @ br_) < 1e-5
    y.sum().backward()
    assert _rel(a.grad, np.ones((9, 7)) @ br_.T) < 1e-5


@needs_bf16
@pytest.mark.parametrize("sa,sb", [((4, 9, 40), (4, 40, 7)), ((2, 3, 9, 40), (1, 40, 7)), ((3, 1, 9, 40), (2, 40, 7))])
def test_batched_matmul_under_autocast(sa, sb):
    """N-D matmul under autocast: one _core.gemm_batched(bf16=True) call, the float32 batched product of the
    bf16-rounded operands (up to float32 summation), forward and both gradients."""
    a, b = ne.randn(*sa, requires_grad=True), ne.randn(*sb, requires_grad=True)
    with ne.autocast("bf16"):
        y = a @ b
    ar, br_ = bf16_round(a.data).astype(np.float64), bf16_round(b.data).astype(np.float64)
    assert y.shape == np.broadcast_shapes(sa[:-1] + (1,), sb[:-2] + (1, sb[-1])) and y.dtype == np.float32
    assert _rel(y.data, ar @ br_) < 1e-5
    assert _rel(y.data, a.data.astype(np.float64) @ b.data.astype(np.float64)) > 1e-5  # really bf16 products
    with ne.autocast("bf16"):
        (a @ b).sum().backward()
    g = np.ones(y.shape)
    ga = g @ np.swapaxes(br_, -1, -2)
    gb = np.swapaxes(ar, -1, -2) @ g
    assert _rel(a.grad, _reduce_to(ga, sa)) < 1e-5
    assert _rel(b.grad, _reduce_to(gb, sb)) < 1e-5


def _reduce_to(g, shape):
    """Sum a broadcast gradient back to ``shape`` (numpy's broadcasting in reverse)."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape)))) if g.ndim > len(shape) else g
    return g.sum(axis=tuple(i for i, d in enumerate(shape) if d == 1 and g.shape[i] != 1), keepdims=True)


def _assert_bf16_layer(layer, ref, x, seed):
    """``layer`` under autocast against ``ref`` (its float32 twin, given the bf16-rounded weights) on the
    bf16-rounded input: the output, the input gradient and the weight gradient. Returns the autocast output."""
    ref.weight.data[...] = bf16_round(layer.weight.data)
    ref.bias.data[...] = layer.bias.data
    xr = ne.tensor(bf16_round(x.data), requires_grad=True)
    with ne.autocast("bf16"):
        y = layer(x)
    want = ref(xr)
    assert y.shape == want.shape and y.dtype == np.float32
    assert _rel(y.data, want.data) < 1e-5
    g = np.random.default_rng(seed).standard_normal(y.shape).astype(np.float32)
    y.backward(ne.tensor(g))
    want.backward(ne.tensor(bf16_round(g)))
    assert _rel(x.grad, xr.grad) < 1e-5
    assert _rel(layer.weight.grad, ref.weight.grad) < 1e-5
    return y


@needs_bf16
@pytest.mark.parametrize("xs,ws,pad", [((8, 1, 28, 28), (6, 1, 5, 5), 2), ((8, 6, 14, 14), (16, 6, 5, 5), 0),
                                       ((3, 4, 11, 9), (6, 4, 3, 3), 1)])
def test_small_conv2d_under_autocast_runs_the_direct_kernels_on_rounded_operands(xs, ws, pad, threads):
    """Shapes where the float32 direct kernels beat im2col + GEMM (LeNet's layers) keep them under autocast, on
    copies of the product operands rounded to bf16 (exact products, float32 sums: bf16 compute): bit-identical to
    the float32 kernels on rounded operands, at 1 and 2 threads; the bias gradient is the float32 sum of the
    unrounded dy."""
    rng = np.random.default_rng(sum(xs))
    x, w = rng.standard_normal(xs).astype(np.float32), rng.standard_normal(ws).astype(np.float32)
    b = rng.standard_normal(ws[0]).astype(np.float32)
    algo = ne.backend.conv2d_algorithm(xs, ws, padding=pad, bf16=True)
    assert algo["forward"] in ("direct", "direct_lanes") and algo["backward_data"] == "direct", algo
    assert algo == ne.backend.conv2d_algorithm(xs, ws, padding=pad)
    y = _core.conv2d_forward(x, w, b, padding=(pad, pad), bf16=True)
    assert np.array_equal(y, _core.conv2d_forward(bf16_round(x), bf16_round(w), b, padding=(pad, pad)))
    assert _rel(y, _core.conv2d_forward(x, w, b, padding=(pad, pad))) > 1e-4  # not the float32 result
    dy = rng.standard_normal(y.shape).astype(np.float32)
    outs = []
    for n in (1, 2):
        with threads(n):
            dx = _core.conv2d_backward_data(dy, w, xs[2:], padding=(pad, pad), bf16=True)
            dw, db = _core.conv2d_backward_weights(dy, x, ws[2:], padding=(pad, pad), bf16=True)
            outs.append((_core.conv2d_forward(x, w, b, padding=(pad, pad), bf16=True), dx, dw, db))
    for a, c in zip(*outs):
        assert np.array_equal(a, c)
    assert np.array_equal(dx, _core.conv2d_backward_data(bf16_round(dy), bf16_round(w), xs[2:], padding=(pad, pad)))
    dwr, _ = _core.conv2d_backward_weights(bf16_round(dy), bf16_round(x), ws[2:], padding=(pad, pad))
    _, db32 = _core.conv2d_backward_weights(dy, x, ws[2:], padding=(pad, pad))
    assert np.array_equal(dw, dwr) and np.array_equal(db, db32)


@needs_bf16
@pytest.mark.parametrize("stride,padding,groups", [(1, 1, 1), (2, 0, 1), (1, 2, 2)])
def test_conv2d_forward_and_backward_are_bf16_products(stride, padding, groups, bf16_kernel):
    if bf16_kernel is None:  # (this CPU lacks that kernel: the other one runs the test)
        return
    ne.manual_seed(1)
    conv = nn.Conv2d(4, 6, 3, stride=stride, padding=padding, groups=groups)
    x = ne.randn(2, 4, 11, 9, requires_grad=True)
    _assert_bf16_layer(conv, nn.Conv2d(4, 6, 3, stride=stride, padding=padding, groups=groups), x, 2)


@needs_bf16
@pytest.mark.parametrize("cin,cout,k,stride,padding,out_pad,dil,groups,hw", [
    (8, 6, 4, 2, 1, 0, 1, 1, 5),    # a DCGAN layer (the strided GEMM path)
    (8, 6, 4, 2, 1, 0, 1, 1, 33),   # the same, each image in blocks of rows (in place, one image at a time)
    (10, 6, 4, 1, 0, 0, 1, 1, 1),   # from 1x1 (the point path)
    (4, 6, 3, 1, 1, 0, 1, 2, 6),    # stride 1, groups (conv2d's paths)
    (4, 4, 3, 2, 1, 1, 2, 1, 4),    # output padding, dilation
])
def test_conv_transpose2d_forward_and_backward_are_bf16_products(cin, cout, k, stride, padding, out_pad, dil, groups,
                                                                 hw, bf16_kernel):
    if bf16_kernel is None:  # (this CPU lacks that kernel: the other one runs the test)
        return
    ne.manual_seed(4)
    kw = dict(stride=stride, padding=padding, output_padding=out_pad, dilation=dil, groups=groups)
    layer, ref = nn.ConvTranspose2d(cin, cout, k, **kw), nn.ConvTranspose2d(cin, cout, k, **kw)
    x = ne.randn(3, cin, hw, hw, requires_grad=True)
    y = _assert_bf16_layer(layer, ref, x, 5)
    with ne.no_grad():
        assert _rel(y.data, layer(x).data) > 1e-5  # not the float32 result


@needs_bf16
def test_conv1d_and_sequence_models_keep_shapes_and_dtypes():
    """Conv1d and the recurrent layers run in bf16: close to float32, not equal."""
    ne.manual_seed(2)
    models = [(nn.Conv1d(6, 16, 5, padding=2), ne.randn(3, 6, 40)),
              (nn.LSTM(8, 16, num_layers=2, bidirectional=True, batch_first=True), ne.randn(3, 10, 8)),
              (nn.GRU(8, 16, batch_first=True), ne.randn(3, 10, 8)),
              (nn.RNN(8, 16), ne.randn(10, 3, 8)),
              (nn.LSTMCell(8, 16), ne.randn(3, 8)),
              (nn.GRUCell(8, 16), ne.randn(3, 8))]
    for model, x in models:
        x.requires_grad_(True)
        out32 = model(x)
        with ne.autocast("bf16"):
            outb = model(x)
        o32 = out32[0] if isinstance(out32, tuple) else out32
        ob = outb[0] if isinstance(outb, tuple) else outb
        assert ob.shape == o32.shape and ob.dtype == o32.dtype
        assert 0 < _rel(ob.data, o32.data) < 3e-2, type(model).__name__  # bf16 products: close, not equal
        ob.sum().backward()
        assert x.grad.shape == x.shape and all(p.grad is not None for p in model.parameters())


@needs_bf16
def test_compiled_module_runs_eagerly_inside_autocast():
    ne.manual_seed(3)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))
    fast = ne.compile(model)
    x = ne.randn(5, 16)
    with ne.no_grad():
        y32 = fast(x)
        with ne.autocast("bf16"):
            yb = fast(x)
            ye = model(x)
        assert np.array_equal(yb.data, ye.data) and not np.array_equal(yb.data, y32.data)
        assert np.array_equal(fast(x).data, y32.data)  # and the float32 plan afterwards


@needs_bf16
def test_training_under_autocast_learns_like_float32():
    """An MLP on the embedded 8x8 digits: bf16 products, float32 master weights and optimizer state."""
    from nnengine.data import load_digits

    x, y = load_digits()
    x = (x / 16.0).astype(np.float32).reshape(len(x), -1)
    xtr, ytr, xte, yte = x[:1400], y[:1400], x[1400:], y[1400:]
    accs = []
    for amp in (False, True):
        ne.manual_seed(0)
        model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
        opt = ne.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for _ in range(8):
            for i in range(0, len(xtr), 50):
                with ne.autocast("bf16", enabled=amp):
                    loss = nn.functional.cross_entropy(model(ne.tensor(xtr[i:i + 50])), ne.tensor(ytr[i:i + 50]))
                opt.zero_grad()
                loss.backward()
                opt.step()
        assert all(p.data.dtype == np.float32 for p in model.parameters())
        with ne.no_grad(), ne.autocast("bf16", enabled=amp):
            accs.append(float((model(ne.tensor(xte)).data.argmax(1) == yte).mean()))
    assert accs[0] > 0.85 and abs(accs[0] - accs[1]) < 0.02, accs


# ------------------------------------------------------------------------------------- recurrent layers
# (T, B, I, H): one row group; three (threads take row groups); 16 + 4 rows (the AMX panel's second row group of a
# pass partly filled)
_SEQ_SHAPES = [(5, 3, 7, 9), (6, 37, 20, 33), (4, 20, 6, 9)]


def _seq_operands(mode, T, B, I, H, seed):
    rng = np.random.default_rng(seed)
    G = {"rnn": 1, "lstm": 4, "gru": 3}[mode]

    def f(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    s = 1 / np.sqrt(H)
    return dict(x=f(T, B, I), h0=f(B, H, scale=0.5), c0=f(B, H), w_ih=f(G * H, I, scale=s), w_hh=f(G * H, H, scale=s),
                b=f(G * H, scale=0.1), b2=f(G * H, scale=0.1), dy=f(T, B, H), dh=f(B, H), dc=f(B, H))


def _fwd(mode, o, reverse, bf16, x=None, h0=None, c0=None, w_ih=None, w_hh=None):
    """One direction's forward kernel -> (y, saved...): the operands of ``o`` unless given."""
    x, h0, c0 = (o["x"] if x is None else x), (o["h0"] if h0 is None else h0), (o["c0"] if c0 is None else c0)
    w_ih, w_hh = (o["w_ih"] if w_ih is None else w_ih), (o["w_hh"] if w_hh is None else w_hh)
    if mode == "rnn":
        return _core.rnn_forward(x, h0, w_ih, w_hh, o["b"], "tanh", reverse, bf16=bf16)
    if mode == "lstm":
        return _core.lstm_forward(x, h0, c0, w_ih, w_hh, o["b"], reverse, bf16=bf16)
    return _core.gru_forward(x, h0, w_ih, w_hh, o["b"], o["b2"], reverse, bf16=bf16)


def _check_forward_steps(mode, o, reverse, shape):
    """The bf16 forward kernel's outputs, each step checked against the float32 kernel's step on bf16-rounded x_t,
    h_{t-1} and weights (fed the bf16 run's own states, so a rounding tie cannot send the two apart)."""
    T, B, I, H = shape
    out = _fwd(mode, o, reverse, True)
    y = out[0]
    assert y.dtype == np.float32 and y.shape == (T, B, H)
    wr, whr = bf16_round(o["w_ih"]), bf16_round(o["w_hh"])
    order = range(T - 1, -1, -1) if reverse else range(T)
    prev = None
    for t in order:
        hp = o["h0"] if prev is None else y[prev]
        cp = o["c0"] if prev is None or mode != "lstm" else out[4][prev]
        step = _fwd(mode, o, False, False, x=bf16_round(o["x"][t:t + 1]), h0=bf16_round(hp), c0=cp, w_ih=wr,
                    w_hh=whr)
        if mode == "gru":  # the blend (h - n) z + n takes the float32 h_{t-1}: compare the gates [r z n gh_n]
            assert _rel(out[2][t], step[2][0]) < 1e-5, t
        else:
            assert _rel(y[t], step[0][0]) < 1e-5, t
        if mode == "lstm":
            assert _rel(out[4][t], step[4][0]) < 1e-5, t
        prev = t
    assert _rel(y, _fwd(mode, o, reverse, False)[0]) > 1e-4  # not the float32 result
    return out


@needs_bf16
@pytest.mark.parametrize("mode", ["rnn", "lstm", "gru"])
def test_recurrent_forward_steps_with_long_rows(mode, bf16_kernel):
    """H = 1030: each step's recurrent product has 1030 values of k (515 pairs: 33 tiles of 16 pairs on the AMX
    panel, the last zero-padded); the forward check as above (the backward's float32-vs-float64 rounding flips
    grow with H, so the backward check keeps the small shapes)."""
    if bf16_kernel is None:  # (this CPU lacks that kernel: the other one runs the test)
        return
    shape = (2, 3, 5, 1030)
    _check_forward_steps(mode, _seq_operands(mode, *shape, seed=3), False, shape)


@needs_bf16
@pytest.mark.parametrize("mode", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("shape", _SEQ_SHAPES)
def test_recurrent_kernels_run_bf16_gate_products(mode, reverse, shape, bf16_kernel):
    """Forward: _check_forward_steps. Backward: the float64 BPTT with every product operand rounded, from the
    kernel's saved states; bias gradients are float32 sums."""
    if bf16_kernel is None:  # (this CPU lacks that kernel: the other one runs the test)
        return
    from reference import rnn as R

    T, B, I, H = shape
    o = _seq_operands(mode, T, B, I, H, seed=sum(shape) + reverse)
    out = _check_forward_steps(mode, o, reverse, shape)
    y = out[0]

    a = (o["dy"], o["dh"])
    if mode == "rnn":
        got = _core.rnn_backward(*a, o["x"], o["h0"], o["w_ih"], o["w_hh"], o["b"], y, "tanh", reverse, bf16=True)
        ref = lambda bf: R.rnn_backward(*a, o["x"], o["h0"], o["w_ih"], o["w_hh"], o["b"], y, "tanh", reverse,  # noqa: E731
                                        bf16=bf)
    elif mode == "lstm":
        got = _core.lstm_backward(*a, o["dc"], o["x"], o["h0"], o["c0"], o["w_ih"], o["w_hh"], o["b"], y, out[3],
                                  out[4], reverse, bf16=True)
        ref = lambda bf: R.lstm_backward(*a, o["dc"], o["x"], o["h0"], o["c0"], o["w_ih"], o["w_hh"], o["b"],  # noqa: E731
                                         reverse, bf16=bf, saved=(y, out[3], out[4]))
    else:
        got = _core.gru_backward(*a, o["x"], o["h0"], o["w_ih"], o["w_hh"], o["b"], o["b2"], y, out[2], reverse,
                                 bf16=True)
        ref = lambda bf: R.gru_backward(*a, o["x"], o["h0"], o["w_ih"], o["w_hh"], o["b"], o["b2"], reverse,  # noqa: E731
                                        bf16=bf, saved=(y, out[2]))
    want, want32 = ref(True), ref(False)
    for k, (g, w, w32) in enumerate(zip(got, want, want32)):
        assert g.dtype == np.float32 and g.shape == w.shape, k
        assert _rel(g, w) < 1e-4, (k, _rel(g, w), _rel(g, w32))
        if np.ndim(w) == 1:  # a bias gradient: float32 sums of float32 gate gradients
            continue
        assert _rel(g, w32) > 1e-4, k  # the other products really are bf16


def _run_layer(model, x, h=None):
    """forward + backward of a recurrent module (or cell) -> the output, the input gradient and the parameter
    gradients, as arrays."""
    model.zero_grad()
    x = ne.tensor(x.data, requires_grad=True)
    out = model(x) if h is None else model(x, h)
    y = out[0] if isinstance(out, tuple) else out
    g = np.random.default_rng(7).standard_normal(y.shape).astype(np.float32)
    y.backward(ne.tensor(g))
    return [y.data.copy(), x.grad.copy()] + [p.grad.copy() for p in model.parameters()]


@needs_bf16
def test_recurrent_modules_under_autocast_pass_bf16_and_stay_bit_identical_at_1_and_2_threads(bf16_kernel):
    """The layers and cells hand autocast's decision to the kernels (a one-direction layer is exactly the kernel
    calls with bf16=True, forward and backward); 2-layer bidirectional stacks give the same bits at 1 and 2 threads."""
    if bf16_kernel is None:  # (this CPU lacks that kernel: the other one runs the test)
        return
    ne.manual_seed(5)
    lstm = nn.LSTM(12, 20)
    x = ne.randn(7, 40, 12)
    with ne.autocast("bf16"):
        got = _run_layer(lstm, x)
    p = [q.data for q in lstm.parameters()]
    z = np.zeros((40, 20), np.float32)
    y, _, _, gates, cs = _core.lstm_forward(x.data, z, z, p[0], p[1], p[2] + p[3], bf16=True)
    assert np.array_equal(got[0], y)
    dy = np.random.default_rng(7).standard_normal(y.shape).astype(np.float32)
    dx, _, _, dwi, dwh, db = _core.lstm_backward(dy, z, z, x.data, z, z, p[0], p[1], p[2] + p[3], y, gates, cs,
                                                 bf16=True)
    assert np.array_equal(got[1], dx) and np.array_equal(got[2], dwi) and np.array_equal(got[3], dwh)
    assert np.array_equal(got[4], db)
    with ne.no_grad(), ne.autocast("bf16"):  # LSTMCell's streaming step (the kernel call without the tape)
        cell = nn.LSTMCell(12, 20)
        cell.load_state_dict({k.replace("_l0", ""): v for k, v in lstm.state_dict().items()})
        h, c = cell(x[0])
        assert np.array_equal(h.data, y[0])

    models = [(nn.LSTM(12, 16, num_layers=2, bidirectional=True), ne.randn(9, 40, 12), None),
              (nn.GRU(12, 16, num_layers=2, bidirectional=True), ne.randn(9, 40, 12), None),
              (nn.RNN(12, 16, nonlinearity="relu", bidirectional=True), ne.randn(9, 5, 12), None),
              (nn.RNNCell(12, 16), ne.randn(5, 12), ne.randn(5, 16)),
              (nn.GRUCell(12, 16), ne.randn(5, 12), ne.randn(5, 16)),
              (nn.LSTMCell(12, 16), ne.randn(5, 12), (ne.randn(5, 16), ne.randn(5, 16)))]
    nt = _core.get_num_threads()
    try:
        for model, x, h in models:
            runs = []
            for threads in (1, 2):
                _core.set_num_threads(threads)
                with ne.autocast("bf16"):
                    runs.append(_run_layer(model, x, h))
            f32 = _run_layer(model, x, h)
            name = type(model).__name__
            assert all(np.array_equal(a, b) for a, b in zip(*runs)), name
            assert all(a.dtype == np.float32 for a in runs[0]), name
            assert 0 < _rel(runs[0][0], f32[0]) < 3e-2, name
    finally:
        _core.set_num_threads(nt)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_recurrent_layers_under_autocast_at_every_isa_tier(isa, kind):
    """Every ISA tier (the `isa` fixture caps the dispatch): where the tier has the bf16 kernels, one step of the
    layer under autocast is the float32 layer on bf16-rounded x and weights (h0 already bf16), forward and input
    gradient, and not the float32 result; where it has none (avx2, baseline: the float32-tile form of
    rnn_bf16.h is never reached), autocast refuses to start and the kernels' bf16=True raises the clear error."""
    ne.manual_seed(11)
    model = getattr(nn, kind)(24, 20)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 6, 24)).astype(np.float32)
    h0 = bf16_round(rng.standard_normal((1, 6, 20)).astype(np.float32))
    state = (ne.tensor(h0), ne.tensor(np.zeros_like(h0))) if kind == "LSTM" else ne.tensor(h0)
    if _core.bf16_unavailable_reason():
        with pytest.raises(RuntimeError, match="autocast\\('bf16'\\): .*(AVX512-BF16|avx512)"):
            with ne.autocast("bf16"):
                pass
        p = [q.data for q in model.parameters()]
        z = h0[0]
        with pytest.raises(ValueError, match="bf16"):
            if kind == "LSTM":
                _core.lstm_forward(x, z, z, p[0], p[1], p[2] + p[3], bf16=True)
            elif kind == "GRU":
                _core.gru_forward(x, z, p[0], p[1], p[2], p[3], bf16=True)
            else:
                _core.rnn_forward(x, z, p[0], p[1], p[2] + p[3], bf16=True)
        return

    def run(m, xa):
        xt = ne.tensor(xa, requires_grad=True)
        y = m(xt, state)[0]
        y.backward(ne.tensor(np.ones(y.shape, np.float32)))
        return y.data.copy(), xt.grad.copy()

    with ne.autocast("bf16"):
        y, dx = run(model, x)
    y32, _ = run(model, x)
    rounded = getattr(nn, kind)(24, 20)
    rounded.load_state_dict({k: bf16_round(v.data) if "weight" in k else v.data
                             for k, v in model.state_dict().items()})
    y_ref, _ = run(rounded, bf16_round(x))
    assert _rel(y, y_ref) < 1e-5, (isa, kind, _rel(y, y_ref))
    assert _rel(y, y32) > 1e-4, (isa, kind)  # really the bf16 products
    assert dx.shape == x.shape and dx.dtype == np.float32 and np.isfinite(dx).all()


@needs_bf16
def test_few_row_inference_reuses_the_weight_cast_until_the_weight_changes():
    """Products of up to 4 rows read a trainable weight's bf16 cast kept for the outermost autocast region (torch's
    autocast cache): bf16 products of the weight's current values, the cast made again after every kind of write
    to the weight inside the region; cleared when the region ends; ``cache_enabled=False`` keeps none."""
    from nnengine import amp

    ne.manual_seed(0)
    lin = nn.Linear(70, 33)
    opt = ne.optim.SGD(lin.parameters(), lr=0.1)
    x = ne.randn(3, 70)

    def fresh():  # the kept-cast kernel on a cast made now from the weight's current values
        return _core.linear_bf16w(x.numpy(), amp.bf16_bits(lin.weight.numpy()), lin.bias.numpy())

    def check():
        with ne.no_grad():
            y = lin(x).numpy()
        np.testing.assert_array_equal(y, fresh())
        assert id(lin.weight._data) in amp._cache.casts
        want = bf16_round(x.numpy()).astype(np.float64) @ bf16_round(lin.weight.numpy()).astype(np.float64).T
        assert np.abs(y - want - lin.bias.numpy()).max() <= 1e-5 * np.abs(want).max()

    with ne.autocast("bf16"):
        check()
        bits = amp._cache.casts[id(lin.weight._data)][3]
        check()
        assert amp._cache.casts[id(lin.weight._data)][3] is bits  # reused
        with ne.autocast("bf16"):  # a nested context shares the outermost one's casts
            check()
        assert amp._cache.casts[id(lin.weight._data)][3] is bits
        lin.weight.data.mul_(1.5)  # torch's in-place method on .data
        check()
        lin.weight.data[0, 0] = 4.0  # numpy item assignment
        check()
        lin.weight.data -= 0.25  # numpy in-place operators
        check()
        np.multiply(lin.weight.data, 0.5, out=lin.weight.data)
        check()
        with ne.no_grad():
            lin.weight.add_(0.5)  # an in-place tensor op
        check()
        lin(x).sum().backward()
        opt.step()  # the fused kernel writes the weight outside the tape
        check()
        lin.weight.data = np.full((33, 70), 0.5, np.float32)  # a new array (the old one's cast goes with it)
        check()
        lin.weight.data = np.full((33, 70), 0.25, np.float32)
        check()
        assert len(amp._cache.casts) == 1
        w2 = ne.ones(33, 70) * 2.0
        y = nn.functional.linear(x, w2)  # a plain array is converted per call, never kept
        assert id(w2._data) not in amp._cache.casts and y.shape == (3, 33)
        lin(ne.randn(5, 70))  # more rows: the bf16 GEMM, nothing kept for it
    assert amp._cache.casts is None
    with ne.autocast("bf16", cache_enabled=False):
        with ne.no_grad():
            y = lin(x).numpy()
        assert amp._cache.casts is None
    np.testing.assert_array_equal(y, _core.gemm(x.numpy(), lin.weight.numpy(), False, True, 1.0, 0.0, None, None,
                                                lin.bias.numpy(), bf16=True))  # converted per call
    with pytest.raises(TypeError, match="cache_enabled: expected a bool or None, got str"):
        ne.autocast("bf16", cache_enabled="yes")


def test_bf16_bits_round_like_the_kernels(isa):
    """bf16_bits rounds as the kernels do; linear_bf16w (the kept-cast product: vdpbf16ps at the avx512 level where
    the CPU has AVX512-BF16, the portable kernel below it) against the float64 oracle on bf16-rounded operands around
    the 32 values of k a step reads, bit-identical at 1 and 2 threads and whether a row comes alone or with others."""
    from nnengine import amp

    rng = np.random.default_rng(5)
    a = rng.integers(0, 2 ** 32, 20000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    bits = amp.bf16_bits(a)
    assert bits.dtype == np.uint16
    finite = np.isfinite(a)
    np.testing.assert_array_equal((bits.astype(np.uint32) << 16).view(np.float32)[finite], bf16_round(a)[finite])
    assert np.isnan((bits.astype(np.uint32) << 16).view(np.float32)[np.isnan(a)]).all()
    w = rng.standard_normal((19, 45)).astype(np.float32)
    x = rng.standard_normal((5, 45)).astype(np.float32)
    b = rng.standard_normal(19).astype(np.float32)
    for m in (1, 2, 3, 4, 5):
        for k in (1, 31, 32, 33, 45):  # around the 2 x 16 values of k the kernel splits into even and odd
            y = _core.linear_bf16w(x[:m, :k].copy(), amp.bf16_bits(w[:, :k]), b)
            want = bf16_round(x[:m, :k]).astype(np.float64) @ bf16_round(w[:, :k]).astype(np.float64).T + b
            assert np.abs(y - want).max() <= 1e-5 * np.abs(want).max()
    for k in (7, 64, 100):  # rows alone equal rows in a call of 2-4 (each output one chain whatever the blocking)
        xs, ws = rng.standard_normal((4, k)).astype(np.float32), amp.bf16_bits(rng.standard_normal((11, k)))
        together = _core.linear_bf16w(xs, ws, b[:11])
        for m in (1, 2, 3):
            np.testing.assert_array_equal(_core.linear_bf16w(xs[:m].copy(), ws, b[:11]), together[:m])
        np.testing.assert_array_equal(_core.linear_bf16w(xs[3:].copy(), ws, b[:11]), together[3:])
    nt = _core.get_num_threads()
    try:
        xb, wb = rng.standard_normal((3, 300)).astype(np.float32), amp.bf16_bits(rng.standard_normal((4000, 300)))
        _core.set_num_threads(1)
        y1 = _core.linear_bf16w(xb, wb)
        _core.set_num_threads(2)
        assert np.array_equal(y1, _core.linear_bf16w(xb, wb))
    finally:
        _core.set_num_threads(nt)
    z = _core.linear_bf16w(np.ones((2, 3), np.float32), amp.bf16_bits(np.array([[np.nan, 0, 0], [np.inf, 1, 1]])))
    assert np.isnan(z[:, 0]).all() and np.isposinf(z[:, 1]).all()
    assert _core.linear_bf16w(np.ones((2, 0), np.float32), np.zeros((3, 0), np.uint16), b[:3]).tolist() == [b[:3].tolist()] * 2
    with pytest.raises(ValueError, match="w_bits: expected shape \\(N, 45\\)"):
        _core.linear_bf16w(x, amp.bf16_bits(w[:, :44]))
    with pytest.raises(TypeError, match="w_bits: expected dtype uint16, got float32"):
        _core.linear_bf16w(x, w)


@needs_bf16
def test_sequential_linear_relu_inference_under_autocast_equals_the_two_ops():
    """nn.Sequential fuses Linear + ReLU; under autocast (inference, no tape) the fused call gives the bits of
    the bf16 product followed by the ReLU, on the few-row path (kept casts) and on the bf16 GEMM."""
    ne.manual_seed(3)
    model = nn.Sequential(nn.Linear(40, 30), nn.ReLU(), nn.Linear(30, 5))
    for rows in (1, 3, 4, 5, 17):
        x = ne.randn(rows, 40)
        with ne.no_grad(), ne.autocast("bf16"):
            got = model(x).numpy()
            h = nn.functional.relu(nn.functional.linear(x, model[0].weight, model[0].bias))
            want = nn.functional.linear(h, model[2].weight, model[2].bias).numpy()
        np.testing.assert_array_equal(got, want)
        with ne.autocast("bf16"):  # with the tape: the two ops, the same values
            np.testing.assert_array_equal(model(x).detach().numpy(), want)
