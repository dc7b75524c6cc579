"""Train LeNet-5 on Fashion-MNIST (Debian's dataset-fashion-mnist package) and report test accuracy.

    python examples/lenet_fashion_mnist.py              # 12 epochs of SGD+momentum: 90.35% test accuracy
    python examples/lenet_fashion_mnist.py --epochs 2 --limit 10000 --batch-norm
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import nnengine as ne
import nnengine.functional as F
from nnengine.data import load_fashion_mnist
from nnengine.models import LeNet5

MEAN, STD = 0.2860, 0.3530


def prepare(images: np.ndarray) -> np.ndarray:
    return ((images.astype(np.float32) / 255.0 - MEAN) / STD)[:, None]


def evaluate(model: LeNet5, x: np.ndarray, y: np.ndarray, batch: int = 1000) -> float:
    model.eval()
    correct = 0
    with ne.no_grad():
        for i in range(0, len(x), batch):
            correct += int((model(ne.Tensor(x[i:i + batch])).numpy().argmax(1) == y[i:i + batch]).sum())
    model.train()
    return correct / len(x)


def train(epochs: int = 12, batch_size: int = 64, lr: float = 0.05, momentum: float = 0.9, limit: int = 0,
          batch_norm: bool = False, dropout: float = 0.0, seed: int = 0, verbose: bool = True) -> float:
    ne.manual_seed(seed)
    xtr, ytr = load_fashion_mnist(train=True)
    xte, yte = load_fashion_mnist(train=False)
    if limit:
        xtr, ytr = xtr[:limit], ytr[:limit]
    xtr, xte = prepare(xtr), prepare(xte)
    model = LeNet5(num_classes=10, batch_norm=batch_norm, dropout=dropout)
    opt = ne.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    rng = np.random.default_rng(seed)
    acc = 0.0
    for epoch in range(epochs):
        # cosine learning-rate decay over the run
        for g in opt.param_groups:
            g["lr"] = lr * 0.5 * (1 + np.cos(np.pi * epoch / epochs))
        t0 = time.perf_counter()
        order = rng.permutation(len(xtr))
        total = 0.0
        for i in range(0, len(order), batch_size):
            idx = order[i:i + batch_size]
            loss = F.cross_entropy(model(ne.Tensor(xtr[idx])), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        dt = time.perf_counter() - t0
        acc = evaluate(model, xte, yte)
        if verbose:
            print(f"epoch {epoch + 1:2d}  loss {total / len(order):.4f}  test acc {acc:.4f}  "
                  f"({len(order) / dt:,.0f} samples/s)", flush=True)
    return acc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--limit", type=int, default=0, help="use only the first N training images")
    ap.add_argument("--batch-norm", action="store_true")
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    if args.threads:
        ne.set_num_threads(args.threads)
    acc = train(args.epochs, args.batch_size, args.lr, limit=args.limit, batch_norm=args.batch_norm,
                dropout=args.dropout)
    print(f"final test accuracy: {acc:.4f}")


if __name__ == "__main__":
    main()
