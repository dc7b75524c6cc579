"""The float64 path: numpy implementations of the ops a float64 model runs through end to end.

The C++ kernels compute in float32. A float64 tensor reaching Linear, an activation, softmax, MSE/L1/BCE or a
recurrent layer (RNN, LSTM, GRU) takes this path instead (numpy's float64 BLAS and ufuncs, on the same tape), so
``model.double()`` programs (e.g. PyTorch's time-series LSTMCell + LBFGS example) compute in float64 like
torch; every other kernel raises a ``TypeError`` naming itself (``_util.check_tensor``). Speed is numpy's:
float64 is for accuracy studies and ported scripts, float32 is the fast path.

Example:
    >>> m = ne.nn.LSTMCell(1, 8).double()
    >>> h, c = m(ne.randn(4, 1, dtype=ne.float64))
    >>> h.dtype
    dtype('float64')
"""

from __future__ import annotations

from typing import Any, List, Optional

import numpy as np

from ..autograd import Function
from ..tensor import Tensor, cat, stack

_F64 = np.float64

# activation kinds: the same numbering as the float32 kernels (functional/_activation.py)
ACT_KINDS = ("relu", "leaky_relu", "elu", "sigmoid", "tanh", "softplus")  # the others raise a TypeError on float64


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def act_forward(x: np.ndarray, kind: str, alpha: float, beta: float = 0.0) -> np.ndarray:
    """Activation ``kind`` in float64 (softplus: alpha is torch's beta, beta its threshold)."""
    if kind == "relu":
        return np.maximum(x, 0.0)  # NaN stays NaN, as in torch
    if kind == "leaky_relu":
        return np.where(x > 0, x, x * alpha)
    if kind == "elu":
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))
    if kind == "sigmoid":
        return _sigmoid(x)
    if kind == "softplus":
        z = x * alpha
        return np.where(z > beta, x, np.logaddexp(0.0, z) / alpha)
    return np.tanh(x)


def act_backward(g: np.ndarray, x: np.ndarray, y: np.ndarray, kind: str, alpha: float,
                 beta: float = 0.0) -> np.ndarray:
    if kind == "relu":
        return g * (x > 0)
    if kind == "leaky_relu":
        return g * np.where(x > 0, 1.0, alpha)
    if kind == "elu":
        return g * np.where(x > 0, 1.0, y + alpha)
    if kind == "sigmoid":
        return g * y * (1.0 - y)
    if kind == "softplus":
        z = x * alpha
        return g * np.where(z > beta, 1.0, _sigmoid(z))
    return g * (1.0 - y * y)


class Activation64Fn(Function):
    @staticmethod
    def forward(ctx, x, kind, alpha, beta=0.0):
        y = act_forward(x, kind, alpha, beta)
        ctx.kind, ctx.alpha, ctx.beta = kind, alpha, beta
        ctx.save_for_backward(x, y)
        return y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return act_backward(g, x, y, ctx.kind, ctx.alpha, ctx.beta), None, None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        from ._activation import act_graph_grad

        return act_graph_grad(inputs[0], g, ctx.kind, ctx.alpha, ctx.beta), None, None, None


class Softmax64Fn(Function):
    @staticmethod
    def forward(ctx, x, dim, log):
        z = x - np.max(x, axis=dim, keepdims=True)
        lse = np.log(np.sum(np.exp(z), axis=dim, keepdims=True))
        y = z - lse if log else np.exp(z - lse)
        ctx.dim, ctx.log = dim, log
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        if ctx.log:
            return g - np.exp(y) * np.sum(g, axis=ctx.dim, keepdims=True), None, None
        return y * (g - np.sum(g * y, axis=ctx.dim, keepdims=True)), None, None

    @staticmethod
    def graph_backward(ctx, inputs, g):
        from ._softmax import softmax_graph_grad

        return softmax_graph_grad(Softmax64Fn.apply(inputs[0], ctx.dim, ctx.log), g, ctx.dim, ctx.log), None, None


class Linear64Fn(Function):
    """``y = x @ w.T + b`` in float64 (numpy's BLAS)."""

    @staticmethod
    def forward(ctx, x, w, b):
        x2 = x.reshape(-1, x.shape[-1])
        y = x2 @ w.T
        if b is not None:
            y += b
        ctx.save_for_backward(x2, w)
        ctx.lead, ctx.has_bias = x.shape[:-1], b is not None
        return y.reshape(x.shape[:-1] + (w.shape[0],))

    @staticmethod
    def backward(ctx, g):
        x2, w = ctx.saved_tensors
        g2 = g.reshape(-1, w.shape[0])
        nx, nw, nb = ctx.needs_input_grad
        gx = (g2 @ w).reshape(ctx.lead + (w.shape[1],)) if nx else None
        gw = g2.T @ x2 if nw else None
        gb = g2.sum(axis=0) if (nb and ctx.has_bias) else None
        return gx, gw, gb

    @staticmethod
    def graph_backward(ctx, inputs, g):
        from ._linear import linear_graph_grad

        return linear_graph_grad(ctx, inputs, g)


def _t64(a: Any) -> Tensor:
    """A float64 Tensor for a state or parameter argument (Tensors keep their graph)."""
    if isinstance(a, Tensor):
        return a if a._data.dtype == _F64 else a.double()
    return Tensor._wrap(np.asarray(a, dtype=_F64))


def _cell_gates(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Optional[Tensor],
                b_hh: Optional[Tensor]) -> Tensor:
    return _lin(x, w_ih, b_ih) + _lin(h, w_hh, b_hh)


def _lin(x: Tensor, w: Tensor, b: Optional[Tensor]) -> Tensor:
    """``x @ w.T + b`` on the tape: the float64 node, or (the float32 recomputation of create_graph=True) F.linear."""
    if x._data.dtype == _F64:
        return Linear64Fn.apply(x, w, b)
    from ._linear import linear

    return linear(x, w, b)


def _act(x: Tensor, kind: str) -> Tensor:
    """Activation ``kind`` (sigmoid, tanh, relu) on the tape in x's dtype."""
    if x._data.dtype == _F64:
        return Activation64Fn.apply(x, kind, 0.0)
    return getattr(x, kind)()


def _same(a: Any) -> Any:
    """A state or parameter argument as it is (the recomputation keeps the layer's dtype)."""
    return a if a is None or isinstance(a, Tensor) else Tensor._wrap(np.asarray(a))


def _direction(x: Tensor, reverse: bool, step, state: List[Tensor]) -> tuple:
    T = x.shape[0]
    outs: List[Optional[Tensor]] = [None] * T
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        state = step(x[t], state)
        outs[t] = state[0]
    return stack(outs, 0), state


def rnn_layer(x: Tensor, D: int, rev0: bool, nonlinearity: str, *args: Any, cast: Any = _t64) -> tuple:
    """float64 twin of ``RNNLayerFn.apply``: (y (T, B, D*H), h_n per direction). With ``cast=_same`` the same
    recurrence in the arguments' dtype: RNNLayerFn's recomputation under create_graph=True."""
    x = cast(x)
    act = "tanh" if nonlinearity == "tanh" else "relu"
    ys, hns = [], []
    for d in range(D):
        h0, w_ih, w_hh, b_ih, b_hh = [None if a is None else cast(a) for a in args[5 * d: 5 * d + 5]]

        def step(xt, st, w_ih=w_ih, w_hh=w_hh, b_ih=b_ih, b_hh=b_hh):
            return [_act(_cell_gates(xt, st[0], w_ih, w_hh, b_ih, b_hh), act)]

        y, (h,) = _direction(x, d == 1 or rev0, step, [h0])
        ys.append(y)
        hns.append(h)
    return (ys[0] if D == 1 else cat(ys, 2), *hns)


def lstm_layer(x: Tensor, D: int, rev0: bool, *args: Any, cast: Any = _t64) -> tuple:
    """float64 twin of ``LSTMLayerFn.apply`` (gates i, f, g, o): (y, then h_n, c_n per direction); ``cast`` as in
    ``rnn_layer``."""
    x = cast(x)
    ys, states = [], []
    for d in range(D):
        h0, c0, w_ih, w_hh, b_ih, b_hh = [None if a is None else cast(a) for a in args[6 * d: 6 * d + 6]]
        H = w_hh.shape[1]

        def step(xt, st, w_ih=w_ih, w_hh=w_hh, b_ih=b_ih, b_hh=b_hh, H=H):
            g = _cell_gates(xt, st[0], w_ih, w_hh, b_ih, b_hh)
            i = _act(g[:, 0:H], "sigmoid")
            f = _act(g[:, H:2 * H], "sigmoid")
            gg = _act(g[:, 2 * H:3 * H], "tanh")
            o = _act(g[:, 3 * H:4 * H], "sigmoid")
            c = f * st[1] + i * gg
            return [o * _act(c, "tanh"), c]

        y, (h, c) = _direction(x, d == 1 or rev0, step, [h0, c0])
        ys.append(y)
        states += [h, c]
    return (ys[0] if D == 1 else cat(ys, 2), *states)


def gru_layer(x: Tensor, D: int, rev0: bool, *args: Any, cast: Any = _t64) -> tuple:
    """float64 twin of ``GRULayerFn.apply`` (gates r, z, n; ``b_hn`` inside the reset product, as torch):
    (y, then h_n per direction); ``cast`` as in ``rnn_layer``."""
    x = cast(x)
    ys, hns = [], []
    for d in range(D):
        h0, w_ih, w_hh, b_ih, b_hh = [None if a is None else cast(a) for a in args[5 * d: 5 * d + 5]]
        H = w_hh.shape[1]

        def step(xt, st, w_ih=w_ih, w_hh=w_hh, b_ih=b_ih, b_hh=b_hh, H=H):
            gi, gh = _lin(xt, w_ih, b_ih), _lin(st[0], w_hh, b_hh)
            r = _act(gi[:, 0:H] + gh[:, 0:H], "sigmoid")
            z = _act(gi[:, H:2 * H] + gh[:, H:2 * H], "sigmoid")
            n = _act(gi[:, 2 * H:] + r * gh[:, 2 * H:], "tanh")
            return [(1.0 - z) * n + z * st[0]]

        y, (h,) = _direction(x, d == 1 or rev0, step, [h0])
        ys.append(y)
        hns.append(h)
    return (ys[0] if D == 1 else cat(ys, 2), *hns)
