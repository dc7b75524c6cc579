"""Optimizer step over 10M float32 parameters: nnengine's fused C++ step vs torch.optim's default
(single-tensor on CPU), foreach=True and fused=True, 1 and 2 threads, interleaved in one process.

Bandwidth counts the bytes an ideal step must move (SGD momentum: read p, g, buf + write p, buf = 20
bytes/param; Adam: read p, g, m, v + write p, m, v = 28 bytes/param) and is compared with numpy's
single-thread copy (8 bytes/element) measured in the same run.

The epilogue table times what ``optimizer.step()`` applies after the update to a (1000, n/1000) weight with
``L1(proximal=True)`` and ``MaxNorm``: the one C++ call (``_core.optim_epilogue``) vs the numpy formulas it
replaced (soft thresholding, then the per-row norm cap), in place, 1 and 2 threads.

--cpu-time: time rounds by CPU time (bench/_common.py cpu_clock), for a machine shared with other work; the
copy probe (one thread) by its thread's CPU time.

    python bench/bench_optim.py [--quick] [--rounds 7] [--threads 1 2] [--only sgd adam epilogue] [--cpu-time]
                                [--json PATH] [--n 10000000]
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import bench_parser, cpu_clock, print_table, timeit_interleaved, try_torch, write_json  # noqa: E402

import nnengine as ne  # noqa: E402
from nnengine import nn, optim  # noqa: E402

BYTES = {"SGD momentum": 20, "Adam": 28}
GROUPS = {"sgd": "SGD momentum", "adam": "Adam"}


def main() -> None:
    ap = bench_parser(__doc__, [*GROUPS, "epilogue"], rounds=7)
    ap.add_argument("--n", type=int, default=None, help="parameters (default: 10M, 1M with --quick)")
    args = ap.parse_args()
    n = args.n or (1_000_000 if args.quick else 10_000_000)
    torch = try_torch()
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal(n).astype(np.float32)
    g0 = (rng.standard_normal(n) * 1e-3).astype(np.float32)

    src, dst = p0.copy(), np.empty_like(p0)
    rows, results = [], []
    for algo in (a for g, a in GROUPS.items() if not args.only or g in args.only):
        for threads in args.threads:
            ne.set_num_threads(threads)
            w = nn.Parameter(p0)
            w.grad = g0.copy()
            opt = optim.SGD([w], lr=1e-3, momentum=0.9) if algo == "SGD momentum" else optim.Adam([w], lr=1e-3)
            fns = {"numpy copy": lambda: np.copyto(dst, src), "nnengine": opt.step}
            if torch is not None:
                torch.set_num_threads(threads)
                tw = torch.nn.Parameter(torch.from_numpy(p0.copy()))
                tw.grad = torch.from_numpy(g0.copy())
                for variant, kw in (("torch default", {}), ("torch foreach", dict(foreach=True)),
                                    ("torch fused", dict(fused=True))):
                    if algo == "SGD momentum":
                        topt = torch.optim.SGD([tw], lr=1e-3, momentum=0.9, **kw)
                    else:
                        topt = torch.optim.Adam([tw], lr=1e-3, **kw)
                    fns[variant] = topt.step
            clock = cpu_clock(threads) if args.cpu_time else time.perf_counter
            times = timeit_interleaved(fns, rounds=args.rounds, min_time=0.2, clock=clock,
                                       clocks={"numpy copy": cpu_clock(1) if args.cpu_time else time.perf_counter})
            copy_gbs = 8 * n / times["numpy copy"] / 1e9
            for name, t in times.items():
                if name == "numpy copy":
                    continue
                gbs = BYTES[algo] * n / t / 1e9
                speedups = {k: times[k] / t for k in times if k.startswith("torch")} if name == "nnengine" else {}
                best_torch = min((v for k, v in times.items() if k.startswith("torch")), default=float("nan"))
                rows.append([algo, threads, name, t * 1e3, gbs, gbs / copy_gbs, best_torch / t])
                results.append(dict(algo=algo, threads=threads, engine=name, ms=t * 1e3, gbs=gbs,
                                    copy_gbs=copy_gbs, fraction_of_copy=gbs / copy_gbs, speedup_vs=speedups))
            rows.append([algo, threads, "numpy copy", times["numpy copy"] * 1e3, copy_gbs, 1.0, ""])
    timing = "CPU time" if args.cpu_time else "wall clock"
    print_table(f"Optimizer step over {n / 1e6:g}M float32 parameters (median of {args.rounds} interleaved rounds, "
                f"{timing})",
                ["optimizer", "threads", "engine", "ms/step", "GB/s", "of copy BW", "best torch time / this"], rows)
    epi_rows = []
    if not args.only or "epilogue" in args.only:
        epi_rows = epilogue_rows(p0, args.rounds, args.threads)
        print_table("Epilogue after the step: proximal L1 + MaxNorm over a (1000, n/1000) weight",
                    ["threads", "C++ epilogue ms", "numpy formulas ms", "numpy / C++"], epi_rows)
    print("\nwritten:", write_json("bench_optim", dict(n=n, results=results, epilogue=epi_rows), args.json))


def epilogue_rows(p0: np.ndarray, rounds: int, threads_list=(1, 2)) -> list:
    """Proximal L1 + MaxNorm on a (1000, n/1000) weight: the C++ epilogue vs the numpy formulas it replaced."""
    from nnengine import _core

    w = p0[: p0.size // 1000 * 1000].reshape(1000, -1).copy()
    a, b = w.copy(), w.copy()
    t, cap, eps = np.float32(1e-4), 3.0, np.float32(1e-7)

    def numpy_formulas() -> None:
        np.copyto(b, np.sign(b) * np.maximum(np.abs(b) - t, np.float32(0)))
        norms = np.sqrt(np.sum(np.square(b), axis=1, keepdims=True))
        b[...] *= (np.clip(norms, 0, cap) / (eps + norms)).astype(np.float32)

    rows = []
    for threads in threads_list:
        ne.set_num_threads(threads)
        times = timeit_interleaved({"native": lambda: _core.optim_epilogue([a], [(a.shape[0], a.shape[1], 1)],
                                                                           [float(t)], ["max_norm"], [cap]),
                                    "numpy": numpy_formulas}, rounds=rounds, min_time=0.2)
        rows.append([threads, times["native"] * 1e3, times["numpy"] * 1e3, times["numpy"] / times["native"]])
    return rows


if __name__ == "__main__":
    main()
