"""Torch idioms of the word-level language model program that nnengine runs as written:
``p.data.add_(p.grad, alpha=-lr)`` (Parameter.data's in-place methods) and ``torch.save(model, f)`` /
``torch.load(f, weights_only=False)`` of a whole user-defined model (rebuilt without pickle)."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pytest
from conftest import require

import nnengine as ne
from nnengine import nn
from nnengine.nn.parameter import ParameterData


class TinyLM(nn.Module):
    def __init__(self, ntoken, nhid, tie=False, dropout=0.5):
        super().__init__()
        self.encoder = nn.Embedding(ntoken, nhid)
        self.rnn = nn.GRU(nhid, nhid)
        self.drop = nn.Dropout(dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie:
            self.decoder.weight = self.encoder.weight
        self.register_buffer("steps", ne.zeros(1))

    def forward(self, x):
        out, _ = self.rnn(self.drop(self.encoder(x)))
        return self.decoder(out)


def test_parameter_data_inplace_methods():
    p = nn.Parameter(np.arange(6, dtype=np.float32).reshape(2, 3))
    before = p.data
    assert isinstance(p.data, ParameterData) and isinstance(p.data, np.ndarray)
    g = np.ones((2, 3), np.float32)
    r = p.data.add_(g, alpha=-0.5)
    assert r is before and p.data is before  # in place, same memory
    np.testing.assert_array_equal(p.data, np.arange(6).reshape(2, 3) - 0.5)
    p.data.sub_(ne.tensor(g)).mul_(2.0).div_(4.0)
    np.testing.assert_array_equal(p.data, (np.arange(6).reshape(2, 3) - 1.5) / 2)
    p.data.clamp_(0.0, 1.0)
    assert p.data.min() == 0.0 and p.data.max() == 1.0
    p.data[0].fill_(7.0)  # a slice is a view with the same methods
    assert (p.data[0] == 7).all()
    p.data.copy_(np.full((2, 3), 3.0)).zero_()
    assert not p.data.any()
    ne.manual_seed(3)
    p.data.normal_(0.0, 0.02)
    a = p.data.copy()
    ne.manual_seed(3)
    p.data.uniform_(-1, 1)
    ne.manual_seed(3)
    p.data.normal_(0.0, 0.02)
    np.testing.assert_array_equal(p.data, a)  # the global generator, seeded
    # everything else is numpy, and results of numpy operations are plain arrays
    assert type(p.data * 2) is np.ndarray and type(p.data + g) is np.ndarray and type(p.data @ g.T) is np.ndarray
    assert type(p.data.sum()) is np.float32 and type(np.exp(p.data)) is np.ndarray
    p.data = np.zeros((2, 3), np.float32)
    assert isinstance(p.data, ParameterData)
    p.data = ne.ones(2, 3)  # torch lets .data take a tensor
    assert isinstance(p.data, ParameterData) and p.data.sum() == 6


def test_manual_sgd_matches_torch():
    torch = require("torch")
    t = torch.nn.Linear(5, 3)
    m = nn.Linear(5, 3)
    m.load_state_dict(t.state_dict())
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    for model, lib in ((t, torch), (m, ne)):
        model(lib.tensor(x)).pow(2).sum().backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-20.0)
    for k, v in t.state_dict().items():
        np.testing.assert_allclose(m.state_dict()[k], v.numpy(), rtol=1e-5, atol=1e-6)


def test_save_whole_model_and_load_with_weights_only_false(tmp_path):
    ne.manual_seed(0)
    model = TinyLM(20, 8, tie=True, dropout=0.3)
    model.eval()
    path = tmp_path / "model.pt"
    with open(path, "wb") as f:
        ne.save(model, f)
    assert b"pickle" not in path.read_bytes()
    with pytest.raises(pickle.UnpicklingError, match="weights_only=False"):
        ne.load(path)  # torch >= 2.6's default refuses a whole model too
    state = ne.random.get_rng_state()
    with open(path, "rb") as f:
        back = ne.load(f, weights_only=False)
    assert ne.random.get_rng_state() == state  # rebuilding did not consume the global generator
    assert type(back) is TinyLM and not back.training and back.drop.p == 0.3
    assert back.decoder.weight is back.encoder.weight  # tied again by the constructor
    x = ne.tensor(np.array([[1, 2], [3, 4], [5, 6]]))
    np.testing.assert_array_equal(back(x).data, model(x).data)
    for (k, a), (k2, b) in zip(back.state_dict().items(), model.state_dict().items()):
        assert k == k2
        np.testing.assert_array_equal(a, b)
    # nested modules as constructor arguments (TransformerEncoder takes its layer), in a container
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), 2)
    buf = io.BytesIO()
    ne.save({"model": enc, "epoch": 3}, buf)
    buf.seek(0)
    got = ne.load(buf, weights_only=False)
    assert got["epoch"] == 3 and len(got["model"].layers) == 2
    src = ne.randn(5, 2, 8)
    enc.eval()
    got["model"].eval()
    np.testing.assert_array_equal(got["model"](src).data, enc(src).data)


def _finetune_layout(lib):
    """A whole model changed after construction, the fine-tuning way, under ``lib`` (torch or nnengine)."""

    class Backbone(lib.nn.Module):
        def __init__(self, width=4):
            super().__init__()
            self.conv = lib.nn.Conv2d(3, width, 3, padding=1)
            self.aux = lib.nn.Linear(width, 2)
            self.fc = lib.nn.Linear(width, 1000)

        def forward(self, x):
            return self.fc(self.conv(x).mean((2, 3)))

    name = f"Backbone_{lib.__name__}"  # importable by module and name, as torch's pickle and ne.load need
    Backbone.__name__ = Backbone.__qualname__ = name
    globals()[name] = Backbone
    lib.manual_seed(0)
    model = Backbone()
    for p in model.parameters():
        p.requires_grad = False
    model.fc = lib.nn.Linear(model.fc.in_features, 10)  # replaced: a new shape
    model.extra = lib.nn.Sequential(lib.nn.ReLU(), lib.nn.Linear(10, 3))  # added
    model.aux = None  # dropped
    return Backbone, model


@pytest.mark.parametrize("engine", ["nnengine", "torch"])
def test_whole_model_with_replaced_submodules_round_trips(tmp_path, engine):
    # pytorch_basics' `resnet.fc = nn.Linear(resnet.fc.in_features, 100)` then torch.save(resnet) / torch.load:
    # the reloaded model has the new head (not the constructor's), the added child, the dropped one, and the frozen
    # parameters stay frozen; torch itself (it pickles) gives the same
    lib = require("torch") if engine == "torch" else ne
    Backbone, model = _finetune_layout(lib)
    lib.save(model, tmp_path / "m.pt")
    back = lib.load(tmp_path / "m.pt", weights_only=False)
    assert back.fc.out_features == 10 and back.aux is None and back.extra[1].out_features == 3
    assert [(n, p.requires_grad) for n, p in back.named_parameters()] == [
        ("conv.weight", False), ("conv.bias", False), ("fc.weight", True), ("fc.bias", True),
        ("extra.1.weight", True), ("extra.1.bias", True)]
    x = lib.randn(2, 3, 5, 5)
    np.testing.assert_array_equal(np.asarray(back(x).detach()), np.asarray(model(x).detach()))
    if engine == "nnengine":
        with ne.serialization.safe_globals([Backbone, nn.Linear, nn.Sequential, nn.ReLU]):  # as torch: every class
            assert ne.load(tmp_path / "m.pt").fc.out_features == 10
        with ne.serialization.safe_globals([Backbone]), pytest.raises(pickle.UnpicklingError, match="fc"):
            ne.load(tmp_path / "m.pt")


def test_load_whole_model_errors(tmp_path):
    import json

    from nnengine.io import load_file, save_file

    ne.save(nn.Linear(2, 2), tmp_path / "m.pt")
    tensors, meta = load_file(str(tmp_path / "m.pt"))
    for bad, msg in (("nowhere_module_xyz:Net", "cannot find"), ("json:JSONDecoder", "not a Module class")):
        structure = json.loads(meta["nnengine.save"])
        structure["M"] = bad
        save_file(tensors, str(tmp_path / "bad.pt"), dict(meta, **{"nnengine.save": json.dumps(structure)}))
        with pytest.raises(ValueError, match=msg):
            ne.load(tmp_path / "bad.pt", weights_only=False)
