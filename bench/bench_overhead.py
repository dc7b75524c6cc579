"""Per-call overhead of small models and streams: nnengine eager and ``nnengine.compile`` vs torch eager (and
``torch.compile`` with --torch-compile, which needs a C++ toolchain and takes a minute to warm up), 1 thread,
interleaved rounds, medians. Ratios are torch eager time / nnengine time (> 1: nnengine faster).

--cpu-time: time by CPU time (bench/_common.py cpu_clock: the thread's CPU time at 1 thread): on a shared
machine the wall clock counts the time other processes held the core.

Usage: python bench/bench_overhead.py [--quick] [--rounds 9] [--threads 1] [--only online infer cell streams mlp lenet]
                                      [--cpu-time] [--json PATH] [--torch-compile]
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import bench_parser, cpu_clock, print_table, timeit_interleaved, try_torch, write_json  # noqa: E402
from bench_mlp import ne_mlp_step, torch_mlp_step  # noqa: E402

import nnengine as ne  # noqa: E402
import nnengine.functional as F  # noqa: E402
from nnengine import models, nn  # noqa: E402


def _to_torch(torch, ne_model, torch_model):
    torch_model.load_state_dict({k: torch.tensor(v) for k, v in ne_model.state_dict().items()})
    return torch_model


# Each case: (name, build_nnengine(compiled) -> fn, build_torch(torch, compiled) -> fn)
def online_step(compiled):
    ne.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 1))
    fwd = ne.compile(model) if compiled else model
    opt = ne.optim.SGD(model.parameters(), lr=0.01)
    x = ne.tensor(np.random.default_rng(0).random((1, 16)).astype(np.float32))
    y = ne.tensor(np.ones((1, 1), np.float32))

    def step():
        opt.zero_grad()
        F.mse_loss(fwd(x), y).backward()
        opt.step()

    return step


def torch_online_step(torch, compiled):
    model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.Tanh(), torch.nn.Linear(32, 1))
    fwd = torch.compile(model) if compiled else model
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    x = torch.rand(1, 16)
    y = torch.ones(1, 1)

    def step():
        opt.zero_grad()
        torch.nn.functional.mse_loss(fwd(x), y).backward()
        opt.step()

    return step


def online_infer(compiled):
    ne.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 1)).eval()
    fwd = ne.compile(model) if compiled else model
    x = ne.tensor(np.random.default_rng(0).random((1, 16)).astype(np.float32))

    def infer():
        with ne.no_grad():
            fwd(x)

    return infer


def torch_online_infer(torch, compiled):
    model = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.Tanh(), torch.nn.Linear(32, 1)).eval()
    fwd = torch.compile(model) if compiled else model
    x = torch.rand(1, 16)

    def infer():
        with torch.no_grad():
            fwd(x)

    return infer


def _cell_stream(ne_or_torch, cell, compiled, batch):
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((batch, 8)).astype(np.float32) for _ in range(64)]
    state = {"t": 0, "hc": None}

    def tick():
        x = xs[state["t"] % 64]
        state["t"] += 1
        with ne_or_torch.no_grad():
            x = ne_or_torch.tensor(x)
            state["hc"] = cell(x, state["hc"]) if state["hc"] is not None else cell(x)

    return tick


def lstm_cell_stream(compiled):
    ne.manual_seed(0)
    cell = nn.LSTMCell(8, 32)
    return _cell_stream(ne, ne.compile(cell) if compiled else cell, compiled, 1)


def torch_lstm_cell_stream(torch, compiled):
    cell = torch.nn.LSTMCell(8, 32)
    return _cell_stream(torch, torch.compile(cell) if compiled else cell, compiled, 1)


def sensor_streams(compiled):
    """1,000 concurrent sensor streams, one batched LSTMCell(8, 64) step per tick."""
    ne.manual_seed(0)
    cell = nn.LSTMCell(8, 64)
    return _cell_stream(ne, ne.compile(cell) if compiled else cell, compiled, 1000)


def torch_sensor_streams(torch, compiled):
    cell = torch.nn.LSTMCell(8, 64)
    return _cell_stream(torch, torch.compile(cell) if compiled else cell, compiled, 1000)


def lenet_step(compiled):
    ne.manual_seed(0)
    model = models.LeNet5(10)
    fwd = ne.compile(model) if compiled else model
    opt = ne.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    x = ne.tensor(rng.random((64, 1, 28, 28)).astype(np.float32))
    y = rng.integers(0, 10, 64)

    def step():
        opt.zero_grad()
        F.cross_entropy(fwd(x), y).backward()
        opt.step()

    return step


def torch_lenet_step(torch, compiled):
    tnn = torch.nn
    model = tnn.Sequential(tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Conv2d(6, 16, 5),
                           tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(400, 120), tnn.ReLU(),
                           tnn.Linear(120, 84), tnn.ReLU(), tnn.Linear(84, 10))
    fwd = torch.compile(model) if compiled else model
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.random((64, 1, 28, 28)).astype(np.float32))
    y = torch.tensor(rng.integers(0, 10, 64))

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(fwd(x), y).backward()
        opt.step()

    return step


CASES = {  # --only group: (row name, nnengine case, torch case)
    "online": ("16-32-1 MLP online SGD step, batch 1", online_step, torch_online_step),
    "infer": ("16-32-1 MLP inference, batch 1", online_infer, torch_online_infer),
    "cell": ("LSTMCell(8, 32) stream step, batch 1", lstm_cell_stream, torch_lstm_cell_stream),
    "streams": ("LSTMCell(8, 64) step over 1,000 streams", sensor_streams, torch_sensor_streams),
    "mlp": ("MLP 784-256-128-10 step, batch 128", lambda compiled: ne_mlp_step(compiled)[0],
            lambda torch, compiled: torch_mlp_step(torch, compiled=compiled)),
    "lenet": ("LeNet-5 step, batch 64", lenet_step, torch_lenet_step),
}


def main() -> int:
    ap = bench_parser(__doc__, list(CASES), rounds=9, threads=[1], quick_rounds=3)
    ap.add_argument("--torch-compile", action="store_true", help="also time torch.compile (slow warm-up)")
    args = ap.parse_args()
    torch = try_torch()
    rows, results = [], []
    for threads, (name, ne_case, torch_case) in ((t, c) for t in args.threads for g, c in CASES.items()
                                                 if not args.only or g in args.only):
        ne.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
        fns = {"eager": ne_case(False), "compiled": ne_case(True)}
        if torch is not None:
            fns["torch"] = torch_case(torch, False)
            if args.torch_compile:
                try:
                    fns["torch.compile"] = torch_case(torch, True)
                    fns["torch.compile"]()
                except Exception as e:  # inductor needs a working toolchain; say so, keep going
                    print(f"torch.compile unavailable for {name}: {type(e).__name__}: {e}", file=sys.stderr)
                    fns.pop("torch.compile", None)
        t = timeit_interleaved(fns, rounds=args.rounds, min_time=0.05 if args.quick else 0.2,
                               clock=cpu_clock(threads) if args.cpu_time else time.perf_counter)
        us = {k: v * 1e6 for k, v in t.items()}
        ref = us.get("torch")
        row = [name, threads, f"{us['eager']:.1f}", f"{us['compiled']:.1f}", f"{ref:.1f}" if ref else "-",
               f"{ref / us['eager']:.2f}" if ref else "-", f"{ref / us['compiled']:.2f}" if ref else "-"]
        if args.torch_compile:
            tc = us.get("torch.compile")
            row.insert(5, f"{tc:.1f}" if tc else "-")
        rows.append(row)
        results.append({"case": name, "threads": threads, "us": us,
                        "clock": "cpu_clock" if args.cpu_time else "perf_counter"})
    header = ["case (us per call)", "threads", "nnengine eager", "nnengine compiled", "torch eager"]
    if args.torch_compile:
        header.append("torch.compile")
    header += ["ratio eager", "ratio compiled"]
    clock = "CPU time" if args.cpu_time else "wall clock"
    print_table(f"per-call overhead ({clock}): ratio = torch eager time / nnengine time", header, rows)
    print("json:", write_json("bench_overhead", results, args.json))
    return 0


if __name__ == "__main__":
    sys.exit(main())
