"""``Adagrad`` (torch.optim's formulas: lr_decay, weight decay, initial accumulator), fused C++ step.

Example:
    >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
    >>> opt = Adagrad([w], lr=1e-2, lr_decay=1e-4)
    >>> (w * w).sum().backward(); opt.step(); w.detach()
    tensor([ 0.99, -1.99])
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional

import numpy as np

from .optimizer import Optimizer, check_hyper, implementation_flags


class Adagrad(Optimizer):
    """PyTorch's Adagrad: ``g += wd*p``; ``sum += g^2``; ``p -= clr * g / (sqrt(sum) + eps)`` with
    ``clr = lr / (1 + (t-1) lr_decay)``. State (created for every parameter at construction, as in
    torch): ``step``, ``sum`` (starting at ``initial_accumulator_value``).

    Example:
        >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
        >>> opt = Adagrad([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step(); w.detach()
        tensor([ 0.9, -1.9])
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: Optional[bool] = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: Optional[bool] = None) -> None:
        implementation_flags(foreach=foreach, differentiable=differentiable, fused=fused)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: Dict[str, Any]) -> None:
        check_hyper("lr", group["lr"], what="learning rate")
        check_hyper("lr_decay", group["lr_decay"], what="lr_decay value")
        check_hyper("weight_decay", group["weight_decay"], what="weight_decay value")
        check_hyper("initial_accumulator_value", group["initial_accumulator_value"],
                    what="initial_accumulator_value value")
        check_hyper("eps", group["eps"], what="epsilon value")

    def add_param_group(self, param_group: Dict[str, Any]) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            self._init_state(p, group)

    def _init_state(self, p: Any, group: Dict[str, Any]) -> Dict[str, Any]:
        st = self.state[p]
        if not st:
            st["step"] = 0.0
            dt = np.float64 if p._data.dtype == np.float64 else np.float32
            st["sum"] = np.full(p._data.shape, group["initial_accumulator_value"], dtype=dt)
        return st

    def _update_group(self, group: Dict[str, Any]) -> None:
        items = self._with_grads(group)
        if not items:
            return
        sums, steps = [], []
        for p, _, _ in items:
            st = self._init_state(p, group)
            st["step"] = float(st["step"]) + 1.0
            steps.append(int(st["step"]))
            sums.append(st["sum"])
        self._kernel("adagrad_step")([d for _, d, _ in items], [g for _, _, g in items], sums, steps,
                                    lr=float(group["lr"]), lr_decay=float(group["lr_decay"]),
                                    weight_decay=float(group["weight_decay"]), eps=float(group["eps"]),
                                    maximize=bool(group["maximize"]))
