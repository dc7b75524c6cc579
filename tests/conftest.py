"""Shared test fixtures: every ISA, thread counts, torch, float64 finite differences, strict mode.

Strict mode (``NNENGINE_TEST_STRICT=1``, exported by ``.ci/run``): a test may not skip because a
dependency or a dataset is missing -- that is a failure, so CI cannot silently lose a feature. Skips
stay allowed only when they are *justified* (the hardware genuinely cannot run the test, e.g. an ISA
this CPU lacks) and say so through :func:`skip_justified`, whose reason starts with
``JUSTIFIED_PREFIX``. Every other skip -- ``pytest.skip``, ``pytest.importorskip``, ``skipif`` marks, at
collection or at run time -- is turned into a failure by the hooks at the bottom of this file.

Outside strict mode (a developer's machine without the extras) the same helpers skip, with a reason.
"""

from __future__ import annotations

import importlib
import os
import platform

import numpy as np
import pytest

import nnengine as ne

STRICT = os.environ.get("NNENGINE_TEST_STRICT", "") not in ("", "0")
JUSTIFIED_PREFIX = "justified:"


def skip_justified(reason: str):
    """Skip for a reason strict mode accepts: the test cannot run on this hardware/OS at all."""
    pytest.skip(f"{JUSTIFIED_PREFIX} {reason}")


def _missing(what: str):
    msg = f"missing {what}"
    if STRICT:
        pytest.fail(f"NNENGINE_TEST_STRICT: {msg}", pytrace=False)
    pytest.skip(msg, allow_module_level=True)


def require(module: str):
    """Import ``module`` or skip (fail in strict mode). The replacement for ``pytest.importorskip``."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        _missing(f"dependency {module!r} ({e})")


def require_dataset(loader, *args, what: str | None = None, **kwargs):
    """Call ``loader(*args, **kwargs)``; a ``DatasetNotFoundError`` skips (fails in strict mode).

    Only the engine's "dataset not installed" error is treated as missing data: any other exception
    is a loader bug and propagates as a test error.
    """
    from nnengine.data import DatasetNotFoundError

    try:
        return loader(*args, **kwargs)
    except DatasetNotFoundError as e:
        _missing(f"dataset {what or getattr(loader, '__name__', loader)} ({e})")


def require_path(path: str, what: str):
    """Skip (fail in strict mode) unless ``path`` exists, e.g. a Debian data package's directory."""
    if not os.path.exists(path):
        _missing(f"{what} ({path} does not exist)")
    return path


# ------------------------------------------------------------------ fixtures
@pytest.fixture(params=ne.backend.available_isas())
def isa(request):
    """Run the test once per instruction set this CPU supports (forced through the dispatch cap)."""
    with ne.backend.use_isa(request.param):
        yield request.param


@pytest.fixture(params=["amx", "avx512bf16"])
def bf16_kernel(request):
    """Run the test with each bf16 kernel (GEMM and recurrent panel: AMX-BF16 tiles, AVX512-BF16), selected
    through ``_core.set_bf16_gemm_kernel`` and restored to 'auto' after. Where this CPU lacks the kernel, checks
    that selecting it raises the clear error and yields None: the test then checks the no-kernel behaviour or
    returns (the other kernel's run covers it), so nothing is skipped."""
    from nnengine import _core

    name = request.param
    if name not in _core.bf16_gemm_kernels():
        with pytest.raises(ValueError, match=f"name: the '{name}' bf16 kernel is not available here"):
            _core.set_bf16_gemm_kernel(name)
        yield None
        return
    _core.set_bf16_gemm_kernel(name)
    try:
        assert _core.bf16_gemm_kernel() == name
        yield name
    finally:
        _core.set_bf16_gemm_kernel("auto")


@pytest.fixture
def threads():
    """Callable context: ``with threads(1): ...`` sets the kernel thread count temporarily."""
    return ne.backend.num_threads


@pytest.fixture
def torch():
    return require("torch")


@pytest.fixture
def torch_or_none():
    """torch when installed, else None: for tests whose expected values are written out and that also run the
    same program under torch when they can (so they never skip)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def numeric_grad(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of the scalar float64 function f at x (float64).

    Truncation error is O(eps^2 * f''') ~ 1e-12 and cancellation error ~ |f| * 1e-16 / eps ~ 1e-10 * |f|,
    so against an analytic float64 gradient a relative tolerance of ~1e-6 is what the method gives.
    """
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        fp = f(x)
        x[i] = old - eps
        fm = f(x)
        x[i] = old
        g[i] = (fp - fm) / (2 * eps)
    return g


def assert_close(a, b, tol: float = 2e-6) -> None:
    """|a - b| <= tol * max(1, max|b|) elementwise: float32 results against a float64 oracle or torch."""
    scale = max(1.0, float(np.abs(b).max()))
    np.testing.assert_allclose(a, b, rtol=0, atol=tol * scale)


# ------------------------------------------------------------------ ISA coverage
def cpu_flags() -> set:
    """The CPU feature flags Linux reports (empty elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


_ORDER = ["baseline", "avx2", "avx512"]


def expected_isas(flags: set | None = None, cap: str | None = None) -> list:
    """The ISA tiers the engine must offer on a CPU with ``flags``, capped by ``NNENGINE_MAX_ISA``."""
    flags = cpu_flags() if flags is None else flags
    cap = os.environ.get("NNENGINE_MAX_ISA", "") if cap is None else cap
    out = ["baseline"]
    if platform.machine().lower() in ("x86_64", "amd64") or flags:
        if {"avx2", "fma", "f16c"} <= flags:
            out.append("avx2")
            if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
                out.append("avx512")
    if cap in _ORDER:
        out = [t for t in out if _ORDER.index(t) <= _ORDER.index(cap)]
    return out


def pytest_report_header(config):
    flags = cpu_flags()
    cpuid = [t for t in expected_isas(flags, cap="") if t != "baseline"]
    return [
        f"nnengine: cpu={cpu_model()!r}",
        f"nnengine: cpu ISA tiers={['baseline', *cpuid]} engine available_isas={ne.backend.available_isas()} "
        f"active={ne.backend.isa()} NNENGINE_MAX_ISA={os.environ.get('NNENGINE_MAX_ISA', '') or '-'} "
        f"threads={ne.backend.get_num_threads()}",
        f"nnengine: strict={'on' if STRICT else 'off'} (NNENGINE_TEST_STRICT: missing deps/datasets fail)",
    ]


# ------------------------------------------------------------------ strict mode: no silent skips
def _skip_reason(report) -> str:
    lr = report.longrepr
    if isinstance(lr, tuple) and len(lr) == 3:
        return str(lr[2])
    return str(lr)


def _unjustified(report) -> bool:
    if not report.skipped or hasattr(report, "wasxfail"):
        return False
    reason = _skip_reason(report)
    if reason.startswith("Skipped: "):
        reason = reason[len("Skipped: "):]
    return not reason.startswith(JUSTIFIED_PREFIX)


def _to_failure(report):
    reason = _skip_reason(report)
    report.outcome = "failed"
    report.longrepr = (f"NNENGINE_TEST_STRICT: unjustified skip ({reason}). Install the dependency/dataset, or "
                       f"use conftest.skip_justified() if the hardware cannot run this test.")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if STRICT and _unjustified(report):
        _to_failure(report)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    report = outcome.get_result()
    if STRICT and _unjustified(report):
        _to_failure(report)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Always state the skip count (pytest's summary line omits it when it is 0) and how many are justified."""
    skipped = terminalreporter.stats.get("skipped", [])
    justified = sum(1 for r in skipped if not _unjustified(r))
    xfailed = len(terminalreporter.stats.get("xfailed", []))
    terminalreporter.write_line(
        f"nnengine: {len(skipped)} skipped ({justified} justified, {len(skipped) - justified} for a missing "
        f"dependency/dataset), {xfailed} xfailed; strict={'on' if STRICT else 'off'}")
