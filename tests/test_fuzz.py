"""A short fuzz campaign through scripts/fuzz.py's engine: hypothesis-generated calls into every
``_core`` binding and the public functional ops, each run in a crash-isolated worker subprocess. Fails on
any crash, hang, forbidden exception (anything but TypeError / ValueError, MemoryError / OverflowError
being documented exceptions) or misaligned-input mismatch, printing a runnable reproducer.

The long campaigns are ``python scripts/fuzz.py --calls 100000 --seed S`` and scripts/sanitize.sh (under
ASan + UBSan). NNE_FUZZ_CALLS / NNE_FUZZ_SEED change this test's campaign.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from nnengine import _core

_FUZZ_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "fuzz.py")
_spec = importlib.util.spec_from_file_location("nne_fuzz", _FUZZ_PATH)
fuzz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz)

CALLS = int(os.environ.get("NNE_FUZZ_CALLS", "2600"))
SEED = int(os.environ.get("NNE_FUZZ_SEED", "0"))


def test_every_core_binding_is_a_fuzz_target():
    public = {n for n in dir(_core) if not n.startswith("_")}
    missing = public - fuzz.covered_bindings()
    assert not missing, f"_core functions without a fuzz target in scripts/fuzz.py: {sorted(missing)}"


def test_engine_records_crashes_and_hangs_and_restarts_the_worker(tmp_path):
    # 10 s per call: a worker's first call includes importing nnengine, which takes seconds on a loaded machine
    # (3 s once reported a healthy first call as a hang); the hang below sleeps far longer than that
    w = fuzz.Worker(timeout=10, mem_mb=2048, log_dir=str(tmp_path))
    try:
        ok = w.call({"id": 1, "target": "t", "code": "R = _core.activation_forward(A((3,)), 'relu')"})
        assert ok["outcome"] == "ok", ok
        crash = w.call({"id": 2, "target": "t", "code": "import os\nos.abort()"})
        assert crash["outcome"] == "crash" and "signal 6" in crash["msg"], crash
        assert "[fuzz-worker] call 2" in crash["log"]  # the worker logs each call before running it
        hang = w.call({"id": 3, "target": "t", "code": "import time\ntime.sleep(120)"})
        assert hang["outcome"] == "hang", hang
        exc = w.call({"id": 4, "target": "t", "code": "R = {}['k']"})
        assert exc["outcome"] == "exc" and exc["type"] == "KeyError" and not exc["allowed"], exc
        again = w.call({"id": 5, "target": "t", "code": "R = _core.activation_forward(A((3,)), 'relu')"})
        assert again["outcome"] == "ok" and w.starts == 3
    finally:
        w.stop()


def test_short_fuzz_campaign_finds_no_crash_hang_or_forbidden_exception():
    lines = []
    s = fuzz.run_campaign(CALLS, seed=SEED, timeout=60, log=lines.append)
    assert s["calls"] >= 0.9 * CALLS
    assert sum(s["ok"].values()) > 0.25 * s["calls"], "too few calls reach the kernels"
    problems = s["crashes"] + s["hangs"] + s["forbidden"] + s["mismatches"]
    if problems:
        report = "\n\n".join(
            f"{p['target']}: {p['type']}: {p['msg']}\n{p.get('tb', '')}{p.get('log', '')[-2000:]}\n"
            f"--- reproducer ---\n{p['reproducer']}"
            for p in problems
        )
        pytest.fail(f"{len(problems)} problem(s) in {s['calls']} calls (seed {SEED}):\n\n{report}", pytrace=False)
