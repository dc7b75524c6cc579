"""examples/word_language_model/ (PyTorch's word-level language model program, only the imports changed).

- Parity: each model kind (LSTM, GRU, RNN_TANH, Transformer) built from the example's model.py under nnengine
  and under torch (the same source with torch's imports), given torch's weights, gives torch's loss and then
  follows torch's losses over a few steps of the program's own update (clip_grad_norm_, p.data.add_).
- The program: main.py runs end to end on a small cut of Debian's fortunes for every model kind (training,
  evaluation, torch.save of the whole model and torch.load(weights_only=False) of it), and its losses fall.
"""

from __future__ import annotations

import importlib.util
import math
import os
import subprocess
import sys
import types

import numpy as np
import pytest
from conftest import require, require_path

import nnengine as ne

EX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "word_language_model")
sys.path.insert(0, EX)

import torch_twin  # noqa: E402


def _module(name: str, torch_version: bool) -> types.ModuleType:
    """The example's ``name``.py, as written (nnengine) or as its torch twin."""
    path = os.path.join(EX, f"{name}.py")
    if not torch_version:
        spec = importlib.util.spec_from_file_location(f"wlm_{name}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    with open(path, encoding="utf8") as f:
        src = torch_twin.to_torch(f.read())
    mod = types.ModuleType(f"wlm_{name}_torch")
    exec(compile(src, path, "exec"), mod.__dict__)
    return mod


def _build(mod, kind: str, ntok: int):
    if kind == "Transformer":
        return mod.TransformerModel(ntok, 16, 2, 24, 2, dropout=0.0)
    return mod.RNNModel(kind, ntok, 16, 16, 2, dropout=0.0, tie_weights=kind == "GRU")


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN_TANH", "Transformer"])
def test_losses_follow_torch(kind):
    torch = require("torch")
    ne_model, t_model = _module("model", False), _module("model", True)
    ntok, bptt, bsz, lr, clip = 50, 7, 4, 5.0, 0.25
    rng = np.random.default_rng(0)
    stream = np.tile(rng.integers(0, ntok, 15), 16)  # a repeated stretch: learnable
    data = stream[: (len(stream) // bsz) * bsz].reshape(bsz, -1).T.copy()

    ne.manual_seed(0)
    torch.manual_seed(0)
    tm = _build(t_model, kind, ntok)
    m = _build(ne_model, kind, ntok)
    m.load_state_dict(tm.state_dict())
    tm.eval()  # no dropout anywhere (nn.Transformer's own layers default to 0.1)
    m.eval()
    crit_t, crit_n = torch.nn.NLLLoss(), ne.nn.NLLLoss()
    hid_t = None if kind == "Transformer" else tm.init_hidden(bsz)
    hid_n = None if kind == "Transformer" else m.init_hidden(bsz)
    losses_t, losses_n = [], []
    starts = list(range(0, data.shape[0] - 1, bptt))
    for step, i in enumerate(starts * 3):  # three epochs
        seq = min(bptt, data.shape[0] - 1 - i)
        x, y = data[i:i + seq], data[i + 1:i + 1 + seq].reshape(-1)
        for model, lib, crit, hid, out in ((tm, torch, crit_t, hid_t, losses_t), (m, ne, crit_n, hid_n, losses_n)):
            model.zero_grad()
            xs, ys = lib.tensor(x), lib.tensor(y)
            if kind == "Transformer":
                o = model(xs).view(-1, ntok)
            else:
                hid = tuple(h.detach() for h in hid) if isinstance(hid, tuple) else hid.detach()
                o, hid = model(xs, hid)
            loss = crit(o, ys)
            loss.backward()
            lib.nn.utils.clip_grad_norm_(model.parameters(), clip)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-lr)
            out.append(loss.item())
            if lib is torch:
                hid_t = hid
            else:
                hid_n = hid
        if step == 0:
            assert losses_n[0] == pytest.approx(losses_t[0], rel=1e-5), (losses_n, losses_t)
    np.testing.assert_allclose(losses_n, losses_t, rtol=2e-3)
    n = len(starts)
    assert np.mean(losses_n[-n:]) < np.mean(losses_n[:n]) - 0.3, losses_n
    for (k, a), (k2, b) in zip(m.state_dict().items(), tm.state_dict().items()):
        assert k == k2
        np.testing.assert_allclose(np.asarray(a), b.detach().numpy(), rtol=1e-3, atol=2e-4, err_msg=k)


def test_data_corpus_and_torch_twin(tmp_path):
    (tmp_path / "train.txt").write_text("a b c\n\nb c d\n")
    (tmp_path / "valid.txt").write_text("a e\n")
    (tmp_path / "test.txt").write_text("d\n")
    corpus = _module("data", False).Corpus(str(tmp_path))
    assert corpus.dictionary.idx2word == ["a", "b", "c", "<eos>", "d", "e"]
    assert corpus.train.dtype == np.int64 and corpus.train.tolist() == [0, 1, 2, 3, 3, 1, 2, 4, 3]
    assert corpus.valid.tolist() == [0, 5, 3] and corpus.test.tolist() == [4, 3]
    twin = torch_twin.write_twin(str(tmp_path / "twin"))
    for name in torch_twin.FILES:
        src = open(os.path.join(twin, name), encoding="utf8").read()
        assert "import torch\n" in src and "import nnengine" not in src


@pytest.fixture(scope="module")
def fortunes_cut(tmp_path_factory):
    import prepare_fortunes

    require_path(prepare_fortunes.FORTUNES_DIR, "Debian's fortunes package")
    out = str(tmp_path_factory.mktemp("fortunes"))
    sizes = prepare_fortunes.prepare(out, vocab=500, train_words=6000)
    assert 6000 <= sizes["train"] < 6300 and sizes["valid"] > 20000
    with open(os.path.join(out, "valid.txt"), encoding="utf8") as f:  # short evaluation texts
        valid = f.readlines()
    for name in ("valid.txt", "test.txt"):
        with open(os.path.join(out, name), "w", encoding="utf8") as f:
            f.writelines(valid[:150] if name == "valid.txt" else valid[150:300])
    return out


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN_RELU", "Transformer"])
def test_main_program_runs(kind, fortunes_cut, tmp_path):
    import nnengine

    pkg = os.path.dirname(os.path.dirname(nnengine.__file__))
    env = dict(os.environ, PYTHONPATH=pkg, OMP_NUM_THREADS="1")
    cmd = [sys.executable, os.path.join(EX, "main.py"), "--data", fortunes_cut, "--model", kind, "--epochs", "2",
           "--emsize", "32", "--nhid", "32", "--nlayers", "1", "--bptt", "20", "--batch_size", "10",
           "--lr", "5" if kind == "RNN_RELU" else "20", "--log-interval", "10", "--save", str(tmp_path / "m.pt")]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, cwd=str(tmp_path))
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    line = [ln for ln in res.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    r = {k: float(v) for k, v in (kv.split("=") for kv in line[7:].split())}
    assert "vocabulary 500 |" in res.stdout
    assert math.isfinite(r["test_loss"]) and r["valid_ppl"] < 500 and r["test_ppl"] < 500, res.stdout
    epochs = [ln for ln in res.stdout.splitlines() if ln.startswith("| end of epoch")]
    assert len(epochs) == 2
