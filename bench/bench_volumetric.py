"""3-D layers benchmark: Conv3d (C3D / 3-D U-Net shapes), ConvTranspose3d (U-Net up-sampling) and the 3-D pools, fwd
and fwd+bwd, nnengine vs PyTorch interleaved in one process, medians over rounds, at 1 and 2 threads (the harness
of bench/_common.py run_groups). nnengine's convolutions run its conv3d kernels (cpp/kernels/conv3d.h), its pools the
2-D pooling kernels plus a depth step (functional/_volumetric.py); torch runs its own 3-D kernels.

    python bench/bench_volumetric.py                     # 1 and 2 threads
    python bench/bench_volumetric.py --only conv3d --threads 1 --rounds 3 --cpu-time

Prints a table (ratio = torch time / nnengine time: > 1 means nnengine is faster) and writes
bench/results/bench_volumetric.json.
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

# name: (N, C, L, K, k, stride, padding) over L x L x L volumes
CONV3D = {
    "conv3d 3->32 3x3x3 32^3 N2 (stem)": (2, 3, 32, 32, 3, 1, 1),
    "conv3d 32->64 3x3x3 16^3 N4": (4, 32, 16, 64, 3, 1, 1),
    "conv3d 64->128 3x3x3/2 16^3 N4": (4, 64, 16, 128, 3, 2, 1),
    "conv3d 128->128 1x1x1 8^3 N4": (4, 128, 8, 128, 1, 1, 0),
}
CONVT3D = {
    "convT3d 64->32 2x2x2/2 8^3->16^3 N4": (4, 64, 8, 32, 2, 2, 0),
    "convT3d 32->16 4x4x4/2 8^3->16^3 N2": (2, 32, 8, 16, 4, 2, 1),
}


def pool_cases(torch, rng) -> Dict[str, tuple]:
    x = rng.standard_normal((8, 32, 16, 32, 32), dtype=np.float32)
    xn, xt = ne.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    tF = torch.nn.functional
    cases = {}
    for name, nf, tf in (("maxpool3d 2", lambda t: F.max_pool3d(t, 2), lambda t: tF.max_pool3d(t, 2)),
                         ("avgpool3d 2", lambda t: F.avg_pool3d(t, 2), lambda t: tF.avg_pool3d(t, 2)),
                         ("maxpool3d 3/2 pad 1", lambda t: F.max_pool3d(t, 3, 2, 1), lambda t: tF.max_pool3d(t, 3, 2, 1)),
                         ("adaptive_avg_pool3d 1", lambda t: F.adaptive_avg_pool3d(t, 1),
                          lambda t: tF.adaptive_avg_pool3d(t, 1))):
        with ne.no_grad():
            gy = np.ones(nf(xn).shape, np.float32)
        gyt = torch.tensor(gy)

        def ne_f(nf=nf):
            with ne.no_grad():
                nf(xn)

        def t_f(tf=tf):
            with torch.no_grad():
                tf(xt)

        def ne_fb(nf=nf, gy=gy):
            xn.grad = None
            nf(xn).backward(gy)

        def t_fb(tf=tf, gy=gyt):
            xt.grad = None
            tf(xt).backward(gy)

        cases[f"{name} 8x32x16x32x32 fwd"] = (ne_f, t_f, 0)
        cases[f"{name} 8x32x16x32x32 fwd+bwd"] = (ne_fb, t_fb, 0)
    return cases


def main() -> None:
    args = bench_parser(__doc__, ["conv3d", "convT3d", "pool3d"]).parse_args()
    import torch

    tF = torch.nn.functional
    rng = np.random.default_rng(0)
    groups = {"conv3d": lambda: conv_cases(torch, rng, CONV3D, F.conv3d, tF.conv3d, 3),
              "convT3d": lambda: conv_cases(torch, rng, CONVT3D, F.conv_transpose3d, tF.conv_transpose3d, 3,
                                            transposed=True),
              "pool3d": lambda: pool_cases(torch, rng)}
    run_groups(groups, args.only, args.threads, args.rounds, "bench_volumetric", cpu_time=args.cpu_time,
               json_path=args.json)


if __name__ == "__main__":
    main()
