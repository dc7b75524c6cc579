"""torchvision.datasets.folder: the folder-of-images datasets and their loaders (``from torchvision.datasets.folder
import default_loader`` becomes ``from nnengine.vision.datasets.folder import default_loader``).

Example:
    >>> from nnengine.vision.datasets.folder import IMG_EXTENSIONS, ImageFolder
    >>> ".png" in IMG_EXTENSIONS, ImageFolder.__name__
    (True, 'ImageFolder')
"""

from __future__ import annotations

from typing import Sequence, Union

from . import IMG_EXTENSIONS, DatasetFolder, ImageFolder, default_loader, pil_loader

__all__ = ["IMG_EXTENSIONS", "DatasetFolder", "ImageFolder", "default_loader", "pil_loader", "find_classes",
           "has_file_allowed_extension", "is_image_file"]

find_classes = DatasetFolder.find_classes


def has_file_allowed_extension(filename: str, extensions: Union[str, Sequence[str]]) -> bool:
    """Whether ``filename`` ends with one of ``extensions`` (case-insensitive).

    Example:
        >>> has_file_allowed_extension("a/B.PNG", (".png", ".jpg"))
        True
    """
    return filename.lower().endswith(extensions if isinstance(extensions, str) else tuple(extensions))


def is_image_file(filename: str) -> bool:
    """Whether ``filename`` has one of ``IMG_EXTENSIONS``.

    Example:
        >>> is_image_file("x.txt")
        False
    """
    return has_file_allowed_extension(filename, IMG_EXTENSIONS)
