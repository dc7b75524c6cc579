"""``BatchNorm1d`` / ``BatchNorm2d`` with PyTorch's parameters, buffers and state_dict keys."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ... import functional as F
from ...tensor import Tensor
from ..module import Module, check_factory_kwargs
from ..parameter import Parameter, charge_elements


class _BatchNorm(Module):
    _dims: tuple = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: Optional[float] = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        check_factory_kwargs(device, dtype, type(self).__name__)
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features < 1:
            raise ValueError(f"num_features: expected a positive int, got {num_features!r}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter.new(num_features, fill=1.0)
            self.bias = Parameter.new(num_features, fill=0.0)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            charge_elements(2 * num_features)  # a file's architecture is built under its weights' size
            self.register_buffer("running_mean", np.zeros(num_features, np.float32))
            self.register_buffer("running_var", np.ones(num_features, np.float32))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean[...] = 0
            self.running_var[...] = 1
            self.num_batches_tracked[...] = 0

    def forward(self, input: Tensor) -> Tensor:
        if getattr(input, "ndim", None) not in self._dims:
            shape = getattr(input, "shape", None)
            raise ValueError(f"input: expected {' or '.join(map(str, self._dims))}D input, got shape {shape}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self._buffers["num_batches_tracked"] = self.num_batches_tracked + 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked)
        use_batch = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) input.

    Example:
        >>> y = BatchNorm1d(120)(x)   # x (N, 120)
    """

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) input, per channel.

    Example:
        >>> y = BatchNorm2d(16)(x)   # x (N, 16, H, W)
    """

    _dims = (4,)
