"""``RMSprop`` (torch.optim's formulas: momentum, centered, weight decay), one fused C++ call per group.

Example:
    >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
    >>> opt = RMSprop([w], lr=1e-2, momentum=0.9, centered=True)
    >>> (w * w).sum().backward(); opt.step(); w.detach()
    tensor([ 0.8995, -1.8995])
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional

import numpy as np

from .optimizer import Optimizer, check_hyper, implementation_flags


class RMSprop(Optimizer):
    """PyTorch's RMSprop: ``g += wd*p``; ``sq = alpha sq + (1-alpha) g^2``; centered:
    ``ga += (1-alpha)(g-ga)``, ``avg = sqrt(sq - ga^2) + eps`` (else ``sqrt(sq) + eps``); momentum:
    ``buf = momentum buf + g/avg``, ``p -= lr buf``; else ``p -= lr g/avg``. State: ``step``,
    ``square_avg``, ``momentum_buffer`` (momentum > 0), ``grad_avg`` (centered).

    Example:
        >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
        >>> opt = RMSprop([w], lr=0.01)
        >>> (w * w).sum().backward(); opt.step(); w.detach()
        tensor([ 0.9, -1.9])
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, capturable: bool = False,
                 foreach: Optional[bool] = None, maximize: bool = False, differentiable: bool = False) -> None:
        implementation_flags(capturable=capturable, foreach=foreach, differentiable=differentiable)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: Dict[str, Any]) -> None:
        check_hyper("lr", group["lr"], what="learning rate")
        check_hyper("eps", group["eps"], what="epsilon value")
        check_hyper("momentum", group["momentum"], what="momentum value")
        check_hyper("weight_decay", group["weight_decay"], what="weight_decay value")
        check_hyper("alpha", group["alpha"], 0.0, 1.0, what="alpha value")

    def _update_group(self, group: Dict[str, Any]) -> None:
        items = self._with_grads(group)
        if not items:
            return
        use_mom, centered = group["momentum"] > 0, bool(group["centered"])
        sq, bufs, gavg = [], [], []
        for p, data, _ in items:
            st = self.state[p]
            if not st:
                st["step"] = 0.0
                st["square_avg"] = np.zeros_like(data)
            if use_mom and st.get("momentum_buffer") is None:
                st["momentum_buffer"] = np.zeros_like(data)
            if centered and st.get("grad_avg") is None:
                st["grad_avg"] = np.zeros_like(data)
            st["step"] = float(st["step"]) + 1.0
            sq.append(st["square_avg"])
            if use_mom:
                bufs.append(st["momentum_buffer"])
            if centered:
                gavg.append(st["grad_avg"])
        self._kernel("rmsprop_step")([d for _, d, _ in items], [g for _, _, g in items], sq, bufs if use_mom else None,
                                    gavg if centered else None, lr=float(group["lr"]), alpha=float(group["alpha"]),
                                    eps=float(group["eps"]), weight_decay=float(group["weight_decay"]),
                                    momentum=float(group["momentum"]), centered=centered,
                                    maximize=bool(group["maximize"]))
