"""Automatic differentiation: the tape, grad mode, and the tools to check a gradient.

Every differentiable op is a ``Function`` (its forward and backward side by side; see its docstring for
how to write one). While grad mode is on, an op with an input that requires a gradient records a node on
its output; ``Tensor.backward()`` sweeps those nodes in reverse and accumulates ``.grad`` on the leaves.
``no_grad`` / ``inference_mode`` / ``set_grad_enabled`` switch recording off (thread-local, as in
PyTorch), ``detect_anomaly`` checks every forward and backward for NaN/inf, and ``gradcheck`` compares a
backward with central finite differences.

Example:
    >>> w = ne.tensor([1.0, -2.0, 3.0], requires_grad=True)
    >>> loss = (w * w).sum() + w.relu().sum()
    >>> loss.backward(); w.grad
    array([ 3., -4.,  7.], dtype=float32)
    >>> with no_grad():
    ...     frozen = w * 2
    >>> frozen.requires_grad, is_grad_enabled()
    (False, True)
"""

from __future__ import annotations

import contextlib
import itertools
import sys
import threading
import types
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from . import _tape
from ._tape import Context, Node  # noqa: F401  (re-exported: the tape's per-call storage and graph nodes)


class _ModeState(threading.local):
    """Per-thread anomaly flag (the grad mode is the tape's, a C++ thread_local: ``_tape.set_grad_mode``). The
    class attribute is every new thread's default: reading it never misses (a ``getattr(state, name, default)``
    that misses builds an AttributeError, ~0.3 us). Written only through ``_tape.set_anomaly``, which also counts
    the threads with it on (the tape skips the thread-local read while none is)."""

    anomaly = False


_state = _ModeState()


def is_grad_enabled() -> bool:
    """Whether operations record the graph (thread-local, like PyTorch).

    Example:
        >>> is_grad_enabled()
        True
        >>> with no_grad():
        ...     print(is_grad_enabled())
        False
    """
    return _tape.is_grad_enabled()


class _GradMode:
    """Base of ``no_grad`` / ``enable_grad`` / ``set_grad_enabled`` / ``inference_mode``: usable as a context
    manager, as a bare decorator (``@no_grad``) and as a called decorator (``@no_grad()``), like PyTorch."""

    _mode = True

    _bare = True  # a bare decorator (``@no_grad``) is a call with the function as the one argument

    #: ``cls(fn)`` decorates ``fn`` (bare decorator), any other call makes a manager (typed:
    #: ``nnengine._tape.grad_mode_new``, a ``with no_grad():`` per inference call)
    __new__ = staticmethod(_tape.grad_mode_new)

    #: ``__enter__`` remembers the thread's grad mode and switches to ``_mode``; ``__exit__`` restores it (typed:
    #: ``nnengine._tape.grad_mode_enter`` / ``grad_mode_exit``, a ``with no_grad():`` per inference call)
    __enter__ = _tape.grad_mode_enter
    __exit__ = _tape.grad_mode_exit

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        import functools

        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            prev = _tape.set_grad_mode(mode)
            try:
                return fn(*args, **kwargs)
            finally:
                _tape.set_grad_mode(prev)

        return wrapper


class no_grad(_GradMode):
    """Disables graph recording: a context manager or a decorator (``@no_grad`` or ``@no_grad()``).

    Example:
        >>> w = ne.tensor([3.0], requires_grad=True)
        >>> with no_grad():
        ...     y = w * 2
        >>> y.requires_grad
        False
    """

    _mode = False


class enable_grad(_GradMode):
    """Enables graph recording inside a ``no_grad`` region (context manager or decorator).

    Example:
        >>> w = ne.tensor([3.0], requires_grad=True)
        >>> with no_grad(), enable_grad():
        ...     y = w * 2
        >>> y.requires_grad
        True
    """

    _mode = True


class inference_mode(_GradMode):
    """``torch.inference_mode``: like ``no_grad`` here (nnengine has no version counters to skip), accepting
    ``mode=False`` for a no-op.

    Example:
        >>> w = ne.tensor([3.0], requires_grad=True)
        >>> with inference_mode():
        ...     y = w * 2
        >>> y.requires_grad
        False
    """

    def __init__(self, mode: bool = True) -> None:
        self._mode = not mode
        self._inference = bool(mode)

    def __enter__(self) -> None:
        self._prev_inference = _inference.on
        _inference.on = self._inference
        _tape.grad_mode_enter(self)

    def __exit__(self, *exc: Any) -> None:
        _tape.grad_mode_exit(self, *exc)
        _inference.on = self._prev_inference

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        import functools

        mode = self._inference

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper


class _InferenceState(threading.local):
    on = False


_inference = _InferenceState()


def is_inference_mode_enabled() -> bool:
    """Whether an ``inference_mode()`` block (or function decorated with it) is running on this thread.

    Example:
        >>> with inference_mode():
        ...     print(is_inference_mode_enabled())
        True
        >>> is_inference_mode_enabled()
        False
    """
    return _inference.on


class set_grad_enabled(_GradMode):
    """Sets grad mode: ``set_grad_enabled(False)`` switches it immediately (and back at the end of a
    ``with`` block when used as a context manager), as in PyTorch.

    Example:
        >>> w = ne.tensor([3.0], requires_grad=True)
        >>> with set_grad_enabled(False):
        ...     y = w * 2
        >>> y.requires_grad
        False
    """

    _bare = False  # its one argument is the mode

    def __init__(self, mode: bool) -> None:
        self._mode = bool(mode)
        self._prev = _tape.set_grad_mode(self._mode)

    def __enter__(self) -> None:
        pass  # already switched in __init__; __exit__ restores the mode from before the call

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        _tape.set_grad_mode(self._prev)  # as a decorator it applies per call, not from decoration on (as torch)
        return super().__call__(fn)


@contextlib.contextmanager
def detect_anomaly(check_nan: bool = True) -> Iterator[None]:
    """Context manager (thread-local, like ``torch.autograd.detect_anomaly``): every recorded op's forward output
    and every backward gradient is checked, and the first op that turns finite inputs into NaN or Inf raises
    ``RuntimeError`` naming the op and the direction. Slows every op by a finiteness scan; for debugging.

    Example:
        >>> w = ne.tensor([3.0], requires_grad=True)
        >>> with detect_anomaly():
        ...     (w - w).log().sum().backward()
        Traceback (most recent call last):
            ...
        RuntimeError: detect_anomaly: LogFn.forward produced nan/inf in output 0 from finite inputs
    """
    prev = _tape.set_anomaly(bool(check_nan))
    try:
        yield
    finally:
        _tape.set_anomaly(prev)


class set_detect_anomaly:  # noqa: N801 - torch's name
    """torch's ``autograd.set_detect_anomaly(mode)``: switches this thread's anomaly checks (see
    ``detect_anomaly``) on or off at once; as a context manager it restores the previous setting on exit.

    Example:
        >>> _ = set_detect_anomaly(True); is_anomaly_enabled()
        True
        >>> _ = set_detect_anomaly(False); is_anomaly_enabled()
        False
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"mode: expected a bool, got {type(mode).__name__}")
        self.prev = _tape.set_anomaly(bool(mode))

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        _tape.set_anomaly(self.prev)


def is_anomaly_enabled() -> bool:
    """Whether this thread's anomaly checks are on (``detect_anomaly`` / ``set_detect_anomaly``).

    Example:
        >>> with detect_anomaly():
        ...     is_anomaly_enabled()
        True
    """
    prev = _tape.set_anomaly(False)
    _tape.set_anomaly(prev)
    return bool(prev)


def _finite(a: Any) -> bool:
    return not isinstance(a, np.ndarray) or a.dtype.kind != "f" or bool(np.isfinite(a).all())


def _check_forward(cls: type, raw: Sequence[Any], out: Any) -> None:
    outs = out if type(out) is tuple else (out,)
    if all(_finite(a) for a in raw):
        for i, o in enumerate(outs):
            if not _finite(np.asarray(o)):
                raise RuntimeError(f"detect_anomaly: {cls.__name__}.forward produced nan/inf in output {i} "
                                   "from finite inputs")


def _check_backward(node: Node, gouts: Sequence[np.ndarray], gin: Sequence[Any]) -> None:
    if all(_finite(g) for g in gouts):
        for i, g in enumerate(gin):
            if g is not None and not _finite(np.asarray(g)):
                raise RuntimeError(f"detect_anomaly: {node.fn.__name__}.backward returned nan/inf in the "
                                   f"gradient of input {i} from finite output gradients")


def _to_tensors(vals: Sequence[Any]) -> list:
    T = _tensor_cls()
    return [T._wrap(v) if isinstance(v, np.ndarray) else v for v in vals]


def _to_arrays(out: Any) -> Any:
    T = _tensor_cls()
    if isinstance(out, tuple):
        return tuple(o._data if isinstance(o, T) else o for o in out)
    return out._data if isinstance(out, T) else out


def _window(a: Any) -> Any:
    """An array's memory window (address, shape, strides, dtype): the same for every view object of one array
    (a Tensor's wrapper may hold a different ndarray object over the same memory); None for anything else."""
    if not isinstance(a, np.ndarray):
        return None
    return (a.__array_interface__["data"][0], a.shape, a.strides, a.dtype.str)


def _tensor_io(cls: type) -> None:
    """Wrap the ``forward`` / ``backward`` (and ``setup_context``) that ``cls`` defines so that they see
    Tensors, as torch's ``autograd.Function`` does, while ``apply`` and the sweep keep passing arrays."""
    d = cls.__dict__
    fwd = d.get("forward")
    if fwd is not None and not getattr(fwd, "_nne_tensor_io", False):
        f = fwd.__func__ if isinstance(fwd, staticmethod) else fwd
        setup = d.get("setup_context")
        if setup is not None:  # torch 2's style: forward(*args) without ctx, then setup_context(ctx, inputs, out)
            s = setup.__func__ if isinstance(setup, staticmethod) else setup

            def forward(ctx: Context, *args: Any, __f: Any = f, __s: Any = s, **kwargs: Any) -> Any:
                targs = _to_tensors(args)
                with no_grad():
                    out = __f(*targs, **kwargs)
                    __s(ctx, tuple(targs), out)
                return _to_arrays(out)
        else:
            def forward(ctx: Context, *args: Any, __f: Any = f, **kwargs: Any) -> Any:
                with no_grad():
                    return _to_arrays(__f(ctx, *_to_tensors(args), **kwargs))

        forward._nne_tensor_io = True  # type: ignore[attr-defined]
        forward.__doc__ = f.__doc__
        cls.forward = staticmethod(forward)  # type: ignore[method-assign]
    bwd = d.get("backward")
    if bwd is not None and not getattr(bwd, "_nne_tensor_io", False):
        b = bwd.__func__ if isinstance(bwd, staticmethod) else bwd

        def backward(ctx: Context, *grads: Any, __b: Any = b) -> Any:
            return _to_arrays(__b(ctx, *_to_tensors(grads)))

        def graph_backward(ctx: Context, inputs: list, *grads: Any, __b: Any = b) -> Any:
            # create_graph=True: the user's backward on Tensors in grad mode, with each saved tensor that is one of
            # the inputs replaced by that input Tensor (torch keeps their history), so the result is recorded
            raws = {_window(t._data): t for t in inputs if t is not None}
            raws.pop(None, None)
            saved = ctx.saved_tensors
            ctx.saved_tensors = tuple(raws.get(_window(getattr(v, "data", v)), v) for v in saved)
            try:
                return __b(ctx, *grads)
            finally:
                ctx.saved_tensors = saved

        backward._nne_tensor_io = True  # type: ignore[attr-defined]
        backward.__doc__ = b.__doc__
        cls.backward = staticmethod(backward)  # type: ignore[method-assign]
        if "graph_backward" not in d:
            cls.graph_backward = staticmethod(graph_backward)  # type: ignore[attr-defined]


def once_differentiable(fn: Callable[..., Any]) -> Callable[..., Any]:
    """torch's ``autograd.function.once_differentiable``: marks a ``backward`` that is not itself
    differentiable. nnengine's backward pass never records a graph, so this returns ``fn`` unchanged.

    Example:
        >>> once_differentiable(abs) is abs
        True
    """
    return fn


class Function:
    """Base class of differentiable operations; see the module docstring.

    How arguments arrive (``tensor_io``): a subclass defined outside the nnengine package gets torch's
    contract: ``forward`` and ``backward`` see Tensors (inputs, saved tensors, output gradients) and may use
    any Tensor method (``input.clamp(min=0)``, ``grad_output.clone()``), returning Tensors or arrays; torch 2's
    ``forward(*args)`` + ``setup_context(ctx, inputs, output)`` style works too. nnengine's own ops (and a
    subclass that sets ``tensor_io = False``) get the numpy arrays themselves, with no wrapping. ``forward`` runs
    with grad mode off. Under ``create_graph=True`` a Tensor-contract ``backward`` runs in grad mode on the
    recorded inputs (a saved input is that input Tensor), so its gradient is differentiable again, as torch's.

    Example:
        >>> class Square(Function):
        ...     @staticmethod
        ...     def forward(ctx, x):
        ...         ctx.save_for_backward(x)
        ...         return x * x
        ...
        ...     @staticmethod
        ...     def backward(ctx, g):
        ...         (x,) = ctx.saved_tensors
        ...         return 2 * x * g
        >>> w = ne.tensor([3.0], requires_grad=True)
        >>> y = Square.apply(w); y.backward(); y, w.grad
        (tensor([9.], requires_grad=True), array([6.], dtype=float32))
    """

    #: whether forward/backward see Tensors (torch's contract) or numpy arrays; None: Tensors for subclasses
    #: defined outside nnengine (see the class docstring)
    tensor_io: Any = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        io = cls.__dict__.get("tensor_io")
        if io is None:  # a base's explicit choice, else by where the class is defined
            io = next((c.__dict__["tensor_io"] for c in cls.__mro__[1:]
                       if c is not Function and c.__dict__.get("tensor_io") is not None), None)
            if io is None:
                io = not (cls.__module__ or "").startswith("nnengine.")
            cls.tensor_io = io
        if io:
            _tensor_io(cls)

    @staticmethod
    def forward(ctx: Context, *args: Any) -> Any:  # pragma: no cover - abstract
        """The op on numpy arrays (Tensors arrive unwrapped; a subclass with ``tensor_io`` gets Tensors); save
        what ``backward`` needs on ``ctx``.

        Example:
            >>> class Square(Function):
            ...     @staticmethod
            ...     def forward(ctx, x):
            ...         ctx.save_for_backward(x)
            ...         return x * x
            ...
            ...     @staticmethod
            ...     def backward(ctx, g):
            ...         (x,) = ctx.saved_tensors
            ...         return 2 * x * g
            >>> Square.forward(Context(), np.array([2.0]))
            array([4.])
        """
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, *grads: np.ndarray) -> Any:  # pragma: no cover - abstract
        """One gradient (numpy array or None) per positional input of ``forward``, from the output gradients.

        Example:
            >>> class Square(Function):
            ...     @staticmethod
            ...     def forward(ctx, x):
            ...         ctx.save_for_backward(x)
            ...         return x * x
            ...
            ...     @staticmethod
            ...     def backward(ctx, g):
            ...         (x,) = ctx.saved_tensors
            ...         return 2 * x * g
            >>> ctx = Context(); _ = Square.forward(ctx, np.array([2.0]))
            >>> Square.backward(ctx, np.array([1.0]))
            array([4.])
        """
        raise NotImplementedError

    #: ``Fn.apply(*args)``: unwrap Tensors, run ``forward``, record a Node when an input requires a gradient
    #: and grad mode is on (the typed implementation is ``nnengine._tape.apply``).
    apply = classmethod(_tape.apply)


_TENSOR_CLS: Any = None


def _tensor_cls() -> Any:
    global _TENSOR_CLS
    if _TENSOR_CLS is None:
        from .tensor import Tensor

        _TENSOR_CLS = Tensor
    return _TENSOR_CLS


def _as_list(x: Any, name: str) -> list:
    if isinstance(x, _tensor_cls()):
        return [x]
    g = _higher_order.graph_of(x)  # a .grad recorded by backward(create_graph=True): its history
    if g is not None:
        return [g]
    if not isinstance(x, (list, tuple)):
        if isinstance(x, (str, bytes, np.ndarray)) or not hasattr(x, "__iter__"):
            raise TypeError(f"{name}: expected a Tensor or a sequence of Tensors, got {type(x).__name__}")
        x = tuple(x)  # any iterable, as torch's tuple(inputs): learn2learn's grad(loss, module.parameters())
    out = []
    for i, t in enumerate(x):
        if not isinstance(t, _tensor_cls()):
            g = _higher_order.graph_of(t)
            if g is None:
                raise TypeError(f"{name}[{i}]: expected a Tensor, got {type(t).__name__}")
            t = g
        out.append(t)
    return out


def _grad_list(roots: list, grads: Any, name: str) -> list:
    """The starting gradients as a list with one entry per root (None: 1 for a one-element root)."""
    if grads is None or isinstance(grads, (_tensor_cls(), np.ndarray)) or np.isscalar(grads):
        grads = [grads] if len(roots) == 1 or grads is None else grads
    if grads is None or len(grads) == 1 and len(roots) > 1 and grads[0] is None:
        grads = [None] * len(roots)
    grads = list(grads)
    if len(grads) != len(roots):
        raise ValueError(f"{name}: expected {len(roots)} gradients (one per output), got {len(grads)}")
    return grads


def _tape_wanted(tensors: Any) -> dict:
    """{id: [tensor, None]} for the tensors a sweep delivers gradients to (``inputs``), checked."""
    return _tape.wanted_of(tensors, "inputs")


def _seeds(roots: list, grads: Any, name: str) -> list:
    """One starting gradient per root (None: 1 for a one-element root), checked against its shape."""
    grads = _grad_list(roots, grads, name)
    out = []
    for i, (t, g) in enumerate(zip(roots, grads)):
        if not t.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        out.append(_tape.seed_grad(t, g, f"{name}[{i}]"))
    return out


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: Any = None, create_graph: bool = False,
             grad_variables: Any = None, inputs: Any = None) -> None:
    """torch's ``autograd.backward``: one reverse sweep from ``tensors`` (a Tensor or a sequence), each
    seeded with its entry of ``grad_tensors`` (None: 1 for a one-element tensor); leaf gradients accumulate
    into ``.grad`` (only into ``inputs`` when given). ``retain_graph=True`` keeps the graph for another
    backward; ``create_graph=True`` records the backward pass (``.grad`` receives its values; the graph is kept
    unless ``retain_graph=False``).

    Example:
        >>> w = ne.tensor([3.0], requires_grad=True)
        >>> backward([w * w, 2 * w], [np.ones(1, np.float32), np.ones(1, np.float32)]); w.grad
        array([8.], dtype=float32)
    """
    if grad_variables is not None:
        grad_tensors = grad_variables
    roots = _as_list(tensors, "tensors")
    if not roots:
        raise ValueError("tensors: expected at least one tensor to differentiate")
    if create_graph:
        _higher_order.sweep(roots, _higher_order.seeds(roots, _grad_list(roots, grad_tensors, "grad_tensors"),
                                                       "grad_tensors"),
                            retain_graph, None if inputs is None else _tape_wanted(inputs), True)
        return
    _tape.run_backward_many(roots, _seeds(roots, grad_tensors, "grad_tensors"), inputs,
                            bool(retain_graph))


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: Any = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: Any = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple:
    """torch's ``autograd.grad``: the gradients of ``outputs`` (seeded with ``grad_outputs``; None: 1 for a
    one-element output) with respect to each of ``inputs``, as a tuple of Tensors; no ``.grad`` changes. An
    input the outputs do not depend on is an error unless ``allow_unused=True`` (then None) or
    ``materialize_grads=True`` (zeros). The graph is freed unless ``retain_graph=True``. ``create_graph=True``
    records the backward pass: the gradients are differentiable again (gradient penalties, Hessian-vector
    products, second derivatives), and the graph is kept unless ``retain_graph=False`` (torch's default).

    Example:
        >>> x = ne.tensor([1.0, 2.0], requires_grad=True)
        >>> (g,) = grad((x ** 3).sum(), x)
        >>> g
        tensor([ 3., 12.])
        >>> x.grad is None
        True
    """
    if is_grads_batched:
        raise NotImplementedError("is_grads_batched=True: not supported (run one grad() per gradient)")
    outs = _as_list(outputs, "outputs")
    ins = _as_list(inputs, "inputs")
    if not outs:
        raise ValueError("outputs: expected at least one tensor to differentiate")
    if not ins:
        raise ValueError("inputs: expected at least one tensor")
    if materialize_grads and allow_unused is False:
        raise ValueError("allow_unused: expected True or None when materialize_grads=True, got False")
    if create_graph:
        want = _tape_wanted(ins)
        _higher_order.sweep(outs, _higher_order.seeds(outs, _grad_list(outs, grad_outputs, "grad_outputs"),
                                                      "grad_outputs"), retain_graph, want, False)
        found = [want[id(t)][1] for t in ins]
    else:
        found = _tape.run_grad(outs, _seeds(outs, grad_outputs, "grad_outputs"), ins, bool(retain_graph))
    res = []
    T = _tensor_cls()
    for i, (t, g) in enumerate(zip(ins, found)):
        if g is None:
            if materialize_grads:
                g = np.zeros(t._data.shape, t._data.dtype if t._data.dtype.kind == "f" else np.float32)
            elif not allow_unused:
                raise RuntimeError(f"One of the differentiated Tensors (inputs[{i}]) appears to not have been used "
                                   "in the graph. Set allow_unused=True if this is the desired behavior.")
            else:
                res.append(None)
                continue
        res.append(g if isinstance(g, T) else T._wrap(np.asarray(g)))
    return tuple(res)


class RemovableHandle:
    """What ``register_*_hook`` returns (tensor and module hooks): ``handle.remove()`` unregisters the hook
    (also a context manager). torch's ``torch.utils.hooks.RemovableHandle``.

    Example:
        >>> w = ne.ones(2, requires_grad=True)
        >>> h = w.register_hook(lambda g: g * 10)
        >>> (w * 1).sum().backward(); w.grad
        array([10., 10.], dtype=float32)
        >>> h.remove()
    """

    def __init__(self, *hooks_dicts: Any) -> None:
        self.id = next(_hook_ids)
        self._dicts = hooks_dicts

    def remove(self) -> None:
        """Unregister the hook (safe to call twice).

        Example:
            >>> w = ne.ones(2, requires_grad=True)
            >>> w.register_hook(print).remove()
        """
        for d in self._dicts:
            d.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


_hook_ids = itertools.count()


def _topo(root: Any) -> list:
    """Nodes reachable from root's node, in reverse topological order (outputs first)."""
    return _tape.topological_order(root)


def _unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a broadcast gradient back down to ``shape``."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def gradcheck(fn: Callable[..., Any], inputs: Sequence[Any], *, eps: float = 1e-2, atol: float = 1e-3,
              rtol: float = 1e-2, raise_exception: bool = True, seed: int = 0) -> bool:
    """Compare the tape's gradients of ``fn(*inputs)`` with central finite differences, like
    ``torch.autograd.gradcheck``: for every input Tensor with ``requires_grad``, the analytic gradient of
    ``sum(fn(*inputs) * v)`` (v a fixed random projection of the outputs) must match
    ``(f(x + h) - f(x - h)) / (2h)`` element by element within ``atol + rtol * |numeric|``.

    nnengine's tensors are float32, so the defaults are float32's (torch's 1e-6 / 1e-5 / 1e-3 assume
    float64): the step is ``eps * max(1, |x|)``, taken on the float32 grid, and f is summed in float64.
    Returns True, or raises ValueError naming the input, element, both values (False with
    ``raise_exception=False``).

    Example:
        >>> x = ne.tensor(np.random.rand(3, 4), requires_grad=True)
        >>> gradcheck(lambda t: (t * t).sum(), [x])
        True
    """
    Tensor = _tensor_cls()
    inputs = list(inputs)
    if not any(isinstance(t, Tensor) and t.requires_grad for t in inputs):
        raise ValueError("inputs: expected at least one Tensor with requires_grad=True")

    def outputs() -> list:
        out = fn(*inputs)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        return [o for o in outs if isinstance(o, Tensor)]

    rng = np.random.default_rng(seed)
    with enable_grad():
        outs = outputs()
    if not outs:
        raise ValueError("fn: expected it to return a Tensor or a tuple of Tensors")
    proj = [rng.standard_normal(o._data.shape) for o in outs]

    def value() -> float:
        with no_grad():
            return float(sum(np.sum(o._data.astype(np.float64) * v) for o, v in zip(outputs(), proj)))

    for t in inputs:
        if isinstance(t, Tensor):
            t.grad = None
    for o, v in zip(outs, proj):
        o.backward(v.astype(np.float32)) if o.requires_grad else None
    for k, t in enumerate(inputs):
        if not (isinstance(t, Tensor) and t.requires_grad):
            continue
        analytic = np.zeros(t._data.shape) if t.grad is None else np.asarray(t.grad, np.float64)
        if not (t._data.flags.c_contiguous and t._data.flags.writeable):
            t._data = np.array(t._data, order="C")
        flat = t._data.reshape(-1)  # a view: writes perturb the input
        for i in range(flat.size):
            x0 = flat[i]
            h = np.float32(eps * max(1.0, abs(float(x0))))
            flat[i] = x0 + h
            fp, hp = value(), float(flat[i])
            flat[i] = x0 - h
            fm, hm = value(), float(flat[i])
            flat[i] = x0
            numeric = (fp - fm) / (hp - hm)
            a = float(analytic.reshape(-1)[i])
            if not abs(a - numeric) <= atol + rtol * abs(numeric):
                if not raise_exception:
                    return False
                raise ValueError(f"gradcheck: input {k}, element {np.unravel_index(i, t.data.shape)}: analytic "
                                 f"gradient {a:.6g} vs numeric {numeric:.6g} (atol {atol}, rtol {rtol})")
    return True


_tape.configure(_tensor_cls, _state, _check_forward, _check_backward, _unbroadcast)
from . import _higher_order  # noqa: E402  (the recording sweep of create_graph=True)

_tape.configure_graph(_higher_order.sweep, _higher_order.seeds)


class _VariableType(type):
    """Every Tensor is a ``Variable`` (torch merged the two in 0.4): ``isinstance(t, Variable)`` is True."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, _tensor_cls())


class Variable(metaclass=_VariableType):
    """torch's legacy ``torch.autograd.Variable(data, requires_grad=False)``: a new leaf Tensor sharing ``data``'s
    storage (cut from any graph, like ``data.detach()``), which requires a gradient when asked; ``volatile`` is
    accepted and ignored, as torch does.

    Example:
        >>> from nnengine.autograd import Variable
        >>> t = ne.ones(2)
        >>> v = Variable(t, requires_grad=True)
        >>> v.requires_grad, t.requires_grad, isinstance(t, Variable)
        (True, False, True)
    """

    def __new__(cls, data: Any, requires_grad: bool = False, volatile: bool = False) -> Any:
        tensor = _tensor_cls()
        t = data.detach() if isinstance(data, tensor) else tensor(data)
        if requires_grad:
            t.requires_grad_(True)
        return t


# ``torch.autograd.function``'s names (``from torch.autograd.function import once_differentiable``), as a
# submodule of this module
function = types.ModuleType(__name__ + ".function", "torch.autograd.function's names: Function, FunctionCtx, "
                            "once_differentiable.")
function.Function = Function  # type: ignore[attr-defined]
function.FunctionCtx = Context  # type: ignore[attr-defined]
function.once_differentiable = once_differentiable  # type: ignore[attr-defined]
sys.modules[function.__name__] = function

# ``torch.autograd.profiler``: the legacy profiler (nnengine.profiler underneath), importable as a submodule
from . import _autograd_profiler as profiler  # noqa: E402

sys.modules[__name__ + ".profiler"] = profiler

# ``torch.autograd.functional``: jacobian, vjp, jvp (nnengine.func underneath), importable as a submodule
from . import _autograd_functional as functional  # noqa: E402

sys.modules[__name__ + ".functional"] = functional
