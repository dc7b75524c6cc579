"""nnengine.vision.models.mobilenet_v2: torchvision's state_dict keys, shapes and parameter count (values
recorded from torchvision 0.28), a training step with gradients, head replacement, and outputs against a torch
transcription of torchvision's MobileNetV2 loaded with nnengine's weights."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
from nnengine import nn
from nnengine.vision import models
from nnengine.vision.ops import Conv2dNormActivation

# recorded from torchvision 0.28's mobilenet_v2(): 314 entries
KEYS_HEAD = ["features.0.0.weight", "features.0.1.weight", "features.0.1.bias", "features.0.1.running_mean",
             "features.0.1.running_var", "features.0.1.num_batches_tracked", "features.1.conv.0.0.weight",
             "features.1.conv.0.1.weight"]
KEYS_TAIL = ["features.18.1.bias", "features.18.1.running_mean", "features.18.1.running_var",
             "features.18.1.num_batches_tracked", "classifier.1.weight", "classifier.1.bias"]
SHAPES = {"features.0.0.weight": (32, 3, 3, 3), "features.1.conv.0.0.weight": (32, 1, 3, 3),
          "features.1.conv.1.weight": (16, 32, 1, 1), "features.2.conv.0.0.weight": (96, 16, 1, 1),
          "features.2.conv.1.0.weight": (96, 1, 3, 3), "features.2.conv.2.weight": (24, 96, 1, 1),
          "features.2.conv.3.running_var": (24,), "features.17.conv.2.weight": (320, 960, 1, 1),
          "features.18.0.weight": (1280, 320, 1, 1), "classifier.1.weight": (1000, 1280)}


def _count(m):
    return sum(int(np.prod(p.shape)) for p in m.parameters())


def test_state_dict_matches_torchvision():
    m = models.mobilenet_v2()
    sd = m.state_dict()
    keys = list(sd)
    assert len(keys) == 314 and keys[:8] == KEYS_HEAD and keys[-6:] == KEYS_TAIL
    for k, shape in SHAPES.items():
        assert tuple(sd[k].shape) == shape, k
    assert _count(m) == 3504872 and m.last_channel == 1280
    assert isinstance(m.classifier[0], nn.Dropout) and m.classifier[0].p == 0.2
    assert isinstance(m.features[0], Conv2dNormActivation) and isinstance(m.features[0][2], nn.ReLU6)
    assert len(m.features) == 19 and m.features[1].use_res_connect is False and m.features[3].use_res_connect
    # width_mult: torchvision 0.28's counts and last_channel
    assert _count(models.mobilenet_v2(width_mult=0.5)) == 1968680
    wide = models.mobilenet_v2(width_mult=1.4)
    assert _count(wide) == 6108776 and wide.last_channel == 1792


def test_init_as_torchvision():
    ne.manual_seed(0)
    m = models.mobilenet_v2()
    w = m.features[18][0].weight.numpy()  # kaiming normal, fan_out = 1280 * 1 * 1
    assert abs(w.std() - np.sqrt(2 / 1280)) < 0.05 * np.sqrt(2 / 1280)
    lw = m.classifier[1].weight.numpy()
    assert abs(lw.std() - 0.01) < 0.001 and not m.classifier[1].bias.numpy().any()
    bn = m.features[0][1]
    assert (bn.weight.numpy() == 1).all() and (bn.bias.numpy() == 0).all()


def test_forward_backward_and_head_replacement():
    ne.manual_seed(1)
    m = models.mobilenet_v2(num_classes=7)
    x = ne.randn(2, 3, 64, 64)
    out = m(x)
    assert out.shape == (2, 7)
    nn.functional.cross_entropy(out, ne.tensor([1, 3])).backward()
    assert m.features[0][0].weight.grad is not None and np.abs(np.asarray(m.features[0][0].weight.grad)).sum() > 0
    m.classifier[1] = nn.Linear(m.last_channel, 10)
    assert m.eval()(x).shape == (2, 10)
    assert "classifier.1.weight" in m.state_dict() and tuple(m.state_dict()["classifier.1.weight"].shape) == (10, 1280)


def _torch_mobilenet_v2(torch):
    """torchvision's MobileNetV2 (width 1.0) transcribed with torch.nn, for outputs."""
    tnn = torch.nn

    def cna(i, o, k=3, s=1, g=1):
        return tnn.Sequential(tnn.Conv2d(i, o, k, s, (k - 1) // 2, groups=g, bias=False), tnn.BatchNorm2d(o),
                              tnn.ReLU6(inplace=True))

    class IR(tnn.Module):
        def __init__(self, i, o, s, t):
            super().__init__()
            h = int(round(i * t))
            self.res = s == 1 and i == o
            layers = ([cna(i, h, 1)] if t != 1 else []) + [cna(h, h, 3, s, h), tnn.Conv2d(h, o, 1, 1, 0, bias=False),
                                                          tnn.BatchNorm2d(o)]
            self.conv = tnn.Sequential(*layers)

        def forward(self, x):
            return x + self.conv(x) if self.res else self.conv(x)

    class Net(tnn.Module):
        def __init__(self):
            super().__init__()
            feats, c_in = [cna(3, 32, 3, 2)], 32
            for t, c, n, s in [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1],
                               [6, 160, 3, 2], [6, 320, 1, 1]]:
                for i in range(n):
                    feats.append(IR(c_in, c, s if i == 0 else 1, t))
                    c_in = c
            feats.append(cna(c_in, 1280, 1))
            self.features = tnn.Sequential(*feats)
            self.classifier = tnn.Sequential(tnn.Dropout(0.2), tnn.Linear(1280, 1000))

        def forward(self, x):
            x = torch.nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
            return self.classifier(torch.flatten(x, 1))

    return Net()


def test_outputs_match_a_torch_transcription():
    torch = pytest.importorskip("torch")
    ne.manual_seed(2)
    m = models.mobilenet_v2()
    rng = np.random.default_rng(0)
    for mod in m.modules():  # non-trivial running statistics, so eval mode exercises them
        if isinstance(mod, nn.BatchNorm2d):
            mod.running_mean.numpy()[...] = rng.standard_normal(mod.num_features) * 0.1
            mod.running_var.numpy()[...] = rng.random(mod.num_features) + 0.5
    ref = _torch_mobilenet_v2(torch)
    sd = m.state_dict()
    assert list(ref.state_dict()) == list(sd)
    ref.load_state_dict({k: torch.from_numpy(np.array(v.numpy())) for k, v in sd.items()})
    x = rng.standard_normal((2, 3, 64, 64)).astype(np.float32)
    got = m.eval()(ne.tensor(x)).numpy()
    want = ref.eval()(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_builder_arguments_and_weights_enum(tmp_path, monkeypatch):
    assert "mobilenet_v2" in models.list_models() and models.get_model("mobilenet_v2", num_classes=3).classifier[1].out_features == 3
    assert repr(models.MobileNet_V2_Weights.DEFAULT) == "MobileNet_V2_Weights.IMAGENET1K_V2"
    assert models.MobileNet_V2_Weights.IMAGENET1K_V1.name == "IMAGENET1K_V1"
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # an empty hub cache: nothing is downloaded
    with pytest.raises(FileNotFoundError, match="mobilenet_v2-7ebf99e0.pth"):
        models.mobilenet_v2(weights=models.MobileNet_V2_Weights.DEFAULT)
    with pytest.raises(FileNotFoundError, match="mobilenet_v2-b0353104.pth"):
        models.mobilenet_v2(pretrained=True)
    with pytest.raises(ValueError, match="num_classes"):
        models.mobilenet_v2(weights="IMAGENET1K_V1", num_classes=10)
    with pytest.raises(ValueError, match="num_classes"):
        models.mobilenet_v2(num_classes=0)
    with pytest.raises(ValueError, match="width_mult"):
        models.mobilenet_v2(width_mult=0)
    with pytest.raises(ValueError, match="inverted_residual_setting"):
        models.MobileNetV2(inverted_residual_setting=[[1, 16, 1]])
    with pytest.raises(ValueError, match="stride"):
        models.InvertedResidual(8, 8, 3, 6)
