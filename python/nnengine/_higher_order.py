"""Higher-order gradients: the backward sweep that records a graph (``create_graph=True``).

The usual sweep (``_tape.sweep``) runs every node's ``backward`` on plain arrays: fast, but its gradients have no
history. With ``create_graph=True`` (``autograd.grad``, ``Tensor.backward``, ``autograd.backward``) this sweep
runs instead: each node's ``graph_backward(ctx, inputs, *grads)`` computes the same vector-Jacobian product with
Tensor ops, in grad mode, from the node's input Tensors and the incoming gradients as Tensors. Every op it uses
is recorded, so the gradients it returns are differentiable again (a gradient penalty, a Hessian-vector product,
a PINN's second derivative, MAML's inner step). A Function without a ``graph_backward`` raises a
NotImplementedError naming it (never a gradient silently treated as constant).

The sweep is torch's: interior gradients are summed per (node, output) before the node runs, tensor hooks see
the gradient as a Tensor, ``autograd.grad`` runs only the nodes that lead to its ``inputs``, and the graph is
kept (torch's ``retain_graph`` defaults to ``create_graph``) unless ``retain_graph=False`` is given.

Example:
    >>> x = ne.tensor([1.0, 2.0], requires_grad=True)
    >>> (g,) = ne.autograd.grad((x ** 3).sum(), x, create_graph=True)
    >>> g
    tensor([ 3., 12.], requires_grad=True)
    >>> (h,) = ne.autograd.grad(g.sum(), x)
    >>> h
    tensor([ 6., 12.])
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import _tape

_F32 = np.dtype(np.float32)


class _Unsupported(NotImplementedError, ValueError):
    """An op on the path has no differentiable backward yet (NotImplementedError, and ValueError for callers that
    catch the engine's argument errors)."""


def _tensor() -> Any:
    from .tensor import Tensor

    return Tensor


def const(a: Any, dtype: Any = None) -> Any:
    """A constant Tensor (no gradient) holding ``a`` (array-like), in ``dtype`` when given.

    Example:
        >>> const([1.0, 2.0]).requires_grad
        False
    """
    arr = np.asarray(a) if dtype is None else np.asarray(a, dtype=dtype)
    return _tensor()._wrap(arr)


def operand(inputs: Sequence[Any], i: int, value: Any) -> Any:
    """Input ``i`` of a node as a Tensor: the recorded input Tensor (its history continues into the new graph), or
    a constant holding ``value`` (the raw argument the forward saw) when the argument was not a Tensor: a Python
    number for a scalar (so that torch's promotion keeps the gradient's dtype), else a constant Tensor.

    Example:
        >>> w = ne.ones(2, requires_grad=True)
        >>> operand([w, None], 0, None) is w, operand([w, None], 1, np.float32(3.0))
        (True, 3.0)
    """
    t = inputs[i] if i < len(inputs) else None
    if t is not None:
        return t
    if np.ndim(value) == 0 and not isinstance(value, np.ndarray) or isinstance(value, np.ndarray) and \
            value.ndim == 0 and value.dtype.kind in "biuf":
        return value.item() if isinstance(value, (np.ndarray, np.generic)) else value  # a scalar: torch's promotion
    return const(value)


def where(cond: Any, a: Any, b: Any) -> Any:
    """``nnengine.where`` (recorded): ``a`` where ``cond`` else ``b``.

    Example:
        >>> where(const([True, False]), ne.ones(2), 0.0)
        tensor([1., 0.])
    """
    from .tensor import where as _where

    return _where(cond, a, b)


def spread(g: Any, shape: Tuple[int, ...], axis: Any, keepdims: bool) -> Any:
    """A reduction's gradient ``g`` (over ``axis``, None: all, of an input of ``shape``) broadcast back to
    ``shape``, recorded (SumFn's, MeanFn's backward).

    Example:
        >>> spread(ne.tensor([1.0, 2.0]), (2, 3), 1, False)
        tensor([[1., 1., 1.],
                [2., 2., 2.]])
    """
    shape = tuple(shape)
    nd = len(shape)
    axes = range(nd) if axis is None else [a % nd for a in (axis if isinstance(axis, (tuple, list)) else (axis,))]
    kshape = tuple(1 if i in axes else s for i, s in enumerate(shape))
    return g.reshape(kshape).expand(*shape) if shape else g.reshape(())


def sum_to(g: Any, shape: Tuple[int, ...]) -> Any:
    """Tensor ``g`` summed down to ``shape`` (the inverse of broadcasting ``shape`` to ``g.shape``), recorded.

    Example:
        >>> sum_to(ne.ones(2, 3), (1, 3))
        tensor([[2., 2., 2.]])
    """
    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    lead = g.ndim - len(shape)
    if lead > 0:
        g = g.sum(dim=tuple(range(lead)))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(dim=axes, keepdim=True)
    return g.reshape(shape)


def recompute(decompose: Callable[[list], Any], inputs: Sequence[Any], raw: Sequence[Any],
              grads: Sequence[Any]) -> tuple:
    """A ``graph_backward`` by recomputation: ``decompose(args)`` redoes the node's forward in recorded Tensor ops
    from ``args`` (each input that requires grad entering through a recorded identity, every other argument as
    its raw value ``raw[i]``, a constant Tensor for an array); the vector-Jacobian product of that recomputation
    with ``grads`` (one per output, None for an unused output) is the node's input gradients, recorded. The
    identities make each gradient the partial derivative for its own input even when one input is computed from
    another. For fused nodes (recurrent layers) whose backward is one native kernel.

    Example:
        >>> x = ne.tensor([1.0, 2.0], requires_grad=True)
        >>> (g,) = recompute(lambda a: (a[0] ** 3,), [x], [None], [ne.ones(2)])
        >>> g
        tensor([ 3., 12.], requires_grad=True)
    """
    from .autograd import grad

    args, wanted = [], []
    for i, r in enumerate(raw):
        t = inputs[i] if i < len(inputs) else None
        if t is not None and t.requires_grad:
            p = t.view_as(t)
            args.append(p)
            wanted.append((i, p))
        elif t is not None:
            args.append(t)
        else:
            args.append(const(r) if isinstance(r, np.ndarray) else r)
    outs = decompose(args)
    outs = outs if isinstance(outs, (tuple, list)) else (outs,)
    pairs = [(o, g) for o, g in zip(outs, grads) if g is not None and o is not None and o.requires_grad]
    res: list = [None] * len(raw)
    if not pairs or not wanted:
        return tuple(res)
    found = grad([o for o, _ in pairs], [p for _, p in wanted], [g for _, g in pairs], create_graph=True,
                 allow_unused=True)
    for (i, _), g in zip(wanted, found):
        res[i] = g
    return tuple(res)


def scratch_ctx() -> Any:
    """A throwaway Function context for running a forward outside the tape (the adjoint of a linear backward
    recomputes its op's forward on arrays): no input needs a gradient, nothing saved is kept.

    Example:
        >>> scratch_ctx().needs_input_grad[0]
        False
    """
    ctx = _tape.Context()
    ctx.needs_input_grad = (False,) * 16
    return ctx


def _message(fn: Any) -> str:
    name = getattr(fn, "__name__", str(fn))
    return (f"create_graph=True through {name}: this op has no differentiable backward in nnengine yet, so "
            "higher-order gradients through it are not available (the first-order backward works)")


def _topo(starts: List[Any]) -> List[Any]:
    """The nodes behind ``starts`` in backward order (outputs first): depth-first post-order, reversed."""
    order: List[Any] = []
    seen = set()
    done = set()
    stack = list(starts)
    while stack:
        node = stack[-1]
        if id(node) not in seen:
            seen.add(id(node))
            for t in node.inputs:
                c = None if t is None else t._ctx
                if c is not None and id(c) not in seen:
                    stack.append(c)
            continue
        stack.pop()
        if id(node) not in done:
            done.add(id(node))
            order.append(node)
    order.reverse()
    return order


def _needed(order: List[Any], want: Dict[int, list], want_nodes: Dict[Any, list]) -> set:
    """The nodes whose backward leads to a wanted tensor (only they run: torch's pruning)."""
    needed: set = set()
    for node in reversed(order):  # producers first
        for t in node.inputs:
            if t is None or not t.requires_grad:
                continue
            c = t._ctx
            if (c is None and id(t) in want) or (c is not None and (
                    id(c) in needed or any(i == t._out_index for i, _ in want_nodes.get(c, ())))):
                needed.add(id(node))
                break
    return needed


def _add(a: Any, b: Any) -> Any:
    return b if a is None else a + b


def _as_grad(g: Any, like: Any) -> Any:
    """Gradient ``g`` (Tensor or array) as a Tensor of ``like``'s shape and floating dtype (recorded)."""
    T = _tensor()
    if not isinstance(g, T):
        g = const(g)
    if tuple(g.shape) != tuple(like.shape):
        g = sum_to(g, tuple(like.shape))
    dt = like._data.dtype if like._data.dtype.kind == "f" else _F32
    if g._data.dtype != dt:
        g = g.to(dt)
    return g


def _hooked(fns: dict, g: Any, shape: tuple) -> Any:
    """Tensor hooks in registration order on the Tensor gradient ``g``; a non-None result replaces it."""
    for fn in list(fns.values()):
        r = fn(g)
        if r is not None:
            r = r if isinstance(r, _tensor()) else const(r)
            if tuple(r.shape) != tuple(shape):
                raise RuntimeError(f"hook {getattr(fn, '__name__', fn)!r} has changed the size of value: "
                                   f"expected {shape}, got {tuple(r.shape)}")
            g = r
    return g


_GRAPH_GRAD: list = []  # the GradData subclass below, built once GradData exists (nn.parameter sits above us)

# Tensor methods a recorded ``.grad`` answers with its graph (torch code's ``p.grad.pow(2).sum()``,
# ``p.grad.view(-1)``, ``p.grad.norm()``...); the rest are GradData's own (numpy's values)
_GRAPH_METHODS = ("pow", "sum", "mean", "norm", "mul", "add", "sub", "div", "reshape", "flatten", "abs", "sqrt",
                  "square", "dot", "clone", "neg", "exp", "log", "sign", "transpose", "t", "squeeze", "unsqueeze",
                  "contiguous", "matmul", "type_as", "to", "float", "double", "sin", "cos", "tanh", "sigmoid",
                  "relu", "max", "min", "amax", "amin", "prod", "cumsum", "expand", "expand_as", "view_as",
                  "reshape_as", "permute", "clamp", "masked_fill", "where", "var", "std")

_GRAPH_OPS = ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
              "__pow__", "__rpow__", "__matmul__", "__rmatmul__", "__neg__", "__getitem__")


def graph_of(x: Any) -> Any:
    """The recorded gradient behind ``x`` when ``x`` is a leaf's ``.grad`` filled by a ``create_graph=True``
    backward whose values are unchanged since (an in-place write, ``p.grad.zero_()``, detaches it), else None.
    ``autograd.grad`` and ``backward`` accept such a ``.grad`` as an output (PyHessian's and AdaHessian's
    ``autograd.grad(grads, params, grad_outputs=v)``).

    Example:
        >>> w = ne.tensor([1.0, 2.0], requires_grad=True)
        >>> (w ** 3).sum().backward(create_graph=True)
        >>> graph_of(w.grad)
        tensor([ 3., 12.], requires_grad=True)
        >>> graph_of(np.ones(2)) is None
        True
    """
    t = getattr(x, "_graph", None)
    if t is None or not isinstance(x, np.ndarray) or x.shape != tuple(t.shape):
        return None
    if not np.array_equal(np.asarray(x).view(np.ndarray), np.asarray(t._data)):
        return None  # written in place since: its values, no history
    return t


def live_graph(x: Any) -> Any:
    """``x``'s recorded gradient while grad mode is on (torch records ``p.grad + 0.`` then), else None: what a
    Tensor operator takes for a ``.grad`` operand (``v * p.grad``).

    Example:
        >>> w = ne.tensor([1.0, 2.0], requires_grad=True)
        >>> (w ** 3).sum().backward(create_graph=True)
        >>> (ne.ones(2) * w.grad).requires_grad, live_graph(np.ones(2)) is None
        (True, True)
    """
    return graph_of(x) if _tape.is_grad_enabled() else None


_live = live_graph


def _unwrap(o: Any) -> Any:
    t = _live(o)
    return o if t is None else t


def _graph_grad_type() -> type:
    """The ``.grad`` type of a leaf after ``backward(create_graph=True)``: GradData (the values, for every
    numpy and optimizer use) that also holds the recorded gradient, so that torch code reading ``p.grad`` with
    grad mode on (``p.grad + 0.``, ``p.grad * v``, ``p.grad.pow(2).sum()``, ``p.grad.view(-1)``) gets Tensors
    with history, as torch's ``.grad`` has a ``grad_fn`` then. Views and in-place writes drop the history."""
    if _GRAPH_GRAD:
        return _GRAPH_GRAD[0]
    from .tensor import LEAF_ARRAYS

    base = LEAF_ARRAYS[1]

    def op(name: str) -> Callable:
        plain = getattr(base, name)

        def f(self: Any, *args: Any) -> Any:
            t = _live(self)
            if t is None:
                return plain(self, *args)
            return getattr(t, name)(*[_unwrap(a) for a in args])
        f.__name__ = name
        return f

    def method(name: str) -> Callable:
        plain = getattr(base, name, None)

        def f(self: Any, *args: Any, **kwargs: Any) -> Any:
            t = _live(self)
            if t is None or not hasattr(t, name):
                if plain is None:
                    raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
                return plain(self, *args, **kwargs)
            return getattr(t, name)(*[_unwrap(a) for a in args], **kwargs)
        f.__name__ = name
        return f

    def view(self: Any, *args: Any, **kwargs: Any) -> Any:
        t = _live(self)
        if t is None or kwargs or not args or not all(isinstance(a, (int, tuple, list)) for a in args):
            return base.view(self, *args, **kwargs)  # numpy's view(type / dtype), or the values
        return t.view(*args)

    def data(self: Any) -> Any:
        return self.view(base)  # torch's p.grad.data: the values, detached (the same memory)

    def requires_grad(self: Any) -> bool:
        return _live(self) is not None

    ns: Dict[str, Any] = {name: op(name) for name in _GRAPH_OPS}
    ns.update({name: method(name) for name in _GRAPH_METHODS})
    ns.update(view=view, data=property(data), requires_grad=property(requires_grad), _graph=None,
              __doc__=_graph_grad_type.__doc__, __module__=__name__)
    cls = type("GraphGradData", (base,), ns)
    _GRAPH_GRAD.append(cls)
    return cls


def _store(t: Any, g: Any) -> None:
    """Accumulate the recorded gradient ``g`` into leaf ``t``'s ``.grad``: the values, plus the history (the
    previous ``.grad``'s, or its values as a constant, summed with ``g``)."""
    prev = t.grad
    before = None if prev is None else graph_of(prev)
    if prev is not None and before is None:
        before = const(np.array(prev))
    t._accumulate(np.array(g._data), inplace=False)  # torch: out of place under create_graph
    total = g if before is None else before + g
    if total.requires_grad and tuple(total.shape) == tuple(t.grad.shape):
        grad = t.grad.view(_graph_grad_type())
        grad._graph = total
        t.grad = grad


def sweep(roots: List[Any], seeds: List[Any], retain: Optional[bool], want: Optional[Dict[int, list]],
          store: bool) -> None:
    """The recording reverse sweep from Tensors ``roots`` seeded with ``seeds`` (Tensors). With ``want``
    ({id: [tensor, None]}) only those get gradients: stored in ``want`` (``store`` False, ``autograd.grad``) or
    accumulated into their ``.grad``; without it every leaf accumulates. ``.grad`` receives the gradient's
    values and keeps the recorded gradient behind them (``_store``: a GradData whose Tensor methods answer with
    its history while grad mode is on)."""
    grads: Dict[Any, list] = {}
    pending: Dict[int, list] = {}
    want_nodes: Dict[Any, list] = {}
    if want is not None:
        for key, e in want.items():
            if e[0]._ctx is not None:
                want_nodes.setdefault(e[0]._ctx, []).append((e[0]._out_index, key))
    starts: List[Any] = []
    for t, g in zip(roots, seeds):
        if t._ctx is None:
            if t.requires_grad:
                e = pending.setdefault(id(t), [t, None])
                e[1] = _add(e[1], g)
            continue
        slot = grads.get(t._ctx)
        if slot is None:
            slot = grads[t._ctx] = [None] * t._ctx.n_outputs
            starts.append(t._ctx)
        slot[t._out_index] = _add(slot[t._out_index], g)
    order = _topo(starts)
    needed = None if want is None or store else _needed(order, want, want_nodes)
    prev = _tape.set_grad_mode(True)
    try:
        for node in order:
            gouts = grads.pop(node, None)
            if gouts is None:
                continue
            if node.hooks:
                for i, e in node.hooks.items():
                    if e[0]:
                        gouts[i] = _hooked(e[0], gouts[i], node.out_shapes[i])
                    w = e[1]
                    if w is not None and gouts[i] is not None:
                        t = w()
                        if t is not None:
                            _store(t, gouts[i])
            for i, key in want_nodes.pop(node, ()):
                if gouts[i] is not None:
                    e = want[key]
                    if store:
                        _store(e[0], gouts[i])
                    else:
                        e[1] = _add(e[1], gouts[i])
            if needed is not None and id(node) not in needed:
                continue
            for i in range(node.n_outputs):
                if gouts[i] is None:
                    gouts[i] = const(np.zeros(node.out_shapes[i], _F32))
            _tape.check_node(node)
            gb = getattr(node.fn, "graph_backward", None)
            if gb is None:
                raise _Unsupported(_message(node.fn))
            gin = gb(node.ctx, node.inputs, *gouts)
            if not isinstance(gin, tuple):
                gin = (gin,)
            for k in range(min(len(node.inputs), len(gin))):
                t = node.inputs[k]
                g = gin[k]
                if t is None or g is None or not t.requires_grad:
                    continue
                g = _as_grad(g, t)
                if t._ctx is None:
                    e = pending.setdefault(id(t), [t, None])
                    e[1] = _add(e[1], g)
                else:
                    slot = grads.get(t._ctx)
                    if slot is None:
                        slot = grads[t._ctx] = [None] * t._ctx.n_outputs
                    slot[t._out_index] = _add(slot[t._out_index], g)
            if retain is False and not _tape.is_shape_only(node.fn):
                node.ctx = None
        for t, g in pending.values():
            if want is not None:
                e = want.get(id(t))
                if e is None:
                    continue
                if not store:
                    e[1] = _add(e[1], g)
                    continue
            if t._hooks:
                g = _hooked(t._hooks, g, tuple(t.shape))
            _store(t, g)
            if t._post_hooks:
                for fn in list(t._post_hooks.values()):
                    fn(t)
    finally:
        _tape.set_grad_mode(prev)


def seeds(roots: List[Any], grads: List[Any], name: str) -> List[Any]:
    """One starting gradient per root as a Tensor: a given Tensor of the root's shape keeps its history (a
    ``grad_outputs`` that requires grad is differentiated too, as torch does); anything else is converted by
    ``_tape.seed_grad`` (1 for a one-element root).

    Example:
        >>> y = ne.ones(2, requires_grad=True) * 2
        >>> seeds([y], [None], "grad_outputs")
        Traceback (most recent call last):
        ...
        RuntimeError: backward: grad can be implicitly created only for scalar outputs, got shape (2,)
    """
    T = _tensor()
    out = []
    for i, (t, g) in enumerate(zip(roots, grads)):
        if not t.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if isinstance(g, T) and tuple(g.shape) == tuple(t.shape):
            out.append(g if g._data.dtype == t._data.dtype else g.to(t._data.dtype))
        else:
            out.append(const(_tape.seed_grad(t, g, f"{name}[{i}]")))
    return out
