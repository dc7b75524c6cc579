"""bf16 compute: the bf16 GEMM kernels (AMX-BF16 tiles, AVX512-BF16) against nnengine's float32 GEMM and torch's
bf16 ``mm``, and training under ``ne.autocast("bf16")`` against float32 on the same seed (accuracy).

GEMM rows: square products and the Linear-layer shape (x @ W^T), 1 and 2 threads, one row per bf16 kernel this CPU
has, interleaved, medians; the ceiling printed is measured in the same run: for AVX512-BF16 twice the FMA probe
(``vdpbf16ps`` does two multiply-adds per float32 lane), for AMX the tile probe (``_core.amx_probe``: independent
``tdpbf16ps`` on operands already in tiles).
nnengine takes float32 operands only (numpy has no bfloat16; bf16 is a compute precision, the rounding is fused
into the packing), so two torch columns: ``torch bf16`` is ``mm`` on operands already in bfloat16 (the kernel
alone, as with a cached weight cast), ``torch cast+mm`` is ``mm(a.bfloat16(), b.bfloat16())`` from the same float32
operands nnengine gets (what autocast does to a float32 input).
Layer rows: an MLP 784-256-128-10 training step (batch 128, SGD momentum), its inference on 64 samples 1, 4 or 8 at
a time in one no-grad region (the weights' bf16 casts kept for the region), the DCGAN generator's strided
ConvTranspose2d layers (batch 64, forward + backward) and an LSTM layer (T50, B32, I64, H128, forward +
backward), float32 and under autocast, for nnengine and torch
(``torch.autocast("cpu", dtype=torch.bfloat16)``), 1 thread.
Training rows: the MLP 64-64-10 on the embedded digits and LeNet-5 on Fashion-MNIST (a subset when --quick;
the embedded digits padded to 28x28 when Fashion-MNIST is not installed), SGD momentum, float32 vs autocast from
the same seeds (--seeds, default 8; 1 with --quick); test accuracy of each seed and the means.

--cpu-time: time rounds by CPU time (bench/_common.py cpu_clock), for a machine shared with other work.
--threads: the GEMM rows' thread counts (layer and training rows run at 1 thread); --rounds: the GEMM and layer
rows' rounds (default 9 and 7, 5 and 3 with --quick).

Usage: python bench/bench_bf16.py [--quick] [--rounds N] [--threads 1 2] [--only gemm layers train] [--cpu-time]
                                  [--seeds 8] [--json PATH]
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import bench_parser, cpu_clock, print_table, skip, timeit_interleaved, try_torch, write_json  # noqa: E402

import nnengine as ne  # noqa: E402
from nnengine import _core, nn  # noqa: E402


def gemm_rows(torch, threads: int, quick: bool, clock, rounds=None) -> list:
    ne.set_num_threads(threads)
    if torch is not None:
        torch.set_num_threads(threads)
    probe_iters, amx_iters = 200_000, 20_000
    kernels = _core.bf16_gemm_kernels()
    shapes = [(1024, 1024, 1024, False), (128, 256, 784, True)] if quick else [
        (512, 512, 512, False), (1024, 1024, 1024, False), (2048, 2048, 2048, False), (128, 256, 784, True),
        (1024, 1024, 1024, True)]
    rows = []
    rng = np.random.default_rng(0)
    for M, N, K, tb in shapes:
        a = rng.standard_normal((M, K)).astype(np.float32)
        b = rng.standard_normal((N, K) if tb else (K, N)).astype(np.float32)
        fns = _gemm_fns(torch, a, b, tb, kernels, probe_iters, amx_iters)
        try:
            t = timeit_interleaved(fns, rounds=rounds or (5 if quick else 9), clock=clock)
        finally:
            _core.set_bf16_gemm_kernel("auto")
        ceilings = {"avx512bf16": 2 * _core.fma_probe(1)[0] * probe_iters / t.pop("fma probe") / 1e9}  # 2 MACs/lane
        if "amx probe" in t:
            ceilings["amx"] = _core.amx_probe(1)[0] * amx_iters / t.pop("amx probe") / 1e9
        gf = {k: 2 * M * N * K / v / 1e9 for k, v in t.items()}
        tor, cast = gf.get("torch bf16"), gf.get("torch cast+mm")
        for kernel in kernels:
            g = gf[f"bf16 {kernel}"]
            rows.append([f"{M}x{N}x{K}{' B^T' if tb else ''}", threads, kernel, round(gf["f32"], 1), round(g, 1),
                         round(tor, 1) if tor else "-", round(cast, 1) if cast else "-", round(g / gf["f32"], 2),
                         round(g / tor, 2) if tor else "-", round(g / cast, 2) if cast else "-",
                         f"{100 * g / ceilings[kernel]:.0f}% of {round(ceilings[kernel])}"])
    return rows


def _gemm_fns(torch, a: np.ndarray, b: np.ndarray, tb: bool, kernels: list, probe_iters: int,
              amx_iters: int) -> dict:
    """The timed calls of one GEMM row: nnengine float32, and bf16 with each kernel, into a preallocated C, torch's
    bf16 mm (out=) on bf16 operands and on the float32 operands cast per call, and the same run's FMA probe (and
    AMX tile probe where the CPU has AMX)."""
    c = np.empty((a.shape[0], b.shape[0] if tb else b.shape[1]), np.float32)
    fns = {"f32": lambda: _core.gemm(a, b, False, tb, 1.0, 0.0, c),
           "fma probe": lambda: _core.fma_probe(probe_iters)}
    for kernel in kernels:
        def run(kernel=kernel):
            _core.set_bf16_gemm_kernel(kernel)
            _core.gemm(a, b, False, tb, 1.0, 0.0, c, None, None, False, True)
        fns[f"bf16 {kernel}"] = run
    if "amx" in kernels:
        fns["amx probe"] = lambda: _core.amx_probe(amx_iters)
    if torch is not None:
        ta, tbb = torch.from_numpy(a).bfloat16(), torch.from_numpy(b).bfloat16()
        tbb = tbb.t() if tb else tbb
        tc = torch.empty(c.shape, dtype=torch.bfloat16)
        fns["torch bf16"] = lambda: torch.mm(ta, tbb, out=tc)
        fa, fb = torch.from_numpy(a), torch.from_numpy(b)
        fns["torch cast+mm"] = ((lambda: torch.mm(fa.bfloat16(), fb.bfloat16().t(), out=tc)) if tb else
                                (lambda: torch.mm(fa.bfloat16(), fb.bfloat16(), out=tc)))
    return fns


def _train(model, xtr: np.ndarray, ytr: np.ndarray, batch: int, lr: float, epochs: int, amp: bool) -> None:
    """SGD momentum on cross-entropy, the forward (and so its backward) under autocast when ``amp``."""
    opt = ne.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    for _ in range(epochs):
        for i in range(0, len(xtr), batch):
            with ne.autocast("bf16", enabled=amp):
                loss = nn.functional.cross_entropy(model(ne.tensor(xtr[i:i + batch])), ne.tensor(ytr[i:i + batch]))
            opt.zero_grad()
            loss.backward()
            opt.step()


def _accuracy(model, xte: np.ndarray, yte: np.ndarray, amp: bool) -> float:
    model.eval()
    with ne.no_grad(), ne.autocast("bf16", enabled=amp):
        pred = np.concatenate([model(ne.tensor(xte[i:i + 500])).data.argmax(1) for i in range(0, len(xte), 500)])
    return float((pred == yte).mean())


def _digits_mlp(amp: bool, epochs: int, seed: int = 0) -> float:
    from nnengine.data import load_digits

    x, y = load_digits()
    x = (x / 16.0).astype(np.float32)
    ne.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    _train(model, x[:1400], y[:1400], 50, 0.1, epochs, amp)
    return _accuracy(model, x[1400:], y[1400:], amp)


def _lenet(amp: bool, epochs: int, limit: int, seed: int = 0) -> tuple:
    from nnengine.data import DatasetNotFoundError, load_fashion_mnist
    from nnengine.models import LeNet5

    try:
        xtr, ytr = load_fashion_mnist(train=True)
        xte, yte = load_fashion_mnist(train=False)
        name = "Fashion-MNIST"
    except DatasetNotFoundError:
        from nnengine.data import load_digits

        x, y = load_digits()
        x = np.pad(x.reshape(-1, 8, 8) * 16.0, ((0, 0), (10, 10), (10, 10)))
        xtr, ytr, xte, yte, name = x[:1400], y[:1400], x[1400:], y[1400:], "digits padded to 28x28"
    xtr = (xtr[:limit].reshape(-1, 1, 28, 28) / 255.0).astype(np.float32)
    xte = (xte[: limit // 5].reshape(-1, 1, 28, 28) / 255.0).astype(np.float32)
    ne.manual_seed(seed)
    model = LeNet5()
    _train(model, xtr, ytr[:limit], 64, 0.05, epochs, amp)
    return _accuracy(model, xte, yte[: limit // 5], amp), name


def _mlp_steps(torch) -> dict:
    """Training steps of the MLP 784-256-128-10 (batch 128): name -> fn(amp) for nnengine and torch, same weights."""
    ne.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = ne.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(0)
    xa, ya = rng.standard_normal((128, 784)).astype(np.float32), rng.integers(0, 10, 128)
    x, y = ne.tensor(xa), ne.tensor(ya)

    def ne_step(amp: bool) -> None:
        with ne.autocast("bf16", enabled=amp):
            loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    steps = {"nnengine": ne_step}
    if torch is not None:
        tnn = torch.nn
        tm = tnn.Sequential(tnn.Linear(784, 256), tnn.ReLU(), tnn.Linear(256, 128), tnn.ReLU(), tnn.Linear(128, 10))
        tm.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
        topt = torch.optim.SGD(tm.parameters(), lr=0.01, momentum=0.9)
        tx, ty = torch.tensor(xa), torch.tensor(ya)

        def torch_step(amp: bool) -> None:
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp):
                loss = torch.nn.functional.cross_entropy(tm(tx), ty)
            topt.zero_grad()
            loss.backward()
            topt.step()

        steps["torch"] = torch_step
    return steps


def _mlp_inference(torch, batch: int, samples: int = 64) -> dict:
    """Inference of the MLP 784-256-128-10 on ``samples`` inputs, ``batch`` at a time, in one no-grad (autocast)
    region (a served model's loop): name -> fn(amp), same weights. Under autocast both engines keep the weights'
    bf16 casts for the region (torch's autocast cache, nnengine's for products of up to 8 rows)."""
    ne.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    xa = np.random.default_rng(0).standard_normal((samples, 784)).astype(np.float32)
    xs = [ne.tensor(xa[i:i + batch]) for i in range(0, samples, batch)]

    def ne_run(amp: bool) -> None:
        with ne.no_grad(), ne.autocast("bf16", enabled=amp):
            for x in xs:
                model(x)

    steps = {"nnengine": ne_run}
    if torch is not None:
        tnn = torch.nn
        tm = tnn.Sequential(tnn.Linear(784, 256), tnn.ReLU(), tnn.Linear(256, 128), tnn.ReLU(), tnn.Linear(128, 10))
        tm.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
        txs = [torch.tensor(xa[i:i + batch]) for i in range(0, samples, batch)]

        def torch_run(amp: bool) -> None:
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp):
                for x in txs:
                    tm(x)

        steps["torch"] = torch_run
    return steps


def _conv_transpose_steps(torch, cin: int, cout: int, hw: int) -> dict:
    """Forward + backward of one DCGAN generator layer (k4, stride 2, padding 1, batch 64): name -> fn(amp)."""
    ne.manual_seed(0)
    layer = nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1, bias=False)
    xa = np.random.default_rng(0).standard_normal((64, cin, hw, hw)).astype(np.float32)
    x = ne.tensor(xa, requires_grad=True)

    def ne_step(amp: bool) -> None:
        with ne.autocast("bf16", enabled=amp):
            y = layer(x)
        y.sum().backward()

    steps = {"nnengine": ne_step}
    if torch is not None:
        tl = torch.nn.ConvTranspose2d(cin, cout, 4, stride=2, padding=1, bias=False)
        tl.weight.data = torch.tensor(layer.weight.data)
        tx = torch.tensor(xa, requires_grad=True)

        def torch_step(amp: bool) -> None:
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp):
                ty = tl(tx)
            ty.float().sum().backward()

        steps["torch"] = torch_step
    return steps


def _lstm_steps(torch, T: int = 50, B: int = 32, I: int = 64, H: int = 128) -> dict:
    """Forward + backward of one LSTM layer over a (T, B, I) sequence: name -> fn(amp), same weights."""
    ne.manual_seed(0)
    lstm = nn.LSTM(I, H)
    xa = np.random.default_rng(0).standard_normal((T, B, I)).astype(np.float32)
    x = ne.tensor(xa, requires_grad=True)

    def ne_step(amp: bool) -> None:
        with ne.autocast("bf16", enabled=amp):
            y, _ = lstm(x)
        y.sum().backward()

    steps = {"nnengine": ne_step}
    if torch is not None:
        tl = torch.nn.LSTM(I, H)
        tl.load_state_dict({k: torch.tensor(v) for k, v in lstm.state_dict().items()})
        tx = torch.tensor(xa, requires_grad=True)

        def torch_step(amp: bool) -> None:
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=amp):
                ty, _ = tl(tx)
            ty.float().sum().backward()

        steps["torch"] = torch_step
    return steps


def layer_rows(torch, quick: bool, clock, rounds=None) -> list:
    ne.set_num_threads(1)
    if torch is not None:
        torch.set_num_threads(1)
    cases = {"MLP 784-256-128-10 step, b128": _mlp_steps(torch)}
    for batch in ((1,) if quick else (1, 4, 8)):
        cases[f"MLP 784-256-128-10 inference, 64 samples, b{batch}"] = _mlp_inference(torch, batch)
    for cin, cout, hw in ([(256, 128, 8)] if quick else [(512, 256, 4), (256, 128, 8), (128, 64, 16)]):
        cases[f"ConvTranspose2d {cin}->{cout} {hw}x{hw}, N64, fwd+bwd"] = _conv_transpose_steps(torch, cin, cout, hw)
    cases["LSTM (T50, B32, I64, H128), fwd+bwd"] = _lstm_steps(torch)
    rows = []
    for name, steps in cases.items():
        fns = {f"{eng} {'bf16' if amp else 'f32'}": (lambda f=f, amp=amp: f(amp))
               for eng, f in steps.items() for amp in (False, True)}
        t = timeit_interleaved(fns, rounds=rounds or (3 if quick else 7), clock=clock)
        ms = {k: 1e3 * v for k, v in t.items()}
        tb = ms.get("torch bf16")
        rows.append([name, round(ms["nnengine f32"], 2), round(ms["nnengine bf16"], 2),
                     round(ms["nnengine f32"] / ms["nnengine bf16"], 2), round(ms["torch f32"], 2) if tb else "-",
                     round(tb, 2) if tb else "-", round(tb / ms["nnengine bf16"], 2) if tb else "-"])
    return rows


def train_rows(quick: bool, seeds: int) -> list:
    """Each model trained from seeds 0 .. seeds-1 in float32 and under autocast (the same initial weights and batches
    per seed): the accuracy of each seed, their mean, and bf16's mean difference to float32. One seed is one
    sample of a chaotic process (two LeNet-5 epochs at this learning rate move a point or more with the rounding
    alone), so the comparison is made on the mean."""
    limit = 6000 if quick else 60000
    models = [("MLP 64-64-10, digits, 8 epochs", lambda amp, s: _digits_mlp(amp, 8, s)),
              (None, lambda amp, s: _lenet(amp, 2, limit, s))]
    rows = []
    for title, train in models:
        means = {}
        for amp in (False, True):
            t0 = time.perf_counter()
            accs = []
            for s in range(seeds):
                r = train(amp, s)
                if isinstance(r, tuple):  # LeNet: (accuracy, dataset name)
                    r, name = r
                    title = f"LeNet-5, {name} ({limit} train), 2 epochs"
                accs.append(100 * r)
            means[amp] = float(np.mean(accs))
            rows.append([title, "bf16" if amp else "float32", " / ".join(f"{a:.1f}" for a in accs),
                         round(means[amp], 2), f"{means[True] - means[False]:+.2f}" if amp else "-",
                         round((time.perf_counter() - t0) / seeds, 2)])
    return rows


def main() -> None:
    ap = bench_parser(__doc__, ["gemm", "layers", "train"], rounds=None, quick_rounds=None)
    ap.add_argument("--seeds", type=int, default=8, help="training rows: seeds per model and precision (1 with --quick)")
    args = ap.parse_args()
    reason = _core.bf16_unavailable_reason()
    if reason:
        skip("bench_bf16", reason)
    torch = try_torch()
    out: dict = {"utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "isa": ne.backend.isa()}
    if not args.only or "gemm" in args.only:
        rows = []
        for threads in args.threads:
            rows += gemm_rows(torch, threads, args.quick, cpu_clock(threads) if args.cpu_time else time.perf_counter,
                              args.rounds)
        header = ["shape", "threads", "kernel", "f32 GFLOP/s", "bf16 GFLOP/s", "torch bf16", "torch cast+mm",
                  "bf16/f32", "bf16/torch", "bf16/torch cast+mm", "bf16 % of ceiling (GFLOP/s)"]
        print_table("bf16 GEMM (nnengine fp32 and bf16 from float32 operands; torch bf16 mm on bf16 operands, and "
                    "with the casts)", header, rows)
        out["gemm"] = [dict(zip(header, r)) for r in rows]
    if not args.only or "layers" in args.only:
        rows = layer_rows(torch, args.quick, cpu_clock(1) if args.cpu_time else time.perf_counter, args.rounds)
        header = ["case (1 thread)", "nnengine f32 ms", "nnengine bf16 ms", "bf16 speedup", "torch f32 ms",
                  "torch bf16 ms", "torch bf16 / nnengine bf16"]
        print_table("layers under autocast('bf16') vs float32, nnengine and torch.autocast", header, rows)
        out["layers"] = [dict(zip(header, r)) for r in rows]
    if not args.only or "train" in args.only:
        ne.set_num_threads(1)
        rows = train_rows(args.quick, 1 if args.quick else args.seeds)
        header = ["model", "precision", "test accuracy % (seed 0, 1, ...)", "mean %", "bf16 - float32 (mean)",
                  "seconds per seed"]
        print_table("training under autocast('bf16') vs float32, same seeds (1 thread)", header, rows)
        out["train"] = [dict(zip(header, r)) for r in rows]
    print("\nwrote", write_json("bench_bf16", out, args.json))


if __name__ == "__main__":
    main()
