"""``torch.utils.checkpoint``: activation checkpointing's calls, for programs that use it to save memory. Here
``checkpoint(fn, *args)`` runs ``fn(*args)`` once and keeps its activations like any forward: the values and
gradients are exactly those without checkpointing (torch's recomputation gives the same), only the memory saving
does not happen. ``use_reentrant``, ``preserve_rng_state``, ``context_fn`` and ``determinism_check`` are accepted.

Example:
    >>> from nnengine.utils.checkpoint import checkpoint
    >>> lin = ne.nn.Linear(3, 2)
    >>> x = ne.randn(4, 3, requires_grad=True)
    >>> checkpoint(lin, x, use_reentrant=False).sum().backward()
    >>> x.grad.shape
    (4, 3)
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(function: Callable[..., Any], *args: Any, use_reentrant: Any = None, context_fn: Any = None,
               determinism_check: str = "default", debug: bool = False, preserve_rng_state: bool = True,
               **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, recorded on the tape as usual (see the module docstring).

    Example:
        >>> checkpoint(lambda a, b: a + b, ne.ones(2), ne.ones(2))
        tensor([2., 2.])
    """
    if not callable(function):
        raise TypeError(f"function: expected a callable, got {type(function).__name__}")
    return function(*args, **kwargs)


def checkpoint_sequential(functions: Any, segments: int, input: Any, use_reentrant: Any = None,  # noqa: A002
                          **kwargs: Any) -> Any:
    """``functions`` (a ``Sequential`` or a sequence of modules/callables) applied in order to ``input``.

    Example:
        >>> seq = ne.nn.Sequential(ne.nn.Linear(2, 2), ne.nn.ReLU())
        >>> checkpoint_sequential(seq, 2, ne.ones(1, 2)).shape
        (1, 2)
    """
    if isinstance(segments, bool) or not isinstance(segments, int) or segments < 1:
        raise ValueError(f"segments: expected a positive int, got {segments!r}")
    fns: Sequence[Any] = list(functions.children()) if hasattr(functions, "children") else list(functions)
    for f in fns:
        input = f(input)  # noqa: A001
    return input
