"""torchvision.transforms' random-choice, blur, affine, erasing, multi-crop and colour-curve classes (re-exported
by ``nnengine.vision.transforms``). Draws come from nnengine's generator in torchvision's order, so
``ne.manual_seed`` makes a pipeline repeatable."""

from __future__ import annotations

import bisect
import math
import numbers
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from ... import random as _random
from ...tensor import Tensor, from_numpy
from . import _functional_more as F
from ._core import InterpolationMode, _is_pil, _rand, _randint, _uniform
from ._transforms_colour import (  # re-exported: torchvision.transforms.transforms holds these too
    RandomAdjustSharpness,
    RandomAutocontrast,
    RandomEqualize,
    RandomInvert,
    RandomPosterize,
    RandomSolarize,
)

__all__ = ["RandomApply", "RandomChoice", "RandomOrder", "RandomGrayscale", "GaussianBlur", "RandomAffine",
           "RandomErasing", "FiveCrop", "TenCrop", "ConvertImageDtype", "RandomInvert", "RandomPosterize",
           "RandomSolarize", "RandomAdjustSharpness", "RandomAutocontrast", "RandomEqualize"]


def _check_transforms(transforms: Any) -> List[Callable]:
    if not isinstance(transforms, Sequence) and not hasattr(transforms, "__iter__"):
        raise TypeError(f"transforms: expected a sequence of callables, got {type(transforms).__name__}")
    out = list(transforms)
    for t in out:
        if not callable(t):
            raise TypeError(f"transforms: expected callables, got {type(t).__name__}")
    return out


def _listing(name: str, transforms: Sequence[Callable], extra: str = "") -> str:
    return name + "(" + extra + "".join(f"\n    {t}" for t in transforms) + "\n)"


class RandomApply:
    """Apply all of ``transforms`` in order with probability ``p`` (one draw per call).

    Example:
        >>> from nnengine.vision import transforms as T
        >>> RandomApply([T.Lambda(lambda x: x + 1)], p=1.0)(1)
        2
    """

    def __init__(self, transforms: Sequence[Callable], p: float = 0.5) -> None:
        self.transforms = _check_transforms(transforms)
        self.p = p

    def __call__(self, img: Any) -> Any:
        if self.p < _rand():
            return img
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return _listing(type(self).__name__, self.transforms, f"\n    p={self.p}")


class RandomOrder:
    """Apply ``transforms`` in a random order.

    Example:
        >>> from nnengine.vision import transforms as T
        >>> RandomOrder([T.Lambda(lambda x: x + 1), T.Lambda(lambda x: x + 2)])(0)
        3
    """

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = _check_transforms(transforms)

    def __call__(self, img: Any) -> Any:
        for i in _random.generator().permutation(len(self.transforms)):
            img = self.transforms[int(i)](img)
        return img

    def __repr__(self) -> str:
        return _listing(type(self).__name__, self.transforms)


class RandomChoice:
    """Apply one of ``transforms``, picked uniformly or with weights ``p``.

    Example:
        >>> from nnengine.vision import transforms as T
        >>> RandomChoice([T.Lambda(lambda x: x + 1), T.Lambda(lambda x: x + 2)], p=[0.0, 1.0])(0)
        2
    """

    def __init__(self, transforms: Sequence[Callable], p: Optional[Sequence[float]] = None) -> None:
        self.transforms = _check_transforms(transforms)
        if p is not None and not isinstance(p, Sequence):
            raise TypeError(f"p: expected a sequence of weights, got {type(p).__name__}")
        if p is not None and len(p) != len(self.transforms):
            raise ValueError(f"p: expected {len(self.transforms)} weights, got {len(p)}")
        self.p = p

    def __call__(self, *args: Any) -> Any:
        if self.p is None:
            k = _randint(0, len(self.transforms))
        else:
            cum = np.cumsum(np.asarray(self.p, np.float64)).tolist()
            k = min(bisect.bisect(cum, _rand() * cum[-1]), len(cum) - 1)
        return self.transforms[k](*args)

    def __repr__(self) -> str:
        return f"{_listing(type(self).__name__, self.transforms)}(p={self.p})"


class RandomGrayscale:
    """With probability ``p``, to grayscale keeping the number of channels (3-channel gray for RGB).

    Example:
        >>> import nnengine as ne
        >>> RandomGrayscale(p=1.0)(ne.ones(3, 2, 2)).shape
        (3, 2, 2)
    """

    def __init__(self, p: float = 0.1) -> None:
        self.p = p

    def __call__(self, img: Any) -> Any:
        from .transforms import Grayscale

        c = F.get_dimensions(img)[0]
        return Grayscale(c)(img) if _rand() < self.p else img

    def __repr__(self) -> str:
        return f"RandomGrayscale(p={self.p})"


def _setup_size(size: Any, name: str) -> Tuple[int, int]:
    if isinstance(size, numbers.Number) and not isinstance(size, bool):
        return int(size), int(size)
    if isinstance(size, Sequence) and len(size) == 1:
        return int(size[0]), int(size[0])
    if not isinstance(size, Sequence) or len(size) != 2:
        raise ValueError(f"{name}: expected an int or a sequence of two ints, got {size!r}")
    return int(size[0]), int(size[1])


class GaussianBlur:
    """Blur with torchvision's Gaussian kernel of ``kernel_size`` (odd) and a sigma drawn uniformly from
    ``sigma`` ((min, max), or a fixed number).

    Example:
        >>> import nnengine as ne
        >>> _ = ne.manual_seed(0)
        >>> GaussianBlur(3, sigma=(0.1, 2.0))(ne.ones(3, 8, 8)).shape
        (3, 8, 8)
    """

    def __init__(self, kernel_size: Any, sigma: Any = (0.1, 2.0)) -> None:
        self.kernel_size = _setup_size(kernel_size, "kernel_size")
        for ks in self.kernel_size:
            if ks <= 0 or ks % 2 == 0:
                raise ValueError(f"kernel_size: values should be odd and positive, got {kernel_size!r}")
        if isinstance(sigma, numbers.Number) and not isinstance(sigma, bool):
            if sigma <= 0:
                raise ValueError(f"sigma: if it is a single number, it must be positive, got {sigma}")
            sigma = (sigma, sigma)
        elif isinstance(sigma, Sequence) and len(sigma) == 2:
            if not 0.0 < sigma[0] <= sigma[1]:
                raise ValueError(f"sigma: values should be positive and of the form (min, max), got {sigma!r}")
        else:
            raise ValueError(f"sigma: should be a single number or a list/tuple with length 2, got {sigma!r}")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min: float, sigma_max: float) -> float:
        """A sigma uniform in [sigma_min, sigma_max].

        Example:
            >>> GaussianBlur.get_params(1.5, 1.5)
            1.5
        """
        return _uniform(float(sigma_min), float(sigma_max))

    def __call__(self, img: Any) -> Any:
        s = self.get_params(self.sigma[0], self.sigma[1])
        return F.gaussian_blur(img, list(self.kernel_size), [s, s])

    def __repr__(self) -> str:
        return f"GaussianBlur(kernel_size={self.kernel_size}, sigma={self.sigma})"


def _setup_angle(x: Any, name: str, req_sizes: Tuple[int, ...] = (2,)) -> List[float]:
    if isinstance(x, numbers.Number) and not isinstance(x, bool):
        if x < 0:
            raise ValueError(f"{name}: if it is a single number, it must be positive, got {x}")
        return [-float(x), float(x)]
    _check_sequence(x, name, req_sizes)
    return [float(d) for d in x]


def _check_sequence(x: Any, name: str, req_sizes: Tuple[int, ...]) -> None:
    msg = " or ".join(str(s) for s in req_sizes)
    if not isinstance(x, Sequence) or isinstance(x, str):
        raise TypeError(f"{name}: should be a sequence of length {msg}, got {type(x).__name__}")
    if len(x) not in req_sizes:
        raise ValueError(f"{name}: should be a sequence of length {msg}, got {len(x)}")


class RandomAffine:
    """Random affine warp keeping the center fixed: angle uniform in ``degrees``; translation up to ``translate``
    = (a, b) fractions of the width and height; scale uniform in ``scale``; shear in ``shear`` (a number: x in
    (-s, s); 2 values: x range; 4 values: x and y ranges). ``interpolation`` NEAREST or BILINEAR, ``fill`` the
    uncovered area. Draws in torchvision's order (angle, tx, ty, scale, shear x, shear y).

    Example:
        >>> import nnengine as ne
        >>> _ = ne.manual_seed(0)
        >>> RandomAffine(degrees=15, translate=(0.1, 0.1), scale=(0.9, 1.1))(ne.ones(3, 8, 8)).shape
        (3, 8, 8)
    """

    def __init__(self, degrees: Any, translate: Optional[Sequence[float]] = None,
                 scale: Optional[Sequence[float]] = None, shear: Any = None,
                 interpolation: Any = InterpolationMode.NEAREST, fill: Any = 0,
                 center: Optional[Sequence[int]] = None) -> None:
        self.degrees = _setup_angle(degrees, "degrees", (2,))
        if translate is not None:
            _check_sequence(translate, "translate", (2,))
            for t in translate:
                if not 0.0 <= t <= 1.0:
                    raise ValueError(f"translate: values should be between 0 and 1, got {translate!r}")
        self.translate = translate
        if scale is not None:
            _check_sequence(scale, "scale", (2,))
            for s in scale:
                if s <= 0:
                    raise ValueError(f"scale: values should be positive, got {scale!r}")
        self.scale = scale
        self.shear = _setup_angle(shear, "shear", (2, 4)) if shear is not None else None
        self.interpolation = F._mode_name(interpolation)
        if fill is None:
            fill = 0
        elif not isinstance(fill, (Sequence, numbers.Number)):
            raise TypeError(f"fill: should be either a sequence or a number, got {type(fill).__name__}")
        self.fill = fill
        if center is not None:
            _check_sequence(center, "center", (2,))
        self.center = center

    @staticmethod
    def get_params(degrees: Sequence[float], translate: Optional[Sequence[float]],
                   scale_ranges: Optional[Sequence[float]], shears: Optional[Sequence[float]],
                   img_size: Sequence[int]) -> Tuple[float, Tuple[int, int], float, Tuple[float, float]]:
        """``(angle, (tx, ty), scale, (shear_x, shear_y))`` for an image of ``img_size`` = [width, height].

        Example:
            >>> RandomAffine.get_params([10.0, 10.0], None, None, None, [8, 8])
            (10.0, (0, 0), 1.0, (0.0, 0.0))
        """
        angle = _uniform(float(degrees[0]), float(degrees[1]))
        if translate is not None:
            max_dx, max_dy = float(translate[0] * img_size[0]), float(translate[1] * img_size[1])
            tx = int(round(_uniform(-max_dx, max_dx)))
            ty = int(round(_uniform(-max_dy, max_dy)))
            translations = (tx, ty)
        else:
            translations = (0, 0)
        scale = _uniform(float(scale_ranges[0]), float(scale_ranges[1])) if scale_ranges is not None else 1.0
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def __call__(self, img: Any) -> Any:
        fill = self.fill
        channels, height, width = F.get_dimensions(img)
        if not _is_pil(img):
            fill = [float(fill)] * channels if isinstance(fill, (int, float)) else [float(f) for f in fill]
        ret = self.get_params(self.degrees, self.translate, self.scale, self.shear, [width, height])
        return F.affine(img, *ret, interpolation=self.interpolation, fill=fill, center=self.center)

    def __repr__(self) -> str:
        return (f"RandomAffine(degrees={self.degrees}, translate={self.translate}, scale={self.scale}, "
                f"shear={self.shear}, interpolation={self.interpolation}, fill={self.fill})")


class RandomErasing:
    """With probability ``p``, erase a random rectangle of a tensor image (area fraction in ``scale``, aspect
    ratio log-uniform in ``ratio``; 10 attempts, else unchanged) with ``value``: a number, a per-channel
    sequence, or ``"random"`` (standard normal noise). Draws in torchvision's order.

    Example:
        >>> import nnengine as ne
        >>> _ = ne.manual_seed(0)
        >>> out = RandomErasing(p=1.0, value=0)(ne.ones(3, 16, 16))
        >>> out.shape, float(out.min())
        ((3, 16, 16), 0.0)
    """

    def __init__(self, p: float = 0.5, scale: Sequence[float] = (0.02, 0.33), ratio: Sequence[float] = (0.3, 3.3),
                 value: Any = 0, inplace: bool = False) -> None:
        if isinstance(value, bool) or not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError(f"value: should be either a number or str or a sequence, got {type(value).__name__}")
        if isinstance(value, str) and value != "random":
            raise ValueError(f"value: if it is a str, it should be 'random', got {value!r}")
        if not isinstance(scale, Sequence):
            raise TypeError(f"scale: should be a sequence, got {type(scale).__name__}")
        if not isinstance(ratio, Sequence):
            raise TypeError(f"ratio: should be a sequence, got {type(ratio).__name__}")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            import warnings

            warnings.warn("Scale and ratio should be of kind (min, max)", stacklevel=2)
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError(f"scale: should be between 0 and 1, got {scale!r}")
        if p < 0 or p > 1:
            raise ValueError(f"p: random erasing probability should be between 0 and 1, got {p}")
        self.p, self.scale, self.ratio, self.value, self.inplace = p, scale, ratio, value, inplace

    @staticmethod
    def get_params(img: Tensor, scale: Sequence[float], ratio: Sequence[float],
                   value: Optional[List[float]] = None) -> Tuple[int, int, int, int, Any]:
        """``(i, j, h, w, v)`` of the rectangle to erase and its value (``value=None``: normal noise (C, h, w));
        the whole image and the image itself when 10 attempts fail.

        Example:
            >>> import nnengine as ne
            >>> RandomErasing.get_params(ne.ones(1, 4, 4), (1.0, 1.0), (1.0, 1.0), [0.0])[:4]
            (0, 0, 4, 4)
        """
        img_c, img_h, img_w = img.shape[-3], img.shape[-2], img.shape[-1]
        area = img_h * img_w
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            erase_area = area * _uniform(scale[0], scale[1])
            aspect_ratio = math.exp(_uniform(log_ratio[0], log_ratio[1]))
            h = int(round(math.sqrt(erase_area * aspect_ratio)))
            w = int(round(math.sqrt(erase_area / aspect_ratio)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = from_numpy(_random.generator().standard_normal((img_c, h, w)).astype(np.float32))
            else:
                v = from_numpy(np.asarray(value, np.float32)[:, None, None])
            return _randint(0, img_h - h + 1), _randint(0, img_w - w + 1), h, w, v
        return 0, 0, img_h, img_w, img

    def __call__(self, img: Any) -> Any:
        if not isinstance(img, Tensor):
            raise TypeError(f"img: RandomErasing works on tensor images, got {type(img).__name__}")
        if _rand() < self.p:
            if isinstance(self.value, (int, float)):
                value: Optional[List[float]] = [float(self.value)]
            elif isinstance(self.value, str):
                value = None
            else:
                value = [float(v) for v in self.value]
            if value is not None and len(value) not in (1, img.shape[-3]):
                raise ValueError(f"value: a sequence should have either a single value or {img.shape[-3]} (number "
                                 f"of input channels), got {len(value)}")
            i, j, h, w, v = self.get_params(img, scale=self.scale, ratio=self.ratio, value=value)
            return F.erase(img, i, j, h, w, v, self.inplace)
        return img

    def __repr__(self) -> str:
        return (f"RandomErasing(p={self.p}, scale={self.scale}, ratio={self.ratio}, value={self.value}, "
                f"inplace={self.inplace})")


class FiveCrop:
    """The four corner crops and the center crop of ``size``, as a tuple.

    Example:
        >>> import numpy as np
        >>> len(FiveCrop(2)(np.zeros((4, 4))))
        5
    """

    def __init__(self, size: Any) -> None:
        self.size = _setup_size(size, "size")

    def __call__(self, img: Any) -> Tuple[Any, ...]:
        return F.five_crop(img, self.size)

    def __repr__(self) -> str:
        return f"FiveCrop(size={self.size})"


class TenCrop:
    """``FiveCrop`` of the image and of its mirror (left-right, or top-bottom with ``vertical_flip``).

    Example:
        >>> import numpy as np
        >>> len(TenCrop(2)(np.zeros((4, 4))))
        10
    """

    def __init__(self, size: Any, vertical_flip: bool = False) -> None:
        self.size = _setup_size(size, "size")
        self.vertical_flip = vertical_flip

    def __call__(self, img: Any) -> Tuple[Any, ...]:
        return F.ten_crop(img, self.size, self.vertical_flip)

    def __repr__(self) -> str:
        return f"TenCrop(size={self.size}, vertical_flip={self.vertical_flip})"


class ConvertImageDtype:
    """``convert_image_dtype(image, dtype)``: rescale a tensor image to ``dtype``'s range.

    Example:
        >>> import nnengine as ne
        >>> ConvertImageDtype(ne.float32)(ne.tensor([[[255]]], dtype=ne.uint8)).tolist()
        [[[1.0]]]
    """

    def __init__(self, dtype: Any) -> None:
        self.dtype = dtype

    def __call__(self, image: Tensor) -> Tensor:
        return F.convert_image_dtype(image, self.dtype)

    def __repr__(self) -> str:
        return f"ConvertImageDtype(dtype={self.dtype})"
