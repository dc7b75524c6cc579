"""``NAdam`` and ``RAdam`` (torch.optim's formulas and defaults, incl. decoupled weight decay),
one fused C++ call per parameter group.

Example:
    >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
    >>> opt = RAdam([w], lr=1e-3, decoupled_weight_decay=True, weight_decay=1e-2)
    >>> (w * w).sum().backward(); opt.step(); w.detach()
    tensor([ 0.998, -1.996])
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional, Tuple

import numpy as np

from .adam import check_adam_group
from .optimizer import Optimizer, check_hyper


class _AdamFamily(Optimizer):
    def _validate_group(self, group: Dict[str, Any]) -> None:
        check_adam_group(group)

    def _moments(self, group: Dict[str, Any], extra: Dict[str, Any]):
        items = self._with_grads(group)
        m, v, steps = [], [], []
        for p, data, _ in items:
            st = self.state[p]
            if not st:
                st["step"] = 0.0
                st.update(extra)
                st["exp_avg"] = np.zeros_like(data)
                st["exp_avg_sq"] = np.zeros_like(data)
            st["step"] = float(st["step"]) + 1.0
            steps.append(int(st["step"]))
            m.append(st["exp_avg"])
            v.append(st["exp_avg_sq"])
        return items, m, v, steps


class NAdam(_AdamFamily):
    """PyTorch's NAdam (Adam with Nesterov momentum, Dozat 2016): the momentum coefficient
    ``mu_t = b1 (1 - 0.5 * 0.96^(t * momentum_decay))`` and its running product (``mu_product``, kept in
    float32 like torch's state tensor) weight the gradient and ``m`` in the update
    ``p -= lr (1-mu_t)/(1-prod) g/denom + lr mu_{t+1}/(1-prod mu_{t+1}) m/denom``,
    ``denom = sqrt(v/(1-b2^t)) + eps``. ``decoupled_weight_decay=True`` gives NAdamW.
    State per parameter: ``step``, ``mu_product``, ``exp_avg``, ``exp_avg_sq``.

    Example:
        >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
        >>> opt = NAdam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step(); w.detach()
        tensor([ 0.8944, -1.8944])
    """

    _scalar_state = ("step", "mu_product")

    def __init__(self, params: Iterable[Any], lr: float = 2e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: Optional[bool] = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _validate_group(self, group: Dict[str, Any]) -> None:
        super()._validate_group(group)
        check_hyper("momentum_decay", group["momentum_decay"], what="momentum_decay value")

    def _update_group(self, group: Dict[str, Any]) -> None:
        items, m, v, steps = self._moments(group, {"mu_product": 1.0})
        if not items:
            return
        b1, b2 = float(group["betas"][0]), float(group["betas"][1])
        md = float(group["momentum_decay"])
        prods = []
        for (p, _, _), t in zip(items, steps):
            st = self.state[p]
            mu = b1 * (1.0 - 0.5 * (0.96 ** (t * md)))
            # torch keeps mu_product as a float32 tensor: mu_product *= mu rounds to float32 every step
            st["mu_product"] = float(np.float32(st["mu_product"]) * np.float32(mu))
            prods.append(st["mu_product"])
        self._kernel("nadam_step")([d for _, d, _ in items], [g for _, _, g in items], m, v, steps, prods,
                                  lr=float(group["lr"]), beta1=b1, beta2=b2, eps=float(group["eps"]),
                                  weight_decay=float(group["weight_decay"]), momentum_decay=md,
                                  decoupled=bool(group["decoupled_weight_decay"]), maximize=bool(group["maximize"]))


class RAdam(_AdamFamily):
    """PyTorch's RAdam (rectified Adam, Liu et al. 2019): while the variance estimate is unreliable
    (``rho_t <= 5``) the step is ``p -= lr m/(1-b1^t)``, afterwards Adam's step times the rectification
    ``r_t``. ``decoupled_weight_decay=True`` decays ``p *= 1 - lr*wd`` (AdamW style).
    State per parameter: ``step``, ``exp_avg``, ``exp_avg_sq``.

    Example:
        >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
        >>> opt = RAdam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step(); w.detach()
        tensor([ 0.8, -1.6])
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: Tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: Optional[bool] = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _update_group(self, group: Dict[str, Any]) -> None:
        items, m, v, steps = self._moments(group, {})
        if not items:
            return
        b1, b2 = group["betas"]
        self._kernel("radam_step")([d for _, d, _ in items], [g for _, _, g in items], m, v, steps, lr=float(group["lr"]),
                                  beta1=float(b1), beta2=float(b2), eps=float(group["eps"]),
                                  weight_decay=float(group["weight_decay"]),
                                  decoupled=bool(group["decoupled_weight_decay"]), maximize=bool(group["maximize"]))
