"""A model as a file: nnengine's layer registry, architectures as JSON, weights, ``save_model``/``load_model``.

The architecture is stored as JSON in the safetensors metadata: each module's class name and the
constructor arguments ``Module`` recorded (see ``Module.__init_subclass__``). Loading resolves class names
only against nnengine's own registry (the ``Module`` subclasses defined inside the ``nnengine`` package);
nothing is imported or executed from the file, and a hostile architecture fails before allocating (see
``nnengine.nn.parameter.build_budget``).

Example:
    >>> spec = architecture(nn.Sequential(nn.Linear(3, 2), nn.Tanh()))
    >>> spec["children"][1], build(spec)[0]
    (['1', {'class': 'Tanh', 'args': {}}], Linear(in_features=3, out_features=2, bias=True))
"""

from __future__ import annotations

import inspect
import json
import math
from collections import OrderedDict
from typing import Any, Dict, List, Mapping, Optional, Tuple

import numpy as np

from .._coerce import data_or_self
from ..nn.module import Module
from ..nn.modules.container import ModuleDict, ModuleList, Sequential
from ..nn.parameter import build_budget
from ..tensor import Tensor
from .safetensors import _CODES, _no_duplicates, load_file, save_file

__all__ = ["save_weights", "load_weights", "save_model", "load_model", "architecture", "build", "registry"]

FORMAT_VERSION = "1"  # of the nnengine files (model/1, checkpoint/1) stored in the metadata
_ARCH_KEY = "nnengine.architecture"
_FORMAT_KEY = "nnengine.format"

# ============================================================================= weights
def save_weights(model: Any, path: str, metadata: Optional[Mapping[str, str]] = None) -> None:
    """A Module's ``state_dict()`` (or any name -> array mapping) as safetensors (PyTorch's key names).

    Example:
        >>> model = nn.Linear(2, 1)
        >>> save_weights(model, "linear.safetensors")
        >>> list(load_file("linear.safetensors")[0])
        ['weight', 'bias']
    """
    model = getattr(model, "_orig_mod", model)  # nnengine.compile's module saves as its original
    state = model.state_dict() if isinstance(model, Module) else model
    save_file(state, path, metadata)


def load_weights(model: Module, path: str, strict: bool = True) -> Tuple[List[str], List[str]]:
    """Load a safetensors file into ``model`` with ``load_state_dict`` (returns missing, unexpected keys).

    Example:
        >>> save_weights(nn.Linear(2, 1), "linear.safetensors")
        >>> load_weights(nn.Linear(2, 1), "linear.safetensors")
        <All keys matched successfully>
    """
    tensors, _ = load_file(path)
    try:
        return model.load_state_dict(tensors, strict=strict)
    except KeyError as e:
        raise ValueError(f"{path}: the weights do not fit the model: {e}") from None


# ============================================================================= architecture
def registry() -> Dict[str, type]:
    """nnengine's own layers and models by class name (and dotted path): all that load_model builds.

    Example:
        >>> reg = registry(); reg["Linear"] is nn.Linear, "LeNet5" in reg
        (True, True)
    """
    found: Dict[str, type] = {}
    names: Dict[str, List[type]] = {}
    stack = [Module]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            stack.append(sub)
            mod = getattr(sub, "__module__", "")
            if mod == "nnengine" or mod.startswith("nnengine."):
                found[f"{mod}.{sub.__qualname__}"] = sub
                names.setdefault(sub.__name__, []).append(sub)
    for name, classes in names.items():
        if len(set(classes)) == 1:
            found[name] = classes[0]
    found["Module"] = Module
    return found


def _class_name(cls: type, reg: Dict[str, type]) -> str:
    if reg.get(cls.__name__) is cls:
        return cls.__name__
    full = f"{cls.__module__}.{cls.__qualname__}"
    if reg.get(full) is cls:
        return full
    raise ValueError(f"{cls.__module__}.{cls.__qualname__} is not one of nnengine's layers or models, so its "
                     "architecture cannot be saved; save the weights with "
                     "nnengine.io.save_weights(model, path) and rebuild the model in code")


def _object_registry() -> Dict[str, type]:
    """Regularizer and constraint classes of nnengine, the only plain objects an architecture may hold."""
    from .. import constraints, regularizers

    out: Dict[str, type] = {}
    for mod, base in ((regularizers, regularizers.Regularizer), (constraints, constraints.Constraint)):
        for name in dir(mod):
            c = getattr(mod, name)
            if isinstance(c, type) and issubclass(c, base) and c.__module__ == mod.__name__:
                out[f"{mod.__name__}.{name}"] = c
    return out


def _encode_object(v: Any, where: str, reg: Dict[str, type]) -> Any:
    """A regularizer/constraint as its class name and constructor arguments (read back from attributes)."""
    key = f"{type(v).__module__}.{type(v).__name__}"
    if _object_registry().get(key) is not type(v):
        return None
    args = {}
    for name, prm in inspect.signature(type(v).__init__).parameters.items():
        if name == "self" or prm.kind in (prm.VAR_POSITIONAL, prm.VAR_KEYWORD):
            continue
        if not hasattr(v, name):
            return None
        args[name] = _encode(getattr(v, name), f"{where}.{name}", reg)
    return {"__object__": key, "args": args}


def _encode(v: Any, where: str, reg: Dict[str, type]) -> Any:
    if v is None or isinstance(v, (bool, str)):
        return v
    obj = _encode_object(v, where, reg) if not isinstance(v, (int, float, tuple, list, dict, np.ndarray,
                                                              Tensor, Module, type)) else None
    if obj is not None:
        return obj
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else {"__float__": repr(float(v))}
    if isinstance(v, Module):
        return {"__module__": architecture(v, reg)}
    if isinstance(v, type) and issubclass(v, Module):
        return {"__class__": _class_name(v, reg)}
    if isinstance(v, tuple):
        return {"__tuple__": [_encode(x, where, reg) for x in v]}
    if isinstance(v, list):
        return [_encode(x, where, reg) for x in v]
    if isinstance(v, dict) and all(isinstance(k, str) for k in v):
        return {"__dict__": {k: _encode(x, where, reg) for k, x in v.items()}}
    if isinstance(v, (np.ndarray, Tensor)) and not getattr(v, "requires_grad", False):
        arr = data_or_self(v)
        if arr.dtype.str.lstrip("<|") in _CODES and arr.size <= 4096:
            return {"__array__": arr.tolist(), "dtype": arr.dtype.str.lstrip("<|"),
                    "tensor": isinstance(v, Tensor)}
    raise ValueError(f"{where}={v!r} ({type(v).__name__}) cannot be stored as JSON; save_model supports "
                     "numbers, strings, tuples, lists, dicts, small arrays and nnengine modules")


def architecture(model: Module, _reg: Optional[Dict[str, type]] = None) -> Dict[str, Any]:
    """The JSON-serialisable description of ``model``: class names and constructor arguments.

    Example:
        >>> architecture(nn.Sequential(nn.Linear(4, 2)))
        {'class': 'Sequential', 'children': [['0', {'class': 'Linear', 'args': {'in_features': 4, 'out_features': 2}}]]}
    """
    reg = registry() if _reg is None else _reg
    name = _class_name(type(model), reg)
    if isinstance(model, (Sequential, ModuleList, ModuleDict)):
        return {"class": name, "children": [[k, architecture(m, reg)] for k, m in model._modules.items()]}
    args = model.__dict__.get("_init_args")
    if args is None:
        raise ValueError(f"{name}: its constructor arguments were not recorded; cannot save its architecture")
    return {"class": name, "args": {k: _encode(v, f"{name}.{k}", reg) for k, v in args.items()}}


def _decode(v: Any, where: str, reg: Dict[str, type]) -> Any:
    if isinstance(v, list):
        return [_decode(x, where, reg) for x in v]
    if not isinstance(v, dict):
        return v
    if set(v) == {"__tuple__"} and isinstance(v["__tuple__"], list):
        return tuple(_decode(x, where, reg) for x in v["__tuple__"])
    if set(v) == {"__dict__"} and isinstance(v["__dict__"], dict):
        return {k: _decode(x, where, reg) for k, x in v["__dict__"].items()}
    if set(v) == {"__module__"}:
        return build(v["__module__"], reg)
    if set(v) == {"__class__"} and v["__class__"] in reg:
        return reg[v["__class__"]]
    if set(v) == {"__object__", "args"} and isinstance(v["args"], dict):
        cls = _object_registry().get(v["__object__"])
        if cls is None:
            raise ValueError(f"architecture: {where}: unknown object {str(v['__object__'])[:100]!r}")
        try:
            return cls(**{k: _decode(x, where, reg) for k, x in v["args"].items()})
        except (TypeError, ValueError) as e:
            raise ValueError(f"architecture: {where}: invalid arguments for {v['__object__']} ({e})") from None
    if set(v) == {"__float__"} and v["__float__"] in ("inf", "-inf", "nan"):
        return float(v["__float__"])
    if set(v) == {"__array__", "dtype", "tensor"} and v["dtype"] in _CODES:
        try:
            arr = np.asarray(v["__array__"], dtype=np.dtype(v["dtype"]))
        except (TypeError, ValueError) as e:
            raise ValueError(f"architecture: {where}: invalid array ({e})") from None
        return Tensor(arr, dtype=arr.dtype) if v["tensor"] else arr
    raise ValueError(f"architecture: {where}: unrecognised value {json.dumps(v)[:200]}")


def build(spec: Any, _reg: Optional[Dict[str, type]] = None) -> Module:
    """Construct a module from ``architecture()``'s description, using only nnengine's registry.

    Example:
        >>> build(architecture(nn.Sequential(nn.Linear(4, 2), nn.ReLU())))
        Sequential(
          (0): Linear(in_features=4, out_features=2, bias=True)
          (1): ReLU()
        )
    """
    reg = registry() if _reg is None else _reg
    if not isinstance(spec, dict) or not isinstance(spec.get("class"), str):
        raise ValueError(f"architecture: expected an object with a 'class' name, got {str(spec)[:200]}")
    name = spec["class"]
    cls = reg.get(name)
    if cls is None or cls is Module:
        raise ValueError(f"architecture: unknown layer or model {name!r} (not in nnengine's registry)")
    try:
        if "children" in spec:
            kids = spec["children"]
            if not (issubclass(cls, (Sequential, ModuleList, ModuleDict)) and isinstance(kids, list)
                    and all(isinstance(c, list) and len(c) == 2 and isinstance(c[0], str) for c in kids)):
                raise ValueError(f"{name}: invalid children list")
            built = OrderedDict((k, build(s, reg)) for k, s in kids)
            if cls is Sequential or issubclass(cls, Sequential):
                return cls(built)
            return cls(list(built.values())) if issubclass(cls, ModuleList) else cls(built)
        args = spec.get("args")
        if not isinstance(args, dict) or set(spec) != {"class", "args"}:
            raise ValueError(f"{name}: expected 'args' as an object")
        kwargs = {k: _decode(v, f"{name}.{k}", reg) for k, v in args.items()}
        params = inspect.signature(cls.__init__).parameters
        pos: List[Any] = []
        for p in list(params.values())[1:]:
            if p.kind == p.VAR_POSITIONAL and p.name in kwargs:
                pos.extend(kwargs.pop(p.name))
            elif p.kind == p.POSITIONAL_ONLY and p.name in kwargs:
                pos.append(kwargs.pop(p.name))
            elif p.kind == p.VAR_KEYWORD and p.name in kwargs:
                extra = kwargs.pop(p.name)
                if not isinstance(extra, dict):
                    raise ValueError(f"{name}.{p.name}: expected an object")
                kwargs.update(extra)
        return cls(*pos, **kwargs)
    except ValueError as e:
        msg = str(e)
        raise ValueError(msg if msg.startswith("architecture:") else f"architecture: {msg}") from None
    except (TypeError, KeyError, AttributeError, RecursionError) as e:
        raise ValueError(f"architecture: cannot build {name!r}: {type(e).__name__}: {e}") from None



def save_model(model: Module, path: str, metadata: Optional[Mapping[str, str]] = None) -> None:
    """Architecture (JSON in the metadata) + weights in one safetensors file, written atomically.

    ``metadata``: extra str -> str entries (keys must not start with "nnengine.").

    Example:
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> save_model(model, "mlp.safetensors", {"dataset": "digits"})
        >>> load_file("mlp.safetensors")[1]["dataset"]
        'digits'
    """
    model = getattr(model, "_orig_mod", model)  # nnengine.compile's module saves as its original
    meta = {_FORMAT_KEY: f"model/{FORMAT_VERSION}",
            _ARCH_KEY: json.dumps(architecture(model), separators=(",", ":"), allow_nan=False)}
    for k, v in (metadata or {}).items():
        if not isinstance(k, str) or k.startswith("nnengine."):
            raise ValueError(f"metadata: key {k!r} is reserved or not a string")
        meta[k] = v
    save_file(model.state_dict(), path, meta)


def _check_format(path: str, meta: Mapping[str, str], kind: str, key: str) -> None:
    """The file says it is ``kind/FORMAT_VERSION`` and holds ``key``; ValueError otherwise."""
    fmt = meta.get(_FORMAT_KEY, "")
    if fmt.split("/")[0] != kind or key not in meta:
        what = "model file (no architecture in the metadata); use load_weights(model, path) for plain " \
               "weight files" if kind == "model" else "checkpoint"
        raise ValueError(f"{path}: not an nnengine {what}")
    if fmt != f"{kind}/{FORMAT_VERSION}":
        raise ValueError(f"{path}: unsupported {kind} format version {fmt.partition('/')[2][:20]!r} "
                         f"(this nnengine reads version {FORMAT_VERSION})")


def _open(path: str, kind: str, key: str, what: str) -> Tuple[Dict[str, np.ndarray], Any]:
    """The tensors of an nnengine ``kind`` file and its JSON entry ``key`` parsed; ValueError otherwise."""
    tensors, meta = load_file(path)
    _check_format(path, meta, kind, key)
    try:
        return tensors, json.loads(meta[key], object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError) as e:
        raise ValueError(f"{path}: corrupt {what} JSON ({e})") from None


def _build_from_file(spec: Any, tensors: Mapping[str, np.ndarray], path: str) -> Module:
    """``build(spec)`` under a budget: its parameters may not exceed the elements the file holds, nor its
    modules a generous multiple of its tensors, so a hostile architecture fails before allocating."""
    elements = sum(int(a.size) for a in tensors.values())
    with build_budget(elements, 10_000 + 10 * len(tensors), path):
        return build(spec)


def load_model(path: str) -> Module:
    """Rebuild a model saved by ``save_model`` (classes from nnengine's registry only) with its weights.

    Example:
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> save_model(model, "mlp.safetensors")
        >>> load_model("mlp.safetensors")
        Sequential(
          (0): Linear(in_features=4, out_features=8, bias=True)
          (1): ReLU()
          (2): Linear(in_features=8, out_features=2, bias=True)
        )
    """
    tensors, spec = _open(path, "model", _ARCH_KEY, "architecture")
    model = _build_from_file(spec, tensors, path)
    try:
        model.load_state_dict(tensors, strict=True)
    except (KeyError, ValueError) as e:
        raise ValueError(f"{path}: the weights do not fit the architecture: {e}") from None
    return model

