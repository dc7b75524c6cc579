"""Inference fast paths of hot modules (a direct kernel call for the common call, skipping the generic
path's checks and tape) compute exactly what the generic path computes, and every other call takes the
generic path: LSTMCell's streaming step."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
from nnengine import nn
from nnengine.functional import _rnn as R


def _generic_lstm_cell(cell, x, hx):
    x3 = x.unsqueeze(0)
    _, h, c = R.lstm_sequence(x3, hx, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    return h, c


@pytest.mark.parametrize("batch", [1, 7, 8, 9, 1000])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("threads", [1, 2])
def test_lstm_cell_inference_step_is_the_generic_step(batch, bias, threads, rng):
    ne.set_num_threads(threads)
    try:
        ne.manual_seed(0)
        cell = nn.LSTMCell(8, 17, bias=bias)
        hx = None
        with ne.no_grad():
            for _ in range(3):
                x = ne.tensor(rng.standard_normal((batch, 8)).astype(np.float32))
                assert cell._inference_step(x, hx) is not None
                h, c = cell(x, hx)
                gh, gc = _generic_lstm_cell(cell, x, hx)
                np.testing.assert_array_equal(h.numpy(), gh.numpy())
                np.testing.assert_array_equal(c.numpy(), gc.numpy())
                assert not h.requires_grad and not c.requires_grad
                hx = (h, c)
    finally:
        ne.set_num_threads(2)


def test_lstm_cell_other_calls_take_the_generic_path(rng):
    ne.manual_seed(0)
    cell = nn.LSTMCell(4, 5)
    x = ne.tensor(rng.standard_normal((3, 4)).astype(np.float32))
    assert cell._inference_step(x, None) is None  # grad mode with parameters that require grad: recorded
    h, c = cell(x)
    assert h.requires_grad
    with ne.no_grad():
        assert cell._inference_step(x.data, None) is None  # a numpy array: validated by the generic path
        assert cell._inference_step(ne.tensor(rng.standard_normal(4).astype(np.float32)), None) is None
        wide = ne.tensor(rng.standard_normal((3, 8)).astype(np.float32))
        assert cell._inference_step(wide[:, ::2], None) is None  # non-contiguous
        assert cell._inference_step(x, [h, c]) is None  # a list, not a tuple
        assert cell._inference_step(x, (h[:2], c[:2])) is None  # state of another batch
        with pytest.raises(ValueError, match="h"):
            cell(x, (h[:2], c[:2]))
        assert cell._inference_step(wide, None) is None
        with pytest.raises(ValueError, match="input"):
            cell(wide)
    cell64 = nn.LSTMCell(4, 5).double()
    with ne.no_grad():
        assert cell64._inference_step(ne.tensor(x.numpy().astype(np.float64)), None) is None
