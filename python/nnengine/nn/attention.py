"""``torch.nn.attention``: ``SDPBackend`` and the ``sdpa_kernel`` context manager. nnengine's
``F.scaled_dot_product_attention`` has one CPU kernel (exact softmax attention, what torch's MATH backend
computes), so choosing a backend changes nothing: the context is accepted and validated, and runs the same code.

Example:
    >>> from nnengine.nn.attention import SDPBackend, sdpa_kernel
    >>> with sdpa_kernel(SDPBackend.MATH):
    ...     q = ne.ones(1, 1, 2, 4)
    ...     F.scaled_dot_product_attention(q, q, q).shape
    (1, 1, 2, 4)
"""

from __future__ import annotations

import contextlib
import enum
from typing import Any, Iterator

__all__ = ["SDPBackend", "sdpa_kernel"]


class SDPBackend(enum.IntEnum):
    """torch's attention backends (names and values); nnengine computes every one with its CPU kernel.

    Example:
        >>> nn.attention.SDPBackend.FLASH_ATTENTION.name
        'FLASH_ATTENTION'
    """

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


@contextlib.contextmanager
def sdpa_kernel(backends: Any, set_priority: bool = False) -> Iterator[None]:
    """Restrict ``scaled_dot_product_attention`` to ``backends`` (one or a list of :class:`SDPBackend`) inside
    the block: accepted and checked; nnengine's single CPU kernel runs whichever is named.

    Example:
        >>> with nn.attention.sdpa_kernel([nn.attention.SDPBackend.FLASH_ATTENTION]):
        ...     pass
    """
    items = list(backends) if isinstance(backends, (list, tuple, set)) else [backends]
    if not items:
        raise ValueError("backends: expected at least one SDPBackend")
    for b in items:
        if not isinstance(b, SDPBackend):
            raise TypeError(f"backends: expected SDPBackend values, got {b!r}")
    yield
