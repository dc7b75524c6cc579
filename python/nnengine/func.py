"""``torch.func`` (functorch) on nnengine's tape: ``functional_call``, ``stack_module_state``, ``grad``,
``grad_and_value``, ``vjp``, ``jacrev``/``jacfwd``, ``jvp`` and ``vmap``.

How they work here: ``grad``/``vjp``/``jacrev`` run the function once on fresh leaf copies of the chosen
arguments and differentiate with reverse mode (``autograd.grad``); ``jacfwd`` and ``jvp`` give the same values
from reverse mode (nnengine has no forward mode). ``vmap`` maps by running the function once per index of the
mapped dimension and stacking the results (the same values as torch's batched rules, at a Python loop's cost;
``randomness="same"`` replays the generator's state for each index). Arguments may be Tensors or dicts, lists and
tuples of them (pytrees), as in torch. Transforms nest (``grad(grad(f))``, ``jacrev(grad(f))``, ``hessian``):
an inner transform records its backward (``create_graph=True``), so the outer one differentiates it again.

Example:
    >>> from nnengine.func import grad, vmap
    >>> vmap(grad(lambda x: (x ** 3).sum()))(ne.tensor([[1.0, 2.0], [3.0, 4.0]]))
    tensor([[ 3., 12.],
            [27., 48.]])
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import autograd
from ._coerce import as_array
from .nn.module import Module
from .random import get_rng_state, set_rng_state
from .tensor import Tensor, stack

__all__ = ["functional_call", "stack_module_state", "grad", "grad_and_value", "vjp", "jacrev", "jacfwd", "jvp",
           "hessian", "vmap"]

_state = threading.local()


# ----------------------------------------------------------------------------------------------- pytrees
def _flatten(tree: Any) -> Tuple[List[Any], Any]:
    """The leaves of a dict/list/tuple tree (dicts in key order) and a spec to rebuild it."""
    if isinstance(tree, dict):
        leaves: List[Any] = []
        specs = []
        for k, v in tree.items():
            sub, spec = _flatten(v)
            leaves += sub
            specs.append((k, spec, len(sub)))
        return leaves, ("dict", type(tree), specs)
    if isinstance(tree, (list, tuple)):
        leaves, specs = [], []
        for v in tree:
            sub, spec = _flatten(v)
            leaves += sub
            specs.append((None, spec, len(sub)))
        return leaves, ("seq", type(tree), specs)
    return [tree], None


def _unflatten(leaves: Sequence[Any], spec: Any) -> Any:
    if spec is None:
        return leaves[0]
    kind, typ, specs = spec
    parts, at = [], 0
    for key, sub, n in specs:
        parts.append((key, _unflatten(leaves[at:at + n], sub)))
        at += n
    if kind == "dict":
        return typ((k, v) for k, v in parts) if typ is not dict else {k: v for k, v in parts}
    vals = [v for _, v in parts]
    if typ in (list, tuple):
        return typ(vals)
    return typ(*vals) if hasattr(typ, "_fields") else typ(vals)  # namedtuple or a list/tuple subclass


def _leaf_tensor(x: Any, what: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (np.ndarray, float, int, np.floating, np.integer)) and not isinstance(x, bool):
        return Tensor(np.asarray(x))
    raise TypeError(f"{what}: expected Tensors (or dicts, lists, tuples of them), got {type(x).__name__}")


# ----------------------------------------------------------------------------------------------- modules
def functional_call(module: Module, parameter_and_buffer_dicts: Union[Dict[str, Any], Sequence[Dict[str, Any]]],
                    args: Any = None, kwargs: Optional[Dict[str, Any]] = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """``module(*args, **kwargs)`` with the named parameters and buffers replaced by the given tensors for the
    call (gradients flow to them); the module is as before afterwards. ``tie_weights``: a tensor given for one
    name of a tied parameter serves its other names too; ``strict``: the dicts must name every parameter and
    buffer, and nothing else.

    Example:
        >>> from nnengine.func import functional_call
        >>> m = nn.Linear(2, 1)
        >>> functional_call(m, {"weight": ne.ones(1, 2), "bias": ne.zeros(1)}, (ne.tensor([[1.0, 2.0]]),))
        tensor([[3.]])
    """
    if not isinstance(module, Module):
        raise TypeError(f"module: expected a Module, got {type(module).__name__}")
    dicts = [parameter_and_buffer_dicts] if isinstance(parameter_and_buffer_dicts, dict) else \
        list(parameter_and_buffer_dicts)
    given: Dict[str, Any] = {}
    for d in dicts:
        if not isinstance(d, dict):
            raise TypeError(f"parameter_and_buffer_dicts: expected dicts, got {type(d).__name__}")
        for k, v in d.items():
            if k in given:
                raise ValueError(f"parameter_and_buffer_dicts: {k!r} appears in more than one dict")
            given[k] = v
    known = [n for n, _ in module.named_parameters(remove_duplicate=False)] + \
        [n for n, _ in module.named_buffers(remove_duplicate=False)]
    if strict:
        missing = sorted(set(known) - set(given))
        unexpected = sorted(set(given) - set(known))
        if missing or unexpected:
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}: missing keys {missing}, "
                               f"unexpected keys {unexpected}")
    if tie_weights:
        names_of: Dict[int, List[str]] = {}
        for n, p in module.named_parameters(remove_duplicate=False):
            names_of.setdefault(id(p), []).append(n)
        for names in names_of.values():
            for n in names:
                if n in given:
                    for other in names:
                        given.setdefault(other, given[n])
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    undo = []
    try:
        for name, value in given.items():
            *path, attr = name.split(".")
            owner = module.get_submodule(".".join(path)) if path else module
            if attr in owner._parameters:
                undo.append((owner._parameters, attr, owner._parameters[attr]))
                owner._parameters[attr] = value
            elif attr in owner._buffers:
                undo.append((owner._buffers, attr, owner._buffers[attr]))
                owner._buffers[attr] = value if value is None else np.asarray(as_array(value))
            elif attr in owner.__dict__:
                undo.append((owner.__dict__, attr, owner.__dict__[attr]))
                owner.__dict__[attr] = value
            else:
                raise AttributeError(f"{type(owner).__name__} has no parameter, buffer or attribute {attr!r} "
                                     f"(from {name!r})")
        return module(*args, **(kwargs or {}))
    finally:
        for d, k, old in reversed(undo):
            d[k] = old


def stack_module_state(models: Sequence[Module]) -> Tuple[Dict[str, Tensor], Dict[str, Tensor]]:
    """The parameters and buffers of ``models`` (the same architecture) stacked along a new first dimension:
    ``(params, buffers)`` for :func:`vmap` over :func:`functional_call` (model ensembling). The stacked
    parameters are new leaves that require grad.

    Example:
        >>> params, buffers = ne.func.stack_module_state([nn.Linear(3, 2) for _ in range(4)])
        >>> params["weight"].shape, params["weight"].requires_grad
        ((4, 2, 3), True)
    """
    models = list(models)
    if not models or not all(isinstance(m, Module) for m in models):
        raise ValueError("models: expected a non-empty sequence of Modules")
    if len({type(m) for m in models}) != 1:
        raise ValueError("models: expected models of one class, got "
                         f"{sorted({type(m).__name__ for m in models})}")
    names = [n for n, _ in models[0].named_parameters()]
    if any([n for n, _ in m.named_parameters()] != names for m in models):
        raise ValueError("models: their parameters differ in names")
    params = {}
    for n in names:
        group = [dict(m.named_parameters())[n] for m in models]
        t = stack([p.detach() for p in group])
        params[n] = t.requires_grad_(all(p.requires_grad for p in group))
    buffers = {n: Tensor(np.stack([np.asarray(as_array(dict(m.named_buffers())[n])) for m in models]))
               for n, b in models[0].named_buffers() if b is not None}
    return params, buffers


# ----------------------------------------------------------------------------------------------- gradients
class _Transform:
    """Marks a reverse-mode transform as running. A transform entered inside another one (``grad(grad(f))``,
    ``jacrev(grad(f))``) differentiates with ``create_graph=True`` and keeps its result's history, so the outer
    transform differentiates it again (torch.func's nesting)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        _state.depth = getattr(_state, "depth", 0) + 1

    def __exit__(self, *exc: Any) -> None:
        _state.depth -= 1


def _nested() -> bool:
    """Whether an enclosing transform is running (the caller's results must stay differentiable)."""
    return getattr(_state, "depth", 0) > 0


def _argnums(argnums: Union[int, Tuple[int, ...]], n: int) -> Tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) and not isinstance(argnums, bool) else argnums
    if not isinstance(nums, tuple) or not nums or not all(isinstance(i, int) and not isinstance(i, bool)
                                                          for i in nums):
        raise TypeError(f"argnums: expected an int or a non-empty tuple of ints, got {argnums!r}")
    for i in nums:
        if not -n <= i < n:
            raise ValueError(f"argnums: {i} is out of range for a function called with {n} positional arguments")
    return tuple(i % n for i in nums)


def _leaves_for(args: Tuple[Any, ...], nums: Tuple[int, ...],
                nested: bool = False) -> Tuple[List[Any], List[Tuple[List[Tensor], Any]]]:
    """``args`` with the differentiated ones replaced by fresh leaves that require grad, and those leaves. Nested
    in another transform, an argument that already requires grad enters through a recorded identity instead, so
    the outer transform's variables stay upstream."""
    args = list(args)
    made = []
    for i in nums:
        leaves, spec = _flatten(args[i])
        fresh = [x.view_as(x) if nested and isinstance(x, Tensor) and x.requires_grad else
                 _leaf_tensor(x, f"args[{i}]").detach().requires_grad_(True) for x in leaves]  # float only
        args[i] = _unflatten(fresh, spec)
        made.append((fresh, spec))
    return args, made


def _split_aux(out: Any, has_aux: bool, name: str) -> Tuple[Any, Any]:
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise ValueError(f"{name}(f, has_aux=True): f must return a tuple (output, aux), got {type(out).__name__}")
    return out


def grad_and_value(func: Callable[..., Any], argnums: Union[int, Tuple[int, ...]] = 0,
                   has_aux: bool = False) -> Callable[..., Any]:
    """A function returning ``(gradients, value)`` of ``func`` (a one-element output) with respect to the
    arguments ``argnums`` (each a Tensor or a pytree of them; a tuple of argnums gives a tuple of gradients);
    with ``has_aux=True``, ``func`` returns ``(value, aux)`` and the result is ``(gradients, (value, aux))``.

    Example:
        >>> g, v = ne.func.grad_and_value(lambda x: (x * x).sum())(ne.tensor([1.0, 3.0])); g, v
        (tensor([2., 6.]), tensor(10.))
    """
    if not callable(func):
        raise TypeError(f"func: expected a callable, got {type(func).__name__}")

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums(argnums, len(args))
        nested = _nested()
        with _Transform("grad"):
            with autograd.enable_grad():
                call_args, made = _leaves_for(args, nums, nested)
                out, aux = _split_aux(func(*call_args, **kwargs), has_aux, "grad")
            if not isinstance(out, Tensor) or out.numel() != 1:
                raise RuntimeError(f"grad(f): f must return a one-element Tensor, got "
                                   f"{type(out).__name__}{tuple(out.shape) if isinstance(out, Tensor) else ''}")
            flat = [t for fresh, _ in made for t in fresh]
            grads = autograd.grad(out, flat, allow_unused=True, materialize_grads=True, create_graph=nested) \
                if out.requires_grad else tuple(Tensor(np.zeros(t.shape, t.dtype)) for t in flat)
        res, at = [], 0
        for fresh, spec in made:
            res.append(_unflatten(list(grads[at:at + len(fresh)]), spec))
            at += len(fresh)
        g = res[0] if isinstance(argnums, int) else tuple(res)
        value = out if nested else out.detach()
        return (g, (value, aux)) if has_aux else (g, value)

    return wrapper


def grad(func: Callable[..., Any], argnums: Union[int, Tuple[int, ...]] = 0,
         has_aux: bool = False) -> Callable[..., Any]:
    """A function returning the gradient of ``func`` (a one-element output) with respect to the arguments
    ``argnums``, as :func:`grad_and_value` without the value (``(gradients, aux)`` with ``has_aux=True``).

    Example:
        >>> ne.func.grad(lambda w, x: (w * x).sum(), argnums=(0, 1))(ne.tensor([2.0]), ne.tensor([5.0]))
        (tensor([5.]), tensor([2.]))
    """
    inner = grad_and_value(func, argnums, has_aux)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g, value = inner(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def vjp(func: Callable[..., Any], *primals: Any, has_aux: bool = False) -> Tuple[Any, ...]:
    """``(func(*primals), vjp_fn)`` (plus ``aux`` with ``has_aux=True``): ``vjp_fn(cotangents)`` returns the
    tuple of vector-Jacobian products, one per primal (each shaped like it). ``vjp_fn`` can be called again.

    Example:
        >>> out, vjp_fn = ne.func.vjp(lambda x: x ** 2, ne.tensor([1.0, 2.0]))
        >>> vjp_fn(ne.ones(2))
        (tensor([2., 4.]),)
    """
    if not callable(func):
        raise TypeError(f"func: expected a callable, got {type(func).__name__}")
    nums = tuple(range(len(primals)))
    nested = _nested()
    with _Transform("vjp"), autograd.enable_grad():
        call_args, made = _leaves_for(primals, nums, nested)
        out, aux = _split_aux(func(*call_args), has_aux, "vjp")
    outs, out_spec = _flatten(out)
    flat = [t for fresh, _ in made for t in fresh]

    def vjp_fn(cotangents: Any) -> Tuple[Any, ...]:
        cots, _ = _flatten(cotangents)
        if len(cots) != len(outs):
            raise ValueError(f"cotangents: expected {len(outs)} tensors (the structure of the output), "
                             f"got {len(cots)}")
        pairs = [(o, _leaf_tensor(c, "cotangents")) for o, c in zip(outs, cots)
                 if isinstance(o, Tensor) and o.requires_grad]
        for o, c in pairs:
            if tuple(c.shape) != tuple(o.shape):
                raise ValueError(f"cotangents: expected shape {tuple(o.shape)}, got {tuple(c.shape)}")
        record = nested or _nested()  # (asked before entering: inside, a transform is always running)
        with _Transform("vjp_fn"):
            grads = autograd.grad([o for o, _ in pairs], flat, grad_outputs=[c for _, c in pairs],
                                  retain_graph=True, allow_unused=True, materialize_grads=True,
                                  create_graph=record) if pairs \
                else tuple(Tensor(np.zeros(t.shape, t.dtype)) for t in flat)
        res, at = [], 0
        for fresh, spec in made:
            res.append(_unflatten(list(grads[at:at + len(fresh)]), spec))
            at += len(fresh)
        return tuple(res)

    detached = _unflatten([o.detach() if isinstance(o, Tensor) and not nested else o for o in outs], out_spec)
    return (detached, vjp_fn, aux) if has_aux else (detached, vjp_fn)


def jacrev(func: Callable[..., Any], argnums: Union[int, Tuple[int, ...]] = 0, *, has_aux: bool = False,
           chunk_size: Optional[int] = None) -> Callable[..., Any]:
    """A function returning the Jacobian of ``func`` (a Tensor output) with respect to the arguments
    ``argnums``: shape ``output.shape + input.shape`` per input, one reverse pass per output element.

    Example:
        >>> ne.func.jacrev(lambda x: x ** 2)(ne.tensor([1.0, 3.0]))
        tensor([[2., 0.],
                [0., 6.]])
    """
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"chunk_size: expected None or a positive int, got {chunk_size!r}")

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums(argnums, len(args))
        nested = _nested()
        with _Transform("jacrev"), autograd.enable_grad():
            call_args, made = _leaves_for(args, nums, nested)
            out, aux = _split_aux(func(*call_args, **kwargs), has_aux, "jacrev")
        if not isinstance(out, Tensor):
            raise TypeError(f"jacrev(f): f must return a Tensor, got {type(out).__name__}")
        flat = [t for fresh, _ in made for t in fresh]
        n = out.numel()
        rows: List[List[Any]] = [[] for _ in flat]
        if out.requires_grad:
            with _Transform("jacrev"):
                for i in range(n):
                    seed = np.zeros(n, np.dtype(out.dtype))
                    seed[i] = 1
                    gs = autograd.grad(out, flat, grad_outputs=Tensor(seed.reshape(out.shape)),
                                       retain_graph=nested or i < n - 1, allow_unused=True, materialize_grads=True,
                                       create_graph=nested)
                    for r, g in zip(rows, gs):
                        r.append(g if nested else np.asarray(as_array(g)))
        if nested:  # keep the rows' history: the enclosing transform differentiates the Jacobian again
            jacs = [stack(r).reshape(tuple(out.shape) + tuple(t.shape)) if r else
                    Tensor(np.zeros(tuple(out.shape) + tuple(t.shape), np.dtype(t.dtype))) for r, t in zip(rows, flat)]
        else:
            jacs = [Tensor(np.stack(r).reshape(tuple(out.shape) + tuple(t.shape)) if r else
                           np.zeros(tuple(out.shape) + tuple(t.shape), np.dtype(t.dtype)))
                    for r, t in zip(rows, flat)]
        res, at = [], 0
        for fresh, spec in made:
            res.append(_unflatten(jacs[at:at + len(fresh)], spec))
            at += len(fresh)
        j = res[0] if isinstance(argnums, int) else tuple(res)
        return (j, aux) if has_aux else j

    return wrapper


def jacfwd(func: Callable[..., Any], argnums: Union[int, Tuple[int, ...]] = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable[..., Any]:
    """The Jacobian as :func:`jacrev` computes it (nnengine has no forward mode; the values are the same).

    Example:
        >>> ne.func.jacfwd(lambda x: x.sum() * x)(ne.tensor([1.0, 2.0]))
        tensor([[4., 1.],
                [2., 5.]])
    """
    if randomness not in ("error", "different", "same"):
        raise ValueError(f"randomness: expected 'error', 'different' or 'same', got {randomness!r}")
    return jacrev(func, argnums, has_aux=has_aux)


def jvp(func: Callable[..., Any], primals: Tuple[Any, ...], tangents: Tuple[Any, ...], *, strict: bool = False,
        has_aux: bool = False) -> Tuple[Any, ...]:
    """``(func(*primals), J @ tangents)`` for a Tensor output, from the Jacobian (reverse mode, one pass per
    output element: fine for small outputs).

    Example:
        >>> ne.func.jvp(lambda x: x ** 2, (ne.tensor([1.0, 3.0]),), (ne.tensor([1.0, 1.0]),))
        (tensor([1., 9.]), tensor([2., 6.]))
    """
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple) or len(primals) != len(tangents):
        raise ValueError("primals, tangents: expected tuples of the same length")
    nums = tuple(range(len(primals)))
    jac_aux = jacrev(func, nums, has_aux=has_aux)(*primals)
    jacs, aux = jac_aux if has_aux else (jac_aux, None)
    with autograd.no_grad():
        out, _ = _split_aux(func(*primals), has_aux, "jvp")
    total = np.zeros(tuple(out.shape), np.float64)
    for jac, tan, prim in zip(jacs, tangents, primals):
        jl, _ = _flatten(jac)
        tl, _ = _flatten(tan)
        pl, _ = _flatten(prim)
        for j, t, p in zip(jl, tl, pl):
            ta = np.asarray(as_array(t), np.float64)
            if ta.shape != tuple(np.shape(as_array(p))):
                raise ValueError(f"tangents: expected the shape of its primal {np.shape(as_array(p))}, got {ta.shape}")
            ja = np.asarray(as_array(j), np.float64).reshape(int(np.prod(out.shape, dtype=np.int64)), -1)
            total += (ja @ ta.reshape(-1)).reshape(tuple(out.shape))
    res = (out.detach(), Tensor(total.astype(np.dtype(out.dtype))))
    return res + (aux,) if has_aux else res


def hessian(func: Callable[..., Any], argnums: Union[int, Tuple[int, ...]] = 0) -> Callable[..., Any]:
    """A function returning the Hessian of ``func`` (a one-element output) with respect to the arguments
    ``argnums`` (Tensors): one Tensor ``arg.shape * 2`` for an int ``argnums``, a tuple of tuples for a tuple of
    them, as torch.func.hessian; computed by recorded backward passes (``autograd.functional.hessian``).

    Example:
        >>> ne.func.hessian(lambda x: (x ** 3).sum())(ne.tensor([1.0, 2.0]))
        tensor([[ 6.,  0.],
                [ 0., 12.]])
    """
    from ._autograd_functional import hessian as _hessian

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nums = _argnums(argnums, len(args))

        def sel(*xs: Any) -> Any:
            full = list(args)
            for i, x in zip(nums, xs):
                full[i] = x
            return func(*full, **kwargs)

        picked = tuple(args[i] for i in nums)
        if isinstance(argnums, int):
            return _hessian(sel, picked[0])
        return _hessian(sel, picked)

    return wrapper


# ----------------------------------------------------------------------------------------------- vmap
def _index(x: Any, dim: Optional[int], b: int) -> Any:
    if dim is None:
        return x
    t = _leaf_tensor(x, "vmap input")
    return t[(slice(None),) * (dim % t.dim()) + (b,)]


def vmap(func: Callable[..., Any], in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: Optional[int] = None) -> Callable[..., Any]:
    """``func`` mapped over a dimension of its inputs: ``in_dims`` gives, per positional argument (an int or
    None for all of them), the dimension mapped (None: passed whole; a pytree argument takes one int/None for
    all its leaves, or a matching pytree); the results are stacked at ``out_dims``. Runs ``func`` once per index
    (differentiable; nesting and ``vmap(grad(f))`` work). ``randomness``: 'different' or 'error' (each index draws
    anew) or 'same' (each index draws what the first drew).

    Example:
        >>> ne.func.vmap(lambda a, b: a @ b, in_dims=(0, None))(ne.ones(3, 2, 2), ne.ones(2))
        tensor([[2., 2.],
                [2., 2.],
                [2., 2.]])
    """
    if not callable(func):
        raise TypeError(f"func: expected a callable, got {type(func).__name__}")
    if randomness not in ("error", "different", "same"):
        raise ValueError(f"randomness: expected 'error', 'different' or 'same', got {randomness!r}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"chunk_size: expected None or a positive int, got {chunk_size!r}")

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        dims = in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(f"in_dims: expected {len(args)} entries (one per positional argument), got {len(dims)}")
        flat_args, specs, flat_dims = [], [], []
        for i, (a, d) in enumerate(zip(args, dims)):
            leaves, spec = _flatten(a)
            if d is None or isinstance(d, int):
                ds = [d] * len(leaves)
            else:
                ds, _ = _flatten(d)
                if len(ds) != len(leaves):
                    raise ValueError(f"in_dims[{i}]: its structure does not match argument {i}")
            flat_args.append(leaves)
            specs.append(spec)
            flat_dims.append(ds)
        size = None
        for i, (leaves, ds) in enumerate(zip(flat_args, flat_dims)):
            for x, d in zip(leaves, ds):
                if d is None:
                    continue
                if not isinstance(d, int) or isinstance(d, bool):
                    raise TypeError(f"in_dims[{i}]: expected an int or None, got {d!r}")
                t = _leaf_tensor(x, f"args[{i}]")
                if not -t.dim() <= d < t.dim():
                    raise ValueError(f"in_dims[{i}]: dimension {d} is out of range for a {t.dim()}-D input")
                n = int(t.shape[d])
                if size is not None and n != size:
                    raise ValueError(f"vmap: the mapped dimensions differ in size ({size} and {n}, args[{i}])")
                size = n
        if size is None:
            raise ValueError("vmap: at least one input must be mapped (in_dims all None)")
        rng = get_rng_state() if randomness == "same" else None
        results = []
        for b in range(size):
            if rng is not None:
                set_rng_state(rng)
            call = [_unflatten([_index(x, d, b) for x, d in zip(leaves, ds)], spec)
                    for leaves, ds, spec in zip(flat_args, flat_dims, specs)]
            results.append(func(*call, **kwargs))
        outs0, out_spec = _flatten(results[0])
        per_out = list(zip(*[_flatten(r)[0] for r in results]))
        odims = out_dims if isinstance(out_dims, tuple) else (out_dims,) * len(outs0)
        if len(odims) != len(outs0):
            raise ValueError(f"out_dims: expected {len(outs0)} entries (one per output), got {len(odims)}")
        stacked = []
        for vals, d in zip(per_out, odims):
            ts = [_leaf_tensor(v, "vmap output") for v in vals]
            if d is None:
                stacked.append(ts[0])
            else:
                stacked.append(stack(ts, dim=d))
        return _unflatten(stacked, out_spec)

    return wrapper
