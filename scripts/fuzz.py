#!/usr/bin/env python
"""Crash-isolated fuzz campaign over every ``nnengine._core`` binding and the public functional ops.

Contract checked for every call: it returns a result or raises TypeError / ValueError (MemoryError and
OverflowError are counted separately as "documented": an output larger than the worker's memory limit,
an int that does not fit the argument's C type); it never kills the interpreter (segfault, abort, FPE,
sanitizer report), never hangs, and never raises anything else (RuntimeError, SystemError, IndexError,
KeyError, AttributeError, ...). Calls whose inputs include misaligned float arrays (views at a 1-byte
offset) are re-run on aligned copies in the worker and must give the same result.

Examples are generated with hypothesis strategies (one per target) as *Python source*: the text sent
to the worker is itself the reproducer. A long-lived worker subprocess executes one call at a time,
logging each call before running it (to its stderr log); when it dies the parent records the call as a
crash with a runnable snippet (prelude + call) and starts a new worker; when a call exceeds --timeout the
worker is killed and the call recorded as a hang.

    python scripts/fuzz.py --calls 20000 --seed 1 [--timeout 20] [--targets conv2d_forward,F.conv2d]
        [--json summary.json] [--list]

Exit status: 0 when there was no crash, hang, forbidden exception or misaligned-input mismatch.
The engine is importable (``run_campaign``) so tests/test_fuzz.py runs a short campaign through it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter, defaultdict
from typing import Any, Callable, Dict, List, Optional

# ---------------------------------------------------------------------------------------------- prelude
# Executed in the worker before every call and prepended to every reproducer: keep it self-contained.
PRELUDE = r'''
import numpy as np
import nnengine as ne
import nnengine._core as _core
import nnengine.functional as F
from nnengine import nn

_NO_MISALIGN = False  # the worker's differential re-run builds aligned copies instead
ne.manual_seed(0)  # module init and dropout masks are deterministic
_SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e38, -1e38, 3.4e38, 1e-45, 88.8, -88.8, -104.0, 1.0, -1.0]


def A(shape, dtype="float32", layout="c", fill="randn", seed=0, hi=4):
    """A test array: shape, dtype, memory layout (c, f, ro, rev, strided, bcast, misaligned) and fill
    (randn, zeros, special, mixed, idx: ints in [-2, hi+2), cls: ints in [0, hi), bigint)."""
    rng = np.random.default_rng(seed)
    shape = tuple(int(s) for s in shape)
    n = int(np.prod(shape, dtype=np.int64))
    dt = np.dtype(dtype)
    if fill == "zeros":
        v = np.zeros(n)
    elif fill == "special":
        v = rng.choice(np.array(_SPECIAL), n)
    elif fill == "mixed":
        v = rng.standard_normal(n) * 3
        m = rng.random(n) < 0.25
        v[m] = rng.choice(np.array(_SPECIAL), int(m.sum()))
    elif fill == "idx":
        v = rng.integers(-2, hi + 2, n).astype(np.float64)
    elif fill == "cls":
        v = rng.integers(0, max(hi, 1), n).astype(np.float64)
    elif fill == "bigint":
        v = rng.choice(np.array([0, -1, 1, 2**31 - 1, -2**31, 2**30, 7], np.float64), n)
    else:
        v = rng.standard_normal(n)
    with np.errstate(all="ignore"):
        if dt == object:
            a = np.empty(n, object)
            a[:] = list(v)
        elif dt.kind in "iub":
            a = np.nan_to_num(v, nan=0.0, posinf=0.0, neginf=0.0)
            if dt.kind == "b":
                a = a > 0
            else:
                info = np.iinfo(dt)
                a = np.clip(a, info.min, info.max).astype(dt)
        elif dt.kind == "c":
            a = (v + 1j * v[::-1]).astype(dt)
        else:
            a = v.astype(dt)
    a = a.reshape(shape)
    if layout == "f":
        return np.asfortranarray(a)
    if layout == "ro":
        a.flags.writeable = False
        return a
    if layout == "rev":
        return np.flip(a, axis=0) if a.ndim else a
    if layout == "strided":
        if a.ndim == 0:
            return a
        b = np.repeat(a, 2, axis=a.ndim - 1)
        return b[..., ::2]
    if layout == "bcast":
        if a.ndim == 0 or a.shape[-1] == 0:
            return a
        return np.broadcast_to(a[..., :1], shape)
    if layout == "misaligned" and not _NO_MISALIGN and dt != object and dt.itemsize > 1:
        buf = bytearray(a.nbytes + dt.itemsize)
        m = np.frombuffer(buf, dtype=dt, count=n, offset=1).reshape(shape)
        m[...] = a
        return m
    return a


def T(a, rg=True):
    """A Tensor of array a, requiring grad when it is floating point and rg."""
    t = ne.tensor(a)
    if rg and t.data.dtype.kind == "f":
        t.requires_grad_(True)
    return t


def BW(r):
    """Backward of the sum of every grad-requiring Tensor in r (a Tensor or nested tuples)."""
    ts, todo = [], [r]
    while todo:
        v = todo.pop()
        if isinstance(v, (tuple, list)):
            todo.extend(v)
        elif isinstance(v, ne.Tensor) and v.requires_grad:
            ts.append(v)
    if ts:
        tot = ts[0].sum()
        for t in ts[1:]:
            tot = tot + t.sum()
        tot.backward()
    return r
'''

ALLOWED = (TypeError, ValueError)
DOCUMENTED = (MemoryError, OverflowError)

# ------------------------------------------------------------------------------------------------ worker


def _flatten(r: Any, out: list) -> list:
    import numpy as np

    if isinstance(r, (tuple, list)):
        for v in r:
            _flatten(v, out)
    elif isinstance(r, np.ndarray):
        out.append(r)
    elif hasattr(r, "data") and isinstance(getattr(r, "data", None), np.ndarray):
        out.append(r.data)
    else:
        out.append(r)
    return out


def _same(r1: Any, r2: Any) -> Optional[str]:
    """None if r1 and r2 agree (arrays to ~1e-4 relative), else a description of the difference."""
    import numpy as np

    a, b = _flatten(r1, []), _flatten(r2, [])
    if len(a) != len(b):
        return f"{len(a)} vs {len(b)} outputs"
    for i, (x, y) in enumerate(zip(a, b)):
        if isinstance(x, np.ndarray) and isinstance(y, np.ndarray):
            if x.shape != y.shape or x.dtype != y.dtype:
                return f"output {i}: {x.shape} {x.dtype} vs {y.shape} {y.dtype}"
            if x.dtype.kind in "fc":
                if not np.array_equal(np.isnan(x), np.isnan(y)):
                    return f"output {i}: NaN positions differ"
                xf, yf = np.nan_to_num(x.astype(np.float64)), np.nan_to_num(y.astype(np.float64))
                scale = max(1.0, float(np.max(np.abs(yf))) if yf.size else 1.0)
                if xf.size and float(np.max(np.abs(xf - yf))) > 1e-4 * scale:
                    return f"output {i}: max |diff| {float(np.max(np.abs(xf - yf))):.3g} (scale {scale:.3g})"
            elif not np.array_equal(x, y):
                return f"output {i}: values differ"
        elif type(x) is not type(y):
            return f"output {i}: {type(x).__name__} vs {type(y).__name__}"
    return None


def worker_main(result_fd: int, mem_mb: int) -> None:
    """Read one JSON request per stdin line, execute it, answer on result_fd. Under NNE_FUZZ_STRICT=1 numpy's
    own exceptions (AxisError, UFuncTypeError: ValueError / TypeError subclasses that leak from inside, without
    the argument's name) count as forbidden."""
    strict = os.environ.get("NNE_FUZZ_STRICT") == "1"
    import resource
    import traceback
    import warnings

    warnings.simplefilter("ignore")
    asan = "asan" in os.environ.get("LD_PRELOAD", "") or "ASAN_OPTIONS" in os.environ
    if mem_mb > 0 and not asan:  # ASan reserves terabytes of shadow memory: it has max_allocation_size_mb
        lim = mem_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
    code_prelude = compile(PRELUDE, "<prelude>", "exec")
    base: Dict[str, Any] = {"__name__": "__fuzz__"}
    exec(code_prelude, base)
    core = base["_core"]
    threads0, isa0 = core.get_num_threads(), core.isa()
    out = os.fdopen(result_fd, "w", buffering=1)
    err = sys.stderr
    for line in sys.stdin:
        req = json.loads(line)
        err.write(f"[fuzz-worker] call {req['id']} {req['target']}\n")
        err.flush()
        res: Dict[str, Any] = {"id": req["id"], "outcome": "ok"}
        try:
            ns = dict(base)
            base["ne"].manual_seed(0)  # as in a reproducer, which runs the prelude first
            exec(compile(req["code"], "<fuzz-call>", "exec"), ns)
            if req.get("check_aligned"):
                ns2 = dict(base)
                ns2["_NO_MISALIGN"] = True
                # A() reads the module-level flag through its globals: rebind A in ns2 with them
                exec(compile(PRELUDE, "<prelude>", "exec"), ns2)
                ns2["_NO_MISALIGN"] = True
                base["ne"].manual_seed(0)  # random ops (multinomial, rrelu, dropout) draw the same numbers
                try:
                    exec(compile(req["code"], "<fuzz-call>", "exec"), ns2)
                    diff = _same(ns.get("R"), ns2.get("R"))
                except BaseException as e:  # aligned copy failed but the misaligned call succeeded
                    diff = f"aligned re-run raised {type(e).__name__}: {e}"
                if diff:
                    res = {"id": req["id"], "outcome": "mismatch", "type": "MisalignedMismatch", "msg": diff}
        except BaseException as e:  # noqa: BLE001 - classify everything, including SystemExit
            res = {
                "id": req["id"],
                "outcome": "exc",
                "type": type(e).__name__,
                "allowed": isinstance(e, ALLOWED) and not (strict and type(e).__module__.startswith("numpy")),
                "documented": isinstance(e, DOCUMENTED) and not isinstance(e, ALLOWED),
                "msg": str(e)[:300],
            }
            if not (res["allowed"] or res["documented"]):
                res["tb"] = "".join(traceback.format_exception(type(e), e, e.__traceback__)[-4:])[-1500:]
        finally:
            try:
                if core.get_num_threads() != threads0:
                    core.set_num_threads(threads0)
                if core.isa() != isa0:
                    core.set_isa(isa0)
            except BaseException:  # noqa: BLE001
                pass
        out.write(json.dumps(res) + "\n")


class Worker:
    """The parent's handle on one worker subprocess."""

    def __init__(self, timeout: float, mem_mb: int, log_dir: str) -> None:
        self.timeout, self.mem_mb, self.log_dir = timeout, mem_mb, log_dir
        self.proc: Optional[subprocess.Popen] = None
        self.starts = 0

    def start(self) -> None:
        import nnengine

        r, w = os.pipe()
        env = dict(os.environ)
        pkg_root = os.path.dirname(os.path.dirname(os.path.abspath(nnengine.__file__)))
        env["PYTHONPATH"] = pkg_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env.setdefault("OMP_NUM_THREADS", "2")
        self.starts += 1
        self.log_path = os.path.join(self.log_dir, f"worker{self.starts}.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker", str(w), "--mem-mb", str(self.mem_mb)],
            stdin=subprocess.PIPE,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            pass_fds=(w,),
            env=env,
        )
        os.close(w)
        self.rfd = r
        self.buf = b""

    def stop(self) -> None:
        if self.proc is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            os.close(self.rfd)
            self.log.close()
            self.proc = None

    def _kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        os.close(self.rfd)
        self.log.close()
        self.proc = None

    def log_tail(self, n: int = 6000) -> str:
        try:
            with open(self.log_path, "rb") as f:
                data = f.read()
            return data[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def call(self, req: dict) -> dict:
        """Run one request; returns the worker's answer or {'outcome': 'crash'|'hang', ...}."""
        if self.proc is None:
            self.start()
        try:
            self.proc.stdin.write((json.dumps(req) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass
        deadline = time.monotonic() + self.timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self._kill()
                return {"id": req["id"], "outcome": "hang", "type": "Hang", "msg": f"no answer in {self.timeout} s"}
            ready, _, _ = select.select([self.rfd], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(self.rfd, 1 << 16)
                if not chunk:  # EOF: the worker died
                    rc = self.proc.wait()
                    self.log.flush()
                    tail = self.log_tail()
                    os.close(self.rfd)
                    self.log.close()
                    self.proc = None
                    sig = f"signal {-rc}" if rc < 0 else f"exit status {rc}"
                    return {"id": req["id"], "outcome": "crash", "type": "Crash", "msg": sig, "log": tail}
                self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)


# ------------------------------------------------------------------------------------------ generators

EXTREME_INTS = [0, -1, 1, 2, 3, 2**31 - 1, 2**31, 2**32, 2**32 + 1, 2**62, 2**63 - 1, 2**63, -(2**63),
                -(2**31), 2**64, 10**20]
WEIRD_VALUES = ["None", "'x'", "[1.0, 2.0]", "1.5", "True", "object()", "A((2,), 'float64')", "A(())",
                "np.float32(1)", "A((2, 2), 'complex64')", "A((3,), object)", "A((2, 3), 'int32')", "{}",
                "A((1, 1, 1, 1, 1))", "b'ab'"]
SPECIAL_FLOATS = ["float('nan')", "float('inf')", "float('-inf')", "0.0", "-0.0", "1e308", "-1e-300", "1.0",
                  "0.5", "-2.0", "0.999999", "1.0000001", "2**64"]
DTYPES = ["float32", "float64", "float16", "int32", "int64", "int8", "uint8", "bool", "object", "complex64",
          "complex128"]
LAYOUTS = ["f", "ro", "rev", "strided", "bcast", "misaligned", "misaligned", "misaligned"]
FILLS = ["zeros", "special", "mixed", "bigint"]


class G:
    """Drawing helpers over a hypothesis ``draw``: mostly-valid values, sometimes extreme or wrong."""

    def __init__(self, draw: Callable, weird: int = 6) -> None:
        import random

        import hypothesis.strategies as st

        self.st, self.draw, self.weird = st, draw, weird
        self.seed = 0
        # Decisions (mutate or not, which layout...) come from a Random seeded by hypothesis, so their
        # rates are the intended ones (hypothesis' own integers lean towards the bounds); sizes and values
        # are drawn through hypothesis, which favours boundary cases.
        # (16 drawn bytes, not one integer: hypothesis favours a few boundary integers such as 0)
        self.rng = random.Random(draw(st.binary(min_size=16, max_size=16)))
        # Half the calls are clean (consistent shapes and valid values: they reach the kernels, with
        # read-only / misaligned inputs and NaN/Inf fills), half mutate arguments at rate `weird` %.
        self.clean = self.pct(50)
        if self.clean:
            self.weird = 0

    def pct(self, p: int) -> bool:
        return self.rng.random() * 100 < p

    def pick(self, xs: list) -> Any:
        return xs[self.rng.randrange(len(xs))]

    def n(self, lo: int = 0, hi: int = 5, zero: int = 8, big: int = 4) -> int:
        """A dimension: usually in [max(lo,1), hi], sometimes 0 (if lo == 0) or a SIMD-tail size."""
        if lo == 0 and self.pct(zero):
            return 0
        if self.pct(big):
            return self.pick([7, 9, 15, 17, 31, 33, 65])
        return self.draw(self.st.integers(max(lo, 1), hi))

    def weird_value(self) -> str:
        return self.pick(WEIRD_VALUES)

    def arr(self, shape, dtype: str = "float32", fill: Optional[str] = None, hi: int = 4, weird: Optional[int] = None,
            mutate_shape: bool = True) -> str:
        w = self.weird if weird is None else weird
        if self.pct(w):
            return self.weird_value()
        shape = list(shape)
        if mutate_shape and w and shape and self.pct(w):
            i = self.draw(self.st.integers(0, len(shape) - 1))
            shape[i] = self.pick([0, 1, shape[i] + 1, max(shape[i] - 1, 0)])
        if mutate_shape and w and self.pct(max(w // 2, 1)):
            shape = shape[:-1] if shape and self.pct(50) else shape + [1]
        if self.pct(w):
            dtype = self.pick(DTYPES)
        if self.clean:
            layout = "misaligned" if self.pct(3) else "ro" if self.pct(4) else "c"
        else:
            layout = self.pick(LAYOUTS) if self.pct(3 * w) else "c"
        if fill is None:
            fill = self.pick(FILLS) if self.pct(25) else "randn"
        elif fill == "idx" and self.clean:
            fill = "cls"
        self.seed += 1
        args = [repr(tuple(int(s) for s in shape)), repr(dtype)]
        if layout != "c":
            args.append(f"layout={layout!r}")
        if fill != "randn":
            args.append(f"fill={fill!r}")
        if fill in ("idx", "cls"):
            args.append(f"hi={hi}")
        args.append(f"seed={self.seed}")
        return f"A({', '.join(args)})"

    def opt_arr(self, shape, p_none: int = 30, **kw) -> str:
        return "None" if self.pct(p_none) else self.arr(shape, **kw)

    def int_(self, lo: int, hi: int) -> str:
        if self.pct(self.weird):
            return repr(self.pick(EXTREME_INTS))
        if self.pct(max(self.weird // 2, 1)):
            return self.weird_value()
        return repr(self.draw(self.st.integers(lo, hi)))

    def pair(self, lo: int, hi: int) -> str:
        if self.pct(max(self.weird // 2, 1)):
            return self.pick(["(1,)", "(1, 1, 1)", "'ab'", "None", "5", "[2, 2]", "(1.5, 1)", "(True, 1)"])
        a = repr(self.pick(EXTREME_INTS)) if self.pct(self.weird) else repr(self.draw(self.st.integers(lo, hi)))
        b = repr(self.pick(EXTREME_INTS)) if self.pct(self.weird) else repr(self.draw(self.st.integers(lo, hi)))
        return f"({a}, {b})"

    def flt(self, lo: float, hi: float) -> str:
        if self.pct(self.weird):
            return self.pick(SPECIAL_FLOATS)
        if self.pct(max(self.weird // 3, 1)):
            return self.weird_value()
        return repr(round(self.draw(self.st.floats(lo, hi, allow_nan=False)), 6))

    def bool_(self) -> str:
        if not self.clean and self.pct(4):
            return self.pick(["None", "2", "'yes'"])
        return self.pick(["False", "True"])

    def str_(self, choices: List[str]) -> str:
        if self.pct(self.weird):
            return self.pick(["''", "'MAX'", "'max '", "None", "1", "'avg\\x00'", "'x' * 1000"])
        return repr(self.pick(choices))


def call(fn: str, *args: str, post: str = "", **kwargs: str) -> str:
    parts = list(args) + [f"{k}={v}" for k, v in kwargs.items()]
    code = f"R = {fn}({', '.join(parts)})"
    if post:
        code += "\n" + post
    return code


# ------------------------------------------------------------------------------- targets: _core bindings


def _conv_dims(g: G):
    groups = g.pick([1, 1, 1, 2])
    N, Cg, Kg = g.n(0, 3), g.n(1, 3, big=1), g.n(1, 3, big=1)
    C, K = Cg * groups, Kg * groups
    R, S = g.draw(g.st.integers(1, 3)), g.draw(g.st.integers(1, 3))
    st_ = (g.draw(g.st.integers(1, 3)), g.draw(g.st.integers(1, 3)))
    pd = (g.draw(g.st.integers(0, 2)), g.draw(g.st.integers(0, 2)))
    dl = (g.draw(g.st.integers(1, 2)), g.draw(g.st.integers(1, 2)))
    H = g.n(1, 7) + (dl[0] * (R - 1))
    W = g.n(1, 7) + (dl[1] * (S - 1))
    P = (H + 2 * pd[0] - dl[0] * (R - 1) - 1) // st_[0] + 1
    Q = (W + 2 * pd[1] - dl[1] * (S - 1) - 1) // st_[1] + 1
    return N, C, H, W, K, Cg, R, S, st_, pd, dl, groups, P, Q


def _hp(g: G, v, lo, hi) -> str:
    """A hyper-parameter pair: the valid value v, sometimes another small pair or an extreme one."""
    if g.pct(70):
        if g.pct(g.weird):
            return f"({g.pick(EXTREME_INTS)!r}, {v[1]!r})" if g.pct(50) else f"({v[0]!r}, {g.pick(EXTREME_INTS)!r})"
        return repr(tuple(v))
    return g.pair(lo, hi)


def t_conv2d_forward(g: G) -> str:
    N, C, H, W, K, Cg, R, S, st_, pd, dl, groups, P, Q = _conv_dims(g)
    return call("_core.conv2d_forward", g.arr((N, C, H, W)), g.arr((K, Cg, R, S)), g.opt_arr((K,)),
                stride=_hp(g, st_, 1, 3), padding=_hp(g, pd, 0, 3), dilation=_hp(g, dl, 1, 3),
                groups=g.int_(groups, groups) if g.pct(90) else g.int_(0, 3), reference=g.bool_(), bf16=_bf16(g))


def t_conv2d_backward_data(g: G) -> str:
    N, C, H, W, K, Cg, R, S, st_, pd, dl, groups, P, Q = _conv_dims(g)
    hw = _hp(g, (H, W), 0, 8)
    return call("_core.conv2d_backward_data", g.arr((N, K, P, Q)), g.arr((K, Cg, R, S)), hw,
                stride=_hp(g, st_, 1, 3), padding=_hp(g, pd, 0, 3), dilation=_hp(g, dl, 1, 3),
                groups=g.int_(groups, groups) if g.pct(90) else g.int_(0, 3), reference=g.bool_(), bf16=_bf16(g))


def t_conv2d_backward_weights(g: G) -> str:
    N, C, H, W, K, Cg, R, S, st_, pd, dl, groups, P, Q = _conv_dims(g)
    return call("_core.conv2d_backward_weights", g.arr((N, K, P, Q)), g.arr((N, C, H, W)), _hp(g, (R, S), 0, 4),
                stride=_hp(g, st_, 1, 3), padding=_hp(g, pd, 0, 3), dilation=_hp(g, dl, 1, 3),
                groups=g.int_(groups, groups) if g.pct(90) else g.int_(0, 3), need_weight=g.bool_(),
                need_bias=g.bool_(), reference=g.bool_(), bf16=_bf16(g))


def _conv3d_dims(g: G):
    groups = g.pick([1, 1, 1, 2])
    N, Kg = g.n(0, 2), g.n(1, 3, big=1)
    Cg = g.pick([1, 2, 3, 8]) if g.pct(80) else g.n(1, 3, big=5)  # 8: the data gradient's GEMM paths
    k = tuple(g.draw(g.st.integers(1, 3)) for _ in range(3))
    st_ = tuple(g.draw(g.st.integers(1, 3)) for _ in range(3))
    pd = tuple(g.draw(g.st.integers(0, 2)) for _ in range(3))
    dl = tuple(g.draw(g.st.integers(1, 2)) for _ in range(3))
    dhw = tuple(g.n(1, 5, big=2) + dl[i] * (k[i] - 1) for i in range(3))
    if g.pct(15):  # the Winograd path's shapes: 3x3x3, stride 1, one group, >= 16 channels a side
        groups, k, st_, dl = 1, (3, 3, 3), (1, 1, 1), (1, 1, 1)
        Cg, Kg = g.pick([16, 17, 24]), g.pick([16, 20, 33])
        dhw = tuple(g.n(1, 5, big=2) + 2 for _ in range(3))
    elif g.pct(10):  # the channel-lane paths' shapes: strided, one or two vectors of channels a group, wide rows
        groups, Kg, Cg = g.pick([1, 2]), g.pick([8, 16, 32]), g.pick([1, 4, 8, 16, 32])
        k = tuple(g.draw(g.st.integers(1, 4)) for _ in range(3))
        st_ = (g.draw(g.st.integers(1, 2)), g.draw(g.st.integers(1, 2)), 2)
        dl = (1, 1, 1)
        dhw = (g.n(1, 4) + k[0], g.n(1, 6) + k[1], 2 * g.n(1, 12, big=2) + k[2])
    out = tuple((dhw[i] + 2 * pd[i] - dl[i] * (k[i] - 1) - 1) // st_[i] + 1 for i in range(3))
    return N, Cg * groups, dhw, Kg * groups, Cg, k, st_, pd, dl, groups, out


def _hp3(g: G, v, lo, hi) -> str:
    """A hyper-parameter triple: the valid value v, sometimes another small triple, a pair or an extreme value."""
    if g.pct(70):
        if g.pct(g.weird):
            i = g.draw(g.st.integers(0, 2))
            return repr(tuple(g.pick(EXTREME_INTS) if j == i else v[j] for j in range(3)))
        return repr(tuple(v))
    if g.pct(10):
        return g.pair(lo, hi)
    return repr(tuple(g.draw(g.st.integers(lo, hi)) for _ in range(3)))


def _conv3d_kw(g: G, st_, pd, dl, groups) -> dict:
    return dict(stride=_hp3(g, st_, 1, 3), padding=_hp3(g, pd, 0, 3), dilation=_hp3(g, dl, 1, 3),
                groups=g.int_(groups, groups) if g.pct(90) else g.int_(0, 3))


def t_conv3d_forward(g: G) -> str:
    N, C, dhw, K, Cg, k, st_, pd, dl, groups, out = _conv3d_dims(g)
    return call("_core.conv3d_forward", g.arr((N, C) + dhw), g.arr((K, Cg) + k), g.opt_arr((K,)),
                **_conv3d_kw(g, st_, pd, dl, groups), reference=g.bool_(), bf16=_bf16(g))


def t_conv3d_backward_data(g: G) -> str:
    N, C, dhw, K, Cg, k, st_, pd, dl, groups, out = _conv3d_dims(g)
    return call("_core.conv3d_backward_data", g.arr((N, K) + out), g.arr((K, Cg) + k), _hp3(g, dhw, 0, 8),
                **_conv3d_kw(g, st_, pd, dl, groups), reference=g.bool_(), bf16=_bf16(g))


def t_conv3d_backward_weights(g: G) -> str:
    N, C, dhw, K, Cg, k, st_, pd, dl, groups, out = _conv3d_dims(g)
    return call("_core.conv3d_backward_weights", g.arr((N, K) + out), g.arr((N, C) + dhw), _hp3(g, k, 0, 4),
                **_conv3d_kw(g, st_, pd, dl, groups), need_weight=g.bool_(), need_bias=g.bool_(),
                reference=g.bool_(), bf16=_bf16(g))



def _conv_t_dims(g: G):
    """A transposed convolution's dims: (N, C, H, W) in, weight (C, K/groups, R, S), output (P, Q)."""
    groups = g.pick([1, 1, 1, 2])
    N, Cg, Kg = g.n(0, 3), g.n(1, 3, big=1), g.n(1, 3, big=1)
    C, K = Cg * groups, Kg * groups
    R, S = g.draw(g.st.integers(1, 4)), g.draw(g.st.integers(1, 4))
    st_ = (g.draw(g.st.integers(1, 3)), g.draw(g.st.integers(1, 3)))
    dl = (g.draw(g.st.integers(1, 2)), g.draw(g.st.integers(1, 2)))
    op = tuple(g.draw(g.st.integers(0, max(st_[i], dl[i]) - 1)) for i in range(2))
    H, W = g.n(1, 6), g.n(1, 6)
    pd = tuple(g.draw(g.st.integers(0, max(0, ((H, W)[i] - 1) * st_[i] // 2))) for i in range(2))
    P = (H - 1) * st_[0] - 2 * pd[0] + dl[0] * (R - 1) + op[0] + 1
    Q = (W - 1) * st_[1] - 2 * pd[1] + dl[1] * (S - 1) + op[1] + 1
    return N, C, H, W, K, Kg, R, S, st_, pd, op, dl, groups, P, Q


def t_conv_transpose2d_forward(g: G) -> str:
    N, C, H, W, K, Kg, R, S, st_, pd, op, dl, groups, P, Q = _conv_t_dims(g)
    return call("_core.conv_transpose2d_forward", g.arr((N, C, H, W)), g.arr((C, Kg, R, S)), g.opt_arr((K,)),
                stride=_hp(g, st_, 1, 3), padding=_hp(g, pd, 0, 3), output_padding=_hp(g, op, 0, 2),
                dilation=_hp(g, dl, 1, 3), groups=g.int_(groups, groups) if g.pct(90) else g.int_(0, 3),
                reference=g.bool_(), bf16=_bf16(g))


def t_conv_transpose2d_backward_data(g: G) -> str:
    N, C, H, W, K, Kg, R, S, st_, pd, op, dl, groups, P, Q = _conv_t_dims(g)
    return call("_core.conv_transpose2d_backward_data", g.arr((N, K, P, Q)), g.arr((C, Kg, R, S)),
                _hp(g, (H, W), 0, 8), stride=_hp(g, st_, 1, 3), padding=_hp(g, pd, 0, 3),
                output_padding=_hp(g, op, 0, 2), dilation=_hp(g, dl, 1, 3),
                groups=g.int_(groups, groups) if g.pct(90) else g.int_(0, 3), reference=g.bool_(), bf16=_bf16(g))


def t_conv_transpose2d_backward(g: G) -> str:
    N, C, H, W, K, Kg, R, S, st_, pd, op, dl, groups, P, Q = _conv_t_dims(g)
    return call("_core.conv_transpose2d_backward", g.arr((N, K, P, Q)), g.arr((N, C, H, W)), g.arr((C, Kg, R, S)),
                stride=_hp(g, st_, 1, 3), padding=_hp(g, pd, 0, 3), output_padding=_hp(g, op, 0, 2),
                dilation=_hp(g, dl, 1, 3), groups=g.int_(groups, groups) if g.pct(90) else g.int_(0, 3),
                need_input=g.bool_(), need_weight=g.bool_(), need_bias=g.bool_(), reference=g.bool_(), bf16=_bf16(g))


def t_conv_transpose2d_backward_weights(g: G) -> str:
    N, C, H, W, K, Kg, R, S, st_, pd, op, dl, groups, P, Q = _conv_t_dims(g)
    return call("_core.conv_transpose2d_backward_weights", g.arr((N, K, P, Q)), g.arr((N, C, H, W)),
                _hp(g, (R, S), 0, 4), stride=_hp(g, st_, 1, 3), padding=_hp(g, pd, 0, 3),
                output_padding=_hp(g, op, 0, 2), dilation=_hp(g, dl, 1, 3),
                groups=g.int_(groups, groups) if g.pct(90) else g.int_(0, 3), need_weight=g.bool_(),
                need_bias=g.bool_(), reference=g.bool_(), bf16=_bf16(g))

def _pool_dims(g: G):
    N, C = g.n(0, 3), g.n(0, 3)
    k = (g.draw(g.st.integers(1, 4)), g.draw(g.st.integers(1, 4)))
    s = (g.draw(g.st.integers(1, 3)), g.draw(g.st.integers(1, 3)))
    p = (g.draw(g.st.integers(0, k[0] // 2)), g.draw(g.st.integers(0, k[1] // 2)))
    H, W = max(k[0] - 2 * p[0], 0) + g.n(0, 6), max(k[1] - 2 * p[1], 0) + g.n(0, 6)
    P, Q = max((H + 2 * p[0] - k[0]) // s[0] + 1, 0), max((W + 2 * p[1] - k[1]) // s[1] + 1, 0)
    return N, C, H, W, k, s, p, P, Q


def t_pool2d_forward(g: G) -> str:
    N, C, H, W, k, s, p, P, Q = _pool_dims(g)
    return call("_core.pool2d_forward", g.arr((N, C, H, W)), g.str_(["max", "min", "avg", "relu_max"]), _hp(g, k, 0, 5),
                _hp(g, s, 0, 4), padding=_hp(g, p, 0, 3), with_indices=g.bool_(), reference=g.bool_())


def t_pool2d_backward(g: G) -> str:
    N, C, H, W, k, s, p, P, Q = _pool_dims(g)
    return call("_core.pool2d_backward", g.arr((N, C, P, Q)), g.str_(["max", "min", "avg"]),
                g.arr((N, C, P, Q), "int32", fill="idx", hi=max(H * W, 1)) if g.pct(90) else "None",
                _hp(g, (H, W), 0, 8), _hp(g, k, 0, 5), _hp(g, s, 0, 4), padding=_hp(g, p, 0, 3),
                reference=g.bool_(), relu_output=g.arr((N, C, P, Q) if g.pct(90) else (N, C, P + 1, Q))
                if g.pct(30) else "None")



def _resample_dims(g: G):
    N, C, H, W = g.n(0, 3), g.n(0, 3), g.n(1, 9), g.n(1, 9)
    return N, C, H, W, g.n(1, 9), g.n(1, 9)


def t_adaptive_pool2d_forward(g: G) -> str:
    N, C, H, W, P, Q = _resample_dims(g)
    return call("_core.adaptive_pool2d_forward", g.arr((N, C, H, W)), g.str_(["max", "avg"]), _hp(g, (P, Q), 0, 9),
                with_indices=g.bool_(), reference=g.bool_())


def t_adaptive_pool2d_backward(g: G) -> str:
    N, C, H, W, P, Q = _resample_dims(g)
    return call("_core.adaptive_pool2d_backward", g.arr((N, C, P, Q)), g.str_(["max", "avg"]),
                g.arr((N, C, P, Q), "int32", fill="idx", hi=max(H * W, 1)) if g.pct(90) else "None",
                _hp(g, (H, W), 0, 9), reference=g.bool_())


def _interp_args(g: G) -> dict:
    mode = g.str_(["nearest", "bilinear"])
    scales = f"({g.flt(0, 4)}, {g.flt(0, 4)})" if g.pct(50) else "(0.0, 0.0)"
    return dict(mode=mode, align_corners=g.bool_(), scales=scales, reference=g.bool_())


def t_interpolate_forward(g: G) -> str:
    N, C, H, W, P, Q = _resample_dims(g)
    return call("_core.interpolate_forward", g.arr((N, C, H, W)), _hp(g, (P, Q), 0, 9), **_interp_args(g))


def t_interpolate_backward(g: G) -> str:
    N, C, H, W, P, Q = _resample_dims(g)
    return call("_core.interpolate_backward", g.arr((N, C, P, Q)), _hp(g, (H, W), 0, 9), **_interp_args(g))


def _pads(g: G) -> list:
    vals = [g.draw(g.st.integers(-2, 4)) for _ in range(4)]
    if g.pct(g.weird):
        vals[g.draw(g.st.integers(0, 3))] = g.pick(EXTREME_INTS)
    return vals


def t_pad_forward(g: G) -> str:
    N, C, H, W, _, _ = _resample_dims(g)
    return call("_core.pad_forward", g.arr((N, C, H, W)), repr(tuple(_pads(g))),
                g.str_(["constant", "reflect", "replicate"]), g.flt(-2, 2), reference=g.bool_())


def t_pad_backward(g: G) -> str:
    N, C, H, W, _, _ = _resample_dims(g)
    p = _pads(g)
    P, Q = max(0, min(H + p[2] + p[3], 40)), max(0, min(W + p[0] + p[1], 40))
    return call("_core.pad_backward", g.arr((N, C, P, Q)), _hp(g, (H, W), 0, 9), repr(tuple(p)),
                g.str_(["constant", "reflect", "replicate"]), reference=g.bool_())


def t_dropout2d_forward(g: G) -> str:
    N, C = g.n(0, 4), g.n(0, 4)
    return call("_core.dropout2d_forward", g.arr((N, C, g.n(0, 5))), g.int_(N * C, N * C) if g.pct(85) else
                g.int_(0, 9), g.flt(0, 0.99), g.int_(0, 2**64 - 1), reference=g.bool_())


def t_dropout2d_backward(g: G) -> str:
    N, C = g.n(0, 4), g.n(0, 4)
    return call("_core.dropout2d_backward", g.arr((N, C, g.n(0, 5))), g.int_(N * C, N * C) if g.pct(85) else
                g.int_(0, 9), g.flt(0, 0.99), g.int_(0, 2**64 - 1))

def t_maxout_forward(g: G) -> str:
    o, k, i = g.n(0, 3), g.n(0, 4), g.n(0, 4)
    pieces = g.draw(g.st.integers(1, 4))
    return call("_core.maxout_forward", g.arr((o, k * pieces, i)), g.int_(pieces, pieces) if g.pct(80) else
                g.int_(0, 5), with_indices=g.bool_(), reference=g.bool_())


def t_maxout_backward(g: G) -> str:
    o, k, i = g.n(0, 3), g.n(0, 4), g.n(0, 4)
    pieces = g.draw(g.st.integers(1, 4))
    return call("_core.maxout_backward", g.arr((o, k, i)), g.arr((o, k, i), "int32", fill="idx", hi=pieces),
                g.int_(pieces, pieces) if g.pct(80) else g.int_(0, 5), reference=g.bool_())


def _any_shape(g: G, max_rank: int = 4) -> tuple:
    r = g.draw(g.st.integers(0, max_rank))
    shape = tuple(g.n(0, 5) for _ in range(r))
    if g.pct(10):
        shape = (g.pick([1000, 1023, 4097]),)
    return shape


# the activation names of cpp/kernels/activation.h (kActNames)
ACT_KINDS = ["relu", "leaky_relu", "elu", "sigmoid", "tanh", "gelu", "gelu_tanh", "silu", "mish", "softplus",
             "hardtanh", "hardswish", "hardsigmoid", "softsign"]


def t_activation_forward(g: G) -> str:
    return call("_core.activation_forward", g.arr(_any_shape(g)), g.str_(ACT_KINDS), g.flt(-2, 2), g.flt(-2, 25),
                reference=g.bool_())


def t_activation_backward(g: G) -> str:
    s = _any_shape(g)
    return call("_core.activation_backward", g.arr(s), g.opt_arr(s, 15), g.opt_arr(s, 15), kind=g.str_(ACT_KINDS),
                alpha=g.flt(-2, 2), beta=g.flt(-2, 25), reference=g.bool_())


def _prelu_dims(g: G):
    return g.n(0, 3), g.n(0, 4), g.n(0, 40)


def t_prelu_forward(g: G) -> str:
    N, C, L = _prelu_dims(g)
    return call("_core.prelu_forward", g.arr((N, C, L)), g.arr((C,) if g.pct(85) else (g.n(0, 4),)),
                reference=g.bool_())


def t_prelu_backward(g: G) -> str:
    N, C, L = _prelu_dims(g)
    return call("_core.prelu_backward", g.arr((N, C, L)), g.arr((N, C, L)), g.arr((C,) if g.pct(85) else (g.n(0, 4),)),
                need_input=g.bool_(), need_weight=g.bool_(), reference=g.bool_())


def t_softmax_forward(g: G) -> str:
    s = _any_shape(g)
    return call("_core.softmax_forward", g.arr(s), g.int_(-1, max(len(s), 1)), log=g.bool_(), reference=g.bool_())


def t_softmax_backward(g: G) -> str:
    s = _any_shape(g)
    return call("_core.softmax_backward", g.arr(s), g.arr(s), g.int_(-1, max(len(s), 1)), log=g.bool_())


def t_cross_entropy_forward(g: G) -> str:
    R, C = g.n(0, 5), g.n(0, 6)
    return call("_core.cross_entropy_forward", g.arr((R, C)), g.arr((R,), "int64", fill="idx", hi=C),
                ignore_index=g.int_(-100, 3))


def t_cross_entropy_backward(g: G) -> str:
    R, C = g.n(0, 5), g.n(0, 6)
    return call("_core.cross_entropy_backward", g.arr((R, C)), g.arr((R,)), g.arr((R,), "int64", fill="idx", hi=C),
                g.arr((R,)), ignore_index=g.int_(-100, 3))


def _nll_args(g: G):
    N, C, D = g.n(0, 5), g.n(0, 6), g.n(0, 4)
    shape = (N, C, D) if g.pct(40) else (N, C)
    rows = N * D if len(shape) == 3 else N
    return shape, rows, C


def t_nll_forward(g: G) -> str:
    shape, rows, C = _nll_args(g)
    return call("_core.nll_forward", g.arr(shape), g.arr((rows,), "int64", fill="idx", hi=C), g.opt_arr((C,)),
                g.int_(-100, 3), reference=g.bool_())


def t_nll_backward(g: G) -> str:
    shape, rows, C = _nll_args(g)
    return call("_core.nll_backward", g.arr(shape), g.arr((rows,), "int64", fill="idx", hi=C),
                g.arr((rows,) if g.pct(60) else (1,)), g.opt_arr((C,)), g.int_(-100, 3), reference=g.bool_())


def t_batchnorm_forward_train(g: G) -> str:
    N, C, L = g.n(0, 4), g.n(0, 4), g.n(0, 5)
    return call("_core.batchnorm_forward_train", g.arr((N, C, L)), g.opt_arr((C,)), g.opt_arr((C,)),
                g.flt(1e-6, 1e-2), reference=g.bool_())


def t_batchnorm_forward_eval(g: G) -> str:
    N, C, L = g.n(0, 4), g.n(0, 4), g.n(0, 5)
    return call("_core.batchnorm_forward_eval", g.arr((N, C, L)), g.opt_arr((C,), 5), g.opt_arr((C,), 5),
                g.opt_arr((C,)), g.opt_arr((C,)), g.flt(1e-6, 1e-2))


def t_batchnorm_backward(g: G) -> str:
    N, C, L = g.n(0, 4), g.n(0, 4), g.n(0, 5)
    return call("_core.batchnorm_backward", g.arr((N, C, L)), g.arr((N, C, L)), g.opt_arr((C,), 5),
                g.opt_arr((C,), 5), g.opt_arr((C,)), g.bool_(), need_input=g.bool_(), need_weight=g.bool_(),
                need_bias=g.bool_(), reference=g.bool_())


def t_layernorm_forward(g: G) -> str:
    N, G_, K, L = g.n(0, 4), g.n(0, 3), g.n(0, 5), g.n(0, 4)
    return call("_core.layernorm_forward", g.arr((N, G_, K, L)), g.opt_arr((G_ * K,)), g.opt_arr((G_ * K,)),
                g.flt(0, 1e-2), reference=g.bool_())


def t_layernorm_backward(g: G) -> str:
    N, G_, K, L = g.n(0, 4), g.n(0, 3), g.n(0, 5), g.n(0, 4)
    return call("_core.layernorm_backward", g.arr((N, G_, K, L)), g.arr((N, G_, K, L)), g.arr((N, G_)),
                g.arr((N, G_)), g.opt_arr((G_ * K,)), need_input=g.bool_(), need_weight=g.bool_(),
                need_bias=g.bool_(), reference=g.bool_())


def t_dropout_forward(g: G) -> str:
    return call("_core.dropout_forward", g.arr(_any_shape(g)), g.flt(0, 0.99), g.int_(0, 2**64 - 1),
                reference=g.bool_())


def t_dropout_backward(g: G) -> str:
    return call("_core.dropout_backward", g.arr(_any_shape(g)), g.flt(0, 0.99), g.int_(0, 2**64 - 1))


def t_gemm(g: G) -> str:
    M, N, K = g.n(0, 6), g.n(0, 6), g.n(0, 6)
    if g.pct(10):
        M, N, K = g.pick([(33, 17, 65), (1, 129, 7), (70, 3, 40), (16, 16, 300)])
    ta, tb = g.pct(50), g.pct(50)
    dt = "float64" if g.pct(20) else "float32"
    beta = g.pick(["0.0", "0.0", "1.0", "0.5"]) if g.pct(90) else g.flt(-1, 1)
    c = g.arr((M, N), dt) if beta != "0.0" or g.pct(20) else "None"
    return call("_core.gemm", g.arr((K, M) if ta else (M, K), dt), g.arr((N, K) if tb else (K, N), dt),
                trans_a=repr(ta) if g.pct(95) else g.bool_(), trans_b=repr(tb) if g.pct(95) else g.bool_(),
                alpha=g.flt(-2, 2), beta=beta, c=c, bias_row=g.opt_arr((M,), 70), bias_col=g.opt_arr((N,), 70),
                reference=g.bool_(), bf16=_bf16(g), packed_b=g.bool_() if g.pct(30) else "False",
                relu=g.bool_() if g.pct(30) else "False", packed_a=g.bool_() if g.pct(30) else "False")


def _bf16(g: G) -> str:
    """The bf16 switch of a GEMM-backed binding: mostly off, so the float32 paths keep most of the calls."""
    return g.bool_() if g.pct(25) else "False"


def t_gemm_batched(g: G) -> str:
    B, M, K, N = g.n(0, 4), g.n(0, 5, big=1), g.n(0, 5, big=1), g.n(0, 5, big=1)
    Ba = B if g.pct(70) else g.pick([1, 0, B + 1])
    Bb = B if g.pct(70) else g.pick([1, 0, B + 2])
    Kb = K if g.pct(90) else K + 1
    return call("_core.gemm_batched", g.arr((Ba, M, K)), g.arr((Bb, Kb, N)), bf16=_bf16(g))


def t_linear_backward(g: G) -> str:
    M, N, K = g.n(0, 5, big=1), g.n(0, 5, big=1), g.n(0, 5, big=1)
    Mx = M if g.pct(90) else M + 1
    Nw = N if g.pct(90) else N + 1
    Mr, Nr = (M, N) if g.pct(90) else g.pick([(M + 1, N), (M, N + 1), (N, M)])
    return call("_core.linear_backward", g.arr((M, N)), g.arr((Mx, K)), g.arr((Nw, K)), g.bool_(), g.bool_(),
                g.bool_(), _bf16(g), g.arr((Mr, Nr)) if g.pct(40) else "None")


def t_linear_bf16w(g: G) -> str:
    """Rows against a weight given as bf16 bits (autocast's cached cast), a few (the kept-cast use) or more."""
    M, N, K = g.n(0, 9) if g.pct(70) else g.n(5, 40), g.n(0, 5, big=1), g.n(0, 5, big=1)
    Kw = K if g.pct(90) else K + 1
    return call("_core.linear_bf16w", g.arr((M, K)), g.arr((N, Kw), "uint16", fill="bigint" if g.pct(30) else None),
                g.opt_arr((N,), 70), g.bool_())


def t_bf16_bits(g: G) -> str:
    return call("_core.bf16_bits", g.arr(tuple(g.n(0, 5, big=1) for _ in range(g.n(0, 3))),
                                         fill=g.pick(["special", "mixed", "bigint"]) if g.pct(40) else None))


def t_NativePlan(g: G) -> str:
    """nnengine.compile's native plan: a valid MLP/LSTM plan or a corrupted one (bad refs, sizes, slots)."""
    M, K, N, H = g.n(0, 4), g.n(1, 5, big=1), g.n(1, 5, big=1), g.n(1, 4, big=1)
    ref = lambda kind, i: (f"({kind}, {i})" if g.pct(90) else g.pick(["(9, 0)", "(0, 99)", "(2, -1)", "None",  # noqa: E731
                                                                        "(1, 5)", "'x'", "(3, 0)"]))
    lines = ["P = _core.NativePlan()",
             f"P.add_input({[M, K] if g.pct(90) else g.pick([[-1], [2**31], [M, K, 0]])})",
             f"P.add_param([{N}, {K}])", f"P.add_param([{N}])", f"P.add_param([{4 * H}, {N}])",
             f"P.add_param([{4 * H}, {H}])",
             f"P.add_slot([{M}, {N}], {g.bool_()})", f"P.add_slot([{M}, {N}], {g.bool_()})",
             f"P.add_slot([{M}, {H}], True)", f"P.add_slot([{M}, {H}], True)", f"P.add_slot([{M}, {H}], True)",
             f"c = P.add_const({g.arr((M, H))})",
             f"P.linear({ref(0, 0)}, {ref(1, 0)}, {ref(1, 1) if g.pct(80) else 'None'}, {g.int_(0, 0)}, "
             f"{g.int_(M, M)}, {g.int_(N, N)}, {g.int_(K, K)})",
             f"P.act({ref(2, 0)}, {g.int_(1, 1)}, {g.str_(ACT_KINDS)}, {g.flt(-1, 1)}, {g.flt(0, 20)}, "
             f"{g.int_(M * N, M * N)})",
             f"P.lstm({ref(2, 1)}, {ref(3, 0)}, {ref(3, 0)}, {ref(1, 2)}, {ref(1, 3)}, None, None, 2, 3, 4, "
             f"{g.int_(M, M)}, {g.int_(N, N)}, {g.int_(H, H)})" if g.pct(50) else
             f"P.rnn({ref(2, 1)}, {ref(3, 0)}, {ref(1, 2)}, {ref(1, 3)}, None, None, 2, 3, {g.int_(M, M)}, "
             f"{g.int_(N, N)}, {g.int_(H, H)}, {g.str_(['tanh', 'relu'])})",
             f"P.alias({ref(2, 2)}, {g.int_(4, 4)})" if g.pct(50) else "pass"]
    ops = f"[{g.arr((M, K))}], [{g.arr((N, K))}, {g.arr((N,))}, {g.arr((4 * H, N))}, {g.arr((4 * H, H))}]"
    if g.pct(40):  # a training plan: forward keeps every slot, backward takes them back with output gradients
        lines = [ln if not ln.startswith(("P.lstm", "P.rnn")) or g.pct(10) else "pass" for ln in lines]
        leaves = g.pick(["[(1, 0), (1, 1)]", "[(0, 0), (1, 0)]", "[]", "[(1, 0), (1, 0)]", "[(2, 0)]", "[(1, 9)]"])
        gouts = f"[{g.arr((M, N)) if g.pct(80) else 'None'}, None, None, None, None]" if g.pct(80) else "[None]"
        return "\n".join(lines + [f"P.set_training({leaves})", f"R = P.run({ops})",
                                   f"G = P.backward({ops}, R if {g.bool_()} else R[:1], {gouts})"])
    return "\n".join(lines + [f"R = P.run({ops})"])


def t_rbm_sample(g: G) -> str:
    N, I, O = g.n(0, 4), g.n(0, 6), g.n(0, 6)
    tw = g.pct(50)
    seed = g.pick(["None", "0", "12345", repr(2**63 - 1), repr(2**63), repr(2**64), "-1", "1.5", "'s'",
                   "np.int64(3)", "True"]) if g.pct(60) else repr(g.draw(g.st.integers(0, 2**63 - 1)))
    return call("_core.rbm_sample", g.arr((N, I)), g.arr((O, I) if tw else (I, O)), g.opt_arr((O,)),
                trans_w=repr(tw) if g.pct(95) else g.bool_(), seed=seed, reference=g.bool_())


def _seq_dims(g: G):
    return g.n(0, 4, zero=5), g.n(0, 3, zero=5), g.n(0, 4, zero=5), g.n(1, 4, big=2)


def _col(g: G, W: int, H: int, none_out: bool) -> str:
    if none_out:
        return "0" if g.pct(85) else g.int_(0, 2)
    if g.clean or g.pct(80):
        return repr(g.draw(g.st.integers(0, max(W - H, 0))))
    return repr(g.pick([-1, W - H + 1, 2**31, 2**62, 2**63 - 1, -(2**63), 2**63 - 1 - H, 2**62 + 1]))


def t_rnn_forward(g: G) -> str:
    T, B, I, H = _seq_dims(g)
    use_out = g.pct(40)
    W = H + (g.draw(g.st.integers(0, 3)) if use_out else 0)
    return call("_core.rnn_forward", g.arr((T, B, I)), g.arr((B, H)), g.arr((H, I)), g.arr((H, H)),
                g.opt_arr((H,)), g.str_(["tanh", "relu"]), reverse=g.bool_(), reference=g.bool_(),
                out=g.arr((T, B, W)) if use_out else "None", out_col=_col(g, W, H, not use_out), bf16=_bf16(g))


def t_rnn_backward(g: G) -> str:
    T, B, I, H = _seq_dims(g)
    W = H + g.draw(g.st.integers(0, 3))
    return call("_core.rnn_backward", g.arr((T, B, W)), g.arr((B, H)), g.arr((T, B, I)), g.arr((B, H)),
                g.arr((H, I)), g.arr((H, H)), g.opt_arr((H,)), g.arr((T, B, W)), g.str_(["tanh", "relu"]),
                reverse=g.bool_(), reference=g.bool_(), y_col=_col(g, W, H, False), bf16=_bf16(g))


def t_lstm_forward(g: G) -> str:
    T, B, I, H = _seq_dims(g)
    use_out = g.pct(40)
    W = H + (g.draw(g.st.integers(0, 3)) if use_out else 0)
    return call("_core.lstm_forward", g.arr((T, B, I)), g.arr((B, H)), g.arr((B, H)), g.arr((4 * H, I)),
                g.arr((4 * H, H)), g.opt_arr((4 * H,)), reverse=g.bool_(), train=g.bool_(), reference=g.bool_(),
                out=g.arr((T, B, W)) if use_out else "None", out_col=_col(g, W, H, not use_out), bf16=_bf16(g))


def t_lstm_backward(g: G) -> str:
    T, B, I, H = _seq_dims(g)
    W = H + g.draw(g.st.integers(0, 3))
    return call("_core.lstm_backward", g.arr((T, B, W)), g.arr((B, H)), g.arr((B, H)), g.arr((T, B, I)),
                g.arr((B, H)), g.arr((B, H)), g.arr((4 * H, I)), g.arr((4 * H, H)), g.opt_arr((4 * H,)),
                g.arr((T, B, W)), g.arr((T, B, 4 * H)), g.arr((T, B, H)), reverse=g.bool_(), reference=g.bool_(),
                y_col=_col(g, W, H, False), bf16=_bf16(g))


def t_gru_forward(g: G) -> str:
    T, B, I, H = _seq_dims(g)
    use_out = g.pct(40)
    W = H + (g.draw(g.st.integers(0, 3)) if use_out else 0)
    return call("_core.gru_forward", g.arr((T, B, I)), g.arr((B, H)), g.arr((3 * H, I)), g.arr((3 * H, H)),
                g.opt_arr((3 * H,)), g.opt_arr((3 * H,)), reverse=g.bool_(), train=g.bool_(), reference=g.bool_(),
                out=g.arr((T, B, W)) if use_out else "None", out_col=_col(g, W, H, not use_out), bf16=_bf16(g))


def t_gru_backward(g: G) -> str:
    T, B, I, H = _seq_dims(g)
    W = H + g.draw(g.st.integers(0, 3))
    return call("_core.gru_backward", g.arr((T, B, W)), g.arr((B, H)), g.arr((T, B, I)), g.arr((B, H)),
                g.arr((3 * H, I)), g.arr((3 * H, H)), g.opt_arr((3 * H,)), g.opt_arr((3 * H,)),
                g.arr((T, B, W)), g.arr((T, B, 4 * H)), reverse=g.bool_(), reference=g.bool_(),
                y_col=_col(g, W, H, False), bf16=_bf16(g))

def _emb_dims(g: G):
    V, D = g.n(0, 6), g.n(0, 9)
    shape = (g.n(0, 4), g.n(0, 3)) if g.pct(50) else (g.n(0, 5),)
    return V, D, shape, g.arr(shape, g.pick(["int64", "int32"]), fill="idx", hi=V)


def t_embedding_forward(g: G) -> str:
    V, D, _, idx = _emb_dims(g)
    return call("_core.embedding_forward", idx, g.arr((V, D)), reference=g.bool_())


def t_embedding_backward(g: G) -> str:
    V, D, shape, idx = _emb_dims(g)
    return call("_core.embedding_backward", g.arr(shape + (D,)), idx, g.int_(V, V), g.int_(-1, max(V - 1, -1)),
                scale_grad_by_freq=g.bool_(), reference=g.bool_())


def t_embedding_renorm(g: G) -> str:
    V, D, _, idx = _emb_dims(g)
    return call("_core.embedding_renorm", g.arr((V, D)), idx, g.flt(0, 3),
                norm_type=g.pick(["2.0", "1.0", "float('inf')", "0.0", "3.0"]) if g.pct(80) else g.flt(-2, 4),
                reference=g.bool_())

def t_vmath(g: G) -> str:
    n = g.n(0, 40)
    return call("_core.vmath", g.arr((n,)), g.str_(["sigmoid", "tanh", "exp", "sigmoid_fast", "tanh_fast",
                                                    "exp_fast"]))


def _attn_operands(g: G):
    """(args, N, H, L, S, out_shape, layout, packed) of a consistent attention call (mutated by g.arr)."""
    N, H, L, S, E, Ev = g.n(0, 3), g.n(1, 3, big=1), g.n(0, 5), g.n(0, 5), g.n(0, 4), g.n(0, 4)
    layout = g.str_(["nhld", "lne", "nle"])
    packed = layout in ("'lne'", "'nle'") and g.pct(30)
    if packed:
        S, Ev = L, E
    bf = layout == "'nle'"

    def seq(n, w):
        return (N, n, H * w) if bf else (n, N, H * w)

    if layout == "'nhld'" or layout not in ("'lne'", "'nle'"):
        args = [g.arr((N, H, L, E)), g.arr((N, H, S, E)), g.arr((N, H, S, Ev))]
        out = (N, H, L, Ev)
    elif packed:
        args = [g.arr(seq(L, 3 * E)), "None", "None"]
        out = seq(L, E)
    else:
        args = [g.arr(seq(L, E)), g.arr(seq(S, E)), g.arr(seq(S, Ev))]
        out = seq(L, Ev)
    heads = g.int_(H, H) if g.pct(90) else g.int_(0, 4)
    return args, N, H, L, S, out, layout, heads, packed


def t_attention_forward(g: G) -> str:
    args, N, H, L, S, _, layout, heads, packed = _attn_operands(g)
    mshape = g.pick([(L, S), (N * H, L, S), (N, H, L, S), (1, H, 1, S), (N, 1, L, S)])
    return call("_core.attention_forward", *args, heads, layout, g.flt(-2, 2), attn_mask=g.opt_arr(mshape, 50),
                key_padding_mask=g.opt_arr((N, S), 60), is_causal=g.bool_(), zero_masked_rows=g.bool_(),
                dropout_p=g.flt(0, 0.99) if g.pct(40) else "0.0", seed=g.int_(0, 2**64 - 1),
                packed=repr(packed) if g.pct(95) else g.bool_(), need_attn=g.bool_(), reference=g.bool_())


def t_attention_backward(g: G) -> str:
    args, N, H, L, S, out, layout, heads, packed = _attn_operands(g)
    return call("_core.attention_backward", g.arr(out), *args, g.arr((N * H, L, S)), g.opt_arr((N * H, L, S), 60),
                heads, layout, g.flt(-2, 2),
                dropout_p=g.flt(0, 0.99) if g.pct(40) else "0.0", seed=g.int_(0, 2**64 - 1),
                packed=repr(packed) if g.pct(95) else g.bool_(), reference=g.bool_())


def _group(g: G, nstate: int):
    k = g.draw(g.st.integers(0, 3))
    shapes = [_any_shape(g, 3) for _ in range(k)]
    params = "[" + ", ".join(g.arr(s, weird=3) for s in shapes) + "]"
    grads = "[" + ", ".join(g.arr(s, weird=3) for s in shapes) + "]"
    if g.pct(4):
        grads = g.weird_value()
    states = ["[" + ", ".join(g.arr(s, weird=3) for s in shapes) + "]" for _ in range(nstate)]
    states = [s if g.pct(95) else g.weird_value() for s in states]
    steps = "[" + ", ".join(g.int_(1, 1000) for _ in shapes) + "]"
    return k, params, grads, states, steps


def t_sgd_step(g: G) -> str:
    k, params, grads, (mb,), _ = _group(g, 1)
    first = "[" + ", ".join(g.pick(["0", "1"]) for _ in range(k)) + "]"
    return call("_core.sgd_step", params, grads, momentum_buffers=mb if g.pct(80) else "None",
                first=first if g.pct(90) else g.weird_value(), lr=g.flt(0, 1), momentum=g.flt(0, 1),
                dampening=g.flt(0, 1), weight_decay=g.flt(0, 1), nesterov=g.bool_(), maximize=g.bool_(),
                reference=g.bool_())


def t_adam_step(g: G) -> str:
    k, params, grads, (ea, eas, mx), steps = _group(g, 3)
    return call("_core.adam_step", params, grads, ea, eas, max_exp_avg_sqs=mx if g.pct(70) else "None",
                steps=steps, lr=g.flt(0, 1), beta1=g.flt(0, 1), beta2=g.flt(0, 1), eps=g.flt(1e-10, 1e-3),
                weight_decay=g.flt(0, 1), amsgrad=g.bool_(), decoupled=g.bool_(), maximize=g.bool_(),
                reference=g.bool_())


def t_rmsprop_step(g: G) -> str:
    k, params, grads, (sq, mb, ga), _ = _group(g, 3)
    return call("_core.rmsprop_step", params, grads, sq, momentum_buffers=mb if g.pct(70) else "None",
                grad_avgs=ga if g.pct(70) else "None", lr=g.flt(0, 1), alpha=g.flt(0, 1), eps=g.flt(1e-10, 1e-3),
                weight_decay=g.flt(0, 1), momentum=g.flt(0, 1), centered=g.bool_(), maximize=g.bool_(),
                reference=g.bool_())


def t_adagrad_step(g: G) -> str:
    k, params, grads, (ss,), steps = _group(g, 1)
    return call("_core.adagrad_step", params, grads, ss, steps, lr=g.flt(0, 1), lr_decay=g.flt(0, 1),
                weight_decay=g.flt(0, 1), eps=g.flt(1e-10, 1e-3), maximize=g.bool_(), reference=g.bool_())


def t_adadelta_step(g: G) -> str:
    k, params, grads, (sq, acc), _ = _group(g, 2)
    return call("_core.adadelta_step", params, grads, sq, acc, lr=g.flt(0, 2), rho=g.flt(0, 1),
                eps=g.flt(1e-10, 1e-3), weight_decay=g.flt(0, 1), maximize=g.bool_(), reference=g.bool_())


def t_adamax_step(g: G) -> str:
    k, params, grads, (ea, ei), steps = _group(g, 2)
    return call("_core.adamax_step", params, grads, ea, ei, steps, lr=g.flt(0, 1), beta1=g.flt(0, 1),
                beta2=g.flt(0, 1), eps=g.flt(1e-10, 1e-3), weight_decay=g.flt(0, 1), maximize=g.bool_(),
                reference=g.bool_())


def t_nadam_step(g: G) -> str:
    k, params, grads, (ea, eas), steps = _group(g, 2)
    mus = "[" + ", ".join(g.flt(0, 1) for _ in range(k)) + "]" if g.pct(95) else g.weird_value()
    return call("_core.nadam_step", params, grads, ea, eas, steps, mus, lr=g.flt(0, 1), beta1=g.flt(0, 1),
                beta2=g.flt(0, 1), eps=g.flt(1e-10, 1e-3), weight_decay=g.flt(0, 1), momentum_decay=g.flt(0, 1),
                decoupled=g.bool_(), maximize=g.bool_(), reference=g.bool_())


def t_radam_step(g: G) -> str:
    k, params, grads, (ea, eas), steps = _group(g, 2)
    return call("_core.radam_step", params, grads, ea, eas, steps, lr=g.flt(0, 1), beta1=g.flt(0, 1),
                beta2=g.flt(0, 1), eps=g.flt(1e-10, 1e-3), weight_decay=g.flt(0, 1), decoupled=g.bool_(),
                maximize=g.bool_(), reference=g.bool_())


def t_optim_epilogue(g: G) -> str:
    k = g.draw(g.st.integers(0, 3))
    shapes = [_any_shape(g, 3) for _ in range(k)]
    weights = "[" + ", ".join(g.arr(s, weird=3) for s in shapes) + "]"

    def view(s: tuple) -> str:
        n = math.prod(s)
        if g.pct(10):
            return "(" + ", ".join(g.int_(-2, 9) for _ in range(3)) + ")"
        if g.pct(50) and len(s) > 1:
            return f"({s[0]}, {math.prod(s[1:])}, 1)"
        return f"(1, {n}, 1)" if g.pct(50) else f"({n}, 1, 1)"

    views = "[" + ", ".join(view(s) for s in shapes) + "]"
    prox = "[" + ", ".join(g.flt(0, 1) for _ in shapes) + "]"
    kinds = "[" + ", ".join(g.str_(["none", "max_norm", "unit_norm", "non_neg"]) for _ in shapes) + "]"
    maxv = "[" + ", ".join(g.flt(0, 5) for _ in shapes) + "]"
    lists = [weights, views, prox, kinds, maxv]
    if g.pct(5):
        lists[g.draw(g.st.integers(0, 4))] = g.weird_value()
    return call("_core.optim_epilogue", *lists, reference=g.bool_())


def t_weight_penalty_forward(g: G) -> str:
    return call("_core.weight_penalty_forward", g.arr(_any_shape(g)), reference=g.bool_())


def t_weight_penalty_backward(g: G) -> str:
    return call("_core.weight_penalty_backward", g.arr(_any_shape(g)), g.flt(-2, 2), g.flt(-2, 2),
                reference=g.bool_())


def t_copy_into(g: G) -> str:
    """The pool's byte copy: sizes around the 1 MiB threaded threshold, size and dtype mismatches, layouts, and two
    views of one buffer (overlapping or not). A copy that returns must leave dst's bytes equal to src's."""
    if g.pct(20):
        n = g.pick([16, 1000, 300_001])
        (a, b), (c, d) = g.pick([((0, n // 2), (n // 2, n)), ((0, n // 2), (n // 4, n // 4 + n // 2)),
                                 ((0, n // 2), (0, n // 2)), ((0, 0), (0, 0))])
        return (f"_B = A(({n},))\n_D, _S = _B[{a}:{b}], _B[{c}:{d}]\n"
                + call("_core.copy_into", "_D", "_S", post="assert _D.tobytes() == _S.tobytes()"))
    n = g.pick([0, 1, 17, 4096, 262_143, 262_144, 262_161, 1_000_003])
    dtype = g.pick(["float32", "float64", "int64", "uint8"])
    return (f"_D = {g.arr((n,), dtype=dtype)}\n_S = {g.arr((n,), dtype=dtype)}\n"
            + call("_core.copy_into", "_D", "_S", post="assert _D.tobytes() == _S.tobytes()"))


def t_backend(g: G) -> str:
    """set_isa / set_num_threads (followed by a small threaded kernel call) and the info functions."""
    which = g.draw(g.st.integers(0, 10))
    probe = "\n_core.gemm(A((64, 64)), A((64, 64)))\n_core.activation_forward(A((5000,)), 'sigmoid')"
    if which == 0:
        return call("_core.set_isa", g.str_(["baseline", "avx2", "avx512"])) + probe
    if which == 1:
        return call("_core.set_num_threads", g.int_(1, 4) if g.pct(70) else repr(g.pick([2**31 - 1, 64, 1000])))\
            + probe
    if which == 2:  # a faked cache description changes the GEMM blocking; then back to the detected one
        sizes = [repr(g.pick([0, 1, 100, 4096, 32 << 10, 1 << 20, 1 << 30, 1 << 40, 2**63 - 1, -1]))
                 if g.pct(80) else g.weird_value() for _ in range(3)]
        return call("_core.set_cache_sizes", *sizes) + probe + "\n_core.reset_cache_sizes()"
    if which == 3:
        return call("_core.fma_probe", g.int_(1, 1000) if g.pct(80) else repr(g.pick([0, -1, 2**28 + 1, 2**63 - 1])))
    if which == 4:  # a Winograd mode (or junk), then a wide 3x3 layer through the chosen path, then the default
        mode = g.str_(["f2", "f4", "off"]) if g.pct(80) else g.weird_value()
        return (call("_core.set_winograd_mode", mode) + "\n_core.conv2d_forward(A((2, 32, 6, 7)), A((32, 32, 3, 3)),"
                " A((32,)), (1, 1), (1, 1))\n_core.reset_winograd_mode()")
    if which == 5:
        dims = [g.int_(0, 40) if g.pct(85) else repr(g.pick([-1, 2**31, 2**63 - 1])) for _ in range(8)]
        return call("_core.conv2d_algorithm", "(" + ", ".join(dims[:4]) + ")", "(" + ", ".join(dims[4:]) + ")",
                    _hp(g, (1, 1), 0, 3), _hp(g, (1, 1), 0, 3), _hp(g, (1, 1), 1, 3), g.int_(1, 4))
    if which == 6:  # a bf16 GEMM kernel (or junk), then a bf16 product where there is one, then the default
        name = g.str_(["auto", "amx", "avx512bf16"]) if g.pct(80) else g.weird_value()
        return (call("_core.set_bf16_gemm_kernel", name) + "\nif _core.bf16_gemm_kernels():\n"
                "    _core.gemm(A((33, 70)), A((70, 40)), bf16=True)\n_core.set_bf16_gemm_kernel('auto')")
    if which == 7:
        return call("_core.amx_probe", g.int_(1, 1000) if g.pct(80) else repr(g.pick([0, -1, 2**24 + 1, 2**63 - 1])))
    return call(g.pick(["_core.isa", "_core.available_isas", "_core.build_info", "_core.get_num_threads",
                        "_core.cache_info", "_core.reset_cache_sizes", "_core.bf16_unavailable_reason",
                        "_core.winograd_mode", "_core.reset_winograd_mode", "_core.bf16_gemm_kernels",
                        "_core.bf16_gemm_kernel"]),
                *([g.weird_value()] if g.pct(10) else []))


# ------------------------------------------------------------------------------ targets: functional ops


def _t(g: G, shape, rg: Optional[bool] = None) -> str:
    """A Tensor (or, sometimes, a bare numpy array) of the given shape."""
    a = g.arr(shape)
    if a.startswith("A(") and g.pct(85):
        return f"T({a}, {rg if rg is not None else g.pct(70)})"
    return a


def _int_or_pair(g: G, v: int, lo: int, hi: int) -> str:
    if g.pct(50) and g.pct(100 - g.weird):
        return repr(v)
    return g.pair(lo, hi) if g.pct(50) else g.int_(lo, hi)


def f_conv2d(g: G) -> str:
    N, C, H, W, K, Cg, R, S, st_, pd, dl, groups, P, Q = _conv_dims(g)
    x = _t(g, (N, C, H, W) if g.pct(85) else (C, H, W))
    pad = g.pick(["'same'", "'valid'", "'full'"]) if g.pct(10) else _hp(g, pd, 0, 3)
    return call("F.conv2d", x, _t(g, (K, Cg, R, S)), "None" if g.pct(30) else _t(g, (K,)), stride=_hp(g, st_, 1, 3),
                padding=pad, dilation=_hp(g, dl, 1, 3), groups=g.int_(groups, groups) if g.pct(90) else g.int_(0, 3),
                post="BW(R)")


def f_Conv2d(g: G) -> str:
    N, C, H, W, K, Cg, R, S, st_, pd, dl, groups, P, Q = _conv_dims(g)
    ctor = (f"nn.Conv2d({g.int_(C, C)}, {g.int_(K, K)}, {_hp(g, (R, S), 0, 4)}, stride={_hp(g, st_, 1, 3)}, "
            f"padding={_hp(g, pd, 0, 3)}, dilation={_hp(g, dl, 1, 3)}, groups={g.int_(groups, groups)}, "
            f"bias={g.bool_()})")
    x = _t(g, (N, C, H, W) if g.pct(85) else (C, H, W))
    return f"m = {ctor}\nR = m({x})\nBW(R)"



def f_conv1d(g: G) -> str:
    N, C, H, W, K, Cg, R, S, st_, pd, dl, groups, P, Q = _conv_dims(g)
    x = _t(g, (N, C, W) if g.pct(85) else (C, W))
    pad = g.pick(["'same'", "'valid'", "'full'"]) if g.pct(15) else _int_or_pair(g, pd[1], 0, 3)
    if g.pct(50):
        return call("F.conv1d", x, _t(g, (K, Cg, S)), "None" if g.pct(30) else _t(g, (K,)),
                    stride=_int_or_pair(g, st_[1], 1, 3), padding=pad, dilation=_int_or_pair(g, dl[1], 1, 3),
                    groups=g.int_(groups, groups) if g.pct(90) else g.int_(0, 3), post="BW(R)")
    ctor = (f"nn.Conv1d({g.int_(C, C)}, {g.int_(K, K)}, {g.int_(S, S)}, stride={_int_or_pair(g, st_[1], 1, 3)}, "
            f"padding={pad}, dilation={g.int_(dl[1], dl[1])}, groups={g.int_(groups, groups)}, bias={g.bool_()})")
    return f"m = {ctor}\nR = m({x})\nBW(R)"


def f_conv_transpose(g: G) -> str:
    N, C, H, W, K, Kg, R, S, st_, pd, op, dl, groups, P, Q = _conv_t_dims(g)
    b = "None" if g.pct(30) else _t(g, (K,))
    gr = g.int_(groups, groups) if g.pct(90) else g.int_(0, 3)
    if g.pct(50):
        x = _t(g, (N, C, H, W) if g.pct(85) else (C, H, W))
        return call("F.conv_transpose2d", x, _t(g, (C, Kg, R, S)), b, stride=_hp(g, st_, 1, 3),
                    padding=_hp(g, pd, 0, 3), output_padding=_hp(g, op, 0, 2), groups=gr,
                    dilation=_hp(g, dl, 1, 3), post="BW(R)")
    x = _t(g, (N, C, W) if g.pct(85) else (C, W))
    return call("F.conv_transpose1d", x, _t(g, (C, Kg, S)), b, stride=_int_or_pair(g, st_[1], 1, 3),
                padding=_int_or_pair(g, pd[1], 0, 3), output_padding=_int_or_pair(g, op[1], 0, 2), groups=gr,
                dilation=_int_or_pair(g, dl[1], 1, 3), post="BW(R)")


def f_pool1d(g: G) -> str:
    N, C, L = g.n(0, 3), g.n(1, 3), g.n(1, 12)
    x = _t(g, (N, C, L) if g.pct(85) else (C, L))
    fn = g.pick(["F.max_pool1d", "F.avg_pool1d", "F.adaptive_avg_pool1d", "F.adaptive_max_pool1d",
                 "F.adaptive_avg_pool2d", "F.adaptive_max_pool2d"])
    if fn.startswith("F.adaptive"):
        if fn.endswith("2d"):
            x = _t(g, (N, C, L, g.n(1, 6)) if g.pct(85) else (C, L, 3))
        out = _int_or_pair(g, g.draw(g.st.integers(1, 5)), 0, 6)
        return call(fn, x, out, **({"return_indices": g.bool_()} if "max" in fn else {}), post="BW(R)")
    k = g.draw(g.st.integers(1, 4))
    return call(fn, x, g.int_(k, k) if g.pct(80) else g.int_(0, 5), "None" if g.pct(30) else g.int_(1, 3),
                g.int_(0, k // 2) if g.pct(85) else g.int_(0, 4), post="BW(R)")


def f_interpolate(g: G) -> str:
    N, C, H, W = g.n(0, 3), g.n(1, 3), g.n(1, 7), g.n(1, 7)
    x = _t(g, (N, C, H, W) if g.pct(55) else (N, C, W) if g.pct(70) else (N, C, g.n(1, 4), H, W))
    kw = {"mode": g.str_(["nearest", "bilinear", "linear", "bicubic", "nearest-exact", "area", "trilinear"])}
    if g.pct(15):
        kw["antialias"] = g.bool_()
    if g.pct(15):
        kw["recompute_scale_factor"] = g.bool_()
    if g.pct(50):
        kw["size"] = _int_or_pair(g, g.draw(g.st.integers(1, 9)), 0, 9)
    else:
        kw["scale_factor"] = g.flt(0.2, 3.5)
    if g.pct(40):
        kw["align_corners"] = g.bool_()
    return call("F.interpolate", x, **kw, post="BW(R)")


def f_pad(g: G) -> str:
    shape = tuple(g.n(0, 5) for _ in range(g.draw(g.st.integers(1, 5))))
    pads = repr(tuple(g.draw(g.st.integers(-2, 4)) for _ in range(g.pick([2, 2, 4, 4, 3, 6, 8]))))
    mode = g.str_(["constant", "reflect", "replicate", "circular"])
    if g.pct(20):  # integer / bool tensors (token ids): constant mode only, no gradient
        dtype = g.pick(["ne.int64", "ne.int32", "ne.bool"])
        x = f"ne.zeros({shape!r}, dtype={dtype})"
        return call("F.pad", x, pads, mode, "None" if g.pct(60) else g.pick(["3", "-1", "True", "0.5", "2**70"]))
    return call("F.pad", _t(g, shape), pads, mode, "None" if g.pct(60) else g.flt(-1, 1), post="BW(R)")


def f_volumetric(g: G) -> str:
    """The 3-D ops (functional/_volumetric.py): small volumes, sometimes empty or smaller than the window."""
    N, C, D, H, W = g.n(0, 2), g.n(0, 4), g.n(0, 5), g.n(0, 6), g.n(0, 6)
    x = _t(g, (N, C, D, H, W) if g.pct(85) else (C, D, H, W))
    k3 = repr(tuple(g.draw(g.st.integers(1, 3)) for _ in range(3)))
    ks = k3 if g.pct(70) else g.int_(0, 3)
    fn = g.pick(["F.conv3d", "F.conv_transpose3d", "F.max_pool3d", "F.avg_pool3d", "F.adaptive_avg_pool3d",
                 "F.adaptive_max_pool3d"])
    groups = g.pick([1, 1, 1, 2])
    if fn == "F.conv3d":
        Co = g.n(1, 4) * groups
        w = _t(g, (Co, max(C // groups, 1) if g.pct(90) else g.n(0, 3)) + eval(k3))
        pad = g.pick(["'same'", "'valid'"]) if g.pct(15) else _int_or_pair(g, 1, 0, 2)
        return call(fn, x, w, "None" if g.pct(40) else _t(g, (Co,)), stride=g.int_(1, 2), padding=pad,
                    dilation=g.int_(1, 2), groups=repr(groups) if g.pct(90) else g.int_(0, 3), post="BW(R)")
    if fn == "F.conv_transpose3d":
        w = _t(g, (C if g.pct(90) else g.n(0, 4), g.n(1, 3)) + eval(k3))
        return call(fn, x, w, "None", stride=g.int_(1, 3), padding=g.int_(0, 1),
                    output_padding=g.int_(0, 1), groups=repr(groups), dilation=g.int_(1, 2), post="BW(R)")
    if fn in ("F.adaptive_avg_pool3d", "F.adaptive_max_pool3d"):
        size = g.pick(["1", "(2, None, 3)", "(1, 2, 3)", "0", "(None, None, None)", "(1, 1)"])
        extra = {"return_indices": g.bool_()} if fn == "F.adaptive_max_pool3d" else {}
        return call(fn, x, size, **extra, post="BW(R)")
    kw = {"ceil_mode": g.bool_()} if g.pct(40) else {}
    if fn == "F.max_pool3d" and g.pct(30):
        kw["return_indices"] = g.bool_()
    if fn == "F.avg_pool3d" and g.pct(40):
        kw["count_include_pad"] = g.bool_()
    if fn == "F.avg_pool3d" and g.pct(20):
        kw["divisor_override"] = g.int_(-1, 5)
    return call(fn, x, ks, "None" if g.pct(30) else g.int_(1, 3), padding=g.int_(0, 1), **kw, post="BW(R)")


def f_dropout2d(g: G) -> str:
    fn = g.pick(["F.dropout1d", "F.dropout2d"])
    shape = tuple(g.n(0, 4) for _ in range(g.draw(g.st.integers(1, 4))))
    return call(fn, _t(g, shape), g.flt(0, 1), training=g.bool_(), post="BW(R)")

def f_pool(g: G) -> str:
    N, C, H, W, k, s, p, P, Q = _pool_dims(g)
    fn = g.pick(["F.max_pool2d", "F.avg_pool2d", "F.min_pool2d"])
    stride = "None" if g.pct(20) else _int_or_pair(g, s[0], 0, 3) if g.pct(30) else _hp(g, s, 0, 3)
    x = _t(g, (N, C, H, W) if g.pct(85) else (C, H, W))
    kw = {}
    if g.pct(40):
        kw["ceil_mode"] = g.bool_()
    if fn == "F.avg_pool2d" and g.pct(40):
        kw["count_include_pad"] = g.bool_()
    if fn == "F.avg_pool2d" and g.pct(20):
        kw["divisor_override"] = g.int_(-1, 5)
    if fn == "F.max_pool2d" and g.pct(15):
        kw["return_indices"] = g.bool_()
    return call(fn, x, _hp(g, k, 0, 5), stride, padding=_hp(g, p, 0, 3), **kw, post="BW(R)")


def f_activation(g: G) -> str:
    fn = g.pick(["F.relu", "F.sigmoid", "F.tanh", "F.softplus", "F.leaky_relu", "F.elu", "F.gelu", "F.silu",
                 "F.mish", "F.hardtanh", "F.relu6", "F.hardswish", "F.hardsigmoid", "F.softsign", "F.prelu"])
    shape = _any_shape(g)
    extra = []
    if fn == "F.leaky_relu":
        extra = [g.flt(-1, 1)]
    elif fn == "F.elu":
        extra = [g.flt(0, 2)]
    elif fn == "F.softplus":
        extra = [g.flt(-3, 3), g.flt(-5, 25)]
    elif fn == "F.gelu":
        extra = [g.str_(["none", "tanh", "erf"])]
    elif fn == "F.hardtanh":
        extra = [g.flt(-3, 1), g.flt(-1, 3)]
    elif fn == "F.prelu":
        c = shape[1] if len(shape) >= 2 and g.pct(60) else 1
        extra = [_t(g, (c,) if g.pct(90) else (g.n(0, 3),))]
    return call(fn, _t(g, shape), *extra, post="BW(R)")


def f_softmax(g: G) -> str:
    s = _any_shape(g)
    fn = g.pick(["F.softmax", "F.log_softmax"])
    return call(fn, _t(g, s), g.int_(-len(s) - 1, len(s)), post="BW(R)")


def f_losses(g: G) -> str:
    N, C = g.n(0, 4), g.n(0, 5)
    which = g.draw(g.st.integers(0, 5))
    red = g.str_(["mean", "sum", "none"])
    if which == 0:
        tgt = g.arr((N,), "int64", fill="idx", hi=C) if g.pct(80) else g.arr((N, C))
        return call("F.cross_entropy", _t(g, (N, C)), tgt, weight="None" if g.pct(70) else g.arr((C,)),
                    ignore_index=g.int_(-100, 2), reduction=red, label_smoothing=g.flt(0, 1), post="BW(R)")
    if which == 1:
        return call("F.nll_loss", _t(g, (N, C)), g.arr((N,), "int64", fill="idx", hi=C),
                    weight="None" if g.pct(70) else g.arr((C,)), ignore_index=g.int_(-100, 2), reduction=red,
                    post="BW(R)")
    if which in (2, 3):
        return call(g.pick(["F.mse_loss", "F.l1_loss"]), _t(g, (N, C)), g.arr((N, C)), reduction=red, post="BW(R)")
    if which == 4:
        return call("F.binary_cross_entropy", f"T(np.clip(np.abs({g.arr((N, C), weird=0)}), 0, 1))", g.arr((N, C)),
                    reduction=red, post="BW(R)")
    return call("F.binary_cross_entropy_with_logits", _t(g, (N, C)), g.arr((N, C)), reduction=red,
                pos_weight="None" if g.pct(60) else g.arr((C,)), post="BW(R)")


def f_losses_ext(g: G) -> str:
    N, C = g.n(0, 4), g.n(0, 5)
    red = g.str_(["mean", "sum", "none"])
    which = g.draw(g.st.integers(0, 8))
    if which == 0:
        return call("F.smooth_l1_loss", _t(g, (N, C)), _t(g, (N, C)), reduction=red, beta=g.flt(-1, 3), post="BW(R)")
    if which == 1:
        return call("F.huber_loss", _t(g, (N, C)), _t(g, (N, C)), reduction=red, delta=g.flt(-1, 3),
                    weight="None" if g.pct(60) else g.arr((N, C)), post="BW(R)")
    if which == 2:
        return call("F.kl_div", _t(g, (N, C)), _t(g, (N, C)), reduction=g.str_(["mean", "sum", "none", "batchmean"]),
                    log_target=g.bool_(), post="BW(R)")
    if which == 3:
        return call("F.cosine_embedding_loss", _t(g, (N, C)), _t(g, (N, C)), g.arr((N,) if g.pct(85) else (C,)),
                    margin=g.flt(-1, 1), reduction=red, post="BW(R)")
    return call("F.margin_ranking_loss", _t(g, (N,)), _t(g, (N,)), g.arr((N,)), margin=g.flt(-1, 1), reduction=red,
                post="BW(R)")


def t_pointwise_loss_forward(g: G) -> str:
    s = _any_shape(g)
    return call("_core.pointwise_loss_forward", g.arr(s), g.arr(s if g.pct(85) else _any_shape(g)),
                g.str_(["smooth_l1", "huber"]), g.flt(-1, 3), reference=g.bool_())


def t_pointwise_loss_backward(g: G) -> str:
    s = _any_shape(g)
    return call("_core.pointwise_loss_backward", g.arr(s), g.arr(s), g.arr(s if g.pct(60) else (1,)),
                g.str_(["smooth_l1", "huber"]), g.flt(-1, 3), reference=g.bool_())


def t_mse_forward(g: G) -> str:
    s = _any_shape(g)
    return call("_core.mse_forward", g.arr(s), g.arr(s if g.pct(85) else _any_shape(g)), reference=g.bool_())


def t_mse_backward(g: G) -> str:
    s = _any_shape(g)
    return call("_core.mse_backward", g.arr(s), g.arr(s if g.pct(90) else _any_shape(g)),
                g.arr(s if g.pct(60) else ((1,) if g.pct(70) else _any_shape(g))), reference=g.bool_())


def t_bce_forward(g: G) -> str:
    s = _any_shape(g)
    logits = g.pct(50)
    return call("_core.bce_forward", g.arr(s), g.arr(s if g.pct(85) else _any_shape(g)), g.opt_arr(s),
                g.opt_arr(s, p_none=60 if logits else 90), logits="True" if logits else g.bool_(),
                reference=g.bool_())


def t_bce_backward(g: G) -> str:
    s = _any_shape(g)
    logits = g.pct(50)
    return call("_core.bce_backward", g.arr(s), g.arr(s), g.arr(s if g.pct(60) else (1,)), g.opt_arr(s),
                g.opt_arr(s, p_none=60 if logits else 90), logits="True" if logits else g.bool_(),
                target_grad=g.bool_(), reference=g.bool_())


def t_kl_div_forward(g: G) -> str:
    s = _any_shape(g)
    return call("_core.kl_div_forward", g.arr(s), g.arr(s if g.pct(85) else _any_shape(g)), g.bool_(),
                reference=g.bool_())


def t_kl_div_backward(g: G) -> str:
    s = _any_shape(g)
    return call("_core.kl_div_backward", g.arr(s), g.arr(s if g.pct(90) else _any_shape(g)),
                g.arr(s if g.pct(60) else ((1,) if g.pct(70) else _any_shape(g))), g.bool_(),
                target_grad=g.bool_(), reference=g.bool_())


def f_linear(g: G) -> str:
    lead = tuple(g.n(0, 3) for _ in range(g.draw(g.st.integers(0, 2))))
    I, O = g.n(0, 5), g.n(0, 5)
    return call("F.linear", _t(g, lead + (I,)), _t(g, (O, I)), "None" if g.pct(30) else _t(g, (O,)), post="BW(R)")


def f_dropout(g: G) -> str:
    return call("F.dropout", _t(g, _any_shape(g)), g.flt(0, 1), training=g.bool_(), post="BW(R)")


def f_batch_norm(g: G) -> str:
    N, C = g.n(0, 4), g.n(0, 4)
    shape = (N, C) + tuple(g.n(0, 3) for _ in range(g.draw(g.st.integers(0, 2))))
    return call("F.batch_norm", _t(g, shape), g.opt_arr((C,), 20), g.opt_arr((C,), 20),
                "None" if g.pct(40) else _t(g, (C,)), "None" if g.pct(40) else _t(g, (C,)), training=g.bool_(),
                momentum=g.flt(0, 1), eps=g.flt(1e-6, 1e-2), post="BW(R)")


def f_norms(g: G) -> str:
    N, C = g.n(0, 4), g.n(0, 6)
    shape = (N, C) + tuple(g.n(0, 4) for _ in range(g.draw(g.st.integers(0, 2))))
    which = g.pick(["layer", "group", "instance"])
    if which == "layer":
        k = g.draw(g.st.integers(1, len(shape)))
        ns = shape[len(shape) - k:] if g.pct(85) else tuple(g.n(0, 4) for _ in range(k))
        return call("F.layer_norm", _t(g, shape), repr(ns), "None" if g.pct(40) else _t(g, ns),
                    "None" if g.pct(40) else _t(g, ns), eps=g.flt(0, 1e-2), post="BW(R)")
    if which == "group":
        return call("F.group_norm", _t(g, shape), g.int_(0, 4), "None" if g.pct(40) else _t(g, (C,)),
                    "None" if g.pct(40) else _t(g, (C,)), eps=g.flt(0, 1e-2), post="BW(R)")
    return call("F.instance_norm", _t(g, shape), g.opt_arr((C,), 50), g.opt_arr((C,), 50),
                "None" if g.pct(40) else _t(g, (C,)), "None" if g.pct(40) else _t(g, (C,)),
                use_input_stats=g.bool_(), momentum=g.flt(0, 1), eps=g.flt(0, 1e-2), post="BW(R)")


def f_maxout(g: G) -> str:
    pieces = g.draw(g.st.integers(1, 4))
    s = list(_any_shape(g, 3))
    dim = g.draw(g.st.integers(0, max(len(s) - 1, 0)))
    if s:
        s[dim] = s[dim] * pieces
    return call("F.maxout", _t(g, tuple(s)), g.int_(pieces, pieces) if g.pct(85) else g.int_(0, 5),
                dim=g.int_(-len(s), max(len(s) - 1, 0)), post="BW(R)")


def f_rnn_sequence(g: G) -> str:
    T, B, I, H = _seq_dims(g)
    if g.pct(50):
        return call("F.rnn_sequence", _t(g, (T, B, I)), "None" if g.pct(40) else _t(g, (B, H)), _t(g, (H, I)),
                    _t(g, (H, H)), "None" if g.pct(30) else _t(g, (H,)), "None" if g.pct(30) else _t(g, (H,)),
                    nonlinearity=g.str_(["tanh", "relu"]), reverse=g.bool_(), post="BW(R)")
    if g.pct(50):
        return call("F.gru_sequence", _t(g, (T, B, I)), "None" if g.pct(40) else _t(g, (B, H)),
                    _t(g, (3 * H, I)), _t(g, (3 * H, H)), "None" if g.pct(30) else _t(g, (3 * H,)),
                    "None" if g.pct(30) else _t(g, (3 * H,)), reverse=g.bool_(), post="BW(R)")
    hx = "None" if g.pct(40) else f"({_t(g, (B, H))}, {_t(g, (B, H))})"
    return call("F.lstm_sequence", _t(g, (T, B, I)), hx, _t(g, (4 * H, I)), _t(g, (4 * H, H)),
                "None" if g.pct(30) else _t(g, (4 * H,)), "None" if g.pct(30) else _t(g, (4 * H,)),
                reverse=g.bool_(), post="BW(R)")


def f_rnn_modules(g: G) -> str:
    T, B, I, H = _seq_dims(g)
    mod = g.pick(["nn.RNN", "nn.LSTM", "nn.GRU"])
    L = g.draw(g.st.integers(1, 2))
    bidir, bf = g.pct(40), g.pct(30)
    extra = f", nonlinearity={g.str_(['tanh', 'relu'])}" if mod == "nn.RNN" and g.pct(50) else ""
    # (sizes stay small: a module of 2**32 layers is an honest request for unbounded work and memory)
    ctor = (f"{mod}({I}, {H}, num_layers={L if g.pct(95) else g.pick(['0', '-1', '1.5', 'None'])}, "
            f"bias={g.bool_()}, "
            f"batch_first={bf!r}, dropout={g.flt(0, 0.5)}, bidirectional={bidir!r}{extra})")
    shape = (B, T, I) if bf else (T, B, I)
    if g.pct(15):
        shape = (T, I)
    D = 2 if bidir else 1
    st_shape = (L * D, B, H) if len(shape) == 3 else (L * D, H)
    h = "None"
    if g.pct(40):
        h = f"({_t(g, st_shape)}, {_t(g, st_shape)})" if mod == "nn.LSTM" else _t(g, st_shape)
    train = "m.train()" if g.pct(50) else "m.eval()"
    return f"m = {ctor}\n{train}\nR = m({_t(g, shape)}, {h})\nBW(R)"


def f_rnn_functions(g: G) -> str:
    T, B, I, H = _seq_dims(g)
    kind = g.pick(["lstm", "gru", "rnn"])
    lstm = kind == "lstm"
    G_ = {"lstm": 4, "gru": 3}.get(kind, 1)
    L = g.draw(g.st.integers(1, 2))
    bidir = g.pct(40)
    D = 2 if bidir else 1
    params = []
    for layer in range(L):
        for _ in range(D):
            ins = I if layer == 0 else D * H
            params += [_t(g, (G_ * H, ins)), _t(g, (G_ * H, H))]
            params += ["None", "None"] if g.pct(20) else [_t(g, (G_ * H,)), _t(g, (G_ * H,))]
    plist = "[" + ", ".join(params) + "]"
    if lstm:
        return call("F.lstm", _t(g, (T, B, I)), "None", plist, num_layers=g.int_(L, L), dropout=g.flt(0, 0.5),
                    training=g.bool_(), bidirectional=repr(bidir), post="BW(R)")
    if kind == "gru":
        return call("F.gru", _t(g, (T, B, I)), "None", plist, num_layers=g.int_(L, L), dropout=g.flt(0, 0.5),
                    training=g.bool_(), bidirectional=repr(bidir), post="BW(R)")
    return call("F.rnn", _t(g, (T, B, I)), "None", plist, num_layers=g.int_(L, L),
                nonlinearity=g.str_(["tanh", "relu"]), dropout=g.flt(0, 0.5), training=g.bool_(),
                bidirectional=repr(bidir), post="BW(R)")


def f_sdpa(g: G) -> str:
    lead = tuple(g.n(0, 3) for _ in range(g.draw(g.st.integers(0, 3))))
    L, S, E, Ev = g.n(0, 5), g.n(0, 5), g.n(0, 4), g.n(0, 4)
    mask = "None"
    if g.pct(40):
        mask = g.arr(g.pick([(L, S), lead + (L, S), (1, S)]), "bool" if g.pct(50) else "float32")
    causal = g.bool_() if mask == "None" else "False"
    return call("F.scaled_dot_product_attention", _t(g, lead + (L, E)), _t(g, lead + (S, E)), _t(g, lead + (S, Ev)),
                attn_mask=mask, dropout_p=g.flt(0, 1) if g.pct(30) else "0.0", is_causal=causal,
                scale="None" if g.pct(60) else g.flt(-2, 2), post="BW(R)")


def f_multihead_attention(g: G) -> str:
    E_h, H, L, S, N = g.n(1, 3, big=1), g.n(1, 3, big=1), g.n(0, 4), g.n(0, 4), g.n(0, 3)
    E = E_h * H
    bf, self_attn = g.pct(40), g.pct(50)
    kdim = g.pick(["None", "None", str(g.n(1, 5))])
    ctor = (f"nn.MultiheadAttention({E if g.pct(95) else g.int_(0, 7)}, {H if g.pct(95) else g.int_(0, 4)}, "
            f"dropout={g.flt(0, 0.9)}, bias={g.bool_()}, add_bias_kv={g.bool_()}, add_zero_attn={g.bool_()}, "
            f"kdim={kdim}, vdim={kdim}, batch_first={bf!r})")
    kd = E if kdim == "None" else int(kdim)
    shape = (lambda n, e: (N, n, e) if bf else (n, N, e)) if g.pct(85) else (lambda n, e: (n, e))
    q = _t(g, shape(L, E))
    k, v = ("x", "x") if self_attn and kdim == "None" else (_t(g, shape(S, kd)), _t(g, shape(S, kd)))
    S_ = L if k == "x" else S
    mask = "None" if g.pct(60) else g.arr(g.pick([(L, S_), (N * H, L, S_)]), "bool" if g.pct(50) else "float32")
    kpm = "None" if g.pct(60) else g.arr((N, S_), "bool" if g.pct(50) else "float32")
    train = "m.train()" if g.pct(50) else "m.eval()"
    return (f"m = {ctor}\n{train}\nx = {q}\nR = m(x, {k}, {v}, key_padding_mask={kpm}, "
            f"need_weights={g.bool_()}, attn_mask={mask}, average_attn_weights={g.bool_()})\nBW(R)")


def f_embedding(g: G) -> str:
    V, D, shape, idx = _emb_dims(g)
    if idx.startswith("A(") and g.pct(70):
        idx = f"T({idx}, False)"
    pad = "None" if g.pct(50) else g.int_(-V, max(V - 1, -V))
    max_norm = "None" if g.pct(60) else g.flt(0, 3)
    kind = g.pick(["F", "nn", "one_hot"])
    if kind == "one_hot":
        return call("F.one_hot", idx, g.int_(-1, V + 1))
    if kind == "nn":
        return (f"m = nn.Embedding({V}, {D}, padding_idx={pad}, max_norm={max_norm}, "
                f"scale_grad_by_freq={g.bool_()})\nR = m({idx})\nBW(R)")
    return call("F.embedding", idx, _t(g, (V, D)), padding_idx=pad, max_norm=max_norm,
                scale_grad_by_freq=g.bool_(), post="BW(R)")


def f_transformer(g: G) -> str:
    d_h, H, L, S, N = g.n(1, 3, big=1), g.n(1, 3, big=1), g.n(0, 4), g.n(0, 4), g.n(0, 3)
    D = d_h * H
    bf, dec = g.pct(40), g.pct(50)
    cls = "nn.TransformerDecoderLayer" if dec else "nn.TransformerEncoderLayer"
    ctor = (f"{cls}({D if g.pct(95) else g.int_(0, 7)}, {H if g.pct(95) else g.int_(0, 4)}, "
            f"dim_feedforward={g.n(1, 6)}, dropout={g.flt(0, 0.9)}, activation={g.str_(['relu', 'relu'])}, "
            f"batch_first={bf!r}, norm_first={g.bool_()}, bias={g.bool_()})")
    shape = (lambda n: (N, n, D) if bf else (n, N, D)) if g.pct(85) else (lambda n: (n, D))
    mask = "None" if g.pct(60) else g.arr((L, L), "bool" if g.pct(50) else "float32")
    kpm = "None" if g.pct(60) else g.arr((N, L), "bool" if g.pct(50) else "float32")
    train = "m.train()" if g.pct(50) else "m.eval()"
    if dec:
        call_ = f"m({_t(g, shape(L))}, {_t(g, shape(S))}, tgt_mask={mask}, tgt_key_padding_mask={kpm})"
    else:
        call_ = f"m({_t(g, shape(L))}, src_mask={mask}, src_key_padding_mask={kpm})"
    return f"m = {ctor}\n{train}\nR = {call_}\nBW(R)"


# ----------------------------------------------------------- targets: torch-parity functions (ne.*, ne.linalg)


def _dim(g: G, rank: int) -> str:
    """A dim for a rank-`rank` tensor: usually valid (negative too), sometimes out of range or not an int."""
    if g.pct(max(g.weird, 0)):
        return g.pick([repr(rank), repr(-rank - 1), "2**63", "None", "1.5", "'x'"])
    return repr(g.draw(g.st.integers(-max(rank, 1), max(rank, 1) - 1)))


def _size(g: G, lo: int, hi: int) -> str:
    """A count argument: small and valid, sometimes huge, negative or not an int."""
    if g.pct(g.weird):
        return g.pick(["-1", "2**62", "2**63", "10**20", "1.5", "None", "True", "float('nan')", "'3'"])
    return repr(g.draw(g.st.integers(lo, hi)))


def _iters(g: G, lo: int, hi: int) -> str:
    """An iteration count: small and valid, sometimes invalid, never a huge valid int (2**62 power-method steps
    is a request to run for ages, in torch as here: an interruptible Python loop, not a hang to report)."""
    if g.pct(g.weird):
        return g.pick(["-1", "0", "1.5", "None", "True", "float('nan')", "'3'"])
    return repr(g.draw(g.st.integers(lo, hi)))


def f_index_ops(g: G) -> str:
    s = _any_shape(g, 3)
    r = len(s)
    x = _t(g, s)
    which = g.draw(g.st.integers(0, 13))
    if which == 0:
        if g.pct(30):
            return call("ne.where", g.arr(s, "bool"))
        return call("ne.where", g.arr(s, "bool"), x, _t(g, s) if g.pct(80) else g.flt(-1, 1), post="BW(R)")
    if which == 1:
        return call("ne.nonzero", x, as_tuple=g.bool_())
    if which == 2:
        return call("ne.masked_select", x, g.arr(s, "bool"), post="BW(R)")
    if which == 3:
        d = _dim(g, r)
        return call("ne.take_along_dim", x, g.arr(s, "int64", fill="idx", hi=s[0] if s else 1),
                    *([] if g.pct(30) else [d]), post="BW(R)")
    if which == 4:
        n = s[0] if s else 1
        k = g.n(0, 4)
        src = (k,) + tuple(s[1:])
        fn = g.pick(["ne.index_add", "ne.index_copy", "ne.index_fill"]) if g.pct(50) else "ne.index_add"
        idx = g.arr((k,), "int64", fill="idx", hi=n)
        if fn == "ne.index_fill":
            return call(fn, x, _dim(g, r) if g.pct(20) else "0", idx, g.flt(-1, 1), post="BW(R)")
        return call(fn, x, _dim(g, r) if g.pct(20) else "0", idx, _t(g, src), post="BW(R)")
    if which == 5:
        sh = g.pick(["1", "-2", "(1, 2)", "2**63", "None"]) if g.pct(20) else repr(g.draw(g.st.integers(-7, 7)))
        return call("ne.roll", x, sh, *([] if g.pct(30) else [_dim(g, r)]), post="BW(R)")
    if which == 6:
        rep = g.arr((s[0] if s else 1,), "int64", fill="cls", hi=3) if g.pct(30) else _size(g, 0, 3)
        return call("ne.repeat_interleave", x, rep, *([] if g.pct(30) else [_dim(g, r)]), post="BW(R)")
    if which == 7:
        ts = [_t(g, (g.n(0, 4),)) for _ in range(g.draw(g.st.integers(0, 3)))]
        return call("ne.meshgrid", *ts, indexing=g.str_(["ij", "xy"]), post="BW(R)")
    if which == 8:
        return call("ne.unique", x, sorted=g.bool_(), return_inverse=g.bool_(), return_counts=g.bool_(),
                    **({} if g.pct(60) else {"dim": _dim(g, r)}))
    if which == 9:
        w = "None" if g.pct(60) else g.arr((s[0] if s else 1,))
        return call("ne.bincount", g.arr(s[:1] if g.pct(80) else s, "int64", fill="cls", hi=5), w,
                    minlength=_size(g, 0, 6))
    if which == 10:
        return call("ne.histc", x, bins=_size(g, 0, 12), min=g.flt(-3, 0), max=g.flt(0, 3))
    if which == 11:
        seq = g.arr(s[:-1] + (g.n(0, 5),) if s else (g.n(0, 5),))
        return call("ne.searchsorted", f"np.sort({seq}, axis=-1)" if seq.startswith("A(") else seq,
                    x, right=g.bool_(), out_int32=g.bool_())
    if which == 12:
        fn = g.pick(["ne.tril_indices", "ne.triu_indices"])
        return call(fn, _size(g, 0, 6), _size(g, 0, 6), g.int_(-3, 3))
    return call("ne.diag_embed", x, g.int_(-2, 2), *([] if g.pct(50) else [_dim(g, r + 1), _dim(g, r + 1)]),
                post="BW(R)")


def f_math_ops(g: G) -> str:
    which = g.draw(g.st.integers(0, 9))
    m, k, n, b = g.n(0, 4), g.n(0, 4), g.n(0, 4), g.n(0, 3)
    if which == 0:
        return call("ne.addmm", _t(g, (m, n) if g.pct(70) else (n,)), _t(g, (m, k)), _t(g, (k, n)),
                    beta=g.flt(-2, 2), alpha=g.flt(-2, 2), post="BW(R)")
    if which == 1:
        return call("ne.baddbmm", _t(g, (b, m, n)), _t(g, (b, m, k)), _t(g, (b, k, n)), beta=g.flt(-2, 2),
                    alpha=g.flt(-2, 2), post="BW(R)")
    s = _any_shape(g, 3)
    r = len(s)
    if which == 2:
        fn = g.pick(["ne.cumprod", "ne.cumsum", "ne.cummax", "ne.cummin", "ne.logcumsumexp"])
        return call(fn, _t(g, s), _dim(g, r), post="BW(R)")
    if which == 3:
        w = _t(g, s) if g.pct(40) else g.flt(-1, 2)
        return call("ne.lerp", _t(g, s), _t(g, s), w, post="BW(R)")
    if which == 4:
        d = g.n(0, 4)
        return call("ne.cdist", _t(g, (m, d) if g.pct(70) else (b, m, d)), _t(g, (n, d) if g.pct(70) else (b, n, d)),
                    p=g.flt(0, 3), post="BW(R)")
    if which == 5:
        return call("ne.diff", _t(g, s), _size(g, 0, 3), _dim(g, r), post="BW(R)")
    if which == 6:
        return call("ne.kron", _t(g, s), _t(g, _any_shape(g, 2)), post="BW(R)")
    if which == 7:
        return call("ne.quantile", _t(g, s), g.flt(0, 1) if g.pct(70) else g.arr((g.n(0, 3),)),
                    *([] if g.pct(40) else [_dim(g, r)]), post="BW(R)")
    if which == 8:
        return call("ne.tensordot", _t(g, (m, k)), _t(g, (k, n)), g.pick(["1", "0", "2", "([1], [0])", "-1", "5"]),
                    post="BW(R)")
    return call("ne.nanmean", _t(g, s), *([] if g.pct(40) else [_dim(g, r)]), post="BW(R)")


def f_random_ops(g: G) -> str:
    s = (g.n(0, 4),) if g.pct(60) else (g.n(0, 3), g.n(0, 5))
    p = g.arr(s, fill=g.pick(["cls", "zeros", "special", "randn"]) if not g.clean else "cls", hi=3)
    if g.clean:
        p = f"np.abs({p})"
    return call("ne.multinomial", p, _size(g, 0, 6), replacement=g.bool_())


def f_linalg(g: G) -> str:
    n, m = g.n(0, 4), g.n(0, 4)
    batch = () if g.pct(60) else (g.n(0, 3),)
    sq = batch + (n, n)
    fn = g.pick(["inv", "det", "slogdet", "solve", "cholesky", "eigh", "eigvalsh", "svd", "qr", "pinv", "norm",
                 "vector_norm", "matrix_norm", "matrix_rank", "lstsq"])
    if fn in ("inv", "det", "slogdet"):
        return call(f"ne.linalg.{fn}", _t(g, sq), post="BW(R)")
    if fn == "solve":
        return call("ne.linalg.solve", _t(g, sq), _t(g, batch + (n, m) if g.pct(70) else batch + (n,)),
                    left=g.bool_(), post="BW(R)")
    if fn == "lstsq":
        return call("ne.linalg.lstsq", _t(g, batch + (n, m)), _t(g, batch + (n, g.n(0, 3))))
    if fn in ("cholesky", "eigh", "eigvalsh"):
        a = g.arr(sq, weird=0, mutate_shape=False)
        spd = f"T(({a}) @ np.swapaxes({a}, -1, -2) + 3 * np.eye({n}, dtype=np.float32))" \
            if g.pct(60) and a.startswith("A(") else _t(g, sq)
        if fn == "cholesky":
            return call("ne.linalg.cholesky", spd, upper=g.bool_(), post="BW(R)")
        return call(f"ne.linalg.{fn}", spd, *([] if g.pct(50) else [g.str_(["L", "U"])]), post="BW(R)")
    if fn in ("svd", "qr"):
        kw = {"full_matrices": g.bool_()} if fn == "svd" else {"mode": g.str_(["reduced", "complete", "r"])}
        # the gradient through U/Vh and QR is not implemented (NotImplementedError): only svd's S is backpropagated
        return call(f"ne.linalg.{fn}", _t(g, batch + (n, m)), **kw, post="BW(R[1])" if fn == "svd" else "")
    if fn in ("pinv", "matrix_rank"):
        return call(f"ne.linalg.{fn}", _t(g, batch + (n, m)), hermitian=g.bool_())
    ords = ["None", "2", "1", "-1", "float('inf')", "-float('inf')", "0", "'fro'", "'nuc'", "3.5", "'x'"]
    if fn == "vector_norm":
        s = _any_shape(g, 3)
        return call("ne.linalg.vector_norm", _t(g, s), g.pick([o for o in ords if "'" not in o and o != "None"]),
                    *([] if g.pct(50) else [_dim(g, len(s))]), post="BW(R)")
    if fn == "matrix_norm":
        return call("ne.linalg.matrix_norm", _t(g, sq), g.pick(["'fro'", "'nuc'", "1", "-1", "2", "-2",
                                                                  "float('inf')", "3"]), post="BW(R)")
    s = _any_shape(g, 3)
    return call("ne.linalg.norm", _t(g, s), g.pick(ords), post="BW(R)")


def f_grid_unpool(g: G) -> str:
    N, C, H, W = g.n(0, 2), g.n(1, 3), g.n(1, 5), g.n(1, 5)
    which = g.draw(g.st.integers(0, 3))
    if which == 0:
        Ho, Wo = g.n(0, 4), g.n(0, 4)
        grid = _t(g, (N, Ho, Wo, 2))
        return call("F.grid_sample", _t(g, (N, C, H, W)), grid, mode=g.str_(["bilinear", "nearest", "bicubic"]),
                    padding_mode=g.str_(["zeros", "border", "reflection"]), align_corners=g.bool_(), post="BW(R)")
    if which == 1:
        size = g.pick([repr((N, C, H, W)), repr((N, C, H)), "(-1, 1, 2, 2)", "(1, 1, 2**40, 2**40)", "None"]) \
            if g.pct(g.weird * 2) else repr((N, C, H, W))
        return call("F.affine_grid", _t(g, (N, 2, 3)), size, align_corners=g.bool_(), post="BW(R)")
    k = g.draw(g.st.integers(1, 3))
    if which == 2:
        x = f"T({g.arr((N, C, H * k, W * k), weird=0)})"
        return (f"out, idx = F.max_pool2d({x}, {k}, return_indices=True)\n"
                + call("F.max_unpool2d", "out" if g.pct(90) else _t(g, (N, C, H, W)),
                       "idx" if g.pct(80) else g.arr((N, C, H, W), "int64", fill="idx", hi=H * W * k * k),
                       g.int_(k, k), *([] if g.pct(60) else [g.int_(1, 3)]),
                       **({} if g.pct(60) else {"output_size": g.pick(["None", repr((H * k, W * k)), "(1, 1)",
                                                                       "(2**40, 2)", repr((N, C, H * k, W * k))])}),
                       post="BW(R)"))
    return (f"out, idx = F.max_pool1d(T({g.arr((N, C, W * k), weird=0)}), {k}, return_indices=True)\n"
            + call("F.max_unpool1d", "out", "idx" if g.pct(80) else g.arr((N, C, W), "int64", fill="idx", hi=W * k),
                   g.int_(k, k), post="BW(R)"))


def f_embedding_bag(g: G) -> str:
    V, D, B = g.n(1, 6), g.n(0, 4), g.n(0, 4)
    w = _t(g, (V, D))
    mode = g.str_(["mean", "sum", "max"])
    if g.pct(50):
        inp = g.arr((B, g.n(0, 4)), "int64", fill="idx", hi=V)
        return call("F.embedding_bag", inp, w, mode=mode, padding_idx="None" if g.pct(70) else g.int_(-V, V - 1),
                    post="BW(R)")
    L = g.n(0, 8)
    off = g.arr((B,), "int64", fill="cls" if g.pct(80) else "idx", hi=L + 1)
    if off.startswith("A(") and g.pct(80):
        off = f"np.sort({off}, axis=None)"
    return call("F.embedding_bag", g.arr((L,), "int64", fill="idx", hi=V), w, off, mode=mode,
                per_sample_weights="None" if g.pct(70) else g.arr((L,)),
                include_last_offset=g.bool_(), post="BW(R)")


def f_losses_more(g: G) -> str:
    N, C = g.n(0, 4), g.n(0, 5)
    red = g.str_(["mean", "sum", "none"])
    which = g.draw(g.st.integers(0, 8))
    if which == 0:
        return call("F.triplet_margin_loss", _t(g, (N, C)), _t(g, (N, C)), _t(g, (N, C)), margin=g.flt(-1, 2),
                    p=g.flt(0, 3), swap=g.bool_(), reduction=red, post="BW(R)")
    if which == 1:
        return call("F.multi_margin_loss", _t(g, (N, C)), g.arr((N,), "int64", fill="idx", hi=C),
                    p=g.pick(["1", "2", "3", "0"]) if g.pct(20) else "1", margin=g.flt(-1, 2),
                    weight="None" if g.pct(70) else g.arr((C,)), reduction=red, post="BW(R)")
    if which == 2:
        return call("F.multilabel_margin_loss", _t(g, (N, C)), g.arr((N, C), "int64", fill="idx", hi=C),
                    reduction=red, post="BW(R)")
    if which == 3:
        return call("F.multilabel_soft_margin_loss", _t(g, (N, C)), g.arr((N, C), fill="cls", hi=2),
                    weight="None" if g.pct(70) else g.arr((C,)), reduction=red, post="BW(R)")
    if which == 4:
        return call("F.soft_margin_loss", _t(g, (N, C)), g.arr((N, C)), reduction=red, post="BW(R)")
    if which == 5:
        return call("F.hinge_embedding_loss", _t(g, (N, C)), g.arr((N, C)), margin=g.flt(-1, 2), reduction=red,
                    post="BW(R)")
    if which == 6:
        return call("F.poisson_nll_loss", _t(g, (N, C)), g.arr((N, C)), log_input=g.bool_(), full=g.bool_(),
                    eps=g.flt(0, 1), reduction=red, post="BW(R)")
    if which == 7:
        return call("F.gaussian_nll_loss", _t(g, (N, C)), g.arr((N, C)),
                    f"np.abs({g.arr((N, C) if g.pct(70) else (N, 1))})", full=g.bool_(), eps=g.flt(0, 1),
                    reduction=red, post="BW(R)")
    return call("F.ctc_loss", f"T(np.log(np.abs({g.arr((g.n(1, 6), N, C + 1), weird=0)}) + 1e-3))",
                g.arr((N, g.n(0, 3)), "int64", fill="cls", hi=C + 1), g.arr((N,), "int64", fill="cls", hi=6),
                g.arr((N,), "int64", fill="cls", hi=3), reduction=red, post="BW(R)")


def f_activations_more(g: G) -> str:
    fn = g.pick(["F.selu", "F.celu", "F.glu", "F.logsigmoid", "F.softmin", "F.softshrink", "F.hardshrink",
                 "F.tanhshrink", "F.threshold", "F.rrelu", "F.gumbel_softmax", "F.celu_", "F.selu_", "F.relu_"])
    s = _any_shape(g, 3)
    x = _t(g, s, rg=False) if fn.endswith("_") else _t(g, s)
    extra: list = []
    if fn == "F.celu":
        extra = [g.flt(-1, 2)]
    elif fn in ("F.glu", "F.softmin", "F.gumbel_softmax"):
        extra = [] if g.pct(20) else [f"dim={_dim(g, len(s))}"]
    elif fn in ("F.softshrink", "F.hardshrink"):
        extra = [g.flt(-1, 2)]
    elif fn == "F.threshold":
        extra = [g.flt(-1, 1), g.flt(-1, 1)]
    elif fn == "F.rrelu":
        extra = [g.flt(0, 1), g.flt(0, 1), f"training={g.bool_()}"]
    return f"R = {fn}({', '.join([x] + extra)})\nBW(R)"


def f_modules_more(g: G) -> str:
    which = g.draw(g.st.integers(0, 3))
    B = g.n(0, 3)
    if which == 0:
        V, D = g.n(1, 5), g.n(1, 4)
        m = f"nn.EmbeddingBag({_size(g, 1, V)}, {_size(g, 1, D)}, mode={g.str_(['mean', 'sum', 'max'])})"
        return f"m = {m}\nR = m({g.arr((B, g.n(0, 3)), 'int64', fill='idx', hi=V)})\nBW(R)"
    if which == 1:
        a, b, o = g.n(1, 4), g.n(1, 4), g.n(1, 3)
        m = f"nn.Bilinear({_size(g, 1, a)}, {_size(g, 1, b)}, {_size(g, 1, o)}, bias={g.bool_()})"
        return f"m = {m}\nR = m({_t(g, (B, a))}, {_t(g, (B, b))})\nBW(R)"
    if which == 2:
        f = g.n(0, 4)
        m = f"nn.LazyLinear({_size(g, 0, 4)}, bias={g.bool_()})"
        return f"m = {m}\nR = m({_t(g, (B, f))})\nR = m({_t(g, (B, f))})\nBW(R)"
    n = g.n(1, 4)
    par = g.pick(["nn.Identity()", "nn.Tanh()", "Sym()", "nn.Linear(2, 3)", "None", "object()"])
    return ("class Sym(nn.Module):\n    def forward(self, X):\n        return X.triu() + X.triu(1).transpose(-1, -2)\n"
            f"m = nn.Linear({n}, {n})\n"
            f"nn.utils.parametrize.register_parametrization(m, {g.str_(['weight', 'bias'])}, {par})\n"
            f"R = m({_t(g, (B, n))})\nBW(R)")


def f_sequential_edit(g: G) -> str:
    """nn.Sequential editing (setitem / delitem / insert / pop / slices) and state_dict's torch arguments."""
    n = g.n(0, 4)
    mods = ", ".join(g.pick(["nn.Identity()", "nn.ReLU()", "nn.Linear(3, 3)", "nn.BatchNorm1d(3)"]) for _ in range(n))
    new = g.pick(["nn.Tanh()", "nn.Linear(3, 3)", "None", "3", "object()", "nn.Sequential()"])
    idx = g.pick([g.int_(-6, 6), g.int_(-6, 6), "slice(1, None)", "slice(None, None, -1)", "'0'", "1.0", "True"])
    op = g.pick([f"m[{idx}] = {new}", f"del m[{idx}]", f"m.insert({idx}, {new})", f"R = m.pop({idx})",
                 f"R = m[{idx}]", f"m.extend([{new}])", f"R = m + {g.pick(['m', 'nn.Sequential(nn.ReLU())', '[1]'])}",
                 f"R = m.state_dict(prefix={g.str_(['', 'a.'])}, keep_vars={g.bool_()})",
                 f"R = m.state_dict({g.pick(['{}', 'None', '[]', '1'])}, {g.str_(['p.', ''])})"])
    return f"m = nn.Sequential({mods})\n{op}\nm.eval()\nR2 = m({_t(g, (2, 3))})"


def f_distributions(g: G) -> str:
    """nnengine.distributions: construction from random (and weird) parameters, then one method."""
    b = (g.n(0, 3),) if g.pct(70) else ()
    p = lambda: _t(g, b)  # noqa: E731
    pos = lambda: f"ne.abs({_t(g, b)}) + 0.1" if g.pct(80) else _t(g, b)  # noqa: E731
    k = g.n(1, 4)
    make = g.pick([f"D.Normal({p()}, {pos()})", f"D.Uniform({p()}, {p()} + 2.0)", f"D.Laplace({p()}, {pos()})",
                   f"D.Exponential({pos()})", f"D.Gamma({pos()}, {pos()})", f"D.Beta({pos()}, {pos()})",
                   f"D.Poisson({pos()})", f"D.LogNormal({p()}, {pos()})", f"D.Bernoulli(logits={p()})",
                   f"D.Categorical(logits={_t(g, b + (k,))})", f"D.OneHotCategorical(logits={_t(g, b + (k,))})",
                   f"D.Dirichlet(ne.abs({_t(g, b + (k,))}) + 0.1)",
                   f"D.MultivariateNormal({_t(g, b + (k,))}, scale_tril=ne.eye({k}) * 0.5)",
                   f"D.Independent(D.Normal({_t(g, b + (k,))}, 1.0), {g.int_(0, 2)})",
                   f"D.TransformedDistribution(D.Normal({p()}, 1.0), [D.transforms.TanhTransform()])",
                   f"D.VonMises({p()}, {pos()})", f"D.GeneralizedPareto({p()}, {pos()}, {p()})",
                   f"D.LowRankMultivariateNormal({_t(g, b + (k,))}, {_t(g, b + (k, 2))}, ne.abs({_t(g, b + (k,))}) + 0.1)"])
    method = g.pick(["R = d.sample((2,))", "R = d.rsample()", "R = d.log_prob(d.sample())", "R = d.entropy()",
                     f"R = d.log_prob({_t(g, b)})", "R = (d.mean, d.variance)", "R = d.cdf(d.sample())",
                     f"R = d.expand(({g.n(0, 3)},) + tuple(d.batch_shape))", "R = D.kl_divergence(d, d)"])
    return f"import nnengine.distributions as D\nd = {make}\n{method}\nBW(R)"


def f_vision_ops(g: G) -> str:
    """nnengine.vision.ops box functions and NMS on random (and weird) boxes, scores and thresholds."""
    n, m = g.n(0, 6), g.n(0, 4)
    boxes = f"ne.abs({_t(g, (n, 4))}).cumsum(-1)" if g.pct(70) else _t(g, (n, g.pick([4, 4, 3, 5])))
    other = f"ne.abs({_t(g, (m, 4))}).cumsum(-1)" if g.pct(70) else _t(g, (m, 4))
    call_ = g.pick([f"R = O.box_iou({boxes}, {other})", f"R = O.generalized_box_iou({boxes}, {other})",
                    f"R = O.box_area({boxes})", f"R = O.box_convert({boxes}, {g.str_(['xyxy', 'xywh', 'cxcywh'])}, "
                    f"{g.str_(['xyxy', 'xywh', 'cxcywh'])})",
                    f"R = O.nms({boxes}, {_t(g, (n,))}, {g.flt(-0.5, 1.5)})",
                    f"R = O.batched_nms({boxes}, {_t(g, (n,))}, {g.arr((n,), 'int64', fill='idx', hi=3)}, "
                    f"{g.flt(0, 1)})",
                    f"R = O.clip_boxes_to_image({boxes}, ({g.int_(0, 9)}, {g.int_(0, 9)}))",
                    f"R = O.remove_small_boxes({boxes}, {g.flt(0, 2)})",
                    f"R = O.sigmoid_focal_loss({_t(g, (n, 3))}, {_t(g, (n, 3))}, reduction={g.str_(['mean', 'sum', 'none'])})"])
    return f"import nnengine.vision.ops as O\n{call_}\nBW(R)"


def f_init_norms(g: G) -> str:
    """nn.init initialisers, weight_norm / spectral_norm on Linear / Conv2d, autograd.grad."""
    which = g.draw(g.st.integers(0, 3))
    if which == 0:
        fn = g.pick(["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "trunc_normal_",
                     "orthogonal_", "eye_", "dirac_", "sparse_", "uniform_", "normal_", "constant_"])
        s = _any_shape(g, 5) if g.pct(40) else (g.n(0, 4), g.n(0, 4), g.n(1, 3), g.n(1, 3))[:g.pick([2, 3, 4])]
        extra = {"sparse_": [g.flt(0, 1)], "constant_": [g.flt(-1, 1)], "dirac_": [] if g.pct(70) else [g.int_(1, 2)],
                 "trunc_normal_": [g.flt(-1, 1), g.flt(0, 2), g.flt(-3, 0), g.flt(0, 3)],
                 "kaiming_uniform_": [] if g.pct(50) else [f"mode={g.str_(['fan_in', 'fan_out'])}"]}.get(fn, [])
        return f"R = nn.init.{fn}({', '.join([_t(g, s, rg=False)] + extra)})"
    if which == 1:
        i, o = g.n(1, 4), g.n(1, 4)
        fn = g.pick(["nn.utils.weight_norm", "nn.utils.spectral_norm"])
        kw = f"dim={g.pick(['0', '1', '-1', 'None', '2', '5'])}" if fn.endswith("weight_norm") else \
            f"n_power_iterations={_iters(g, 1, 3)}"
        m = g.pick([f"nn.Linear({i}, {o})", f"nn.Conv2d({i}, {o}, 2)"])
        x = _t(g, (g.n(0, 3), i)) if m.startswith("nn.Linear") else _t(g, (g.n(0, 2), i, 3, 3))
        return f"m = {fn}({m}, {g.str_(['weight', 'bias'])}, {kw})\nR = m({x})\nBW(R)"
    if which == 2:
        i, o = g.n(1, 4), g.n(1, 4)
        fn = g.pick(["nn.utils.parametrizations.weight_norm", "nn.utils.parametrizations.spectral_norm"])
        return f"m = {fn}(nn.Linear({i}, {o}))\nR = m({_t(g, (g.n(0, 3), i))})\nBW(R)"
    s = _any_shape(g, 3)
    c = call("ne.autograd.grad", g.pick(["y", "y.sum()", "[y.sum()]", "None", "x", "[]"]),
             g.pick(["x", "[x]", "(x, x)", "y", "None", "[]"]),
             grad_outputs=g.pick(["None", "ne.ones_like(y)", _t(g, s, rg=False), "[None]"]),
             allow_unused=g.bool_(), retain_graph=g.bool_())
    # an autograd misuse (unused input, non-scalar output without grad_outputs) is torch's RuntimeError
    return (f"x = T({g.arr(s, weird=0)}, True)\ny = x * 2\ntry:\n    {c}\nexcept RuntimeError as e:\n"
            "    if isinstance(e, (ValueError, TypeError)) or 'grad' not in str(e) and 'graph' not in str(e):\n        raise\n    R = None")


def f_double_backward(g: G) -> str:
    """autograd.grad(create_graph=True) through a random chain of ops, then a second backward (the recording sweep
    and every graph_backward): only TypeError/ValueError (an op without a differentiable backward is a ValueError
    too), or torch's RuntimeError for an autograd misuse."""
    n, c, h = g.n(0, 3), g.n(1, 3), g.n(1, 6)
    x = f"T({g.arr((n, c, h, h), weird=1)}, True)"
    ops = ["z = ne.tanh(z)", "z = F.leaky_relu(z, 0.1)", "z = F.softplus(z)", "z = F.gelu(z)", "z = z * z",
           "z = ne.exp(z.clamp(max=5))", "z = (z.abs() + 1).log()", "z = F.max_pool2d(z, 2, ceil_mode=True)",
           "z = F.avg_pool2d(z, 3, 1, 1)", f"z = F.conv2d(z, W, padding={g.int_(0, 2)}, stride={g.int_(1, 3)})",
           "z = F.layer_norm(z, z.shape[-1:])", "z = F.softmax(z, dim=-1)",
           "z = z.flatten(1) if z.ndim > 1 else z", "z = z[..., :1] if z.ndim else z",
           f"z = F.pad(z, (1, 1), mode={g.str_(['constant', 'reflect', 'replicate'])})",
           "z = F.interpolate(z, scale_factor=2)", "z = ne.sort(z, dim=-1)[0]", "z = z.sum(dim=-1, keepdim=True)",
           "z = F.dropout(z, 0.3)", "z = F.batch_norm(z, None, None, training=True)", "z = z.prod(-1)"]
    chain = "\n".join(f"    {g.pick(ops)}" for _ in range(g.draw(g.st.integers(1, 4))))
    seed = g.pick(["None", "ne.ones_like(z)", _t(g, (n, c), rg=False)])
    return (f"x = {x}\nW = T({g.arr((c, c, 3, 3), weird=0)}, True)\nR = None\ntry:\n    z = x\n{chain}\n"
            f"    gs = ne.autograd.grad(z, [x, W], grad_outputs={seed}, create_graph={g.bool_()}, "
            f"allow_unused=True)\n"
            "    s = sum((q * q).sum() for q in gs if q is not None)\n    if s.requires_grad:\n        s.backward()\n"
            "    R = [q for q in gs if q is not None]\n"
            "except RuntimeError as e:\n    if isinstance(e, (ValueError, TypeError)) or not any(k in str(e) for k in "
            "('grad', 'graph', 'shape', 'size')):\n        raise")


def f_optim_more(g: G) -> str:
    """Rprop / ASGD / SparseAdam / swa_utils.AveragedModel and the new lr schedulers, a few steps."""
    s = _any_shape(g, 2)
    opt = g.pick([f"ne.optim.Rprop(ps, lr={g.flt(0, 0.1)}, etas=({g.flt(0, 1)}, {g.flt(1, 2)}), "
                  f"step_sizes=({g.flt(0, 0.01)}, {g.flt(0, 50)}))",
                  f"ne.optim.ASGD(ps, lr={g.flt(0, 0.1)}, lambd={g.flt(0, 1)}, alpha={g.flt(0, 1)}, t0={g.flt(0, 10)})",
                  f"ne.optim.SparseAdam(ps, lr={g.flt(0, 0.1)}, betas=({g.flt(0, 1)}, {g.flt(0, 1)}))"])
    sched = g.pick(["None", f"ne.optim.lr_scheduler.CyclicLR(opt, {g.flt(0, 0.1)}, {g.flt(0, 1)}, "
                            f"step_size_up={_size(g, 1, 4)}, cycle_momentum=False)",
                    f"ne.optim.lr_scheduler.OneCycleLR(opt, {g.flt(0, 1)}, total_steps={_size(g, 1, 5)})",
                    f"ne.optim.lr_scheduler.PolynomialLR(opt, total_iters={_size(g, 0, 5)}, power={g.flt(-1, 3)})",
                    f"ne.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, {_size(g, 1, 4)}, T_mult={_size(g, 1, 3)})"
                    ])
    return (f"p = ne.nn.Parameter(ne.tensor({g.arr(s, weird=0)}))\nps = [p]\nopt = {opt}\nsched = {sched}\n"
            f"for _ in range({g.draw(g.st.integers(1, 4))}):\n"
            f"    opt.zero_grad()\n    p.grad = {g.arr(s)}\n    opt.step()\n"
            f"    if sched is not None:\n        sched.step()\nR = p")


def f_tensor_extras(g: G) -> str:
    """Tensor methods added today (fill_diagonal_, sum_to_size, resize_, index_put, renorm, narrow_copy,
    nonzero_static, new_empty_strided, unfold, as_strided, storage, ...) and ne.sparse."""
    s = _any_shape(g, 3)
    r = len(s)
    x = _t(g, s, rg=False)
    x = x if x.startswith("T(") else f"ne.tensor({x})"
    which = g.draw(g.st.integers(0, 12))
    if which == 11:  # as_strided: views reaching past the storage must be refused, never read out of bounds
        n = g.draw(g.st.integers(0, 3))
        size = repr(tuple(g.draw(g.st.integers(-1, 4)) for _ in range(n)))
        stride = repr(tuple(g.draw(g.st.integers(-1, 3)) for _ in range(g.pick([n, n, n, n + 1]))))
        off = g.pick(["None", "0", "1", "5", "-1", "2**62"])
        return f"R = {x}.as_strided({size}, {stride}, {off})\nR2 = R.sum()"
    if which == 12:
        return f"R = {x}.storage()\nR2 = (len(R), R.tolist()[:3], R[{g.int_(-2, 3)}])"
    if which == 0:
        return f"R = {x}.fill_diagonal_({g.flt(-1, 1)}, wrap={g.bool_()})"
    if which == 1:
        return f"R = {x}.sum_to_size({g.pick([repr(tuple(s[1:])), repr(s), '(1,)', '()', '(2**40,)', '(-1,)'])})"
    if which == 2:
        return f"R = {x}.resize_({g.pick([repr(s), '(2, 3)', '0', '(-1, 2)', '(2**40, 2**40)', '(1.5,)'])})"
    if which == 3:
        idx = g.arr((g.n(0, 3),), "int64", fill="idx", hi=s[0] if s else 1)
        return f"R = {x}.index_put(({idx},), {g.arr((1,))}, accumulate={g.bool_()})"
    if which == 4:
        return f"R = {x}.renorm({g.flt(0, 3)}, {_dim(g, r)}, {g.flt(0, 2)})"
    if which == 5:
        return f"R = {x}.narrow_copy({_dim(g, r)}, {g.int_(-2, 3)}, {g.int_(0, 3)})"
    if which == 6:
        return f"R = {x}.nonzero_static(size={_size(g, 0, 6)}, fill_value={g.int_(-1, 1)})"
    if which == 7:
        return (f"R = {x}.new_empty_strided({g.pick([repr(s), '(2, 2)', '(-1,)', '(2**40,)'])}, "
                f"{g.pick(['(1,)', '(2, 1)', '(1, 2)', '(0, 0)', '(-1, 1)', '(2**62, 1)'])}).shape")  # uninitialised
    if which == 8:
        return f"R = {x}.unfold({_dim(g, r)}, {_size(g, 0, 3)}, {_size(g, 1, 2)})"
    if which == 9:
        n, m = g.n(0, 4), g.n(0, 4)
        return (f"sp = ne.sparse_coo_tensor({g.arr((2, g.n(0, 4)), 'int64', fill='idx', hi=min(n, m))}, "
                f"{g.arr((g.n(0, 4),))}, {g.pick([repr((n, m)), 'None', '(-1, 2)', '(2**40, 2)'])})\n"
                f"R = ne.sparse.mm(sp, {_t(g, (m, g.n(0, 3)))})\nR2 = sp.to_dense()\nBW(R)")
    return f"R = ne.sparse.mm(ne.sparse.to_sparse({x}), {_t(g, (s[-1] if s else 1, 2))})\nBW(R)"


TARGETS: Dict[str, Callable[[G], str]] = {
    "conv2d_forward": t_conv2d_forward,
    "conv2d_backward_data": t_conv2d_backward_data,
    "conv3d_forward": t_conv3d_forward,
    "conv3d_backward_data": t_conv3d_backward_data,
    "conv3d_backward_weights": t_conv3d_backward_weights,
    "conv2d_backward_weights": t_conv2d_backward_weights,
    "conv_transpose2d_forward": t_conv_transpose2d_forward,
    "conv_transpose2d_backward_data": t_conv_transpose2d_backward_data,
    "conv_transpose2d_backward_weights": t_conv_transpose2d_backward_weights,
    "conv_transpose2d_backward": t_conv_transpose2d_backward,
    "adaptive_pool2d_forward": t_adaptive_pool2d_forward,
    "adaptive_pool2d_backward": t_adaptive_pool2d_backward,
    "interpolate_forward": t_interpolate_forward,
    "interpolate_backward": t_interpolate_backward,
    "pad_forward": t_pad_forward,
    "pad_backward": t_pad_backward,
    "dropout2d_forward": t_dropout2d_forward,
    "dropout2d_backward": t_dropout2d_backward,
    "pool2d_forward": t_pool2d_forward,
    "pool2d_backward": t_pool2d_backward,
    "maxout_forward": t_maxout_forward,
    "maxout_backward": t_maxout_backward,
    "activation_forward": t_activation_forward,
    "activation_backward": t_activation_backward,
    "prelu_forward": t_prelu_forward,
    "prelu_backward": t_prelu_backward,
    "softmax_forward": t_softmax_forward,
    "softmax_backward": t_softmax_backward,
    "cross_entropy_forward": t_cross_entropy_forward,
    "cross_entropy_backward": t_cross_entropy_backward,
    "nll_forward": t_nll_forward,
    "nll_backward": t_nll_backward,
    "batchnorm_forward_train": t_batchnorm_forward_train,
    "batchnorm_forward_eval": t_batchnorm_forward_eval,
    "batchnorm_backward": t_batchnorm_backward,
    "layernorm_forward": t_layernorm_forward,
    "layernorm_backward": t_layernorm_backward,
    "pointwise_loss_forward": t_pointwise_loss_forward,
    "pointwise_loss_backward": t_pointwise_loss_backward,
    "mse_forward": t_mse_forward,
    "mse_backward": t_mse_backward,
    "bce_forward": t_bce_forward,
    "bce_backward": t_bce_backward,
    "kl_div_forward": t_kl_div_forward,
    "kl_div_backward": t_kl_div_backward,
    "dropout_forward": t_dropout_forward,
    "dropout_backward": t_dropout_backward,
    "gemm": t_gemm,
    "gemm_batched": t_gemm_batched,
    "linear_backward": t_linear_backward,
    "linear_bf16w": t_linear_bf16w,
    "bf16_bits": t_bf16_bits,
    "NativePlan": t_NativePlan,
    "rbm_sample": t_rbm_sample,
    "rnn_forward": t_rnn_forward,
    "rnn_backward": t_rnn_backward,
    "lstm_forward": t_lstm_forward,
    "lstm_backward": t_lstm_backward,
    "gru_forward": t_gru_forward,
    "gru_backward": t_gru_backward,
    "embedding_forward": t_embedding_forward,
    "embedding_backward": t_embedding_backward,
    "embedding_renorm": t_embedding_renorm,
    "vmath": t_vmath,
    "attention_forward": t_attention_forward,
    "attention_backward": t_attention_backward,
    "sgd_step": t_sgd_step,
    "adam_step": t_adam_step,
    "rmsprop_step": t_rmsprop_step,
    "adagrad_step": t_adagrad_step,
    "adadelta_step": t_adadelta_step,
    "adamax_step": t_adamax_step,
    "nadam_step": t_nadam_step,
    "radam_step": t_radam_step,
    "optim_epilogue": t_optim_epilogue,
    "weight_penalty_forward": t_weight_penalty_forward,
    "weight_penalty_backward": t_weight_penalty_backward,
    "copy_into": t_copy_into,
    "backend": t_backend,
    "F.conv2d": f_conv2d,
    "nn.Conv2d": f_Conv2d,
    "F.conv1d": f_conv1d,
    "F.conv_transpose": f_conv_transpose,
    "F.pool1d_adaptive": f_pool1d,
    "F.interpolate": f_interpolate,
    "F.pad": f_pad,
    "F.volumetric": f_volumetric,
    "nn.Sequential.edit": f_sequential_edit,
    "distributions": f_distributions,
    "vision.ops": f_vision_ops,
    "F.dropout2d": f_dropout2d,
    "F.pool2d": f_pool,
    "F.activations": f_activation,
    "F.softmax": f_softmax,
    "F.losses": f_losses,
    "F.losses_ext": f_losses_ext,
    "F.linear": f_linear,
    "F.dropout": f_dropout,
    "F.batch_norm": f_batch_norm,
    "F.maxout": f_maxout,
    "F.norms": f_norms,
    "F.rnn_sequence": f_rnn_sequence,
    "F.rnn_lstm": f_rnn_functions,
    "nn.RNN_LSTM": f_rnn_modules,
    "F.embedding": f_embedding,
    "F.scaled_dot_product_attention": f_sdpa,
    "nn.MultiheadAttention": f_multihead_attention,
    "nn.Transformer*Layer": f_transformer,
    "ne.index_ops": f_index_ops,
    "ne.math_ops": f_math_ops,
    "ne.multinomial": f_random_ops,
    "ne.linalg": f_linalg,
    "F.grid_sample_unpool": f_grid_unpool,
    "F.embedding_bag": f_embedding_bag,
    "F.losses_more": f_losses_more,
    "F.activations_more": f_activations_more,
    "nn.modules_more": f_modules_more,
    "nn.init_norms_grad": f_init_norms,
    "autograd.double_backward": f_double_backward,
    "optim_more": f_optim_more,
    "Tensor.extras_sparse": f_tensor_extras,
}

# Every public _core function must be reached by some target (checked by tests/test_fuzz.py).
BACKEND_FUNCTIONS = ("set_isa", "set_num_threads", "isa", "available_isas", "build_info", "get_num_threads",
                     "cache_info", "set_cache_sizes", "reset_cache_sizes", "fma_probe", "bf16_unavailable_reason",
                     "winograd_mode", "set_winograd_mode", "reset_winograd_mode", "conv2d_algorithm",
                     "bf16_gemm_kernels", "bf16_gemm_kernel", "set_bf16_gemm_kernel", "amx_probe")


def covered_bindings() -> set:
    return (set(TARGETS) - {"backend"} - {t for t in TARGETS if "." in t}) | set(BACKEND_FUNCTIONS)


# -------------------------------------------------------------------------------------------- campaign


def reproducer(code: str) -> str:
    """A runnable snippet: the prelude, then the failing call."""
    return PRELUDE.strip() + "\n\n# --- the failing call\n" + code + "\n"


def run_campaign(calls: int, seed: int = 0, timeout: float = 20.0, targets: Optional[List[str]] = None,
                 mem_mb: int = 4096, log: Callable[[str], None] = print, max_repro: int = 5) -> dict:
    """Run about ``calls`` calls spread evenly over ``targets`` (default: all). Returns the summary dict."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed
    from hypothesis import strategies as st

    names = list(TARGETS) if not targets else targets
    unknown = [t for t in names if t not in TARGETS]
    if unknown:
        raise ValueError(f"unknown targets {unknown}; known: {list(TARGETS)}")
    per = max(1, -(-calls // len(names)))
    log_dir = tempfile.mkdtemp(prefix="nne-fuzz-")
    worker = Worker(timeout, mem_mb, log_dir)
    summary: dict = {"seed": seed, "calls": 0, "crashes": [], "hangs": [], "forbidden": [], "mismatches": [],
                     "exceptions": defaultdict(Counter), "ok": Counter(), "documented": defaultdict(Counter),
                     "log_dir": log_dir}
    counter = [0]
    t0 = time.monotonic()

    def record(kind: str, name: str, code: str, res: dict) -> None:
        bucket = summary[kind]
        key = (res.get("type"), res.get("msg", "")[:80])
        if any((b["type"], b["msg"][:80]) == key and b["target"] == name for b in bucket) or \
                sum(b["target"] == name for b in bucket) >= max_repro:
            summary.setdefault("dropped", Counter())[kind] += 1
            return
        entry = {"target": name, "type": res.get("type"), "msg": res.get("msg", ""), "code": code,
                 "reproducer": reproducer(code)}
        for k in ("log", "tb"):
            if k in res:
                entry[k] = res[k]
        bucket.append(entry)
        log(f"!! {kind[:-1] if kind != 'mismatches' else 'mismatch'} in {name}: {res.get('type')} {res.get('msg', '')}"
            f"\n--- reproducer ---\n{entry['reproducer']}"
            + (f"--- worker log tail ---\n{res['log'][-3000:]}\n" if res.get("log") else "")
            + (f"--- traceback ---\n{res['tb']}\n" if res.get("tb") else ""))

    def run_target(name: str) -> None:
        gen = TARGETS[name]

        @st.composite
        def strat(draw):
            return gen(G(draw))

        @settings(max_examples=per, database=None, deadline=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @hseed(seed * 1000003 + zlib.crc32(name.encode()))
        @given(strat())
        def run_one(code):
            counter[0] += 1
            req = {"id": counter[0], "target": name, "code": code,
                   "check_aligned": "'misaligned'" in code and "fill='special'" not in code
                   and "fill='mixed'" not in code}
            res = worker.call(req)
            summary["calls"] += 1
            out = res["outcome"]
            if out == "ok":
                summary["ok"][name] += 1
            elif out == "exc":
                summary["exceptions"][name][res["type"]] += 1
                if res.get("documented"):
                    summary["documented"][name][res["type"]] += 1
                elif not res.get("allowed"):
                    record("forbidden", name, code, res)
            elif out == "crash":
                summary["exceptions"][name]["<crash>"] += 1
                record("crashes", name, code, res)
            elif out == "hang":
                summary["exceptions"][name]["<hang>"] += 1
                record("hangs", name, code, res)
            elif out == "mismatch":
                summary["exceptions"][name]["<misaligned mismatch>"] += 1
                record("mismatches", name, code, res)

        n0 = summary["calls"]
        t1 = time.monotonic()
        run_one()
        log(f"{name:26s} {summary['calls'] - n0:6d} calls {time.monotonic() - t1:6.1f} s  "
            f"ok {summary['ok'][name]:5d}  " + ", ".join(f"{k} {v}" for k, v in
                                                         sorted(summary["exceptions"][name].items())))

    try:
        for name in names:
            run_target(name)
    finally:
        worker.stop()
    summary["seconds"] = round(time.monotonic() - t0, 1)
    summary["worker_starts"] = worker.starts
    summary["exceptions"] = {k: dict(v) for k, v in summary["exceptions"].items()}
    summary["documented"] = {k: dict(v) for k, v in summary["documented"].items() if v}
    summary["ok"] = dict(summary["ok"])
    if "dropped" in summary:
        summary["dropped"] = dict(summary["dropped"])
    summary["failed"] = bool(summary["crashes"] or summary["hangs"] or summary["forbidden"] or summary["mismatches"])
    if not summary["failed"]:  # keep the worker logs only when they explain something
        shutil.rmtree(log_dir, ignore_errors=True)
        summary["log_dir"] = None
    return summary


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=2000, help="total calls, spread evenly over the targets")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds per call before it counts as a hang")
    ap.add_argument("--targets", default="", help="comma-separated target names (default: all; see --list)")
    ap.add_argument("--json", default="", help="write the summary as JSON to this path")
    ap.add_argument("--mem-mb", type=int, default=4096, help="worker address-space limit (not under ASan)")
    ap.add_argument("--list", action="store_true", help="list the targets and exit")
    ap.add_argument("--worker", type=int, default=-1, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker >= 0:
        worker_main(a.worker, a.mem_mb)
        return 0
    if a.list:
        print("\n".join(TARGETS))
        return 0
    targets = [t.strip() for t in a.targets.split(",") if t.strip()] or None
    s = run_campaign(a.calls, a.seed, a.timeout, targets, a.mem_mb)
    print(f"\ncalls made: {s['calls']} in {s['seconds']} s ({s['worker_starts']} worker start(s))")
    print(f"crashes: {len(s['crashes'])}   hangs: {len(s['hangs'])}   forbidden exceptions: {len(s['forbidden'])}"
          f"   misaligned mismatches: {len(s['mismatches'])}" + (f"   (more not listed: {s['dropped']})"
                                                                 if s.get("dropped") else ""))
    tot: Counter = Counter()
    for v in s["exceptions"].values():
        tot.update(v)
    print("exceptions by type (all targets): " + ", ".join(f"{k} {v}" for k, v in tot.most_common()))
    for kind in ("crashes", "hangs", "forbidden", "mismatches"):
        for e in s[kind]:
            print(f"\n=== {kind}: {e['target']}: {e['type']}: {e['msg']}\n{e['reproducer']}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(s, f, indent=1)
    return 1 if s["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
