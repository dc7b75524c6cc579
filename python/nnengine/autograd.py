"""The tape: ``Function`` (one op's forward and backward side by side) and the reverse sweep.

A ``Function`` subclass implements ``forward(ctx, *args)`` on numpy arrays and
``backward(ctx, *grad_outputs)`` returning one gradient (or None) per positional input.
``Fn.apply(*args)`` unwraps Tensors, runs ``forward`` and, when any input requires a gradient and
grad mode is on, records the node on the output Tensors.

Example:
    >>> class Square(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (x,) = ctx.saved_tensors
    ...         return 2 * x * g
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Iterator

import numpy as np

_state = threading.local()


def is_grad_enabled() -> bool:
    """Whether operations record the graph (thread-local, like PyTorch)."""
    return getattr(_state, "enabled", True)


def set_grad_enabled(flag: bool) -> None:
    _state.enabled = bool(flag)


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Context manager that disables graph recording.

    Example:
        >>> with no_grad():
        ...     y = model(x)
    """
    prev = is_grad_enabled()
    set_grad_enabled(False)
    try:
        yield
    finally:
        set_grad_enabled(prev)


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    prev = is_grad_enabled()
    set_grad_enabled(True)
    try:
        yield
    finally:
        set_grad_enabled(prev)


class Context:
    """Per-call storage for a Function: saved arrays and which inputs need gradients."""

    def __init__(self) -> None:
        self.saved_tensors: tuple = ()
        self.needs_input_grad: tuple = ()

    def save_for_backward(self, *arrays: Any) -> None:
        self.saved_tensors = arrays


class Node:
    """A recorded op: the Function class, its context and the input Tensors (None for non-tensors)."""

    __slots__ = ("fn", "ctx", "inputs", "n_outputs", "out_shapes", "__weakref__")

    def __init__(self, fn, ctx, inputs, n_outputs, out_shapes):
        self.fn = fn
        self.ctx = ctx
        self.inputs = inputs
        self.n_outputs = n_outputs
        self.out_shapes = out_shapes


class Function:
    """Base class of differentiable operations; see the module docstring."""

    @staticmethod
    def forward(ctx: Context, *args: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, *grads: np.ndarray) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any) -> Any:
        Tensor = _TENSOR_CLS or _tensor_cls()
        raw = []
        needs = []
        inputs = []
        any_grad = False
        for a in args:
            if isinstance(a, Tensor):
                raw.append(a.data)
                rg = a.requires_grad
                needs.append(rg)
                inputs.append(a)
                any_grad = any_grad or rg
            else:
                raw.append(a)
                needs.append(False)
                inputs.append(None)
        record = any_grad and getattr(_state, "enabled", True)
        ctx = Context()
        ctx.needs_input_grad = tuple(needs)
        out = cls.forward(ctx, *raw)
        if type(out) is not tuple:
            t = Tensor._wrap(out)
            if record:
                t.requires_grad = True
                t._ctx = Node(cls, ctx, inputs, 1, (t.data.shape,))
            return t
        tensors = tuple(Tensor._wrap(o) for o in out)
        if record:
            node = Node(cls, ctx, inputs, len(tensors),
                        tuple(t.data.shape for t in tensors))
            for i, t in enumerate(tensors):
                t.requires_grad = True
                t._ctx = node
                t._out_index = i
        return tensors


_TENSOR_CLS: Any = None


def _tensor_cls() -> Any:
    global _TENSOR_CLS
    if _TENSOR_CLS is None:
        from .tensor import Tensor

        _TENSOR_CLS = Tensor
    return _TENSOR_CLS


def _topo(root) -> list:
    """Nodes reachable from root's node, in reverse topological order (outputs first)."""
    order: list = []
    seen: set = set()
    stack = [(root._ctx, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for t in node.inputs:
            if t is not None and t._ctx is not None and id(t._ctx) not in seen:
                stack.append((t._ctx, False))
    order.reverse()
    return order


def backward(root, grad: np.ndarray) -> None:
    """Reverse sweep from ``root`` with incoming gradient ``grad``; leaf gradients accumulate."""
    if root._ctx is None:
        if root.requires_grad:
            root._accumulate(grad)
        return
    grads: dict = {id(root._ctx): [None] * root._ctx.n_outputs}
    grads[id(root._ctx)][root._out_index] = grad
    with no_grad():
        for node in _topo(root):
            gouts = grads.pop(id(node), None)
            if gouts is None:
                continue
            gouts = [g if g is not None else np.zeros(s, dtype=np.float32) for g, s in zip(gouts, node.out_shapes)]
            if node.ctx is None:
                raise RuntimeError(
                    "Trying to backward through the graph a second time: the saved arrays of "
                    f"{node.fn.__name__} were freed by the first backward()")
            gin = node.fn.backward(node.ctx, *gouts)
            if not isinstance(gin, tuple):
                gin = (gin,)
            for t, g in zip(node.inputs, gin):
                if t is None or g is None or not t.requires_grad:
                    continue
                g = np.asarray(g)
                if g.shape != t.data.shape:
                    g = _unbroadcast(g, t.data.shape)
                if g.dtype != np.float32:
                    g = g.astype(np.float32)
                if t._ctx is None:
                    t._accumulate(g)
                else:
                    slot = grads.setdefault(id(t._ctx), [None] * t._ctx.n_outputs)
                    prev = slot[t._out_index]
                    slot[t._out_index] = g if prev is None else prev + g
            node.ctx = None  # free saved arrays: the graph is single-use, like PyTorch's default


def _unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a broadcast gradient back down to ``shape``."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)
