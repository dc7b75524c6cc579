"""The module path ``torch.utils.data.dataloader`` (``from torch.utils.data.dataloader import DataLoader``, as
karpathy/makemore writes it): the loader names of :mod:`nnengine.data.loader`, re-exported.

Example:
    >>> from nnengine.utils.data.dataloader import DataLoader
    >>> from nnengine.data import loader
    >>> DataLoader is loader.DataLoader
    True
"""

from __future__ import annotations

from .loader import DataLoader, default_collate, get_worker_info

__all__ = ["DataLoader", "default_collate", "get_worker_info"]
