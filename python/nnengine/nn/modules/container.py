"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, ItemsView, Iterable, Iterator, KeysView, List, Mapping, Optional, Tuple, ValuesView

import numpy as np

from ...tensor import Tensor, _IndexError
from ..module import Module
from ..parameter import Parameter
from .activation import ReLU
from .linear import Linear, linear_relu
from .pooling import relu_max_pool


def _repeat_factor(n: object, op: str) -> int:
    """``n`` of ``Sequential * n`` / ``*= n``: a positive int (torch's errors otherwise)."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"unsupported operand type(s) for {op}: Sequential and {type(n).__name__}")
    if n <= 0:
        raise ValueError(f"Non-positive multiplication factor {n} for Sequential")
    return n


def _renumber(container: Module, mods: List[Module]) -> None:
    """Hold ``mods`` in ``container`` under the keys 0, 1, ... (torch's numbering after a deletion or insertion)."""
    container._modules.clear()
    for i, m in enumerate(mods):
        container.add_module(str(i), m)


class Sequential(Module):
    """Modules called in order; accepts modules or one OrderedDict of named modules.

    Example:
        >>> net = Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> net(ne.randn(3, 4)).shape
        (3, 2)
    """

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for k, m in args[0].items():
                self._check(m, k)
                self.add_module(k, m)
        else:
            for i, m in enumerate(args):
                self._check(m, str(i))
                self.add_module(str(i), m)

    @staticmethod
    def _check(m: Any, name: str) -> None:
        if not isinstance(m, Module):
            raise TypeError(f"Sequential[{name}]: expected a Module, got {type(m).__name__}")

    def forward(self, x: Any) -> Any:
        """Each module's output is the next one's input.

        Example:
            >>> Sequential(nn.Flatten(), nn.Linear(6, 2)).forward(ne.zeros(5, 2, 3)).shape
            (5, 2)
        """
        relu = None  # a ReLU held back to see whether a MaxPool2d follows (fused into one node, same bits)
        lin = None  # a Linear held back to see whether a ReLU follows (fused into one node, same bits)
        for m in self._modules.values():
            if lin is not None:
                held, lin = lin, None
                if type(m) is ReLU:
                    y = linear_relu(held, m, x)
                    if y is not None:
                        x = y
                        continue
                x = held(x)
            if relu is not None:
                y = relu_max_pool(relu, m, x)
                x = relu(x) if y is None else y
                relu = None
                if y is not None:
                    continue
            if type(m) is ReLU:
                relu = m
                continue
            if type(m) is Linear:
                lin = m
                continue
            x = m(x)
        if lin is not None:
            return lin(x)
        return x if relu is None else relu(x)

    def _key(self, idx: Any) -> str:
        """The key of position ``idx`` (torch's IndexError past either end)."""
        if not isinstance(idx, (int, np.integer)) or isinstance(idx, bool):
            raise TypeError(f"Sequential index: expected an int or a slice, got {type(idx).__name__}")
        n = len(self._modules)
        if not -n <= idx < n:
            raise _IndexError(f"index {idx} is out of range")
        return list(self._modules)[int(idx) % n]

    def __getitem__(self, idx: Any) -> Any:
        """The module at ``idx``; a slice is a Sequential of those modules under their keys (torch's).

        Example:
            >>> net = Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
            >>> net[-1], list(net[1:].state_dict())
            (Linear(in_features=3, out_features=1, bias=True), ['2.weight', '2.bias'])
        """
        if isinstance(idx, slice):
            return Sequential(OrderedDict(list(self._modules.items())[idx]))
        return self._modules[self._key(idx)]

    def __setitem__(self, idx: int, module: Module) -> None:
        """Replace the module at ``idx`` (keeps its key and place: a fine-tuning head swap).

        Example:
            >>> net = Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 10))
            >>> net[2] = nn.Linear(8, 3); net(ne.zeros(1, 4)).shape
            (1, 3)
        """
        key = self._key(idx)
        self._check(module, key)
        setattr(self, key, module)

    def __delitem__(self, idx: Any) -> None:
        """Remove the module(s) at ``idx`` (an int or a slice); the rest are renumbered 0, 1, ... as in torch.

        Example:
            >>> net = Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 10))
            >>> del net[-1]; len(net), list(net.state_dict())
            (2, ['0.weight', '0.bias'])
        """
        keys = list(self._modules)[idx] if isinstance(idx, slice) else [self._key(idx)]
        for k in keys:
            delattr(self, k)
        _renumber(self, list(self._modules.values()))

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __add__(self, other: Sequential) -> Sequential:
        """A new Sequential of both's modules (torch's ``seq1 + seq2``).

        Example:
            >>> len(Sequential(nn.ReLU()) + Sequential(nn.Tanh(), nn.ReLU()))
            3
        """
        if not isinstance(other, Sequential):
            raise TypeError(f"Sequential + : expected a Sequential, got {type(other).__name__}")
        return Sequential(*self, *other)

    def __iadd__(self, other: Sequential) -> Sequential:
        if not isinstance(other, Sequential):
            raise TypeError(f"Sequential += : expected a Sequential, got {type(other).__name__}")
        return self.extend(other)

    def __mul__(self, n: int) -> Sequential:
        """A new Sequential repeating these modules ``n`` times (the same module objects, as torch's).

        Example:
            >>> len(Sequential(nn.ReLU(), nn.Tanh()) * 2)
            4
        """
        return Sequential(*(list(self) * _repeat_factor(n, "*")))

    __rmul__ = __mul__

    def __imul__(self, n: int) -> Sequential:
        return self.extend(list(self) * (_repeat_factor(n, "*=") - 1))

    def append(self, m: Module) -> Sequential:
        """Add ``m`` at the end; returns ``self``.

        Example:
            >>> Sequential(nn.Linear(2, 2)).append(nn.ReLU())
            Sequential(
              (0): Linear(in_features=2, out_features=2, bias=True)
              (1): ReLU()
            )
        """
        self._check(m, str(len(self)))
        self.add_module(str(len(self)), m)
        return self

    def extend(self, modules: Iterable[Module]) -> Sequential:
        """Append each of ``modules``; returns ``self``.

        Example:
            >>> len(Sequential(nn.ReLU()).extend([nn.Tanh(), nn.ReLU()]))
            3
        """
        for m in list(modules):
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> Sequential:
        """Put ``module`` at position ``index`` (torch's bounds: ``-len <= index <= len``); returns ``self``.

        Example:
            >>> net = Sequential(nn.Linear(2, 2)).insert(0, nn.ReLU())
            >>> [type(m).__name__ for m in net]
            ['ReLU', 'Linear']
        """
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
            raise TypeError(f"index: expected an int, got {type(index).__name__}")
        self._check(module, str(index))
        n = len(self._modules)
        if not -n <= index <= n:
            raise _IndexError(f"Index out of range: {index}")
        index = int(index) + n if index < 0 else int(index)
        mods = list(self._modules.values())
        mods.insert(index, module)
        _renumber(self, mods)
        return self

    def pop(self, key: Any) -> Any:
        """Remove and return the module(s) at ``key`` (an int or a slice), torch's.

        Example:
            >>> net = Sequential(nn.Linear(2, 2), nn.ReLU())
            >>> net.pop(0), len(net)
            (Linear(in_features=2, out_features=2, bias=True), 1)
        """
        v = self[key]
        del self[key]
        return v


class ModuleList(Module):
    """A list of Modules registered as children (names "0", "1", ...).

    Example:
        >>> layers = ModuleList([nn.Linear(4, 4) for _ in range(3)])
        >>> len(layers), len(list(layers.parameters()))
        (3, 6)
    """

    def __init__(self, modules: Optional[Iterable[Module]] = None) -> None:
        super().__init__()
        for m in modules or []:
            self.append(m)

    def append(self, m: Module) -> ModuleList:
        """Add ``m`` at the end; returns ``self``.

        Example:
            >>> len(ModuleList().append(nn.ReLU()))
            1
        """
        if not isinstance(m, Module):
            raise TypeError(f"ModuleList: expected a Module, got {type(m).__name__}")
        self.add_module(str(len(self._modules)), m)
        return self

    def extend(self, ms: Iterable[Module]) -> ModuleList:
        """Add every module of ``ms``; returns ``self``.

        Example:
            >>> len(ModuleList([nn.ReLU()]).extend([nn.Tanh(), nn.Sigmoid()]))
            3
        """
        for m in ms:
            self.append(m)
        return self

    def insert(self, index: int, m: Module) -> None:
        """Insert ``m`` before position ``index`` (the ones after it renumbered), as list.insert.

        Example:
            >>> ml = ModuleList([nn.ReLU(), nn.Tanh()]); ml.insert(1, nn.Identity()); [type(x).__name__ for x in ml]
            ['ReLU', 'Identity', 'Tanh']
        """
        if not isinstance(m, Module):
            raise TypeError(f"ModuleList: expected a Module, got {type(m).__name__}")
        mods = list(self._modules.values())
        mods.insert(index, m)
        _renumber(self, mods)

    def pop(self, idx: int = -1) -> Module:
        """Remove and return the module at ``idx`` (the ones after it renumbered).

        Example:
            >>> ml = ModuleList([nn.ReLU(), nn.Tanh()]); type(ml.pop(0)).__name__, len(ml)
            ('ReLU', 1)
        """
        m = self[idx]
        del self[idx]
        return m

    def __getitem__(self, idx: int) -> Any:
        mods = list(self._modules.values())
        return ModuleList(mods[idx]) if isinstance(idx, slice) else mods[idx]

    def __setitem__(self, idx: int, m: Module) -> None:
        self.add_module(list(self._modules.keys())[idx], m)

    def __delitem__(self, idx: Any) -> None:
        mods = list(self._modules.values())
        del mods[idx]
        _renumber(self, mods)  # "0".."n-1" again, as torch keeps the numbering

    def __iadd__(self, ms: Iterable[Module]) -> ModuleList:
        return self.extend(ms)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList(list(self) + list(other))

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class ModuleDict(Module):
    """A dict of named Modules registered as children.

    Example:
        >>> heads = ModuleDict({"cls": nn.Linear(8, 3), "box": nn.Linear(8, 4)})
        >>> heads["box"](ne.zeros(2, 8)).shape
        (2, 4)
    """

    def __init__(self, modules: Optional[Mapping[str, Module]] = None) -> None:
        super().__init__()
        for k, m in (modules or {}).items():
            self[k] = m

    def __getitem__(self, k: str) -> Module:
        return self._modules[k]

    def __setitem__(self, k: str, m: Module) -> None:
        self.add_module(k, m)

    def __contains__(self, k: str) -> bool:
        return k in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __delitem__(self, k: str) -> None:
        del self._modules[k]

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def update(self, modules: Any) -> None:
        """Add or replace modules from a mapping or an iterable of (name, module) pairs (in their order).

        Example:
            >>> md = ModuleDict({"a": nn.ReLU()}); md.update({"b": nn.Tanh()}); list(md)
            ['a', 'b']
        """
        items = modules.items() if isinstance(modules, (Mapping, ModuleDict)) else modules
        for j, kv in enumerate(items):
            if not isinstance(kv, (tuple, list)) or len(kv) != 2:
                raise TypeError(f"ModuleDict.update: element #{j} should be a (name, module) pair, got {kv!r}")
            self[kv[0]] = kv[1]

    def pop(self, k: str) -> Module:
        """Remove the module named ``k`` and return it.

        Example:
            >>> md = ModuleDict({"a": nn.ReLU()}); type(md.pop("a")).__name__, len(md)
            ('ReLU', 0)
        """
        m = self._modules[k]
        del self._modules[k]
        return m

    def clear(self) -> None:
        """Remove every module.

        Example:
            >>> md = ModuleDict({"a": nn.ReLU()}); md.clear(); len(md)
            0
        """
        self._modules.clear()

    def keys(self) -> KeysView[str]:
        """The names, in insertion order.

        Example:
            >>> list(ModuleDict({"a": nn.ReLU(), "b": nn.Tanh()}).keys())
            ['a', 'b']
        """
        return self._modules.keys()

    def values(self) -> ValuesView[Module]:
        """The modules, in insertion order.

        Example:
            >>> list(ModuleDict({"a": nn.ReLU()}).values())
            [ReLU()]
        """
        return self._modules.values()

    def items(self) -> ItemsView[str, Module]:
        """(name, module) pairs, in insertion order.

        Example:
            >>> list(ModuleDict({"a": nn.ReLU()}).items())
            [('a', ReLU())]
        """
        return self._modules.items()


def _as_parameter(v: Any, where: str) -> Any:
    """torch's rule for the parameter containers: a Parameter is kept, a plain Tensor becomes a Parameter
    (``requires_grad=True``, as ``torch.nn.Parameter(t)``), anything else is rejected."""
    if isinstance(v, Parameter):
        return v
    if isinstance(v, Tensor):
        return Parameter(v._data)
    raise TypeError(f"{where}: expected a Parameter or Tensor, got {type(v).__name__}")


def _describe(m: Module) -> str:
    return "\n".join(f"  ({k}): Parameter containing: [{p.dtype} of size {'x'.join(map(str, p.shape))}]"
                     for k, p in m._parameters.items())  # torch's lines, each with its two-space indent


class ParameterList(Module):
    """A list of Parameters registered on the module (names "0", "1", ... as torch's ``state_dict``); plain
    Tensors are wrapped as Parameters.

    Example:
        >>> ps = ParameterList([nn.Parameter(ne.ones(2)) for _ in range(3)])
        >>> len(ps), [n for n, _ in ps.named_parameters()]
        (3, ['0', '1', '2'])
    """

    def __init__(self, values: Optional[Iterable[Any]] = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    def _key(self, idx: Any) -> str:
        if isinstance(idx, bool) or not isinstance(idx, int):
            raise TypeError(f"ParameterList: index: expected an int or a slice, got {type(idx).__name__}")
        n = len(self._parameters)
        if not -n <= idx < n:
            raise _IndexError(f"ParameterList: index {idx} is out of range for length {n}")
        return str(idx % n)

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, slice):
            return ParameterList(list(self._parameters.values())[idx])
        return self._parameters[self._key(idx)]

    def __setitem__(self, idx: int, param: Any) -> None:
        key = self._key(idx)
        self._parameters[key] = _as_parameter(param, f"ParameterList[{key}]")

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._parameters.values())

    def __iadd__(self, values: Iterable[Any]) -> ParameterList:
        return self.extend(values)

    def append(self, value: Any) -> ParameterList:
        """Add ``value`` (a Parameter, or a Tensor made one) at the end; returns ``self``.

        Example:
            >>> len(ParameterList().append(ne.zeros(3)))
            1
        """
        key = str(len(self._parameters))
        self.register_parameter(key, _as_parameter(value, f"ParameterList[{key}]"))
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Append every entry of ``values``; returns ``self``.

        Example:
            >>> len(ParameterList([ne.zeros(1)]).extend([ne.zeros(2), ne.zeros(3)]))
            3
        """
        if isinstance(values, Tensor) or not isinstance(values, Iterable):
            raise TypeError(f"ParameterList.extend: values: expected an iterable of Parameters, got "
                            f"{type(values).__name__}")
        for v in values:
            self.append(v)
        return self

    def extra_repr(self) -> str:
        return _describe(self)


class ParameterDict(Module):
    """A dict of named Parameters registered on the module (``state_dict`` keys are the names); plain Tensors
    are wrapped as Parameters.

    Example:
        >>> pd = ParameterDict({"scale": nn.Parameter(ne.ones(4)), "shift": nn.Parameter(ne.zeros(4))})
        >>> sorted(nn.Sequential(pd).state_dict())
        ['0.scale', '0.shift']
    """

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    @staticmethod
    def _check_key(key: Any) -> str:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict: key: expected a str, got {type(key).__name__}")
        return key

    def __getitem__(self, key: str) -> Any:
        return self._parameters[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._check_key(key)
        self.register_parameter(key, _as_parameter(value, f"ParameterDict[{key!r}]"))

    def __delitem__(self, key: str) -> None:
        del self._parameters[key]

    def __contains__(self, key: Any) -> bool:
        return key in self._parameters

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[str]:
        return iter(self._parameters)

    def keys(self) -> KeysView[str]:
        """The names, in insertion order.

        Example:
            >>> list(ParameterDict({"a": ne.zeros(1), "b": ne.zeros(1)}).keys())
            ['a', 'b']
        """
        return self._parameters.keys()

    def values(self) -> ValuesView[Any]:
        """The parameters, in insertion order.

        Example:
            >>> [p.shape for p in ParameterDict({"a": ne.zeros(2)}).values()]
            [(2,)]
        """
        return self._parameters.values()

    def items(self) -> ItemsView[str, Any]:
        """(name, parameter) pairs, in insertion order.

        Example:
            >>> [(k, p.shape) for k, p in ParameterDict({"a": ne.zeros(2)}).items()]
            [('a', (2,))]
        """
        return self._parameters.items()

    def get(self, key: str, default: Any = None) -> Any:
        """The parameter named ``key``, or ``default``.

        Example:
            >>> ParameterDict().get("missing") is None
            True
        """
        return self._parameters.get(key, default)

    def pop(self, key: str) -> Any:
        """Remove the parameter named ``key`` and return it.

        Example:
            >>> pd = ParameterDict({"a": ne.zeros(1)}); _ = pd.pop("a"); len(pd)
            0
        """
        return self._parameters.pop(key)

    def clear(self) -> None:
        """Remove every parameter.

        Example:
            >>> pd = ParameterDict({"a": ne.zeros(1)}); pd.clear(); len(pd)
            0
        """
        self._parameters.clear()

    def update(self, parameters: Any) -> None:
        """Add or replace entries from a mapping (ParameterDict, dict, OrderedDict) or an iterable of
        (name, parameter) pairs, in order (a plain dict's insertion order, as torch).

        Example:
            >>> pd = ParameterDict({"a": ne.zeros(1)}); pd.update([("b", ne.ones(2))]); list(pd)
            ['a', 'b']
        """
        if isinstance(parameters, (Mapping, ParameterDict)):
            pairs: Iterable[Tuple[Any, Any]] = list(parameters.items())
        elif isinstance(parameters, Iterable) and not isinstance(parameters, (str, Tensor)):
            pairs = []
            for j, kv in enumerate(parameters):
                if not isinstance(kv, (tuple, list)) or len(kv) != 2:
                    raise ValueError(f"ParameterDict.update: parameters: element {j} should be a (name, "
                                     f"parameter) pair, got {kv!r}")
                pairs.append((kv[0], kv[1]))
        else:
            raise TypeError(f"ParameterDict.update: parameters: expected a mapping or an iterable of (name, "
                            f"parameter) pairs, got {type(parameters).__name__}")
        for k, v in pairs:
            self[k] = v

    def extra_repr(self) -> str:
        return _describe(self)
