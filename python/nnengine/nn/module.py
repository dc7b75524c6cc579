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
from collections import OrderedDict
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

import numpy as np

from ..tensor import Tensor, _as_array
from .parameter import Parameter, charge_module


class Module:
    """Base class: holds Parameters, buffers and sub-Modules assigned as attributes."""

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
            if "_init_args" not in self.__dict__:
                try:
                    bound = dict(sig.bind(self, *args, **kw).arguments)
                except TypeError:
                    bound = None  # let the real __init__ raise its own error
                if bound is not None:
                    bound.pop(next(iter(sig.parameters)), None)  # self
                object.__setattr__(self, "_init_args", bound)
            init(self, *args, **kw)

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
        object.__setattr__(self, "training", True)

    # ----------------------------------------------------------------- attribute registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign before Module.__init__() call")
        params, mods, bufs = self._parameters, self._modules, self._buffers
        for d in (params, mods, bufs):
            if name in d and not (d is bufs and (value is None or isinstance(value, (np.ndarray, Tensor)))):
                del d[name]
        if isinstance(value, Parameter):
            params[name] = value
        elif isinstance(value, Module):
            mods[name] = value
        elif name in bufs:
            bufs[name] = value if value is None else np.asarray(_as_array(value))
        elif value is None and name in params:
            params[name] = None
        else:
            object.__setattr__(self, name, value)
            return
        self.__dict__.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if key in d and name in d[key]:
                return d[key][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for key in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__[key]:
                del self.__dict__[key][name]
                return
        object.__delattr__(self, name)

    def register_buffer(self, name: str, value: Optional[np.ndarray], persistent: bool = True) -> None:
        """A non-trainable array saved in state_dict (e.g. BatchNorm's running_mean)."""
        self._buffers[name] = None if value is None else np.asarray(_as_array(value))
        self.__dict__.pop(name, None)
        if not persistent:
            self._non_persistent.add(name)

    def register_parameter(self, name: str, param: Optional[Parameter]) -> None:
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"param: expected a Parameter or None, got {type(param).__name__}")
        self._parameters[name] = param
        self.__dict__.pop(name, None)

    def add_module(self, name: str, module: Optional[Module]) -> None:
        self._modules[name] = module

    # ----------------------------------------------------------------- calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ----------------------------------------------------------------- traversal
    def named_modules(self, prefix: str = "", memo: Optional[set] = None) -> Iterator[Tuple[str, Module]]:
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[Tuple[str, Module]]:
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator[Tuple[str, Parameter]]:
        seen = set()
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mp, m in mods:
            for name, p in m._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mp}.{name}" if mp else name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "") -> Iterator[Tuple[str, np.ndarray]]:
        for mp, m in self.named_modules(prefix):
            for name, b in m._buffers.items():
                if b is not None:
                    yield (f"{mp}.{name}" if mp else name), b

    def buffers(self) -> Iterator[np.ndarray]:
        for _, b in self.named_buffers():
            yield b

    # ----------------------------------------------------------------- state
    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Parameters and persistent buffers as numpy arrays, keyed by attribute path (PyTorch keys)."""
        out: OrderedDict[str, np.ndarray] = OrderedDict()
        for mp, m in self.named_modules():
            pre = f"{mp}." if mp else ""
            for name, p in m._parameters.items():
                if p is not None:
                    out[pre + name] = p.data.copy()
            for name, b in m._buffers.items():
                if b is not None and name not in m._non_persistent:
                    out[pre + name] = np.array(b, copy=True)
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> Tuple[List[str], List[str]]:
        """Copy values (numpy arrays, torch tensors, anything ``np.asarray`` takes) into this module.

        Raises KeyError listing missing/unexpected keys when ``strict``, ValueError on a shape mismatch.
        Returns ``(missing_keys, unexpected_keys)``.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"state_dict: expected a mapping, got {type(state_dict).__name__}")
        own: Dict[str, Tuple[Module, str, str]] = {}
        for mp, m in self.named_modules():
            pre = f"{mp}." if mp else ""
            for name, p in m._parameters.items():
                if p is not None:
                    own[pre + name] = (m, name, "param")
            for name in m._buffers:
                if name not in m._non_persistent:
                    own[pre + name] = (m, name, "buffer")
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}")
        staged = []
        for key, (m, name, kind) in own.items():
            if key not in state_dict:
                continue
            v = np.asarray(_as_array(state_dict[key]))
            cur = m._parameters[name].data if kind == "param" else m._buffers[name]
            if cur is not None and v.shape != cur.shape:
                raise ValueError(f"load_state_dict: '{key}' expected shape {cur.shape}, got {v.shape}")
            staged.append((m, name, kind, v, cur))
        for m, name, kind, v, cur in staged:  # validated everything first: all or nothing
            if kind == "param":
                m._parameters[name].data = np.array(v, dtype=np.float32, copy=True)
            else:
                dt = cur.dtype if cur is not None else v.dtype
                m._buffers[name] = np.array(v, dtype=dt, copy=True)
        return missing, unexpected

    # ----------------------------------------------------------------- modes and grads
    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, flag: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(flag)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad[...] = 0

    def apply(self, fn: Any) -> Module:
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def regularization_loss(self) -> Tensor:
        """Sum of ``p.regularizer(p)`` over this module's parameters (0-d Tensor; 0 when none are attached)."""
        total: Any = None
        for p in self.parameters():
            reg = getattr(p, "regularizer", None)
            if reg is not None:
                term = reg(p)
                total = term if total is None else total + term
        return total if total is not None else Tensor(np.zeros((), np.float32))

    # ----------------------------------------------------------------- display
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"({n}): " + repr(m).replace("\n", "\n  ") for n, m in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"
