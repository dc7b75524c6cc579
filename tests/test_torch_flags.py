"""torch's implementation switches and layout hints that real programs pass: the optimizers' foreach / fused /
capturable / differentiable (accepted, checked, ignored: one fused C++ step), Adam(decoupled_weight_decay=True)
(AdamW's update, as torch), and the memory formats (accepted; tensors stay C-contiguous)."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
import nnengine.nn as nn


@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_decoupled_weight_decay_matches_torch(torch, decoupled):
    w0 = np.array([1.0, -2.0, 0.5], np.float32)
    a, b = nn.Parameter(ne.tensor(w0)), torch.nn.Parameter(torch.tensor(w0))
    oa = ne.optim.Adam([a], lr=0.1, weight_decay=0.1, decoupled_weight_decay=decoupled, fused=True)
    ob = torch.optim.Adam([b], lr=0.1, weight_decay=0.1, decoupled_weight_decay=decoupled)
    for _ in range(5):
        (a * a).sum().backward()
        oa.step()
        oa.zero_grad()
        (b * b).sum().backward()
        ob.step()
        ob.zero_grad()
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6, atol=1e-7)
    assert oa.param_groups[0].get("decoupled_weight_decay", False) == decoupled
    assert ne.optim.AdamW([a]).param_groups[0]["decoupled_weight_decay"] is True


def test_implementation_flags_accepted_and_checked():
    p = [nn.Parameter(ne.ones(2))]
    ne.optim.SGD(p, lr=0.1, foreach=True, differentiable=False, fused=None)
    ne.optim.Adam(p, foreach=False, capturable=False, differentiable=False, fused=True)
    ne.optim.AdamW(p, foreach=None, fused=False)
    ne.optim.RMSprop(p, capturable=False, foreach=True)
    ne.optim.Adagrad(p, foreach=None, fused=True)
    for cls in (ne.optim.SGD, ne.optim.Adam, ne.optim.AdamW, ne.optim.Adagrad):
        with pytest.raises(TypeError, match="fused"):
            cls(p, lr=0.1, fused="yes")


def test_memory_formats_accepted():
    x = ne.randn(2, 3, 4, 4)
    for fmt in (ne.channels_last, ne.contiguous_format, ne.preserve_format):
        np.testing.assert_array_equal(x.contiguous(memory_format=fmt).numpy(), x.numpy())
        np.testing.assert_array_equal(x.to(memory_format=fmt).numpy(), x.numpy())
    m = nn.Conv2d(3, 2, 3).to(memory_format=ne.channels_last)
    assert m(x).shape == (2, 2, 2, 2) and repr(ne.channels_last) == "torch.channels_last"
