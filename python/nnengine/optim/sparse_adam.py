"""``SparseAdam`` (torch.optim's "lazy Adam" for embeddings), numpy step in the parameter's dtype.

Example:
    >>> emb = nn.Embedding(5, 2)
    >>> opt = SparseAdam(emb.parameters(), lr=0.1)
    >>> emb(ne.tensor([1])).sum().backward(); opt.step()
    >>> int((opt.state[emb.weight]["exp_avg"] != 0).any(axis=1).sum())
    1
"""

from __future__ import annotations

import math
from typing import Any, Dict, Iterable, Tuple

import numpy as np

from .adam import check_betas
from .optimizer import Optimizer, check_hyper


class SparseAdam(Optimizer):
    """torch's SparseAdam: Adam whose moments and parameter are updated only at the entries the gradient touches
    (those rows along dim 0 of the gradient that are not all zero, e.g. an Embedding's looked-up rows); the
    others keep their moments. nnengine's gradients are dense, so the touched rows are read off the gradient
    instead of a sparse tensor's indices: the same trajectory as torch with ``sparse=True`` embeddings.
    State: ``step``, ``exp_avg``, ``exp_avg_sq``.

    Example:
        >>> w = nn.Parameter(ne.tensor([[1.0, -2.0], [3.0, 4.0]]))
        >>> opt = SparseAdam([w], lr=0.1)
        >>> (w[0] * w[0]).sum().backward(); opt.step(); w.detach()
        tensor([[ 0.9, -1.9],
                [ 3. ,  4. ]])
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, maximize=maximize))

    def _validate_group(self, group: Dict[str, Any]) -> None:
        check_hyper("lr", group["lr"], what="learning rate")
        check_hyper("eps", group["eps"], what="epsilon value")
        check_betas(group)

    def _update_group(self, group: Dict[str, Any]) -> None:
        b1, b2 = (float(b) for b in group["betas"])
        lr, eps = float(group["lr"]), float(group["eps"])
        for p, data, grad in self._with_grads(group):
            g = -grad if group["maximize"] else grad
            st = self.state[p]
            if not st:
                st["step"] = 0.0
                st["exp_avg"] = np.zeros_like(data)
                st["exp_avg_sq"] = np.zeros_like(data)
            st["step"] = float(st["step"]) + 1.0
            rows = np.flatnonzero(g.reshape(g.shape[0], -1).any(axis=1)) if g.ndim else np.array([], np.intp)
            if g.ndim == 0:  # one element: updated when its gradient is nonzero (`...` indexes a 0-d array)
                if g == 0:
                    continue
                rows = ...
            m, v, gv = st["exp_avg"], st["exp_avg_sq"], g[rows]
            old_m, old_v = np.array(m[rows]), np.array(v[rows])  # copies (m[...] is a view)
            dt = data.dtype.type
            m_upd = (gv - old_m) * dt(1 - b1)
            v_upd = (gv * gv - old_v) * dt(1 - b2)
            m[rows] = old_m + m_upd
            v[rows] = old_v + v_upd
            step = st["step"]
            step_size = lr * math.sqrt(1 - b2 ** step) / (1 - b1 ** step)
            data[rows] += dt(-step_size) * ((m_upd + old_m) / (np.sqrt(v_upd + old_v) + dt(eps)))
