"""Recurrent layers with PyTorch's signatures, parameter names, shapes and gate orders (LSTM i, f, g, o;
GRU r, z, n).

``load_state_dict(torch_module.state_dict())`` carries weights over unchanged. The time loop runs in
C++ (one kernel call per layer and direction); stacking and bidirectionality are composition.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, List, Optional, Tuple

import numpy as np

from ... import _core
from ..._tape import will_record
from ...amp import _bf16_on, _entered
from ...functional import _rnn as R
from ...functional._lstm_proj import lstm_projected
from ...functional._util import check_tensor, f32c, positive_int, probability
from ...tensor import Tensor, cat
from .. import init
from ..module import Module, check_factory_kwargs
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, pack_sorted, unpack_sorted

_F32 = np.dtype(np.float32)


def _check_input(x: Any, input_size: int) -> Tensor:
    x = check_tensor(x, "input", ndim=(2, 3), float64=True)
    if x.shape[-1] != input_size:
        raise ValueError(f"input: expected last dimension {input_size} (input_size), got shape {x.shape}")
    return x


def _check_state(h: Any, name: str, shape: Tuple[int, ...]) -> Tensor:
    h = check_tensor(h, name, float64=True)
    if h.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {h.shape}")
    return h


class RNNBase(Module):
    """Shared machinery of RNN, LSTM and GRU: parameters ``weight_ih_l{k}[_reverse]`` etc., PyTorch's init.

    Example:
        >>> lstm = nn.LSTM(3, 4, num_layers=2)
        >>> isinstance(lstm, RNNBase), [n for n, _ in lstm.named_parameters()][:4]
        (True, ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'])
    """

    _gates = 1
    _mode = "RNN"

    def flatten_parameters(self) -> None:
        """A no-op kept for torch scripts (cuDNN's weight compaction; nnengine's weights are already flat
        per layer).

        Example:
            >>> nn.GRU(3, 4).flatten_parameters()
        """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
        *,
        proj_size: int = 0,
    ) -> None:
        super().__init__()
        check_factory_kwargs(device, dtype, type(self).__name__)
        self.input_size = positive_int(input_size, "input_size")
        self.hidden_size = positive_int(hidden_size, "hidden_size")
        self.num_layers = positive_int(num_layers, "num_layers")
        if isinstance(proj_size, bool) or not isinstance(proj_size, (int, np.integer)) or proj_size < 0:
            raise ValueError(f"proj_size: expected a non-negative int, got {proj_size!r}")
        if proj_size and self._mode != "LSTM":
            raise ValueError(f"proj_size: only LSTM has projections, got proj_size={proj_size} for {self._mode}")
        if proj_size >= self.hidden_size:
            raise ValueError(f"proj_size: expected a value smaller than hidden_size ({self.hidden_size}), "
                             f"got {proj_size}")
        self.proj_size = int(proj_size)
        probability(dropout, "dropout")
        if dropout > 0 and num_layers == 1:  # torch's warning, word for word
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          UserWarning, stacklevel=2)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        D = 2 if bidirectional else 1
        G, H = self._gates, self.hidden_size
        R = self.proj_size or H  # the width of h (torch's real_hidden_size)
        self._flat_names: List[str] = []
        for layer in range(self.num_layers):
            in_size = self.input_size if layer == 0 else R * D
            for d in range(D):
                sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
                shapes = [("weight_ih", (G * H, in_size)), ("weight_hh", (G * H, R))]
                if self.bias:
                    shapes += [("bias_ih", (G * H,)), ("bias_hh", (G * H,))]
                if self.proj_size:
                    shapes.append(("weight_hr", (R, H)))
                for name, shape in shapes:
                    setattr(self, name + sfx, Parameter.new(*shape, fill=0.0))
                    self._flat_names.append(name + sfx)
        self.reset_parameters()

    @property
    def _flat_weights_names(self) -> List[str]:
        """torch's list of the parameter names, layer by layer and direction by direction.

        Example:
            >>> nn.GRU(3, 4, bias=False)._flat_weights_names
            ['weight_ih_l0', 'weight_hh_l0']
        """
        return list(self._flat_names)

    @property
    def _flat_weights(self) -> List[Parameter]:
        """The parameters in :attr:`_flat_weights_names` order (torch's attribute).

        Example:
            >>> [tuple(w.shape) for w in nn.RNN(3, 4)._flat_weights]
            [(4, 3), (4, 4), (4,), (4,)]
        """
        return [getattr(self, n) for n in self._flat_names]

    @property
    def all_weights(self) -> List[List[Parameter]]:
        """The parameters grouped per layer and direction, torch's ``all_weights``.

        Example:
            >>> lstm = nn.LSTM(3, 4, num_layers=2)
            >>> len(lstm.all_weights), [tuple(w.shape) for w in lstm.all_weights[1]]
            (2, [(16, 4), (16, 4), (16,), (16,)])
        """
        per = (4 if self.bias else 2) + (1 if getattr(self, "proj_size", 0) else 0)
        ws = self._flat_weights
        return [ws[i:i + per] for i in range(0, len(ws), per)]

    def reset_parameters(self) -> None:
        """U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) for every weight and bias, as PyTorch.

        Example:
            >>> rnn, cell = nn.RNN(3, 4), nn.GRUCell(3, 4)  # the cells share this init
            >>> rnn.reset_parameters(); cell.reset_parameters(); bool((rnn.weight_hh_l0.abs() <= 0.5).all())
            True
        """
        k = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -k, k)

    def _flat_weights_padded(self) -> List[Optional[Tensor]]:
        """w_ih, w_hh, b_ih, b_hh, w_hr per layer and direction (None for absent biases): the projected LSTM's."""
        out: List[Optional[Tensor]] = []
        D = 2 if self.bidirectional else 1
        for layer in range(self.num_layers):
            for d in range(D):
                sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
                out += [getattr(self, n + sfx, None) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh",
                                                               "weight_hr")]
        return out

    def _params(self) -> List[Optional[Tensor]]:
        out: List[Optional[Tensor]] = []
        D = 2 if self.bidirectional else 1
        for layer in range(self.num_layers):
            for d in range(D):
                sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
                out += [getattr(self, "weight_ih" + sfx), getattr(self, "weight_hh" + sfx)]
                out += (
                    [getattr(self, "bias_ih" + sfx), getattr(self, "bias_hh" + sfx)]
                    if self.bias
                    else [None, None]
                )
        return out

    def _prepare(self, input: Any) -> Tuple[Tensor, bool, int]:
        x = _check_input(input, self.input_size)
        unbatched = x.ndim == 2
        if unbatched:
            x = x.unsqueeze(1)
            batch = 1
        else:
            batch = x.shape[0] if self.batch_first else x.shape[1]
            if self.batch_first:
                x = x.transpose(0, 1)
        return x, unbatched, batch

    def _state(self, h: Any, name: str, unbatched: bool, batch: int, width: int = 0) -> Tensor:
        L = self.num_layers * (2 if self.bidirectional else 1)
        width = width or self.hidden_size
        if unbatched:
            return _check_state(h, name, (L, width)).unsqueeze(1)
        return _check_state(h, name, (L, batch, width))

    def _finish(self, out: Tensor, unbatched: bool) -> Tensor:
        if unbatched:
            return out.squeeze(1)
        return out.transpose(0, 1) if self.batch_first else out

    def _forward_h(self, input: Any, hx: Any, nonlinearity: str = "tanh") -> Tuple[Tensor, Tensor]:
        """forward of the layers with one state (RNN, GRU): (output, h_n)."""
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx, nonlinearity)
        x, unbatched, batch = self._prepare(input)
        h0 = None if hx is None else self._state(hx, "hx", unbatched, batch)
        out, h_n, _ = R._stacked(
            self._mode, x, h0, None, self._params(), self.num_layers, self.bidirectional, self.dropout,
            self.training, nonlinearity,
        )
        return self._finish(out, unbatched), (h_n.squeeze(1) if unbatched else h_n)

    def _forward_packed(self, packed: PackedSequence, hx: Any, nonlinearity: str = "tanh") -> Tuple[Any, Any]:
        """A PackedSequence input (torch's semantics): the sequences of each length run as one batch on the
        usual kernels, outputs past each length are absent (zero when unpacked), h_n is each sequence's
        last valid step, in the original batch order."""
        data = _check_input(packed.data, self.input_size)
        if data.ndim != 2:
            raise ValueError(f"input: expected packed data of shape (N, {self.input_size}), got {data.shape}")
        bs = np.asarray(packed.batch_sizes._data, dtype=np.int64)
        x = unpack_sorted(data, bs)
        steps, batch = x.shape[0], x.shape[1]
        lens = np.array([(bs > b).sum() for b in range(batch)], dtype=np.int64)
        names = ("h0", "c0") if self._mode == "LSTM" else ("hx",)
        states: List[Optional[Tensor]] = [None] * len(names)
        if hx is not None:
            given = hx if self._mode == "LSTM" else (hx,)
            if self._mode == "LSTM" and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
                raise TypeError(f"hx: expected a tuple (h0, c0), got {type(hx).__name__}")
            states = [self._state(h, n, False, batch) for h, n in zip(given, names)]
            if packed.sorted_indices is not None:
                states = [h.index_select(1, packed.sorted_indices) for h in states]
        outs, finals = [], []
        start = 0
        for length in sorted(set(lens.tolist()), reverse=True):
            end = start + int((lens == length).sum())
            h0, c0 = (None if h is None else h[:, start:end] for h in (states + [None])[:2])
            out, h_n, c_n = R._stacked(self._mode, x[:length, start:end], h0, c0, self._params(), self.num_layers,
                                       self.bidirectional, self.dropout, self.training, nonlinearity)
            if length < steps:
                out = cat([out, out.new_zeros(steps - length, *out.shape[1:])], 0)
            outs.append(out)
            finals.append((h_n, c_n))
            start = end
        out_packed = PackedSequence(pack_sorted(cat(outs, 1), bs), packed.batch_sizes, packed.sorted_indices,
                                    packed.unsorted_indices)
        final = [cat([f[k] for f in finals], 1) for k in range(len(names))]
        if packed.unsorted_indices is not None:
            final = [h.index_select(1, packed.unsorted_indices) for h in final]
        return out_packed, (tuple(final) if self._mode == "LSTM" else final[0])

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if getattr(self, "proj_size", 0):
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act = tanh or relu.

    Input (T, B, I) (or (B, T, I) with batch_first, or unbatched (T, I)); returns (output, h_n) with
    output (T, B, D*H) and h_n (num_layers*D, B, H).

    Example:
        >>> rnn = RNN(10, 20, num_layers=2)
        >>> out, h_n = rnn(ne.randn(5, 3, 10))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
        *,
        proj_size: int = 0,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity: expected 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype,
                         proj_size=proj_size)  # (torch's keyword: a ValueError unless 0)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        return self._forward_h(input, hx, self.nonlinearity)


class LSTM(RNNBase):
    """LSTM (gates i, f, g, o in PyTorch's order and layout).

    Returns (output, (h_n, c_n)); ``hx`` = (h0, c0), each (num_layers*D, B, H). Feed a long stream in
    chunks, passing the returned state (detached for truncated BPTT): outputs equal one whole call.

    Example:
        >>> lstm = LSTM(10, 20, bidirectional=True)
        >>> out, (h_n, c_n) = lstm(ne.randn(5, 3, 10))
    """

    _gates = 4
    _mode = "LSTM"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype,
                         proj_size=proj_size)

    def forward(self, input: Tensor, hx: Optional[Tuple[Tensor, Tensor]] = None
                ) -> Tuple[Tensor, Tuple[Tensor, Tensor]]:
        proj = getattr(self, "proj_size", 0)
        if isinstance(input, PackedSequence):
            if proj:
                raise ValueError("input: a PackedSequence through an LSTM with proj_size > 0 is not supported; "
                                 "pass the padded batch")
            return self._forward_packed(input, hx)
        x, unbatched, batch = self._prepare(input)
        h0 = c0 = None
        if hx is not None:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"hx: expected a tuple (h0, c0), got {type(hx).__name__}")
            h0 = self._state(hx[0], "h0", unbatched, batch, proj)
            c0 = self._state(hx[1], "c0", unbatched, batch)
        if proj:
            out, h_n, c_n = lstm_projected(x, h0, c0, self._flat_weights_padded(), self.num_layers,
                                           self.bidirectional, self.dropout, self.training)
            if unbatched:
                h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
            return self._finish(out, unbatched), (h_n, c_n)
        out, h_n, c_n = R._stacked(
            "LSTM",
            x,
            h0,
            c0,
            self._params(),
            self.num_layers,
            self.bidirectional,
            self.dropout,
            self.training,
            "tanh",
        )
        if unbatched:
            h_n, c_n = h_n.squeeze(1), c_n.squeeze(1)
        return self._finish(out, unbatched), (h_n, c_n)


class GRU(RNNBase):
    """GRU (gates r, z, n in PyTorch's order and layout, b_hn inside the reset product):

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr),  z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h

    Returns (output, h_n) like ``RNN``; ``hx`` (num_layers*D, B, H). Feed a long stream in chunks,
    passing the returned state (detached for truncated BPTT): outputs equal one whole call.

    Example:
        >>> gru = GRU(10, 20, num_layers=2, batch_first=True)
        >>> out, h_n = gru(ne.randn(3, 5, 10))
    """

    _gates = 3
    _mode = "GRU"

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        return self._forward_h(input, hx)

class RNNCellBase(Module):
    _gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        check_factory_kwargs(device, dtype, type(self).__name__)
        self.input_size = positive_int(input_size, "input_size")
        self.hidden_size = positive_int(hidden_size, "hidden_size")
        self.bias = bool(bias)
        G, H = self._gates, self.hidden_size
        self.weight_ih = Parameter.new(G * H, self.input_size, fill=0.0)
        self.weight_hh = Parameter.new(G * H, H, fill=0.0)
        if self.bias:
            self.bias_ih = Parameter.new(G * H, fill=0.0)
            self.bias_hh = Parameter.new(G * H, fill=0.0)
        else:
            self.bias_ih = None
            self.bias_hh = None
        self.reset_parameters()

    reset_parameters = RNNBase.reset_parameters  # the same init as the layers: U(+-1/sqrt(hidden_size))

    def _prepare(self, input: Any) -> Tuple[Tensor, bool]:
        x = check_tensor(input, "input", ndim=(1, 2), float64=True)
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"input: expected last dimension {self.input_size} (input_size), got shape {x.shape}"
            )
        unbatched = x.ndim == 1
        return (x.unsqueeze(0) if unbatched else x).unsqueeze(0), unbatched

    def _state(self, h: Any, name: str, unbatched: bool, batch: int) -> Tensor:
        if unbatched:
            return _check_state(h, name, (self.hidden_size,)).unsqueeze(0)
        return _check_state(h, name, (batch, self.hidden_size))

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(RNNCellBase):
    """One Elman step: h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh); input (B, I) or (I,), returns h'.

    Example:
        >>> cell = RNNCell(10, 20)
        >>> h = cell(ne.randn(3, 10))
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh", device: Any = None,
        dtype: Any = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity: expected 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        x, unbatched = self._prepare(input)
        h0 = None if hx is None else self._state(hx, "hx", unbatched, x.shape[1])
        _, h = R.rnn_sequence(
            x, h0, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, self.nonlinearity
        )
        return h.squeeze(0) if unbatched else h


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o); input (B, I) or (I,), hx = (h, c); returns (h', c').

    Example:
        >>> cell = LSTMCell(10, 20)
        >>> h, c = cell(ne.randn(3, 10))
    """

    _gates = 4

    def forward(self, input: Tensor, hx: Optional[Tuple[Tensor, Tensor]] = None) -> Tuple[Tensor, Tensor]:
        fast = self._inference_step(input, hx)
        if fast is not None:
            return fast
        x, unbatched = self._prepare(input)
        state = None
        if hx is not None:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"hx: expected a tuple (h, c), got {type(hx).__name__}")
            state = (
                self._state(hx[0], "h", unbatched, x.shape[1]),
                self._state(hx[1], "c", unbatched, x.shape[1]),
            )
        _, h, c = R.lstm_sequence(x, state, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h.squeeze(0), c.squeeze(0)) if unbatched else (h, c)

    def _inference_step(self, input: Any, hx: Any) -> Optional[Tuple[Tensor, Tensor]]:
        """The common streaming call (float32, batched, contiguous, nothing to record) straight to the kernel
        call ``LSTMLayerFn`` makes, with the same arguments: bit-identical, without the generic path's checks
        and tape. None when the call is anything else (the generic path handles and validates it)."""
        if type(input) is not Tensor:
            return None
        x, B = input._data, 0
        if x.dtype is not _F32 or x.ndim != 2 or x.shape[1] != self.input_size or not x.flags.c_contiguous:
            return None
        B, H = x.shape[0], self.hidden_size
        w_ih, w_hh, b_ih, b_hh = self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh
        if B == 0 or w_ih._data.dtype is not _F32 or w_hh._data.dtype is not _F32:
            return None
        if hx is None:
            h0 = c0 = np.zeros((B, H), np.float32)
        else:
            if type(hx) is not tuple or len(hx) != 2 or type(hx[0]) is not Tensor or type(hx[1]) is not Tensor:
                return None
            h0, c0 = hx[0]._data, hx[1]._data
            if not (h0.dtype is _F32 and c0.dtype is _F32 and h0.shape == c0.shape == (B, H)):
                return None
            h0, c0 = f32c(h0), f32c(c0)
        if (b_ih is not None and b_ih._data.dtype is not _F32) or (b_hh is not None and b_hh._data.dtype is not _F32):
            return None
        if will_record(input, w_ih, w_hh, b_ih, b_hh, *(hx or ())):  # a call the tape records: the generic path
            return None
        bias = R._bias(None if b_ih is None else b_ih._data, None if b_hh is None else b_hh._data)
        _, h_n, c_n, _, _ = _core.lstm_forward(x.reshape(1, B, -1), h0, c0, f32c(w_ih._data), f32c(w_hh._data), bias,
                                               False, False, bf16=_entered[0] > 0 and _bf16_on())
        return Tensor._wrap(h_n), Tensor._wrap(c_n)


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n, as ``GRU``); input (B, I) or (I,), hx (B, H) or (H,); returns h'.

    Example:
        >>> cell = GRUCell(10, 20)
        >>> h = cell(ne.randn(3, 10))
    """

    _gates = 3

    def forward(self, input: Tensor, hx: Optional[Tensor] = None) -> Tensor:
        x, unbatched = self._prepare(input)
        h0 = None if hx is None else self._state(hx, "hx", unbatched, x.shape[1])
        _, h = R.gru_sequence(x, h0, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return h.squeeze(0) if unbatched else h
