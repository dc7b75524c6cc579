"""Streaming anomaly detection with a recurrent forecaster: per-sample scores, a threshold calibrated on
normal data, events with their position and latency, and the usual evaluation figures."""

from __future__ import annotations

from typing import Any, Hashable, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from .runner import StreamRunner, _as_ids


class AnomalyEvent(NamedTuple):
    """One run of samples whose score exceeded the threshold, on one stream.

    ``start`` is the sample index (per stream, from 0) where the score first crossed the threshold; the
    event is reported at that very sample (the detector has no look-ahead), so against a labelled onset
    the detection latency in samples is ``start - onset``. ``end`` is the last sample above the threshold
    (the event closes after ``cooldown`` samples below it), ``peak`` the index of the highest score.

    Example:
        >>> from nnengine.stream import RecurrentModel
        >>> det = ForecastDetector(RecurrentModel(1, 8), threshold=0.5, cooldown=2)
        >>> series = np.zeros((40, 1), np.float32); series[20:23] = 5.0
        >>> _ = det.score_series(series)
        >>> [(e.start, e.end) for e in det.events]
        [(20, 22)]
    """

    stream_id: Hashable
    start: int
    end: int
    peak: int
    peak_score: float


class ForecastDetector:
    """Scores each new sample by how badly a one-step-ahead forecaster predicted it, for many streams at once.

    ``model`` predicts the next sample of each stream from its history (a ``RecurrentModel`` with
    ``output_size == input_size``, or any streaming-protocol Module). For each new sample ``x_t`` the raw
    score is the mean squared error between ``x_t`` and the prediction made at ``t - 1`` (0 for a stream's
    first sample), averaged over the last ``smooth`` samples. The first ``warmup`` samples of a stream (while
    the forecaster's state settles) are scored but raise no event. ``calibrate(normal)`` sets the threshold to
    ``margin`` times the ``quantile`` of the scores on normal data. ``update(stream_ids, x)`` scores one
    sample per stream (one batched model call, the bookkeeping vectorized over the streams in the runner's
    per-stream buffers) and opens/extends/closes events; ``events`` lists the closed ones.

    Example:
        >>> from nnengine.stream import RecurrentModel
        >>> det = ForecastDetector(RecurrentModel(2, 16), smooth=5)
        >>> threshold = det.calibrate(np.random.default_rng(0).normal(size=(200, 2)))  # normal data (T, C)
        >>> scores = det.update(["a", "b"], np.zeros((2, 2)))  # one sample per stream
        >>> scores.shape
        (2,)
    """

    def __init__(self, model: Any, smooth: int = 1, threshold: Optional[float] = None, cooldown: int = 10,
                 warmup: int = 0, normalize: bool = False) -> None:
        for name, v, lo in (("smooth", smooth, 1), ("cooldown", cooldown, 1), ("warmup", warmup, 0)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
                raise ValueError(f"{name}: expected an int >= {lo}, got {v!r}")
        self.runner = StreamRunner(model, normalize=normalize)
        C = self.runner.adapter.input_size
        if self.runner.adapter.output_size != C:
            raise ValueError(f"model: a forecaster must output input_size={C} values, "
                             f"got output_size={self.runner.adapter.output_size}")
        self.smooth, self.cooldown, self.warmup = int(smooth), int(cooldown), int(warmup)
        self.threshold = threshold
        self.events: List[AnomalyEvent] = []
        for name, shape, dtype, fill in (("pred", (C,), np.float32, 0), ("recent", (self.smooth,), np.float64, 0),
                                         ("t", (), np.int64, 0), ("below", (), np.int64, 0),
                                         ("ev_start", (), np.int64, -1), ("ev_end", (), np.int64, -1),
                                         ("ev_peak", (), np.int64, -1), ("ev_score", (), np.float64, 0)):
            self.runner.add_buffer(name, shape, dtype, fill)
        self._b = self.runner.buffer

    def reset(self, stream_ids: Optional[Sequence[Hashable]] = None) -> None:
        """Forget the streams' states and histories (all when None); closed events are kept.

        Example:
            >>> from nnengine.stream import RecurrentModel
            >>> det = ForecastDetector(RecurrentModel(1, 8), threshold=1.0)
            >>> _ = det.update(["s"], np.zeros((1, 1)))
            >>> det.reset(["s"])
        """
        ids = self.runner.stream_ids if stream_ids is None else _as_ids(stream_ids)
        known = [i for i in ids if i in self.runner]
        if known:
            self.runner.evict(known)

    def update(self, stream_ids: Any, x: Any) -> np.ndarray:
        """Score one new sample per stream (``x (B, C)``); returns the (smoothed) scores ``(B,)``.

        Example:
            >>> from nnengine.stream import RecurrentModel
            >>> det = ForecastDetector(RecurrentModel(3, 8), threshold=1.0)
            >>> det.update(["a", "b"], np.zeros((2, 3))).shape
            (2,)
        """
        ids = _as_ids(stream_ids)
        x = np.asarray(x, np.float32)
        if x.ndim != 2:
            raise ValueError(f"x: expected (B, C) with one sample per stream, got shape {x.shape}")
        pred = self.runner.step(ids, x)._data
        if not ids:
            return np.zeros(0)
        sl = self.runner.last_slots
        target = self.runner.last_input[0]  # what the model saw (normalized if the runner normalizes)
        b = self._b
        t = b("t")[sl]
        raw = np.where(t > 0, np.mean((target - b("pred")[sl]).astype(np.float64) ** 2, axis=1), 0.0)
        b("pred")[sl] = pred
        recent = b("recent")
        recent[sl, t % self.smooth] = raw
        scores = recent[sl].sum(1) / np.minimum(t + 1, self.smooth)
        if self.threshold is not None:
            self._track(ids, sl, t, scores)
        b("t")[sl] = t + 1
        return scores

    def _track(self, ids: List[Hashable], sl: np.ndarray, t: np.ndarray, s: np.ndarray) -> None:
        b = self._b
        live = t >= self.warmup
        above = live & (s > self.threshold)
        start = b("ev_start")[sl]
        new = above & (start < 0)
        grow = above & (start >= 0)
        peak = grow & (s > b("ev_score")[sl])
        for name, mask, val in (("ev_start", new, t), ("ev_end", above, t), ("ev_peak", new | peak, t),
                                ("ev_score", new | peak, s), ("below", above, 0)):
            arr = b(name)
            arr[sl[mask]] = val[mask] if isinstance(val, np.ndarray) else val
        quiet = live & ~above & (start >= 0)
        below = b("below")
        below[sl[quiet]] += 1
        for k in np.flatnonzero(quiet & (below[sl] >= self.cooldown)):
            self.events.append(self._event(ids[k], sl[k]))
            b("ev_start")[sl[k]] = -1

    def _event(self, sid: Hashable, slot: int) -> AnomalyEvent:
        b = self._b
        return AnomalyEvent(sid, int(b("ev_start")[slot]), int(b("ev_end")[slot]), int(b("ev_peak")[slot]),
                            float(b("ev_score")[slot]))

    def open_events(self) -> List[AnomalyEvent]:
        """Events still above threshold (not yet closed by ``cooldown`` quiet samples).

        Example:
            >>> from nnengine.stream import RecurrentModel
            >>> det = ForecastDetector(RecurrentModel(1, 8), threshold=0.1)
            >>> _ = det.update(["s"], np.zeros((1, 1))); _ = det.update(["s"], np.full((1, 1), 9.0))
            >>> [e.stream_id for e in det.open_events()]
            ['s']
        """
        ids = self.runner.stream_ids
        return [self._event(i, s) for i, s in zip(ids, self.runner.slots(ids)) if self._b("ev_start")[s] >= 0]

    def score_series(self, series: Any, stream_id: Hashable = "__series__") -> np.ndarray:
        """Stream a whole ``(T, C)`` series sample by sample through ``update``; returns its ``(T,)`` scores.

        The stream starts fresh and is forgotten afterwards (an event still open at the end is closed).

        Example:
            >>> from nnengine.stream import RecurrentModel
            >>> det = ForecastDetector(RecurrentModel(1, 8), threshold=1.0)
            >>> det.score_series(np.zeros((50, 1))).shape
            (50,)
        """
        series = np.asarray(series, np.float32)
        series = series[:, None] if series.ndim == 1 else series
        self.reset([stream_id])
        out = np.array([self.update([stream_id], series[t : t + 1])[0] for t in range(len(series))])
        self.events += [e for e in self.open_events() if e.stream_id == stream_id]
        self.reset([stream_id])
        return out

    def calibrate(self, normal: Any, quantile: float = 0.999, margin: float = 1.2, skip: Optional[int] = None
                  ) -> float:
        """Threshold = ``margin`` x the ``quantile`` of the scores of a normal ``(T, C)`` series (its first
        ``skip`` samples, by default ``warmup``, are left out). Returns the threshold.

        Example:
            >>> from nnengine.stream import RecurrentModel
            >>> det = ForecastDetector(RecurrentModel(1, 8))
            >>> det.calibrate(np.sin(np.arange(300.0) / 5)[:, None]) == det.threshold
            True
        """
        skip = self.warmup if skip is None else int(skip)
        if not 0.0 < quantile <= 1.0:
            raise ValueError(f"quantile: expected a value in (0, 1], got {quantile!r}")
        saved, self.threshold = self.threshold, None
        try:
            scores = self.score_series(normal, stream_id="__calibration__")[skip:]
        finally:
            self.threshold = saved
        if scores.size == 0:
            raise ValueError(f"normal: expected more than skip={skip} samples")
        self.threshold = float(margin * np.quantile(scores, quantile))
        return self.threshold


# ----------------------------------------------------------------------------- evaluation
def roc_auc(scores: Any, labels: Any) -> float:
    """Area under the ROC curve of per-sample ``scores`` against 0/1 ``labels`` (rank statistic, ties get
    the average rank).

    Example:
        >>> roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
        0.75
    """
    s, y = np.asarray(scores, np.float64).ravel(), np.asarray(labels).ravel().astype(bool)
    if s.shape != y.shape:
        raise ValueError(f"labels: expected {s.shape[0]} labels, got {y.shape[0]}")
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("labels: need both normal (0) and anomalous (1) samples")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), np.float64)
    sorted_s = s[order]
    i = 0
    while i < len(s):  # average ranks over ties
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def ucr_hit(scores: Any, region: Tuple[int, int], tolerance: int = 100) -> Tuple[bool, int]:
    """The UCR anomaly archive's scoring: is the highest-scoring sample within ``tolerance`` samples of the
    labelled region ``[start, end)``? Returns (hit, argmax index).

    Example:
        >>> ucr_hit(np.r_[np.zeros(500), 1.0, np.zeros(99)], (450, 460))
        (True, 500)
    """
    k = int(np.argmax(np.asarray(scores)))
    return bool(region[0] - tolerance <= k < region[1] + tolerance), k


def detection_latency(events: Sequence[AnomalyEvent], region: Tuple[int, int], tolerance: int = 100
                      ) -> Optional[int]:
    """Samples from the labelled onset to the first event starting within ``[start - tolerance,
    end + tolerance)`` (negative if it fired early), or None if no event did.

    Example:
        >>> ev = AnomalyEvent("s", start=105, end=120, peak=110, peak_score=3.0)
        >>> detection_latency([ev], region=(100, 130)), detection_latency([], region=(100, 130))
        (5, None)
    """
    hits = [e.start for e in events if region[0] - tolerance <= e.start < region[1] + tolerance]
    return None if not hits else min(hits) - region[0]
