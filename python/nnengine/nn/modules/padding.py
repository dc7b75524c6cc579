"""Padding layers (torch's ``nn.modules.padding``): ``ConstantPad1d/2d/3d``, ``ZeroPad1d/2d/3d``,
``ReflectionPad1d/2d/3d``, ``ReplicationPad1d/2d/3d``, ``CircularPad1d/2d/3d``, PyTorch's arguments, on the pad
kernels (``F.pad``)."""

from __future__ import annotations

from typing import Any, Optional, Tuple

from ... import functional as F
from ...tensor import Tensor
from ..module import Module


def _pads(padding: Any, n: int) -> Tuple[int, ...]:
    if isinstance(padding, (tuple, list)):
        if len(padding) != 2 * n:
            raise ValueError(f"padding: expected an int or {2 * n} ints, got {padding!r}")
        return tuple(padding)
    return (padding,) * (2 * n)


class _PadNd(Module):
    _mode = "constant"
    _n = 2
    _zero = False

    def __init__(self, padding: Any, value: Optional[float] = None) -> None:
        super().__init__()
        self.padding = _pads(padding, self._n)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self._mode, self.value)

    def extra_repr(self) -> str:  # torch's: ConstantPad names both, the ZeroPads and the other modes show the pads
        if self._mode == "constant" and not self._zero:
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


class ConstantPad1d(_PadNd):
    """Pad the last dimension with ``value``: padding an int or (left, right).

    Example:
        >>> ConstantPad1d(2, 3.5)(ne.zeros(1, 1, 2))
        tensor([[[3.5, 3.5, 0. , 0. , 3.5, 3.5]]])
    """

    _n = 1

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding, value)


class ConstantPad2d(_PadNd):
    """Pad the last two dimensions with ``value``: padding an int or (left, right, top, bottom).

    Example:
        >>> ConstantPad2d((1, 1, 2, 0), 0.0)(ne.zeros(1, 1, 3, 3)).shape
        (1, 1, 5, 5)
    """

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding, value)


class ZeroPad1d(ConstantPad1d):
    """Pad the last dimension with zeros.

    Example:
        >>> ZeroPad1d(2)(ne.ones(1, 1, 2))
        tensor([[[0., 0., 1., 1., 0., 0.]]])
    """

    _zero = True

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dimensions with zeros.

    Example:
        >>> ZeroPad2d(2)(ne.randn(1, 3, 28, 28)).shape
        (1, 3, 32, 32)
    """

    _zero = True

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)


class ReflectionPad1d(_PadNd):
    """Mirror-pad the last dimension (the edge is not repeated).

    Example:
        >>> ReflectionPad1d(2)(ne.tensor([[[1.0, 2.0, 3.0]]]))
        tensor([[[3., 2., 1., 2., 3., 2., 1.]]])
    """

    _mode, _n = "reflect", 1


class ReflectionPad2d(_PadNd):
    """Mirror-pad the last two dimensions.

    Example:
        >>> ReflectionPad2d(1)(ne.randn(1, 3, 4, 4)).shape
        (1, 3, 6, 6)
    """

    _mode = "reflect"


class ReplicationPad1d(_PadNd):
    """Pad the last dimension by repeating the edge values.

    Example:
        >>> ReplicationPad1d(2)(ne.tensor([[[1.0, 2.0, 3.0]]]))
        tensor([[[1., 1., 1., 2., 3., 3., 3.]]])
    """

    _mode, _n = "replicate", 1


class ReplicationPad2d(_PadNd):
    """Pad the last two dimensions by repeating the edge values.

    Example:
        >>> ReplicationPad2d(1)(ne.randn(1, 3, 4, 4)).shape
        (1, 3, 6, 6)
    """

    _mode = "replicate"


class CircularPad1d(_PadNd):
    """Wrap-around padding of the last dimension (the other end's values).

    Example:
        >>> CircularPad1d(1)(ne.tensor([[[1.0, 2.0, 3.0]]]))
        tensor([[[3., 1., 2., 3., 1.]]])
    """

    _mode, _n = "circular", 1


class CircularPad2d(_PadNd):
    """Wrap-around padding of the last two dimensions: (left, right, top, bottom) or one int.

    Example:
        >>> CircularPad2d(1)(ne.ones(1, 1, 2, 2)).shape
        (1, 1, 4, 4)
    """

    _mode = "circular"


class ConstantPad3d(_PadNd):
    """Pad the last three dimensions with ``value``: padding an int or (left, right, top, bottom, front, back).

    Example:
        >>> ConstantPad3d((1, 1, 2, 0, 1, 0), 0.5)(ne.zeros(1, 1, 2, 3, 3)).shape
        (1, 1, 3, 5, 5)
    """

    _n = 3

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding, value)


class ZeroPad3d(ConstantPad3d):
    """Pad the last three dimensions with zeros.

    Example:
        >>> ZeroPad3d(1)(ne.randn(1, 2, 3, 4, 4)).shape
        (1, 2, 5, 6, 6)
    """

    _zero = True

    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)


class ReflectionPad3d(_PadNd):
    """Mirror-pad the last three dimensions of (C, D, H, W) or (N, C, D, H, W) input.

    Example:
        >>> ReflectionPad3d(1)(ne.randn(1, 2, 3, 4, 4)).shape
        (1, 2, 5, 6, 6)
    """

    _mode, _n = "reflect", 3


class ReplicationPad3d(_PadNd):
    """Pad the last three dimensions by repeating the edge values.

    Example:
        >>> ReplicationPad3d((1, 0, 0, 0, 2, 0))(ne.randn(1, 2, 3, 4, 4)).shape
        (1, 2, 5, 4, 5)
    """

    _mode, _n = "replicate", 3


class CircularPad3d(_PadNd):
    """Wrap-around padding of the last three dimensions.

    Example:
        >>> CircularPad3d(1)(ne.ones(1, 1, 2, 2, 2)).shape
        (1, 1, 4, 4, 4)
    """

    _mode, _n = "circular", 3
