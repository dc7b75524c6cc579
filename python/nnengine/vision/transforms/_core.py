"""The shared machinery of nnengine.vision.transforms: the three image kinds (PIL, numpy (H, W[, C]), tensors
(..., C, H, W)) through one HWC numpy view, cropping, padding, resizing with PIL's filters, flips, and the draws
from nnengine's generator."""

from __future__ import annotations

import numbers
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from ... import random as _random
from ...tensor import Tensor, from_numpy


def _pil():
    try:
        from PIL import Image
    except ImportError as e:  # pragma: no cover - Pillow ships with matplotlib, a dependency
        raise ImportError("nnengine.vision.transforms needs Pillow for PIL images and resizing: pip install "
                          "pillow") from e
    return Image


def _is_pil(img: Any) -> bool:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover
        return False
    return isinstance(img, Image.Image)


class InterpolationMode:
    """torchvision's interpolation names (strings, as its enum's values).

    Example:
        >>> InterpolationMode.BILINEAR
        'bilinear'
    """

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


def _pil_filter(interpolation: Any) -> int:
    Image = _pil()
    name = getattr(interpolation, "value", interpolation)
    table = {"nearest": Image.NEAREST, "nearest-exact": Image.NEAREST, "bilinear": Image.BILINEAR,
             "bicubic": Image.BICUBIC, "box": Image.BOX, "hamming": Image.HAMMING, "lanczos": Image.LANCZOS}
    if isinstance(name, int) and not isinstance(name, bool) and name in table.values():
        return name  # a PIL filter constant
    if name not in table:
        raise ValueError(f"interpolation: expected one of {sorted(table)}, got {interpolation!r}")
    return table[name]


# --- the three image kinds, through one HWC numpy view

def _to_hwc(img: Any) -> Tuple[np.ndarray, str, Any]:
    """``(array (H, W, C), kind, extra)`` for a PIL image, a numpy (H, W[, C]) array or a (..., C, H, W) tensor."""
    if _is_pil(img):
        return np.asarray(img), "pil", img
    if isinstance(img, Tensor):
        a = img.numpy()
        if a.ndim < 2:
            raise ValueError(f"img: expected a tensor (..., C, H, W) or (H, W), got shape {a.shape}")
        return np.moveaxis(a, -3, -1) if a.ndim >= 3 else a, "tensor", a.ndim
    if isinstance(img, np.ndarray):
        if img.ndim not in (2, 3):
            raise ValueError(f"img: expected a numpy image (H, W) or (H, W, C), got shape {img.shape}")
        return img, "numpy", None
    raise TypeError(f"img: expected a PIL Image, a numpy array or a Tensor, got {type(img).__name__}")


def _from_hwc(a: np.ndarray, kind: str, extra: Any) -> Any:
    if kind == "pil":  # extra: the source image (its mode; a palette image keeps its palette)
        out = _pil().fromarray(np.ascontiguousarray(a))
        if extra.mode == "P" and out.mode == "L":
            out.putpalette(extra.getpalette())
        return out
    if kind == "tensor":
        return from_numpy(np.ascontiguousarray(np.moveaxis(a, -1, -3) if extra >= 3 else a))
    return np.ascontiguousarray(a)


def _size_hw(img: Any) -> Tuple[int, int]:
    if _is_pil(img):
        return img.size[1], img.size[0]
    a, kind, _ = _to_hwc(img)
    return (a.shape[-3], a.shape[-2]) if kind == "tensor" and a.ndim >= 3 else (a.shape[0], a.shape[1])


def _pair(size: Any, name: str) -> Tuple[int, int]:
    if isinstance(size, numbers.Number) and not isinstance(size, bool):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return int(size[0]), int(size[0])
    if isinstance(size, Sequence) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise ValueError(f"{name}: expected an int or a sequence of 1 or 2 ints, got {size!r}")


def _hw_axes(a: np.ndarray, kind: str) -> Tuple[int, int]:
    return (a.ndim - 3, a.ndim - 2) if (kind == "tensor" and a.ndim >= 3) or (kind != "tensor" and a.ndim == 3) \
        else (a.ndim - 2, a.ndim - 1)


def _crop(img: Any, top: int, left: int, height: int, width: int) -> Any:
    """torchvision.transforms.functional.crop: out-of-bounds regions are zero-padded."""
    h, w = _size_hw(img)
    if not _is_pil(img) and (top < 0 or left < 0 or top + height > h or left + width > w):
        pads = [max(-left, 0), max(-top, 0), max(left + width - w, 0), max(top + height - h, 0)]
        img = _pad(img, pads, 0, "constant")
        top, left = top + pads[1], left + pads[0]
    if _is_pil(img):
        return img.crop((left, top, left + width, top + height))
    a, kind, extra = _to_hwc(img)
    ah, aw = _hw_axes(a, kind)
    idx = [slice(None)] * a.ndim
    idx[ah], idx[aw] = slice(top, top + height), slice(left, left + width)
    return _from_hwc(a[tuple(idx)], kind, extra)


def _pad(img: Any, padding: Any, fill: Any, padding_mode: str) -> Any:
    if isinstance(padding, numbers.Number) and not isinstance(padding, bool):
        pl = pt = pr = pb = int(padding)
    elif isinstance(padding, Sequence) and len(padding) in (1, 2, 4):
        p = [int(v) for v in padding]
        pl, pt, pr, pb = (p * 4 if len(p) == 1 else [p[0], p[1], p[0], p[1]] if len(p) == 2 else p)
    else:
        raise ValueError(f"padding: expected an int or a sequence of 1, 2 or 4 ints, got {padding!r}")
    modes = {"constant": "constant", "edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}
    if padding_mode not in modes:
        raise ValueError(f"padding_mode: expected one of {sorted(modes)}, got {padding_mode!r}")
    if min(pl, pt, pr, pb) < 0:
        raise ValueError(f"padding: negative padding is not supported, got {padding!r}")
    a, kind, extra = _to_hwc(img)
    ah, aw = _hw_axes(a, kind)
    width = [(0, 0)] * a.ndim
    width[ah], width[aw] = (pt, pb), (pl, pr)
    if padding_mode == "constant":
        if isinstance(fill, Sequence) and not isinstance(fill, str):
            out = np.pad(a, width, mode="constant")
            fv = np.asarray(fill, dtype=a.dtype)
            mask = np.ones(a.shape[:aw + 1], bool)
            mask = np.pad(mask, width[:aw + 1], mode="constant", constant_values=False)
            out[~mask] = fv
        else:
            out = np.pad(a, width, mode="constant", constant_values=fill)
    else:
        out = np.pad(a, width, mode=modes[padding_mode])
    return _from_hwc(out, kind, extra)


def _resize_hw(img: Any, size: Tuple[int, int], interpolation: Any) -> Any:
    """Resample to (h, w) with PIL's filters (antialiased when shrinking; torchvision's antialias=True)."""
    Image = _pil()
    h, w = size
    flt = _pil_filter(interpolation)
    if _is_pil(img):
        return img.resize((w, h), flt)
    a, kind, extra = _to_hwc(img)
    hwc = a if a.ndim == 3 else a[..., None] if a.ndim == 2 else a
    lead = hwc.shape[:-3]
    flat = hwc.reshape((-1,) + hwc.shape[-3:])
    out = np.empty((flat.shape[0], h, w, flat.shape[-1]), np.float32)
    for n in range(flat.shape[0]):
        for c in range(flat.shape[-1]):
            ch = Image.fromarray(np.ascontiguousarray(flat[n, :, :, c], dtype=np.float32))
            out[n, :, :, c] = np.asarray(ch.resize((w, h), flt), dtype=np.float32)
    out = out.reshape(lead + out.shape[1:])
    if a.ndim == 2:
        out = out[..., 0]
    if np.issubdtype(a.dtype, np.integer):
        info = np.iinfo(a.dtype)
        out = np.clip(np.round(out), info.min, info.max)
    return _from_hwc(out.astype(a.dtype), kind, extra)


def _output_size(h: int, w: int, size: Any, max_size: Optional[int]) -> Tuple[int, int]:
    """torchvision's rule: an int (or 1-sequence) matches the smaller edge, keeping the aspect ratio."""
    if isinstance(size, Sequence) and len(size) == 2:
        if max_size is not None:
            raise ValueError("max_size: only allowed when size is an int or a 1-sequence")
        return int(size[0]), int(size[1])
    s = int(size[0] if isinstance(size, Sequence) else size)
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = s, int(s * long / short)
    if max_size is not None:
        if max_size <= s:
            raise ValueError(f"max_size: must be strictly greater than the requested size {s}, got {max_size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_short, new_long) if h <= w else (new_long, new_short)


def _randint(low: int, high: int) -> int:
    return int(_random.generator().integers(low, high))


def _uniform(a: float, b: float) -> float:
    return float(_random.generator().uniform(a, b))


def _rand() -> float:
    return float(_random.generator().random())


def _flip(img: Any, axis: str) -> Any:
    if _is_pil(img):
        Image = _pil()
        return img.transpose(Image.FLIP_LEFT_RIGHT if axis == "w" else Image.FLIP_TOP_BOTTOM)
    a, kind, extra = _to_hwc(img)
    ah, aw = _hw_axes(a, kind)
    return _from_hwc(np.flip(a, aw if axis == "w" else ah), kind, extra)


# --- the transforms
