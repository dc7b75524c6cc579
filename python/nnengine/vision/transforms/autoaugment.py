"""torchvision.transforms.autoaugment: AutoAugment (the ImageNet, CIFAR10 and SVHN policies), RandAugment and
TrivialAugmentWide with torchvision's operations, magnitude bins and draw order (nnengine's generator). They
work on PIL images and uint8 tensors (C, H, W), as torchvision's."""

from __future__ import annotations

import math
from enum import Enum
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ...tensor import Tensor
from . import _functional_more as F
from ._core import InterpolationMode, _adjust, _rand, _randint

__all__ = ["AutoAugmentPolicy", "AutoAugment", "RandAugment", "TrivialAugmentWide"]


def _apply_op(img: Any, op_name: str, magnitude: float, interpolation: Any, fill: Optional[List[float]]) -> Any:
    if op_name == "ShearX":
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0, shear=[math.degrees(math.atan(magnitude)), 0.0],
                        interpolation=interpolation, fill=fill, center=[0, 0])
    if op_name == "ShearY":
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0, shear=[0.0, math.degrees(math.atan(magnitude))],
                        interpolation=interpolation, fill=fill, center=[0, 0])
    if op_name == "TranslateX":
        return F.affine(img, angle=0.0, translate=[int(magnitude), 0], scale=1.0, interpolation=interpolation,
                        shear=[0.0, 0.0], fill=fill)
    if op_name == "TranslateY":
        return F.affine(img, angle=0.0, translate=[0, int(magnitude)], scale=1.0, interpolation=interpolation,
                        shear=[0.0, 0.0], fill=fill)
    if op_name == "Rotate":
        return F.rotate(img, magnitude, interpolation=interpolation, fill=fill)
    if op_name in ("Brightness", "Color", "Contrast"):
        return _adjust(img, {"Brightness": "brightness", "Color": "saturation", "Contrast": "contrast"}[op_name],
                       1.0 + magnitude)
    if op_name == "Sharpness":
        return F.adjust_sharpness(img, 1.0 + magnitude)
    if op_name == "Posterize":
        return F.posterize(img, int(magnitude))
    if op_name == "Solarize":
        return F.solarize(img, magnitude)
    if op_name == "AutoContrast":
        return F.autocontrast(img)
    if op_name == "Equalize":
        return F.equalize(img)
    if op_name == "Invert":
        return F.invert(img)
    if op_name == "Identity":
        return img
    raise ValueError(f"op_name: the provided operator {op_name} is not recognized")


def _lin(a: float, b: float, n: int) -> np.ndarray:
    return np.linspace(a, b, n).astype(np.float32)  # torch.linspace's float32 values


def _posterize_bins(n: int, div: int) -> np.ndarray:
    return 8 - np.round(np.arange(n, dtype=np.float32) / np.float32((n - 1) / div)).astype(np.int32)


def _space(num_bins: int, image_size: Tuple[int, int], identity: bool, invert: bool) -> Dict[str, Tuple[Any, bool]]:
    out: Dict[str, Tuple[Any, bool]] = {"Identity": (None, False)} if identity else {}
    out.update({
        "ShearX": (_lin(0.0, 0.3, num_bins), True), "ShearY": (_lin(0.0, 0.3, num_bins), True),
        "TranslateX": (_lin(0.0, 150.0 / 331.0 * image_size[1], num_bins), True),
        "TranslateY": (_lin(0.0, 150.0 / 331.0 * image_size[0], num_bins), True),
        "Rotate": (_lin(0.0, 30.0, num_bins), True), "Brightness": (_lin(0.0, 0.9, num_bins), True),
        "Color": (_lin(0.0, 0.9, num_bins), True), "Contrast": (_lin(0.0, 0.9, num_bins), True),
        "Sharpness": (_lin(0.0, 0.9, num_bins), True), "Posterize": (_posterize_bins(num_bins, 4), False),
        "Solarize": (_lin(255.0, 0.0, num_bins), False), "AutoContrast": (None, False), "Equalize": (None, False)})
    if invert:
        out["Invert"] = (None, False)
    return out


def _fill_for(img: Any, fill: Any) -> Any:
    if isinstance(img, Tensor):
        channels = F.get_dimensions(img)[0]
        if isinstance(fill, (int, float)):
            return [float(fill)] * channels
        if fill is not None:
            return [float(f) for f in fill]
    return fill


class AutoAugmentPolicy(Enum):
    """The AutoAugment policies learned on ImageNet, CIFAR10 and SVHN.

    Example:
        >>> AutoAugmentPolicy.CIFAR10.value
        'cifar10'
    """

    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


_POLICIES = {
    "imagenet": "Posterize .4 8 Rotate .6 9|Solarize .6 5 AutoContrast .6 -|Equalize .8 - Equalize .6 -|"
                "Posterize .6 7 Posterize .6 6|Equalize .4 - Solarize .2 4|Equalize .4 - Rotate .8 8|"
                "Solarize .6 3 Equalize .6 -|Posterize .8 5 Equalize 1 -|Rotate .2 3 Solarize .6 8|"
                "Equalize .6 - Posterize .4 6|Rotate .8 8 Color .4 0|Rotate .4 9 Equalize .6 -|"
                "Equalize 0 - Equalize .8 -|Invert .6 - Equalize 1 -|Color .6 4 Contrast 1 8|Rotate .8 8 Color 1 2|"
                "Color .8 8 Solarize .8 7|Sharpness .4 7 Invert .6 -|ShearX .6 5 Equalize 1 -|"
                "Color .4 0 Equalize .6 -|Equalize .4 - Solarize .2 4|Solarize .6 5 AutoContrast .6 -|"
                "Invert .6 - Equalize 1 -|Color .6 4 Contrast 1 8|Equalize .8 - Equalize .6 -",
    "cifar10": "Invert .1 - Contrast .2 6|Rotate .7 2 TranslateX .3 9|Sharpness .8 1 Sharpness .9 3|"
               "ShearY .5 8 TranslateY .7 9|AutoContrast .5 - Equalize .9 -|ShearY .2 7 Posterize .3 7|"
               "Color .4 3 Brightness .6 7|Sharpness .3 9 Brightness .7 9|Equalize .6 - Equalize .5 -|"
               "Contrast .6 7 Sharpness .6 5|Color .7 7 TranslateX .5 8|Equalize .3 - AutoContrast .4 -|"
               "TranslateY .4 3 Sharpness .2 6|Brightness .9 6 Color .2 8|Solarize .5 2 Invert 0 -|"
               "Equalize .2 - AutoContrast .6 -|Equalize .2 - Equalize .6 -|Color .9 9 Equalize .6 -|"
               "AutoContrast .8 - Solarize .2 8|Brightness .1 3 Color .7 0|Solarize .4 5 AutoContrast .9 -|"
               "TranslateY .9 9 TranslateY .7 9|AutoContrast .9 - Solarize .8 3|Equalize .8 - Invert .1 -|"
               "TranslateY .7 9 AutoContrast .9 -",
    "svhn": "ShearX .9 4 Invert .2 -|ShearY .9 8 Invert .7 -|Equalize .6 - Solarize .6 6|Invert .9 - Equalize .6 -|"
            "Equalize .6 - Rotate .9 3|ShearX .9 4 AutoContrast .8 -|ShearY .9 8 Invert .4 -|"
            "ShearY .9 5 Solarize .2 6|Invert .9 - AutoContrast .8 -|Equalize .6 - Rotate .9 3|"
            "ShearX .9 4 Solarize .3 3|ShearY .8 8 Invert .7 -|Equalize .9 - TranslateY .6 6|"
            "Invert .9 - Equalize .6 -|Contrast .3 3 Rotate .8 4|Invert .8 - TranslateY 0 2|"
            "ShearY .7 6 Solarize .4 8|Invert .6 - Rotate .8 4|ShearY .3 7 TranslateX .9 3|"
            "ShearX .1 6 Invert .6 -|Solarize .7 2 TranslateY .6 7|ShearY .8 4 Invert .8 -|"
            "ShearX .7 9 TranslateY .8 3|ShearY .8 5 AutoContrast .7 -|ShearX .7 2 Invert .1 -",
}


def _parse_policy(text: str) -> List[Tuple[Tuple[str, float, Optional[int]], ...]]:
    out = []
    for pair in text.split("|"):
        w = pair.split()
        out.append(tuple((w[k], float(w[k + 1]), None if w[k + 2] == "-" else int(w[k + 2])) for k in (0, 3)))
    return out


class AutoAugment:
    """AutoAugment (Cubuk et al. 2018): one of the ``policy``'s 25 sub-policies, each two operations applied with
    their probabilities and magnitude bins (of 10), signs random.

    Example:
        >>> import nnengine as ne
        >>> _ = ne.manual_seed(0)
        >>> AutoAugment(AutoAugmentPolicy.CIFAR10)(ne.zeros(3, 8, 8, dtype=ne.uint8)).shape
        (3, 8, 8)
    """

    def __init__(self, policy: AutoAugmentPolicy = AutoAugmentPolicy.IMAGENET,
                 interpolation: Any = InterpolationMode.NEAREST, fill: Optional[List[float]] = None) -> None:
        key = getattr(policy, "value", policy)
        if key not in _POLICIES:
            raise ValueError(f"policy: the provided policy {policy} is not recognized")
        self.policy, self.interpolation, self.fill = policy, interpolation, fill
        self.policies = _parse_policy(_POLICIES[key])

    @staticmethod
    def get_params(transform_num: int) -> Tuple[int, List[float], List[int]]:
        """``(policy_id, probs (2), signs (2))``.

        Example:
            >>> AutoAugment.get_params(1)[0]
            0
        """
        policy_id = _randint(0, transform_num)
        probs = [_rand(), _rand()]
        signs = [_randint(0, 2), _randint(0, 2)]
        return policy_id, probs, signs

    def __call__(self, img: Any) -> Any:
        fill = _fill_for(img, self.fill)
        _, height, width = F.get_dimensions(img)
        transform_id, probs, signs = self.get_params(len(self.policies))
        op_meta = _space(10, (height, width), identity=False, invert=True)
        for i, (op_name, p, magnitude_id) in enumerate(self.policies[transform_id]):
            if probs[i] <= p:
                magnitudes, signed = op_meta[op_name]
                magnitude = float(magnitudes[magnitude_id]) if magnitude_id is not None else 0.0
                if signed and signs[i] == 0:
                    magnitude *= -1.0
                img = _apply_op(img, op_name, magnitude, self.interpolation, fill)
        return img

    def __repr__(self) -> str:
        return f"AutoAugment(policy={self.policy}, fill={self.fill})"


class RandAugment:
    """RandAugment (Cubuk et al. 2019): ``num_ops`` operations drawn uniformly, each at bin ``magnitude`` of
    ``num_magnitude_bins``, with a random sign.

    Example:
        >>> import nnengine as ne
        >>> _ = ne.manual_seed(0)
        >>> RandAugment()(ne.zeros(3, 8, 8, dtype=ne.uint8)).shape
        (3, 8, 8)
    """

    def __init__(self, num_ops: int = 2, magnitude: int = 9, num_magnitude_bins: int = 31,
                 interpolation: Any = InterpolationMode.NEAREST, fill: Optional[List[float]] = None) -> None:
        self.num_ops, self.magnitude, self.num_magnitude_bins = num_ops, magnitude, num_magnitude_bins
        self.interpolation, self.fill = interpolation, fill

    def __call__(self, img: Any) -> Any:
        fill = _fill_for(img, self.fill)
        _, height, width = F.get_dimensions(img)
        op_meta = _space(self.num_magnitude_bins, (height, width), identity=True, invert=False)
        names = list(op_meta)
        for _ in range(self.num_ops):
            op_name = names[_randint(0, len(names))]
            magnitudes, signed = op_meta[op_name]
            magnitude = float(magnitudes[self.magnitude]) if magnitudes is not None else 0.0
            if signed and _randint(0, 2):
                magnitude *= -1.0
            img = _apply_op(img, op_name, magnitude, self.interpolation, fill)
        return img

    def __repr__(self) -> str:
        return (f"RandAugment(num_ops={self.num_ops}, magnitude={self.magnitude}, "
                f"num_magnitude_bins={self.num_magnitude_bins}, interpolation={self.interpolation}, fill={self.fill})")


class TrivialAugmentWide:
    """TrivialAugment Wide (Muller & Hutter 2021): one operation drawn uniformly at a magnitude bin drawn
    uniformly (of ``num_magnitude_bins``), with a random sign.

    Example:
        >>> import nnengine as ne
        >>> _ = ne.manual_seed(0)
        >>> TrivialAugmentWide()(ne.zeros(3, 8, 8, dtype=ne.uint8)).shape
        (3, 8, 8)
    """

    def __init__(self, num_magnitude_bins: int = 31, interpolation: Any = InterpolationMode.NEAREST,
                 fill: Optional[List[float]] = None) -> None:
        self.num_magnitude_bins, self.interpolation, self.fill = num_magnitude_bins, interpolation, fill

    def _augmentation_space(self, num_bins: int) -> Dict[str, Tuple[Any, bool]]:
        return {"Identity": (None, False), "ShearX": (_lin(0.0, 0.99, num_bins), True),
                "ShearY": (_lin(0.0, 0.99, num_bins), True), "TranslateX": (_lin(0.0, 32.0, num_bins), True),
                "TranslateY": (_lin(0.0, 32.0, num_bins), True), "Rotate": (_lin(0.0, 135.0, num_bins), True),
                "Brightness": (_lin(0.0, 0.99, num_bins), True), "Color": (_lin(0.0, 0.99, num_bins), True),
                "Contrast": (_lin(0.0, 0.99, num_bins), True), "Sharpness": (_lin(0.0, 0.99, num_bins), True),
                "Posterize": (_posterize_bins(num_bins, 6), False), "Solarize": (_lin(255.0, 0.0, num_bins), False),
                "AutoContrast": (None, False), "Equalize": (None, False)}

    def __call__(self, img: Any) -> Any:
        fill = _fill_for(img, self.fill)
        op_meta = self._augmentation_space(self.num_magnitude_bins)
        names = list(op_meta)
        op_name = names[_randint(0, len(names))]
        magnitudes, signed = op_meta[op_name]
        magnitude = float(magnitudes[_randint(0, len(magnitudes))]) if magnitudes is not None else 0.0
        if signed and _randint(0, 2):
            magnitude *= -1.0
        return _apply_op(img, op_name, magnitude, self.interpolation, fill)

    def __repr__(self) -> str:
        return (f"TrivialAugmentWide(num_magnitude_bins={self.num_magnitude_bins}, "
                f"interpolation={self.interpolation}, fill={self.fill})")
