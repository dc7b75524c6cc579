"""GRU, GRUCell and Embedding beyond the layer itself: io save/load, interop from/to torch, ONNX export of
Embedding (Gather) checked by onnxruntime (the GRU layers' ONNX cases are in test_onnx.py's table)."""

from __future__ import annotations

import numpy as np
import pytest
from test_onnx import _check

import nnengine as ne
from nnengine import io, nn
from nnengine.interop import from_torch, to_torch


@pytest.mark.parametrize("max_norm", [None, 1.0])
def test_embedding_matches_onnxruntime(tmp_path, max_norm):
    ne.manual_seed(0)
    emb = nn.Embedding(10, 4, padding_idx=0, max_norm=max_norm)
    ids = np.array([[1, 0, 9], [3, 3, 2]], np.int64)
    before = emb.weight.data.copy()
    _check(nn.Sequential(emb, nn.Flatten(), nn.Linear(12, 2)), ids, tmp_path, other_batch=ids[:1].copy())
    if max_norm is not None:  # export renormalised a copy; the runs renormalised the rows they looked up
        assert np.all(np.linalg.norm(emb.weight.data[[0, 1, 2, 3, 9]], axis=1) <= max_norm + 1e-6)
        assert np.array_equal(emb.weight.data[4:9], before[4:9])


def test_io_save_load(tmp_path):
    ne.manual_seed(0)
    ids = ne.tensor([[1, 4, 2], [0, 0, 3]])
    for m in (nn.Embedding(5, 3, padding_idx=1, max_norm=2.0, scale_grad_by_freq=True),
              nn.Embedding.from_pretrained(np.arange(15, dtype=np.float32).reshape(5, 3))):
        io.save_model(m, str(tmp_path / "e.safetensors"))
        back = io.load_model(str(tmp_path / "e.safetensors"))
        assert repr(back) == repr(m) and back.weight.requires_grad == m.weight.requires_grad
        np.testing.assert_array_equal(back(ids).data, m(ids).data)
    gru = nn.GRU(3, 4, num_layers=2)
    ne.save(gru.state_dict(), str(tmp_path / "sd.pt"))
    fresh = nn.GRU(3, 4, num_layers=2)
    fresh.load_state_dict(ne.load(str(tmp_path / "sd.pt")))
    x = ne.randn(5, 2, 3)
    np.testing.assert_array_equal(fresh(x)[0].data, gru(x)[0].data)


def test_from_torch_and_back(torch):
    torch.manual_seed(0)
    tnn = torch.nn
    cases = [
        (tnn.GRU(6, 5, num_layers=2, bidirectional=True, batch_first=True), (3, 4, 6)),
        (tnn.GRUCell(6, 5, bias=False), (3, 6)),
        (tnn.Sequential(tnn.Embedding(7, 3, padding_idx=2), tnn.Flatten(), tnn.Linear(6, 2)), (4, 2)),
    ]
    for tm, shape in cases:
        nm = from_torch(tm)
        assert list(nm.state_dict()) == list(tm.state_dict())
        if len(shape) == 2 and isinstance(tm, tnn.Sequential):
            x = np.random.default_rng(0).integers(0, 7, shape)
        else:
            x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        with torch.no_grad():
            t_out = tm(torch.from_numpy(x))
        n_out = nm(ne.tensor(x))
        for a, b in zip(n_out if isinstance(n_out, tuple) else (n_out,), t_out if isinstance(t_out, tuple) else (t_out,)):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-5)
        back = to_torch(nm)
        assert type(back) is type(tm)
        for k, v in back.state_dict().items():
            np.testing.assert_array_equal(v.numpy(), tm.state_dict()[k].numpy())
    frozen = from_torch(tnn.Embedding.from_pretrained(torch.eye(3)))
    assert not frozen.weight.requires_grad and not to_torch(frozen).weight.requires_grad
    with pytest.raises(TypeError, match="sparse=True"):
        from_torch(tnn.Embedding(4, 2, sparse=True))
