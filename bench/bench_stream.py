"""Many-stream inference: nnengine.stream.StreamRunner vs the same loop written with torch, 1 and 2 threads.

Each tick advances S concurrent sensor streams (8 channels in, hidden 64) by one sample: look up each id's
state slot, gather the states, one batched cell call, scatter the new states back. The torch side runs the
same loop (a dict of slots, state pools as tensors, index_select / torch.nn.LSTMCell or GRUCell /
index_copy_ under no_grad). Reported: median per-tick latency and samples/s (S / tick), interleaved
A/B rounds in one process; ratio = torch time / nnengine time (> 1: nnengine faster).

    python bench/bench_stream.py [--quick] [--rounds 7] [--threads 1 2] [--only LSTM GRU] [--cpu-time] [--json PATH]
                                 [--streams 1 100 10000]

--cpu-time: time rounds by CPU time (bench/_common.py cpu_clock), for a machine shared with other work.
"""

from __future__ import annotations

import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import bench_parser, cpu_clock, print_table, skip, timeit_interleaved, try_torch, write_json  # noqa: E402

import nnengine as ne  # noqa: E402
from nnengine import nn  # noqa: E402
from nnengine.stream import StreamRunner  # noqa: E402

I, H = 8, 64


class TorchRunner:
    """The StreamRunner loop in torch: slot per id, pooled states, gather -> cell -> scatter."""

    def __init__(self, torch, cell, n_states: int, capacity: int) -> None:
        self.torch, self.cell = torch, cell
        self.slot: dict = {}
        self.pools = [torch.zeros(capacity, H) for _ in range(n_states)]

    def step(self, ids, x):
        torch = self.torch
        idx = torch.tensor([self.slot.setdefault(i, len(self.slot)) for i in ids])
        with torch.no_grad():
            st = [p.index_select(0, idx) for p in self.pools]
            out = self.cell(torch.from_numpy(x), tuple(st) if len(st) == 2 else st[0])
            new = out if isinstance(out, tuple) else (out,)
            for p, s in zip(self.pools, new):
                p.index_copy_(0, idx, s)
        return new[0]


def cells(torch):
    return [("LSTM", lambda: nn.LSTMCell(I, H), lambda: torch.nn.LSTMCell(I, H), 2),
            ("GRU", lambda: nn.GRUCell(I, H), lambda: torch.nn.GRUCell(I, H), 1)]


def main() -> None:
    ap = bench_parser(__doc__, ["LSTM", "GRU"], rounds=7)
    ap.add_argument("--streams", type=int, nargs="+", default=None,
                    help="concurrent streams per tick (default: 1 100 10000; 1 100 with --quick)")
    args = ap.parse_args()
    streams = args.streams or ([1, 100] if args.quick else [1, 100, 10_000])
    torch = try_torch()
    if torch is None:
        skip("bench_stream", "torch is needed for the side-by-side loop (pip install torch==2.13.0)")
    rows, records = [], []
    for name, make_ne, make_t, n_states in cells(torch):
        if args.only and name not in args.only:
            continue
        torch.manual_seed(0)
        tcell = make_t()
        ncell = make_ne()
        ncell.load_state_dict({k: v.detach().numpy() for k, v in tcell.state_dict().items()})
        for S in streams:
            ids = list(range(S))
            x = np.random.default_rng(0).standard_normal((S, I)).astype(np.float32)
            runner = StreamRunner(ncell, capacity=S)
            truner = TorchRunner(torch, tcell, n_states, S)
            a = runner.step(ids, x).data
            b = truner.step(ids, x).numpy()
            err = float(np.abs(a - b).max())
            for th in args.threads:
                ne.set_num_threads(th)
                torch.set_num_threads(th)
                t = timeit_interleaved({"nnengine": lambda r=runner, i=ids, v=x: r.step(i, v),
                                        "torch": lambda r=truner, i=ids, v=x: r.step(i, v)}, rounds=args.rounds,
                                       clock=cpu_clock(th) if args.cpu_time else time.perf_counter)
                rows.append([name, S, th, t["nnengine"] * 1e6, t["torch"] * 1e6, S / t["nnengine"], S / t["torch"],
                             t["torch"] / t["nnengine"]])
                records.append({"cell": name, "streams": S, "threads": th, "nnengine_us_per_tick": t["nnengine"] * 1e6,
                                "torch_us_per_tick": t["torch"] * 1e6, "nnengine_samples_per_s": S / t["nnengine"],
                                "torch_samples_per_s": S / t["torch"], "ratio": t["torch"] / t["nnengine"],
                                "max_abs_diff_vs_torch": err, "cpu_time": args.cpu_time})
                print(f"{name} S={S} threads={th}: nnengine {t['nnengine'] * 1e6:.0f} us/tick, torch "
                      f"{t['torch'] * 1e6:.0f} us/tick (max |diff| {err:.1e})", flush=True)
    print_table(f"stream ticks, {I} channels in, hidden {H} (ISA {ne.backend.isa()}, {platform.processor() or '?'})",
                ["cell", "streams", "threads", "nnengine us/tick", "torch us/tick", "nnengine samples/s",
                 "torch samples/s", "torch/ne"], rows)
    path = write_json("bench_stream", {"isa": ne.backend.isa(), "torch": torch.__version__, "input": I,
                                       "hidden": H, "rows": records}, args.json)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
