"""``Adamax`` (Adam with the infinity norm; torch.optim's formulas and defaults), fused C++ step.

Example:
    >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
    >>> opt = Adamax([w], lr=2e-3)
    >>> (w * w).sum().backward(); opt.step(); w.detach()
    tensor([ 0.998, -1.998])
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional, Tuple

import numpy as np

from .adam import check_adam_group
from .optimizer import Optimizer


class Adamax(Optimizer):
    """PyTorch's Adamax: ``g += wd*p``; ``m += (1-b1)(g-m)``; ``u = max(b2 u, |g| + eps)``;
    ``p -= lr/(1-b1^t) * m / u``. State per parameter: ``step``, ``exp_avg``, ``exp_inf``.

    Example:
        >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
        >>> opt = Adamax([w], lr=0.1, betas=(0.9, 0.999))
        >>> (w * w).sum().backward(); opt.step(); w.detach()
        tensor([ 0.9, -1.9])
    """

    def __init__(self, params: Iterable[Any], lr: float = 2e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, foreach: Optional[bool] = None, *,
                 maximize: bool = False, differentiable: bool = False, capturable: bool = False) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _validate_group(self, group: Dict[str, Any]) -> None:
        check_adam_group(group)

    def _update_group(self, group: Dict[str, Any]) -> None:
        items = self._with_grads(group)
        if not items:
            return
        m, u, steps = [], [], []
        for p, data, _ in items:
            st = self.state[p]
            if not st:
                st["step"] = 0.0
                st["exp_avg"] = np.zeros_like(data)
                st["exp_inf"] = np.zeros_like(data)
            st["step"] = float(st["step"]) + 1.0
            steps.append(int(st["step"]))
            m.append(st["exp_avg"])
            u.append(st["exp_inf"])
        b1, b2 = group["betas"]
        self._kernel("adamax_step")([d for _, d, _ in items], [g for _, _, g in items], m, u, steps, lr=float(group["lr"]),
                                   beta1=float(b1), beta2=float(b2), eps=float(group["eps"]),
                                   weight_decay=float(group["weight_decay"]), maximize=bool(group["maximize"]))
