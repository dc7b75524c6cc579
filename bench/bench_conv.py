"""CNN benchmark: conv2d (fwd, fwd+bwd), pooling, activations and a LeNet-5 training epoch, nnengine vs
PyTorch interleaved in one process (A, B, A, B, ...), medians over rounds, at 1 and 2 threads.

    python bench/bench_conv.py                  # everything, 1 and 2 threads
    python bench/bench_conv.py --only conv --threads 1 --rounds 3

Prints a table (ratio = torch time / nnengine time: > 1 means nnengine is faster) and writes
bench/results/bench_conv.json.

--cpu-time: time calls by the CPU time the process got instead of the wall clock (thread CPU time at 1
thread, process CPU time divided by the thread count at 2), as bench_gemm.py does, so a machine shared
with other work does not count the time slices it takes; it no longer sees threads waiting for a core
(nor the time torch's threads spin waiting for work, which it counts as CPU time). At 2 threads each sample
is a batch of calls lasting at least 20 ms of CPU time: the process CPU clock adds the other threads' time only
at scheduler ticks, so one short call alone undercounts it.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Callable, Dict, List

import numpy as np

import nnengine as ne
import nnengine.functional as F

CONVS = {  # name: (N, C, H, W, K, R, stride, padding)
    "conv lenet1 1->6 5x5 28x28 N64": (64, 1, 28, 28, 6, 5, 1, 2),
    "conv lenet2 6->16 5x5 12x12 N64": (64, 6, 12, 12, 16, 5, 1, 0),
    "conv cifar 3->32 3x3 32x32 N128": (128, 3, 32, 32, 32, 3, 1, 1),
    "conv resnet 64->64 3x3 56x56 N32": (32, 64, 56, 56, 64, 3, 1, 1),
    "conv stem 3->64 7x7/2 224x224 N8": (8, 3, 224, 224, 64, 7, 2, 3),
    "conv 1x1 256->64 56x56 N8": (8, 256, 56, 56, 64, 1, 1, 0),
    "conv 1x1 64->256 56x56 N8": (8, 64, 56, 56, 256, 1, 1, 0),
    "conv 1x1 512->512 7x7 N32": (32, 512, 7, 7, 512, 1, 1, 0),
}


def timeit(fn: Callable[[], object], min_time: float = 0.2, max_reps: int = 50,
           clock: Callable[[], float] = time.perf_counter, batch_time: float = 0.0) -> float:
    """Median seconds per call (by ``clock``) over repetitions lasting about min_time of wall time (after one
    warm-up call). batch_time > 0: each repetition is a batch of calls lasting at least that long by ``clock``
    (the process CPU clock sees the other threads' time only at scheduler ticks, so single short calls
    undercount it)."""
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


def conv_cases(torch, rng) -> Dict[str, tuple]:
    cases = {}
    for name, (N, C, H, W, K, R, s, p) in CONVS.items():
        x = rng.standard_normal((N, C, H, W), dtype=np.float32)
        w = (rng.standard_normal((K, C, R, R), dtype=np.float32) * 0.1)
        b = np.zeros(K, np.float32)
        xn, wn, bn = (ne.Tensor(a, requires_grad=True) for a in (x, w, b))
        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        with ne.no_grad():
            gy = np.ones(F.conv2d(xn, wn, bn, s, p).shape, np.float32)
        gyt = torch.tensor(gy)

        def ne_f(xn=xn, wn=wn, bn=bn, s=s, p=p):
            with ne.no_grad():
                F.conv2d(xn, wn, bn, s, p)

        def t_f(xt=xt, wt=wt, bt=bt, s=s, p=p):
            with torch.no_grad():
                torch.nn.functional.conv2d(xt, wt, bt, s, p)

        def ne_fb(xn=xn, wn=wn, bn=bn, s=s, p=p, gy=gy):
            xn.grad = wn.grad = bn.grad = None
            F.conv2d(xn, wn, bn, s, p).backward(gy)

        def t_fb(xt=xt, wt=wt, bt=bt, s=s, p=p, gy=gyt):
            xt.grad = wt.grad = bt.grad = None
            torch.nn.functional.conv2d(xt, wt, bt, s, p).backward(gy)

        flops = 2 * N * K * gy.shape[2] * gy.shape[3] * C * R * R
        cases[name + " fwd"] = (ne_f, t_f, flops)
        cases[name + " fwd+bwd"] = (ne_fb, t_fb, 3 * flops)
    return cases


def pool_cases(torch, rng) -> Dict[str, tuple]:
    x = rng.standard_normal((64, 64, 56, 56), dtype=np.float32)
    xn, xt = ne.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gy = np.ones((64, 64, 28, 28), np.float32)
    gyt = torch.tensor(gy)
    tF = torch.nn.functional
    cases = {}
    for kind, nf, tf in (("max", F.max_pool2d, tF.max_pool2d), ("avg", F.avg_pool2d, tF.avg_pool2d),
                         ("min", F.min_pool2d, lambda t, *a: -tF.max_pool2d(-t, *a))):
        def ne_f(nf=nf):
            with ne.no_grad():
                nf(xn, 2)

        def t_f(tf=tf):
            with torch.no_grad():
                tf(xt, 2)

        def ne_fb(nf=nf):
            xn.grad = None
            nf(xn, 2).backward(gy)

        def t_fb(tf=tf):
            xt.grad = None
            tf(xt, 2).backward(gyt)

        cases[f"{kind}pool 2x2 64x64x56x56 fwd"] = (ne_f, t_f, 0)
        cases[f"{kind}pool 2x2 64x64x56x56 fwd+bwd"] = (ne_fb, t_fb, 0)

    def ne_3():
        with ne.no_grad():
            F.max_pool2d(xn, 3, 2, 1)

    def t_3():
        with torch.no_grad():
            tF.max_pool2d(xt, 3, 2, 1)

    cases["maxpool 3x3/2 pad 1 64x64x56x56 fwd"] = (ne_3, t_3, 0)
    return cases


def activation_cases(torch, rng) -> Dict[str, tuple]:
    x = rng.standard_normal(1 << 24, dtype=np.float32)
    xn, xt = ne.Tensor(x), torch.tensor(x)
    cases = {}
    for name in ("relu", "sigmoid", "tanh"):
        nf, tf = getattr(F, name), getattr(torch, name)
        cases[f"{name} 16M fwd"] = ((lambda nf=nf: nf(xn)), (lambda tf=tf: tf(xt)), 0)
    return cases


def lenet_cases(torch, rng, samples: int) -> Dict[str, tuple]:
    from nnengine.models import LeNet5

    x = rng.standard_normal((samples, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, samples)
    ne.manual_seed(0)
    mn = LeNet5()
    on = ne.optim.SGD(mn.parameters(), lr=0.01, momentum=0.9)
    tn = torch.nn
    mt = tn.Sequential(tn.Conv2d(1, 6, 5, padding=2), tn.ReLU(), tn.MaxPool2d(2), tn.Conv2d(6, 16, 5), tn.ReLU(),
                       tn.MaxPool2d(2), tn.Flatten(), tn.Linear(400, 120), tn.ReLU(), tn.Linear(120, 84), tn.ReLU(),
                       tn.Linear(84, 10))
    ot = torch.optim.SGD(mt.parameters(), lr=0.01, momentum=0.9)
    xt, yt = torch.tensor(x), torch.tensor(y)

    def ne_epoch():
        for i in range(0, samples, 64):
            loss = F.cross_entropy(mn(ne.Tensor(x[i:i + 64])), y[i:i + 64])
            on.zero_grad()
            loss.backward()
            on.step()

    def t_epoch():
        for i in range(0, samples, 64):
            loss = torch.nn.functional.cross_entropy(mt(xt[i:i + 64]), yt[i:i + 64])
            ot.zero_grad()
            loss.backward()
            ot.step()

    return {f"LeNet-5 train epoch ({samples} samples, batch 64)": (ne_epoch, t_epoch, -samples)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", choices=["conv", "pool", "act", "lenet"], nargs="+")
    ap.add_argument("--epoch-samples", type=int, default=60000, help="samples in the LeNet-5 epoch")
    ap.add_argument("--cpu-time", action="store_true", help="time by process CPU time, not the wall clock")
    args = ap.parse_args()
    import torch

    rng = np.random.default_rng(0)
    groups = {"conv": lambda: conv_cases(torch, rng), "pool": lambda: pool_cases(torch, rng),
              "act": lambda: activation_cases(torch, rng), "lenet": lambda: lenet_cases(torch, rng, args.epoch_samples)}
    run_groups(groups, args.only, args.threads, args.rounds, "bench_conv.json", single_shot=("lenet",),
               cpu_time=args.cpu_time)


def run_groups(groups: Dict[str, Callable[[], Dict[str, tuple]]], only, threads, rounds: int, json_name: str,
               single_shot=(), cpu_time: bool = False) -> None:
    """Time every case of every group (nnengine and torch interleaved, medians over rounds) at each thread count,
    print the table and write bench/results/<json_name>. Groups in ``single_shot`` are timed one call per
    round (epoch-long cases). Cases are (nnengine fn, torch fn, flops: > 0 FLOPs, < 0 -samples, 0 none).
    cpu_time: time by thread CPU time at 1 thread, process CPU time / threads otherwise."""
    import torch

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
                clock = time.thread_time if nt == 1 else (lambda nt=nt: time.process_time() / nt)
                batch = 0.0 if nt == 1 else 0.02
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
    os.makedirs(os.path.join(os.path.dirname(__file__), "results"), exist_ok=True)
    out = os.path.join(os.path.dirname(__file__), "results", json_name)
    with open(out, "w") as f:
        json.dump({"isa": ne.backend.isa(), "results": results}, f, indent=1)
    print(f"wrote {out}")

if __name__ == "__main__":
    main()
