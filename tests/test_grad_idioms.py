"""Torch idioms on ``.grad`` and ``.data`` that real training scripts use, run side by side with torch 2.13:
``p.grad.data.zero_()``, ``p.grad.zero_()``, ``p.grad.data.mul_()``, ``p.grad.detach_()``,
``p.grad.requires_grad_(False)``, ``p.grad = None``, ``zero_grad(set_to_none=False)``, ``p.data.copy_()``,
``p.grad.data.norm(2).item()`` and ``w.data`` of a leaf tensor that requires a gradient."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import require

import nnengine as ne
from nnengine import nn

torch = require("torch")


def _pair(seed=0):
    """The same MLP in nnengine and torch, and one batch."""
    ne.manual_seed(seed)
    m = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))
    tm = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3))
    tm.load_state_dict({k: torch.tensor(v) for k, v in m.state_dict().items()})
    r = np.random.default_rng(seed)
    x, y = r.standard_normal((4, 5)).astype(np.float32), r.standard_normal((4, 3)).astype(np.float32)
    return m, tm, x, y


def _backward(m, tm, x, y):
    nn.functional.mse_loss(m(ne.tensor(x)), ne.tensor(y)).backward()
    torch.nn.functional.mse_loss(tm(torch.tensor(x)), torch.tensor(y)).backward()


def _same(m, tm, what="grad", atol=1e-6):
    for (name, p), tp in zip(m.named_parameters(), tm.parameters()):
        a = p.data if what == "data" else p.grad
        b = tp.data if what == "data" else tp.grad
        if b is None:
            assert a is None, name
            continue
        np.testing.assert_allclose(np.asarray(a), b.numpy(), rtol=1e-5, atol=atol, err_msg=name)


@pytest.mark.parametrize("idiom", ["grad.data.zero_", "grad.zero_", "grad=None", "zero_grad(set_to_none=False)",
                                   "module.zero_grad(set_to_none=False)"])
def test_reset_then_accumulate_matches_torch(idiom):
    m, tm, x, y = _pair()
    opt, topt = ne.optim.SGD(m.parameters(), lr=0.1), torch.optim.SGD(tm.parameters(), lr=0.1)
    _backward(m, tm, x, y)
    _backward(m, tm, x, y)  # accumulated twice
    _same(m, tm)
    before = [p.grad for p in m.parameters()]
    for mod, o in ((m, opt), (tm, topt)):
        if idiom == "zero_grad(set_to_none=False)":
            o.zero_grad(set_to_none=False)
        elif idiom == "module.zero_grad(set_to_none=False)":
            mod.zero_grad(set_to_none=False)
        else:
            for p in mod.parameters():
                if idiom == "grad.data.zero_":
                    p.grad.data.zero_()
                elif idiom == "grad.zero_":
                    p.grad.zero_()
                else:
                    p.grad = None
    if idiom != "grad=None":  # zeroed in place: the same gradient objects, all zero (not None)
        assert all(p.grad is g and not np.any(g) for p, g in zip(m.parameters(), before))
        _same(m, tm)
    _backward(m, tm, x, y)
    _same(m, tm)
    opt.step()
    topt.step()
    _same(m, tm, "data")


def test_grad_scaling_clipping_and_norm_logging_match_torch():
    """A loop with gradient scaling through .grad.data, a logged norm, detach_ / requires_grad_(False) on the
    gradient, then Adam; three steps, parameters compared with torch after each."""
    m, tm, x, y = _pair(1)
    opt, topt = ne.optim.Adam(m.parameters(), lr=0.01), torch.optim.Adam(tm.parameters(), lr=0.01)
    for _ in range(3):
        opt.zero_grad()
        topt.zero_grad()
        _backward(m, tm, x, y)
        norms = []
        for mod in (m, tm):
            total = 0.0
            for p in mod.parameters():
                p.grad.data.mul_(0.5)
                g = p.grad.detach_()
                assert g is p.grad and p.grad.requires_grad_(False) is p.grad and not p.grad.requires_grad
                total += p.grad.data.norm(2).item() ** 2
            norms.append(total ** 0.5)
        assert norms[0] == pytest.approx(norms[1], rel=1e-5)
        _same(m, tm)
        opt.step()
        topt.step()
        _same(m, tm, "data")


def test_parameter_data_copy_and_manual_update_match_torch():
    m, tm, x, y = _pair(2)
    src = np.random.default_rng(3).standard_normal((7, 5)).astype(np.float32)
    m[0].weight.data.copy_(src)
    tm[0].weight.data.copy_(torch.tensor(src))
    _same(m, tm, "data")
    _backward(m, tm, x, y)
    for mod in (m, tm):
        for p in mod.parameters():
            p.data.add_(p.grad.data, alpha=-0.1)  # the classic manual SGD step
            p.grad.data.zero_()
    _same(m, tm, "data")
    _same(m, tm)


def test_leaf_tensor_data_idioms_match_torch():
    """Raw-tensor training (no Module): w.data -= lr * w.grad.data, w.grad.data.zero_(), and w.data.clamp_ /
    copy_ on a leaf that requires a gradient."""
    r = np.random.default_rng(4)
    x, y = r.standard_normal((6, 3)).astype(np.float32), r.standard_normal((6, 1)).astype(np.float32)
    w0 = r.standard_normal((3, 1)).astype(np.float32)
    w, tw = ne.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    for _ in range(3):
        for lib, v in ((ne, w), (torch, tw)):
            loss = ((lib.tensor(x) @ v - lib.tensor(y)) ** 2).mean()
            loss.backward()
            v.data -= 0.1 * v.grad.data
            v.grad.data.zero_()
            v.data.clamp_(-0.5, 0.5)
        np.testing.assert_allclose(w.data, tw.data.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(w.grad, tw.grad.numpy())
    w.data.copy_(w0)
    tw.data.copy_(torch.tensor(w0))
    np.testing.assert_array_equal(w.data, tw.data.numpy())
    assert w.requires_grad and w.is_leaf


def test_gradient_types_and_errors():
    w = nn.Parameter(ne.tensor([1.0, 2.0]))
    (w * w).sum().backward()
    g = w.grad
    assert g.data is g and g.detach().base is g and g.grad is None
    assert isinstance(g, np.ndarray) and type(g + 1) is np.ndarray  # numpy results stay plain arrays
    with pytest.raises(RuntimeError, match="cannot require a gradient"):
        g.requires_grad_(True)
    (w * w).sum().backward()  # accumulation keeps the type
    assert type(w.grad) is type(g)
    np.testing.assert_array_equal(w.grad, [4.0, 8.0])
    t = ne.ones(2) * 3  # an op output keeps a plain array; its .data is a view of it with the tensor methods
    assert type(t._data) is np.ndarray and isinstance(t.data, np.ndarray) and np.shares_memory(t.data, t._data)


def test_tensor_methods_on_grad_and_data_read_like_torch():
    """Reading a gradient the torch way: ``.numpy()``, ``.cpu()``, ``.clone()``, ``.size()``, ``.view(-1)``
    (flattening all gradients), ``.dim()``, ``.numel()``, ``.pow(2).sum()``, and torch's Bessel-corrected
    ``std()``/``var()`` (numpy's population formulas would give silently different numbers)."""
    m, tm, x, y = _pair(3)
    _backward(m, tm, x, y)
    for p, tp in zip(m.parameters(), tm.parameters()):
        for a, b in ((p.grad, tp.grad), (p.data, tp.data)):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(a.cpu().numpy(), b.cpu().numpy(), rtol=1e-5, atol=1e-6)
            assert tuple(a.size()) == tuple(b.size()) and a.size(-1) == b.size(-1) and a.size == b.numel()
            assert a.dim() == b.dim() and a.numel() == b.numel()
            assert a.view(-1).shape == tuple(b.view(-1).shape)
            np.testing.assert_allclose(a.std().item(), b.std().item(), rtol=1e-4)
            np.testing.assert_allclose(a.var().item(), b.var().item(), rtol=1e-4)
            np.testing.assert_allclose(a.pow(2).sum().item(), b.pow(2).sum().item(), rtol=1e-5)
            c = a.clone()
            assert isinstance(c, ne.Tensor) and not np.shares_memory(c.numpy(), np.asarray(a))
    flat = ne.cat([p.grad.view(-1) for p in m.parameters()])
    tflat = torch.cat([p.grad.view(-1) for p in tm.parameters()])
    np.testing.assert_allclose(flat.numpy(), tflat.numpy(), rtol=1e-5, atol=1e-6)
    g = m[0].weight.grad
    assert np.shares_memory(g.view(-1).numpy(), np.asarray(g))  # a view, as in torch
    assert type(g.view(np.ndarray)) is np.ndarray and g.std(ddof=0) == np.asarray(g).std()  # numpy calls stay numpy's
    with pytest.raises(AttributeError, match="no attribute 'no_such_method'"):
        _ = g.no_such_method


def test_zero_dim_parameter_used_twice_keeps_a_zero_dim_grad():
    """A 0-d Parameter reused in one graph (the tutorials' DynamicNet): its summed gradient stays a 0-d array
    (numpy turns the sum of two 0-d arrays into a scalar) and SGD with momentum steps it."""
    e = nn.Parameter(ne.tensor(0.5))
    te = torch.nn.Parameter(torch.tensor(0.5))
    x = np.linspace(-1, 1, 7, dtype=np.float32)
    opt, topt = ne.optim.SGD([e], lr=0.1, momentum=0.9), torch.optim.SGD([te], lr=0.1, momentum=0.9)
    for _ in range(3):
        opt.zero_grad()
        topt.zero_grad()
        (e * ne.tensor(x) ** 4 + e * ne.tensor(x) ** 5).sum().backward()
        (te * torch.tensor(x) ** 4 + te * torch.tensor(x) ** 5).sum().backward()
        assert isinstance(e.grad, np.ndarray) and e.grad.shape == ()
        opt.step()
        topt.step()
    assert e.shape == () and abs(e.item() - te.item()) < 1e-6


def test_deprecated_add_alpha_first_overload_matches_torch():
    """Older scripts' ``p.data.add_(-lr, p.grad.data)`` (torch's deprecated ``add_(Number alpha, Tensor other)``,
    still accepted by torch 2.13 with a UserWarning), also on Tensors and for add/sub/sub_."""
    m, tm, x, y = _pair()
    _backward(m, tm, x, y)
    with pytest.warns(UserWarning, match="deprecated"):
        for p in m.parameters():
            p.data.add_(-0.1, p.grad.data)
    with warnings.catch_warnings():  # (torch warns once per process)
        warnings.simplefilter("ignore")
        for p in tm.parameters():
            p.data.add_(-0.1, p.grad.data)
    _same(m, tm, "data")
    a, ta = ne.ones(3), torch.ones(3)
    with pytest.warns(UserWarning):
        got = [a.add(2, ne.arange(3.0)), a.sub(2, ne.arange(3.0)), a.clone().sub_(2, ne.arange(3.0))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = [ta.add(2, torch.arange(3.0)), ta.sub(2, torch.arange(3.0)), ta.clone().sub_(2, torch.arange(3.0))]
    for g, w in zip(got, want):
        assert g.tolist() == w.tolist()
    assert a.add(2).tolist() == [3.0, 3.0, 3.0] and a.add(ne.ones(3), alpha=2).tolist() == [3.0, 3.0, 3.0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_second_backward_accumulates_in_place_like_torch(dtype):
    """Gradient accumulation over micro-batches: the second backward adds into ``.grad`` in place, as torch's
    AccumulateGrad does, so ``.grad`` stays the same object and a reference taken before sees the sum (in torch
    too); under ``create_graph=True`` the sum is a new tensor in both (the reference keeps the old values). A
    read-only ``.grad`` set by the user gets a new array instead of a write into it."""
    xa = np.array([1.0, -2.0, 3.0], dtype)
    engines = {"ne": ne.tensor(xa, requires_grad=True), "torch": torch.tensor(xa, requires_grad=True)}
    seen = {}
    for name, x in engines.items():
        def vals(t, name=name):
            return t.detach().numpy().copy() if name == "torch" else np.array(t, copy=True)

        (x * 2).sum().backward()
        held = x.grad
        (x * x).sum().backward()
        same_obj, held_vals = held is x.grad, vals(held)
        (x * x * x).sum().backward(create_graph=True)
        held2 = x.grad
        before = vals(held2)
        (x * 3).sum().backward(create_graph=True)
        seen[name] = (same_obj, held_vals, vals(x.grad), vals(held2), before, held2 is x.grad)
    a, b = seen["ne"], seen["torch"]
    assert a[0] and b[0]  # same .grad object after an ordinary second backward
    np.testing.assert_allclose(a[1], 2 + 2 * xa)  # the held reference sees the sum
    np.testing.assert_allclose(b[1], 2 + 2 * xa)
    np.testing.assert_allclose(a[2], b[2], rtol=1e-6)
    np.testing.assert_array_equal(a[3], a[4])  # create_graph: the held gradient is not written
    np.testing.assert_array_equal(b[3], b[4])
    assert not a[5] and not b[5]
    assert a[2].dtype == np.dtype(dtype)
    # a retained non-leaf gradient sums out of place in torch (its retain_grad hook: grad = grad + new): the same here
    for name, lib in (("ne", ne), ("torch", torch)):
        x = lib.tensor(xa, requires_grad=True)
        y = x * 2
        y.retain_grad()
        y.sum().backward(retain_graph=True)
        held = y.grad
        y.sum().backward()
        assert held is not y.grad, name
        np.testing.assert_array_equal(held.detach().numpy() if name == "torch" else np.asarray(held), 1.0)
        np.testing.assert_array_equal(y.grad.detach().numpy() if name == "torch" else np.asarray(y.grad), 2.0)
    # a read-only .grad (a broadcast view) is replaced, never written through
    x = ne.tensor(xa, requires_grad=True)
    ro = np.broadcast_to(np.ones(1, dtype), (3,))
    x.grad = ro
    (x * 2).sum().backward()
    np.testing.assert_array_equal(ro, np.ones(3, dtype))
    np.testing.assert_allclose(np.asarray(x.grad), 3.0)
