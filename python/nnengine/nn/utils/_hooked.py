"""What the hook forms of weight_norm and spectral_norm share: the checks before a reparameterizing forward
pre-hook takes over a parameter, and finding that hook again to remove it."""

from __future__ import annotations

from ..module import Module
from ..parameter import Parameter


def hooked_parameter(module: Module, name: str, kind: type, what: str) -> Parameter:
    """``module``'s Parameter ``name``, which a ``kind`` hook (``what``: its function's name) may take over."""
    if not isinstance(module, Module):
        raise TypeError(f"module: expected a Module, got {type(module).__name__}")
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, kind) and hook.name == name:
            raise RuntimeError(f"Cannot register two {what} hooks on the same parameter {name}")
    weight = module._parameters.get(name) if isinstance(name, str) else None
    if not isinstance(weight, Parameter):
        raise ValueError(f"name: {type(module).__name__} has no parameter {name!r}")
    return weight


def remove_hook(module: Module, name: str, kind: type, missing: str, attr: str = "name") -> Module:
    """Undo the ``kind`` forward pre-hook whose ``attr`` is parameter ``name`` (its ``remove``) and unregister it;
    ValueError ``missing`` when there is none (weight_norm, spectral_norm and pruning all end this way)."""
    for k, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, kind) and getattr(hook, attr) == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(missing)
