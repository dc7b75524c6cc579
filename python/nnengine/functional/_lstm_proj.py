"""LSTM with projections (torch's ``nn.LSTM(..., proj_size=P)``, Sak et al. 2014): each step's hidden state is
projected, h_t = W_hr (o_t * tanh(c_t)), so h is P wide while the cell c stays H wide. Composed of tape ops (one
input GEMM per layer and direction for every step at once, then the step loop), so gradients reach every weight;
the recurrent kernels have no projection."""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np

from ..tensor import Tensor, cat, stack
from ._linear import linear
from ._rnn import _layer_dropout


def _direction(x: Tensor, h: Tensor, c: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor],
               b_hh: Optional[Tensor], w_hr: Tensor, reverse: bool) -> Tuple[Tensor, Tensor, Tensor]:
    """One direction of one layer over x (T, B, I): (outputs (T, B, P), h_T, c_T)."""
    steps, batch = x.shape[0], x.shape[1]
    bias = None if b_ih is None else b_ih + b_hh
    xw = linear(x.reshape(steps * batch, x.shape[2]), w_ih, bias).reshape(steps, batch, w_ih.shape[0])
    outs: List[Tensor] = []
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        gates = xw[t] + linear(h, w_hh)
        i, f, g, o = gates.chunk(4, 1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = linear(o.sigmoid() * c.tanh(), w_hr)
        outs.append(h)
    if reverse:
        outs.reverse()
    return stack(outs, 0), h, c


def lstm_projected(x: Tensor, h0: Optional[Tensor], c0: Optional[Tensor], params: Sequence[Optional[Tensor]],
                   num_layers: int, bidirectional: bool, dropout: float, training: bool
                   ) -> Tuple[Tensor, Tensor, Tensor]:
    """x (T, B, I) time-major; params per layer and direction: w_ih, w_hh, b_ih, b_hh, w_hr (biases None when the
    layer has none); h0 (L * D, B, P), c0 (L * D, B, H) or None. Returns (output (T, B, D * P), h_n, c_n)."""
    dirs = 2 if bidirectional else 1
    batch = x.shape[1]
    hs: List[Tensor] = []
    cs: List[Tensor] = []
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            w_ih, w_hh, b_ih, b_hh, w_hr = params[5 * k: 5 * k + 5]
            h = Tensor(np.zeros((batch, w_hr.shape[0]), x.dtype)) if h0 is None else h0[k]
            c = Tensor(np.zeros((batch, w_hr.shape[1]), x.dtype)) if c0 is None else c0[k]
            out, h, c = _direction(x, h, c, w_ih, w_hh, b_ih, b_hh, w_hr, d == 1)
            outs.append(out)
            hs.append(h)
            cs.append(c)
        x = outs[0] if dirs == 1 else cat(outs, 2)
        if dropout > 0 and training and layer < num_layers - 1:
            x = _layer_dropout(x, dropout)
    return x, stack(hs, 0), stack(cs, 0)
