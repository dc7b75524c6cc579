"""Binary restricted Boltzmann machine trained by contrastive divergence (CD-k) or persistent CD."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from .. import _core, nn
from .. import functional as F
from .. import random as _random
from .._coerce import as_f32, as_f32_tensor
from ..nn.parameter import Parameter
from ..tensor import Tensor
from ..train.callbacks import Callback
from ._common import fit_steps


class RBM(nn.Module):
    """Bernoulli-Bernoulli RBM with energy ``E(v, h) = -v.b - h.c - h W v`` (Hinton 2010).

    Parameters: ``weight`` ``(n_hidden, n_visible)`` (the layout of ``nn.Linear(n_visible, n_hidden)``, so a
    trained RBM unrolls into a Linear layer), ``visible_bias`` ``(n_visible,)``, ``hidden_bias``
    ``(n_hidden,)``. Each Gibbs half-step is one fused C++ kernel (``_core.rbm_sample``: GEMM + bias +
    sigmoid + Bernoulli draw from a counter-based RNG seeded by ``nnengine.random.seed_int()``, identical
    at any thread count).

    ``contrastive_divergence(v)`` runs CD-k (``persistent=False``: chains start at the data) or PCD-k
    (``persistent=True``: ``num_chains`` fantasy particles carried between calls), writes the negative
    log-likelihood gradient estimate into each parameter's ``.grad`` and returns the batch's mean squared
    reconstruction error; any optimizer (SGD with momentum is the classic choice) then takes the step.
    ``forward(v)`` gives the hidden probabilities as a differentiable Tensor (features for a classifier).

    Example:
        >>> rbm = RBM(16, 8, k=1)
        >>> v = (ne.rand(10, 16) > 0.5).float().numpy()
        >>> err = rbm.contrastive_divergence(v)
        >>> rbm(ne.tensor(v)).shape  # hidden probabilities
        (10, 8)
    """

    def __init__(self, n_visible: int, n_hidden: int, k: int = 1, persistent: bool = False,
                 num_chains: int = 100) -> None:
        super().__init__()
        if int(n_visible) < 1 or int(n_hidden) < 1:
            raise ValueError(f"n_visible, n_hidden: expected positive sizes, got {n_visible}, {n_hidden}")
        if int(k) < 1:
            raise ValueError(f"k: expected at least 1 Gibbs step, got {k}")
        if int(num_chains) < 1:
            raise ValueError(f"num_chains: expected a positive count, got {num_chains}")
        self.n_visible, self.n_hidden, self.k = int(n_visible), int(n_hidden), int(k)
        self.persistent, self.num_chains = bool(persistent), int(num_chains)
        self.weight = Parameter.new(self.n_hidden, self.n_visible)
        self.weight._data[...] = _random.generator().standard_normal((self.n_hidden, self.n_visible)) * 0.01
        self.visible_bias = Parameter.new(self.n_visible, fill=0.0)
        self.hidden_bias = Parameter.new(self.n_hidden, fill=0.0)
        self._chain: Optional[np.ndarray] = None

    # ------------------------------------------------------------------ Gibbs half-steps (numpy)
    def sample_hidden(self, v: Any, sample: bool = True) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        """``(p(h=1|v), h sample or None)`` as float32 arrays ``(N, n_hidden)``.

        Example:
            >>> p, h = RBM(16, 8).sample_hidden(np.ones((3, 16), np.float32))
            >>> p.shape, sorted(set(h.ravel().tolist())) <= [0.0, 1.0]
            ((3, 8), True)
        """
        v = self._check(v, self.n_visible, "v")
        seed = _random.seed_int() if sample else None
        return _core.rbm_sample(v, self.weight._data, self.hidden_bias._data, True, seed)

    def sample_visible(self, h: Any, sample: bool = True) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        """``(p(v=1|h), v sample or None)`` as float32 arrays ``(N, n_visible)``.

        Example:
            >>> p, v = RBM(16, 8).sample_visible(np.ones((3, 8), np.float32), sample=False)
            >>> p.shape, v
            ((3, 16), None)
        """
        h = self._check(h, self.n_hidden, "h")
        seed = _random.seed_int() if sample else None
        return _core.rbm_sample(h, self.weight._data, self.visible_bias._data, False, seed)

    @staticmethod
    def _check(x, width: int, name: str) -> np.ndarray:
        a = as_f32(x)
        if a.ndim != 2 or a.shape[1] != width:
            raise ValueError(f"{name}: expected shape (N, {width}), got {a.shape}")
        return a

    # ------------------------------------------------------------------ training
    def contrastive_divergence(self, v: Any) -> float:
        """One CD-k / PCD-k gradient estimate into ``.grad`` (descent direction convention); returns the
        mean squared error of the one-step reconstruction ``p(v|h0)`` against ``v``.

        Example:
            >>> rbm = RBM(16, 8)
            >>> err = rbm.contrastive_divergence((ne.rand(10, 16) > 0.5).float().numpy())
            >>> err >= 0, [p.grad is not None for p in rbm.parameters()]
            (True, [True, True, True])
        """
        v0 = self._check(v, self.n_visible, "v")
        n = v0.shape[0]
        ph0, h0 = self.sample_hidden(v0)
        recon, _ = self.sample_visible(h0, sample=False)
        err = float(np.mean((recon - v0) ** 2))
        if self.persistent:
            if self._chain is None:
                idx = _random.generator().integers(0, n, self.num_chains)
                self._chain = as_f32(_random.generator().random((self.num_chains, self.n_visible)) < v0[idx])
            _, h = self.sample_hidden(self._chain)
            for _ in range(self.k):
                _, vk = self.sample_visible(h)
                phk, h = self.sample_hidden(vk)
            self._chain = vk
        else:
            h = h0
            for _ in range(self.k):
                vk, _ = self.sample_visible(h, sample=False)  # mean-field visible reconstruction (Hinton 2010)
                phk, h = self.sample_hidden(vk)
        m = vk.shape[0]
        pos = _core.gemm(ph0, v0, trans_a=True) / n
        neg = _core.gemm(phk, vk, trans_a=True) / m
        self.weight.grad = (neg - pos).astype(np.float32)
        self.visible_bias.grad = (vk.mean(0) - v0.mean(0)).astype(np.float32)
        self.hidden_bias.grad = (phk.mean(0) - ph0.mean(0)).astype(np.float32)
        return err

    def fit(self, x: Any, epochs: int = 10, lr: float = 0.05, batch_size: int = 20, momentum: float = 0.9,
            verbose: bool = False) -> List[float]:
        """SGD with momentum (0.5 for the first 5 epochs, then ``momentum``, as in Hinton 2010) on CD/PCD
        gradients; returns the per-epoch mean reconstruction error.

        Example:
            >>> rbm = RBM(16, 8)
            >>> len(rbm.fit((ne.rand(40, 16) > 0.5).float().numpy(), epochs=2))
            2
        """
        x = as_f32(x)
        x = x.reshape(len(x), -1)
        vel = [np.zeros_like(p._data) for p in self.parameters()]
        mom = [0.5]

        class Momentum(Callback):
            def on_epoch_begin(self, epoch: int, logs: Optional[Dict[str, float]] = None) -> None:
                mom[0] = 0.5 if epoch < 5 else float(momentum)

        def step(xb: Tensor) -> float:  # CD has no loss to back-propagate: the update is this step's own
            err = self.contrastive_divergence(xb._data)
            for p, v in zip(self.parameters(), vel):
                v *= mom[0]
                v -= lr * p.grad
                p.data += v
            return err

        return fit_steps(self, step, [x], epochs, batch_size, verbose, callbacks=[Momentum()])["loss"]

    def reset_chains(self) -> None:
        """Forget the persistent chains (PCD restarts them from the next batch).

        Example:
            >>> rbm = RBM(16, 8, persistent=True, num_chains=10)
            >>> _ = rbm.contrastive_divergence(np.ones((10, 16), np.float32))
            >>> rbm.reset_chains()
        """
        self._chain = None

    # ------------------------------------------------------------------ inference
    def forward(self, v: Tensor) -> Tensor:
        """Hidden probabilities ``sigmoid(v W^T + c)`` (differentiable).

        Example:
            >>> RBM(16, 8)(ne.rand(3, 16)).shape
            (3, 8)
        """
        v = as_f32_tensor(v)
        return F.sigmoid(F.linear(v.flatten(1) if v.ndim > 2 else v, self.weight, self.hidden_bias))

    def reconstruct(self, v: Any) -> np.ndarray:
        """Mean-field up-down pass ``p(v | p(h|v))``.

        Example:
            >>> RBM(16, 8).reconstruct(np.ones((3, 16), np.float32)).shape
            (3, 16)
        """
        ph, _ = self.sample_hidden(v, sample=False)
        return self.sample_visible(ph, sample=False)[0]

    def free_energy(self, v: Any) -> np.ndarray:
        """``F(v) = -v.b - sum_j softplus(c_j + W_j v)`` per row (float64).

        Example:
            >>> RBM(16, 8).free_energy(np.ones((3, 16), np.float32)).shape
            (3,)
        """
        v = self._check(v, self.n_visible, "v").astype(np.float64)
        pre = v @ self.weight._data.T.astype(np.float64) + self.hidden_bias._data
        return -(v @ self.visible_bias._data) - np.logaddexp(0.0, pre).sum(1)

    def gibbs_sample(self, n: int, steps: int = 1000, init: Any = None) -> np.ndarray:
        """Run ``steps`` Gibbs steps from ``init`` (or uniform noise) and return ``p(v|h)`` of the last step.

        Example:
            >>> RBM(16, 8).gibbs_sample(5, steps=10).shape
            (5, 16)
        """
        v = as_f32(init) if init is not None else as_f32(_random.generator().random((int(n), self.n_visible)) < 0.5)
        pv = v
        for _ in range(int(steps)):
            _, h = self.sample_hidden(v)
            pv, v = self.sample_visible(h)
        return pv

    def extra_repr(self) -> str:
        return f"n_visible={self.n_visible}, n_hidden={self.n_hidden}, k={self.k}, persistent={self.persistent}"
