"""Resampling layers (torch's ``nn.modules.upsampling``): ``Upsample`` and its nearest / bilinear shorthands,
PyTorch's arguments, on ``F.interpolate``."""

from __future__ import annotations

from typing import Any, Optional

from ... import functional as F
from ...tensor import Tensor
from ..module import Module


class Upsample(Module):
    """Resample (N, C, L), (N, C, H, W) or (N, C, D, H, W) input to ``size`` or by ``scale_factor`` (see
    ``F.interpolate``: modes 'nearest', 'nearest-exact', 'area', 'linear', 'bilinear', 'bicubic', 'trilinear').

    Example:
        >>> x = ne.randn(1, 2, 16, 16)
        >>> Upsample(scale_factor=2, mode="bilinear")(x).shape
        (1, 2, 32, 32)
        >>> Upsample(size=(5, 9), mode="bicubic", align_corners=False)(x).shape
        (1, 2, 5, 9)
        >>> Upsample(scale_factor=2, mode="trilinear")(ne.randn(1, 1, 2, 3, 4)).shape
        (1, 1, 4, 6, 8)
    """

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: Optional[bool] = None, recompute_scale_factor: Optional[bool] = None) -> None:
        super().__init__()
        if isinstance(scale_factor, (tuple, list)):  # floats, as torch stores (and prints) them
            scale_factor = tuple(float(f) for f in scale_factor)
        elif scale_factor:
            scale_factor = float(scale_factor)
        else:
            scale_factor = None
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             self.recompute_scale_factor)

    def extra_repr(self) -> str:
        what = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return f"{what}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """``Upsample(mode='nearest')`` for 4-D input.

    Example:
        >>> UpsamplingNearest2d(scale_factor=2)(ne.randn(1, 2, 4, 4)).shape
        (1, 2, 8, 8)
    """

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, "nearest")


class UpsamplingBilinear2d(Upsample):
    """``Upsample(mode='bilinear', align_corners=True)`` for 4-D input (as torch).

    Example:
        >>> UpsamplingBilinear2d(scale_factor=2)(ne.randn(1, 2, 4, 4)).shape
        (1, 2, 8, 8)
    """

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, "bilinear", align_corners=True)
