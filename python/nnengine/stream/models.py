"""A recurrent core with a linear head per step, speaking the streaming protocol."""

from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from .. import nn
from .._coerce import wrap_tensor
from ..autograd import no_grad
from ..tensor import Tensor
from ._adapters import adapt

_CELLS = {"lstm": "LSTM", "rnn": "RNN", "gru": "GRU"}


class RecurrentModel(nn.Module):
    """``nn.LSTM``/``nn.RNN``/``nn.GRU`` (unidirectional) followed by ``nn.Linear`` applied at every step.

    ``forward(x, state=None)`` takes a time-major ``(T, B, I)`` sequence and returns ``(y (T, B, O),
    new_state)``; ``init_state(batch)`` gives the zero state with the batch axis first (the streaming
    protocol of ``nnengine.stream``), so the same model trains offline on whole sequences and runs online in a
    ``StreamRunner``/``OnlineLearner``/``ForecastDetector``. With ``output_size == input_size`` it is a
    one-step-ahead forecaster; with ``output_size = classes`` its last step classifies the sequence.

    Example:
        >>> m = RecurrentModel(6, 64, 4)                 # 6 channels in, 4 class logits per step
        >>> y, state = m(ne.randn(100, 8, 6))            # y: (100, 8, 4)
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: Optional[int] = None, num_layers: int = 1,
                 cell: str = "lstm", dropout: float = 0.0) -> None:
        super().__init__()
        if cell not in _CELLS:
            raise ValueError(f"cell: expected one of {sorted(_CELLS)}, got {cell!r}")
        cls = getattr(nn, _CELLS[cell], None)
        if cls is None:
            raise ValueError(f"cell: nn.{_CELLS[cell]} is not available in this nnengine build")
        self.input_size, self.hidden_size = int(input_size), int(hidden_size)
        self.output_size = int(output_size if output_size is not None else input_size)
        self.cell = cell
        self.rnn = cls(self.input_size, self.hidden_size, num_layers=num_layers, dropout=dropout)
        self.head = nn.Linear(self.hidden_size, self.output_size)
        self._core = adapt(self.rnn)

    def init_state(self, batch_size: int) -> Tuple[np.ndarray, ...]:
        """Zero states for ``batch_size`` streams (arrays, one per state tensor).

        Example:
            >>> [s.shape for s in RecurrentModel(3, 8).init_state(2)]
            [(2, 1, 8), (2, 1, 8)]
        """
        return self._core.init_state(batch_size)

    def forward(self, x: Any, state: Optional[Tuple[Any, ...]] = None) -> Tuple[Tensor, Tuple[Tensor, ...]]:
        x = wrap_tensor(x)
        if x.ndim != 3:
            raise ValueError(f"x: expected a time-major (T, B, {self.input_size}) sequence, got shape {x.shape}")
        if state is None:
            state = tuple(Tensor(s) for s in self.init_state(x.shape[1]))
        y, new = self._core.forward(x, tuple(wrap_tensor(s) for s in state))
        return self.head(y), new

    def infer(self, x: np.ndarray, state: Tuple[np.ndarray, ...]) -> Tuple[np.ndarray, Tuple[np.ndarray, ...]]:
        """``forward`` on float32 arrays without autograd (what ``StreamRunner`` calls each tick).

        Example:
            >>> m = RecurrentModel(3, 8, cell="gru")
            >>> y, state = m.infer(np.zeros((1, 2, 3), np.float32), m.init_state(2))
            >>> y.shape
            (1, 2, 3)
        """
        y, new = self._core.infer(x, state)
        with no_grad():
            return self.head(Tensor(y))._data, new

    def extra_repr(self) -> str:
        return f"cell={self.cell!r}"
