"""Character-level LSTM language model on the English text of Debian's ``fortunes`` package.

    python examples/char_lstm_fortunes.py [--steps 5000] [--hidden 256]

Trains on random 64-character windows (truncated BPTT), reports the validation loss (nats/char)
against a unigram baseline, then samples text by streaming one character at a time with the LSTM
state carried over. Needs ``apt-get install fortunes`` (files in /usr/share/games/fortunes).
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _rnn_common import clip_grad_norm  # noqa: E402

import nnengine as ne  # noqa: E402
import nnengine.functional as F  # noqa: E402
from nnengine import nn  # noqa: E402

FORTUNES_DIR = "/usr/share/games/fortunes"


def load_text(root: str = FORTUNES_DIR) -> str:
    """All fortune files (not the .dat indexes / .u8 links), printable ASCII, '%' separators dropped."""
    files = sorted(
        f
        for f in glob.glob(os.path.join(root, "*"))
        if os.path.isfile(f) and not os.path.islink(f) and "." not in os.path.basename(f)
    )
    if not files:
        raise FileNotFoundError(f"no fortune files in {root}: install Debian's 'fortunes' package")
    parts = []
    for f in files:
        with open(f, encoding="latin-1") as fh:
            parts.append(fh.read().replace("\n%\n", "\n\n"))
    text = "".join(parts)
    return "".join(c for c in text if c == "\n" or 32 <= ord(c) < 127)


class CharLSTM(nn.Module):
    def __init__(self, vocab: int, hidden: int = 256, layers: int = 1):
        super().__init__()
        self.vocab = vocab
        self.lstm = nn.LSTM(vocab, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids: np.ndarray, state=None):
        x = np.eye(self.vocab, dtype=np.float32)[ids]  # one-hot (B, T, V)
        out, state = self.lstm(ne.tensor(x), state)
        return self.head(out), state


def split(text: str, val_frac: float = 0.1):
    chars = sorted(set(text))
    lut = {c: i for i, c in enumerate(chars)}
    data = np.fromiter((lut[c] for c in text), np.int64, len(text))
    n = int(len(data) * (1 - val_frac))
    return chars, data[:n], data[n:]


def unigram_loss(train: np.ndarray, val: np.ndarray, vocab: int) -> float:
    p = (np.bincount(train, minlength=vocab) + 1.0) / (len(train) + vocab)
    return float(-np.log(p[val]).mean())


def val_loss(model, val: np.ndarray, seq: int = 256, max_chars: int = 40000) -> float:
    """Mean next-character loss over the validation text, streamed in chunks with the state carried."""
    v = val[: max_chars + 1]
    n = (len(v) - 1) // seq * seq
    rows = 8
    per = n // rows // seq * seq
    xs = v[: rows * per].reshape(rows, per)
    ys = v[1 : rows * per + 1].reshape(rows, per)
    state, total = None, 0.0
    with ne.no_grad():
        for s in range(0, per, seq):
            logits, state = model(xs[:, s : s + seq], state)
            total += (
                F.cross_entropy(
                    logits.reshape(-1, model.vocab), ne.tensor(ys[:, s : s + seq].reshape(-1), dtype=np.int64)
                ).item()
                * rows
                * seq
            )
    return total / (rows * per)


def sample(model, chars, n: int = 400, temperature: float = 0.8, seed: int = 0, prime: str = "The ") -> str:
    rng = np.random.default_rng(seed)
    lut = {c: i for i, c in enumerate(chars)}
    out, state = list(prime), None
    with ne.no_grad():
        logits, state = model(np.array([[lut[c] for c in prime]]), state)
        for _ in range(n):
            z = logits.data[0, -1] / temperature
            p = np.exp(z - z.max())
            i = int(rng.choice(len(chars), p=p / p.sum()))
            out.append(chars[i])
            logits, state = model(np.array([[i]]), state)
    return "".join(out)


def train(steps=5000, hidden=256, batch=32, seq=64, lr=3e-3, seed=0, log=print, log_every=500, decay=True):
    """Adam with a cosine learning-rate decay to lr/20 (``decay``) over ``steps`` random windows."""
    ne.manual_seed(seed)
    chars, tr, va = split(load_text())
    V = len(chars)
    model = CharLSTM(V, hidden)
    params = list(model.parameters())
    opt = ne.optim.Adam(params, lr=lr)
    sched = ne.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=lr / 20) if decay else None
    rng = np.random.default_rng(seed)
    base = unigram_loss(tr, va, V)
    log(
        f"{len(tr)} train / {len(va)} validation characters, vocabulary {V}, unigram baseline {base:.3f} nats/char"
    )
    t0 = time.time()
    for step in range(1, steps + 1):
        starts = rng.integers(0, len(tr) - seq - 1, batch)
        x = np.stack([tr[s : s + seq] for s in starts])
        y = np.stack([tr[s + 1 : s + seq + 1] for s in starts])
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, V), ne.tensor(y.reshape(-1), dtype=np.int64))
        opt.zero_grad()
        loss.backward()
        clip_grad_norm(params, 5.0)
        opt.step()
        if sched is not None:
            sched.step()
        if step % log_every == 0 or step == steps:
            log(f"step {step}: train loss {loss.item():.3f}  ({time.time() - t0:.1f} s)")
    vl = val_loss(model, va)
    log(f"validation loss {vl:.3f} nats/char vs unigram baseline {base:.3f}")
    return model, chars, vl, base


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--hidden", type=int, default=256)
    args = ap.parse_args()
    model, chars, vl, base = train(args.steps, args.hidden)
    print("--- sample ---")
    print(sample(model, chars))


if __name__ == "__main__":
    main()
