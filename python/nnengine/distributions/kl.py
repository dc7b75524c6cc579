"""``kl_divergence(p, q)`` for the pairs torch registers among nnengine's distributions."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, where
from .categorical import Categorical
from .distribution import Distribution
from .normal import Normal


def _kl_normal_normal(p: Normal, q: Normal) -> Tensor:
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Tensor:
    t = p.probs * (p.logits - q.logits)
    shape = t.shape
    t = where(Tensor(np.broadcast_to(q.probs.data == 0, shape)), float("inf"), t)
    t = where(Tensor(np.broadcast_to(p.probs.data == 0, shape)), 0.0, t)
    return t.sum(-1)


_KL = {(Normal, Normal): _kl_normal_normal, (Categorical, Categorical): _kl_categorical_categorical}


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """``KL(p || q)`` per batch element, with torch's formulas (Normal/Normal, Categorical/Categorical).

    Example:
        >>> from nnengine.distributions import Normal
        >>> kl_divergence(Normal(0.0, 1.0), Normal(1.0, 1.0)).item()
        0.5
    """
    fn = _KL.get((type(p), type(q)))
    if fn is None:
        raise NotImplementedError(f"kl_divergence: no formula for p={type(p).__name__}, q={type(q).__name__} "
                                  f"(registered: {', '.join(f'{a.__name__}/{b.__name__}' for a, b in _KL)})")
    return fn(p, q)
