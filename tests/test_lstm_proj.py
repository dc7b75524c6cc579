"""nn.LSTM(..., proj_size=P) (LSTM with projections, torch's): parameter names and shapes, outputs, states and
every gradient against torch, the argument checks, interop both ways and the ONNX refusal."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import require

import nnengine as ne
from nnengine import nn

T = require("torch")
RNG = np.random.default_rng(11)

CONFIGS = [{}, dict(num_layers=2), dict(bidirectional=True, num_layers=2), dict(batch_first=True, bias=False),
           dict(bidirectional=True)]


def _pair(kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = T.nn.LSTM(5, 8, proj_size=3, **kw)
    m = nn.LSTM(5, 8, proj_size=3, **kw)
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return t, m


@pytest.mark.parametrize("kw", CONFIGS, ids=str)
def test_lstm_with_projections_matches_torch(kw):
    t, m = _pair(kw)
    assert repr(m) == repr(t)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    assert [[tuple(w.shape) for w in g] for g in m.all_weights] == [[tuple(w.shape) for w in g] for g in t.all_weights]
    x = RNG.standard_normal((4, 6, 5)).astype(np.float32)
    layers = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    batch = 4 if kw.get("batch_first") else 6
    h0 = RNG.standard_normal((layers, batch, 3)).astype(np.float32)
    c0 = RNG.standard_normal((layers, batch, 8)).astype(np.float32)
    for hx in (None, (h0, c0)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ot, (ht, ct) = t(T.tensor(x), None if hx is None else tuple(map(T.tensor, hx)))
        om, (hm, cm) = m(ne.tensor(x), None if hx is None else tuple(map(ne.tensor, hx)))
        for a, b in ((om, ot), (hm, ht), (cm, ct)):
            assert a.shape == tuple(b.shape)
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-5)
        (ot.sum() + 2 * ht.sum() + 3 * ct.sum()).backward()
        (om.sum() + 2 * hm.sum() + 3 * cm.sum()).backward()
        for (name, p), (_, q) in zip(t.named_parameters(), m.named_parameters()):
            np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), atol=1e-4, err_msg=name)
            p.grad = None
            q.grad = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ot, (ht, _) = t(T.tensor(x[0]))
    om, (hm, _) = m(ne.tensor(x[0]))
    np.testing.assert_allclose(om.detach().numpy(), ot.detach().numpy(), atol=1e-5)
    assert hm.shape == tuple(ht.shape)


def test_projection_arguments_are_checked_as_torch():
    for bad in (8, 9, -1, 1.5, True):
        with pytest.raises(ValueError, match="proj_size"):
            nn.LSTM(5, 8, proj_size=bad)
    for cls in (nn.GRU, nn.RNN):
        with pytest.raises(ValueError, match="only LSTM"):
            cls(5, 8, proj_size=2)
    assert nn.RNN(5, 8, proj_size=0).proj_size == 0
    m = nn.LSTM(5, 8, proj_size=3)
    with pytest.raises(ValueError, match="h0"):
        m(ne.randn(4, 2, 5), (ne.randn(1, 2, 8), ne.randn(1, 2, 8)))  # h0 is P wide
    packed = nn.utils.rnn.pack_padded_sequence(ne.randn(4, 2, 5), [4, 3])
    with pytest.raises(ValueError, match="PackedSequence"):
        m(packed)
    assert nn.LSTM(5, 8, 2, True, False, 0.0, False, 3).proj_size == 3  # torch's positional order


def test_projected_lstm_converts_and_refuses_onnx():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = T.nn.Sequential(T.nn.LSTM(5, 8, proj_size=3, bidirectional=True))
        m = ne.interop.from_torch(t)
        x = RNG.standard_normal((4, 2, 5)).astype(np.float32)
        np.testing.assert_allclose(m[0](ne.tensor(x))[0].detach().numpy(), t[0](T.tensor(x))[0].detach().numpy(),
                                   atol=1e-5)
        assert repr(ne.interop.to_torch(m)) == repr(t)
    with pytest.raises(NotImplementedError, match="proj_size"):
        ne.onnx.export(nn.LSTM(5, 8, proj_size=3), ne.randn(4, 2, 5), "/dev/null")
