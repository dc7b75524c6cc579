"""Backend control: which instruction set the kernels use, threads, and build facts.

Example:
    >>> ne.backend.isa() in ne.backend.available_isas()
    True
    >>> with ne.backend.use_isa("baseline"):
    ...     y = ne.randn(4, 4) @ ne.randn(4, 4)
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import os
from typing import Dict, Iterator, List, Optional, Tuple, Union


def _missing_core_error(name: str = "_core") -> Optional[ImportError]:
    """A clear ImportError when this package folder lacks the compiled extension ``name`` (None otherwise)."""
    folder = os.path.dirname(os.path.abspath(__file__))
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    if any(name + suffix in names for suffix in importlib.machinery.EXTENSION_SUFFIXES):
        return None  # the extension is there but failed to load: the original error says why
    others = sorted(n for n in names if n.startswith(name + ".") and n.endswith((".so", ".pyd")))
    other_note = (f" (found {', '.join(others)}, built for another Python version)" if others else "")
    return ImportError(
        f"nnengine's compiled extension ({name}) is missing from {folder}{other_note}. This is a source "
        "tree without an in-place build: `pip install .` puts the extension into site-packages, not here, "
        "so `PYTHONPATH=python` (which selects the in-tree build) finds nothing to load. Either drop "
        "PYTHONPATH=python to use the installed package, or build the extension in place with README.md's "
        "dev loop: cmake -S . -B build/dev -G Ninja "
        "-Dpybind11_DIR=$(python -c \"import pybind11;print(pybind11.get_cmake_dir())\") && ninja -C build/dev "
        "(or `pip install -e .`).")


try:
    from . import _core, _tape  # noqa: F401  (the kernels; the tape's typed core, used by autograd)
except ImportError as _exc:
    _err = _missing_core_error("_core") or _missing_core_error("_tape")
    if _err is None:
        raise
    raise _err from _exc


def isa() -> str:
    """The instruction set the kernels currently run with.

    Example:
        >>> ne.backend.isa() in ("baseline", "avx2", "avx512")
        True
    """
    return _core.isa()


def available_isas() -> List[str]:
    """Instruction sets supported by this CPU, OS and build, lowest first.

    Example:
        >>> ne.backend.available_isas()[0]
        'baseline'
    """
    return list(_core.available_isas())


def set_isa(name: str) -> None:
    """Select the kernels' instruction set (must be in ``available_isas()``).

    Example:
        >>> old = ne.backend.isa()
        >>> ne.backend.set_isa("baseline"); ne.backend.isa()
        'baseline'
        >>> ne.backend.set_isa(old)
    """
    if not isinstance(name, str):
        raise TypeError(f"name: expected a str, got {type(name).__name__}")
    _core.set_isa(name)


@contextlib.contextmanager
def use_isa(name: str) -> Iterator[None]:
    """Temporarily run the kernels with instruction set ``name``.

    Example:
        >>> with ne.backend.use_isa("baseline"):
        ...     print(ne.backend.isa())
        baseline
    """
    prev = isa()
    set_isa(name)
    try:
        yield
    finally:
        set_isa(prev)


def set_num_threads(n: int) -> None:
    """Number of threads the kernels use (default: OMP_NUM_THREADS or the core count).

    Example:
        >>> old = ne.get_num_threads()
        >>> ne.set_num_threads(1); ne.get_num_threads()
        1
        >>> ne.set_num_threads(old)
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n: expected an int, got {type(n).__name__}")
    if n < 1:
        raise ValueError(f"n: expected a thread count >= 1, got {n}")
    _core.set_num_threads(n)


def get_num_threads() -> int:
    """The number of threads the kernels use.

    Example:
        >>> ne.backend.get_num_threads() >= 1
        True
    """
    return int(_core.get_num_threads())


@contextlib.contextmanager
def num_threads(n: int) -> Iterator[None]:
    """Temporarily use ``n`` threads.

    Example:
        >>> with ne.backend.num_threads(1):
        ...     print(ne.get_num_threads())
        1
    """
    prev = get_num_threads()
    set_num_threads(n)
    try:
        yield
    finally:
        set_num_threads(prev)


def cache_info() -> dict:
    """Cache sizes the kernels block for, and the GEMM blocking derived from them.

    Sizes are bytes (L1d and L2 per core, L3 per package), read from cpuid (leaf 4 on Intel, 0x8000001D
    on AMD), else ``sysconf``, else defaults; ``NNENGINE_CACHE="l1=32K,l2=512K,l3=16M"`` overrides them
    at start-up and :func:`set_cache_sizes` at run time. ``source`` says which applied.

    Example:
        >>> import nnengine as ne
        >>> info = ne.backend.cache_info()
        >>> info["l1d"] <= info["l2"] and info["gemm_kc"] >= 64
        True
    """
    return dict(_core.cache_info())


def set_cache_sizes(l1d: Optional[int] = None, l2: Optional[int] = None, l3: Optional[int] = None) -> None:
    """Block the kernels for these cache sizes (bytes; ``None`` keeps the detected size).

    With no argument, returns to the detected sizes (and ``NNENGINE_CACHE``). For experiments and
    tests: the blocking changes speed and, through the GEMM's k-blocking, the last bits of results.

    Example:
        >>> import nnengine as ne
        >>> ne.backend.set_cache_sizes(l1d=48 << 10, l2=2 << 20)  # a Sapphire Rapids core
        >>> ne.backend.cache_info()["gemm_kc"], ne.backend.cache_info()["gemm_nc"]
        (384, 672)
        >>> ne.backend.set_cache_sizes()  # back to this CPU's
    """
    if l1d is None and l2 is None and l3 is None:
        _core.reset_cache_sizes()
        return
    sizes = []
    for name, v in (("l1d", l1d), ("l2", l2), ("l3", l3)):
        if v is None:
            sizes.append(0)
            continue
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{name}: expected an int (bytes) or None, got {type(v).__name__}")
        if not 1 <= v <= 1 << 40:
            raise ValueError(f"{name}: expected 1 to 2**40 bytes, got {v}")
        sizes.append(v)
    _core.set_cache_sizes(*sizes)


def winograd_mode() -> str:
    """conv2d's Winograd mode for stride-1 3x3 layers: ``"f2"``, ``"f4"`` or ``"off"``.

    ``"f2"`` (the default) runs F(2x2, 3x3) on layers with >= 128 channels on both sides: 2.25x fewer
    multiplications, rounding like the direct sums'. ``"f4"`` runs F(4x4, 3x3) from 32 channels: 4x fewer
    multiplications and the fastest, but rounding errors about 10x the direct sums' (outside
    ``torch.testing.assert_close``'s float32 defaults on wide layers). conv3d's stride-1 3x3x3 layers with >= 16
    channels on both sides run F(2x2x2, 3x3x3) in either mode (3.4x fewer multiplications, rounding like the
    direct sums'). ``"off"`` keeps the direct and im2col + GEMM paths. ``NNENGINE_WINOGRAD`` sets it at start-up.

    Example:
        >>> import nnengine as ne
        >>> ne.backend.winograd_mode() in ("f2", "f4", "off")
        True
    """
    return str(_core.winograd_mode())


def set_winograd_mode(mode: Optional[str] = None) -> None:
    """Use Winograd mode ``"f2"``, ``"f4"`` or ``"off"`` (see :func:`winograd_mode`); ``None`` returns to
    ``NNENGINE_WINOGRAD`` (or the default ``"f2"``). Changes speed and the last bits of wide 3x3 layers.

    Example:
        >>> import nnengine as ne
        >>> ne.backend.set_winograd_mode("f4")
        >>> ne.backend.conv2d_algorithm((8, 64, 28, 28), (64, 64, 3, 3), padding=1)["forward"]
        'winograd'
        >>> ne.backend.set_winograd_mode()
    """
    if mode is None:
        _core.reset_winograd_mode()
        return
    if not isinstance(mode, str):
        raise TypeError(f"mode: expected 'f2', 'f4', 'off' or None, got {type(mode).__name__}")
    _core.set_winograd_mode(mode)


def conv2d_algorithm(
    x_shape: Tuple[int, int, int, int],
    w_shape: Tuple[int, int, int, int],
    stride: Union[int, Tuple[int, int]] = 1,
    padding: Union[int, Tuple[int, int]] = 0,
    dilation: Union[int, Tuple[int, int]] = 1,
    groups: int = 1,
    bf16: bool = False,
) -> Dict[str, str]:
    """The algorithm each conv2d operation runs on these shapes (at the current ISA and cache sizes).

    One of ``"winograd"`` (wide stride-1 3x3 layers, in the variant :func:`winograd_mode` names),
    ``"direct_lanes"``, ``"direct"`` or ``"gemm"`` (im2col + GEMM) for ``"forward"``, ``"backward_data"`` and
    ``"backward_weights"``. ``bf16=True`` (autocast): the GEMM takes Winograd's shapes; the direct kernels run on
    operands rounded to bf16.

    Example:
        >>> import nnengine as ne
        >>> ne.backend.conv2d_algorithm((32, 256, 14, 14), (256, 256, 3, 3), padding=1)["forward"]
        'winograd'
        >>> ne.backend.conv2d_algorithm((8, 3, 224, 224), (64, 3, 7, 7), stride=2, padding=3)["backward_data"]
        'gemm'
    """

    def pair(v, name):
        if isinstance(v, bool) or not isinstance(v, (int, tuple, list)):
            raise TypeError(f"{name}: expected an int or a pair of ints, got {type(v).__name__}")
        return (v, v) if isinstance(v, int) else tuple(v)

    return dict(_core.conv2d_algorithm(tuple(x_shape), tuple(w_shape), pair(stride, "stride"),
                                       pair(padding, "padding"), pair(dilation, "dilation"), groups, bf16))


def build_info() -> dict:
    """Build options of the compiled extension.

    Example:
        >>> isinstance(ne.backend.build_info(), dict)
        True
    """
    return dict(_core.build_info())
