"""``LayerNorm`` and ``GroupNorm`` (torch's ``nn.modules.normalization``) with PyTorch's parameters and
state_dict keys, on the layernorm kernels."""

from __future__ import annotations

from typing import Any, Sequence, Union

from ... import functional as F
from ...functional._layernorm import normalized_shape_tuple
from ...functional._util import positive_int
from ...tensor import Tensor
from ..module import Module, check_factory_kwargs
from ..parameter import Parameter


def _init_affine(m: Module, shape: tuple, affine: bool, bias: bool) -> None:
    """``weight`` (ones) and ``bias`` (zeros) of ``shape``, as torch's norm layers create them, or None."""
    m.register_parameter("weight", Parameter.new(*shape, fill=1.0) if affine else None)
    m.register_parameter("bias", Parameter.new(*shape, fill=0.0) if affine and bias else None)


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
            self.weight._data[...] = 1.0
        if self.bias is not None:
            self.bias._data[...] = 0.0


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
        num_groups, num_channels = positive_int(num_groups, "num_groups"), positive_int(num_channels, "num_channels")
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
