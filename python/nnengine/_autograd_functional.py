"""``torch.autograd.functional``: ``jacobian``, ``vjp`` and ``jvp`` of a function of Tensors (on
:mod:`nnengine.func`'s reverse mode); ``hessian``, ``hvp`` and ``vhp`` need a second derivative, which nnengine's
backward does not record, and raise. Importable as ``nnengine.autograd.functional``.

Example:
    >>> ne.autograd.functional.jacobian(lambda x: x ** 2, ne.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
"""

from __future__ import annotations

from typing import Any, Callable, Tuple

__all__ = ["jacobian", "vjp", "jvp", "hessian", "hvp", "vhp"]


def _no_graph(create_graph: Any, name: str) -> None:
    if create_graph:
        raise NotImplementedError(f"{name}(create_graph=True): nnengine's backward records no graph, so there is "
                                  "no differentiable result")


def _tuple(inputs: Any, what: str) -> Tuple[bool, Tuple[Any, ...]]:
    from .tensor import Tensor

    is_tuple = isinstance(inputs, (tuple, list))
    items = tuple(inputs) if is_tuple else (inputs,)
    for i, t in enumerate(items):
        if not isinstance(t, Tensor):
            raise TypeError(f"{what}[{i}]: expected a Tensor, got {type(t).__name__}" if is_tuple else
                            f"{what}: expected a Tensor or a tuple of Tensors, got {type(t).__name__}")
    return is_tuple, items


_SINGLE = {"output": "the user-provided function returns", "input": "the input to the user-provided function is"}


def _vectors(v: Any, is_tuple: bool, against: Tuple[Any, ...], noun: str) -> Tuple[Any, ...]:
    """``v`` as one tensor per ``noun`` (``against``: the outputs for vjp, the inputs for jvp); omitted, ones for a
    single one-element tensor (torch's rule and message)."""
    from .tensor import ones_like

    if v is None:
        if is_tuple or against[0].numel() != 1:
            raise RuntimeError(f"The vector v can only be None if {_SINGLE[noun]} a single Tensor with a single "
                               "element.")
        v = ones_like(against[0])
    _, vs = _tuple(v, "v")
    if len(vs) != len(against):
        raise ValueError(f"v: expected {len(against)} tensors (one per {noun}), got {len(vs)}")
    return vs


def jacobian(func: Callable[..., Any], inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of ``func(*inputs)``: for one input and one output a Tensor ``output.shape + input.shape``;
    a tuple per input (and per output) otherwise, as torch.

    Example:
        >>> j = ne.autograd.functional.jacobian(lambda a, b: a * b, (ne.tensor([2.0]), ne.tensor([3.0])))
        >>> j
        (tensor([[3.]]), tensor([[2.]]))
    """
    from .func import jacrev

    _no_graph(create_graph, "jacobian")
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"strategy: expected 'reverse-mode' or 'forward-mode', got {strategy!r}")
    in_tuple, ins = _tuple(inputs, "inputs")
    out = func(*ins)
    out_tuple, outs = _tuple(out, "func's output")
    per_out = []
    for k in range(len(outs)):
        def pick(*a: Any, k: int = k) -> Any:
            o = func(*a)
            return o[k] if out_tuple else o
        j = jacrev(pick, argnums=tuple(range(len(ins))))(*ins)
        per_out.append(tuple(j) if in_tuple else j[0])
    return tuple(per_out) if out_tuple else per_out[0]


def vjp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> Tuple[Any, Any]:
    """``(func(*inputs), v^T J)``: the vector-Jacobian product shaped like ``inputs`` (``v`` may be omitted for a
    one-element output).

    Example:
        >>> out, g = ne.autograd.functional.vjp(lambda x: (x ** 2).sum(), ne.tensor([1.0, 3.0]))
        >>> g
        tensor([2., 6.])
    """
    from . import func as nf
    from .tensor import Tensor

    _no_graph(create_graph, "vjp")
    in_tuple, ins = _tuple(inputs, "inputs")
    out, fn = nf.vjp(lambda *a: func(*a), *ins)
    out_tuple, outs = _tuple(out, "func's output")
    vs = _vectors(v, out_tuple, outs, "output")
    grads = fn(tuple(vs) if out_tuple else vs[0])
    grads = tuple(g if isinstance(g, Tensor) else Tensor(g) for g in grads)
    return out, (grads if in_tuple else grads[0])


def jvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> Tuple[Any, Any]:
    """``(func(*inputs), J v)``: the Jacobian-vector product shaped like the output (``v`` may be omitted for a
    one-element input). Computed from the Jacobian (one reverse pass per output element).

    Example:
        >>> out, t = ne.autograd.functional.jvp(lambda x: x ** 2, ne.tensor([1.0, 3.0]), ne.tensor([1.0, 1.0]))
        >>> t
        tensor([2., 6.])
    """
    from . import func as nf

    _no_graph(create_graph, "jvp")
    in_tuple, ins = _tuple(inputs, "inputs")
    vs = _vectors(v, in_tuple, ins, "input")
    out, tangent = nf.jvp(lambda *a: func(*a), tuple(ins), tuple(vs))
    return out, tangent


def _second(name: str) -> Callable[..., Any]:
    def fn(func: Callable[..., Any], inputs: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{name}: second derivatives need the backward pass to record a graph, which "
                                  "nnengine's does not (create_graph=True is not supported)")

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (f"torch.autograd.functional.{name}: refused (a second derivative).\n\n    Example:\n"
                  f"        >>> try:\n        ...     ne.autograd.functional.{name}(lambda x: (x ** 3).sum(), "
                  f"ne.ones(2))\n        ... except NotImplementedError:\n        ...     print('refused')\n"
                  f"        refused\n    ")
    return fn


hessian = _second("hessian")
hvp = _second("hvp")
vhp = _second("vhp")
