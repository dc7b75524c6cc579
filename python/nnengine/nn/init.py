"""Weight initialisation, PyTorch's names and formulas (in place, drawing from ``ne.manual_seed``'s RNG).

Example:
    >>> layer = nn.Linear(4, 3)
    >>> _ = nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
"""

from __future__ import annotations

import math
from typing import Any, Tuple

import numpy as np

from ..functional._util import number as _number
from ..random import generator
from ..random import generator as _gen
from ..tensor import Tensor
from .parameter import ParameterData

_GAINS = {"linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0),
          "selu": 0.75}


def calculate_gain(nonlinearity: str, param: Any = None) -> float:
    """Recommended gain for a nonlinearity (PyTorch's table).

    Example:
        >>> round(calculate_gain("relu"), 4), calculate_gain("leaky_relu", 0.2) > 1
        (1.4142, True)
    """
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity not in _GAINS:
        raise ValueError(f"nonlinearity: expected one of {sorted(_GAINS) + ['leaky_relu']}, got {nonlinearity!r}")
    return _GAINS[nonlinearity]


def _fans(t: Tensor) -> Tuple[int, int]:
    if t.ndim < 2:
        raise ValueError(f"tensor: fan in/out need at least 2 dimensions, got shape {t.shape}")
    rf = int(np.prod(t.shape[2:])) if t.ndim > 2 else 1
    return t.shape[1] * rf, t.shape[0] * rf


def _calculate_fan_in_and_fan_out(tensor: Any) -> Tuple[int, int]:
    """torch's (private, widely used) ``nn.init._calculate_fan_in_and_fan_out``: (in, out) * receptive field,
    e.g. for a custom layer's ``reset_parameters`` copying torch's Linear init.

    Example:
        >>> nn.init._calculate_fan_in_and_fan_out(ne.empty(8, 4, 3, 3))
        (36, 72)
    """
    return _fans(_check(tensor))


def _calculate_correct_fan(tensor: Any, mode: str) -> int:
    """torch's ``nn.init._calculate_correct_fan``: the fan in or out (``mode`` 'fan_in' / 'fan_out').

    Example:
        >>> nn.init._calculate_correct_fan(ne.empty(8, 4), "fan_out")
        8
    """
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode: expected 'fan_in' or 'fan_out', got {mode!r}")
    fi, fo = _calculate_fan_in_and_fan_out(tensor)
    return fi if mode == "fan_in" else fo


def _check(t: Any) -> Tensor:
    """``t`` as a Tensor; a parameter's ``.data`` (or ``.grad``, a ``state_dict()`` value: the engine's arrays with
    torch's methods) is a Tensor on the same memory, so torch's ``nn.init.normal_(m.weight.data, 0.0, 0.02)``
    (the DCGAN tutorial's ``weights_init``) fills the weight."""
    if isinstance(t, Tensor):
        return t
    if isinstance(t, ParameterData):
        return Tensor._wrap(t.view(np.ndarray))
    raise TypeError(f"tensor: expected a Tensor, got {type(t).__name__}")


def _fill(t: Tensor, values: np.ndarray) -> Tensor:
    t._data[...] = values.astype(np.float32)
    return t


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill ``tensor`` in place from U(a, b); returns it.

    Example:
        >>> w = uniform_(ne.empty(2, 3), -0.1, 0.1)
        >>> bool((w.abs() <= 0.1).all())
        True
    """
    t = _check(tensor)
    if a > b:
        raise ValueError(f"a: expected a <= b, got a={a}, b={b}")
    return _fill(t, generator().uniform(a, b, t.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill ``tensor`` in place from N(mean, std**2); returns it.

    Example:
        >>> normal_(ne.empty(1000), 0.0, 0.01).std().item() < 0.02
        True
    """
    t = _check(tensor)
    if std < 0:
        raise ValueError(f"std: expected >= 0, got {std}")
    return _fill(t, generator().normal(mean, std, t.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill ``tensor`` in place with ``val``; returns it.

    Example:
        >>> constant_(ne.empty(3), 0.5)
        tensor([0.5, 0.5, 0.5])
    """
    t = _check(tensor)
    t._data[...] = val
    return t


def zeros_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` in place with zeros; returns it.

    Example:
        >>> zeros_(ne.empty(2))
        tensor([0., 0.])
    """
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill ``tensor`` in place with ones; returns it.

    Example:
        >>> ones_(ne.empty(2))
        tensor([1., 1.])
    """
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot & Bengio 2010: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)).

    Example:
        >>> w = xavier_uniform_(ne.empty(30, 20))
        >>> bool((w.abs() <= (6 / 50) ** 0.5).all())
        True
    """
    fi, fo = _fans(_check(tensor))
    a = gain * math.sqrt(6.0 / max(fi + fo, 1))  # fi + fo == 0: a zero-element tensor
    return uniform_(tensor, -a, a)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """Glorot & Bengio 2010: N(0, std**2), std = gain * sqrt(2 / (fan_in + fan_out)); in place.

    Example:
        >>> xavier_normal_(ne.empty(64, 32)).shape
        (64, 32)
    """
    fi, fo = _fans(_check(tensor))
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / max(fi + fo, 1)))  # 0: a zero-element tensor


def _kaiming_std(t: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    fi, fo = _fans(t)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode: expected 'fan_in' or 'fan_out', got {mode!r}")
    fan = fi if mode == "fan_in" else fo
    if fan == 0:  # a zero-element tensor: nothing to fill (torch warns and does nothing)
        return 0.0
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """He et al. 2015: U(-b, b), b = gain * sqrt(3 / fan).

    Example:
        >>> kaiming_uniform_(ne.empty(16, 8), nonlinearity="relu").shape
        (16, 8)
    """
    std = _kaiming_std(_check(tensor), a, mode, nonlinearity)
    b = math.sqrt(3.0) * std
    return uniform_(tensor, -b, b)


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> Tensor:
    """He et al. 2015: N(0, std**2), std = gain / sqrt(fan) (``mode`` 'fan_in' or 'fan_out'); in place.

    Example:
        >>> kaiming_normal_(ne.empty(16, 8), mode="fan_out", nonlinearity="relu").shape
        (16, 8)
    """
    std = _kaiming_std(_check(tensor), a, mode, nonlinearity)
    return normal_(tensor, 0.0, std)


xavier_uniform = xavier_uniform_
xavier_normal = xavier_normal_
kaiming_uniform = kaiming_uniform_
kaiming_normal = kaiming_normal_


def default_layer_init_(weight: Tensor, bias: Any = None) -> None:
    """PyTorch's default for Linear/Conv: kaiming_uniform_(a=sqrt(5)) weights, U(-1/sqrt(fan_in), ...) bias.

    Example:
        >>> fc = nn.Linear(4, 2)
        >>> default_layer_init_(fc.weight, fc.bias)
        >>> bool((fc.bias.abs() <= 0.5).all())
        True
    """
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fi, _ = _fans(weight)
        bound = 1.0 / math.sqrt(fi) if fi > 0 else 0.0
        uniform_(bias, -bound, bound)


def _norm_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator: Any = None) -> Tensor:
    """Fill ``tensor`` in place from N(mean, std**2) truncated to [a, b] (bounds in absolute units, as torch's;
    the ViT/timm default init ``trunc_normal_(w, std=0.02)``); exact, by rejection. Returns it.

    Example:
        >>> w = trunc_normal_(ne.empty(1000), std=1.0, a=-0.5, b=0.5)
        >>> bool((w.abs() <= 0.5).all())
        True
    """
    t = _check(tensor)
    mean, std, a, b = (_number(v, n) for v, n in ((mean, "mean"), (std, "std"), (a, "a"), (b, "b")))
    if std < 0:
        raise ValueError(f"std: expected >= 0, got {std}")
    if a > b:
        raise ValueError(f"a: expected a <= b, got a={a}, b={b}")
    if mean < a - 2 * std or mean > b + 2 * std:
        import warnings

        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values "
                      "may be incorrect.", stacklevel=2)
    n = t._data.size
    if std == 0 or a == b:
        return _fill(t, np.full(t.shape, min(max(mean, a), b)))
    accept = _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std)
    rng = generator or _gen()
    out = np.empty(0)
    while out.size < n:
        need = n - out.size
        draw = rng.normal(mean, std, min(int(need / max(accept, 1e-6) * 1.1) + 16, 1 << 24))
        out = np.concatenate([out, draw[(draw >= a) & (draw <= b)][:need]])
    return _fill(t, out.reshape(t.shape))


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Saxe et al. 2013: a (semi-)orthogonal matrix times ``gain`` (dims after the first flattened), from the QR
    decomposition of a Gaussian matrix with the signs of R's diagonal folded in, as torch's. In place.

    Example:
        >>> w = orthogonal_(ne.empty(3, 5)).numpy()
        >>> np.allclose(w @ w.T, np.eye(3), atol=1e-5)
        True
    """
    t = _check(tensor)
    if t.ndim < 2:
        raise ValueError(f"tensor: only tensors with 2 or more dimensions are supported, got shape {t.shape}")
    if t._data.size == 0:
        return t
    rows = t.shape[0]
    cols = t._data.size // rows
    flat = (generator or _gen()).normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(t, (q * _number(gain, "gain")).reshape(t.shape))


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D ``tensor`` in place with the identity (ones on the diagonal of a non-square one too).

    Example:
        >>> eye_(ne.empty(2, 3))
        tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    t = _check(tensor)
    if t.ndim != 2:
        raise ValueError(f"tensor: only 2-D tensors are supported, got shape {t.shape}")
    return _fill(t, np.eye(*t.shape))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-D conv weight in place with the Dirac delta: each of the first
    ``min(out_channels / groups, in_channels)`` channels of each group passes its input unchanged.

    Example:
        >>> w = dirac_(ne.empty(2, 2, 3))
        >>> F.conv1d(ne.tensor([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]]), w, padding=1)
        tensor([[[1., 2., 3.],
                 [4., 5., 6.]]])
    """
    t = _check(tensor)
    if t.ndim not in (3, 4, 5):
        raise ValueError(f"tensor: only 3, 4 or 5-D tensors are supported, got shape {t.shape}")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"groups: expected a positive int, got {groups!r}")
    if t.shape[0] % groups != 0:
        raise ValueError(f"groups: dim 0 ({t.shape[0]}) must be divisible by groups={groups}")
    out_per = t.shape[0] // groups
    if t.numel() == 0:  # a zero-size dim: nothing to fill (no centre to index)
        return t
    w = np.zeros(t.shape)
    centre = tuple(s // 2 for s in t.shape[2:])
    for g in range(groups):
        for d in range(min(out_per, t.shape[1])):
            w[(g * out_per + d, d) + centre] = 1.0
    return _fill(t, w)


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator: Any = None) -> Tensor:
    """Martens 2010: a 2-D ``tensor`` from N(0, std**2) with ``ceil(sparsity * rows)`` entries of every column
    set to zero (rows drawn at random). In place.

    Example:
        >>> w = sparse_(ne.empty(10, 4), sparsity=0.3)
        >>> [int((w.numpy()[:, j] == 0).sum()) for j in range(4)]
        [3, 3, 3, 3]
    """
    t = _check(tensor)
    if t.ndim != 2:
        raise ValueError(f"tensor: only 2-D tensors are supported, got shape {t.shape}")
    sparsity = _number(sparsity, "sparsity")
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"sparsity: expected a fraction in [0, 1], got {sparsity}")
    rows, cols = t.shape
    rng = generator or _gen()
    w = rng.normal(0.0, _number(std, "std"), (rows, cols))
    zeros = int(math.ceil(sparsity * rows))
    for j in range(cols):
        w[rng.permutation(rows)[:zeros], j] = 0.0
    return _fill(t, w)


orthogonal = orthogonal_
sparse = sparse_
