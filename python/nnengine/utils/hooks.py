"""``torch.utils.hooks``: the handle every ``register_*_hook`` returns.

Example:
    >>> from nnengine.utils.hooks import RemovableHandle
    >>> h = ne.nn.Linear(2, 2).register_forward_hook(lambda m, i, o: None)
    >>> isinstance(h, RemovableHandle)
    True
"""

from __future__ import annotations

from ..autograd import RemovableHandle

__all__ = ["RemovableHandle"]
