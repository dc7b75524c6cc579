"""Real datasets read from local files only (nothing is downloaded)."""

from __future__ import annotations

import gzip
import os
import struct
from typing import Optional, Tuple

import numpy as np

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                         "Bag", "Ankle boot")


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are not installed; the message says how to install them."""


def _read_idx(path: str) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4:
        raise ValueError(f"{path}: truncated IDX file")
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: expected {int(np.prod(dims))} values, found {data.size}")
    return data.reshape(dims)


def load_fashion_mnist(train: bool = True, root: Optional[str] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST as ``(images uint8 (N, 28, 28), labels int64 (N,))`` from Debian's package.

    Example:
        >>> x, y = load_fashion_mnist(train=False)   # 10,000 test images
    """
    root = root or os.environ.get("NNENGINE_FASHION_MNIST", FASHION_MNIST_DIR)
    prefix = "train" if train else "t10k"
    img = os.path.join(root, f"{prefix}-images-idx3-ubyte.gz")
    lab = os.path.join(root, f"{prefix}-labels-idx1-ubyte.gz")
    if not (os.path.exists(img) and os.path.exists(lab)):
        raise DatasetNotFoundError(
            f"Fashion-MNIST not found in {root}. Install it with: sudo apt-get install dataset-fashion-mnist "
            "(or point NNENGINE_FASHION_MNIST at a folder holding the four *-ubyte.gz files)")
    x = _read_idx(img)
    y = _read_idx(lab).astype(np.int64)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"Fashion-MNIST: {x.shape[0]} images but {y.shape[0]} labels")
    return x, y
