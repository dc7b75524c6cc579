"""``fit`` / ``evaluate`` / ``predict``: a Keras-style loop over nnengine's PyTorch-style pieces.

Example:
    >>> from nnengine.train import fit, evaluate
    >>> x = ne.randn(64, 4).numpy(); y = (x[:, 0] > 0).astype(np.int64)
    >>> model = nn.Linear(4, 2); opt = ne.optim.SGD(model.parameters(), lr=0.1)
    >>> hist = fit(model, nn.CrossEntropyLoss(), opt, (x, y), validation=(x, y), epochs=2, batch_size=16, verbose=0)
    >>> len(hist.history["val_accuracy"]), sorted(evaluate(model, nn.CrossEntropyLoss(), (x, y)))
    (2, ['accuracy', 'loss'])
"""

from __future__ import annotations

import io as _pyio
import sys
import time
from types import SimpleNamespace
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .. import nn
from .. import random as _random
from ..autograd import no_grad
from ..data.loader import DataLoader, Dataset, TensorDataset, to_tensor
from ..tensor import Tensor
from .callbacks import Callback

__all__ = ["History", "fit", "evaluate", "predict", "METRICS"]


# ----------------------------------------------------------------------------- metrics
def _labels(pred: np.ndarray, y: np.ndarray, threshold: float) -> Tuple[np.ndarray, np.ndarray]:
    if pred.ndim >= 2 and pred.shape[-1] > 1:
        p = pred.argmax(-1)
        t = y.argmax(-1) if (y.ndim == pred.ndim and y.shape == pred.shape) else y
        return p.reshape(-1), np.asarray(t).reshape(-1)
    p = (pred.reshape(-1) > threshold).astype(np.int64)
    return p, (np.asarray(y).reshape(-1) > 0.5).astype(np.int64)


def accuracy(pred: np.ndarray, y: np.ndarray, threshold: float = 0.0) -> Tuple[float, int]:
    """(correct count, n): argmax over classes, or ``pred > threshold`` for a single output column."""
    p, t = _labels(pred, y, threshold)
    return float(np.sum(p == t)), len(t)


def _mse(pred: np.ndarray, y: np.ndarray, threshold: float = 0.0) -> Tuple[float, int]:
    d = pred.astype(np.float64) - np.asarray(y, np.float64).reshape(pred.shape)
    return float(np.sum(d * d)), d.size


def _mae(pred: np.ndarray, y: np.ndarray, threshold: float = 0.0) -> Tuple[float, int]:
    d = pred.astype(np.float64) - np.asarray(y, np.float64).reshape(pred.shape)
    return float(np.sum(np.abs(d))), d.size


METRICS: Dict[str, Callable[..., Tuple[float, int]]] = {"accuracy": accuracy, "acc": accuracy,
                                                         "mse": _mse, "mae": _mae}


def _metric_fns(metrics: Iterable[Any]) -> List[Tuple[str, Callable, bool]]:
    """[(name, fn, summed)]: built-ins return (sum, count); user callables (pred, y) -> float are averaged
    over batches weighted by batch size."""
    out = []
    for m in metrics or ():
        if isinstance(m, str):
            if m not in METRICS:
                raise ValueError(f"metrics: unknown metric {m!r}; expected one of {sorted(METRICS)} or a callable")
            out.append(("accuracy" if m == "acc" else m, METRICS[m], True))
        elif callable(m):
            out.append((getattr(m, "__name__", "metric"), m, False))
        else:
            raise TypeError(f"metrics: expected names or callables, got {type(m).__name__}")
    return out


_LOSSES = {"cross_entropy": nn.CrossEntropyLoss, "mse": nn.MSELoss, "bce": nn.BCELoss,
           "bce_with_logits": nn.BCEWithLogitsLoss, "nll": nn.NLLLoss, "l1": nn.L1Loss}


def _loss_fn(loss: Any) -> Callable:
    if isinstance(loss, str):
        if loss not in _LOSSES:
            raise ValueError(f"loss: unknown loss {loss!r}; expected one of {sorted(_LOSSES)} or a callable")
        return _LOSSES[loss]()
    if not callable(loss):
        raise TypeError(f"loss: expected a callable (output, target) -> Tensor, got {type(loss).__name__}")
    return loss


# ----------------------------------------------------------------------------- data
def _loader(data: Any, batch_size: int, shuffle: bool, name: str) -> DataLoader:
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, Dataset) or (hasattr(data, "__getitem__") and hasattr(data, "__len__")
                                     and not isinstance(data, (tuple, list, np.ndarray, Tensor))):
        return DataLoader(data, batch_size=batch_size, shuffle=shuffle)
    if isinstance(data, (tuple, list)) and 1 <= len(data) <= 2:
        return DataLoader(TensorDataset(*data), batch_size=batch_size, shuffle=shuffle)
    if isinstance(data, (np.ndarray, Tensor)):
        return DataLoader(TensorDataset(data), batch_size=batch_size, shuffle=shuffle)
    raise TypeError(f"{name}: expected a DataLoader, a Dataset or an (X, y) tuple of arrays, "
                    f"got {type(data).__name__}")


def _fit_tensor(b: Any) -> Tensor:
    """A batch part for fit/evaluate: bool features or labels (a boolean target) as float32, Keras' way."""
    t = to_tensor(b)
    return t.float() if t.dtype == np.bool_ else t


def _split(batch: Any) -> Tuple[Tensor, Optional[Tensor]]:
    if isinstance(batch, (tuple, list)):
        if len(batch) == 1:
            return _fit_tensor(batch[0]), None
        return _fit_tensor(batch[0]), _fit_tensor(batch[1])
    return _fit_tensor(batch), None


def _first(out: Any) -> Tensor:
    while isinstance(out, (tuple, list)):
        out = out[0]
    return out


class _Accumulator:
    def __init__(self, metric_fns: List[Tuple[str, Callable, bool]], threshold: float) -> None:
        self.fns, self.threshold = metric_fns, threshold
        self.loss_sum, self.n = 0.0, 0
        self.sums = {name: [0.0, 0] for name, _, _ in metric_fns}

    def add_step(self, got: Any, n: int) -> float:
        """Record what a custom ``step`` returned for a batch of ``n``: a float loss or a dict of floats with a
        ``"loss"`` entry (its other entries are averaged like the loss); returns the loss."""
        logs = dict(got) if isinstance(got, Mapping) else {"loss": got}
        if "loss" not in logs:
            raise ValueError(f"step: expected a float or a dict with a 'loss' entry, got keys {sorted(logs)}")
        loss = float(logs.pop("loss"))
        self.loss_sum += loss * n
        self.n += n
        for name, v in logs.items():
            acc = self.sums.setdefault(name, [0.0, 0])
            acc[0] += float(v) * n
            acc[1] += n
        return loss

    def add(self, loss: float, out: np.ndarray, y: Optional[np.ndarray]) -> None:
        n = len(out)
        self.loss_sum += loss * n
        self.n += n
        if y is None:
            return
        for name, fn, summed in self.fns:
            if summed:
                s, c = fn(out, y, self.threshold)
            else:
                s, c = float(fn(out, y)) * n, n
            self.sums[name][0] += s
            self.sums[name][1] += c

    def all_reduce(self, comm: Any) -> None:
        """Sum the counts over the ranks of ``comm`` (an mpi4py communicator), so ``logs()`` is global."""
        if comm is None:
            return
        names = list(self.sums)
        local = np.array([self.loss_sum, self.n] + [v for k in names for v in self.sums[k]], np.float64)
        total = np.empty_like(local)
        comm.Allreduce(local, total)
        self.loss_sum, self.n = float(total[0]), int(total[1])
        for j, k in enumerate(names):
            self.sums[k] = [float(total[2 + 2 * j]), int(total[3 + 2 * j])]

    def logs(self, prefix: str = "") -> Dict[str, float]:
        out = {prefix + "loss": self.loss_sum / max(self.n, 1)}
        for name, (s, c) in self.sums.items():
            if c:
                out[prefix + name] = s / c
        return out


def _threshold(loss: Any) -> float:
    return 0.5 if type(loss).__name__ == "BCELoss" else 0.0


# ----------------------------------------------------------------------------- distributed (MPI)
def _world() -> Tuple[int, int, Any]:
    """(rank, world size, communicator or None); joins the MPI group when mpiexec started N > 1 processes."""
    from ..distributed import process_group as pg

    if not pg.is_initialized() and pg.launched_world_size() > 1:
        pg.init_process_group()
    return pg.get_rank(), pg.get_world_size(), pg.comm()


def _shard_train(loader: DataLoader, rank: int, world: int) -> DataLoader:
    """This rank's loader: a DistributedSampler over the dataset and the global batch split over the ranks."""
    from ..data.sampler import DistributedSampler
    from ..distributed import process_group as pg

    sampler = loader._sampler  # the sampler given (``loader.sampler`` also names torch's default one)
    if isinstance(sampler, DistributedSampler):
        return loader  # the user sharded it (torch's convention: batch_size is per rank)
    if sampler is not None:
        raise ValueError("train: under MPI a DataLoader with its own sampler is not sharded automatically; "
                         "give it a DistributedSampler")
    seed = loader.seed
    if seed is None:  # one shuffle seed for all ranks, drawn on rank 0 from nnengine.random
        seed = pg.broadcast_object(int(_random.generator().integers(2**31)) if rank == 0 else None)
    sampler = DistributedSampler(loader.dataset, world, rank, shuffle=loader.shuffle, seed=seed,
                                 drop_last=loader.drop_last)
    return DataLoader(loader.dataset, batch_size=-(-loader.batch_size // world), drop_last=loader.drop_last,
                      sampler=sampler)


def _shard_eval(loader: DataLoader, rank: int, world: int) -> DataLoader:
    """Every world-th sample from ``rank`` on, unpadded: the summed metrics equal one process's exactly."""
    return DataLoader(loader.dataset, batch_size=loader.batch_size, sampler=range(rank, len(loader.dataset), world))


def _sync_from_rank0(trainer: Any, rank: int) -> None:
    """After ``on_train_begin``: every rank takes rank 0's resume point, history and optimizer/scheduler
    state (a BackupAndRestore checkpoint may exist only on rank 0's disk). Weights follow from the DDP
    broadcast."""
    from ..distributed import process_group as pg

    st = None
    if rank == 0:
        restored = trainer.initial_epoch != trainer.requested_epoch or bool(trainer.history.history)
        st = {"restored": restored, "initial_epoch": trainer.initial_epoch}
        if restored:
            st.update(history=trainer.history.history, epoch=trainer.history.epoch,
                      optimizer=getattr(trainer.optimizer, "state_dict", lambda: None)(),
                      scheduler=None if trainer.scheduler is None else trainer.scheduler.state_dict())
    st = pg.broadcast_object(st)
    if rank == 0:
        return
    trainer.initial_epoch = st["initial_epoch"]
    if st["restored"]:
        trainer.history.history = {k: list(v) for k, v in st["history"].items()}
        trainer.history.epoch = list(st["epoch"])
        if st["optimizer"] is not None:
            trainer.optimizer.load_state_dict(st["optimizer"])
        if st["scheduler"] is not None:
            trainer.scheduler.load_state_dict(st["scheduler"])


def _agree(flag: bool, comm: Any) -> bool:
    """True on every rank when it is True on any (so all ranks stop together)."""
    if comm is None:
        return flag
    from ..distributed import process_group as pg

    return bool(comm.allreduce(int(flag), op=pg.mpi().MAX))


# ----------------------------------------------------------------------------- History
class History:
    """Per-epoch logs: ``history`` maps ``loss``, ``accuracy``, ``val_loss``, ``lr``... to lists (Keras).

    Example:
        >>> x = ne.randn(64, 4).numpy(); y = (x[:, 0] > 0).astype(np.int64)
        >>> model = nn.Linear(4, 2); opt = ne.optim.SGD(model.parameters(), lr=0.1)
        >>> hist = fit(model, "cross_entropy", opt, (x, y), epochs=2, verbose=0)
        >>> hist.epoch, list(hist.history)
        ([0, 1], ['loss', 'accuracy', 'lr'])
    """

    def __init__(self) -> None:
        self.history: Dict[str, List[float]] = {}
        self.epoch: List[int] = []
        self.params: Dict[str, Any] = {}

    def append(self, epoch: int, logs: Dict[str, float]) -> None:
        """Record one epoch's ``logs``.

        Example:
            >>> h = History(); h.append(0, {"loss": 0.5}); h.append(1, {"loss": 0.25})
            >>> h.epoch, h.history
            ([0, 1], {'loss': [0.5, 0.25]})
        """
        self.epoch.append(epoch)
        for k, v in logs.items():
            self.history.setdefault(k, []).append(float(v))

    def plot(self, path: str, title: Optional[str] = None) -> str:
        """Write a PNG (or any matplotlib format, by extension) of the loss and metric curves, atomically.

        Needs matplotlib (``pip install 'nnengine[plot]'``). Returns ``path``.

        Example:
            >>> h = History(); h.append(0, {"loss": 0.5}); h.append(1, {"loss": 0.25})
            >>> h.plot("curves.png")
            'curves.png'
        """
        try:
            import matplotlib

            matplotlib.use("Agg", force=False)
            from matplotlib.figure import Figure
        except ImportError:
            raise ImportError("History.plot needs matplotlib: pip install matplotlib (or 'nnengine[plot]')") from None
        from ..io import atomic_write

        keys = [k for k in self.history if not k.startswith("val_") and k != "lr"]
        fig = Figure(figsize=(5 * max(len(keys), 1), 3.8))
        axes = fig.subplots(1, max(len(keys), 1), squeeze=False)[0]
        epochs = [e + 1 for e in self.epoch] or list(range(1, len(self.history.get("loss", [])) + 1))
        for ax, k in zip(axes, keys):
            ax.plot(epochs[-len(self.history[k]):], self.history[k], "o-", label=f"train {k}")
            if "val_" + k in self.history:
                v = self.history["val_" + k]
                ax.plot(epochs[-len(v):], v, "s--", label=f"validation {k}")
            ax.set_xlabel("epoch")
            ax.set_ylabel(k)
            ax.grid(alpha=0.3)
            ax.legend()
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        buf = _pyio.BytesIO()
        ext = str(path).rsplit(".", 1)[-1].lower() if "." in str(path) else "png"
        fig.savefig(buf, format=ext, dpi=100)
        atomic_write(path, [buf.getvalue()])
        return path


# ----------------------------------------------------------------------------- progress
def _use_bar(verbose: int) -> bool:
    if verbose != 1 or not sys.stdout.isatty():
        return False
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


def _fmt(logs: Dict[str, float]) -> str:
    return " - ".join(f"{k}: {v:.4g}" for k, v in logs.items())


def _split_off(train: Any, fraction: float) -> Tuple[Any, Any]:
    """Keras' ``validation_split``: (first 1-fraction, last fraction) of the training data, unshuffled."""
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0.0 <= fraction < 1.0:
        raise ValueError(f"validation_split: expected a fraction in [0, 1), got {fraction!r}")
    from ..data.loader import Subset

    data = train.dataset if isinstance(train, DataLoader) else train
    if isinstance(data, TensorDataset) and not isinstance(train, DataLoader):
        data = data.arrays
    if isinstance(data, (tuple, list, np.ndarray, Tensor)):
        arrays = data if isinstance(data, (tuple, list)) else (data,)
        n = len(arrays[0])
        at = int(n * (1.0 - fraction))
        if at == 0 or at == n:
            raise ValueError(f"validation_split={fraction} leaves an empty training or validation set ({n} samples)")
        return tuple(a[:at] for a in arrays), tuple(a[at:] for a in arrays)
    n = len(data)
    at = int(n * (1.0 - fraction))
    if at == 0 or at == n:
        raise ValueError(f"validation_split={fraction} leaves an empty training or validation set ({n} samples)")
    tr, va = Subset(data, list(range(at))), Subset(data, list(range(at, n)))
    if isinstance(train, DataLoader):
        return (DataLoader(tr, batch_size=train.batch_size, shuffle=train.shuffle, drop_last=train.drop_last,
                           seed=train.seed), DataLoader(va, batch_size=train.batch_size))
    return tr, va


# ----------------------------------------------------------------------------- fit / evaluate / predict
def fit(model: nn.Module, loss: Any, optimizer: Any, train: Any, validation: Any = None, epochs: int = 1,
        scheduler: Any = None, metrics: Sequence[Any] = ("accuracy",), callbacks: Sequence[Callback] = (),
        batch_size: int = 32, verbose: int = 1, initial_epoch: int = 0, shuffle: bool = True,
        validation_split: float = 0.0, step: Optional[Callable[..., Any]] = None) -> History:
    """Train ``model`` for ``epochs`` (counting from ``initial_epoch``) and return the History.

    ``train``/``validation``: a DataLoader, a Dataset or an ``(X, y)`` tuple of arrays (batched with
    ``batch_size``, the training set shuffled from ``nnengine.random``). ``loss``: a callable
    ``(output, target) -> 0-d Tensor`` or a name ("cross_entropy", "mse", "bce", "bce_with_logits"...).
    Parameter regularizers (``model.regularization_loss()``) are added to the loss. ``scheduler`` steps
    once per epoch; ``ReduceLROnPlateau`` gets ``val_loss`` (or ``loss`` without validation).
    ``verbose``: 0 silent, 1 a tqdm bar when stdout is a terminal and tqdm is installed (otherwise one line
    per epoch, as 2), 2 one line per epoch.
    ``validation_split`` (Keras): the last fraction of ``train`` (before any shuffling) is held out as the
    validation set; ignored when ``validation`` is given, as in Keras.

    Under ``mpiexec -n N`` (N > 1; ``nnengine.distributed`` is initialized if it is not yet) the run is
    data-parallel: the model is wrapped in ``DistributedDataParallel`` (rank 0's weights everywhere), the
    training set is split by a ``DistributedSampler`` and ``batch_size`` (or the DataLoader's) is the
    *global* batch, ``ceil(batch_size / N)`` per rank (a DataLoader that already has a DistributedSampler is
    used as it is: its batch size is per rank, torch's convention); validation is split without padding;
    losses and metrics are summed over the ranks, so the logs are the global ones on every rank. Only rank
    0 prints and runs the file-writing callbacks (``ModelCheckpoint``, ``BackupAndRestore``), whose state
    every rank resumes from.

    ``step`` replaces the default training step (forward, ``loss`` plus regularizers, backward,
    ``optimizer.step()``) for models trained another way (several optimizers, as a GAN; contrastive
    divergence, which has no loss to back-propagate): ``step(*batch)`` gets the batch's tensors (as the default
    step does) and returns the batch loss as a float, or a dict of floats with a ``"loss"`` entry whose other
    entries are logged too; each is averaged over the epoch weighted by batch size. ``loss`` and ``optimizer``
    may then be None and metrics are not computed; a custom step trains in one process (no MPI sharding).
    nnengine's model families (``nnengine.models``) train with their ``fit`` on this loop this way.

    Example:
        >>> x = ne.randn(64, 4).numpy(); y = (x[:, 0] > 0).astype(np.int64)
        >>> model = nn.Linear(4, 2); opt = ne.optim.SGD(model.parameters(), lr=0.1)
        >>> hist = fit(model, "cross_entropy", opt, (x, y), validation=(x, y), epochs=2, verbose=0)
        >>> sorted(hist.history)
        ['accuracy', 'loss', 'lr', 'val_accuracy', 'val_loss']
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"epochs: expected a non-negative int, got {epochs!r}")
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected an nnengine.nn.Module, got {type(model).__name__}")
    if step is not None and not callable(step):
        raise TypeError(f"step: expected a callable (*batch) -> float or dict, got {type(step).__name__}")
    loss_fn = _loss_fn(loss) if step is None or loss is not None else None
    metric_fns = _metric_fns(metrics) if step is None else []
    if validation_split and validation is None:
        train, validation = _split_off(train, validation_split)
    if loss_fn is None and validation is not None:
        raise ValueError("validation: evaluating needs a loss; give loss= along with step=")
    train_loader = _loader(train, batch_size, shuffle, "train")
    val_loader = None if validation is None else _loader(validation, batch_size, False, "validation")
    rank, world, comm = _world() if step is None else (0, 1, None)
    if world > 1:
        train_loader = _shard_train(train_loader, rank, world)
        val_loader = None if val_loader is None else _shard_eval(val_loader, rank, world)
        verbose = verbose if rank == 0 else 0
    history = History()
    history.params = {"epochs": int(epochs), "steps": len(train_loader), "batch_size": train_loader.batch_size}
    trainer = SimpleNamespace(model=model, optimizer=optimizer, scheduler=scheduler, history=history,
                              stop_training=False, initial_epoch=int(initial_epoch), rank=rank, world_size=world,
                              requested_epoch=int(initial_epoch))
    callbacks = list(callbacks)
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"callbacks: expected Callback instances, got {type(cb).__name__}")
        cb.trainer = trainer
    params = list(model.parameters())
    has_reg = any(getattr(p, "regularizer", None) is not None for p in params)
    threshold = _threshold(loss_fn)
    bar = _use_bar(verbose)
    for cb in callbacks:
        cb.on_train_begin({})
    net: Any = model
    if world > 1:
        from ..distributed.ddp import DistributedDataParallel

        _sync_from_rank0(trainer, rank)
        net = DistributedDataParallel(model)
    logs: Dict[str, float] = {}
    for epoch in range(trainer.initial_epoch, int(epochs)):
        if trainer.stop_training:
            break
        for cb in callbacks:
            cb.on_epoch_begin(epoch, {})
        if train_loader.seed is not None:
            train_loader.set_epoch(epoch)
        if hasattr(getattr(train_loader, "sampler", None), "set_epoch"):
            train_loader.sampler.set_epoch(epoch)
        model.train()
        acc = _Accumulator(metric_fns, threshold)
        start = time.perf_counter()
        batches: Any = train_loader
        if bar:
            from tqdm import tqdm

            batches = tqdm(train_loader, desc=f"epoch {epoch + 1}/{epochs}", leave=True, file=sys.stdout,
                           dynamic_ncols=True)
        for i, batch in enumerate(batches):
            if step is not None:
                tensors = [_fit_tensor(b) for b in (batch if isinstance(batch, (tuple, list)) else (batch,))]
                lv = acc.add_step(step(*tensors), len(tensors[0]))
            else:
                lv = _default_step(net, model, loss_fn, optimizer, batch, has_reg, acc)
            if bar and i % 10 == 0:
                batches.set_postfix(loss=f"{acc.loss_sum / max(acc.n, 1):.4f}")
            for cb in callbacks:
                cb.on_batch_end(i, {"loss": lv})
            if world > 1:
                trainer.stop_training = _agree(trainer.stop_training, comm)
            if trainer.stop_training:
                break
        acc.all_reduce(comm)
        logs = acc.logs()
        if val_loader is not None:
            logs.update({f"val_{k}": v for k, v in
                         _evaluate(model, loss_fn, val_loader, metric_fns, threshold, comm).items()})
        groups = getattr(optimizer, "param_groups", None)
        if groups:
            logs["lr"] = float(groups[0]["lr"])
        if scheduler is not None:
            if type(scheduler).__name__ == "ReduceLROnPlateau":
                scheduler.step(logs.get("val_loss", logs["loss"]))
            else:
                scheduler.step()
        history.append(epoch, logs)
        if bar:
            batches.set_postfix_str(_fmt({k: v for k, v in logs.items() if k != "lr"}))
            batches.close()
        elif verbose >= 1:  # 2, or 1 without a terminal/tqdm: one line per epoch
            print(f"epoch {epoch + 1}/{epochs} - {time.perf_counter() - start:.1f}s - {_fmt(logs)}", flush=True)
        for cb in callbacks:
            cb.on_epoch_end(epoch, logs)
        if world > 1:
            trainer.stop_training = _agree(trainer.stop_training, comm)
    for cb in callbacks:
        cb.on_train_end(logs)
    if net is not model and net._comm is not None:
        net._comm.Free()
    return history


def _default_step(net: Any, model: nn.Module, loss_fn: Callable, optimizer: Any, batch: Any, has_reg: bool,
                  acc: _Accumulator) -> float:
    """One training step: forward, loss (+ the parameters' regularizers), backward, optimizer step."""
    xb, yb = _split(batch)
    optimizer.zero_grad()
    out = net(xb)
    value = loss_fn(out, yb) if yb is not None else loss_fn(out)
    if has_reg:
        value = value + model.regularization_loss()
    value.backward()
    optimizer.step()
    lv = float(value.item())
    acc.add(lv, _first(out)._data, None if yb is None else yb._data)
    return lv


def _evaluate(model: nn.Module, loss_fn: Callable, loader: DataLoader, metric_fns: List, threshold: float,
              comm: Any = None) -> Dict[str, float]:
    was_training = model.training
    model.eval()
    acc = _Accumulator(metric_fns, threshold)
    try:
        with no_grad():
            for batch in loader:
                xb, yb = _split(batch)
                out = model(xb)
                value = loss_fn(out, yb) if yb is not None else loss_fn(out)
                acc.add(float(value.item()), _first(out)._data, None if yb is None else yb._data)
    finally:
        model.train(was_training)
    acc.all_reduce(comm)
    return acc.logs()


def evaluate(model: nn.Module, loss: Any, data: Any, metrics: Sequence[Any] = ("accuracy",),
             batch_size: int = 256) -> Dict[str, float]:
    """Mean loss and metrics over ``data`` in eval mode without gradients: ``{"loss": ..., "accuracy": ...}``.

    Example:
        >>> x = ne.randn(64, 4).numpy(); y = (x[:, 0] > 0).astype(np.int64)
        >>> model = nn.Linear(4, 2)
        >>> sorted(evaluate(model, nn.CrossEntropyLoss(), (x, y)))
        ['accuracy', 'loss']
    """
    loss_fn = _loss_fn(loss)
    return _evaluate(model, loss_fn, _loader(data, batch_size, False, "data"), _metric_fns(metrics),
                     _threshold(loss_fn))


def predict(model: nn.Module, data: Any, batch_size: int = 256) -> np.ndarray:
    """Model outputs for ``data`` (an array, a Tensor, a DataLoader or an (X, y) tuple) as one numpy array,
    computed in eval mode without gradients.

    Example:
        >>> x = ne.randn(64, 4).numpy(); y = (x[:, 0] > 0).astype(np.int64)
        >>> predict(nn.Linear(4, 2), x).shape, predict(nn.Linear(4, 2), x, batch_size=10).dtype
        ((64, 2), dtype('float32'))
    """
    loader = _loader(data if not isinstance(data, (np.ndarray, Tensor)) else (data,), batch_size, False, "data")
    was_training = model.training
    model.eval()
    outs: List[np.ndarray] = []
    try:
        with no_grad():
            for batch in loader:
                xb, _ = _split(batch)
                outs.append(np.array(_first(model(xb))._data, copy=True))
    finally:
        model.train(was_training)
    if not outs:
        raise ValueError("data: no samples to predict")
    return np.concatenate(outs)


