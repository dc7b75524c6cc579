"""Real-data learning signals for the recurrent layers (short versions of the examples)."""

from __future__ import annotations

import os
import sys

from conftest import require_dataset, require_path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))


def test_bilstm_fashion_mnist_learns():
    import bilstm_fashion_mnist as ex

    import nnengine as ne

    require_dataset(ne.data.load_fashion_mnist, train=False, what="Fashion-MNIST")
    _, acc = ex.train(epochs=2, hidden=32, limit=4000, test_limit=2000, lr=3e-3, log=lambda s: None)
    assert acc > 0.6  # chance is 0.1


def test_char_lstm_fortunes_beats_unigram():
    import char_lstm_fortunes as ex

    require_path(ex.FORTUNES_DIR, "Debian's fortunes package")
    model, chars, vl, base = ex.train(steps=120, hidden=64, batch=16, seq=32, lr=5e-3, log=lambda s: None, decay=False)
    assert vl < base - 0.3, (vl, base)
    text = ex.sample(model, chars, n=50)
    assert len(text) == 54 and set(text) <= set(chars)
