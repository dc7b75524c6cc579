"""The optimizer steps for float64 parameters: numpy twins of the fused C++ steps (``nnengine._core.*_step``),
with the same signatures and torch's formulas (cpp/reference/optim_ref.cpp is the float32 twin of each).

``Optimizer.step`` runs a parameter group's float32 parameters through the C++ kernel and its float64 ones
(``model.double()``) through the function of the same name here, in float64 end to end.

Example:
    >>> opt = ne.optim.Adam(nn.Linear(3, 1).double().parameters())
    >>> loss.backward(); opt.step()   # the float64 parameters take adam_step below
"""

from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np

Arrays = Sequence[np.ndarray]


def _grad(p: np.ndarray, g: np.ndarray, maximize: bool, wd: float) -> np.ndarray:
    g = -g if maximize else g
    return g + wd * p if wd != 0 else g


def _lerp(start: np.ndarray, end: np.ndarray, w: float) -> np.ndarray:
    return start + w * (end - start) if abs(w) < 0.5 else end + (w - 1.0) * (end - start)


def sgd_step(params: Arrays, grads: Arrays, bufs: Arrays, first: Sequence[bool], lr: float, momentum: float,
             dampening: float, weight_decay: float, nesterov: bool, maximize: bool) -> None:
    for i, (p, g) in enumerate(zip(params, grads)):
        d = _grad(p, g, maximize, weight_decay)
        if momentum != 0:
            b = d.copy() if first[i] else bufs[i] * momentum + (1.0 - dampening) * d
            bufs[i][...] = b
            d = d + momentum * b if nesterov else b
        p += -lr * d


def adam_step(params: Arrays, grads: Arrays, exp_avgs: Arrays, exp_avg_sqs: Arrays,
              max_exp_avg_sqs: Optional[Arrays], steps: Sequence[int], lr: float, beta1: float, beta2: float,
              eps: float, weight_decay: float, amsgrad: bool, decoupled: bool, maximize: bool) -> None:
    for i, (p, g) in enumerate(zip(params, grads)):
        t = float(steps[i])
        g = _grad(p, g, maximize, 0.0 if decoupled else weight_decay)
        if decoupled and weight_decay != 0:
            p *= 1.0 - lr * weight_decay
        m, v = exp_avgs[i], exp_avg_sqs[i]
        m[...] = _lerp(m, g, 1.0 - beta1)
        v[...] = v * beta2 + (1.0 - beta2) * g * g
        if amsgrad:
            np.maximum(max_exp_avg_sqs[i], v, out=max_exp_avg_sqs[i])
            v = max_exp_avg_sqs[i]
        denom = np.sqrt(v) / math.sqrt(1.0 - beta2 ** t) + eps
        p += (-(lr / (1.0 - beta1 ** t)) * m) / denom


def rmsprop_step(params: Arrays, grads: Arrays, square_avgs: Arrays, momentum_buffers: Optional[Arrays],
                 grad_avgs: Optional[Arrays], *, lr: float, alpha: float, eps: float, weight_decay: float,
                 momentum: float, centered: bool, maximize: bool) -> None:
    for i, (p, g) in enumerate(zip(params, grads)):
        g = _grad(p, g, maximize, weight_decay)
        sq = square_avgs[i]
        sq[...] = sq * alpha + (1.0 - alpha) * g * g
        if centered:
            ga = grad_avgs[i]
            ga[...] = _lerp(ga, g, 1.0 - alpha)
            avg = np.sqrt(sq - ga * ga) + eps
        else:
            avg = np.sqrt(sq) + eps
        if momentum > 0:
            b = momentum_buffers[i]
            b[...] = b * momentum + g / avg
            p += -lr * b
        else:
            p += (-lr * g) / avg


def adagrad_step(params: Arrays, grads: Arrays, sums: Arrays, steps: Sequence[int], *, lr: float, lr_decay: float,
                 weight_decay: float, eps: float, maximize: bool) -> None:
    for i, (p, g) in enumerate(zip(params, grads)):
        g = _grad(p, g, maximize, weight_decay)
        sums[i] += g * g
        p += (-(lr / (1.0 + (steps[i] - 1) * lr_decay)) * g) / (np.sqrt(sums[i]) + eps)


def adadelta_step(params: Arrays, grads: Arrays, square_avgs: Arrays, acc_deltas: Arrays, *, lr: float, rho: float,
                  eps: float, weight_decay: float, maximize: bool) -> None:
    for i, (p, g) in enumerate(zip(params, grads)):
        g = _grad(p, g, maximize, weight_decay)
        sq, acc = square_avgs[i], acc_deltas[i]
        sq[...] = sq * rho + (1.0 - rho) * g * g
        d = np.sqrt(acc + eps) / np.sqrt(sq + eps) * g
        acc[...] = acc * rho + (1.0 - rho) * d * d
        p += -lr * d


def adamax_step(params: Arrays, grads: Arrays, exp_avgs: Arrays, exp_infs: Arrays, steps: Sequence[int], *,
                lr: float, beta1: float, beta2: float, eps: float, weight_decay: float, maximize: bool) -> None:
    for i, (p, g) in enumerate(zip(params, grads)):
        g = _grad(p, g, maximize, weight_decay)
        m, u = exp_avgs[i], exp_infs[i]
        m[...] = _lerp(m, g, 1.0 - beta1)
        scaled, cand = u * beta2, np.abs(g) + eps
        u[...] = np.where(scaled > cand, scaled, cand)
        p += (-(lr / (1.0 - beta1 ** float(steps[i]))) * m) / u


def _moments(p, g, m, v, lr, beta1, beta2, weight_decay, decoupled, maximize):
    g = _grad(p, g, maximize, 0.0 if decoupled else weight_decay)
    if decoupled and weight_decay != 0:
        p *= 1.0 - lr * weight_decay
    m[...] = _lerp(m, g, 1.0 - beta1)
    v[...] = v * beta2 + (1.0 - beta2) * g * g
    return g


def nadam_step(params: Arrays, grads: Arrays, exp_avgs: Arrays, exp_avg_sqs: Arrays, steps: Sequence[int],
               mu_products: Sequence[float], *, lr: float, beta1: float, beta2: float, eps: float,
               weight_decay: float, momentum_decay: float, decoupled: bool, maximize: bool) -> None:
    for i, (p, g) in enumerate(zip(params, grads)):
        t, prod = float(steps[i]), float(mu_products[i])
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1.0) * momentum_decay))
        g = _moments(p, g, exp_avgs[i], exp_avg_sqs[i], lr, beta1, beta2, weight_decay, decoupled, maximize)
        denom = np.sqrt(exp_avg_sqs[i] / (1.0 - beta2 ** t)) + eps
        p += ((-lr * (1.0 - mu) / (1.0 - prod)) * g) / denom
        p += ((-lr * mu_next) / (1.0 - prod * mu_next) * exp_avgs[i]) / denom


def radam_step(params: Arrays, grads: Arrays, exp_avgs: Arrays, exp_avg_sqs: Arrays, steps: Sequence[int], *,
               lr: float, beta1: float, beta2: float, eps: float, weight_decay: float, decoupled: bool,
               maximize: bool) -> None:
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    for i, (p, g) in enumerate(zip(params, grads)):
        t = float(steps[i])
        bc1, bc2 = 1.0 - beta1 ** t, 1.0 - beta2 ** t
        rho_t = rho_inf - 2.0 * t * beta2 ** t / bc2
        _moments(p, g, exp_avgs[i], exp_avg_sqs[i], lr, beta1, beta2, weight_decay, decoupled, maximize)
        upd = exp_avgs[i] / bc1 * lr
        if rho_t > 5.0:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            upd = upd * (1.0 / (np.sqrt(exp_avg_sqs[i]) + eps) * math.sqrt(bc2)) * rect
        p -= upd
