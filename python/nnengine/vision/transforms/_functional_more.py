"""torchvision.transforms.functional's geometry, blur and colour-curve functions (re-exported by
``nnengine.vision.transforms.functional``): PIL images go through PIL where torchvision's do (``Image.transform``,
``Image.rotate``, ``ImageOps``, ``ImageEnhance``), tensors and numpy arrays through torchvision's tensor formulas."""

from __future__ import annotations

import numbers
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from ...tensor import Tensor, from_numpy
from . import _geometry as _g
from ._core import InterpolationMode, _crop, _flip, _is_pil, _pil_filter, _size_hw

__all__ = ["get_dimensions", "get_image_num_channels", "convert_image_dtype", "rotate", "affine", "adjust_gamma",
           "gaussian_blur", "five_crop", "ten_crop", "erase", "invert", "posterize", "solarize", "adjust_sharpness",
           "autocontrast", "equalize"]

_INT_MODES = {0: "nearest", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming", 1: "lanczos"}


def _mode_name(interpolation: Any) -> str:
    name = getattr(interpolation, "value", interpolation)
    if isinstance(name, int) and not isinstance(name, bool):
        if name not in _INT_MODES:
            raise ValueError(f"interpolation: unknown PIL filter constant {name}")
        return _INT_MODES[name]
    if not isinstance(name, str):
        raise TypeError(f"interpolation: expected an InterpolationMode or a PIL filter constant, got {interpolation!r}")
    return name


def _channels(img: Any) -> int:
    return get_dimensions(img)[0]


def _pil_fill(fill: Any, img: Any) -> Any:
    """torchvision's ``_parse_fill`` for PIL: one value per band, ints unless the mode is "F"."""
    n = len(img.getbands())
    fill = 0 if fill is None else fill
    if isinstance(fill, (int, float)) and n > 1:
        fill = tuple([fill] * n)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = tuple(fill) * n
        elif len(fill) != n:
            raise ValueError(f"fill: the number of elements in 'fill' does not match the number of channels of the "
                             f"image ({len(fill)} != {n})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return fill


def get_dimensions(img: Any) -> List[int]:
    """``[channels, height, width]`` of a PIL image, a (..., C, H, W) tensor or a numpy (H, W[, C]) array.

    Example:
        >>> import nnengine as ne
        >>> get_dimensions(ne.zeros(3, 4, 5))
        [3, 4, 5]
    """
    if _is_pil(img):
        return [len(img.getbands()), img.size[1], img.size[0]]
    if isinstance(img, Tensor):
        shape = tuple(img.shape)
        if len(shape) < 2:
            raise ValueError(f"img: expected a tensor (..., C, H, W) or (H, W), got shape {shape}")
        return [1 if len(shape) == 2 else shape[-3], shape[-2], shape[-1]]
    if isinstance(img, np.ndarray):
        if img.ndim not in (2, 3):
            raise ValueError(f"img: expected a numpy image (H, W) or (H, W, C), got shape {img.shape}")
        return [1 if img.ndim == 2 else img.shape[2], img.shape[0], img.shape[1]]
    raise TypeError(f"img: expected a PIL Image, a numpy array or a Tensor, got {type(img).__name__}")


def get_image_num_channels(img: Any) -> int:
    """The number of channels (bands) of an image.

    Example:
        >>> import numpy as np
        >>> get_image_num_channels(np.zeros((2, 2, 4)))
        4
    """
    return _channels(img)


def convert_image_dtype(image: Tensor, dtype: Any = np.float32) -> Tensor:
    """Convert a tensor image's dtype rescaling its values: integers [0, max] <-> floats [0, 1] (float to int
    multiplies by ``max + 1 - 0.001`` and truncates), integer to integer by powers of two, as torchvision.

    Example:
        >>> import nnengine as ne
        >>> convert_image_dtype(ne.tensor([[[0, 255]]], dtype=ne.uint8), ne.float32).tolist()
        [[[0.0, 1.0]]]
    """
    if not isinstance(image, Tensor):
        raise TypeError(f"image: expected a Tensor, got {type(image).__name__}")
    a = image.numpy()
    out = _g.convert_dtype_array(a, dtype)
    return image if out is a else from_numpy(np.ascontiguousarray(out))


def rotate(img: Any, angle: float, interpolation: Any = InterpolationMode.NEAREST, expand: bool = False,
           center: Optional[Sequence[int]] = None, fill: Any = None) -> Any:
    """Rotate by ``angle`` degrees counter-clockwise about ``center`` (default the image center): PIL's
    ``Image.rotate`` for PIL images, torchvision's grid sampling (NEAREST or BILINEAR) for tensors and arrays;
    ``expand`` grows the canvas to hold the whole image, ``fill`` paints the uncovered area (None: zeros).

    Example:
        >>> import nnengine as ne
        >>> rotate(ne.tensor([[[1.0, 2.0], [3.0, 4.0]]]), 90).tolist()
        [[[2.0, 4.0], [1.0, 3.0]]]
    """
    mode = _mode_name(interpolation)
    if isinstance(angle, bool) or not isinstance(angle, (int, float)):
        raise TypeError(f"angle: expected an int or a float, got {type(angle).__name__}")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError(f"center: expected a sequence, got {type(center).__name__}")
    if _is_pil(img):
        return img.rotate(angle, _pil_filter(mode), expand, None if center is None else tuple(center),
                          fillcolor=_pil_fill(fill, img))
    _, height, width = get_dimensions(img)
    center_f = [0.0, 0.0]
    if center is not None:
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    matrix = _g.inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    size = _g.affine_output_size(matrix, width, height) if expand else None
    return _g.grid_transform(img, matrix, mode, fill, size)


def affine(img: Any, angle: float, translate: Sequence[int], scale: float, shear: Any,
           interpolation: Any = InterpolationMode.NEAREST, fill: Any = None,
           center: Optional[Sequence[int]] = None) -> Any:
    """Affine warp keeping the center fixed: rotate ``angle`` degrees (clockwise, as torchvision), scale,
    shear (a number: along x; or (x, y) degrees) and translate by ``translate`` pixels (post-rotation). PIL's
    ``Image.transform(AFFINE)`` for PIL images, torchvision's grid sampling for tensors and arrays.

    Example:
        >>> import nnengine as ne
        >>> affine(ne.tensor([[[1.0, 2.0, 3.0]]]), angle=0.0, translate=[1, 0], scale=1.0, shear=0.0).tolist()
        [[[0.0, 1.0, 2.0]]]
    """
    mode = _mode_name(interpolation)
    if isinstance(angle, bool) or not isinstance(angle, (int, float)):
        raise TypeError(f"angle: expected an int or a float, got {type(angle).__name__}")
    if not isinstance(translate, (list, tuple)):
        raise TypeError(f"translate: expected a sequence, got {type(translate).__name__}")
    if len(translate) != 2:
        raise ValueError(f"translate: expected a sequence of length 2, got {translate!r}")
    if scale <= 0.0:
        raise ValueError(f"scale: expected a positive number, got {scale}")
    if not isinstance(shear, (numbers.Number, list, tuple)):
        raise TypeError(f"shear: expected a number or a sequence of two values, got {type(shear).__name__}")
    shear = [shear, 0.0] if isinstance(shear, numbers.Number) else list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"shear: expected a sequence of two values, got {shear}")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError(f"center: expected a sequence, got {type(center).__name__}")
    _, height, width = get_dimensions(img)
    if _is_pil(img):
        c = [width * 0.5, height * 0.5] if center is None else list(center)
        matrix = _g.inverse_affine_matrix(c, float(angle), list(translate), scale, shear)
        from PIL import Image

        return img.transform(img.size, Image.AFFINE, matrix, _pil_filter(mode), fillcolor=_pil_fill(fill, img))
    center_f = [0.0, 0.0]
    if center is not None:
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    matrix = _g.inverse_affine_matrix(center_f, float(angle), [1.0 * t for t in translate], scale, shear)
    return _g.grid_transform(img, matrix, mode, fill)


def gaussian_blur(img: Any, kernel_size: Any, sigma: Any = None) -> Any:
    """Blur with torchvision's Gaussian kernel (``kernel_size`` odd, an int or (kx, ky); ``sigma`` a float or
    (sx, sy), default ``0.3 * ((k - 1) * 0.5 - 1) + 0.8``) over the reflect-padded image; PIL images as their
    tensor, integer images rounded back.

    Example:
        >>> import nnengine as ne
        >>> out = gaussian_blur(ne.ones(1, 5, 5), 3, 1.0)
        >>> out.shape, round(float(out.mean()), 4)
        ((1, 5, 5), 1.0)
    """
    if isinstance(kernel_size, bool) or not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(f"kernel_size: expected an int or a sequence of ints, got {type(kernel_size).__name__}")
    ks = [kernel_size, kernel_size] if isinstance(kernel_size, int) else list(kernel_size)
    if len(ks) != 2:
        raise ValueError(f"kernel_size: a sequence must have length 2, got {len(ks)}")
    for k in ks:
        if k % 2 == 0 or k < 0:
            raise ValueError(f"kernel_size: expected odd and positive integers, got {kernel_size}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in ks]
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float, list, tuple)):
        raise TypeError(f"sigma: expected a float or a sequence of floats, got {type(sigma).__name__}")
    sg = [float(sigma), float(sigma)] if isinstance(sigma, (int, float)) else \
        [float(sigma[0])] * 2 if len(sigma) == 1 else [float(s) for s in sigma]
    if len(sg) != 2:
        raise ValueError(f"sigma: a sequence must have length 2, got {len(sg)}")
    if any(s <= 0.0 for s in sg):
        raise ValueError(f"sigma: expected positive values, got {sigma}")
    return _g.gaussian_blur_array(img, ks, sg)


def _size2(size: Any) -> Tuple[int, int]:
    if isinstance(size, numbers.Number) and not isinstance(size, bool):
        return int(size), int(size)
    if isinstance(size, (list, tuple)) and len(size) == 1:
        return int(size[0]), int(size[0])
    if not isinstance(size, (list, tuple)) or len(size) != 2:
        raise ValueError(f"size: please provide only two dimensions (h, w), got {size!r}")
    return int(size[0]), int(size[1])


def five_crop(img: Any, size: Any) -> Tuple[Any, Any, Any, Any, Any]:
    """The four corner crops and the center crop of ``size`` (int or (h, w)): (tl, tr, bl, br, center).

    Example:
        >>> import numpy as np
        >>> [c.tolist() for c in five_crop(np.arange(9).reshape(3, 3), 1)]
        [[[0]], [[2]], [[6]], [[8]], [[4]]]
    """
    from .transforms import CenterCrop

    ch, cw = _size2(size)
    h, w = _size_hw(img)
    if cw > w or ch > h:
        raise ValueError(f"size: requested crop size {(ch, cw)} is bigger than input size {(h, w)}")
    return (_crop(img, 0, 0, ch, cw), _crop(img, 0, w - cw, ch, cw), _crop(img, h - ch, 0, ch, cw),
            _crop(img, h - ch, w - cw, ch, cw), CenterCrop((ch, cw))(img))


def ten_crop(img: Any, size: Any, vertical_flip: bool = False) -> Tuple[Any, ...]:
    """``five_crop`` of the image and of its mirror (left-right, or top-bottom with ``vertical_flip``).

    Example:
        >>> import numpy as np
        >>> [c.item() for c in ten_crop(np.arange(4).reshape(2, 2), 1)]
        [0, 1, 2, 3, 0, 1, 0, 3, 2, 1]
    """
    size = _size2(size)
    return five_crop(img, size) + five_crop(_flip(img, "h" if vertical_flip else "w"), size)


def erase(img: Tensor, i: int, j: int, h: int, w: int, v: Any, inplace: bool = False) -> Tensor:
    """Set the ``h`` x ``w`` window at (``i``, ``j``) of a tensor image (..., C, H, W) to ``v`` (a number, a
    (C, 1, 1) or (C, h, w) tensor); a copy unless ``inplace``.

    Example:
        >>> import nnengine as ne
        >>> erase(ne.ones(1, 2, 2), 0, 0, 1, 1, 0.0).tolist()
        [[[0.0, 1.0], [1.0, 1.0]]]
    """
    if not isinstance(img, Tensor):
        raise TypeError(f"img: expected a Tensor image, got {type(img).__name__}")
    a = img.numpy()
    vv = v.numpy() if isinstance(v, Tensor) else np.asarray(v)
    if inplace:
        a[..., i:i + h, j:j + w] = vv
        return img
    out = a.copy()
    out[..., i:i + h, j:j + w] = vv
    return from_numpy(out)


def _array_op(img: Any, fn: Any, name: str, uint8_only: bool = False) -> Any:
    a, back = _g._to_nchw(img)
    if isinstance(img, Tensor) and len(img.shape) < 3:
        raise TypeError(f"img: expected a tensor with at least 3 dimensions, got {len(img.shape)}")
    if a.shape[1] not in (1, 3):
        raise TypeError(f"img: {name} expects 1 or 3 channels, got {a.shape[1]}")
    if uint8_only and a.dtype != np.uint8:
        raise TypeError(f"img: {name} supports only uint8 images, got {a.dtype}")
    return back(fn(a))


def adjust_gamma(img: Any, gamma: float, gain: float = 1) -> Any:
    """``gain * img ** gamma`` on [0, 1] intensities (integer images converted and back, PIL through its
    lookup table ``int(255.999 * gain * (v / 255) ** gamma)``).

    Example:
        >>> import nnengine as ne
        >>> adjust_gamma(ne.tensor([[[0.25, 1.0]]]), 0.5).tolist()
        [[[0.5, 1.0]]]
    """
    if gamma < 0:
        raise ValueError(f"gamma: expected a non-negative real number, got {gamma}")
    if _is_pil(img):
        mode = img.mode
        table = [int((255 + 1 - 1e-3) * gain * pow(e / 255.0, gamma)) for e in range(256)] * 3
        return img.convert("RGB").point(table).convert(mode)

    def fn(a: np.ndarray) -> np.ndarray:
        f = a if np.issubdtype(a.dtype, np.floating) else _g.convert_dtype_array(a, np.float32)
        out = np.clip(f.dtype.type(gain) * np.power(f, f.dtype.type(gamma)), 0, 1)
        return _g.convert_dtype_array(out.astype(f.dtype), a.dtype)

    return _array_op(img, fn, "adjust_gamma")


def invert(img: Any) -> Any:
    """Invert the colours: ``max - img`` (1 - img for floats, 255 - img for uint8; PIL's ImageOps.invert).

    Example:
        >>> import nnengine as ne
        >>> invert(ne.tensor([[[0.25]]])).tolist()
        [[[0.75]]]
    """
    if _is_pil(img):
        from PIL import ImageOps

        return ImageOps.invert(img)
    return _array_op(img, _g.invert_array, "invert")


def posterize(img: Any, bits: int) -> Any:
    """Keep the ``bits`` (0-8) high bits of each uint8 channel.

    Example:
        >>> import nnengine as ne
        >>> posterize(ne.tensor([[[255, 77]]], dtype=ne.uint8), 2).tolist()
        [[[192, 64]]]
    """
    if not 0 <= bits <= 8:
        raise ValueError(f"bits: expected between 0 and 8, got {bits}")
    if _is_pil(img):
        from PIL import ImageOps

        return ImageOps.posterize(img, bits)
    return _array_op(img, lambda a: a & np.uint8((256 - 2 ** (8 - bits)) & 255), "posterize", uint8_only=True)


def solarize(img: Any, threshold: float) -> Any:
    """Invert the pixels at or above ``threshold``.

    Example:
        >>> import nnengine as ne
        >>> solarize(ne.tensor([[[0.25, 0.75]]]), 0.5).tolist()
        [[[0.25, 0.25]]]
    """
    if _is_pil(img):
        from PIL import ImageOps

        return ImageOps.solarize(img, threshold)

    def fn(a: np.ndarray) -> np.ndarray:
        if threshold > _g._max_value(a.dtype):
            raise TypeError(f"threshold: should be less than the bound of the image dtype, got {threshold}")
        return np.where(a >= threshold, _g.invert_array(a), a)

    return _array_op(img, fn, "solarize")


def adjust_sharpness(img: Any, sharpness_factor: float) -> Any:
    """Blend with a smoothed copy (0: blurred, 1: the image, 2: sharper); PIL's ImageEnhance.Sharpness.

    Example:
        >>> import nnengine as ne
        >>> adjust_sharpness(ne.ones(1, 3, 3), 2.0).tolist() == ne.ones(1, 3, 3).tolist()
        True
    """
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor: expected non-negative, got {sharpness_factor}")
    if _is_pil(img):
        from PIL import ImageEnhance

        return ImageEnhance.Sharpness(img).enhance(sharpness_factor)
    return _array_op(img, lambda a: _g.sharpness_array(a, sharpness_factor), "adjust_sharpness")


def autocontrast(img: Any) -> Any:
    """Stretch each channel's [min, max] to the full range (PIL's ImageOps.autocontrast).

    Example:
        >>> import nnengine as ne
        >>> autocontrast(ne.tensor([[[0.25, 0.5]]])).tolist()
        [[[0.0, 1.0]]]
    """
    if _is_pil(img):
        from PIL import ImageOps

        return ImageOps.autocontrast(img)
    return _array_op(img, _g.autocontrast_array, "autocontrast")


def equalize(img: Any) -> Any:
    """Equalize each uint8 channel's histogram (PIL's ImageOps.equalize).

    Example:
        >>> import nnengine as ne
        >>> img = ne.from_numpy(np.repeat(np.array([0, 100, 200], dtype=np.uint8), 200).reshape(1, 1, 600))
        >>> sorted(set(equalize(img).flatten().tolist()))
        [0, 200, 255]
    """
    if _is_pil(img):
        from PIL import ImageOps

        return ImageOps.equalize(img)
    return _array_op(img, _g.equalize_array, "equalize", uint8_only=True)
