"""Run the documentation's code: every page's ```python blocks, in order, in one fresh namespace per page.

    python scripts/make_doc_figures.py            # run every docs/ page with code, refresh the primer figures
    python scripts/make_doc_figures.py docs/primer/lstm.md

Each page runs in a subprocess whose working directory is a fresh temporary folder, so whatever it writes
lands there. The primer pages end by saving their figure (``fig.savefig("<name>.png")``); every PNG a page
under docs/primer/ writes whose name the page links (``![...](<name>.png)``) is copied next to the page. The
same extraction and runner serve tests/test_docs.py and tests/test_readme.py, so the code the figures come
from is the code the tests run.

Fence kinds: ``python`` runs; ``bash`` (shell commands: installs, benchmarks, long trainings, mpiexec; CI runs
the README's install and test commands itself) and ``text`` (program output, logs) are not executed. Any
other kind, or a bare fence, is an error: every block says what it is.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from typing import List, NamedTuple, Optional, Sequence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")
RUN_KINDS = ("python",)
SKIP_KINDS = {"bash": "shell commands (installs, benchmarks, long trainings; CI runs the README's own)",
              "text": "program output and logs"}
_OPEN = re.compile(r"^(\s*)```(\S*)\s*$")
_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+\.png)\)")


class Block(NamedTuple):
    """One fenced block: the 1-based line of its opening fence, its kind and its code."""

    line: int
    kind: str
    code: str


def fenced_blocks(text: str, where: str = "<markdown>") -> List[Block]:
    """Every fenced block of ``text``; raises ValueError for an unclosed fence or an unknown kind."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if m:
            indent, kind, start, body = m.group(1), m.group(2), i + 1, []
            if kind not in RUN_KINDS and kind not in SKIP_KINDS:
                raise ValueError(f"{where}:{start}: fence kind {kind!r} is neither run ({', '.join(RUN_KINDS)}) "
                                 f"nor a known non-code kind ({', '.join(SKIP_KINDS)})")
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
                i += 1
            if i == len(lines):
                raise ValueError(f"{where}:{start}: ```{kind} block is never closed")
            blocks.append(Block(start, kind, "\n".join(body) + "\n"))
        i += 1
    return blocks


def python_blocks(path: str) -> List[Block]:
    """The ```python blocks of the Markdown file at ``path``."""
    with open(path, encoding="utf-8") as f:
        return [b for b in fenced_blocks(f.read(), os.path.relpath(path, ROOT)) if b.kind == "python"]


def doc_pages() -> List[str]:
    """Every Markdown page under docs/, sorted."""
    out = []
    for d, _, files in os.walk(DOCS):
        out += [os.path.join(d, f) for f in files if f.endswith(".md")]
    return sorted(out)


# The driver a page runs in: blocks in order, one namespace, the failing block named by its line.
_DRIVER = """
import sys, traceback
ns = {"__name__": "__main__"}
for line, path in BLOCKS:
    code = open(path, encoding="utf-8").read()
    try:
        exec(compile(code, f"{PAGE}:{line}", "exec"), ns)
    except BaseException:
        traceback.print_exc()
        print(f"FAILED-BLOCK {line}", file=sys.stderr)
        sys.exit(1)
"""


class PageRun(NamedTuple):
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    cpu_seconds: float
    workdir: str


def run_page(path: str, workdir: Optional[str] = None, timeout: float = 300.0,
             package_root: Optional[str] = None) -> PageRun:
    """Run the page's ```python blocks in order in one fresh interpreter, cwd ``workdir`` (a new temp dir)."""
    blocks = python_blocks(path)
    workdir = workdir or tempfile.mkdtemp(prefix="nne_doc_")
    rel = os.path.relpath(path, ROOT)
    files = []
    for b in blocks:
        p = os.path.join(workdir, f"_block_{b.line}.py")
        with open(p, "w", encoding="utf-8") as f:
            f.write(b.code)
        files.append((b.line, p))
    driver = os.path.join(workdir, "_run_page.py")
    with open(driver, "w", encoding="utf-8") as f:
        f.write(f"BLOCKS = {files!r}\nPAGE = {rel!r}\n" + _DRIVER)
    env = dict(os.environ)
    env.setdefault("MPLBACKEND", "Agg")
    if package_root:
        env["PYTHONPATH"] = os.pathsep.join([package_root] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    t0, c0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        proc = subprocess.run([sys.executable, driver], cwd=workdir, env=env, capture_output=True, text=True,
                              timeout=timeout)
        rc, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = -9, str(e.stdout or ""), f"timed out after {timeout} s"
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    return PageRun(rc, out, err, time.perf_counter() - t0, cpu, workdir)


def linked_figures(path: str) -> List[str]:
    """The PNG file names a page links as images."""
    with open(path, encoding="utf-8") as f:
        return _IMAGE.findall(f.read())


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pages", nargs="*", help="Markdown pages (default: every docs/ page with python blocks)")
    args = ap.parse_args(argv)
    pages = [os.path.abspath(p) for p in args.pages] or [p for p in doc_pages() if python_blocks(p)]
    status = 0
    for page in pages:
        run = run_page(page)
        rel = os.path.relpath(page, ROOT)
        if run.returncode != 0:
            print(f"{rel}: FAILED ({run.seconds:.1f} s)\n{run.stdout[-2000:]}{run.stderr[-3000:]}", file=sys.stderr)
            status = 1
            continue
        copied = []
        for name in linked_figures(page):
            src = os.path.join(run.workdir, name)
            if os.path.exists(src):
                shutil.copyfile(src, os.path.join(os.path.dirname(page), name))
                copied.append(name)
            else:
                print(f"{rel}: links {name}, which its code did not write", file=sys.stderr)
                status = 1
        print(f"{rel}: ok in {run.seconds:.1f} s ({run.cpu_seconds:.1f} s CPU)" + (f", figures {', '.join(copied)}" if copied else ""))
        shutil.rmtree(run.workdir, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
