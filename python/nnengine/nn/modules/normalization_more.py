"""``RMSNorm`` and ``LocalResponseNorm`` (torch's arguments, parameters and reprs) over nnengine.functional."""

from __future__ import annotations

from typing import Any, Optional, Sequence, Union

from ... import functional as F
from ...functional._layernorm import normalized_shape_tuple
from ...functional._util import number, positive_int
from ...tensor import Tensor
from ..module import Module, check_factory_kwargs
from ..parameter import Parameter


class RMSNorm(Module):
    """Root-mean-square normalisation over the trailing ``normalized_shape`` dims with a learnable ``weight``
    (ones), as in LLaMA-style transformers; ``eps`` None uses the dtype's machine epsilon.

    Example:
        >>> norm = nn.RMSNorm(2)
        >>> norm(ne.tensor([[3.0, 4.0]])), list(norm.state_dict())
        (tensor([[0.8485, 1.1314]], requires_grad=True), ['weight'])
    """

    def __init__(self, normalized_shape: Union[int, Sequence[int]], eps: Optional[float] = None,
                 elementwise_affine: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        check_factory_kwargs(device, dtype, "RMSNorm")
        self.normalized_shape = normalized_shape_tuple(normalized_shape)
        self.eps = None if eps is None else number(eps, "eps")
        self.elementwise_affine = bool(elementwise_affine)
        self.register_parameter("weight", Parameter.new(*self.normalized_shape, fill=1.0) if elementwise_affine
                                else None)

    def reset_parameters(self) -> None:
        """Weight back to ones.

        Example:
            >>> n = nn.RMSNorm(3); n.weight.data[:] = 5.0; n.reset_parameters(); n.weight.tolist()
            [1.0, 1.0, 1.0]
        """
        if self.weight is not None:
            self.weight._data[...] = 1.0

    def forward(self, input: Tensor) -> Tensor:
        return F.rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class LocalResponseNorm(Module):
    """Normalise each channel by the squares of ``size`` neighbouring channels (AlexNet's LRN).

    Example:
        >>> nn.LocalResponseNorm(2, alpha=1.0, beta=1.0)(ne.ones(1, 3, 1, 1)).flatten()
        tensor([0.6667, 0.5   , 0.5   ])
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size = positive_int(size, "size")
        self.alpha, self.beta, self.k = number(alpha, "alpha"), number(beta, "beta"), number(k, "k")

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
