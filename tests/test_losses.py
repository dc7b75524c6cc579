"""The loss functions and modules across kernel families vs torch (NLL, MSE, BCE at every reduction; the nn loss
modules) and their bad inputs. Each family's kernels are tested with it: cross-entropy and NLL in
test_softmax.py, MSE/L1/BCE/smooth-L1/Huber (and the Tensor-op losses) in test_pointwise_loss.py."""

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine import nn


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_mse_bce_vs_torch(torch, rng, reduction):
    tf = torch.nn.functional
    x = rng.standard_normal((6, 5)).astype(np.float32)
    t = rng.integers(0, 5, 6)
    y = rng.standard_normal((6, 5)).astype(np.float32)
    p = rng.uniform(0.01, 0.99, (6, 5)).astype(np.float32)
    yb = rng.integers(0, 2, (6, 5)).astype(np.float32)
    cases = [
        (lambda a: F.nll_loss(F.log_softmax(a, 1), t, reduction=reduction),
         lambda b: tf.nll_loss(tf.log_softmax(b, 1), torch.tensor(t), reduction=reduction), x),
        (lambda a: F.mse_loss(a, y, reduction=reduction),
         lambda b: tf.mse_loss(b, torch.tensor(y), reduction=reduction), x),
        (lambda a: F.l1_loss(a, y, reduction=reduction),
         lambda b: tf.l1_loss(b, torch.tensor(y), reduction=reduction), x),
        (lambda a: F.binary_cross_entropy(a, yb, reduction=reduction),
         lambda b: tf.binary_cross_entropy(b, torch.tensor(yb), reduction=reduction), p),
        (lambda a: F.binary_cross_entropy_with_logits(a, yb, reduction=reduction),
         lambda b: tf.binary_cross_entropy_with_logits(b, torch.tensor(yb), reduction=reduction), x * 10),
        (lambda a: F.binary_cross_entropy_with_logits(a, yb, reduction=reduction, pos_weight=np.full(5, 2.0, np.float32)),
         lambda b: tf.binary_cross_entropy_with_logits(b, torch.tensor(yb), reduction=reduction,
                                                       pos_weight=torch.full((5,), 2.0)), x),
    ]
    for f_ne, f_t, inp in cases:
        a = ne.tensor(inp, requires_grad=True)
        b = torch.tensor(inp, requires_grad=True)
        la, lb = f_ne(a), f_t(b)
        np.testing.assert_allclose(la.data, lb.detach().numpy(), rtol=1e-5, atol=1e-6)
        la.sum().backward()
        lb.sum().backward()
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_loss_modules(rng, torch):
    x = rng.standard_normal((4, 3)).astype(np.float32)
    t = rng.integers(0, 3, 4)
    for ours, theirs in [(nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()), (nn.NLLLoss(), torch.nn.NLLLoss())]:
        np.testing.assert_allclose(ours(ne.tensor(x), t).item(), theirs(torch.tensor(x), torch.tensor(t)).item(),
                                   rtol=1e-5)
    assert nn.MSELoss(reduction="sum")(ne.tensor(x), x).item() == 0.0


def test_loss_bad_input():
    x = ne.zeros(4, 3)
    with pytest.raises(ValueError, match="target: expected class indices in"):
        F.cross_entropy(x, np.array([0, 1, 3, 0]))
    with pytest.raises(ValueError, match="target: expected shape"):
        F.cross_entropy(x, np.array([0, 1]))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(x, np.array([0, 1, 2, 0]), reduction="avg")
    with pytest.raises(ValueError, match="non-integral"):
        F.cross_entropy(x, np.array([0.5, 1, 2, 0]))
    with pytest.raises(ValueError, match="weight: expected shape"):
        F.cross_entropy(x, np.array([0, 1, 2, 0]), weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="target: expected shape"):
        F.mse_loss(x, np.zeros((3, 4)))
    with pytest.raises(ValueError, match="probabilities"):
        F.binary_cross_entropy(ne.tensor([2.0]), [1.0])
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="bad")
