"""``Module``: the base class of layers and models, with PyTorch's naming and state_dict rules.

Example:
    >>> class Net(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = Linear(4, 2)
    ...     def forward(self, x):
    ...         return self.fc(x)
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections import OrderedDict, namedtuple
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple

import numpy as np

from .._coerce import as_array
from .._tape import ModuleSlot, buffer_value
from .._tape import module_call as _module_call
from ..autograd import Function, RemovableHandle
from ..tensor import Tensor
from .parameter import Buffer, Parameter, StateData, charge_module

_warned_dtypes: set = set()


def check_factory_kwargs(device: Any = None, dtype: Any = None, owner: str = "Module") -> None:
    """Validate a layer constructor's (or ``Module.to``'s) ``device=`` / ``dtype=``.

    Only the CPU exists (another device is a clear ``DeviceError``). float32 (or None) is the native dtype;
    float64 makes float64 parameters (the constructor wrapper calls :meth:`Module.double`, and float64 runs
    end to end where the ops have a float64 path, see ``functional/_float64.py``); float16/bfloat16 are
    accepted and computed in float32 (a widening), with a one-time ``UserWarning``; integer/bool dtypes are a
    ``TypeError``, as in torch.

    Example:
        >>> check_factory_kwargs(device="cpu", dtype=ne.float32, owner="Linear")
    """
    if device is not None:
        from .._device import check_device

        check_device(device, "device")
    if dtype is None:
        return
    from .._dtypes import to_dtype

    dt = to_dtype(dtype, "dtype")
    if dt == np.float32 or dt == np.float64:
        return
    if dt is None or dt.kind != "f":
        raise TypeError(f"{owner}: dtype must be a floating point type such as float32, got {dt}")
    if dt not in _warned_dtypes:
        _warned_dtypes.add(dt)
        warnings.warn(f"{owner}: dtype={dt} requested; nnengine computes half precision in float32, so "
                      "parameters and outputs stay float32", UserWarning, stacklevel=3)


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """``load_state_dict``'s result, torch's: ``(missing_keys, unexpected_keys)``, a tuple with those names."""

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class StateDictKeyError(RuntimeError, KeyError):
    """``load_state_dict(strict=True)`` with missing or unexpected keys: torch's RuntimeError, also a KeyError.

    Example:
        >>> try:
        ...     nn.Linear(2, 1).load_state_dict({"weight": np.zeros((1, 2))})
        ... except RuntimeError as e:
        ...     print(isinstance(e, KeyError), e)
        True Error(s) in loading state_dict for Linear:
            Missing key(s) in state_dict: "bias".
    """

    __str__ = BaseException.__str__  # (not KeyError's, which quotes the message)


class StateDictShapeError(RuntimeError, ValueError):
    """``load_state_dict`` with a value of the wrong shape: torch's RuntimeError ("size mismatch"), also a
    ValueError.

    Example:
        >>> try:
        ...     nn.Linear(2, 1).load_state_dict({"weight": np.zeros((3, 2))}, strict=False)
        ... except ValueError as e:
        ...     print(isinstance(e, RuntimeError), "size mismatch for weight" in str(e))
        True True
    """


class _BackwardHookInFn(Function):
    """Identity on a module's tensor inputs; its backward hands (grad_input, grad_output) to the hooks."""

    @staticmethod
    def forward(ctx: Any, state: Any, *xs: np.ndarray) -> Any:
        ctx.state = state
        return tuple(xs)

    @staticmethod
    def backward(ctx: Any, *grads: np.ndarray) -> Any:
        return (None,) + tuple(ctx.state.fire(grads))


class _BackwardHookOutFn(Function):
    """Identity on a module's tensor outputs; its backward records grad_output for the hooks."""

    @staticmethod
    def forward(ctx: Any, state: Any, *ys: np.ndarray) -> Any:
        ctx.state = state
        return tuple(ys)

    @staticmethod
    def backward(ctx: Any, *grads: np.ndarray) -> Any:
        ctx.state.grad_output = tuple(grads)
        if not ctx.state.n_inputs:  # no input needs a gradient: torch calls the hooks with grad_input None
            ctx.state.fire(())
        return (None,) + tuple(grads)


class _BackwardHookState:
    def __init__(self, module: Module, hooks: List[Callable[..., Any]], n_inputs: int) -> None:
        self.module, self.hooks, self.n_inputs = module, hooks, n_inputs
        self.grad_output: Tuple[Any, ...] = ()

    def fire(self, grad_input: Tuple[Any, ...]) -> Tuple[Any, ...]:
        gin = tuple(Tensor(g) for g in grad_input) if grad_input else (None,)
        gout = tuple(Tensor(g) for g in self.grad_output)
        for hook in self.hooks:
            res = hook(self.module, gin, gout)
            if res is not None:
                res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
                if len(res) != len(gin):
                    raise RuntimeError(f"backward hook returned {len(res)} gradients, expected {len(gin)}")
                gin = res
        if not grad_input:
            return ()
        return tuple(None if g is None else np.asarray(as_array(g), np.float32) for g in gin)


def _add_slot(cls: type, name: str) -> None:
    """Give ``cls`` a :class:`~nnengine._tape.ModuleSlot` for a registered ``name``, so reading it skips the failed
    ordinary lookup before ``Module.__getattr__`` (unless a class in the MRO already defines the name -- a slot
    given before, or a definition that keeps winning, as it did)."""
    if name.isidentifier() and not any(name in k.__dict__ for k in cls.__mro__):
        setattr(cls, name, ModuleSlot(name))


class Module:
    """Base class: holds Parameters, buffers and sub-Modules assigned as attributes.

    Example:
        >>> class Net(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc = nn.Linear(4, 2)
        ...
        ...     def forward(self, x):
        ...         return self.fc(x).relu()
        >>> Net()(ne.randn(3, 4)).shape
        (3, 2)
    """

    training: bool

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Record each instance's constructor arguments (for ``nnengine.io.save_model``).

        Every subclass ``__init__`` is wrapped once; the outermost call (the class actually being built)
        stores its bound arguments, without defaults, in ``self._init_args`` as a dict
        ``{name: value}`` (``*args`` under their parameter name as a tuple). Nothing else changes.
        """
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None or getattr(init, "_nne_records_args", False):
            return
        sig = inspect.signature(init)

        @functools.wraps(init)
        def __init__(self: Module, *args: Any, **kw: Any) -> None:
            outermost = "_init_args" not in self.__dict__
            if outermost:
                try:
                    bound = dict(sig.bind(self, *args, **kw).arguments)
                except TypeError:
                    bound = None  # let the real __init__ raise its own error
                if bound is not None:
                    bound.pop(next(iter(sig.parameters)), None)  # self
                object.__setattr__(self, "_init_args", bound)
            init(self, *args, **kw)
            if outermost and kw.get("dtype") is not None:  # Linear(..., dtype=torch.double): float64 params
                from .._dtypes import to_dtype

                if to_dtype(kw["dtype"], "dtype") == np.float64:
                    self.double()

        __init__._nne_records_args = True  # type: ignore[attr-defined]
        cls.__init__ = __init__  # type: ignore[method-assign]

    def __init__(self) -> None:
        charge_module()  # a no-op unless nnengine.io is building a file's architecture
        if "_init_args" not in self.__dict__:  # a subclass without its own __init__: no arguments
            object.__setattr__(self, "_init_args", {})
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        # hooks as torch keeps them: {handle id: hook}, the ids registered with_kwargs=True in a dict beside
        # (code written for torch reads these, e.g. prune's ``for hook in m._forward_pre_hooks.values()``)
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks_with_kwargs", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks_with_kwargs", OrderedDict())
        object.__setattr__(self, "_backward_hooks", OrderedDict())
        object.__setattr__(self, "training", True)

    # ----------------------------------------------------------------- attribute registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            # torch's rule: before __init__ only parameters and submodules cannot be registered; anything else
            # is a plain attribute (learn2learn's clone_module: ``clone = module.__new__(type(module));
            # clone.__dict__ = module.__dict__.copy()``)
            if isinstance(value, (Parameter, Module)):
                kind = "parameters" if isinstance(value, Parameter) else "module"
                raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
            object.__setattr__(self, name, value)
            return
        params, mods, bufs = self._parameters, self._modules, self._buffers
        if isinstance(value, Buffer):  # torch's nn.Buffer: register it (as a plain array)
            for d in (params, mods):
                d.pop(name, None)
            self._non_persistent.discard(name)
            self.register_buffer(name, np.asarray(value).view(np.ndarray), persistent=value.persistent)
            self._mark_tensor_buffer(name, True)  # torch's nn.Buffer is a Tensor: read back as one
            return
        if name in params and value is not None and not isinstance(value, Parameter):
            # torch's rule: a plain tensor in a parameter's place would silently drop it from parameters() (and so
            # from the optimizer); wrap it in nn.Parameter, or delete the parameter first
            raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                            "(nnengine.nn.Parameter or None expected)")
        if name in params and value is None:  # stays registered, as None (torch's register_parameter(name, None))
            params[name] = None
            self.__dict__.pop(name, None)
            return
        keep = (params if isinstance(value, Parameter) else mods if isinstance(value, Module) else
                bufs if name in bufs and (value is None or isinstance(value, (np.ndarray, Tensor))) else None)
        for d in (params, mods, bufs):
            if name in d and d is not keep:  # re-assigning the same kind keeps its position, like torch
                del d[name]
        if isinstance(value, Parameter):
            params[name] = value
        elif isinstance(value, Module):
            mods[name] = value
        elif name in bufs:
            bufs[name] = value if value is None else np.asarray(as_array(value))
            if isinstance(value, Tensor):
                self._mark_tensor_buffer(name, True)
        else:
            object.__setattr__(self, name, value)
            return
        self.__dict__.pop(name, None)
        _add_slot(type(self), name)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if key in d and name in d[key]:
                return buffer_value(d, name, d[key][name]) if key == "_buffers" else d[key][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for key in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__[key]:
                del self.__dict__[key][name]
                if key == "_buffers":
                    self._mark_tensor_buffer(name, False)
                return
        object.__delattr__(self, name)

    def _mark_tensor_buffer(self, name: str, on: bool) -> None:
        tb = self.__dict__.get("_tensor_buffers")
        if on:
            if tb is None:
                tb = set()
                object.__setattr__(self, "_tensor_buffers", tb)
            tb.add(name)
        elif tb is not None:
            tb.discard(name)

    def register_buffer(self, name: str, value: Optional[np.ndarray], persistent: bool = True) -> None:
        """A non-trainable array saved in state_dict (e.g. BatchNorm's running_mean). Stored as a numpy array;
        a buffer registered from a Tensor (torch's way) reads back as a Tensor sharing that array, so torch's
        Tensor methods work on it (``self.mask.bool()``, ``self.pe[:, :n].to(x.device)``).

        Example:
            >>> m = nn.Module()
            >>> m.register_buffer("steps", np.zeros(1, np.float32))
            >>> list(m.state_dict())
            ['steps']
        """
        self._buffers[name] = None if value is None else np.asarray(as_array(value))
        self.__dict__.pop(name, None)
        _add_slot(type(self), name)
        self._mark_tensor_buffer(name, isinstance(value, Tensor))
        if not persistent:
            self._non_persistent.add(name)

    def register_parameter(self, name: str, param: Optional[Parameter]) -> None:
        """Register ``param`` (a :class:`Parameter` or None) under ``name``, as torch.

        Example:
            >>> m = nn.Module()
            >>> m.register_parameter("w", nn.Parameter(ne.ones(2)))
            >>> [n for n, _ in m.named_parameters()]
            ['w']
        """
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"param: expected a Parameter or None, got {type(param).__name__}")
        self._parameters[name] = param
        self.__dict__.pop(name, None)
        _add_slot(type(self), name)

    def add_module(self, name: str, module: Optional[Module]) -> None:
        """Register ``module`` as the child ``name`` (the same as assigning an attribute).

        Example:
            >>> m = nn.Module()
            >>> m.add_module("fc", nn.Linear(2, 1))
            >>> list(dict(m.named_children()))
            ['fc']
        """
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f'module name can\'t be empty or contain ".", got: "{name}"')
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._modules[name] = module
        _add_slot(type(self), name)

    def register_module(self, name: str, module: Optional[Module]) -> None:
        """torch's alias of :meth:`add_module`.

        Example:
            >>> m = nn.Module(); m.register_module("fc", nn.Linear(2, 1)); [n for n, _ in m.named_children()]
            ['fc']
        """
        self.add_module(name, module)

    # ----------------------------------------------------------------- calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - abstract
        """The computation; subclasses override it. Call the module (``m(x)``), not ``forward``, so hooks run.

        Example:
            >>> class Double(nn.Module):
            ...     def forward(self, x):
            ...         return 2 * x
            >>> Double()(ne.tensor([1.0, 2.0]))
            tensor([2., 4.])
        """
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    #: ``module(*args, **kwargs)``: ``forward`` directly, or ``_call_with_hooks`` when a hook is registered (typed:
    #: ``nnengine._tape.module_call``, one per layer call)
    __call__ = _module_call

    def _call_with_hooks(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
        pre_kw = self.__dict__.get("_forward_pre_hooks_with_kwargs", ())  # read only: no registry created
        for hid, hook in list(self._forward_pre_hooks.items()):
            if hid in pre_kw:
                res = hook(self, args, kwargs)
                if res is not None:
                    args, kwargs = res
            else:
                res = hook(self, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        bhooks = list(self._backward_hooks.values())
        state = None
        from ..autograd import is_grad_enabled

        if bhooks and is_grad_enabled():
            idx = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
            state = _BackwardHookState(self, bhooks, len(idx))
            if idx:
                wrapped = _BackwardHookInFn.apply(state, *[args[i] for i in idx])
                args = list(args)
                for i, w in zip(idx, wrapped):
                    args[i] = w
                args = tuple(args)
        out = self.forward(*args, **kwargs)
        post_kw = self.__dict__.get("_forward_hooks_with_kwargs", ())
        for hid, hook in list(self._forward_hooks.items()):
            res = hook(self, args, kwargs, out) if hid in post_kw else hook(self, args, out)
            if res is not None:
                out = res
        if state is not None:
            single = isinstance(out, Tensor)
            outs = (out,) if single else out
            if isinstance(outs, tuple) and any(isinstance(o, Tensor) and o.requires_grad for o in outs):
                pos = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
                wrapped = _BackwardHookOutFn.apply(state, *[outs[i] for i in pos])
                outs = list(outs)
                for i, w in zip(pos, wrapped):
                    outs[i] = w
                out = outs[0] if single else tuple(outs)
        return out

    # ----------------------------------------------------------------- hooks
    def _hooks(self, name: str) -> OrderedDict[int, Any]:
        d = self.__dict__.get(name)
        if d is None:
            d = OrderedDict()
            object.__setattr__(self, name, d)
        return d

    def _add_hook(self, name: str, value: Any, prepend: bool, with_kwargs: bool = False) -> RemovableHandle:
        d = self._hooks(name)
        kw = self._hooks(name + "_with_kwargs") if name != "_backward_hooks" else None
        h = RemovableHandle(d) if kw is None else RemovableHandle(d, kw)
        d[h.id] = value
        if with_kwargs and kw is not None:
            kw[h.id] = True
        if prepend:
            d.move_to_end(h.id, last=False)
        return h

    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """``hook(module, args)`` runs before ``forward``; a non-None result replaces ``args`` (a single value
        becomes a 1-tuple). With ``with_kwargs=True``: ``hook(module, args, kwargs) -> (args, kwargs)``.

        Example:
            >>> m = nn.Linear(2, 1)
            >>> h = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
            >>> m(ne.ones(1, 2)).flatten().tolist() == m.bias.tolist()
            True
            >>> h.remove()
        """
        return self._add_hook("_forward_pre_hooks", hook, prepend, with_kwargs)

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """``hook(module, args, output)`` runs after ``forward``; a non-None result replaces the output
        (``hook(module, args, kwargs, output)`` with ``with_kwargs=True``).

        Example:
            >>> m, shapes = nn.Linear(4, 2), []
            >>> h = m.register_forward_hook(lambda mod, inp, out: shapes.append(out.shape))
            >>> _ = m(ne.zeros(3, 4)); h.remove(); shapes
            [(3, 2)]
        """
        return self._add_hook("_forward_hooks", hook, prepend, with_kwargs)

    def register_full_backward_hook(self, hook: Callable[..., Any], prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs during backward once the gradients with respect to
        the module's tensor inputs are known (tuples of Tensors; ``grad_input`` is ``(None,)`` when no input
        needs a gradient); a non-None result replaces ``grad_input``.

        Example:
            >>> m = nn.Linear(4, 2)
            >>> h = m.register_full_backward_hook(lambda mod, gin, gout: print(gout[0].shape))
            >>> m(ne.randn(3, 4, requires_grad=True)).sum().backward()
            (3, 2)
            >>> h.remove()
        """
        return self._add_hook("_backward_hooks", hook, prepend)

    def register_backward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Deprecated in torch; here the same as :meth:`register_full_backward_hook`.

        Example:
            >>> m = nn.Linear(4, 2)
            >>> h = m.register_backward_hook(lambda mod, gin, gout: print(gout[0].shape))
            >>> m(ne.randn(3, 4, requires_grad=True)).sum().backward()
            (3, 2)
            >>> h.remove()
        """
        return self.register_full_backward_hook(hook)

    # ----------------------------------------------------------------- traversal
    def named_modules(self, memo: Optional[set] = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[Tuple[str, Module]]:
        """(dotted name, module) for ``self`` (name ``prefix``) and every sub-module, each once (under every name
        it is registered with when ``remove_duplicate=False``). torch's argument order.

        Example:
            >>> m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
            >>> [name for name, _ in m.named_modules()]
            ['', '0', '1']
        """
        memo = set() if memo is None else memo
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """``self`` and every sub-module (see :meth:`named_modules`).

        Example:
            >>> m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
            >>> [type(x).__name__ for x in m.modules()]
            ['Sequential', 'Linear', 'ReLU']
        """
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[Tuple[str, Module]]:
        """(name, module) of the direct children.

        Example:
            >>> m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
            >>> [name for name, _ in m.named_children()]
            ['0', '1']
        """
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:  # a module held under two names once, as torch
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        """The direct children.

        Example:
            >>> m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
            >>> len(list(m.children()))
            2
        """
        for _, m in self.named_children():
            yield m

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[Tuple[str, Parameter]]:
        """(dotted name, Parameter) of every parameter (of the sub-modules too when ``recurse``), each once (under
        every name it has when ``remove_duplicate=False``: tied weights).

        Example:
            >>> m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
            >>> [(n, p.shape) for n, p in m.named_parameters()]
            [('0.weight', (3, 2)), ('0.bias', (3,))]
        """
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for mp, m in mods:
            for name, p in m._parameters.items():
                if p is None or (remove_duplicate and id(p) in seen):
                    continue
                seen.add(id(p))
                yield (f"{mp}.{name}" if mp else name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The parameters (see :meth:`named_parameters`); what an optimizer takes.

        Example:
            >>> m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
            >>> sum(p.numel() for p in m.parameters())
            9
        """
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[Tuple[str, Tensor]]:
        """``(name, tensor)`` for every buffer (e.g. ``bn.running_mean``), torch's names: each a Tensor around the
        stored array (no copy), as torch yields tensors, so generic code such as an EMA's
        ``for b, src in zip(ema.buffers(), model.buffers()): b.copy_(src)`` writes the buffers.

        Example:
            >>> m = nn.BatchNorm1d(3)
            >>> [n for n, _ in m.named_buffers()]
            ['running_mean', 'running_var', 'num_batches_tracked']
            >>> dict(m.named_buffers())["running_var"].fill_(2.0); m.running_var
            tensor([2., 2., 2.])
            array([2., 2., 2.], dtype=float32)
        """
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for mp, m in mods:
            for name, b in m._buffers.items():
                if b is None or (remove_duplicate and id(b) in seen):
                    continue
                seen.add(id(b))
                yield (f"{mp}.{name}" if mp else name), Tensor._wrap(b)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """The buffers, as Tensors around the stored arrays (see :meth:`named_buffers`).

        Example:
            >>> m = nn.BatchNorm1d(3)
            >>> [b.shape for b in m.buffers()]
            [(3,), (3,), ()]
        """
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        """The sub-module at dotted path ``target`` (``""`` is self), torch's errors.

        Example:
            >>> m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
            >>> m.get_submodule("0")
            Linear(in_features=2, out_features=3, bias=True)
        """
        if target == "":
            return self
        mod: Module = self
        for item in target.split("."):
            if item not in mod.__dict__.get("_modules", {}):
                if hasattr(mod, item):
                    raise AttributeError(f"`{item}` is not an nn.Module")
                raise AttributeError(f"{type(mod).__name__} has no attribute `{item}`")
            mod = mod._modules[item]
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at dotted path ``target`` (e.g. ``"fc.weight"``).

        Example:
            >>> m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
            >>> m.get_parameter("0.bias").shape
            (3,)
        """
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if name not in mod._parameters or mod._parameters[name] is None:
            raise AttributeError(f"{type(mod).__name__} has no parameter `{name}`")
        return mod._parameters[name]

    def get_buffer(self, target: str) -> np.ndarray:
        """The buffer at dotted path ``target`` (e.g. ``"bn.running_mean"``).

        Example:
            >>> m = nn.Sequential(nn.BatchNorm1d(3))
            >>> m.get_buffer("0.running_var")
            array([1., 1., 1.], dtype=float32)
        """
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if name not in mod._buffers:
            raise AttributeError(f"{type(mod).__name__} has no buffer `{name}`")
        return buffer_value(mod.__dict__, name, mod._buffers[name])

    # ----------------------------------------------------------------- state
    def state_dict(self, *args: Any, destination: Optional[Dict[str, Any]] = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict[str, np.ndarray]:
        """Parameters and persistent buffers, keyed by attribute path (PyTorch keys). As in torch, each value
        shares memory with the module: a numpy array (:class:`~nnengine.nn.parameter.StateData`) with torch's
        tensor methods, so ``own[k].copy_(w)`` writes the weight and ``v.clone()`` copies; keep a snapshot with
        ``copy.deepcopy(m.state_dict())``. ``keep_vars=True`` gives the Parameters themselves (buffers as
        arrays); ``destination``/``prefix`` are torch's (the dict to fill, a key prefix).

        Example:
            >>> m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
            >>> list(m.state_dict())
            ['0.weight', '0.bias']
            >>> m.state_dict()["0.bias"].zero_(); m[0].bias.detach().numpy()
            array([0., 0., 0.], dtype=float32)
            array([0., 0., 0.], dtype=float32)
        """
        if args:  # torch's deprecated positional form: state_dict(destination, prefix, keep_vars)
            if len(args) > 3:
                raise TypeError(f"state_dict: takes at most 3 positional arguments, got {len(args)}")
            destination, prefix, keep_vars = (tuple(args) + (destination, prefix, keep_vars)[len(args):])[:3]
        if not isinstance(prefix, str):
            raise TypeError(f"state_dict: prefix must be a str, got {type(prefix).__name__}")
        if destination is None:
            destination = OrderedDict()
        elif not isinstance(destination, dict):
            raise TypeError(f"state_dict: destination must be a dict, got {type(destination).__name__}")
        for mp, m in self.named_modules(remove_duplicate=False):  # a module held twice: both key sets, as torch
            pre = f"{prefix}{mp}." if mp else prefix
            for name, p in m._parameters.items():
                if p is not None:
                    destination[pre + name] = p if keep_vars else p._data.view(StateData)
            for name, b in m._buffers.items():
                if b is not None and name not in m._non_persistent:
                    destination[pre + name] = np.asarray(b).view(StateData)
        return destination  # type: ignore[return-value]

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> Tuple[List[str], List[str]]:
        """Copy values (numpy arrays, torch tensors, anything ``np.asarray`` takes) into this module.

        Raises torch's RuntimeError listing every problem: missing/unexpected keys when ``strict``
        (:class:`StateDictKeyError`, also a KeyError), shape mismatches even when not
        (:class:`StateDictShapeError`, also a ValueError); then nothing is copied. Returns torch's
        ``(missing_keys, unexpected_keys)`` named tuple.

        Example:
            >>> a, b = nn.Linear(2, 1), nn.Linear(2, 1)
            >>> b.load_state_dict(a.state_dict())
            <All keys matched successfully>
            >>> b.load_state_dict({"weight": a.weight}, strict=False).missing_keys
            ['bias']
            >>> bool((a.weight == b.weight).all())
            True
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"state_dict: expected a mapping, got {type(state_dict).__name__}")
        for mp, m in list(self.named_modules(remove_duplicate=False)):  # lazy layers take their sizes from the dict
            lazy_load = getattr(m, "_load_lazy_state", None)
            if lazy_load is not None:
                lazy_load(f"{mp}." if mp else "", state_dict)
        own: Dict[str, Tuple[Module, str, str]] = {}
        for mp, m in self.named_modules(remove_duplicate=False):  # every key state_dict() gives, aliases included
            pre = f"{mp}." if mp else ""
            for name, p in m._parameters.items():
                if p is not None:
                    own[pre + name] = (m, name, "param")
            for name in m._buffers:
                if name not in m._non_persistent:
                    own[pre + name] = (m, name, "buffer")
        # a buffer registered as None (e.g. running stats with track_running_stats=False) is not in
        # state_dict(), so it is not missing either (torch's rule); a value given for it is still taken
        # a BatchNorm's num_batches_tracked absent from a dict without torch's version metadata (checkpoints from
        # before torch 0.4.1 and hand-built dicts) keeps its value and is not missing, as torch's
        # _BatchNorm._load_from_state_dict has it
        versioned = getattr(state_dict, "_metadata", None) is not None
        missing = [k for k, (m, n, kind) in own.items()
                   if k not in state_dict and not (kind == "buffer" and m._buffers[n] is None)
                   and not (n == "num_batches_tracked" and not versioned and "running_mean" in m._buffers)]
        unexpected = [k for k in state_dict if k not in own]
        errors: List[str] = []  # torch's report: every problem at once
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        if strict and missing:
            errors.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
        staged = []
        shape_error = False
        for key, (m, name, kind) in own.items():
            if key not in state_dict:
                continue
            v = np.asarray(as_array(state_dict[key]))
            cur = m._parameters[name]._data if kind == "param" else m._buffers[name]
            if cur is not None and v.shape != cur.shape:
                shape_error = True
                errors.append(f"size mismatch for {key}: copying a param with shape {v.shape} from checkpoint, "
                              f"the shape in current model is {cur.shape}.")
                continue
            staged.append((m, name, kind, v, cur))
        if errors:  # (nothing is copied then: all or nothing, where torch copies the rest)
            cls = StateDictShapeError if shape_error else StateDictKeyError
            raise cls(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        for m, name, kind, v, cur in staged:  # validated everything first: all or nothing
            if kind == "param":
                dt = cur.dtype if cur.dtype.kind == "f" else np.float32  # torch copies into the parameter
                m._parameters[name].data = np.array(v, dtype=dt, copy=True)
            else:
                dt = cur.dtype if cur is not None else v.dtype
                m._buffers[name] = np.array(v, dtype=dt, copy=True)
        return _IncompatibleKeys(missing, unexpected)

    # ----------------------------------------------------------------- modes and grads
    def train(self, mode: bool = True) -> Module:
        """Set training mode (dropout active, batch norm uses batch statistics) on ``self`` and sub-modules.

        Example:
            >>> m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
            >>> m.train().training, m[0].training
            (True, True)
        """
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Set evaluation mode: ``train(False)``.

        Example:
            >>> m = nn.Dropout(0.5).eval()
            >>> m(ne.ones(3))
            tensor([1., 1., 1.])
        """
        return self.train(False)

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """torch's ``module.to(device)``, ``.to(dtype)``, ``.to(device, dtype)``, ``.to(tensor)``: nnengine runs
        on the CPU, so the device is validated (another device is a ``DeviceError``); float64/float32 convert
        the parameters like :meth:`double`/:meth:`float`; half precision warns once and stays float32.
        ``"meta"`` (torch's data-less device, e.g. the skeleton model ``torch.func.functional_call`` runs with
        stacked parameters) leaves the module on the CPU with its values: nnengine has no meta device.

        Example:
            >>> m = nn.Linear(2, 1).to("cpu", ne.float64)
            >>> m.weight.dtype
            dtype('float64')
        """
        from .._device import is_device_like

        device = kwargs.pop("device", None)
        dtype = kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        kwargs.pop("copy", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if not isinstance(a, type) and (isinstance(a, Tensor) or (hasattr(a, "dtype") and hasattr(a, "shape"))):
                dtype = a.dtype if np.dtype(a.dtype).kind == "f" else dtype
            elif a is None or isinstance(a, (bool,)):
                continue
            elif isinstance(a, int) or is_device_like(a):
                device = a
            else:
                dtype = a
        if str(getattr(device, "type", device)).strip().lower() == "meta":
            device = None  # no meta device here: the module stays on the CPU (torch.func's skeleton idiom)
        check_factory_kwargs(device, dtype, type(self).__name__ + ".to")
        if dtype is not None:
            from .._dtypes import to_dtype

            dt = to_dtype(dtype, "dtype")
            if dt in (np.float32, np.float64):
                return self._cast_floats(dt)
        return self

    def to_empty(self, *, device: Any = None, recurse: bool = True) -> Module:
        """torch's ``to_empty``: the parameters and buffers on ``device`` with their values unspecified (torch
        leaves them uninitialised; here, on the one device there is, they keep their values); re-initialise
        them afterwards (``reset_parameters`` or a ``load_state_dict``), as with torch.

        Example:
            >>> nn.Linear(2, 1).to_empty(device="cpu").weight.shape
            (1, 2)
        """
        check_factory_kwargs(device, None, type(self).__name__ + ".to_empty")
        return self

    def cpu(self) -> Module:
        """Returns ``self`` (everything lives on the CPU).

        Example:
            >>> nn.Linear(2, 1).cpu()
            Linear(in_features=2, out_features=1, bias=True)
        """
        return self

    def cuda(self, device: Any = None) -> Module:
        """Always a ``DeviceError``: nnengine runs on the CPU only (use ``.to(device)`` with
        ``device = ne.device("cuda" if ne.cuda.is_available() else "cpu")``).

        Example:
            >>> nn.Linear(2, 1).cuda()
            Traceback (most recent call last):
                ...
            nnengine._device.DeviceError: cuda(): nnengine runs on the CPU only; use .to(dev...
        """
        from .._device import DeviceError

        raise DeviceError("cuda(): nnengine runs on the CPU only; use .to(device) with "
                          "device = ne.device('cuda' if ne.cuda.is_available() else 'cpu')")

    def _cast_floats(self, dt: Any) -> Module:
        """Every floating parameter (and its gradient) and floating buffer converted to ``dt``, in place: the
        Parameter objects stay the same, so an optimizer built earlier still holds them."""
        dt = np.dtype(dt)
        for m in self.modules():
            for p in m._parameters.values():
                if p is not None and p._data.dtype != dt:
                    p.data = p._data.astype(dt)
                    if p.grad is not None:
                        p.grad = p.grad.astype(dt)
            for name, b in m._buffers.items():
                if b is not None and b.dtype.kind == "f" and b.dtype != dt:
                    m._buffers[name] = b.astype(dt)
        return self

    def share_memory(self) -> Module:
        """Every parameter and buffer moved into shared memory, torch's ``share_memory()``: processes started
        with ``nnengine.multiprocessing.Process(target=train, args=(model, ...))`` then train the same weights
        (Hogwild!). Returns self.

        Example:
            >>> m = nn.Linear(2, 1).share_memory()
            >>> m.weight.is_shared(), m.bias.is_shared()
            (True, True)
        """
        from .parameter import share_array

        for m in self.modules():
            for p in m._parameters.values():
                if p is not None:
                    p.share_memory_()
            for name, b in m._buffers.items():
                if b is not None:
                    m._buffers[name] = share_array(b)
        return self

    def float(self) -> Module:
        """Floating parameters and buffers to float32 (the kernels' native dtype).

        Example:
            >>> m = nn.Linear(2, 1).double().float()
            >>> m.weight.dtype
            dtype('float32')
        """
        return self._cast_floats(np.float32)

    def double(self) -> Module:
        """Floating parameters and buffers to float64, as in torch: Linear, the activations, softmax, MSE/L1 and
        the recurrent layers then compute in float64 (numpy); a float32-only kernel (conv, pooling, batch norm,
        dropout...) raises a ``TypeError`` naming itself rather than downcasting.

        Example:
            >>> nn.Linear(2, 1).double().weight.dtype
            dtype('float64')
        """
        return self._cast_floats(np.float64)

    def half(self) -> Module:
        """Accepted for torch scripts: warns once and keeps float32 (half precision is computed in float32).

        Example:
            >>> import warnings
            >>> with warnings.catch_warnings():
            ...     warnings.simplefilter("ignore")
            ...     print(nn.Linear(2, 1).half().weight.dtype)
            float32
        """
        check_factory_kwargs(None, np.float16, type(self).__name__ + ".half()")
        return self

    def type(self, dst_type: Any) -> Module:
        """``module.type(dtype)``: see :meth:`to`.

        Example:
            >>> nn.Linear(2, 1).type(ne.float64).weight.dtype
            dtype('float64')
        """
        return self.to(dst_type)

    def requires_grad_(self, flag: bool = True) -> Module:
        """Set ``requires_grad`` of every parameter (freeze with ``False``); returns ``self``.

        Example:
            >>> m = nn.Linear(2, 1).requires_grad_(False)
            >>> [p.requires_grad for p in m.parameters()]
            [False, False]
        """
        for p in self.parameters():
            p.requires_grad_(flag)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the parameters' gradients (to None, or to zeros with ``set_to_none=False``).

        Example:
            >>> m = nn.Linear(2, 1)
            >>> m(ne.ones(1, 2)).sum().backward()
            >>> m.zero_grad(); m.weight.grad is None
            True
        """
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad[...] = 0

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every sub-module (children first) and then on ``self``, like torch; returns ``self``.

        Example:
            >>> m = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
            >>> _ = m.apply(lambda s: nn.init.zeros_(s.bias) if isinstance(s, nn.Linear) else None)
            >>> m[0].bias
            Parameter containing:
            tensor([0., 0.], requires_grad=True)
        """
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def regularization_loss(self) -> Tensor:
        """Sum of ``p.regularizer(p)`` over this module's parameters (0-d Tensor; 0 when none are attached).

        Example:
            >>> m = nn.Linear(2, 1, weight_regularizer=ne.regularizers.L2(0.5))
            >>> nn.init.ones_(m.weight)
            Parameter containing:
            tensor([[1., 1.]], requires_grad=True)
            >>> m.regularization_loss()
            tensor(1., requires_grad=True)
        """
        total: Any = None
        for p in self.parameters():
            reg = getattr(p, "regularizer", None)
            if reg is not None:
                term = reg(p)
                total = term if total is None else total + term
        return total if total is not None else Tensor(np.zeros((), np.float32))

    # ----------------------------------------------------------------- display
    def extra_repr(self) -> str:
        """The text inside ``Name(...)`` in ``repr(module)``; layers override it with their arguments.

        Example:
            >>> nn.Linear(2, 1).extra_repr()
            'in_features=2, out_features=1, bias=True'
        """
        return ""

    def __repr__(self) -> str:
        # torch's layout: a one-line extra_repr alone stays inline, anything else one item per indented line
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({n}): " + repr(m).replace("\n", "\n  ") for n, m in self._modules.items()]
        if len(extra_lines) == 1 and not child_lines:
            return f"{type(self).__name__}({extra_lines[0]})"
        lines = extra_lines + child_lines
        if not lines:
            return f"{type(self).__name__}()"
        return f"{type(self).__name__}(" + "\n  " + "\n  ".join(lines) + "\n)"
