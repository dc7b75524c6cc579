"""Every functional op accepts non-contiguous views (transposes, slices) like PyTorch does (float64 tensors:
test_edge_cases.py and test_float64.py)."""

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine import nn


def _views(rng, shape):
    """A transposed-back view, a strided slice, and a float64 numpy view (data: becomes float32 like Tensor(x))."""
    big = rng.standard_normal(shape[::-1]).astype(np.float32)
    t = np.transpose(big, tuple(reversed(range(len(shape)))))
    assert not t.flags.c_contiguous or t.ndim == 1
    s = rng.standard_normal(shape[:-1] + (shape[-1] * 2,)).astype(np.float32)[..., ::2]
    return [t, s, t.astype(np.float64)]


CASES = {
    "relu": ((4, 6), lambda x: F.relu(x)),
    "sigmoid": ((4, 6), lambda x: F.sigmoid(x)),
    "tanh": ((4, 6), lambda x: F.tanh(x)),
    "elu": ((4, 6), lambda x: F.elu(x)),
    "leaky_relu": ((4, 6), lambda x: F.leaky_relu(x, 0.1)),
    "softmax": ((4, 6), lambda x: F.softmax(x, 1)),
    "log_softmax": ((4, 6), lambda x: F.log_softmax(x, 0)),
    "linear": ((4, 6), lambda x: F.linear(x, ne.ones(3, 6))),
    "linear_transposed_weight": ((4, 6), lambda x: F.linear(x, ne.tensor(np.arange(18.0, dtype=np.float32).reshape(6, 3)).t(),
                                                             ne.ones(6)[::2])),
    "cross_entropy": ((4, 6), lambda x: F.cross_entropy(x, np.array([0, 1, 2, 5]))),
    "mse": ((4, 6), lambda x: F.mse_loss(x, np.zeros((4, 6)))),
    "conv2d": ((2, 3, 7, 7), lambda x: F.conv2d(x, ne.ones(4, 3, 3, 3), padding=1)),
    "max_pool2d": ((2, 3, 8, 8), lambda x: F.max_pool2d(x, 2)),
    "avg_pool2d": ((2, 3, 8, 8), lambda x: F.avg_pool2d(x, 3, 2, 1)),
    "min_pool2d": ((2, 3, 8, 8), lambda x: F.min_pool2d(x, 2)),
    "maxout": ((2, 4, 5, 5), lambda x: F.maxout(x, 2)),
    "batch_norm": ((4, 3, 5, 5), lambda x: F.batch_norm(x, np.zeros(3, np.float32), np.ones(3, np.float32),
                                                        training=True)),
    "dropout": ((4, 6), lambda x: F.dropout(x, 0.5, training=True)),
    "lstm": ((5, 2, 3), lambda x: nn.LSTM(3, 4)(x)[0]),
    "rnn": ((5, 2, 3), lambda x: nn.RNN(3, 4, bidirectional=True)(x)[0]),
}


def _loss(out):
    """A weighted sum through a transpose, so the gradient reaching the op is a non-contiguous view."""
    if out.ndim < 2:
        return (out * 1.5).sum()
    p = out.permute(*reversed(range(out.ndim)))
    w = np.arange(p.numel(), dtype=np.float32).reshape(p.shape) / p.numel()
    return (p * ne.tensor(w)).sum()


@pytest.mark.parametrize("name", sorted(CASES))
def test_noncontiguous_and_float64_inputs(name, rng):
    shape, fn = CASES[name]
    views = _views(rng, shape)
    kinds = [(v.dtype, v.flags.c_contiguous) for v in views]
    assert kinds == [(np.float32, False), (np.float32, False), (np.float64, False)] or len(shape) == 1
    for v in views:
        contiguous = np.ascontiguousarray(v, dtype=np.float32)
        ne.manual_seed(0)
        a = ne.Tensor(v, requires_grad=True) if v.dtype == np.float64 else ne.tensor(v, requires_grad=True)
        out = fn(a)
        _loss(out).backward()
        ne.manual_seed(0)
        b = ne.tensor(contiguous, requires_grad=True)
        expect = fn(b)
        _loss(expect).backward()
        np.testing.assert_allclose(out.numpy(), expect.numpy(), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(a.grad, b.grad, rtol=1e-6, atol=1e-6)
        assert out.dtype == np.float32 and a.grad.shape == v.shape
