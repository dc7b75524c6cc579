"""Benchmark helpers: interleaved A/B timing with medians, a table printer and JSON output; the command line
every bench shares (``bench_parser``: --quick, --threads, --rounds, --only, --cpu-time, --json) and two
harnesses: ``run_groups`` (groups of (nnengine fn, torch fn, flops) cases, medians of ``timeit`` per round) and
``run_passes`` (forward and forward+backward of one layer by ``timeit_interleaved``, with the bandwidth)."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


# torch's OpenMP workers (its bundled libgomp) go on spinning on a core for about 10-12 ms after each parallel call
# (measured 2026-12-07 on a 2-vCPU AMD EPYC, torch 2.13 at 2 threads: ~0.8 cores busy for 10 ms after an LSTM
# forward, then asleep): an engine timed right after torch's round would share its cores with that spinning
# (nnengine's LSTM at 2 threads: 6.0 ms with the pause, 7.8 ms without). Every timed round starts after this pause,
# whichever engine it times; an engine's own consecutive calls within a round keep their natural state.
SETTLE_S = 0.03


def settle() -> None:
    """Wait until the other engine's spin-waiting threads have gone to sleep (see ``SETTLE_S``)."""
    time.sleep(SETTLE_S)


def try_torch():
    try:
        import torch  # noqa: F401

        return torch
    except ImportError:
        return None


def cpu_clock(threads: int) -> Callable[[], float]:
    """The clock of ``--cpu-time`` runs: the thread's CPU time at 1 thread, the process CPU time divided by the
    thread count above (a machine shared with other work then does not count the time slices it takes;
    threads waiting asleep count nothing, threads spinning count in full: torch's threads spin waiting for
    work, which it counts as CPU time)."""
    return time.thread_time if threads == 1 else (lambda: time.process_time() / threads)


def timeit_interleaved(fns: Dict[str, Callable[[], object]], rounds: int = 7, min_time: float = 0.05,
                       warmup: int = 2, clock: Callable[[], float] = time.perf_counter,
                       clocks: Optional[Dict[str, Callable[[], float]]] = None) -> Dict[str, float]:
    """Median seconds per call of each fn, interleaving engines round by round (A, B, A, B...).

    ``clock`` times the rounds (wall clock by default; ``time.thread_time`` or ``time.process_time``
    count only the CPU time the process got, for a machine shared with other work); ``clocks`` gives
    some fns another one (a single-threaded probe next to threaded engines)."""
    reps = {}
    for name, fn in fns.items():
        for _ in range(warmup):
            fn()
        t0 = time.perf_counter()
        n = 0
        while time.perf_counter() - t0 < min_time or n == 0:
            fn()
            n += 1
        reps[name] = max(1, n)
    samples: Dict[str, List[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            c = (clocks or {}).get(name, clock)
            settle()
            t0 = c()
            for _ in range(reps[name]):
                fn()
            samples[name].append((c() - t0) / reps[name])
    return {k: statistics.median(v) for k, v in samples.items()}


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in header]] + [[f"{c:.3g}" if isinstance(c, float) else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(cells[0], widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in cells[1:]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")


def write_json(name: str, payload: object, path: Optional[str] = None) -> str:
    path = path or os.path.join(RESULTS_DIR, f"{name}.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(payload, f, indent=2)
    os.replace(tmp, path)
    return path


def timeit(fn: Callable[[], object], min_time: float = 0.2, max_reps: int = 50,
           clock: Callable[[], float] = time.perf_counter, batch_time: float = 0.0) -> float:
    """Median seconds per call (by ``clock``) over repetitions lasting about min_time of wall time (after one
    warm-up call). batch_time > 0: each repetition is a batch of calls lasting at least that long by ``clock``
    (the process CPU clock sees the other threads' time only at scheduler ticks, so single short calls
    undercount it). Starts after ``settle()``."""
    settle()
    fn()
    n = 1
    if batch_time > 0:
        t = clock()
        fn()
        n = max(1, int(np.ceil(batch_time / max(clock() - t, 1e-6))))
    ts: List[float] = []
    start = time.perf_counter()
    while len(ts) < 3 or (time.perf_counter() - start < min_time and len(ts) < max_reps):
        t = clock()
        for _ in range(n):
            fn()
        ts.append((clock() - t) / n)
    return float(np.median(ts))


class BenchParser(argparse.ArgumentParser):
    """``bench_parser``'s parser: ``parse_args`` fills in the bench's defaults and applies --quick."""

    def parse_args(self, args=None, namespace=None):
        ns = super().parse_args(args, namespace)
        threads, rounds, quick_rounds = ns.bench_defaults
        del ns.bench_defaults
        if ns.threads is None:
            ns.threads = [1] if ns.quick else threads
        if ns.rounds is None:
            ns.rounds = quick_rounds if ns.quick else rounds
        if not hasattr(ns, "only"):
            ns.only = None  # a bench without row groups: everything runs
        return ns


def skip(bench: str, reason: str) -> None:
    """Leave a bench that cannot run on this machine (no bf16 kernels, no mpiexec, no torch): say why and exit
    with status 0, so ``nnengine bench`` goes on to the next one (a bench that fails still fails it)."""
    print(f"{bench}: skipped: {reason}", flush=True)
    raise SystemExit(0)


def bench_parser(doc: str, groups: Optional[Sequence[str]] = None, rounds: Optional[int] = 5,
                 threads: Sequence[int] = (1, 2), quick_rounds: Optional[int] = 1) -> BenchParser:
    """The command line every bench shares: --quick, --threads, --rounds, --only (some of ``groups``, the bench's
    row groups), --cpu-time, --json. ``rounds`` / ``threads``: the bench's defaults; --quick (what ``nnengine
    bench`` runs) makes them ``quick_rounds`` and one thread, unless given. A bench adds its own options to the
    parser it gets; its ``parse_args()`` returns ``only`` None when every group runs."""
    ap = BenchParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run (`nnengine bench`): fewer rounds and cases, one thread unless --threads")
    ap.add_argument("--threads", type=int, nargs="+", default=None,
                    help=f"thread counts to run (default: {' '.join(map(str, threads))})")
    ap.add_argument("--rounds", type=int, default=None,
                    help="interleaved rounds per case, medians over them" + (f" (default: {rounds})" if rounds else ""))
    if groups:
        ap.add_argument("--only", choices=list(groups), nargs="+", help="only these row groups")
    ap.add_argument("--cpu-time", action="store_true",
                    help="time by CPU time (cpu_clock), not the wall clock, on a machine shared with other work")
    ap.add_argument("--json", default=None, metavar="PATH",
                    help="where to write the JSON results (default: bench/results/<bench>.json)")
    ap.set_defaults(bench_defaults=(list(threads), rounds, quick_rounds))
    return ap


def run_groups(groups: Dict[str, Callable[[], Dict[str, tuple]]], only, threads, rounds: int,
               json_name: Optional[str], single_shot=(), cpu_time: bool = False,
               json_path: Optional[str] = None) -> List[dict]:
    """Time every case of every group (nnengine and torch interleaved, medians over rounds) at each thread count,
    print the table, write bench/results/<json_name>.json (or json_path; when a name is given) and return the records. Groups in
    ``single_shot`` are timed one call per round (epoch-long cases). Cases are (nnengine fn, torch fn, flops:
    > 0 FLOPs, < 0 -samples, 0 none). cpu_time: time by ``cpu_clock``, at 2+ threads over batches of calls of
    at least 20 ms (the process CPU clock adds the other threads' time only at scheduler ticks)."""
    import torch

    import nnengine as ne

    results = []
    print(f"{'workload':56s} {'thr':>3s} {'nnengine ms':>12s} {'torch ms':>10s} {'ratio':>7s}  note")
    for gname, make in groups.items():
        if only and gname not in only:
            continue
        cases = make()
        one = gname in single_shot
        for nt in threads:
            ne.set_num_threads(nt)
            torch.set_num_threads(nt)
            clock, batch = time.perf_counter, 0.0
            if cpu_time:
                clock, batch = cpu_clock(nt), (0.0 if nt == 1 else 0.02)
            for name, (fn_ne, fn_t, flops) in cases.items():
                a, b = [], []
                min_time = 0.0 if one else 0.2
                for _ in range(max(1, rounds // 2) if one else rounds):
                    a.append(timeit(fn_ne, min_time, 1 if one else 50, clock, batch))
                    b.append(timeit(fn_t, min_time, 1 if one else 50, clock, batch))
                tn, tt = float(np.median(a)), float(np.median(b))
                note = ""
                if flops > 0:
                    note = f"{flops / tn / 1e9:.0f} vs {flops / tt / 1e9:.0f} GFLOP/s"
                elif flops < 0:
                    note = f"{-flops / tn:,.0f} vs {-flops / tt:,.0f} samples/s"
                print(f"{name:56s} {nt:3d} {tn * 1e3:12.3f} {tt * 1e3:10.3f} {tt / tn:7.2f}  {note}", flush=True)
                results.append({"workload": name, "threads": nt, "nnengine_s": tn, "torch_s": tt, "ratio": tt / tn,
                                "cpu_time": cpu_time})
    if json_name:
        out = write_json(json_name, {"isa": ne.backend.isa(), "results": results}, json_path)
        print(f"wrote {out}")
    return results


def run_passes(cases, torch, rounds: int, threads: Sequence[int], cpu_time: bool = False):
    """Forward and forward+backward of each case (name, x, nnengine fn, torch fn or None) at each thread count,
    nnengine and torch interleaved by ``timeit_interleaved`` (medians over ``rounds``); bandwidth counts the
    bytes each pass must move (fwd: read x, write y; fwd+bwd adds read dy, x, write dx). Returns the table rows
    and the JSON records."""
    import nnengine as ne

    rows: list = []
    results: list = []
    for name, x, fn_ne, fn_t in cases:
        xn, g = ne.tensor(x), np.ones_like(x)
        xt = torch.tensor(x) if torch is not None else None
        gt = torch.tensor(g) if torch is not None else None

        def ne_fwd(fn_ne=fn_ne, xn=xn):
            with ne.no_grad():
                fn_ne(xn)

        def ne_fb(fn_ne=fn_ne, x=x, g=g):
            xi = ne.tensor(x, requires_grad=True)
            fn_ne(xi).backward(g)

        def t_fwd(fn_t=fn_t, xt=xt):
            with torch.no_grad():
                fn_t(xt)

        def t_fb(fn_t=fn_t, xt=xt, gt=gt):
            xi = xt.clone().requires_grad_(True)
            fn_t(xi).backward(gt)

        for nt in threads:
            ne.set_num_threads(nt)
            if torch is not None:
                torch.set_num_threads(nt)
            clock = cpu_clock(nt) if cpu_time else time.perf_counter
            for pas, a, b, moved in (("fwd", ne_fwd, t_fwd, 2), ("fwd+bwd", ne_fb, t_fb, 5)):
                fns = {"nnengine": a}
                if torch is not None:
                    fns["torch"] = b
                times = timeit_interleaved(fns, rounds=rounds, clock=clock)
                tn, tt = times["nnengine"], times.get("torch", float("nan"))
                rows.append([name, nt, pas, tn * 1e3, moved * x.nbytes / tn / 1e9, tt * 1e3, tt / tn])
                results.append(dict(workload=f"{name} {pas}", threads=nt, nnengine_s=tn, torch_s=tt, ratio=tt / tn,
                                    gb_per_s=moved * x.nbytes / tn / 1e9, cpu_time=cpu_time))
    return rows, results


PASS_HEADER = ["case", "threads", "pass", "nnengine ms", "GB/s", "torch ms", "torch/ne"]


def conv_cases(torch, rng, table, ne_fn, t_fn, spatial: int, transposed: bool = False) -> Dict[str, tuple]:
    """run_groups cases "<name> fwd" and "<name> fwd+bwd" for each convolution of ``table`` (name: (N, C, L, K,
    k, stride, padding), square planes L x L when spatial == 2): ``ne_fn`` / ``t_fn`` called as (x, w, b,
    stride, padding), bias zero, weights x0.1, dy ones. FLOPs: a convolution's every output meets C*k^spatial
    taps; a transposed one's every input element meets K*k^spatial."""
    import nnengine as ne

    cases = {}
    for name, (N, C, L, K, k, s, p) in table.items():
        x = rng.standard_normal((N, C) + (L,) * spatial, dtype=np.float32)
        w = rng.standard_normal(((C, K) if transposed else (K, C)) + (k,) * spatial, dtype=np.float32) * 0.1
        b = np.zeros(K, np.float32)
        xn, wn, bn = (ne.Tensor(a, requires_grad=True) for a in (x, w, b))
        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        with ne.no_grad():
            gy = np.ones(ne_fn(xn, wn, bn, s, p).shape, np.float32)
        gyt = torch.tensor(gy)

        def ne_f(xn=xn, wn=wn, bn=bn, s=s, p=p):
            with ne.no_grad():
                ne_fn(xn, wn, bn, s, p)

        def t_f(xt=xt, wt=wt, bt=bt, s=s, p=p):
            with torch.no_grad():
                t_fn(xt, wt, bt, s, p)

        def ne_fb(xn=xn, wn=wn, bn=bn, s=s, p=p, gy=gy):
            xn.grad = wn.grad = bn.grad = None
            ne_fn(xn, wn, bn, s, p).backward(gy)

        def t_fb(xt=xt, wt=wt, bt=bt, s=s, p=p, gy=gyt):
            xt.grad = wt.grad = bt.grad = None
            t_fn(xt, wt, bt, s, p).backward(gy)

        flops = 2 * int(np.prod(x.shape)) * K * k**spatial if transposed else 2 * int(np.prod(gy.shape)) * C * k**spatial
        cases[name + " fwd"] = (ne_f, t_f, flops)
        cases[name + " fwd+bwd"] = (ne_fb, t_fb, 3 * flops)
    return cases
