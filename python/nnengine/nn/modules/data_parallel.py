"""``nn.DataParallel``: torch's single-process multi-GPU wrapper, on the CPU."""

from __future__ import annotations

from typing import Any, Optional, Sequence

from ..module import Module


class DataParallel(Module):
    """torch's ``nn.DataParallel`` where there is no GPU: the wrapped module runs the whole batch itself, as torch
    does without devices, so ``model = nn.DataParallel(model)`` followed by ``model.module`` works unchanged.
    ``state_dict()`` keys carry torch's ``module.`` prefix (a checkpoint saved from it loads into another
    DataParallel, or into the plain model after stripping the prefix, as with torch). For several processes or
    machines, see ``nnengine.distributed`` (DistributedDataParallel).

    Example:
        >>> net = nn.DataParallel(nn.Linear(3, 2))
        >>> net(ne.ones(4, 3)).shape, type(net.module).__name__, list(net.state_dict())
        ((4, 2), 'Linear', ['module.weight', 'module.bias'])
    """

    def __init__(self, module: Module, device_ids: Optional[Sequence[Any]] = None, output_device: Any = None,
                 dim: int = 0) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"module: expected an nn.Module, got {type(module).__name__}")
        if isinstance(dim, bool) or not isinstance(dim, int):
            raise TypeError(f"dim: expected an int, got {type(dim).__name__}")
        self.module = module
        self.device_ids: list = []  # no CUDA devices (torch's value on a CPU-only machine)
        self.output_device = None
        self.src_device_obj = "cpu"
        self.dim = dim

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """The wrapped module's forward on the whole batch.

        Example:
            >>> nn.DataParallel(nn.ReLU())(ne.tensor([-1.0, 2.0]))
            tensor([0., 2.])
        """
        return self.module(*inputs, **kwargs)
