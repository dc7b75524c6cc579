"""Saving and loading: weights as safetensors, architectures as JSON, full training checkpoints.

Everything is written by this module's own code in the safetensors layout (never pickle): an 8-byte
little-endian header length, a UTF-8 JSON header ``{name: {"dtype", "shape", "data_offsets"}}`` plus
``"__metadata__"`` (str -> str), then the raw little-endian bytes, contiguous and without holes. The files
open with the ``safetensors`` library and ``torch`` too.

The architecture is stored as JSON in the metadata: each module's class name and the constructor
arguments ``Module`` recorded (see ``Module.__init_subclass__``). Loading resolves class names only against
nnengine's own registry (the ``Module`` subclasses defined inside the ``nnengine`` package); nothing is
imported or executed from the file. Writes are atomic (a temporary file in the same folder, flush,
fsync, ``os.replace``): a crash mid-save leaves the previous file intact. Corrupt, truncated or hostile
files raise ``ValueError`` naming the problem.

Example:
    >>> from nnengine import io
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> io.save_model(model, "model.safetensors")
    >>> io.load_model("model.safetensors")[2]
    Linear(in_features=8, out_features=2, bias=True)
"""

from __future__ import annotations

import inspect
import json
import math
import os
import re
import struct
import tempfile
from collections import OrderedDict
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

import numpy as np

from . import random as _random
from .nn.module import Module
from .nn.modules.container import ModuleDict, ModuleList, Sequential
from .nn.parameter import build_budget
from .tensor import Tensor

__all__ = ["save_file", "load_file", "read_metadata", "save_weights", "load_weights", "save_model",
           "load_model", "save_checkpoint", "load_checkpoint", "architecture", "build", "registry"]

FORMAT_VERSION = "1"
MAX_HEADER_BYTES = 64 * 1024 * 1024
MAX_TENSORS = 100_000  # per file: a header of a million empty tensors is an attack, not a model
_DTYPES: Dict[str, np.dtype] = {
    "F64": np.dtype("<f8"), "F32": np.dtype("<f4"), "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"), "I32": np.dtype("<i4"), "I16": np.dtype("<i2"), "I8": np.dtype("i1"),
    "U8": np.dtype("u1"), "BOOL": np.dtype("?"),
}
_CODES = {dt.str.lstrip("<|"): code for code, dt in _DTYPES.items()}


# ============================================================================= atomic writes
_TMP_SUFFIX = ".tmp"
_in_flight: set = set()  # temp files this process is writing right now (never removed as stale)


def _umask() -> int:
    """The process umask, read without changing it where possible (os.umask is a set-and-return)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists but belongs to someone else (or we cannot tell): leave its file alone
    return True


def _remove_stale_temps(folder: str, base: str) -> None:
    """Delete temp files of earlier saves of ``base`` whose writer is gone (e.g. SIGKILLed mid-save).

    Temp names are ``.{base}.{pid}-{random}.tmp``; a file is stale when its pid is no longer running (or is
    this process, which is not writing it now). Names without a pid (older versions) are stale too.
    """
    prefix = f".{base}."
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(_TMP_SUFFIX)):
            continue
        middle = name[len(prefix):-len(_TMP_SUFFIX)]
        m = re.fullmatch(r"(\d+)-[A-Za-z0-9_]+|[A-Za-z0-9_]{8}", middle)
        if m is None:  # another target's temp (e.g. ".a.b.123-x.tmp" for "a" vs "a.b") or not ours
            continue
        full = os.path.join(folder, name)
        if full in _in_flight:
            continue
        if m.group(1) is not None:
            pid = int(m.group(1))
            if pid != os.getpid() and _pid_alive(pid):
                continue
        try:
            os.unlink(full)
        except OSError:
            pass


def atomic_write(path: str, chunks: Iterable[bytes]) -> None:
    """Write ``chunks`` to ``path`` atomically: temp file in the same folder, fsync, ``os.replace``.

    The file gets the usual permissions of a new file (``0o666 & ~umask``, not mkstemp's 0600). On any
    failure, ``KeyboardInterrupt`` included, the temp file is removed and ``path`` is untouched; after a
    successful save, temp files of the same target left by a killed earlier save are removed.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{base}.{os.getpid()}-", suffix=_TMP_SUFFIX, dir=folder)
        _in_flight.add(tmp)
        with os.fdopen(fd, "wb") as f:
            if hasattr(os, "fchmod"):  # POSIX
                os.fchmod(f.fileno(), 0o666 & ~_umask())
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise
    finally:
        if tmp is not None:
            _in_flight.discard(tmp)
    _remove_stale_temps(folder, base)
    try:  # make the rename itself durable
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:  # pragma: no cover - some filesystems refuse fsync on folders
        pass


# ============================================================================= safetensors
def _le_array(name: str, value: Any) -> np.ndarray:
    arr = value.data if isinstance(value, Tensor) else np.asarray(value)
    le = arr.dtype.newbyteorder("<")
    if le.str.lstrip("<|") not in _CODES:
        raise TypeError(f"{name}: dtype {arr.dtype} cannot be stored (supported: {sorted(_CODES)})")
    return np.asarray(arr, dtype=le, order="C")  # (ascontiguousarray would turn 0-d into 1-d)


def _tensor_bytes(arr: np.ndarray) -> bytes:
    return arr.tobytes(order="C")


def save_file(tensors: Mapping[str, Any], path: str, metadata: Optional[Mapping[str, str]] = None) -> None:
    """Write named arrays (numpy or Tensors) and str->str metadata as a safetensors file, atomically.

    Example:
        >>> save_file({"w": np.ones((2, 3), np.float32)}, "w.safetensors", {"note": "ones"})
        >>> arrays, meta = load_file("w.safetensors"); arrays["w"].shape, meta
        ((2, 3), {'note': 'ones'})
    """
    header: Dict[str, Any] = {}
    arrays: List[np.ndarray] = []
    offset = 0
    for name, value in tensors.items():
        if not isinstance(name, str) or not name or name == "__metadata__":
            raise ValueError(f"tensors: invalid tensor name {name!r}")
        arr = _le_array(name, value)
        header[name] = {"dtype": _CODES[arr.dtype.str.lstrip("<|")], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
        arrays.append(arr)
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError(f"metadata: expected str -> str, got {type(k).__name__} -> "
                                f"{type(v).__name__}")
        header["__metadata__"] = dict(metadata)
    raw = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # align the data section, as the safetensors library does

    def chunks() -> Iterable[bytes]:
        yield struct.pack("<Q", len(raw))
        yield raw
        for arr in arrays:
            yield _tensor_bytes(arr)

    atomic_write(path, chunks())


def _no_duplicates(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r} in the header")
        out[k] = v
    return out


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


_Entries = Dict[str, Tuple[np.dtype, tuple, int, int]]


def _parse_header(raw: bytes, data_len: int, where: str) -> Tuple[_Entries, Dict[str, str]]:
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except ValueError as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors; duplicates too
        raise ValueError(f"{where}: corrupt header (not valid JSON: {e})") from None
    except RecursionError:
        raise ValueError(f"{where}: corrupt header (nested too deeply)") from None
    if not isinstance(header, dict):
        raise ValueError(f"{where}: corrupt header (expected a JSON object, got {type(header).__name__})")
    meta = header.pop("__metadata__", {})
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                             for k, v in meta.items()):
        raise ValueError(f"{where}: corrupt header (__metadata__ must map strings to strings)")
    if len(header) > MAX_TENSORS:
        raise ValueError(f"{where}: {len(header)} tensors in the header (limit {MAX_TENSORS})")
    entries: _Entries = OrderedDict()
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise ValueError(f"{where}: tensor {name!r}: expected keys dtype, shape, data_offsets")
        dt = _DTYPES.get(info["dtype"]) if isinstance(info["dtype"], str) else None
        if dt is None:
            raise ValueError(f"{where}: tensor {name!r}: unsupported dtype {info['dtype']!r} "
                             f"(expected one of {sorted(_DTYPES)})")
        shape, offs = info["shape"], info["data_offsets"]
        if not isinstance(shape, list) or not all(_is_int(s) and s >= 0 for s in shape):
            raise ValueError(f"{where}: tensor {name!r}: invalid shape {shape!r}")
        if not (isinstance(offs, list) and len(offs) == 2 and all(_is_int(o) for o in offs)):
            raise ValueError(f"{where}: tensor {name!r}: invalid data_offsets {offs!r}")
        begin, end = offs
        if not 0 <= begin <= end <= data_len:
            raise ValueError(f"{where}: tensor {name!r}: data_offsets {offs} out of range "
                             f"(the data section holds {data_len} bytes)")
        if end - begin != math.prod(shape) * dt.itemsize:
            raise ValueError(f"{where}: tensor {name!r}: {end - begin} bytes do not match shape {shape} "
                             f"of {info['dtype']}")
        entries[name] = (dt, tuple(shape), begin, end)
    pos = 0
    for name, (_, _, begin, end) in sorted(entries.items(), key=lambda kv: (kv[1][2], kv[1][3])):
        if begin != pos:
            raise ValueError(f"{where}: tensor {name!r}: data_offsets overlap or leave a hole at byte {pos}")
        pos = end
    if pos != data_len:
        raise ValueError(f"{where}: {data_len - pos} trailing bytes after the last tensor")
    return entries, meta


def _read(path: str, want_data: bool = True) -> Tuple[OrderedDict[str, np.ndarray], Dict[str, str]]:
    path = os.fspath(path)
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size < 8:
            raise ValueError(f"{path}: truncated file ({size} bytes; a safetensors file starts with an "
                             "8-byte header length)")
        (n,) = struct.unpack("<Q", f.read(8))
        if n > MAX_HEADER_BYTES or n > size - 8:
            raise ValueError(f"{path}: corrupt or truncated file (header length {n} bytes, file has "
                             f"{size - 8} bytes after it, limit {MAX_HEADER_BYTES})")
        raw = f.read(n)
        entries, meta = _parse_header(raw, size - 8 - n, path)
        out: OrderedDict[str, np.ndarray] = OrderedDict()
        if want_data:
            data = f.read()
            if len(data) != size - 8 - n:
                raise ValueError(f"{path}: truncated file while reading")
            for name, (dt, shape, begin, end) in entries.items():
                arr = np.frombuffer(data, dtype=dt, count=(end - begin) // dt.itemsize, offset=begin)
                if dt.kind == "b" and np.frombuffer(data, np.uint8, end - begin, begin).max(initial=0) > 1:
                    raise ValueError(f"{path}: tensor {name!r}: BOOL bytes must be 0 or 1")
                out[name] = arr.reshape(shape).astype(np.dtype(dt.name), copy=True)
    return out, meta


def load_file(path: str) -> Tuple[OrderedDict[str, np.ndarray], Dict[str, str]]:
    """Read a safetensors file: ``(OrderedDict name -> array, metadata dict)``; ValueError if corrupt.

    Example:
        >>> save_file({"b": np.zeros(3, np.float32)}, "b.safetensors")
        >>> arrays, meta = load_file("b.safetensors"); list(arrays), meta
        (['b'], {})
    """
    return _read(path)


def read_metadata(path: str) -> Dict[str, str]:
    """Only the ``__metadata__`` of a safetensors file (the header is validated, the data not read).

    Example:
        >>> save_file({"b": np.zeros(3, np.float32)}, "b.safetensors", {"epoch": "3"})
        >>> read_metadata("b.safetensors")
        {'epoch': '3'}
    """
    return _read(path, want_data=False)[1]


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
        ([], [])
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
    from . import constraints, regularizers

    out: Dict[str, type] = {}
    for mod, base in ((regularizers, regularizers.Regularizer), (constraints, constraints.Constraint)):
        for name in dir(mod):
            c = getattr(mod, name)
            if isinstance(c, type) and issubclass(c, base) and c.__module__ == mod.__name__:
                out[f"{mod.__name__}.{name}"] = c
    return out


def _encode_object(v: Any, where: str, reg: Dict[str, type]) -> Any:
    """A regularizer/constraint as its class name and constructor arguments (read back from attributes)."""
    import inspect

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
        arr = v.data if isinstance(v, Tensor) else v
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


_ARCH_KEY = "nnengine.architecture"
_FORMAT_KEY = "nnengine.format"


def save_model(model: Module, path: str, metadata: Optional[Mapping[str, str]] = None) -> None:
    """Architecture (JSON in the metadata) + weights in one safetensors file, written atomically.

    ``metadata``: extra str -> str entries (keys must not start with "nnengine.").

    Example:
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> save_model(model, "mlp.safetensors", {"dataset": "digits"})
        >>> read_metadata("mlp.safetensors")["dataset"]
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
    tensors, meta = load_file(path)
    _check_format(path, meta, "model", _ARCH_KEY)
    try:
        spec = json.loads(meta[_ARCH_KEY], object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError) as e:
        raise ValueError(f"{path}: corrupt architecture JSON ({e})") from None
    model = _build_from_file(spec, tensors, path)
    try:
        model.load_state_dict(tensors, strict=True)
    except (KeyError, ValueError) as e:
        raise ValueError(f"{path}: the weights do not fit the architecture: {e}") from None
    return model


# ============================================================================= checkpoints
def _flatten(obj: Any, key: str, tensors: Dict[str, np.ndarray]) -> Any:
    """JSON structure of ``obj`` with every array moved into ``tensors`` (referenced by name)."""
    if isinstance(obj, (np.ndarray, Tensor)):
        tensors[key] = np.array(obj.data if isinstance(obj, Tensor) else obj, copy=True)
        return {"__tensor__": key}
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else {"__float__": repr(float(obj))}
    if isinstance(obj, (list, tuple)):
        items = [_flatten(x, f"{key}/{i}", tensors) for i, x in enumerate(obj)]
        return items if isinstance(obj, list) else {"__tuple__": items}
    if isinstance(obj, Mapping):
        pairs = []
        for i, (k, v) in enumerate(obj.items()):
            if not isinstance(k, (str, int, np.integer)) or isinstance(k, bool):
                raise TypeError(f"checkpoint: {key}: unsupported key type {type(k).__name__}")
            pairs.append([k if isinstance(k, str) else int(k), _flatten(v, f"{key}/{i}", tensors)])
        return {"__items__": pairs}
    raise TypeError(f"checkpoint: {key}: cannot store a {type(obj).__name__}")


def _unflatten(obj: Any, tensors: Mapping[str, np.ndarray], where: str) -> Any:
    if isinstance(obj, list):
        return [_unflatten(x, tensors, where) for x in obj]
    if not isinstance(obj, dict):
        return obj
    if set(obj) == {"__tensor__"}:
        if obj["__tensor__"] not in tensors:
            raise ValueError(f"{where}: checkpoint refers to a missing tensor {obj['__tensor__']!r}")
        return tensors[obj["__tensor__"]]
    if set(obj) == {"__tuple__"} and isinstance(obj["__tuple__"], list):
        return tuple(_unflatten(x, tensors, where) for x in obj["__tuple__"])
    if set(obj) == {"__float__"} and obj["__float__"] in ("inf", "-inf", "nan"):
        return float(obj["__float__"])
    if set(obj) == {"__items__"} and isinstance(obj["__items__"], list):
        out = {}
        for pair in obj["__items__"]:
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], (str, int))):
                raise ValueError(f"{where}: corrupt checkpoint state")
            out[pair[0]] = _unflatten(pair[1], tensors, where)
        return out
    raise ValueError(f"{where}: corrupt checkpoint state {json.dumps(obj)[:200]}")


_CKPT_KEY = "nnengine.checkpoint"


def save_checkpoint(path: str, model: Module, optimizer: Any = None, scheduler: Any = None, epoch: int = 0,
                    extra: Any = None) -> None:
    """Everything needed to resume training exactly: model, optimizer and scheduler state, the global
    RNG state (init, dropout, shuffling), the number of finished epochs and any JSON-able ``extra``
    (e.g. the History). Written atomically.

    Example:
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> opt = ne.optim.SGD(model.parameters(), lr=0.1)
        >>> save_checkpoint("run.ckpt", model, opt, epoch=5, extra={"best": 0.9})
        >>> load_checkpoint("run.ckpt", model, opt)["epoch"]
        5
    """
    tensors: Dict[str, np.ndarray] = {}
    for k, v in model.state_dict().items():
        tensors[f"model/{k}"] = v
    state = {
        "epoch": int(epoch),
        "rng": _flatten(_random.get_rng_state(), "rng", tensors),
        "optimizer": None if optimizer is None else _flatten(optimizer.state_dict(), "optimizer", tensors),
        "scheduler": None if scheduler is None else _flatten(scheduler.state_dict(), "scheduler", tensors),
        "extra": _flatten(extra, "extra", tensors),
    }
    meta = {_FORMAT_KEY: f"checkpoint/{FORMAT_VERSION}", _CKPT_KEY: json.dumps(state, allow_nan=False)}
    try:
        meta[_ARCH_KEY] = json.dumps(architecture(model), allow_nan=False)
    except ValueError:
        pass  # a user-defined model: the checkpoint still restores into an instance built in code
    save_file(tensors, path, meta)


def load_checkpoint(path: str, model: Module, optimizer: Any = None, scheduler: Any = None,
                    restore_rng: bool = True) -> Dict[str, Any]:
    """Restore a ``save_checkpoint`` file into ``model`` (and optimizer, scheduler, the global RNG).

    Returns ``{"epoch": finished epochs, "extra": ...}``; continue with ``fit(..., initial_epoch=epoch)``.

    Example:
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> opt = ne.optim.Adam(model.parameters())
        >>> save_checkpoint("run.ckpt", model, opt, epoch=2)
        >>> state = load_checkpoint("run.ckpt", model, opt); state["epoch"]
        2
    """
    tensors, meta = load_file(path)
    _check_format(path, meta, "checkpoint", _CKPT_KEY)
    try:
        state = json.loads(meta[_CKPT_KEY], object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError) as e:
        raise ValueError(f"{path}: corrupt checkpoint JSON ({e})") from None
    if not isinstance(state, dict) or not _is_int(state.get("epoch")):
        raise ValueError(f"{path}: corrupt checkpoint (no epoch)")
    weights = {k[len("model/"):]: v for k, v in tensors.items() if k.startswith("model/")}
    try:
        model.load_state_dict(weights, strict=True)
    except KeyError as e:
        raise ValueError(f"{path}: the checkpoint does not fit the model: {e}") from None
    try:
        return _restore(path, state, tensors, optimizer, scheduler, restore_rng)
    except (TypeError, KeyError, IndexError, AttributeError, ValueError) as e:  # well-formed, wrong contents
        if isinstance(e, ValueError) and str(e).startswith(path):
            raise
        raise ValueError(f"{path}: corrupt checkpoint state ({type(e).__name__}: {e})") from None


def _restore(path: str, state: Dict[str, Any], tensors: Mapping[str, np.ndarray], optimizer: Any, scheduler: Any,
             restore_rng: bool) -> Dict[str, Any]:
    if optimizer is not None:
        if state.get("optimizer") is None:
            raise ValueError(f"{path}: the checkpoint holds no optimizer state")
        optimizer.load_state_dict(_unflatten(state["optimizer"], tensors, path))
    if scheduler is not None:
        if state.get("scheduler") is None:
            raise ValueError(f"{path}: the checkpoint holds no scheduler state")
        scheduler.load_state_dict(_unflatten(state["scheduler"], tensors, path))
    if restore_rng:
        _random.set_rng_state(_unflatten(state["rng"], tensors, path))
    return {"epoch": state["epoch"], "extra": _unflatten(state.get("extra"), tensors, path)}
