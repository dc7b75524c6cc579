"""Benchmark helpers: interleaved A/B timing with medians, a table printer and JSON output."""

from __future__ import annotations

import json
import os
import statistics
import time
from typing import Callable, Dict, List, Optional, Sequence

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def try_torch():
    try:
        import torch  # noqa: F401

        return torch
    except ImportError:
        return None


def cpu_clock(threads: int) -> Callable[[], float]:
    """The clock of ``--cpu-time`` runs: the thread's CPU time at 1 thread, the process CPU time divided by the
    thread count above (a machine shared with other work then does not count the time slices it takes;
    threads waiting asleep count nothing, threads spinning count in full)."""
    return time.thread_time if threads == 1 else (lambda: time.process_time() / threads)


def timeit_interleaved(fns: Dict[str, Callable[[], object]], rounds: int = 7, min_time: float = 0.05,
                       warmup: int = 2, clock: Callable[[], float] = time.perf_counter,
                       clocks: Optional[Dict[str, Callable[[], float]]] = None) -> Dict[str, float]:
    """Median seconds per call of each fn, interleaving engines round by round (A, B, A, B...).

    ``clock`` times the rounds (wall clock by default; ``time.thread_time`` or ``time.process_time``
    count only the CPU time the process got, for a machine shared with other work); ``clocks`` gives
    some fns another one (a single-threaded probe next to threaded engines)."""
    reps = {}
    for name, fn in fns.items():
        for _ in range(warmup):
            fn()
        t0 = time.perf_counter()
        n = 0
        while time.perf_counter() - t0 < min_time or n == 0:
            fn()
            n += 1
        reps[name] = max(1, n)
    samples: Dict[str, List[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            c = (clocks or {}).get(name, clock)
            t0 = c()
            for _ in range(reps[name]):
                fn()
            samples[name].append((c() - t0) / reps[name])
    return {k: statistics.median(v) for k, v in samples.items()}


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in header]] + [[f"{c:.3g}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(cells[0], widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in cells[1:]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")


def write_json(name: str, payload: object, path: Optional[str] = None) -> str:
    path = path or os.path.join(RESULTS_DIR, f"{name}.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(payload, f, indent=2)
    os.replace(tmp, path)
    return path
