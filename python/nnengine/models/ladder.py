"""Ladder network, Gamma variant (Rasmus, Valpola, Honkala, Berglund & Raiko 2015): semi-supervised
learning from a few labels plus unlabelled data by denoising the top layer of a noisy encoder."""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from .. import functional as F
from .. import nn
from .. import random as _random
from .._coerce import as_f32, as_f32_tensor
from ..autograd import no_grad
from ..data.loader import DataLoader, TensorDataset
from ..functional._batchnorm import BatchNormFn
from ..nn.parameter import Parameter
from ..tensor import Tensor
from ._common import adam, fit_steps, gaussian


class Ladder(nn.Module):
    """Fully connected Gamma-model ladder network ``sizes[0] -> ... -> sizes[-1]`` (classes).

    Every layer is ``z = normalise(W h)`` (batch statistics in training, running averages in eval), then
    ReLU(``z + beta``) in hidden layers and ``gamma * (z + beta)`` logits at the top. The corrupted path
    adds ``N(0, noise_std^2)`` to the input and to every ``z``. The top-layer decoder denoises ``z~_L``
    with the per-unit combinator of the paper (``a1..a10``, driven by ``u = normalise(softmax(logits~))``):
    ``mu = a1 sigmoid(a2 u + a3) + a4 u + a5``, ``v = a6 sigmoid(a7 u + a8) + a9 u + a10``,
    ``z^ = (z~ - mu) v + mu``. Loss = cross-entropy of the noisy logits on labelled rows +
    ``denoising_weight`` * mean squared error between ``z^`` (normalised with the clean batch statistics)
    and the clean ``z_L``, on all rows. Set ``denoising_weight=0`` for the purely supervised baseline.

    Example:
        >>> ladder = Ladder([16, 8, 3])
        >>> x, y = ne.rand(12, 16).numpy(), np.arange(12) % 3
        >>> _ = ladder.fit(x[:6], y[:6], x[6:], epochs=2)
        >>> 0.0 <= ladder.accuracy(x, y) <= 1.0
        True
    """

    def __init__(self, sizes: Sequence[int], noise_std: float = 0.3, denoising_weight: float = 1.0,
                 momentum: float = 0.1, eps: float = 1e-5) -> None:
        super().__init__()
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes: expected at least 2 positive layer sizes, got {sizes}")
        if noise_std < 0 or denoising_weight < 0:
            raise ValueError(f"noise_std, denoising_weight: expected >= 0, got {noise_std}, {denoising_weight}")
        self.sizes, self.noise_std, self.denoising_weight = sizes, float(noise_std), float(denoising_weight)
        self.momentum, self.eps = float(momentum), float(eps)
        self.layers = nn.ModuleList()
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            lin = nn.Linear(a, b, bias=False)
            if i < len(sizes) - 2:
                nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
            else:
                nn.init.xavier_uniform_(lin.weight)
            self.layers.append(lin)
            self.register_buffer(f"running_mean_{i}", np.zeros(b, np.float32))
            self.register_buffer(f"running_var_{i}", np.ones(b, np.float32))
        for i, s in enumerate(sizes[1:]):
            setattr(self, f"beta_{i}", Parameter(np.zeros(s, np.float32)))
        k = sizes[-1]
        self.gamma = Parameter(np.ones(k, np.float32))
        init = np.zeros((10, k), np.float32)
        init[[1, 6]] = 1.0  # a2 = a7 = 1, the paper's initialisation
        self.combinator = Parameter(init)

    # ------------------------------------------------------------------ encoder
    def _normalise(self, z: Tensor, i: int, update: bool) -> Tuple[Tensor, Tensor, Tensor]:
        """Batch norm without affine (the batchnorm kernel): batch statistics in training (the running ones
        updated when ``update``), running statistics in eval; also returns the (mean, variance) used."""
        keep = update or not self.training
        rm = getattr(self, f"running_mean_{i}") if keep else None
        rv = getattr(self, f"running_var_{i}") if keep else None
        stats: List[np.ndarray] = []
        y = BatchNormFn.apply(z, None, None, rm, rv, self.training, self.momentum, self.eps, stats)
        return y, Tensor(stats[0]), Tensor(stats[1])

    def encode(self, x: Tensor, noisy: bool) -> Tuple[Tensor, Tensor, List[Tuple[Tensor, Tensor]]]:
        """``(logits, z_L, [(mean, var) per layer])`` of the clean or corrupted path.

        Example:
            >>> logits, z, stats = Ladder([16, 8, 3]).encode(ne.rand(4, 16), noisy=True)
            >>> logits.shape, len(stats)
            ((4, 3), 2)
        """
        h = x + gaussian(x.shape, self.noise_std) if noisy and self.noise_std > 0 else x
        stats = []
        n = len(self.layers)
        for i, lin in enumerate(self.layers):
            z, mean, var = self._normalise(lin(h), i, update=not noisy)
            stats.append((mean, var))
            if noisy and self.noise_std > 0:
                z = z + gaussian(z.shape, self.noise_std)
            beta = getattr(self, f"beta_{i}")
            if i < n - 1:
                h = F.relu(z + beta)
            else:
                return (z + beta) * self.gamma, z, stats
        raise AssertionError("unreachable")

    def forward(self, x: Tensor) -> Tensor:
        """Class logits of the clean path.

        Example:
            >>> Ladder([16, 8, 3]).eval()(ne.rand(4, 16)).shape
            (4, 3)
        """
        x = as_f32_tensor(x)
        return self.encode(x.flatten(1) if x.ndim > 2 else x, noisy=False)[0]

    # ------------------------------------------------------------------ decoder (top layer) and loss
    def _denoise(self, z_noisy: Tensor, u: Tensor) -> Tensor:
        a = [self.combinator[j] for j in range(10)]
        mu = a[0] * F.sigmoid(a[1] * u + a[2]) + a[3] * u + a[4]
        v = a[5] * F.sigmoid(a[6] * u + a[7]) + a[8] * u + a[9]
        return (z_noisy - mu) * v + mu

    def loss(self, x_labelled: Any, y_labelled: Any, x_unlabelled: Any = None) -> Tuple[Tensor, dict]:
        """``(total, {"supervised", "denoising"})`` on one batch of labelled and (optional) unlabelled rows.

        Example:
            >>> total, parts = Ladder([16, 8, 3]).loss(ne.rand(4, 16), np.array([0, 1, 2, 0]), ne.rand(6, 16))
            >>> total.shape, sorted(parts)
            ((), ['denoising', 'supervised'])
        """
        xl = as_f32(x_labelled)
        parts = [xl.reshape(len(xl), -1)]
        if x_unlabelled is not None and len(x_unlabelled):
            xu = as_f32(x_unlabelled)
            parts.append(xu.reshape(len(xu), -1))
        x = Tensor(np.concatenate(parts)) if len(parts) > 1 else Tensor(parts[0])
        nl = len(xl)
        logits_n, z_n, _ = self.encode(x, noisy=True)
        sup = F.cross_entropy(logits_n[:nl], np.asarray(y_labelled, dtype=np.int64))
        stats = {"supervised": float(sup.item()), "denoising": 0.0}
        if self.denoising_weight == 0:
            with no_grad():  # the clean pass only updates the running statistics used in eval mode
                self.encode(x, noisy=False)
            return sup, stats
        _, z_clean, clean_stats = self.encode(x, noisy=False)
        p = F.softmax(logits_n, 1)
        pm = p.mean(0)
        u = (p - pm) / (((p - pm) * (p - pm)).mean(0) + self.eps).sqrt()
        z_hat = self._denoise(z_n, u)
        # z_n and z_clean are already normalised, so z^ compares with z_clean directly (the paper's z^_BN)
        den = ((z_hat - z_clean) * (z_hat - z_clean)).mean()
        stats["denoising"] = float(den.item())
        return sup + den * self.denoising_weight, stats

    # ------------------------------------------------------------------ training
    def fit(self, x_labelled: Any, y_labelled: Any, x_unlabelled: Any = None, epochs: int = 100, lr: float = 2e-3,
            batch_size: int = 100, labelled_batch: Optional[int] = None) -> List[float]:
        """Adam; each step takes ``labelled_batch`` labelled rows (default: all, capped at batch_size) and
        ``batch_size`` unlabelled rows; an epoch is one pass over the unlabelled data (or 10 steps without
        it). Returns per-epoch mean losses and leaves the model in eval mode.

        Example:
            >>> x, y = ne.rand(12, 16).numpy(), np.arange(12) % 3
            >>> len(Ladder([16, 8, 3]).fit(x, y, epochs=2))
            2
        """
        xl, yl = as_f32(x_labelled), np.asarray(y_labelled, dtype=np.int64)
        xu = None if x_unlabelled is None else as_f32(x_unlabelled)
        nlb = min(len(xl), int(labelled_batch or batch_size))
        opt = adam(self.parameters(), lr)
        g = _random.generator()
        self.train()

        def step(ub: Tensor) -> float:
            li = g.choice(len(xl), nlb, replace=False)
            opt.zero_grad()
            loss, _ = self.loss(xl[li], yl[li], None if xu is None else ub)
            loss.backward()
            opt.step()
            return float(loss.item())

        # an epoch: one pass over full unlabelled batches (at least one), or 10 steps without unlabelled data
        data = DataLoader(TensorDataset(np.zeros(10, np.float32)), batch_size=1) if xu is None else \
            DataLoader(TensorDataset(xu), batch_size=batch_size, shuffle=True, drop_last=len(xu) >= batch_size)
        history = fit_steps(self, step, data, epochs, batch_size)["loss"]
        self.eval()
        return history

    def accuracy(self, x: Any, y: Any) -> float:
        """Clean-path (eval mode) accuracy.

        Example:
            >>> x, y = ne.rand(12, 16).numpy(), np.arange(12) % 3
            >>> 0.0 <= Ladder([16, 8, 3]).accuracy(x, y) <= 1.0
            True
        """
        was = self.training
        self.eval()
        with no_grad():
            pred = self.forward(x)._data.argmax(1)
        self.train(was)
        return float((pred == np.asarray(y)).mean())
