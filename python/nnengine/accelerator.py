"""``torch.accelerator``: nnengine has no accelerator, so code selecting one picks the CPU.

Example:
    >>> import nnengine as ne
    >>> ne.accelerator.current_accelerator() is None
    True
"""

from __future__ import annotations

from typing import Optional


def is_available() -> bool:
    """Always False."""
    return False


def current_accelerator(check_available: bool = False) -> Optional[object]:
    """Always None (no accelerator)."""
    return None


def device_count() -> int:
    """Always 0."""
    return 0
