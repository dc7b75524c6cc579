"""Appliance classification from smart-plug power readings (ACSF1: 10 appliance types, one 1,460-sample
recording each, 100 train / 100 test, the UCR archive's split; series are z-normalized in the file).

Run: python examples/iot_acsf1_appliances.py [--out path.png] [--epochs N] [--seed S]

Each recording is summarized in blocks of 10 samples (mean, max, min, std: 4 channels x 146 steps, which
keeps the switching transients a plain mean would blur), then a fully convolutional network (Wang et al.
2017, narrowed: Conv1d 7/5/3 with 32/64/32 channels, BatchNorm, ReLU, global average pooling, Linear) is
trained with Adam (cosine learning-rate decay), mini-batches of 20. Data: the .ts files inside the aeon wheel (pip install 'nnengine[iot]').
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _families import parse_args, pyplot, save_figure  # noqa: E402

import nnengine as ne  # noqa: E402
import nnengine.functional as F  # noqa: E402
from nnengine import nn  # noqa: E402
from nnengine.data import load_dataset  # noqa: E402

EPOCHS = 200
BLOCK = 10
# The file's header lists the 10 categories (mobile phones, coffee machines, computer stations, fridges and
# freezers, Hi-Fi systems, CFL lamps, laptops, microwave ovens, printers, televisions) but not which label
# 0..9 is which, so the labels are shown as they are.
APPLIANCES = tuple(f"class {i}" for i in range(10))


def block_features(x: np.ndarray) -> np.ndarray:
    """(N, 1, T) -> (N, 4, T // BLOCK): mean, max, min and std of each block of BLOCK samples."""
    z = x[:, 0, : x.shape[2] // BLOCK * BLOCK].reshape(len(x), -1, BLOCK)
    return np.stack([z.mean(2), z.max(2), z.min(2), z.std(2)], 1).astype(np.float32)


class FCN(nn.Module):
    """Three Conv1d + BatchNorm1d + ReLU blocks, global average pooling over time, a linear classifier."""

    def __init__(self, in_channels: int, num_classes: int, widths=(32, 64, 32), kernels=(7, 5, 3)) -> None:
        super().__init__()
        chans = (in_channels, *widths)
        self.convs = nn.Sequential(*[
            nn.Sequential(nn.Conv1d(chans[i], chans[i + 1], k, padding="same"), nn.BatchNorm1d(chans[i + 1]),
                          nn.ReLU()) for i, k in enumerate(kernels)])
        self.fc = nn.Linear(widths[-1], num_classes)

    def forward(self, x):
        return self.fc(self.convs(x).mean(2))


def train_and_evaluate(seed: int = 0, epochs: int = EPOCHS) -> dict:
    ne.manual_seed(seed)
    rng = np.random.default_rng(seed)
    s = load_dataset("acsf1")
    ftr, fte = block_features(s.x_train), block_features(s.x_test)
    mu, sd = ftr.mean((0, 2), keepdims=True), ftr.std((0, 2), keepdims=True) + 1e-3
    ftr, fte = (ftr - mu) / sd, (fte - mu) / sd
    model = FCN(ftr.shape[1], s.num_classes)
    opt = ne.optim.Adam(model.parameters(), lr=3e-3)
    sched = ne.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)  # settles the noisy small-batch updates
    losses, accs = [], []
    t0 = time.perf_counter()
    for _ in range(epochs):
        model.train()
        for idx in np.array_split(rng.permutation(len(ftr)), len(ftr) // 20):
            loss = F.cross_entropy(model(ne.tensor(ftr[idx])), s.y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        losses.append(loss.item())
        model.eval()
        with ne.no_grad():
            accs.append(float((model(ne.tensor(fte)).data.argmax(1) == s.y_test).mean()))
    pred = model(ne.tensor(fte)).data.argmax(1)
    conf = np.zeros((s.num_classes, s.num_classes), int)
    np.add.at(conf, (s.y_test, pred), 1)
    return {"test_accuracy": accs[-1], "losses": losses, "accs": accs, "confusion": conf,
            "seconds": time.perf_counter() - t0, "epochs": epochs, "x_train": s.x_train, "y_train": s.y_train}


def main() -> None:
    args = parse_args("iot_acsf1_appliances.png", __doc__)
    r = train_and_evaluate(seed=args.seed, epochs=args.epochs or EPOCHS)
    print(f"ACSF1, Conv1d FCN on 10-sample block features: {r['epochs']} epochs in {r['seconds']:.1f} s, "
          f"test accuracy {r['test_accuracy']:.2f} (100 recordings, 10 appliance types)")
    per = r["confusion"].diagonal() / r["confusion"].sum(1)
    print("per class: " + ", ".join(f"{a} {p:.1f}" for a, p in zip(APPLIANCES, per)))
    plt = pyplot()
    fig = plt.figure(figsize=(14, 4.2))
    ax0 = fig.add_subplot(1, 3, 1)
    for c in range(10):
        i = int(np.flatnonzero(r["y_train"] == c)[0])
        ax0.plot(r["x_train"][i, 0, :500] + 4 * c, lw=0.5)
    ax0.set(title="one training recording per class (first 500 samples, offset)", yticks=4 * np.arange(10), xlabel="sample")
    ax0.set_yticklabels(APPLIANCES, fontsize=7)
    ax1 = fig.add_subplot(1, 3, 2)
    ax1.plot(r["losses"], label="train loss (last batch)")
    ax1.plot(r["accs"], label="test accuracy")
    ax1.set(title=f"training (final test accuracy {r['test_accuracy']:.2f})", xlabel="epoch")
    ax1.legend()
    ax2 = fig.add_subplot(1, 3, 3)
    ax2.imshow(r["confusion"], cmap="Blues")
    ax2.set(title="test confusion", xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true")
    ax2.set_yticklabels(APPLIANCES, fontsize=7)
    save_figure(fig, args.out, tight=True)


if __name__ == "__main__":
    main()
