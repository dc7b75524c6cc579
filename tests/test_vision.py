"""nnengine.vision, the torchvision-compatible subset: models load state_dict files saved by torch from
torchvision's model definitions (tests/reference/torchvision_models.py) and give the same outputs and gradients;
transforms against numpy and torchvision's documented formulas; datasets read small synthetic files in
torchvision's on-disk layouts; utils.make_grid / save_image."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
import nnengine.vision as torchvision
from nnengine import nn
from nnengine.vision import models

ARCHS = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn",
         "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "alexnet"]


def _torch_ref():
    torch = pytest.importorskip("torch")
    from reference import torchvision_models as ref
    return torch, ref


def _randomize_bn_stats(torch, model):
    """Non-trivial running statistics and affine parameters, so eval mode exercises them."""
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=g) * 0.1)


class _Small(nn.Linear):
    """VGG's 4096-wide classifier shrunk to 16 (the 25088-input layer stays), to keep the test fast."""

    def __init__(self, i, o, bias=True):
        super().__init__(16 if i == 4096 else i, 16 if o == 4096 else o, bias)


def _shrink_vgg_heads(torch, monkeypatch):
    class _TorchSmall(torch.nn.Linear):
        def __init__(self, i, o, bias=True):
            super().__init__(16 if i == 4096 else i, 16 if o == 4096 else o, bias)

    monkeypatch.setattr(torch.nn, "Linear", _TorchSmall)
    monkeypatch.setattr(nn, "Linear", _Small)


# --- models: structure (every builder: keys, order and shapes as torchvision's, built on torch's meta device)

@pytest.mark.parametrize("arch", ARCHS)
def test_state_dict_keys_and_shapes_match_torchvision(arch, monkeypatch):
    torch, ref = _torch_ref()
    if arch.startswith(("vgg", "alexnet")):  # 4096-wide heads shrunk to 16 on both sides (building 120M parameters is slow)
        _shrink_vgg_heads(torch, monkeypatch)
    with torch.device("meta"):
        tm = ref.build(arch, num_classes=7)
    if arch in ("resnet101", "resnet152"):  # building them takes seconds: compare the structure on one stage
        block, layers = ref.RESNETS[arch]
        nm = models.ResNet(models.Bottleneck, layers[:2] + [1, 1], num_classes=7)
        want = {k: tuple(v.shape) for k, v in tm.state_dict().items()
                if not k.startswith(("layer3.", "layer4.")) or k.split(".")[1] == "0"}
        got = {k: tuple(np.shape(v)) for k, v in nm.state_dict().items()}
        assert got == want
        assert [len(getattr(tm, f"layer{i}")) for i in range(1, 5)] == layers
        return
    nm = getattr(models, arch)(num_classes=7)
    want = [(k, tuple(v.shape)) for k, v in tm.state_dict().items()]
    assert [(k, tuple(np.shape(v))) for k, v in nm.state_dict().items()] == want


# --- models: numerics against torch through a torch.save'd state_dict file

def _save_load(torch, tm, nm, tmp_path):
    path = tmp_path / "weights.pth"
    torch.save(tm.state_dict(), path)
    missing = nm.load_state_dict(ne.load(str(path)))
    assert not getattr(missing, "missing_keys", []) and not getattr(missing, "unexpected_keys", [])


@pytest.mark.parametrize("arch", ["resnet18", "resnet50", "alexnet"])
def test_eval_outputs_match_torch(arch, tmp_path, monkeypatch):
    torch, ref = _torch_ref()
    if arch == "alexnet":
        _shrink_vgg_heads(torch, monkeypatch)
    torch.manual_seed(0)
    tm = ref.build(arch, num_classes=10)
    _randomize_bn_stats(torch, tm)
    nm = getattr(models, arch)(weights=None, num_classes=10)
    _save_load(torch, tm, nm, tmp_path)
    x = np.random.default_rng(0).standard_normal((2, 3, 64, 64)).astype(np.float32)
    with torch.no_grad():
        want = tm.eval()(torch.from_numpy(x)).numpy()
    with ne.no_grad():
        got = nm.eval()(ne.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-3 * np.abs(want).max())


@pytest.mark.parametrize("arch", ["vgg11", "vgg13_bn"])
def test_vgg_outputs_match_torch(arch, tmp_path, monkeypatch):
    torch, ref = _torch_ref()
    _shrink_vgg_heads(torch, monkeypatch)
    torch.manual_seed(0)
    tm = ref.build(arch, num_classes=5)
    _randomize_bn_stats(torch, tm)
    with torch.no_grad():  # VGG's init gives N(0, 0.01) linears and zero biases: make the head matter
        for p in tm.classifier.parameters():
            p.normal_(0, 0.05)
    nm = getattr(models, arch)(num_classes=5)
    assert nm.classifier[0].weight.shape == (16, 25088)
    _save_load(torch, tm, nm, tmp_path)
    x = np.random.default_rng(1).standard_normal((2, 3, 32, 32)).astype(np.float32)  # 1x1 -> adaptive 7x7
    with torch.no_grad():
        want = tm.eval()(torch.from_numpy(x)).numpy()
    with ne.no_grad():
        got = nm.eval()(ne.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-3 * np.abs(want).max())


def test_resnet18_train_step_gradients_and_running_stats_match_torch(tmp_path):
    torch, ref = _torch_ref()
    torch.manual_seed(0)
    tm = ref.build("resnet18", num_classes=4)
    _randomize_bn_stats(torch, tm)
    nm = models.resnet18(num_classes=4)
    _save_load(torch, tm, nm, tmp_path)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 64, 64)).astype(np.float32)
    y = np.array([1, 3])
    tm.train()
    torch.nn.functional.cross_entropy(tm(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    nm.train()
    ne.nn.functional.cross_entropy(nm(ne.tensor(x)), ne.tensor(y)).backward()
    tgrads = {k: p.grad.numpy() for k, p in tm.named_parameters()}
    for k, p in nm.named_parameters():
        scale = np.abs(tgrads[k]).max() + 1e-6
        np.testing.assert_allclose(p.grad, tgrads[k], rtol=2e-3, atol=2e-3 * scale, err_msg=k)
    tstate = tm.state_dict()
    for k, v in nm.state_dict().items():
        np.testing.assert_allclose(np.asarray(v, dtype=np.float64), tstate[k].numpy().astype(np.float64),
                                   rtol=1e-4, atol=1e-5, err_msg=k)


def test_zero_init_residual_and_init_like_torchvision():
    m = models.resnet18(zero_init_residual=True)
    assert all(not np.any(b.bn2.weight.data) for layer in (m.layer1, m.layer4) for b in layer)
    m = models.resnet50(num_classes=3, zero_init_residual=True)
    assert not np.any(m.layer2[1].bn3.weight.data) and np.all(m.layer2[1].bn2.weight.data == 1)
    assert m.fc.weight.shape == (3, 2048)
    w = m.conv1.weight.data  # kaiming_normal_(fan_out, relu): std sqrt(2 / (64 * 7 * 7))
    assert abs(w.std() / np.sqrt(2 / (64 * 49)) - 1) < 0.05


def test_weights_other_than_none_raise_and_legacy_pretrained_false_works():
    assert models.resnet18(pretrained=False, progress=False).fc.out_features == 1000
    for bad in [dict(weights="IMAGENET1K_V1"), dict(weights=models.ResNet18_Weights.DEFAULT), dict(pretrained=True)]:
        with pytest.raises(ValueError, match="downloads nothing.*load_state_dict"):
            models.resnet18(**bad)
    with pytest.raises(ValueError, match="vgg16_bn: weights"):
        models.vgg16_bn(weights=models.VGG16_BN_Weights.IMAGENET1K_V1)
    with pytest.raises(ValueError, match="alexnet"):
        models.alexnet(pretrained=True)
    with pytest.raises(ValueError, match="num_classes"):
        models.resnet18(num_classes=0)
    with pytest.raises(TypeError):
        models.resnet18(True)  # weights are keyword-only, as torchvision's


def test_import_as_torchvision():
    assert torchvision.models.resnet18 is models.resnet18
    from nnengine.vision import datasets, transforms, utils  # noqa: F401
