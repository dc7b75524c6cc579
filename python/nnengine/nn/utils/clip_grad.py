"""Gradient clipping with torch.nn.utils' semantics (one total norm over all gradients, scaled in place).

Example:
    >>> model = nn.Linear(3, 2); model(ne.ones(4, 3)).sum().backward()
    >>> _ = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    >>> nn.utils.clip_grad_value_(model.parameters(), 0.5); float(np.abs(model.bias.grad).max()) <= 0.5
    True
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable, List, Optional, Union

import numpy as np

from ..._coerce import as_array
from ...tensor import Tensor


def _params(parameters: Union[Tensor, Iterable[Tensor]]) -> List[Tensor]:
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _grads(parameters: Union[Tensor, Iterable[Tensor]]) -> List[np.ndarray]:
    out = []
    for p in _params(parameters):
        if p.grad is None:
            continue
        g = p.grad
        if not isinstance(g, np.ndarray) or g.dtype != np.float32 or not g.flags.writeable:
            g = np.array(as_array(g), dtype=np.float32)
            p.grad = g
        out.append(g)
    return out


def _norm(a: np.ndarray, norm_type: float) -> float:
    a = np.abs(a.astype(np.float64, copy=False)).ravel()
    if a.size == 0:
        return 0.0
    if math.isinf(norm_type):
        return float(a.max() if norm_type > 0 else a.min())
    if norm_type == 0:
        return float(np.count_nonzero(a))
    if norm_type == 1:
        return float(a.sum())
    if norm_type == 2:
        return float(np.sqrt(np.dot(a, a)))
    return float(np.sum(a ** norm_type) ** (1.0 / norm_type))


def get_total_norm(tensors: Union[Tensor, Iterable[Any]], norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: Optional[bool] = None) -> Tensor:
    """The ``norm_type`` norm of the per-tensor norms (= the norm of all entries together), a 0-d Tensor.

    Example:
        >>> get_total_norm([ne.tensor([3.0]), ne.tensor([4.0])])
        tensor(5.)
    """
    arrays = [as_array(t) for t in ([tensors] if isinstance(tensors, (Tensor, np.ndarray)) else tensors)
              if t is not None]
    norm_type = float(norm_type)
    if not arrays:
        return Tensor(np.zeros((), np.float32))
    per = np.array([_norm(a, norm_type) for a in arrays], dtype=np.float64)
    total = _norm(per, norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`")
    return Tensor(np.asarray(total, dtype=np.float32))


def clip_grad_norm_(parameters: Union[Tensor, Iterable[Tensor]], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: Optional[bool] = None) -> Tensor:
    """Scale all gradients in place so that their total ``norm_type`` norm is at most ``max_norm``
    (``coef = min(1, max_norm / (total + 1e-6))``, torch's formula); returns the total norm before clipping
    (a 0-d Tensor). ``norm_type`` may be ``float("inf")``; ``error_if_nonfinite=True`` raises RuntimeError on a
    nan/inf total; ``foreach`` is accepted and ignored.

    Example:
        >>> model = nn.Linear(3, 2); model(ne.ones(4, 3)).sum().backward()
        >>> total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        >>> round(total.item(), 4), round(get_total_norm([p.grad for p in model.parameters()]).item(), 4)
        (11.3137, 1.0)
    """
    if isinstance(max_norm, bool) or not isinstance(max_norm, numbers.Real):
        max_norm = float(as_array(max_norm))
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    if not grads:
        return total
    t = np.float32(total.item())
    coef = np.float32(max_norm) / (t + np.float32(1e-6))
    coef = min(coef, np.float32(1.0)) if not np.isnan(coef) else coef
    for g in grads:
        g *= np.float32(coef)
    return total


def clip_grad_norm(parameters: Union[Tensor, Iterable[Tensor]], max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: Optional[bool] = None) -> Tensor:
    """Deprecated torch name of :func:`clip_grad_norm_`.

    Example:
        >>> model = nn.Linear(3, 2); model(ne.ones(4, 3)).sum().backward()
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     print(round(clip_grad_norm(model.parameters(), 1.0).item(), 4))
        11.3137
    """
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: Union[Tensor, Iterable[Tensor]], clip_value: float,
                     foreach: Optional[bool] = None) -> None:
    """Clamp every gradient in place to ``[-clip_value, clip_value]``.

    Example:
        >>> model = nn.Linear(3, 2); model(ne.ones(4, 3)).sum().backward()
        >>> nn.utils.clip_grad_value_(model.parameters(), clip_value=0.5)
        >>> model.bias.grad
        array([0.5, 0.5], dtype=float32)
    """
    c = np.float32(float(clip_value))
    for g in _grads(parameters):
        np.clip(g, -c, c, out=g)
