"""Pooling layers: ``MaxPool1d/2d``, ``AvgPool1d/2d``, ``MinPool2d``, ``AdaptiveAvgPool1d/2d``,
``AdaptiveMaxPool1d/2d`` (PyTorch's arguments and defaults)."""

from __future__ import annotations

from typing import Any, Optional, Tuple, Union

import numpy as np

from ... import functional as F
from ...tensor import Tensor
from ..module import Module
from .activation import ReLU

IntPair = Union[int, Tuple[int, int]]


class _Pool2d(Module):
    _fn = staticmethod(F.max_pool2d)

    def __init__(self, kernel_size: IntPair, stride: Optional[IntPair] = None, padding: IntPair = 0,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        # getattr: a layer pickled before ceil_mode existed still loads and runs
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding,
                              ceil_mode=getattr(self, "ceil_mode", False))

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _MaxPoolNd(_Pool2d):
    """torch's max-pool arguments and repr; ``_fn`` is the functional form (F.max_pool2d, F.max_pool3d)."""

    def __init__(self, kernel_size: Any, stride: Optional[Any] = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.dilation, self.return_indices, self.ceil_mode = dilation, bool(return_indices), bool(ceil_mode)

    def forward(self, input: Tensor) -> Any:
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                              self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    """Max over each kernel_size window (stride defaults to kernel_size); torch's arguments (dilation 1 only),
    ``ceil_mode=True`` keeps the partial last windows as torch.

    Example:
        >>> x = ne.randn(2, 3, 28, 28)
        >>> MaxPool2d(2)(x).shape
        (2, 3, 14, 14)
        >>> MaxPool2d(3, stride=2, ceil_mode=True)(ne.randn(1, 1, 8, 8)).shape
        (1, 1, 4, 4)
    """

    _fn = staticmethod(F.max_pool2d)


_HOOKS = ("_forward_pre_hooks", "_forward_hooks", "_backward_hooks")
_F32 = np.dtype(np.float32)


def relu_max_pool(relu: Optional[Module], pool: Module, x: Any) -> Optional[Tensor]:
    """``pool(relu(x))`` as one fused node (``F._relu_max_pool2d``) when nothing can tell the difference,
    else None (the caller runs the two layers). ``relu``: the ReLU module, or None for ``F.relu`` called by the
    caller's own forward. Fused only for exactly ``nn.ReLU`` (not in place) and ``nn.MaxPool2d`` without hooks,
    on a 4-D float32 Tensor: the ReLU's output is then never seen, and outputs and gradients are the same bits.

    Example:
        >>> relu_max_pool(nn.ReLU(), nn.MaxPool2d(2), ne.ones(1, 1, 4, 4)).shape
        (1, 1, 2, 2)
        >>> relu_max_pool(nn.ReLU(inplace=True), nn.MaxPool2d(2), ne.ones(1, 1, 4, 4)) is None
        True
    """
    if type(pool) is not MaxPool2d or type(x) is not Tensor or x._data.dtype is not _F32 or x._data.ndim != 4:
        return None
    for m in (pool,) if relu is None else (relu, pool):
        d = m.__dict__
        if d.get(_HOOKS[0]) or d.get(_HOOKS[1]) or d.get(_HOOKS[2]):
            return None
    if relu is not None and (type(relu) is not ReLU or relu.inplace):
        return None
    # the fused kernel is floor mode, dilation 1, no indices: anything else runs the layers (their checks)
    d = pool.__dict__
    if d.get("ceil_mode") or d.get("return_indices") or d.get("dilation", 1) not in (1, (1, 1), [1, 1]):
        return None
    return F._relu_max_pool2d(x, pool.kernel_size, pool.stride, pool.padding)


class _AvgPoolNd(_Pool2d):
    """torch's average-pool arguments; ``_fn`` is the functional form (F.avg_pool2d, F.avg_pool3d)."""

    def __init__(self, kernel_size: Any, stride: Optional[Any] = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: Optional[int] = None) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        # getattr: a layer pickled before these options existed still loads and runs
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding, getattr(self, "ceil_mode", False),
                              getattr(self, "count_include_pad", True), getattr(self, "divisor_override", None))


class AvgPool2d(_AvgPoolNd):
    """Average over each window, torch's arguments: ``count_include_pad=True`` counts padding as zeros (False:
    divide by the input elements in the window), ``ceil_mode`` keeps the partial last windows,
    ``divisor_override`` (a non-zero int) replaces the divisor (see ``F.avg_pool2d``).

    Example:
        >>> x = ne.randn(2, 3, 28, 28)
        >>> AvgPool2d(2)(x).shape
        (2, 3, 14, 14)
        >>> AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)(ne.ones(1, 1, 6, 6)).shape
        (1, 1, 4, 4)
    """

    _fn = staticmethod(F.avg_pool2d)


class MinPool2d(_Pool2d):
    """Minimum over each window (padded positions are ignored); ``ceil_mode`` as ``MaxPool2d``.

    Example:
        >>> x = ne.randn(2, 3, 28, 28)
        >>> MinPool2d(3, stride=2, padding=1)(x).shape
        (2, 3, 14, 14)
        >>> MinPool2d(2, ceil_mode=True)(ne.randn(1, 1, 5, 5)).shape
        (1, 1, 3, 3)
    """

    _fn = staticmethod(F.min_pool2d)


class _Pool1d(Module):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool1d(_Pool1d):
    """Max over each window of (N, C, L) or (C, L) input (stride defaults to kernel_size); PyTorch's arguments
    (dilation 1 only), ``ceil_mode`` and ``return_indices`` as torch.

    Example:
        >>> x = ne.randn(2, 3, 100)
        >>> MaxPool1d(2)(x).shape
        (2, 3, 50)
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__(kernel_size, stride, padding)
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode

    def forward(self, input: Tensor) -> Any:
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)


class AvgPool1d(_Pool1d):
    """Average over each window of (N, C, L) or (C, L) input; ``count_include_pad`` and ``ceil_mode`` as torch
    (padding counts as zeros by default).

    Example:
        >>> x = ne.randn(2, 3, 100)
        >>> AvgPool1d(4, stride=2)(x).shape
        (2, 3, 49)
    """

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True) -> None:
        super().__init__(kernel_size, stride, padding)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)


class _AdaptivePool(Module):
    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptivePool):
    """Average pooling to a fixed output size (None keeps the input's size in that dimension).

    Example:
        >>> x = ne.randn(2, 8, 7, 7)
        >>> AdaptiveAvgPool2d((1, 1))(x).shape
        (2, 8, 1, 1)
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__(output_size)

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveAvgPool1d(_AdaptivePool):
    """Average pooling of (N, C, L) or (C, L) to a fixed length.

    Example:
        >>> x = ne.randn(2, 3, 100)
        >>> AdaptiveAvgPool1d(1)(x).shape
        (2, 3, 1)
    """

    def __init__(self, output_size: Any) -> None:
        super().__init__(output_size)

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveMaxPool2d(_AdaptivePool):
    """Max pooling to a fixed output size; ``return_indices`` as torch (flat h * W + w positions).

    Example:
        >>> x = ne.randn(2, 3, 9, 7)
        >>> AdaptiveMaxPool2d(2)(x).shape
        (2, 3, 2, 2)
    """

    def forward(self, input: Tensor) -> Any:
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptivePool):
    """Max pooling of (N, C, L) or (C, L) to a fixed length.

    Example:
        >>> x = ne.randn(2, 3, 100)
        >>> AdaptiveMaxPool1d(4)(x).shape
        (2, 3, 4)
    """

    def forward(self, input: Tensor) -> Any:
        return F.adaptive_max_pool1d(input, self.output_size, self.return_indices)
