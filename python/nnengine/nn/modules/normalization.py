"""``BatchNorm1d`` / ``BatchNorm2d``, ``LayerNorm``, ``GroupNorm`` and ``InstanceNorm1d/2d/3d`` with PyTorch's
parameters, buffers and state_dict keys."""

from __future__ import annotations

import inspect
from typing import Any, Optional, Sequence, Union

import numpy as np

from ... import functional as F
from ...functional._layer_norm import normalized_shape_tuple
from ...tensor import Tensor
from ..module import Module, check_factory_kwargs
from ..parameter import Parameter, charge_elements


def _init_affine(m: Module, shape: tuple, affine: bool, bias: bool) -> None:
    """``weight`` (ones) and ``bias`` (zeros) of ``shape``, as torch's norm layers create them, or None."""
    m.register_parameter("weight", Parameter.new(*shape, fill=1.0) if affine else None)
    m.register_parameter("bias", Parameter.new(*shape, fill=0.0) if affine and bias else None)


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


class _AffineNorm(Module):
    def reset_parameters(self) -> None:
        """Weight back to ones and bias to zeros.

        Example:
            >>> ln = LayerNorm(3)
            >>> ln.reset_parameters(); ln.weight, ln.bias
            (Parameter containing:
            tensor([1., 1., 1.], requires_grad=True), Parameter containing:
            tensor([0., 0., 0.], requires_grad=True))
        """
        if self.weight is not None:
            self.weight.data[...] = 1.0
        if self.bias is not None:
            self.bias.data[...] = 0.0


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
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features < 1:
            raise ValueError(f"num_features: expected a positive int, got {num_features!r}")
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


class LayerNorm(_AffineNorm):
    """Layer normalisation over the trailing ``normalized_shape`` dimensions (PyTorch's ``nn.LayerNorm``):
    parameters ``weight`` (ones) and ``bias`` (zeros) of shape ``normalized_shape`` when
    ``elementwise_affine`` (``bias=False`` drops the bias).

    Example:
        >>> LayerNorm(3)(ne.tensor([[1.0, 2.0, 3.0]]))
        tensor([[-1.2247,  0.    ,  1.2247]], requires_grad=True)
    """

    def __init__(
        self,
        normalized_shape: Union[int, Sequence[int]],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        check_factory_kwargs(device, dtype, type(self).__name__)
        self.normalized_shape = normalized_shape_tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _init_affine(self, self.normalized_shape, elementwise_affine, bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
            f"bias={self.bias is not None}"
        )


class GroupNorm(_AffineNorm):
    """Group normalisation (PyTorch's ``nn.GroupNorm``): the ``num_channels`` channels of (N, C, *) input
    in ``num_groups`` groups; per-channel ``weight`` (ones) and ``bias`` (zeros) when ``affine``.

    Example:
        >>> GroupNorm(8, 32)(ne.randn(2, 32, 4, 4)).shape
        (2, 32, 4, 4)
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        check_factory_kwargs(device, dtype, type(self).__name__)
        for name, v in (("num_groups", num_groups), ("num_channels", num_channels)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name}: expected a positive int, got {v!r}")
        if num_channels % num_groups:
            raise ValueError(f"num_channels: expected a multiple of num_groups={num_groups}, got {num_channels}")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        _init_affine(self, (num_channels,), affine, bias)

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


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
