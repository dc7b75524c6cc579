"""Online normalization: running mean and variance per channel (Welford), shared or per stream.

``RunningNorm`` keeps one set of statistics, updated with batches (Chan et al.'s parallel merge of
Welford's sums, float64). ``StreamRunner(normalize=True)`` keeps one set per stream id with
``welford_step`` (one sample per stream per step, vectorized over the streams).

References: B. P. Welford (1962), "Note on a method for calculating corrected sums of squares and products";
T. F. Chan, G. H. Golub, R. J. LeVeque (1979), "Updating formulae and a pairwise algorithm for computing
sample variances".
"""

from __future__ import annotations

from typing import Any, Dict, Tuple

import numpy as np


def welford_step(count: np.ndarray, mean: np.ndarray, m2: np.ndarray, x: np.ndarray) -> None:
    """One Welford update in place for rows of streams: ``count (B,)``, ``mean``/``m2`` ``(B, C)`` float64,
    ``x (B, C)`` one new sample per row.

    Example:
        >>> n, mu, m2 = np.zeros(1), np.zeros((1, 2)), np.zeros((1, 2))
        >>> welford_step(n, mu, m2, np.array([[1.0, 2.0]])); mu
        array([[1., 2.]])
    """
    count += 1.0
    delta = x - mean
    mean += delta / count[:, None]
    m2 += delta * (x - mean)


def welford_normalize(count: np.ndarray, mean: np.ndarray, m2: np.ndarray, x: np.ndarray, eps: float) -> np.ndarray:
    """``(x - mean) / sqrt(var + eps)`` with the population variance ``m2 / count`` (0 before any sample).

    Example:
        >>> count, mean, m2 = np.zeros(1), np.zeros((1, 2)), np.zeros((1, 2))
        >>> for x in ([[1.0, 2.0]], [[3.0, 6.0]]): welford_step(count, mean, m2, np.array(x))
        >>> welford_normalize(count, mean, m2, np.array([[3.0, 6.0]]), eps=0.0)
        array([[1., 1.]])
    """
    var = m2 / np.maximum(count, 1.0)[:, None]
    return (x - mean) / np.sqrt(var + eps)


class RunningNorm:
    """Running per-channel mean and variance over everything seen so far; normalizes with them.

    ``update(x)`` takes any array whose last axis is the channel axis (all other axes are samples) and
    merges its statistics exactly (float64); ``normalize(x)`` returns float32 ``(x - mean) / sqrt(var + eps)``;
    ``__call__`` does both (update, then normalize with the updated statistics).

    Example:
        >>> norm = RunningNorm(3)
        >>> z = norm(np.random.randn(100, 3) * 5 + 2)   # ~zero mean, unit variance per channel
        >>> norm.count, norm.mean.shape
        (100, (3,))
    """

    def __init__(self, num_channels: int, eps: float = 1e-5) -> None:
        if isinstance(num_channels, bool) or not isinstance(num_channels, (int, np.integer)) or num_channels < 1:
            raise ValueError(f"num_channels: expected a positive int, got {num_channels!r}")
        if not (isinstance(eps, (int, float)) and eps >= 0):
            raise ValueError(f"eps: expected a float >= 0, got {eps!r}")
        self.num_channels = int(num_channels)
        self.eps = float(eps)
        self.reset()

    def reset(self) -> None:
        """Forget everything seen.

        Example:
            >>> rn = RunningNorm(1).update(np.ones((4, 1)))
            >>> rn.reset(); int(rn.count)
            0
        """
        self.count = 0
        self.mean = np.zeros(self.num_channels, np.float64)
        self._m2 = np.zeros(self.num_channels, np.float64)

    @property
    def var(self) -> np.ndarray:
        """Population variance per channel (0 before any sample).

        Example:
            >>> RunningNorm(1).update(np.array([[1.0], [3.0]])).var
            array([1.])
        """
        return self._m2 / max(self.count, 1)

    def _rows(self, x) -> np.ndarray:
        x = np.asarray(x, np.float64)
        if x.ndim == 0 or x.shape[-1] != self.num_channels:
            raise ValueError(f"x: expected the last axis to have {self.num_channels} channels, got shape {x.shape}")
        return x.reshape(-1, self.num_channels)

    def update(self, x: Any) -> RunningNorm:
        """Merge the statistics of ``x`` (..., C) into the running ones (Chan's parallel formula).

        Example:
            >>> rn = RunningNorm(2).update(np.array([[1.0, 10.0], [3.0, 30.0]]))
            >>> rn.mean, rn.var
            (array([ 2., 20.]), array([  1., 100.]))
        """
        rows = self._rows(x)
        n = rows.shape[0]
        if n == 0:
            return self
        mb = rows.mean(0)
        m2b = ((rows - mb) ** 2).sum(0)
        tot = self.count + n
        delta = mb - self.mean
        self.mean = self.mean + delta * (n / tot)
        self._m2 = self._m2 + m2b + delta * delta * (self.count * n / tot)
        self.count = tot
        return self

    def normalize(self, x: Any) -> np.ndarray:
        """``(x - mean) / sqrt(var + eps)`` as float32, without updating.

        Example:
            >>> rn = RunningNorm(1, eps=0.0).update(np.array([[1.0], [3.0]]))
            >>> rn.normalize(np.array([[3.0]]))
            array([[1.]], dtype=float32)
        """
        shape = np.shape(x)
        z = (self._rows(x) - self.mean) / np.sqrt(self.var + self.eps)
        return z.astype(np.float32).reshape(shape)

    def denormalize(self, z: Any) -> np.ndarray:
        """The inverse of ``normalize`` (e.g. to report a forecast in sensor units).

        Example:
            >>> rn = RunningNorm(1).update(np.array([[1.0], [3.0]]))
            >>> rn.denormalize(rn.normalize(np.array([[2.5]]))).round(5)
            array([[2.5]], dtype=float32)
        """
        shape = np.shape(z)
        x = self._rows(z) * np.sqrt(self.var + self.eps) + self.mean
        return x.astype(np.float32).reshape(shape)

    def __call__(self, x) -> np.ndarray:
        return self.update(x).normalize(x)

    def state_dict(self) -> Dict[str, np.ndarray]:
        """``count``, ``mean``, ``m2`` as arrays (for ``nnengine.io``).

        Example:
            >>> sorted(RunningNorm(2).state_dict())
            ['count', 'm2', 'mean']
        """
        return {"count": np.array(self.count, np.int64), "mean": self.mean.copy(), "m2": self._m2.copy()}

    def load_state_dict(self, sd: Dict[str, np.ndarray]) -> None:
        """Restore what ``state_dict`` returned.

        Example:
            >>> a = RunningNorm(1).update(np.array([[1.0], [3.0]]))
            >>> b = RunningNorm(1); b.load_state_dict(a.state_dict()); b.mean
            array([2.])
        """
        mean, m2 = np.asarray(sd["mean"], np.float64), np.asarray(sd["m2"], np.float64)
        if mean.shape != (self.num_channels,) or m2.shape != (self.num_channels,):
            raise ValueError(f"state_dict: expected mean and m2 of shape ({self.num_channels},), got "
                             f"{mean.shape} and {m2.shape}")
        self.count, self.mean, self._m2 = int(sd["count"]), mean.copy(), m2.copy()

    def __repr__(self) -> str:
        return f"RunningNorm({self.num_channels}, eps={self.eps}, count={self.count})"


def stats_shape(num_channels: int) -> Tuple[Tuple[int, ...], ...]:
    """Per-stream shapes of (count, mean, m2) in a StreamRunner's state pool.

    Example:
        >>> stats_shape(3)
        ((), (3,), (3,))
    """
    return ((), (num_channels,), (num_channels,))
