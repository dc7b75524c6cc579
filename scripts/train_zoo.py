"""Train a model of nnengine's zoo and record it: weights + its manifest.json entry.

    python scripts/train_zoo.py NAME --out python/nnengine/models/zoo [--threads 2]
    python scripts/train_zoo.py all --out python/nnengine/models/zoo

(--out defaults to the zoo folder of the nnengine that is imported: site-packages after `pip install .`,
the repository's folder with `pip install -e .` or with PYTHONPATH=python and the in-tree build.)

NAME is one of lenet5_fashion_mnist, mlp_digits, char_lstm_fortunes. Training is seeded (same data order
and initialisation every run; results are the same at 1 and 2 threads) and takes minutes on 2 cores. The
weights go to python/nnengine/models/zoo/NAME.safetensors (``nnengine.io.save_model``: architecture in
the metadata) and the entry of manifest.json records the test metrics and the ``check`` value (the metric
on a fixed subset of the test data) that tests/test_zoo.py reproduces.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

import nnengine as ne
from nnengine import io, models, optim
from nnengine.io import atomic_write
from nnengine.models import zoo

CHECK_LIMIT = {"lenet5_fashion_mnist": 1000, "mlp_digits": 200, "char_lstm_fortunes": 8000}


def train_lenet5() -> tuple:
    """LeNet-5 (ReLU, max-pool) on the 60k Fashion-MNIST training images, Adam, 6 epochs, batch 64."""
    x, y = zoo.load_task_data("fashion_mnist", "train")
    model = models.LeNet5(num_classes=10)
    opt = optim.Adam(model.parameters(), lr=2e-3)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    ne.train.fit(model, "cross_entropy", opt, (x, y), epochs=6, batch_size=64, scheduler=sched, verbose=2)
    info = {"dataset": "Fashion-MNIST (Debian dataset-fashion-mnist), 60k training / 10k test images",
            "description": "LeNet-5 (conv6-pool-conv16-pool-fc120-fc84-fc10, ReLU), input (N, 1, 28, 28) in [0, 1]",
            "training": "Adam lr 2e-3 halved every 2 epochs, 6 epochs, batch 64"}
    return model, info


def train_mlp() -> tuple:
    """MLP 64-64-10 (ReLU) on scikit-learn's 8x8 digits (80/20 split, seed 0), Adam, 40 epochs."""
    x, y = zoo.load_task_data("digits", "train")
    model = models.MLP([64, 64, 10], activation="relu")
    opt = optim.Adam(model.parameters(), lr=3e-3)
    ne.train.fit(model, "cross_entropy", opt, (x, y), epochs=40, batch_size=32, verbose=0)
    info = {"dataset": "scikit-learn digits 8x8, nnengine.data.load_dataset('digits') 80/20 split (seed 0)",
            "description": "MLP 64-64-10 (ReLU), input (N, 1, 8, 8) or (N, 64) in [0, 1]",
            "training": "Adam lr 3e-3, 40 epochs, batch 32"}
    return model, info


def train_char_lstm(steps: int = 2000, seq: int = 64, batch: int = 32) -> tuple:
    """CharLSTM (hidden 128) on every fortune file but the held-out one: random 64-char windows, Adam."""
    text, _ = zoo.load_task_data("fortunes", "train")
    vocab = "".join(sorted(set(text)))
    model = models.CharLSTM(vocab, hidden_size=128)
    ids = model.encode(text)
    opt = optim.Adam(model.parameters(), lr=5e-3)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    rng = np.random.default_rng(0)
    params = list(model.parameters())
    t0 = time.time()
    for step in range(steps):
        starts = rng.integers(0, len(ids) - seq - 1, batch)
        xb = np.stack([ids[s : s + seq] for s in starts])
        yb = np.stack([ids[s + 1 : s + seq + 1] for s in starts])
        logits, _ = model(xb)
        loss = ne.functional.cross_entropy(logits.reshape(-1, model.vocab_size), yb.reshape(-1))
        opt.zero_grad()
        loss.backward()
        norm = float(np.sqrt(sum(float((p.grad.astype(np.float64) ** 2).sum()) for p in params)))
        if norm > 1.0:  # clip the global gradient norm at 1
            for p in params:
                p.grad = p.grad * np.float32(1.0 / norm)
        opt.step()
        sched.step()
        if step % 250 == 0 or step == steps - 1:
            print(f"step {step:4d}  loss {loss.item():.3f}  {time.time() - t0:.0f}s", flush=True)
    info = {"dataset": f"Debian fortunes: all files of {zoo.FORTUNES_DIR} except '{zoo.FORTUNES_HELDOUT}' "
                       f"(held out for validation)",
            "description": f"CharLSTM: one-hot {len(vocab)} characters -> LSTM(128) -> Linear; loss in nats/char",
            "training": f"Adam lr 5e-3 cosine, {steps} steps of {batch} random {seq}-char windows, clip 1.0"}
    return model, info


TRAINERS = {"lenet5_fashion_mnist": ("fashion_mnist", train_lenet5), "mlp_digits": ("digits", train_mlp),
            "char_lstm_fortunes": ("fortunes", train_char_lstm)}


def record(name: str, out_dir: str) -> dict:
    task, trainer = TRAINERS[name]
    ne.manual_seed(0)
    t0 = time.time()
    model, info = trainer()
    seconds = time.time() - t0
    model.eval()
    fname = f"{name}.safetensors"
    path = os.path.join(out_dir, fname)
    io.save_model(model, path, metadata={"zoo_name": name})
    full = zoo.evaluate(name, model=model)
    metric = "loss" if task == "fortunes" else "accuracy"
    check = zoo.evaluate(name, model=model, limit=CHECK_LIMIT[name])
    entry = dict(info, task=task, file=fname, script=f"scripts/train_zoo.py {name}",
                 params=int(sum(p.data.size for p in model.parameters())), bytes=os.path.getsize(path),
                 train_seconds=round(seconds, 1), threads=ne.get_num_threads(),
                 metrics={f"test_{k}": round(v, 4) for k, v in full.items()},
                 check={"metric": metric, "limit": CHECK_LIMIT[name], "value": check[metric]})
    manifest_path = os.path.join(out_dir, "manifest.json")
    manifest = {}
    if os.path.exists(manifest_path):
        with open(manifest_path, encoding="utf-8") as f:
            manifest = json.load(f)
    manifest[name] = entry
    text = json.dumps(dict(sorted(manifest.items())), indent=2) + "\n"
    atomic_write(manifest_path, [text.encode()])
    return entry


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("name", choices=sorted(TRAINERS) + ["all"])
    ap.add_argument("--out", default=zoo.ZOO_DIR, help="folder for the weights and manifest.json")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    ne.set_num_threads(args.threads)
    for name in sorted(TRAINERS) if args.name == "all" else [args.name]:
        entry = record(name, args.out)
        print(json.dumps({name: {k: entry[k] for k in ("metrics", "check", "params", "bytes", "train_seconds")}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
