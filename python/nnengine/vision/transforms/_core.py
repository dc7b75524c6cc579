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


# --- colour (torchvision's formulas: ImageEnhance for PIL images, blends with the grayscale for tensors/arrays)

def _gray_np(a: np.ndarray) -> np.ndarray:
    """(..., 3) float luma 0.2989 R + 0.587 G + 0.114 B, keeping the channel axis."""
    return (0.2989 * a[..., 0] + 0.587 * a[..., 1] + 0.114 * a[..., 2])[..., None]


def _blend(a: np.ndarray, other: Any, factor: float, dtype: Any) -> np.ndarray:
    bound = 1.0 if np.issubdtype(dtype, np.floating) else float(np.iinfo(dtype).max)
    out = np.clip(factor * a + (1.0 - factor) * other, 0, bound)
    return out if np.issubdtype(dtype, np.floating) else out.astype(dtype)  # torchvision: truncating cast


def _adjust(img: Any, kind: str, factor: float) -> Any:
    if factor < 0 and kind != "hue":
        raise ValueError(f"{kind}_factor: expected >= 0, got {factor}")
    if _is_pil(img):
        from PIL import ImageEnhance

        if kind == "hue":
            return _adjust_hue_pil(img, factor)
        enh = {"brightness": ImageEnhance.Brightness, "contrast": ImageEnhance.Contrast,
               "saturation": ImageEnhance.Color}[kind]
        return enh(img).enhance(factor)
    a, kind_, extra = _to_hwc(img)
    if a.ndim < 3 or a.shape[-1] not in (1, 3):
        raise ValueError(f"img: expected 1 or 3 channels, got shape {a.shape} (as H, W, C)")
    f = a.astype(np.float32)
    if kind == "brightness":
        out = _blend(f, 0.0, factor, a.dtype)
    elif kind == "contrast":
        g = _gray_np(f) if a.shape[-1] == 3 else f
        if not np.issubdtype(a.dtype, np.floating):
            g = np.floor(g)  # torchvision takes the mean of the (integer) grayscale image
        out = _blend(f, g.mean(axis=(-3, -2, -1), keepdims=True), factor, a.dtype)
    elif kind == "saturation":
        if a.shape[-1] == 1:
            return img
        g = _gray_np(f)
        out = _blend(f, g if np.issubdtype(a.dtype, np.floating) else np.floor(g), factor, a.dtype)
    else:
        if not -0.5 <= factor <= 0.5:
            raise ValueError(f"hue_factor: expected in [-0.5, 0.5], got {factor}")
        if a.shape[-1] == 1:
            return img
        scale = 1.0 if np.issubdtype(a.dtype, np.floating) else float(np.iinfo(a.dtype).max)
        h, s, v = _rgb_to_hsv(f / scale)
        out = _hsv_to_rgb((h + factor) % 1.0, s, v) * scale
        if not np.issubdtype(a.dtype, np.floating):
            out = out.astype(a.dtype)
    return _from_hwc(out.astype(a.dtype, copy=False), kind_, extra)


def _adjust_hue_pil(img: Any, factor: float) -> Any:
    if not -0.5 <= factor <= 0.5:
        raise ValueError(f"hue_factor: expected in [-0.5, 0.5], got {factor}")
    if img.mode in ("L", "1", "I", "F"):
        return img
    Image = _pil()
    h, s, v = img.convert("HSV").split()
    np_h = np.array(h, dtype=np.uint8)
    with np.errstate(over="ignore"):
        np_h += np.array(factor * 255).astype(np.uint8)
    return Image.merge("HSV", (Image.fromarray(np_h), s, v)).convert(img.mode)


def _rgb_to_hsv(a: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    r, g, b = a[..., 0], a[..., 1], a[..., 2]
    maxc, minc = a.max(-1), a.min(-1)
    eqc = maxc == minc
    cr = maxc - minc
    ones = np.ones_like(maxc)
    s = cr / np.where(eqc, ones, maxc)
    cr_div = np.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_div, (maxc - g) / cr_div, (maxc - b) / cr_div
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = ((hr + hg + hb) / 6.0 + 1.0) % 1.0
    return h, s, maxc


def _hsv_to_rgb(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int64) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = np.zeros(h.shape + (3,), np.float32)
    for k, (r_, g_, b_) in enumerate(table):
        m = i == k
        out[m, 0], out[m, 1], out[m, 2] = r_[m], g_[m], b_[m]
    return out
