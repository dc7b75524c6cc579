"""Pooling 1-D / adaptive, upsampling, padding and channel-dropout layers through nnengine.interop (from and
to torch) and ONNX export checked with onnxruntime."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close

import nnengine as ne


def _layer_pairs(tnn):
    return {
        "maxpool1d": (tnn.MaxPool1d(3, 2, 1), (2, 3, 17)),
        "avgpool1d": (tnn.AvgPool1d(4, 2, 2), (2, 3, 17)),
        "adaptive_avg2d": (tnn.AdaptiveAvgPool2d((2, 3)), (2, 3, 8, 9)),
        "adaptive_avg2d_global": (tnn.AdaptiveAvgPool2d(1), (2, 3, 7, 5)),
        "adaptive_max2d": (tnn.AdaptiveMaxPool2d(2), (2, 3, 8, 6)),
        "adaptive_avg1d": (tnn.AdaptiveAvgPool1d(4), (2, 3, 16)),
        "adaptive_max1d": (tnn.AdaptiveMaxPool1d(1), (2, 3, 15)),
        "upsample_nearest": (tnn.Upsample(scale_factor=2), (2, 3, 5, 4)),
        "upsample_nearest_size": (tnn.Upsample(size=(10, 8)), (2, 3, 5, 4)),
        "upsample_bilinear": (tnn.Upsample(scale_factor=2, mode="bilinear"), (2, 3, 5, 4)),
        "upsample_bilinear_ac": (tnn.UpsamplingBilinear2d(size=(9, 7)), (2, 3, 5, 4)),
        "upsample_linear": (tnn.Upsample(scale_factor=3, mode="linear"), (2, 3, 6)),
        "zeropad2d": (tnn.ZeroPad2d((1, 2, 0, 3)), (2, 3, 5, 4)),
        "constpad1d": (tnn.ConstantPad1d(2, -1.5), (2, 3, 6)),
        "reflpad2d": (tnn.ReflectionPad2d(2), (2, 3, 5, 4)),
        "replpad1d": (tnn.ReplicationPad1d((3, 1)), (2, 3, 6)),
        "dropout2d": (tnn.Dropout2d(0.3), (2, 3, 5, 4)),
        "dropout1d": (tnn.Dropout1d(0.3), (2, 3, 6)),
    }


LAYER_NAMES = ["maxpool1d", "avgpool1d", "adaptive_avg2d", "adaptive_avg2d_global", "adaptive_max2d", "adaptive_avg1d",
               "adaptive_max1d", "upsample_nearest", "upsample_nearest_size", "upsample_bilinear",
               "upsample_bilinear_ac", "upsample_linear", "zeropad2d", "constpad1d", "reflpad2d", "replpad1d",
               "dropout2d", "dropout1d"]


@pytest.mark.parametrize("which", LAYER_NAMES)
def test_interop_and_onnx(which, torch, tmp_path):
    from conftest import require

    from nnengine import interop
    from nnengine.onnx import export

    tm, shape = _layer_pairs(torch.nn)[which]
    tm.eval()
    rng = np.random.default_rng(11)
    x = rng.standard_normal(shape).astype(np.float32)
    nm = interop.from_torch(torch.nn.Sequential(tm)).eval()
    with torch.no_grad():
        want = tm(torch.tensor(x)).numpy()
    assert_close(nm(ne.tensor(x)).numpy(), want)
    back = interop.to_torch(nm).eval()
    with torch.no_grad():
        assert_close(back(torch.tensor(x)).numpy(), want)
    onnx, ort = require("onnx"), require("onnxruntime")
    path = str(tmp_path / "m.onnx")
    export(nm, x, path)
    onnx.checker.check_model(onnx.load(path))
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    for inp in (x, rng.standard_normal((shape[0] + 2,) + shape[1:]).astype(np.float32)):
        got = sess.run(None, {sess.get_inputs()[0].name: inp})[0]
        np.testing.assert_allclose(got, nm(ne.tensor(inp)).numpy(), rtol=1e-5, atol=1e-5)
