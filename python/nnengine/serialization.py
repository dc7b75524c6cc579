"""``ne.save`` / ``ne.load``: torch.save/torch.load's names for state dicts, optimizer states and nested
containers, in a safe format: a safetensors file (``nnengine.io.save_file``, written atomically) whose
arrays are the tensors and whose metadata holds the container structure as JSON. Nothing is ever pickled,
so loading a file cannot run code unless a whole Module was saved and ``weights_only=False`` is passed.

Stored: Tensors (loaded as Tensors), numpy arrays (loaded as arrays), Python/numpy numbers, bools, strings,
None, and dicts (str/int keys, order kept), lists and tuples of these; ``argparse.Namespace`` and
``types.SimpleNamespace`` of these (loaded, as torch's, with ``weights_only=False`` or under ``safe_globals``). A whole Module (``torch.save(model, f)``)
is stored as its class path, the constructor arguments it recorded and its ``state_dict``, still without
pickle; as with torch >= 2.6, loading it needs ``weights_only=False`` (it imports the model's class, which
runs that module's code: only for files you trust), and it is rebuilt by calling the constructor (the
global random state is kept), rebuilding any submodule replaced or added after construction from its recorded
class and arguments, and loading the state dict (frozen parameters stay frozen). Other objects are refused with a TypeError.

Example:
    >>> model = nn.Linear(2, 1)
    >>> ne.save({"model": model.state_dict(), "epoch": 3}, "ckpt.pt")
    >>> ne.load("ckpt.pt")["epoch"]
    3
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import types
from typing import Any, Dict, Mapping

import numpy as np

from .io import _tree, load_file, save_file
from .io.torch_file import RefusedPickle, is_torch_legacy, is_torch_zip, load_torch_file
from .io.torch_legacy import load_torch_legacy

__all__ = ["save", "load", "safe_globals", "add_safe_globals", "get_safe_globals", "clear_safe_globals"]

_KEY = "nnengine.save"
_FORMAT = "nnengine.save/1"


_SAFE: list = []  # add_safe_globals' classes
_SAFE_SCOPES: list = []  # the classes of each active ``with safe_globals(...)``


def _class_path(cls: Any) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def add_safe_globals(safe_globals: list) -> None:
    """torch.serialization.add_safe_globals: classes whose whole saved models ``load`` may rebuild with the
    default ``weights_only=True`` (their constructor is called; the class objects are yours, nothing is imported).

    Example:
        >>> add_safe_globals([nn.Linear]); nn.Linear in get_safe_globals()
        True
        >>> clear_safe_globals()
    """
    _SAFE.extend(_check_classes(safe_globals))


def get_safe_globals() -> list:
    """The classes added with :func:`add_safe_globals` (and by the active ``safe_globals`` blocks).

    Example:
        >>> get_safe_globals()
        []
    """
    return list(_SAFE) + [c for scope in _SAFE_SCOPES for c in scope]


def clear_safe_globals() -> None:
    """Forget the classes added with :func:`add_safe_globals`.

    Example:
        >>> clear_safe_globals(); get_safe_globals()
        []
    """
    _SAFE.clear()


def _check_classes(classes: Any) -> list:
    out = []
    for c in classes:
        c = c[0] if isinstance(c, tuple) else c  # torch also takes (obj, "module.name") pairs
        if not isinstance(c, type):
            raise TypeError(f"safe_globals: expected classes, got {c!r}")
        out.append(c)
    return out


class safe_globals:  # noqa: N801  torch's name (a context manager class there too)
    """``with torch.serialization.safe_globals([Net, ...]): model = torch.load(f)``: inside the block, a whole
    saved model whose class is listed loads with the default ``weights_only=True`` (super_resolution's
    super_resolve.py). Listed submodule classes are accepted too; nnengine rebuilds the model through its own
    class's constructor, so that class is the one that must be listed.

    Example:
        >>> with safe_globals([nn.Linear]):
        ...     nn.Linear in get_safe_globals()
        True
    """

    def __init__(self, safe_globals: list) -> None:
        self.classes = _check_classes(safe_globals)

    def __enter__(self) -> None:
        _SAFE_SCOPES.append(self.classes)

    def __exit__(self, *exc: Any) -> None:
        _SAFE_SCOPES.remove(self.classes)


def _safe_class(path: str) -> Any:
    return next((c for c in get_safe_globals() if _class_path(c) == path), None)


def _encode_module(obj: Any, key: str, tensors: Dict[str, np.ndarray]) -> Any:
    """A whole Module (its class path, recorded constructor arguments and state dict); TypeError for any other
    type the codec does not store."""
    from .nn.module import Module

    if type(obj) in _NAMESPACES.values():  # an attribute bag: legacy/snli's SNLIClassifier(config=argparse args)
        return {"NS": _class_path(type(obj)), "attrs": _encode(dict(vars(obj)), key, tensors)}
    if isinstance(obj, type) and issubclass(obj, Module):  # a layer class as a constructor argument: ResNet's
        return {"MC": _class_path(obj)}                     # norm_layer=nn.BatchNorm2d, block=BasicBlock
    if isinstance(obj, Module):
        args = obj.__dict__.get("_init_args")
        if args is None:
            raise TypeError(f"save: {key}: {type(obj).__name__} did not record its constructor arguments")
        cls = type(obj)
        return {"M": f"{cls.__module__}:{cls.__qualname__}", "training": bool(obj.training),
                "args": _encode(dict(args), key + ".args", tensors),
                "state": _encode(obj.state_dict(), key + ".state", tensors),
                "sub": _encode_layout(obj, key + ".sub", tensors),
                "nograd": [n for n, p in obj.named_parameters() if not p.requires_grad]}
    hint = " (save model.state_dict(), or use nnengine.io.save_model)" if hasattr(obj, "state_dict") else ""
    raise TypeError(f"save: {key}: cannot store a {type(obj).__name__}{hint}; ne.save stores tensors, arrays, "
                    "numbers, strings, None and dicts/lists/tuples of these (it never pickles)")


_NAMESPACES = {"argparse:Namespace": argparse.Namespace, "types:SimpleNamespace": types.SimpleNamespace}


def _decode_namespace(node: Dict[str, Any], tensors: Mapping[str, np.ndarray], where: str, trusted: bool) -> Any:
    """An ``argparse.Namespace`` / ``types.SimpleNamespace`` (a whole model's config argument, or ``args`` saved
    in a checkpoint): as torch's, loading one needs ``weights_only=False`` or the class in ``safe_globals``."""
    import pickle

    path = node["NS"]
    cls = _NAMESPACES.get(path)
    attrs = _decode(node.get("attrs"), tensors, where, trusted)
    if cls is None or not isinstance(attrs, dict) or not all(isinstance(k, str) for k in attrs):
        raise ValueError(f"{where}: corrupt structure (namespace {path!r})")
    if not trusted and _safe_class(path) is None:
        raise pickle.UnpicklingError(f"{where}: the file holds a {path.replace(':', '.')}; load it with "
                                     "weights_only=False, or list that class in safe_globals")
    return cls(**attrs)


def _encode_layout(module: Any, key: str, tensors: Dict[str, np.ndarray]) -> Dict[str, Any]:
    """Each direct submodule's class path and constructor arguments, recursively: what ``load`` needs to rebuild
    a submodule that was replaced or added after construction (``model.fc = nn.Linear(512, 100)``, the usual
    fine-tuning idiom), which calling the model's constructor alone would not reproduce. A submodule whose
    arguments cannot be stored is recorded without them (an error only if ``load`` has to rebuild it)."""
    out: Dict[str, Any] = {}
    for name, child in module._modules.items():
        if child is None:
            continue
        cls = type(child)
        rec: Dict[str, Any] = {"M": _class_path(cls), "sub": _encode_layout(child, f"{key}.{name}", tensors)}
        args = child.__dict__.get("_init_args")
        if args is not None:
            scratch: Dict[str, np.ndarray] = {}
            try:
                rec["args"] = _encode(dict(args), f"{key}.{name}.args", scratch)
                tensors.update(scratch)
            except (TypeError, ValueError):
                pass
        out[name] = rec
    return out


def _encode(obj: Any, key: str, tensors: Dict[str, np.ndarray]) -> Any:
    return _tree.encode(obj, key, tensors, _tree.SAVE, _encode_module)


def _module_class(path: str, where: str) -> type:
    """The Module class ``module:qualname`` names: nnengine's registry, else imported (torch's unpickler does
    the same for a whole saved model)."""
    import importlib

    from .io import registry
    from .nn.module import Module

    mod, _, qual = path.partition(":")
    cls = registry().get(f"{mod}.{qual}")
    if cls is None:
        try:
            obj: Any = importlib.import_module(mod)
            for part in qual.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError) as e:
            raise ValueError(f"{where}: cannot find the saved model's class {path!r} ({e})") from None
        cls = obj
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        raise ValueError(f"{where}: {path!r} is not a Module class")
    return cls


def _decode_module(obj: Dict[str, Any], tensors: Mapping[str, np.ndarray], where: str, trusted: bool) -> Any:
    import pickle

    from . import random as _random

    safe = _safe_class(str(obj["M"]))  # a class listed by safe_globals: used as given, nothing imported
    if not trusted and safe is None:
        raise pickle.UnpicklingError(
            f"{where}: the file holds a whole model ({obj['M']}); load it with weights_only=False (it imports "
            "that class, so only for a file you trust), or save and load model.state_dict() instead")
    cls = safe if safe is not None else _module_class(str(obj["M"]), where)
    args = _decode(obj.get("args", {"D": []}), tensors, where, trusted)
    state = _decode(obj.get("state", {"D": []}), tensors, where, trusted)
    rng = _random.get_rng_state()
    try:
        model = _construct(cls, args)
        if isinstance(obj.get("sub"), dict):
            _restore_layout(model, obj["sub"], state, "", tensors, where, trusted)
    finally:
        _random.set_rng_state(rng)
    model.load_state_dict(state)
    nograd = set(obj.get("nograd") or ())
    for n, p in model.named_parameters():
        if n in nograd:
            p.requires_grad_(False)
    return model.train(bool(obj.get("training", True)))


def _decode_module_class(path: str, where: str, trusted: bool) -> type:
    """A Module class stored as a constructor argument: like a whole model, it needs ``weights_only=False``
    (it imports that class) or the class in ``safe_globals``."""
    import pickle

    safe = _safe_class(path)
    if safe is not None:
        return safe
    if not trusted:
        raise pickle.UnpicklingError(f"{where}: the file holds the class {path.replace(':', '.')}; load it with "
                                     "weights_only=False, or list that class in safe_globals")
    return _module_class(path, where)


def _construct(cls: type, args: Dict[str, Any]) -> Any:
    """``cls`` called with the arguments its constructor recorded: ``*args`` (recorded as a tuple under their
    parameter's name, e.g. Sequential's modules) go positionally, ``**kwargs`` (a dict) by keyword."""
    import inspect

    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return cls(**args)
    pos: list = []
    kw = dict(args)
    for p in params.values():
        if p.kind is p.VAR_POSITIONAL and p.name in kw:
            pos = list(kw.pop(p.name))
        elif p.kind is p.VAR_KEYWORD and isinstance(kw.get(p.name), dict):
            kw.update(kw.pop(p.name))
    if pos:  # what precedes *args is positional-or-keyword: pass it positionally too, in order
        head = [kw.pop(p.name) for p in list(params.values())[1:]
                if p.kind is p.POSITIONAL_OR_KEYWORD and p.name in kw]
        pos = head + pos
    return cls(*pos, **kw)


def _restore_layout(model: Any, sub: Dict[str, Any], state: Mapping[str, Any], prefix: str,
                    tensors: Mapping[str, np.ndarray], where: str, trusted: bool) -> None:
    """Make the freshly constructed ``model``'s submodules match the saved layout: a submodule whose class or
    state-dict shapes differ from the saved one (replaced after construction) or that the constructor did not
    make (added after it) is rebuilt from its recorded class and arguments; one the saved model did not have is
    set to None. Its own submodules are then checked the same way."""
    import pickle

    for name in list(model._modules):
        if name not in sub and model._modules[name] is not None:
            setattr(model, name, None)
    for name, rec in sub.items():
        if not isinstance(rec, dict) or not isinstance(rec.get("M"), str):
            raise ValueError(f"{where}: corrupt whole-model layout at {prefix + name!r}")
        cur = model._modules.get(name)
        pre = f"{prefix}{name}."
        saved = {k[len(pre):]: np.shape(v) for k, v in state.items() if k.startswith(pre)}
        if (cur is None or _class_path(type(cur)) != rec["M"]
                or {k: np.shape(v) for k, v in cur.state_dict().items()} != saved):
            path = rec["M"]
            safe = _safe_class(path)
            if not trusted and safe is None:
                raise pickle.UnpicklingError(
                    f"{where}: submodule {prefix + name!r} is a {path} replaced after construction; load with "
                    "weights_only=False (only for a file you trust) or list its class in safe_globals")
            if "args" not in rec:
                raise ValueError(f"{where}: submodule {prefix + name!r} ({path}) was replaced after construction "
                                 "and its constructor arguments could not be stored; save the state_dict instead")
            child_cls = safe if safe is not None else _module_class(path, where)
            cur = _construct(child_cls, _decode(rec["args"], tensors, where, trusted))
            setattr(model, name, cur)
        _restore_layout(cur, rec.get("sub") or {}, state, pre, tensors, where, trusted)


def _decode(obj: Any, tensors: Mapping[str, np.ndarray], where: str, trusted: bool = False) -> Any:
    def module(node: Dict[str, Any]) -> Any:
        if isinstance(node.get("M"), str):
            return _decode_module(node, tensors, where, trusted)
        if isinstance(node.get("NS"), str) and set(node) == {"NS", "attrs"}:
            return _decode_namespace(node, tensors, where, trusted)
        if isinstance(node.get("MC"), str) and set(node) == {"MC"}:
            return _decode_module_class(node["MC"], where, trusted)
        return NotImplemented

    return _tree.decode(obj, tensors, where, _tree.SAVE, module)


def save(obj: Any, f: Any, pickle_module: Any = None, pickle_protocol: int = 2,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False) -> None:
    """Write ``obj`` (a state dict, an optimizer state, nested containers of tensors/arrays/plain values) to
    ``f``: a path (written atomically) or a binary file object. torch's pickle arguments are accepted and
    ignored.

    Example:
        >>> model = nn.Linear(2, 1)
        >>> ne.save(model.state_dict(), "model.pt")
        >>> model.load_state_dict(ne.load("model.pt"))
        <All keys matched successfully>
    """
    tensors: Dict[str, np.ndarray] = {}
    structure = _encode(obj, "t", tensors)
    meta = {"format": _FORMAT, _KEY: json.dumps(structure, separators=(",", ":"), allow_nan=False)}
    if isinstance(f, (str, os.PathLike)):
        save_file(tensors, os.fspath(f), meta)
        return
    if not hasattr(f, "write"):
        raise TypeError(f"save: f: expected a path or a writable binary file object, got {type(f).__name__}")
    with tempfile.TemporaryDirectory() as d:
        tmp = os.path.join(d, "obj.safetensors")
        save_file(tensors, tmp, meta)
        with open(tmp, "rb") as src:
            f.write(src.read())


def _check_map_location(map_location: Any) -> None:
    if map_location is None or callable(map_location) or isinstance(map_location, dict):
        return
    from ._device import check_device

    check_device(map_location, "map_location")


def _load_torch(src: Any, head: bytes, path: str) -> Any:
    """A file written by torch.save (a path or its bytes), read safely by ``nnengine.io.torch_file`` (zip) or
    ``nnengine.io.torch_legacy`` (the pre-1.6 format)."""
    try:
        if is_torch_legacy(head):
            if not isinstance(src, (bytes, bytearray)):
                with open(src, "rb") as fh:
                    src = fh.read()
            return load_torch_legacy(src)
        return load_torch_file(src)
    except RefusedPickle as e:
        raise RefusedPickle(f"{path}: {e}") from None
    except ValueError as e:
        raise ValueError(f"{path}: {e}") from None


def load(f: Any, map_location: Any = None, pickle_module: Any = None, *, weights_only: bool = True,
         mmap: Any = None, **pickle_load_args: Any) -> Any:
    """Read what :func:`save` wrote, or a file written by ``torch.save`` (zip format, torch >= 1.6: checkpoints
    and pretrained weights, read without torch and without running code, as ``torch.load(weights_only=True)``
    does; see ``nnengine.io.torch_file``), from a path or a binary file object. ``map_location`` may name the
    CPU (another device is a clear error). ``weights_only=False`` is needed only for a whole Module saved by
    ``ne.save`` (see the module's docstring); everything else is data whatever it says.

    Example:
        >>> ne.save({"w": ne.ones(2), "step": 7}, "state.pt")
        >>> ne.load("state.pt", map_location="cpu", weights_only=True)
        {'w': tensor([1., 1.]), 'step': 7}
    """
    _check_map_location(map_location)
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        with open(path, "rb") as fh:
            head = fh.read(32)
        if is_torch_zip(head) or is_torch_legacy(head):
            return _load_torch(path, head, path)
        tensors, meta = load_file(path)
    elif hasattr(f, "read"):
        data = f.read()
        path = getattr(f, "name", "<file object>")
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"load: f: expected a binary file object, its read() gave {type(data).__name__}")
        if is_torch_zip(data[:32]) or is_torch_legacy(data[:32]):
            return _load_torch(bytes(data), data[:32], path)
        with tempfile.TemporaryDirectory() as d:
            tmp = os.path.join(d, "obj.safetensors")
            with open(tmp, "wb") as out:
                out.write(data)
            tensors, meta = load_file(tmp)
    else:
        raise TypeError(f"load: f: expected a path or a readable binary file object, got {type(f).__name__}")
    if meta.get("format") != _FORMAT or _KEY not in meta:
        if meta.get("format", "").startswith("nnengine.save/"):
            raise ValueError(f"{path}: unsupported ne.save format {meta.get('format')!r}")
        return dict(tensors)  # a plain safetensors file: its tensors by name, as numpy arrays
    try:
        structure = json.loads(meta[_KEY])
    except ValueError:
        raise ValueError(f"{path}: corrupt ne.save structure") from None
    return _decode(structure, tensors, path, trusted=weights_only is False)


