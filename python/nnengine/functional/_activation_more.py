"""More of torch.nn.functional's activations: selu, celu, glu, logsigmoid, softmin, the shrinkage and threshold
functions, rrelu, gumbel_softmax, and the in-place spellings (relu_, elu_, ...). Compositions of the kernel ops
where one fits (selu/celu on the ELU kernel, logsigmoid on softplus), else a numpy Function; float32 and float64."""

from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from .._higher_order import const
from .._tape import will_record
from ..autograd import Function
from ..random import generator
from ..tensor import Tensor
from ._activation import elu, hardtanh, leaky_relu, relu, softplus, tanh
from ._softmax import implicit_softmax_dim, softmax
from ._util import check_tensor, dim_index, number

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class _PointwiseFn(Function):
    """y = f(x) with dy/dx = df(x) (both numpy, elementwise, dtype-preserving), for piecewise-linear f only
    (softshrink, hardshrink, threshold): df is piecewise constant, so under ``create_graph=True`` the backward is
    ``g * df(x)`` with df(x) a constant."""

    @staticmethod
    def forward(ctx, x, f, df):
        ctx.save_for_backward(x)
        ctx.df = df
        return f(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * ctx.df(x), None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        (x,) = ctx.saved_tensors
        return g * const(ctx.df(x)), None, None


def _pointwise(input: Any, f: Callable[[np.ndarray], np.ndarray], df: Callable[[np.ndarray], np.ndarray]) -> Tensor:
    return _PointwiseFn.apply(check_tensor(input, "input", float64=True), f, df)


def _maybe_inplace(x: Any, inplace: bool, compute: Callable[[Tensor], Tensor]) -> Tensor:
    """``compute(x)``, or torch's ``f_(x)`` for ``inplace``: ``x`` holds the result and is returned (while autograd
    records through ``x``, out of place on the tape and the object rebound, as the kernel activations do)."""
    if not inplace:
        return compute(x)
    if not isinstance(x, Tensor):
        raise TypeError(f"input: inplace=True needs a Tensor to modify, got {type(x).__name__}")
    if will_record(x):
        return x._rebind(compute)
    y = compute(x)
    if not x._data.flags.writeable:
        raise ValueError("input: inplace=True, but the tensor's array is read-only")
    x._data[...] = y._data
    return x


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with Klambauer et al. 2017's alpha ~ 1.6733 and scale ~ 1.0507 (self-normalising).

    Example:
        >>> F.selu(ne.tensor([-1.0, 0.0, 2.0]))
        tensor([-1.1113,  0.    ,  2.1014])
    """
    return _maybe_inplace(input, inplace, lambda x: elu(x, _SELU_ALPHA) * _SELU_SCALE)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) (Barron 2017).

    Example:
        >>> F.celu(ne.tensor([-1.0, 0.0, 2.0]), alpha=2.0)
        tensor([-0.7869,  0.    ,  2.    ])
    """
    a = number(alpha, "alpha")
    if a == 0:
        raise ValueError("alpha: ZeroDivisionError, expected a non-zero value, got 0.0")
    return _maybe_inplace(input, inplace, lambda x: elu(check_tensor(x, "input", float64=True) * (1.0 / a)) * a)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit (Dauphin et al. 2017): ``a * sigmoid(b)``, ``a, b`` the halves of ``input`` along ``dim``.

    Example:
        >>> F.glu(ne.tensor([[1.0, 2.0, 0.0, 100.0]]))
        tensor([[0.5, 2. ]])
    """
    x = check_tensor(input, "input", float64=True)
    if x.ndim == 0:
        raise ValueError("input: glu does not support scalars because halving size must be even")
    d = dim_index(dim, x.ndim)
    if x.shape[d] % 2:
        raise ValueError(f"dim: halving dimension must be even, but dimension {d} is size {x.shape[d]}")
    a, b = x.chunk(2, dim=d)
    return a * b.sigmoid()


def logsigmoid(input: Tensor) -> Tensor:
    """log(1 / (1 + exp(-x))) = -softplus(-x), stable for every x.

    Example:
        >>> F.logsigmoid(ne.tensor([-100.0, 0.0, 2.0]))
        tensor([-100.    ,   -0.6931,   -0.1269])
    """
    return -softplus(-check_tensor(input, "input", float64=True))


def softmin(input: Tensor, dim: Optional[int] = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """softmax(-x) along ``dim``.

    Example:
        >>> F.softmin(ne.tensor([[1.0, 2.0]]), dim=1)
        tensor([[0.7311, 0.2689]])
    """
    x = check_tensor(input, "input", float64=True)
    if dim is None:
        if not isinstance(_stacklevel, int) or isinstance(_stacklevel, bool):
            raise TypeError(f"softmin(): _stacklevel must be an int, got {type(_stacklevel).__name__}")
        dim = implicit_softmax_dim("softmin", x.ndim, _stacklevel + 1)  # torch's legacy implicit dim
    if dtype is not None:
        x = x.to(dtype)
    return softmax(-x, dim)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd for x > lambd, x + lambd for x < -lambd, 0 otherwise.

    Example:
        >>> F.softshrink(ne.tensor([-1.0, 0.2, 2.0]))
        tensor([-0.5,  0. ,  1.5])
    """
    lam = number(lambd, "lambd")
    if lam < 0:
        raise ValueError(f"lambd: expected a non-negative value, got {lam}")
    return _pointwise(input, lambda x: np.where(x > lam, x - lam, np.where(x < -lam, x + lam, _times0(x))),
                      lambda x: (np.abs(x) > lam).astype(x.dtype))


def _times0(x: np.ndarray) -> np.ndarray:
    """x * 0 as torch's shrink kernels compute it (-0 for negatives, NaN for NaN and +-inf), without numpy's
    warning for the infinities (their lanes are never selected)."""
    with np.errstate(invalid="ignore"):
        return x * 0


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0.

    Example:
        >>> F.hardshrink(ne.tensor([-1.0, 0.2, 2.0]))
        tensor([-1.,  0.,  2.])
    """
    lam = number(lambd, "lambd")
    return _pointwise(input, lambda x: np.where(np.abs(x) > lam, x, _times0(x)),
                      lambda x: (np.abs(x) > lam).astype(x.dtype))


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x).

    Example:
        >>> F.tanhshrink(ne.tensor([0.0, 1.0]))
        tensor([0.    , 0.2384])
    """
    x = check_tensor(input, "input", float64=True)
    return x - tanh(x)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``value`` where x <= threshold, else x (NaN passes through, as in torch).

    Example:
        >>> F.threshold(ne.tensor([-1.0, 0.5, 2.0]), 1.0, -9.0)
        tensor([-9., -9.,  2.])
    """
    t, v = number(threshold, "threshold"), number(value, "value")
    return _maybe_inplace(input, inplace, lambda inp: _pointwise(
        inp, lambda x: np.where(x <= t, np.asarray(v, x.dtype), x), lambda x: (~(x <= t)).astype(x.dtype)))


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place :func:`threshold`.

    Example:
        >>> x = ne.tensor([-1.0, 2.0]); _ = F.threshold_(x, 0.0, 5.0); x
        tensor([5., 2.])
    """
    return globals()["threshold"](input, threshold, value, inplace=True)


class _RReLUFn(Function):
    @staticmethod
    def forward(ctx, x, slopes):
        ctx.save_for_backward(slopes)
        return x * slopes

    @staticmethod
    def backward(ctx, g):
        (slopes,) = ctx.saved_tensors
        return g * slopes, None


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """Randomized leaky ReLU (Xu et al. 2015): in training each negative element gets a slope drawn from
    U(lower, upper) (``ne.manual_seed``'s generator); in eval the slope is ``(lower + upper) / 2``.

    Example:
        >>> F.rrelu(ne.tensor([-2.0, 3.0]), 0.25, 0.25, training=True)
        tensor([-0.5,  3. ])
    """
    lo, hi = number(lower, "lower"), number(upper, "upper")
    if lo > hi:
        raise ValueError(f"upper: expected a value >= lower={lo}, got {hi}")

    def compute(inp: Any) -> Tensor:
        x = check_tensor(inp, "input", float64=True)
        if not training:
            return leaky_relu(x, (lo + hi) / 2)
        a = x._data
        return _RReLUFn.apply(x, np.where(a >= 0, 1.0, generator().uniform(lo, hi, a.shape)).astype(a.dtype))

    return _maybe_inplace(input, inplace, compute)


def gumbel_softmax(logits: Tensor, tau: float = 1.0, hard: bool = False, eps: float = 1e-10, dim: int = -1) -> Tensor:
    """Samples of the Gumbel-softmax (Concrete) distribution (Jang et al. 2016): ``softmax((logits + g) / tau)``
    with ``g`` standard Gumbel noise; ``hard=True`` returns one-hot samples whose gradient is the soft
    sample's (straight-through), as torch's.

    Example:
        >>> y = F.gumbel_softmax(ne.zeros(4, 3), hard=True)
        >>> y.sum(1).tolist(), sorted(set(y.numpy().ravel().tolist()))
        ([1.0, 1.0, 1.0, 1.0], [0.0, 1.0])
    """
    x = check_tensor(logits, "logits", float64=True)
    t = number(tau, "tau")
    if t <= 0:
        raise ValueError(f"tau: expected a positive number, got {t}")
    d = dim_index(dim, x.ndim)
    g = -np.log(generator().exponential(1.0, x.shape)).astype(x._data.dtype)
    y_soft = softmax((x + Tensor(g, dtype=x._data.dtype)) / t, d)
    if not hard:
        return y_soft
    idx = np.argmax(y_soft._data, axis=d)
    one = np.zeros_like(y_soft._data)
    np.put_along_axis(one, np.expand_dims(idx, d), 1.0, axis=d)
    return Tensor(one, dtype=one.dtype) - y_soft.detach() + y_soft


def relu_(input: Tensor) -> Tensor:
    """In-place ReLU: ``relu(input, inplace=True)``.

    Example:
        >>> x = ne.tensor([-1.0, 2.0]); _ = F.relu_(x); x
        tensor([0., 2.])
    """
    return relu(input, inplace=True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place ELU.

    Example:
        >>> x = ne.tensor([-1.0, 2.0]); _ = F.elu_(x); x
        tensor([-0.6321,  2.    ])
    """
    return elu(input, alpha, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place leaky ReLU.

    Example:
        >>> x = ne.tensor([-1.0, 2.0]); _ = F.leaky_relu_(x, 0.5); x
        tensor([-0.5,  2. ])
    """
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place hardtanh.

    Example:
        >>> x = ne.tensor([-3.0, 0.5]); _ = F.hardtanh_(x); x
        tensor([-1. ,  0.5])
    """
    return hardtanh(input, min_val, max_val, inplace=True)


# torch exposes rrelu_ / celu_ / selu_ too
def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:
    """In-place :func:`rrelu`.

    Example:
        >>> x = ne.tensor([-2.0, 3.0]); _ = F.rrelu_(x, 0.5, 0.5); x
        tensor([-1.,  3.])
    """
    return rrelu(input, lower, upper, training, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place :func:`celu`.

    Example:
        >>> x = ne.tensor([-1.0, 2.0]); _ = F.celu_(x); x
        tensor([-0.6321,  2.    ])
    """
    return celu(input, alpha, inplace=True)


def selu_(input: Tensor) -> Tensor:
    """In-place :func:`selu`.

    Example:
        >>> x = ne.tensor([0.0, 2.0]); _ = F.selu_(x); x
        tensor([0.    , 2.1014])
    """
    return selu(input, inplace=True)

