"""``torch.nn.utils.parametrize``: a tensor of a module computed from others. ``register_parametrization(m,
"weight", P)`` moves ``m.weight`` to ``m.parametrizations.weight.original`` (or ``original0``, ``original1``...
when ``P.right_inverse`` returns several tensors) and makes ``m.weight`` a property returning ``P(original)``
(chained for several registrations), so gradients reach the originals; assigning ``m.weight = value`` stores
``P.right_inverse(value)``. The module's class becomes ``Parametrized<Name>``; state_dict keys are torch's
(``parametrizations.weight.original``). ``cached()`` computes each parametrized tensor once inside it.

Example:
    >>> class Symmetric(nn.Module):
    ...     def forward(self, X):
    ...         return X.triu() + X.triu(1).transpose(0, 1)
    >>> m = register_parametrization(nn.Linear(3, 3), "weight", Symmetric())
    >>> bool((m.weight.data == m.weight.data.T).all()), type(m).__name__
    (True, 'ParametrizedLinear')
    >>> sorted(m.state_dict())
    ['bias', 'parametrizations.weight.original']
"""

from __future__ import annotations

import contextlib
from typing import Any, Dict, Iterator, Optional, Sequence, Tuple, Union

from ...autograd import no_grad
from ...tensor import Tensor
from ..module import Module
from ..modules.container import ModuleDict, ModuleList
from ..parameter import Parameter

__all__ = ["register_parametrization", "remove_parametrizations", "is_parametrized", "cached",
           "type_before_parametrizations", "ParametrizationList"]

_cache: Optional[Dict[Tuple[int, str], Tensor]] = None  # inside cached(): (id(module), name) -> value


@contextlib.contextmanager
def cached() -> Iterator[None]:
    """Inside it, each parametrized tensor is computed once and reused (e.g. a weight read at every step of
    an RNN); outside, on every access.

    Example:
        >>> with cached():
        ...     pass
    """
    global _cache
    outer = _cache is None
    if outer:
        _cache = {}
    try:
        yield
    finally:
        if outer:
            _cache = None


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, in order, and its original(s): ``original`` (or ``original0``,
    ``original1``...), Parameters when the tensor was one (buffers otherwise).

    Example:
        >>> m = register_parametrization(nn.Linear(2, 2), "weight", nn.Identity())
        >>> isinstance(m.parametrizations.weight, ParametrizationList)
        True
    """

    def __init__(self, modules: Sequence[Module], original: Tensor, unsafe: bool = False) -> None:
        super().__init__(modules)
        self.unsafe = unsafe
        is_param = isinstance(original, Parameter)
        with no_grad():
            new: Any = original
            for m in reversed(list(self)):
                if hasattr(m, "right_inverse"):
                    new = m.right_inverse(new)
        if isinstance(new, (tuple, list)):
            self.ntensors = len(new)
            for i, t in enumerate(new):
                self._store(f"original{i}", _as_tensor(t).detach(), is_param, original.requires_grad)
        else:
            self.ntensors = 1
            new = _as_tensor(new)
            if tuple(new.shape) != tuple(original.shape) and not unsafe:
                raise ValueError(f"right_inverse: expected a tensor of shape {tuple(original.shape)} (the "
                                 f"original's), got {tuple(new.shape)}")
            if new is original:
                self._store("original", original, is_param, original.requires_grad)
            else:
                original._data[...] = new._data  # torch keeps the original object, holding the new value
                self._store("original", original, is_param, original.requires_grad)
        if not unsafe:
            z = self()
            if tuple(z.shape) != tuple(original.shape):
                raise ValueError(f"parametrization: its forward must keep the shape {tuple(original.shape)} of the "
                                 f"tensor it parametrizes, got {tuple(z.shape)} (pass unsafe=True to allow it)")

    def _store(self, name: str, t: Tensor, is_param: bool, requires_grad: bool) -> None:
        if is_param:
            self.register_parameter(name, t if isinstance(t, Parameter) else Parameter(t, requires_grad))
        else:
            self.register_buffer(name, t._data)

    def _originals(self) -> Tuple[Any, ...]:
        if self.ntensors == 1:
            return (self.original,)
        return tuple(getattr(self, f"original{i}") for i in range(self.ntensors))

    def right_inverse(self, value: Any) -> None:
        """Store ``value`` through the parametrizations' ``right_inverse`` (last first) into the originals.

        Example:
            >>> m = nn.utils.parametrizations.weight_norm(nn.Linear(2, 2))
            >>> m.weight = ne.ones(2, 2); m.parametrizations.weight.original1.sum().item()
            4.0
        """
        with no_grad():
            for m in reversed(list(self)):
                if not hasattr(m, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(m).__name__} does not implement right_inverse.")
                value = m.right_inverse(value)
            vals = value if isinstance(value, (tuple, list)) else (value,)
            if len(vals) != self.ntensors:
                raise ValueError(f"right_inverse: expected {self.ntensors} tensor(s), got {len(vals)}")
            for orig, v in zip(self._originals(), vals):
                arr = orig._data if isinstance(orig, Tensor) else orig
                v = _as_tensor(v)._data
                if v.shape != arr.shape:
                    raise ValueError(f"value: expected shape {arr.shape}, got {v.shape}")
                arr[...] = v

    def forward(self) -> Tensor:  # type: ignore[override]
        originals = tuple(o if isinstance(o, Tensor) else Tensor._wrap(o) for o in self._originals())
        mods = list(self)
        x = mods[0](*originals)
        for m in mods[1:]:
            x = m(x)
        return x


def _property(name: str) -> property:
    def get(self: Module) -> Tensor:
        plist = self.parametrizations[name]
        if _cache is None:
            return plist()
        key = (id(self), name)
        v = _cache.get(key)
        if v is None:
            v = _cache[key] = plist()
        return v

    def set_(self: Module, value: Any) -> None:
        self.parametrizations[name].right_inverse(value)

    return property(get, set_)


def is_parametrized(module: Module, tensor_name: Optional[str] = None) -> bool:
    """Whether ``module`` has parametrizations (on ``tensor_name`` when given).

    Example:
        >>> is_parametrized(nn.Linear(2, 2))
        False
    """
    plists = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(plists, ModuleDict) or not getattr(module, "_nne_parametrized", False):
        return False
    return len(plists) > 0 if tensor_name is None else tensor_name in plists


def type_before_parametrizations(module: Module) -> type:
    """``module``'s class as it was before any parametrization.

    Example:
        >>> type_before_parametrizations(register_parametrization(nn.Linear(2, 2), "weight", nn.Identity()))
        <class 'nnengine.nn.modules.linear.Linear'>
    """
    return type(module).__bases__[0] if is_parametrized(module) else type(module)


def register_parametrization(module: Module, tensor_name: str, parametrization: Module, *,
                             unsafe: bool = False) -> Module:
    """Make ``module.<tensor_name>`` computed by ``parametrization`` (see the module docstring). Returns
    ``module``.

    Example:
        >>> m = register_parametrization(nn.Linear(2, 2), "bias", nn.Identity())
        >>> [n for n, _ in m.named_parameters()]
        ['weight', 'parametrizations.bias.original']
    """
    if not isinstance(module, Module):
        raise TypeError(f"module: expected a Module, got {type(module).__name__}")
    if not isinstance(parametrization, Module):
        raise TypeError(f"parametrization: expected a Module, got {type(parametrization).__name__}")
    if is_parametrized(module, tensor_name):
        plist = module.parametrizations[tensor_name]
        with no_grad():
            current = getattr(module, tensor_name)
            if hasattr(parametrization, "right_inverse") and not unsafe:
                current = parametrization.right_inverse(current)
        plist.append(parametrization)
        if not unsafe:
            z = plist()
            if tuple(z.shape) != tuple(current.shape if isinstance(current, Tensor) else z.shape):
                raise ValueError("parametrization: its forward must keep the tensor's shape")
        return module
    original = module._parameters.get(tensor_name)
    if original is None:
        buf = module._buffers.get(tensor_name)
        if buf is None:
            raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a parametrized element "
                             f"with name '{tensor_name}'")
        original = Tensor._wrap(buf)
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    if tensor_name in module._parameters:
        del module._parameters[tensor_name]
    else:
        del module._buffers[tensor_name]
    if not is_parametrized(module):
        cls = type(module)
        new_cls = type(f"Parametrized{cls.__name__}", (cls,), {"_nne_parametrized": True,
                                                                  "__module__": cls.__module__})
        module.__class__ = new_cls
        module.parametrizations = ModuleDict()
    module.parametrizations[tensor_name] = plist
    setattr(type(module), tensor_name, _property(tensor_name))
    return module


def remove_parametrizations(module: Module, tensor_name: str, leave_parametrized: bool = True) -> Module:
    """Remove the parametrizations of ``module.<tensor_name>``: it becomes a Parameter (a buffer if it was one)
    holding the parametrized value (``leave_parametrized=True``) or the original. The class is restored when
    no parametrization is left. Returns ``module``.

    Example:
        >>> m = register_parametrization(nn.Linear(2, 2), "weight", nn.Identity())
        >>> type(remove_parametrizations(m, "weight")).__name__
        'Linear'
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    originals = plist._originals()
    is_param = isinstance(originals[0], Parameter)
    with no_grad():
        if leave_parametrized:
            value: Union[Tensor, Any] = plist().detach()
        elif plist.ntensors == 1:
            value = originals[0]
        else:
            raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is "
                             "parametrized in terms of a sequence of tensors.")
    delattr(type(module), tensor_name)
    del module.parametrizations._modules[tensor_name]
    if is_param:
        module.register_parameter(tensor_name, value if isinstance(value, Parameter) else Parameter(value))
    else:
        module.register_buffer(tensor_name, value._data if isinstance(value, Tensor) else value)
    if len(module.parametrizations) == 0:
        del module._modules["parametrizations"]
        module.__class__ = type(module).__bases__[0]
    return module
