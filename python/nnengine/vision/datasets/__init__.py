"""torchvision.datasets read from local files in torchvision's on-disk layouts; nothing is ever downloaded.

- ``MNIST`` / ``FashionMNIST``: ``root/<ClassName>/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]``
  (the IDX format; gzip or not). Items are ``(PIL image "L", int)``.
- ``CIFAR10``: ``root/cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}``; ``CIFAR100``:
  ``root/cifar-100-python/{train, test, meta}``. These are Python pickles: they are read by a restricted
  unpickler that can only rebuild numpy arrays (non-object dtypes) and plain containers, never other globals.
  Items are ``(PIL image "RGB", int)``.
- ``ImageFolder`` / ``DatasetFolder``: ``root/<class>/**/<file>``, classes sorted, samples sorted.
- ``FakeData``: random images, the same for the same index (seeded per index, the global generator untouched).

``download=True`` with the files missing raises RuntimeError naming the folder and the files expected.

Example:
    >>> from nnengine.vision import datasets
    >>> d = datasets.FakeData(size=4, image_size=(3, 8, 8), num_classes=2)
    >>> img, label = d[0]
    >>> img.size, len(d)
    ((8, 8), 4)
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import pickletools
import zlib
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ...data import Dataset
from ...tensor import from_numpy
from .. import transforms as _transforms

__all__ = ["VisionDataset", "MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "DatasetFolder", "ImageFolder",
           "FakeData", "IMG_EXTENSIONS", "default_loader", "pil_loader", "read_idx"]


class VisionDataset(Dataset):
    """Base of the vision datasets: ``root``, ``transform`` (on the image), ``target_transform`` (on the label)
    or ``transforms`` (on both), as torchvision's.

    Example:
        >>> VisionDataset("data").root
        'data'
    """

    def __init__(self, root: Any = None, transforms: Optional[Callable] = None,
                 transform: Optional[Callable] = None, target_transform: Optional[Callable] = None) -> None:
        self.root = os.fspath(root) if root is not None else None
        if transforms is not None and (transform is not None or target_transform is not None):
            raise ValueError("Only transforms or transform/target_transform can be passed as argument")
        self.transform, self.target_transform = transform, target_transform
        if transforms is None and (transform is not None or target_transform is not None):
            def transforms(img: Any, target: Any) -> Tuple[Any, Any]:
                if self.transform is not None:
                    img = self.transform(img)
                if self.target_transform is not None:
                    target = self.target_transform(target)
                return img, target
        self.transforms = transforms

    def _apply(self, img: Any, target: Any) -> Tuple[Any, Any]:
        return self.transforms(img, target) if self.transforms is not None else (img, target)

    def __len__(self) -> int:
        raise NotImplementedError

    def __repr__(self) -> str:
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}"]
        if self.root is not None:
            lines.append(f"    Root location: {self.root}")
        return "\n".join(lines)


def _missing(folder: str, files: Sequence[str], download: bool, name: str) -> RuntimeError:
    why = ("download=True, but nnengine downloads nothing" if download else "Dataset not found")
    return RuntimeError(f"{name}: {why}. Put these files in {folder}: {', '.join(files)} "
                        f"(torchvision's layout; the .gz variants are read too where noted)")


# --- MNIST and FashionMNIST (IDX files)

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path: str) -> np.ndarray:
    """An IDX file (MNIST's format; gzip-compressed when the name ends in .gz) as a numpy array.

    Example:
        >>> import struct, tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "x-idx1-ubyte")
        >>> _ = open(p, "wb").write(struct.pack(">BBBBI", 0, 0, 8, 1, 3) + bytes([1, 2, 3]))
        >>> read_idx(p).tolist()
        [1, 2, 3]
    """
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (gzip.BadGzipFile, EOFError, zlib.error) as e:
        raise ValueError(f"{path}: a damaged gzip file ({e})") from e
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES or not 1 <= raw[3] <= 4:
        raise ValueError(f"{path}: not an IDX file (bad magic number {raw[:4].hex()})")
    nd, dt = raw[3], np.dtype(_IDX_DTYPES[raw[2]])
    if len(raw) < 4 + 4 * nd:
        raise ValueError(f"{path}: truncated IDX header")
    shape = tuple(int(v) for v in np.frombuffer(raw, ">u4", nd, 4))
    n = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
    if len(raw) != 4 + 4 * nd + n:
        raise ValueError(f"{path}: IDX header says {shape} ({n} bytes of data), the file holds "
                         f"{len(raw) - 4 - 4 * nd}")
    return np.frombuffer(raw, dt, offset=4 + 4 * nd).reshape(shape).astype(dt.newbyteorder("="))


class MNIST(VisionDataset):
    """MNIST from ``root/MNIST/raw`` (``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-...``,
    plain or ``.gz``). ``data`` is a uint8 (N, 28, 28) tensor, ``targets`` int64; items ``(PIL "L", int)``.

    Example:
        >>> MNIST.classes[:2]
        ['0 - zero', '1 - one']
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]
    _files = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
              False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}

    def __init__(self, root: Any, train: bool = True, transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        paths = [self._find(name) for name in self._files[bool(train)]]
        if None in paths:
            raise _missing(self.raw_folder, self._files[bool(train)], download, type(self).__name__)
        images, labels = read_idx(paths[0]), read_idx(paths[1])
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f"{type(self).__name__}: images {images.shape} and labels {labels.shape} do not pair up")
        self.data = from_numpy(np.ascontiguousarray(images.astype(np.uint8)))
        self.targets = from_numpy(labels.astype(np.int64))

    @property
    def raw_folder(self) -> str:
        """``root/<ClassName>/raw``, where the IDX files are read from.

        Example:
            >>> MNIST.raw_folder.fget.__name__
            'raw_folder'
        """
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def class_to_idx(self) -> Dict[str, int]:
        """``{class name: index}``.

        Example:
            >>> MNIST.class_to_idx.fget.__name__
            'class_to_idx'
        """
        return {c: i for i, c in enumerate(self.classes)}

    def _find(self, name: str) -> Optional[str]:
        for cand in (name, name + ".gz"):
            p = os.path.join(self.raw_folder, cand)
            if os.path.isfile(p):
                return p
        return None

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> Tuple[Any, Any]:
        from PIL import Image

        img = Image.fromarray(self.data.numpy()[index])
        return self._apply(img, int(self.targets.numpy()[index]))


class FashionMNIST(MNIST):
    """Fashion-MNIST from ``root/FashionMNIST/raw`` (MNIST's file names and format).

    Example:
        >>> FashionMNIST.classes[0]
        'T-shirt/top'
    """

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]


# --- CIFAR (Python pickles, read by a restricted unpickler)

class _ArrayUnpickler(pickle.Unpickler):
    """Only numpy array reconstruction (non-object dtypes), bytes from ``_codecs.encode`` and plain containers;
    every other global is refused before anything runs."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in (("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct")):
            return _safe_reconstruct
        if (module, name) in (("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer")):
            return _safe_frombuffer
        if (module, name) == ("numpy", "ndarray"):
            return _NDARRAY  # only an argument of _reconstruct: not callable, so no array of a chosen size
        if (module, name) == ("numpy", "dtype"):
            return _safe_dtype
        if (module, name) == ("_codecs", "encode"):
            return _latin1_encode
        raise pickle.UnpicklingError(f"refusing global {module}.{name}: the CIFAR reader only rebuilds numpy arrays")


try:
    from numpy._core.multiarray import _reconstruct
except ImportError:  # numpy < 2
    from numpy.core.multiarray import _reconstruct


_NDARRAY = ("numpy", "ndarray")


def _latin1_encode(text: Any, encoding: str = "utf-8") -> bytes:
    """How protocol-2 pickles written by Python 3 spell bytes: ``_codecs.encode(str, "latin1")`` (nothing else)."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"refusing _codecs.encode with {encoding!r}")
    return text.encode("latin1")


def _safe_reconstruct(cls: Any, shape: Any, dtype: Any) -> np.ndarray:
    """numpy's pickle entry: an empty array that the pickle's state then fills (its size checked by numpy)."""
    if cls is not _NDARRAY or tuple(shape) != (0,):
        raise pickle.UnpicklingError(f"refusing _reconstruct({cls!r}, {shape!r}): only numpy's own (ndarray, (0,))")
    return _reconstruct(np.ndarray, (0,), _safe_dtype(dtype))


def _safe_dtype(spec: Any, *args: Any) -> np.dtype:
    dt = np.dtype(spec)
    if dt.hasobject:
        raise pickle.UnpicklingError(f"refusing object dtype {spec!r}")
    return np.dtype(spec, *args[:2]) if args else dt


def _safe_frombuffer(buf: Any, dtype: Any, shape: Any, order: str) -> np.ndarray:
    dt = np.dtype(dtype)
    if dt.hasobject:
        raise pickle.UnpicklingError(f"refusing object dtype {dtype!r}")
    return np.frombuffer(buf, dtype=dt).reshape(shape, order=order)


def _load_pickle(path: str) -> Any:
    with open(path, "rb") as f:
        raw = f.read()
    try:
        for op, _, _ in pickletools.genops(raw):  # refuse before running: only allowed globals (find_class)
            if op.name in ("INST", "OBJ", "EXT1", "EXT2", "EXT4", "PERSID", "BINPERSID"):
                raise pickle.UnpicklingError(f"refusing pickle opcode {op.name}")
        obj = _ArrayUnpickler(io.BytesIO(raw), encoding="latin1").load()
    except (pickle.UnpicklingError, ValueError, TypeError, EOFError, AttributeError, IndexError, KeyError) as e:
        raise ValueError(f"{path}: not a CIFAR batch file this reader accepts: {e}") from e
    if isinstance(obj, dict) and any(isinstance(v, np.ndarray) and v.dtype.hasobject for v in obj.values()):
        raise ValueError(f"{path}: object arrays are not accepted")
    return obj


class CIFAR10(VisionDataset):
    """CIFAR-10 from ``root/cifar-10-batches-py`` (``data_batch_1`` .. ``data_batch_5``, ``test_batch``,
    ``batches.meta``). ``data`` is a uint8 numpy array (N, 32, 32, 3), ``targets`` a list of ints, ``classes`` from
    the meta file; items ``(PIL "RGB", int)``.

    Example:
        >>> CIFAR10.base_folder
        'cifar-10-batches-py'
    """

    base_folder = "cifar-10-batches-py"
    train_list = [f"data_batch_{i}" for i in range(1, 6)]
    test_list = ["test_batch"]
    meta = {"filename": "batches.meta", "key": "label_names"}
    _label_key = "labels"

    def __init__(self, root: Any, train: bool = True, transform: Optional[Callable] = None,
                 target_transform: Optional[Callable] = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        folder = os.path.join(self.root, self.base_folder)
        names = (self.train_list if train else self.test_list) + [self.meta["filename"]]
        if not all(os.path.isfile(os.path.join(folder, n)) for n in names):
            raise _missing(folder, names, download, type(self).__name__)
        data, targets = [], []
        for name in names[:-1]:
            entry = _load_pickle(os.path.join(folder, name))
            if not isinstance(entry, dict) or "data" not in entry:
                raise ValueError(f"{os.path.join(folder, name)}: expected a dict with 'data'")
            x = np.asarray(entry["data"])
            labels = entry.get(self._label_key, entry.get("labels", entry.get("fine_labels")))
            if x.dtype != np.uint8 or x.ndim != 2 or x.shape[1] != 3072 or labels is None or len(labels) != len(x):
                raise ValueError(f"{os.path.join(folder, name)}: expected uint8 data (N, 3072) and N labels, got "
                                 f"{x.dtype} {x.shape}")
            data.append(x)
            targets.extend(int(v) for v in labels)
        self.data = np.vstack(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        self.targets: List[int] = targets
        meta = _load_pickle(os.path.join(folder, self.meta["filename"]))
        if not isinstance(meta, dict) or self.meta["key"] not in meta:
            raise ValueError(f"{self.meta['filename']}: expected a dict with {self.meta['key']!r}")
        self.classes = [str(c) for c in meta[self.meta["key"]]]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> Tuple[Any, Any]:
        from PIL import Image

        return self._apply(Image.fromarray(self.data[index]), self.targets[index])


class CIFAR100(CIFAR10):
    """CIFAR-100 from ``root/cifar-100-python`` (``train``, ``test``, ``meta``); the fine labels.

    Example:
        >>> CIFAR100.base_folder
        'cifar-100-python'
    """

    base_folder = "cifar-100-python"
    train_list = ["train"]
    test_list = ["test"]
    meta = {"filename": "meta", "key": "fine_label_names"}
    _label_key = "fine_labels"


# --- folders of image files

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def pil_loader(path: str) -> Any:
    """Open an image file as an RGB PIL image.

    Example:
        >>> pil_loader  # doctest: +ELLIPSIS
        <function pil_loader at 0x...>
    """
    from PIL import Image

    with open(path, "rb") as f:
        img = Image.open(f)
        return img.convert("RGB")


def default_loader(path: str) -> Any:
    """torchvision's default image loader (PIL, RGB).

    Example:
        >>> default_loader  # doctest: +ELLIPSIS
        <function default_loader at 0x...>
    """
    return pil_loader(path)


class DatasetFolder(VisionDataset):
    """Samples in ``root/<class>/**/<file>`` read by ``loader``: classes are the sorted subfolder names,
    samples ``(path, class_index)`` sorted; ``extensions`` or ``is_valid_file`` (not both) select the files.

    Example:
        >>> DatasetFolder.find_classes  # doctest: +ELLIPSIS
        <function DatasetFolder.find_classes at 0x...>
    """

    def __init__(self, root: Any, loader: Callable[[str], Any], extensions: Optional[Tuple[str, ...]] = None,
                 transform: Optional[Callable] = None, target_transform: Optional[Callable] = None,
                 is_valid_file: Optional[Callable[[str], bool]] = None, allow_empty: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        classes, class_to_idx = self.find_classes(self.root)
        samples = self.make_dataset(self.root, class_to_idx, extensions, is_valid_file, allow_empty)
        self.loader, self.extensions = loader, extensions
        self.classes, self.class_to_idx = classes, class_to_idx
        self.samples = samples
        self.targets = [s[1] for s in samples]

    @staticmethod
    def find_classes(directory: str) -> Tuple[List[str], Dict[str, int]]:
        """The sorted subfolder names of ``directory`` and their indices.

        Example:
            >>> import tempfile, os
            >>> d = tempfile.mkdtemp(); os.mkdir(os.path.join(d, "b")); os.mkdir(os.path.join(d, "a"))
            >>> DatasetFolder.find_classes(d)
            (['a', 'b'], {'a': 0, 'b': 1})
        """
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"Couldn't find any class folder in {directory}: it is not a directory")
        classes = sorted(e.name for e in os.scandir(directory) if e.is_dir())
        if not classes:
            raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
        return classes, {c: i for i, c in enumerate(classes)}

    @staticmethod
    def make_dataset(directory: str, class_to_idx: Dict[str, int], extensions: Optional[Tuple[str, ...]] = None,
                     is_valid_file: Optional[Callable[[str], bool]] = None,
                     allow_empty: bool = False) -> List[Tuple[str, int]]:
        """``(path, class_index)`` of every valid file under ``directory/<class>``, sorted; FileNotFoundError when a
        class has none (unless ``allow_empty``).

        Example:
            >>> import tempfile, os
            >>> d = tempfile.mkdtemp(); os.mkdir(os.path.join(d, "a")); _ = open(os.path.join(d, "a", "x.txt"), "w")
            >>> [(os.path.basename(p), c) for p, c in DatasetFolder.make_dataset(d, {"a": 0}, (".txt",))]
            [('x.txt', 0)]
        """
        if (extensions is None) == (is_valid_file is None):
            raise ValueError("Both extensions and is_valid_file cannot be None or not None at the same time")
        if is_valid_file is None:
            exts = tuple(e.lower() for e in (extensions if isinstance(extensions, (tuple, list)) else (extensions,)))

            def is_valid_file(p: str) -> bool:
                return p.lower().endswith(exts)

        instances, found = [], set()
        for target_class in sorted(class_to_idx):
            target_dir = os.path.join(directory, target_class)
            if not os.path.isdir(target_dir):
                continue
            for root, _, fnames in sorted(os.walk(target_dir, followlinks=True)):
                for fname in sorted(fnames):
                    path = os.path.join(root, fname)
                    if is_valid_file(path):
                        instances.append((path, class_to_idx[target_class]))
                        found.add(target_class)
        empty = set(class_to_idx) - found
        if empty and not allow_empty:
            msg = f"Found no valid file for the classes {', '.join(sorted(empty))}. "
            if extensions is not None:
                msg += f"Supported extensions are: {extensions if isinstance(extensions, str) else ', '.join(extensions)}"
            raise FileNotFoundError(msg)
        return instances

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> Tuple[Any, Any]:
        path, target = self.samples[index]
        return self._apply(self.loader(path), target)


class ImageFolder(DatasetFolder):
    """Images in ``root/<class>/**/<image>`` (torchvision's IMG_EXTENSIONS), loaded as RGB PIL images;
    ``imgs`` is ``samples``.

    Example:
        >>> ImageFolder.__mro__[1].__name__
        'DatasetFolder'
    """

    def __init__(self, root: Any, transform: Optional[Callable] = None, target_transform: Optional[Callable] = None,
                 loader: Callable[[str], Any] = default_loader, is_valid_file: Optional[Callable[[str], bool]] = None,
                 allow_empty: bool = False) -> None:
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None, transform=transform,
                         target_transform=target_transform, is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.imgs = self.samples


class FakeData(VisionDataset):
    """``size`` random images of ``image_size`` (C, H, W) as PIL images (a standard normal image through
    ``ToPILImage``) with labels in ``[0, num_classes)``; item ``i`` is seeded by ``i + random_offset``, so it is
    the same every time and the global generator is left alone.

    Example:
        >>> d = FakeData(size=2, image_size=(1, 4, 4))
        >>> d[1][0].mode, d[1][1] == d[1][1]
        ('L', True)
    """

    def __init__(self, size: int = 1000, image_size: Tuple[int, int, int] = (3, 224, 224), num_classes: int = 10,
                 transform: Optional[Callable] = None, target_transform: Optional[Callable] = None,
                 random_offset: int = 0) -> None:
        super().__init__(None, transform=transform, target_transform=target_transform)
        if not isinstance(size, int) or size < 0:
            raise ValueError(f"size: expected an int >= 0, got {size!r}")
        if len(image_size) != 3 or any(int(s) < 1 for s in image_size):
            raise ValueError(f"image_size: expected (C, H, W) positive, got {image_size!r}")
        if num_classes < 1:
            raise ValueError(f"num_classes: expected >= 1, got {num_classes!r}")
        self.size, self.image_size, self.num_classes = size, tuple(int(s) for s in image_size), num_classes
        self.random_offset = random_offset

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> Tuple[Any, Any]:
        if not -self.size <= index < self.size:
            raise IndexError(f"{type(self).__name__} index out of range: {index} (size {self.size})")
        index %= self.size if self.size else 1
        rng = np.random.default_rng(index + self.random_offset)
        img = rng.standard_normal(self.image_size, dtype=np.float32)
        target = int(rng.integers(0, self.num_classes))
        return self._apply(_transforms.ToPILImage()(from_numpy(img)), target)
