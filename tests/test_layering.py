"""The package is layered one way. The tape (tensor, ops, autograd, the Cython core and what they import)
imports nothing from the layers above it (nnengine.functional, nnengine.nn, models, train...); those register
what the tape needs (``tensor.KERNEL_METHODS``). Above the tape, every module sits on a floor (``FLOORS``:
tape, ops on kernels, layers, composition) and imports only from its own floor and the ones below."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import pytest

import nnengine

TAPE = ["tensor.py", "ops.py", "autograd.py", "_tape.pyx", "_dtypes.py", "_device.py", "random.py", "amp.py"]
ABOVE = ("functional", "nn", "models", "train", "optim", "data", "io", "interop", "onnx", "_compile")


def _pyx_imports(src: str) -> str:
    """A Cython source's Python-level import lines (``cimport`` lines are C-level: skipped)."""
    return "\n".join(line for line in src.splitlines()
                     if line.startswith(("import ", "from ")) and " cimport " not in line)


def _imports(path: str) -> set:
    src = open(path, encoding="utf-8").read()
    if path.endswith(".pyx"):  # the Cython core: its Python-level import lines
        src = _pyx_imports(src)
    out = set()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.ImportFrom) and node.level >= 1:
            out.add((node.module or "").split(".")[0] or ".")
            out.update(a.name for a in node.names if not node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_tape_imports_nothing_above_it():
    root = os.path.dirname(nnengine.__file__)
    for name in TAPE:
        path = os.path.join(root, name)
        if not os.path.exists(path):  # an installed wheel has no .pyx source
            assert name.endswith(".pyx"), name
            continue
        bad = sorted(m for m in _imports(path) if m in ABOVE)
        assert not bad, f"{name} imports {bad}"


def test_kernel_methods_are_registered_by_functional():
    from nnengine.tensor import KERNEL_METHODS

    assert {"relu", "sigmoid", "tanh", "softmax", "log_softmax"} <= set(KERNEL_METHODS)
    x = nnengine.tensor([[-1.0, 2.0]])
    assert x.relu().tolist() == [[0.0, 2.0]]
    assert x.softmax(1, dtype=nnengine.float64).dtype == nnengine.float64


# Every module of the package, by floor: a module imports (at the top or inside a function) nothing from a
# higher floor. Keys are dotted paths under nnengine; the longest matching prefix decides (so
# ``distributed.process_group`` sits below ``nn`` while ``distributed.ddp`` sits above it).
FLOORS = {
    # 0, the tape: Tensor, its glue ops, autograd, the compiled core and the helpers they (or all above) use
    0: ("tensor", "ops", "autograd", "_tape", "_dtypes", "_device", "random", "_core", "_compiled_call", "backend",
        "backends", "_coerce", "_functions", "_tensor_api", "_tensor_extras", "_ops_index", "_ops_math", "_ops_misc",
        "_ops_random", "linalg", "testing", "cuda", "accelerator", "amp", "sparse", "multiprocessing", "profiler",
        "_autograd_profiler", "_autograd_functional", "_foreach", "_higher_order", "_storage"),
    # 1, the ops on the kernels: Functions with forward and backward, the weight constraints and penalties, and
    # the collectives (the process group, differentiable all-reduce) that nn's SyncBatchNorm needs
    1: ("functional", "constraints", "regularizers", "distributed", "special"),
    # 2, layers, optimizers, data, distributions
    2: ("nn", "optim", "data", "distributions", "preprocessing"),
    # 3, what composes them: training, models, files, converters, compile, the CLI, the re-export packages
    3: ("train", "models", "io", "interop", "onnx", "stream", "serialization", "finetune", "_compile", "cli", "hub", "func",
        "__main__", "utils", "distributed.ddp", "nn.parallel", "jit", "vision", "__init__"),
}
# imports that reach above their floor, each with why it is harmless
UPWARD = {
    ("distributed", "distributed.ddp"): "lazy re-export (module __getattr__): loaded on first use of the name",
    ("distributed", "data.sampler"): "lazy re-export (module __getattr__): loaded on first use of the name",
    ("nn", "nn.parallel"): "lazy attribute (module __getattr__): torch.nn.parallel after a plain import, loaded on "
                           "first use",
    ("_ops_misc", "functional"): "torch's top-level spellings of functional ops (torch.pad, torch.cosine_similarity): "
                                 "imported inside the call, after the package has loaded",
    ("_tensor_extras", "functional"): "Tensor.hardshrink: imported inside the call, after the package has loaded",
    ("nn.utils.stateless", "func"): "torch.nn.utils.stateless.functional_call on nnengine.func: imported inside the "
                                    "call, after the package has loaded",
    ("_autograd_functional", "func"): "torch.autograd.functional on nnengine.func: imported inside the call, after "
                                      "the package has loaded",
}
def _floor(dotted: str) -> int:
    best, floor = -1, None
    for f, prefixes in FLOORS.items():
        for p in prefixes:
            if (dotted == p or dotted.startswith(p + ".")) and len(p) > best:
                best, floor = len(p), f
    assert floor is not None, f"nnengine.{dotted} has no floor in FLOORS: add it"
    return floor


def _package_imports(root: str):
    """(importing module, imported module) for every nnengine-internal import, as dotted paths under nnengine."""
    for d, _, files in os.walk(root):
        pkg = [p for p in os.path.relpath(d, root).split(os.sep) if p != "."]
        for f in files:
            if not f.endswith((".py", ".pyx")):
                continue
            stem = f.rsplit(".", 1)[0]
            me = ".".join(pkg + ([] if stem == "__init__" else [stem])) or "__init__"
            src = open(os.path.join(d, f), encoding="utf-8").read()
            if f.endswith(".pyx"):
                src = _pyx_imports(src)
            for node in ast.walk(ast.parse(src)):
                if isinstance(node, ast.ImportFrom) and node.level >= 1:
                    base = pkg[: len(pkg) - (node.level - 1)]
                    target = base + (node.module.split(".") if node.module else [])
                    names = [[a.name] for a in node.names]
                elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "nnengine":
                    target, names = node.module.split(".")[1:], [[a.name] for a in node.names]
                elif isinstance(node, ast.Import):
                    hits = [a.name.split(".")[1:] for a in node.names if a.name.split(".")[0] == "nnengine"]
                    target, names = [], hits
                else:
                    continue
                for extra in names:
                    parts = target + extra
                    while parts and not _is_module(root, parts):  # a name defined in a module or package
                        parts = parts[:-1]
                    yield me, ".".join(parts) or "__init__"


def _is_module(root: str, parts: list) -> bool:
    path = os.path.join(root, *parts)
    if os.path.isdir(path) or any(os.path.exists(path + ext) for ext in (".py", ".pyx")):
        return True
    folder, stem = os.path.split(path)  # a compiled extension: _core.cpython-311-x86_64-linux-gnu.so
    return os.path.isdir(folder) and any(f.startswith(stem + ".") and f.endswith((".so", ".pyd"))
                                         for f in os.listdir(folder))


def test_every_floor_imports_only_its_own_and_lower_floors():
    """The direction of the whole package, not only the tape's: functional below nn below models/train/io.
    (Importing one layer alone in a fresh interpreter cannot show it: ``import nnengine.tensor`` runs the
    package's ``__init__``, which imports every layer; so the imports themselves are read.)"""
    root = os.path.dirname(nnengine.__file__)
    bad = []
    seen = 0
    for me, dotted in _package_imports(root):
        seen += 1
        if _floor(dotted) > _floor(me) and (me, dotted) not in UPWARD:
            bad.append(f"nnengine.{me} (floor {_floor(me)}) imports nnengine.{dotted} (floor {_floor(dotted)})")
    assert seen > 300
    assert not bad, "\n".join(sorted(set(bad)))


def test_floors_cover_the_package():
    root = os.path.dirname(nnengine.__file__)
    for me, _ in _package_imports(root):
        _floor(me)


def _all_modules(root: str) -> list:
    out = []
    for d, _, files in os.walk(root):
        pkg = [p for p in os.path.relpath(d, root).split(os.sep) if p != "."]
        for f in files:
            stem, _, ext = f.partition(".")
            if ext in ("py", "pyx") or ext.endswith(("so", "pyd")):
                out.append(".".join(pkg + ([] if stem == "__init__" else [stem])))
    return sorted(set(out) - {"", "__main__"})


@pytest.mark.parametrize("floor", [0, 1, 2])
def test_each_floor_imports_in_isolation(floor):
    """Import every module of floors 0..``floor`` in a fresh interpreter without running nnengine/__init__.py
    (which imports every layer): nothing of a higher floor gets loaded. The top-level imports are run, the
    function-level ones are read by the test above."""
    root = os.path.dirname(nnengine.__file__)
    names = [m for m in _all_modules(root) if _floor(m) <= floor]
    code = (
        "import importlib, json, os, sys, types\n"
        f"pkg = types.ModuleType('nnengine'); pkg.__path__ = [{root!r}]\n"
        f"pkg.__file__ = os.path.join({root!r}, '__init__.py'); sys.modules['nnengine'] = pkg\n"
        f"for n in {names!r}:\n"
        "    importlib.import_module('nnengine.' + n)\n"
        "print(json.dumps(sorted(m[len('nnengine.'):] for m in sys.modules if m.startswith('nnengine.'))))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    loaded = json.loads(r.stdout.strip().splitlines()[-1])
    assert len(loaded) >= len(names)
    above = sorted(m for m in loaded if _floor(m) > floor)
    assert not above, f"importing floor <= {floor} loads {above}"
