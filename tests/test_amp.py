"""``nnengine.autocast("bf16")``: torch.autocast's contract on the CPU (python/nnengine/amp.py).

Where the CPU has bf16 kernels: Linear / matmul / Conv1d/2d / ConvTranspose2d under autocast equal their
float32 ops on bf16-rounded operands (up to float32 summation), forward and backward; shapes and dtypes are
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
    for bad, err in [(("cuda",), ValueError), ((3,), TypeError), (("cpu", ne.float16), ValueError),
                     (("cpu", None, "yes"), TypeError)]:
        with pytest.raises(err):
            ne.autocast(*bad)
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
def test_linear_forward_and_backward_are_bf16_products(batch):
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
@pytest.mark.parametrize("stride,padding,groups", [(1, 1, 1), (2, 0, 1), (1, 2, 2)])
def test_conv2d_forward_and_backward_are_bf16_products(stride, padding, groups):
    ne.manual_seed(1)
    conv = nn.Conv2d(4, 6, 3, stride=stride, padding=padding, groups=groups)
    x = ne.randn(2, 4, 11, 9, requires_grad=True)
    with ne.autocast("bf16"):
        y = conv(x)
    xr = ne.tensor(bf16_round(x.data))
    ref = nn.Conv2d(4, 6, 3, stride=stride, padding=padding, groups=groups)
    ref.weight.data[...] = bf16_round(conv.weight.data)
    ref.bias.data[...] = conv.bias.data
    xr.requires_grad_(True)
    want = ref(xr)
    assert y.shape == want.shape and y.dtype == np.float32
    assert _rel(y.data, want.data) < 1e-5
    g = np.random.default_rng(2).standard_normal(y.shape).astype(np.float32)
    y.backward(ne.tensor(g))
    want.backward(ne.tensor(bf16_round(g)))
    assert _rel(x.grad, xr.grad) < 1e-5
    assert _rel(conv.weight.grad, ref.weight.grad) < 1e-5


@needs_bf16
@pytest.mark.parametrize("cin,cout,k,stride,padding,out_pad,dil,groups,hw", [
    (8, 6, 4, 2, 1, 0, 1, 1, 5),    # a DCGAN layer (the strided GEMM path)
    (10, 6, 4, 1, 0, 0, 1, 1, 1),   # from 1x1 (the point path)
    (4, 6, 3, 1, 1, 0, 1, 2, 6),    # stride 1, groups (conv2d's paths)
    (4, 4, 3, 2, 1, 1, 2, 1, 4),    # output padding, dilation
])
def test_conv_transpose2d_forward_and_backward_are_bf16_products(cin, cout, k, stride, padding, out_pad, dil, groups,
                                                                 hw):
    ne.manual_seed(4)
    kw = dict(stride=stride, padding=padding, output_padding=out_pad, dilation=dil, groups=groups)
    layer, ref = nn.ConvTranspose2d(cin, cout, k, **kw), nn.ConvTranspose2d(cin, cout, k, **kw)
    ref.weight.data[...] = bf16_round(layer.weight.data)
    ref.bias.data[...] = layer.bias.data
    x = ne.randn(3, cin, hw, hw, requires_grad=True)
    xr = ne.tensor(bf16_round(x.data), requires_grad=True)
    with ne.autocast("bf16"):
        y = layer(x)
    want = ref(xr)
    assert y.shape == want.shape and y.dtype == np.float32
    assert _rel(y.data, want.data) < 1e-5
    with ne.no_grad():
        assert _rel(y.data, layer(x).data) > 1e-5  # not the float32 result
    g = np.random.default_rng(5).standard_normal(y.shape).astype(np.float32)
    y.backward(ne.tensor(g))
    want.backward(ne.tensor(bf16_round(g)))
    assert _rel(x.grad, xr.grad) < 1e-5
    assert _rel(layer.weight.grad, ref.weight.grad) < 1e-5


@needs_bf16
def test_conv1d_and_sequence_models_keep_shapes_and_dtypes():
    """Conv1d runs in bf16; the recurrent layers run float32 under autocast for now (amp.py says so)."""
    ne.manual_seed(2)
    models = [(nn.Conv1d(6, 16, 5, padding=2), ne.randn(3, 6, 40), True),
              (nn.LSTM(8, 16, num_layers=2, bidirectional=True, batch_first=True), ne.randn(3, 10, 8), False),
              (nn.GRU(8, 16, batch_first=True), ne.randn(3, 10, 8), False),
              (nn.RNN(8, 16), ne.randn(10, 3, 8), False)]
    for model, x, in_bf16 in models:
        x.requires_grad_(True)
        out32 = model(x)
        with ne.autocast("bf16"):
            outb = model(x)
        o32 = out32[0] if isinstance(out32, tuple) else out32
        ob = outb[0] if isinstance(outb, tuple) else outb
        assert ob.shape == o32.shape and ob.dtype == o32.dtype
        if in_bf16:
            assert 0 < _rel(ob.data, o32.data) < 3e-2, type(model).__name__  # bf16 products: close, not equal
        else:
            assert np.array_equal(ob.data, o32.data), type(model).__name__
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
