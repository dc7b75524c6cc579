"""Interop of the norm layers and the new activations with torch, both ways: from_torch / to_torch keep the
constructor arguments, weights, running statistics and outputs."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
from nnengine.interop import from_torch, to_torch

LAYERS = [
    ("LayerNorm", ((3, 5),), {"eps": 1e-3}, (2, 4, 3, 5)),
    ("LayerNorm", (5,), {"bias": False}, (4, 5)),
    ("LayerNorm", (5,), {"elementwise_affine": False}, (4, 5)),
    ("GroupNorm", (2, 6), {}, (3, 6, 4)),
    ("InstanceNorm1d", (4,), {"affine": True, "track_running_stats": True}, (2, 4, 9)),
    ("InstanceNorm2d", (3,), {}, (2, 3, 4, 4)),
    ("InstanceNorm3d", (2,), {"affine": True, "bias": False}, (2, 2, 3, 3, 3)),
    ("GELU", ("tanh",), {}, (4, 9)),
    ("SiLU", (), {}, (4, 9)),
    ("Mish", (), {}, (4, 9)),
    ("Softplus", (2.0, 3.0), {}, (4, 9)),
    ("Hardtanh", (-0.5, 1.5), {}, (4, 9)),
    ("ReLU6", (), {}, (4, 9)),
    ("Hardswish", (), {}, (4, 9)),
    ("Hardsigmoid", (), {}, (4, 9)),
    ("Softsign", (), {}, (4, 9)),
    ("PReLU", (3,), {"init": 0.1}, (2, 3, 5)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", LAYERS)
def test_both_ways(name, args, kwargs, shape, torch):
    rng = np.random.default_rng(0)
    tm = getattr(torch.nn, name)(*args, **kwargs)
    with torch.no_grad():
        for p in tm.parameters():
            p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
        for b in tm.buffers():
            if b.dtype == torch.float32:
                b.copy_(torch.tensor(rng.uniform(0.5, 2.0, tuple(b.shape)).astype(np.float32)))
    tm = torch.nn.Sequential(tm).eval()
    nm = from_torch(tm)
    assert type(nm[0]) is getattr(ne.nn, name) and repr(nm[0]) == repr(tm[0])
    x = rng.standard_normal(shape).astype(np.float32)
    with torch.no_grad():
        want = tm(torch.tensor(x)).numpy()
    np.testing.assert_allclose(nm(ne.tensor(x)).numpy(), want, rtol=1e-5, atol=1e-5)
    back = to_torch(nm)
    assert type(back[0]) is type(tm[0]) and repr(back[0]) == repr(tm[0])
    with torch.no_grad():
        np.testing.assert_allclose(back(torch.tensor(x)).numpy(), want, rtol=1e-6, atol=1e-6)
    for k, v in tm.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[k].numpy(), v.numpy())
