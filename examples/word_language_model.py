"""Word-level language model (PyTorch's well-known ``examples/word_language_model``) on Debian's fortunes.

    python examples/word_language_model.py [--model LSTM|GRU|RNN_TANH|RNN_RELU|Transformer] [--steps 300]
        [--emsize 200] [--nhid 200] [--nlayers 2] [--lr 20] [--clip 0.25] [--bptt 35] [--batch-size 20]
        [--dropout 0.2] [--tied] [--vocab 10000] [--threads N]

The program of the PyTorch example, in nnengine: a Dictionary/Corpus tokenising lines into words plus
``<eos>``, ``batchify`` into columns, truncated BPTT over ``bptt`` steps with the hidden state carried and
detached (``repackage_hidden``), an ``RNNModel`` (Embedding encoder, dropout, LSTM/GRU/RNN, Linear decoder,
optional weight tying), plain SGD at lr 20 with gradient-norm clipping 0.25, the learning rate divided by
4 when the validation loss stops improving, and perplexities ``exp(loss)`` on validation and test text.
The corpus is the English text of the ``fortunes`` package (``apt-get install fortunes fortunes-min``):
the fortunes are split 90/5/5 into train/valid/test (seeded), words beyond the ``--vocab`` most frequent
become ``<unk>``. Defaults are short (a few minutes on one core).
"""

from __future__ import annotations

import argparse
import collections
import math
import os
import sys
import time
from typing import Dict, List, Optional, Tuple

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from char_lstm_fortunes import FORTUNES_DIR, load_text  # noqa: E402

import nnengine as ne  # noqa: E402
import nnengine.functional as F  # noqa: E402
from nnengine import nn  # noqa: E402


# ------------------------------------------------------------------------------------------------ data
class Dictionary:
    def __init__(self) -> None:
        self.word2idx: Dict[str, int] = {}
        self.idx2word: List[str] = []

    def add_word(self, word: str) -> int:
        if word not in self.word2idx:
            self.idx2word.append(word)
            self.word2idx[word] = len(self.idx2word) - 1
        return self.word2idx[word]

    def __len__(self) -> int:
        return len(self.idx2word)


class Corpus:
    """Train / valid / test id streams of the fortunes: each line's words then ``<eos>``."""

    def __init__(self, root: str = FORTUNES_DIR, vocab: int = 10000, seed: int = 0, limit: Optional[int] = None):
        entries = [e for e in load_text(root).split("\n\n") if e.strip()]
        order = np.random.default_rng(seed).permutation(len(entries))
        n = len(entries)
        parts = [order[: int(0.9 * n)], order[int(0.9 * n) : int(0.95 * n)], order[int(0.95 * n) :]]
        lines = [[w for i in p for line in entries[i].split("\n") for w in line.split() + ["<eos>"]] for p in parts]
        if limit is not None:
            lines = [ws[:limit] for ws in lines]
        counts = collections.Counter(lines[0])
        self.dictionary = Dictionary()
        for w in ["<unk>", "<eos>"] + [w for w, _ in counts.most_common(vocab) if w not in ("<unk>", "<eos>")]:
            if len(self.dictionary) < vocab:
                self.dictionary.add_word(w)
        unk = self.dictionary.word2idx["<unk>"]
        self.train, self.valid, self.test = (
            np.array([self.dictionary.word2idx.get(w, unk) for w in ws], np.int64) for ws in lines
        )


def batchify(data: np.ndarray, bsz: int) -> np.ndarray:
    """(N,) ids -> (N // bsz, bsz): each column a contiguous stretch of text."""
    nbatch = len(data) // bsz
    return np.ascontiguousarray(data[: nbatch * bsz].reshape(bsz, nbatch).T)


def get_batch(source: np.ndarray, i: int, bptt: int) -> Tuple[np.ndarray, np.ndarray]:
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i : i + seq_len], source[i + 1 : i + 1 + seq_len].reshape(-1)


# ----------------------------------------------------------------------------------------------- model
class RNNModel(nn.Module):
    """Encoder (Embedding), a recurrent module, and a decoder (Linear), as PyTorch's example."""

    def __init__(self, rnn_type: str, ntoken: int, ninp: int, nhid: int, nlayers: int, dropout: float = 0.5,
                 tie_weights: bool = False):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        if rnn_type in ("LSTM", "GRU"):
            self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        else:
            nonlinearity = {"RNN_TANH": "tanh", "RNN_RELU": "relu"}[rnn_type]
            self.rnn = nn.RNN(ninp, nhid, nlayers, nonlinearity=nonlinearity, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            if nhid != ninp:
                raise ValueError("When using the tied flag, nhid must be equal to emsize")
            self.decoder.weight = self.encoder.weight
        self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output).view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz: int):
        h = ne.zeros(self.nlayers, bsz, self.nhid)
        return (h, ne.zeros(self.nlayers, bsz, self.nhid)) if self.rnn_type == "LSTM" else h


class TransformerModel(nn.Module):
    """Embedding, sinusoidal positions, a causal nn.TransformerEncoder and a Linear decoder."""

    def __init__(self, ntoken: int, ninp: int, nhead: int, nhid: int, nlayers: int, dropout: float = 0.5):
        super().__init__()
        self.ntoken, self.ninp = ntoken, ninp
        self.encoder = nn.Embedding(ntoken, ninp)
        layer = nn.TransformerEncoderLayer(ninp, nhead, nhid, dropout)
        self.transformer_encoder = nn.TransformerEncoder(layer, nlayers)
        self.decoder = nn.Linear(ninp, ntoken)
        self.drop = nn.Dropout(dropout)
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)

    def forward(self, src, hidden=None):
        T = src.shape[0]
        pos = np.arange(T)[:, None] * np.exp(np.arange(0, self.ninp, 2) * (-math.log(10000.0) / self.ninp))
        pe = np.zeros((T, 1, self.ninp), np.float32)
        pe[:, 0, 0::2], pe[:, 0, 1::2] = np.sin(pos), np.cos(pos)
        x = self.drop(self.encoder(src) * math.sqrt(self.ninp) + ne.tensor(pe))
        mask = ne.tensor(np.triu(np.full((T, T), -np.inf, np.float32), 1))
        out = self.decoder(self.transformer_encoder(x, mask))
        return F.log_softmax(out.view(-1, self.ntoken), dim=1), None

    def init_hidden(self, bsz: int):
        return None


def repackage_hidden(h):
    """Detach hidden states from their history (truncated BPTT)."""
    if h is None:
        return None
    return h.detach() if isinstance(h, ne.Tensor) else tuple(repackage_hidden(v) for v in h)


# -------------------------------------------------------------------------------------------- training
def evaluate(model, data: np.ndarray, bptt: int, bsz: int) -> float:
    model.eval()
    total, count = 0.0, 0
    hidden = model.init_hidden(bsz)
    with ne.no_grad():
        for i in range(0, len(data) - 1, bptt):
            x, y = get_batch(data, i, bptt)
            out, hidden = model(ne.tensor(x), hidden)
            total += len(x) * float(F.nll_loss(out, y).item())
            count += len(x)
            hidden = repackage_hidden(hidden)
    return total / max(count, 1)


def train(model_type: str = "LSTM", steps: int = 300, emsize: int = 200, nhid: int = 200, nlayers: int = 2,
          lr: float = 20.0, clip: float = 0.25, bptt: int = 35, batch_size: int = 20, dropout: float = 0.2,
          tied: bool = False, vocab: int = 10000, eval_words: int = 20000, limit: Optional[int] = None,
          seed: int = 1111, log=print) -> Dict[str, float]:
    """Train for ``steps`` BPTT segments (cycling over the training text), evaluating every 100 steps;
    returns the final validation and test loss / perplexity (on the first ``eval_words`` words of each)."""
    ne.manual_seed(seed)
    corpus = Corpus(vocab=vocab, limit=limit)
    ntokens = len(corpus.dictionary)
    train_data = batchify(corpus.train, batch_size)
    val_data = batchify(corpus.valid[:eval_words], 10)
    test_data = batchify(corpus.test[:eval_words], 10)
    log(f"corpus: {len(corpus.train)} / {len(corpus.valid)} / {len(corpus.test)} words, vocabulary {ntokens}")
    if model_type == "Transformer":
        model = TransformerModel(ntokens, emsize, 2, nhid, nlayers, dropout)
    else:
        model = RNNModel(model_type, ntokens, emsize, nhid, nlayers, dropout, tied)
    params = list(model.parameters())
    best_val, step, t0, total = None, 0, time.time(), 0.0
    hidden = model.init_hidden(batch_size)
    while step < steps:
        for i in range(0, train_data.shape[0] - 1, bptt):
            model.train()
            x, y = get_batch(train_data, i, bptt)
            hidden = repackage_hidden(hidden)
            model.zero_grad()
            out, hidden = model(ne.tensor(x), hidden)
            loss = F.nll_loss(out, y)
            loss.backward()
            nn.utils.clip_grad_norm_(params, clip)
            for p in params:
                p.data -= np.float32(lr) * p.grad
            total += float(loss.item())
            step += 1
            if step % 100 == 0 or step == steps:
                n = 100 if step % 100 == 0 else step % 100
                val = evaluate(model, val_data, bptt, 10)
                log(f"step {step:5d} | lr {lr:5.2f} | {1000 * (time.time() - t0) / n:6.1f} ms/batch | "
                    f"train loss {total / n:5.2f} | valid loss {val:5.2f} | valid ppl {math.exp(val):8.2f}")
                total, t0 = 0.0, time.time()
                if best_val is None or val < best_val:
                    best_val = val
                else:
                    lr /= 4.0
            if step >= steps:
                break
    val, test = evaluate(model, val_data, bptt, 10), evaluate(model, test_data, bptt, 10)
    log(f"end | valid ppl {math.exp(val):8.2f} | test ppl {math.exp(test):8.2f}")
    return dict(valid_loss=val, test_loss=test, valid_ppl=math.exp(val), test_ppl=math.exp(test), vocab=ntokens)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="LSTM", choices=["LSTM", "GRU", "RNN_TANH", "RNN_RELU", "Transformer"])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--emsize", type=int, default=200)
    ap.add_argument("--nhid", type=int, default=200)
    ap.add_argument("--nlayers", type=int, default=2)
    ap.add_argument("--lr", type=float, default=20.0)
    ap.add_argument("--clip", type=float, default=0.25)
    ap.add_argument("--bptt", type=int, default=35)
    ap.add_argument("--batch-size", type=int, default=20)
    ap.add_argument("--dropout", type=float, default=0.2)
    ap.add_argument("--tied", action="store_true")
    ap.add_argument("--vocab", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=None)
    a = ap.parse_args()
    if a.threads:
        ne.set_num_threads(a.threads)
    if a.model == "Transformer" and not hasattr(nn, "TransformerEncoder"):
        sys.exit("--model Transformer needs nn.TransformerEncoder, which this nnengine does not have yet")
    train(a.model, a.steps, a.emsize, a.nhid, a.nlayers, a.lr, a.clip, a.bptt, a.batch_size, a.dropout, a.tied,
          a.vocab)


if __name__ == "__main__":
    main()
