"""The module path ``torch.utils.data.dataset`` (``from torch.utils.data.dataset import Dataset``): the dataset
names of :mod:`nnengine.data.loader`, re-exported.

Example:
    >>> from nnengine.utils.data.dataset import Dataset, random_split
    >>> from nnengine.data import loader
    >>> Dataset is loader.Dataset
    True
"""

from __future__ import annotations

from .loader import ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "ChainDataset", "random_split"]
