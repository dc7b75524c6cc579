"""``ne.load`` of files written by real ``torch.save`` (nnengine.io.torch_file): state dicts loaded into nnengine
layers give torch's outputs, checkpoints keep their structure and values, every dtype and view, file objects;
hostile files (code in the pickle, whole models, corrupt bytes, lying sizes) raise and run nothing."""

from __future__ import annotations

import io
import os
import pickle
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import nnengine as ne
from nnengine import nn
from nnengine.io.torch_file import RefusedPickle, load_torch_file


def _save(torch, obj, path, **kw):
    torch.save(obj, str(path), **kw)
    return str(path)


def test_state_dicts_load_into_nnengine_layers(torch, tmp_path):
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.Flatten(),
                             torch.nn.Linear(4 * 36, 3))
    tm.train()
    tm(torch.randn(8, 1, 8, 8))  # running statistics and num_batches_tracked move
    tm.eval()
    m = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 36, 3))
    sd = ne.load(_save(torch, tm.state_dict(), tmp_path / "cnn.pth"))
    assert isinstance(sd, OrderedDict) and list(sd) == list(tm.state_dict())
    assert sd["1.num_batches_tracked"].dtype == np.int64 and int(sd["1.num_batches_tracked"].item()) == 1
    m.load_state_dict(sd)
    m.eval()
    x = torch.randn(5, 1, 8, 8)
    np.testing.assert_allclose(m(ne.tensor(x.numpy())).numpy(), tm(x).detach().numpy(), rtol=1e-5, atol=1e-6)

    tl = torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True)
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True)
    lstm.load_state_dict(ne.load(_save(torch, tl.state_dict(), tmp_path / "lstm.pt")))
    s = torch.randn(2, 7, 3)
    np.testing.assert_allclose(lstm(ne.tensor(s.numpy()))[0].numpy(), tl(s)[0].detach().numpy(), rtol=1e-5, atol=1e-6)


def test_checkpoint_structure_dtypes_and_views(torch, tmp_path):
    torch.manual_seed(1)
    lin = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(lin.parameters(), lr=1e-3)
    lin(torch.randn(4, 3)).sum().backward()
    opt.step()
    base = torch.arange(24.0).reshape(4, 6)
    ck = {"epoch": 7, "model": lin.state_dict(), "optimizer": opt.state_dict(), "best": torch.tensor(0.875),
          "history": [1.5, 2.5], "pair": (1, "a"), "shape": torch.Size([2, 3]), "raw": b"\x00\xffab", "tags": {1, 2},
          "f64": torch.randn(3, dtype=torch.float64), "f16": torch.tensor([0.5, -2.0]).half(),
          "bf16": torch.tensor([1.0, -0.1]).bfloat16(), "i8": torch.tensor([-3, 4], dtype=torch.int8),
          "u8": torch.tensor([0, 255], dtype=torch.uint8), "bool": torch.tensor([True, False]),
          "i32": torch.tensor([7], dtype=torch.int32), "empty": torch.zeros(0, 3), "scalar": torch.tensor(3),
          "view": base[1:, ::2], "transposed": base.t(), "alias": base[0], "param": torch.nn.Parameter(torch.ones(2)),
          "frozen": torch.nn.Parameter(torch.zeros(1), requires_grad=False), "np": np.float32(0.5)}
    path = _save(torch, ck, tmp_path / "ck.pt")
    d = ne.load(path)
    assert set(d) == set(ck) and d["epoch"] == 7 and d["history"] == [1.5, 2.5] and d["pair"] == (1, "a")
    assert d["shape"] == (2, 3) and isinstance(d["shape"], ne.Size) and d["raw"] == b"\x00\xffab"
    assert d["tags"] == {1, 2} and d["np"] == np.float32(0.5)
    for k in ("f64", "f16", "i8", "u8", "bool", "i32", "empty", "scalar", "view", "transposed", "alias", "best"):
        want = ck[k].numpy()
        assert d[k].numpy().dtype == want.dtype and d[k].shape == want.shape, k
        np.testing.assert_array_equal(d[k].numpy(), want)
    np.testing.assert_array_equal(d["f16"].numpy(), [0.5, -2.0])
    np.testing.assert_array_equal(d["bf16"].numpy(), ck["bf16"].float().numpy())  # widened to float32, exactly
    assert d["f16"].dtype == np.float16 and d["bf16"].dtype == np.float32
    assert isinstance(d["param"], nn.Parameter) and d["param"].requires_grad
    assert isinstance(d["frozen"], nn.Parameter) and not d["frozen"].requires_grad
    assert not d["best"].requires_grad
    st = d["optimizer"]["state"][0]
    np.testing.assert_array_equal(st["exp_avg"].numpy(), opt.state_dict()["state"][0]["exp_avg"].numpy())
    assert d["optimizer"]["param_groups"][0]["params"] == [0, 1] and d["optimizer"]["param_groups"][0]["betas"] == (0.9, 0.999)
    with open(path, "rb") as f:  # a binary file object, and bytes in memory
        assert ne.load(f)["epoch"] == 7
    assert ne.load(io.BytesIO(open(path, "rb").read()))["epoch"] == 7
    assert load_torch_file(open(path, "rb").read())["epoch"] == 7


def test_swapped_program_resumes_a_torch_checkpoint(torch, tmp_path):
    """What a user does with the checkpoint their torch run left: load model and optimizer, keep training."""
    torch.manual_seed(2)
    tm = torch.nn.Linear(4, 1)
    topt = torch.optim.SGD(tm.parameters(), lr=0.1, momentum=0.9)
    x, y = torch.randn(16, 4), torch.randn(16, 1)
    for _ in range(3):
        topt.zero_grad()
        torch.nn.functional.mse_loss(tm(x), y).backward()
        topt.step()
    path = _save(torch, {"model": tm.state_dict(), "optimizer": topt.state_dict(), "epoch": 3}, tmp_path / "run.pt")
    for _ in range(2):
        topt.zero_grad()
        torch.nn.functional.mse_loss(tm(x), y).backward()
        topt.step()
    ck = ne.load(path)
    m = nn.Linear(4, 1)
    opt = ne.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    m.load_state_dict(ck["model"])
    opt.load_state_dict(ck["optimizer"])
    xn, yn = ne.tensor(x.numpy()), ne.tensor(y.numpy())
    for _ in range(2):
        opt.zero_grad()
        ne.nn.functional.mse_loss(m(xn), yn).backward()
        opt.step()
    np.testing.assert_allclose(m.weight.numpy(), tm.weight.detach().numpy(), rtol=1e-5, atol=1e-6)


class _Boom:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def test_code_in_the_pickle_never_runs(torch, tmp_path):
    marker = str(tmp_path / "pwned")
    bad = _save(torch, {"w": torch.ones(1), "x": _Boom(marker)}, tmp_path / "bad.pt")
    with pytest.raises(RefusedPickle, match=r"posix.mkdir is not allowed in a weights file") as e:
        ne.load(bad)
    assert isinstance(e.value, ValueError) and isinstance(e.value, pickle.UnpicklingError)
    assert not os.path.exists(marker)
    whole = _save(torch, torch.nn.Linear(2, 2), tmp_path / "whole.pt")
    with pytest.raises(ValueError, match=r"torch.nn.modules.linear.Linear is not allowed.*state_dict\(\) instead"):
        ne.load(whole)
    with pytest.raises(ValueError, match="no complex tensors"):
        ne.load(_save(torch, {"c": torch.ones(2, dtype=torch.complex64)}, tmp_path / "c.pt"))
    legacy_whole = _save(torch, torch.nn.Linear(2, 2), tmp_path / "lw.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(RefusedPickle, match=r"torch.nn.modules.linear.Linear is not allowed"):
        ne.load(legacy_whole)
    legacy_bad = _save(torch, {"x": _Boom(marker)}, tmp_path / "lb.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(RefusedPickle, match=r"posix.mkdir is not allowed"):
        ne.load(legacy_bad)
    assert not os.path.exists(marker)


def test_legacy_format_files(torch, tmp_path):
    """torch's pre-1.6 format (old checkpoints and model-zoo weights; _use_new_zipfile_serialization=False)."""
    torch.manual_seed(3)
    tm = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(),
                             torch.nn.Linear(4 * 36, 3)).eval()
    base = torch.arange(24.0).reshape(4, 6)
    obj = {"model": tm.state_dict(), "view": base[1:, ::2], "alias": base[0], "epoch": 5,
           "param": torch.nn.Parameter(torch.ones(2)), "nested": [torch.zeros(1), (torch.ones(1, dtype=torch.int64),)],
           "bf16": torch.tensor([1.0, -0.1]).bfloat16()}
    d = ne.load(_save(torch, obj, tmp_path / "old.pth", _use_new_zipfile_serialization=False))
    np.testing.assert_array_equal(d["view"].numpy(), base[1:, ::2].numpy())
    np.testing.assert_array_equal(d["alias"].numpy(), base[0].numpy())
    np.testing.assert_array_equal(d["bf16"].numpy(), obj["bf16"].float().numpy())
    assert d["epoch"] == 5 and isinstance(d["param"], nn.Parameter) and d["nested"][1][0].dtype == np.int64
    m = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4 * 36, 3))
    m.load_state_dict(d["model"])
    m.eval()
    x = torch.randn(3, 1, 8, 8)
    np.testing.assert_allclose(m(ne.tensor(x.numpy())).numpy(), tm(x).detach().numpy(), rtol=1e-5, atol=1e-6)
    blob = open(tmp_path / "old.pth", "rb").read()
    with pytest.raises(ValueError, match=r"is truncated|the file holds"):
        ne.load(io.BytesIO(blob[:-10]))
    rng = np.random.default_rng(9)
    for _ in range(300):  # damaged legacy files: ValueError (RefusedPickle is one) or a result, nothing else
        b = bytearray(blob)
        for _ in range(int(rng.integers(1, 6))):
            b[int(rng.integers(len(b)))] = int(rng.integers(256))
        try:
            ne.load(io.BytesIO(bytes(b)))
        except ValueError:
            pass


def _rewrite(src, dst, edit):
    """Copy the zip ``src`` to ``dst`` with ``edit(name, data) -> data`` applied to each entry."""
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zo:
        for info in zi.infolist():
            zo.writestr(info.filename, edit(info.filename, zi.read(info.filename)))
    return str(dst)


def test_big_endian_files_and_lying_sizes(torch, tmp_path):
    t = {"f": torch.tensor([1.5, -2.25, 3.0]), "i": torch.tensor([1, -2], dtype=torch.int64),
         "h": torch.tensor([0.5]).bfloat16()}
    src = _save(torch, t, tmp_path / "le.pt")

    def to_big(name, data):
        if name.endswith("byteorder"):
            return b"big"
        if "/data/" in name:
            n = len(data)
            width = 8 if n in (16,) else (4 if n == 12 else 2)
            return np.frombuffer(data, f"<u{width}").astype(f">u{width}").tobytes()
        return data

    d = ne.load(_rewrite(src, tmp_path / "be.pt", to_big))
    np.testing.assert_array_equal(d["f"].numpy(), [1.5, -2.25, 3.0])
    np.testing.assert_array_equal(d["i"].numpy(), [1, -2])
    np.testing.assert_array_equal(d["h"].numpy(), [0.5])
    short = _rewrite(src, tmp_path / "short.pt", lambda n, b: b[:-4] if n.endswith("data/0") else b)
    with pytest.raises(ValueError, match=r"storage '0': the archive holds 8 bytes, the record says 3 x 4"):
        ne.load(short)
    with pytest.raises(ValueError, match="unknown byte order"):
        ne.load(_rewrite(src, tmp_path / "bo.pt", lambda n, b: b"middle" if n.endswith("byteorder") else b))
    with pytest.raises(ValueError, match="expected one '<archive>/data.pkl' entry"):
        ne.load(_nopkl(src, tmp_path))


def _nopkl(src, tmp_path):
    dst = tmp_path / "nopkl.pt"
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w") as zo:
        for info in zi.infolist():
            if not info.filename.endswith("data.pkl"):
                zo.writestr(info.filename, zi.read(info.filename))
    return str(dst)


def test_views_reaching_past_their_storage_are_refused(torch, tmp_path):
    src = _save(torch, {"w": torch.arange(6.0)}, tmp_path / "w.pt")
    # the pickle records size (6,) and stride (1,) as small ints: make it claim 7 elements
    def grow(name, data):
        if name.endswith("data.pkl"):
            i = data.index(b"K\x06\x85")  # BININT1 6, TUPLE1: the size tuple
            return data[:i] + b"K\x07\x85" + data[i + 3:]
        return data
    with pytest.raises(ValueError, match=r"reaches element 6 of a storage of 6"):
        ne.load(_rewrite(src, tmp_path / "grown.pt", grow))


def test_mutated_files_raise_valueerror_only(torch, tmp_path):
    """Random byte edits of a real checkpoint (pickle and data): each load either succeeds or raises ValueError."""
    src = _save(torch, {"model": torch.nn.Linear(3, 2).state_dict(), "epoch": 1, "hist": [0.5, (1, 2)]},
                tmp_path / "ck.pt")
    blob = open(src, "rb").read()
    with zipfile.ZipFile(src) as z:
        pkl_name = next(n for n in z.namelist() if n.endswith("data.pkl"))
        pkl = z.read(pkl_name)
    rng = np.random.default_rng(5)
    for i in range(300):
        if i % 2:  # edits of the pickle inside a valid zip
            b = bytearray(pkl)
            for _ in range(int(rng.integers(1, 4))):
                b[int(rng.integers(len(b)))] = int(rng.integers(256))
            path = _rewrite(src, tmp_path / "m.pt", lambda n, d, b=bytes(b): b if n == pkl_name else d)
        else:  # edits of the raw file
            b = bytearray(blob)
            for _ in range(int(rng.integers(1, 6))):
                b[int(rng.integers(len(b)))] = int(rng.integers(256))
            path = str(tmp_path / "m.pt")
            with open(path, "wb") as f:
                f.write(bytes(b))
        try:
            ne.load(path)
        except ValueError:
            pass


def test_not_a_torch_file(tmp_path):
    p = tmp_path / "x.pt"
    p.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(ValueError, match="not a readable torch.save zip file"):
        ne.load(str(p))
    p.write_bytes(struct.pack("<Q", 100) + b"{}")  # not a zip: the safetensors reader says what is wrong
    with pytest.raises(ValueError):
        ne.load(str(p))


def test_hub_reads_torchs_cache_and_downloads_nothing(torch, tmp_path, monkeypatch):
    """torch.hub.load_state_dict_from_url / model_zoo.load_url find the file in torch's hub cache
    ($TORCH_HOME/hub/checkpoints), check its hash prefix, and never download."""
    import hashlib

    from nnengine import hub
    from nnengine.utils import model_zoo

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    assert hub.get_dir() == str(tmp_path / "th" / "hub")
    ckpt = tmp_path / "th" / "hub" / "checkpoints"
    ckpt.mkdir(parents=True)
    lin = torch.nn.Linear(3, 2)
    tmp = tmp_path / "w.pth"
    torch.save(lin.state_dict(), str(tmp))
    digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    name = f"linear-{digest[:8]}.pth"
    os.replace(tmp, ckpt / name)
    url = f"https://example.org/models/{name}"
    sd = hub.load_state_dict_from_url(url, check_hash=True, map_location="cpu")
    m = nn.Linear(3, 2)
    m.load_state_dict(sd)
    np.testing.assert_array_equal(m.weight.numpy(), lin.weight.detach().numpy())
    assert list(model_zoo.load_url(url)) == ["weight", "bias"]
    bad = f"linear-{'0' * 8}.pth"
    (ckpt / bad).write_bytes((ckpt / name).read_bytes())
    with pytest.raises(RuntimeError, match="invalid hash value"):
        hub.load_state_dict_from_url(f"https://example.org/{bad}", check_hash=True)
    with pytest.raises(FileNotFoundError, match=r"downloads nothing: missing.pth .* is not in .*checkpoints"):
        hub.load_state_dict_from_url("https://example.org/missing.pth")
    with pytest.raises(NotImplementedError, match="download and run its code"):
        hub.load("pytorch/vision", "resnet18")
    hub.set_dir(str(tmp_path / "other"))
    try:
        assert hub.get_dir() == str(tmp_path / "other")
    finally:
        hub.set_dir(None)
