"""``torch.autograd.functional``: ``jacobian``, ``vjp``, ``jvp``, ``hessian``, ``hvp`` and ``vhp`` of a function
of Tensors. First derivatives run on :mod:`nnengine.func`'s reverse mode; second derivatives and
``create_graph=True`` on the recording backward (``autograd.grad(create_graph=True)``). Importable as
``nnengine.autograd.functional``.

Example:
    >>> ne.autograd.functional.jacobian(lambda x: x ** 2, ne.tensor([1.0, 2.0]))
    tensor([[2., 0.],
            [0., 4.]])
    >>> ne.autograd.functional.hessian(lambda x: (x ** 3).sum(), ne.tensor([1.0, 2.0]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
"""

from __future__ import annotations

from typing import Any, Callable, Tuple

__all__ = ["jacobian", "vjp", "jvp", "hessian", "hvp", "vhp"]


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

    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f"strategy: expected 'reverse-mode' or 'forward-mode', got {strategy!r}")
    in_tuple, ins = _tuple(inputs, "inputs")
    if create_graph:
        return _jacobian_graph(func, ins, in_tuple)
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

    in_tuple, ins = _tuple(inputs, "inputs")
    if create_graph:
        xs = _diff_inputs(ins)
        out = func(*xs)
        out_tuple, outs = _tuple(out, "func's output")
        vs = _vectors(v, out_tuple, outs, "output")
        grads = _grads(list(outs), xs, list(vs), True)
        return out, (grads if in_tuple else grads[0])
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

    in_tuple, ins = _tuple(inputs, "inputs")
    vs = _vectors(v, in_tuple, ins, "input")
    if create_graph:  # J v from the recorded Jacobian: differentiable in the inputs and in v
        out = func(*_diff_inputs(ins))
        out_tuple, outs = _tuple(out, "func's output")
        jac = _jacobian_graph(func, ins, True)
        jac = jac if out_tuple else (jac,)
        tangents = tuple(sum((j.reshape(o.numel(), -1) @ t.reshape(-1)) for j, t in zip(row, vs)).reshape(o.shape)
                         for o, row in zip(outs, jac))
        return out, (tangents if out_tuple else tangents[0])
    out, tangent = nf.jvp(lambda *a: func(*a), tuple(ins), tuple(vs))
    return out, tangent


def _diff_inputs(ins: Tuple[Any, ...]) -> list:
    """The inputs a recorded derivative is taken with respect to: a tensor that already requires grad enters
    through a recorded identity (the result stays differentiable in its history, torch's create_graph rule),
    any other as a fresh leaf that requires grad."""
    return [t.view_as(t) if t.requires_grad else t.detach().requires_grad_(True) for t in ins]


def _grads(outs: list, xs: list, seeds: list, create_graph: bool) -> Tuple[Any, ...]:
    """autograd.grad of ``outs`` (seeded) with respect to ``xs``; zeros for an input they do not use."""
    from .autograd import grad

    return grad(outs, xs, seeds, retain_graph=True, create_graph=create_graph, materialize_grads=True,
                allow_unused=True)


def _jacobian_graph(func: Callable[..., Any], ins: Tuple[Any, ...], in_tuple: bool) -> Any:
    """The Jacobian by one recorded backward per output element (``create_graph=True``)."""
    from .tensor import stack

    xs = _diff_inputs(ins)
    out = func(*xs)
    out_tuple, outs = _tuple(out, "func's output")
    per_out = []
    for o in outs:
        flat = o.reshape(-1)
        rows = [_grads([flat[k]], xs, [None], True) for k in range(flat.numel())]
        per_in = []
        for i, x in enumerate(xs):
            col = stack([r[i] for r in rows]) if rows else x.reshape(1, -1)[:0]
            per_in.append(col.reshape(tuple(o.shape) + tuple(x.shape)))
        per_out.append(tuple(per_in) if in_tuple else per_in[0])
    return tuple(per_out) if out_tuple else per_out[0]


def _scalar_output(func: Callable[..., Any], xs: list, name: str) -> Any:
    from .tensor import Tensor

    out = func(*xs)
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}: the function must return a Tensor, got {type(out).__name__}")
    if out.numel() != 1:
        raise RuntimeError(f"{name}: the function given to {name} should return a Tensor with a single element, "
                           f"got shape {tuple(out.shape)}")
    return out.reshape(())


def _maybe_detach(ts: Tuple[Any, ...], create_graph: bool) -> Tuple[Any, ...]:
    return ts if create_graph else tuple(t.detach() for t in ts)


def hessian(func: Callable[..., Any], inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of ``func(*inputs)`` (a one-element output): for one input a Tensor ``input.shape * 2``; for a
    tuple of inputs a tuple of tuples (``H[i][j]`` of shape ``inputs[i].shape + inputs[j].shape``), as torch.
    One recorded backward gives the gradient, one more per gradient element gives a row.

    Example:
        >>> ne.autograd.functional.hessian(lambda x, y: (x * x * y).sum(), (ne.tensor([1.0]), ne.tensor([2.0])))
        ((tensor([[4.]]), tensor([[2.]])), (tensor([[2.]]), tensor([[0.]])))
    """
    from .tensor import stack

    if outer_jacobian_strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError("outer_jacobian_strategy: expected 'reverse-mode' or 'forward-mode', got "
                         f"{outer_jacobian_strategy!r}")
    in_tuple, ins = _tuple(inputs, "inputs")
    xs = _diff_inputs(ins)
    out = _scalar_output(func, xs, "hessian")
    gs = _grads([out], xs, [None], True)
    rows = []
    for i, g in enumerate(gs):
        flat = g.reshape(-1)
        second = [_grads([flat[k]], xs, [None], create_graph) if flat.requires_grad else
                  tuple(x.detach() * 0 for x in xs) for k in range(flat.numel())]
        row = []
        for j, x in enumerate(xs):
            h = stack([s[j] for s in second]).reshape(tuple(ins[i].shape) + tuple(x.shape))
            row.append(h if create_graph else h.detach())
        rows.append(tuple(row))
    if in_tuple:
        return tuple(rows)
    return rows[0][0]


def vhp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> Tuple[Any, Any]:
    """``(func(*inputs), v^T H)``: the vector-Hessian product of a one-element ``func`` (``v`` shaped like the
    inputs; may be omitted for a single one-element input), by two recorded backward passes.

    Example:
        >>> out, r = ne.autograd.functional.vhp(lambda x: (x ** 3).sum(), ne.tensor([1.0, 2.0]),
        ...                                     ne.tensor([1.0, 1.0]))
        >>> r
        tensor([ 6., 12.])
    """
    in_tuple, ins = _tuple(inputs, "inputs")
    vs = _vectors(v, in_tuple, ins, "input")
    for i, (t, w) in enumerate(zip(ins, vs)):
        if tuple(w.shape) != tuple(t.shape):
            raise RuntimeError(f"v[{i}]: expected shape {tuple(t.shape)} (the input's), got {tuple(w.shape)}")
    xs = _diff_inputs(ins)
    out = _scalar_output(func, xs, "vhp")
    gs = _grads([out], xs, [None], True)
    dot = sum((g * w).sum() for g, w in zip(gs, vs))
    res = _grads([dot], xs, [None], create_graph) if dot.requires_grad else tuple(x.detach() * 0 for x in xs)
    res = _maybe_detach(res, create_graph)
    out = out if create_graph else out.detach()
    return out, (res if in_tuple else res[0])


def hvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> Tuple[Any, Any]:
    """``(func(*inputs), H v)``: the Hessian-vector product of a one-element ``func``. A Hessian of a function
    with continuous second derivatives is symmetric, so ``H v = (v^T H)^T`` (vhp's two recorded passes).

    Example:
        >>> out, r = ne.autograd.functional.hvp(lambda x: (x ** 3).sum(), ne.tensor([1.0, 2.0]),
        ...                                     ne.tensor([1.0, 0.0]))
        >>> r
        tensor([6., 0.])
    """
    return vhp(func, inputs, v, create_graph, strict)
