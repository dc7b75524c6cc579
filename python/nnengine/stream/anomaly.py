"""Streaming anomaly detection with a recurrent forecaster: per-sample scores, a threshold calibrated on
normal data, events with their position and latency, and the usual evaluation figures."""

from __future__ import annotations

from collections import deque
from typing import Any, Deque, Dict, Hashable, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from .runner import StreamRunner, _as_ids


class AnomalyEvent(NamedTuple):
    """One run of samples whose score exceeded the threshold, on one stream.

    ``start`` is the sample index (per stream, from 0) where the score first crossed the threshold; the
    event is reported at that very sample (the detector has no look-ahead), so against a labelled onset
    the detection latency in samples is ``start - onset``. ``end`` is the last sample above the threshold
    (the event closes after ``cooldown`` samples below it), ``peak`` the index of the highest score.
    """

    stream_id: Hashable
    start: int
    end: int
    peak: int
    peak_score: float


class ForecastDetector:
    """Scores each new sample by how badly a one-step-ahead forecaster predicted it.

    ``model`` predicts the next sample of each stream from its history (a ``RecurrentModel`` with
    ``output_size == input_size``, or any streaming-protocol Module). For each new sample ``x_t`` the raw
    score is the mean squared error between ``x_t`` and the prediction made at ``t - 1`` (0 for a stream's
    first sample), averaged over the last ``smooth`` samples. The first ``warmup`` samples of a stream (while
    the forecaster's state settles) are scored but raise no event. ``calibrate(normal)`` sets the threshold to
    ``margin`` times the ``quantile`` of the scores on normal data. ``update(stream_ids, x)`` scores one
    sample per stream and opens/extends/closes events; ``events`` lists the closed and open ones.

    Example:
        >>> det = ForecastDetector(forecaster, smooth=5)
        >>> det.calibrate(normal_series)                # (T, C) normal data
        >>> scores = det.update(["a", "b"], x_t)        # x_t (2, C); det.events holds what crossed
    """

    def __init__(self, model: Any, smooth: int = 1, threshold: Optional[float] = None, cooldown: int = 10,
                 warmup: int = 0, normalize: bool = False) -> None:
        for name, v, lo in (("smooth", smooth, 1), ("cooldown", cooldown, 1), ("warmup", warmup, 0)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
                raise ValueError(f"{name}: expected an int >= {lo}, got {v!r}")
        self.warmup = int(warmup)
        self.runner = StreamRunner(model, normalize=normalize)
        if self.runner.adapter.output_size != self.runner.adapter.input_size:
            raise ValueError(f"model: a forecaster must output input_size={self.runner.adapter.input_size} values, "
                             f"got output_size={self.runner.adapter.output_size}")
        self.smooth, self.cooldown = int(smooth), int(cooldown)
        self.threshold = threshold
        self.events: List[AnomalyEvent] = []
        self._per: Dict[Hashable, Dict[str, Any]] = {}

    def _stream(self, sid: Hashable) -> Dict[str, Any]:
        st = self._per.get(sid)
        if st is None:
            st = {"t": 0, "pred": None, "recent": deque(maxlen=self.smooth), "open": None, "below": 0}
            self._per[sid] = st
        return st

    def reset(self, stream_ids: Optional[Sequence[Hashable]] = None) -> None:
        """Forget the streams' states and histories (all when None); closed events are kept."""
        ids = list(self._per) if stream_ids is None else _as_ids(stream_ids)
        known = [i for i in ids if i in self.runner]
        if known:
            self.runner.evict(known)
        for i in ids:
            self._per.pop(i, None)

    def update(self, stream_ids: Any, x: Any) -> np.ndarray:
        """Score one new sample per stream (``x (B, C)``); returns the (smoothed) scores ``(B,)``."""
        ids = _as_ids(stream_ids)
        x = np.asarray(x, np.float32)
        if x.ndim != 2:
            raise ValueError(f"x: expected (B, C) with one sample per stream, got shape {x.shape}")
        pred = self.runner.step(ids, x).data
        target = self.runner.last_input[0]  # what the model saw (normalized if the runner normalizes)
        scores = np.empty(len(ids), np.float64)
        for k, sid in enumerate(ids):
            st = self._stream(sid)
            raw = 0.0 if st["pred"] is None else float(np.mean((target[k] - st["pred"]) ** 2, dtype=np.float64))
            st["pred"] = pred[k].copy()
            recent: Deque[float] = st["recent"]
            recent.append(raw)
            scores[k] = s = float(np.mean(recent))
            self._track(sid, st, s)
            st["t"] += 1
        return scores

    def _track(self, sid: Hashable, st: Dict[str, Any], s: float) -> None:
        if self.threshold is None or st["t"] < self.warmup:
            return
        t, ev = st["t"], st["open"]
        if s > self.threshold:
            if ev is None:
                st["open"] = [t, t, t, s]
            else:
                ev[1] = t
                if s > ev[3]:
                    ev[2], ev[3] = t, s
            st["below"] = 0
        elif ev is not None:
            st["below"] += 1
            if st["below"] >= self.cooldown:
                self.events.append(AnomalyEvent(sid, ev[0], ev[1], ev[2], ev[3]))
                st["open"] = None

    def open_events(self) -> List[AnomalyEvent]:
        """Events still above threshold (not yet closed by ``cooldown`` quiet samples)."""
        return [AnomalyEvent(sid, *st["open"]) for sid, st in self._per.items() if st["open"] is not None]

    def score_series(self, series: Any, stream_id: Hashable = "__series__") -> np.ndarray:
        """Stream a whole ``(T, C)`` series sample by sample through ``update``; returns its ``(T,)`` scores.

        The stream starts fresh and is forgotten afterwards (its events stay in ``events``).
        """
        series = np.asarray(series, np.float32)
        series = series[:, None] if series.ndim == 1 else series
        self.reset([stream_id])
        out = np.array([self.update([stream_id], series[t : t + 1])[0] for t in range(len(series))])
        st = self._per.get(stream_id)
        if st is not None and st["open"] is not None:
            self.events.append(AnomalyEvent(stream_id, *st["open"]))
        self.reset([stream_id])
        return out

    def calibrate(self, normal: Any, quantile: float = 0.999, margin: float = 1.2, skip: Optional[int] = None
                  ) -> float:
        """Threshold = ``margin`` x the ``quantile`` of the scores of a normal ``(T, C)`` series (its first
        ``skip`` samples, by default ``warmup``, are left out). Returns the threshold."""
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
    end + tolerance)`` (negative if it fired early), or None if no event did."""
    hits = [e.start for e in events if region[0] - tolerance <= e.start < region[1] + tolerance]
    return None if not hits else min(hits) - region[0]
