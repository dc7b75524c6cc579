"""``SGD``: stochastic gradient descent with momentum, dampening, Nesterov and weight decay (torch.optim.SGD).

Example:
    >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
    >>> opt = SGD([w], lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
    >>> (w * w).sum().backward(); opt.step(); w.detach()
    tensor([ 0.62, -1.24])
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, Optional

from .. import _tape
from .optimizer import Optimizer, check_hyper, implementation_flags


class SGD(Optimizer):
    """PyTorch's SGD: ``d = g + wd*p``; ``buf = d`` on a parameter's first step, then
    ``buf = momentum*buf + (1-dampening)*d``; ``d = d + momentum*buf`` (Nesterov) or ``buf``; ``p -= lr*d``.
    One fused C++ call per parameter group. State per parameter: ``momentum_buffer`` (momentum != 0).

    Example:
        >>> w = nn.Parameter(ne.tensor([1.0, -2.0]))
        >>> opt = SGD([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step(); w.detach()
        tensor([ 0.8, -1.6])
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: Optional[bool] = None, differentiable: bool = False, fused: Optional[bool] = None) -> None:
        implementation_flags(foreach=foreach, differentiable=differentiable, fused=fused)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _validate_group(self, group: Dict[str, Any]) -> None:
        check_hyper("lr", group["lr"], what="learning rate")
        check_hyper("momentum", group["momentum"], what="momentum value")
        check_hyper("dampening", group["dampening"], what="dampening value")
        check_hyper("weight_decay", group["weight_decay"], what="weight_decay value")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("nesterov: Nesterov momentum requires a momentum > 0 and zero dampening "
                             f"(got momentum={group['momentum']}, dampening={group['dampening']})")

    _read_before_loop = "momentum_buffer"

    def _update_group(self, group: Dict[str, Any]) -> None:
        ps, datas, grads = self._grad_lists(group)
        if not ps:
            return
        bufs, first = [], []
        if group["momentum"] != 0:  # (a new buffer is a copy of the data, overwritten: the first step stores d)
            bufs, first = _tape.state_buffers(self.state, ps, datas, "momentum_buffer")
        # float32: _core's kernel called from the tape without the binding's argument conversion; positional, in
        # the binding's order (pybind11's keyword parsing costs ~0.4 us an argument)
        step = self._kernel("sgd_step") if self._f64_pass else _tape.sgd_step
        step(datas, grads, bufs, first, float(group["lr"]), float(group["momentum"]), float(group["dampening"]),
             float(group["weight_decay"]), bool(group["nesterov"]), bool(group["maximize"]))
