"""A bidirectional LSTM reads Fashion-MNIST images row by row (28 steps of 28 pixels) and classifies them.

    python examples/bilstm_fashion_mnist.py [--epochs 4] [--hidden 128] [--limit N]

The final forward and backward hidden states (h_n) go through a Linear layer. Measured: see README
("Recurrent networks").
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import nnengine as ne
import nnengine.functional as F
from nnengine import nn


class BiLSTMClassifier(nn.Module):
    def __init__(self, hidden: int = 128, classes: int = 10):
        super().__init__()
        self.lstm = nn.LSTM(28, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, classes)

    def forward(self, x):
        _, (h_n, _) = self.lstm(x)  # h_n (2, B, H): forward and backward final states
        return self.fc(ne.cat([h_n[0], h_n[1]], dim=1))


def load(train: bool, limit: int = 0):
    x, y = ne.data.load_fashion_mnist(train=train)
    if limit:
        x, y = x[:limit], y[:limit]
    return (x.astype(np.float32) / 255.0 - 0.2860) / 0.3530, y.astype(np.int64)


def evaluate(model, x, y, batch=1000) -> float:
    correct = 0
    with ne.no_grad():
        for s in range(0, len(x), batch):
            logits = model(ne.tensor(x[s : s + batch]))
            correct += int((logits.data.argmax(1) == y[s : s + batch]).sum())
    return correct / len(x)


def train(epochs=4, hidden=128, batch=128, lr=2e-3, limit=0, test_limit=0, seed=0, log=print):
    ne.manual_seed(seed)
    xtr, ytr = load(True, limit)
    xte, yte = load(False, test_limit)
    model = BiLSTMClassifier(hidden)
    opt = ne.optim.Adam(list(model.parameters()), lr=lr)
    rng = np.random.default_rng(seed)
    for ep in range(epochs):
        t0, order, total = time.time(), rng.permutation(len(xtr)), 0.0
        for s in range(0, len(order), batch):
            idx = order[s : s + batch]
            loss = F.cross_entropy(model(ne.tensor(xtr[idx])), ne.tensor(ytr[idx], dtype=np.int64))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        acc = evaluate(model, xte, yte)
        log(
            f"epoch {ep + 1}: train loss {total / len(order):.4f}  test accuracy {acc:.4f}  ({time.time() - t0:.1f} s)"
        )
    return model, acc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N training images")
    args = ap.parse_args()
    _, acc = train(args.epochs, args.hidden, limit=args.limit)
    print(f"final test accuracy: {acc:.4f}")


if __name__ == "__main__":
    main()
