"""``torch.cuda``'s probing surface for code written to fall back to the CPU: nnengine has no GPU.

Example:
    >>> import nnengine as ne
    >>> ne.cuda.is_available(), ne.cuda.device_count()
    (False, 0)
"""

from __future__ import annotations

from typing import Any


def is_available() -> bool:
    """Always False: nnengine runs on the CPU only."""
    return False


def device_count() -> int:
    """Always 0."""
    return 0


def is_initialized() -> bool:
    """Always False."""
    return False


def manual_seed(seed: int) -> None:
    """No-op (no GPU generator to seed), accepted like torch.cuda.manual_seed without a GPU."""


def manual_seed_all(seed: int) -> None:
    """No-op, like ``manual_seed``."""


def synchronize(device: Any = None) -> None:
    """No-op: CPU work is synchronous."""


def empty_cache() -> None:
    """No-op: there is no GPU cache."""


def is_bf16_supported() -> bool:
    """Always False."""
    return False


def current_device() -> int:
    """Raises RuntimeError: there is no CUDA device."""
    raise RuntimeError("nnengine.cuda: no CUDA device (nnengine runs on the CPU only)")


def get_device_name(device: Any = None) -> str:
    """Raises RuntimeError: there is no CUDA device."""
    raise RuntimeError("nnengine.cuda: no CUDA device (nnengine runs on the CPU only)")
