"""Online learning from a stream: test-then-train updates with truncated BPTT, a small replay buffer and a
rolling-loss drift signal."""

from __future__ import annotations

from collections import deque
from typing import Any, Callable, Deque, List, Optional, Tuple

import numpy as np

from .._coerce import as_array
from ..autograd import no_grad
from ..nn.modules.loss import MSELoss
from ..nn.utils import clip_grad_norm_
from ..tensor import Tensor
from ._adapters import adapt


class DriftMonitor:
    """Rolling mean of a loss and its ratio to the best rolling mean seen so far.

    ``update(loss)`` appends one value; ``rolling_loss`` is the mean of the last ``window`` values;
    ``ratio`` = rolling / best rolling (1.0 until ``window`` values were seen); ``drifted`` is
    ``ratio > threshold``, the signal that the stream no longer looks like what the model learned.

    Example:
        >>> d = DriftMonitor(window=3, threshold=2.0)
        >>> for v in [1, 1, 1, 5, 5, 5]: d.update(v)
        >>> d.drifted, round(d.ratio, 1)
        (True, 5.0)
    """

    def __init__(self, window: int = 20, threshold: float = 2.0) -> None:
        if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
            raise ValueError(f"window: expected a positive int, got {window!r}")
        if not isinstance(threshold, (int, float)) or threshold <= 0:
            raise ValueError(f"threshold: expected a float > 0, got {threshold!r}")
        self.window, self.threshold = int(window), float(threshold)
        self._recent: Deque[float] = deque(maxlen=self.window)
        self.best: Optional[float] = None

    def update(self, loss: float) -> None:
        """Append one loss value.

        Example:
            >>> d = DriftMonitor(window=2); d.update(1.0); d.update(3.0); d.rolling_loss
            2.0
        """
        self._recent.append(float(loss))
        if len(self._recent) == self.window:
            r = self.rolling_loss
            self.best = r if self.best is None else min(self.best, r)

    @property
    def rolling_loss(self) -> float:
        """Mean of the last ``window`` losses (nan before the first).

        Example:
            >>> d = DriftMonitor(window=2)
            >>> for v in [4.0, 1.0, 3.0]: d.update(v)
            >>> d.rolling_loss
            2.0
        """
        return float(np.mean(self._recent)) if self._recent else float("nan")

    @property
    def ratio(self) -> float:
        """Rolling loss / the best rolling loss seen (1.0 until ``window`` values were seen).

        Example:
            >>> d = DriftMonitor(window=1)
            >>> for v in [2.0, 1.0, 3.0]: d.update(v)
            >>> d.ratio
            3.0
        """
        if self.best is None or len(self._recent) < self.window:
            return 1.0
        return self.rolling_loss / max(self.best, 1e-12)

    @property
    def drifted(self) -> bool:
        """``ratio > threshold``.

        Example:
            >>> d = DriftMonitor(window=1, threshold=2.0)
            >>> for v in [1.0, 3.0]: d.update(v)
            >>> d.drifted
            True
        """
        return self.ratio > self.threshold


class OnlineLearner:
    """Updates a recurrent model from one stream as its samples arrive (``partial_fit``).

    Samples are buffered; every ``bptt`` new samples make one window, and each window gives one optimizer
    step: the model runs the window from the stream's carried (detached) state, so gradients flow through
    at most ``bptt`` steps (truncated BPTT), batched with up to ``replay_batch`` earlier windows drawn from a
    ring buffer of the last ``replay_size`` windows (each with the state it started from), which keeps the
    model from forgetting. The loss of each new window is measured on the forward pass before its update
    (test-then-train, an honest out-of-sample loss); ``drift`` (a ``DriftMonitor``) tracks it.

    ``model``: a cell, a unidirectional RNN/LSTM/GRU or a Module with ``init_state``/``forward(x, state)``
    (see ``nnengine.stream``); its output at each step is compared with the target of that step.

    Example:
        >>> from nnengine.stream import RecurrentModel
        >>> model = RecurrentModel(1, 16)  # predicts the next sample
        >>> learner = OnlineLearner(model, ne.optim.Adam(model.parameters(), lr=1e-2), bptt=16)
        >>> wave = np.sin(np.arange(200.0) / 4)[:, None]
        >>> for chunk in np.split(wave, 4):  # (T, 1) arrays as they arrive
        ...     loss = learner.partial_fit(chunk[:-1], chunk[1:])
        >>> learner.drift.rolling_loss < 1.0
        True
    """

    def __init__(self, model: Any, optimizer: Any, loss_fn: Optional[Callable[[Tensor, Tensor], Tensor]] = None,
                 bptt: int = 32, replay_size: int = 64, replay_batch: int = 4, drift_window: int = 20,
                 drift_threshold: float = 2.0, clip_grad_norm: Optional[float] = None, seed: int = 0) -> None:
        self.adapter = adapt(model)
        for name, v, lo in (("bptt", bptt, 1), ("replay_size", replay_size, 0), ("replay_batch", replay_batch, 0)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
                raise ValueError(f"{name}: expected an int >= {lo}, got {v!r}")
        self.optimizer = optimizer
        self.loss_fn = loss_fn if loss_fn is not None else MSELoss()
        self.bptt, self.replay_batch = int(bptt), int(replay_batch)
        self.clip_grad_norm = clip_grad_norm
        self.replay: Deque[Tuple[np.ndarray, np.ndarray, Tuple[np.ndarray, ...]]] = deque(maxlen=int(replay_size))
        self.drift = DriftMonitor(drift_window, drift_threshold)
        self.losses: List[float] = []  # test-then-train loss of every window
        self.drift_ratios: List[float] = []  # the drift ratio after every window
        self._rng = np.random.default_rng(seed)
        self._xbuf: List[np.ndarray] = []
        self._ybuf: List[np.ndarray] = []
        self.reset_state()

    def reset_state(self) -> None:
        """Start the stream over from the zero state (the weights and the replay buffer are kept).

        Example:
            >>> from nnengine.stream import RecurrentModel
            >>> model = RecurrentModel(1, 8)
            >>> learner = OnlineLearner(model, ne.optim.SGD(model.parameters(), lr=0.01))
            >>> learner.reset_state()
        """
        self.state = self.adapter.init_state(1)

    def _rows(self, a: Any, n: Optional[int], name: str) -> np.ndarray:
        a = np.asarray(as_array(a), np.float32)
        a = a[:, None] if a.ndim == 1 else a
        if a.ndim != 2 or (n is not None and a.shape[1] != n):
            raise ValueError(f"{name}: expected (T, {n if n is not None else 'features'}) samples, got shape {a.shape}")
        return a

    def partial_fit(self, x: Any, y: Any) -> Optional[float]:
        """Feed ``x (T, I)`` samples and their targets ``y (T, O)`` (or integer class targets ``(T,)``).

        Returns the mean test-then-train loss of the windows completed by this call (None if none was).

        Example:
            >>> from nnengine.stream import RecurrentModel
            >>> model = RecurrentModel(1, 8)
            >>> learner = OnlineLearner(model, ne.optim.SGD(model.parameters(), lr=0.01), bptt=10)
            >>> learner.partial_fit(np.zeros((5, 1)), np.zeros((5, 1))) is None  # fewer than bptt samples: buffered
            True
            >>> learner.partial_fit(np.zeros((5, 1)), np.zeros((5, 1))) >= 0.0
            True
        """
        x = self._rows(x, self.adapter.input_size, "x")
        y = as_array(y)
        y = y if y.dtype.kind in "iu" else self._rows(y, None, "y")
        if len(y) != len(x):
            raise ValueError(f"y: expected {len(x)} targets (one per sample of x), got {len(y)}")
        self._xbuf.extend(x)
        self._ybuf.extend(y)
        done = []
        while len(self._xbuf) >= self.bptt:
            xw, yw = np.stack(self._xbuf[: self.bptt]), np.stack(self._ybuf[: self.bptt])
            del self._xbuf[: self.bptt], self._ybuf[: self.bptt]
            done.append(self._update(xw, yw))
        return float(np.mean(done)) if done else None

    def _update(self, xw: np.ndarray, yw: np.ndarray) -> float:
        picks = []
        if self.replay and self.replay_batch:
            picks = self._rng.choice(len(self.replay), size=min(self.replay_batch, len(self.replay)), replace=False)
        wins = [(xw, yw, self.state)] + [self.replay[int(i)] for i in picks]
        xb = np.ascontiguousarray(np.stack([w[0] for w in wins], 1))  # (T, B, I)
        yb = np.stack([w[1] for w in wins], 1)
        states = tuple(Tensor(np.concatenate([w[2][k] for w in wins])) for k in range(len(self.state)))
        out, new = self.adapter.forward(Tensor(xb), states)
        flat = out.reshape(-1, out.shape[-1])
        target = yb.reshape(-1) if yb.dtype.kind in "iu" else yb.reshape(-1, yb.shape[-1])
        loss = self.loss_fn(flat, target if target.dtype.kind in "iu" else Tensor(target))
        with no_grad():
            o0 = Tensor(out._data[:, 0])
            t0 = yb[:, 0]
            fresh = float(self.loss_fn(o0, t0 if t0.dtype.kind in "iu" else Tensor(t0)).item())
        self.optimizer.zero_grad()
        loss.backward()
        if self.clip_grad_norm is not None:
            clip_grad_norm_(self.adapter.module.parameters(), self.clip_grad_norm)
        self.optimizer.step()
        self.replay.append((xw, yw, self.state))
        self.state = tuple(np.ascontiguousarray(s._data[:1]) for s in new)
        self.losses.append(fresh)
        self.drift.update(fresh)
        self.drift_ratios.append(self.drift.ratio)
        return fresh
