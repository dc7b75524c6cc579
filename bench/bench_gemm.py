"""SGEMM GFLOP/s: nnengine vs torch.mm (MKL) side by side, 1 and 2 threads. Shapes marked (B^T) multiply
by a transposed B, the layout of a Linear layer's weight.

Usage: python bench/bench_gemm.py [--quick] [--rounds 7] [--threads 1 2] [--only square layers linear] [--cpu-time]
                                  [--json PATH] [--cold] [--sizes 1024,2048]

--only: square products, the layers' shapes (conv, LSTM, MLP), Linear's x @ W^T.

Every row also times an FMA-throughput probe (_core.fma_probe: independent vector FMAs, no memory) in the
same interleaved rounds, and prints each engine's GFLOP/s as a percentage of that ceiling.

--cold: every call gets another B from a rotation of ~64 MB (B comes from L3/memory, as a convolution's
input does), instead of the same B again (hot in cache).

--cpu-time: time rounds by the CPU time the process got instead of the wall clock (thread CPU time at 1
thread, process CPU time divided by the thread count at 2), for the probe as for the products, so a
machine shared with other work does not count the time slices it takes. % of peak stays a same-run
ratio; it no longer sees threads waiting for a core.

--sizes: only the square products n x n x n of these sizes.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import bench_parser, cpu_clock, print_table, timeit_interleaved, try_torch, write_json  # noqa: E402

import nnengine as ne  # noqa: E402
from nnengine import _core  # noqa: E402

SHAPES = [(256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048),
          (64, 3136, 576),   # conv 64->64 3x3 on 56x56 (im2col), per image
          (3136, 576, 64),   # its weight gradient, transposed view
          (512, 32, 128),    # LSTM gates, 4H x B x I
          (32, 512, 128),    # LSTM gates, B x 4H x H
          (128, 256, 784),   # MLP layer 1, batch 128
          (128, 10, 128),    # MLP head
          # as Linear runs them: x @ W^T with W stored (out, in)
          (128, 256, 784, "T"),  # MLP layer 1, batch 128
          (8, 256, 784, "T"),    # batch-8 inference
          (1, 512, 512, "T")]    # batch-1 inference
GROUPS = {"square": SHAPES[:4], "layers": SHAPES[4:10], "linear": SHAPES[10:]}


def main() -> None:
    ap = bench_parser(__doc__, list(GROUPS), rounds=7, quick_rounds=3)
    ap.add_argument("--cold", action="store_true", help="a different B every call (~64 MB rotation)")
    ap.add_argument("--sizes", default=None, help="comma-separated n: only n x n x n products")
    args = ap.parse_args()
    torch = try_torch()
    shapes = [s for g, group in GROUPS.items() if not args.only or g in args.only for s in group]
    if args.quick:
        shapes = [s for s in shapes if s in SHAPES[:2] + SHAPES[4:6]]
    if args.sizes:
        shapes = [(n, n, n) for n in (int(v) for v in args.sizes.split(","))]
    rows, records = [], []
    for threads in args.threads:
        ne.set_num_threads(threads)
        if torch:
            torch.set_num_threads(threads)
        clock = cpu_clock(threads) if args.cpu_time else time.perf_counter
        for M, N, K, *layout in shapes:
            trans_b = layout == ["T"]
            rng = np.random.default_rng(0)
            a = rng.standard_normal((M, K)).astype(np.float32)
            nb = max(2, int(64e6 / (4 * K * N))) if args.cold else 1
            bs = [rng.standard_normal((N, K) if trans_b else (K, N)).astype(np.float32) for _ in range(nb)]
            c = np.empty((M, N), np.float32)

            def run_ne(a=a, bs=bs, c=c, t=trans_b):
                for b in bs:
                    _core.gemm(a, b, False, t, c=c)

            probe_iters = 200_000  # ~1-3 ms per call on one thread of a current x86 core

            def run_probe(n=probe_iters):
                _core.fma_probe(n)

            fns = {"nnengine": run_ne, "fma probe": run_probe}
            if torch:
                ta, tc = torch.from_numpy(a), torch.from_numpy(c)
                tbs = [torch.from_numpy(b).t() if trans_b else torch.from_numpy(b) for b in bs]

                def run_torch(ta=ta, tbs=tbs, tc=tc):
                    for tb in tbs:
                        torch.mm(ta, tb, out=tc)

                fns["torch"] = run_torch
            t = timeit_interleaved(fns, rounds=args.rounds, clock=clock)
            flops = 2.0 * M * N * K * nb
            g_ne = flops / t["nnengine"] / 1e9
            g_t = flops / t["torch"] / 1e9 if torch else float("nan")
            ratio = g_ne / g_t if torch else float("nan")
            peak = _core.fma_probe(1)[0] * probe_iters / t["fma probe"] / 1e9
            name = f"{M}x{N}x{K}" + (" (B^T)" if trans_b else "")
            rows.append([threads, name, g_ne, f"{100 * g_ne / peak:.0f}%", g_t, f"{100 * g_t / peak:.0f}%", peak, ratio])
            records.append({"threads": threads, "M": M, "N": N, "K": K, "trans_b": trans_b, "cold": args.cold,
                            "cpu_time": args.cpu_time,
                            "nnengine_gflops": g_ne,
                            "torch_gflops": g_t, "fma_peak_gflops": peak, "ratio": ratio})
    timing = "CPU time" if args.cpu_time else "wall clock"
    print_table(f"SGEMM GFLOP/s (isa={ne.backend.isa()}, B {'cold' if args.cold else 'hot'}, {timing}; "
                "ratio > 1 means nnengine is faster)",
                ["threads", "MxNxK", "nnengine", "of peak", "torch", "of peak", "FMA peak", "ratio"], rows)
    print("wrote", write_json("gemm_cold" if args.cold else "gemm", records, args.json))


if __name__ == "__main__":
    main()
