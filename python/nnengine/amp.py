"""Mixed precision: ``nnengine.autocast("bf16")``, torch.autocast's contract on the CPU.

Inside the context, the matrix products of ``Linear`` / ``F.linear``, ``matmul`` / ``@``, ``Conv1d/2d`` (on
their GEMM path), ``ConvTranspose1d/2d`` and the gate products of ``LSTM`` / ``GRU`` / ``RNN`` and their cells
take their float32 inputs rounded to bfloat16 and sum the products in float32 (AMX-BF16 tiles where the CPU has
them, else AVX512-BF16 ``vdpbf16ps``), forward and backward; everything else (activations, normalization, losses, the recurrent states, the optimizer
and its state, the master weights, bias gradients) stays float32. Tensors stay float32 arrays: unlike torch, an
autocast output is not rounded to bf16, so it is at least as accurate as torch's.

Not yet in bf16 (they run float32 inside the context): attention, the streaming adapters (``nnengine.stream``),
and compiled modules (``nnengine.compile`` plans are float32, so a compiled module called inside autocast runs its
original module eagerly, in bf16 where listed above).

The state is per thread, like torch's. Where the CPU has no bf16 kernel (neither AVX512-BF16 nor AMX-BF16, or
``NNENGINE_MAX_ISA`` below avx512), entering ``autocast("bf16")`` raises ``RuntimeError`` saying why.

Example:
    >>> import nnengine as ne
    >>> lin = ne.nn.Linear(4, 2)
    >>> if ne.amp.bf16_available():
    ...     with ne.autocast("cpu", dtype=ne.bfloat16):
    ...         y = lin(ne.ones(3, 4))
    ...     print(y.dtype, ne.is_autocast_enabled())
    ... else:
    ...     print("float32 False")
    float32 False
"""

from __future__ import annotations

import functools
import threading
import warnings
import weakref
from typing import Any, Callable, Optional

import numpy as np

from . import _core, _tape

__all__ = ["autocast", "bfloat16", "bf16_available", "is_autocast_enabled", "get_autocast_dtype",
           "GradScaler"]


class _BFloat16:
    """``ne.bfloat16``: torch's ``torch.bfloat16`` as a compute precision for :class:`autocast`. nnengine
    stores tensors as numpy arrays, which have no bf16 type, so a tensor cannot be converted to it.

    Example:
        >>> import nnengine as ne
        >>> ne.bfloat16, ne.bfloat16.itemsize, ne.bfloat16.is_floating_point
        (nnengine.bfloat16, 2, True)
    """

    itemsize = 2
    is_floating_point = True
    is_complex = False
    is_signed = True

    def __repr__(self) -> str:
        return "nnengine.bfloat16"

    def __reduce__(self) -> str:
        return "bfloat16"


bfloat16 = _BFloat16()
_DTYPE_NAMES = frozenset({"bf16", "bfloat16", "torch.bfloat16"})

_state = threading.local()  # .bf16: autocast("bf16") is on in this thread
_entered = [0]  # contexts entered in any thread: 0 lets the hot paths skip the thread-local read


def _bf16_on() -> bool:
    """True inside an enabled ``autocast("bf16")`` of this thread (what the kernels' callers read)."""
    return _entered[0] > 0 and getattr(_state, "bf16", False)


#: Writes to trainable leaves' arrays that the tape does not see: optimizer steps (``Optimizer.step``), numpy's
#: in-place operators and item assignment on a parameter's ``.data`` (``nn.parameter.ParameterData``). A cached
#: cast (below) made before the count changed is made again.
_weight_writes = [0]


def note_weight_write() -> None:
    """Count a write to trainable leaves' arrays made outside the tape: autocast's cached casts of weights are
    made again after it.

    Example:
        >>> note_weight_write()
    """
    _weight_writes[0] += 1


def bf16_bits(a: Any) -> np.ndarray:
    """The bfloat16 bits (uint16) of float32 values rounded as the kernels round (ties to even, NaN quieted:
    ``cpp/kernels/bf16_round.h``).

    Example:
        >>> bf16_bits(np.array([1.0, 1.0 + 2.0 ** -8, -2.0], np.float32)).tolist()
        [16256, 16256, 49152]
    """
    return _core.bf16_bits(np.require(a, np.float32, ("C", "A")))


_cache = threading.local()  # .depth: this thread's entered autocast contexts; .casts: {id(array): entry} or None


def cached_bf16_bits(w: np.ndarray) -> Optional[np.ndarray]:
    """``bf16_bits(w)`` of a trainable leaf's array (a Parameter's weight) inside ``autocast``, made once per
    region as torch's autocast cache does (``cache_enabled``): kept until this thread's outermost context exits and
    made again when the weight was written since (an in-place tensor op, an optimizer step, numpy writes into
    ``p.data``); None outside a caching region or for any other array (plain arrays have no such tracking).

    Example:
        >>> w = ne.nn.Parameter(ne.ones(2)).data
        >>> cached_bf16_bits(w) is None
        True
    """
    casts = getattr(_cache, "casts", None)
    if casts is None or type(w) is np.ndarray or not w.flags.c_contiguous:
        return None
    e = casts.get(id(w))
    if e is not None and e[0]() is w and e[1] == _weight_writes[0] and not _tape.written_since(w, e[2]):
        return e[3]
    for k in [k for k, v in casts.items() if v[0]() is None]:  # weights dropped since (``p.data = new``)
        del casts[k]
    bits = bf16_bits(w)
    casts[id(w)] = (weakref.ref(w), _weight_writes[0], _tape.mutation_epoch(), bits)
    return bits


def bf16_available() -> bool:
    """True when this CPU (and the active ISA) has bf16 kernels, i.e. ``autocast("bf16")`` can be entered.

    Example:
        >>> import nnengine as ne
        >>> isinstance(ne.amp.bf16_available(), bool)
        True
    """
    return _core.bf16_unavailable_reason() == ""


def is_autocast_enabled(device_type: Optional[str] = None) -> bool:
    """torch's ``is_autocast_enabled``: whether an enabled autocast context is active in this thread.

    Example:
        >>> import nnengine as ne
        >>> ne.is_autocast_enabled()
        False
    """
    if device_type not in (None, "cpu"):
        return False
    return _bf16_on()


def get_autocast_dtype(device_type: str = "cpu") -> _BFloat16:
    """torch's ``get_autocast_dtype``: the precision autocast uses on the CPU (always ``ne.bfloat16``).

    Example:
        >>> import nnengine as ne
        >>> ne.get_autocast_dtype("cpu")
        nnengine.bfloat16
    """
    if device_type != "cpu":
        raise ValueError(f"device_type: nnengine runs on the CPU only, expected 'cpu', got {device_type!r}")
    return bfloat16


def _precision(device_type: Any, dtype: Any) -> None:
    """Checks autocast's arguments: ``("bf16")``, ``("cpu")``, ``("cpu", dtype=bfloat16)``, ``(dtype=...)``."""
    if device_type is not None and not isinstance(device_type, str):
        raise TypeError(f"device_type: expected 'cpu' or 'bf16', got {type(device_type).__name__}")
    if isinstance(device_type, str) and device_type not in {"cpu"} | _DTYPE_NAMES:
        raise ValueError(f"device_type: expected 'cpu' or 'bf16' (nnengine runs on the CPU), got {device_type!r}")
    if dtype is not None and dtype is not bfloat16 and str(dtype) not in _DTYPE_NAMES:
        raise ValueError(f"dtype: autocast on the CPU supports bfloat16 only (ne.bfloat16 or 'bf16'), got {dtype!r}")


class autocast:  # noqa: N801 (torch's name)
    """``with ne.autocast("bf16"):`` (or torch's spellings ``autocast("cpu", dtype=ne.bfloat16)``,
    ``autocast(device_type="cpu")``): matrix products in bf16 with float32 sums, see :mod:`nnengine.amp`.
    Also a decorator. ``enabled=False`` turns autocast off inside an enclosing context; contexts nest and
    restore the previous state on exit, per thread. ``cache_enabled`` (default True), as torch's: the outermost
    context keeps the bf16 casts of trainable weights that products of a few rows (batch-1..4 inference) read,
    until it exits (:func:`cached_bf16_bits`); False converts them on every call.

    Example:
        >>> import nnengine as ne
        >>> with ne.autocast("cpu", enabled=False):
        ...     ne.is_autocast_enabled()
        False
    """

    def __init__(self, device_type: Any = "cpu", dtype: Any = None, enabled: bool = True,
                 cache_enabled: Optional[bool] = None) -> None:
        if not isinstance(enabled, bool):
            raise TypeError(f"enabled: expected a bool, got {type(enabled).__name__}")
        if device_type == "cuda":  # a GPU program on this CPU: torch's warning, and autocast off
            warnings.warn("User provided device_type of 'cuda', but CUDA is not available. Disabling",
                          UserWarning, stacklevel=2)
            device_type, dtype, enabled = "cpu", None, False
        _precision(device_type, dtype)
        self.device_type = "cpu"
        self.fast_dtype = bfloat16
        self._enabled = enabled
        if cache_enabled is not None and not isinstance(cache_enabled, bool):
            raise TypeError(f"cache_enabled: expected a bool or None, got {type(cache_enabled).__name__}")
        self._cache_enabled = cache_enabled is not False
        self._prev: list = []

    def __enter__(self) -> autocast:
        if self._enabled:
            reason = _core.bf16_unavailable_reason()
            if reason:
                raise RuntimeError(f"autocast('bf16'): {reason}")
        self._prev.append(getattr(_state, "bf16", False))
        _state.bf16 = self._enabled
        _entered[0] += 1
        depth = getattr(_cache, "depth", 0)
        _cache.depth = depth + 1
        if depth == 0:
            _cache.casts = {} if self._cache_enabled else None
        return self

    def __exit__(self, *exc: Any) -> None:
        _state.bf16 = self._prev.pop()
        _entered[0] -= 1
        _cache.depth -= 1
        if _cache.depth == 0:  # the outermost context: torch clears its cast cache here too
            _cache.casts = None

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with autocast(self.device_type, self.fast_dtype, self._enabled, self._cache_enabled):
                return fn(*args, **kwargs)
        return wrapper


class GradScaler:
    """torch's ``GradScaler`` for programs written for float16 on a GPU: bf16 has float32's exponent range,
    so no loss scaling is needed and this scaler passes everything through (``scale(loss)`` is ``loss``,
    ``step(opt)`` is ``opt.step()``), as torch's does when disabled.

    Example:
        >>> import nnengine as ne
        >>> scaler = ne.amp.GradScaler()
        >>> scaler.get_scale(), scaler.is_enabled()
        (1.0, False)
    """

    def __init__(self, device: str = "cpu", init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = device

    def scale(self, outputs: Any) -> Any:
        """``outputs`` unchanged (no loss scaling is needed in bf16).

        Example:
            >>> ne.amp.GradScaler().scale(ne.tensor(2.0)).item()
            2.0
        """
        return outputs

    def unscale_(self, optimizer: Any) -> None:
        """Nothing to unscale.

        Example:
            >>> ne.amp.GradScaler().unscale_(None) is None
            True
        """
        return None

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """``optimizer.step(*args, **kwargs)``.

        Example:
            >>> w = nn.Parameter(ne.ones(2)); opt = ne.optim.SGD([w], lr=0.5)
            >>> (w * w).sum().backward(); _ = ne.amp.GradScaler().step(opt); w.data.tolist()
            [0.0, 0.0]
        """
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale: Any = None) -> None:
        """Nothing to update (the scale stays 1).

        Example:
            >>> ne.amp.GradScaler().update() is None
            True
        """
        return None

    def get_scale(self) -> float:
        """Always 1.0.

        Example:
            >>> ne.amp.GradScaler().get_scale()
            1.0
        """
        return 1.0

    def is_enabled(self) -> bool:
        """Always False: the scaler passes everything through.

        Example:
            >>> ne.amp.GradScaler().is_enabled()
            False
        """
        return False

    def state_dict(self) -> dict:
        """An empty dict (nothing to save).

        Example:
            >>> ne.amp.GradScaler().state_dict()
            {}
        """
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        """Accepts what ``state_dict`` gave (or torch's scaler state) and keeps nothing.

        Example:
            >>> ne.amp.GradScaler().load_state_dict({"scale": 65536.0}) is None
            True
        """
        return None
