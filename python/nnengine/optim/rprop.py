"""``Rprop`` and ``ASGD`` (torch.optim's formulas, defaults and state keys), numpy steps in the parameters' dtype.

Example:
    >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
    >>> opt = Rprop([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w.detach()
    tensor([ 0.9, -1.9])
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional, Tuple

import numpy as np

from ..ops import _sign
from .optimizer import Optimizer, check_hyper


class Rprop(Optimizer):
    """Resilient backpropagation (Riedmiller & Braun 1993), torch's: each element's step size grows by
    ``etas[1]`` while its gradient keeps its sign and shrinks by ``etas[0]`` when it flips (that step is skipped),
    within ``step_sizes``; the update is ``-sign(g) * step_size``. State: ``step``, ``prev``, ``step_size``.

    Example:
        >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
        >>> opt = Rprop([w], lr=0.5, etas=(0.5, 1.2))
        >>> for _ in range(2):
        ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
        >>> w.detach()
        tensor([-0.1, -0.9])
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, etas: Tuple[float, float] = (0.5, 1.2),
                 step_sizes: Tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: Optional[bool] = None, maximize: bool = False, differentiable: bool = False) -> None:
        defaults = dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes), foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _validate_group(self, group: Dict[str, Any]) -> None:
        check_hyper("lr", group["lr"], what="learning rate")
        etaminus, etaplus = group["etas"]
        if not 0.0 < etaminus < 1.0 < etaplus:
            raise ValueError(f"etas: invalid eta values: {etaminus}, {etaplus} (expected 0 < etaminus < 1 < etaplus)")
        lo, hi = group["step_sizes"]
        if not 0.0 <= lo <= hi:
            raise ValueError(f"step_sizes: invalid (min, max) = ({lo}, {hi})")

    def _update_group(self, group: Dict[str, Any]) -> None:
        etaminus, etaplus = group["etas"]
        lo, hi = group["step_sizes"]
        for p, data, grad in self._with_grads(group):
            g = -grad if group["maximize"] else grad
            st = self.state[p]
            if not st:
                st["step"] = 0.0
                st["prev"] = np.zeros_like(data)
                st["step_size"] = np.full_like(data, group["lr"])
            st["step"] = float(st["step"]) + 1.0
            sign = np.sign(g * st["prev"])
            factor = np.where(sign > 0, etaplus, np.where(sign < 0, etaminus, 1.0)).astype(data.dtype)
            np.clip(st["step_size"] * factor, lo, hi, out=st["step_size"])
            g = np.where(sign < 0, 0, g).astype(data.dtype)
            data -= _sign(g) * st["step_size"]  # torch: sign(NaN) = 0, a NaN gradient moves nothing
            st["prev"][...] = g


class ASGD(Optimizer):
    """Averaged SGD (Polyak & Juditsky 1992), torch's: ``p = p (1 - lambd eta) - eta g``, ``eta = lr / (1 + lambd lr
    t) ** alpha``, and the average ``ax`` of the iterates from step ``t0`` on. State: ``step``, ``eta``, ``mu``,
    ``ax`` (``eta`` and ``mu`` kept in float32 like torch's scalar tensors).

    Example:
        >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
        >>> opt = ASGD([w], lr=0.1, lambd=0.0)
        >>> (w * w).sum().backward(); opt.step(); w.detach()
        tensor([ 0.8, -1.6])
    """

    _scalar_state = ("step", "eta", "mu")

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach: Optional[bool] = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _validate_group(self, group: Dict[str, Any]) -> None:
        check_hyper("lr", group["lr"], what="learning rate")
        check_hyper("weight_decay", group["weight_decay"], what="weight_decay value")
        for k in ("lambd", "alpha", "t0"):
            check_hyper(k, group[k], low=-np.inf)

    def _update_group(self, group: Dict[str, Any]) -> None:
        lr, lambd, alpha, t0, wd = (float(group[k]) for k in ("lr", "lambd", "alpha", "t0", "weight_decay"))
        for p, data, grad in self._with_grads(group):
            g = -grad if group["maximize"] else grad
            st = self.state[p]
            if not st:
                st["step"] = 0.0
                st["eta"] = float(np.float32(lr))
                st["mu"] = 1.0
                st["ax"] = np.zeros_like(data)
            st["step"] = float(st["step"]) + 1.0
            if wd != 0:
                g = g + data * data.dtype.type(wd)
            eta = float(st["eta"])
            data *= data.dtype.type(1 - lambd * eta)
            data -= data.dtype.type(eta) * g
            if float(st["mu"]) != 1:
                st["ax"] += (data - st["ax"]) * data.dtype.type(st["mu"])
            else:
                st["ax"][...] = data
            step = st["step"]
            st["eta"] = float(np.float32(lr / ((1 + lambd * lr * step) ** alpha)))
            st["mu"] = float(np.float32(1 / max(1, step - t0)))
