"""Backend control: ISA dispatch, threads, build info, the `nnengine info` command."""

import os
import subprocess
import sys

import numpy as np
import pytest

import nnengine as ne


def test_isa_reporting():
    avail = ne.backend.available_isas()
    assert avail[0] == "baseline"
    assert ne.backend.isa() in avail
    assert set(avail) <= {"baseline", "avx2", "avx512"}


def test_use_isa_switches_and_restores():
    before = ne.backend.isa()
    for name in ne.backend.available_isas():
        with ne.backend.use_isa(name):
            assert ne.backend.isa() == name
    assert ne.backend.isa() == before


def test_set_isa_rejects_unknown():
    with pytest.raises(ValueError, match="expected one of"):
        ne.backend.set_isa("sse9")
    with pytest.raises(TypeError, match="name"):
        ne.backend.set_isa(3)


def test_max_isa_env_caps_dispatch():
    code = "import nnengine as ne; print(ne.backend.isa())"
    env = dict(os.environ, NNENGINE_MAX_ISA="baseline")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "baseline"


def test_threads_api():
    prev = ne.get_num_threads()
    ne.set_num_threads(1)
    assert ne.get_num_threads() == 1
    ne.set_num_threads(prev)
    with pytest.raises(ValueError, match="n: expected a thread count"):
        ne.set_num_threads(0)
    with pytest.raises(TypeError, match="n: expected an int"):
        ne.set_num_threads(1.5)


def test_default_threads_from_env():
    code = "import nnengine as ne; print(ne.get_num_threads())"
    env = dict(os.environ, OMP_NUM_THREADS="3")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "3"


def test_build_info_and_cli_info():
    info = ne.backend.build_info()
    assert {"native", "openmp", "sanitize", "build_type"} <= set(info)
    out = subprocess.run([sys.executable, "-m", "nnengine.cli", "info"], capture_output=True, text=True, check=True)
    assert "isa:" in out.stdout and ne.__version__ in out.stdout


def test_gil_released_threads_run_concurrently():
    import threading

    a = np.random.rand(300, 300).astype(np.float32)
    results = []

    def work():
        results.append(ne._core.gemm(a, a))

    ts = [threading.Thread(target=work) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert len(results) == 4 and all(np.array_equal(results[0], r) for r in results)
