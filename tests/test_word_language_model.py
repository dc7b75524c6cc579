"""examples/word_language_model.py (PyTorch's word-level language model on Debian's fortunes), short run."""

from __future__ import annotations

import os
import sys

from conftest import require_path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))


def test_word_language_model_gru_learns():
    import word_language_model as ex

    require_path(ex.FORTUNES_DIR, "Debian's fortunes package")
    r = ex.train("GRU", steps=30, emsize=32, nhid=32, nlayers=1, vocab=2000, eval_words=3000, limit=20000,
                 log=lambda s: None)
    assert r["vocab"] == 2000
    assert r["valid_ppl"] < 0.4 * r["vocab"], r  # a uniform model has perplexity = vocabulary size
