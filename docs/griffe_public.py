"""Griffe extension for the API reference (mkdocs.yml loads it): document what a module exports.

With inspection (``force_inspection``) griffe sees every name a module imports (``Module``, ``Tensor``, ``np``...)
and ``from __future__ import annotations``. In a module that defines ``__all__`` this drops the imported names
that ``__all__`` does not list (definitions stay: another module may re-export them, as ``nnengine.train``
re-exports ``CSVLogger`` from ``train/callbacks.py``), and everywhere the ``annotations`` future flag.
``filters: ["!^_"]`` in mkdocs.yml hides private and dunder names.

nnengine's docstrings title their doctest section ``Example:``; Google style (and griffe) parse ``>>>`` lines
as code only under ``Examples:``, so the heading is read as that (an ``Example:`` admonition would render the
``>>>`` lines as Markdown quotes and their ``x["key"]`` subscripts as links).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_EXAMPLE = re.compile(r"^(\s*)Example:\s*$", re.M)


class AllOnly(griffe.Extension):
    """Drop imported names missing from ``__all__`` and the ``annotations`` future flag."""

    def on_module_members(self, *, mod: griffe.Module, **kwargs: Any) -> None:
        flag = mod.members.get("annotations")
        if flag is not None and not flag.is_alias and flag.is_attribute:
            mod.del_member("annotations")
        names = {e if isinstance(e, str) else getattr(e, "name", str(e)) for e in (mod.exports or ())}
        if not names:
            return
        for name in list(mod.members):
            if name not in names and mod.members[name].is_alias:
                mod.del_member(name)

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _EXAMPLE.sub(r"\1Examples:", obj.docstring.value)
