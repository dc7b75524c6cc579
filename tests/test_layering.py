"""The tape is one-way: its modules (tensor, ops, autograd, the Cython core and what they import) import
nothing from the layers above them (nnengine.functional, nnengine.nn, models, train...); those register what
the tape needs (``tensor.KERNEL_METHODS``)."""

from __future__ import annotations

import ast
import os

import nnengine

TAPE = ["tensor.py", "ops.py", "autograd.py", "_tape.pyx", "_dtypes.py", "_device.py", "random.py"]
ABOVE = ("functional", "nn", "models", "train", "optim", "data", "io", "interop", "onnx", "_compile")


def _imports(path: str) -> set:
    src = open(path, encoding="utf-8").read()
    if path.endswith(".pyx"):  # the Cython core: its Python-level import lines
        src = "\n".join(line for line in src.splitlines() if line.startswith(("import ", "from ")))
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
