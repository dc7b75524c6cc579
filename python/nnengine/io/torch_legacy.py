"""Reading torch's pre-1.6 ``torch.save`` format (also written by ``_use_new_zipfile_serialization=False``), as
old checkpoints and model-zoo weights use it, with the same allowlisted unpickler as the zip format
(``nnengine.io.torch_file``): never running code.

The file is a sequence: four pickles (the magic number, protocol 1001, the saving machine's byte order and type
sizes, then the object, whose storages are persistent ids ``('storage', type, key, location, numel, view)``),
the list of storage keys, and each storage's bytes (an int64 element count, then the elements in the saving
machine's byte order). Tensors are rebuilt once their storage's bytes have been read.

Example:
    >>> load_torch_legacy(open("old_resnet.pth", "rb").read())    # doctest: +SKIP
"""

from __future__ import annotations

import io
import struct
from typing import Any, Dict

from .torch_file import (
    LEGACY_MAGIC,
    RefusedPickle,
    _check_opcodes,
    _Storage,
    _StorageType,
    _Unpickler,
    guarded,
    resolve,
)

LEGACY_PROTOCOL = 1001


def _plain(f: io.BytesIO, what: str) -> Any:
    """One pickle of plain data (no globals, no storages) from ``f``."""
    def no_storage(pid: Any) -> Any:
        raise ValueError(f"unexpected storage in the {what}")
    pos = f.tell()
    _check_opcodes(f)
    f.seek(pos)
    return _Unpickler(f, no_storage).load()


def load_torch_legacy(data: bytes) -> Any:
    """Read a legacy-format ``torch.save`` file's bytes into nnengine objects (see ``load_torch_file``).

    Example:
        >>> load_torch_legacy(b"not a torch file")
        Traceback (most recent call last):
        ValueError: not a legacy torch.save file (corrupt torch.save file (the pickle does not parse: ValueError: at position 0, opcode b'n' unknown))
    """
    return guarded(lambda: _load(data))


def _load(data: bytes) -> Any:
    f = io.BytesIO(data)
    try:
        magic = _plain(f, "header")
    except ValueError as e:
        raise ValueError(f"not a legacy torch.save file ({e})") from None
    if magic != LEGACY_MAGIC:
        raise ValueError("not a legacy torch.save file (wrong magic number)")
    if _plain(f, "header") != LEGACY_PROTOCOL:
        raise ValueError(f"unsupported legacy torch.save protocol (expected {LEGACY_PROTOCOL})")
    info = _plain(f, "header")
    little = info.get("little_endian", True) if isinstance(info, dict) else True
    storages: Dict[str, _Storage] = {}
    counts: Dict[str, int] = {}

    def load_storage(pid: Any) -> _Storage:
        if isinstance(pid, tuple) and pid and pid[0] in ("module", b"module"):
            raise RefusedPickle("a whole pickled module is not allowed in a weights file: save its state_dict()")
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] in ("storage", b"storage")):
            raise ValueError(f"unknown persistent record {str(pid)[:60]}")
        _, kind, key, _location, numel, view = pid
        if not isinstance(kind, _StorageType) or not isinstance(key, (str, bytes)) or not isinstance(numel, int):
            raise ValueError(f"invalid storage record {str(pid)[:60]}")
        key = key.decode() if isinstance(key, bytes) else key
        if key not in storages:
            storages[key], counts[key] = _Storage(None, kind, not little), numel
        root = storages[key]
        if view is None:
            return root
        if not (isinstance(view, tuple) and len(view) == 3 and all(isinstance(v, (int, str)) for v in view)):
            raise ValueError(f"invalid storage view {str(view)[:60]}")
        _view_key, offset, size = view
        if not isinstance(offset, int) or not isinstance(size, int) or offset < 0 or size < 0:
            raise ValueError(f"invalid storage view {str(view)[:60]}")
        width = root.kind.itemsize()
        return _Storage(None, root.kind, not little, root=root, start=offset * width, nbytes=size * width)

    pos = f.tell()
    _check_opcodes(f)
    f.seek(pos)
    obj = _Unpickler(f, load_storage).load()
    keys = _plain(f, "storage key list")
    if not isinstance(keys, list):
        raise ValueError("corrupt legacy torch.save file (no storage key list)")
    for key in keys:
        st = storages.get(key.decode() if isinstance(key, bytes) else str(key))
        if st is None:
            raise ValueError(f"corrupt legacy torch.save file (storage {str(key)[:20]!r} has no record)")
        head = f.read(8)
        if len(head) != 8:
            raise ValueError(f"storage {str(key)[:20]!r} is truncated (its element count is cut off)")
        count = struct.unpack("<q" if little else ">q", head)[0]
        nbytes = count * st.kind.itemsize()
        if count != counts[str(key)] or count < 0:
            raise ValueError(f"storage {str(key)[:20]!r}: the file holds {count} elements, the record says "
                             f"{counts[str(key)]}")
        raw = f.read(nbytes)
        if len(raw) != nbytes:
            raise ValueError(f"storage {str(key)[:20]!r} is truncated ({len(raw)} of {nbytes} bytes)")
        st._raw = raw
    return resolve(obj)
