"""Data-parallel training over MPI: samples/s of LeNet-5 and an LSTM at 1 and 2 ranks, all-reduce bandwidth,
and DDP's non-blocking (overlapped) bucket reduction vs blocking.

Every rank runs with one kernel thread (OMP_NUM_THREADS=1; --threads: other counts per rank) and the same
per-rank batch (weak scaling), so the 2-rank efficiency is throughput(2 ranks) / (2 x throughput(1 rank)). The
script launches itself under ``mpiexec -n 1`` and ``mpiexec -n 2`` (PyPI's mpich wheel); writes
bench/results/bench_distributed.json. --rounds: the 2-rank bucket modes run interleaved this many times, best
taken (the machine's load drifts). --cpu-time is refused: ranks wait on each other, which only the wall clock
sees.

    python bench/bench_distributed.py [--quick] [--rounds 2] [--threads 1] [--only lenet5 lstm allreduce]
                                      [--json PATH] [--seconds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


# ----------------------------------------------------------------------------- worker (under mpiexec)
def _steps_per_sec(step, seconds: float, comm) -> float:
    for _ in range(3):
        step()
    comm.Barrier()
    n, t0 = 0, time.perf_counter()
    while True:
        step()
        n += 1
        # every rank must run the same number of steps: rank 0 decides when to stop
        if comm.bcast(time.perf_counter() - t0 >= seconds if comm.rank == 0 else None, root=0):
            break
    comm.Barrier()
    return n / (time.perf_counter() - t0)


def worker(args) -> None:
    import numpy as np

    import nnengine as ne
    import nnengine.distributed as dist
    import nnengine.functional as F
    from nnengine import nn

    dist.init_process_group()
    from mpi4py import MPI

    comm = MPI.COMM_WORLD
    world, rank = comm.size, comm.rank
    ne.set_num_threads(args.threads[0])
    rng = np.random.default_rng(rank)
    out = {"world": world, "models": {}, "allreduce": [], "overlap": {}}

    class LSTMNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(32, 128, batch_first=True)
            self.head = nn.Linear(128, 10)

        def forward(self, x):
            _, (h, _) = self.rnn(x)
            return self.head(h[0])

    cases = {
        "lenet5": (lambda: ne.models.LeNet5(num_classes=10), (64, 1, 28, 28)),
        "lstm": (LSTMNet, (32, 20, 32)),
    }
    for name, (make, shape) in cases.items():
        if args.only and name not in args.only:
            continue
        ne.manual_seed(0)
        model = make()
        opt = ne.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x = ne.tensor(rng.standard_normal(shape).astype(np.float32))
        y = ne.tensor(rng.integers(0, 10, shape[0]), dtype=np.int64)
        rate = {}
        # default buckets (25 MB: one bucket for these small models), then 32 KB buckets (several, started
        # during backward) non-blocking vs blocking, the overlap comparison
        modes = [("default", 25, False)]
        if world > 1:  # interleaved and repeated (best of --rounds): the machine's load drifts
            modes = [("default", 25, False), ("small_overlapped", 0.03125, False),
                     ("small_blocking", 0.03125, True)] * args.rounds
        for mode, cap, blocking in modes:
            ddp = dist.DistributedDataParallel(model, bucket_cap_mb=cap)
            ddp._reducer.blocking = blocking

            def step(opt=opt, ddp=ddp, x=x, y=y):
                opt.zero_grad()
                F.cross_entropy(ddp(x), y).backward()
                opt.step()

            r = _steps_per_sec(step, args.seconds, comm) * shape[0] * world
            rate[mode] = max(rate.get(mode, 0.0), r)  # best of the interleaved repeats
            rate[mode + "_buckets"] = len(ddp._reducer.buckets)
        nparam = sum(p.data.size for p in model.parameters())
        # the pure communication of one step: one all-reduce of all gradients
        buf = np.zeros(nparam, np.float32)
        t_comm = 0.0
        if world > 1:
            reps = 50
            comm.Barrier()
            t0 = time.perf_counter()
            for _ in range(reps):
                comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
            t_comm = (time.perf_counter() - t0) / reps
        out["models"][name] = {"samples_per_s": rate["default"], "params": int(nparam),
                               "batch_per_rank": shape[0], "allreduce_ms": t_comm * 1e3,
                               "small_buckets": rate.get("small_overlapped_buckets"),
                               "samples_per_s_small_overlapped": rate.get("small_overlapped"),
                               "samples_per_s_small_blocking": rate.get("small_blocking")}
    if world > 1 and (not args.only or "allreduce" in args.only):
        for nbytes in (4 << 10, 64 << 10, 1 << 20, 16 << 20, 64 << 20):
            if args.quick and nbytes > (16 << 20):
                continue
            buf = np.ones(nbytes // 4, np.float32)
            reps = max(3, min(200, (32 << 20) // nbytes))
            comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
            comm.Barrier()
            t0 = time.perf_counter()
            for _ in range(reps):
                comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
            t = (time.perf_counter() - t0) / reps
            # bus bandwidth (NCCL's convention): 2 (n - 1) / n x bytes / time
            out["allreduce"].append({"bytes": nbytes, "us": t * 1e6, "algo_GBps": nbytes / t / 1e9,
                                     "bus_GBps": 2 * (world - 1) / world * nbytes / t / 1e9})
    if rank == 0:
        with open(args.out, "w") as f:
            json.dump(out, f)


# ----------------------------------------------------------------------------- driver
def main() -> None:
    from _common import bench_parser, write_json

    ap = bench_parser(__doc__, ["lenet5", "lstm", "allreduce"], rounds=2, threads=[1])
    ap.add_argument("--seconds", type=float, default=2.0, help="timed seconds per configuration")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.cpu_time:
        sys.exit("bench_distributed: --cpu-time does not apply (ranks wait on each other; only the wall clock sees it)")
    if args.quick:
        args.seconds = min(args.seconds, 0.5)
    if args.worker:
        worker(args)
        return
    tables = {t: drive(args, t) for t in args.threads}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(f"\n{os.cpu_count()} cores; 1-minute load average after the runs: {load}")
    path = write_json("bench_distributed", {"threads_per_rank": tables, "cores": os.cpu_count(), "load": load},
                      args.json)
    print(f"\nwrote {path}")


def drive(args, threads: int) -> dict:
    """The 1-rank, 2-rank and two independent 1-rank runs at ``threads`` kernel threads per rank; prints the
    tables and returns the results."""
    from _common import print_table, skip

    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    mpiexec = mpiexec if os.path.exists(mpiexec) else shutil.which("mpiexec")
    if mpiexec is None:
        skip("bench_distributed", "mpiexec not found (pip install 'nnengine[mpi]')")
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    fwd = ["--seconds", str(args.seconds), "--threads", str(threads), "--rounds", str(args.rounds)]
    fwd += (["--quick"] if args.quick else []) + (["--only", *args.only] if args.only else [])
    res = {}
    with tempfile.TemporaryDirectory() as d:
        for n in (1, 2):
            path = os.path.join(d, f"r{n}.json")
            cmd = [mpiexec, "-n", str(n), sys.executable, os.path.abspath(__file__), "--worker", "--out", path] + fwd
            subprocess.run(cmd, check=True, env=env)
            with open(path) as f:
                res[n] = json.load(f)
        # the machine's ceiling right now: two single-rank jobs side by side, no communication at all
        procs, paths = [], []
        for k in range(2):
            paths.append(os.path.join(d, f"ind{k}.json"))
            procs.append(subprocess.Popen([mpiexec, "-n", "1", sys.executable, os.path.abspath(__file__), "--worker",
                                           "--out", paths[-1]] + fwd, env=env))
        for p in procs:
            if p.wait() != 0:
                sys.exit("bench_distributed: an independent run failed")
        ind = []
        for path in paths:
            with open(path) as f:
                ind.append(json.load(f))
        res["independent"] = {name: sum(r["models"][name]["samples_per_s"] for r in ind) for name in res[1]["models"]}
    rows = []
    for name in res[1]["models"]:
        one, two = res[1]["models"][name], res[2]["models"][name]
        eff = two["samples_per_s"] / (2 * one["samples_per_s"])
        ceiling = res["independent"][name]
        rows.append([name, one["params"], one["batch_per_rank"], one["samples_per_s"], two["samples_per_s"],
                     ceiling, eff, two["samples_per_s"] / ceiling, two["allreduce_ms"], two["small_buckets"],
                     two["samples_per_s_small_overlapped"], two["samples_per_s_small_blocking"]])
    print_table(f"DDP over MPI, {threads} thread(s) per rank, same batch per rank (weak scaling), samples/s",
                ["model", "params", "batch/rank", "1 rank", "2 ranks", "2 independent jobs",
                 "efficiency 2 ranks / 2x1", "2 ranks / 2 independent", "allreduce ms (all grads)",
                 "32KB buckets", "2 ranks Iallreduce", "2 ranks blocking"], rows)
    print_table("MPI_Allreduce (float32 sum, in place), 2 ranks", ["bytes", "us", "algo GB/s", "bus GB/s"],
                [[a["bytes"], a["us"], a["algo_GBps"], a["bus_GBps"]] for a in res[2]["allreduce"]])
    return {"ranks": res, "table": rows}


if __name__ == "__main__":
    main()
