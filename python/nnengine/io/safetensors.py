"""The safetensors codec: named arrays and str -> str metadata in one file, written atomically.

The layout (never pickle): an 8-byte little-endian header length, a UTF-8 JSON header
``{name: {"dtype", "shape", "data_offsets"}}`` plus ``"__metadata__"`` (str -> str), then the raw
little-endian bytes, contiguous and without holes; the files open with the ``safetensors`` library and
``torch`` too. Writes are atomic (``atomic_write``: a temporary file in the same folder, flush, fsync,
``os.replace``), so a crash mid-save leaves the previous file intact. Corrupt, truncated or hostile files
raise ``ValueError`` naming the problem. This module knows nothing of Modules: ``nnengine.io.model`` and
``nnengine.io.checkpoint`` store their structure in the metadata.

Example:
    >>> save_file({"w": np.arange(6, dtype=np.float32).reshape(2, 3)}, "w.safetensors", {"note": "demo"})
    >>> arrays, meta = load_file("w.safetensors"); arrays["w"][1], meta
    (array([3., 4., 5.], dtype=float32), {'note': 'demo'})
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
import tempfile
from collections import OrderedDict
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

import numpy as np

from .._coerce import as_array

__all__ = ["save_file", "load_file", "read_metadata", "atomic_write"]

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

    Example:
        >>> atomic_write("notes.txt", [b"first chunk, ", b"second chunk"])
        >>> open("notes.txt", "rb").read()
        b'first chunk, second chunk'
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
    arr = as_array(value)
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
    # Every tensor entry names the key "data_offsets": counting it (a C-speed scan) rejects a header of a
    # million tiny entries before json builds a million dicts (seconds and hundreds of MB). The count after
    # parsing below stays the rule (a key spelt with escapes is not counted here).
    listed = raw.count(b'"data_offsets"')
    if listed > MAX_TENSORS:
        raise ValueError(f"{where}: {listed} tensors in the header (limit {MAX_TENSORS})")
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

