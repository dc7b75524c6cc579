"""F.embedding_bag / nn.EmbeddingBag: outputs and gradients (weight and per_sample_weights) equal torch's for
sum/mean/max, 2-D bags and 1-D input with offsets (include_last_offset, empty bags), padding_idx, max_norm; reprs
and the text-classification pattern (EmbeddingBag -> Linear) train like torch's."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine import nn

R = np.random.default_rng(0)
WT = R.standard_normal((10, 4)).astype(np.float32)
FLAT = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0, 0, 7])
CASES = [
    dict(input=FLAT, offsets=np.array([0, 4, 4, 8])),  # an empty bag
    dict(input=FLAT, offsets=np.array([0, 3, 7, 11]), include_last_offset=True),
    dict(input=np.array([[1, 2, 0], [4, 4, 9]])),
    dict(input=FLAT, offsets=np.array([0, 5]), padding_idx=0),
    dict(input=np.array([[0, 0, 3], [0, 0, 0]]), padding_idx=0),
]


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("ci", range(len(CASES)))
def test_matches_torch(torch, mode, ci):
    case = CASES[ci]
    kw = {k: v for k, v in case.items() if k not in ("input", "offsets")}
    w, tw = ne.tensor(WT.copy(), requires_grad=True), torch.tensor(WT.copy(), requires_grad=True)
    off = case.get("offsets")
    y = F.embedding_bag(ne.tensor(case["input"]), w, None if off is None else ne.tensor(off), mode=mode, **kw)
    ty = torch.nn.functional.embedding_bag(torch.tensor(case["input"]), tw,
                                           None if off is None else torch.tensor(off), mode=mode, **kw)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-6, atol=1e-6)
    g = R.standard_normal(tuple(ty.shape)).astype(np.float32)
    (y * ne.tensor(g)).sum().backward()
    (ty * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_per_sample_weights_grad_matches_torch(torch):
    psw = R.random(FLAT.size).astype(np.float32)
    w, tw = ne.tensor(WT.copy(), requires_grad=True), torch.tensor(WT.copy(), requires_grad=True)
    p, tp = ne.tensor(psw, requires_grad=True), torch.tensor(psw, requires_grad=True)
    y = F.embedding_bag(ne.tensor(FLAT), w, ne.tensor([0, 6]), mode="sum", per_sample_weights=p, padding_idx=0)
    ty = torch.nn.functional.embedding_bag(torch.tensor(FLAT), tw, torch.tensor([0, 6]), mode="sum",
                                           per_sample_weights=tp, padding_idx=0)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-6)
    (y ** 2).sum().backward()
    (ty ** 2).sum().backward()
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_max_norm_renormalises_like_torch(torch):
    w, tw = ne.tensor(WT * 3), torch.tensor(WT * 3)
    y = F.embedding_bag(ne.tensor(FLAT), w, ne.tensor([0, 5]), max_norm=1.0, mode="sum")
    ty = torch.nn.functional.embedding_bag(torch.tensor(FLAT), tw, torch.tensor([0, 5]), max_norm=1.0, mode="sum")
    np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-5)
    np.testing.assert_allclose(w.numpy(), tw.numpy(), rtol=1e-5)


def test_module_repr_state_and_text_classifier_training(torch):
    for kw in (dict(), dict(mode="sum", padding_idx=0, max_norm=1.0)):
        assert repr(nn.EmbeddingBag(10, 3, **kw)) == repr(torch.nn.EmbeddingBag(10, 3, **kw))
    emb, fc = nn.EmbeddingBag(10, 4, mode="mean"), nn.Linear(4, 2)
    temb, tfc = torch.nn.EmbeddingBag(10, 4, mode="mean"), torch.nn.Linear(4, 2)
    emb.load_state_dict(temb.state_dict())
    fc.load_state_dict(tfc.state_dict())
    opt = ne.optim.SGD(list(emb.parameters()) + list(fc.parameters()), lr=0.5)
    topt = torch.optim.SGD(list(temb.parameters()) + list(tfc.parameters()), lr=0.5)
    labels = np.array([0, 1, 1])
    for _ in range(5):
        for o in (opt, topt):
            o.zero_grad()
        loss = F.cross_entropy(fc(emb(ne.tensor(FLAT), ne.tensor([0, 4, 8]))), ne.tensor(labels))
        tloss = torch.nn.functional.cross_entropy(tfc(temb(torch.tensor(FLAT), torch.tensor([0, 4, 8]))),
                                                  torch.tensor(labels))
        loss.backward()
        tloss.backward()
        opt.step()
        topt.step()
        np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-5)
    np.testing.assert_allclose(emb.weight.detach().numpy(), temb.weight.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_save_load_round_trip(tmp_path):
    from nnengine import io

    m = nn.EmbeddingBag(10, 4, mode="max", padding_idx=2)
    io.save_model(m, str(tmp_path / "e.safetensors"))
    back = io.load_model(str(tmp_path / "e.safetensors"))
    assert type(back) is nn.EmbeddingBag and repr(back) == repr(m)
    np.testing.assert_array_equal(back(ne.tensor(FLAT), ne.tensor([0, 3])).numpy(),
                                  m(ne.tensor(FLAT), ne.tensor([0, 3])).numpy())


@pytest.mark.parametrize("call,exc,match", [
    (lambda: F.embedding_bag(ne.tensor([1, 2]), ne.ones(5, 2)), ValueError, "offsets"),
    (lambda: F.embedding_bag(ne.tensor([[1, 2]]), ne.ones(5, 2), ne.tensor([0])), ValueError, "offsets"),
    (lambda: F.embedding_bag(ne.tensor([1, 2]), ne.ones(5, 2), ne.tensor([1])), ValueError, "offsets"),
    (lambda: F.embedding_bag(ne.tensor([1, 7]), ne.ones(5, 2), ne.tensor([0])), ValueError, "input"),
    (lambda: F.embedding_bag(ne.tensor([[1]]), ne.ones(5, 2), mode="median"), ValueError, "mode"),
    (lambda: F.embedding_bag(ne.tensor([[1]]), ne.ones(5, 2), mode="mean", per_sample_weights=ne.ones(1, 1)),
     ValueError, "per_sample_weights"),
    (lambda: F.embedding_bag(ne.tensor([[1.0]]), ne.ones(5, 2)), TypeError, "input"),
    (lambda: nn.EmbeddingBag(5, 2, mode="x"), ValueError, "mode"),
])
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
