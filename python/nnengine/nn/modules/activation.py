"""Activation modules (thin wrappers over nnengine.functional)."""

from __future__ import annotations

from typing import Any, Optional

from ... import functional as F
from ...functional._util import positive_int
from ...tensor import Tensor
from ..module import Module, check_factory_kwargs
from ..parameter import Parameter


class ReLU(Module):
    """max(0, x). Example: ``nn.Sequential(nn.Linear(4, 8), nn.ReLU())``.

    Example:
        >>> x = ne.tensor([-2.0, 0.0, 3.0])
        >>> nn.ReLU()(x)
        tensor([0., 0., 3.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x.

    Example:
        >>> x = ne.tensor([-2.0, 0.0, 3.0])
        >>> nn.LeakyReLU(0.1)(x)
        tensor([-0.2,  0. ,  3. ])
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)
        self.inplace = bool(inplace)

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, inplace=self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}{', inplace=True' if self.inplace else ''}"


class ELU(Module):
    """x if x > 0 else alpha * (exp(x) - 1).

    Example:
        >>> x = ne.tensor([-2.0, 0.0, 3.0])
        >>> nn.ELU(alpha=1.0)(x)
        tensor([-0.8647,  0.    ,  3.    ])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = float(alpha)
        self.inplace = bool(inplace)

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, inplace=self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{', inplace=True' if self.inplace else ''}"


class Sigmoid(Module):
    """1 / (1 + exp(-x)).

    Example:
        >>> nn.Sigmoid()(ne.tensor([0.0]))
        tensor([0.5])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.sigmoid(input)


class Tanh(Module):
    """Hyperbolic tangent.

    Example:
        >>> nn.Tanh()(ne.tensor([0.0, 100.0]))
        tensor([0., 1.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class Softplus(Module):
    """log(1 + exp(beta x)) / beta, linear where beta x > threshold (PyTorch's ``nn.Softplus``).

    Example:
        >>> x = ne.tensor([-2.0, 0.0, 3.0])
        >>> nn.Softplus(beta=2.0)(x)
        tensor([0.0091, 0.3466, 3.0012])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class _InplaceAct(Module):
    """An activation with torch's ``inplace`` flag (repr 'inplace=True' only when set)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = bool(inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class GELU(Module):
    """x * Phi(x) (``approximate='none'``) or its tanh approximation (``'tanh'``).

    Example:
        >>> x = ne.tensor([-2.0, 0.0, 3.0])
        >>> nn.GELU(approximate="tanh")(x)
        tensor([-0.0454,  0.    ,  2.9964])
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate: expected 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(_InplaceAct):
    """x * sigmoid(x). Example: ``nn.Sequential(nn.Linear(4, 8), nn.SiLU())``.

    Example:
        >>> x = ne.tensor([-2.0, 0.0, 3.0])
        >>> nn.SiLU()(x)
        tensor([-0.2384,  0.    ,  2.8577])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input, inplace=self.inplace)


class Mish(_InplaceAct):
    """x * tanh(softplus(x)). Example: ``nn.Mish()(x)``.

    Example:
        >>> x = ne.tensor([-2.0, 0.0, 3.0])
        >>> nn.Mish()(x)
        tensor([-0.2525,  0.    ,  2.9865])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.mish(input, inplace=self.inplace)


class Hardswish(_InplaceAct):
    """x * relu6(x + 3) / 6. Example: ``nn.Hardswish()(x)``.

    Example:
        >>> nn.Hardswish()(ne.tensor([0.5, 1.0, 4.0]))
        tensor([0.2917, 0.6667, 4.    ])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.hardswish(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return ""


class Hardsigmoid(_InplaceAct):
    """relu6(x + 3) / 6. Example: ``nn.Hardsigmoid()(x)``.

    Example:
        >>> x = ne.tensor([-2.0, 0.0, 3.0])
        >>> nn.Hardsigmoid()(x)
        tensor([0.1667, 0.5   , 1.    ])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.hardsigmoid(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return ""


class Hardtanh(Module):
    """clamp(x, min_val, max_val). Example: ``nn.Hardtanh(-2.0, 2.0)(x)``.

    Example:
        >>> x = ne.tensor([-2.0, 0.0, 3.0])
        >>> nn.Hardtanh(-1.0, 1.0)(x)
        tensor([-1.,  0.,  1.])
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        if max_val < min_val:
            raise ValueError(f"max_val: expected a value >= min_val={min_val}, got {max_val}")
        self.min_val, self.max_val, self.inplace = min_val, max_val, bool(inplace)

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class ReLU6(Hardtanh):
    """min(max(0, x), 6). Example: ``nn.ReLU6()(x)``.

    Example:
        >>> nn.ReLU6()(ne.tensor([-1.0, 3.0, 9.0]))
        tensor([0., 3., 6.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Softsign(Module):
    """x / (1 + |x|). Example: ``nn.Softsign()(x)``.

    Example:
        >>> x = ne.tensor([-2.0, 0.0, 3.0])
        >>> nn.Softsign()(x)
        tensor([-0.6667,  0.    ,  0.75  ])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.softsign(input)


class PReLU(Module):
    """x if x > 0 else a * x with learnable slopes ``weight``: one (``num_parameters=1``) or one per channel
    (dim 1 of the input), initialised to ``init`` (PyTorch's ``nn.PReLU``).

    Example:
        >>> m = nn.PReLU(3)  # one learnable slope per channel (dim 1), 0.25 at start
        >>> m(-ne.ones(2, 3, 4)).mean().item()
        -0.25
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        check_factory_kwargs(device, dtype, type(self).__name__)
        num_parameters = positive_int(num_parameters, "num_parameters")
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter.new(num_parameters, fill=float(init))

    def reset_parameters(self) -> None:
        """Set every slope back to ``init``.

        Example:
            >>> m = nn.PReLU(init=0.1)
            >>> m.reset_parameters(); m.weight
            Parameter containing:
            tensor([0.1], requires_grad=True)
        """
        self.weight._data[...] = self.init

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Softmax(Module):
    """Softmax along ``dim``.

    Example:
        >>> nn.Softmax(dim=1)(ne.tensor([[1.0, 1.0]]))
        tensor([[0.5, 0.5]])
    """

    def __init__(self, dim: Optional[int] = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim, _stacklevel=5)  # dim=None: torch's implicit dim, with its warning

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """Log-softmax along ``dim``.

    Example:
        >>> nn.LogSoftmax(dim=1)(ne.tensor([[0.0, 0.0]]))
        tensor([[-0.6931, -0.6931]])
    """

    def __init__(self, dim: Optional[int] = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim, _stacklevel=5)  # dim=None: torch's implicit dim, with its warning

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
