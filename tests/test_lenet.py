"""LeNet-5: shapes, options, state_dict keys, and convergence on a Fashion-MNIST subset."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require_dataset

import nnengine as ne
import nnengine.data as data
import nnengine.functional as F
from nnengine.models import LeNet5


def test_lenet_shapes_options_and_keys():
    ne.manual_seed(0)
    m = LeNet5()
    x = ne.randn(3, 1, 28, 28)
    assert m(x).shape == (3, 10)
    keys = list(m.state_dict())
    assert keys[:4] == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"]
    assert "fc3.weight" in keys and m.fc3.weight.shape == (10, 84)
    bn = LeNet5(num_classes=5, in_channels=3, batch_norm=True, dropout=0.3, activation="tanh")
    assert bn(ne.randn(4, 3, 28, 28)).shape == (4, 5)
    assert "bn1.running_mean" in bn.state_dict() and "bn3.num_batches_tracked" in bn.state_dict()
    bn.eval()
    y1, y2 = bn(ne.randn(2, 3, 28, 28)), None
    assert y1.shape == (2, 5) and y2 is None
    with pytest.raises(ValueError, match="activation"):
        LeNet5(activation="swish")
    with pytest.raises(ValueError, match="dropout"):
        LeNet5(dropout=1.0)


def test_lenet_fused_layers_give_the_separate_layers_bits():
    """ReLU -> MaxPool2d and Linear -> ReLU run as single nodes; a no-op forward hook on every layer turns both
    fusions off, and outputs and gradients stay the same bits."""
    xa = np.random.default_rng(0).random((5, 1, 28, 28)).astype(np.float32)
    runs = []
    for hooked in (False, True):
        ne.manual_seed(0)
        m = LeNet5()
        if hooked:
            for layer in (m.conv1, m.conv2, m.fc1, m.fc2, m.pool):
                layer.register_forward_hook(lambda mod, args, out: None)
        y = m(ne.tensor(xa))
        F.cross_entropy(y, np.arange(5)).backward()
        runs.append([y.data] + [p.grad.data for p in m.parameters()])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_lenet_learns_fashion_mnist_subset():
    xtr, ytr = require_dataset(data.load_fashion_mnist, train=True, what="Fashion-MNIST")
    xte, yte = require_dataset(data.load_fashion_mnist, train=False, what="Fashion-MNIST")
    prep = lambda a: ((a.astype(np.float32) / 255.0 - 0.286) / 0.353)[:, None]  # noqa: E731
    xtr, ytr = prep(xtr[:16000]), ytr[:16000]
    xte, yte = prep(xte[:2000]), yte[:2000]
    ne.manual_seed(0)
    model = LeNet5(batch_norm=True)
    opt = ne.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    order = np.random.default_rng(0).permutation(len(xtr))
    steps = len(order) // 32  # one epoch of 500 steps of 32 images: a bounded budget
    for s in range(steps):
        opt.param_groups[0]["lr"] = 0.05 * 0.5 * (1 + np.cos(np.pi * s / steps))  # cosine decay
        idx = order[s * 32:(s + 1) * 32]
        loss = F.cross_entropy(model(ne.Tensor(xtr[idx])), ytr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with ne.no_grad():
        acc = float((model(ne.Tensor(xte)).numpy().argmax(1) == yte).mean())
    assert steps == 500
    assert acc >= 0.85, f"test accuracy {acc:.4f} after {steps} steps"
