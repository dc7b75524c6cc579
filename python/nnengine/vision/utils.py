"""torchvision.utils.make_grid and save_image.

Example:
    >>> import nnengine as ne
    >>> from nnengine.vision.utils import make_grid
    >>> make_grid(ne.zeros(5, 3, 4, 4), nrow=3).shape  # 2 rows of 3 cells, 2-pixel padding
    (3, 14, 20)
"""

from __future__ import annotations

import math
import os
import tempfile
from typing import Any, BinaryIO, Optional, Tuple, Union

import numpy as np

from ..tensor import Tensor, from_numpy

__all__ = ["make_grid", "save_image"]


def _as_array(tensor: Any) -> np.ndarray:
    if isinstance(tensor, (list, tuple)):
        if not tensor:
            raise ValueError("tensor: expected a non-empty list of images")
        return np.stack([_as_array(t) for t in tensor])
    if isinstance(tensor, Tensor):
        return tensor.detach().numpy()
    if isinstance(tensor, np.ndarray):
        return tensor
    raise TypeError(f"tensor: expected a Tensor, a numpy array or a list of them, got {type(tensor).__name__}")


def make_grid(tensor: Any, nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range: Optional[Tuple[float, float]] = None, scale_each: bool = False,
              pad_value: float = 0.0) -> Tensor:
    """Tile a batch ``(B, C, H, W)`` (or a list of ``(C, H, W)`` images) into one ``(C, H', W')`` image:
    ``nrow`` images per row, ``padding`` pixels of ``pad_value`` around each; single-channel images become 3
    channels. ``normalize`` maps ``value_range`` (default: the min and max, per image with ``scale_each``) to
    [0, 1]. As torchvision's.

    Example:
        >>> import nnengine as ne
        >>> make_grid([ne.ones(1, 2, 2), ne.zeros(1, 2, 2)], padding=1).shape
        (3, 4, 7)
    """
    a = np.array(_as_array(tensor), copy=True)
    if a.ndim == 2:
        a = a[None]
    if a.ndim == 3:
        if a.shape[0] == 1:
            a = np.concatenate([a, a, a], 0)
        a = a[None]
    if a.ndim != 4:
        raise ValueError(f"tensor: expected (B, C, H, W), (C, H, W) or (H, W), got shape {a.shape}")
    if a.shape[1] == 1:
        a = np.concatenate([a, a, a], 1)
    if not isinstance(nrow, int) or nrow < 1:
        raise ValueError(f"nrow: expected a positive int, got {nrow!r}")
    if not isinstance(padding, int) or padding < 0:
        raise ValueError(f"padding: expected an int >= 0, got {padding!r}")
    if normalize:
        if value_range is not None and not (isinstance(value_range, tuple) and len(value_range) == 2):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
        a = a.astype(np.float32) if not np.issubdtype(a.dtype, np.floating) else a

        def norm(img: np.ndarray, low: float, high: float) -> np.ndarray:
            img = np.clip(img, low, high)
            return (img - low) / max(high - low, 1e-5)

        if scale_each:
            a = np.stack([norm(t, *(value_range or (float(t.min()), float(t.max())))) for t in a])
        else:
            a = norm(a, *(value_range or (float(a.min()), float(a.max()))))
    if a.shape[0] == 1:
        return from_numpy(np.ascontiguousarray(a[0]))
    nmaps = a.shape[0]
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = a.shape[2] + padding, a.shape[3] + padding
    grid = np.full((a.shape[1], height * ymaps + padding, width * xmaps + padding), pad_value, dtype=a.dtype)
    k = 0
    for y in range(ymaps):
        for x in range(xmaps):
            if k >= nmaps:
                break
            grid[:, y * height + padding:(y + 1) * height, x * width + padding:(x + 1) * width] = a[k]
            k += 1
    return from_numpy(grid)


def save_image(tensor: Any, fp: Union[str, os.PathLike, BinaryIO], format: Optional[str] = None,
               **kwargs: Any) -> None:
    """Save a batch or one image (values in [0, 1]) as an image file: ``make_grid(tensor, **kwargs)``, then
    ``uint8(clamp(x * 255 + 0.5, 0, 255))`` through PIL. A path is written atomically (a temporary file in the
    same folder, then renamed), so a reader never sees half a file; ``format`` defaults to the extension's.

    Example:
        >>> import nnengine as ne, os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "grid.png")
        >>> save_image(ne.rand(4, 3, 8, 8), path, nrow=2)
        >>> os.path.getsize(path) > 0
        True
    """
    from PIL import Image

    grid = make_grid(tensor, **kwargs).numpy()
    nd = np.clip(grid.astype(np.float64) * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    im = Image.fromarray(np.ascontiguousarray(nd if nd.shape[2] != 1 else nd[:, :, 0]))
    if not isinstance(fp, (str, os.PathLike)):
        im.save(fp, format=format)
        return
    path = os.fspath(fp)
    if format is None:
        ext = os.path.splitext(path)[1].lower()
        format = Image.registered_extensions().get(ext)
        if format is None:
            raise ValueError(f"fp: unknown file extension {ext!r}; pass format= (e.g. 'PNG')")
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp_", suffix=os.path.basename(path), dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            im.save(f, format=format)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
