"""Datasets and loaders (nothing is ever downloaded).

Example:
    >>> from nnengine.data import DataLoader, TensorDataset, load_digits
    >>> x, y = load_digits()
    >>> loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
"""

from .datasets import (
    DATASETS,
    DatasetNotFoundError,
    Split,
    load_breast_cancer,
    load_dataset,
    load_digits,
    load_fashion_mnist,
    load_iris,
    load_mnist_5k,
)
from .loader import DataLoader, Dataset, TensorDataset, to_tensor
from .sampler import DistributedSampler

__all__ = ["DATASETS", "DatasetNotFoundError", "Split", "load_breast_cancer", "load_dataset", "load_digits",
           "load_fashion_mnist", "load_iris", "load_mnist_5k", "DataLoader", "Dataset", "TensorDataset",
           "to_tensor", "DistributedSampler"]
