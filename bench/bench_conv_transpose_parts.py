"""Per-pass CPU time of the strided DCGAN ConvTranspose2d layers (batch 64), nnengine vs PyTorch, in one process,
interleaved, medians over rounds: the forward and the backward (all three gradients) apart, each also in its
"before" form (the forward with L3 described as huge: one block of images; the two backward kernels called
separately).
Wall time, or with --cpu-time bench/_common.py's cpu_clock (the thread's CPU time at 1 thread). Writes
bench/results/bench_conv_transpose_parts.json.

    python bench/bench_conv_transpose_parts.py --rounds 9 --cpu-time
    python bench/bench_conv_transpose_parts.py --threads 2 [--quick] [--only 512->256 ...] [--json PATH]

Prints one line per layer: milliseconds and ratios torch / nnengine (> 1: nnengine faster).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from typing import Callable, Dict, List

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import bench_parser, cpu_clock, settle, write_json  # noqa: E402

import nnengine as ne  # noqa: E402
from nnengine import _core  # noqa: E402

# name: (N, C, H, K); kernel 4, stride 2, padding 1
LAYERS = {"512->256": (64, 512, 4, 256), "256->128": (64, 256, 8, 128), "128->64": (64, 128, 16, 64)}
ARGS = ((2, 2), (1, 1), (0, 0), (1, 1), 1)


def _one_gemm_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> None:
    ne.backend.set_cache_sizes(l3=1 << 34)  # one block of images
    try:
        _core.conv_transpose2d_forward(x, w, b, *ARGS)
    finally:
        ne.backend.set_cache_sizes()


def _layer(torch, name: str, shape: tuple, threads: int, rounds: int, rng: np.random.Generator,
           clock=time.perf_counter) -> tuple:
    """One layer's line and its medians (ms) by ``clock``."""
    N, C, H, K = shape
    x = rng.standard_normal((N, C, H, H), dtype=np.float32)
    w = rng.standard_normal((C, K, 4, 4), dtype=np.float32) * 0.1
    b = np.zeros(K, np.float32)
    dy = rng.standard_normal((N, K, 2 * H, 2 * H), dtype=np.float32)
    xt, wt, bt, dyt = map(torch.tensor, (x, w, b, dy))
    fns: Dict[str, Callable[[], object]] = {
        "fwd before": lambda: _one_gemm_forward(x, w, b),
        "fwd": lambda: _core.conv_transpose2d_forward(x, w, b, *ARGS),
        "fwd torch": lambda: torch.nn.functional.conv_transpose2d(xt, wt, bt, 2, 1),
        "bwd before": lambda: (_core.conv_transpose2d_backward_data(dy, w, (H, H), *ARGS),
                               _core.conv_transpose2d_backward_weights(dy, x, (4, 4), *ARGS)),
        "bwd": lambda: _core.conv_transpose2d_backward(dy, x, w, *ARGS),
        "bwd torch": lambda: torch.ops.aten.convolution_backward(
            dyt, xt, wt, [K], [2, 2], [1, 1], [1, 1], True, [0, 0], 1, [True, True, True]),
    }
    times: Dict[str, List[float]] = {k: [] for k in fns}
    for f in fns.values():
        f()
    for _ in range(rounds):
        for k, f in fns.items():
            settle()
            t = clock()
            f()
            times[k].append(clock() - t)
    m = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    fb_torch = m["fwd torch"] + m["bwd torch"]
    return m, (f"{threads} thr {name}: fwd {m['fwd before']:.1f} -> {m['fwd']:.1f} ms (torch {m['fwd torch']:.1f}; "
            f"ratio {m['fwd torch'] / m['fwd before']:.2f} -> {m['fwd torch'] / m['fwd']:.2f}), "
            f"bwd {m['bwd before']:.1f} -> {m['bwd']:.1f} ms (torch {m['bwd torch']:.1f}; "
            f"ratio {m['bwd torch'] / m['bwd before']:.2f} -> {m['bwd torch'] / m['bwd']:.2f}), "
            f"fwd+bwd ratio {fb_torch / (m['fwd before'] + m['bwd before']):.2f} -> "
            f"{fb_torch / (m['fwd'] + m['bwd']):.2f}")


def main() -> None:
    args = bench_parser(__doc__, list(LAYERS), rounds=9, threads=[1]).parse_args()
    import torch

    records = []
    for threads in args.threads:
        ne.set_num_threads(threads)
        torch.set_num_threads(threads)
        clock = cpu_clock(threads) if args.cpu_time else time.perf_counter
        rng = np.random.default_rng(0)
        for name, shape in LAYERS.items():
            if args.only and name not in args.only:
                continue
            m, line = _layer(torch, name, shape, threads, args.rounds, rng, clock)
            print(line, flush=True)
            records.append({"layer": name, "threads": threads, "ms": m, "cpu_time": args.cpu_time})
    print("wrote", write_json("bench_conv_transpose_parts", {"isa": ne.backend.isa(), "results": records}, args.json))


if __name__ == "__main__":
    main()
