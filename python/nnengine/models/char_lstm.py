"""``CharLSTM``: a character-level LSTM language model that carries its own vocabulary."""

from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from .. import nn
from .._coerce import as_array
from ..autograd import no_grad
from ..tensor import Tensor


class CharLSTM(nn.Module):
    """One-hot characters -> LSTM (batch_first) -> Linear to next-character logits.

    ``vocab`` is the string of known characters (index i = ``vocab[i]``); it is a constructor argument, so
    ``nnengine.io.save_model`` stores it with the weights. ``forward(ids, state=None)`` takes integer ids
    (B, T) and returns ``(logits (B, T, V), (h_n, c_n))``; pass the state back to continue a stream.

    Example:
        >>> model = CharLSTM("abc ", hidden_size=32)
        >>> logits, state = model(model.encode(["abc", "cab"]))
        >>> logits.shape, len(model.sample("ab", length=20, seed=0))
        ((2, 3, 4), 22)
    """

    def __init__(self, vocab: str, hidden_size: int = 128, num_layers: int = 1) -> None:
        super().__init__()
        if not isinstance(vocab, str) or len(vocab) < 2 or len(set(vocab)) != len(vocab):
            raise ValueError(f"vocab: expected a string of at least 2 distinct characters, got {vocab!r}")
        self.vocab = vocab
        self.vocab_size = len(vocab)
        self._index = {c: i for i, c in enumerate(vocab)}
        self.lstm = nn.LSTM(self.vocab_size, hidden_size, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, self.vocab_size)

    def encode(self, text: Any) -> np.ndarray:
        """Ids (int64) of ``text`` (a string -> (T,), a list of equal-length strings -> (B, T));
        unknown characters are dropped.

        Example:
            >>> CharLSTM("abc ").encode("cab")
            array([2, 0, 1])
        """
        if isinstance(text, str):
            return np.fromiter((self._index[c] for c in text if c in self._index), np.int64)
        return np.stack([self.encode(t) for t in text])

    def decode(self, ids: Any) -> str:
        """The text of ids (a 1-D sequence).

        Example:
            >>> m = CharLSTM("abc "); m.decode(m.encode("a cab"))
            'a cab'
        """
        return "".join(self.vocab[int(i)] for i in np.asarray(ids).reshape(-1))

    def forward(self, ids: Any, state: Optional[Tuple[Tensor, Tensor]] = None) -> Tuple[Tensor, Any]:
        ids = as_array(ids)
        if ids.dtype.kind not in "iu" or ids.ndim != 2:
            raise ValueError(f"ids: expected integer ids of shape (B, T), got {ids.dtype} {ids.shape}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
            raise ValueError(f"ids: expected values in [0, {self.vocab_size}), got [{ids.min()}, {ids.max()}]")
        x = np.eye(self.vocab_size, dtype=np.float32)[ids]
        out, state = self.lstm(Tensor(x), state)
        return self.head(out), state

    def sample(self, prompt: str, length: int = 200, temperature: float = 0.8, seed: Optional[int] = None) -> str:
        """``prompt`` followed by ``length`` sampled characters (the state is streamed one step at a time).

        Example:
            >>> m = CharLSTM("abc ", hidden_size=16)
            >>> s = m.sample("ab", length=10, seed=0)
            >>> len(s), s[:2], set(s) <= set("abc ")
            (12, 'ab', True)
        """
        rng = np.random.default_rng(seed)
        ids = self.encode(prompt)
        if ids.size == 0:
            ids = np.zeros(1, np.int64)
        out = list(ids)
        with no_grad():
            logits, state = self(ids[None, :])
            for _ in range(length):
                z = logits.numpy()[0, -1].astype(np.float64) / max(temperature, 1e-6)
                p = np.exp(z - z.max())
                nxt = int(rng.choice(self.vocab_size, p=p / p.sum()))
                out.append(nxt)
                logits, state = self(np.array([[nxt]]), state)
        return self.decode(out)

    def extra_repr(self) -> str:
        return f"vocab_size={self.vocab_size}"
