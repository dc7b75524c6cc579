"""nn.utils.prune against torch.nn.utils.prune: the same masks (the deterministic methods, on the same weights),
outputs and gradients, the same reparameterization (parameters, buffers, hooks, state_dict keys), iterative
pruning through PruningContainer, remove, the errors; and the official pruning tutorial run with only its imports
changed (test_torch_scripts.run)."""

from __future__ import annotations

import numpy as np
import pytest
from test_torch_scripts import result, run

import nnengine as ne
import nnengine.nn as nn
import nnengine.nn.functional as F
from nnengine.nn.utils import prune


def lenet(nn, F):
    """The tutorial's LeNet on either engine's ``nn`` and ``nn.functional``."""

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 3)
            self.conv2 = nn.Conv2d(6, 16, 3)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = x.flatten(start_dim=1)
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)

    return LeNet


LeNet = lenet(nn, F)


def _pair(torch):
    torch.manual_seed(1)
    t = lenet(torch.nn, torch.nn.functional)()
    m = LeNet()
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return t, m


def _same_model(t, m, torch, x):
    assert list(m.state_dict()) == list(t.state_dict())
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in t.named_buffers()]
    for k, v in t.state_dict().items():
        np.testing.assert_array_equal(np.asarray(m.state_dict()[k]), v.detach().numpy(), err_msg=k)
    tx = torch.tensor(x)
    out_t, out_m = t(tx), m(ne.tensor(x))
    np.testing.assert_allclose(out_m.detach().numpy(), out_t.detach().numpy(), rtol=1e-5, atol=1e-6)
    out_t.square().sum().backward()
    out_m.square().sum().backward()
    for (n, pt), (_, pm) in zip(t.named_parameters(), m.named_parameters()):
        np.testing.assert_allclose(np.asarray(pm.grad), pt.grad.numpy(), rtol=2e-4, atol=1e-5, err_msg=n)
        pt.grad = None
        pm.grad = None


STEPS = [
    ("l1", lambda P, mod: P.l1_unstructured(mod.conv1, "weight", amount=0.3)),
    ("l1 count", lambda P, mod: P.l1_unstructured(mod.conv1, "bias", amount=3)),
    ("ln dim0", lambda P, mod: P.ln_structured(mod.conv2, "weight", amount=0.5, n=2, dim=0)),
    ("ln dim1 L1", lambda P, mod: P.ln_structured(mod.fc1, "weight", amount=40, n=1, dim=1)),
    ("ln inf, -1", lambda P, mod: P.ln_structured(mod.fc2, "weight", amount=0.25, n=float("inf"), dim=-1)),
    ("ln on top of l1", lambda P, mod: P.ln_structured(mod.conv1, "weight", amount=2, n=1, dim=0)),
    ("ln fro", lambda P, mod: P.ln_structured(mod.fc3, "weight", amount=2, n="fro", dim=0)),
    ("l1 on top of ln", lambda P, mod: P.l1_unstructured(mod.conv2, "weight", amount=0.2)),
    ("identity", lambda P, mod: P.identity(mod.fc3, "bias")),
    ("custom", lambda P, mod: P.custom_from_mask(mod.fc3, "weight",
                                                 mask=(np.arange(840).reshape(10, 84) % 3 != 0).astype(np.float32))),
]


def _torch_prune(torch):
    import importlib

    return importlib.import_module("torch.nn.utils.prune")  # torch does not import it with torch.nn.utils


def test_masks_outputs_and_gradients_match_torch(torch):
    tp = _torch_prune(torch)
    t, m = _pair(torch)
    x = np.random.default_rng(0).standard_normal((3, 1, 26, 26)).astype(np.float32)
    for what, step in STEPS:
        if what == "custom":  # torch's custom_from_mask wants a Tensor mask
            tp.custom_from_mask(t.fc3, "weight", torch.tensor(
                (np.arange(840).reshape(10, 84) % 3 != 0).astype(np.float32)))
        else:
            step(tp, t)
        step(prune, m)
        _same_model(t, m, torch, x)
    hooks_t = {n: [type(h).__name__ for h in mod._forward_pre_hooks.values()] for n, mod in t.named_modules()}
    hooks_m = {n: [type(h).__name__ for h in mod._forward_pre_hooks.values()] for n, mod in m.named_modules()}
    assert hooks_m == hooks_t and "PruningContainer" in hooks_m["conv1"]
    container = [h for h in m.conv2._forward_pre_hooks.values() if h._tensor_name == "weight"][0]
    assert [type(p).__name__ for p in container] == ["LnStructured", "L1Unstructured"] and len(container) == 2
    assert prune.is_pruned(m) and not prune.is_pruned(nn.Linear(2, 2))
    for mod, name in [("conv1", "weight"), ("conv2", "weight"), ("fc3", "bias")]:
        tp.remove(getattr(t, mod), name)
        prune.remove(getattr(m, mod), name)
    _same_model(t, m, torch, x)
    assert isinstance(m.conv1.weight, nn.Parameter) and "weight" in dict(m.conv1.named_parameters())


def test_global_unstructured_matches_torch(torch):
    tp = _torch_prune(torch)
    t, m = _pair(torch)
    names = ["conv1", "conv2", "fc1", "fc2", "fc3"]
    tp.l1_unstructured(t.fc1, "weight", amount=0.5)  # an earlier mask is respected
    prune.l1_unstructured(m.fc1, "weight", amount=0.5)
    tp.global_unstructured([(getattr(t, n), "weight") for n in names],
                                             pruning_method=tp.L1Unstructured, amount=0.2)
    prune.global_unstructured([(getattr(m, n), "weight") for n in names], pruning_method=prune.L1Unstructured,
                              amount=0.2)
    _same_model(t, m, torch, np.ones((2, 1, 26, 26), np.float32))
    scores = {(m.fc2, "weight"): -np.abs(np.asarray(m.fc2.weight.detach()))}  # importance scores instead
    prune.global_unstructured([(m.fc2, "weight"), (m.fc3, "weight")], prune.L1Unstructured,
                              importance_scores=scores, amount=100)
    with pytest.raises(TypeError, match="unstructured"):
        prune.global_unstructured([(m.fc2, "weight")], prune.LnStructured, amount=0.1, n=2, dim=0)
    with pytest.raises(TypeError, match="dict"):
        prune.global_unstructured([(m.fc2, "weight")], prune.L1Unstructured, importance_scores=[1], amount=1)


def test_random_methods_counts_and_seeding():
    def pruned(seed):
        ne.manual_seed(seed)
        m = LeNet()
        prune.random_unstructured(m.fc1, "weight", amount=0.3)
        prune.random_structured(m.conv2, "weight", amount=0.5, dim=0)
        prune.random_structured(m.conv2, "weight", amount=2, dim=1)  # iterative: on the channels left
        return m
    a, b, c = pruned(0), pruned(0), pruned(1)
    assert int((a.fc1.weight_mask == 0).sum()) == round(0.3 * 400 * 120)
    kept = np.asarray(a.conv2.weight_mask).reshape(16, 6, 9)
    assert (kept.any(axis=(1, 2))).sum() == 8 and (kept.any(axis=(0, 2))).sum() == 4
    assert np.all((kept == 0) | (kept == 1)) and np.all(kept.all(axis=2) | ~kept.any(axis=2))
    np.testing.assert_array_equal(a.conv2.weight_mask, b.conv2.weight_mask)
    assert not np.array_equal(a.fc1.weight_mask, c.fc1.weight_mask)


def test_custom_method_importance_scores_and_prune_method():
    class EveryOther(prune.BasePruningMethod):
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            mask = default_mask.clone()
            mask.flatten()[::2] = 0
            return mask

    m = nn.Linear(3, 6)
    EveryOther.apply(m, "bias")
    np.testing.assert_array_equal(m.bias_mask, [0, 1, 0, 1, 0, 1])
    EveryOther.apply(m, "bias")  # the second acts on what is left: entries 1, 3, 5 -> prunes 1 and 5
    np.testing.assert_array_equal(m.bias_mask, [0, 0, 0, 1, 0, 0])
    scores = np.arange(18, dtype=np.float32)[::-1].reshape(6, 3).copy()  # the last five entries rank lowest
    prune.l1_unstructured(m, "weight", amount=5, importance_scores=scores)
    np.testing.assert_array_equal(m.weight_mask.ravel(), np.r_[np.ones(13), np.zeros(5)])
    w = ne.tensor([[1.0, -3.0], [0.5, 2.0]])
    np.testing.assert_array_equal(prune.L1Unstructured(amount=2).prune(w).numpy(), [[0, -3], [0, 2]])
    m(ne.ones(2, 3)).sum().backward()  # the gradient reaches weight_orig through the mask
    np.testing.assert_array_equal(np.asarray(m.weight_orig.grad), 2 * np.asarray(m.weight_mask))


def test_errors():
    m = nn.Linear(3, 4)
    for bad, err in [(-1, ValueError), (1.5, ValueError), ("x", TypeError), (True, TypeError)]:
        with pytest.raises(err, match="amount"):
            prune.l1_unstructured(m, "weight", amount=bad)
    with pytest.raises(ValueError, match="amount=13"):
        prune.l1_unstructured(m, "weight", amount=13)
    assert "weight" in m._parameters and not prune.is_pruned(m)  # a failed pruning leaves the module as it was
    with pytest.raises(ValueError, match="multidimensional"):
        prune.ln_structured(m, "bias", amount=1, n=2, dim=0)
    with pytest.raises(IndexError, match="dim"):
        prune.random_structured(m, "weight", amount=1, dim=2)
    with pytest.raises(ValueError, match="no parameter 'nope'"):
        prune.l1_unstructured(m, "nope", amount=1)
    with pytest.raises(ValueError, match="importance_scores"):
        prune.l1_unstructured(m, "weight", amount=1, importance_scores=np.ones(3))
    with pytest.raises(ValueError, match="has to be pruned"):
        prune.remove(m, "weight")
    with pytest.raises(TypeError, match="module"):
        prune.l1_unstructured("m", "weight", amount=1)
    assert list(m.state_dict()) == ["weight", "bias"]


def test_hooks_are_kept_as_torch_keeps_them():
    """module._forward_pre_hooks maps handle ids to the hooks themselves (code written for torch iterates it),
    with_kwargs in a dict beside; removing a handle clears both."""
    m = nn.Linear(2, 2)
    seen = []
    h1 = m.register_forward_pre_hook(lambda mod, args, kwargs: seen.append("kw") or None, with_kwargs=True)
    h2 = m.register_forward_hook(lambda mod, args, out: seen.append("post"))
    m(ne.ones(1, 2))
    assert seen == ["kw", "post"] and all(callable(h) for h in m._forward_pre_hooks.values())
    h1.remove()
    h2.remove()
    assert not m._forward_pre_hooks and not m._forward_pre_hooks_with_kwargs and not m._forward_hooks


TUTORIAL = '''
import torch
from torch import nn
import torch.nn.utils.prune as prune
import torch.nn.functional as F

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class LeNet(nn.Module):
    def __init__(self):
        super(LeNet, self).__init__()
        # 1 input image channel, 6 output channels, 3x3 square conv kernel
        self.conv1 = nn.Conv2d(1, 6, 3)
        self.conv2 = nn.Conv2d(6, 16, 3)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)  # 5x5 image dimension
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.flatten(start_dim=1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x

model = LeNet().to(device=device)
module = model.conv1
print(list(module.named_parameters()))
print(list(module.named_buffers()))
prune.random_unstructured(module, name="weight", amount=0.3)
print(list(module.named_parameters()))
print(list(module.named_buffers()))
print(module.weight)
print(module._forward_pre_hooks)
prune.l1_unstructured(module, name="bias", amount=3)
print(list(module.named_parameters()))
print(list(module.named_buffers()))
print(module.bias)
print(module._forward_pre_hooks)
prune.ln_structured(module, name="weight", amount=0.5, n=2, dim=0)
print(module.weight)
for hook in module._forward_pre_hooks.values():
    if hook._tensor_name == "weight":  # select out the correct hook
        break

print(list(hook))  # pruning history in the container
history = [type(h).__name__ for h in hook]
print(model.state_dict().keys())
keys = list(model.state_dict().keys())
print(list(module.named_parameters()))
print(list(module.named_buffers()))
print(module.weight)
zero_channels = int(sum(float(torch.sum(module.weight[c] != 0)) == 0 for c in range(6)))
prune.remove(module, 'weight')
print(list(module.named_parameters()))
print(list(module.named_buffers()))
after = [n for n, _ in module.named_parameters()] + [n for n, _ in module.named_buffers()]

new_model = LeNet()
for name, module in new_model.named_modules():
    # prune 20% of connections in all 2D-conv layers
    if isinstance(module, torch.nn.Conv2d):
        prune.l1_unstructured(module, name='weight', amount=0.2)
    # prune 40% of connections in all linear layers
    elif isinstance(module, torch.nn.Linear):
        prune.l1_unstructured(module, name='weight', amount=0.4)

print(dict(new_model.named_buffers()).keys())  # to verify that all masks exist
masks = len(dict(new_model.named_buffers()).keys())

model = LeNet()

parameters_to_prune = (
    (model.conv1, 'weight'),
    (model.conv2, 'weight'),
    (model.fc1, 'weight'),
    (model.fc2, 'weight'),
    (model.fc3, 'weight'),
)

prune.global_unstructured(
    parameters_to_prune,
    pruning_method=prune.L1Unstructured,
    amount=0.2,
)
print(
    "Sparsity in conv1.weight: {:.2f}%".format(
        100. * float(torch.sum(model.conv1.weight == 0))
        / float(model.conv1.weight.nelement())
    )
)
global_sparsity = 100. * float(
    torch.sum(model.conv1.weight == 0)
    + torch.sum(model.conv2.weight == 0)
    + torch.sum(model.fc1.weight == 0)
    + torch.sum(model.fc2.weight == 0)
    + torch.sum(model.fc3.weight == 0)
) / float(
    model.conv1.weight.nelement()
    + model.conv2.weight.nelement()
    + model.fc1.weight.nelement()
    + model.fc2.weight.nelement()
    + model.fc3.weight.nelement()
)
print("Global sparsity: {:.2f}%".format(global_sparsity))


class FooBarPruningMethod(prune.BasePruningMethod):
    """Prune every other entry in a tensor
    """
    PRUNING_TYPE = 'unstructured'

    def compute_mask(self, t, default_mask):
        mask = default_mask.clone()
        mask.flatten()[::2] = 0
        return mask


def foobar_unstructured(module, name):
    FooBarPruningMethod.apply(module, name)
    return module

model = LeNet()
foobar_unstructured(model.fc3, name='bias')

print(model.fc3.bias_mask)
foobar = [float(v) for v in model.fc3.bias_mask]
out = model(torch.randn(4, 1, 26, 26))
print("RESULT global=%.2f zero_channels=%d masks=%d keys=%d history=%d after=%d foobar=%d"
      % (global_sparsity, zero_channels, masks, len(keys), len(history), len(after), int(sum(foobar))))
print("NAMES", keys, history, after, foobar)
'''


def test_pruning_tutorial(torch, tmp_path):
    """intermediate_source/pruning_tutorial.py (its code cells, plus the RESULT/NAMES lines) under both engines."""
    outs = {eng: run(TUTORIAL, eng, tmp_path) for eng in ("torch", "nnengine")}
    r = {eng: result(o) for eng, o in outs.items()}
    assert r["nnengine"] == r["torch"] and r["torch"]["global"] == 20.0 and r["torch"]["zero_channels"] == 3
    names = {eng: [ln for ln in o.splitlines() if ln.startswith("NAMES")][0] for eng, o in outs.items()}
    assert names["nnengine"] == names["torch"]
