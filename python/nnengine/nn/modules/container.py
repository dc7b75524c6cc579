"""Containers: Sequential, ModuleList, ModuleDict."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, ItemsView, Iterable, Iterator, KeysView, Mapping, Optional, ValuesView

from ..module import Module


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
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, idx: Any) -> Any:
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            return Sequential(*mods[idx])
        return mods[idx]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

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

    def __getitem__(self, idx: int) -> Any:
        mods = list(self._modules.values())
        return ModuleList(mods[idx]) if isinstance(idx, slice) else mods[idx]

    def __setitem__(self, idx: int, m: Module) -> None:
        key = list(self._modules.keys())[idx]
        self._modules[key] = m

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
