"""Streaming a sensor-style signal through an LSTM in chunks, with the state carried over.

    python examples/lstm_stream.py

1. Trains a one-step-ahead predictor on a noisy multi-sine "sensor" stream with truncated BPTT: the
   stream is cut into 50-sample chunks, the (h, c) state is passed from chunk to chunk and detached so
   gradients stop at chunk borders.
2. Shows that feeding the stream to the LSTM chunk by chunk gives exactly (bit for bit) the outputs and the
   final (h, c) of one call on the whole stream. The Linear head on top is a GEMM whose rounding may depend
   on how many rows it gets at once (37 vs 4000 here), so its predictions agree to ~1e-7, not bit for bit.
"""

from __future__ import annotations

import numpy as np

import nnengine as ne
import nnengine.functional as F
from nnengine import nn


def sensor_stream(n: int, seed: int = 0) -> np.ndarray:
    t = np.arange(n, dtype=np.float64)
    rng = np.random.default_rng(seed)
    s = np.sin(2 * np.pi * t / 40) + 0.5 * np.sin(2 * np.pi * t / 13 + 1.0) + 0.1 * rng.standard_normal(n)
    return s.astype(np.float32)[:, None]  # (T, 1): one sensor channel


class Predictor(nn.Module):
    def __init__(self, hidden: int = 32):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x, state=None):
        out, state = self.lstm(x, state)
        return self.head(out), state


def main():
    ne.manual_seed(0)
    stream = sensor_stream(4001)
    x, y = stream[:-1, None, :], stream[1:, None, :]  # (T, B=1, 1)
    model = Predictor()
    opt = ne.optim.Adam(list(model.parameters()), lr=1e-2)
    chunk = 50
    for epoch in range(8):
        state, total = None, 0.0
        for s in range(0, len(x), chunk):
            pred, state = model(ne.tensor(x[s : s + chunk]), state)
            loss = F.mse_loss(pred, ne.tensor(y[s : s + chunk]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            state = tuple(t.detach() for t in state)  # truncated BPTT: stop gradients at the border
            total += loss.item()
        print(f"epoch {epoch + 1}: mean chunk MSE {total / (len(x) // chunk):.4f} (noise floor ~0.01)")

    with ne.no_grad():
        whole, (h_whole, c_whole) = model.lstm(ne.tensor(x))
        state, parts = None, []
        for s in range(0, len(x), 37):  # any chunking
            out, state = model.lstm(ne.tensor(x[s : s + 37]), state)
            parts.append(out.data)
        chunked = np.concatenate(parts)
        print("LSTM outputs, chunked == whole:", np.array_equal(chunked, whole.data))
        print("final (h, c), chunked == whole:",
              np.array_equal(state[0].data, h_whole.data) and np.array_equal(state[1].data, c_whole.data))
        pred_whole = model.head(whole).data  # one GEMM over 4000 rows
        pred_chunked = np.concatenate([model.head(ne.tensor(p)).data for p in parts])  # 37 rows at a time
    diff = float(np.abs(pred_chunked - pred_whole).max())
    print(f"head predictions: max |chunked - whole| = {diff:.1e} (same LSTM features; the head's GEMM may "
          "round differently for another row count)")


if __name__ == "__main__":
    main()
