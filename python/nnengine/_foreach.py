"""torch's ``_foreach_*`` list ops (``torch._foreach_mul_(params, 0.99)``, ``torch._foreach_lerp_(ema, params, w)``,
``torch._foreach_norm(grads)``), as EMA and clipping code in timm/diffusers style calls them: each applies the Tensor
method of the same name to every tensor of a list, with a scalar, a list of scalars or a list of tensors as the other
operand (zipped). The in-place forms (trailing ``_``) write each tensor and return None, as torch's; the others
return lists. One loop over the list: nnengine has no multi-tensor kernel here, and these are rarely hot.

Example:
    >>> import nnengine as ne
    >>> xs = [ne.ones(2), ne.ones(3)]
    >>> ne._foreach_mul_(xs, 0.5); ne._foreach_add_(xs, [ne.ones(2), ne.ones(3)], alpha=2.0); xs[1]
    tensor([2.5, 2.5, 2.5])
"""

from __future__ import annotations

from typing import Any, Callable, List, Sequence

from .tensor import Tensor

# the Tensor methods by the number of list-or-scalar operands after the tensors: one, none, two
_BINARY = ("add", "sub", "mul", "div", "maximum", "minimum", "pow", "clamp_min", "clamp_max")
_UNARY = ("abs", "neg", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "reciprocal", "sign", "zero",
          "floor", "ceil", "round", "trunc", "frac", "expm1", "log1p", "erf", "rsqrt")
_TERNARY = ("addcmul", "addcdiv", "lerp")


def _tensors(tensors: Any, name: str) -> List[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"_foreach_{name}: self: expected a list of Tensors, got {type(tensors).__name__}")
    if not all(isinstance(t, Tensor) for t in tensors):
        bad = next(type(t).__name__ for t in tensors if not isinstance(t, Tensor))
        raise TypeError(f"_foreach_{name}: self: expected a list of Tensors, got an element of type {bad}")
    return list(tensors)


def _operand(o: Any, n: int, name: str, i: int) -> List[Any]:
    """One operand per tensor: a list/tuple (of tensors or scalars) of the list's length, else ``o`` for each."""
    if isinstance(o, (list, tuple)):
        if len(o) != n:
            raise ValueError(f"_foreach_{name}: argument {i}: expected {n} elements (one per tensor), got {len(o)}")
        return list(o)
    return [o] * n


def _maker(name: str, method: str, inplace: bool, arity: int) -> Callable[..., Any]:
    def fn(self: Sequence[Tensor], *others: Any, **kwargs: Any) -> Any:
        ts = _tensors(self, name + ("_" if inplace else ""))
        if len(others) != arity:
            raise TypeError(f"_foreach_{name}: expected {arity} operand(s) after the tensors, got {len(others)}")
        cols = [_operand(o, len(ts), name, i + 1) for i, o in enumerate(others)]
        if name == "clamp_min":
            out = [getattr(t, "clamp" + ("_" if inplace else ""))(min=a, **kwargs) for t, a in zip(ts, cols[0])]
        elif name == "clamp_max":
            out = [getattr(t, "clamp" + ("_" if inplace else ""))(max=a, **kwargs) for t, a in zip(ts, cols[0])]
        else:
            out = [getattr(t, method)(*(c[j] for c in cols), **kwargs) for j, t in enumerate(ts)]
        return None if inplace else out

    fn.__name__ = f"_foreach_{name}{'_' if inplace else ''}"
    operands = ", [ne.ones(2)]" * arity
    fn.__doc__ = (f"``Tensor.{method}`` on every tensor of a list{' (in place; returns None)' if inplace else ''}, "
                  "torch's ``_foreach`` form.\n\nExample:\n"
                  f"    >>> ne.{fn.__name__}([ne.ones(2)]{operands}){'' if inplace else '[0].shape'}\n"
                  + ("" if inplace else "    (2,)\n"))
    return fn


def _foreach_norm(self: Sequence[Tensor], ord: Any = 2, dtype: Any = None) -> List[Tensor]:
    """The norm of each tensor (0-d tensors), torch's ``_foreach_norm`` (clipping code's per-tensor norms).

    Example:
        >>> [n.item() for n in ne._foreach_norm([ne.tensor([3.0, 4.0]), ne.tensor([1.0])])]
        [5.0, 1.0]
    """
    ts = _tensors(self, "norm")
    out = [t.norm(ord) for t in ts]
    return out if dtype is None else [o.to(dtype) for o in out]


def _foreach_copy_(self: Sequence[Tensor], src: Sequence[Any], non_blocking: bool = False) -> None:
    """``t.copy_(s)`` for every pair (in place; returns None).

    Example:
        >>> xs = [ne.zeros(2)]; ne._foreach_copy_(xs, [ne.ones(2)]); xs[0]
        tensor([1., 1.])
    """
    ts = _tensors(self, "copy_")
    for t, s in zip(ts, _operand(src, len(ts), "copy_", 1)):
        t.copy_(s)


def names() -> dict:
    """Every ``_foreach_*`` function whose Tensor method exists (built once the Tensor API is attached).

    Example:
        >>> "_foreach_lerp_" in names()
        True
    """
    out: dict = {"_foreach_norm": _foreach_norm, "_foreach_copy_": _foreach_copy_}
    for arity, group in ((1, _BINARY), (0, _UNARY), (2, _TERNARY)):
        for n in group:
            base = "clamp" if n.startswith("clamp_") else n
            if n != "zero" and hasattr(Tensor, base):
                out[f"_foreach_{n}"] = _maker(n, n, False, arity)
            if hasattr(Tensor, base + "_"):
                out[f"_foreach_{n}_"] = _maker(n, n + "_", True, arity)
    return out
