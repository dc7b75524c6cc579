"""Every bench/bench_*.py shares one command line (bench/_common.py bench_parser): `nnengine bench` runs each
with --quick, the docs' commands use --threads / --rounds / --only / --cpu-time / --json. Only the parsers run
here (--help and argument parsing), never a timing."""

from __future__ import annotations

import glob
import importlib.util
import os
import re
import shlex
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
SCRIPTS = sorted(glob.glob(os.path.join(BENCH, "bench_*.py")))
COMMON_FLAGS = ("--quick", "--threads", "--rounds", "--only", "--cpu-time", "--json")


def _load(path: str, monkeypatch):
    monkeypatch.syspath_prepend(BENCH)
    name = "_bench_cli_" + os.path.basename(path)[:-3]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, mod)
    spec.loader.exec_module(mod)
    return mod


def test_the_benches_are_found():
    assert len(SCRIPTS) >= 16


@pytest.mark.parametrize("path", SCRIPTS, ids=[os.path.basename(p) for p in SCRIPTS])
def test_bench_help_lists_the_common_flags(path, monkeypatch, capsys):
    pytest.importorskip("torch")  # bench_rnn imports torch at module level
    mod = _load(path, monkeypatch)
    monkeypatch.setattr(sys, "argv", [path, "--help"])
    with pytest.raises(SystemExit) as e:
        mod.main()
    assert e.value.code == 0
    out = capsys.readouterr().out
    missing = [f for f in COMMON_FLAGS if f not in out]
    assert not missing, f"{os.path.basename(path)} --help lacks {missing}"


def test_quick_means_one_round_at_one_thread_unless_given(monkeypatch):
    monkeypatch.syspath_prepend(BENCH)
    import _common

    ap = _common.bench_parser("doc", ["a", "b"], rounds=7, threads=(1, 2))
    args = ap.parse_args(["--quick"])
    assert (args.quick, args.rounds, args.threads, args.only, args.json) == (True, 1, [1], None, None)
    args = ap.parse_args(["--quick", "--threads", "2", "--rounds", "3", "--only", "b"])
    assert (args.rounds, args.threads, args.only) == (3, [2], ["b"])
    args = ap.parse_args([])
    assert (args.quick, args.rounds, args.threads, args.cpu_time) == (False, 7, [1, 2], False)
    assert _common.bench_parser("doc").parse_args([]).only is None  # no row groups: everything runs
    with pytest.raises(SystemExit):
        ap.parse_args(["--only", "c"])


class _Parsed(Exception):
    pass


def _doc_commands():
    """Every `python bench/bench_*.py ...` command in README.md and docs/ (arguments up to a comment or `)."""
    pages = [os.path.join(ROOT, "README.md")] + glob.glob(os.path.join(ROOT, "docs", "**", "*.md"), recursive=True)
    found = set()
    for page in pages:
        with open(page) as f:
            for m in re.finditer(r"python bench/(bench_\w+\.py)([^`\n#]*)", f.read()):
                found.add((m.group(1), m.group(2).strip()))
    return sorted(found)


DOC_COMMANDS = _doc_commands()


def test_the_docs_name_bench_commands():
    assert len(DOC_COMMANDS) >= 10


@pytest.mark.parametrize("script,argv", DOC_COMMANDS, ids=[f"{s} {a}" for s, a in DOC_COMMANDS])
def test_docs_bench_commands_parse(script, argv, monkeypatch):
    """The documented commands are valid command lines of today's benches (parsed only, nothing timed)."""
    pytest.importorskip("torch")
    monkeypatch.syspath_prepend(BENCH)
    import _common

    real = _common.BenchParser.parse_args

    def parse_only(ap, args=None, namespace=None):
        real(ap, args, namespace)
        raise _Parsed

    monkeypatch.setattr(_common.BenchParser, "parse_args", parse_only)
    path = os.path.join(BENCH, script)
    mod = _load(path, monkeypatch)
    monkeypatch.setattr(sys, "argv", [path] + shlex.split(argv.replace("[", "").replace("]", "")))
    with pytest.raises(_Parsed):
        mod.main()


def test_a_bench_that_cannot_run_here_says_why_and_exits_0(monkeypatch, capsys):
    """`nnengine bench` goes on past a bench this machine cannot run (here: bench_bf16 without bf16 kernels)."""
    pytest.importorskip("torch")
    from nnengine import _core

    mod = _load(os.path.join(BENCH, "bench_bf16.py"), monkeypatch)
    monkeypatch.setattr(_core, "bf16_unavailable_reason", lambda: "no AVX512-BF16 here")
    monkeypatch.setattr(sys, "argv", ["bench_bf16.py", "--quick"])
    with pytest.raises(SystemExit) as e:
        mod.main()
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == "bench_bf16: skipped: no AVX512-BF16 here"
