"""MLP 784-256-128-10 training step (batch 128, cross-entropy, SGD momentum) and per-call overhead,
nnengine vs torch, 1 and 2 threads.

--cpu-time: time rounds by CPU time (bench/_common.py cpu_clock), for a machine shared with other work.

--only: the training step (``step``, at each thread count) or the per-call overhead rows (``call``, 1 thread).

Usage: python bench/bench_mlp.py [--quick] [--rounds 9] [--threads 1 2] [--only step call] [--cpu-time] [--json PATH]
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import bench_parser, cpu_clock, print_table, timeit_interleaved, try_torch, write_json  # noqa: E402

import nnengine as ne  # noqa: E402
import nnengine.functional as F  # noqa: E402
from nnengine import nn  # noqa: E402


def ne_mlp_step(compiled: bool = False):
    """One SGD-momentum step of the MLP on a fixed batch, and the model; ``compiled``: the forward through
    ``nnengine.compile`` (bench_overhead.py times both)."""
    ne.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    fwd = ne.compile(model) if compiled else model
    opt = ne.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    x = ne.tensor(rng.standard_normal((128, 784)).astype(np.float32))
    y = rng.integers(0, 10, 128)

    def step():
        opt.zero_grad()
        F.cross_entropy(fwd(x), y).backward()
        opt.step()

    return step, model


def torch_mlp_step(torch, ne_model=None, compiled: bool = False):
    """The same step in torch (from ``ne_model``'s weights when given; ``compiled``: ``torch.compile``)."""
    tnn = torch.nn
    model = tnn.Sequential(tnn.Linear(784, 256), tnn.ReLU(), tnn.Linear(256, 128), tnn.ReLU(), tnn.Linear(128, 10))
    if ne_model is not None:
        model.load_state_dict({k: torch.tensor(v) for k, v in ne_model.state_dict().items()})
    fwd = torch.compile(model) if compiled else model
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal((128, 784)).astype(np.float32))
    y = torch.tensor(rng.integers(0, 10, 128))

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(fwd(x), y).backward()
        opt.step()

    return step


def main() -> None:
    args = bench_parser(__doc__, ["step", "call"], rounds=9, quick_rounds=3).parse_args()
    torch = try_torch()
    rounds = args.rounds
    rows, records = [], []
    for threads in args.threads if not args.only or "step" in args.only else ():
        ne.set_num_threads(threads)
        if torch:
            torch.set_num_threads(threads)
        step, model = ne_mlp_step()
        fns = {"nnengine": step}
        if torch:
            fns["torch"] = torch_mlp_step(torch, model)
        t = timeit_interleaved(fns, rounds=rounds, min_time=0.2,
                               clock=cpu_clock(threads) if args.cpu_time else time.perf_counter)
        r = {"threads": threads, "workload": "MLP 784-256-128-10 step, batch 128 (steps/s)",
             "nnengine": 1 / t["nnengine"], "torch": 1 / t["torch"] if torch else float("nan")}
        r["ratio"] = r["nnengine"] / r["torch"] if torch else float("nan")
        records.append(r)
        rows.append([threads, r["workload"], r["nnengine"], r["torch"], r["ratio"]])
    # per-call overhead, 1 thread (microseconds per call; ratio = torch time / nnengine time)
    ne.set_num_threads(1)
    if torch:
        torch.set_num_threads(1)
    x64 = ne.tensor(np.random.randn(64).astype(np.float32))
    x8 = ne.tensor(np.random.randn(4, 8).astype(np.float32))
    lin = nn.Linear(8, 8)
    cases = {"relu on 64 elements": (lambda: F.relu(x64), None),
             "Linear(8,8) forward, batch 4": (lambda: lin(x8), None),
             "Linear(8,8) fwd+bwd, batch 4": (lambda: lin(x8).sum().backward(), None)}
    if torch:
        t64 = torch.randn(64)
        t8 = torch.randn(4, 8)
        tlin = torch.nn.Linear(8, 8)
        cases["relu on 64 elements"] = (cases["relu on 64 elements"][0], lambda: torch.relu(t64))
        cases["Linear(8,8) forward, batch 4"] = (cases["Linear(8,8) forward, batch 4"][0], lambda: tlin(t8))
        cases["Linear(8,8) fwd+bwd, batch 4"] = (cases["Linear(8,8) fwd+bwd, batch 4"][0],
                                                lambda: tlin(t8).sum().backward())
    for name, (f_ne, f_t) in cases.items() if not args.only or "call" in args.only else ():
        fns = {"nnengine": f_ne}
        if f_t:
            fns["torch"] = f_t
        t = timeit_interleaved(fns, rounds=rounds, min_time=0.05,
                               clock=cpu_clock(1) if args.cpu_time else time.perf_counter)
        us_ne = t["nnengine"] * 1e6
        us_t = t["torch"] * 1e6 if f_t else float("nan")
        records.append({"threads": 1, "workload": f"{name} (us/call)", "nnengine": us_ne, "torch": us_t,
                        "ratio": us_t / us_ne})
        rows.append([1, f"{name} (us/call)", us_ne, us_t, us_t / us_ne])
    timing = "CPU time" if args.cpu_time else "wall clock"
    print_table(f"MLP training and per-call overhead (isa={ne.backend.isa()}, {timing}; "
                "ratio > 1 means nnengine is faster)",
                ["threads", "workload", "nnengine", "torch", "ratio"], rows)
    print("wrote", write_json("mlp", records, args.json))


if __name__ == "__main__":
    main()
