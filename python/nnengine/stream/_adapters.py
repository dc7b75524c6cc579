"""How the stream tools drive a recurrent model: its per-stream state and one call over a chunk of steps.

Every model the stream tools accept is wrapped in a ``RecurrentAdapter``: ``init_state(batch)`` gives the
zero state as a tuple of float32 arrays with the stream (batch) axis first, and ``forward(x, state)`` runs a
time-major chunk ``x (T, B, I)`` from ``state`` and returns ``(y (T, B, O), new_state)`` (differentiable,
so online learning uses the same path). Built in: ``nn.LSTMCell``/``nn.RNNCell``/``nn.GRUCell`` (one kernel call
per chunk), any other cell with ``hidden_size`` whose forward returns ``h`` (one call per step),
unidirectional ``nn.LSTM``/``nn.RNN``/``nn.GRU``, and any ``Module`` with the streaming protocol::

    def init_state(self, batch_size: int) -> tuple of np.ndarray   # stream axis first
    def forward(self, x, state) -> (y, new_state)                  # x (T, B, I) time-major
    def infer(self, x, state) -> (y, new_state)                    # optional: numpy in and out, no autograd
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Tuple

import numpy as np

from .. import _core
from ..autograd import no_grad
from ..functional import _rnn as R
from ..nn.module import Module
from ..nn.modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell
from ..tensor import Tensor, stack

State = Tuple[Tensor, ...]
Arrays = Tuple[np.ndarray, ...]


class RecurrentAdapter:
    """The uniform view of a recurrent model (see the module docstring).

    Example:
        >>> a = adapt(nn.GRUCell(3, 8))
        >>> a.input_size, a.output_size, a.state_shapes
        (3, 8, ((8,),))
    """

    def __init__(self, module: Module, input_size: int, output_size: int, state_shapes: Tuple[Tuple[int, ...], ...],
                 fwd: Callable[[Tensor, State], Tuple[Tensor, State]],
                 infer: Optional[Callable[[np.ndarray, Arrays], Tuple[np.ndarray, Arrays]]] = None) -> None:
        self.module = module
        self.input_size = int(input_size)
        self.output_size = int(output_size)
        self.state_shapes = state_shapes
        self._fwd = fwd
        self._infer = infer

    def init_state(self, batch: int) -> Tuple[np.ndarray, ...]:
        """Zero states for ``batch`` streams, one array per state tensor.

        Example:
            >>> [s.shape for s in adapt(nn.LSTMCell(3, 8)).init_state(2)]
            [(2, 8), (2, 8)]
        """
        return tuple(np.zeros((batch, *s), np.float32) for s in self.state_shapes)

    def forward(self, x: Tensor, state: State) -> Tuple[Tensor, State]:
        """One step (or a window) of the model on ``x`` from ``state``, with autograd: (output, new state).

        Example:
            >>> a = adapt(nn.LSTMCell(3, 8))
            >>> y, state = a.forward(ne.zeros(1, 2, 3), tuple(ne.tensor(s) for s in a.init_state(2)))
            >>> y.shape, len(state)
            ((1, 2, 8), 2)
        """
        return self._fwd(x, state)

    def infer(self, x: np.ndarray, state: Arrays) -> Tuple[np.ndarray, Arrays]:
        """``forward`` without autograd on float32 C-contiguous arrays. The built-in cells call their
        kernel directly (the same call ``forward`` makes, so the same bits), skipping the Tensor layer.

        Example:
            >>> a = adapt(nn.RNNCell(3, 8))
            >>> y, state = a.infer(np.zeros((1, 2, 3), np.float32), a.init_state(2))
            >>> y.shape
            (1, 2, 8)
        """
        if self._infer is not None:
            return self._infer(x, state)
        return _infer_via_forward(self._fwd, x, state)


def _infer_via_forward(fwd: Callable[[Tensor, State], Tuple[Tensor, State]], x: np.ndarray, state: Arrays
                       ) -> Tuple[np.ndarray, Arrays]:
    with no_grad():
        y, new = fwd(Tensor(x), tuple(Tensor(s) for s in state))
    return y._data, tuple(s._data for s in new)


def _biases(m: Module, sfx: str = "") -> Tuple[Optional[np.ndarray], Optional[np.ndarray]]:
    """(b_ih, b_hh) arrays of a cell (sfx "") or of one layer of an RNN module (sfx "_l0"...), None if absent."""
    bs = (getattr(m, "bias_ih" + sfx, None), getattr(m, "bias_hh" + sfx, None))
    return tuple(None if b is None else b._data for b in bs)


def _bias_of(cell: Module) -> Optional[np.ndarray]:
    """The summed bias the LSTM and RNN kernels take (as their layer Functions compute it)."""
    return R._bias(*_biases(cell))


def _cell_adapter(cell: Module) -> RecurrentAdapter:
    H, I = int(cell.hidden_size), int(cell.input_size)
    if isinstance(cell, LSTMCell):
        def fwd(x: Tensor, st: State):
            y, h, c = R.lstm_sequence(x, (st[0], st[1]), cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
            return y, (h, c)

        def infer(x: np.ndarray, st: Arrays):
            y, h, c, _, _ = _core.lstm_forward(x, st[0], st[1], cell.weight_ih._data, cell.weight_hh._data,
                                               _bias_of(cell), False, False)
            return y, (h, c)

        return RecurrentAdapter(cell, I, H, ((H,), (H,)), fwd, infer)
    if isinstance(cell, RNNCell):
        def fwd(x: Tensor, st: State):
            y, h = R.rnn_sequence(x, st[0], cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh,
                                  cell.nonlinearity)
            return y, (h,)

        def infer(x: np.ndarray, st: Arrays):
            y, h = _core.rnn_forward(x, st[0], cell.weight_ih._data, cell.weight_hh._data, _bias_of(cell),
                                     cell.nonlinearity, False)
            return y, (h,)

        return RecurrentAdapter(cell, I, H, ((H,),), fwd, infer)
    if isinstance(cell, GRUCell):
        def fwd(x: Tensor, st: State):
            y, h = R.gru_sequence(x, st[0], cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
            return y, (h,)

        def infer(x: np.ndarray, st: Arrays):
            y, h, _ = _core.gru_forward(x, st[0], cell.weight_ih._data, cell.weight_hh._data, *_biases(cell), False,
                                        False)
            return y, (h,)

        return RecurrentAdapter(cell, I, H, ((H,),), fwd, infer)

    def fwd(x: Tensor, st: State):  # any h -> h cell (GRUCell...): one call per step
        h, ys = st[0], []
        for t in range(x.shape[0]):
            h = cell(x[t], h)
            ys.append(h)
        return stack(ys, 0), (h,)

    return RecurrentAdapter(cell, I, H, ((H,),), fwd)


def _sequence_adapter(m: RNNBase) -> RecurrentAdapter:
    if m.bidirectional:
        raise ValueError("model: a bidirectional RNN reads the future and cannot be streamed")
    L, H, I = m.num_layers, m.hidden_size, m.input_size
    lstm = isinstance(m, LSTM) or getattr(m, "_mode", "") == "LSTM"
    gru = isinstance(m, GRU)

    def fwd(x: Tensor, st: State):
        hx = tuple(s.transpose(0, 1) for s in st)  # (B, L, H) -> (L, B, H)
        xin = x.transpose(0, 1) if m.batch_first else x
        y, hn = m(xin, hx if lstm else hx[0])
        y = y.transpose(0, 1) if m.batch_first else y
        hn = hn if lstm else (hn,)
        return y, tuple(s.transpose(0, 1) for s in hn)

    def infer(x: np.ndarray, st: Arrays):  # the same kernel calls as the module's own forward, minus Tensors
        if m.training and m.dropout > 0:  # dropout between layers: the module's own path
            return _infer_via_forward(fwd, x, st)
        hs, cs = [], []
        for k in range(L):
            w_ih, w_hh = getattr(m, f"weight_ih_l{k}")._data, getattr(m, f"weight_hh_l{k}")._data
            h0 = np.ascontiguousarray(st[0][:, k])
            if lstm:
                x, h, c, _, _ = _core.lstm_forward(x, h0, np.ascontiguousarray(st[1][:, k]), w_ih, w_hh,
                                                   R._bias(*_biases(m, f"_l{k}")), False, False)
                cs.append(c)
            elif gru:
                x, h, _ = _core.gru_forward(x, h0, w_ih, w_hh, *_biases(m, f"_l{k}"), False, False)
            else:
                x, h = _core.rnn_forward(x, h0, w_ih, w_hh, R._bias(*_biases(m, f"_l{k}")), m.nonlinearity, False)
            hs.append(h)
        return x, tuple(np.stack(a, 1) for a in ((hs, cs) if lstm else (hs,)))

    # the direct path only for nnengine's own classes (a subclass may change forward)
    return RecurrentAdapter(m, I, H, ((L, H),) * (2 if lstm else 1), fwd, infer if type(m) in (LSTM, RNN, GRU) else None)


def adapt(model: Any, input_size: Optional[int] = None, output_size: Optional[int] = None) -> RecurrentAdapter:
    """The ``RecurrentAdapter`` of a cell, a unidirectional RNN module or a streaming-protocol Module.

    Example:
        >>> a = adapt(nn.LSTMCell(3, 8)); a.init_state(2)[0].shape
        (2, 8)
    """
    if isinstance(model, RecurrentAdapter):
        return model
    if not isinstance(model, Module):
        raise TypeError(f"model: expected an nnengine nn.Module (a recurrent cell, RNN/LSTM/GRU or a Module with "
                        f"init_state/forward(x, state)), got {type(model).__name__}")
    if callable(getattr(model, "init_state", None)):
        probe = model.init_state(1)
        if not isinstance(probe, tuple) or not all(isinstance(s, np.ndarray) and s.shape[:1] == (1,) for s in probe):
            raise TypeError("model.init_state(batch_size): expected a tuple of numpy arrays with the batch axis "
                            "first")
        I = input_size if input_size is not None else getattr(model, "input_size", None)
        O = output_size if output_size is not None else getattr(model, "output_size", None)
        if I is None or O is None:
            raise ValueError("model: a streaming-protocol Module needs input_size and output_size attributes "
                             "(or pass them)")
        infer = getattr(model, "infer", None)  # optional: forward on arrays, without autograd
        return RecurrentAdapter(model, I, O, tuple(s.shape[1:] for s in probe), model.forward,
                                infer if callable(infer) else None)
    if isinstance(model, (RNNBase, RNN)) or (hasattr(model, "num_layers") and hasattr(model, "bidirectional")):
        return _sequence_adapter(model)
    if hasattr(model, "hidden_size") and hasattr(model, "input_size"):
        return _cell_adapter(model)
    raise TypeError(f"model: {type(model).__name__} is not a recurrent cell, an RNN/LSTM/GRU module or a Module "
                    "with init_state(batch_size) and forward(x, state)")
