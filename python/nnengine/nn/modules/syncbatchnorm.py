"""``SyncBatchNorm``: batch norm whose training statistics are computed over the whole distributed batch.

Example:
    >>> model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8))
    >>> nn.SyncBatchNorm.convert_sync_batchnorm(model)[1]  # every BatchNorm*d becomes synchronized
    SyncBatchNorm(8, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
"""

from __future__ import annotations

from typing import Any

from ...autograd import no_grad
from ...tensor import Tensor
from ..module import Module
from .normalization import _BatchNorm

__all__ = ["SyncBatchNorm"]


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
        count = float(pg.comm().allreduce(int(input.data.size // max(C, 1))))
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
                unbiased = var.data * (count / max(count - 1.0, 1.0))
                self.running_mean[...] = (1 - m) * self.running_mean + m * mean.data
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

