"""``Adadelta`` (torch.optim's formulas and defaults), one fused C++ call per parameter group.

Example:
    >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
    >>> opt = Adadelta([w], lr=1.0, rho=0.9)
    >>> (w * w).sum().backward(); opt.step(); w.detach()
    tensor([ 0.9968, -1.9968])
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional

import numpy as np

from .optimizer import Optimizer, check_hyper


class Adadelta(Optimizer):
    """PyTorch's Adadelta: ``g += wd*p``; ``sq = rho sq + (1-rho) g^2``;
    ``d = sqrt(acc + eps) / sqrt(sq + eps) * g``; ``acc = rho acc + (1-rho) d^2``; ``p -= lr d``.
    State per parameter: ``step``, ``square_avg``, ``acc_delta``. ``foreach`` (and torch's
    ``capturable``/``differentiable``) are accepted and ignored: the fused step is always used.

    Example:
        >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
        >>> opt = Adadelta([w])
        >>> (w * w).sum().backward(); opt.step(); w.detach()
        tensor([ 0.9968, -1.9968])
    """

    def __init__(self, params: Iterable[Any], lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: Optional[bool] = None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _validate_group(self, group: Dict[str, Any]) -> None:
        check_hyper("lr", group["lr"], what="learning rate")
        check_hyper("rho", group["rho"], 0.0, 1.0, what="rho value")
        check_hyper("eps", group["eps"], what="epsilon value")
        check_hyper("weight_decay", group["weight_decay"], what="weight_decay value")

    def _update_group(self, group: Dict[str, Any]) -> None:
        items = self._with_grads(group)
        if not items:
            return
        sq, acc = [], []
        for p, data, _ in items:
            st = self.state[p]
            if not st:
                st["step"] = 0.0
                st["square_avg"] = np.zeros_like(data)
                st["acc_delta"] = np.zeros_like(data)
            st["step"] = float(st["step"]) + 1.0
            sq.append(st["square_avg"])
            acc.append(st["acc_delta"])
        self._kernel("adadelta_step")([d for _, d, _ in items], [g for _, _, g in items], sq, acc, lr=float(group["lr"]),
                                     rho=float(group["rho"]), eps=float(group["eps"]),
                                     weight_decay=float(group["weight_decay"]), maximize=bool(group["maximize"]))
