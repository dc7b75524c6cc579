"""layernorm family benchmark: LayerNorm over the last dimension (transformer shapes: (tokens, E)), elementwise
affine with torch's weights, forward and forward+backward vs torch, at 1 and 2 threads. Interleaves nnengine
and torch (A, B, A, B ...) in one process and reports medians and the ratio torch / nnengine (> 1: nnengine is
faster). Bandwidth counts the bytes each pass must move (fwd: read x, write y; fwd+bwd adds read dy, x,
write dx). Writes bench/results/bench_layernorm.json.

    python bench/bench_layernorm.py [--rounds 7] [--threads 1 2] [--cpu-time]

--cpu-time: time rounds by CPU time (bench/_common.py cpu_clock), for a machine shared with other work.
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import PASS_HEADER, bench_parser, print_table, run_passes, try_torch, write_json  # noqa: E402

import nnengine as ne  # noqa: E402
from nnengine import nn  # noqa: E402

SHAPES = [(2048, 256), (4096, 1024)]


def layernorm_cases(torch) -> list:
    cases = []
    for shape in SHAPES:
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        m = nn.LayerNorm(shape[-1])
        tm = torch.nn.LayerNorm(shape[-1]) if torch is not None else None
        if tm is not None:
            m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
        cases.append((f"LayerNorm {shape[0]}x{shape[1]}", x, m, tm))
    return cases


def main() -> None:
    args = bench_parser(__doc__, ["layernorm"], rounds=7).parse_args()
    torch = try_torch()
    rows, results = run_passes(layernorm_cases(torch), torch, args.rounds, args.threads, args.cpu_time)
    print_table("LayerNorm (float32)", PASS_HEADER, rows)
    path = write_json("bench_layernorm", dict(isa=ne.backend.isa(), torch=getattr(torch, "__version__", None),
                                              results=results), args.json)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
