"""conv_transpose family benchmark: the DCGAN generator's ConvTranspose2d layers (batch 64, 32x32 output), fwd
and fwd+bwd, nnengine vs PyTorch interleaved in one process, medians over rounds, at 1 and 2 threads (the
harness of bench/_common.py run_groups). Conv1d is in bench_conv2d.py (``--only conv1d``).

    python bench/bench_conv_transpose.py                     # 1 and 2 threads
    python bench/bench_conv_transpose.py --threads 1 --rounds 3
    python bench/bench_conv_transpose.py --cpu-time          # CPU time, for a machine shared with other work

Prints a table (ratio = torch time / nnengine time: > 1 means nnengine is faster) and writes
bench/results/bench_conv_transpose.json.
"""

from __future__ import annotations

import numpy as np
from _common import bench_parser, conv_cases, run_groups

import nnengine.functional as F

# DCGAN generator (the torch example's layers, ngf=64, for a 32x32 image): name: (N, C, H, K, k, stride, padding)
CONVT = {
    "convT dcgan1 100->512 4x4/1 1x1->4x4 N64": (64, 100, 1, 512, 4, 1, 0),
    "convT dcgan2 512->256 4x4/2 4x4->8x8 N64": (64, 512, 4, 256, 4, 2, 1),
    "convT dcgan3 256->128 4x4/2 8x8->16x16 N64": (64, 256, 8, 128, 4, 2, 1),
    "convT dcgan4 128->64 4x4/2 16x16->32x32 N64": (64, 128, 16, 64, 4, 2, 1),
    "convT dcgan5 64->1 3x3/1 32x32 N64": (64, 64, 32, 1, 3, 1, 1),
}


def main() -> None:
    args = bench_parser(__doc__, ["convT"]).parse_args()
    import torch

    rng = np.random.default_rng(0)
    groups = {"convT": lambda: conv_cases(torch, rng, CONVT, F.conv_transpose2d, torch.nn.functional.conv_transpose2d,
                                          2, transposed=True)}
    run_groups(groups, args.only, args.threads, args.rounds, "bench_conv_transpose", cpu_time=args.cpu_time,
               json_path=args.json)


if __name__ == "__main__":
    main()
