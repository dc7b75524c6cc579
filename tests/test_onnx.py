"""ONNX export: onnxruntime reproduces nnengine's outputs for every supported layer and the models."""

from __future__ import annotations

import os

import numpy as np
import pytest
from conftest import require

import nnengine as ne
from nnengine import models, nn
from nnengine.onnx import export

onnx = require("onnx")
ort = require("onnxruntime")

TOL = dict(rtol=1e-4, atol=1e-5)


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [a for o in out for a in _flat(o)]
    return [out.numpy()]


def _check(model, x, tmp_path, other_batch=None, **kw):
    """Export, run with onnxruntime on x (and a second batch size), compare with nnengine in eval mode."""
    path = str(tmp_path / "model.onnx")
    export(model, x, path, **kw)
    onnx.checker.check_model(onnx.load(path))
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    model.eval()
    for inp in [x] + ([other_batch] if other_batch is not None else []):
        got = sess.run(None, {name: inp})
        want = _flat(model(inp if inp.dtype.kind in "iu" else ne.tensor(inp)))
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape
            np.testing.assert_allclose(g, w, **TOL)
    return path


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _bn(m, c, seed=0):
    """Non-trivial running statistics and affine parameters for a BatchNorm layer."""
    r = np.random.default_rng(seed)
    m.running_mean[...] = r.standard_normal(c)
    m.running_var[...] = r.uniform(0.5, 2.0, c)
    m.weight.data[...] = r.uniform(0.5, 1.5, c)
    m.bias.data[...] = r.standard_normal(c)
    return m


def _affine(m, seed=0):
    """Random weights (and bias) for a norm layer or PReLU, so the export carries real parameters."""
    r = np.random.default_rng(seed)
    for p in m.parameters():
        p.data[...] = r.standard_normal(p.shape)
    return m


LAYERS = {
    "linear": (lambda: nn.Linear(9, 7), (5, 9)),
    "linear_3d": (lambda: nn.Linear(9, 7, bias=False), (5, 3, 9)),
    "conv": (lambda: nn.Conv2d(3, 8, 3, stride=2, padding=1), (2, 3, 9, 9)),
    "conv_reflect": (lambda: nn.Conv2d(3, 8, (3, 4), padding="same", padding_mode="reflect"), (2, 3, 9, 9)),
    "conv_replicate": (lambda: nn.Conv2d(3, 8, 3, stride=2, padding=(2, 1), padding_mode="replicate"), (2, 3, 9, 9)),
    "conv1d_reflect": (lambda: nn.Conv1d(3, 4, 3, padding=1, padding_mode="reflect"), (2, 3, 9)),
    "conv_groups": (lambda: nn.Conv2d(4, 8, (3, 2), groups=2, dilation=(2, 1), bias=False), (2, 4, 11, 10)),
    "conv_same": (lambda: nn.Conv2d(2, 3, 5, padding="same"), (2, 2, 7, 7)),
    "maxpool": (lambda: nn.MaxPool2d(3, stride=2, padding=1), (2, 3, 9, 8)),
    "avgpool": (lambda: nn.AvgPool2d(3, stride=2, padding=1), (2, 3, 9, 8)),
    "maxpool_ceil": (lambda: nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), (2, 3, 8, 9)),
    "avgpool_ceil": (lambda: nn.AvgPool2d(3, stride=2, ceil_mode=True), (2, 3, 8, 9)),
    "avgpool_ceil_pad": (lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True), (2, 3, 8, 9)),
    "avgpool_nopad": (lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False), (2, 3, 9, 8)),
    "avgpool_ceil_nopad": (lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 3, 8, 9)),
    "maxpool1d_ceil": (lambda: nn.MaxPool1d(3, 2, ceil_mode=True), (2, 3, 10)),
    "avgpool1d_ceil_nopad": (lambda: nn.AvgPool1d(3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 3, 10)),
    "upsample_bicubic": (lambda: nn.Upsample(scale_factor=2, mode="bicubic"), (2, 3, 5, 6)),
    "upsample_bicubic_ac": (lambda: nn.Upsample(size=(7, 9), mode="bicubic", align_corners=True), (2, 3, 5, 6)),
    "upsample_nearest_exact": (lambda: nn.Upsample(size=(7, 11), mode="nearest-exact"), (2, 3, 5, 6)),
    "upsample_nearest_exact_down": (lambda: nn.Upsample(scale_factor=0.5, mode="nearest-exact"), (2, 3, 9, 6)),
    "upsample_trilinear": (lambda: nn.Upsample(scale_factor=2, mode="trilinear"), (1, 2, 3, 4, 5)),
    "minpool": (lambda: nn.MinPool2d(2), (2, 3, 8, 8)),
    "minpool_pad": (lambda: nn.MinPool2d(3, stride=2, padding=1), (2, 3, 7, 7)),
    "relu": (lambda: nn.ReLU(), (4, 17)),
    "leaky": (lambda: nn.LeakyReLU(0.2), (4, 17)),
    "elu": (lambda: nn.ELU(0.5), (4, 17)),
    "sigmoid": (lambda: nn.Sigmoid(), (4, 17)),
    "tanh": (lambda: nn.Tanh(), (4, 17)),
    "softplus": (lambda: nn.Softplus(), (4, 17)),
    "softmax": (lambda: nn.Softmax(dim=1), (4, 17)),
    "softmax_4d": (lambda: nn.Softmax(dim=1), (2, 3, 4, 5)),
    "logsoftmax": (lambda: nn.LogSoftmax(dim=-1), (4, 17)),
    "dropout": (lambda: nn.Dropout(0.5), (4, 17)),
    "identity": (lambda: nn.Identity(), (4, 17)),
    "flatten": (lambda: nn.Flatten(), (2, 3, 4, 5)),
    "flatten_mid": (lambda: nn.Flatten(2, 3), (2, 3, 4, 5)),
    "unflatten": (lambda: nn.Unflatten(1, (3, 4)), (2, 12)),
    "pixel_shuffle": (lambda: nn.PixelShuffle(3), (2, 18, 4, 5)),
    "pixel_unshuffle": (lambda: nn.PixelUnshuffle(2), (2, 3, 4, 6)),
    "maxout": (lambda: nn.Maxout(3), (4, 12)),
    "maxout_4d": (lambda: nn.Maxout(2, dim=1), (2, 6, 3, 3)),
    "bn1d": (lambda: _bn(nn.BatchNorm1d(7), 7), (5, 7)),
    "bn1d_3d": (lambda: _bn(nn.BatchNorm1d(7), 7), (5, 7, 3)),
    "bn2d": (lambda: _bn(nn.BatchNorm2d(5), 5), (3, 5, 4, 4)),
    # the 3-D layers
    "conv3d": (lambda: nn.Conv3d(3, 4, (3, 2, 3), stride=(2, 1, 1), padding=(1, 0, 1), dilation=(1, 2, 1)),
               (2, 3, 6, 7, 5)),
    "conv3d_groups_same": (lambda: nn.Conv3d(4, 6, 2, groups=2, padding="same", bias=False), (2, 4, 5, 5, 6)),
    "conv3d_replicate": (lambda: nn.Conv3d(2, 3, 3, padding=1, padding_mode="replicate"), (1, 2, 5, 4, 6)),
    "conv_transpose3d": (lambda: nn.ConvTranspose3d(4, 3, (2, 3, 2), stride=2, padding=(0, 1, 0), output_padding=1),
                         (2, 4, 3, 4, 3)),
    "maxpool3d": (lambda: nn.MaxPool3d(3, stride=2, padding=1), (2, 3, 7, 8, 6)),
    "maxpool3d_ceil": (lambda: nn.MaxPool3d((2, 3, 2), stride=(2, 2, 1), ceil_mode=True), (2, 3, 7, 8, 6)),
    "avgpool3d_nopad": (lambda: nn.AvgPool3d(3, stride=2, padding=1, count_include_pad=False), (2, 3, 7, 8, 6)),
    "adaptive_avg3d": (lambda: nn.AdaptiveAvgPool3d((2, 3, 1)), (2, 3, 5, 7, 4)),
    "adaptive_max3d_global": (lambda: nn.AdaptiveMaxPool3d(1), (2, 3, 5, 7, 4)),
    "bn3d": (lambda: _bn(nn.BatchNorm3d(3), 3), (2, 3, 4, 3, 5)),
    "pad3d_reflect": (lambda: nn.ReflectionPad3d((1, 0, 2, 1, 1, 1)), (2, 3, 4, 5, 4)),
    "pad3d_constant": (lambda: nn.ConstantPad3d((1, 2, 0, 1, 2, 0), 0.5), (2, 3, 4, 5, 4)),
    "layernorm": (lambda: _affine(nn.LayerNorm(17)), (4, 17)),
    "layernorm_2d_nobias": (lambda: _affine(nn.LayerNorm((3, 5), bias=False, eps=1e-3)), (2, 4, 3, 5)),
    "layernorm_plain": (lambda: nn.LayerNorm(6, elementwise_affine=False), (3, 2, 6)),
    "groupnorm": (lambda: _affine(nn.GroupNorm(3, 6)), (2, 6, 4, 5)),
    "groupnorm_1d_plain": (lambda: nn.GroupNorm(2, 4, affine=False), (3, 4, 7)),
    "instancenorm2d": (lambda: _affine(nn.InstanceNorm2d(3, affine=True)), (2, 3, 5, 4)),
    "instancenorm1d_running": (lambda: _bn(nn.InstanceNorm1d(4, affine=True, track_running_stats=True), 4), (3, 4, 9)),
    "gelu": (lambda: nn.GELU(), (4, 17)),
    "gelu_tanh": (lambda: nn.GELU(approximate="tanh"), (4, 17)),
    "silu": (lambda: nn.SiLU(), (4, 17)),
    "mish": (lambda: nn.Mish(), (4, 17)),
    "softplus_beta": (lambda: nn.Softplus(beta=2.0, threshold=1.5), (4, 17)),
    "hardtanh": (lambda: nn.Hardtanh(-0.5, 0.7), (4, 17)),
    "relu6": (lambda: nn.ReLU6(), (4, 17)),
    "hardswish": (lambda: nn.Hardswish(), (4, 17)),
    "hardsigmoid": (lambda: nn.Hardsigmoid(), (4, 17)),
    "softsign": (lambda: nn.Softsign(), (4, 17)),
    "prelu": (lambda: _affine(nn.PReLU()), (4, 17)),
    "prelu_channels": (lambda: _affine(nn.PReLU(3)), (2, 3, 4, 4)),
    "rnn": (lambda: nn.RNN(6, 5), (4, 3, 6)),
    "rnn_relu_bi_2": (lambda: nn.RNN(6, 5, num_layers=2, nonlinearity="relu", bidirectional=True), (4, 3, 6)),
    "lstm": (lambda: nn.LSTM(6, 5), (4, 3, 6)),
    "lstm_bi_3_bf": (lambda: nn.LSTM(6, 5, num_layers=3, bidirectional=True, batch_first=True, dropout=0.2),
                     (3, 4, 6)),
    "lstm_nobias": (lambda: nn.LSTM(6, 5, bias=False), (4, 3, 6)),
    "rnncell": (lambda: nn.RNNCell(6, 5), (3, 6)),
    "lstmcell": (lambda: nn.LSTMCell(6, 5), (3, 6)),
    # GRU: linear_before_reset=1 (torch's b_hn placement); N(0, 1) parameters so that placement matters
    "gru": (lambda: _affine(nn.GRU(6, 5)), (4, 3, 6)),
    "gru_bi_3_bf": (lambda: _affine(nn.GRU(6, 5, num_layers=3, bidirectional=True, batch_first=True, dropout=0.2)),
                    (3, 4, 6)),
    "gru_nobias": (lambda: nn.GRU(6, 5, bias=False), (4, 3, 6)),
    "grucell": (lambda: _affine(nn.GRUCell(6, 5)), (3, 6)),
}


@pytest.mark.parametrize("which", sorted(LAYERS))
def test_layer_matches_onnxruntime(which, tmp_path):
    ne.manual_seed(0)
    make, shape = LAYERS[which]
    model = make()
    x = _x(*shape)
    rnn_time_major = isinstance(model, nn.RNNBase) and not model.batch_first
    other = list(shape)
    other[1 if rnn_time_major else 0] += 2  # a different batch size through the dynamic batch dim
    _check(model, x, tmp_path, other_batch=_x(*other, seed=1))


@pytest.mark.parametrize("make,shape", [
    (lambda: _affine(nn.InstanceNorm2d(3, affine=True)), (3, 5, 4)),
    (lambda: _bn(nn.InstanceNorm1d(4, affine=True, track_running_stats=True), 4), (4, 9)),
    (lambda: nn.InstanceNorm3d(2), (2, 3, 4, 5)),
])
def test_instancenorm_unbatched_matches_onnxruntime(make, shape, tmp_path):
    """Unbatched (C, *) input: Unsqueeze, the normalisation, Squeeze (torch's forward adds a batch of one too)."""
    ne.manual_seed(0)
    model = make()
    _check(model, _x(*shape), tmp_path, dynamic_batch=False)
    with pytest.raises(ValueError, match="InstanceNorm"):
        export(model, _x(*shape[1:]), str(tmp_path / "bad.onnx"))


def test_nested_sequential_with_names(tmp_path):
    ne.manual_seed(0)
    model = nn.Sequential(
        nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), _bn(nn.BatchNorm2d(4), 4), nn.ReLU(), nn.MaxPool2d(2)),
        nn.Conv2d(4, 6, 3), nn.ELU(), nn.AvgPool2d(2), nn.Flatten(), nn.Dropout(0.3),
        nn.Sequential(nn.Linear(6 * 2 * 2, 12), nn.Maxout(2), nn.Tanh()), nn.Linear(6, 3), nn.LogSoftmax(1))
    path = _check(model, _x(2, 1, 12, 12), tmp_path, other_batch=_x(7, 1, 12, 12, seed=1),
                  input_names=["image"], output_names=["logp"])
    m = onnx.load(path)
    assert [i.name for i in m.graph.input] == ["image"] and [o.name for o in m.graph.output] == ["logp"]
    assert m.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert model.training is False  # restored to the mode it had (eval, set by _check)


def test_export_restores_training_mode_and_static_batch(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2), nn.Dropout(0.5))
    assert model.training
    path = str(tmp_path / "m.onnx")
    export(model, ne.randn(4, 3), path, dynamic_batch=False)
    assert model.training
    dim0 = onnx.load(path).graph.input[0].type.tensor_type.shape.dim[0]
    assert dim0.dim_value == 4


def test_lstm_outputs_named(tmp_path):
    model = nn.LSTM(4, 3, num_layers=2)
    path = _check(model, _x(5, 2, 4), tmp_path, output_names=["out", "h_n", "c_n"])
    assert [o.name for o in onnx.load(path).graph.output] == ["out", "h_n", "c_n"]


def test_models_mlp_logreg(tmp_path):
    ne.manual_seed(0)
    _check(models.MLP([64, 32, 10], activation="elu", batch_norm=True, dropout=0.2), _x(5, 64), tmp_path,
           other_batch=_x(1, 64))
    _check(models.MLP([16, 8, 3]), _x(5, 1, 4, 4), tmp_path)
    _check(models.LogisticRegression(7, 3), _x(5, 7), tmp_path)


@pytest.mark.parametrize("kw", [{}, {"batch_norm": True, "dropout": 0.3, "activation": "tanh"}])
def test_lenet5(kw, tmp_path):
    ne.manual_seed(0)
    model = models.LeNet5(num_classes=10, **kw)
    if kw.get("batch_norm"):
        for name, c in (("bn1", 6), ("bn2", 16), ("bn3", 120), ("bn4", 84)):
            _bn(getattr(model, name), c)
    _check(model, _x(2, 1, 28, 28), tmp_path, other_batch=_x(5, 1, 28, 28, seed=1))


def test_unsupported_layer_is_named(tmp_path):
    class Custom(nn.Module):
        def forward(self, x):
            return x

    model = nn.Sequential(nn.Linear(3, 3), nn.Sequential(nn.ReLU(), Custom()))
    path = str(tmp_path / "bad.onnx")
    with pytest.raises(NotImplementedError, match=r"layer Custom at '1\.1' has no ONNX conversion"):
        export(model, ne.randn(2, 3), path)
    assert not os.path.exists(path)
    with pytest.raises(TypeError, match="model: expected an nnengine Module"):
        export(lambda x: x, ne.randn(2, 3), path)
    with pytest.raises(ValueError, match="output_names: the model has 1 outputs"):
        export(nn.Linear(3, 2), ne.randn(2, 3), path, output_names=["a", "b"])
    with pytest.raises(ValueError, match="track_running_stats"):
        export(nn.BatchNorm1d(3, track_running_stats=False), ne.randn(2, 3), path)


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    path = tmp_path / "m.onnx"
    export(nn.Linear(3, 2), ne.randn(2, 3), str(path))
    before = path.read_bytes()
    with pytest.raises(NotImplementedError):
        export(nn.Sequential(nn.Linear(3, 2), nn.Module()), ne.randn(2, 3), str(path))
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.onnx"]


def test_unexportable_pool_and_resize_options_refused(tmp_path):
    with pytest.raises(ValueError, match="divisor_override"):
        export(nn.AvgPool2d(2, divisor_override=3), _x(1, 2, 4, 4), str(tmp_path / "a.onnx"))
    with pytest.raises(ValueError, match="area"):
        export(nn.Upsample(size=(2, 2), mode="area"), _x(1, 2, 4, 4), str(tmp_path / "b.onnx"))
    with pytest.raises(ValueError, match="circular"):
        export(nn.Conv2d(2, 2, 3, padding=1, padding_mode="circular"), _x(1, 2, 4, 4), str(tmp_path / "c.onnx"))
    assert not list(tmp_path.iterdir())  # nothing written


def test_torch_export_keywords(tmp_path):
    m = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    x = _x(2, 4)
    path = str(tmp_path / "t.onnx")
    # torch.onnx.export's usual call, imports changed
    export(m, x, path, export_params=True, opset_version=17, do_constant_folding=True, input_names=["input"],
           output_names=["output"], dynamic_axes={"input": {0: "batch_size"}, "output": {0: "batch_size"}},
           dynamo=False, verbose=False)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(sess.run(None, {"input": _x(5, 4)})[0], m(ne.tensor(_x(5, 4))).numpy(), **TOL)
    fixed = str(tmp_path / "f.onnx")
    with pytest.warns(UserWarning, match="opset 17"):
        export(m, x, fixed, opset_version=11, dynamic_axes={})
    assert onnx.load(fixed).graph.input[0].type.tensor_type.shape.dim[0].dim_value == 2
    with pytest.raises(TypeError, match="unexpected keyword"):
        export(m, x, path, opset_versoin=17)
    with pytest.raises(TypeError, match="opset_version"):
        export(m, x, path, opset_version="17")
    with pytest.raises(ValueError, match="kwargs"):  # forward's keyword inputs are not silently dropped
        export(m, x, path, kwargs={"scale": 2.0})


@pytest.mark.filterwarnings("ignore:Implicit dimension choice")
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (2, 3, 4, 5)])
def test_softmax_without_dim_exports_torchs_implicit_axis(shape, tmp_path):
    """nn.Softmax() / nn.LogSoftmax() default to dim=None as torch's (the legacy implicit dim: 0 for 1- and 3-d
    inputs, else 1); the export writes that axis."""
    for m in (nn.Softmax(), nn.LogSoftmax()):
        _check(m, _x(*shape), tmp_path)
