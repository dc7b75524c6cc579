"""2-thread calls with a busy neighbour: a process this bench starts itself spins on one core (pinned with
os.sched_setaffinity where allowed) while nnengine and torch run Linear 128x784 -> 256 and LeNet conv1
(1 -> 6, 5x5, 28x28, batch 64) forward at 2 threads. Prints wall-clock medians quiet vs busy and the
slowdown busy/quiet for both engines (the goal for nnengine: at most 2.5x).

--cpu-time: time by the process CPU time divided by the thread count (bench/_common.py cpu_clock) instead: the
CPU cost per call, quiet vs busy (threads spinning while they wait count; threads asleep do not).

    python bench/bench_neighbour.py [--quick] [--rounds 15] [--threads 2] [--only linear conv] [--cpu-time]
                                    [--json PATH]
"""

from __future__ import annotations

import multiprocessing as mp
import os
import statistics
import sys
import time
from typing import Callable, Dict, List

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import bench_parser, cpu_clock, print_table, settle, try_torch, write_json  # noqa: E402

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


def _median_call(fn: Callable[[], object], rounds: int, calls: int, clock=time.perf_counter) -> float:
    """Median seconds (by ``clock``) per call over `rounds` rounds of `calls` calls."""
    samples: List[float] = []
    for _ in range(rounds):
        settle()
        t0 = clock()
        for _ in range(calls):
            fn()
        samples.append((clock() - t0) / calls)
    return statistics.median(samples)


GROUPS = {"linear": "Linear 128x784->256", "conv": "LeNet conv1 fwd"}


def _workloads(torch, only=None) -> Dict[str, Dict[str, Callable[[], object]]]:
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
    return {GROUPS[g]: out[GROUPS[g]] for g in GROUPS if not only or g in only}


def _measure(work, rounds: int, clock=time.perf_counter) -> Dict[str, Dict[str, float]]:
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
                samples[eng].append(_median_call(fn, 1, 20, clock))
        for eng in fns:
            res[name][eng] = statistics.median(samples[eng])
    return res


def main() -> None:
    args = bench_parser(__doc__, list(GROUPS), rounds=15, threads=[2], quick_rounds=3).parse_args()
    torch = try_torch()
    rows, records = [], []
    core = max(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    for threads in args.threads:
        ne.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
        clock = cpu_clock(threads) if args.cpu_time else time.perf_counter
        work = _workloads(torch, args.only)
        quiet = _measure(work, args.rounds, clock)
        ctx = mp.get_context("spawn")
        spinner = ctx.Process(target=_spin, args=(core,), daemon=True)
        spinner.start()
        try:
            time.sleep(0.3)
            busy = _measure(work, args.rounds, clock)
        finally:
            spinner.terminate()
            spinner.join()
        for name in work:
            for eng in work[name]:
                q, b = quiet[name][eng], busy[name][eng]
                rows.append([name, threads, eng, q * 1e3, b * 1e3, b / q])
                records.append({"workload": name, "engine": eng, "threads": threads, "quiet_ms": q * 1e3,
                                "busy_ms": b * 1e3, "slowdown": b / q, "cpu_time": args.cpu_time})
    timing = "CPU ms" if args.cpu_time else "wall ms"
    print_table(f"quiet vs a spinning neighbour pinned to core {core} ({timing}, median)",
                ["workload", "threads", "engine", "quiet ms", "busy ms", "busy/quiet"], rows)
    print(f"json: {write_json('bench_neighbour', records, args.json)}")


if __name__ == "__main__":
    main()
