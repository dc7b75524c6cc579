"""Backend control: ISA dispatch, threads, build info, the `nnengine info` command."""

import os
import platform
import subprocess
import sys

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F


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
    assert {"native", "openmp", "sanitize", "build_type", "isa_tiers"} <= set(info)
    # every ISA the dispatch can select is compiled in (a build without the avx512 tiers stops at avx2)
    assert set(ne.backend.available_isas()) <= set(info["isa_tiers"])
    if platform.machine() in ("x86_64", "AMD64") and not info["sanitize"]:
        assert info["isa_tiers"] == ("baseline", "avx2", "avx512")  # release builds keep every tier
    out = subprocess.run([sys.executable, "-m", "nnengine.cli", "info"], capture_output=True, text=True, check=True)
    assert "isa:" in out.stdout and ne.__version__ in out.stdout


def _counter_progress(call):
    """How many increments a pure-Python counter thread makes per second while ``call()`` runs in this thread."""
    import threading
    import time

    count, stop = [0], threading.Event()

    def spin():
        while not stop.is_set():
            count[0] += 1

    t = threading.Thread(target=spin)
    t.start()
    try:
        time.sleep(0.05)  # let the counter start
        c0, t0 = count[0], time.perf_counter()
        call()
        c1, t1 = count[0], time.perf_counter()
    finally:
        stop.set()
        t.join()
    return (c1 - c0) / (t1 - t0), t1 - t0


def test_gil_released_during_kernels(threads):
    """While a long kernel runs, another Python thread makes progress (the binding released the GIL); a
    GIL-holding C call of similar length (list.sort) is the baseline where the counter (nearly) stops."""
    import time

    a = np.random.default_rng(0).standard_normal((1200, 1200)).astype(np.float32)
    x = np.random.default_rng(1).standard_normal((8, 16, 48, 48)).astype(np.float32)
    w = np.random.default_rng(2).standard_normal((32, 16, 5, 5)).astype(np.float32)
    free, _ = _counter_progress(lambda: time.sleep(0.3))  # free-running rate (sleep releases the GIL)
    data = np.random.default_rng(3).random(2_000_000).tolist()
    held, held_s = _counter_progress(lambda: sorted(data))
    assert held_s > 0.05, "the GIL-holding baseline is too short to measure"
    assert held < 0.1 * free, (held, free)  # sanity: the baseline really blocks the counter
    with threads(1):
        for name, kernel in [("gemm", lambda: ne._core.gemm(a, a)),
                             ("conv2d", lambda: F.conv2d(ne.Tensor(x), ne.Tensor(w), padding=2))]:
            def repeat(kernel=kernel):  # at least 0.2 s of back-to-back kernel calls, on any CPU
                t0 = time.perf_counter()
                while time.perf_counter() - t0 < 0.2:
                    kernel()

            rate, secs = _counter_progress(repeat)
            print(f"{name}: {secs:.2f} s, counter {rate:.3g}/s (free {free:.3g}/s, GIL held {held:.3g}/s)")
            assert rate > 0.3 * free and rate > 5 * held, (name, rate, free, held)


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


def test_pool_back_to_back_jobs_of_changing_size(threads):
    """A thousand short 2-thread jobs whose chunk counts change from one job to the next (2, 3, 8 chunks)
    while another process spins on the CPU, so pool threads get preempted mid-claim: every result exact.
    A worker that had read the previous job's ticket used to be able to claim a chunk of the next job with a
    mix of both jobs' fields (stale callback and context: a crash or an abort). A fixed number of jobs, not a
    time budget: the check is the same on a slow machine."""
    import subprocess
    import sys

    rng = np.random.default_rng(5)
    xs = [rng.standard_normal(n).astype(np.float32) for n in (65536, 98304, 262144, 70000)]
    want = [np.maximum(x, 0) for x in xs]
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        with threads(2):
            for _ in range(250):
                for x, w in zip(xs, want):
                    y = F.relu(ne.Tensor(x)).numpy()
                    assert np.array_equal(y, w)
        assert spinner.poll() is None, "the competing process ended early"
    finally:
        spinner.kill()
        spinner.wait()


@pytest.mark.parametrize("nt", [1, 2])
def test_copy_array_bytes_and_layout(threads, nt):
    """``ops.copy_array`` (``ne.tensor`` of an array, ``Tensor.clone``) copies large C-contiguous arrays on the
    thread pool (``_core.copy_into``): the same bytes as numpy's copy for every dtype and size around the 64-byte
    chunk edges and the 1 MiB threshold, own memory, numpy's layout kept for anything else."""
    from nnengine import ops

    rng = np.random.default_rng(0)
    with threads(nt):
        for dt in (np.float32, np.float64, np.int64, np.uint8, np.bool_, np.dtype(">f4")):
            for nbytes in (0, 1, 63, 65, (1 << 20) - 1, 1 << 20, (1 << 20) + 17, 3 * (1 << 20) + 5):
                n = nbytes // np.dtype(dt).itemsize
                a = (rng.integers(0, 255, n) % 2).astype(dt) if dt is np.bool_ else rng.integers(0, 255, n).astype(dt)
                b = ops.copy_array(a)
                assert b.dtype == a.dtype and b.shape == a.shape and b.tobytes() == a.tobytes()
                assert not np.shares_memory(a, b)
        big = rng.standard_normal((600, 700))  # 3.4 MB
        for view in (big.T, big[:, ::2], big[::-1]):
            c = ops.copy_array(view)
            assert np.array_equal(c, view) and not np.shares_memory(c, big)
        assert ops.copy_array(big.T).flags.f_contiguous  # numpy's order="K", as np.array(copy=True)
        t = ne.tensor(big.astype(np.float32), requires_grad=True)
        c = t.clone()
        assert np.array_equal(c.numpy(), t.numpy()) and not np.shares_memory(c.data, t.data)
        c.sum().backward()
        assert np.array_equal(t.grad.numpy(), np.ones_like(big, dtype=np.float32))


def test_copy_into_validates():
    from nnengine import _core

    a = np.zeros(8, np.float32)
    with pytest.raises(TypeError, match="numpy.ndarray"):
        _core.copy_into([0.0] * 8, a)
    with pytest.raises(ValueError, match="32 bytes, src 28"):
        _core.copy_into(a, np.zeros(7, np.float32))
    with pytest.raises(ValueError, match="C-contiguous"):
        _core.copy_into(a, np.zeros(16, np.float32)[::2])
    ro = np.zeros(8, np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        _core.copy_into(ro, a)
    buf = np.zeros(16, np.float32)
    with pytest.raises(ValueError, match="overlap"):
        _core.copy_into(buf[:8], buf[4:12])
    _core.copy_into(a, np.arange(8, dtype=np.int32))  # bytes, not values: any dtypes of the same size
    assert a.view(np.int32).tolist() == list(range(8))
