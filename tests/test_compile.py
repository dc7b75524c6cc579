"""nnengine.compile: compiled == eager bit for bit (outputs, gradients, parameters after optimizer steps) for
each supported model kind; re-capture on a new signature; the eager fallback and its one-time warning; user
Functions; dropout's fresh seeds; state_dict/train/eval/saving as on the original; no leak over many calls."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine import io, models, nn, optim
from nnengine._compile import CompiledModule
from nnengine._compile import compile as ne_compile


def _run(build, make_opt, batches, loss_fn, compiled: bool, steps_per_batch: int = 1):
    ne.manual_seed(0)
    model = build()
    fwd = ne_compile(model) if compiled else model
    opt = make_opt(model)
    outs = []
    for xb, yb in batches:
        for _ in range(steps_per_batch):
            opt.zero_grad()
            out = fwd(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            outs.append((np.array(out.data if isinstance(out, ne.Tensor) else out[0].data), loss.item(),
                         [None if p.grad is None else p.grad.copy() for p in model.parameters()]))
            opt.step()
    return outs, [p.data.copy() for p in model.parameters()], model


def _assert_same(a, b):
    (outs_a, params_a, _), (outs_b, params_b, _) = a, b
    assert len(outs_a) == len(outs_b)
    for (oa, la, ga), (ob, lb, gb) in zip(outs_a, outs_b):
        np.testing.assert_array_equal(oa, ob)
        assert la == lb
        for x, y in zip(ga, gb):
            assert (x is None) == (y is None)
            if x is not None:
                np.testing.assert_array_equal(x, y)
    for x, y in zip(params_a, params_b):
        np.testing.assert_array_equal(x, y)


def _batches(rng, shape, n_classes, count=10, batch=8):
    return [(ne.tensor(rng.standard_normal((batch,) + shape).astype(np.float32)),
             rng.integers(0, n_classes, batch)) for _ in range(count)]


def test_mlp_sgd_bit_exact(rng):
    data = [(ne.tensor(rng.standard_normal((4, 16)).astype(np.float32)),
             ne.tensor(rng.standard_normal((4, 1)).astype(np.float32))) for _ in range(10)]
    args = (lambda: nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 1)),
            lambda m: optim.SGD(m.parameters(), lr=0.05, momentum=0.9), data, F.mse_loss)
    _assert_same(_run(*args, compiled=False), _run(*args, compiled=True))


def test_lenet_adam_bit_exact(rng):
    args = (lambda: models.LeNet5(10), lambda m: optim.Adam(m.parameters(), lr=1e-3),
            _batches(rng, (1, 28, 28), 10, count=10), F.cross_entropy)
    _assert_same(_run(*args, compiled=False), _run(*args, compiled=True))


class _Residual(nn.Module):
    """A user Module with a straight-line forward (a residual connection and a weight used twice)."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(6, 6)
        self.b = nn.Linear(6, 6)
        self.bn = nn.BatchNorm1d(6)
        self.head = nn.Linear(6, 3)

    def forward(self, x):
        h = F.relu(self.bn(self.a(x)))
        h = h + self.b(h)
        return self.head(F.elu(h) * 0.5)


def test_user_module_with_batchnorm_bit_exact(rng):
    args = (_Residual, lambda m: optim.SGD(m.parameters(), lr=0.1, momentum=0.5),
            _batches(rng, (6,), 3), F.cross_entropy)
    eager, comp = _run(*args, compiled=False), _run(*args, compiled=True)
    _assert_same(eager, comp)
    for k in ("bn.running_mean", "bn.running_var"):  # buffers updated in place by the replayed op
        np.testing.assert_array_equal(eager[2].state_dict()[k], comp[2].state_dict()[k])


def test_dropout_draws_fresh_masks_like_eager(rng):
    args = (lambda: nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 2)),
            lambda m: optim.SGD(m.parameters(), lr=0.1), _batches(rng, (8,), 2, count=6), F.cross_entropy)
    eager, comp = _run(*args, compiled=False), _run(*args, compiled=True)
    _assert_same(eager, comp)
    assert not np.array_equal(comp[0][1][0], comp[0][2][0])  # masks differ between steps


def test_lstm_cell_stream_with_carried_state_bit_exact(rng):
    xs = rng.standard_normal((12, 3, 4)).astype(np.float32)

    def run(compiled):
        ne.manual_seed(0)
        cell = nn.LSTMCell(4, 5)
        step = ne_compile(cell) if compiled else cell
        h = ne.zeros(3, 5)
        c = ne.zeros(3, 5)
        total = None
        hs = []
        for t in range(12):
            h, c = step(ne.tensor(xs[t]), (h, c))
            hs.append(h.data.copy())
            total = h.sum() if total is None else total + h.sum()
        total.backward()
        return hs, [p.grad.copy() for p in cell.parameters()]

    (ha, ga), (hb, gb) = run(False), run(True)
    for x, y in zip(ha + ga, hb + gb):
        np.testing.assert_array_equal(x, y)


def test_lstm_cell_stream_sees_every_weight_write(rng):
    """The native LSTM step reuses its packed weights while they are unchanged: after an optimizer step,
    load_state_dict and in-place edits (through the Parameter and through a numpy view taken earlier), the compiled
    and eager stream steps both match the float64 oracle of the current weights (a stale packing would not)."""
    from reference import rnn as R

    ne.manual_seed(0)
    cell = nn.LSTMCell(4, 6)
    fast = ne_compile(cell)
    opt = optim.SGD(cell.parameters(), lr=0.5)
    x = rng.standard_normal((2, 4)).astype(np.float32)
    h0 = (0.5 * rng.standard_normal((2, 6))).astype(np.float32)
    c0 = (0.5 * rng.standard_normal((2, 6))).astype(np.float32)

    def check():
        sd = {k: v.astype(np.float64) for k, v in cell.state_dict().items()}
        _, want_h, want_c = R.lstm_forward(x[None], h0, c0, sd["weight_ih"], sd["weight_hh"],
                                           sd["bias_ih"] + sd["bias_hh"])
        with ne.no_grad():
            for step in (fast, cell, fast):
                h, c = step(ne.tensor(x), (ne.tensor(h0), ne.tensor(c0)))
                np.testing.assert_allclose(h.numpy(), want_h, rtol=0, atol=2e-5)
                np.testing.assert_allclose(c.numpy(), want_c, rtol=0, atol=2e-5)
        return h.numpy().copy()

    seen = [check()]
    h, _ = fast(ne.tensor(x), (ne.tensor(h0), ne.tensor(c0)))
    h.sum().backward()
    opt.step()
    seen.append(check())
    sd = {k: v * 0.5 for k, v in cell.state_dict().items()}
    fast.load_state_dict(sd)
    seen.append(check())
    view = cell.weight_hh.data[:, :]  # a numpy view held across the next calls
    with ne.no_grad():
        cell.weight_ih[0, 0] += 1.0
    seen.append(check())
    view[1, 2] -= 1.0
    seen.append(check())
    assert all(not np.array_equal(a, b) for a, b in zip(seen, seen[1:]))


@pytest.mark.parametrize("kind", ["lstmcell", "rnncell", "grucell", "lstm"])
def test_recurrent_training_with_carried_state_bit_exact_over_10_steps(kind, rng):
    """Truncated-BPTT training of each recurrent kind: the state is carried (detached) from step to step, an
    optimizer step follows every backward; outputs, gradients and the parameters after 10 steps equal eager's."""
    xs = rng.standard_normal((10, 3, 4)).astype(np.float32)
    ys = rng.standard_normal((10, 3, 5)).astype(np.float32)

    def run(compiled):
        ne.manual_seed(0)
        if kind == "lstm":
            mod = nn.LSTM(4, 5, num_layers=2)
        else:
            mod = {"lstmcell": nn.LSTMCell, "rnncell": nn.RNNCell, "grucell": nn.GRUCell}[kind](4, 5)
        f = ne_compile(mod) if compiled else mod
        opt = optim.Adam(mod.parameters(), lr=0.01)
        state, seen = None, []
        for t in range(10):
            opt.zero_grad()
            x = ne.tensor(xs[t])
            if kind == "lstm":
                out, state = f(x[None], state) if state is not None else f(x[None])
                h = out[0]
                state = (state[0].detach(), state[1].detach())
            elif kind == "lstmcell":
                h, c = f(x, state) if state is not None else f(x)
                state = (h.detach(), c.detach())
            else:
                h = f(x, state) if state is not None else f(x)
                state = h.detach()
            F.mse_loss(h, ne.tensor(ys[t])).backward()
            seen += [h.data.copy()] + [p.grad.copy() for p in mod.parameters()]
            opt.step()
        return seen + [p.data.copy() for p in mod.parameters()]

    eager, comp = run(False), run(True)
    assert len(eager) == len(comp)
    for a, b in zip(eager, comp):
        np.testing.assert_array_equal(a, b)


def test_stacked_bidirectional_lstm_bit_exact(rng):
    x = ne.tensor(rng.standard_normal((7, 2, 4)).astype(np.float32))

    def run(compiled):
        ne.manual_seed(0)
        lstm = nn.LSTM(4, 6, num_layers=2, bidirectional=True)
        f = ne_compile(lstm) if compiled else lstm
        out, (h, c) = f(x)
        (out.sum() + (h * h).sum() + c.mean()).backward()
        return [out.data, h.data, c.data] + [p.grad for p in lstm.parameters()]

    for a, b in zip(run(False), run(True)):
        np.testing.assert_array_equal(a, b)


def test_new_shape_recaptures_and_inference_matches(rng):
    ne.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 7), nn.Sigmoid(), nn.Linear(7, 2)).eval()
    comp = ne_compile(model)
    for n in (4, 9, 4, 1):
        x = ne.tensor(rng.standard_normal((n, 5)).astype(np.float32))
        with ne.no_grad():
            y = comp(x)
        assert not y.requires_grad
        np.testing.assert_array_equal(y.data, model(x).data)
    assert len(comp._plans) == 3


def test_data_dependent_forward_falls_back_with_one_warning(rng):
    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            y = self.fc(x)
            return y * 2 if y.sum().item() > 0 else y - 1

    ne.manual_seed(0)
    model = Branchy()
    comp = ne_compile(model)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        for s in (1.0, -1.0, 1.0):
            x = ne.tensor(np.full((2, 3), s, np.float32))
            np.testing.assert_array_equal(comp(x).data, model(x).data)
    msgs = [str(m.message) for m in w if "nnengine.compile" in str(m.message)]
    assert len(msgs) == 1 and "Tensor.item()" in msgs[0] and "Branchy" in msgs[0]


class _Twice(ne.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2


def test_user_function_falls_back_and_still_works():
    class UsesFn(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def forward(self, x):
            return _Twice.apply(self.fc(x))

    ne.manual_seed(0)
    model = UsesFn()
    comp = ne_compile(model)
    x = ne.tensor(np.ones((1, 2), np.float32))
    with pytest.warns(RuntimeWarning, match="_Twice"):
        y = comp(x)
    y.sum().backward()
    np.testing.assert_array_equal(model.fc.bias.grad, [2.0, 2.0])


def test_behaves_as_the_original_module(tmp_path):
    ne.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    comp = ne.compile(model)
    assert isinstance(comp, CompiledModule) and isinstance(comp, nn.Module) and comp._orig_mod is model
    assert list(comp.state_dict()) == list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [id(p) for p in comp.parameters()] == [id(p) for p in model.parameters()]
    assert comp.eval() is comp and not model.training
    comp.train()
    assert model.training and comp[0] is model[0]
    path = str(tmp_path / "m.safetensors")
    io.save_model(comp, path)
    same = io.load_model(path)
    x = ne.tensor(np.ones((2, 3), np.float32))
    np.testing.assert_array_equal(same(x).data, comp(x).data)
    assert ne.compile(model, disable=True) is model
    with pytest.raises(TypeError, match="Module"):
        ne.compile(lambda t: t)


def test_replaced_layer_recaptures():
    ne.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 3), nn.Tanh())
    comp = ne.compile(model)
    x = ne.tensor(np.ones((1, 3), np.float32))
    comp(x)
    model[0].weight = nn.Parameter(np.zeros((3, 3), np.float32))  # a new Parameter object
    np.testing.assert_array_equal(comp(x).data, model(x).data)


def test_layer_replaced_through_the_compiled_module_recaptures(rng):
    """A layer without parameters set on the compiled module after replays (the typed path's last-call cache
    holds the old plan) gets a new plan, for inference and training."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)
            self.act = nn.Tanh()

        def forward(self, x):
            return self.act(self.fc(x))

    ne.manual_seed(0)
    model = Net()
    comp = ne.compile(model)
    x = ne.tensor(rng.standard_normal((2, 3)).astype(np.float32))
    for grad in (False, True):
        with ne.set_grad_enabled(grad):
            comp.act = nn.Tanh()
            for _ in range(3):
                comp(x)
            comp.act = nn.ReLU()
            np.testing.assert_array_equal(comp(x).data, np.maximum(model.fc(x).data, 0))
            np.testing.assert_array_equal(comp(x).data, model(x).data)


def _rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_no_leak_over_many_compiled_calls(rng):
    ne.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 1))
    comp = ne.compile(model)
    opt = optim.SGD(model.parameters(), lr=1e-3)
    x = ne.tensor(rng.standard_normal((1, 16)).astype(np.float32))

    def step():
        opt.zero_grad()
        comp(x).sum().backward()
        opt.step()

    for _ in range(500):
        step()
    before = _rss_mb()
    for _ in range(10_000):
        step()
    assert _rss_mb() - before < 16


def test_no_leak_over_many_compiled_inference_stream_calls(rng):
    """The typed inference path (native plan, carried (h, c), no_grad) over 10,000 calls: RSS flat."""
    ne.manual_seed(0)
    cell = ne.compile(nn.LSTMCell(8, 16))
    x = ne.tensor(rng.standard_normal((1, 8)).astype(np.float32))
    with ne.no_grad():
        hc = cell(x)
        for _ in range(500):
            hc = cell(x, hc)
        assert list(cell._plans.values())[-1].fast is not None
        before = _rss_mb()
        for _ in range(10_000):
            hc = cell(x, hc)
    assert _rss_mb() - before < 16


# ------------------------------------------------------------------ native inference plans
def _native(compiled):
    plans = list(compiled._plans.values())
    assert len(plans) == 1
    return plans[0].native


@pytest.mark.parametrize("kind", ["mlp", "lstmcell", "rnncell", "lstm_t1", "unbatched_cell"])
@pytest.mark.parametrize("threads", [1, 2])
def test_inference_runs_as_one_native_call_bit_exact(kind, threads, rng):
    ne.set_num_threads(threads)
    ne.manual_seed(0)
    if kind == "mlp":
        m = nn.Sequential(nn.Linear(16, 33), nn.Tanh(), nn.Linear(33, 9), nn.LeakyReLU(0.2), nn.Linear(9, 4),
                          nn.Softplus(2.0, 1.5), nn.Linear(4, 1))
        args = lambda: (ne.tensor(rng.standard_normal((5, 16)).astype(np.float32)),)  # noqa: E731
    elif kind == "lstmcell":
        m = nn.LSTMCell(8, 17)
        args = lambda: (ne.tensor(rng.standard_normal((3, 8)).astype(np.float32)),  # noqa: E731
                        (ne.tensor(rng.standard_normal((3, 17)).astype(np.float32)),
                         ne.tensor(rng.standard_normal((3, 17)).astype(np.float32))))
    elif kind == "rnncell":
        m = nn.RNNCell(8, 17, nonlinearity="relu")
        args = lambda: (ne.tensor(rng.standard_normal((3, 8)).astype(np.float32)),)  # noqa: E731 (zero state)
    elif kind == "lstm_t1":
        m = nn.LSTM(8, 17)
        args = lambda: (ne.tensor(rng.standard_normal((1, 3, 8)).astype(np.float32)),)  # noqa: E731
    else:
        m = nn.LSTMCell(8, 17)
        args = lambda: (ne.tensor(rng.standard_normal(8).astype(np.float32)),)  # noqa: E731
    m.eval()
    c = ne_compile(m)
    with ne.no_grad():
        first = None
        for i in range(4):
            a = args()
            want, got = m(*a), c(*a)
            if i == 0:
                continue  # the capture call runs eagerly
            w_leaves = want if isinstance(want, tuple) else (want,)
            g_leaves = got if isinstance(got, tuple) else (got,)
            if kind == "lstm_t1":
                w_leaves, g_leaves = (want[0],) + want[1], (got[0],) + got[1]
            for w, g in zip(w_leaves, g_leaves):
                np.testing.assert_array_equal(g.numpy(), w.numpy())
            if first is None:
                first = [np.array(g.numpy()) for g in g_leaves]
                first_refs = g_leaves
        assert _native(c) is not None
        # outputs that are plan slots, as one Tensor or a flat tuple, replay on the typed path
        # (nnengine._compiled_call); LSTM's nested (y, (h, c)) takes the Python replay
        assert (list(c._plans.values())[0].fast is not None) == (kind != "lstm_t1")
        for kept, ref in zip(first, first_refs):  # outputs are fresh arrays: later calls never overwrite them
            np.testing.assert_array_equal(ref.numpy(), kept)
    ne.set_num_threads(2)


def test_native_plan_not_used_where_it_cannot_be_exact(rng):
    m = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3)).eval()  # batch norm: Python replay
    c = ne_compile(m)
    x = ne.randn(5, 4)
    with ne.no_grad():
        c(x)
        np.testing.assert_array_equal(c(x).numpy(), m(x).numpy())
    assert _native(c) is None
    t = ne_compile(nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.5)))  # training with dropout: Python replay
    t(x).sum().backward()
    assert _native(t) is None
    nc = ne.tensor(rng.standard_normal((4, 10)).astype(np.float32))[:, ::2]  # a non-contiguous input: fallback
    lin = nn.Linear(5, 2)
    cl = ne_compile(lin)
    with ne.no_grad():
        cl(nc)
        np.testing.assert_array_equal(cl(nc).numpy(), lin(nc).numpy())


def test_native_plan_builder_rejects_bad_plans():
    from nnengine import _core

    P = _core.NativePlan()
    P.add_input([2, 3])
    P.add_param([4, 3])
    P.add_slot([2, 4], True)
    with pytest.raises(ValueError, match="elements"):
        P.linear((0, 0), (1, 0), None, 0, 2, 4, 2)  # K wrong
    with pytest.raises(ValueError, match="not produced"):
        P.act((2, 0), 0, 'relu', 0.0, 0.0, 8)  # reads a slot nothing wrote
    with pytest.raises(TypeError, match="ref"):
        P.linear("x", (1, 0), None, 0, 2, 4, 3)
    P.linear((0, 0), (1, 0), None, 0, 2, 4, 3)
    with pytest.raises(ValueError, match="new slot"):
        P.linear((0, 0), (1, 0), None, 0, 2, 4, 3)  # a slot written twice
    with pytest.raises(ValueError, match="shape"):
        P.run([np.zeros((3, 3), np.float32)], [np.zeros((4, 3), np.float32)])
    with pytest.raises(TypeError, match="float32"):
        P.run([np.zeros((2, 3))], [np.zeros((4, 3), np.float32)])
    x, w = np.ones((2, 3), np.float32), np.full((4, 3), 0.5, np.float32)
    (y,) = P.run([x], [w])
    np.testing.assert_array_equal(y, x @ w.T)


# ------------------------------------------------------------------ native training plans
class _Shared(nn.Module):
    """One Linear applied twice (its parameters are leaves used twice), a reshape, two outputs."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(9, 9)
        self.b = nn.Linear(9, 5, bias=False)

    def forward(self, x):
        h = F.gelu(self.a(F.silu(self.a(x))), approximate="tanh")
        return self.b(h).reshape(-1), F.softplus(h)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kind", ["mlp", "shared", "input_grad"])
def test_training_runs_as_native_plan_bit_exact(kind, threads, rng):
    """Forward and backward of a training step are one native call each, with eager's outputs, gradients (of
    parameters, of an input that requires grad, of a parameter used twice) and parameters after 10 steps."""
    ne.set_num_threads(threads)
    try:
        def run(compiled):
            ne.manual_seed(0)
            if kind == "shared":
                m = _Shared()
            else:
                m = nn.Sequential(nn.Linear(16, 33), nn.ReLU(), nn.Linear(33, 17), nn.ELU(0.7), nn.Linear(17, 8),
                                  nn.Sigmoid(), nn.Linear(8, 3))
            f = ne_compile(m) if compiled else m
            opt = optim.SGD(m.parameters(), lr=0.01, momentum=0.9, nesterov=True)
            r = np.random.default_rng(5)
            got = []
            for _ in range(10):
                x = ne.tensor(r.standard_normal((7, 9 if kind == "shared" else 16)).astype(np.float32),
                              requires_grad=kind == "input_grad")
                opt.zero_grad()
                out = f(x)
                loss = ((out[0] * out[0]).mean() + out[1].mean()) if kind == "shared" else F.mse_loss(
                    out, ne.tensor(r.standard_normal((7, 3)).astype(np.float32)))
                loss.backward()
                got.append((loss.item(), [p.grad.copy() for p in m.parameters()],
                            None if x.grad is None else x.grad.copy()))
                opt.step()
            return got, [p.data.copy() for p in m.parameters()], f

        eager, comp = run(False), run(True)
        for (la, ga, xa), (lb, gb, xb) in zip(eager[0], comp[0]):
            assert la == lb
            for a, b in zip(ga, gb):
                np.testing.assert_array_equal(a, b)
            assert (xa is None) == (xb is None) and (xa is None or np.array_equal(xa, xb))
        for a, b in zip(eager[1], comp[1]):
            np.testing.assert_array_equal(a, b)
        native = _native(comp[2])
        assert native is not None, "the training plan should be native"
    finally:
        ne.set_num_threads(2)


def test_native_training_plan_graph_is_single_use_and_fresh(rng):
    m = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2))
    c = ne_compile(m)
    x = ne.tensor(rng.standard_normal((3, 4)).astype(np.float32))
    c(x)  # capture
    y1, y2 = c(x), c(x + 1)
    assert _native(c) is not None
    keep = y1.numpy().copy()

    def grads(y):
        m.zero_grad()
        y.sum().backward()
        return [p.grad.copy() for p in m.parameters()]

    g2 = grads(y2)  # the second call's graph does not disturb the first's saved slots
    g1 = grads(y1)
    np.testing.assert_array_equal(y1.numpy(), keep)
    for want, got in ((grads(m(x)), g1), (grads(m(x + 1)), g2)):
        for a, b in zip(want, got):
            np.testing.assert_array_equal(a, b)
    with pytest.raises(RuntimeError, match="freed|backward"):
        y1.sum().backward()


def test_native_plan_training_builder_rejects_bad_use():
    from nnengine import _core

    P = _core.NativePlan()
    P.add_input([2, 3])
    P.add_param([4, 3])
    P.add_slot([2, 4], True)
    P.linear((0, 0), (1, 0), None, 0, 2, 4, 3)
    x, w = np.ones((2, 3), np.float32), np.full((4, 3), 0.5, np.float32)
    with pytest.raises(ValueError, match="not a training plan"):
        P.backward([x], [w], [np.zeros((2, 4), np.float32)], [None])
    with pytest.raises(ValueError, match="leaves"):
        P.set_training([(2, 0)])
    with pytest.raises(ValueError, match="twice"):
        P.set_training([(1, 0), (1, 0)])
    P.set_training([(1, 0)])
    (y,) = P.run([x], [w])
    with pytest.raises(ValueError, match="entries"):
        P.backward([x], [w], [y], [])
    with pytest.raises(ValueError, match="shape"):
        P.backward([x], [w], [y], [np.ones((4, 2), np.float32)])
    (gw,) = P.backward([x], [w], [y], [np.ones((2, 4), np.float32)])
    np.testing.assert_array_equal(gw, np.ones((4, 2), np.float32) @ x)
    assert P.backward([x], [w], [y], [None]) == [None]


def test_freezing_a_parameter_recaptures(rng):
    """Fine-tuning: a parameter frozen (or unfrozen) after capture gets a new plan with eager's gradients."""
    ne.manual_seed(0)
    m = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 2))
    c = ne_compile(m)
    x = ne.tensor(rng.standard_normal((3, 5)).astype(np.float32))
    for frozen in (False, True, False):
        m[0].weight.requires_grad = not frozen
        for _ in range(2):  # capture, then replay
            m.zero_grad()
            c(x).sum().backward()
            got = [None if p.grad is None else p.grad.copy() for p in m.parameters()]
            m.zero_grad()
            m(x).sum().backward()
            for p, g in zip(m.parameters(), got):
                assert (p.grad is None) == (g is None)
                if g is not None:
                    np.testing.assert_array_equal(p.grad, g)
        assert (got[0] is None) == frozen


def test_call_shortcuts_describe_the_arguments_as_the_general_walk():
    from nnengine._compile import _ONE_TENSOR, _TENSOR_AND_PAIR, _flatten

    a, b, c = ne.ones(1), ne.ones(1), ne.ones(1)
    assert _flatten(((a,), {}), []) == _ONE_TENSOR
    assert _flatten(((a, (b, c)), {}), []) == _TENSOR_AND_PAIR


# ------------------------------------------------------------------ in-place writes between forward and backward
@pytest.mark.parametrize("kind", ["native", "python"])
def test_inplace_writes_between_compiled_forward_and_backward_as_eager(kind):
    """An unrelated in-place op between a replay and backward() is harmless (as in eager); writing a weight the
    backward reads raises eager's in-place RuntimeError, from a native plan (it reads its operands) and from a
    Python plan (its captured ops' saved arrays) alike."""
    def build():
        ne.manual_seed(3)
        mid = nn.ReLU() if kind == "native" else nn.BatchNorm1d(3)  # BatchNorm: no native training entry
        return nn.Sequential(nn.Linear(4, 3), mid, nn.Linear(3, 1))

    x = ne.tensor(np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32))
    eager, comp_src = build(), build()
    comp = ne.compile(comp_src)
    for _ in range(3):  # the first call captures, the next ones replay
        other = ne.zeros(3)
        ye, yc = eager(x).sum(), comp(x).sum()
        other.add_(1.0)
        ye.backward()
        yc.backward()
    assert (list(comp._plans.values())[0].native is not None) == (kind == "native")
    for pe, pc in zip(eager.parameters(), comp_src.parameters()):
        np.testing.assert_array_equal(pe.grad, pc.grad)
    for model in (eager, comp):
        y = model(x).sum()
        with ne.no_grad():
            (eager if model is eager else comp_src)[2].weight.add_(1.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()


def _inplace_outcome(model, params_of, x, target):
    """forward, an in-place write to `target` under no_grad, then backward -> "raise" or the gradients."""
    for p in params_of.parameters():
        p.grad = None
    xt = ne.tensor(x.copy(), requires_grad=True)
    y = model(xt)
    s = (y * y).sum() if target != "output" else y.sum()
    lin = [m for m in params_of if isinstance(m, nn.Linear)]
    t = {"input": xt, "output": y, "weight": lin[0].weight, "bias": lin[0].bias,
         "last_bias": lin[-1].bias if len(lin) > 1 else None, "unrelated": ne.zeros(3)}[target]
    if t is None:
        return None
    with ne.no_grad():
        t.add_(1.0)
    try:
        s.backward()
    except RuntimeError as e:
        assert "modified by an inplace operation" in str(e)
        return "raise"
    return [xt.grad.copy()] + [p.grad.copy() for p in params_of.parameters()]


@pytest.mark.parametrize("target", ["input", "output", "weight", "bias", "last_bias", "unrelated"])
@pytest.mark.parametrize("arch", ["linear-tanh", "linear-relu-linear-sigmoid", "linear-elu", "linear-tanh-flatten",
                                  "unflatten-flatten-linear", "python-plan"])
def test_inplace_write_raises_exactly_where_eager_raises(arch, target):
    """Compiled (native and Python plans) raises eager's in-place RuntimeError for exactly the writes eager
    raises for: an array some op's backward reads (the input and weights of a Linear, what each activation saves:
    its input or its output), not a bias (no backward reads it); otherwise the gradients are eager's."""
    def build():
        ne.manual_seed(3)
        if arch == "linear-tanh":
            return nn.Sequential(nn.Linear(4, 3), nn.Tanh())
        if arch == "linear-relu-linear-sigmoid":
            return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2), nn.Sigmoid())
        if arch == "linear-elu":
            return nn.Sequential(nn.Linear(4, 3), nn.ELU())
        if arch == "linear-tanh-flatten":  # the output is a reshape (eager: a view) of the tanh output it saved
            return nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Unflatten(1, (3, 1)), nn.Flatten())
        if arch == "unflatten-flatten-linear":  # the Linear saves a reshape (eager: a view) of the input
            return nn.Sequential(nn.Unflatten(1, (2, 2)), nn.Flatten(), nn.Linear(4, 3))
        return nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Tanh())  # BatchNorm: a Python plan

    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    eager, src = build(), build()
    comp = ne.compile(src)
    comp(ne.tensor(x, requires_grad=True))  # capture (the calls below replay)
    plan = list(comp._plans.values())[0]
    assert (plan.native is not None) == (arch != "python-plan")
    want = _inplace_outcome(eager, eager, x, target)
    got = _inplace_outcome(comp, src, x, target)
    if want is None or want == "raise" or got == "raise":
        assert got == want, (arch, target, got if got == "raise" else "no error", want)
    else:
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
