"""Stochastic Weight Averaging and EMA of a model's weights, torch.optim.swa_utils' API: ``AveragedModel``,
``SWALR``, ``update_bn`` and the averaging functions (``get_ema_multi_avg_fn``...). Averages are computed in the
parameters' dtype with torch's lerp formula.

Example:
    >>> from nnengine.optim.swa_utils import AveragedModel, SWALR
    >>> model = nn.Linear(3, 1); opt = ne.optim.SGD(model.parameters(), lr=0.1)
    >>> swa = AveragedModel(model); sched = SWALR(opt, swa_lr=0.05)
    >>> for _ in range(3):
    ...     opt.zero_grad(); model(ne.randn(4, 3)).sum().backward(); opt.step(); swa.update_parameters(model); sched.step()
    >>> int(swa.n_averaged)
    3
"""

from __future__ import annotations

import copy
import itertools
import math
from typing import Any, Callable, Iterable, List, Optional, Sequence, Union

import numpy as np

from .._coerce import as_array
from ..autograd import no_grad
from ..nn.module import Module
from ..nn.modules.batchnorm import _BatchNorm
from ..tensor import Tensor
from .lr_scheduler import LRScheduler, _per_group
from .optimizer import Optimizer

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn", "get_ema_avg_fn",
           "get_swa_avg_fn"]

ParamList = Sequence[Tensor]


def _lerp_(a: np.ndarray, b: np.ndarray, w: float) -> None:
    """``a += w * (b - a)`` in place, in ``a``'s dtype, with torch's two-sided lerp formula."""
    wt = a.dtype.type(w)
    if w < 0.5:
        a += wt * (b - a)
    else:
        a[...] = b - (b - a) * a.dtype.type(1 - w)


def _float(a: np.ndarray) -> bool:
    return a.dtype.kind in "fc"


def _check_decay(decay: float) -> float:
    if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0.0 <= decay <= 1.0:
        raise ValueError(f"decay: invalid value {decay!r}, expected a value in [0, 1]")
    return float(decay)


def get_ema_multi_avg_fn(decay: float = 0.999) -> Callable[[ParamList, ParamList, Any], None]:
    """An exponential moving average, ``ema = decay * ema + (1 - decay) * param``, over lists of tensors (in place).

    Example:
        >>> ema = AveragedModel(nn.Linear(2, 1), multi_avg_fn=get_ema_multi_avg_fn(0.9))
        >>> ema.multi_avg_fn is not None
        True
    """
    decay = _check_decay(decay)

    def ema_update(ema_param_list: ParamList, current_param_list: ParamList, _: Any) -> None:
        for e, c in zip(ema_param_list, current_param_list):
            a, b = e.data, as_array(c)
            if _float(a):
                _lerp_(a, b, 1 - decay)
            else:
                a[...] = a * decay + b * (1 - decay)

    return ema_update


def get_swa_multi_avg_fn() -> Callable[[ParamList, ParamList, Any], None]:
    """The running equal-weight average ``avg += (param - avg) / (n + 1)`` over lists of tensors (in place).

    Example:
        >>> swa = AveragedModel(nn.Linear(2, 1), multi_avg_fn=get_swa_multi_avg_fn())
        >>> swa.multi_avg_fn is not None
        True
    """

    def swa_update(averaged_param_list: ParamList, current_param_list: ParamList, num_averaged: Any) -> None:
        n = float(as_array(num_averaged))
        for e, c in zip(averaged_param_list, current_param_list):
            a, b = e.data, as_array(c)
            if _float(a):
                _lerp_(a, b, 1.0 / (n + 1))
            else:
                a[...] = a + (b - a) // int(n + 1)

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> Callable[[Tensor, Tensor, Any], Tensor]:
    """One tensor's EMA update, returned (not in place): ``decay * ema + (1 - decay) * param``.

    Example:
        >>> get_ema_avg_fn(0.5)(ne.tensor([0.0]), ne.tensor([2.0]), 1)
        tensor([1.])
    """
    decay = _check_decay(decay)

    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> Callable[[Tensor, Tensor, Any], Tensor]:
    """One tensor's running-average update, returned: ``avg + (param - avg) / (n + 1)``.

    Example:
        >>> get_swa_avg_fn()(ne.tensor([0.0]), ne.tensor([3.0]), 2)
        tensor([1.])
    """

    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged: Any) -> Tensor:
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (float(as_array(num_averaged)) + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` whose weights are the running average (SWA, default) or any ``avg_fn`` /
    ``multi_avg_fn`` (e.g. EMA) of ``model``'s weights at each ``update_parameters(model)`` call; buffers are
    copied (or averaged too with ``use_buffers=True``). ``state_dict`` keys: ``n_averaged``, ``module.*``.

    Example:
        >>> model = nn.Linear(2, 1)
        >>> swa = AveragedModel(model)
        >>> swa.update_parameters(model); model.weight.data += 2.0; swa.update_parameters(model)
        >>> np.allclose(swa.module.weight.numpy(), model.weight.numpy() - 1.0)
        True
    """

    def __init__(self, model: Module, device: Any = None,
                 avg_fn: Optional[Callable[[Tensor, Tensor, Any], Tensor]] = None,
                 multi_avg_fn: Optional[Callable[[ParamList, ParamList, Any], None]] = None,
                 use_buffers: bool = False) -> None:
        super().__init__()
        if not isinstance(model, Module):
            raise TypeError(f"model: expected an nnengine.nn.Module, got {type(model).__name__}")
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("avg_fn: only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", np.array(0, dtype=np.int64))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = bool(use_buffers)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def _pairs(self, model: Module) -> List[tuple]:
        if self.use_buffers:
            mine = itertools.chain(self.module.parameters(), self.module.buffers())
            theirs = itertools.chain(model.parameters(), model.buffers())
        else:
            mine, theirs = self.module.parameters(), model.parameters()
        return [(a, b) for a, b in zip(mine, theirs) if a is not None and b is not None]

    def update_parameters(self, model: Module) -> None:
        """Fold ``model``'s current weights into the average (the first call copies them).

        Example:
            >>> model = nn.Linear(2, 1); ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.5))
            >>> ema.update_parameters(model); int(ema.n_averaged)
            1
        """
        pairs = self._pairs(model)
        n = int(self.n_averaged)
        theirs = [np.asarray(as_array(b)) for _, b in pairs]
        if n == 0:
            for (a, _), b in zip(pairs, theirs):
                _data(a)[...] = b
        elif self.avg_fn is not None:
            for (a, _), b in zip(pairs, theirs):
                out = self.avg_fn(Tensor(_data(a).copy(), dtype=_data(a).dtype), Tensor(b, dtype=b.dtype),
                                  np.array(n))
                _data(a)[...] = as_array(out)
        else:
            fn = self.multi_avg_fn or get_swa_multi_avg_fn()
            for is_float in (True, False):
                idx = [i for i, b in enumerate(theirs) if _float(_data(pairs[i][0])) == is_float]
                if idx:
                    fn([_as_tensor(pairs[i][0]) for i in idx], [theirs[i] for i in idx], np.array(n))
        if not self.use_buffers:
            for a, b in zip(self.module.buffers(), model.buffers()):
                if a is not None and b is not None:
                    _data(a)[...] = as_array(b)
        self.n_averaged = np.array(n + 1, dtype=np.int64)


def _data(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else x


class _Holder:
    """A buffer (a bare numpy array) seen as a tensor by the averaging functions (``.data``)."""

    def __init__(self, a: np.ndarray) -> None:
        self.data = a


def _as_tensor(x: Any) -> Any:
    return x if isinstance(x, Tensor) else _Holder(x)


def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recompute every BatchNorm's running statistics with one pass over ``loader`` (the cumulative average over
    all its batches, as torch's); a batch that is a list/tuple contributes its first element.

    Example:
        >>> model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
        >>> update_bn([ne.randn(8, 3) for _ in range(2)], model); int(model[1].num_batches_tracked)
        2
    """
    momenta = {}
    for m in model.modules():
        if isinstance(m, _BatchNorm):
            m.reset_running_stats()
            momenta[m] = m.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for m in momenta:
        m.momentum = None
    with no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None and hasattr(batch, "to"):
                batch = batch.to(device)
            model(batch)
    for m, mom in momenta.items():
        m.momentum = mom
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each group's lr to ``swa_lr`` over ``anneal_epochs`` ('cos' or 'linear'), then hold it (torch's
    SWALR, usually started at the SWA phase and stepped once per epoch).

    Example:
        >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
        >>> sched = SWALR(opt, swa_lr=0.1, anneal_epochs=2, anneal_strategy="linear"); lrs = [sched.get_last_lr()[0]]
        >>> for _ in range(3):
        ...     opt.step(); sched.step(); lrs.append(round(sched.get_last_lr()[0], 4))
        >>> lrs
        [1.0, 0.55, 0.1, 0.1]
    """

    def __init__(self, optimizer: Optimizer, swa_lr: Union[float, Sequence[float]], anneal_epochs: int = 10,
                 anneal_strategy: str = "cos", last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer: expected an nnengine.optim.Optimizer, got {type(optimizer).__name__}")
        for lr, g in zip(_per_group("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            g["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy: must be one of 'cos' or 'linear', got {anneal_strategy!r}")
        self._anneal_strategy = anneal_strategy
        if isinstance(anneal_epochs, bool) or not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs: must be an int >= 0, got {anneal_epochs!r}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    def anneal_func(self, t: float) -> float:
        """The annealing fraction at ``t`` in [0, 1]: ``t`` ('linear') or ``(1 - cos(pi t)) / 2`` ('cos').

        Example:
            >>> opt = ne.optim.SGD([nn.Parameter(ne.ones(1))], lr=1.0)
            >>> round(SWALR(opt, 0.1).anneal_func(0.5), 4)
            0.5
        """
        return t if self._anneal_strategy == "linear" else (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        return swa_lr if alpha == 1 else (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self) -> List[float]:
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        prev = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in self.optimizer.param_groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(self.optimizer.param_groups, prev)]
