"""``torch.accelerator``: nnengine has no accelerator, so code selecting one picks the CPU.

Example:
    >>> import nnengine as ne
    >>> ne.accelerator.current_accelerator() is None
    True
"""

from __future__ import annotations

from typing import Optional


def is_available() -> bool:
    """Always False.

    Example:
        >>> ne.accelerator.is_available()
        False
    """
    return False


def current_accelerator(check_available: bool = False) -> Optional[object]:
    """Always None (no accelerator).

    Example:
        >>> ne.accelerator.current_accelerator() is None
        True
    """
    return None


def device_count() -> int:
    """Always 0.

    Example:
        >>> ne.accelerator.device_count()
        0
    """
    return 0
