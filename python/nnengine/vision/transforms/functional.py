"""torchvision.transforms.functional: the transforms as functions (``import torchvision.transforms.functional as
TF``), on PIL images, ``(..., C, H, W)`` tensors and ``(H, W[, C])`` numpy arrays, with torchvision's arguments.

Example:
    >>> import numpy as np
    >>> import nnengine.vision.transforms.functional as TF
    >>> TF.hflip(np.array([[1, 2, 3]])).tolist()
    [[3, 2, 1]]
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence

from ...tensor import Tensor
from . import transforms as _t
from ._core import InterpolationMode, _adjust, _crop, _flip, _output_size, _pad, _pair, _resize_hw, _size_hw
from ._functional_more import (
    adjust_gamma,
    adjust_sharpness,
    affine,
    autocontrast,
    convert_image_dtype,
    equalize,
    erase,
    five_crop,
    gaussian_blur,
    get_dimensions,
    get_image_num_channels,
    invert,
    posterize,
    rotate,
    solarize,
    ten_crop,
)

__all__ = ["to_tensor", "pil_to_tensor", "to_pil_image", "normalize", "resize", "crop", "center_crop",
           "resized_crop", "pad", "hflip", "vflip", "rgb_to_grayscale", "to_grayscale", "get_image_size", "adjust_brightness", "adjust_contrast",
           "adjust_saturation", "adjust_hue", "get_dimensions", "get_image_num_channels", "convert_image_dtype", "rotate",
           "affine", "adjust_gamma", "gaussian_blur", "five_crop", "ten_crop", "erase", "invert", "posterize", "solarize",
           "adjust_sharpness", "autocontrast", "equalize", "InterpolationMode"]


def to_tensor(pic: Any) -> Tensor:
    """``ToTensor()(pic)``: (H, W, C) uint8 to (C, H, W) float32 in [0, 1].

    Example:
        >>> import numpy as np
        >>> to_tensor(np.zeros((2, 3, 3), dtype=np.uint8)).shape
        (3, 2, 3)
    """
    return _t.ToTensor()(pic)


def pil_to_tensor(pic: Any) -> Tensor:
    """``PILToTensor()(pic)``: a PIL image to a (C, H, W) tensor of its dtype.

    Example:
        >>> from PIL import Image
        >>> pil_to_tensor(Image.new("L", (4, 2))).shape
        (1, 2, 4)
    """
    return _t.PILToTensor()(pic)


def to_pil_image(pic: Any, mode: Optional[str] = None) -> Any:
    """``ToPILImage(mode)(pic)``.

    Example:
        >>> import nnengine as ne
        >>> to_pil_image(ne.zeros(1, 2, 3)).mode
        'L'
    """
    return _t.ToPILImage(mode)(pic)


def normalize(tensor: Tensor, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> Tensor:
    """``(tensor - mean[c]) / std[c]`` per channel.

    Example:
        >>> import nnengine as ne
        >>> normalize(ne.ones(1, 1, 1), [0.5], [0.5]).tolist()
        [[[1.0]]]
    """
    return _t.Normalize(mean, std, inplace)(tensor)


def resize(img: Any, size: Any, interpolation: Any = InterpolationMode.BILINEAR, max_size: Optional[int] = None,
           antialias: Optional[bool] = True) -> Any:
    """``Resize(size, interpolation, max_size)(img)``.

    Example:
        >>> import numpy as np
        >>> resize(np.zeros((4, 8), dtype=np.uint8), 2).shape
        (2, 4)
    """
    return _t.Resize(size, interpolation, max_size, antialias)(img)


def crop(img: Any, top: int, left: int, height: int, width: int) -> Any:
    """The ``height`` x ``width`` window at (``top``, ``left``); outside the image is zero.

    Example:
        >>> import numpy as np
        >>> crop(np.arange(9).reshape(3, 3), 1, 1, 2, 2).tolist()
        [[4, 5], [7, 8]]
    """
    return _crop(img, int(top), int(left), int(height), int(width))


def center_crop(img: Any, output_size: Any) -> Any:
    """``CenterCrop(output_size)(img)``.

    Example:
        >>> import numpy as np
        >>> center_crop(np.arange(16).reshape(4, 4), 2).tolist()
        [[5, 6], [9, 10]]
    """
    return _t.CenterCrop(output_size)(img)


def resized_crop(img: Any, top: int, left: int, height: int, width: int, size: Any,
                 interpolation: Any = InterpolationMode.BILINEAR, antialias: Optional[bool] = True) -> Any:
    """``crop`` then ``resize`` to ``size``.

    Example:
        >>> import numpy as np
        >>> resized_crop(np.zeros((8, 8), dtype=np.uint8), 0, 0, 4, 4, [2, 2]).shape
        (2, 2)
    """
    out = _crop(img, int(top), int(left), int(height), int(width))
    h, w = _size_hw(out)
    target = _pair(size, "size") if not (isinstance(size, int) or (isinstance(size, Sequence) and len(size) == 1)) \
        else _output_size(h, w, size, None)
    return _resize_hw(out, target, interpolation)


def pad(img: Any, padding: Any, fill: Any = 0, padding_mode: str = "constant") -> Any:
    """``Pad(padding, fill, padding_mode)(img)``.

    Example:
        >>> import numpy as np
        >>> pad(np.ones((1, 1), dtype=np.uint8), [1, 0]).tolist()
        [[0, 1, 0]]
    """
    return _pad(img, padding, fill, padding_mode)


def hflip(img: Any) -> Any:
    """Mirror left-right.

    Example:
        >>> import numpy as np
        >>> hflip(np.array([[1, 2]])).tolist()
        [[2, 1]]
    """
    return _flip(img, "w")


def vflip(img: Any) -> Any:
    """Mirror top-bottom.

    Example:
        >>> import numpy as np
        >>> vflip(np.array([[1], [2]])).tolist()
        [[2], [1]]
    """
    return _flip(img, "h")


def rgb_to_grayscale(img: Any, num_output_channels: int = 1) -> Any:
    """``Grayscale(num_output_channels)(img)``.

    Example:
        >>> import nnengine as ne
        >>> rgb_to_grayscale(ne.ones(3, 2, 2)).shape
        (1, 2, 2)
    """
    return _t.Grayscale(num_output_channels)(img)


def to_grayscale(img: Any, num_output_channels: int = 1) -> Any:
    """A PIL image to grayscale (torchvision's PIL-only spelling of ``rgb_to_grayscale``).

    Example:
        >>> from PIL import Image
        >>> to_grayscale(Image.new("RGB", (2, 2))).mode
        'L'
    """
    return _t.Grayscale(num_output_channels)(img)


def get_image_size(img: Any) -> List[int]:
    """``[width, height]`` of an image.

    Example:
        >>> import numpy as np
        >>> get_image_size(np.zeros((2, 5)))
        [5, 2]
    """
    h, w = _size_hw(img)
    return [w, h]


def adjust_brightness(img: Any, brightness_factor: float) -> Any:
    """Scale towards black: ``clip(factor * img)`` (PIL: ImageEnhance.Brightness).

    Example:
        >>> import numpy as np
        >>> adjust_brightness(np.full((1, 1, 3), 100, dtype=np.uint8), 1.5).tolist()
        [[[150, 150, 150]]]
    """
    return _adjust(img, "brightness", brightness_factor)


def adjust_contrast(img: Any, contrast_factor: float) -> Any:
    """Blend with the mean gray level (PIL: ImageEnhance.Contrast); for integer images, as torchvision, the
    mean of the truncated grayscale (200 gray is 199.98, so 199) and a truncating cast.

    Example:
        >>> import numpy as np
        >>> adjust_contrast(np.array([[[0, 0, 0]], [[200, 200, 200]]], dtype=np.uint8), 0.0).tolist()
        [[[99, 99, 99]], [[99, 99, 99]]]
    """
    return _adjust(img, "contrast", contrast_factor)


def adjust_saturation(img: Any, saturation_factor: float) -> Any:
    """Blend with the grayscale image (PIL: ImageEnhance.Color).

    Example:
        >>> import nnengine as ne
        >>> adjust_saturation(ne.ones(3, 1, 1), 0.0).shape
        (3, 1, 1)
    """
    return _adjust(img, "saturation", saturation_factor)


def adjust_hue(img: Any, hue_factor: float) -> Any:
    """Rotate the hue by ``hue_factor`` turns (in [-0.5, 0.5]) in HSV.

    Example:
        >>> import nnengine as ne
        >>> red = ne.tensor([[[1.0]], [[0.0]], [[0.0]]])
        >>> [round(v, 3) for v in adjust_hue(red, 1 / 3).flatten().tolist()]
        [0.0, 1.0, 0.0]
    """
    return _adjust(img, "hue", hue_factor)
