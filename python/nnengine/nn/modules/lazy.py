"""Lazy layers (torch's ``LazyLinear``, ``LazyConv1d/2d``, ``LazyBatchNorm1d/2d``): the input size is read from the
first batch, then the module becomes its ordinary class (``cls_to_become``), as in torch. Until then its weights
are empty placeholder Parameters; they keep their identity when materialised, so an optimizer built before the
first forward still updates them (torch needs that dry run before building the optimizer; here it is optional)."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple

from ...random import generator
from ...tensor import Tensor
from ..module import Module
from ..parameter import Parameter
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .linear import Linear
from .volumetric import Conv3d, ConvTranspose3d


class LazyModuleMixin(Module):
    """Base of the lazy layers: ``initialize_parameters(input)`` builds ``cls_to_become`` with the size that
    ``input`` shows and turns this object into it, keeping the placeholder Parameter objects.

    Example:
        >>> m = nn.LazyLinear(3)
        >>> m.has_uninitialized_params(), type(m(ne.ones(2, 5))).__name__, type(m).__name__
        (True, 'Tensor', 'Linear')
    """

    cls_to_become: type = Module
    _placeholders: Tuple[str, ...] = ("weight", "bias")
    _size_name = "in_features"

    def _lazy_init(self, args: Tuple[Any, ...], kwargs: Dict[str, Any], params: Tuple[str, ...], size: int = 1) -> None:
        # build the real layer once with a stand-in size: it validates the arguments now (as torch does) and gives
        # the repr; the random generator's state is put back, so a lazy layer draws nothing before its forward
        g = generator()
        state = g.bit_generator.state
        probe = self.cls_to_become(size, *args, **kwargs)
        g.bit_generator.state = state
        rep = probe.extra_repr()
        first = f"{self._size_name}={size}" if rep.startswith(self._size_name) else f"{size}"
        object.__setattr__(self, "_lazy_repr", rep.replace(first, first[:-len(str(size))] + "0", 1))
        object.__setattr__(self, "_lazy_ctor", (args, kwargs))
        for name in self._placeholders:
            if name in params:
                setattr(self, name, Parameter.new(0))
            else:
                self.register_parameter(name, None)

    def has_uninitialized_params(self) -> bool:
        """Whether the input size is still unknown (no forward yet).

        Example:
            >>> nn.LazyConv2d(4, 3).has_uninitialized_params()
            True
        """
        return "_lazy_ctor" in self.__dict__

    def _in_size(self, input: Tensor) -> int:
        return int(input.shape[-1])

    def initialize_parameters(self, input: Any) -> None:
        """Build the real layer for ``input``'s size (a no-op once done).

        Example:
            >>> m = nn.LazyBatchNorm1d()
            >>> m.initialize_parameters(ne.ones(4, 6)); type(m).__name__, m.num_features
            ('BatchNorm1d', 6)
        """
        if not self.has_uninitialized_params():
            return
        if not hasattr(input, "shape") or len(input.shape) == 0:
            raise ValueError(f"input: {type(self).__name__} infers its size from a tensor input, got "
                             f"{type(input).__name__}")
        self._become(self._in_size(input))

    def _size_from_state(self, prefix: str, state_dict: Mapping[str, Any]) -> Optional[int]:
        """The input size that ``state_dict``'s entries for this module show (None without them)."""
        w = state_dict.get(prefix + "weight")
        return None if w is None else int(w.shape[-1])

    def _load_lazy_state(self, prefix: str, state_dict: Mapping[str, Any]) -> None:
        """torch's lazy load hook, called by ``load_state_dict`` before it copies: a lazy layer whose entries
        ``state_dict`` holds takes their size (``clone = MLP(); clone.load_state_dict(torch.load(path))`` on a
        model of lazy layers, with no dry-run forward). Nothing is drawn from the random generator: the loaded
        values replace the new weights."""
        if not self.has_uninitialized_params():
            return
        size = self._size_from_state(prefix, state_dict)
        if size is None:
            return
        g = generator()
        state = g.bit_generator.state
        self._become(size)
        g.bit_generator.state = state

    def _become(self, size: int) -> None:
        args, kwargs = self._lazy_ctor
        real = self.cls_to_become(size, *args, **kwargs)
        real.train(self.training)
        for name, p in self._parameters.items():
            new = real._parameters.get(name)
            if p is not None and new is not None:
                p.data = new._data
                real._parameters[name] = p
        for k in ("_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_forward_hooks",
                  "_forward_hooks_with_kwargs", "_backward_hooks"):
            if k in self.__dict__:
                real.__dict__[k] = self.__dict__[k]
        d = real.__dict__
        self.__dict__.clear()
        self.__dict__.update(d)
        self.__class__ = self.cls_to_become

    def forward(self, input: Tensor, *args: Any, **kwargs: Any) -> Any:
        self.initialize_parameters(input)
        return self.forward(input, *args, **kwargs)

    def extra_repr(self) -> str:
        return self.__dict__.get("_lazy_repr", "")


class LazyLinear(LazyModuleMixin):
    """``Linear`` whose ``in_features`` is the last dimension of the first input.

    Example:
        >>> fc = nn.LazyLinear(10)
        >>> fc(ne.randn(4, 7)).shape, fc.weight.shape
        ((4, 10), (10, 7))
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self._lazy_init((out_features,), {"bias": bias, "device": device, "dtype": dtype},
                        ("weight", "bias") if bias else ("weight",))


class _LazyConvNd(LazyModuleMixin):
    _spatial = 2
    _size_name = "in_channels"

    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups, bias=bias,
                  padding_mode=padding_mode, device=device, dtype=dtype)
        self._lazy_init((out_channels, kernel_size), kw, ("weight", "bias") if bias else ("weight",), size=groups)

    def _in_size(self, input: Tensor) -> int:
        return int(input.shape[1] if len(input.shape) == self._spatial + 2 else input.shape[0])

    def _size_from_state(self, prefix: str, state_dict: Mapping[str, Any]) -> Optional[int]:
        w = state_dict.get(prefix + "weight")  # (out, in / groups, *k)
        return None if w is None else int(w.shape[1]) * int(self._lazy_ctor[1]["groups"])


class LazyConv1d(_LazyConvNd):
    """``Conv1d`` whose ``in_channels`` is read from the first input.

    Example:
        >>> nn.LazyConv1d(8, 3)(ne.randn(2, 5, 10)).shape
        (2, 8, 8)
    """

    cls_to_become = Conv1d
    _spatial = 1


class LazyConv2d(_LazyConvNd):
    """``Conv2d`` whose ``in_channels`` is read from the first input.

    Example:
        >>> conv = nn.LazyConv2d(8, 3, padding=1)
        >>> conv(ne.randn(2, 3, 6, 6)).shape, conv.weight.shape
        ((2, 8, 6, 6), (8, 3, 3, 3))
    """

    cls_to_become = Conv2d


class LazyConv3d(_LazyConvNd):
    """``Conv3d`` whose ``in_channels`` is read from the first input.

    Example:
        >>> nn.LazyConv3d(4, 3, padding=1)(ne.randn(1, 2, 3, 5, 5)).shape
        (1, 4, 3, 5, 5)
    """

    cls_to_become = Conv3d
    _spatial = 3


class _LazyConvTransposeNd(_LazyConvNd):
    def __init__(self, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        LazyModuleMixin.__init__(self)
        kw = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups, bias=bias,
                  dilation=dilation, padding_mode=padding_mode, device=device, dtype=dtype)
        self._lazy_init((out_channels, kernel_size), kw, ("weight", "bias") if bias else ("weight",), size=groups)

    def _size_from_state(self, prefix: str, state_dict: Mapping[str, Any]) -> Optional[int]:
        w = state_dict.get(prefix + "weight")  # (in, out / groups, *k)
        return None if w is None else int(w.shape[0])


class LazyConvTranspose1d(_LazyConvTransposeNd):
    """``ConvTranspose1d`` whose ``in_channels`` is read from the first input.

    Example:
        >>> nn.LazyConvTranspose1d(4, 3, stride=2)(ne.randn(2, 5, 6)).shape
        (2, 4, 13)
    """

    cls_to_become = ConvTranspose1d
    _spatial = 1


class LazyConvTranspose2d(_LazyConvTransposeNd):
    """``ConvTranspose2d`` whose ``in_channels`` is read from the first input.

    Example:
        >>> nn.LazyConvTranspose2d(4, 2, stride=2)(ne.randn(2, 3, 5, 5)).shape
        (2, 4, 10, 10)
    """

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTransposeNd):
    """``ConvTranspose3d`` whose ``in_channels`` is read from the first input.

    Example:
        >>> nn.LazyConvTranspose3d(4, 2, stride=2)(ne.randn(1, 3, 2, 5, 5)).shape
        (1, 4, 4, 10, 10)
    """

    cls_to_become = ConvTranspose3d
    _spatial = 3


class _LazyBatchNorm(LazyModuleMixin):
    _size_name = "num_features"
    _placeholders = ("weight", "bias")

    def __init__(self, eps: float = 1e-5, momentum: Any = 0.1, affine: bool = True, track_running_stats: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        kw = dict(eps=eps, momentum=momentum, affine=affine, track_running_stats=track_running_stats, device=device,
                  dtype=dtype)
        self._lazy_init((), kw, ("weight", "bias") if affine else ())

    def _in_size(self, input: Tensor) -> int:
        return int(input.shape[1] if len(input.shape) >= 2 else input.shape[0])

    def _size_from_state(self, prefix: str, state_dict: Mapping[str, Any]) -> Optional[int]:
        for name in ("weight", "bias", "running_mean", "running_var"):
            v = state_dict.get(prefix + name)
            if v is not None:
                return int(v.shape[0])
        return None


class LazyBatchNorm1d(_LazyBatchNorm):
    """``BatchNorm1d`` whose ``num_features`` is dimension 1 of the first input.

    Example:
        >>> bn = nn.LazyBatchNorm1d()
        >>> bn(ne.randn(8, 5)).shape, bn.running_mean.shape
        ((8, 5), (5,))
    """

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyBatchNorm):
    """``BatchNorm2d`` whose ``num_features`` is the channel count of the first input.

    Example:
        >>> nn.LazyBatchNorm2d()(ne.randn(2, 3, 4, 4)).shape
        (2, 3, 4, 4)
    """

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyBatchNorm):
    """``BatchNorm3d`` whose ``num_features`` is the channel count of the first input.

    Example:
        >>> nn.LazyBatchNorm3d()(ne.randn(2, 3, 2, 4, 4)).shape
        (2, 3, 2, 4, 4)
    """

    cls_to_become = BatchNorm3d


class _LazyInstanceNorm(_LazyBatchNorm):
    """(torch's lazy instance norms default to affine=True, track_running_stats=True, unlike InstanceNorm's)"""

    _spatial = 1

    def _in_size(self, input: Tensor) -> int:
        return int(input.shape[1] if len(input.shape) == self._spatial + 2 else input.shape[0])


class LazyInstanceNorm1d(_LazyInstanceNorm):
    """``InstanceNorm1d`` whose ``num_features`` is the channel count of the first input.

    Example:
        >>> nn.LazyInstanceNorm1d(affine=True)(ne.randn(2, 3, 8)).shape
        (2, 3, 8)
    """

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyInstanceNorm):
    """``InstanceNorm2d`` whose ``num_features`` is the channel count of the first input.

    Example:
        >>> nn.LazyInstanceNorm2d()(ne.randn(2, 3, 4, 4)).shape
        (2, 3, 4, 4)
    """

    cls_to_become = InstanceNorm2d
    _spatial = 2


class LazyInstanceNorm3d(_LazyInstanceNorm):
    """``InstanceNorm3d`` whose ``num_features`` is the channel count of the first input.

    Example:
        >>> nn.LazyInstanceNorm3d()(ne.randn(2, 3, 2, 4, 4)).shape
        (2, 3, 2, 4, 4)
    """

    cls_to_become = InstanceNorm3d
    _spatial = 3
