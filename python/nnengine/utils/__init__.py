"""``torch.utils`` names: ``nnengine.utils.data`` IS ``nnengine.data`` (the same module object, so
``from nnengine.utils.data import DataLoader, Dataset`` and its submodules work unchanged).

Example:
    >>> from nnengine.utils.data import DataLoader, TensorDataset
    >>> import nnengine.utils.data
    >>> nnengine.utils.data is nnengine.data
    True
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from typing import Any, Optional

from .. import data
from . import checkpoint, hooks, model_zoo  # noqa: F401  (torch.utils.checkpoint / .hooks / .model_zoo)

_ALIASES = {"nnengine.utils.data": "nnengine.data"}


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: Any) -> Any:
        return importlib.import_module(self.target)

    def exec_module(self, module: Any) -> None:
        pass


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``nnengine.utils.data.X`` as the module ``nnengine.data.X`` (one module object, not a copy)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Optional[Any]:
        for alias, real in _ALIASES.items():
            if fullname == alias or fullname.startswith(alias + "."):
                real_name = real + fullname[len(alias):]
                if importlib.util.find_spec(real_name) is None:
                    return None
                return importlib.util.spec_from_loader(fullname, _AliasLoader(real_name))
        return None


if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _AliasFinder())
sys.modules.setdefault("nnengine.utils.data", data)

__all__ = ["data"]
