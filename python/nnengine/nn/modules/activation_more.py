"""More of torch.nn's activation modules (SELU, CELU, GLU, LogSigmoid, Softmin, Softmax2d, the shrinkage and
threshold units, RReLU): thin wrappers over nnengine.functional with torch's arguments and reprs."""

from __future__ import annotations

from typing import Optional

from ... import functional as F
from ...functional._util import number
from ...tensor import Tensor
from ..module import Module


class SELU(Module):
    """scale * elu(x, alpha), the self-normalising activation (Klambauer et al. 2017).

    Example:
        >>> nn.SELU()(ne.tensor([-1.0, 2.0]))
        tensor([-1.1113,  2.1014])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, input: Tensor) -> Tensor:
        return F.selu(input, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class CELU(Module):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)).

    Example:
        >>> nn.CELU(alpha=2.0)(ne.tensor([-1.0, 2.0]))
        tensor([-0.7869,  2.    ])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = number(alpha, "alpha")
        self.inplace = bool(inplace)

    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GLU(Module):
    """Gated linear unit: the first half of ``dim`` times the sigmoid of the second half.

    Example:
        >>> nn.GLU()(ne.tensor([[1.0, 2.0, 0.0, 100.0]]))
        tensor([[0.5, 2. ]])
    """

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSigmoid(Module):
    """log(sigmoid(x)), computed stably.

    Example:
        >>> nn.LogSigmoid()(ne.tensor([0.0]))
        tensor([-0.6931])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class Softmin(Module):
    """softmax(-x) along ``dim``.

    Example:
        >>> nn.Softmin(dim=1)(ne.tensor([[1.0, 2.0]]))
        tensor([[0.7311, 0.2689]])
    """

    def __init__(self, dim: Optional[int] = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim, _stacklevel=5)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax2d(Module):
    """Softmax over the channels of every location of (N, C, H, W) or (C, H, W) input.

    Example:
        >>> nn.Softmax2d()(ne.zeros(1, 2, 1, 1)).flatten()
        tensor([0.5, 0.5])
    """

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (3, 4):
            raise ValueError(f"input: Softmax2d expects 3-D or 4-D input, got shape {tuple(input.shape)}")
        return F.softmax(input, -3)


class Softshrink(Module):
    """x - lambd, x + lambd or 0 (soft thresholding).

    Example:
        >>> nn.Softshrink(0.5)(ne.tensor([-1.0, 0.2, 2.0]))
        tensor([-0.5,  0. ,  1.5])
    """

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = number(lambd, "lambd")

    def forward(self, input: Tensor) -> Tensor:
        return F.softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Softshrink):
    """x where |x| > lambd, else 0.

    Example:
        >>> nn.Hardshrink(0.5)(ne.tensor([-1.0, 0.2, 2.0]))
        tensor([-1.,  0.,  2.])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.hardshrink(input, self.lambd)


class Tanhshrink(Module):
    """x - tanh(x).

    Example:
        >>> nn.Tanhshrink()(ne.tensor([0.0, 1.0]))
        tensor([0.    , 0.2384])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.tanhshrink(input)


class Threshold(Module):
    """x where x > threshold, else ``value``.

    Example:
        >>> nn.Threshold(0.1, 20.0)(ne.tensor([0.0, 1.0]))
        tensor([20.,  1.])
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value = number(threshold, "threshold"), number(value, "value")
        self.inplace = bool(inplace)

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}" + (", inplace=True" if self.inplace else "")


class RReLU(Module):
    """Randomized leaky ReLU: random negative slopes from U(lower, upper) while training, their mean in eval.

    Example:
        >>> nn.RReLU(0.1, 0.3).eval()(ne.tensor([-1.0, 2.0]))
        tensor([-0.2,  2. ])
    """

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False) -> None:
        super().__init__()
        self.lower, self.upper = number(lower, "lower"), number(upper, "upper")
        self.inplace = bool(inplace)

    def forward(self, input: Tensor) -> Tensor:
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace else "")
