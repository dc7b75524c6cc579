"""The test suite's own honesty: strict mode turns silent skips into failures, and every ISA tier the
CPU has is actually exercised."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import conftest
import pytest

import nnengine as ne

_PROBE = '''
import pytest
from conftest import require, require_dataset, require_path, skip_justified

def test_missing_module():
    require("nnengine_no_such_module_xyz")

def test_raw_skip():
    pytest.skip("whatever")

def test_importorskip():
    pytest.importorskip("nnengine_no_such_module_xyz")

@pytest.mark.skipif(True, reason="a skipif mark")
def test_skipif():
    pass

def test_missing_dataset():
    from nnengine.data import DatasetNotFoundError
    def loader():
        raise DatasetNotFoundError("not installed; apt-get install it")
    require_dataset(loader)

def test_loader_bug_is_an_error_not_a_skip():
    def loader():
        raise ValueError("bug in the loader")
    require_dataset(loader)

def test_missing_path():
    require_path("/nonexistent/nnengine/data", "a data package")

def test_justified():
    skip_justified("this CPU lacks avx512")

@pytest.mark.xfail(strict=True, reason="known")
def test_xfail():
    assert False

def test_pass():
    require("numpy")
'''

_PROBE_COLLECT = '''
import pytest
pytest.importorskip("nnengine_no_such_module_xyz")

def test_never():
    pass
'''


def _run_probe(tmp_path, strict: bool):
    shutil.copy(os.path.join(os.path.dirname(__file__), "conftest.py"), tmp_path / "conftest.py")
    (tmp_path / "test_probe.py").write_text(_PROBE)
    (tmp_path / "test_probe_collect.py").write_text(_PROBE_COLLECT)
    env = dict(os.environ, NNENGINE_TEST_STRICT="1" if strict else "0")
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(tmp_path), env.get("PYTHONPATH", "")] if p)
    out = subprocess.run([sys.executable, "-m", "pytest", "-v", "-rA", "-p", "no:cacheprovider", "--continue-on-collection-errors",
                          "--rootdir", str(tmp_path), str(tmp_path)],
                         env=env, capture_output=True, text=True, cwd=tmp_path)
    res = {}
    for line in out.stdout.splitlines():
        words = line.split()
        if len(words) >= 2 and "::" in words[0]:
            res[words[0].split("::")[1]] = words[1]
        elif len(words) >= 2 and words[0] in ("ERROR", "SKIPPED") and "test_probe_collect" in line:
            res["collect"] = words[0]
    return res, out.stdout


def test_strict_mode_turns_every_unjustified_skip_into_a_failure(tmp_path):
    res, log = _run_probe(tmp_path, strict=True)
    want = {"test_missing_module": "FAILED", "test_raw_skip": "FAILED", "test_importorskip": "FAILED",
            "test_skipif": "ERROR", "test_missing_dataset": "FAILED",  # skipif: fails in the setup phase "test_missing_path": "FAILED",
            "test_loader_bug_is_an_error_not_a_skip": "FAILED", "test_justified": "SKIPPED",
            "test_xfail": "XFAIL", "test_pass": "PASSED"}
    assert {k: res.get(k) for k in want} == want, log
    assert res.get("collect") in ("FAILED", "ERROR"), log  # module-level importorskip at collection
    assert "unjustified skip" in log and "NNENGINE_TEST_STRICT: missing dependency" in log
    assert "nnengine: 1 skipped (1 justified, 0 for a missing dependency/dataset), 1 xfailed; strict=on" in log


def test_non_strict_mode_skips_with_a_reason(tmp_path):
    res, log = _run_probe(tmp_path, strict=False)
    want = {"test_missing_module": "SKIPPED", "test_raw_skip": "SKIPPED", "test_importorskip": "SKIPPED",
            "test_skipif": "SKIPPED", "test_missing_dataset": "SKIPPED", "test_missing_path": "SKIPPED",
            "test_loader_bug_is_an_error_not_a_skip": "FAILED", "test_justified": "SKIPPED",
            "test_xfail": "XFAIL", "test_pass": "PASSED"}
    assert {k: res.get(k) for k in want} == want, log
    assert res.get("collect") == "SKIPPED", log
    assert "missing dependency 'nnengine_no_such_module_xyz'" in log
    assert "nnengine: 8 skipped (1 justified, 7 for a missing dependency/dataset), 1 xfailed; strict=off" in log


def test_expected_isas_from_cpu_flags():
    base = {"sse2", "avx", "fma", "f16c"}
    assert conftest.expected_isas(base, cap="") == ["baseline"]
    assert conftest.expected_isas(base | {"avx2"}, cap="") == ["baseline", "avx2"]
    a512 = base | {"avx2", "avx512f", "avx512bw", "avx512vl", "avx512dq"}
    assert conftest.expected_isas(a512, cap="") == ["baseline", "avx2", "avx512"]
    assert conftest.expected_isas(a512 - {"avx512vl"}, cap="") == ["baseline", "avx2"]
    assert conftest.expected_isas(a512, cap="avx2") == ["baseline", "avx2"]
    assert conftest.expected_isas(a512, cap="baseline") == ["baseline"]


def test_every_isa_tier_this_cpu_has_is_available():
    """'Every ISA' must not silently shrink: a CPU with AVX2 (+FMA, F16C) runs the avx2 kernels, one
    with AVX-512 F/BW/VL/DQ also the avx512 ones (unless NNENGINE_MAX_ISA caps it)."""
    flags = conftest.cpu_flags()
    if not flags:
        conftest.skip_justified("no /proc/cpuinfo flags on this OS: cannot tell which tiers the CPU has")
    want = conftest.expected_isas(flags)
    got = ne.backend.available_isas()
    assert [t for t in want if t not in got] == [], (conftest.cpu_model(), want, got)


@pytest.mark.parametrize("tier", ["baseline", "avx2", "avx512"])
def test_isa_tier_runs_when_available(tier):
    if tier not in ne.backend.available_isas():
        conftest.skip_justified(f"this CPU ({conftest.cpu_model()}) has no {tier}")
    import numpy as np

    a = np.random.default_rng(0).standard_normal((37, 29)).astype(np.float32)
    with ne.backend.use_isa(tier):
        assert ne.backend.isa() == tier
        np.testing.assert_allclose(ne._core.gemm(a, a, trans_b=True), a.astype(np.float64) @ a.T.astype(np.float64),
                                   rtol=1e-5, atol=1e-4)
