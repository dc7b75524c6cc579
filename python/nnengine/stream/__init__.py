"""Deep learning on sensor streams: many concurrent streams, online normalization, online learning and
anomaly detection.

* ``StreamRunner(model, normalize=False)``: recurrent state per stream id (thousands of streams), any
  subset advanced together as one batched kernel call per tick; ``step(ids, x)``, ``reset``, ``evict``.
* ``RunningNorm``: per-channel running mean/variance (Welford/Chan), shared by all streams.
* ``OnlineLearner(model, optimizer)``: ``partial_fit(x, y)`` with truncated BPTT, a replay buffer and a
  rolling-loss ``DriftMonitor``.
* ``ForecastDetector(model)``: per-sample anomaly scores from a forecaster, ``calibrate`` on normal data,
  ``AnomalyEvent`` s with their start sample; ``roc_auc``, ``ucr_hit``, ``detection_latency``.
* ``RecurrentModel``: LSTM/RNN/GRU + a linear head per step, usable offline and in all of the above.

Example:
    >>> from nnengine import nn
    >>> from nnengine.stream import StreamRunner
    >>> runner = StreamRunner(nn.LSTMCell(6, 64), normalize=True)
    >>> h = runner.step([3, 8, 11], np.random.randn(3, 6))   # (3, 64)
"""

from ._adapters import RecurrentAdapter, adapt
from .anomaly import AnomalyEvent, ForecastDetector, detection_latency, roc_auc, ucr_hit
from .models import RecurrentModel
from .normalize import RunningNorm, welford_normalize, welford_step
from .online import DriftMonitor, OnlineLearner
from .runner import StreamRunner

__all__ = ["StreamRunner", "RunningNorm", "OnlineLearner", "DriftMonitor", "ForecastDetector", "AnomalyEvent",
           "RecurrentModel", "RecurrentAdapter", "adapt", "roc_auc", "ucr_hit", "detection_latency",
           "welford_step", "welford_normalize"]
