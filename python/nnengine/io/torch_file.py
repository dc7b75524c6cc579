"""Reading files written by ``torch.save`` (the zip format torch writes since 1.6) without torch and without
running code: the checkpoints and pretrained weights (``.pt`` / ``.pth``) users already have.

The file's pickle is read by an unpickler whose only reachable globals are an allowlist, like torch's own
``weights_only=True`` loader: ``OrderedDict``/``Counter``, torch's tensor and parameter rebuild functions, its
storage classes and dtypes, ``torch.Size``, ``torch.device``, ``set``/``frozenset``/``bytearray``/``complex``,
bytes (``_codecs.encode``) and numpy scalars. Anything else (a whole pickled ``nn.Module``, a custom class,
``os.system``) is refused with ``pickle.UnpicklingError`` naming the global, before anything runs.

What comes back: tensors as nnengine ``Tensor``s (``nn.Parameter`` where torch saved a Parameter): float32,
float64, float16, integer and bool tensors keep their dtype, bfloat16 is widened to float32 (exact; numpy has
no bfloat16), complex ones are refused (nnengine has none); each tensor is a contiguous copy (two tensors that shared a storage in torch no longer share
memory); dicts, lists, tuples, numbers and strings as they were. Every storage's size is checked against its
zip entry, every view against its storage (corrupt or hostile files raise ``ValueError``).

Example:
    >>> sd = load_torch_file("resnet18.pth")                     # doctest: +SKIP
    >>> model.load_state_dict(sd)                                # doctest: +SKIP
"""

from __future__ import annotations

import _compat_pickle
import codecs
import io
import pickle
import pickletools
import struct
import zipfile
import zlib
from collections import Counter, OrderedDict
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

from ..nn.parameter import Parameter
from ..tensor import Size, Tensor, from_numpy

ZIP_MAGIC = b"PK\x03\x04"
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C  # the first pickle of torch's pre-1.6 format

# torch storage class / dtype name -> numpy dtype (bfloat16 -> float32, see _widen)
_STORAGES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16, "BFloat16Storage": "bf16",
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16, "CharStorage": np.int8,
    "ByteStorage": np.uint8, "BoolStorage": np.bool_, "ComplexFloatStorage": np.complex64,
    "ComplexDoubleStorage": np.complex128, "UntypedStorage": np.uint8,
}
_DTYPES = {
    "float32": np.float32, "float": np.float32, "float64": np.float64, "double": np.float64, "float16": np.float16,
    "half": np.float16, "bfloat16": "bf16", "int64": np.int64, "long": np.int64, "int32": np.int32, "int": np.int32,
    "int16": np.int16, "short": np.int16, "int8": np.int8, "uint8": np.uint8, "bool": np.bool_,
    "complex64": np.complex64, "cfloat": np.complex64, "complex128": np.complex128, "cdouble": np.complex128,
    "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
}


class RefusedPickle(pickle.UnpicklingError, ValueError):
    """A torch file's pickle asked for something a weights file may not hold (or is corrupt): torch's
    ``UnpicklingError`` and nnengine's ``ValueError`` for bad files at once.

    Example:
        >>> issubclass(RefusedPickle, pickle.UnpicklingError), issubclass(RefusedPickle, ValueError)
        (True, True)
    """


class _StorageType:
    """A torch storage class (``torch.FloatStorage``) or dtype (``torch.float32``) as its numpy element type."""

    def __init__(self, dtype: Any, name: str) -> None:
        self.dtype, self.name = dtype, name

    def itemsize(self) -> int:
        return 2 if self.dtype == "bf16" else np.dtype(self.dtype).itemsize


class _Storage:
    """A storage: its raw bytes (``None`` until read: the legacy format stores them after the pickle) and element
    type; or a byte range of another storage (a legacy storage view)."""

    def __init__(self, raw: Optional[bytes], kind: _StorageType, big_endian: bool,
                 root: Optional[_Storage] = None, start: int = 0, nbytes: int = 0) -> None:
        self._raw, self.kind, self.big_endian = raw, kind, big_endian
        self.root, self.start, self.nbytes = root, start, nbytes

    @property
    def raw(self) -> Optional[bytes]:
        if self.root is None:
            return self._raw
        whole = self.root.raw
        if whole is None:
            return None
        if self.start + self.nbytes > len(whole):
            raise ValueError(f"a storage view (bytes {self.start}..{self.start + self.nbytes}) reaches past its "
                             f"storage of {len(whole)} bytes")
        return whole[self.start:self.start + self.nbytes]

    def as_array(self, kind: _StorageType) -> np.ndarray:
        """The storage's elements as ``kind`` (a v3 tensor gives its dtype over an untyped storage)."""
        if len(self.raw) % kind.itemsize():
            raise ValueError(f"a storage of {len(self.raw)} bytes is not a whole number of {kind.name} elements")
        if kind.dtype == "bf16":  # the upper half of a float32: widening is exact
            u16 = np.frombuffer(self.raw, ">u2" if self.big_endian else "<u2").astype(np.uint32)
            return (u16 << 16).view(np.float32)
        dt = np.dtype(kind.dtype).newbyteorder(">" if self.big_endian else "<")
        return np.frombuffer(self.raw, dt).astype(np.dtype(kind.dtype), copy=False)


def _view(storage: Any, offset: Any, size: Any, stride: Any, kind: Optional[_StorageType] = None) -> np.ndarray:
    """The contiguous copy of the strided view ``(offset, size, stride)`` of a storage, bounds checked."""
    if not isinstance(storage, _Storage):
        raise ValueError(f"a tensor's storage must come from the file, got {type(storage).__name__}")
    flat = storage.as_array(kind or storage.kind)
    try:
        offset, size, stride = int(offset), tuple(int(s) for s in size), tuple(int(s) for s in stride)
    except (TypeError, ValueError):
        raise ValueError("a tensor's offset, size and stride must be integers") from None
    if len(size) != len(stride) or offset < 0 or any(s < 0 for s in size) or any(s < 0 for s in stride):
        raise ValueError(f"invalid tensor view: offset {offset}, size {size}, stride {stride}")
    if 0 in size:
        return np.zeros(size, flat.dtype)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= flat.size:
        raise ValueError(f"a tensor view (offset {offset}, size {size}, stride {stride}) reaches element {last} of a "
                         f"storage of {flat.size}")
    return np.array(np.lib.stride_tricks.as_strided(flat[offset:], size, [s * flat.itemsize for s in stride]))


def _tensor(a: np.ndarray, requires_grad: Any) -> Tensor:
    if a.dtype.kind == "c":
        raise ValueError(f"the file holds a {a.dtype} tensor of shape {a.shape}: nnengine has no complex tensors")
    t = from_numpy(a)
    if requires_grad is True and a.dtype.kind == "f":
        t.requires_grad_(True)
    return t


class _Pending:
    """A rebuild call whose storage bytes come later in the file (torch's legacy format): run by ``resolve``."""

    def __init__(self, fn: Callable[..., Any], args: Tuple[Any, ...]) -> None:
        self.fn, self.args = fn, args

    def run(self) -> Any:
        args = tuple(a.run() if isinstance(a, _Pending) else a for a in self.args)
        if any(isinstance(a, _Storage) and a.raw is None for a in args):
            raise ValueError("a tensor's storage is never stored in the file")
        return self.fn(*args)


def _deferrable(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` runs now, or later (a ``_Pending``) when one of its arguments waits for its storage bytes."""
    def call(*args: Any) -> Any:
        if any(isinstance(a, _Pending) or (isinstance(a, _Storage) and a.raw is None) for a in args):
            return _Pending(fn, args)
        return fn(*args)
    return call


def resolve(obj: Any, depth: int = 0) -> Any:
    """``obj`` with every ``_Pending`` rebuilt, through dicts, lists and tuples (in place where mutable).

    Example:
        >>> resolve({"a": [1, (2, 3)]})
        {'a': [1, (2, 3)]}
    """
    if depth > 200:
        raise ValueError("containers nested too deeply")
    if isinstance(obj, _Pending):
        return obj.run()
    if isinstance(obj, dict):
        for k, v in obj.items():
            obj[k] = resolve(v, depth + 1)
    elif isinstance(obj, list):
        obj[:] = [resolve(v, depth + 1) for v in obj]
    elif type(obj) is tuple:
        return tuple(resolve(v, depth + 1) for v in obj)
    return obj


def _rebuild_tensor(storage, offset, size, stride, *_ignored):  # torch._utils._rebuild_tensor
    return _tensor(_view(storage, offset, size, stride), False)


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None):
    return _tensor(_view(storage, offset, size, stride), requires_grad)


def _rebuild_tensor_v3(storage, offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
    if not isinstance(dtype, _StorageType):
        raise ValueError(f"a tensor's dtype must be a torch dtype, got {type(dtype).__name__}")
    return _tensor(_view(storage, offset, size, stride, dtype), requires_grad)


def _rebuild_parameter(data, requires_grad=True, backward_hooks=None, state=None):
    if not isinstance(data, Tensor):
        raise ValueError(f"a Parameter's data must be a tensor, got {type(data).__name__}")
    return Parameter(data, requires_grad=bool(requires_grad))


def _rebuild_from_type_v2(func, new_type, args, state):  # tensor subclasses: rebuilt as the plain tensor
    if not callable(func) or not isinstance(args, tuple):
        raise ValueError("invalid tensor subclass record")
    return func(*args)


def _encode(text: str, encoding: str = "latin1") -> bytes:  # how protocol 2 pickles bytes
    if encoding != "latin1" or not isinstance(text, str):
        raise RefusedPickle("_codecs.encode is only allowed for latin1 bytes")
    return codecs.encode(text, "latin1")


def _numpy_scalar(dtype: Any, data: Any = None) -> Any:
    if not isinstance(dtype, np.dtype) or dtype.hasobject:
        raise RefusedPickle("only numeric numpy scalars may be loaded")
    if not isinstance(data, (bytes, bytearray)) or len(data) != dtype.itemsize:
        raise ValueError(f"a numpy {dtype} scalar needs {dtype.itemsize} bytes of data")
    return np.frombuffer(bytes(data), dtype).copy()[0]


def _numpy_dtype(name: Any, align: Any = False, copy: Any = True) -> np.dtype:
    dt = np.dtype(name)
    if dt.hasobject:
        raise RefusedPickle("numpy object dtypes are not loaded")
    return dt


def _marker(name: str) -> Callable[..., Any]:
    def refuse(*_a: Any, **_k: Any) -> Any:
        raise RefusedPickle(f"{name} may only appear as a tensor type marker")
    return refuse


def _globals() -> Dict[Tuple[str, str], Any]:
    g: Dict[Tuple[str, str], Any] = {
        ("collections", "OrderedDict"): OrderedDict, ("collections", "Counter"): Counter,
        ("torch._utils", "_rebuild_tensor"): _deferrable(_rebuild_tensor),
        ("torch._utils", "_rebuild_tensor_v2"): _deferrable(_rebuild_tensor_v2),
        ("torch._utils", "_rebuild_tensor_v3"): _deferrable(_rebuild_tensor_v3),
        ("torch._utils", "_rebuild_parameter"): _deferrable(_rebuild_parameter),
        ("torch._utils", "_rebuild_parameter_with_state"): _deferrable(_rebuild_parameter),
        ("torch._tensor", "_rebuild_from_type_v2"): _deferrable(_rebuild_from_type_v2),
        ("torch", "Tensor"): _marker("torch.Tensor"), ("torch._tensor", "Tensor"): _marker("torch.Tensor"),
        ("torch.nn.parameter", "Parameter"): _marker("torch.nn.Parameter"),
        ("torch", "Size"): lambda dims=(): Size(int(d) for d in dims), ("torch", "device"): lambda *a: str(a[0]) if a else "cpu",
        ("_codecs", "encode"): _encode, ("builtins", "set"): set, ("builtins", "frozenset"): frozenset,
        ("builtins", "bytearray"): bytearray, ("builtins", "complex"): complex,
        ("numpy.core.multiarray", "scalar"): _numpy_scalar, ("numpy._core.multiarray", "scalar"): _numpy_scalar,
        ("numpy", "dtype"): _numpy_dtype,
    }
    for name, dt in _STORAGES.items():
        g[("torch", name)] = _StorageType(dt, name)
    g[("torch.storage", "UntypedStorage")] = _StorageType(np.uint8, "UntypedStorage")
    for name, dt in _DTYPES.items():
        g[("torch", name)] = _StorageType(dt, name)
    return g


_ALLOWED = _globals()


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: Any, load_storage: Callable[[Any], _Storage]) -> None:
        super().__init__(io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data)
        self._load_storage = load_storage

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _compat_pickle.NAME_MAPPING:  # protocol 2 names Python 2 modules, as pickle maps them
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        hit = _ALLOWED.get((module, name))
        if hit is None:
            raise RefusedPickle(
                f"{module}.{name} is not allowed in a weights file (nnengine loads torch files like "
                "torch.load(weights_only=True): tensors, state dicts and plain containers; a whole pickled model "
                "or a custom class is refused: save its state_dict() instead)")
        return hit

    def persistent_load(self, pid: Any) -> Any:
        return self._load_storage(pid)


# protocol 5's out-of-band buffer opcodes: torch never writes them (it pickles with protocol 2), and a damaged
# pickle using them can leave a bytearray with an exported buffer behind in CPython's unpickler
_REFUSED_OPCODES = {"BYTEARRAY8", "NEXT_BUFFER", "READONLY_BUFFER"}


def _check_opcodes(data: Any) -> None:
    """Walk the pickle's opcodes once before running it (bytes, or a file object read up to the pickle's STOP):
    malformed streams and protocol-5 buffers are refused."""
    try:
        for op, _arg, _pos in pickletools.genops(data):
            if op.name in _REFUSED_OPCODES:
                raise RefusedPickle(f"pickle opcode {op.name} is not allowed in a weights file")
    except RefusedPickle:
        raise
    except Exception as e:  # genops raises ValueError on most damage, others on some
        raise ValueError(f"corrupt torch.save file (the pickle does not parse: {type(e).__name__}: {e})") from None


def is_torch_zip(head: bytes) -> bool:
    """Whether a file starting with ``head`` is a zip archive (torch.save's format).

    Example:
        >>> is_torch_zip(b"PK\x03\x04..."), is_torch_zip(b"{}")
        (True, False)
    """
    return head[:4] == ZIP_MAGIC


def is_torch_legacy(head: bytes) -> bool:
    """Whether a file starting with ``head`` is torch's pre-1.6 pickle format (its magic number pickled first).

    Example:
        >>> is_torch_legacy(pickle.dumps(LEGACY_MAGIC, protocol=2)), is_torch_legacy(b"PK")
        (True, False)
    """
    return head.startswith(_LEGACY_HEAD)


_LEGACY_HEAD = pickle.dumps(LEGACY_MAGIC, protocol=2)


def load_torch_file(f: Any) -> Any:
    """Read a ``torch.save`` zip file (path or bytes) into nnengine objects; see the module docstring.

    Example:
        >>> load_torch_file("checkpoint.pt")["epoch"]                # doctest: +SKIP
        12
    """
    src = io.BytesIO(f) if isinstance(f, (bytes, bytearray)) else f
    try:
        zf = zipfile.ZipFile(src)
    except _ZIP_ERRORS + (ValueError,) as e:
        raise ValueError(f"not a readable torch.save zip file ({type(e).__name__}: {e})") from None
    try:
        with zf:
            return _read_archive(zf)
    except _ZIP_ERRORS as e:
        raise ValueError(f"corrupt torch.save file ({type(e).__name__}: {e})") from None


# what zipfile raises on a damaged archive besides ValueError (an unsupported "version", a huge size...)
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, OverflowError,
               MemoryError, struct.error)


def _read_archive(zf: zipfile.ZipFile) -> Any:
    names = zf.namelist()
    pkl = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
    if len(pkl) != 1:
        raise ValueError(f"not a torch.save file: expected one '<archive>/data.pkl' entry, found {len(pkl)}")
    prefix = pkl[0][: -len("data.pkl")]
    big = False
    if prefix + "byteorder" in names:
        order = zf.read(prefix + "byteorder")
        if order not in (b"little", b"big"):
            raise ValueError(f"unknown byte order {order[:16]!r}")
        big = order == b"big"
    loaded: Dict[str, _Storage] = {}

    def load_storage(pid: Any) -> _Storage:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] in ("storage", b"storage")):
            raise ValueError(f"unknown persistent record {str(pid)[:60]}")
        _, kind, key, _location, numel = pid
        if not isinstance(kind, _StorageType) or not isinstance(key, (str, bytes)) or not isinstance(numel, int):
            raise ValueError(f"invalid storage record {str(pid)[:60]}")
        key = key.decode() if isinstance(key, bytes) else key
        if key not in loaded:
            entry = f"{prefix}data/{key}"
            try:
                info = zf.getinfo(entry)
            except KeyError:
                raise ValueError(f"storage {key!r} is missing from the archive") from None
            nbytes = numel * kind.itemsize()
            if numel < 0 or info.file_size != nbytes:
                raise ValueError(f"storage {key!r}: the archive holds {info.file_size} bytes, the record says "
                                 f"{numel} x {kind.itemsize()}")
            loaded[key] = _Storage(zf.read(entry), kind, big)
        return loaded[key]

    data = zf.read(pkl[0])
    _check_opcodes(data)
    return guarded(lambda: _Unpickler(data, load_storage).load())


def guarded(load: Callable[[], Any]) -> Any:
    """``load()`` with what a damaged pickle raises mapped to ``ValueError`` (``RefusedPickle`` for pickle's own
    errors), so a bad file never escapes as another exception type.

    Example:
        >>> guarded(lambda: 3)
        3
    """
    try:
        return load()
    except UnicodeDecodeError as e:  # a ValueError, but its constructor is not (message)
        raise ValueError(f"corrupt torch.save file (UnicodeDecodeError: {e})") from None
    except ValueError:
        raise
    except pickle.UnpicklingError as e:
        raise RefusedPickle(f"corrupt torch.save file ({e})") from None
    except (EOFError, TypeError, KeyError, IndexError, AttributeError, zipfile.BadZipFile, OverflowError,
            MemoryError, RecursionError, struct.error) as e:
        raise ValueError(f"corrupt torch.save file ({type(e).__name__}: {e})") from None
