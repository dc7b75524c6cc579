"""conv2d family benchmark: Conv2d forward and forward+backward on the LeNet, CIFAR, ResNet and 1x1 shapes
(``conv``), Conv1d on sensor windows (``conv1d``: the same kernels on height-1 planes) and the family in a
network (``lenet``: a LeNet-5 training epoch), nnengine vs PyTorch interleaved in one process (A, B, A, B,
...), medians over rounds, at 1 and 2 threads.

    python bench/bench_conv2d.py                  # everything, 1 and 2 threads
    python bench/bench_conv2d.py --only conv --threads 1 --rounds 3
    python bench/bench_conv2d.py --only conv1d --rounds 5 --cpu-time

Prints a table (ratio = torch time / nnengine time: > 1 means nnengine is faster) and writes
bench/results/bench_conv2d.json.

--cpu-time: time by CPU time instead of the wall clock, for a machine shared with other work (bench/_common.py
cpu_clock; at 2 threads over batches of calls of at least 20 ms, see run_groups).
"""

from __future__ import annotations

import os
import sys
from typing import Dict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import bench_parser, conv_cases, run_groups  # noqa: E402

import nnengine as ne  # noqa: E402
import nnengine.functional as F  # noqa: E402

CONVS = {  # name: (N, C, H = W, K, R, stride, padding)
    "conv lenet1 1->6 5x5 28x28 N64": (64, 1, 28, 6, 5, 1, 2),
    "conv lenet2 6->16 5x5 12x12 N64": (64, 6, 12, 16, 5, 1, 0),
    "conv cifar 3->32 3x3 32x32 N128": (128, 3, 32, 32, 3, 1, 1),
    "conv resnet 64->64 3x3 56x56 N32": (32, 64, 56, 64, 3, 1, 1),
    "conv resnet 128->128 3x3 28x28 N32": (32, 128, 28, 128, 3, 1, 1),
    "conv resnet 256->256 3x3 14x14 N32": (32, 256, 14, 256, 3, 1, 1),
    "conv resnet 512->512 3x3 7x7 N32": (32, 512, 7, 512, 3, 1, 1),
    "conv stem 3->64 7x7/2 224x224 N8": (8, 3, 224, 64, 7, 2, 3),
    "conv 1x1 256->64 56x56 N8": (8, 256, 56, 64, 1, 1, 0),
    "conv 1x1 64->256 56x56 N8": (8, 64, 56, 256, 1, 1, 0),
    "conv 1x1 512->512 7x7 N32": (32, 512, 7, 512, 1, 1, 0),
}
# Conv1d (the same kernels on height-1 planes) on sensor windows: name: (N, C, L, K, k, stride, padding)
CONV1D = {
    "conv1d sensor 6->64 k5 L100 N32": (32, 6, 100, 64, 5, 1, 2),
    "conv1d sensor 64->64 k5 L100 N32": (32, 64, 100, 64, 5, 1, 2),
}


def lenet_cases(torch, rng, samples: int) -> Dict[str, tuple]:
    from nnengine.models import LeNet5

    x = rng.standard_normal((samples, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, samples)
    ne.manual_seed(0)
    mn = LeNet5()
    on = ne.optim.SGD(mn.parameters(), lr=0.01, momentum=0.9)
    tn = torch.nn
    mt = tn.Sequential(tn.Conv2d(1, 6, 5, padding=2), tn.ReLU(), tn.MaxPool2d(2), tn.Conv2d(6, 16, 5), tn.ReLU(),
                       tn.MaxPool2d(2), tn.Flatten(), tn.Linear(400, 120), tn.ReLU(), tn.Linear(120, 84), tn.ReLU(),
                       tn.Linear(84, 10))
    ot = torch.optim.SGD(mt.parameters(), lr=0.01, momentum=0.9)
    xt, yt = torch.tensor(x), torch.tensor(y)

    def ne_epoch():
        for i in range(0, samples, 64):
            loss = F.cross_entropy(mn(ne.Tensor(x[i:i + 64])), y[i:i + 64])
            on.zero_grad()
            loss.backward()
            on.step()

    def t_epoch():
        for i in range(0, samples, 64):
            loss = torch.nn.functional.cross_entropy(mt(xt[i:i + 64]), yt[i:i + 64])
            ot.zero_grad()
            loss.backward()
            ot.step()

    return {f"LeNet-5 train epoch ({samples} samples, batch 64)": (ne_epoch, t_epoch, -samples)}


def main() -> None:
    ap = bench_parser(__doc__, ["conv", "conv1d", "lenet"])
    ap.add_argument("--epoch-samples", type=int, default=60000, help="samples in the LeNet-5 epoch")
    args = ap.parse_args()
    if args.quick:
        args.epoch_samples = min(args.epoch_samples, 1280)
    import torch

    rng = np.random.default_rng(0)
    tF = torch.nn.functional
    groups = {"conv": lambda: conv_cases(torch, rng, CONVS, F.conv2d, tF.conv2d, 2),
              "conv1d": lambda: conv_cases(torch, rng, CONV1D, F.conv1d, tF.conv1d, 1),
              "lenet": lambda: lenet_cases(torch, rng, args.epoch_samples)}
    run_groups(groups, args.only, args.threads, args.rounds, "bench_conv2d", single_shot=("lenet",),
               cpu_time=args.cpu_time, json_path=args.json)


if __name__ == "__main__":
    main()
