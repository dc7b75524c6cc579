"""The model zoo: small pretrained models shipped inside the package (safetensors + ``manifest.json``).

Each entry of ``manifest.json`` names its weights file (written by ``nnengine.io.save_model``, so the
architecture travels with the weights), the dataset, the recorded metrics and a ``check``: the metric on a
fixed subset of the test data, which the test-suite reproduces. ``scripts/train_zoo.py NAME`` retrains a
model and rewrites its entry; ``evaluate`` is the one evaluation used by that script and the tests.

Example:
    >>> from nnengine import models
    >>> sorted(models.list_pretrained())
    ['char_lstm_fortunes', 'lenet5_fashion_mnist', 'mlp_digits']
    >>> model = models.pretrained("mlp_digits")  # in eval mode
    >>> model.training
    False
"""

from __future__ import annotations

import copy
import glob
import json
import os
from typing import Any, Dict, Optional, Tuple

from ... import functional as F
from ...autograd import no_grad
from ...nn.module import Module
from ...tensor import Tensor

__all__ = ["pretrained", "list_pretrained", "evaluate", "load_task_data", "ZOO_DIR", "FORTUNES_DIR"]

ZOO_DIR = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(ZOO_DIR, "manifest.json")
FORTUNES_DIR = "/usr/share/games/fortunes"
FORTUNES_HELDOUT = "fortunes"  # the fortunes-min file: the char-LSTM's validation text, never trained on


def _manifest() -> Dict[str, Dict[str, Any]]:
    if not os.path.exists(MANIFEST):
        return {}
    with open(MANIFEST, encoding="utf-8") as f:
        return json.load(f)


def list_pretrained() -> Dict[str, Dict[str, Any]]:
    """``{name: entry}`` for every shipped model; entry holds ``description``, ``dataset``, ``metrics``,
    ``check``, ``params``, ``file`` and how it was trained.

    Example:
        >>> list_pretrained()["mlp_digits"]["metrics"]
        {'test_accuracy': 0.9805, 'test_loss': 0.0655}
    """
    return copy.deepcopy(_manifest())


def pretrained(name: str) -> Module:
    """The zoo model ``name`` loaded with ``nnengine.io.load_model``, in eval mode.

    Example:
        >>> model = pretrained("lenet5_fashion_mnist")
        >>> model(ne.zeros(1, 1, 28, 28)).shape
        (1, 10)
    """
    from ... import io

    entries = _manifest()
    if name not in entries:
        raise KeyError(f"name: no pretrained model {name!r}; available: {sorted(entries)}")
    model = io.load_model(os.path.join(ZOO_DIR, entries[name]["file"]))
    model.eval()
    return model


# ============================================================================= tasks and evaluation
def fortune_files(root: str = FORTUNES_DIR) -> Tuple[list, str]:
    """(training files, the held-out validation file) of Debian's fortunes packages."""
    files = sorted(f for f in glob.glob(os.path.join(root, "*"))
                   if os.path.isfile(f) and not os.path.islink(f) and "." not in os.path.basename(f))
    held = os.path.join(root, FORTUNES_HELDOUT)
    if held not in files:
        from ...data import DatasetNotFoundError

        raise DatasetNotFoundError(f"{held} not found: install Debian's 'fortunes-min' (and 'fortunes') packages")
    return [f for f in files if f != held], held


def fortune_text(files: Any) -> str:
    """The printable-ASCII text of fortune files, '%' separators turned into blank lines."""
    parts = []
    for f in [files] if isinstance(files, str) else files:
        with open(f, encoding="latin-1") as fh:
            parts.append(fh.read().replace("\n%\n", "\n\n"))
    return "".join(c for c in "".join(parts) if c == "\n" or 32 <= ord(c) < 127)


def load_task_data(task: str, split: str = "test") -> Tuple[Any, Any]:
    """The data of a zoo task: ``"fashion_mnist"`` / ``"digits"`` -> (x float32 NCHW in [0, 1], y int64);
    ``"fortunes"`` -> (text, None) (train: every fortune file but the held-out one; test: that one).

    Example:
        >>> x, y = load_task_data("digits"); x.dtype, y.dtype, x.shape[1:]
        (dtype('float32'), dtype('int64'), (1, 8, 8))
    """
    from ...data import load_dataset

    if task == "fortunes":
        train_files, held = fortune_files()
        return fortune_text(train_files if split == "train" else held), None
    if task in ("fashion_mnist", "digits"):
        s = load_dataset(task)
        return (s.x_train, s.y_train) if split == "train" else (s.x_test, s.y_test)
    raise ValueError(f"task: expected 'fashion_mnist', 'digits' or 'fortunes', got {task!r}")


def char_loss(model: Module, text: str, rows: int = 16, chunk: int = 256) -> float:
    """Mean next-character cross-entropy (nats/char): ``text`` cut into ``rows`` equal streams, each fed in
    ``chunk``-long pieces with the LSTM state carried over."""
    ids = model.encode(text)
    per = (len(ids) - 1) // rows
    if per < 1:
        raise ValueError(f"text: too short ({len(ids)} known characters) for {rows} rows")
    xs = ids[: rows * per].reshape(rows, per)
    ys = ids[1 : rows * per + 1].reshape(rows, per)
    total, state = 0.0, None
    with no_grad():
        for s in range(0, per, chunk):
            logits, state = model(xs[:, s : s + chunk], state)
            v = logits.shape[-1]
            loss = F.cross_entropy(logits.reshape(-1, v), ys[:, s : s + chunk].reshape(-1))
            total += float(loss.item()) * ys[:, s : s + chunk].size
    return total / ys.size


def evaluate(name: str, model: Optional[Module] = None, limit: Optional[int] = None) -> Dict[str, float]:
    """Metrics of zoo model ``name`` (or of ``model`` on that entry's task) on its test data; ``limit`` keeps
    the first ``limit`` test samples (characters for the char-LSTM).

    Example:
        >>> sorted(evaluate("mlp_digits", limit=200))
        ['accuracy', 'loss']
    """
    entries = _manifest()
    task = entries[name]["task"] if name in entries else _DEFAULT_TASKS.get(name)
    if task is None:
        raise KeyError(f"name: no pretrained model {name!r}; available: {sorted(entries)}")
    model = pretrained(name) if model is None else model
    was_training = model.training
    model.eval()
    try:
        x, y = load_task_data(task, "test")
        if task == "fortunes":
            return {"loss": char_loss(model, x[:limit] if limit else x)}
        if limit:
            x, y = x[:limit], y[:limit]
        loss, correct = 0.0, 0
        with no_grad():
            for s in range(0, len(y), 500):
                logits = model(Tensor(x[s : s + 500]))
                loss += float(F.cross_entropy(logits, y[s : s + 500]).item()) * len(y[s : s + 500])
                correct += int((logits.numpy().argmax(1) == y[s : s + 500]).sum())
        return {"accuracy": correct / len(y), "loss": loss / len(y)}
    finally:
        model.train(was_training)


_DEFAULT_TASKS = {"lenet5_fashion_mnist": "fashion_mnist", "mlp_digits": "digits", "char_lstm_fortunes": "fortunes"}
