"""The command line: train (small subset) -> saved model + plot + test accuracy; evaluate reproduces it."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import require

from nnengine import io
from nnengine.cli import main


def _acc(text):
    m = re.findall(r"test accuracy: ([0-9.]+)", text)
    assert m, text
    return m[-1]


def test_train_evaluate_predict_digits(tmp_path, capsys):
    require("sklearn")
    require("matplotlib")
    out = str(tmp_path / "m.safetensors")
    assert main(["train", "--dataset", "digits", "--model", "mlp", "--epochs", "3", "--limit", "400",
                 "--output", out, "--optimizer", "sgd", "--threads", "1"]) == 0
    text = capsys.readouterr().out
    acc = _acc(text)
    assert float(acc) > 0.6 and "epoch 3/3" in text
    assert (tmp_path / "m.png").read_bytes()[:4] == b"\x89PNG"
    meta = io.read_metadata(out)
    assert meta["dataset"] == "digits" and meta["limit"] == "400"
    assert main(["evaluate", out]) == 0
    assert _acc(capsys.readouterr().out) == acc
    x = np.random.default_rng(0).random((5, 64)).astype(np.float32)  # flat rows are reshaped to (1, 8, 8)
    np.save(tmp_path / "x.npy", x)
    assert main(["predict", out, str(tmp_path / "x.npy"), "--output", str(tmp_path / "p.npy")]) == 0
    pred = np.load(tmp_path / "p.npy")
    assert pred.shape == (5,) and pred.dtype.kind == "i" and pred.min() >= 0 and pred.max() < 10


def test_default_train_falls_back_or_uses_fashion(tmp_path, capsys, monkeypatch):
    require("sklearn")
    monkeypatch.setenv("NNENGINE_FASHION_MNIST", str(tmp_path / "missing"))
    out = str(tmp_path / "d.safetensors")
    assert main(["train", "--limit", "200", "--epochs", "1", "--output", out, "--plot", ""]) == 0
    text = capsys.readouterr().out
    assert "falling back to scikit-learn's digits" in text and "test accuracy" in text
    assert io.read_metadata(out)["dataset"] == "digits"


def test_errors(tmp_path, capsys):
    with pytest.raises(SystemExit, match="cannot load"):
        main(["evaluate", str(tmp_path / "nope.safetensors")])
    with pytest.raises(SystemExit, match="unknown model"):
        main(["train", "--dataset", "iris", "--model", "resnet", "--output", str(tmp_path / "x")])


def test_default_train_is_lenet5_on_fashion_mnist(tmp_path, capsys):
    """The main job as the README gives it (on a subset): LeNet-5, Fashion-MNIST, model + plot, evaluate agrees."""
    from nnengine.data import load_fashion_mnist

    try:
        load_fashion_mnist(train=False)
    except FileNotFoundError as e:  # the CI installs the Debian package; say so loudly if it is missing
        pytest.fail(f"Fashion-MNIST is not installed: {e}")
    require("matplotlib")
    out = str(tmp_path / "lenet.safetensors")
    assert main(["train", "--limit", "3000", "--epochs", "3", "--output", out]) == 0
    text = capsys.readouterr().out
    assert "training lenet5 on fashion_mnist" in text
    acc = _acc(text)
    assert float(acc) > 0.7
    assert (tmp_path / "lenet.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["evaluate", out]) == 0
    assert _acc(capsys.readouterr().out) == acc
