"""activation family benchmark, nnengine vs PyTorch in one process, at 1 and 2 threads:

- ``act``: relu / sigmoid / tanh forward on 16M elements, interleaved (A, B, A, B, ...), medians over rounds
  (default 5);
- ``gelu``: GELU (erf form and tanh form) forward and forward+backward on 2048x1024, interleaved rounds
  (default 7), medians, with the bandwidth each pass needs (fwd: read x, write y; fwd+bwd adds read dy, x,
  write dx).

    python bench/bench_activation.py                          # both groups, 1 and 2 threads
    python bench/bench_activation.py --only act --rounds 3
    python bench/bench_activation.py --only gelu --rounds 7

Prints the tables (ratio = torch time / nnengine time: > 1 means nnengine is faster) and writes
bench/results/bench_activation.json.

--cpu-time: time by CPU time instead of the wall clock, for a machine shared with other work (bench/_common.py
cpu_clock; at 2 threads over batches of calls of at least 20 ms, see run_groups).
"""

from __future__ import annotations

import os
import sys
from typing import Dict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import PASS_HEADER, bench_parser, print_table, run_groups, run_passes, write_json  # noqa: E402

import nnengine as ne  # noqa: E402
import nnengine.functional as F  # noqa: E402

GELU = [("GELU", (2048, 1024), "none"), ("GELU-tanh", (2048, 1024), "tanh")]


def activation_cases(torch, rng) -> Dict[str, tuple]:
    x = rng.standard_normal(1 << 24, dtype=np.float32)
    xn, xt = ne.Tensor(x), torch.tensor(x)
    cases = {}
    for name in ("relu", "sigmoid", "tanh"):
        nf, tf = getattr(F, name), getattr(torch, name)
        cases[f"{name} 16M fwd"] = ((lambda nf=nf: nf(xn)), (lambda tf=tf: tf(xt)), 0)
    return cases


def gelu_cases(torch) -> list:
    cases = []
    for kind, shape, approx in GELU:
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        fn_ne = lambda t, approx=approx: F.gelu(t, approximate=approx)  # noqa: E731
        fn_t = ((lambda t, approx=approx: torch.nn.functional.gelu(t, approximate=approx))
                if torch is not None else None)
        cases.append((f"{kind} {shape[0]}x{shape[1]}", x, fn_ne, fn_t))
    return cases


def main() -> None:
    args = bench_parser(__doc__, ["act", "gelu"], rounds=None).parse_args()
    import torch

    rng = np.random.default_rng(0)
    results: list = []
    if not args.only or "act" in args.only:
        results += run_groups({"act": lambda: activation_cases(torch, rng)}, None, args.threads, args.rounds or 5,
                              None, cpu_time=args.cpu_time)
    if not args.only or "gelu" in args.only:
        rows, recs = run_passes(gelu_cases(torch), torch, args.rounds or 7, args.threads, args.cpu_time)
        print_table("GELU (float32)", PASS_HEADER, rows)
        results += recs
    path = write_json("bench_activation", dict(isa=ne.backend.isa(), torch=torch.__version__, results=results), args.json)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
