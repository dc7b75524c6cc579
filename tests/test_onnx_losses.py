"""ONNX export of every loss module: the graph (input, target[, ...]) -> loss for each reduction, run by
onnxruntime and compared with nnengine and torch 2.13 (at two batch sizes through the dynamic batch dim)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require

import nnengine as ne
from nnengine import nn
from nnengine.onnx import export

onnx = require("onnx")
ort = require("onnxruntime")
torch = require("torch")

TOL = dict(rtol=2e-5, atol=2e-6)


def _r(seed):
    return np.random.default_rng(seed)


def _f(*shape, seed=0):
    return _r(seed).standard_normal(shape).astype(np.float32)


def _probs(*shape, seed=0):
    return _r(seed).uniform(0.02, 0.98, shape).astype(np.float32)


def _ids(n, c, seed=0, ignore=None, extra=()):
    t = _r(seed).integers(0, c, (n,) + tuple(extra)).astype(np.int64)
    if ignore is not None:
        t.reshape(-1)[::3] = ignore
    return t


def _sign(*shape, seed=0):
    return np.where(_r(seed).random(shape) < 0.5, -1.0, 1.0).astype(np.float32)


W4 = np.array([0.5, 2.0, 1.0, 1.5], np.float32)
# name -> (make(reduction) returning (nnengine module, torch module), inputs(batch, seed))
CASES = {
    "mse": (lambda r: (nn.MSELoss(reduction=r), torch.nn.MSELoss(reduction=r)),
            lambda n, s: (_f(n, 5, seed=s), _f(n, 5, seed=s + 1))),
    "l1": (lambda r: (nn.L1Loss(reduction=r), torch.nn.L1Loss(reduction=r)),
           lambda n, s: (_f(n, 3, 2, seed=s), _f(n, 3, 2, seed=s + 1))),
    "smooth_l1": (lambda r: (nn.SmoothL1Loss(reduction=r, beta=0.5), torch.nn.SmoothL1Loss(reduction=r, beta=0.5)),
                  lambda n, s: (_f(n, 7, seed=s), _f(n, 7, seed=s + 1))),
    "smooth_l1_beta0": (lambda r: (nn.SmoothL1Loss(reduction=r, beta=0.0), torch.nn.SmoothL1Loss(reduction=r, beta=0.0)),
                        lambda n, s: (_f(n, 7, seed=s), _f(n, 7, seed=s + 1))),
    "huber": (lambda r: (nn.HuberLoss(reduction=r, delta=0.7), torch.nn.HuberLoss(reduction=r, delta=0.7)),
              lambda n, s: (_f(n, 7, seed=s) * 2, _f(n, 7, seed=s + 1))),
    "bce": (lambda r: (nn.BCELoss(reduction=r), torch.nn.BCELoss(reduction=r)),
            lambda n, s: (_probs(n, 4, seed=s), _probs(n, 4, seed=s + 1))),
    "bce_weight_edges": (lambda r: (nn.BCELoss(weight=W4, reduction=r), torch.nn.BCELoss(torch.tensor(W4), reduction=r)),
                         lambda n, s: (np.clip(_probs(n, 4, seed=s), 0, 1) * (_r(s).random((n, 4)) > 0.2),
                                       (_r(s + 1).random((n, 4)) > 0.5).astype(np.float32))),
    "bce_logits": (lambda r: (nn.BCEWithLogitsLoss(reduction=r), torch.nn.BCEWithLogitsLoss(reduction=r)),
                   lambda n, s: (_f(n, 4, seed=s) * 30, _probs(n, 4, seed=s + 1))),
    "bce_logits_pos_weight": (
        lambda r: (nn.BCEWithLogitsLoss(weight=W4, reduction=r, pos_weight=W4[::-1].copy()),
                   torch.nn.BCEWithLogitsLoss(torch.tensor(W4), reduction=r, pos_weight=torch.tensor(W4[::-1].copy()))),
        lambda n, s: (_f(n, 4, seed=s) * 5, _probs(n, 4, seed=s + 1))),
    "kl_div": (lambda r: (nn.KLDivLoss(reduction=r), torch.nn.KLDivLoss(reduction=r)),
               lambda n, s: (np.log(_probs(n, 5, seed=s)), _probs(n, 5, seed=s + 1) * (_r(s).random((n, 5)) > 0.3))),
    "kl_div_log_target": (lambda r: (nn.KLDivLoss(reduction=r, log_target=True),
                                     torch.nn.KLDivLoss(reduction=r, log_target=True)),
                          lambda n, s: (np.log(_probs(n, 5, seed=s)), np.log(_probs(n, 5, seed=s + 1)))),
    "cosine_embedding": (lambda r: (nn.CosineEmbeddingLoss(0.2, reduction=r), torch.nn.CosineEmbeddingLoss(0.2, reduction=r)),
                         lambda n, s: (_f(n, 6, seed=s), _f(n, 6, seed=s + 1), _sign(n, seed=s + 2))),
    "margin_ranking": (lambda r: (nn.MarginRankingLoss(0.3, reduction=r), torch.nn.MarginRankingLoss(0.3, reduction=r)),
                       lambda n, s: (_f(n, seed=s), _f(n, seed=s + 1), _sign(n, seed=s + 2))),
    "nll": (lambda r: (nn.NLLLoss(reduction=r), torch.nn.NLLLoss(reduction=r)),
            lambda n, s: (np.log(_probs(n, 4, seed=s)), _ids(n, 4, s + 1))),
    "nll_weight_ignore_2d": (
        lambda r: (nn.NLLLoss(weight=W4, ignore_index=1, reduction=r),
                   torch.nn.NLLLoss(torch.tensor(W4), ignore_index=1, reduction=r)),
        lambda n, s: (np.log(_probs(n, 4, 3, 2, seed=s)), _ids(n, 4, s + 1, ignore=1, extra=(3, 2)))),
    "ce": (lambda r: (nn.CrossEntropyLoss(reduction=r), torch.nn.CrossEntropyLoss(reduction=r)),
           lambda n, s: (_f(n, 4, seed=s) * 3, _ids(n, 4, s + 1))),
    "ce_weight_ignore": (
        lambda r: (nn.CrossEntropyLoss(W4, ignore_index=-100, reduction=r),
                   torch.nn.CrossEntropyLoss(torch.tensor(W4), ignore_index=-100, reduction=r)),
        lambda n, s: (_f(n, 4, seed=s) * 3, _ids(n, 4, s + 1, ignore=-100))),
    "ce_smoothing_weight_ignore_2d": (
        lambda r: (nn.CrossEntropyLoss(W4, ignore_index=2, reduction=r, label_smoothing=0.15),
                   torch.nn.CrossEntropyLoss(torch.tensor(W4), ignore_index=2, reduction=r, label_smoothing=0.15)),
        lambda n, s: (_f(n, 4, 5, seed=s) * 3, _ids(n, 4, s + 1, ignore=2, extra=(5,)))),
    "ce_smoothing": (lambda r: (nn.CrossEntropyLoss(reduction=r, label_smoothing=0.3),
                                torch.nn.CrossEntropyLoss(reduction=r, label_smoothing=0.3)),
                     lambda n, s: (_f(n, 4, seed=s) * 3, _ids(n, 4, s + 1, ignore=-100))),
    "ce_probs_smoothing_weight": (
        lambda r: (nn.CrossEntropyLoss(W4, reduction=r, label_smoothing=0.1),
                   torch.nn.CrossEntropyLoss(torch.tensor(W4), reduction=r, label_smoothing=0.1)),
        lambda n, s: (_f(n, 4, 3, seed=s), np.exp(_f(n, 4, 3, seed=s + 1)) / 4)),
}
REDUCTIONS = ("none", "sum", "mean")


def _run_and_compare(module, tmodule, inputs, other, tmp_path):
    path = str(tmp_path / "loss.onnx")
    export(module, inputs, path)
    onnx.checker.check_model(onnx.load(path))
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    assert len(names) == len(inputs)
    for xs in (inputs, other):
        (got,) = sess.run(None, dict(zip(names, xs)))
        want = module(*[a if a.dtype.kind in "iu" else ne.tensor(a) for a in xs]).numpy()
        ref = tmodule(*[torch.from_numpy(a) for a in xs]).numpy()
        assert got.shape == want.shape == ref.shape
        np.testing.assert_allclose(got, want, **TOL)
        np.testing.assert_allclose(got, ref, **TOL)


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss")
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("which", sorted(CASES))
def test_loss_matches_onnxruntime_and_torch(which, reduction, tmp_path):
    make, inputs = CASES[which]
    module, tmodule = make(reduction)
    _run_and_compare(module, tmodule, inputs(5, 0), inputs(8, 10), tmp_path)


def test_kl_div_batchmean_uses_the_runtime_batch(tmp_path):
    make, inputs = CASES["kl_div"]
    _run_and_compare(nn.KLDivLoss(reduction="batchmean"), torch.nn.KLDivLoss(reduction="batchmean"), inputs(5, 0),
                     inputs(9, 10), tmp_path)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_unbatched_cross_entropy(reduction, tmp_path):
    """Unbatched (C,) logits with a 0-d class target: a batch of one around the graph, as nnengine and torch."""
    m, tm = nn.CrossEntropyLoss(W4, reduction=reduction, label_smoothing=0.2), torch.nn.CrossEntropyLoss(
        torch.tensor(W4), reduction=reduction, label_smoothing=0.2)
    x, t = _f(4), np.array(3, np.int64)
    path = str(tmp_path / "ce.onnx")
    export(m, (x, t), path)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (got,) = sess.run(None, {"input": x, "target": t})
    np.testing.assert_allclose(got, m(ne.tensor(x), t).numpy(), **TOL)
    np.testing.assert_allclose(got, tm(torch.from_numpy(x), torch.from_numpy(t)).numpy(), **TOL)


def test_loss_export_names_and_errors(tmp_path):
    path = str(tmp_path / "l.onnx")
    export(nn.MarginRankingLoss(), (_f(3), _f(3), _sign(3)), path, input_names=["a", "b"], output_names=["loss"])
    m = onnx.load(path)
    assert [i.name for i in m.graph.input] == ["a", "b", "target"]  # the rest default to forward's names
    assert [o.name for o in m.graph.output] == ["loss"]
    assert m.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    with pytest.raises(ValueError, match=r"MSELoss at '' needs 2 inputs"):
        export(nn.MSELoss(), _f(3, 2), path)
    with pytest.raises(ValueError, match="input_names: the export has 2 graph inputs, got 3"):
        export(nn.MSELoss(), (_f(3, 2), _f(3, 2)), path, input_names=["a", "b", "c"])
    with pytest.raises(ValueError, match="constant_inputs"):
        export(nn.MSELoss(), (_f(3, 2), _f(3, 2)), path, constant_inputs=[2])
    with pytest.raises(TypeError, match=r"example_input\[1\]: expected a float, integer or bool array"):
        export(nn.MSELoss(), (_f(3, 2), np.array(["a", "b"])), path)


def test_constant_target(tmp_path):
    """A target baked in with constant_inputs: the graph has the input only."""
    m, x, t = nn.MSELoss(reduction="sum"), _f(4, 3), _f(4, 3, seed=1)
    path = str(tmp_path / "c.onnx")
    export(m, (x, t), path, constant_inputs=[1], dynamic_batch=False)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == ["input"]
    np.testing.assert_allclose(sess.run(None, {"input": x})[0], m(ne.tensor(x), ne.tensor(t)).numpy(), **TOL)
