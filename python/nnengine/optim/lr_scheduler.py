"""Learning-rate schedules with torch.optim.lr_scheduler's semantics (``last_epoch``, chained updates,
``get_last_lr()``, ``state_dict()``), ``OneCycleLR``, plus ``InverseTimeLR`` (1/t decay) and ``LinearWarmup``.

Constructing a scheduler performs its first ``step()`` (``last_epoch`` becomes 0) and records each
group's ``initial_lr``, exactly as in PyTorch; call ``scheduler.step()`` after ``optimizer.step()``.

Example:
    >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
    >>> sched = CosineAnnealingLR(opt, T_max=4); lrs = []
    >>> for _ in range(4):
    ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 4))
    >>> lrs
    [0.8536, 0.5, 0.1464, 0.0]
"""

from __future__ import annotations

import math
import numbers
import warnings
from bisect import bisect_right
from collections import Counter
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from .optimizer import Optimizer


def _positive_int(name: str, v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
        raise ValueError(f"{name}: expected an integer >= 1, got {v!r}")
    return int(v)


def _nonneg(name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) or v < 0:
        raise ValueError(f"{name}: expected a finite number >= 0, got {v!r}")
    return float(v)


def _per_group(name: str, optimizer: Optimizer, v: Any) -> List[float]:
    """One float per parameter group: a list/tuple of that length, or one value for every group."""
    n = len(optimizer.param_groups)
    vals = list(v) if isinstance(v, (list, tuple)) else [v] * n
    if len(vals) != n:
        raise ValueError(f"{name}: expected {n} values (one per parameter group), got {len(vals)}")
    for x in vals:
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"{name}: expected numbers, got {v!r}")
    return [float(x) for x in vals]


def _lambdas(optimizer: Optimizer, lr_lambda: Any) -> List[Callable[[int], float]]:
    """One callable per parameter group: a list/tuple of that length, or one for every group."""
    n = len(optimizer.param_groups)
    if isinstance(lr_lambda, (list, tuple)):
        if len(lr_lambda) != n:
            raise ValueError(f"lr_lambda: expected {n} functions (one per parameter group), got {len(lr_lambda)}")
        fns = list(lr_lambda)
    else:
        fns = [lr_lambda] * n
    for f in fns:
        if not callable(f):
            raise TypeError(f"lr_lambda: expected a callable, got {type(f).__name__}")
    return fns


class LRScheduler:
    """Base class: subclasses implement ``get_lr()`` (the chained form, from the groups' current lr)
    and optionally ``_get_closed_form_lr()`` (used by the deprecated ``step(epoch)``).

    Example:
        >>> class Halve(LRScheduler):
        ...     def get_lr(self):
        ...         return [g["lr"] * 0.5 for g in self.optimizer.param_groups]
        >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
        >>> sched = Halve(opt); lrs = []
        >>> for _ in range(3):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 4))
        >>> lrs
        [0.25, 0.125, 0.0625]
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer: expected an nnengine.optim.Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        if last_epoch == -1:
            for g in optimizer.param_groups:
                g.setdefault("initial_lr", g["lr"])
        else:
            for i, g in enumerate(optimizer.param_groups):
                if "initial_lr" not in g:
                    raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] when resuming an "
                                   "optimizer")
        self.base_lrs: List[float] = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """The construction-time step (``SequentialLR`` replays it when its turn comes), as torch's."""
        self._step_count = 0
        self.step()

    def get_lr(self) -> List[float]:  # pragma: no cover - abstract
        """The learning rates of the next step (the chained form; subclasses implement it).

        Example:
            >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
            >>> ExponentialLR(opt, gamma=0.5).get_lr()
            [1.0]
        """
        raise NotImplementedError

    def get_last_lr(self) -> List[float]:
        """The learning rates the last ``step()`` set, one per parameter group.

        Example:
            >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
            >>> sched = StepLR(opt, step_size=1, gamma=0.5); lrs = []
            >>> for _ in range(2):
            ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 4))
            >>> lrs
            [0.5, 0.25]
        """
        return self._last_lr

    def step(self, epoch: Optional[int] = None) -> None:
        """Advance one epoch (or step) and set every group's lr.

        Example:
            >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
            >>> sched = StepLR(opt, step_size=2, gamma=0.1)
            >>> opt.step(); sched.step(); opt.step(); sched.step(); round(opt.param_groups[0]["lr"], 4)
            0.1
        """
        self._step_count += 1
        if epoch is not None:
            warnings.warn("step(epoch) is deprecated (as in PyTorch): call step() once per epoch",
                          UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: Optional[int] = None) -> None:
        """Set the groups' lr for the next epoch, or for ``epoch`` by the closed form where there is one
        (torch's ``_update_lr``: ``SequentialLR`` calls it with 0 at a milestone)."""
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = int(epoch)
            closed = getattr(self, "_get_closed_form_lr", None)
            values = closed() if closed is not None else self.get_lr()
        for g, lr in zip(self.optimizer.param_groups, values):
            g["lr"] = lr
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

    def _groups_lr(self) -> List[float]:
        return [g["lr"] for g in self.optimizer.param_groups]

    def state_dict(self) -> Dict[str, Any]:
        """Everything but the optimizer (restore with ``load_state_dict``).

        Example:
            >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
            >>> sd = StepLR(opt, step_size=2).state_dict(); sd["step_size"], sd["last_epoch"]
            (2, 0)
        """
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned.

        Example:
            >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
            >>> a = StepLR(opt, step_size=2); opt.step(); a.step()
            >>> b = StepLR(opt, step_size=5); b.load_state_dict(a.state_dict()); b.step_size, b.last_epoch
            (2, 1)
        """
        self.__dict__.update(state_dict)


_LRScheduler = LRScheduler


class StepLR(LRScheduler):
    """``lr = base_lr * gamma ** (epoch // step_size)``.

    Example:
        >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
        >>> sched = StepLR(opt, step_size=2, gamma=0.5); lrs = []
        >>> for _ in range(4):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 4))
        >>> lrs
        [1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        self.step_size = _positive_int("step_size", step_size)
        self.gamma = _nonneg("gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._groups_lr()
        return [lr * self.gamma for lr in self._groups_lr()]

    def _get_closed_form_lr(self) -> List[float]:
        return [b * self.gamma ** (self.last_epoch // self.step_size) for b in self.base_lrs]


class MultiStepLR(LRScheduler):
    """``lr = base_lr * gamma ** (number of milestones <= epoch)``.

    Example:
        >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
        >>> sched = MultiStepLR(opt, milestones=[1, 3], gamma=0.1); lrs = []
        >>> for _ in range(4):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 4))
        >>> lrs
        [0.1, 0.1, 0.01, 0.01]
    """

    def __init__(self, optimizer: Optimizer, milestones: Sequence[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.milestones = Counter(int(m) for m in milestones)
        self.gamma = _nonneg("gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        if self.last_epoch not in self.milestones:
            return self._groups_lr()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._groups_lr()]

    def _get_closed_form_lr(self) -> List[float]:
        ms = sorted(self.milestones.elements())
        return [b * self.gamma ** bisect_right(ms, self.last_epoch) for b in self.base_lrs]


class ExponentialLR(LRScheduler):
    """``lr = base_lr * gamma ** epoch``.

    Example:
        >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
        >>> sched = ExponentialLR(opt, gamma=0.5); lrs = []
        >>> for _ in range(4):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 4))
        >>> lrs
        [0.5, 0.25, 0.125, 0.0625]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _nonneg("gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        if self.last_epoch == 0:
            return self._groups_lr()
        return [lr * self.gamma for lr in self._groups_lr()]

    def _get_closed_form_lr(self) -> List[float]:
        return [b * self.gamma ** self.last_epoch for b in self.base_lrs]


class InverseTimeLR(LRScheduler):
    """Inverse-time (1/t) decay: ``lr = base_lr / (1 + decay_rate * t / decay_steps)``, with ``t`` the
    epoch (``staircase=True`` uses ``floor(t / decay_steps)``, Keras' InverseTimeDecay).

    Example:
        >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
        >>> sched = InverseTimeLR(opt, decay_rate=1.0); lrs = []
        >>> for _ in range(4):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 4))
        >>> lrs
        [0.5, 0.3333, 0.25, 0.2]
    """

    def __init__(self, optimizer: Optimizer, decay_rate: float, decay_steps: int = 1, staircase: bool = False,
                 last_epoch: int = -1) -> None:
        self.decay_rate = _nonneg("decay_rate", decay_rate)
        self.decay_steps = _positive_int("decay_steps", decay_steps)
        self.staircase = bool(staircase)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        return self._get_closed_form_lr()

    def _get_closed_form_lr(self) -> List[float]:
        t = self.last_epoch / self.decay_steps
        if self.staircase:
            t = math.floor(t)
        return [b / (1.0 + self.decay_rate * t) for b in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2`` (PyTorch's recursive
    form, which keeps following the cosine after T_max).

    Example:
        >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
        >>> sched = CosineAnnealingLR(opt, T_max=4, eta_min=0.0); lrs = []
        >>> for _ in range(4):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 4))
        >>> lrs
        [0.8536, 0.5, 0.1464, 0.0]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        self.T_max = _positive_int("T_max", T_max)
        self.eta_min = _nonneg("eta_min", eta_min)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        e, T, lo = self.last_epoch, self.T_max, self.eta_min
        if e == 0:
            return self._groups_lr()
        if self._step_count == 1 and e > 0:
            return [lo + (b - lo) * (1 + math.cos(e * math.pi / T)) / 2 for b in self.base_lrs]
        if (e - 1 - T) % (2 * T) == 0:
            return [lr + (b - lo) * (1 - math.cos(math.pi / T)) / 2
                    for lr, b in zip(self._groups_lr(), self.base_lrs)]
        return [(1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T)) * (lr - lo) + lo
                for lr in self._groups_lr()]

    def _get_closed_form_lr(self) -> List[float]:
        return [self.eta_min + (b - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for b in self.base_lrs]


class LambdaLR(LRScheduler):
    """``lr = base_lr * lr_lambda(epoch)``; one function, or one per parameter group.

    Example:
        >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
        >>> sched = LambdaLR(opt, lambda epoch: 1 / (epoch + 1)); lrs = []
        >>> for _ in range(4):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 4))
        >>> lrs
        [0.5, 0.3333, 0.25, 0.2]
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Union[Callable[[int], float], Sequence[Callable]],
                 last_epoch: int = -1) -> None:
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        return [b * f(self.last_epoch) for f, b in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self) -> Dict[str, Any]:
        """Functions are not saved (as in PyTorch); callable objects' ``__dict__`` is.

        Example:
            >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
            >>> class Decay:
            ...     def __init__(self):
            ...         self.rate = 0.9
            ...
            ...     def __call__(self, epoch):
            ...         return self.rate ** epoch
            >>> LambdaLR(opt, Decay()).state_dict()["lr_lambdas"]
            [{'rate': 0.9}]
        """
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(f, type(lambda: 0)) else dict(f.__dict__) for f in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        state = dict(state_dict)
        lambdas = state.pop("lr_lambdas", [])
        self.__dict__.update(state)
        for f, saved in zip(self.lr_lambdas, lambdas):
            if saved is not None:
                f.__dict__.update(saved)


class LinearLR(LRScheduler):
    """PyTorch's LinearLR: the factor goes linearly from ``start_factor`` to ``end_factor`` over
    ``total_iters`` epochs.

    Example:
        >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
        >>> sched = LinearLR(opt, start_factor=0.25, total_iters=3); lrs = []
        >>> for _ in range(4):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 4))
        >>> lrs
        [0.5, 0.75, 1.0, 1.0]
    """

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1) -> None:
        if not 0 < start_factor <= 1:
            raise ValueError(f"start_factor: expected a number in (0, 1], got {start_factor!r}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"end_factor: expected a number in [0, 1], got {end_factor!r}")
        self.start_factor, self.end_factor = float(start_factor), float(end_factor)
        self.total_iters = _positive_int("total_iters", total_iters)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        s, e, n, t = self.start_factor, self.end_factor, self.total_iters, self.last_epoch
        if t == 0:
            return [lr * s for lr in self._groups_lr()]
        if t > n:
            return self._groups_lr()
        return [lr * (1.0 + (e - s) / (n * s + (t - 1) * (e - s))) for lr in self._groups_lr()]

    def _get_closed_form_lr(self) -> List[float]:
        s, e, n = self.start_factor, self.end_factor, self.total_iters
        return [b * (s + (e - s) * min(n, self.last_epoch) / n) for b in self.base_lrs]


class LinearWarmup(LRScheduler):
    """Linear warmup: ``lr = base_lr * (start_factor + (1 - start_factor) * t / warmup_steps)`` for
    ``t < warmup_steps``, then ``base_lr``, or, if ``after`` is given (a scheduler built on the same
    optimizer before this one), whatever ``after`` sets: it starts at its epoch 0 at ``t = warmup_steps``.

    Example:
        >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
        >>> sched = LinearWarmup(opt, warmup_steps=2, after=CosineAnnealingLR(opt, T_max=2)); lrs = []
        >>> for _ in range(4):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 4))
        >>> lrs
        [0.5, 1.0, 0.5, 0.0]
    """

    def __init__(self, optimizer: Optimizer, warmup_steps: int, start_factor: float = 0.0,
                 after: Optional[LRScheduler] = None, last_epoch: int = -1) -> None:
        self.warmup_steps = _positive_int("warmup_steps", warmup_steps)
        if not 0 <= start_factor <= 1:
            raise ValueError(f"start_factor: expected a number in [0, 1], got {start_factor!r}")
        self.start_factor = float(start_factor)
        if after is not None and getattr(after, "optimizer", None) is not optimizer:
            raise ValueError("after: expected a scheduler of the same optimizer")
        self.after = after
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> List[float]:
        t, w = self.last_epoch, self.warmup_steps
        if t < w:
            f = self.start_factor + (1.0 - self.start_factor) * t / w
            return [b * f for b in self.base_lrs]
        if self.after is None:
            return list(self.base_lrs)
        if t == w:
            return list(self.after.get_last_lr())
        self.after.step()
        return list(self.after.get_last_lr())

    def state_dict(self) -> Dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "after")}
        state["after"] = None if self.after is None else self.after.state_dict()
        return state

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        state = dict(state_dict)
        after = state.pop("after", None)
        self.__dict__.update(state)
        if after is not None and self.after is not None:
            self.after.load_state_dict(after)


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin 2017) with torch's exact schedule: the lr rises from ``max_lr /
    div_factor`` to ``max_lr`` over the first ``pct_start`` of ``total_steps`` (or ``epochs *
    steps_per_epoch``), then anneals to ``initial_lr / final_div_factor`` (``three_phase``: back to the initial
    lr first, then down), by cosine or linear interpolation; momentum (SGD's ``momentum`` or Adam's beta1) cycles
    the opposite way between ``max_momentum`` and ``base_momentum``. Call ``step()`` after every batch.

    Example:
        >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=0.1, momentum=0.9)
        >>> sched = OneCycleLR(opt, max_lr=1.0, total_steps=4, anneal_strategy="linear", pct_start=0.5)
        >>> lrs = [round(sched.get_last_lr()[0], 4)]
        >>> for _ in range(3):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 4))
        >>> lrs, round(opt.param_groups[0]["momentum"], 4)
        ([0.04, 1.0, 0.5, 0.0], 0.95)
    """

    def __init__(self, optimizer: Optimizer, max_lr: Union[float, Sequence[float]], total_steps: Optional[int] = None,
                 epochs: Optional[int] = None, steps_per_epoch: Optional[int] = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: Union[float, Sequence[float]] = 0.85,
                 max_momentum: Union[float, Sequence[float]] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer: expected an nnengine.optim.Optimizer, got {type(optimizer).__name__}")
        if total_steps is not None:
            self.total_steps = _positive_int("total_steps", total_steps)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = _positive_int("epochs", epochs) * _positive_int("steps_per_epoch", steps_per_epoch)
        else:
            raise ValueError("total_steps: you must define either total_steps OR (epochs AND steps_per_epoch), got "
                             f"total_steps={total_steps!r}, epochs={epochs!r}, steps_per_epoch={steps_per_epoch!r}")
        if isinstance(pct_start, bool) or not isinstance(pct_start, numbers.Real) or not 0 <= pct_start <= 1:
            raise ValueError(f"pct_start: expected a float between 0 and 1, got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy: expected 'cos' or 'linear', got {anneal_strategy!r}")
        div_factor, final_div_factor = float(div_factor), float(final_div_factor)
        for name, v in (("div_factor", div_factor), ("final_div_factor", final_div_factor)):
            if not (math.isfinite(v) and v > 0):
                raise ValueError(f"{name}: expected a finite number > 0, got {v!r}")
        pct, n = float(pct_start), self.total_steps
        first = {"end_step": pct * n - 1, "start_lr": "initial_lr", "end_lr": "max_lr",
                 "start_momentum": "max_momentum", "end_momentum": "base_momentum"}
        if three_phase:
            self._schedule_phases = [
                first,
                {"end_step": 2 * pct * n - 2, "start_lr": "max_lr", "end_lr": "initial_lr",
                 "start_momentum": "base_momentum", "end_momentum": "max_momentum"},
                {"end_step": n - 1, "start_lr": "initial_lr", "end_lr": "min_lr",
                 "start_momentum": "max_momentum", "end_momentum": "max_momentum"}]
        else:
            self._schedule_phases = [
                first,
                {"end_step": n - 1, "start_lr": "max_lr", "end_lr": "min_lr",
                 "start_momentum": "base_momentum", "end_momentum": "max_momentum"}]
        self._anneal_func_type = anneal_strategy
        self.optimizer = optimizer
        max_lrs = _per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for m, g in zip(max_lrs, optimizer.param_groups):
                g["initial_lr"] = m / div_factor
                g["max_lr"] = m
                g["min_lr"] = g["initial_lr"] / final_div_factor
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(f"cycle_momentum: {type(optimizer).__name__} has no momentum or betas; pass "
                                 "cycle_momentum=False")
            self.use_beta1 = "betas" in optimizer.defaults
            maxs = _per_group("max_momentum", optimizer, max_momentum)
            bases = _per_group("base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for m, b, g in zip(maxs, bases, optimizer.param_groups):
                    if self.use_beta1:
                        g["betas"] = (m, *g["betas"][1:])
                    else:
                        g["momentum"] = m
                    g["max_momentum"], g["base_momentum"] = m, b
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> List[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"Tried to step {step} times. The specified number of total steps is {self.total_steps}")
        lrs = []
        last = len(self._schedule_phases) - 1
        for g in self.optimizer.param_groups:
            start = 0.0
            for i, ph in enumerate(self._schedule_phases):
                end = ph["end_step"]
                if step <= end or i == last:
                    pct = (step - start) / (end - start)
                    lrs.append(self._anneal(g[ph["start_lr"]], g[ph["end_lr"]], pct))
                    if self.cycle_momentum:
                        mom = self._anneal(g[ph["start_momentum"]], g[ph["end_momentum"]], pct)
                        if self.use_beta1:
                            g["betas"] = (mom, *g["betas"][1:])
                        else:
                            g["momentum"] = mom
                    break
                start = end
        return lrs


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by ``factor`` when ``step(metric)`` has not improved for ``patience`` epochs
    (PyTorch's semantics: threshold modes 'rel'/'abs', cooldown, min_lr, eps).

    Example:
        >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
        >>> sched = ReduceLROnPlateau(opt, factor=0.5, patience=1)
        >>> for loss in [1.0, 0.9, 0.9, 0.9, 0.9]:
        ...     sched.step(loss)
        >>> opt.param_groups[0]["lr"]
        0.5
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: Union[float, Sequence[float]] = 0, eps: float = 1e-8) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer: expected an nnengine.optim.Optimizer, got {type(optimizer).__name__}")
        if not 0 <= factor < 1.0:
            raise ValueError(f"factor: Factor should be < 1.0 (and >= 0), got {factor!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode: mode {mode!r} is unknown! (expected 'min' or 'max')")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode: threshold mode {threshold_mode!r} is unknown! (expected 'rel' or 'abs')")
        self.optimizer = optimizer
        self.min_lrs = _per_group("min_lr", optimizer, min_lr)
        self.factor, self.patience, self.cooldown = float(factor), int(patience), int(cooldown)
        self.threshold, self.threshold_mode, self.mode, self.eps = float(threshold), threshold_mode, mode, float(eps)
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.best = self.mode_worse
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = self._groups_lr()

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min":
            return a < best * (1.0 - self.threshold) if self.threshold_mode == "rel" else a < best - self.threshold
        return a > best * (self.threshold + 1.0) if self.threshold_mode == "rel" else a > best + self.threshold

    def step(self, metrics: Any, epoch: Optional[int] = None) -> None:  # type: ignore[override]
        """Record ``metrics`` (the monitored value) for this epoch and cut the lr after ``patience`` epochs without improvement.

        Example:
            >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
            >>> sched = ReduceLROnPlateau(opt, patience=0)
            >>> sched.step(1.0); sched.step(2.0); opt.param_groups[0]["lr"]
            0.1
        """
        current = float(metrics)
        self.last_epoch = self.last_epoch + 1 if epoch is None else int(epoch)
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for g, lo in zip(self.optimizer.param_groups, self.min_lrs):
                old = float(g["lr"])
                new = max(old * self.factor, lo)
                if old - new > self.eps:
                    g["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._groups_lr()

    @property
    def in_cooldown(self) -> bool:
        """Whether the ``cooldown`` epochs after a cut are still running.

        Example:
            >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
            >>> sched = ReduceLROnPlateau(opt, patience=0, cooldown=2)
            >>> sched.step(1.0); sched.step(2.0); sched.in_cooldown
            True
        """
        return self.cooldown_counter > 0


from ._lr_scheduler_more import (  # noqa: E402  (they subclass LRScheduler, defined above)
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    MultiplicativeLR,
    PolynomialLR,
    SequentialLR,
)

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "InverseTimeLR", "CosineAnnealingLR",
           "LambdaLR", "LinearLR", "LinearWarmup", "OneCycleLR", "ReduceLROnPlateau", "ConstantLR", "MultiplicativeLR",
           "PolynomialLR", "CosineAnnealingWarmRestarts", "CyclicLR", "SequentialLR", "ChainedScheduler"]
