"""``InstanceNorm1d/2d/3d`` (torch's ``nn.modules.instancenorm``): per-(sample, channel) normalisation with
BatchNorm's parameters and buffers, on the layernorm kernels."""

from __future__ import annotations

import inspect
from typing import Any

from ... import functional as F
from ...tensor import Tensor
from ..module import Module
from .batchnorm import _BatchNorm


def _with_defaults(init: Any, **defaults: Any) -> Any:
    """``init`` (a norm layer's constructor) with other keyword defaults and the matching signature: one
    constructor for layers that differ only in defaults (torch's InstanceNorm vs BatchNorm)."""
    base = inspect.unwrap(init)
    sig = inspect.signature(base)
    sig = sig.replace(parameters=[p.replace(default=defaults.get(n, p.default)) for n, p in sig.parameters.items()])

    def __init__(self: Module, *args: Any, **kwargs: Any) -> None:
        try:
            bound = sig.bind(self, *args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{type(self).__name__}(): {e}") from None
        bound.apply_defaults()
        base(*bound.args, **bound.kwargs)

    __init__.__signature__ = sig  # type: ignore[attr-defined]
    __init__.__doc__ = base.__doc__
    return __init__


class _InstanceNorm(_BatchNorm):
    """Per-(sample, channel) normalisation; parameters and buffers as BatchNorm's (PyTorch's _NormBase),
    with torch's defaults affine=False, track_running_stats=False."""

    __init__ = _with_defaults(_BatchNorm.__init__, affine=False, track_running_stats=False)

    def forward(self, input: Tensor) -> Tensor:
        nd = getattr(input, "ndim", None)
        if nd not in self._dims:
            shape = getattr(input, "shape", None)
            raise ValueError(f"input: expected {' or '.join(map(str, self._dims))}D input, got shape {shape}")
        unbatched = nd == self._dims[0]
        x = input.unsqueeze(0) if unbatched else input
        if x.shape[1] != self.num_features and self.affine:
            raise ValueError(
                f"input: expected {self.num_features} channels (num_features, dimension "
                f"{0 if unbatched else 1}), got shape {input.shape}"
            )
        y = F.instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            0.0 if self.momentum is None else self.momentum,
            self.eps,
        )
        return y.squeeze(0) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    """Instance norm over (N, C, L) or unbatched (C, L) input.

    Example:
        >>> InstanceNorm1d(6, affine=True)(ne.randn(2, 6, 100)).shape
        (2, 6, 100)
    """

    _dims = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """Instance norm over (N, C, H, W) or unbatched (C, H, W) input.

    Example:
        >>> InstanceNorm2d(16)(ne.randn(2, 16, 5, 5)).shape
        (2, 16, 5, 5)
    """

    _dims = (3, 4)


class InstanceNorm3d(_InstanceNorm):
    """Instance norm over (N, C, D, H, W) or unbatched (C, D, H, W) input.

    Example:
        >>> InstanceNorm3d(4)(ne.randn(2, 4, 3, 3, 3)).shape
        (2, 4, 3, 3, 3)
    """

    _dims = (4, 5)
