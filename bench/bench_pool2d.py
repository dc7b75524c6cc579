"""pool2d family benchmark: max / avg / min pooling 2x2 and max pooling 3x3/2 with padding (forward,
forward+backward) on a 64x64x56x56 batch, nnengine vs PyTorch interleaved in one process (A, B, A, B, ...), medians
over rounds, at 1 and 2 threads (torch has no min pooling: -max_pool2d(-x)).

    python bench/bench_pool2d.py                  # 1 and 2 threads
    python bench/bench_pool2d.py --threads 1 --rounds 3 --cpu-time

Prints a table (ratio = torch time / nnengine time: > 1 means nnengine is faster) and writes
bench/results/bench_pool2d.json.

--cpu-time: time by CPU time instead of the wall clock, for a machine shared with other work (bench/_common.py
cpu_clock; at 2 threads over batches of calls of at least 20 ms, see run_groups).
"""

from __future__ import annotations

import os
import sys
from typing import Dict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import bench_parser, run_groups  # noqa: E402

import nnengine as ne  # noqa: E402
import nnengine.functional as F  # noqa: E402


def pool_cases(torch, rng) -> Dict[str, tuple]:
    x = rng.standard_normal((64, 64, 56, 56), dtype=np.float32)
    xn, xt = ne.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gy = np.ones((64, 64, 28, 28), np.float32)
    gyt = torch.tensor(gy)
    tF = torch.nn.functional
    cases = {}
    for kind, nf, tf in (("max", F.max_pool2d, tF.max_pool2d), ("avg", F.avg_pool2d, tF.avg_pool2d),
                         ("min", F.min_pool2d, lambda t, *a: -tF.max_pool2d(-t, *a))):
        def ne_f(nf=nf):
            with ne.no_grad():
                nf(xn, 2)

        def t_f(tf=tf):
            with torch.no_grad():
                tf(xt, 2)

        def ne_fb(nf=nf):
            xn.grad = None
            nf(xn, 2).backward(gy)

        def t_fb(tf=tf):
            xt.grad = None
            tf(xt, 2).backward(gyt)

        cases[f"{kind}pool 2x2 64x64x56x56 fwd"] = (ne_f, t_f, 0)
        cases[f"{kind}pool 2x2 64x64x56x56 fwd+bwd"] = (ne_fb, t_fb, 0)

    def ne_3():
        with ne.no_grad():
            F.max_pool2d(xn, 3, 2, 1)

    def t_3():
        with torch.no_grad():
            tF.max_pool2d(xt, 3, 2, 1)

    gy3 = np.ones((64, 64, 28, 28), np.float32)
    gy3t = torch.tensor(gy3)

    def ne_3b():
        xn.grad = None
        F.max_pool2d(xn, 3, 2, 1).backward(gy3)

    def t_3b():
        xt.grad = None
        tF.max_pool2d(xt, 3, 2, 1).backward(gy3t)

    cases["maxpool 3x3/2 pad 1 64x64x56x56 fwd"] = (ne_3, t_3, 0)
    cases["maxpool 3x3/2 pad 1 64x64x56x56 fwd+bwd"] = (ne_3b, t_3b, 0)
    return cases


def main() -> None:
    args = bench_parser(__doc__, ["pool"]).parse_args()
    import torch

    rng = np.random.default_rng(0)
    run_groups({"pool": lambda: pool_cases(torch, rng)}, args.only, args.threads, args.rounds, "bench_pool2d",
               cpu_time=args.cpu_time, json_path=args.json)


if __name__ == "__main__":
    main()
