"""``torch.jit``'s names for programs that script or trace a model on the way: nnengine has no TorchScript, and
its eager modules (or ``nnengine.compile``) are what such a program runs. ``script`` and ``trace`` return what
they are given, so calling the result computes the same values and gradients; the decorators (``ignore``,
``unused``, ``export``) leave functions unchanged; ``is_scripting()`` is False. ``save`` / ``load`` of a
TorchScript archive do not exist here: they raise ``NotImplementedError`` naming the alternatives
(``ne.save(model.state_dict(), path)``, ``nnengine.onnx.export``).

Example:
    >>> import nnengine as torch
    >>> model = torch.jit.script(torch.nn.Linear(2, 1))
    >>> model(torch.ones(3, 2)).shape
    (3, 1)
"""

from __future__ import annotations

from typing import Any, Callable, Final, TypeVar  # noqa: F401  (Final: torch.jit.Final)

__all__ = ["script", "trace", "trace_module", "ignore", "unused", "export", "is_scripting", "is_tracing",
           "annotate", "freeze", "optimize_for_inference", "fork", "wait", "save", "load", "Final",
           "interface", "ScriptModule", "ScriptFunction"]

T = TypeVar("T")


def script(obj: T, optimize: Any = None, _frames_up: int = 0, _rcb: Any = None, example_inputs: Any = None) -> T:
    """``obj`` itself (a module, function or class): it runs eagerly, with the same results.

    Example:
        >>> f = script(lambda x: x * 2)
        >>> f(3)
        6
    """
    return obj


def trace(func: T, example_inputs: Any = None, *args: Any, **kwargs: Any) -> T:
    """``func`` itself: a traced module or function computes what the original does.

    Example:
        >>> m = ne.nn.ReLU()
        >>> trace(m, ne.ones(2)) is m
        True
    """
    return func


def trace_module(mod: T, inputs: Any = None, *args: Any, **kwargs: Any) -> T:
    """``mod`` itself (see :func:`trace`).

    Example:
        >>> m = ne.nn.ReLU()
        >>> trace_module(m, {"forward": ne.ones(2)}) is m
        True
    """
    return mod


def _decorator(fn: Any = None, **_: Any) -> Any:
    if fn is None or not callable(fn):  # used with arguments: @torch.jit.ignore(drop=True)
        return lambda f: f
    return fn


def ignore(drop: Any = False, **kwargs: Any) -> Any:
    """The decorated function unchanged (torch: leave it to Python; it always is here).

    Example:
        >>> @ignore
        ... def f(x):
        ...     return x + 1
        >>> f(1)
        2
    """
    return _decorator(drop)


def unused(fn: Any) -> Any:
    """The decorated function unchanged.

    Example:
        >>> unused(abs) is abs
        True
    """
    return _decorator(fn)


def export(fn: Any) -> Any:
    """The decorated method unchanged.

    Example:
        >>> export(abs) is abs
        True
    """
    return _decorator(fn)


def interface(obj: Any) -> Any:
    """The decorated class unchanged.

    Example:
        >>> interface(int) is int
        True
    """
    return obj


def is_scripting() -> bool:
    """False: nothing is ever compiled to TorchScript.

    Example:
        >>> is_scripting()
        False
    """
    return False


def is_tracing() -> bool:
    """False (see :func:`is_scripting`).

    Example:
        >>> is_tracing()
        False
    """
    return False


def annotate(the_type: Any, the_value: T) -> T:
    """``the_value`` (the type is for TorchScript's compiler).

    Example:
        >>> annotate(list, [])
        []
    """
    return the_value


def freeze(mod: T, preserved_attrs: Any = None, optimize_numerics: bool = True) -> T:
    """``mod`` itself.

    Example:
        >>> m = ne.nn.ReLU()
        >>> freeze(m) is m
        True
    """
    return mod


def optimize_for_inference(mod: T, other_methods: Any = None) -> T:
    """``mod`` itself (for a faster eager module, see ``nnengine.compile``).

    Example:
        >>> m = ne.nn.ReLU()
        >>> optimize_for_inference(m) is m
        True
    """
    return mod


class _Future:
    def __init__(self, value: Any) -> None:
        self._value = value

    def wait(self) -> Any:
        return self._value


def fork(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Runs ``func(*args, **kwargs)`` now and returns a future whose ``wait()`` (or :func:`wait`) gives it.

    Example:
        >>> wait(fork(max, 1, 2))
        2
    """
    return _Future(func(*args, **kwargs))


def wait(future: Any) -> Any:
    """The value of a future from :func:`fork`.

    Example:
        >>> wait(fork(min, 1, 2))
        1
    """
    return future.wait()


def save(m: Any, f: Any, _extra_files: Any = None) -> None:
    """TorchScript archives do not exist in nnengine: raises ``NotImplementedError`` naming the alternatives.

    Example:
        >>> save(ne.nn.ReLU(), "m.pt")
        Traceback (most recent call last):
            ...
        NotImplementedError: torch.jit.save: nnengine has no TorchScript archives; save the weights with ne.save(model.state_dict(), path) (and rebuild the module to load them), or export ONNX with nnengine.onnx.export
    """
    raise NotImplementedError("torch.jit.save: nnengine has no TorchScript archives; save the weights with "
                              "ne.save(model.state_dict(), path) (and rebuild the module to load them), or export "
                              "ONNX with nnengine.onnx.export")


def load(f: Any, map_location: Any = None, _extra_files: Any = None) -> Any:
    """TorchScript archives cannot be read: raises ``NotImplementedError`` (see :func:`save`).

    Example:
        >>> load("m.pt")
        Traceback (most recent call last):
            ...
        NotImplementedError: torch.jit.load: nnengine cannot read TorchScript archives; load a state dict with ne.load(path) into the rebuilt module
    """
    raise NotImplementedError("torch.jit.load: nnengine cannot read TorchScript archives; load a state dict with "
                              "ne.load(path) into the rebuilt module")


def _script_types() -> tuple:
    from .nn.module import Module

    return Module, type(lambda: None)


class _ScriptType(type):
    """``isinstance(m, torch.jit.ScriptModule)`` holds for what ``script`` returns: modules (functions for
    ``ScriptFunction``)."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, _script_types()[0 if cls.__name__ == "ScriptModule" else 1])


class ScriptModule(metaclass=_ScriptType):
    """What ``script(module)`` gives: the module itself (``isinstance(script(m), ScriptModule)`` is True).

    Example:
        >>> isinstance(script(ne.nn.ReLU()), ScriptModule)
        True
    """


class ScriptFunction(metaclass=_ScriptType):
    """What ``script(function)`` gives: the function itself.

    Example:
        >>> def f(x):
        ...     return x
        >>> isinstance(script(f), ScriptFunction)
        True
    """
