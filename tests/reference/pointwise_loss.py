"""float64 numpy oracles for the pointwise_loss family: ``smooth_l1`` and ``huber`` of the difference d, ``bce``
(loss, input and target gradients of the bce kernels) and ``kl`` (the same for the kl kernels), used by
tests/test_pointwise_loss.py."""

from __future__ import annotations

import numpy as np


def smooth_l1(d, b):
    return np.where(np.abs(d) < b, 0.5 * d * d / b, np.abs(d) - 0.5 * b)


def huber(d, b):
    return np.where(np.abs(d) < b, 0.5 * d * d, b * (np.abs(d) - 0.5 * b))


def bce(x, t, w, pw, logits):
    """float64 oracle of the bce kernels (pointwise_loss.h): (loss, d input, d target) for a unit gradient."""
    x, t = x.astype(np.float64), t.astype(np.float64)
    w = 1.0 if w is None else w.astype(np.float64)
    if logits:
        ls = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
        lsn = np.minimum(-x, 0) - np.log1p(np.exp(-np.abs(x)))
        s = 1 / (1 + np.exp(-x))
        if pw is None:
            return w * ((1 - t) * x - ls), w * (s - t), w * -x
        pw = pw.astype(np.float64)
        return (w * ((1 - t) * x - (1 + (pw - 1) * t) * ls), w * ((pw * t + 1 - t) * s - pw * t),
                w * (lsn - pw * ls))
    lp, l1p = np.maximum(np.log(x), -100), np.maximum(np.log1p(-x), -100)
    return w * ((t - 1) * l1p - t * lp), w * (x - t) / np.maximum((1 - x) * x, 1e-12), w * (l1p - lp)


def kl(x, t, log_target):
    """float64 oracle of the kl kernels (pointwise_loss.h): (loss, d input, d target) for a unit gradient, with
    torch's xlogy conventions (0 log 0 = 0 in the loss; the target gradient NaN where t <= 0)."""
    x, t = x.astype(np.float64), t.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if log_target:
            et = np.exp(t)
            return et * (t - x), -et, et * (t - x + 1)
        xlogy = np.where(t == 0, 0.0, t * np.log(t))
        return xlogy - t * x, -t, np.log(t) + t / t - x
