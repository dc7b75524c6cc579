"""nnengine.func (torch.func) against torch.func: grad / grad_and_value / vjp / jacrev / jacfwd / jvp / vmap /
functional_call / stack_module_state on the same inputs, pytree arguments, the refusals (second derivatives), and
the official per-sample-gradients and model-ensembling tutorials run with only their imports changed."""

from __future__ import annotations

import numpy as np
import pytest
from test_torch_scripts import result, run

import nnengine as ne
import nnengine.nn as nn
import nnengine.nn.functional as F
from nnengine import func as nf

RNG = np.random.default_rng(7)


def _np(x):
    return x.detach().numpy() if hasattr(x, "detach") else np.asarray(x)


def _close(a, b, tol=1e-5):
    np.testing.assert_allclose(_np(a), _np(b), rtol=tol, atol=tol)


def test_grad_vjp_jacobians_match_torch(torch):
    tf = torch.func
    w, x = RNG.standard_normal((4, 3)).astype(np.float32), RNG.standard_normal(3).astype(np.float32)

    def f(lib, F_):
        return lambda w, x: (F_.linear(x, w) ** 2).sum() + lib.sin(w).sum()

    args_t, args_n = (torch.tensor(w), torch.tensor(x)), (ne.tensor(w), ne.tensor(x))
    for nums in (0, 1, (0, 1)):
        gt = tf.grad(f(torch, torch.nn.functional), argnums=nums)(*args_t)
        gn = nf.grad(f(ne, F), argnums=nums)(*args_n)
        for a, b in zip(gn if isinstance(nums, tuple) else (gn,), gt if isinstance(nums, tuple) else (gt,)):
            _close(a, b)
    (gn, (vn, auxn)) = nf.grad_and_value(lambda p: ((p["a"] * p["b"]).sum(), p["a"] + 1), has_aux=True)(
        {"a": ne.tensor([1.0, 2.0]), "b": ne.tensor([3.0, 4.0])})
    assert set(gn) == {"a", "b"} and gn["a"].tolist() == [3.0, 4.0] and float(vn) == 11.0
    assert auxn.tolist() == [2.0, 3.0]

    def g(lib):
        return lambda a, b: (lib.tanh(a) * b, a.sum() * b)
    ot, fn_t = tf.vjp(g(torch), torch.tensor(w), torch.tensor(w[::-1].copy()))
    on, fn_n = nf.vjp(g(ne), ne.tensor(w), ne.tensor(w[::-1].copy()))
    cot = RNG.standard_normal((4, 3)).astype(np.float32)
    for a, b in zip(fn_n((ne.tensor(cot), ne.tensor(cot * 2))), fn_t((torch.tensor(cot), torch.tensor(cot * 2)))):
        _close(a, b)
    _close(on[0], ot[0])
    fn_n((ne.tensor(cot), ne.tensor(cot)))  # vjp_fn may be called again

    def h(lib, F_):
        return lambda w, b, x: F_.linear(x, w, b).tanh()
    b = RNG.standard_normal(4).astype(np.float32)
    for jac in ("jacrev", "jacfwd"):
        jt = getattr(tf, jac)(h(torch, torch.nn.functional), argnums=(0, 2))(torch.tensor(w), torch.tensor(b),
                                                                             torch.tensor(x))
        jn = getattr(nf, jac)(h(ne, F), argnums=(0, 2))(ne.tensor(w), ne.tensor(b), ne.tensor(x))
        for a, c in zip(jn, jt):
            assert tuple(a.shape) == tuple(c.shape)
            _close(a, c)
    tan = RNG.standard_normal(3).astype(np.float32)
    pt, tt = tf.jvp(lambda x: torch.sin(x) * x.sum(), (torch.tensor(x),), (torch.tensor(tan),))
    pn, tn = nf.jvp(lambda x: ne.sin(x) * x.sum(), (ne.tensor(x),), (ne.tensor(tan),))
    _close(pn, pt)
    _close(tn, tt)


def test_vmap_matches_torch(torch):
    tf = torch.func
    a, v = RNG.standard_normal((5, 3, 4)).astype(np.float32), RNG.standard_normal((4, 5)).astype(np.float32)
    cases = [
        (lambda L: (lambda m, x: m @ x), dict(in_dims=(0, 1)), (a, v)),
        (lambda L: (lambda m, x: (m.sum(0) * x[:, 0], m.max())), dict(in_dims=(0, None), out_dims=(1, 0)), (a, v)),
        (lambda L: (lambda m: L.func.vmap(lambda r: r.exp().sum())(m)), dict(in_dims=2), (a,)),  # nested
        (lambda L: (lambda d: {"s": d["p"] * d["q"]}), dict(in_dims=({"p": 0, "q": None},)),
         ({"p": a[:, 0], "q": v[:, 0]},)),
    ]
    for make, kw, args in cases:
        def conv(L, x):
            return {k: L.tensor(x2) for k, x2 in x.items()} if isinstance(x, dict) else L.tensor(x)
        outt = tf.vmap(make(torch), **kw)(*[conv(torch, x) for x in args])
        outn = nf.vmap(make(ne), **kw)(*[conv(ne, x) for x in args])
        if isinstance(outt, dict):
            outt, outn = outt["s"], outn["s"]
        for p, q in zip(outn if isinstance(outn, tuple) else (outn,), outt if isinstance(outt, tuple) else (outt,)):
            assert tuple(p.shape) == tuple(q.shape)
            _close(p, q)
    x = ne.tensor(a, requires_grad=True)  # differentiable through the map
    nf.vmap(lambda m: (m ** 2).sum())(x).sum().backward()
    _close(x.grad, 2 * a)
    ne.manual_seed(0)
    same = nf.vmap(lambda z: ne.rand(3) + z, randomness="same")(ne.zeros(4))
    diff = nf.vmap(lambda z: ne.rand(3) + z, randomness="different")(ne.zeros(4))
    assert np.all(same.numpy() == same.numpy()[0]) and not np.all(diff.numpy() == diff.numpy()[0])
    assert ne.vmap is nf.vmap


def test_functional_call_and_stack_module_state(torch):
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    x = ne.tensor(RNG.standard_normal((6, 3)).astype(np.float32))
    m.eval()
    params = {k: ne.tensor(v.detach().numpy() * 2, requires_grad=True) for k, v in m.named_parameters()}
    before = {k: v.detach().numpy().copy() for k, v in m.named_parameters()}
    out = nf.functional_call(m, params, (x,))
    m2 = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    m2.load_state_dict({**{k: v.detach().numpy() for k, v in params.items()},
                        **{k: v for k, v in m.named_buffers()}})
    m2.eval()
    _close(out, m2(x))
    out.sum().backward()
    assert all(p.grad is not None for p in params.values())
    assert all(np.array_equal(v.detach().numpy(), before[k]) for k, v in m.named_parameters())  # restored
    assert all(p.grad is None for p in m.parameters())
    with pytest.raises(RuntimeError, match="missing keys"):
        nf.functional_call(m, {"0.weight": params["0.weight"]}, (x,), strict=True)
    with pytest.raises(ValueError, match="more than one dict"):
        nf.functional_call(m, ({"0.bias": params["0.bias"]}, {"0.bias": params["0.bias"]}), (x,))
    tied = nn.Sequential(nn.Linear(2, 2, bias=False), nn.Linear(2, 2, bias=False))
    tied[1].weight = tied[0].weight
    eye = ne.eye(2)
    np.testing.assert_array_equal(nf.functional_call(tied, {"0.weight": eye}, ne.ones(1, 2)).numpy(), [[1, 1]])
    untied = nf.functional_call(tied, {"0.weight": eye}, ne.ones(1, 2), tie_weights=False)  # layer 1 keeps its own
    _close(untied, ne.ones(1, 2) @ tied[1].weight.detach().T)
    models = [nn.Linear(3, 2) for _ in range(4)]
    ps, bs = nf.stack_module_state(models)
    assert ps["weight"].shape == (4, 2, 3) and ps["weight"].requires_grad and bs == {}
    xs = ne.tensor(RNG.standard_normal((4, 5, 3)).astype(np.float32))
    base = models[0].to("meta")  # the tutorial's skeleton: nnengine keeps it on the CPU
    outs = nf.vmap(lambda p, b, xx: nf.functional_call(base, (p, b), (xx,)))(ps, bs, xs)
    for i, mi in enumerate(models):
        _close(outs[i], mi(xs[i]))


def test_nested_transforms_match_torch(torch_or_none):
    """grad of grad, jacrev of grad, vmap over a PINN-style second derivative, func.hessian: the inner transform
    records its backward (create_graph) so the outer one differentiates it again."""
    x0 = RNG.standard_normal((4, 3)).astype(np.float32)
    w0 = RNG.standard_normal((3, 3)).astype(np.float32)

    def prog(T):
        F_ = T.func
        W = T.tensor(w0)

        def f(x):
            return (T.tanh(x @ W) ** 2).sum() + (x ** 3).sum()

        x = T.tensor(x0[0])
        gg = F_.grad(lambda z: F_.grad(f)(z).sum())(x)
        jg = F_.jacrev(F_.grad(f))(x)
        lap = F_.vmap(lambda z: T.diagonal(F_.jacrev(F_.grad(f))(z)).sum())(T.tensor(x0))
        h = F_.hessian(f)(x)
        return [np.asarray(v.detach().numpy(), np.float64) for v in (gg, jg, lap, h)]

    ours = prog(ne)
    if torch_or_none is not None:
        for a, b in zip(ours, prog(torch_or_none)):
            np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-4)
    np.testing.assert_allclose(ours[1], ours[3], rtol=1e-5, atol=1e-5)  # jacrev(grad) is the Hessian
    np.testing.assert_allclose(ours[0], ours[1].sum(0), rtol=1e-5, atol=1e-5)


def test_refusals_and_errors():
    with pytest.raises(RuntimeError, match="one-element"):
        nf.grad(lambda x: x * 2)(ne.ones(2))
    with pytest.raises(ValueError, match="differ in size"):
        nf.vmap(lambda a, b: a + b)(ne.ones(2), ne.ones(3))
    with pytest.raises(ValueError, match="in_dims"):
        nf.vmap(lambda a, b: a + b, in_dims=(0,))(ne.ones(2), ne.ones(2))
    with pytest.raises(ValueError, match="at least one input"):
        nf.vmap(lambda a: a, in_dims=None)(ne.ones(2))
    with pytest.raises(ValueError, match="argnums"):
        nf.grad(lambda x: x.sum(), argnums=3)(ne.ones(2))
    with pytest.raises(TypeError, match="floating point"):
        nf.grad(lambda x: x.sum())(ne.tensor([1, 2]))
    # after a refusal the transforms work again
    assert nf.grad(lambda x: (x * x).sum())(ne.tensor([2.0])).tolist() == [4.0]


TUTORIALS = r'''
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, stack_module_state, vmap

torch.manual_seed(0)

# ---- per_sample_grads.py (its model and checks; batch 64 of random 28x28 inputs, as the tutorial)
class SimpleCNN(nn.Module):
    def __init__(self):
        super(SimpleCNN, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output

def loss_fn(predictions, targets):
    return F.nll_loss(predictions, targets)

device = 'cpu'
num_models = 10
batch_size = 64
data = torch.randn(batch_size, 1, 28, 28, device=device)
targets = torch.randint(10, (64,), device=device)
model = SimpleCNN().to(device=device)
predictions = model(data)
loss = loss_fn(predictions, targets)
loss.backward()

def compute_grad(sample, target):
    sample = sample.unsqueeze(0)
    target = target.unsqueeze(0)
    prediction = model(sample)
    loss = loss_fn(prediction, target)
    return torch.autograd.grad(loss, list(model.parameters()))

def compute_sample_grads(data, targets):
    sample_grads = [compute_grad(data[i], targets[i]) for i in range(batch_size)]
    sample_grads = zip(*sample_grads)
    sample_grads = [torch.stack(shards) for shards in sample_grads]
    return sample_grads

per_sample_grads = compute_sample_grads(data, targets)
print(per_sample_grads[0].shape)

params = {k: v.detach() for k, v in model.named_parameters()}
buffers = {k: v.detach() for k, v in model.named_buffers()}

def compute_loss(params, buffers, sample, target):
    batch = sample.unsqueeze(0)
    targets = target.unsqueeze(0)
    predictions = functional_call(model, (params, buffers), (batch,))
    loss = loss_fn(predictions, targets)
    return loss

ft_compute_grad = grad(compute_loss)
ft_compute_sample_grad = vmap(ft_compute_grad, in_dims=(None, None, 0, 0))
ft_per_sample_grads = ft_compute_sample_grad(params, buffers, data, targets)
for per_sample_grad, ft_per_sample_grad in zip(per_sample_grads, ft_per_sample_grads.values()):
    assert torch.allclose(per_sample_grad, ft_per_sample_grad, atol=3e-3, rtol=1e-5)
mean_grad = float(torch.stack([g.abs().mean() for g in ft_per_sample_grads.values()]).mean())
# the mean of the per-sample gradients is the batch gradient
batch_err = max(float((g.mean(0) - p.grad).abs().max()) for g, p in zip(ft_per_sample_grads.values(),
                                                                         model.parameters()))

# ---- ensembling.py
class SimpleMLP(nn.Module):
    def __init__(self):
        super(SimpleMLP, self).__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 128)
        self.fc3 = nn.Linear(128, 10)

    def forward(self, x):
        x = x.flatten(1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.fc2(x)
        x = F.relu(x)
        x = self.fc3(x)
        return x

num_models = 10
data = torch.randn(100, 64, 1, 28, 28, device=device)
targets = torch.randint(10, (6400,), device=device)
models = [SimpleMLP().to(device) for _ in range(num_models)]
minibatches = data[:num_models]
predictions_diff_minibatch_loop = [model(minibatch) for model, minibatch in zip(models, minibatches)]
minibatch = data[0]
predictions2 = [model(minibatch) for model in models]
params, buffers = stack_module_state(models)
base_model = copy.deepcopy(models[0])
base_model = base_model.to('meta')

def fmodel(params, buffers, x):
    return functional_call(base_model, (params, buffers), (x,))

print([p.size(0) for p in params.values()])
assert minibatches.shape == (num_models, 64, 1, 28, 28), "minibatch shape is incorrect"
predictions1_vmap = vmap(fmodel)(params, buffers, minibatches)
assert torch.allclose(predictions1_vmap, torch.stack(predictions_diff_minibatch_loop), atol=1e-3, rtol=1e-5)
predictions2_vmap = vmap(fmodel, in_dims=(0, 0, None))(params, buffers, minibatch)
assert torch.allclose(predictions2_vmap, torch.stack(predictions2), atol=1e-3, rtol=1e-5)
print("RESULT mean_grad=%.6f batch_err=%.2e stacked=%d" % (mean_grad, batch_err, len(params)))
'''


def test_per_sample_gradient_and_ensembling_tutorials(torch, tmp_path):
    """intermediate_source/per_sample_grads.py and ensembling.py (their code; the asserts are theirs)."""
    ours, ref = (result(run(TUTORIALS, eng, tmp_path)) for eng in ("nnengine", "torch"))
    assert ours["stacked"] == ref["stacked"] == 6
    assert ours["batch_err"] < 1e-5 and ref["batch_err"] < 1e-5
    assert 0.3 * ref["mean_grad"] < ours["mean_grad"] < 3 * ref["mean_grad"]  # different random draws
