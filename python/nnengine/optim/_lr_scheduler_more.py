"""More of torch.optim.lr_scheduler: ConstantLR, MultiplicativeLR, PolynomialLR, CosineAnnealingWarmRestarts,
CyclicLR and the combinators SequentialLR / ChainedScheduler (torch's formulas, recursions and state_dict
layouts; re-exported by ``nnengine.optim.lr_scheduler``)."""

from __future__ import annotations

import math
import numbers
import types
from bisect import bisect_right
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from .lr_scheduler import (  # noqa: F401  (the docstring examples use them)
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    ReduceLROnPlateau,
    _lambdas,
    _nonneg,
    _per_group,
    _positive_int,
)
from .optimizer import Optimizer


class ConstantLR(LRScheduler):
    """``lr = base_lr * factor`` until epoch ``total_iters``, then ``base_lr`` (torch's ConstantLR).

    Example:
        >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
        >>> sched = ConstantLR(opt, factor=0.5, total_iters=2); lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(3):
        ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [0.5, 0.5, 1.0, 1.0]
    """

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not 0 <= factor <= 1:
            raise ValueError(f"factor: expected a number in [0, 1], got {factor!r}")
        if isinstance(total_iters, bool) or not isinstance(total_iters, numbers.Integral) or total_iters < 0:
            raise ValueError(f"total_iters: expected an integer >= 0, got {total_iters!r}")
        self.factor, self.total_iters = float(factor), int(total_iters)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._groups_lr()]
        if self.last_epoch != self.total_iters:
            return self._groups_lr()
        return [lr * (1.0 / self.factor) for lr in self._groups_lr()]

    def _get_closed_form_lr(self) -> List[float]:
        f = self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor)
        return [b * f for b in self.base_lrs]


class MultiplicativeLR(LRScheduler):
    """Each epoch multiplies the lr by ``lr_lambda(epoch)`` (one function, or one per parameter group).

    Example:
        >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
        >>> sched = MultiplicativeLR(opt, lambda epoch: 0.5); lrs = []
        >>> for _ in range(3):
        ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [0.5, 0.25, 0.125]
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Union[Callable[[int], float], Sequence[Callable]],
                 last_epoch: int = -1) -> None:
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        if self.last_epoch > 0:
            return [lr * f(self.last_epoch) for f, lr in zip(self.lr_lambdas, self._groups_lr())]
        return self._groups_lr()

    # torch's rule for saving the lambdas: functions are dropped, callable objects keep their ``__dict__``
    state_dict = LambdaLR.state_dict
    load_state_dict = LambdaLR.load_state_dict


class PolynomialLR(LRScheduler):
    """``lr = base_lr * (1 - min(epoch, total_iters) / total_iters) ** power`` (torch's recursive form).

    Example:
        >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
        >>> sched = PolynomialLR(opt, total_iters=4, power=1.0); lrs = []
        >>> for _ in range(5):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 4))
        >>> lrs
        [0.75, 0.5, 0.25, 0.0, 0.0]
    """

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1) -> None:
        self.total_iters = _positive_int("total_iters", total_iters)
        if isinstance(power, bool) or not isinstance(power, numbers.Real):
            raise TypeError(f"power: expected a number, got {type(power).__name__}")
        if not power >= 0:  # a negative power divides by zero at the last step (0 ** -p)
            raise ValueError(f"power: expected a number >= 0, got {power}")
        self.power = float(power)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        e, n = self.last_epoch, self.total_iters
        if e == 0 or e > n:
            return self._groups_lr()
        f = ((1.0 - e / n) / (1.0 - (e - 1) / n)) ** self.power
        return [lr * f for lr in self._groups_lr()]

    def _get_closed_form_lr(self) -> List[float]:
        return [b * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
                for b in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR (Loshchilov & Hutter 2016): ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2``,
    restarting at ``T_cur = T_i``, each period ``T_mult`` times the last. ``step(epoch)`` takes fractional
    epochs (``step(epoch + i / iters)`` per batch), as torch's.

    Example:
        >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
        >>> sched = CosineAnnealingWarmRestarts(opt, T_0=2); lrs = []
        >>> for _ in range(4):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 4))
        >>> lrs
        [0.5, 1.0, 0.5, 1.0]
    """

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        self.T_0 = _positive_int("T_0", T_0)
        self.T_mult = _positive_int("T_mult", T_mult)
        if isinstance(eta_min, bool) or not isinstance(eta_min, numbers.Real):
            raise ValueError(f"eta_min: expected a number, got {eta_min!r}")
        self.T_i = self.T_0
        self.eta_min = float(eta_min)
        self.T_cur: float = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        c = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [self.eta_min + (b - self.eta_min) * c for b in self.base_lrs]

    def step(self, epoch: Optional[float] = None) -> None:  # type: ignore[override]
        """Advance one epoch, or jump to ``epoch`` (a float: a fraction of the way through an epoch).

        Example:
            >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
            >>> sched = CosineAnnealingWarmRestarts(opt, T_0=4)
            >>> sched.step(2.0); round(sched.get_last_lr()[0], 4)
            0.5
        """
        self._step_count += 1
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if isinstance(epoch, bool) or not isinstance(epoch, numbers.Real):
                raise TypeError(f"epoch: expected a number, got {type(epoch).__name__}")
            if epoch < 0:
                raise ValueError(f"epoch: expected a non-negative value, got {epoch}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        for g, lr in zip(self.optimizer.param_groups, self.get_lr()):
            g["lr"] = lr
        self._last_lr = self._groups_lr()


class CyclicLR(LRScheduler):
    """Cyclical learning rates (Smith 2017), torch's CyclicLR: the lr goes from ``base_lr`` up to ``max_lr`` in
    ``step_size_up`` steps and back in ``step_size_down``; ``mode`` 'triangular', 'triangular2' (amplitude halves
    each cycle) or 'exp_range' (scaled by ``gamma ** step``), or a custom ``scale_fn``; momentum (SGD's
    ``momentum`` or Adam's beta1) cycles the opposite way. Call ``step()`` after every batch.

    Example:
        >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0, momentum=0.9)
        >>> sched = CyclicLR(opt, base_lr=0.1, max_lr=0.5, step_size_up=2); lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(4):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 4))
        >>> lrs
        [0.1, 0.3, 0.5, 0.3, 0.1]
    """

    def __init__(self, optimizer: Optimizer, base_lr: Union[float, Sequence[float]],
                 max_lr: Union[float, Sequence[float]], step_size_up: int = 2000, step_size_down: Optional[int] = None,
                 mode: str = "triangular", gamma: float = 1.0, scale_fn: Optional[Callable[[float], float]] = None,
                 scale_mode: str = "cycle", cycle_momentum: bool = True, base_momentum: float = 0.8,
                 max_momentum: float = 0.9, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer: expected an nnengine.optim.Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        base_lrs = _per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, g in zip(base_lrs, optimizer.param_groups):
                g["lr"] = lr
        self.max_lrs = _per_group("max_lr", optimizer, max_lr)
        up = float(_positive_int("step_size_up", step_size_up))
        down = float(_positive_int("step_size_down", step_size_down)) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(f"mode: expected 'triangular', 'triangular2' or 'exp_range' (or a scale_fn), got {mode!r}")
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"scale_fn: expected a callable, got {type(scale_fn).__name__}")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"scale_mode: expected 'cycle' or 'iterations', got {scale_mode!r}")
        self.mode, self.gamma = mode, _nonneg("gamma", gamma)
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._init_scale_fn()
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(f"cycle_momentum: {type(optimizer).__name__} has no momentum or betas; pass "
                                 "cycle_momentum=False")
            self.use_beta1 = "betas" in optimizer.defaults
            self.base_momentums = _per_group("base_momentum", optimizer, base_momentum)
            self.max_momentums = _per_group("max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                for m, b, g in zip(self.max_momentums, self.base_momentums, optimizer.param_groups):
                    if self.use_beta1:
                        g["betas"] = (m, *g["betas"][1:])
                    else:
                        g["momentum"] = m
                    g["max_momentum"], g["base_momentum"] = m, b
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self) -> None:
        if self._scale_fn_custom is None and self.mode in ("triangular", "triangular2"):
            self.scale_mode = "cycle"
        elif self._scale_fn_custom is None:
            self.scale_mode = "iterations"

    def scale_fn(self, x: float) -> float:
        """The amplitude scale at cycle (or iteration) ``x``: the custom ``scale_fn``, or the mode's.

        Example:
            >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0, momentum=0.9)
            >>> CyclicLR(opt, 0.1, 1.0, mode="triangular2").scale_fn(3)
            0.25
        """
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma ** x

    def get_lr(self) -> List[float]:
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        scale = x / self.step_ratio if x <= self.step_ratio else (x - 1) / (self.step_ratio - 1)
        s = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [b + (m - b) * scale * s for b, m in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for g, b, m in zip(self.optimizer.param_groups, self.base_momentums, self.max_momentums):
                mom = m - (m - b) * scale * s
                if self.use_beta1:
                    g["betas"] = (mom, *g["betas"][1:])
                else:
                    g["momentum"] = mom
        return lrs

    def state_dict(self) -> Dict[str, Any]:
        """Everything but the optimizer; a custom ``scale_fn`` is kept only as a callable object's ``__dict__``.

        Example:
            >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0, momentum=0.9)
            >>> CyclicLR(opt, 0.1, 1.0).state_dict()["_scale_fn_custom"] is None
            True
        """
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_scale_fn_custom")}
        fn = self._scale_fn_custom
        state["_scale_fn_custom"] = None if fn is None or isinstance(fn, types.FunctionType) else dict(fn.__dict__)
        return state

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        state = dict(state_dict)
        fn = state.pop("_scale_fn_custom", None)
        self.__dict__.update(state)
        if fn is not None and self._scale_fn_custom is not None:
            self._scale_fn_custom.__dict__.update(fn)
        self._init_scale_fn()


def _check_members(owner: str, optimizer: Optimizer, schedulers: Sequence[Any]) -> None:
    if len(schedulers) < 1:
        raise ValueError(f"schedulers: {owner} expects at least one scheduler, got none")
    for i, s in enumerate(schedulers):
        if not hasattr(s, "optimizer"):
            raise TypeError(f"schedulers[{i}]: expected a scheduler (with an `optimizer`), got {type(s).__name__}")
        if isinstance(s, ReduceLROnPlateau):
            raise ValueError(f"schedulers[{i}]: {owner} does not support ReduceLROnPlateau (its step() needs the "
                             "metric)")
        if s.optimizer is not optimizer:
            raise ValueError(f"schedulers[{i}]: {owner} expects all schedulers to belong to the same optimizer")


class _Combined(LRScheduler):
    def state_dict(self) -> Dict[str, Any]:
        """Everything but the optimizer, with each member scheduler's own ``state_dict()``.

        Example:
            >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
            >>> s = ChainedScheduler([ConstantLR(opt, 0.5, 2), ExponentialLR(opt, 0.9)])
            >>> [d["last_epoch"] for d in s.state_dict()["_schedulers"]]
            [0, 0]
        """
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        state = dict(state_dict)
        subs = state.pop("_schedulers")
        self.__dict__.update(state)
        for s, d in zip(self._schedulers, subs):
            s.load_state_dict(d)


class SequentialLR(_Combined):
    """Run ``schedulers`` one after another: ``schedulers[i]`` takes over at epoch ``milestones[i - 1]``,
    starting from its own epoch 0 (torch's SequentialLR: warmup then decay).

    Example:
        >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
        >>> warm = LinearLR(opt, start_factor=0.5, total_iters=2)
        >>> decay = ExponentialLR(opt, gamma=0.5)
        >>> sched = SequentialLR(opt, [warm, decay], milestones=[2]); lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(4):
        ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [0.5, 0.75, 1.0, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, schedulers: List[LRScheduler], milestones: List[int],
                 last_epoch: int = -1) -> None:
        _check_members("SequentialLR", optimizer, schedulers)
        milestones = list(milestones)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"milestones: expected {len(schedulers) - 1} (one fewer than the schedulers), got "
                             f"{len(milestones)}")
        self._schedulers = list(schedulers)
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for g in optimizer.param_groups:
            g["lr"] = g["initial_lr"]
        self.recursive_undo()
        idx = bisect_right(self._milestones, 0)
        self._schedulers[idx]._initial_step()
        self._last_lr = self._schedulers[idx].get_last_lr()

    def recursive_undo(self, sched: Any = None) -> None:
        """Undo the construction-time step of every member (nested combinators included), as torch does.

        Example:
            >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
            >>> s = SequentialLR(opt, [ConstantLR(opt, 0.5, 2), ExponentialLR(opt, 0.9)], milestones=[2])
            >>> [m.last_epoch for m in s._schedulers]
            [0, -1]
        """
        scheds = self if sched is None else sched
        if hasattr(scheds, "_schedulers"):
            for s in scheds._schedulers:
                self.recursive_undo(s)
        elif hasattr(scheds, "last_epoch"):
            scheds.last_epoch -= 1

    def step(self) -> None:  # type: ignore[override]
        """Advance one epoch: the scheduler whose turn it is steps (restarting at its epoch 0 on a milestone).

        Example:
            >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
            >>> s = SequentialLR(opt, [ConstantLR(opt, 0.5, 5), ExponentialLR(opt, 0.9)], milestones=[1])
            >>> opt.step(); s.step(); s.get_last_lr()
            [1.0]
        """
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        s = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            s._update_lr(0)
        else:
            s.step()
        self._last_lr = s.get_last_lr()


class ChainedScheduler(_Combined):
    """Step several schedulers of one optimizer together, each applying its change to the lr the others left
    (torch's ChainedScheduler).

    Example:
        >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
        >>> sched = ChainedScheduler([ConstantLR(opt, factor=0.5, total_iters=2), ExponentialLR(opt, gamma=0.5)])
        >>> lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(3):
        ...     opt.step(); sched.step(); lrs.append(sched.get_last_lr()[0])
        >>> lrs
        [0.5, 0.25, 0.25, 0.125]
    """

    def __init__(self, schedulers: Sequence[LRScheduler], optimizer: Optional[Optimizer] = None) -> None:
        if len(schedulers) < 1:
            raise ValueError("schedulers: ChainedScheduler expects at least one scheduler, got none")
        optimizer = optimizer or schedulers[0].optimizer
        _check_members("ChainedScheduler", optimizer, schedulers)
        self._schedulers = list(schedulers)
        self.optimizer = optimizer
        self._last_lr = [g["lr"] for g in optimizer.param_groups]

    def step(self) -> None:  # type: ignore[override]
        """Step every member scheduler, in order.

        Example:
            >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
            >>> s = ChainedScheduler([ExponentialLR(opt, 0.5), ExponentialLR(opt, 0.5)])
            >>> opt.step(); s.step(); s.get_last_lr()
            [0.25]
        """
        for s in self._schedulers:
            s.step()
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]
