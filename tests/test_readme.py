"""Every ```python block of README.md runs as written, on its own, in a fresh interpreter.

Each block is executed in a subprocess whose working directory is a temporary folder (files the block
writes land there) and whose PYTHONPATH points at the nnengine this test process imports, so the README
is checked against the package under test. The fence extraction is scripts/make_doc_figures.py's (shared
with tests/test_docs.py): ```bash blocks (shell commands; .ci/run runs the install, quick start and test
commands itself) and ```text blocks (output) are not executed, and any other fence kind is an error.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from typing import List, Tuple

import pytest

import nnengine

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")
TIMEOUT_S = 300
_spec = importlib.util.spec_from_file_location("make_doc_figures", os.path.join(ROOT, "scripts", "make_doc_figures.py"))
docblocks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(docblocks)


def _blocks() -> List[Tuple[int, str]]:
    if not os.path.exists(README):
        return []
    with open(README, encoding="utf-8") as f:
        return [(b.line, b.code) for b in docblocks.fenced_blocks(f.read(), "README.md") if b.kind == "python"]


BLOCKS = _blocks()


def test_readme_has_python_blocks():
    if not os.path.exists(README):
        pytest.skip("README.md is not next to the tests (installed package)")
    assert len(BLOCKS) >= 1, "README.md lost its ```python examples?"


@pytest.mark.parametrize("line,code", BLOCKS, ids=[f"README.md:{line}" for line, _ in BLOCKS])
def test_readme_block_runs(line, code, tmp_path):
    package_root = os.path.dirname(os.path.dirname(nnengine.__file__))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([package_root] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.setdefault("MPLBACKEND", "Agg")
    script = tmp_path / f"readme_block_{line}.py"
    script.write_text(code, encoding="utf-8")
    try:
        proc = subprocess.run([sys.executable, str(script)], cwd=str(tmp_path), env=env, capture_output=True,
                              text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"README.md:{line}: the ```python block did not finish within {TIMEOUT_S} s")
    if proc.returncode != 0:
        pytest.fail(f"README.md:{line}: the ```python block failed (exit code {proc.returncode})\n"
                    f"--- code ---\n{code}--- stderr ---\n{proc.stderr[-4000:]}", pytrace=False)


def test_missing_extension_explains_itself(tmp_path):
    """`PYTHONPATH=python` on a tree without a build (e.g. after `pip install .`) says what to do."""
    import shutil

    src = os.path.dirname(nnengine.__file__)
    shutil.copytree(src, tmp_path / "nnengine", ignore=shutil.ignore_patterns("_core*", "__pycache__", "zoo"))
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", "import nnengine"], cwd=str(tmp_path), env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: nnengine's compiled extension (_core) is missing"), proc.stderr
    assert "circular import" not in last and "PYTHONPATH=python" in last and "ninja -C build/dev" in last
