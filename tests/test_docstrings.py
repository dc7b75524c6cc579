"""Every public name of nnengine has a docstring with a short, runnable example; every example runs.

The public API this test walks:

* the modules: ``nnengine`` and every module under it (``pkgutil.walk_packages``) whose dotted path has no
  component starting with ``_``, except the ones in ``INTERNAL_MODULES`` (each with its reason);
* the names of a module: its ``__all__`` when it has one (re-exports included), otherwise the names not
  starting with ``_`` of the functions and classes defined in that module; only functions and classes
  defined in nnengine count (re-exported numpy/builtins objects and constants do not);
* the members of a class: every function, static/class method and property, not starting with ``_``,
  defined in the class or in one of its nnengine base classes (so ``object``'s and builtins' members are
  not counted), each counted once, at the class that defines it.

The rule: the docstring of a name -- ``inspect.getdoc``, so an override such as ``Linear.forward`` without
its own docstring inherits the contract of ``Module.forward`` -- contains at least one ``>>>`` line (we
write them in a Google-style ``Example:`` section, which mkdocstrings renders). Names still lacking one are
listed in ``tests/docstring_gaps.txt``: a name missing from that list fails (document it), and a listed
name that now has an example, or no longer exists, fails too (delete its line), so the list only shrinks.

Every ``>>>`` example of the walked docstrings (and of the public modules' docstrings) runs as a doctest
with ``doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE`` in a namespace holding ``ne`` (``import nnengine
as ne``), ``nn`` (``nnengine.nn``), ``F`` (``nnengine.nn.functional``) and ``np`` (``import numpy as np``) on top of
the globals of the module that defines the name (doctest's own default, so ``Linear(4, 2)`` works in
``nnengine/nn/modules/linear.py``), after ``ne.manual_seed(0)`` and ``np.random.seed(0)``, in a fresh temporary working directory; an example may import more itself.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import os
import pkgutil
import tempfile
import types
import warnings
from pathlib import Path

import numpy as np

import nnengine

# module -> why it is not public API
INTERNAL_MODULES = {
    "nnengine.ops": "the differentiable numpy glue Functions behind Tensor's operators (reached as Tensor methods)",
    "nnengine.cli": "the command line, documented by `nnengine --help` (tests/test_cli.py)",
}
GAPS_FILE = Path(__file__).with_name("docstring_gaps.txt")


def _ours(obj: object) -> bool:
    return (getattr(obj, "__module__", None) or "").split(".")[0] == "nnengine"


def public_modules() -> list[types.ModuleType]:
    mods = [nnengine]
    for info in pkgutil.walk_packages(nnengine.__path__, "nnengine."):
        if any(part.startswith("_") for part in info.name.split(".")) or info.name in INTERNAL_MODULES:
            continue
        if any(info.name.startswith(m + ".") for m in INTERNAL_MODULES):
            continue
        mods.append(importlib.import_module(info.name))
    return mods


def public_api() -> dict[str, object]:
    """qualified name -> the object (a function, a class, or a class member: function/property) to check."""
    objs: dict[int, tuple[str, object]] = {}
    for mod in public_modules():
        names = getattr(mod, "__all__", None)
        explicit = names is not None
        for name in names if explicit else [n for n in vars(mod) if not n.startswith("_")]:
            obj = getattr(mod, name, None)
            if not (inspect.isclass(obj) or inspect.isroutine(obj)) or not _ours(obj):
                continue
            if not explicit and obj.__module__ != mod.__name__:
                continue
            objs.setdefault(id(obj), (f"{obj.__module__}.{obj.__qualname__}", obj))
    api: dict[str, object] = {}
    for qual, obj in objs.values():
        api[qual] = obj
        if not inspect.isclass(obj):
            continue
        for klass in obj.__mro__:
            if not _ours(klass):
                continue
            for name, member in vars(klass).items():
                if name.startswith("_"):
                    continue
                if isinstance(member, property):
                    target: object = member
                elif isinstance(member, (staticmethod, classmethod)) or inspect.isroutine(member):
                    target = getattr(klass, name)
                else:
                    continue
                api.setdefault(f"{klass.__module__}.{klass.__qualname__}.{name}", target)
    return api


def _doc(obj: object) -> str:
    return (obj.__doc__ if isinstance(obj, property) else inspect.getdoc(obj)) or ""


def has_example(text: str) -> bool:
    return any(line.lstrip().startswith(">>>") for line in text.splitlines())


def _namespace(module: str) -> dict:
    import nnengine.nn.functional as F

    globs = dict(vars(importlib.import_module(module)))
    globs.update({"ne": nnengine, "nn": nnengine.nn, "F": F, "np": np})
    return globs


def run_examples(text: str, name: str, module: str) -> str:
    """Runs the >>> examples of one docstring; returns doctest's failure report ('' when they all pass)."""
    out: list[str] = []
    nnengine.manual_seed(0)
    np.random.seed(0)
    test = doctest.DocTestParser().get_doctest(text, _namespace(module), name, module, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    cwd = os.getcwd()
    with warnings.catch_warnings(), tempfile.TemporaryDirectory() as tmp:
        warnings.simplefilter("ignore")
        os.chdir(tmp)  # each docstring writes its files in a fresh directory
        try:
            runner.run(test, out=out.append, clear_globs=True)
        finally:
            os.chdir(cwd)
    return "".join(out)


def check_all() -> tuple[dict[str, str], dict[str, str]]:
    """(name -> docstring text, name -> failure report) over the public API and the public modules."""
    docs: dict[str, tuple[str, str]] = {}
    for mod in public_modules():
        if mod.__doc__ and has_example(mod.__doc__):
            docs[mod.__name__] = (inspect.cleandoc(mod.__doc__), mod.__name__)
    for qual, obj in public_api().items():
        owner = obj.fget if isinstance(obj, property) else obj
        docs[qual] = (_doc(obj), getattr(owner, "__module__", None) or "nnengine")
    ran: dict[str, str] = {}  # each distinct docstring (an inherited one is shared) runs once
    failures = {}
    for qual, (text, module) in docs.items():
        if not has_example(text):
            failures[qual] = "no >>> example"
            continue
        if text not in ran:
            ran[text] = run_examples(text, qual, module)
        if ran[text]:
            failures[qual] = ran[text]
    return {q: t for q, (t, _) in docs.items()}, failures


def _gaps() -> set[str]:
    lines = GAPS_FILE.read_text().splitlines() if GAPS_FILE.exists() else []
    return {ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")}


def test_every_public_name_has_a_running_example():
    docs, failures = check_all()
    gaps = _gaps()
    new = sorted(set(failures) - gaps)
    stale = sorted(gaps - set(failures))
    report = "\n".join(f"--- {q}: {failures[q]}" for q in new)
    assert not new, (f"{len(new)} public names lack a docstring example that runs (write a Google-style "
                     f"`Example:` section of 1-4 >>> lines, see tests/test_docstrings.py's docstring):\n{report}")
    assert not stale, (f"{len(stale)} names in {GAPS_FILE.name} now have a running example or are gone; "
                       "delete their lines:\n" + "\n".join(stale))


def test_walk_finds_the_api():
    """The walk itself cannot silently shrink: a few names from every layer are in it."""
    api = public_api()
    for q in ("nnengine.tensor.Tensor.reshape", "nnengine.nn.module.Module.state_dict",
              "nnengine.nn.modules.linear.Linear", "nnengine.optim.sgd.SGD", "nnengine.data.loader.DataLoader",
              "nnengine.io.model.save_model", "nnengine.autograd.Function", "nnengine.stream.runner.StreamRunner"):
        assert q in api, q
    assert len(api) > 900
