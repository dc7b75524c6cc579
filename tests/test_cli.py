"""The command line: train (small subset) -> saved model + plot + test accuracy; evaluate reproduces it;
every wrong value is one line on stderr with a non-zero exit; predict's input contract; the embedded digits."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import nnengine
from nnengine import io
from nnengine.cli import build_parser, main
from nnengine.data import DatasetNotFoundError, load_dataset, load_digits, load_iris

# the folder holding the imported nnengine (the source tree or site-packages), for subprocesses
_PKG_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(nnengine.__file__)))


def _acc(text):
    m = re.findall(r"test accuracy: ([0-9.]+)", text)
    assert m, text
    return m[-1]


def _run(argv, capsys):
    """``main(argv)`` in-process as the interpreter would run it: (exit status, stdout, stderr)."""
    try:
        rc = main(argv)
    except SystemExit as e:  # argparse (already printed) or SystemExit("message") (printed by Python)
        captured = capsys.readouterr()
        if isinstance(e.code, str):
            return 1, captured.out, captured.err + e.code + "\n"
        return (0 if e.code is None else e.code), captured.out, captured.err
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def _one_line_error(rc, err):
    assert rc != 0
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), repr(err)
    return lines[0]


def _subprocess(args, cwd, env=None, **kw):
    full_env = dict(os.environ, PYTHONPATH=_PKG_PARENT, OMP_NUM_THREADS="1", **(env or {}))
    return subprocess.run([sys.executable, *args], cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=120, **kw)


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory):
    """A small digits MLP saved by ``nnengine train`` (input shape (1, 8, 8))."""
    path = str(tmp_path_factory.mktemp("cli") / "digits.safetensors")
    assert main(["train", "--dataset", "digits", "--model", "mlp", "--epochs", "2", "--limit", "300",
                 "--output", path, "--plot", "", "--threads", "1"]) == 0
    return path


# ----------------------------------------------------------------------------- train / evaluate
def test_train_evaluate_predict_digits(tmp_path, capsys):
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
    assert pred.shape == (5,) and pred.dtype == np.int64 and pred.min() >= 0 and pred.max() < 10


def test_default_train_falls_back_to_embedded_digits(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NNENGINE_FASHION_MNIST", str(tmp_path / "missing"))
    out = str(tmp_path / "d.safetensors")
    assert main(["train", "--limit", "200", "--epochs", "1", "--output", out, "--plot", ""]) == 0
    text = capsys.readouterr().out
    assert "falling back to the embedded 8x8 digits" in text and "test accuracy" in text
    assert io.read_metadata(out)["dataset"] == "digits"


def test_quick_start_fallback_in_a_fresh_process(tmp_path):
    """`nnengine train` with no Fashion-MNIST and no scikit-learn writes model.safetensors and model.png."""
    code = ("import sys; sys.modules['sklearn'] = None; from nnengine.cli import main; "
            "sys.exit(main(['train', '--epochs', '1', '--limit', '150']))")
    r = _subprocess(["-c", code], cwd=tmp_path, env={"NNENGINE_FASHION_MNIST": "/nonexistent"})
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "falling back" in r.stdout
    assert (tmp_path / "model.safetensors").stat().st_size > 0
    assert (tmp_path / "model.png").read_bytes()[:4] == b"\x89PNG"


def test_default_train_is_lenet5_on_fashion_mnist(tmp_path, capsys):
    """The main job as the README gives it (on a subset): LeNet-5, Fashion-MNIST, model + plot, evaluate agrees."""
    from nnengine.data import load_fashion_mnist

    try:
        load_fashion_mnist(train=False)
    except FileNotFoundError as e:  # the CI installs the Debian package; say so loudly if it is missing
        pytest.fail(f"Fashion-MNIST is not installed: {e}")
    out = str(tmp_path / "lenet.safetensors")
    assert main(["train", "--limit", "3000", "--epochs", "3", "--output", out]) == 0
    text = capsys.readouterr().out
    assert "training lenet5 on fashion_mnist" in text
    acc = _acc(text)
    assert float(acc) > 0.7
    assert (tmp_path / "lenet.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["evaluate", out]) == 0
    assert _acc(capsys.readouterr().out) == acc


# ----------------------------------------------------------------------------- wrong values: one line, no traceback
@pytest.mark.parametrize("argv, name", [
    (["train", "--dataset", "imagenet"], "--dataset"),
    (["train", "--model", "resnet"], "--model"),
    (["train", "--optimizer", "lbfgs"], "--optimizer"),
    (["train", "--batch-size", "0"], "--batch-size"),
    (["train", "--epochs", "-1"], "--epochs"),
    (["train", "--epochs", "0"], "--epochs"),
    (["train", "--epochs", "two"], "--epochs"),
    (["train", "--limit", "0"], "--limit"),
    (["train", "--threads", "0"], "--threads"),
    (["train", "--lr", "-0.1"], "--lr"),
    (["train", "--lr", "nan"], "--lr"),
    (["evaluate", "m.safetensors", "--limit", "0"], "--limit"),
    (["evaluate", "m.safetensors", "--dataset", "cifar10"], "--dataset"),
    (["bench", "--rounds", "0"], "--rounds"),
])
def test_wrong_values_are_one_line_errors(argv, name, capsys):
    rc, out, err = _run(argv, capsys)
    line = _one_line_error(rc, err)
    assert rc == 2 and out == ""
    assert line.startswith(f"nnengine {argv[0]}: error: argument {name}"), line


def test_missing_arguments_and_unknown_command(capsys):
    line = _one_line_error(*_run(["predict"], capsys)[::2])
    assert "required" in line and "model" in line and "input" in line
    line = _one_line_error(*_run(["fly"], capsys)[::2])
    assert "invalid choice" in line


def test_fashion_mnist_alias(tmp_path, capsys, monkeypatch):
    assert build_parser().parse_args(["train", "--dataset", "fashion-mnist"]).dataset == "fashion-mnist"
    # asked for explicitly, a missing Fashion-MNIST is an error (no fallback), named with the variable to set
    monkeypatch.setenv("NNENGINE_FASHION_MNIST", str(tmp_path / "missing"))
    rc, _, err = _run(["train", "--dataset", "fashion-mnist", "--output", str(tmp_path / "m.safetensors")], capsys)
    line = _one_line_error(rc, err)
    assert "Fashion-MNIST not found" in line and "NNENGINE_FASHION_MNIST" in line
    assert not (tmp_path / "m.safetensors").exists()


def test_runtime_errors_are_one_line(tmp_path, capsys):
    line = _one_line_error(*_run(["evaluate", str(tmp_path / "nope.safetensors")], capsys)[::2])
    assert "cannot load" in line
    line = _one_line_error(*_run(["train", "--dataset", "digits", "--output",
                                  str(tmp_path / "no" / "such" / "m.safetensors")], capsys)[::2])
    assert "--output" in line and "does not exist" in line


def test_version():
    r = _subprocess(["-m", "nnengine.cli", "--version"], cwd=None)
    assert r.returncode == 0 and r.stdout.strip() == f"nnengine {nnengine.__version__}" and r.stderr == ""


# ----------------------------------------------------------------------------- predict's input contract
@pytest.mark.parametrize("shape", [(6, 1, 8, 8), (6, 8, 8), (6, 64)])
def test_predict_accepted_shapes_keep_n(digits_model, tmp_path, capsys, shape):
    x, _ = load_digits()
    np.save(tmp_path / "x.npy", x[:6].astype(np.uint8).reshape(shape))  # raw pixels 0..16, scaled by predict
    rc, out, err = _run(["predict", digits_model, str(tmp_path / "x.npy")], capsys)
    assert rc == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == 6 and all(0 <= int(v) < 10 for v in lines)


@pytest.mark.parametrize("shape", [(4, 28, 28), (64,), (6, 32), (3, 2, 8, 8), (2, 8, 8, 1)])
def test_predict_wrong_shape(digits_model, tmp_path, capsys, shape):
    np.save(tmp_path / "x.npy", np.zeros(shape, np.float32))
    rc, out, err = _run(["predict", digits_model, str(tmp_path / "x.npy")], capsys)
    line = _one_line_error(rc, err)
    assert out == ""
    assert "expected inputs of shape (N, 1, 8, 8)" in line and f"got {shape}" in line, line


def test_predict_non_npy_and_bad_values(digits_model, tmp_path, capsys):
    x, _ = load_digits()
    np.savetxt(tmp_path / "x.csv", x[:3], delimiter=",")
    line = _one_line_error(*_run(["predict", digits_model, str(tmp_path / "x.csv")], capsys)[::2])
    assert "not a .npy file" in line and "numpy.save" in line
    np.savez(tmp_path / "x.npz", x=x[:3])
    line = _one_line_error(*_run(["predict", digits_model, str(tmp_path / "x.npz")], capsys)[::2])
    assert ".npz" in line
    line = _one_line_error(*_run(["predict", digits_model, str(tmp_path / "missing.npy")], capsys)[::2])
    assert "cannot read" in line
    np.save(tmp_path / "f.npy", x[:3])  # float pixels 0..16: not scaled to [0, 1]
    line = _one_line_error(*_run(["predict", digits_model, str(tmp_path / "f.npy")], capsys)[::2])
    assert "[0, 1]" in line
    np.save(tmp_path / "s.npy", np.array(["a", "b"]))
    line = _one_line_error(*_run(["predict", digits_model, str(tmp_path / "s.npy")], capsys)[::2])
    assert "numeric" in line


def test_predict_into_a_closed_pipe(digits_model, tmp_path):
    """`nnengine predict m x.npy | head -1`: the reader goes away; no BrokenPipeError traceback."""
    np.save(tmp_path / "x.npy", np.zeros((20000, 64), np.uint8))
    cmd = [sys.executable, "-m", "nnengine.cli", "predict", digits_model, str(tmp_path / "x.npy")]
    env = dict(os.environ, PYTHONPATH=_PKG_PARENT, OMP_NUM_THREADS="1")
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    p.stdout.close()  # like `head` exiting before the predictions are written
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) in (0, 141)
    assert err == "", err


# ----------------------------------------------------------------------------- the embedded digits
def test_embedded_digits(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # no scikit-learn needed
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    x, y = load_digits()
    assert x.shape == (1797, 64) and x.dtype == np.float64 and y.dtype == np.int64
    assert x.min() == 0 and x.max() == 16 and np.array_equal(x, np.round(x))
    counts = np.bincount(y)
    assert len(counts) == 10 and counts.sum() == 1797 and counts.min() >= 170
    s = load_dataset("digits")
    assert s.x_train.shape == (1438, 1, 8, 8) and s.image_shape == (1, 8, 8)
    with pytest.raises(DatasetNotFoundError, match="pip install scikit-learn"):
        load_iris()
    monkeypatch.undo()
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError:
        return
    xs, ys = sk_load_digits(return_X_y=True)
    assert np.array_equal(x, xs) and np.array_equal(y, ys)


def test_version_has_one_home():
    """pyproject.toml reads the version from ``__version__`` (scikit-build-core's regex provider, whose default
    pattern is mirrored here), so the wheel's metadata and ``nnengine --version`` cannot disagree."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    if not (root / "pyproject.toml").exists():
        pytest.skip("pyproject.toml is not next to the tests (installed package)")
    text = (root / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in text and not re.search(r"(?m)^version\s*=", text)
    assert 'metadata.version.input = "python/nnengine/__init__.py"' in text
    init = (root / "python" / "nnengine" / "__init__.py").read_text()
    found = re.findall(r"""(?im)^(?:__version__|VERSION)(?: ?: ?str)? *= *(['"])v?(?P<value>.+?)\1""", init)
    assert [v for _, v in found] == [nnengine.__version__]
