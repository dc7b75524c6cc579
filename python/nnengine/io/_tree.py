"""Nested containers as a JSON tree whose arrays are stored beside it by name: the one codec behind ``ne.save``
files (``nnengine.serialization``) and training checkpoints (``io/checkpoint.py``).

Stored: arrays and Tensors (by name in ``tensors``), None, bools, strings, Python/numpy numbers (non-finite
floats tagged), lists, tuples and dicts with str/int keys (order kept). The two file formats spell their tags
differently, and files stay readable as they were written, so each has its ``Spelling``: ``SAVE`` (Tensors
keep their type and ``requires_grad``, torch tensors are accepted) and ``CHECKPOINT`` (every array-like is
stored, and read back, as a numpy array). ``encode``'s ``other`` hook stores further types (ne.save's whole
Modules) and ``decode``'s reads them back.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, Optional

import numpy as np

from ..tensor import Tensor


@dataclass(frozen=True)
class Spelling:
    """The tags of one file format: error prefix, tensor-name separator, the tags of an array, a tuple, a
    non-finite float and a dict, what a corrupt tree is called, and whether Tensors keep their type."""

    who: str
    sep: str
    array: str
    tuple: str
    float: str
    items: str
    corrupt: str
    tensors: bool


SAVE = Spelling("save", ".", "A", "U", "F", "D", "structure", tensors=True)
CHECKPOINT = Spelling("checkpoint", "/", "__tensor__", "__tuple__", "__float__", "__items__", "checkpoint state",
                      tensors=False)

Hook = Callable[[Any, str, Dict[str, np.ndarray]], Any]


def encode(obj: Any, key: str, tensors: Dict[str, np.ndarray], sp: Spelling, other: Optional[Hook] = None) -> Any:
    """The JSON tree of ``obj``, every array copied into ``tensors`` under a name derived from ``key``.
    ``other(obj, key, tensors)`` encodes a type this codec does not know, or raises its TypeError."""
    if sp.tensors and isinstance(obj, Tensor):
        tensors[key] = np.array(obj._data, copy=True)
        return {"T": key, "g": bool(obj.requires_grad)}
    if isinstance(obj, (np.ndarray, Tensor)):
        tensors[key] = np.array(obj._data if isinstance(obj, Tensor) else obj, copy=True)
        return {sp.array: key}
    if sp.tensors and hasattr(obj, "detach") and hasattr(obj, "numpy") and hasattr(obj, "cpu"):  # a torch tensor
        tensors[key] = np.array(obj.detach().cpu().numpy(), copy=True)
        return {"T": key, "g": False}
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else {sp.float: repr(float(obj))}
    if isinstance(obj, (list, tuple)):
        items = [encode(x, f"{key}{sp.sep}{i}", tensors, sp, other) for i, x in enumerate(obj)]
        return items if isinstance(obj, list) else {sp.tuple: items}
    if isinstance(obj, Mapping):
        pairs = []
        for i, (k, v) in enumerate(obj.items()):
            if isinstance(k, bool) or not isinstance(k, (str, int, np.integer)):
                raise TypeError(f"{sp.who}: {key}: dict keys must be str or int, got {type(k).__name__}")
            pairs.append([k if isinstance(k, str) else int(k), encode(v, f"{key}{sp.sep}{i}", tensors, sp, other)])
        return {sp.items: pairs}
    if other is not None:
        return other(obj, key, tensors)
    raise TypeError(f"{sp.who}: {key}: cannot store a {type(obj).__name__}")


def decode(obj: Any, tensors: Mapping[str, np.ndarray], where: str, sp: Spelling,
           other: Optional[Callable[[Dict[str, Any]], Any]] = None) -> Any:
    """The containers ``encode`` wrote (``where`` names the file in errors); ``other(node)`` reads a dict node
    this codec does not know, or returns ``NotImplemented``. ValueError for a corrupt tree."""
    if isinstance(obj, list):
        return [decode(x, tensors, where, sp, other) for x in obj]
    if not isinstance(obj, dict):
        return obj
    keys = set(obj)
    if keys == {sp.array} or (sp.tensors and "T" in keys and keys <= {"T", "g"}):
        name = obj.get("T", obj.get(sp.array))
        if not isinstance(name, str) or name not in tensors:
            raise ValueError(f"{where}: the file refers to a missing tensor {name!r}")
        arr = tensors[name]
        if sp.array in obj:
            return arr
        return Tensor(arr, requires_grad=bool(obj.get("g", False)) and arr.dtype.kind == "f", dtype=arr.dtype)
    if keys == {sp.tuple} and isinstance(obj[sp.tuple], list):
        return tuple(decode(x, tensors, where, sp, other) for x in obj[sp.tuple])
    if keys == {sp.float} and obj[sp.float] in ("inf", "-inf", "nan"):
        return float(obj[sp.float])
    if keys == {sp.items} and isinstance(obj[sp.items], list):
        out = {}
        for pair in obj[sp.items]:
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], (str, int))):
                raise ValueError(f"{where}: corrupt {sp.corrupt}")
            out[pair[0]] = decode(pair[1], tensors, where, sp, other)
        return out
    if other is not None:
        res = other(obj)
        if res is not NotImplemented:
            return res
    raise ValueError(f"{where}: corrupt {sp.corrupt} {json.dumps(obj)[:200]}")
