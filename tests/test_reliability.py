"""Issue 14's known reproducers as plain regression tests, each run crash-isolated in the fuzz engine's
worker subprocess (scripts/fuzz.py): huge hyper-parameters and column offsets raise ValueError naming the
argument, degenerate sizes give correct results, misaligned float arrays give the aligned result or a
ValueError; plus an exhaustive small-shape grid of conv2d (forward, input and weight gradients) against a
float64 oracle and the scalar reference kernels (the width-1 output / batch >= 2 / stride_h >= 2 bug)."""

from __future__ import annotations

import importlib.util
import itertools
import os
import zlib

import numpy as np
import pytest
from reference import conv2d as ref

import nnengine as ne
import nnengine.functional as F
from nnengine import _core

_FUZZ_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "fuzz.py")
_spec = importlib.util.spec_from_file_location("nne_fuzz", _FUZZ_PATH)
fuzz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fuzz)


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    w = fuzz.Worker(timeout=120, mem_mb=8192, log_dir=str(tmp_path_factory.mktemp("worker")))
    yield w
    w.stop()


_ids = itertools.count(1)


def run(worker, code: str, check_aligned: bool = False) -> dict:
    """Run ``code`` (after fuzz.PRELUDE) in the worker; a crash or hang fails the test with a reproducer."""
    res = worker.call({"id": next(_ids), "target": "test", "code": code, "check_aligned": check_aligned})
    if res["outcome"] in ("crash", "hang"):
        pytest.fail(f"{res['outcome']} ({res['msg']}); reproducer:\n{fuzz.reproducer(code)}\n"
                    f"worker log tail:\n{res.get('log', '')[-3000:]}", pytrace=False)
    return res


def expect_value_error(worker, code: str, *names: str) -> None:
    res = run(worker, code)
    assert res["outcome"] == "exc" and res["type"] == "ValueError", (
        f"expected ValueError, got {res.get('type', 'a result')}: {res.get('msg', '')}\n{fuzz.reproducer(code)}"
    )
    assert any(n in res["msg"] for n in names), f"message should name {names}: {res['msg']!r}"


def expect_ok(worker, code: str) -> None:
    res = run(worker, code)
    assert res["outcome"] == "ok", f"{res.get('type')}: {res.get('msg')}\n{res.get('tb', '')}\n{fuzz.reproducer(code)}"


# ------------------------------------------------------------------------------- conv2d hyper-parameters
CONV_CASES = [
    ("dilation", dict(dilation=(1, 2**62)), (1, 3)),
    ("dilation", dict(dilation=(2**62, 1)), (3, 1)),
    ("dilation", dict(dilation=(1, 2**62)), (3, 3)),
    ("padding", dict(padding=(0, 2**63 - 1)), (1, 1)),
    ("padding", dict(padding=(2**63 - 1, 0)), (3, 3)),
    ("padding", dict(padding=(2**62, 2**62)), (1, 1)),
    ("stride", dict(stride=(2**32, 2**63 - 1)), (1, 1)),
    ("stride", dict(stride=(2**32, 1)), (3, 3)),
]


def _kw(kw: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kw.items())


@pytest.mark.parametrize("name,kw,k", CONV_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CONV_CASES)])
def test_conv2d_huge_hyper_parameters_raise_value_error(worker, name, kw, k):
    x, w = "A((2, 1, 5, 5))", f"A((1, 1) + {k!r})"
    expect_value_error(worker, f"R = F.conv2d(T({x}), T({w}), None, {_kw(kw)})", name)
    expect_value_error(worker, f"m = nn.Conv2d(1, 1, {k!r}, {_kw(kw)})\nR = m({x})", name)
    expect_value_error(worker, f"R = _core.conv2d_forward({x}, {w}, None, {_kw(kw)})", name)
    expect_value_error(worker, f"R = _core.conv2d_backward_data(A((2, 1, 1, 1)), {w}, (5, 5), {_kw(kw)})", name)
    expect_value_error(worker, f"R = _core.conv2d_backward_weights(A((2, 1, 1, 1)), {x}, {k!r}, {_kw(kw)})", name)


# --------------------------------------------------------------------------------- recurrent column offsets
RNN_ARGS = "A((2, 1, 3)), A((1, 2)), A((2, 3)), A((2, 2))"
LSTM_ARGS = "A((2, 1, 3)), A((1, 2)), A((1, 2)), A((8, 3)), A((8, 2))"
HUGE_COLS = [2**63 - 1, 2**63 - 2, 2**63 - 3, 2**62, 2**31, -1, -(2**63)]


@pytest.mark.parametrize("col", HUGE_COLS)
def test_rnn_lstm_huge_column_offsets_raise_value_error(worker, col):
    out = "np.zeros((2, 1, 4), np.float32)"
    expect_value_error(worker, f"R = _core.rnn_forward({RNN_ARGS}, None, out={out}, out_col={col})", "out_col")
    expect_value_error(worker, f"R = _core.lstm_forward({LSTM_ARGS}, None, out={out}, out_col={col})", "out_col")
    expect_value_error(
        worker,
        f"R = _core.rnn_backward(A((2, 1, 4)), A((1, 2)), A((2, 1, 3)), A((1, 2)), A((2, 3)), A((2, 2)), None, "
        f"A((2, 1, 4)), y_col={col})",
        "y_col",
    )
    expect_value_error(
        worker,
        f"R = _core.lstm_backward(A((2, 1, 4)), A((1, 2)), A((1, 2)), A((2, 1, 3)), A((1, 2)), A((1, 2)), "
        f"A((8, 3)), A((8, 2)), None, A((2, 1, 4)), A((2, 1, 8)), A((2, 1, 2)), y_col={col})",
        "y_col",
    )


def test_rnn_lstm_valid_column_offsets_still_work(worker):
    """The bidirectional layout: two directions write the two column halves of one output."""
    code = (
        "out = np.zeros((2, 1, 4), np.float32)\n"
        f"y0, _ = _core.rnn_forward({RNN_ARGS}, None, out=out, out_col=0)\n"
        f"y1, _ = _core.rnn_forward({RNN_ARGS}, None, reverse=True, out=out, out_col=2)\n"
        f"a, _ = _core.rnn_forward({RNN_ARGS})\n"
        "assert y0 is out and np.array_equal(out[:, :, :2], a)\n"
        "R = _core.rnn_backward(A((2, 1, 4)), A((1, 2)), A((2, 1, 3)), A((1, 2)), A((2, 3)), A((2, 2)), None,"
        " out, reverse=True, y_col=2)\n"
    )
    expect_ok(worker, code)


# ---------------------------------------------------------------------------------------- maxout, pooling
@pytest.mark.parametrize("pieces", [2**31, 2**31 - 1, 2**40, 2**62, 2**63 - 1])
def test_maxout_backward_huge_pieces_raises_value_error(worker, pieces):
    code = f"R = _core.maxout_backward(A((1, 2, 1)), np.zeros((1, 2, 1), np.int32), {pieces})"
    expect_value_error(worker, code, "pieces", "dy", "x", "output", "elements")


def test_maxout_forward_huge_pieces_raises_value_error(worker):
    expect_value_error(worker, "R = _core.maxout_forward(A((1, 2, 1)), 2**62)", "pieces")


POOL_CASES = [
    dict(kernel_size=(1, 1), stride=(1, 1), padding=(2**62, 0)),
    dict(kernel_size=(2**63 - 1, 1), stride=(1, 1), padding=(2**62, 0)),
    dict(kernel_size=(1, 2**63 - 1), stride=(1, 1), padding=(0, 2**62 - 1)),
    dict(kernel_size=(2**32, 2**32), stride=(1, 1), padding=(2**31, 2**31)),
]


@pytest.mark.parametrize("kw", POOL_CASES)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool2d_huge_padding_raises_value_error(worker, kw, kind):
    names = ("padding", "kernel_size")
    expect_value_error(worker, f"R = _core.pool2d_forward(A((1, 1, 2, 2)), {kind!r}, {_kw(kw)})", *names)
    idx = "np.zeros((1, 1, 1, 1), np.int32)"
    expect_value_error(
        worker, f"R = _core.pool2d_backward(A((1, 1, 1, 1)), {kind!r}, {idx}, (2, 2), {_kw(kw)})", *names, "input_hw"
    )


# ---------------------------------------------------------------------------------------------------- RBM
@pytest.mark.parametrize("trans_w", [True, False])
@pytest.mark.parametrize("seed", [None, 1])
def test_rbm_sample_zero_hidden_units(worker, trans_w, seed):
    """0 hidden units used to divide by zero; ValueError or the correct empty result are both fine."""
    w = "A((0, 3))" if trans_w else "A((3, 0))"
    code = (
        f"try:\n    R = _core.rbm_sample(A((2, 3)), {w}, None, trans_w={trans_w}, seed={seed})\n"
        "except ValueError:\n    R = None\n"
        "if R is not None:\n"
        "    assert R[0].shape == (2, 0) and R[0].dtype == np.float32, R[0].shape\n"
        f"    assert (R[1] is None) if {seed is None} else (R[1].shape == (2, 0)), R[1]\n"
    )
    expect_ok(worker, code)


def test_rbm_sample_zero_inputs_and_rows(worker):
    code = (
        "b = A((4,))\n"
        "try:\n    p, s = _core.rbm_sample(A((2, 0)), A((4, 0)), b, seed=3)\n"
        "except ValueError:\n    p = None\n"
        "if p is not None:\n"
        "    np.testing.assert_allclose(p, np.broadcast_to(1 / (1 + np.exp(-b.astype(np.float64))), (2, 4)),"
        " rtol=1e-6)\n"
        "    assert set(np.unique(s)) <= {0.0, 1.0}\n"
        "try:\n    p, s = _core.rbm_sample(A((0, 3)), A((4, 3)), None, seed=3)\n"
        "    assert p.shape == (0, 4) and s.shape == (0, 4)\n"
        "except ValueError:\n    pass\n"
    )
    expect_ok(worker, code)


@pytest.mark.parametrize("seed", ["2**64", "2**100", "-1", "-(2**63)", "1.5", "'7'"])
def test_rbm_sample_bad_seed_raises_value_or_type_error(worker, seed):
    code = f"R = _core.rbm_sample(A((2, 3)), A((4, 3)), None, seed={seed})"
    res = run(worker, code)
    assert res["outcome"] == "exc" and res["type"] in ("ValueError", "TypeError"), (res, fuzz.reproducer(code))


def test_rbm_sample_seed_2_63_is_a_result_or_a_value_error(worker):
    """2**63 used to escape as RuntimeError (a failed cast to long long); seeds are now 64-bit unsigned."""
    code = "R = _core.rbm_sample(A((2, 3)), A((4, 3)), None, seed=2**63)"
    res = run(worker, code)
    assert res["outcome"] == "ok" or res["type"] in ("ValueError", "TypeError"), (res, fuzz.reproducer(code))


def test_rbm_sample_largest_seeds_work(worker):
    expect_ok(worker, "R = _core.rbm_sample(A((2, 3)), A((4, 3)), None, seed=2**63 - 1)")
    expect_ok(worker, "R = _core.rbm_sample(A((2, 3)), A((4, 3)), None, seed=2**64 - 1)")


# ------------------------------------------------------------------------------------------ misaligned input
# One valid call per binding; every float32 array argument is written as M(...), which the test turns
# into A(...) (aligned) or A(..., layout='misaligned').
BINDING_CALLS = {
    "copy_into": "_core.copy_into(M((300001,)), M((300001,)))",
    "activation_forward": "_core.activation_forward(M((37,)), 'elu', 0.5)",
    "activation_backward": "_core.activation_backward(M((37,)), M((37,)), M((37,)), 'elu', 0.5)",
    "softmax_forward": "_core.softmax_forward(M((3, 17)), 1, True)",
    "softmax_backward": "_core.softmax_backward(M((3, 17)), M((3, 17)), 1)",
    "cross_entropy_forward": "_core.cross_entropy_forward(M((4, 5)), np.array([0, 4, 2, -100]))",
    "nll_forward": "_core.nll_forward(M((4, 5, 3)), np.array([0, 4, 2, -100, 1, 1, 0, 3, 3, 2, 2, 4]), M((5,)))",
    "nll_backward": "_core.nll_backward(M((4, 5)), np.array([0, 4, 2, -100]), M((4,)), M((5,)))",
    "cross_entropy_backward": "_core.cross_entropy_backward(M((4, 5)), M((4,)), np.array([0, 4, 2, -100]),"
                              " M((4,)))",
    "conv2d_forward": "_core.conv2d_forward(M((2, 3, 6, 5)), M((4, 3, 3, 2)), M((4,)), (2, 1), (1, 0))",
    "conv2d_backward_data": "_core.conv2d_backward_data(M((2, 4, 3, 4)), M((4, 3, 3, 2)), (6, 5), (2, 1), (1, 0))",
    "conv2d_backward_weights": "_core.conv2d_backward_weights(M((2, 4, 3, 4)), M((2, 3, 6, 5)), (3, 2), (2, 1),"
                               " (1, 0))",
    "conv3d_forward": "_core.conv3d_forward(M((2, 3, 5, 6, 5)), M((4, 3, 3, 2, 2)), M((4,)), (2, 1, 1), (1, 0, 1))",
    "conv3d_backward_data": "_core.conv3d_backward_data(M((2, 4, 3, 5, 6)), M((4, 3, 3, 2, 2)), (5, 6, 5), (2, 1, 1),"
                            " (1, 0, 1))",
    "conv3d_backward_weights": "_core.conv3d_backward_weights(M((2, 4, 3, 5, 6)), M((2, 3, 5, 6, 5)), (3, 2, 2),"
                               " (2, 1, 1), (1, 0, 1))",
    "conv_transpose2d_forward": "_core.conv_transpose2d_forward(M((2, 4, 3, 4)), M((4, 3, 3, 2)), M((3,)), (2, 1),"
                                " (1, 0), (1, 0))",
    "conv_transpose2d_backward_data": "_core.conv_transpose2d_backward_data(M((2, 3, 6, 5)), M((4, 3, 3, 2)), (3, 4),"
                                      " (2, 1), (1, 0), (1, 0))",
    "conv_transpose2d_backward_weights": "_core.conv_transpose2d_backward_weights(M((2, 3, 6, 5)), M((2, 4, 3, 4)),"
                                         " (3, 2), (2, 1), (1, 0), (1, 0))",
    "conv_transpose2d_backward": "_core.conv_transpose2d_backward(M((2, 3, 6, 5)), M((2, 4, 3, 4)), M((4, 3, 3, 2)),"
                                 " (2, 1), (1, 0), (1, 0))",
    "adaptive_pool2d_forward": "_core.adaptive_pool2d_forward(M((2, 3, 7, 5)), 'max', (3, 2), with_indices=True)",
    "adaptive_pool2d_backward": "_core.adaptive_pool2d_backward(M((2, 3, 3, 2)), 'avg', None, (7, 5))",
    "interpolate_forward": "_core.interpolate_forward(M((2, 3, 4, 5)), (7, 9), 'bilinear', True)",
    "interpolate_backward": "_core.interpolate_backward(M((2, 3, 7, 9)), (4, 5), 'bilinear')",
    "pad_forward": "_core.pad_forward(M((2, 3, 4, 5)), (2, 1, 3, 0), 'reflect')",
    "pad_backward": "_core.pad_backward(M((2, 3, 7, 8)), (4, 5), (2, 1, 3, 0), 'replicate')",
    "dropout2d_forward": "_core.dropout2d_forward(M((2, 3, 9)), 6, 0.3, 7)",
    "dropout2d_backward": "_core.dropout2d_backward(M((2, 3, 9)), 6, 0.3, 7)",
    "pool2d_forward": "_core.pool2d_forward(M((2, 3, 6, 5)), 'max', (3, 2), (2, 1), (1, 0))",
    "pool2d_backward": "_core.pool2d_backward(M((2, 3, 3, 4)), 'avg', None, (6, 5), (3, 2), (2, 1), (1, 0))",
    "pool2d_backward_relu": "_core.pool2d_backward(M((2, 3, 3, 4)), 'avg', None, (6, 5), (3, 2), (2, 1), (1, 0),"
                            " relu_output=M((2, 3, 3, 4)))",
    "maxout_forward": "_core.maxout_forward(M((2, 6, 5)), 3)",
    "maxout_backward": "_core.maxout_backward(M((2, 2, 5)), np.ones((2, 2, 5), np.int32), 3)",
    "batchnorm_forward_train": "_core.batchnorm_forward_train(M((3, 2, 5)), M((2,)), M((2,)), 1e-5)",
    "batchnorm_forward_eval": "_core.batchnorm_forward_eval(M((3, 2, 5)), M((2,)), np.ones(2, np.float32),"
                              " M((2,)), M((2,)), 1e-5)",
    "batchnorm_backward": "_core.batchnorm_backward(M((3, 2, 5)), M((3, 2, 5)), M((2,)), np.ones(2, np.float32),"
                          " M((2,)), True)",
    "pointwise_loss_forward": "_core.pointwise_loss_forward(M((37,)), M((37,)), 'huber', 0.5)",
    "pointwise_loss_backward": "_core.pointwise_loss_backward(M((37,)), M((37,)), M((37,)), 'smooth_l1', 0.5)",
    "mse_forward": "_core.mse_forward(M((37,)), M((37,)))",
    "mse_backward": "_core.mse_backward(M((37,)), M((37,)), M((37,)))",
    "bce_forward": "_core.bce_forward(M((37,)), M((37,)), M((37,)), M((37,)), True)",
    "bce_backward": "_core.bce_backward(M((37,)), M((37,)), M((37,)), M((37,)), M((37,)), True, True)",
    "kl_div_forward": "_core.kl_div_forward(M((37,)), M((37,)), True)",
    "kl_div_backward": "_core.kl_div_backward(M((37,)), M((37,)), M((37,)), False, True)",
    "prelu_forward": "_core.prelu_forward(M((2, 3, 13)), M((3,)))",
    "prelu_backward": "_core.prelu_backward(M((2, 3, 13)), M((2, 3, 13)), M((3,)))",
    "layernorm_forward": "_core.layernorm_forward(M((3, 2, 5, 3)), M((10,)), M((10,)), 1e-5)",
    "layernorm_backward": "_core.layernorm_backward(M((3, 2, 5, 3)), M((3, 2, 5, 3)), M((3, 2)),"
                          " np.ones((3, 2), np.float32), M((10,)))",
    "attention_forward": "_core.attention_forward(M((9, 2, 12)), M((7, 2, 12)), M((7, 2, 8)), 4, 'lne', 0.5,"
                         " M((9, 7)), M((2, 7)), dropout_p=0.2, seed=3)",
    "attention_backward": "_core.attention_backward(M((9, 2, 8)), M((9, 2, 12)), M((7, 2, 12)), M((7, 2, 8)),"
                          " M((8, 9, 7)), M((8, 9, 7)), 4, 'lne', 0.5, 0.2, 3)",
    "dropout_forward": "_core.dropout_forward(M((41,)), 0.3, 7)",
    "dropout_backward": "_core.dropout_backward(M((41,)), 0.3, 7)",
    "gemm": "_core.gemm(M((5, 7)), M((7, 9)), alpha=0.5, beta=1.0, c=M((5, 9)), bias_row=M((5,)),"
            " bias_col=M((9,)))",
    "gemm_f64": "_core.gemm(M((5, 7), 'float64'), M((7, 9), 'float64'))",
    "gemm_bf16": "_core.gemm(M((5, 7)), M((7, 9)), alpha=0.5, beta=1.0, c=M((5, 9)), bias_row=M((5,)),"
                 " bias_col=M((9,)), reference=True, bf16=True)",
    "gemm_batched": "_core.gemm_batched(M((3, 5, 7)), M((1, 7, 9)))",
    "gemm_batched_bf16": "_core.gemm_batched(M((3, 5, 7)), M((1, 7, 9)),"
                         " bf16=_core.bf16_unavailable_reason() == '')",  # (float32 where the CPU has no bf16)
    "linear_backward": "_core.linear_backward(M((3, 4)), M((3, 5)), M((4, 5)), True, True, True)",
    "linear_backward_relu": "_core.linear_backward(M((3, 4)), M((3, 5)), M((4, 5)), True, True, True, False, M((3, 4)))",
    "bf16_bits": "_core.bf16_bits(M((4, 9)))",
    "linear_bf16w": "_core.linear_bf16w(M((3, 7)), M((5, 7), 'uint16'), M((5,)))",
    "gemm_relu": "_core.gemm(M((5, 7)), M((9, 7)), False, True, 1.0, 0.0, None, None, M((9,)), False, False, False, True)",
    "NativePlan": "(P := _core.NativePlan(), P.add_input([2, 3]), P.add_param([4, 3]), P.add_param([4]),"
                  " P.add_slot([2, 4], False), P.add_slot([2, 4], True), P.add_const(M((2, 4))),"
                  " P.linear((0, 0), (1, 0), (1, 1), 0, 2, 4, 3), P.act((2, 0), 1, 'tanh', 0.0, 0.0, 8),"
                  " P.run([M((2, 3))], [M((4, 3)), M((4,))]))[-1]",
    "rbm_sample": "_core.rbm_sample(M((3, 5)), M((4, 5)), M((4,)), seed=5)",
    "rnn_forward": "_core.rnn_forward(M((3, 2, 4)), M((2, 5)), M((5, 4)), M((5, 5)), M((5,)))",
    "rnn_backward": "_core.rnn_backward(M((3, 2, 5)), M((2, 5)), M((3, 2, 4)), M((2, 5)), M((5, 4)), M((5, 5)),"
                    " M((5,)), M((3, 2, 5)))",
    "lstm_forward": "_core.lstm_forward(M((3, 2, 4)), M((2, 5)), M((2, 5)), M((20, 4)), M((20, 5)), M((20,)))",
    "lstm_backward": "_core.lstm_backward(M((3, 2, 5)), M((2, 5)), M((2, 5)), M((3, 2, 4)), M((2, 5)), M((2, 5)),"
                     " M((20, 4)), M((20, 5)), M((20,)), M((3, 2, 5)), M((3, 2, 20)), M((3, 2, 5)))",
    "lstm_bf16": "_core.lstm_backward(M((3, 2, 5)), M((2, 5)), M((2, 5)), M((3, 2, 4)), M((2, 5)), M((2, 5)),"
                 " M((20, 4)), M((20, 5)), M((20,)), M((3, 2, 5)), M((3, 2, 20)), M((3, 2, 5)),"
                 " bf16=_core.bf16_unavailable_reason() == '')",  # (float32 where the CPU has no bf16)
    "gru_forward": "_core.gru_forward(M((3, 2, 4)), M((2, 5)), M((15, 4)), M((15, 5)), M((15,)), M((15,)))",
    "gru_backward": "_core.gru_backward(M((3, 2, 5)), M((2, 5)), M((3, 2, 4)), M((2, 5)), M((15, 4)), M((15, 5)),"
                    " M((15,)), M((15,)), M((3, 2, 5)), M((3, 2, 20)))",
    "embedding_forward": "_core.embedding_forward(np.array([[0, 3], [2, 2]]), M((4, 5)))",
    "embedding_backward": "_core.embedding_backward(M((2, 2, 5)), np.array([[0, 3], [2, 2]]), 4, 2, True)",
    "embedding_renorm": "_core.embedding_renorm(M((4, 5)), np.array([[0, 3], [2, 2]]), 1.0)",
    "vmath": "_core.vmath(M((33,)), 'tanh')",
    "sgd_step": "_core.sgd_step([M((7,))], [M((7,))], [M((7,))], [0], lr=0.1, momentum=0.9)",
    "adam_step": "_core.adam_step([M((7,))], [M((7,))], [M((7,))], [np.ones(7, np.float32)], [M((7,))],"
                 " steps=[3], lr=0.1, amsgrad=True)",
    "rmsprop_step": "_core.rmsprop_step([M((7,))], [M((7,))], [np.ones(7, np.float32)], [M((7,))], [M((7,))],"
                    " lr=0.1, momentum=0.5, centered=True)",
    "adagrad_step": "_core.adagrad_step([M((7,))], [M((7,))], [np.ones(7, np.float32)], [2], lr=0.1)",
    "adadelta_step": "_core.adadelta_step([M((7,))], [M((7,))], [np.ones(7, np.float32)], [M((7,))], lr=0.5)",
    "adamax_step": "_core.adamax_step([M((7,))], [M((7,))], [M((7,))], [np.ones(7, np.float32)], [3], lr=0.1)",
    "nadam_step": "_core.nadam_step([M((7,))], [M((7,))], [M((7,))], [np.ones(7, np.float32)], [3], [0.7],"
                  " lr=0.1, weight_decay=0.1, decoupled=True)",
    "radam_step": "_core.radam_step([M((7,))], [M((7,))], [M((7,))], [np.ones(7, np.float32)], [9], lr=0.1)",
    "optim_epilogue": "_core.optim_epilogue([M((3, 7)), M((9,))], [(3, 7, 1), (1, 9, 1)], [0.1, 0.0],"
                      " ['max_norm', 'non_neg'], [1.0, 0.0])",
    "weight_penalty_forward": "_core.weight_penalty_forward(M((5, 7)))",
    "weight_penalty_backward": "_core.weight_penalty_backward(M((5, 7)), 0.1, 0.2)",
}
# Through the public API misaligned inputs must work (they are copied), with the aligned result.
API_CALLS = {
    "F.conv2d": "BW(F.conv2d(T(M((2, 3, 6, 5))), T(M((4, 3, 3, 2))), T(M((4,))), (2, 1), (1, 0)))",
    "F.linear": "BW(F.linear(T(M((3, 7))), T(M((4, 7))), T(M((4,)))))",
    "Tensor.matmul (batched)": "BW(T(M((3, 5, 7))) @ T(M((1, 7, 4))))",
    "F.relu": "BW(F.relu(T(M((3, 7)))))",
    "F.tanh": "BW(F.tanh(T(M((3, 7)))))",
    "F.log_softmax": "BW(F.log_softmax(T(M((3, 7))), 1))",
    "F.cross_entropy": "BW(F.cross_entropy(T(M((3, 7))), np.array([0, 6, 2])))",
    "F.max_pool2d": "BW(F.max_pool2d(T(M((2, 3, 6, 5))), 2))",
    "F.conv1d": "BW(F.conv1d(T(M((2, 3, 9))), T(M((4, 3, 3))), T(M((4,))), padding='same'))",
    "F.conv_transpose2d": "BW(F.conv_transpose2d(T(M((2, 4, 3, 4))), T(M((4, 3, 3, 2))), T(M((3,))), 2, 1))",
    "F.adaptive_max_pool2d": "BW(F.adaptive_max_pool2d(T(M((2, 3, 7, 5))), (3, 2)))",
    "F.interpolate": "BW(F.interpolate(T(M((2, 3, 4, 5))), scale_factor=2, mode='bilinear'))",
    "F.pad": "BW(F.pad(T(M((2, 3, 4, 5))), (2, 1, 3, 0), mode='reflect'))",
    "F.dropout2d": "BW(F.dropout2d(T(M((2, 3, 4, 5))), 0.3))",
    "F.avg_pool2d": "BW(F.avg_pool2d(T(M((2, 3, 6, 5))), 3, 2, 1))",
    "F.batch_norm": "BW(F.batch_norm(T(M((4, 3, 5))), None, None, T(M((3,))), T(M((3,))), training=True))",
    "F.maxout": "BW(F.maxout(T(M((2, 6, 5))), 3))",
    "F.dropout": "BW(F.dropout(T(M((5, 9))), 0.3))",
    "F.scaled_dot_product_attention": "BW(F.scaled_dot_product_attention(T(M((2, 3, 5, 4))), T(M((2, 3, 6, 4))),"
                                      " T(M((2, 3, 6, 7))), attn_mask=M((5, 6))))",
    "F.lstm_sequence": "BW(F.lstm_sequence(T(M((3, 2, 4))), None, T(M((20, 4))), T(M((20, 5))), T(M((20,))),"
                       " T(M((20,)))))",
    "F.rnn_sequence": "BW(F.rnn_sequence(T(M((3, 2, 4))), None, T(M((5, 4))), T(M((5, 5)))))",
    "F.gru_sequence": "BW(F.gru_sequence(T(M((3, 2, 4))), None, T(M((15, 4))), T(M((15, 5))), T(M((15,))),"
                      " T(M((15,)))))",
    "F.embedding": "BW(F.embedding(np.array([[0, 3], [2, 2]]), T(M((4, 5)))))",
}


def test_every_binding_has_a_misaligned_case():
    public = {n for n in dir(_core) if not n.startswith("_")} - set(fuzz.BACKEND_FUNCTIONS)
    assert public <= {k.split("_f64")[0] for k in BINDING_CALLS}, public - set(BINDING_CALLS)


def _split_m(call: str):
    """The text around each M(...) and each M's argument text."""
    texts, args, i = [], [], 0
    while True:
        j = call.find("M(", i)
        if j < 0:
            texts.append(call[i:])
            return texts, args
        texts.append(call[i:j])
        depth, k = 0, j + 1
        while True:
            depth += {"(": 1, ")": -1}.get(call[k], 0)
            if depth == 0:
                break
            k += 1
        args.append(call[j + 2 : k])
        i = k + 1


def _misaligned_variants(call: str):
    """(label, code) with every M(...) aligned, then each one misaligned in turn, then all of them."""
    texts, args = _split_m(call)

    def render(mis: set) -> str:
        code = texts[0]
        for i, a in enumerate(args):
            layout = ", layout='misaligned'" if i in mis else ""
            code += f"A({a}{layout}, seed={i + 1})" + texts[i + 1]
        return code

    yield "all-aligned", render(set())
    for i in range(len(args)):
        yield f"arg{i}", render({i})
    yield "all-misaligned", render(set(range(len(args))))


@pytest.mark.parametrize("name", sorted(BINDING_CALLS))
def test_misaligned_arrays_into_bindings_give_value_error_or_the_aligned_result(worker, name):
    for label, code in _misaligned_variants(BINDING_CALLS[name]):
        res = run(worker, f"R = {code}", check_aligned=True)
        if label == "all-aligned":
            assert res["outcome"] == "ok", (res, code)
            continue
        ok = res["outcome"] == "ok" or (res["outcome"] == "exc" and res["type"] == "ValueError")
        assert ok, f"{name} {label}: {res.get('type')}: {res.get('msg')}\n{fuzz.reproducer('R = ' + code)}"


@pytest.mark.parametrize("name", sorted(API_CALLS))
def test_misaligned_arrays_through_the_api_give_the_aligned_result(worker, name):
    for label, code in _misaligned_variants(API_CALLS[name]):
        res = run(worker, f"R = {code}", check_aligned=True)
        assert res["outcome"] == "ok", f"{name} {label}: {res.get('type')}: {res.get('msg')}\n" + fuzz.reproducer(
            "R = " + code
        )


# --------------------------------------------------------------------------------------- conv2d grid
def _grid():
    """All valid small configurations; a deterministic ~1/12 subsample, plus every configuration of the
    width-1-output bug's region (Q == 1, N >= 2, stride_h >= 2) at a ~1/3 rate."""
    out = []
    for N, C, K, H, W, R, S, sh, sw, p, d in itertools.product(
        (1, 2, 3), (1, 2), (1, 2), range(1, 5), range(1, 5), range(1, 4), range(1, 4), (1, 2, 3), (1, 2, 3),
        (0, 1, 2), (1, 2)
    ):
        eh, ew = H + 2 * p - d * (R - 1) - 1, W + 2 * p - d * (S - 1) - 1
        if eh < 0 or ew < 0:
            continue
        Q = ew // sw + 1
        key = zlib.crc32(repr((N, C, K, H, W, R, S, sh, sw, p, d)).encode())
        hot = Q == 1 and N >= 2 and sh >= 2
        if key % (3 if hot else 12) == 0:
            out.append((N, C, K, H, W, R, S, sh, sw, p, d))
    return out


GRID = _grid()


def test_conv2d_small_grid_matches_float64_oracle_and_reference_kernel():
    assert len(GRID) > 1500
    rng = np.random.default_rng(14)
    bad = []
    for N, C, K, H, W, R, S, sh, sw, p, d in GRID:
        x = rng.standard_normal((N, C, H, W)).astype(np.float32)
        w = rng.standard_normal((K, C, R, S)).astype(np.float32)
        b = rng.standard_normal(K).astype(np.float32)
        st, pd, dl = (sh, sw), (p, p), (d, d)
        yo = ref.conv2d(x, w, b, st, pd, dl)
        gy = rng.standard_normal(yo.shape).astype(np.float32)
        dxo, dwo, dbo = ref.conv2d_backward(gy, x, w, st, pd, dl)
        xt, wt, bt = ne.tensor(x, requires_grad=True), ne.tensor(w, requires_grad=True), ne.tensor(b, requires_grad=True)
        y = F.conv2d(xt, wt, bt, st, pd, dl)
        (y * ne.tensor(gy)).sum().backward()
        yr = _core.conv2d_forward(x, w, b, st, pd, dl, reference=True)
        cfg = dict(N=N, C=C, K=K, H=H, W=W, R=R, S=S, stride=st, padding=pd, dilation=dl)
        for what, got, want in (("y", y.data, yo), ("y(reference=True)", yr, yo), ("dx", xt.grad.data, dxo),
                                ("dw", wt.grad.data, dwo), ("db", bt.grad.data, dbo)):
            if got.shape != want.shape or not np.allclose(got, want, rtol=1e-5, atol=2e-5):
                err = np.max(np.abs(got - want)) if got.shape == want.shape else f"shape {got.shape}"
                bad.append(f"{what} {cfg}: max |err| {err}")
    assert not bad, f"{len(bad)} mismatches of {len(GRID)} configurations, e.g.\n" + "\n".join(bad[:10])


# ------------------------------------------------------------- found by the fuzz campaign (python layer)
def test_nll_loss_with_zero_classes_is_a_result_or_value_error(worker):
    """scripts/fuzz.py --seed 7: IndexError from NLLFn.forward indexing an empty class axis."""
    code = (
        "try:\n"
        "    R = BW(F.nll_loss(T(A((1, 0))), np.array([1]), ignore_index=1, reduction='mean'))\n"
        "except ValueError:\n"
        "    pass\n"
    )
    expect_ok(worker, code)


def test_batch_norm_with_zero_channels_is_a_result_or_value_error(worker):
    """scripts/fuzz.py --seed 7: ZeroDivisionError from ``x.data.size // c`` with c == 0."""
    code = (
        "try:\n"
        "    R = BW(F.batch_norm(T(A((2, 0, 3))), np.zeros(0, np.float32), np.ones(0, np.float32),"
        " training=True))\n"
        "    assert R.shape == (2, 0, 3)\n"
        "except ValueError:\n"
        "    pass\n"
    )
    expect_ok(worker, code)


@pytest.mark.parametrize("kind", ["max", "min"])
def test_max_min_pool_of_an_empty_plane_with_padding_raises_value_error(worker, kind):
    """Found under ASan by scripts/fuzz.py --seed 11 (F.max_pool2d): H == 0 with padding 1 and kernel 2 gives
    a 1x1 output whose window holds only padding; the kernel read x[0] of an empty array (heap-buffer-overflow,
    garbage such as 3.1e22 in a normal build) and returned index 0, outside [0, H*W)."""
    code = f"R = _core.pool2d_forward(np.zeros((3, 3, 0, 4), np.float32), {kind!r}, (2, 4), (1, 1), (1, 0))"
    expect_value_error(worker, code, "input", "x", "padding", "kernel_size")


# ------------------------------------------------------------------------------- allocation failures
# A valid call whose kernel scratch cannot be allocated raises MemoryError naming the size (it used to abort the
# process), on the calling thread and on the pool's workers alike; the process then works as before. Each case
# runs in a fresh interpreter whose address space is capped a little above what it already uses
# (RLIMIT_AS), so the failing allocation touches no memory and the test is fast.
_ALLOC_PRELUDE = """
import re, resource, sys
import numpy as np
from nnengine import _core

def vm_bytes():
    return int(re.search(r"VmSize:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) * 1024

def small():
    return CALL(SMALL)

_core.set_num_threads(THREADS)
before = small()
big = BIG  # the operands of the failing call, allocated before the cap
soft, hard = resource.getrlimit(resource.RLIMIT_AS)
resource.setrlimit(resource.RLIMIT_AS, (vm_bytes() + (96 << 20), hard))
try:
    CALL(big)
    print("no MemoryError")
    sys.exit(3)
except MemoryError as e:
    assert "bytes of kernel scratch memory" in str(e), str(e)
resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
after = small()
for a, b in zip(before if isinstance(before, tuple) else (before,), after if isinstance(after, tuple) else (after,)):
    if isinstance(a, np.ndarray):
        assert np.array_equal(a, b), "results changed after the failure"
print("ok")
"""

_ALLOC_CASES = {
    # scratch per (batch, head) unit inside parallel_for chunks: L*S floats = 256 MB
    "attention_forward": (
        "lambda q: _core.attention_forward(q, q, q, 1, 'nhld', 1.0, None, None, False, False, 0.0, 0, False, False,"
        " False)",
        "np.ones((2, 1, 8192, 1), np.float32)", "np.ones((2, 1, 4, 3), np.float32)"),
    # the packed recurrent weights, on the calling thread: as large as w_hh (256 MB, never touched)
    "lstm_forward": (
        "lambda a: _core.lstm_forward(a[0], a[1], a[1], a[2], a[3], None)",
        "(np.ones((1, 1, 1), np.float32), np.zeros((1, 4096), np.float32), np.zeros((16384, 1), np.float32),"
        " np.zeros((16384, 4096), np.float32))",
        "(np.ones((3, 2, 1), np.float32), np.zeros((2, 5), np.float32), np.ones((20, 1), np.float32),"
        " np.full((20, 5), 0.1, np.float32))"),
}


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc (Linux)")
@pytest.mark.skipif("asan" in os.environ.get("LD_PRELOAD", "") or "ASAN_OPTIONS" in os.environ,
                    reason="ASan reserves terabytes of shadow memory: no address-space cap")
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name", sorted(_ALLOC_CASES))
def test_failed_kernel_scratch_allocation_raises_memory_error(name, threads):
    import subprocess
    import sys

    call, big, small = _ALLOC_CASES[name]
    code = (_ALLOC_PRELUDE.replace("CALL", f"({call})").replace("SMALL", small).replace("BIG", big)
            .replace("THREADS", str(threads)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (os.path.dirname(os.path.dirname(ne.__file__)),
                                                                    os.environ.get("PYTHONPATH")) if p))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0 and r.stdout.strip() == "ok", (
        f"exit code {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr[-3000:]}")
