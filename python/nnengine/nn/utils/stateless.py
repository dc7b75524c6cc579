"""``torch.nn.utils.stateless``: the older home of ``functional_call`` (now :func:`nnengine.func.functional_call`).

Example:
    >>> m = nn.Linear(1, 1)
    >>> nn.utils.stateless.functional_call(m, {"weight": ne.ones(1, 1), "bias": ne.zeros(1)}, ne.ones(1, 1))
    tensor([[1.]])
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from ..module import Module

__all__ = ["functional_call"]


def functional_call(module: Module, parameters_and_buffers: Any, args: Any = None,
                    kwargs: Optional[Dict[str, Any]] = None, *, tie_weights: bool = True, strict: bool = False) -> Any:
    """``module(*args, **kwargs)`` with the given parameters and buffers in place of its own for the call
    (see :func:`nnengine.func.functional_call`).

    Example:
        >>> nn.utils.stateless.functional_call(nn.Linear(1, 1), {"weight": ne.zeros(1, 1)}, (ne.ones(1, 1),)).shape
        (1, 1)
    """
    from ...func import functional_call as call

    return call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
