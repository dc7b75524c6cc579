"""Transposed and 1-D convolution benchmark: the DCGAN generator's ConvTranspose2d layers (batch 64, 32x32
output) and Conv1d on a sensor shape, fwd and fwd+bwd, nnengine vs PyTorch interleaved in one process,
medians over rounds, at 1 and 2 threads (the style of bench_conv.py).

    python bench/bench_conv_transpose.py                     # everything, 1 and 2 threads
    python bench/bench_conv_transpose.py --only conv1d --threads 1 --rounds 3
    python bench/bench_conv_transpose.py --cpu-time          # CPU time, for a machine shared with other work

Prints a table (ratio = torch time / nnengine time: > 1 means nnengine is faster) and writes
bench/results/bench_conv_transpose.json.
"""

from __future__ import annotations

import argparse
from typing import Dict

import numpy as np
from bench_conv import run_groups

import nnengine as ne
import nnengine.functional as F

# DCGAN generator (the torch example's layers, ngf=64, for a 32x32 image): name: (N, C, H, K, k, stride, padding)
CONVT = {
    "convT dcgan1 100->512 4x4/1 1x1->4x4 N64": (64, 100, 1, 512, 4, 1, 0),
    "convT dcgan2 512->256 4x4/2 4x4->8x8 N64": (64, 512, 4, 256, 4, 2, 1),
    "convT dcgan3 256->128 4x4/2 8x8->16x16 N64": (64, 256, 8, 128, 4, 2, 1),
    "convT dcgan4 128->64 4x4/2 16x16->32x32 N64": (64, 128, 16, 64, 4, 2, 1),
    "convT dcgan5 64->1 3x3/1 32x32 N64": (64, 64, 32, 1, 3, 1, 1),
}
# Conv1d on sensor windows: name: (N, C, L, K, k, stride, padding)
CONV1D = {
    "conv1d sensor 6->64 k5 L100 N32": (32, 6, 100, 64, 5, 1, 2),
    "conv1d sensor 64->64 k5 L100 N32": (32, 64, 100, 64, 5, 1, 2),
}


def _cases(torch, rng, table, ne_fn, t_fn, wshape, flops_of) -> Dict[str, tuple]:
    cases = {}
    for name, (N, C, L, K, k, s, p) in table.items():
        spatial = 2 if ne_fn is F.conv_transpose2d else 1
        x = rng.standard_normal((N, C) + (L,) * spatial, dtype=np.float32)
        w = rng.standard_normal(wshape(C, K, k, spatial), dtype=np.float32) * 0.1
        b = np.zeros(K, np.float32)
        xn, wn, bn = (ne.Tensor(a, requires_grad=True) for a in (x, w, b))
        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        with ne.no_grad():
            gy = np.ones(ne_fn(xn, wn, bn, s, p).shape, np.float32)
        gyt = torch.tensor(gy)

        def ne_f(xn=xn, wn=wn, bn=bn, s=s, p=p):
            with ne.no_grad():
                ne_fn(xn, wn, bn, s, p)

        def t_f(xt=xt, wt=wt, bt=bt, s=s, p=p):
            with torch.no_grad():
                t_fn(xt, wt, bt, s, p)

        def ne_fb(xn=xn, wn=wn, bn=bn, s=s, p=p, gy=gy):
            xn.grad = wn.grad = bn.grad = None
            ne_fn(xn, wn, bn, s, p).backward(gy)

        def t_fb(xt=xt, wt=wt, bt=bt, s=s, p=p, gy=gyt):
            xt.grad = wt.grad = bt.grad = None
            t_fn(xt, wt, bt, s, p).backward(gy)

        flops = flops_of(N, C, K, k, spatial, x.shape, gy.shape)
        cases[name + " fwd"] = (ne_f, t_f, flops)
        cases[name + " fwd+bwd"] = (ne_fb, t_fb, 3 * flops)
    return cases


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", choices=["convT", "conv1d"], nargs="+")
    ap.add_argument("--cpu-time", action="store_true",
                    help="time by thread CPU time at 1 thread, process CPU time / threads otherwise")
    args = ap.parse_args()
    import torch

    rng = np.random.default_rng(0)
    tF = torch.nn.functional
    groups = {
        # transposed conv FLOPs: every input element meets every tap of its group's output channels
        "convT": lambda: _cases(torch, rng, CONVT, F.conv_transpose2d, tF.conv_transpose2d,
                                lambda C, K, k, sp: (C, K) + (k,) * sp,
                                lambda N, C, K, k, sp, xs, ys: 2 * int(np.prod(xs)) * K * k**sp),
        "conv1d": lambda: _cases(torch, rng, CONV1D, F.conv1d, tF.conv1d,
                                 lambda C, K, k, sp: (K, C) + (k,) * sp,
                                 lambda N, C, K, k, sp, xs, ys: 2 * int(np.prod(ys)) * C * k**sp),
    }
    run_groups(groups, args.only, args.threads, args.rounds, "bench_conv_transpose.json",
               cpu_time=args.cpu_time)

if __name__ == "__main__":
    main()
