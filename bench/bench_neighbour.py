"""2-thread calls with a busy neighbour: a process this bench starts itself spins on one core (pinned with
os.sched_setaffinity where allowed) while nnengine and torch run Linear 128x784 -> 256 and LeNet conv1
(1 -> 6, 5x5, 28x28, batch 64) forward at 2 threads. Prints wall-clock medians quiet vs busy and the
slowdown busy/quiet for both engines (the goal for nnengine: at most 2.5x).

    python bench/bench_neighbour.py [--rounds 15] [--json PATH]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import time
from typing import Callable, Dict, List

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import print_table, try_torch, write_json  # noqa: E402

import nnengine as ne  # noqa: E402
from nnengine import nn  # noqa: E402


def _spin(core: int) -> None:
    """The neighbour: one process burning one core until terminated."""
    try:
        os.sched_setaffinity(0, {core})
    except (AttributeError, OSError):
        pass
    x = 0
    while True:
        x += 1


def _median_call(fn: Callable[[], object], rounds: int, calls: int) -> float:
    """Median wall seconds per call over `rounds` rounds of `calls` calls."""
    samples: List[float] = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - t0) / calls)
    return statistics.median(samples)


def _workloads(torch) -> Dict[str, Dict[str, Callable[[], object]]]:
    rng = np.random.default_rng(0)
    x_lin = rng.standard_normal((128, 784)).astype(np.float32)
    x_conv = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    lin, conv = nn.Linear(784, 256), nn.Conv2d(1, 6, 5)
    xl, xc = ne.tensor(x_lin), ne.tensor(x_conv)
    out: Dict[str, Dict[str, Callable[[], object]]] = {"Linear 128x784->256": {}, "LeNet conv1 fwd": {}}

    def ne_lin() -> object:
        with ne.no_grad():
            return lin(xl)

    def ne_conv() -> object:
        with ne.no_grad():
            return conv(xc)

    out["Linear 128x784->256"]["nnengine"] = ne_lin
    out["LeNet conv1 fwd"]["nnengine"] = ne_conv
    if torch is not None:
        tlin, tconv = torch.nn.Linear(784, 256), torch.nn.Conv2d(1, 6, 5)
        txl, txc = torch.from_numpy(x_lin), torch.from_numpy(x_conv)

        def t_lin() -> object:
            with torch.no_grad():
                return tlin(txl)

        def t_conv() -> object:
            with torch.no_grad():
                return tconv(txc)

        out["Linear 128x784->256"]["torch"] = t_lin
        out["LeNet conv1 fwd"]["torch"] = t_conv
    return out


def _measure(work, rounds: int) -> Dict[str, Dict[str, float]]:
    res: Dict[str, Dict[str, float]] = {}
    for name, fns in work.items():
        res[name] = {}
        for fn in fns.values():
            for _ in range(20):  # warm-up: thread pools started, buffers allocated
                fn()
        # interleave the engines round by round
        samples: Dict[str, List[float]] = {eng: [] for eng in fns}
        for _ in range(rounds):
            for eng, fn in fns.items():
                samples[eng].append(_median_call(fn, 1, 20))
        for eng in fns:
            res[name][eng] = statistics.median(samples[eng])
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    torch = try_torch()
    ne.set_num_threads(args.threads)
    if torch is not None:
        torch.set_num_threads(args.threads)
    work = _workloads(torch)
    quiet = _measure(work, args.rounds)
    ctx = mp.get_context("spawn")
    core = max(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    spinner = ctx.Process(target=_spin, args=(core,), daemon=True)
    spinner.start()
    try:
        time.sleep(0.3)
        busy = _measure(work, args.rounds)
    finally:
        spinner.terminate()
        spinner.join()
    rows, records = [], []
    for name in work:
        for eng in work[name]:
            q, b = quiet[name][eng], busy[name][eng]
            rows.append([name, eng, q * 1e3, b * 1e3, b / q])
            records.append({"workload": name, "engine": eng, "threads": args.threads, "quiet_ms": q * 1e3,
                            "busy_ms": b * 1e3, "slowdown": b / q})
    print_table(f"{args.threads} threads, quiet vs a spinning neighbour pinned to core {core} (wall ms, median)",
                ["workload", "engine", "quiet ms", "busy ms", "busy/quiet"], rows)
    print(f"json: {write_json('bench_neighbour', records, args.json)}")


if __name__ == "__main__":
    main()
