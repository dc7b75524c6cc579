"""``BatchNorm1d`` / ``BatchNorm2d`` and ``SyncBatchNorm`` (torch's ``nn.modules.batchnorm``) with PyTorch's
parameters, buffers and state_dict keys, on the batchnorm kernels. ``SyncBatchNorm`` computes its training
statistics over the whole distributed batch.

Example:
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))
    >>> nn.SyncBatchNorm.convert_sync_batchnorm(model)[1]  # every BatchNorm*d becomes synchronized
    SyncBatchNorm(8, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ... import functional as F
from ...autograd import no_grad
from ...functional._util import positive_int
from ...tensor import Tensor
from ..module import Module, check_factory_kwargs
from ..parameter import charge_elements
from .normalization import _init_affine

__all__ = ["BatchNorm1d", "BatchNorm2d", "SyncBatchNorm"]


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
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        check_factory_kwargs(device, dtype, type(self).__name__)
        num_features = positive_int(num_features, "num_features")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _init_affine(self, (num_features,), affine, bias)
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
        """Running mean back to 0, running variance to 1, the batch counter to 0.

        Example:
            >>> bn = BatchNorm1d(2); _ = bn(ne.randn(4, 2))
            >>> bn.reset_running_stats(); bn.running_mean, bn.running_var, int(bn.num_batches_tracked)
            (array([0., 0.], dtype=float32), array([1., 1.], dtype=float32), 0)
        """
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
            self._buffers["num_batches_tracked"] = np.asarray(self.num_batches_tracked + 1, dtype=np.int64)  # stays 0-d
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
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) input.

    Example:
        >>> bn = BatchNorm1d(120)
        >>> bn(ne.randn(8, 120)).shape, bn.running_mean.shape
        ((8, 120), (120,))
    """

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) input, per channel.

    Example:
        >>> bn = BatchNorm2d(16)
        >>> bn(ne.randn(4, 16, 5, 5)).shape, int(bn.num_batches_tracked)
        ((4, 16, 5, 5), 1)
    """

    _dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch norm over (N, C, D, H, W) input, per channel (volumes, video clips).

    Example:
        >>> bn = BatchNorm3d(4)
        >>> bn(ne.randn(2, 4, 3, 5, 5)).shape, bn.running_var.shape
        ((2, 4, 3, 5, 5), (4,))
    """

    _dims = (5,)


class SyncBatchNorm(_BatchNorm):
    """Batch norm over (N, C, ...) input whose batch mean and variance, in training, are those of the
    global batch: the per-channel sums are all-reduced over the ranks of ``nnengine.distributed`` (two
    small all-reduces per forward and two in backward). In eval mode, or in a world of one process, it is
    exactly ``BatchNorm1d/2d``. Running statistics use the global unbiased variance, like torch.

    Example:
        >>> bn = SyncBatchNorm(16)  # a single process: plain batch norm
        >>> bn(ne.randn(4, 16, 3, 3)).shape
        (4, 16, 3, 3)
    """

    _dims = (2, 3, 4, 5)

    def forward(self, input: Tensor) -> Tensor:
        from ...distributed import process_group as pg

        if not self.training or pg.get_world_size() == 1:
            return super().forward(input)
        if getattr(input, "ndim", None) not in self._dims:
            raise ValueError(f"input: expected 2D to 5D input, got shape {getattr(input, 'shape', None)}")
        from ...distributed.functional import all_reduce_sum

        C = input.shape[1]
        axes = (0,) + tuple(range(2, input.ndim))
        shape = (1, C) + (1,) * (input.ndim - 2)
        count = float(pg.comm().allreduce(int(input._data.size // max(C, 1))))
        mean = all_reduce_sum(input.sum(dim=axes)) / count
        xc = input - mean.reshape(*shape)
        var = all_reduce_sum((xc * xc).sum(dim=axes)) / count
        y = xc / (var.reshape(*shape) + self.eps).sqrt()
        if self.affine:
            y = y * self.weight.reshape(*shape) + self.bias.reshape(*shape)
        if self.track_running_stats:
            self._buffers["num_batches_tracked"] = self.num_batches_tracked + 1
            m = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
            with no_grad():
                unbiased = var._data * (count / max(count - 1.0, 1.0))
                self.running_mean[...] = (1 - m) * self.running_mean + m * mean._data
                self.running_var[...] = (1 - m) * self.running_var + m * unbiased
        return y

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group: Any = None) -> Module:
        """``module`` with every ``BatchNorm1d``/``BatchNorm2d`` replaced by a ``SyncBatchNorm`` sharing its
        parameters and buffers (children are replaced in place; a BatchNorm passed itself is returned
        converted), like ``torch.nn.SyncBatchNorm.convert_sync_batchnorm``.

        Example:
            >>> model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
            >>> type(SyncBatchNorm.convert_sync_batchnorm(model)[1]).__name__
            'SyncBatchNorm'
        """
        if process_group is not None:
            raise ValueError("process_group: only the default (world) group is supported")
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = cls(module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats)
            if module.affine:
                out.weight, out.bias = module.weight, module.bias
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                out._buffers[name] = module._buffers.get(name)
            out.train(module.training)
        for name, child in list(module.named_children()):
            out._modules[name] = cls.convert_sync_batchnorm(child)
        return out
