"""torch's ``nn.modules.utils`` helpers that user code imports to normalize layer arguments
(``from torch.nn.modules.utils import _pair``): an int repeated ``n`` times, or a sequence as a tuple.

Example:
    >>> from nnengine.nn.modules.utils import _pair, _triple
    >>> _pair(3), _pair((1, 2)), _triple(2)
    ((3, 3), (1, 2), (2, 2, 2))
"""

from __future__ import annotations

import collections.abc
from itertools import repeat
from typing import Any, Callable, Tuple


def _ntuple(n: int, name: str = "parse") -> Callable[[Any], Tuple[Any, ...]]:
    def parse(x: Any) -> Tuple[Any, ...]:
        if isinstance(x, collections.abc.Iterable) and not isinstance(x, str):
            return tuple(x)
        return tuple(repeat(x, n))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t: Tuple[Any, ...], n: int) -> Tuple[Any, ...]:
    """Reverse the order of ``t`` and repeat each element ``n`` times (torch's padding helper)."""
    return tuple(x for x in reversed(t) for _ in range(n))
