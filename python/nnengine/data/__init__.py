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
from .loader import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    get_worker_info,
    random_split,
    to_tensor,
)
from .sampler import DistributedSampler

__all__ = ["DATASETS", "DatasetNotFoundError", "Split", "load_breast_cancer", "load_dataset", "load_digits",
           "load_fashion_mnist", "load_iris", "load_mnist_5k", "DataLoader", "Dataset", "TensorDataset",
           "to_tensor", "DistributedSampler", "IterableDataset", "Subset", "ConcatDataset", "ChainDataset",
           "random_split", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler", "default_collate", "get_worker_info"]
