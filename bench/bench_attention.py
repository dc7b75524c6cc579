"""nn.MultiheadAttention forward and forward+backward vs torch.nn.MultiheadAttention, 1 and 2 threads.

Self-attention (query = key = value), torch's weights copied in, need_weights=False (both engines then skip
returning averaged weights; torch runs its scaled_dot_product_attention path). Interleaves nnengine and torch
(A, B, A, B ...) in one process and reports medians and the ratio torch / nnengine (> 1: nnengine is faster).
FLOPs count the projections (in 3E^2, out E^2 per token) and the two attention products (2 L S E per
sequence), forward; fwd+bwd counts 3x. The SDPA rows time the attention core alone (scores, softmax, weighted
sum and their backward) against torch's scaled_dot_product_attention. Writes bench/results/bench_attention.json.

    python bench/bench_attention.py [--quick] [--rounds 7] [--threads 1 2] [--only mha sdpa] [--cpu-time]
                                    [--json PATH] [--seq 128] [--batch 16] [--embed 256] [--heads 8]

--cpu-time: time by the CPU time the process got (thread CPU time at 1 thread, process CPU time divided by
the thread count otherwise), for a machine shared with other work; torch's spinning threads count as its time.
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


def main() -> None:
    ap = bench_parser(__doc__, ["mha", "sdpa"], rounds=7)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--embed", type=int, default=256)
    ap.add_argument("--heads", type=int, default=8)
    args = ap.parse_args()
    L, N, E, H = args.seq, args.batch, args.embed, args.heads
    torch = try_torch()
    m = nn.MultiheadAttention(E, H)
    x = np.random.default_rng(0).standard_normal((L, N, E)).astype(np.float32)
    xn = ne.tensor(x)
    if torch is not None:
        torch.manual_seed(0)
        tm = torch.nn.MultiheadAttention(E, H)
        m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
        xt = torch.tensor(x)

    def ne_fwd():
        with ne.no_grad():
            m(xn, xn, xn, need_weights=False)

    def ne_fb():
        xi = ne.tensor(x, requires_grad=True)
        out, _ = m(xi, xi, xi, need_weights=False)
        out.sum().backward()

    def t_fwd():
        with torch.no_grad():
            tm(xt, xt, xt, need_weights=False)

    def t_fb():
        xi = xt.clone().requires_grad_(True)
        out, _ = tm(xi, xi, xi, need_weights=False)
        out.sum().backward()

    D = E // H
    qh = np.random.default_rng(1).standard_normal((N, H, L, D)).astype(np.float32)

    def ne_sdpa():
        with ne.no_grad():
            F.scaled_dot_product_attention(ne.tensor(qh), ne.tensor(qh), ne.tensor(qh))

    def ne_sdpa_fb():
        qi = ne.tensor(qh, requires_grad=True)
        F.scaled_dot_product_attention(qi, qi, qi).sum().backward()

    def t_sdpa():
        with torch.no_grad():
            torch.nn.functional.scaled_dot_product_attention(qt, qt, qt)

    def t_sdpa_fb():
        qi = qt.clone().requires_grad_(True)
        torch.nn.functional.scaled_dot_product_attention(qi, qi, qi).sum().backward()

    if torch is not None:
        qt = torch.tensor(qh)
    mha_flops = N * L * 2 * 4 * E * E + N * 2 * 2 * L * L * E
    cases = [("mha", f"MHA L{L} N{N} E{E} H{H}", mha_flops, ("fwd", ne_fwd, t_fwd, 1), ("fwd+bwd", ne_fb, t_fb, 3)),
             ("sdpa", f"SDPA ({N}, {H}, {L}, {D})", N * 2 * 2 * L * L * E, ("fwd", ne_sdpa, t_sdpa, 1),
              ("fwd+bwd", ne_sdpa_fb, t_sdpa_fb, 3))]
    cases = [c[1:] for c in cases if not args.only or c[0] in args.only]
    rows, results = [], []
    for (name, flops, *passes), threads in ((c, t) for c in cases for t in args.threads):
        ne.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
        for kind, a, b, mult in passes:
            fns = {"nnengine": a}
            if torch is not None:
                fns["torch"] = b
            clock = cpu_clock(threads) if args.cpu_time else time.perf_counter
            times = timeit_interleaved(fns, rounds=args.rounds, clock=clock)
            tn, tt = times["nnengine"], times.get("torch", float("nan"))
            rows.append([name, threads, kind, tn * 1e3, mult * flops / tn / 1e9, tt * 1e3, tt / tn])
            results.append(dict(case=name, threads=threads, kind=kind, nnengine_ms=tn * 1e3, torch_ms=tt * 1e3,
                                ratio=tt / tn, gflops=mult * flops / tn / 1e9, cpu_time=args.cpu_time))
    print_table("MultiheadAttention (self-attention, need_weights=False) and the attention core alone (SDPA)",
                ["case", "threads", "pass", "nnengine ms", "GFLOP/s", "torch ms", "torch/ne"], rows)
    path = write_json("bench_attention", dict(isa=ne.backend.isa(), torch=getattr(torch, "__version__", None),
                                              rows=results), args.json)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
