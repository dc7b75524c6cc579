"""Write the word language model's corpus folder (train.txt, valid.txt, test.txt) from Debian's fortunes.

    python examples/word_language_model/prepare_fortunes.py OUT_DIR [--vocab 10000] [--train-words N] [--seed 0]

The English fortunes (``apt-get install fortunes fortunes-min``, read as ``char_lstm_fortunes.load_text``
does) are shuffled by fortune (seeded) and split 90/5/5. Like WikiText-2, the text is pre-processed so the
vocabulary is closed: words outside the ``--vocab`` - 1 most frequent training words are written as
``<unk>`` (``<eos>``, added per line by ``data.Corpus``, is the last vocabulary entry). ``--train-words``
keeps only the first N training words (whole lines) for short runs.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
from typing import Dict, List, Optional

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from char_lstm_fortunes import FORTUNES_DIR, load_text  # noqa: E402


def prepare(out_dir: str, vocab: int = 10000, train_words: Optional[int] = None, seed: int = 0,
            root: str = FORTUNES_DIR) -> Dict[str, int]:
    """Write ``out_dir/{train,valid,test}.txt``; returns the number of words (with ``<eos>``) per split."""
    if vocab < 3:
        raise ValueError(f"vocab must be >= 3 (<unk>, <eos> and a word), got {vocab}")
    entries = [e for e in load_text(root).split("\n\n") if e.strip()]
    order = np.random.default_rng(seed).permutation(len(entries))
    n = len(entries)
    parts = [order[: int(0.9 * n)], order[int(0.9 * n): int(0.95 * n)], order[int(0.95 * n):]]
    splits: List[List[List[str]]] = []
    for part in parts:
        lines = [line.split() for i in part for line in entries[i].split("\n")]
        splits.append([ws for ws in lines if ws])
    if train_words is not None:
        kept, total = [], 0
        for ws in splits[0]:
            if total >= train_words:
                break
            kept.append(ws)
            total += len(ws) + 1
        splits[0] = kept
    counts = collections.Counter(w for ws in splits[0] for w in ws if w != "<unk>")
    keep = {w for w, _ in counts.most_common(vocab - 2)}
    os.makedirs(out_dir, exist_ok=True)
    sizes = {}
    for name, lines in zip(("train", "valid", "test"), splits):
        with open(os.path.join(out_dir, f"{name}.txt"), "w", encoding="utf8") as f:
            for ws in lines:
                f.write(" ".join(w if w in keep else "<unk>" for w in ws) + "\n")
        sizes[name] = sum(len(ws) + 1 for ws in lines)
    return sizes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--vocab", type=int, default=10000)
    ap.add_argument("--train-words", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    sizes = prepare(a.out_dir, a.vocab, a.train_words, a.seed)
    print(" ".join(f"{k}={v}" for k, v in sizes.items()), "words written to", a.out_dir)


if __name__ == "__main__":
    main()
