"""Recurrent networks: one autograd node per layer, one C++ call per direction over the whole sequence.

``rnn_sequence`` / ``lstm_sequence`` / ``gru_sequence`` run one direction of one layer over a whole
(T, B, I) sequence (the time loop is in C++); ``rnn`` / ``lstm`` / ``gru`` stack layers of one or two
directions (both writing one (T, B, 2H) output) with PyTorch's flat parameter list, as ``nn.RNN`` /
``nn.LSTM`` / ``nn.GRU`` use them. Under ``autocast("bf16")`` a layer's gate products (input projections,
recurrent products, their gradients) run in bf16 with float32 sums, forward and backward; states, gates and
parameters stay float32.
"""

from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from .. import _core
from .._higher_order import recompute
from ..amp import _bf16_on, _entered
from ..autograd import Function
from ..tensor import Tensor, stack
from . import _float64
from ._dropout import dropout, dropout_mask
from ._util import check_tensor, f32c, is_f64, same_float_dtype


def _bias(b_ih, b_hh):
    if b_ih is None and b_hh is None:
        return None
    if b_ih is None or b_hh is None:
        return f32c(b_ih if b_hh is None else b_hh)
    return np.add(b_ih, b_hh, dtype=np.float32)


def _bias_grads(has_ih: bool, has_hh: bool, db):
    if db is None:
        return None, None
    return (db if has_ih else None), (db.copy() if has_hh else None)


def _layer_out(x, D: int, H: int):
    """One (T, B, D*H) output both directions write into (their own column halves), or None for D = 1."""
    return np.empty((x.shape[0], x.shape[1], D * H), np.float32) if D == 2 else None


def _empty_batch_forward(ctx, x, D: int, H: int, args, n_states: int):
    """B = 0 (the kernels need B >= 1): the outputs are empty, every state is (0, H), and the backward pass
    has nothing to sum, so all gradients are zeros of the inputs' shapes (PyTorch's behaviour)."""
    ctx.empty_shapes = (x.shape, [None if a is None else np.shape(a) for a in args])
    y = np.zeros((x.shape[0], 0, D * H), np.float32)
    return (y, *[np.zeros((0, H), np.float32) for _ in range(D * n_states)])


def _empty_batch_backward(ctx):
    xs, shapes = ctx.empty_shapes
    return np.zeros(xs, np.float32), [None if s is None else np.zeros(s, np.float32) for s in shapes]


def _layer_forward(ctx, x, D: int, rev0: bool, args, n_states: int, run):
    """The forward of a layer node: ``run(x, dir_args, reverse, train, out, col)`` runs one direction
    (writing its H columns of the shared output ``out`` from ``col``) -> (y, *final states, saved)."""
    x = f32c(x)
    ctx.layer_args = (x, D, rev0) + tuple(args)  # (create_graph=True recomputes the layer from them)
    ctx.bf16 = _entered[0] > 0 and _bf16_on()  # autocast("bf16"): the gate products in bf16, both passes
    k = len(args) // D
    H = args[n_states + 1].shape[1]  # w_hh (G*H, H) follows the direction's states
    if x.shape[1] == 0:
        return _empty_batch_forward(ctx, x, D, H, args, n_states)
    out = _layer_out(x, D, H)
    train = any(ctx.needs_input_grad)
    y, states, saved = None, [], []
    for d in range(D):
        y, *st, sv = run(x, args[k * d : k * d + k], d == 1 or rev0, train, out, d * H)
        states += st
        saved.append(sv)
    if train:
        ctx.save_for_backward(x, y, saved)
    ctx.H, ctx.rev0 = H, rev0
    return (y, *states)


def _layer_backward(ctx, dy, dstates, n_lead: int, back):
    """The backward of a layer node: ``back(dy, dir_dstates, x, y, saved, reverse, col)`` -> (dx, *grads
    of the direction's inputs); n_lead non-tensor arguments follow x."""
    lead = (None,) * n_lead
    if getattr(ctx, "empty_shapes", None) is not None:
        dx, grads = _empty_batch_backward(ctx)
        return (dx, *lead, *grads)
    x, y, saved = ctx.saved_tensors
    dy, grads, dx = f32c(dy), [], None
    n = len(dstates) // len(saved)
    for d, sv in enumerate(saved):
        dst = [f32c(s) for s in dstates[n * d : n * d + n]]
        dxd, *g = back(dy, dst, x, y, sv, d == 1 or ctx.rev0, d * ctx.H)
        dx = dxd if dx is None else dx + dxd
        grads += g
    return (dx, *lead, *grads)


class RNNLayerFn(Function):
    """One layer of D = 1 or 2 directions: args (x, D, rev0, nonlinearity, then per direction h0, w_ih,
    w_hh, b_ih, b_hh) -> (y (T, B, D*H), then h_n per direction). The directions write one output array;
    direction 0 runs backwards in time if rev0, direction 1 always does."""

    @staticmethod
    def forward(ctx, x, D, rev0, nonlinearity, *args):
        ctx.nonlinearity = nonlinearity

        def run(x, a, reverse, train, out, col):
            h0, w_ih, w_hh, b_ih, b_hh = a
            h0, w_ih, w_hh, bias = f32c(h0), f32c(w_ih), f32c(w_hh), _bias(b_ih, b_hh)
            y, h_n = _core.rnn_forward(x, h0, w_ih, w_hh, bias, nonlinearity, reverse, out=out, out_col=col,
                                       bf16=ctx.bf16)
            return y, h_n, (h0, w_ih, w_hh, bias, b_ih is not None, b_hh is not None)

        return _layer_forward(ctx, x, D, rev0, args, 1, run)

    @staticmethod
    def backward(ctx, dy, *dhns):
        def back(dy, dst, x, y, sv, reverse, col):
            h0, w_ih, w_hh, bias, has_ih, has_hh = sv
            dx, dh0, dwi, dwh, db = _core.rnn_backward(
                dy, dst[0], x, h0, w_ih, w_hh, bias, y, ctx.nonlinearity, reverse, y_col=col, bf16=ctx.bf16
            )
            return (dx, dh0, dwi, dwh, *_bias_grads(has_ih, has_hh, db))

        return _layer_backward(ctx, dy, dhns, 3, back)

    @staticmethod
    def graph_backward(ctx, inputs, dy, *dhns):
        x, D, rev0, *args = ctx.layer_args
        return recompute(lambda t: _float64.rnn_layer(t[0], D, rev0, ctx.nonlinearity, *t[4:], cast=_float64._same),
                         inputs, (x, D, rev0, ctx.nonlinearity, *args), (dy, *dhns))


class LSTMLayerFn(Function):
    """One layer of D = 1 or 2 directions: args (x, D, rev0, then per direction h0, c0, w_ih, w_hh, b_ih,
    b_hh) -> (y (T, B, D*H), then h_n, c_n per direction). The directions write one output array;
    direction 0 runs backwards in time if rev0, direction 1 always does."""

    @staticmethod
    def forward(ctx, x, D, rev0, *args):
        def run(x, a, reverse, train, out, col):
            h0, c0, w_ih, w_hh, b_ih, b_hh = a
            h0, c0, w_ih, w_hh, bias = f32c(h0), f32c(c0), f32c(w_ih), f32c(w_hh), _bias(b_ih, b_hh)
            y, h_n, c_n, gates, cs = _core.lstm_forward(
                x, h0, c0, w_ih, w_hh, bias, reverse, train, out=out, out_col=col, bf16=ctx.bf16
            )
            return y, h_n, c_n, (h0, c0, w_ih, w_hh, bias, gates, cs, b_ih is not None, b_hh is not None)

        return _layer_forward(ctx, x, D, rev0, args, 2, run)

    @staticmethod
    def backward(ctx, dy, *dstates):
        def back(dy, dst, x, y, sv, reverse, col):
            h0, c0, w_ih, w_hh, bias, gates, cs, has_ih, has_hh = sv
            dx, dh0, dc0, dwi, dwh, db = _core.lstm_backward(
                dy, dst[0], dst[1], x, h0, c0, w_ih, w_hh, bias, y, gates, cs, reverse, y_col=col, bf16=ctx.bf16
            )
            return (dx, dh0, dc0, dwi, dwh, *_bias_grads(has_ih, has_hh, db))

        return _layer_backward(ctx, dy, dstates, 2, back)

    @staticmethod
    def graph_backward(ctx, inputs, dy, *dstates):
        x, D, rev0, *args = ctx.layer_args
        return recompute(lambda t: _float64.lstm_layer(t[0], D, rev0, *t[3:], cast=_float64._same),
                         inputs, (x, D, rev0, *args), (dy, *dstates))


class GRULayerFn(Function):
    """One layer of D = 1 or 2 directions: args (x, D, rev0, then per direction h0, w_ih, w_hh, b_ih,
    b_hh) -> (y (T, B, D*H), then h_n per direction). Gates r, z, n with b_hn inside the reset product
    (so the two biases stay separate). Direction 0 runs backwards in time if rev0, direction 1 always does."""

    @staticmethod
    def forward(ctx, x, D, rev0, *args):
        def run(x, a, reverse, train, out, col):
            h0, w_ih, w_hh, b_ih, b_hh = (None if v is None else f32c(v) for v in a)
            y, h_n, gates = _core.gru_forward(x, h0, w_ih, w_hh, b_ih, b_hh, reverse, train, out=out, out_col=col,
                                              bf16=ctx.bf16)
            return y, h_n, (h0, w_ih, w_hh, b_ih, b_hh, gates)

        return _layer_forward(ctx, x, D, rev0, args, 1, run)

    @staticmethod
    def backward(ctx, dy, *dhns):
        def back(dy, dst, x, y, sv, reverse, col):
            h0, w_ih, w_hh, b_ih, b_hh, gates = sv
            return _core.gru_backward(dy, dst[0], x, h0, w_ih, w_hh, b_ih, b_hh, y, gates, reverse, y_col=col,
                                      bf16=ctx.bf16)

        return _layer_backward(ctx, dy, dhns, 2, back)

    @staticmethod
    def graph_backward(ctx, inputs, dy, *dhns):
        x, D, rev0, *args = ctx.layer_args
        return recompute(lambda t: _float64.gru_layer(t[0], D, rev0, *t[3:], cast=_float64._same),
                         inputs, (x, D, rev0, *args), (dy, *dhns))


def _check_seq(input, h0, w_ih, w_hh, b_ih, b_hh, gates: int):
    x = check_tensor(input, "input", ndim=3, float64=True)
    w_ih = check_tensor(w_ih, "w_ih", ndim=2, float64=True)
    w_hh = check_tensor(w_hh, "w_hh", ndim=2, float64=True)
    gh = w_hh.shape[0]
    if gh % gates or gh == 0 or w_hh.shape[1] != gh // gates:
        raise ValueError(f"w_hh: expected shape ({gates}*H, H), got {w_hh.shape}")
    H = gh // gates
    if w_ih.shape != (gh, x.shape[2]):
        raise ValueError(
            f"w_ih: expected shape ({gh}, {x.shape[2]}) (input size {x.shape[2]}), got {w_ih.shape}"
        )
    if x.shape[0] == 0:  # an empty batch (B = 0) is allowed, as in PyTorch; an empty sequence is not
        raise ValueError(f"input: expected a non-empty (T, B, I) sequence, got shape {x.shape}")
    bs = []
    for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        if b is not None:
            b = check_tensor(b, name, ndim=1, float64=True)
            if b.shape != (gh,):
                raise ValueError(f"{name}: expected shape ({gh},), got {b.shape}")
        bs.append(b)
    if h0 is None:
        h0 = np.zeros((x.shape[1], H), np.float32)
    else:
        h0 = check_tensor(h0, "h0", ndim=2, float64=True)
        if h0.shape != (x.shape[1], H):
            raise ValueError(f"h0: expected shape ({x.shape[1]}, {H}), got {h0.shape}")
    return x, h0, w_ih, w_hh, bs[0], bs[1], H


def rnn_sequence(
    input: Tensor,
    h0: Optional[Tensor],
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Optional[Tensor] = None,
    b_hh: Optional[Tensor] = None,
    nonlinearity: str = "tanh",
    reverse: bool = False,
) -> Tuple[Tensor, Tensor]:
    """One direction of an Elman RNN over a (T, B, I) sequence -> (output (T, B, H), h_n (B, H)).

    Example:
        >>> x = ne.randn(5, 2, 3)  # (T, N, I)
        >>> y, h = rnn_sequence(x, None, ne.randn(4, 3), ne.randn(4, 4)); y.shape, h.shape
        ((5, 2, 4), (2, 4))
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"nonlinearity: expected 'tanh' or 'relu', got {nonlinearity!r}")
    x, h0, w_ih, w_hh, b_ih, b_hh, _ = _check_seq(input, h0, w_ih, w_hh, b_ih, b_hh, 1)
    return _layer_fn("RNN", x, w_ih, w_hh)(x, 1, bool(reverse), nonlinearity, h0, w_ih, w_hh, b_ih, b_hh)


def lstm_sequence(
    input: Tensor,
    hx: Optional[Tuple[Tensor, Tensor]],
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Optional[Tensor] = None,
    b_hh: Optional[Tensor] = None,
    reverse: bool = False,
) -> Tuple[Tensor, Tensor, Tensor]:
    """One direction of an LSTM (gates i, f, g, o) over a (T, B, I) sequence -> (output, h_n, c_n).

    Example:
        >>> x = ne.randn(5, 2, 3)  # (T, N, I)
        >>> y, h, c = lstm_sequence(x, None, ne.randn(16, 3), ne.randn(16, 4)); y.shape, c.shape
        ((5, 2, 4), (2, 4))
    """
    h0, c0 = (None, None) if hx is None else hx
    x, h0, w_ih, w_hh, b_ih, b_hh, H = _check_seq(input, h0, w_ih, w_hh, b_ih, b_hh, 4)
    if c0 is None:
        c0 = np.zeros((x.shape[1], H), np.float32)
    else:
        c0 = check_tensor(c0, "c0", ndim=2, float64=True)
        if c0.shape != (x.shape[1], H):
            raise ValueError(f"c0: expected shape ({x.shape[1]}, {H}), got {c0.shape}")
    return _layer_fn("LSTM", x, w_ih, w_hh, h0, c0)(x, 1, bool(reverse), h0, c0, w_ih, w_hh, b_ih, b_hh)


def _layer_fn(mode: str, *tensors: Any):
    """The layer Function for these operands: the C++ kernels (float32) or the float64 path."""
    if is_f64(*tensors):
        same_float_dtype(mode.lower(), *tensors)
        return {"LSTM": _float64.lstm_layer, "GRU": _float64.gru_layer}.get(mode, _float64.rnn_layer)
    return {"LSTM": LSTMLayerFn, "GRU": GRULayerFn}.get(mode, RNNLayerFn).apply


def gru_sequence(
    input: Tensor,
    h0: Optional[Tensor],
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Optional[Tensor] = None,
    b_hh: Optional[Tensor] = None,
    reverse: bool = False,
) -> Tuple[Tensor, Tensor]:
    """One direction of a GRU (gates r, z, n; PyTorch's formulas) over a (T, B, I) sequence -> (output
    (T, B, H), h_n (B, H)).

    Example:
        >>> x = ne.randn(5, 2, 3)  # (T, N, I)
        >>> y, h = gru_sequence(x, None, ne.randn(12, 3), ne.randn(12, 4)); y.shape, h.shape
        ((5, 2, 4), (2, 4))
    """
    x, h0, w_ih, w_hh, b_ih, b_hh, _ = _check_seq(input, h0, w_ih, w_hh, b_ih, b_hh, 3)
    return _layer_fn("GRU", x, w_ih, w_hh, h0)(x, 1, bool(reverse), h0, w_ih, w_hh, b_ih, b_hh)


def _layer_dropout(x: Tensor, p: float) -> Tensor:
    """Inter-layer dropout on the dropout kernel (float64 layers: its mask, scaled in float64)."""
    if x.dtype != np.float64:
        return dropout(x, p, True)
    if p >= 1.0:
        return x * 0.0
    return x * Tensor(dropout_mask(x.shape, p) / (1.0 - p))


def _stacked(
    mode: str,
    x: Tensor,
    h0: Optional[Tensor],
    c0: Optional[Tensor],
    params: Sequence[Optional[Tensor]],
    num_layers: int,
    bidirectional: bool,
    dropout: float,
    training: bool,
    nonlinearity: str,
):
    """x (T, B, I) time-major; params flat per layer/direction: w_ih, w_hh, b_ih, b_hh. One autograd node
    (one C++ call per direction, both writing one output) per layer."""
    D = 2 if bidirectional else 1
    G = {"LSTM": 4, "GRU": 3}.get(mode, 1)
    hs: List[Tensor] = []
    cs: List[Tensor] = []
    for layer in range(num_layers):
        args: list = []
        for d in range(D):
            k = layer * D + d
            w_ih, w_hh, b_ih, b_hh = params[4 * k : 4 * k + 4]
            x, h, w_ih, w_hh, b_ih, b_hh, H = _check_seq(
                x, None if h0 is None else h0[k], w_ih, w_hh, b_ih, b_hh, G
            )
            if mode == "LSTM":
                c = np.zeros((x.shape[1], H), np.float32) if c0 is None else c0[k]
                args += [h, c, w_ih, w_hh, b_ih, b_hh]
            else:
                args += [h, w_ih, w_hh, b_ih, b_hh]
        fn = _layer_fn(mode, x, *args)
        if mode == "LSTM":
            x, *states = fn(x, D, False, *args)
            hs += states[0::2]
            cs += states[1::2]
        elif mode == "GRU":
            x, *states = fn(x, D, False, *args)
            hs += states
        else:
            x, *states = fn(x, D, False, nonlinearity, *args)
            hs += states
        if dropout > 0 and training and layer < num_layers - 1:
            x = _layer_dropout(x, dropout)
    return x, stack(hs, 0), (stack(cs, 0) if mode == "LSTM" else None)


def _layers(mode: str, input: Any, h0: Any, c0: Any, params: Sequence[Optional[Tensor]], num_layers: int,
            bidirectional: bool, dropout: float, training: bool, nonlinearity: str, batch_first: bool):
    """F.rnn / F.lstm / F.gru: the (T, B, I) input (or (B, T, I) with ``batch_first``) through ``_stacked``;
    (output in the input's layout, h_n, c_n)."""
    x = check_tensor(input, "input", ndim=3)
    out, h_n, c_n = _stacked(mode, x.transpose(0, 1) if batch_first else x, h0, c0, params, num_layers,
                             bidirectional, dropout, training, nonlinearity)
    return (out.transpose(0, 1) if batch_first else out), h_n, c_n


def rnn(
    input: Tensor,
    hx: Optional[Tensor],
    params: Sequence[Optional[Tensor]],
    num_layers: int = 1,
    nonlinearity: str = "tanh",
    dropout: float = 0.0,
    training: bool = False,
    bidirectional: bool = False,
    batch_first: bool = False,
) -> Tuple[Tensor, Tensor]:
    """Stacked (bidirectional) Elman RNN; ``params`` = [w_ih, w_hh, b_ih, b_hh] per layer and direction.

    Example:
        >>> x = ne.randn(5, 2, 3)  # (T, N, I)
        >>> p = [ne.randn(4, 3), ne.randn(4, 4), ne.zeros(4), ne.zeros(4)]
        >>> out, h_n = rnn(x, None, p); out.shape, h_n.shape
        ((5, 2, 4), (1, 2, 4))
    """
    out, h_n, _ = _layers("RNN", input, hx, None, params, num_layers, bidirectional, dropout, training, nonlinearity,
                          batch_first)
    return out, h_n


def lstm(
    input: Tensor,
    hx: Optional[Tuple[Tensor, Tensor]],
    params: Sequence[Optional[Tensor]],
    num_layers: int = 1,
    dropout: float = 0.0,
    training: bool = False,
    bidirectional: bool = False,
    batch_first: bool = False,
) -> Tuple[Tensor, Tuple[Tensor, Tensor]]:
    """Stacked (bidirectional) LSTM; ``params`` = [w_ih, w_hh, b_ih, b_hh] per layer and direction.

    Example:
        >>> x = ne.randn(5, 2, 3)  # (T, N, I)
        >>> p = [ne.randn(16, 3), ne.randn(16, 4), ne.zeros(16), ne.zeros(16)]
        >>> out, (h_n, c_n) = lstm(x, None, p); out.shape, c_n.shape
        ((5, 2, 4), (1, 2, 4))
    """
    h0, c0 = (None, None) if hx is None else hx
    out, h_n, c_n = _layers("LSTM", input, h0, c0, params, num_layers, bidirectional, dropout, training, "tanh",
                            batch_first)
    return out, (h_n, c_n)


def gru(
    input: Tensor,
    hx: Optional[Tensor],
    params: Sequence[Optional[Tensor]],
    num_layers: int = 1,
    dropout: float = 0.0,
    training: bool = False,
    bidirectional: bool = False,
    batch_first: bool = False,
) -> Tuple[Tensor, Tensor]:
    """Stacked (bidirectional) GRU; ``params`` = [w_ih, w_hh, b_ih, b_hh] per layer and direction.

    Example:
        >>> x = ne.randn(5, 2, 3)  # (T, N, I)
        >>> p = [ne.randn(12, 3), ne.randn(12, 4), ne.zeros(12), ne.zeros(12)]
        >>> out, h_n = gru(x, None, p); out.shape, h_n.shape
        ((5, 2, 4), (1, 2, 4))
    """
    out, h_n, _ = _layers("GRU", input, hx, None, params, num_layers, bidirectional, dropout, training, "tanh",
                          batch_first)
    return out, h_n
