"""The LeNet-5 training step (batch 64, SGD momentum) of bench_overhead.py, nnengine eager vs torch eager, by CPU
time always (bench/_common.py cpu_clock; --cpu-time is accepted), interleaved rounds of 0.2 s, with the minor page faults each engine takes per step: torch's step takes
~1,300 of them in some processes (fresh outputs glibc maps and returns on every call) and is then 30-50% slower,
so the ratio is given against torch's median over all rounds and over its rounds without page faults.
Row groups: ``step`` (that comparison) and ``ops`` (the time of each ``_core`` call inside nnengine's step,
wrapped, per step).

Usage: python bench/bench_lenet_step.py [--only step ops] [--rounds 15] [--threads 1] [--json PATH]
"""

from __future__ import annotations

import collections
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import bench_parser, cpu_clock, try_torch, write_json  # noqa: E402
from bench_overhead import lenet_step, torch_lenet_step  # noqa: E402

import nnengine as ne  # noqa: E402
from nnengine import _core  # noqa: E402


def _faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def core_calls(step, steps: int = 200) -> dict:
    """us per step of each ``_core`` call (by name and first argument's shape) inside ``step``."""
    acc: dict = collections.defaultdict(float)
    orig = {n: getattr(_core, n) for n in dir(_core) if not n.startswith("_") and callable(getattr(_core, n))
            and not isinstance(getattr(_core, n), type)}

    def wrap(name, f):
        def g(*a, **k):
            key = f"{name}{tuple(a[0].shape) if a and hasattr(a[0], 'shape') else ''}"
            t = time.thread_time()
            r = f(*a, **k)
            acc[key] += time.thread_time() - t
            return r
        return g

    try:
        for n, f in orig.items():
            setattr(_core, n, wrap(n, f))
        for _ in range(steps):
            step()
    finally:
        for n, f in orig.items():
            setattr(_core, n, f)
    return {k: v / steps * 1e6 for k, v in sorted(acc.items(), key=lambda kv: -kv[1])}


def main() -> int:
    ap = bench_parser(__doc__, ["step", "ops"], rounds=15, threads=[1], quick_rounds=2)
    args = ap.parse_args()
    groups = args.only or ["step", "ops"]
    threads = args.threads[0]
    clock = cpu_clock(threads)
    torch = try_torch()
    ne.set_num_threads(threads)
    fns = {"nnengine": lenet_step(False)}
    if torch is not None and "step" in groups:
        torch.set_num_threads(threads)
        fns["torch"] = torch_lenet_step(torch, False)
    for f in fns.values():
        for _ in range(5):
            f()
    us: dict = {k: [] for k in fns}
    flt: dict = {k: [] for k in fns}
    for _ in range(args.rounds if "step" in groups else 0):
        for k, f in fns.items():
            m0, t0, n = _faults(), clock(), 0
            while clock() - t0 < (0.05 if args.quick else 0.2):
                f()
                n += 1
            us[k].append((clock() - t0) / n * 1e6)
            flt[k].append((_faults() - m0) / n)
    result: dict = {}
    if "step" in groups:
        result = _step_report(us, flt, threads, torch is not None and "torch" in fns, args.rounds)
    if "ops" in groups:
        calls = core_calls(fns["nnengine"], 20 if args.quick else 200)
        for k, v in calls.items():
            print(f"  {k:45s} {v:8.1f} us")
        print(f"  {'sum of the _core calls':45s} {sum(calls.values()):8.1f} us")
        result["core_calls_us"] = calls
    print("json:", write_json("bench_lenet_step", result, args.json))
    return 0


def _step_report(us: dict, flt: dict, threads: int, with_torch: bool, rounds: int) -> dict:
    ne_us = float(np.median(us["nnengine"]))
    print(f"{threads} thread(s); nnengine eager: {ne_us:.0f} us per step, "
          f"{np.median(flt['nnengine']):.0f} page faults per step")
    result = {"nnengine_us": us["nnengine"], "nnengine_faults": flt["nnengine"]}
    if with_torch:
        t_us = float(np.median(us["torch"]))
        clean = [t for t, fl in zip(us["torch"], flt["torch"]) if fl < 10]
        print(f"torch eager: {t_us:.0f} us per step ({np.median(flt['torch']):.0f} page faults per step), "
              f"ratio {t_us / ne_us:.2f}")
        if clean:
            print(f"torch rounds without page faults: {len(clean)} of {rounds}, median {np.median(clean):.0f} us, "
                  f"ratio {np.median(clean) / ne_us:.2f}; torch's fastest round {min(us['torch']):.0f} us, "
                  f"ratio {min(us['torch']) / ne_us:.2f}")
        else:
            print(f"torch took page faults in every round; its fastest {min(us['torch']):.0f} us, "
                  f"ratio {min(us['torch']) / ne_us:.2f}")
        result.update(torch_us=us["torch"], torch_faults=flt["torch"])
    return result


if __name__ == "__main__":
    sys.exit(main())
