"""Training checkpoints: model, optimizer and scheduler state, the global RNG and the epoch in one file.

The state is a JSON tree in the safetensors metadata whose arrays live in the file as tensors (referenced
by name), so a resumed run continues exactly: ``load_checkpoint`` returns the finished epochs for
``fit(..., initial_epoch=...)``.

Example:
    >>> model = nn.Linear(3, 1); opt = ne.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> save_checkpoint("a.ckpt", model, opt, epoch=4, extra={"note": "warm"})
    >>> load_checkpoint("a.ckpt", nn.Linear(3, 1))
    {'epoch': 4, 'extra': {'note': 'warm'}}
"""

from __future__ import annotations

import json
from typing import Any, Dict, Mapping

import numpy as np

from .. import random as _random
from ..nn.module import Module
from . import _tree
from .model import _ARCH_KEY, _FORMAT_KEY, FORMAT_VERSION, _open, architecture
from .safetensors import _is_int, save_file

__all__ = ["save_checkpoint", "load_checkpoint"]

def _flatten(obj: Any, key: str, tensors: Dict[str, np.ndarray]) -> Any:
    return _tree.encode(obj, key, tensors, _tree.CHECKPOINT)


def _unflatten(obj: Any, tensors: Mapping[str, np.ndarray], where: str) -> Any:
    return _tree.decode(obj, tensors, where, _tree.CHECKPOINT)


_CKPT_KEY = "nnengine.checkpoint"


def save_checkpoint(path: str, model: Module, optimizer: Any = None, scheduler: Any = None, epoch: int = 0,
                    extra: Any = None) -> None:
    """Everything needed to resume training exactly: model, optimizer and scheduler state, the global
    RNG state (init, dropout, shuffling), the number of finished epochs and any JSON-able ``extra``
    (e.g. the History). Written atomically.

    Example:
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> opt = ne.optim.SGD(model.parameters(), lr=0.1)
        >>> save_checkpoint("run.ckpt", model, opt, epoch=5, extra={"best": 0.9})
        >>> load_checkpoint("run.ckpt", model, opt)["epoch"]
        5
    """
    tensors: Dict[str, np.ndarray] = {}
    for k, v in model.state_dict().items():
        tensors[f"model/{k}"] = v
    state = {
        "epoch": int(epoch),
        "rng": _flatten(_random.get_rng_state(), "rng", tensors),
        "optimizer": None if optimizer is None else _flatten(optimizer.state_dict(), "optimizer", tensors),
        "scheduler": None if scheduler is None else _flatten(scheduler.state_dict(), "scheduler", tensors),
        "extra": _flatten(extra, "extra", tensors),
    }
    meta = {_FORMAT_KEY: f"checkpoint/{FORMAT_VERSION}", _CKPT_KEY: json.dumps(state, allow_nan=False)}
    try:
        meta[_ARCH_KEY] = json.dumps(architecture(model), allow_nan=False)
    except ValueError:
        pass  # a user-defined model: the checkpoint still restores into an instance built in code
    save_file(tensors, path, meta)


def load_checkpoint(path: str, model: Module, optimizer: Any = None, scheduler: Any = None,
                    restore_rng: bool = True) -> Dict[str, Any]:
    """Restore a ``save_checkpoint`` file into ``model`` (and optimizer, scheduler, the global RNG).

    Returns ``{"epoch": finished epochs, "extra": ...}``; continue with ``fit(..., initial_epoch=epoch)``.

    Example:
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        >>> opt = ne.optim.Adam(model.parameters())
        >>> save_checkpoint("run.ckpt", model, opt, epoch=2)
        >>> state = load_checkpoint("run.ckpt", model, opt); state["epoch"]
        2
    """
    tensors, state = _open(path, "checkpoint", _CKPT_KEY, "checkpoint")
    if not isinstance(state, dict) or not _is_int(state.get("epoch")):
        raise ValueError(f"{path}: corrupt checkpoint (no epoch)")
    weights = {k[len("model/"):]: v for k, v in tensors.items() if k.startswith("model/")}
    try:
        model.load_state_dict(weights, strict=True)
    except KeyError as e:
        raise ValueError(f"{path}: the checkpoint does not fit the model: {e}") from None
    try:
        return _restore(path, state, tensors, optimizer, scheduler, restore_rng)
    except (TypeError, KeyError, IndexError, AttributeError, ValueError) as e:  # well-formed, wrong contents
        if isinstance(e, ValueError) and str(e).startswith(path):
            raise
        raise ValueError(f"{path}: corrupt checkpoint state ({type(e).__name__}: {e})") from None


def _restore(path: str, state: Dict[str, Any], tensors: Mapping[str, np.ndarray], optimizer: Any, scheduler: Any,
             restore_rng: bool) -> Dict[str, Any]:
    if optimizer is not None:
        if state.get("optimizer") is None:
            raise ValueError(f"{path}: the checkpoint holds no optimizer state")
        optimizer.load_state_dict(_unflatten(state["optimizer"], tensors, path))
    if scheduler is not None:
        if state.get("scheduler") is None:
            raise ValueError(f"{path}: the checkpoint holds no scheduler state")
        scheduler.load_state_dict(_unflatten(state["scheduler"], tensors, path))
    if restore_rng:
        _random.set_rng_state(_unflatten(state["rng"], tensors, path))
    return {"epoch": state["epoch"], "extra": _unflatten(state.get("extra"), tensors, path)}

