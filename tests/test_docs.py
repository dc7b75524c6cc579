"""Every ```python block under docs/ runs: each page's blocks in order, in one fresh interpreter per page.

The runner is scripts/make_doc_figures.py's (the script that makes the primer figures from the same code).
Each page runs with a fresh temporary working directory (files it writes land there) and the nnengine this
test process imports. Not executed, by kind: ```bash (shell commands: installs, benchmarks, long trainings,
mpiexec; CI runs the README's install and test commands itself) and ```text (program output). Any other
fence kind fails the extraction, so no block is skipped without saying so. The pages' figures must exist
(mkdocs build --strict checks the links too, in its own CI stage).
"""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest

import nnengine

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location("make_doc_figures", os.path.join(ROOT, "scripts", "make_doc_figures.py"))
docblocks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(docblocks)

HAVE_DOCS = os.path.isdir(docblocks.DOCS)
PAGES = docblocks.doc_pages() if HAVE_DOCS else []
CODE_PAGES = [p for p in PAGES if docblocks.python_blocks(p)]
TIMEOUT_S = 300


def _needs_docs():
    if not HAVE_DOCS:
        pytest.skip("docs/ is not next to the tests (installed package)")


def test_fence_kinds_are_declared():
    """Every fence on every page is python, bash or text (fenced_blocks raises otherwise)."""
    _needs_docs()
    kinds = {}
    for page in PAGES:
        with open(page, encoding="utf-8") as f:
            for b in docblocks.fenced_blocks(f.read(), os.path.relpath(page, ROOT)):
                kinds[b.kind] = kinds.get(b.kind, 0) + 1
    assert set(kinds) <= {"python", "bash", "text"}, kinds
    assert kinds.get("python", 0) >= 10, f"docs/ lost its code? {kinds}"


def test_extraction():
    text = "x\n```python\na = 1\n```\n```bash\nls\n```\n  ```python\n  b = 2\n  c = 3\n  ```\n"
    assert docblocks.fenced_blocks(text) == [(2, "python", "a = 1\n"), (5, "bash", "ls\n"),
                                             (8, "python", "b = 2\nc = 3\n")]
    with pytest.raises(ValueError, match="neither run"):
        docblocks.fenced_blocks("```\nls\n```\n")
    with pytest.raises(ValueError, match="never closed"):
        docblocks.fenced_blocks("```python\nx = 1\n")


def test_linked_figures_exist():
    _needs_docs()
    for page in PAGES:
        for name in docblocks.linked_figures(page):
            assert os.path.exists(os.path.join(os.path.dirname(page), name)), f"{page} links a missing {name}"


@pytest.mark.parametrize("page", CODE_PAGES, ids=[os.path.relpath(p, ROOT) for p in CODE_PAGES])
def test_page_code_runs(page):
    package_root = os.path.dirname(os.path.dirname(nnengine.__file__))
    run = docblocks.run_page(page, timeout=TIMEOUT_S, package_root=package_root)
    try:
        if run.returncode != 0:
            pytest.fail(f"{os.path.relpath(page, ROOT)}: a ```python block failed (exit {run.returncode})\n"
                        f"--- stderr ---\n{run.stderr[-4000:]}", pytrace=False)
        for name in docblocks.linked_figures(page):
            assert os.path.exists(os.path.join(run.workdir, name)), \
                f"{page} links {name}, but its code did not write it"
    finally:
        shutil.rmtree(run.workdir, ignore_errors=True)


def test_named_paths_exist():
    """Every repository path a page names in backticks (`cpp/kernels/pool2d.h`...) exists, so the architecture
    page and the guides follow renames; templates such as `<family>`, globs and the examples' generated
    outputs (`examples/out/`, git-ignored) are not checked."""
    _needs_docs()
    import re

    pattern = re.compile(r"`((?:cpp|python|tests|scripts|bench|examples|docs)/[\w./-]+)`")
    missing = []
    for page in PAGES:
        with open(page, encoding="utf-8") as f:
            for path in pattern.findall(f.read()):
                if "*" in path or path.startswith("examples/out/"):
                    continue
                if not os.path.exists(os.path.join(ROOT, path.rstrip("/"))):
                    missing.append(f"{os.path.relpath(page, ROOT)}: {path}")
    assert not missing, "pages name paths that do not exist:\n" + "\n".join(missing)


def test_api_reference_covers_every_public_module():
    """Each public module (nnengine.__all__'s modules and the subpackages named here) has a `::: module` block
    on an API page; `nnengine.utils` is documented through `nnengine.data`, the module it re-exports."""
    _needs_docs()
    import re
    import types

    directives = set()
    for page in PAGES:
        with open(page, encoding="utf-8") as f:
            directives.update(re.findall(r"^::: ([\w.]+)\s*$", f.read(), flags=re.M))
    public = {f"nnengine.{n}" for n in nnengine.__all__ if isinstance(getattr(nnengine, n, None), types.ModuleType)}
    public |= {"nnengine", "nnengine.autograd", "nnengine.stream", "nnengine.distributed", "nnengine.random",
               "nnengine.optim.lr_scheduler", "nnengine.nn.init", "nnengine.nn.utils", "nnengine.models.zoo",
               "nnengine.serialization", "nnengine._compile"}
    assert nnengine.utils.data is nnengine.data
    public -= {"nnengine.utils", "nnengine.backends"}
    public |= {f"nnengine.backends.{n}" for n in nnengine.backends.__all__}
    missing = sorted(public - directives)
    assert not missing, f"public modules without an API reference block (docs/api/*.md): {missing}"
