"""Callbacks for ``nnengine.train.fit`` (Keras' names): early stopping, checkpoints, NaN guard, LR schedules.

Example:
    >>> x = ne.randn(64, 4).numpy(); y = (x[:, 0] > 0).astype(np.int64)
    >>> model = nn.Linear(4, 2); opt = ne.optim.SGD(model.parameters(), lr=0.1)
    >>> es = EarlyStopping("val_loss", patience=3, restore_best_weights=True)
    >>> ck = ModelCheckpoint("best.safetensors", monitor="val_accuracy", save_best_only=True)
    >>> from nnengine.train import fit; h = fit(model, "cross_entropy", opt, (x, y), validation=(x, y), epochs=3, verbose=0, callbacks=[es, ck])
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from typing import Any, Callable, Dict, Optional

import numpy as np

_log = logging.getLogger(__name__)

__all__ = ["Callback", "EarlyStopping", "ModelCheckpoint", "TerminateOnNaN", "LearningRateScheduler",
           "BackupAndRestore"]


class Callback:
    """Hooks called by ``fit``; ``self.trainer`` gives ``model``, ``optimizer``, ``scheduler``, ``history``,
    ``initial_epoch`` and a ``stop_training`` flag a callback may set.

    Example:
        >>> class Count(Callback):
        ...     def on_train_begin(self, logs):
        ...         self.epochs = 0
        ...
        ...     def on_epoch_end(self, epoch, logs):
        ...         self.epochs += 1
        >>> from nnengine.train import fit
        >>> x = ne.randn(64, 4).numpy(); y = (x[:, 0] > 0).astype(np.int64)
        >>> model = nn.Linear(4, 2); opt = ne.optim.SGD(model.parameters(), lr=0.1)
        >>> cb = Count(); _ = fit(model, "cross_entropy", opt, (x, y), epochs=2, verbose=0, callbacks=[cb]); cb.epochs
        2
    """

    trainer: Any = None

    def on_train_begin(self, logs: Dict[str, float]) -> None:
        """Called once before the first epoch (``logs`` is empty).

        Example:
            >>> Callback().on_train_begin({})
        """
        pass

    def on_epoch_begin(self, epoch: int, logs: Dict[str, float]) -> None:
        """Called at the start of each epoch (0-based).

        Example:
            >>> Callback().on_epoch_begin(0, {})
        """
        pass

    def on_batch_end(self, batch: int, logs: Dict[str, float]) -> None:
        """Called after each training batch with ``{"loss": batch loss}``.

        Example:
            >>> Callback().on_batch_end(0, {"loss": 0.5})
        """
        pass

    def on_epoch_end(self, epoch: int, logs: Dict[str, float]) -> None:
        """Called after each epoch with its logs (``loss``, metrics, ``val_*``, ``lr``).

        Example:
            >>> Callback().on_epoch_end(0, {"loss": 0.5})
        """
        pass

    def on_train_end(self, logs: Dict[str, float]) -> None:
        """Called once after the last epoch with the last epoch's logs.

        Example:
            >>> Callback().on_train_end({"loss": 0.1})
        """
        pass


def _writes(cb: Callback) -> bool:
    """Whether this process writes files: always, except on ranks > 0 of a distributed ``fit``."""
    return getattr(cb.trainer, "rank", 0) == 0


class _Monitor(Callback):
    def __init__(self, monitor: str, mode: str, min_delta: float = 0.0) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode: expected 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            mode = "max" if ("acc" in monitor or monitor.endswith("auc")) else "min"
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(float(min_delta))
        self.best = math.inf if mode == "min" else -math.inf

    def _value(self, logs: Dict[str, float]) -> Optional[float]:
        if self.monitor not in logs:
            warnings.warn(f"{type(self).__name__}: '{self.monitor}' is not in the logs ({sorted(logs)}); "
                          "pass validation= to fit or choose another monitor", UserWarning, stacklevel=2)
            return None
        return float(logs[self.monitor])

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(_Monitor):
    """Stop when ``monitor`` has not improved for ``patience`` epochs; optionally restore the best weights
    (at the end of training, whether it stopped early or not).

    Example:
        >>> from nnengine.train import fit
        >>> x = ne.randn(64, 4).numpy(); y = (x[:, 0] > 0).astype(np.int64)
        >>> model = nn.Linear(4, 2); opt = ne.optim.SGD(model.parameters(), lr=0.1)
        >>> es = EarlyStopping(monitor="loss", patience=1, min_delta=10.0)  # no epoch improves by 10
        >>> hist = fit(model, "cross_entropy", opt, (x, y), epochs=20, verbose=0, callbacks=[es]); len(hist.epoch)
        3
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 0, min_delta: float = 0.0, mode: str = "auto",
                 restore_best_weights: bool = False) -> None:
        super().__init__(monitor, mode, min_delta)
        if patience < 0:
            raise ValueError(f"patience: expected >= 0, got {patience}")
        self.patience, self.restore_best_weights = int(patience), bool(restore_best_weights)
        self.wait, self.stopped_epoch, self.best_weights = 0, None, None

    def on_train_begin(self, logs: Dict[str, float]) -> None:
        self.wait, self.stopped_epoch, self.best_weights = 0, None, None
        self.best = math.inf if self.mode == "min" else -math.inf

    def on_epoch_end(self, epoch: int, logs: Dict[str, float]) -> None:
        value = self._value(logs)
        if value is None:
            return
        if self._improved(value):
            self.best, self.wait = value, 0
            if self.restore_best_weights:
                self.best_weights = {k: v.copy() for k, v in self.trainer.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait > self.patience:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True

    def on_train_end(self, logs: Dict[str, float]) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            self.trainer.model.load_state_dict(self.best_weights)


class ModelCheckpoint(_Monitor):
    """Save the model (architecture + weights, ``nnengine.io.save_model``) after each epoch, or only when
    ``monitor`` improves. ``path`` may use ``{epoch}`` and log names, e.g. ``"m-{epoch:02d}-{val_loss:.3f}"``.

    Example:
        >>> from nnengine.train import fit
        >>> x = ne.randn(64, 4).numpy(); y = (x[:, 0] > 0).astype(np.int64)
        >>> model = nn.Linear(4, 2); opt = ne.optim.SGD(model.parameters(), lr=0.1)
        >>> ck = ModelCheckpoint("best.safetensors", monitor="val_loss", save_best_only=True)
        >>> _ = fit(model, "cross_entropy", opt, (x, y), validation=(x, y), epochs=2, verbose=0, callbacks=[ck]); ck.last_saved
        'best.safetensors'
    """

    def __init__(self, path: str, monitor: str = "val_loss", save_best_only: bool = False, mode: str = "auto",
                 save_weights_only: bool = False) -> None:
        super().__init__(monitor, mode)
        self.path, self.save_best_only, self.save_weights_only = os.fspath(path), save_best_only, save_weights_only
        self.last_saved: Optional[str] = None

    def on_epoch_end(self, epoch: int, logs: Dict[str, float]) -> None:
        from .. import io

        if not _writes(self):
            return
        if self.save_best_only:
            value = self._value(logs)
            if value is None or not self._improved(value):
                return
            self.best = value
        path = self.path.format(epoch=epoch + 1, **logs)
        (io.save_weights if self.save_weights_only else io.save_model)(self.trainer.model, path)
        self.last_saved = path


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch loss is NaN or infinite.

    Example:
        >>> from nnengine.train import fit
        >>> x = ne.randn(64, 4).numpy(); y = (x[:, 0] > 0).astype(np.int64)
        >>> model = nn.Linear(4, 2); opt = ne.optim.SGD(model.parameters(), lr=0.1)
        >>> x[0, 0] = np.nan
        >>> hist = fit(model, "cross_entropy", opt, (x, y), epochs=5, verbose=0, callbacks=[TerminateOnNaN()]); len(hist.epoch)
        1
    """

    def on_batch_end(self, batch: int, logs: Dict[str, float]) -> None:
        loss = logs.get("loss")
        if loss is not None and not np.isfinite(loss):
            _log.warning("TerminateOnNaN: batch %d: invalid loss %s, terminating training", batch, loss)
            self.trainer.stop_training = True


class LearningRateScheduler(Callback):
    """Set every param group's lr to ``schedule(epoch, lr)`` at the start of each epoch.

    Example:
        >>> from nnengine.train import fit
        >>> x = ne.randn(64, 4).numpy(); y = (x[:, 0] > 0).astype(np.int64)
        >>> model = nn.Linear(4, 2); opt = ne.optim.SGD(model.parameters(), lr=0.1)
        >>> sched = LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch >= 1 else lr)
        >>> hist = fit(model, "cross_entropy", opt, (x, y), epochs=3, verbose=0, callbacks=[sched]); hist.history["lr"]
        [0.1, 0.05, 0.025]
    """

    def __init__(self, schedule: Callable[[int, float], float]) -> None:
        if not callable(schedule):
            raise TypeError(f"schedule: expected a callable (epoch, lr) -> lr, got {type(schedule).__name__}")
        self.schedule = schedule

    def on_epoch_begin(self, epoch: int, logs: Dict[str, float]) -> None:
        groups = self.trainer.optimizer.param_groups
        lr = float(self.schedule(epoch, float(groups[0]["lr"])))
        for g in groups:
            g["lr"] = lr


class BackupAndRestore(Callback):
    """Write a full checkpoint (``nnengine.io.save_checkpoint``: model, optimizer, scheduler, RNG, history)
    after every epoch; when ``fit`` starts and the file exists, restore it and continue from the next
    epoch, so an interrupted run finishes exactly like an uninterrupted one.

    Example:
        >>> from nnengine.train import fit
        >>> x = ne.randn(64, 4).numpy(); y = (x[:, 0] > 0).astype(np.int64)
        >>> model = nn.Linear(4, 2); opt = ne.optim.SGD(model.parameters(), lr=0.1)
        >>> hist = fit(model, "cross_entropy", opt, (x, y), epochs=2, verbose=0, callbacks=[BackupAndRestore("backup.ckpt")])
        >>> import os; os.path.exists("backup.ckpt")  # a rerun of the same fit resumes after epoch 2
        True
    """

    def __init__(self, path: str, delete_on_end: bool = False) -> None:
        self.path, self.delete_on_end = os.fspath(path), bool(delete_on_end)

    def on_train_begin(self, logs: Dict[str, float]) -> None:
        from .. import io

        if not os.path.exists(self.path):
            return
        t = self.trainer
        info = io.load_checkpoint(self.path, t.model, t.optimizer, t.scheduler)
        t.initial_epoch = info["epoch"]
        extra = info["extra"] or {}
        for k, v in (extra.get("history") or {}).items():
            t.history.history[k] = list(v)
        t.history.epoch = list(range(info["epoch"]))

    def on_epoch_end(self, epoch: int, logs: Dict[str, float]) -> None:
        from .. import io

        if not _writes(self):
            return
        t = self.trainer
        io.save_checkpoint(self.path, t.model, t.optimizer, t.scheduler, epoch=epoch + 1,
                           extra={"history": t.history.history})

    def on_train_end(self, logs: Dict[str, float]) -> None:
        if self.delete_on_end and _writes(self) and os.path.exists(self.path) and not self.trainer.stop_training:
            os.remove(self.path)


class CSVLogger(Callback):
    """Keras' CSVLogger: one row per epoch (``epoch`` and every log, e.g. ``loss, accuracy, val_loss, lr``)
    appended to ``filename``; ``append=True`` continues an existing file (header written once).

    Example:
        >>> from nnengine.train import fit
        >>> x = ne.randn(64, 4).numpy(); y = (x[:, 0] > 0).astype(np.int64)
        >>> model = nn.Linear(4, 2); opt = ne.optim.SGD(model.parameters(), lr=0.1)
        >>> _ = fit(model, "cross_entropy", opt, (x, y), epochs=2, verbose=0, callbacks=[CSVLogger("training.csv")])
        >>> open("training.csv").read().splitlines()[0]
        'epoch,loss,accuracy,lr'
    """

    def __init__(self, filename: str, separator: str = ",", append: bool = False) -> None:
        self.filename, self.sep, self.append = str(filename), separator, bool(append)
        self._keys: Optional[list] = None
        self._file: Any = None

    def on_train_begin(self, logs: Dict[str, float]) -> None:
        if getattr(getattr(self, "trainer", None), "rank", 0) != 0:  # ranks > 0 of a distributed fit: silent
            return
        exists = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self._keys = None
        if exists:
            with open(self.filename) as f:
                self._keys = f.readline().strip().split(self.sep)[1:] or None
        self._file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115

    def on_epoch_end(self, epoch: int, logs: Dict[str, float]) -> None:
        if self._file is None:
            return
        if self._keys is None:
            self._keys = list(logs)
            self._file.write(self.sep.join(["epoch"] + self._keys) + "\n")
        row = [str(epoch)] + [repr(float(logs[k])) if k in logs else "NA" for k in self._keys]
        self._file.write(self.sep.join(row) + "\n")
        self._file.flush()

    def on_train_end(self, logs: Dict[str, float]) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
