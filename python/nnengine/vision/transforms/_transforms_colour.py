"""torchvision.transforms' random colour-curve classes (re-exported by ``nnengine.vision.transforms``): each
applies its ``functional`` operation with probability ``p`` (one draw from nnengine's generator per call)."""

from __future__ import annotations

from typing import Any

from . import _functional_more as F
from ._core import _rand

__all__ = ["RandomInvert", "RandomPosterize", "RandomSolarize", "RandomAdjustSharpness", "RandomAutocontrast",
           "RandomEqualize"]


class _RandomOp:
    """Apply ``self._apply`` with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def _apply(self, img: Any) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def __call__(self, img: Any) -> Any:
        return self._apply(img) if _rand() < self.p else img

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomInvert(_RandomOp):
    """Invert the colours with probability ``p``.

    Example:
        >>> import nnengine as ne
        >>> RandomInvert(p=1.0)(ne.zeros(1, 1, 2)).tolist()
        [[[1.0, 1.0]]]
    """

    def _apply(self, img: Any) -> Any:
        return F.invert(img)


class RandomPosterize(_RandomOp):
    """Posterize to ``bits`` bits with probability ``p``.

    Example:
        >>> import nnengine as ne
        >>> RandomPosterize(1, p=1.0)(ne.tensor([[[200]]], dtype=ne.uint8)).tolist()
        [[[128]]]
    """

    def __init__(self, bits: int, p: float = 0.5) -> None:
        super().__init__(p)
        self.bits = bits

    def _apply(self, img: Any) -> Any:
        return F.posterize(img, self.bits)


class RandomSolarize(_RandomOp):
    """Solarize above ``threshold`` with probability ``p``.

    Example:
        >>> import nnengine as ne
        >>> RandomSolarize(0.5, p=1.0)(ne.tensor([[[1.0]]])).tolist()
        [[[0.0]]]
    """

    def __init__(self, threshold: float, p: float = 0.5) -> None:
        super().__init__(p)
        self.threshold = threshold

    def _apply(self, img: Any) -> Any:
        return F.solarize(img, self.threshold)


class RandomAdjustSharpness(_RandomOp):
    """``adjust_sharpness(img, sharpness_factor)`` with probability ``p``.

    Example:
        >>> import nnengine as ne
        >>> RandomAdjustSharpness(2.0, p=1.0)(ne.ones(3, 4, 4)).shape
        (3, 4, 4)
    """

    def __init__(self, sharpness_factor: float, p: float = 0.5) -> None:
        super().__init__(p)
        self.sharpness_factor = sharpness_factor

    def _apply(self, img: Any) -> Any:
        return F.adjust_sharpness(img, self.sharpness_factor)


class RandomAutocontrast(_RandomOp):
    """``autocontrast`` with probability ``p``.

    Example:
        >>> import nnengine as ne
        >>> RandomAutocontrast(p=1.0)(ne.tensor([[[0.25, 0.5]]])).tolist()
        [[[0.0, 1.0]]]
    """

    def _apply(self, img: Any) -> Any:
        return F.autocontrast(img)


class RandomEqualize(_RandomOp):
    """``equalize`` with probability ``p``.

    Example:
        >>> import nnengine as ne
        >>> RandomEqualize(p=1.0)(ne.zeros(1, 2, 2, dtype=ne.uint8)).shape
        (1, 2, 2)
    """

    def _apply(self, img: Any) -> Any:
        return F.equalize(img)
