"""Hostile and corrupt model/checkpoint files: every failure is a ValueError naming the file, found before
anything big is allocated. Each load runs in a child process capped at 1.5 GB of address space (beyond
what the engine needs, far below what the hostile files ask for) with a timeout, so a bound broken by a
change shows up as a MemoryError or a timeout instead of a slow or swapping test run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from nnengine import io, nn, optim

_CHILD = textwrap.dedent("""
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))
    import nnengine as ne
    from nnengine import io, nn
    kind, path = sys.argv[1], sys.argv[2]
    try:
        if kind == "model":
            io.load_model(path)
        elif kind == "weights":
            io.load_weights(nn.Linear(2, 2), path)
        else:
            io.load_checkpoint(path, nn.Linear(2, 2), ne.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1))
    except ValueError as e:
        print("ValueError:", e)
        sys.exit(0)
    except BaseException as e:
        print(type(e).__name__, e)
        sys.exit(3)
    print("loaded")
    sys.exit(4)
""")


def _load_in_child(kind: str, path: str) -> str:
    pkg = os.path.dirname(os.path.dirname(sys.modules["nnengine"].__file__))
    env = dict(os.environ, PYTHONPATH=pkg + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-c", _CHILD, kind, path], capture_output=True, text=True, timeout=120,
                       env=env)
    assert r.returncode == 0, f"expected a ValueError, got: {r.stdout}{r.stderr[-2000:]}"
    assert path in r.stdout
    return r.stdout


def _model_file(tmp_path, arch, name="m.safetensors", fmt="model/1"):
    """A file with Linear(2, 2)'s weights and the given architecture JSON."""
    path = str(tmp_path / name)
    state = nn.Linear(2, 2).state_dict()
    io.save_file(state, path, {"nnengine.format": fmt, "nnengine.architecture": json.dumps(arch)})
    return path


@pytest.mark.parametrize("arch,match", [
    ({"class": "Linear", "args": {"in_features": 40000, "out_features": 40000}}, "larger than the weights"),
    ({"class": "LSTM", "args": {"input_size": 2, "hidden_size": 2, "num_layers": 10_000_000}},
     "larger than the weights"),
    ({"class": "Conv2d", "args": {"in_channels": 4096, "out_channels": 4096, "kernel_size": 11}},
     "larger than the weights"),
    ({"class": "BatchNorm1d", "args": {"num_features": 1_000_000_000, "affine": False}}, "larger than the weights"),
])
def test_oversized_architecture_is_rejected_before_allocating(tmp_path, arch, match):
    out = _load_in_child("model", _model_file(tmp_path, arch))
    assert match in out


def test_too_many_modules(tmp_path):
    arch = {"class": "Sequential", "children": [[str(i), {"class": "ReLU", "args": {}}] for i in range(20_000)]}
    assert "more modules" in _load_in_child("model", _model_file(tmp_path, arch))


def test_unknown_format_version(tmp_path):
    path = _model_file(tmp_path, io.architecture(nn.Linear(2, 2)), fmt="model/999")
    assert "format version '999'" in _load_in_child("model", path)


def test_a_million_empty_tensors(tmp_path):
    path = str(tmp_path / "many.safetensors")
    entry = b'"t%d": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}'
    raw = b"{" + b", ".join(entry % i for i in range(1_000_000)) + b"}"  # bytes: json.dumps takes seconds
    assert json.loads(b"{" + entry % 7 + b"}") == {"t7": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}}
    with open(path, "wb") as f:
        f.write(len(raw).to_bytes(8, "little") + raw)
    assert "1000000 tensors in the header (limit 100000)" in _load_in_child("weights", path)


def test_too_many_tensors_found_after_parsing(tmp_path):
    """The fast pre-count reads the key as written; a key spelt with a JSON escape is still counted after
    parsing (here 100,001 tensors, just over the limit)."""
    path = str(tmp_path / "escaped.safetensors")
    entry = b'"t%d": {"dtype": "F32", "shape": [0], "data_\\u006fffsets": [0, 0]}'
    raw = b"{" + b", ".join(entry % i for i in range(100_001)) + b"}"
    with open(path, "wb") as f:
        f.write(len(raw).to_bytes(8, "little") + raw)
    assert "100001 tensors in the header (limit 100000)" in _load_in_child("weights", path)


def test_bool_bytes_must_be_0_or_1(tmp_path):
    path = str(tmp_path / "b.safetensors")
    io.save_file({"mask": np.array([True, False, True])}, path)
    data = bytearray(open(path, "rb").read())
    data[-2] = 2
    open(path, "wb").write(bytes(data))
    with pytest.raises(ValueError, match="BOOL bytes"):
        io.load_file(path)


def test_weights_that_do_not_fit_raise_value_error(tmp_path):
    path = str(tmp_path / "w.safetensors")
    io.save_file({"weight": np.zeros((2, 2), np.float32)}, path)  # no bias
    assert "do not fit" in _load_in_child("weights", path)


@pytest.mark.parametrize("edit", ["rng_null", "no_rng", "optimizer_garbage"])
def test_corrupt_checkpoint_state_raises_value_error(tmp_path, edit):
    model = nn.Linear(2, 2)
    path = str(tmp_path / "c.safetensors")
    io.save_checkpoint(path, model, optim.SGD(model.parameters(), lr=0.1), epoch=1)
    tensors, meta = io.load_file(path)
    state = json.loads(meta["nnengine.checkpoint"])
    if edit == "rng_null":
        state["rng"] = None
    elif edit == "no_rng":
        del state["rng"]
    else:
        state["optimizer"] = [1, 2, 3]
    meta["nnengine.checkpoint"] = json.dumps(state)
    io.save_file(tensors, path, meta)
    assert "corrupt checkpoint" in _load_in_child("checkpoint", path)


def test_a_good_model_still_loads_under_the_budget(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3),
                          nn.LSTM(3, 5, num_layers=2, bidirectional=True))
    path = str(tmp_path / "ok.safetensors")
    io.save_model(model, path)
    same = io.load_model(path)
    for (k, a), (k2, b) in zip(model.state_dict().items(), same.state_dict().items()):
        assert k == k2
        np.testing.assert_array_equal(a, b)
    assert list(model.state_dict()) == list(same.state_dict())
