"""nn.ParameterList / nn.ParameterDict: registration, torch's state_dict names, list/dict behaviour, optimizer
use, loading torch's state_dict, errors."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
from nnengine import nn, optim


def mixture(lib):
    """The same model written against ``lib`` (nnengine or torch): parameters in a list and a dict."""

    class Mixture(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = lib.nn.ParameterList([lib.nn.Parameter(lib.randn(3, 3)) for _ in range(2)])
            self.ws.append(lib.nn.Parameter(lib.randn(3, 3)))
            self.extra = lib.nn.ParameterDict({"scale": lib.nn.Parameter(lib.randn(3))})
            self.extra.update([("shift", lib.nn.Parameter(lib.randn(3)))])

        def forward(self, x):
            for w in self.ws:
                x = x @ w
            return x * self.extra["scale"] + self.extra["shift"]

    return Mixture()


def test_names_values_and_gradients_match_torch(torch):
    ours, ref = mixture(ne), mixture(torch)
    assert list(ours.state_dict()) == list(ref.state_dict()) == ["ws.0", "ws.1", "ws.2", "extra.scale",
                                                                   "extra.shift"]
    ours.load_state_dict(ref.state_dict())
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    y, yt = ours(ne.tensor(x)), ref(torch.tensor(x))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    y.sum().backward()
    yt.sum().backward()
    for (n, p), (nt, pt) in zip(ours.named_parameters(), ref.named_parameters()):
        assert n == nt
        np.testing.assert_allclose(p.grad, pt.grad.numpy(), rtol=1e-4, atol=1e-5)
    opt = optim.SGD(ours.parameters(), lr=0.1)
    before = ours.ws[2].numpy().copy()
    opt.step()
    assert not np.array_equal(before, ours.ws[2].numpy())


def test_list_behaviour():
    ps = nn.ParameterList()
    ps.append(ne.zeros(2))  # a plain Tensor becomes a Parameter, as in torch
    ps.extend([nn.Parameter(ne.ones(3)), ne.ones(4)])
    ps += [ne.ones(5)]
    assert len(ps) == 4 and all(isinstance(p, nn.Parameter) and p.requires_grad for p in ps)
    assert [p.shape for p in ps] == [(2,), (3,), (4,), (5,)]
    assert ps[-1].shape == (5,) and [p.shape for p in ps[1:3]] == [(3,), (4,)]
    ps[0] = nn.Parameter(ne.ones(7))
    assert ps[0].shape == (7,) and [n for n, _ in ps.named_parameters()] == ["0", "1", "2", "3"]
    with pytest.raises(IndexError, match="index 4 is out of range for length 4"):
        ps[4]
    with pytest.raises(TypeError, match="expected a Parameter or Tensor, got ndarray"):
        ps.append(np.zeros(2))
    with pytest.raises(TypeError, match="index: expected an int"):
        ps["0"]
    with pytest.raises(TypeError, match="values"):
        ps.extend(ne.zeros(2))


def test_dict_behaviour():
    pd = nn.ParameterDict({"b": ne.zeros(1), "a": nn.Parameter(ne.ones(2))})
    assert list(pd) == list(pd.keys()) == ["b", "a"] and "a" in pd and len(pd) == 2
    pd["c"] = ne.ones(3)
    pd.update(nn.ParameterDict({"d": ne.ones(4)}))
    assert [(k, p.shape) for k, p in pd.items()] == [("b", (1,)), ("a", (2,)), ("c", (3,)), ("d", (4,))]
    assert [p.shape for p in pd.values()][-1] == (4,) and pd.get("zz") is None
    assert pd.pop("b").shape == (1,) and "b" not in pd
    del pd["a"]
    assert [n for n, _ in pd.named_parameters()] == ["c", "d"]
    pd.clear()
    assert len(pd) == 0 and list(pd.parameters()) == []
    with pytest.raises(TypeError, match="key: expected a str, got int"):
        pd[1] = ne.ones(1)
    with pytest.raises(ValueError, match="element 0 should be a"):
        pd.update([("a",)])
    with pytest.raises(TypeError, match="parameters: expected a mapping"):
        pd.update(3)
