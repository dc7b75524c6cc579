"""Stateful inference over many concurrent sensor streams: one batched kernel call per tick."""

from __future__ import annotations

from typing import Any, Dict, Hashable, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from .._coerce import as_array
from ..tensor import Tensor
from ._adapters import RecurrentAdapter, adapt
from .normalize import welford_normalize, welford_step

ROW_GROUP = 16  # the recurrent kernels tile batch rows in fixed groups of 16 (cpp/kernels/rnn_impl.h)


def _as_ids(stream_ids: Any) -> List[Hashable]:
    if isinstance(stream_ids, np.ndarray):
        if stream_ids.ndim != 1:
            raise ValueError(f"stream_ids: expected a 1-D sequence of ids, got shape {stream_ids.shape}")
        return stream_ids.tolist()
    if isinstance(stream_ids, (str, bytes)) or not isinstance(stream_ids, Iterable):
        raise TypeError(f"stream_ids: expected a sequence of hashable ids, got {type(stream_ids).__name__}")
    return list(stream_ids)


class StreamRunner:
    """Keeps the recurrent state of every stream id and advances any subset of streams together.

    ``step(stream_ids, x)`` gathers the states of those streams, runs the model once on the whole batch
    (for ``nn.LSTMCell``/``nn.RNNCell``/``nn.LSTM``/``nn.RNN`` one C++ kernel call per tick and layer, the
    time loop of a chunk included) and scatters the new states back. ``x`` is ``(B, I)`` (one sample per
    stream) or ``(B, T, I)`` (a chunk per stream); the result is a Tensor ``(B, O)`` or ``(B, T, O)``
    (``O`` is the hidden size for a bare cell). Unknown ids start from the zero state; ``reset`` zeroes
    streams, ``evict`` forgets them and recycles their slots (states live in pools with the stream axis
    first that grow by doubling).

    ``normalize=True`` standardizes each stream's channels online before the model sees them: per stream
    Welford running mean/variance, updated with each sample first (so the first sample maps to 0).

    Determinism: a stream's outputs equal running the same batch of streams over its whole history in one
    call, bit for bit, for any chunking in time and any thread count (the kernels compute every step of a
    row with the same instructions). Which register tile serves a row depends on where it sits in the
    batch, so when the set of streams per tick varies, results may differ in the last bits; with
    ``batch_invariant=True`` every tick is padded with zero rows to a multiple of 16 (the kernels' row
    group), every row gets the same tile shape, and each stream's outputs are bit-identical whatever
    shares its ticks (costs up to 15 padded rows per tick).

    Example:
        >>> runner = StreamRunner(nn.LSTMCell(6, 64), normalize=True)
        >>> h = runner.step([17, 42], np.random.randn(2, 6))   # two sensors, one sample each -> (2, 64)
        >>> runner.evict([17])
    """

    def __init__(self, model: Any, *, normalize: bool = False, eps: float = 1e-5, capacity: int = 64,
                 max_streams: Optional[int] = None, batch_invariant: bool = False) -> None:
        self.adapter: RecurrentAdapter = adapt(model)
        if isinstance(capacity, bool) or not isinstance(capacity, (int, np.integer)) or capacity < 1:
            raise ValueError(f"capacity: expected a positive int, got {capacity!r}")
        if max_streams is not None and (isinstance(max_streams, bool) or not isinstance(max_streams, (int, np.integer))
                                        or max_streams < 1):
            raise ValueError(f"max_streams: expected a positive int or None, got {max_streams!r}")
        self.normalize = bool(normalize)
        self.eps = float(eps)
        self.max_streams = None if max_streams is None else int(max_streams)
        self.batch_invariant = bool(batch_invariant)
        self._slot: Dict[Hashable, int] = {}
        self._free: List[int] = []
        self._cap = 0
        C = self.adapter.input_size
        self._pools: List[np.ndarray] = [np.zeros((0, *s), np.float32) for s in self.adapter.state_shapes]
        self._buffers: Dict[str, np.ndarray] = {}  # named per-stream arrays, slot axis first
        self._fill: Dict[str, Any] = {}
        self.last_slots: np.ndarray = np.zeros(0, np.int64)
        self.last_input: Optional[np.ndarray] = None
        self._grow(int(capacity))
        if self.normalize:
            for name, shape in (("norm_count", ()), ("norm_mean", (C,)), ("norm_m2", (C,))):
                self.add_buffer(name, shape)

    # ------------------------------------------------------------------ bookkeeping
    def _grow(self, cap: int) -> None:
        old = self._cap
        self._pools = [np.concatenate([p, np.zeros((cap - old, *p.shape[1:]), np.float32)]) for p in self._pools]
        for k, b in self._buffers.items():
            self._buffers[k] = np.concatenate([b, np.full((cap - old, *b.shape[1:]), self._fill[k], b.dtype)])
        self._free.extend(range(cap - 1, old - 1, -1))  # pop() hands out low slots first
        self._cap = cap

    def _slots(self, ids: List[Hashable]) -> np.ndarray:
        get = self._slot.get
        slots = np.fromiter((get(i, -1) for i in ids), np.int64, len(ids))
        new = np.flatnonzero(slots < 0)
        if new.size:
            if self.max_streams is not None and len(self._slot) + new.size > self.max_streams:
                raise ValueError(f"stream_ids: {new.size} new streams would exceed max_streams={self.max_streams} "
                                 f"({len(self._slot)} active); evict some first")
            need = len(self._slot) + new.size
            if need > self._cap:
                self._grow(max(need, 2 * self._cap))
            for k in new:
                s = self._free.pop()
                self._slot[ids[k]] = s
                slots[k] = s
                self._zero(s)
        return slots

    def _zero(self, slots: Any) -> None:
        for p in self._pools:
            p[slots] = 0.0
        for k, b in self._buffers.items():
            b[slots] = self._fill[k]

    def add_buffer(self, name: str, shape: Tuple[int, ...] = (), dtype: Any = np.float64, fill: Any = 0) -> None:
        """Keep one more array per stream, ``shape`` each, in the runner's slots: grown with the pools, set to
        ``fill`` for new and reset streams. ``buffer(name)[runner.last_slots]`` are the rows of the streams of
        the last ``step`` (in its order); tools built on the runner keep their per-stream state here.

        Example:
            >>> runner = StreamRunner(nn.GRUCell(4, 8))
            >>> runner.add_buffer("ticks", (), np.int64)
            >>> _ = runner.step(["a", "b"], np.zeros((2, 4), np.float32)); runner.buffer("ticks")[runner.last_slots] += 1
            >>> runner.buffer("ticks")[runner.slots(["a", "b"])]
            array([1, 1])
        """
        if name in self._buffers:
            raise ValueError(f"name: a buffer {name!r} exists already")
        self._fill[name] = fill
        self._buffers[name] = np.full((self._cap, *shape), fill, dtype)

    def buffer(self, name: str) -> np.ndarray:
        """The per-stream array ``name`` (slot axis first) added with ``add_buffer``.

        Example:
            >>> runner = StreamRunner(nn.GRUCell(4, 8))
            >>> runner.add_buffer("seen", (2,))
            >>> runner.buffer("seen").shape[1:]
            (2,)
        """
        return self._buffers[name]

    def slots(self, stream_ids: Any) -> np.ndarray:
        """The slot (row of every pool and buffer) of each known stream id.

        Example:
            >>> runner = StreamRunner(nn.GRUCell(4, 8))
            >>> _ = runner.step(["a", "b"], np.zeros((2, 4)))
            >>> runner.slots(["b", "a"])
            array([1, 0])
        """
        return np.asarray(self._known(stream_ids), np.int64)

    def _known(self, stream_ids: Any) -> List[int]:
        ids = _as_ids(stream_ids)
        missing = [i for i in ids if i not in self._slot]
        if missing:
            raise KeyError(f"stream_ids: unknown stream ids {missing[:5]}{'...' if len(missing) > 5 else ''}")
        return [self._slot[i] for i in ids]

    @property
    def stream_ids(self) -> List[Hashable]:
        """The ids of all active streams.

        Example:
            >>> runner = StreamRunner(nn.GRUCell(4, 8))
            >>> _ = runner.step([7, 3], np.zeros((2, 4)))
            >>> runner.stream_ids
            [7, 3]
        """
        return list(self._slot)

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, stream_id: Hashable) -> bool:
        return stream_id in self._slot

    def reset(self, stream_ids: Optional[Any] = None) -> None:
        """Zero the state (and normalization statistics) of these streams, or of all when None.

        Example:
            >>> runner = StreamRunner(nn.GRUCell(4, 8))
            >>> _ = runner.step(["a"], np.ones((1, 4)))
            >>> runner.reset(["a"]); float(np.abs(runner.get_state("a")[0]).sum())
            0.0
        """
        if stream_ids is None:
            self._zero(slice(None))
        else:
            self._zero(self._known(stream_ids))

    def evict(self, stream_ids: Any) -> None:
        """Forget these streams; their slots are reused by new ids.

        Example:
            >>> runner = StreamRunner(nn.GRUCell(4, 8))
            >>> _ = runner.step(["a", "b"], np.zeros((2, 4)))
            >>> runner.evict(["a"]); runner.stream_ids
            ['b']
        """
        ids = list(dict.fromkeys(_as_ids(stream_ids)))  # an id named twice is evicted once
        for i, s in zip(ids, self._known(ids)):
            del self._slot[i]
            self._free.append(s)

    def get_state(self, stream_id: Hashable) -> Tuple[np.ndarray, ...]:
        """A copy of one stream's recurrent state (tuple of arrays without the stream axis).

        Example:
            >>> runner = StreamRunner(nn.GRUCell(4, 8))
            >>> _ = runner.step(["a"], np.ones((1, 4)))
            >>> [s.shape for s in runner.get_state("a")]
            [(8,)]
        """
        s = self._known([stream_id])[0]
        return tuple(p[s].copy() for p in self._pools)

    def set_state(self, stream_id: Hashable, state: Sequence[Any]) -> None:
        """Overwrite one stream's recurrent state (the stream is created if new).

        Example:
            >>> runner = StreamRunner(nn.GRUCell(4, 8))
            >>> runner.set_state("new", [np.ones(8, np.float32)])
            >>> runner.get_state("new")[0][:3]
            array([1., 1., 1.], dtype=float32)
        """
        s = int(self._slots([stream_id])[0])
        if len(state) != len(self._pools):
            raise ValueError(f"state: expected {len(self._pools)} arrays, got {len(state)}")
        for p, v in zip(self._pools, state):
            v = np.asarray(v, np.float32)
            if v.shape != p.shape[1:]:
                raise ValueError(f"state: expected shape {p.shape[1:]}, got {v.shape}")
            p[s] = v

    def norm_stats(self, stream_id: Hashable) -> Tuple[int, np.ndarray, np.ndarray]:
        """(count, mean, population variance) of one stream's online normalization.

        Example:
            >>> runner = StreamRunner(nn.GRUCell(2, 4), normalize=True)
            >>> _ = runner.step(["a"], np.array([[1.0, 2.0]])); _ = runner.step(["a"], np.array([[3.0, 2.0]]))
            >>> runner.norm_stats("a")
            (2, array([2., 2.]), array([1., 0.]))
        """
        if not self.normalize:
            raise ValueError("norm_stats: this runner does not normalize (normalize=False)")
        s = self._known([stream_id])[0]
        n, mu, m2 = (self._buffers[k][s] for k in ("norm_count", "norm_mean", "norm_m2"))
        return int(n), mu.copy(), m2 / max(n, 1.0)

    # ------------------------------------------------------------------ the tick
    def _normalized(self, slots: np.ndarray, xt: np.ndarray) -> np.ndarray:
        bufs = [self._buffers[k] for k in ("norm_count", "norm_mean", "norm_m2")]
        cnt, mu, m2 = (a[slots] for a in bufs)
        out = np.empty(xt.shape, np.float32)
        for t in range(xt.shape[0]):
            welford_step(cnt, mu, m2, xt[t])
            out[t] = welford_normalize(cnt, mu, m2, xt[t], self.eps)
        for a, v in zip(bufs, (cnt, mu, m2)):
            a[slots] = v
        return out

    def step(self, stream_ids: Any, x: Any) -> Tensor:
        """Advance the streams ``stream_ids`` by ``x`` ((B, I) or (B, T, I)); returns the model's outputs.

        Example:
            >>> runner = StreamRunner(nn.LSTMCell(4, 8))
            >>> y = runner.step(["pump-3", "pump-9"], np.zeros((2, 4), np.float32))
            >>> y.shape, runner.stream_ids
            ((2, 8), ['pump-3', 'pump-9'])
        """
        ids = _as_ids(stream_ids)
        x = np.asarray(as_array(x), np.float32)
        I = self.adapter.input_size
        if x.ndim not in (2, 3) or x.shape[-1] != I:
            raise ValueError(f"x: expected (B, {I}) or (B, T, {I}) (input size {I}), got shape {x.shape}")
        if x.shape[0] != len(ids):
            raise ValueError(f"x: expected {len(ids)} rows (one per stream id), got {x.shape[0]}")
        if x.ndim == 3 and x.shape[1] == 0:
            raise ValueError(f"x: expected at least one time step, got shape {x.shape}")
        if len(set(ids)) != len(ids):
            raise ValueError("stream_ids: an id appears twice in one tick")
        B = len(ids)
        if B == 0:
            self.last_slots = np.zeros(0, np.int64)
            O = self.adapter.output_size
            return Tensor(np.zeros((0, O) if x.ndim == 2 else (0, x.shape[1], O), np.float32))
        slots = self._slots(ids)
        self.last_slots = slots
        xt = x[None] if x.ndim == 2 else np.ascontiguousarray(x.transpose(1, 0, 2))  # (T, B, I)
        if self.normalize:
            xt = self._normalized(slots, xt)
        self.last_input = xt  # the (T, B, I) model input of this tick (after normalization)
        states = [p[slots] for p in self._pools]
        pad = (-B) % ROW_GROUP if self.batch_invariant else 0
        if pad:
            xt = np.concatenate([xt, np.zeros((xt.shape[0], pad, I), np.float32)], 1)
            states = [np.concatenate([s, np.zeros((pad, *s.shape[1:]), np.float32)]) for s in states]
        y, new = self.adapter.infer(np.ascontiguousarray(xt), tuple(np.ascontiguousarray(s) for s in states))
        for p, s in zip(self._pools, new):
            p[slots] = s[:B]
        y = y[:, :B]
        return Tensor(y[0] if x.ndim == 2 else np.ascontiguousarray(y.transpose(1, 0, 2)))

    __call__ = step

    def __repr__(self) -> str:
        return (f"StreamRunner({type(self.adapter.module).__name__}, streams={len(self)}, capacity={self._cap}, "
                f"normalize={self.normalize}, batch_invariant={self.batch_invariant})")
