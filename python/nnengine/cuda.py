"""``torch.cuda``'s probing surface for code written to fall back to the CPU: nnengine has no GPU.

Example:
    >>> import nnengine as ne
    >>> ne.cuda.is_available(), ne.cuda.device_count()
    (False, 0)
"""

from __future__ import annotations

from typing import Any


def is_available() -> bool:
    """Always False: nnengine runs on the CPU only.

    Example:
        >>> ne.cuda.is_available()
        False
    """
    return False


def device_count() -> int:
    """Always 0.

    Example:
        >>> ne.cuda.device_count()
        0
    """
    return 0


def is_initialized() -> bool:
    """Always False.

    Example:
        >>> ne.cuda.is_initialized()
        False
    """
    return False


def manual_seed(seed: int) -> None:
    """No-op (no GPU generator to seed), accepted like torch.cuda.manual_seed without a GPU.

    Example:
        >>> ne.cuda.manual_seed(0)
    """


def manual_seed_all(seed: int) -> None:
    """No-op, like ``manual_seed``.

    Example:
        >>> ne.cuda.manual_seed_all(0)
    """


def synchronize(device: Any = None) -> None:
    """No-op: CPU work is synchronous.

    Example:
        >>> ne.cuda.synchronize()
    """


def empty_cache() -> None:
    """No-op: there is no GPU cache.

    Example:
        >>> ne.cuda.empty_cache()
    """


def memory_allocated(device: Any = None) -> int:
    """0: no GPU memory is in use (torch's answer on a machine without CUDA); training logs call it. Also
    ``max_memory_allocated``, ``memory_reserved``, ``max_memory_reserved``.

    Example:
        >>> ne.cuda.memory_allocated(), ne.cuda.max_memory_allocated(), ne.cuda.memory_reserved()
        (0, 0, 0)
    """
    return 0


max_memory_allocated = memory_reserved = max_memory_reserved = memory_allocated


def is_bf16_supported() -> bool:
    """Always False.

    Example:
        >>> ne.cuda.is_bf16_supported()
        False
    """
    return False


def current_device() -> int:
    """Raises RuntimeError: there is no CUDA device.

    Example:
        >>> ne.cuda.current_device()
        Traceback (most recent call last):
            ...
        RuntimeError: nnengine.cuda: no CUDA device (nnengine runs on the CPU only)
    """
    raise RuntimeError("nnengine.cuda: no CUDA device (nnengine runs on the CPU only)")


def get_device_name(device: Any = None) -> str:
    """Raises RuntimeError: there is no CUDA device.

    Example:
        >>> ne.cuda.get_device_name()
        Traceback (most recent call last):
            ...
        RuntimeError: nnengine.cuda: no CUDA device (nnengine runs on the CPU only)
    """
    raise RuntimeError("nnengine.cuda: no CUDA device (nnengine runs on the CPU only)")


# ``torch.cuda.amp`` (``from torch.cuda.amp import autocast, GradScaler``): without a GPU, as torch without one,
# autocast warns and stays off and the scaler passes everything through
def _cuda_autocast(enabled: bool = True, dtype: Any = None, cache_enabled: bool = True) -> Any:
    """``torch.cuda.amp.autocast``: a disabled autocast (torch's warning: no CUDA here).

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     with amp.autocast():
        ...         ne.is_autocast_enabled()
        False
    """
    from .amp import autocast

    return autocast("cuda", enabled=enabled)


def _amp_module() -> Any:
    import sys
    import types

    from .amp import GradScaler

    m = types.ModuleType(__name__ + ".amp", "torch.cuda.amp's names: autocast (disabled, no GPU), GradScaler, "
                                           "custom_fwd, custom_bwd.")
    m.autocast = _cuda_autocast  # type: ignore[attr-defined]
    m.GradScaler = GradScaler  # type: ignore[attr-defined]

    def custom_fwd(fwd: Any = None, **kwargs: Any) -> Any:
        return fwd if fwd is not None else (lambda f: f)

    m.custom_fwd = custom_fwd  # type: ignore[attr-defined]
    m.custom_bwd = lambda bwd: bwd  # type: ignore[attr-defined]
    sys.modules[m.__name__] = m
    return m


amp = _amp_module()
