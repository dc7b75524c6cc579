"""LayerNorm and GELU forward and forward+backward vs torch, 1 and 2 threads.

LayerNorm over the last dimension (transformer shapes: (tokens, E)), elementwise affine, torch's weights;
GELU (erf form and tanh form) on the same tensors. Interleaves nnengine and torch (A, B, A, B ...) in one
process and reports medians and the ratio torch / nnengine (> 1: nnengine is faster). Bandwidth counts the
bytes each pass must move (LayerNorm fwd: read x, write y; fwd+bwd adds read dy, x, write dx). Writes
bench/results/bench_norm_act.json.

    python bench/bench_norm_act.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import print_table, timeit_interleaved, try_torch, write_json  # noqa: E402

import nnengine as ne  # noqa: E402
import nnengine.functional as F  # noqa: E402
from nnengine import nn  # noqa: E402

CASES = [("LayerNorm", (2048, 256)), ("LayerNorm", (4096, 1024)), ("GELU", (2048, 1024)), ("GELU-tanh", (2048, 1024))]


def _pair(kind: str, shape: tuple, torch):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    if kind == "LayerNorm":
        m = nn.LayerNorm(shape[-1])
        tm = torch.nn.LayerNorm(shape[-1]) if torch is not None else None
        if tm is not None:
            m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
        fn_ne, fn_t = m, tm
    else:
        approx = "tanh" if kind == "GELU-tanh" else "none"
        fn_ne = lambda t: F.gelu(t, approximate=approx)  # noqa: E731
        fn_t = (lambda t: torch.nn.functional.gelu(t, approximate=approx)) if torch is not None else None
    return x, fn_ne, fn_t


def _bench_case(kind: str, shape: tuple, torch, rounds: int, rows: list, results: list) -> None:
    x, fn_ne, fn_t = _pair(kind, shape, torch)
    xn, g = ne.tensor(x), np.ones_like(x)
    xt = torch.tensor(x) if torch is not None else None
    gt = torch.tensor(g) if torch is not None else None

    def ne_fwd():
        with ne.no_grad():
            fn_ne(xn)

    def ne_fb():
        xi = ne.tensor(x, requires_grad=True)
        fn_ne(xi).backward(g)

    def t_fwd():
        with torch.no_grad():
            fn_t(xt)

    def t_fb():
        xi = xt.clone().requires_grad_(True)
        fn_t(xi).backward(gt)

    name = f"{kind} {shape[0]}x{shape[1]}"
    for threads in (1, 2):
        ne.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
        for pas, a, b, moved in (("fwd", ne_fwd, t_fwd, 2), ("fwd+bwd", ne_fb, t_fb, 5)):
            fns = {"nnengine": a}
            if torch is not None:
                fns["torch"] = b
            times = timeit_interleaved(fns, rounds=rounds)
            tn, tt = times["nnengine"], times.get("torch", float("nan"))
            rows.append([name, threads, pas, tn * 1e3, moved * x.nbytes / tn / 1e9, tt * 1e3, tt / tn])
            results.append(dict(case=name, threads=threads, kind=pas, nnengine_ms=tn * 1e3, torch_ms=tt * 1e3,
                                ratio=tt / tn, gb_per_s=moved * x.nbytes / tn / 1e9))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    torch = try_torch()
    rows: list = []
    results: list = []
    for kind, shape in CASES:
        _bench_case(kind, shape, torch, args.rounds, rows, results)
    print_table("LayerNorm / GELU (float32)",
                ["case", "threads", "pass", "nnengine ms", "GB/s", "torch ms", "torch/ne"], rows)
    path = write_json("bench_norm_act", dict(isa=ne.backend.isa(), torch=getattr(torch, "__version__", None),
                                             rows=results))
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
