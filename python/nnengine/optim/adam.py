"""``Adam`` and ``AdamW`` (torch.optim's formulas, optional AMSGrad), one fused C++ call per group.

Example:
    >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
    >>> opt = AdamW([w], lr=1e-3, weight_decay=1e-2, amsgrad=True)
    >>> (w * w).sum().backward(); opt.step(); w.detach()
    tensor([ 0.999, -1.999])
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional, Tuple

import numpy as np

from .optimizer import Optimizer, check_hyper, implementation_flags


def check_betas(group: Dict[str, Any]) -> None:
    """Validate ``group["betas"]`` (a pair in [0, 1)) and store it as a tuple.

    Example:
        >>> group = {"betas": [0.9, 0.99]}; check_betas(group); group["betas"]
        (0.9, 0.99)
        >>> check_betas({"betas": (0.9, 1.0)})
        Traceback (most recent call last):
            ...
        ValueError: Invalid beta parameter at index 1: 1.0 (betas[1] must be [0.0, 1.0))
    """
    betas = group["betas"]
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"betas: expected a pair (beta1, beta2), got {betas!r}")
    group["betas"] = tuple(betas)
    check_hyper("betas[0]", betas[0], 0.0, 1.0, high_open=True, what="beta parameter at index 0")
    check_hyper("betas[1]", betas[1], 0.0, 1.0, high_open=True, what="beta parameter at index 1")


def check_adam_group(group: Dict[str, Any]) -> None:
    """Validate the hyper-parameters every Adam-family optimizer shares (Adam, AdamW, Adamax, NAdam, RAdam):
    ``lr``, ``eps``, ``betas`` (see :func:`check_betas`) and ``weight_decay``, with torch's messages.

    Example:
        >>> check_adam_group({"lr": 1e-3, "eps": 1e-8, "betas": (0.9, 0.999), "weight_decay": 0.0})
        >>> check_adam_group({"lr": -1.0, "eps": 1e-8, "betas": (0.9, 0.999), "weight_decay": 0.0})
        Traceback (most recent call last):
            ...
        ValueError: Invalid learning rate: -1.0 (lr must be >= 0.0)
    """
    check_hyper("lr", group["lr"], what="learning rate")
    check_hyper("eps", group["eps"], what="epsilon value")
    check_betas(group)
    check_hyper("weight_decay", group["weight_decay"], what="weight_decay value")


class Adam(Optimizer):
    """PyTorch's Adam: ``g += wd*p``; ``m += (1-b1)(g-m)``; ``v = b2 v + (1-b2) g^2``;
    ``p -= lr/(1-b1^t) * m / (sqrt(v_or_max_v)/sqrt(1-b2^t) + eps)``. State per parameter: ``step``,
    ``exp_avg``, ``exp_avg_sq`` and ``max_exp_avg_sq`` (amsgrad).

    Example:
        >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
        >>> opt = Adam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step(); w.detach()
        tensor([ 0.9, -1.9])
    """

    _decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: Optional[bool] = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: Optional[bool] = None,
                 decoupled_weight_decay: bool = False) -> None:
        implementation_flags(foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize)
        if decoupled_weight_decay or self._decoupled:  # torch: Adam(decoupled_weight_decay=True) is AdamW
            defaults["decoupled_weight_decay"] = True
        super().__init__(params, defaults)

    def _validate_group(self, group: Dict[str, Any]) -> None:
        check_adam_group(group)

    def _update_group(self, group: Dict[str, Any]) -> None:
        items = self._with_grads(group)
        if not items:
            return
        amsgrad = bool(group["amsgrad"])
        m, v, vmax, steps = [], [], [], []
        for p, data, _ in items:
            st = self.state[p]
            if not st:
                st["step"] = 0.0
                st["exp_avg"] = np.zeros_like(data)
                st["exp_avg_sq"] = np.zeros_like(data)
            if amsgrad and st.get("max_exp_avg_sq") is None:
                st["max_exp_avg_sq"] = np.zeros_like(data)
            st["step"] = float(st["step"]) + 1.0
            steps.append(int(st["step"]))
            m.append(st["exp_avg"])
            v.append(st["exp_avg_sq"])
            if amsgrad:
                vmax.append(st["max_exp_avg_sq"])
        b1, b2 = group["betas"]
        # positional, in the binding's order (pybind11's keyword parsing costs ~0.4 us an argument)
        self._kernel("adam_step")([d for _, d, _ in items], [g for _, _, g in items], m, v, vmax if amsgrad else None,
                                  steps, float(group["lr"]), float(b1), float(b2), float(group["eps"]),
                                  float(group["weight_decay"]), amsgrad,
                                  bool(group.get("decoupled_weight_decay", self._decoupled)), bool(group["maximize"]))


class AdamW(Adam):
    """PyTorch's AdamW: Adam with decoupled weight decay (``p *= 1 - lr*wd`` before the update);
    ``weight_decay`` defaults to 1e-2.

    Example:
        >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
        >>> opt = AdamW([w], lr=0.1, weight_decay=0.1)
        >>> (w * w).sum().backward(); opt.step(); w.detach()
        tensor([ 0.89, -1.88])
    """

    _decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: Optional[bool] = None, capturable: bool = False,
                 differentiable: bool = False, fused: Optional[bool] = None) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable,
                         fused=fused)
