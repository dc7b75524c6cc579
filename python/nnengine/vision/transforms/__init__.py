"""torchvision.transforms (the classic, v1 API) on PIL images, numpy arrays and tensors: the same classes,
arguments and formulas, so a torchvision preprocessing pipeline runs unchanged.

Images are PIL images (H x W, any mode), tensors ``(..., C, H, W)`` (what ``ToTensor`` gives) or, beyond
torchvision's v1 API, numpy arrays in PIL's layout ``(H, W[, C])``; each transform returns the kind it was given.
Random transforms draw from nnengine's generator (``ne.manual_seed`` makes them repeatable). Pillow is imported
lazily (only PIL inputs, ``ToPILImage`` and resizing need it).

Example:
    >>> import numpy as np
    >>> from nnengine.vision import transforms
    >>> t = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5] * 3, [0.5] * 3)])
    >>> img = np.full((4, 6, 3), 255, dtype=np.uint8)
    >>> out = t(img)
    >>> out.shape, float(out.max())
    ((3, 4, 6), 1.0)
"""

from . import autoaugment, functional, transforms
from .autoaugment import AutoAugment, AutoAugmentPolicy, RandAugment, TrivialAugmentWide
from .transforms import (  # the random-choice, blur, affine, erasing, multi-crop and colour-curve classes
    CenterCrop,
    ColorJitter,
    Compose,
    ConvertImageDtype,
    FiveCrop,
    GaussianBlur,
    Grayscale,
    InterpolationMode,
    Lambda,
    Normalize,
    Pad,
    PILToTensor,
    RandomAdjustSharpness,
    RandomAffine,
    RandomApply,
    RandomAutocontrast,
    RandomChoice,
    RandomCrop,
    RandomEqualize,
    RandomErasing,
    RandomGrayscale,
    RandomHorizontalFlip,
    RandomInvert,
    RandomOrder,
    RandomPosterize,
    RandomResizedCrop,
    RandomRotation,
    RandomSolarize,
    RandomVerticalFlip,
    Resize,
    TenCrop,
    ToPILImage,
    ToTensor,
)

__all__ = [*transforms.__all__, *autoaugment.__all__, "functional", "autoaugment"]
