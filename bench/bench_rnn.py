"""RNN / LSTM / GRU forward and forward+backward vs torch.nn.LSTM / RNN / GRU, 1 and 2 threads.

Interleaves nnengine and torch (A, B, A, B ...) in one process and reports medians and the ratio
torch / nnengine (> 1 means nnengine is faster). Writes bench/results/bench_rnn.json.

--cpu-time: time rounds by CPU time (bench/_common.py cpu_clock), for a machine shared with other work.

    python bench/bench_rnn.py [--quick] [--rounds 15] [--threads 1 2] [--only LSTM RNN GRU] [--cpu-time]
                              [--json PATH]
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import bench_parser, cpu_clock, settle, write_json  # noqa: E402

import nnengine as ne  # noqa: E402
from nnengine import nn  # noqa: E402

CASES = [
    # name, mode, seq, batch, input, hidden, layers, bidirectional
    ("LSTM T50 B32 I64 H128", "LSTM", 50, 32, 64, 128, 1, False),
    ("LSTM same, 2-layer bidir", "LSTM", 50, 32, 64, 128, 2, True),
    ("LSTM latency T100 B1 I32 H64", "LSTM", 100, 1, 32, 64, 1, False),
    ("RNN T50 B32 I64 H128", "RNN", 50, 32, 64, 128, 1, False),
    ("RNN same, 2-layer bidir", "RNN", 50, 32, 64, 128, 2, True),
    ("RNN latency T100 B1 I32 H64", "RNN", 100, 1, 32, 64, 1, False),
    ("GRU T50 B32 I64 H128", "GRU", 50, 32, 64, 128, 1, False),
    ("GRU same, 2-layer bidir", "GRU", 50, 32, 64, 128, 2, True),
    ("GRU latency T100 B1 I32 H64", "GRU", 100, 1, 32, 64, 1, False),
]


def _time(fn, reps, clock=time.perf_counter):
    settle()
    t0 = clock()
    for _ in range(reps):
        fn()
    return (clock() - t0) / reps


def run_case(case, threads, rounds, cpu_time=False):
    name, mode, T, B, I, H, L, bi = case
    torch.manual_seed(0)
    tm = getattr(torch.nn, mode)(I, H, num_layers=L, bidirectional=bi)
    m = getattr(nn, mode)(I, H, num_layers=L, bidirectional=bi)
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((T, B, I)).astype(np.float32)
    xt = torch.tensor(x)

    def ne_fwd():
        with ne.no_grad():
            m(ne.tensor(x))

    def t_fwd():
        with torch.no_grad():
            tm(xt)

    def ne_fb():
        xi = ne.tensor(x, requires_grad=True)
        out, _ = m(xi)
        out.sum().backward()

    def t_fb():
        xi = xt.clone().requires_grad_(True)
        out, _ = tm(xi)
        out.sum().backward()

    ne.set_num_threads(threads)
    torch.set_num_threads(threads)
    res = {}
    for kind, a, b in (("fwd", ne_fwd, t_fwd), ("fwd+bwd", ne_fb, t_fb)):
        a(), b()
        per = max(_time(a, 1), _time(b, 1))
        reps = max(1, int(0.05 / max(per, 1e-6)))
        ta, tb = [], []
        clock = cpu_clock(threads) if cpu_time else time.perf_counter
        for _ in range(rounds):
            ta.append(_time(a, reps, clock))
            tb.append(_time(b, reps, clock))
        res[kind] = (float(np.median(ta)) * 1e3, float(np.median(tb)) * 1e3)
    return res


def main():
    args = bench_parser(__doc__, ["LSTM", "RNN", "GRU"], rounds=15).parse_args()
    rows = []
    print("timing:", "CPU time" if args.cpu_time else "wall clock")
    print(f"{'case':32s} {'thr':>3s} {'pass':8s} {'nnengine ms':>12s} {'torch ms':>10s} {'torch/ne':>9s}")
    for case in [c for c in CASES if not args.only or c[1] in args.only]:
        for threads in args.threads:
            res = run_case(case, threads, args.rounds, args.cpu_time)
            for kind, (a, b) in res.items():
                print(f"{case[0]:32s} {threads:3d} {kind:8s} {a:12.3f} {b:10.3f} {b / a:9.2f}")
                rows.append(
                    dict(case=case[0], threads=threads, kind=kind, nnengine_ms=a, torch_ms=b, ratio=b / a)
                )
    path = write_json("bench_rnn", dict(isa=ne.backend.isa(), torch=torch.__version__, cpu_time=args.cpu_time,
                                        rows=rows), args.json)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
