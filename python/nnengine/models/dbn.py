"""Deep belief network: a stack of RBMs pre-trained greedily, then unrolled into an MLP and fine-tuned
(Hinton, Osindero & Teh 2006; Hinton & Salakhutdinov 2006)."""

from __future__ import annotations

from typing import Any, List, Sequence

import numpy as np

from .. import functional as F
from .. import nn
from .._coerce import as_f32, as_f32_tensor
from ..autograd import no_grad
from ..tensor import Tensor
from ._common import adam, fit_steps
from .rbm import RBM


class DBN(nn.Module):
    """Stack of binary RBMs ``sizes[0] -> sizes[1] -> ... -> sizes[-1]``.

    ``pretrain(x)`` trains each RBM on the hidden probabilities of the one below (greedy layer-wise, CD-k).
    ``unroll(num_classes)`` builds ``nn.Sequential(Linear, Sigmoid, ..., Linear(sizes[-1], num_classes))``
    whose hidden Linear layers copy the RBMs' ``weight`` / ``hidden_bias`` (``pretrained=False`` gives the
    same architecture from random init, the baseline). ``finetune(mlp, x, y)`` trains it with
    cross-entropy. ``forward(x)`` is the deterministic up-pass (top hidden probabilities).

    Example:
        >>> x = (ne.rand(40, 16) > 0.5).float().numpy()
        >>> dbn = DBN([16, 8, 4]); _ = dbn.pretrain(x, epochs=1)
        >>> mlp = dbn.unroll(num_classes=3); mlp(ne.tensor(x)).shape
        (40, 3)
    """

    def __init__(self, sizes: Sequence[int], k: int = 1) -> None:
        super().__init__()
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes: expected at least 2 positive layer sizes, got {sizes}")
        self.sizes = sizes
        self.rbms = nn.ModuleList([RBM(a, b, k=k) for a, b in zip(sizes[:-1], sizes[1:])])

    def forward(self, x: Tensor) -> Tensor:
        h = as_f32_tensor(x)
        h = h.flatten(1) if h.ndim > 2 else h
        for r in self.rbms:
            h = r(h)
        return h

    def pretrain(self, x: Any, epochs: int = 10, lr: float = 0.05, batch_size: int = 20,
                 verbose: bool = False) -> List[List[float]]:
        """Greedy layer-wise CD training; returns each RBM's per-epoch reconstruction errors.

        Example:
            >>> x = (ne.rand(40, 16) > 0.5).float().numpy()
            >>> history = DBN([16, 8, 4]).pretrain(x, epochs=2)
            >>> len(history), len(history[0])
            (2, 2)
        """
        h = as_f32(x)
        h = h.reshape(len(h), -1)
        history = []
        for i, r in enumerate(self.rbms):
            history.append(r.fit(h, epochs=epochs, lr=lr, batch_size=batch_size))
            if verbose:
                print(f"RBM {i}: reconstruction mse {history[-1][0]:.4f} -> {history[-1][-1]:.4f}")
            h = r.sample_hidden(h, sample=False)[0]
        return history

    def unroll(self, num_classes: int, pretrained: bool = True) -> nn.Sequential:
        """The MLP ``Linear + Sigmoid`` per RBM plus a Linear classifier head (logits).

        Example:
            >>> DBN([16, 8]).unroll(num_classes=3)
            Sequential(
              (0): Linear(in_features=16, out_features=8, bias=True)
              (1): Sigmoid()
              (2): Linear(in_features=8, out_features=3, bias=True)
            )
        """
        if int(num_classes) < 1:
            raise ValueError(f"num_classes: expected a positive count, got {num_classes}")
        mods: List[nn.Module] = []
        for r in self.rbms:
            lin = nn.Linear(r.n_visible, r.n_hidden)
            if pretrained:
                lin.weight._data[...] = r.weight._data
                lin.bias._data[...] = r.hidden_bias._data
            mods += [lin, nn.Sigmoid()]
        mods.append(nn.Linear(self.sizes[-1], int(num_classes)))
        return nn.Sequential(*mods)

    @staticmethod
    def finetune(mlp: nn.Module, x: Any, y: Any, epochs: int = 50, lr: float = 3e-3, batch_size: int = 32) -> List[float]:
        """Adam on cross-entropy; returns per-epoch mean losses (the model is left in eval mode).

        Example:
            >>> x, y = ne.rand(30, 16).numpy(), np.arange(30) % 3
            >>> mlp = DBN([16, 8]).unroll(3)
            >>> len(DBN.finetune(mlp, x, y, epochs=2))
            2
        """
        x = as_f32(x)
        x = x.reshape(len(x), -1)
        y = np.asarray(y, dtype=np.int64)
        opt = adam(mlp.parameters(), lr)
        mlp.train()

        def step(xb: Tensor, yb: Tensor) -> float:
            opt.zero_grad()
            loss = F.cross_entropy(mlp(xb), yb)
            loss.backward()
            opt.step()
            return float(loss.item())

        history = fit_steps(mlp, step, [x, y], epochs, batch_size)["loss"]
        mlp.eval()
        return history

    @staticmethod
    def accuracy(model: nn.Module, x: Any, y: Any) -> float:
        """Fraction of rows of ``x`` whose argmax logit equals ``y``.

        Example:
            >>> x, y = ne.rand(30, 16).numpy(), np.arange(30) % 3
            >>> 0.0 <= DBN.accuracy(DBN([16, 8]).unroll(3), x, y) <= 1.0
            True
        """
        with no_grad():
            x = as_f32(x)
            return float((model(Tensor(x.reshape(len(x), -1)))._data.argmax(1) == np.asarray(y)).mean())
