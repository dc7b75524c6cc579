"""Datasets and loaders (nothing is ever downloaded)."""

from .datasets import DatasetNotFoundError, load_fashion_mnist

__all__ = [name for name in dir() if not name.startswith("_")]
