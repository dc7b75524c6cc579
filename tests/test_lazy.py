"""LazyLinear, LazyConv1d/2d, LazyBatchNorm1d/2d: reprs before the first forward equal torch's; the first forward
reads the input size and the module becomes its ordinary class (torch's cls_to_become), with torch's shapes,
state_dict keys and outputs; placeholder Parameters keep their identity, so an optimizer built early still trains."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
from nnengine import nn

CASES = [
    ("LazyLinear", (6,), {}, (4, 5)),
    ("LazyLinear", (6,), {"bias": False}, (2, 3, 5)),
    ("LazyConv1d", (4, 3), {"padding": 1}, (2, 3, 9)),
    ("LazyConv2d", (4, 3), {"stride": 2, "groups": 2}, (2, 6, 7, 7)),
    ("LazyConv2d", (4, 3), {}, (3, 7, 7)),  # unbatched: channels are dim 0
    ("LazyBatchNorm1d", (), {"momentum": 0.3}, (8, 5)),
    ("LazyBatchNorm2d", (), {"affine": False}, (2, 3, 4, 4)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2, "output_padding": 1}, (2, 3, 6)),
    ("LazyConvTranspose2d", (4, 3), {"groups": 2, "padding": 1}, (2, 6, 5, 5)),
    ("LazyInstanceNorm1d", (), {"affine": True}, (2, 3, 8)),
    ("LazyInstanceNorm2d", (), {"track_running_stats": True}, (2, 3, 4, 4)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_materialises_like_torch(torch, name, args, kwargs, shape):
    m, tm = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(m) == repr(tm)
    assert m.has_uninitialized_params() and tm.has_uninitialized_params()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    tm(torch.tensor(x))
    m.initialize_parameters(ne.tensor(x))
    assert type(m).__name__ == type(tm).__name__ and repr(m) == repr(tm)
    sd, tsd = m.state_dict(), tm.state_dict()
    assert list(sd) == list(tsd) and all(sd[k].shape == tuple(tsd[k].shape) for k in sd)
    m.load_state_dict(tsd)
    m.train()
    tm.train()
    np.testing.assert_allclose(m(ne.tensor(x)).detach().numpy(), tm(torch.tensor(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-5)


def test_optimizer_built_before_the_first_forward_trains_the_weights():
    ne.manual_seed(0)
    model = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(1))
    params = list(model.parameters())
    opt = ne.optim.SGD(model.parameters(), lr=0.05)
    x, y = ne.randn(32, 3), ne.randn(32, 1)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert [p for p in model.parameters()] == params and params[0].shape == (8, 3)
    assert losses[-1] < losses[0]


def test_lazy_draws_no_random_numbers_before_its_forward():
    ne.manual_seed(3)
    a = ne.randn(4).numpy()
    ne.manual_seed(3)
    nn.LazyConv2d(4, 3)
    nn.LazyLinear(5)
    np.testing.assert_array_equal(ne.randn(4).numpy(), a)


def test_bad_arguments():
    with pytest.raises((ValueError, TypeError), match="out_features"):
        nn.LazyLinear(-1)
    with pytest.raises((ValueError, TypeError), match="groups|out_channels"):
        nn.LazyConv2d(5, 3, groups=2)
    with pytest.raises(ValueError, match="input"):
        nn.LazyLinear(3).initialize_parameters(3.0)
