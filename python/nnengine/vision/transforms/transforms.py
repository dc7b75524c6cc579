"""torchvision.transforms' classes (see the package docstring)."""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from ... import random as _random
from ...tensor import Tensor, from_numpy
from ._core import (
    InterpolationMode,
    _adjust,
    _crop,
    _flip,
    _from_hwc,
    _is_pil,
    _output_size,
    _pad,
    _pair,
    _pil,
    _pil_filter,
    _rand,
    _randint,
    _resize_hw,
    _size_hw,
    _to_hwc,
    _uniform,
)

__all__ = ["Compose", "ToTensor", "PILToTensor", "Normalize", "Resize", "CenterCrop", "RandomCrop",
           "RandomHorizontalFlip", "RandomVerticalFlip", "RandomResizedCrop", "RandomRotation", "Pad", "Grayscale",
           "Lambda", "ToPILImage", "ColorJitter", "InterpolationMode"]


class Compose:
    """Apply ``transforms`` in order.

    Example:
        >>> Compose([Lambda(lambda x: x + 1), Lambda(lambda x: x * 2)])(1)
        4
    """

    def __init__(self, transforms: List[Callable]) -> None:
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"transforms: expected callables, got {type(t).__name__}")

    def __call__(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({body}\n)"


class ToTensor:
    """A PIL image or numpy ``(H, W[, C])`` array to a ``(C, H, W)`` tensor: uint8 scaled to float32 in [0, 1]
    (mode "1" images too); other dtypes keep their values (as torchvision).

    Example:
        >>> ToTensor()(np.array([[0, 255]], dtype=np.uint8)).tolist()
        [[[0.0, 1.0]]]
    """

    def __call__(self, pic: Any) -> Tensor:
        if _is_pil(pic):
            a = np.asarray(pic)
            if pic.mode == "1":
                a = a.astype(np.uint8) * 255
        elif isinstance(pic, np.ndarray):
            if pic.ndim not in (2, 3):
                raise ValueError(f"pic: expected a numpy image (H, W) or (H, W, C), got shape {pic.shape}")
            a = pic
        else:
            raise TypeError(f"pic: expected a PIL Image or a numpy array, got {type(pic).__name__}")
        if a.ndim == 2:
            a = a[:, :, None]
        a = np.ascontiguousarray(a.transpose(2, 0, 1))
        if a.dtype == np.uint8:
            return from_numpy(a.astype(np.float32) / np.float32(255))
        return from_numpy(a)

    def __repr__(self) -> str:
        return "ToTensor()"


class PILToTensor:
    """A PIL image to a ``(C, H, W)`` tensor of its own dtype (uint8 for "L"/"RGB"), no scaling.

    Example:
        >>> from PIL import Image
        >>> PILToTensor()(Image.new("RGB", (3, 2), (10, 20, 30))).shape
        (3, 2, 3)
    """

    def __call__(self, pic: Any) -> Tensor:
        if not _is_pil(pic):
            raise TypeError(f"pic: expected a PIL Image, got {type(pic).__name__}")
        a = np.asarray(pic)
        if pic.mode == "1":
            a = a.astype(np.uint8)
        if a.ndim == 2:
            a = a[:, :, None]
        return from_numpy(np.ascontiguousarray(a.transpose(2, 0, 1)))

    def __repr__(self) -> str:
        return "PILToTensor()"


class Normalize:
    """``(x - mean[c]) / std[c]`` per channel of a float tensor ``(..., C, H, W)``.

    Example:
        >>> import nnengine as ne
        >>> Normalize([0.5], [0.25])(ne.ones(1, 1, 2)).tolist()
        [[[2.0, 2.0]]]
    """

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        self.mean, self.std, self.inplace = mean, std, inplace
        if np.any(np.asarray(std, dtype=np.float64) == 0):
            raise ValueError(f"std: evaluated to zero after conversion to float, leading to division by zero: {std}")

    def __call__(self, tensor: Any) -> Tensor:
        if not isinstance(tensor, Tensor):
            raise TypeError(f"tensor: expected a Tensor, got {type(tensor).__name__}")
        a = tensor.numpy()
        if not np.issubdtype(a.dtype, np.floating):
            raise TypeError(f"tensor: expected a float tensor, got {a.dtype}")
        if a.ndim < 3:
            raise ValueError(f"tensor: expected a tensor image of size (..., C, H, W), got shape {a.shape}")
        mean = np.asarray(self.mean, dtype=a.dtype).reshape(-1, 1, 1)
        std = np.asarray(self.std, dtype=a.dtype).reshape(-1, 1, 1)
        if mean.shape[0] not in (1, a.shape[-3]) or std.shape[0] not in (1, a.shape[-3]):
            raise ValueError(f"mean/std: {len(mean)}/{len(std)} values for {a.shape[-3]} channels")
        out = (a - mean) / std
        if self.inplace:
            a[...] = out
            return tensor
        return from_numpy(np.ascontiguousarray(out.astype(a.dtype, copy=False)))

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class Resize:
    """Resize to ``size``: (h, w), or an int that the smaller edge matches keeping the aspect ratio (the longer edge
    ``int(size * long / short)``, capped by ``max_size``); PIL's resampling filters, antialiased when shrinking.

    Example:
        >>> Resize(4)(np.zeros((8, 16), dtype=np.uint8)).shape
        (4, 8)
    """

    def __init__(self, size: Any, interpolation: Any = InterpolationMode.BILINEAR, max_size: Optional[int] = None,
                 antialias: Optional[bool] = True) -> None:
        if not (isinstance(size, numbers.Integral) or (isinstance(size, Sequence) and len(size) in (1, 2))):
            raise TypeError(f"size: expected an int or a sequence of 1 or 2 ints, got {size!r}")
        self.size, self.interpolation, self.max_size, self.antialias = size, interpolation, max_size, antialias

    def __call__(self, img: Any) -> Any:
        h, w = _size_hw(img)
        return _resize_hw(img, _output_size(h, w, self.size, self.max_size), self.interpolation)

    def __repr__(self) -> str:
        return f"Resize(size={self.size}, interpolation={self.interpolation}, max_size={self.max_size})"


class CenterCrop:
    """Crop the center ``size`` (int or (h, w)); top = round((H - h) / 2), left = round((W - w) / 2); an image
    smaller than ``size`` is zero-padded first.

    Example:
        >>> CenterCrop(2)(np.arange(16).reshape(4, 4)).tolist()
        [[5, 6], [9, 10]]
    """

    def __init__(self, size: Any) -> None:
        self.size = _pair(size, "size")

    def __call__(self, img: Any) -> Any:
        h, w = _size_hw(img)
        th, tw = self.size
        if tw > w or th > h:
            img = _pad(img, [(tw - w) // 2 if tw > w else 0, (th - h) // 2 if th > h else 0,
                             (tw - w + 1) // 2 if tw > w else 0, (th - h + 1) // 2 if th > h else 0], 0, "constant")
            h, w = _size_hw(img)
            if tw == w and th == h:
                return img
        return _crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)

    def __repr__(self) -> str:
        return f"CenterCrop(size={self.size})"


class Pad:
    """Pad the borders: ``padding`` an int (all sides), (left/right, top/bottom) or (left, top, right, bottom);
    ``padding_mode`` "constant" (with ``fill``), "edge", "reflect" or "symmetric".

    Example:
        >>> Pad(1)(np.ones((1, 1), dtype=np.uint8)).tolist()
        [[0, 0, 0], [0, 1, 0], [0, 0, 0]]
    """

    def __init__(self, padding: Any, fill: Any = 0, padding_mode: str = "constant") -> None:
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(f"padding_mode: expected constant, edge, reflect or symmetric, got {padding_mode!r}")
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img: Any) -> Any:
        return _pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return f"Pad(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


class RandomCrop:
    """Crop a random ``size`` window after optional ``padding`` (and ``pad_if_needed`` padding to ``size``);
    top and left uniform over the valid positions (nnengine's generator).

    Example:
        >>> import nnengine as ne
        >>> _ = ne.manual_seed(0)
        >>> RandomCrop(8, padding=4)(np.zeros((8, 8, 3), dtype=np.uint8)).shape
        (8, 8, 3)
    """

    def __init__(self, size: Any, padding: Any = None, pad_if_needed: bool = False, fill: Any = 0,
                 padding_mode: str = "constant") -> None:
        self.size = _pair(size, "size")
        self.padding, self.pad_if_needed, self.fill, self.padding_mode = padding, pad_if_needed, fill, padding_mode

    @staticmethod
    def get_params(img: Any, output_size: Tuple[int, int]) -> Tuple[int, int, int, int]:
        """``(top, left, h, w)`` of a random crop of ``output_size``.

        Example:
            >>> RandomCrop.get_params(np.zeros((4, 4)), (4, 4))
            (0, 0, 4, 4)
        """
        h, w = _size_hw(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if w == tw and h == th:
            return 0, 0, h, w
        return _randint(0, h - th + 1), _randint(0, w - tw + 1), th, tw

    def __call__(self, img: Any) -> Any:
        if self.padding is not None:
            img = _pad(img, self.padding, self.fill, self.padding_mode)
        h, w = _size_hw(img)
        if self.pad_if_needed and w < self.size[1]:
            img = _pad(img, [self.size[1] - w, 0], self.fill, self.padding_mode)
        if self.pad_if_needed and h < self.size[0]:
            img = _pad(img, [0, self.size[0] - h], self.fill, self.padding_mode)
        i, j, th, tw = self.get_params(img, self.size)
        return _crop(img, i, j, th, tw)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirror left-right with probability ``p``.

    Example:
        >>> RandomHorizontalFlip(p=1.0)(np.array([[1, 2, 3]])).tolist()
        [[3, 2, 1]]
    """

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img: Any) -> Any:
        return _flip(img, "w") if _rand() < self.p else img

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p})"


class RandomVerticalFlip:
    """Mirror top-bottom with probability ``p``.

    Example:
        >>> RandomVerticalFlip(p=1.0)(np.array([[1], [2]])).tolist()
        [[2], [1]]
    """

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, img: Any) -> Any:
        return _flip(img, "h") if _rand() < self.p else img

    def __repr__(self) -> str:
        return f"RandomVerticalFlip(p={self.p})"


class RandomResizedCrop:
    """Crop a random area fraction (``scale``) and aspect ratio (``ratio``, drawn log-uniform) and resize it to
    ``size``: torchvision's procedure (10 attempts, then a center crop clamped to ``ratio``).

    Example:
        >>> import nnengine as ne
        >>> _ = ne.manual_seed(0)
        >>> RandomResizedCrop(4)(np.zeros((10, 12, 3), dtype=np.uint8)).shape
        (4, 4, 3)
    """

    def __init__(self, size: Any, scale: Tuple[float, float] = (0.08, 1.0),
                 ratio: Tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0), interpolation: Any = InterpolationMode.BILINEAR,
                 antialias: Optional[bool] = True) -> None:
        self.size = _pair(size, "size")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError(f"scale/ratio: expected (min, max) ranges, got scale={scale}, ratio={ratio}")
        self.scale, self.ratio, self.interpolation, self.antialias = scale, ratio, interpolation, antialias

    @staticmethod
    def get_params(img: Any, scale: Sequence[float], ratio: Sequence[float]) -> Tuple[int, int, int, int]:
        """``(top, left, h, w)`` of a random crop.

        Example:
            >>> RandomResizedCrop.get_params(np.zeros((5, 5)), (1.0, 1.0), (1.0, 1.0))
            (0, 0, 5, 5)
        """
        height, width = _size_hw(img)
        area = height * width
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_uniform(log_ratio[0], log_ratio[1]))
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                return _randint(0, height - h + 1), _randint(0, width - w + 1), h, w
        in_ratio = float(width) / float(height)
        if in_ratio < min(ratio):
            w, h = width, int(round(width / min(ratio)))
        elif in_ratio > max(ratio):
            h, w = height, int(round(height * max(ratio)))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def __call__(self, img: Any) -> Any:
        i, j, h, w = self.get_params(img, self.scale, self.ratio)
        return _resize_hw(_crop(img, i, j, h, w), self.size, self.interpolation)

    def __repr__(self) -> str:
        return f"RandomResizedCrop(size={self.size}, scale={self.scale}, ratio={self.ratio})"


class RandomRotation:
    """Rotate by an angle drawn uniformly from ``degrees`` ((-d, d) for a number), counter-clockwise, about
    ``center`` (default the image center), with PIL's ``Image.rotate`` (``expand`` grows the canvas to hold the whole
    image; ``fill`` paints the uncovered area); tensors and arrays through torchvision's grid sampling
    (``functional.rotate``: NEAREST or BILINEAR).

    Example:
        >>> RandomRotation((90, 90))(np.array([[1, 2], [3, 4]], dtype=np.uint8)).tolist()
        [[2, 4], [1, 3]]
    """

    def __init__(self, degrees: Any, interpolation: Any = InterpolationMode.NEAREST, expand: bool = False,
                 center: Optional[Sequence[float]] = None, fill: Any = 0) -> None:
        if isinstance(degrees, numbers.Number) and not isinstance(degrees, bool):
            if degrees < 0:
                raise ValueError(f"degrees: a single number must be >= 0, got {degrees}")
            degrees = (-float(degrees), float(degrees))
        elif not (isinstance(degrees, Sequence) and len(degrees) == 2):
            raise TypeError(f"degrees: expected a number or a (min, max) pair, got {degrees!r}")
        self.degrees = (float(degrees[0]), float(degrees[1]))
        self.interpolation, self.expand, self.center, self.fill = interpolation, expand, center, fill

    @staticmethod
    def get_params(degrees: Sequence[float]) -> float:
        """An angle uniform in ``degrees``.

        Example:
            >>> RandomRotation.get_params([30.0, 30.0])
            30.0
        """
        return _uniform(float(degrees[0]), float(degrees[1]))

    def __call__(self, img: Any) -> Any:
        angle = self.get_params(self.degrees)
        flt = _pil_filter(self.interpolation)
        center = None if self.center is None else tuple(self.center)
        if _is_pil(img):
            fill = self.fill
            if isinstance(fill, (int, float)) and len(img.getbands()) > 1:
                fill = tuple([fill] * len(img.getbands()))
            return img.rotate(angle, flt, self.expand, center, fillcolor=fill)
        from ._functional_more import get_dimensions, rotate

        channels = get_dimensions(img)[0]  # tensors and arrays: torchvision's grid sampling, fill per channel
        fill = [float(f) for f in self.fill] if isinstance(self.fill, Sequence) else [float(self.fill)] * channels
        return rotate(img, angle, self.interpolation, self.expand, center, fill)

    def __repr__(self) -> str:
        return f"RandomRotation(degrees={self.degrees}, expand={self.expand})"


class ColorJitter:
    """Random brightness, contrast, saturation and hue, applied in a random order: each factor uniform in
    ``[max(0, 1 - x), 1 + x]`` for a number ``x`` (or a given (min, max)); hue's shift uniform in ``[-h, h]``,
    ``h <= 0.5``. PIL images go through ImageEnhance (and an HSV shift for hue), tensors and arrays through
    torchvision's blends with black, the mean gray and the grayscale image.

    Example:
        >>> ColorJitter(brightness=(0.5, 0.5))(np.full((1, 1, 3), 200, dtype=np.uint8)).tolist()
        [[[100, 100, 100]]]
    """

    def __init__(self, brightness: Any = 0, contrast: Any = 0, saturation: Any = 0, hue: Any = 0) -> None:
        self.brightness = self._check(brightness, "brightness")
        self.contrast = self._check(contrast, "contrast")
        self.saturation = self._check(saturation, "saturation")
        self.hue = self._check(hue, "hue", center=0, bound=(-0.5, 0.5), clip_first=False)

    @staticmethod
    def _check(value: Any, name: str, center: float = 1, bound: Tuple[float, float] = (0, float("inf")),
               clip_first: bool = True) -> Optional[Tuple[float, float]]:
        if isinstance(value, numbers.Number) and not isinstance(value, bool):
            if value < 0:
                raise ValueError(f"{name}: if it is a single number, it must be non negative, got {value}")
            value = [center - float(value), center + float(value)]
            if clip_first:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, Sequence) and len(value) == 2:
            value = [float(value[0]), float(value[1])]
        else:
            raise TypeError(f"{name}: should be a single number or a list/tuple with length 2, got {value!r}")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name}: values should be between {bound}, got {value}")
        return None if value[0] == value[1] == center else (value[0], value[1])

    def __call__(self, img: Any) -> Any:
        order = _random.generator().permutation(4)
        factors = [None if r is None else _uniform(r[0], r[1])
                   for r in (self.brightness, self.contrast, self.saturation, self.hue)]
        for fn_id in order:
            if factors[fn_id] is not None:
                img = _adjust(img, ("brightness", "contrast", "saturation", "hue")[fn_id], factors[fn_id])
        return img

    def __repr__(self) -> str:
        return (f"ColorJitter(brightness={self.brightness}, contrast={self.contrast}, saturation={self.saturation}, "
                f"hue={self.hue})")


class Grayscale:
    """To grayscale with ``num_output_channels`` 1 or 3 (the same luma repeated): PIL's convert("L") for PIL
    images, ``0.2989 R + 0.587 G + 0.114 B`` (cast back to the input dtype) for tensors and arrays.

    Example:
        >>> Grayscale()(np.array([[[100, 100, 100]]], dtype=np.uint8)).tolist()
        [[[99]]]
    """

    def __init__(self, num_output_channels: int = 1) -> None:
        if num_output_channels not in (1, 3):
            raise ValueError(f"num_output_channels: expected 1 or 3, got {num_output_channels!r}")
        self.num_output_channels = num_output_channels

    def __call__(self, img: Any) -> Any:
        if _is_pil(img):
            g = img.convert("L")
            if self.num_output_channels == 3:
                a = np.asarray(g)
                return _pil().fromarray(np.dstack([a, a, a]))
            return g
        a, kind, extra = _to_hwc(img)
        if a.ndim < 3 or a.shape[-1] not in (1, 3):
            raise ValueError(f"img: expected 1 or 3 channels, got shape {a.shape} (as H, W, C)")
        if a.shape[-1] == 3:
            f = a.astype(np.float32)
            lum = (0.2989 * f[..., 0] + 0.587 * f[..., 1] + 0.114 * f[..., 2]).astype(a.dtype)
        else:
            lum = a[..., 0]
        return _from_hwc(np.stack([lum] * self.num_output_channels, axis=-1), kind, extra)

    def __repr__(self) -> str:
        return f"Grayscale(num_output_channels={self.num_output_channels})"


class Lambda:
    """A user function as a transform.

    Example:
        >>> Lambda(lambda x: x * 2)(3)
        6
    """

    def __init__(self, lambd: Callable) -> None:
        if not callable(lambd):
            raise TypeError(f"lambd: expected a callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return "Lambda()"


class ToPILImage:
    """A ``(C, H, W)`` tensor or ``(H, W, C)`` numpy array to a PIL image: float tensors are multiplied by 255 and
    cast to uint8 (truncating, as torchvision); the mode follows the channels ("L", "LA", "RGB", "RGBA") unless
    given.

    Example:
        >>> import nnengine as ne
        >>> ToPILImage()(ne.ones(3, 2, 4)).size
        (4, 2)
    """

    def __init__(self, mode: Optional[str] = None) -> None:
        self.mode = mode

    def __call__(self, pic: Any) -> Any:
        Image = _pil()
        if isinstance(pic, Tensor):
            a = pic.numpy()
            if a.ndim == 2:
                a = a[None]
            if a.ndim != 3:
                raise ValueError(f"pic: expected a 2-D or 3-D tensor, got shape {a.shape}")
            if np.issubdtype(a.dtype, np.floating) and self.mode != "F":
                with np.errstate(invalid="ignore"):  # torch's float -> uint8: truncate, wrap modulo 256
                    a = ((a * 255).astype(np.int64) & 255).astype(np.uint8)
            a = a.transpose(1, 2, 0)
        elif isinstance(pic, np.ndarray):
            a = pic[:, :, None] if pic.ndim == 2 else pic
            if a.ndim != 3:
                raise ValueError(f"pic: expected a 2-D or 3-D array, got shape {pic.shape}")
        else:
            raise TypeError(f"pic: expected a Tensor or a numpy array, got {type(pic).__name__}")
        c = a.shape[2]
        if c > 4:
            raise ValueError(f"pic: expected at most 4 channels, got {c}")
        mode = self.mode
        if c == 1:
            a = a[:, :, 0]
            if mode is None:
                mode = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16", np.dtype(np.int32): "I",
                        np.dtype(np.float32): "F"}.get(a.dtype)
                if mode is None:
                    raise TypeError(f"pic: {a.dtype} is not supported for a 1-channel image")
        else:
            mode = mode or {2: "LA", 3: "RGB", 4: "RGBA"}[c]
            if a.dtype != np.uint8:
                raise TypeError(f"pic: {c}-channel images must be uint8 (or float tensors), got {a.dtype}")
        out = Image.fromarray(np.ascontiguousarray(a))
        if out.mode != mode:  # a requested mode with the same bytes per pixel (e.g. "RGBX", "CMYK" for 4 channels)
            out = Image.frombytes(mode, out.size, out.tobytes())
        return out

    def __repr__(self) -> str:
        return f"ToPILImage(mode={self.mode})"


# torchvision.transforms.transforms also holds these (defined in _transforms_more to keep this file short)
from ._transforms_more import *  # noqa: E402,F403
from ._transforms_more import __all__ as _more_all  # noqa: E402

__all__ += _more_all
