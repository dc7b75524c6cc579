"""Tensor arithmetic and the tape: every op vs finite differences (float64), graph composition rules."""

import numpy as np
import pytest
from conftest import numeric_grad

import nnengine as ne


def _check(fn_ne, fn_np, *shapes, rng, positive=False, atol=1e-6):
    """Gradients (float32 engine) vs central differences of the float64 function at the same (float32-
    representable) inputs: the FD error is ~1e-9, so the tolerance is the engine's float32 arithmetic."""
    xs = [rng.standard_normal(s) for s in shapes]
    if positive:
        xs = [np.abs(x) + 0.5 for x in xs]
    xs = [x.astype(np.float32).astype(np.float64) for x in xs]
    ts = [ne.tensor(x, requires_grad=True) for x in xs]
    out = fn_ne(*ts)
    np.testing.assert_allclose(out.data, fn_np(*xs), rtol=1e-4, atol=1e-5)
    w = rng.standard_normal(out.shape)
    (out * ne.tensor(w)).sum().backward()
    for i, (x, t) in enumerate(zip(xs, ts)):
        def f(v, i=i):
            args = list(xs)
            args[i] = v
            return float((fn_np(*args) * w).sum())
        np.testing.assert_allclose(t.grad, numeric_grad(f, x), rtol=1e-5, atol=atol, err_msg=f"input {i}")


@pytest.mark.parametrize("case", [
    (lambda a, b: a + b, lambda a, b: a + b, (3, 4), (4,)),
    (lambda a, b: a - b, lambda a, b: a - b, (3, 1), (1, 5)),
    (lambda a, b: a * b, lambda a, b: a * b, (2, 3, 4), (3, 1)),
    (lambda a, b: a / (b * b + 1.0), lambda a, b: a / (b * b + 1.0), (3, 4), (3, 4)),
    (lambda a, b: a @ b, lambda a, b: a @ b, (3, 5), (5, 2)),
    (lambda a, b: a @ b, lambda a, b: a @ b, (2, 3, 5), (5, 4)),
    (lambda a, b: a @ b, lambda a, b: a @ b, (2, 3, 5), (2, 5, 4)),
    (lambda a, b: a @ b, lambda a, b: a @ b, (5,), (5, 3)),
    (lambda a, b: a @ b, lambda a, b: a @ b, (3, 5), (5,)),
    (lambda a, b: a @ b, lambda a, b: a @ b, (5,), (5,)),
    (lambda a, b: ne.cat([a, b], dim=1), lambda a, b: np.concatenate([a, b], 1), (2, 3), (2, 4)),
    (lambda a, b: ne.stack([a, b], dim=1), lambda a, b: np.stack([a, b], 1), (2, 3), (2, 3)),
])
def test_binary_ops(case, rng):
    _check(case[0], case[1], case[2], case[3], rng=rng)


@pytest.mark.parametrize("case", [
    (lambda a: a.exp(), np.exp, False),
    (lambda a: a.log(), np.log, True),
    (lambda a: a.sqrt(), np.sqrt, True),
    (lambda a: a ** 3, lambda a: a ** 3, False),
    (lambda a: a ** 0.5, lambda a: a ** 0.5, True),
    (lambda a: 2.0 ** a, lambda a: 2.0 ** a, False),
    (lambda a: 1.0 / a, lambda a: 1.0 / a, True),
    (lambda a: -a, lambda a: -a, False),
    (lambda a: a.abs(), np.abs, True),
    (lambda a: a.sum(), lambda a: a.sum(), False),
    (lambda a: a.sum(1), lambda a: a.sum(1), False),
    (lambda a: a.sum((0, 2), keepdim=True), lambda a: a.sum((0, 2), keepdims=True), False),
    (lambda a: a.mean(), lambda a: a.mean(), False),
    (lambda a: a.mean(-1), lambda a: a.mean(-1), False),
    (lambda a: a.var(1), lambda a: a.var(1, ddof=1), False),
    (lambda a: a.max(1).values, lambda a: a.max(1), False),
    (lambda a: a.min(), lambda a: a.min(), False),
    (lambda a: a.reshape(6, 4), lambda a: a.reshape(6, 4), False),
    (lambda a: a.view(-1), lambda a: a.reshape(-1), False),
    (lambda a: a.transpose(0, 2), lambda a: a.transpose(2, 1, 0), False),
    (lambda a: a.permute(1, 2, 0), lambda a: a.transpose(1, 2, 0), False),
    (lambda a: a.flatten(1), lambda a: a.reshape(2, -1), False),
    (lambda a: a[:, 1], lambda a: a[:, 1], False),
    (lambda a: a[np.array([0, 0, 1])], lambda a: a[np.array([0, 0, 1])], False),
    (lambda a: a[..., ::2], lambda a: a[..., ::2], False),
    (lambda a: a.unsqueeze(1).squeeze(1), lambda a: a, False),
    (lambda a: a.clamp(-0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5), False),
    (lambda a: a.expand(4, 2, 3, 4), lambda a: np.broadcast_to(a, (4, 2, 3, 4)), False),
])
def test_unary_ops(case, rng):
    _check(case[0], case[1], (2, 3, 4), rng=rng, positive=case[2])


def test_reflected_ops_with_numpy_and_scalars(rng):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    t = ne.tensor(x, requires_grad=True)
    y = 2 - t
    y = np.ones((2, 3), np.float32) * y
    assert isinstance(y, ne.Tensor)
    y.sum().backward()
    np.testing.assert_allclose(t.grad, -np.ones((2, 3)))


def test_shared_weight_and_reuse_accumulate():
    w = ne.tensor([2.0], requires_grad=True)
    x = ne.tensor([3.0])
    y = w * x + w * w  # w used three times
    y.sum().backward()
    np.testing.assert_allclose(w.grad, [3.0 + 4.0])
    y2 = (w * x).sum()
    y2.backward()  # accumulates
    np.testing.assert_allclose(w.grad, [10.0])


def test_diamond_graph():
    a = ne.tensor([1.5], requires_grad=True)
    b = a * 2
    c = b * b + b.exp()
    c.sum().backward()
    np.testing.assert_allclose(a.grad, [2 * 2 * 3.0 + 2 * np.exp(3.0)], rtol=1e-6)


def test_detach_and_no_grad():
    a = ne.tensor([1.0, 2.0], requires_grad=True)
    b = (a * 3).detach()
    assert not b.requires_grad
    c = (a * b).sum()
    c.backward()
    np.testing.assert_allclose(a.grad, [3.0, 6.0])
    with ne.no_grad():
        d = a * 2
    assert not d.requires_grad and d.grad_fn is None
    assert ne.is_grad_enabled()


def test_requires_grad_false_skips_gradient():
    a = ne.tensor([1.0], requires_grad=True)
    b = ne.tensor([2.0], requires_grad=True).requires_grad_(False)
    (a * b).sum().backward()
    assert b.grad is None and a.grad is not None


def test_backward_errors():
    a = ne.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (a * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        ne.tensor([1.0]).backward()
    with pytest.raises(ValueError, match="gradient: expected shape"):
        (a * 2).backward(np.ones(3))
    y = (a * a).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()
    (a * 2).backward(ne.tensor([1.0, 1.0]))  # Tensor grads are accepted


def test_nodes_that_saved_no_arrays_can_be_traversed_again_as_torch():
    # a distribution (or any view of a parameter) built once before a loop: its expand/add/reshape nodes are
    # shared by every step's graph; torch's saved no tensors there, so each step's backward may pass them again
    import nnengine.distributions as D

    mu, s = ne.zeros(3, requires_grad=True), ne.ones(1, requires_grad=True)
    d = D.Normal(mu, s)  # s is expanded to mu's shape once
    for _ in range(3):
        d.log_prob(ne.ones(3)).sum().backward()
    np.testing.assert_allclose(mu.grad, [3.0, 3.0, 3.0])
    np.testing.assert_allclose(s.grad, [0.0])
    w, b = ne.ones(3, requires_grad=True), ne.ones(1, requires_grad=True)
    e = (b.expand(3) + 0).reshape(3, 1)[:, 0]
    for _ in range(2):
        (e * w).sum().backward()
    np.testing.assert_allclose(b.grad, [6.0])
    y = b.exp().sum()  # exp saved its output: freed by the first backward, as torch's
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()
    z = (e * w).sum()  # and a graph through them with create_graph
    (gw,) = ne.autograd.grad(z, [w], create_graph=True)
    np.testing.assert_allclose(gw.detach().numpy(), [1.0, 1.0, 1.0])


def test_tensor_surface():
    t = ne.tensor([[1.0, 2], [3, 4]])  # Python ints alone infer int64, like torch
    assert t.dtype == np.float32 and t.shape == (2, 2) and t.ndim == 2
    assert isinstance(t.numpy(), np.ndarray)
    assert t.sum().item() == 10.0
    assert t.argmax(1).tolist() == [1, 1]
    assert (t > 2).numpy().tolist() == [[False, False], [True, True]]
    t.grad = np.ones((2, 2), np.float32)
    t.grad = None
    assert ne.Tensor(np.arange(3)).dtype == np.float32
    with pytest.raises(TypeError):
        ne.tensor(["a", "b"])
    with pytest.raises(ValueError, match="one-element"):
        t.item()


def test_inplace_on_leaf_requiring_grad_raises():
    a = ne.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        a += 1
    with ne.no_grad():
        a += 1
    np.testing.assert_allclose(a.data, [2.0])


def test_manual_seed_reproducible():
    ne.manual_seed(7)
    a = ne.randn(5).numpy().copy()
    ne.manual_seed(7)
    b = ne.randn(5).numpy()
    assert np.array_equal(a, b)
    with pytest.raises(TypeError):
        ne.manual_seed("x")


def test_matmul_vs_torch(torch, rng):
    a = rng.standard_normal((4, 3, 7)).astype(np.float32)
    b = rng.standard_normal((7, 5)).astype(np.float32)
    ta, tb = ne.tensor(a, requires_grad=True), ne.tensor(b, requires_grad=True)
    (ta @ tb).sum().backward()
    xa, xb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (xa @ xb).sum().backward()
    np.testing.assert_allclose(ta.grad, xa.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(tb.grad, xb.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_needs_input_grad_is_decided_once_by_apply():
    """Function.apply is the one place that decides whether a call is recorded: a forward sees
    needs_input_grad all False exactly when apply records nothing, and _tape.will_record (what the functional
    fast paths ask) gives the same answer."""
    from nnengine import _tape

    seen = []

    class Probe(ne.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, k):
            seen.append(ctx.needs_input_grad)
            return a * k + b

        @staticmethod
        def backward(ctx, g):
            return g, g, None

    w = ne.ones(3, requires_grad=True)
    c = ne.ones(3)
    cases = [((w, c), True, (True, False, False)), ((c, c), False, (False, False, False))]
    for (a, b), recorded, needs in cases:
        seen.clear()
        out = Probe.apply(a, b, 2.0)
        assert seen == [needs] and (out.grad_fn is not None) == recorded
        assert _tape.will_record(a, b, 2.0) is recorded
    with ne.no_grad():
        seen.clear()
        out = Probe.apply(w, c, 2.0)
        assert seen == [(False, False, False)] and out.grad_fn is None
        assert _tape.will_record(w, c) is False
    assert _tape.will_record() is False and _tape.will_record(None, 1.0, np.ones(2)) is False


def test_grad_mode_and_anomaly_are_per_thread_with_defaults():
    """A new thread starts with grad mode on and anomaly checks off, whatever the calling thread set."""
    import threading

    seen = []

    def probe():
        w = ne.ones(2, requires_grad=True)
        seen.append((ne.is_grad_enabled(), (w * 2).requires_grad, ne.autograd._state.anomaly))

    with ne.no_grad(), ne.autograd.detect_anomaly():
        t = threading.Thread(target=probe)
        t.start()
        t.join()
        assert not ne.is_grad_enabled() and ne.autograd._state.anomaly
    assert seen == [(True, True, False)]
    assert ne.is_grad_enabled() and not ne.autograd._state.anomaly


def test_first_gradient_kept_only_when_nothing_else_holds_it():
    """The sweep keeps a backward's fresh gradient array as a leaf's first .grad (no copy) only when nothing else
    references it: an array the Function also keeps, one returned for two inputs, or the incoming gradient itself,
    is copied, so writing to it later never changes a .grad."""
    import sysconfig

    kept, made = [], []

    def addr(a):
        return a.__array_interface__["data"][0]

    class Fresh(ne.Function):
        tensor_io = False  # (numpy arrays in and out: the sweep's own contract, which this test probes)
        forward = staticmethod(lambda ctx, x: x * 2)

        @staticmethod
        def backward(ctx, g):
            out = np.full(g.shape, 2.0, np.float32)
            made.append(addr(out))
            return out

    class Kept(Fresh):
        @staticmethod
        def backward(ctx, g):
            out = np.full(g.shape, 2.0, np.float32)
            kept.append(out)
            return out

    class Twice(ne.Function):
        tensor_io = False

        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            out = np.ones(g.shape, np.float32)
            return out, out

    class Passthrough(ne.Function):
        tensor_io = False

        @staticmethod
        def forward(ctx, x):
            return x.copy()

        @staticmethod
        def backward(ctx, g):
            kept.append(g)
            return g

    w = ne.ones(3, requires_grad=True)
    Fresh.apply(w).backward(ne.ones(3))
    if not sysconfig.get_config_var("Py_GIL_DISABLED"):
        assert addr(w.grad) == made[0]  # kept, not copied
    np.testing.assert_array_equal(w.grad, [2, 2, 2])
    for fn in (Kept, Passthrough):
        w = ne.ones(3, requires_grad=True)
        kept.clear()
        fn.apply(w).backward(ne.ones(3))
        want = w.grad.copy()
        kept[0][...] = -7.0
        np.testing.assert_array_equal(w.grad, want)
    a, b = ne.ones(3, requires_grad=True), ne.ones(3, requires_grad=True)
    Twice.apply(a, b).backward(ne.ones(3))
    a.grad[...] = 5.0
    np.testing.assert_array_equal(b.grad, [1, 1, 1])

    # a reshape of a fresh array (a kernel's output returned as dx.reshape(shape)) is kept too; a reshape of an
    # array someone else holds (the Function, another view of it), or a part of one, is copied
    class Reshaped(ne.Function):
        tensor_io = False
        forward = staticmethod(lambda ctx, x: x * 2)

        @staticmethod
        def backward(ctx, g):
            flat = np.full(g.size, 2.0, np.float32)
            made.append(addr(flat))
            return flat.reshape(g.shape)

    class ReshapedKept(Reshaped):
        @staticmethod
        def backward(ctx, g):
            flat = np.full(g.size, 2.0, np.float32)
            kept.append(flat)
            return flat.reshape(g.shape)

    class OtherView(Reshaped):
        @staticmethod
        def backward(ctx, g):
            flat = np.full(g.size, 2.0, np.float32)
            kept.append(flat[:])
            return flat.reshape(g.shape)

    class Part(Reshaped):
        @staticmethod
        def backward(ctx, g):
            flat = np.full(g.size + 1, 2.0, np.float32)
            return flat[1:].reshape(g.shape)

    made.clear()
    w = ne.ones((2, 3), requires_grad=True)
    Reshaped.apply(w).backward(ne.ones((2, 3)))
    if not sysconfig.get_config_var("Py_GIL_DISABLED"):
        assert addr(w.grad) == made[0]  # kept, not copied
    np.testing.assert_array_equal(w.grad, np.full((2, 3), 2.0))
    for fn in (ReshapedKept, OtherView):
        w = ne.ones((2, 3), requires_grad=True)
        kept.clear()
        fn.apply(w).backward(ne.ones((2, 3)))
        kept[0][...] = -7.0
        np.testing.assert_array_equal(w.grad, np.full((2, 3), 2.0))
    w = ne.ones((2, 3), requires_grad=True)
    Part.apply(w).backward(ne.ones((2, 3)))
    assert w.grad.nbytes == 24 and (w.grad.base is None or w.grad.base.nbytes == 24)  # not a view of the 7
    np.testing.assert_array_equal(w.grad, np.full((2, 3), 2.0))


def test_clone_cast_and_in_place_ops_record_only_as_apply_decides():
    """Tensor.clone, float casts and the in-place ops' tape test go through Function.apply / _tape.will_record:
    recorded when grad mode is on and the input requires a gradient, plain arrays otherwise; casts to integer
    dtypes never record (as in torch). tensor.py reads no grad mode of its own."""
    import inspect

    import nnengine.tensor as tensor_mod

    assert "is_grad_enabled" not in inspect.getsource(tensor_mod)
    w = ne.tensor([1.5, -2.0], requires_grad=True)
    for make in (lambda t: t.clone(), lambda t: t.double(), lambda t: t.half()):
        out = make(w)
        assert out.requires_grad and out.grad_fn is not None
        with ne.no_grad():
            inf = make(w)
        assert not inf.requires_grad and inf.grad_fn is None
        np.testing.assert_array_equal(inf.data, out.data)
        assert make(ne.tensor([1.0, 2.0])).grad_fn is None
    assert not w.long().requires_grad and w.long().grad_fn is None
    w.grad = None
    w.clone().double().sum().backward()
    np.testing.assert_array_equal(w.grad, [1.0, 1.0])
    with ne.no_grad():
        w.mul_(1.0)  # in place on a leaf under no_grad: no tape, w stays a leaf
    assert w.grad_fn is None and w.requires_grad
    w.grad = None
    c = w * 1.0
    c.mul_(3.0)  # in place on a recorded tensor: rebinds onto the tape
    c.sum().backward()
    np.testing.assert_array_equal(w.grad, [3.0, 3.0])


def test_backward_gradient_keyword_and_next_functions():
    """torch's ``Q.backward(gradient=external_grad)`` (the blitz autograd tutorial) and ``grad_fn.next_functions``
    (the neural-networks tutorial walks it from the loss back to the leaves)."""
    a = ne.tensor([2.0, 3.0], requires_grad=True)
    b = ne.tensor([6.0, 4.0], requires_grad=True)
    q = 3 * a ** 3 - b ** 2
    q.backward(gradient=ne.tensor([1.0, 1.0]))
    np.testing.assert_array_equal(a.grad, 9 * a.data ** 2)
    np.testing.assert_array_equal(b.grad, -2 * b.data)
    with pytest.raises(TypeError, match="once"):
        (a * 1).backward(gradient=np.ones(2), grad=np.ones(2))
    w = ne.ones(2, requires_grad=True)
    loss = ((w * 2) + ne.ones(2)).sum()
    add_node = loss.grad_fn.next_functions[0][0]
    assert add_node is not None and "Backward" in repr(add_node)
    mul_node, _ = add_node.next_functions[0]
    assert add_node.next_functions[1] == (None, 0)  # a constant: no node, as torch
    leaf = mul_node.next_functions[0][0]
    assert leaf.name() == "AccumulateGrad" and leaf.variable is w
