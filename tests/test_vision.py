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


def test_weights_load_torchvisions_files_from_the_hub_cache(torch, tmp_path, monkeypatch):
    """weights=<enum member> / its name / "DEFAULT" / pretrained=True read torchvision's file name from torch's hub
    cache ($TORCH_HOME/hub/checkpoints); nothing is downloaded; a missing file names itself and the folder."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    ckpt = tmp_path / "th" / "hub" / "checkpoints"
    assert models.resnet18(pretrained=False, progress=False).fc.out_features == 1000
    with pytest.raises(FileNotFoundError, match=r"resnet18\(weights=IMAGENET1K_V1\): nnengine downloads nothing.*"
                                                r"resnet18-f37072fd.pth or resnet18-5c106cde.pth.*checkpoints"):
        models.resnet18(weights=models.ResNet18_Weights.DEFAULT)
    ckpt.mkdir(parents=True)
    src = models.resnet18()
    sd = {k: torch.from_numpy(np.array(np.asarray(v) + 1, dtype=np.asarray(v).dtype))  # distinguishable values
          for k, v in src.state_dict().items()}
    torch.save(sd, str(ckpt / "resnet18-f37072fd.pth"))
    for kw in (dict(weights=models.ResNet18_Weights.IMAGENET1K_V1), dict(weights="DEFAULT"),
               dict(weights="ResNet18_Weights.IMAGENET1K_V1"), dict(pretrained=True)):
        got = models.resnet18(**kw).state_dict()
        for k, v in sd.items():
            np.testing.assert_array_equal(np.asarray(got[k]), v.numpy())
    sd50 = {k: torch.from_numpy(np.array(v)) for k, v in models.resnet50().state_dict().items()}
    torch.save(sd50, str(ckpt / "resnet50-11ad3fa6.pth"))  # resnet50's DEFAULT is V2, as torchvision's
    assert models.resnet50(weights="DEFAULT").fc.out_features == 1000
    with pytest.raises(FileNotFoundError, match="resnet50-0676ba61.pth"):
        models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V1)
    with pytest.raises(ValueError, match=r"num_classes=10 does not fit the IMAGENET1K_V1 weights"):
        models.resnet18(weights="DEFAULT", num_classes=10)
    with pytest.raises(ValueError, match=r"resnet18: weights='IMAGENET1K_V9': expected one of"):
        models.resnet18(weights="IMAGENET1K_V9")
    with pytest.raises(TypeError, match="pretrained: expected a bool"):
        models.resnet18(pretrained="yes")
    assert repr(models.VGG16_Weights.DEFAULT) == "VGG16_Weights.IMAGENET1K_V1"
    with pytest.raises(ValueError, match="vgg16: weights"):
        models.vgg16(weights=models.VGG16_Weights.IMAGENET1K_FEATURES)  # not a classifier's weights
    with pytest.raises(FileNotFoundError, match="alexnet-owt-7be5be79.pth"):
        models.alexnet(pretrained=True)
    with pytest.raises(ValueError, match="num_classes"):
        models.resnet18(num_classes=0)
    with pytest.raises(TypeError):
        models.resnet18(True)  # weights are keyword-only, as torchvision's


def test_import_as_torchvision():
    assert torchvision.models.resnet18 is models.resnet18
    from nnengine.vision import datasets, transforms, utils  # noqa: F401


# --- transforms (oracles: numpy and torchvision's documented formulas)

from nnengine.vision import transforms as T  # noqa: E402

PIL = pytest.importorskip("PIL.Image")


def _img(h=5, w=7, c=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, c), dtype=np.uint8)


def test_to_tensor_pil_to_tensor_and_to_pil_image_round_trip():
    a = _img()
    t = T.ToTensor()(a)
    assert t.dtype == np.float32 and t.shape == (3, 5, 7)
    np.testing.assert_array_equal(t.numpy(), a.transpose(2, 0, 1) / np.float32(255))
    np.testing.assert_array_equal(T.ToTensor()(PIL.fromarray(a)).numpy(), t.numpy())
    assert T.ToTensor()(a[:, :, 0]).shape == (1, 5, 7)
    f = np.ones((2, 2, 1), np.float32) * 7  # non-uint8 arrays keep their values
    assert T.ToTensor()(f).numpy().max() == 7
    p = T.PILToTensor()(PIL.fromarray(a))
    assert p.dtype == np.uint8
    np.testing.assert_array_equal(p.numpy(), a.transpose(2, 0, 1))
    back = T.ToPILImage()(t)
    assert back.mode == "RGB" and back.size == (7, 5)
    # float -> uint8 truncates x * 255 (torchvision's pic.mul(255).byte()); exact for k / 255 only up to rounding
    np.testing.assert_array_equal(np.asarray(back), (t.numpy() * 255).astype(np.uint8).transpose(1, 2, 0))
    assert T.ToPILImage()(a[:, :, :1]).mode == "L" and T.ToPILImage()(_img(c=4)).mode == "RGBA"
    with pytest.raises(TypeError, match="pic"):
        T.ToTensor()([1, 2])
    with pytest.raises(TypeError, match="pic"):
        T.PILToTensor()(a)


def test_normalize_compose_lambda():
    t = T.ToTensor()(_img())
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    out = T.Normalize(mean, std)(t).numpy()
    want = (t.numpy() - np.array(mean, np.float32)[:, None, None]) / np.array(std, np.float32)[:, None, None]
    np.testing.assert_allclose(out, want, rtol=1e-6)
    batch = ne.tensor(np.stack([t.numpy()] * 2))
    np.testing.assert_allclose(T.Normalize(mean, std)(batch).numpy()[1], want, rtol=1e-6)
    pipe = T.Compose([T.ToTensor(), T.Normalize(mean, std), T.Lambda(lambda x: x * 2)])
    np.testing.assert_allclose(pipe(_img()).numpy(), 2 * want, rtol=1e-6)
    with pytest.raises(ValueError, match="std"):
        T.Normalize([0.0], [0.0])
    with pytest.raises(TypeError, match="float"):
        T.Normalize([0.0], [1.0])(T.PILToTensor()(PIL.fromarray(_img())))
    with pytest.raises(TypeError, match="lambd"):
        T.Lambda(3)


def test_crops_flips_pad_against_numpy():
    a = _img(6, 9)
    pil, ten = PIL.fromarray(a), T.ToTensor()(a)
    # CenterCrop: top = round((H - h) / 2), left = round((W - w) / 2)
    np.testing.assert_array_equal(T.CenterCrop((3, 4))(a), a[2:5, 2:6])  # round(1.5)=2, round(2.5)=2
    np.testing.assert_array_equal(np.asarray(T.CenterCrop((3, 4))(pil)), a[2:5, 2:6])
    np.testing.assert_array_equal(T.CenterCrop((3, 4))(ten).numpy(), ten.numpy()[:, 2:5, 2:6])
    big = T.CenterCrop((8, 10))(a)  # larger than the image: zero-padded (l, t, r, b) = (0, 1, 1, 1)
    np.testing.assert_array_equal(big, np.pad(a, [(1, 1), (0, 1), (0, 0)]))
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(a), a[:, ::-1])
    np.testing.assert_array_equal(np.asarray(T.RandomHorizontalFlip(1.0)(pil)), a[:, ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(ten).numpy(), ten.numpy()[:, :, ::-1])
    np.testing.assert_array_equal(T.RandomHorizontalFlip(0.0)(a), a)
    np.testing.assert_array_equal(T.RandomVerticalFlip(1.0)(a), a[::-1])
    for mode in ("constant", "edge", "reflect", "symmetric"):
        want = np.pad(a, [(2, 4), (1, 3), (0, 0)], mode=mode)
        np.testing.assert_array_equal(T.Pad((1, 2, 3, 4), padding_mode=mode)(a), want)
        np.testing.assert_array_equal(np.asarray(T.Pad((1, 2, 3, 4), padding_mode=mode)(pil)), want)
        np.testing.assert_array_equal(T.Pad((1, 2, 3, 4), padding_mode=mode)(ten).numpy(),
                                      np.pad(ten.numpy(), [(0, 0), (2, 4), (1, 3)], mode=mode))
    filled = T.Pad(1, fill=(10, 20, 30))(a)
    assert filled[0, 0].tolist() == [10, 20, 30] and filled.shape == (8, 11, 3)
    assert T.Pad([2, 1])(a).shape == (8, 13, 3)  # (left/right, top/bottom)
    with pytest.raises(ValueError, match="padding_mode"):
        T.Pad(1, padding_mode="wrap")


def test_random_crop_draws_from_nnengine_rng():
    a = _img(8, 8)
    ne.manual_seed(3)
    out = [T.RandomCrop(8, padding=2)(a) for _ in range(20)]
    ne.manual_seed(3)
    again = [T.RandomCrop(8, padding=2)(a) for _ in range(20)]
    assert all(np.array_equal(x, y) for x, y in zip(out, again))
    padded = np.pad(a, [(2, 2), (2, 2), (0, 0)])
    offsets = set()
    for x in out:  # each crop is some 8x8 window of the padded image
        hits = [(i, j) for i in range(5) for j in range(5) if np.array_equal(padded[i:i + 8, j:j + 8], x)]
        assert hits
        offsets.add(hits[0])
    assert len(offsets) > 3
    assert T.RandomCrop((10, 12), pad_if_needed=True)(a).shape == (10, 12, 3)
    with pytest.raises(ValueError, match="larger than input"):
        T.RandomCrop(10)(a)
    ne.manual_seed(0)
    flips = [np.array_equal(T.RandomHorizontalFlip()(a), a[:, ::-1]) for _ in range(200)]
    assert 60 < sum(flips) < 140


def test_resize_matches_pil_and_torchvision_size_rule():
    a = _img(20, 30)
    pil = PIL.fromarray(a)
    r = T.Resize(10)(pil)  # smaller edge 20 -> 10, longer int(10 * 30 / 20) = 15
    assert r.size == (15, 10)
    np.testing.assert_array_equal(np.asarray(r), np.asarray(pil.resize((15, 10), PIL.BILINEAR)))
    assert T.Resize(7)(a).shape == (7, 10, 3)  # int(7 * 30 / 20) = 10
    assert T.Resize((8, 9))(a).shape == (8, 9, 3)
    assert T.Resize(10, max_size=12)(pil).size == (12, 8)
    # arrays and tensors: PIL's filter per channel (float), uint8 rounded: within 1 of PIL's uint8 path
    got = T.Resize(10)(a).astype(int)
    assert np.abs(got - np.asarray(r).astype(int)).max() <= 1
    t = T.ToTensor()(a)
    rt = T.Resize(10, interpolation=T.InterpolationMode.BILINEAR)(t)
    assert rt.shape == (3, 10, 15) and rt.dtype == np.float32
    assert np.abs(rt.numpy() * 255 - np.asarray(r).transpose(2, 0, 1)).max() < 1.0
    up = T.Resize(40, interpolation=T.InterpolationMode.NEAREST)(np.arange(4, dtype=np.uint8).reshape(2, 2))
    np.testing.assert_array_equal(up, np.repeat(np.repeat(np.arange(4).reshape(2, 2), 20, 0), 20, 1))
    with pytest.raises(ValueError, match="interpolation"):
        T.Resize(4, interpolation="cubic-ish")(a)


def test_random_resized_crop_follows_torchvision_procedure():
    a = _img(30, 40)
    ne.manual_seed(5)
    out = T.RandomResizedCrop((12, 16))(PIL.fromarray(a))
    assert out.size == (16, 12)
    ne.manual_seed(1)
    for _ in range(50):
        i, j, h, w = T.RandomResizedCrop.get_params(a, (0.08, 1.0), (3 / 4, 4 / 3))
        assert 0 <= i and 0 <= j and i + h <= 30 and j + w <= 40
        assert 0.08 * 1200 * 0.8 <= h * w <= 1200  # rounding of h and w aside
    # no attempt can succeed with a huge minimum scale and extreme ratios: the clamped center crop
    assert T.RandomResizedCrop.get_params(a, (2.0, 2.0), (0.1, 0.2)) == (0, (40 - 6) // 2, 30, 6)
    ne.manual_seed(7)
    first = T.RandomResizedCrop(8)(a)
    ne.manual_seed(7)
    np.testing.assert_array_equal(T.RandomResizedCrop(8)(a), first)


def test_grayscale():
    a = _img()
    pil = PIL.fromarray(a)
    g = T.Grayscale()(pil)
    assert g.mode == "L"
    np.testing.assert_array_equal(np.asarray(g), np.asarray(pil.convert("L")))
    g3 = T.Grayscale(3)(pil)
    assert g3.mode == "RGB" and np.array_equal(np.asarray(g3)[..., 2], np.asarray(g))
    t = T.ToTensor()(a)
    want = 0.2989 * t.numpy()[0] + 0.587 * t.numpy()[1] + 0.114 * t.numpy()[2]
    np.testing.assert_allclose(T.Grayscale()(t).numpy()[0], want, rtol=1e-6)
    assert T.Grayscale(3)(t).shape == (3, 5, 7)
    with pytest.raises(ValueError, match="num_output_channels"):
        T.Grayscale(2)


# --- datasets (small synthetic files in torchvision's layouts)

import gzip  # noqa: E402
import os  # noqa: E402
import pickle  # noqa: E402
import struct  # noqa: E402

from nnengine.vision import datasets  # noqa: E402


def _write_idx(path, arr, compress=False):
    codes = {np.dtype(np.uint8): 8}
    raw = struct.pack(">BBBB", 0, 0, codes[arr.dtype], arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    raw += arr.tobytes()
    with (gzip.open if compress else open)(path + (".gz" if compress else ""), "wb") as f:
        f.write(raw)


@pytest.mark.parametrize("cls,compress", [(datasets.MNIST, False), (datasets.FashionMNIST, True)])
def test_mnist_reads_idx_files(tmp_path, cls, compress):
    rng = np.random.default_rng(0)
    raw = tmp_path / cls.__name__ / "raw"
    raw.mkdir(parents=True)
    x, y = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8), rng.integers(0, 10, 5).astype(np.uint8)
    _write_idx(str(raw / "t10k-images-idx3-ubyte"), x, compress)
    _write_idx(str(raw / "t10k-labels-idx1-ubyte"), y, compress)
    d = cls(str(tmp_path), train=False, transform=T.ToTensor())
    assert len(d) == 5 and d.data.dtype == np.uint8 and d.targets.dtype == np.int64
    img, label = d[3]
    assert label == int(y[3]) and isinstance(label, int)
    np.testing.assert_array_equal(img.numpy()[0], x[3] / np.float32(255))
    assert d.class_to_idx[d.classes[1]] == 1
    with pytest.raises(RuntimeError, match=r"downloads nothing.*raw.*train-images-idx3-ubyte"):
        cls(str(tmp_path), train=True, download=True)
    with pytest.raises(RuntimeError, match="Dataset not found"):
        cls(str(tmp_path / "nowhere"))
    bad = raw / ("t10k-labels-idx1-ubyte" + (".gz" if compress else ""))
    bad.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x09ab") if compress else b"\x00\x00\x08\x01\x00\x00\x00\x09ab")
    with pytest.raises(ValueError, match="IDX header says"):
        cls(str(tmp_path), train=False)
    bad.write_bytes(b"\x00\x00\x08\x01garbage")
    with pytest.raises(ValueError, match="gzip|IDX"):
        cls(str(tmp_path), train=False)


def _cifar_files(tmp_path, hundred=False, protocol=2):
    rng = np.random.default_rng(1)
    folder = tmp_path / ("cifar-100-python" if hundred else "cifar-10-batches-py")
    folder.mkdir()
    names = ["train", "test"] if hundred else [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    key = "fine_labels" if hundred else "labels"
    batches = {}
    for name in names:
        x = rng.integers(0, 256, (3, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 100 if hundred else 10, 3)]
        batches[name] = (x, labels)
        (folder / name).write_bytes(pickle.dumps({"batch_label": name, "data": x, key: labels}, protocol=protocol))
    meta = {"fine_label_names": [f"c{i}" for i in range(100)]} if hundred else \
        {"label_names": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]}
    (folder / ("meta" if hundred else "batches.meta")).write_bytes(pickle.dumps(meta, protocol=protocol))
    return folder, batches


@pytest.mark.parametrize("protocol", [2, 5])
def test_cifar10_and_cifar100(tmp_path, protocol):
    folder, batches = _cifar_files(tmp_path, protocol=protocol)
    d = datasets.CIFAR10(str(tmp_path), train=True)
    assert len(d) == 15 and d.data.shape == (15, 32, 32, 3) and d.classes[3] == "cat"
    x, labels = batches["data_batch_2"]
    img, label = d[4]  # the second item of data_batch_2
    assert img.mode == "RGB" and label == labels[1]
    np.testing.assert_array_equal(np.asarray(img), x[1].reshape(3, 32, 32).transpose(1, 2, 0))
    t = datasets.CIFAR10(str(tmp_path), train=False, transform=T.ToTensor(), target_transform=lambda v: v + 100)
    assert len(t) == 3 and t[0][0].shape == (3, 32, 32) and t[0][1] == batches["test_batch"][1][0] + 100
    sub = tmp_path / "c100"
    sub.mkdir()
    _, b100 = _cifar_files(sub, hundred=True, protocol=protocol)
    d100 = datasets.CIFAR100(str(sub), train=False)
    assert d100.targets == b100["test"][1] and len(d100.classes) == 100
    with pytest.raises(RuntimeError, match=r"cifar-10-batches-py.*data_batch_1"):
        datasets.CIFAR10(str(tmp_path / "none"), download=True)


class _Py2Array:
    """Pickles an array the way Python 2 wrote CIFAR's files: numpy.core.multiarray._reconstruct and the raw data
    as a (latin-1) string."""

    def __init__(self, a):
        self.a = a

    def __reduce__(self):
        try:
            from numpy._core.multiarray import _reconstruct
        except ImportError:  # numpy < 2
            from numpy.core.multiarray import _reconstruct
        a = self.a
        return _reconstruct, (np.ndarray, (0,), b"b"), (1, a.shape, a.dtype, False, a.tobytes().decode("latin1"))


def test_cifar_reads_python2_style_pickles(tmp_path):
    folder, _ = _cifar_files(tmp_path)
    x = np.random.default_rng(4).integers(0, 256, (2, 3072), dtype=np.uint8)
    raw = pickle.dumps({"batch_label": "testing batch 1 of 1", "data": _Py2Array(x), "labels": [3, 4]}, protocol=2)
    (folder / "test_batch").write_bytes(raw.replace(b"numpy._core.multiarray", b"numpy.core.multiarray"))
    d = datasets.CIFAR10(str(tmp_path), train=False)
    assert d.targets == [3, 4]
    np.testing.assert_array_equal(d.data[1], x[1].reshape(3, 32, 32).transpose(1, 2, 0))


class _HugeArray:
    def __reduce__(self):
        try:
            from numpy._core.multiarray import _reconstruct
        except ImportError:  # numpy < 2
            from numpy.core.multiarray import _reconstruct
        return _reconstruct, (np.ndarray, (1 << 40,), b"b")


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > pwned.txt",))


def test_cifar_reader_refuses_arbitrary_globals(tmp_path, monkeypatch):
    folder, _ = _cifar_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    (folder / "data_batch_3").write_bytes(pickle.dumps({"data": _Evil(), "labels": []}, protocol=2))
    with pytest.raises(ValueError, match="refusing global"):
        datasets.CIFAR10(str(tmp_path))
    assert not (tmp_path / "pwned.txt").exists()
    (folder / "data_batch_3").write_bytes(pickle.dumps({"data": np.array([None]), "labels": []}, protocol=2))
    with pytest.raises(ValueError, match="object dtype|refusing"):
        datasets.CIFAR10(str(tmp_path))
    big = pickle.dumps({"data": _HugeArray(), "labels": []}, protocol=2)  # an array of a chosen size: refused
    (folder / "data_batch_3").write_bytes(big)
    with pytest.raises(ValueError, match="refusing _reconstruct"):
        datasets.CIFAR10(str(tmp_path))
    (folder / "data_batch_3").write_bytes(b"\x80\x02}q\x00")  # truncated
    with pytest.raises(ValueError, match="data_batch_3"):
        datasets.CIFAR10(str(tmp_path))


def _image_tree(root, classes=("cat", "dog"), per_class=3, size=(10, 12)):
    rng = np.random.default_rng(2)
    for c in classes:
        (root / c / "sub").mkdir(parents=True)
        for i in range(per_class):
            a = rng.integers(0, 256, size + (3,), dtype=np.uint8)
            where = root / c / ("sub" if i == 0 else "")
            PIL.fromarray(a).save(where / f"img{i}.png")
        (root / c / "notes.txt").write_text("not an image")
    return root


def test_image_folder_and_dataset_folder(tmp_path):
    root = _image_tree(tmp_path / "train")
    d = datasets.ImageFolder(str(root), transform=T.Compose([T.Resize(8), T.ToTensor()]))
    assert d.classes == ["cat", "dog"] and d.class_to_idx == {"cat": 0, "dog": 1}
    assert len(d) == 6 and d.targets == [0, 0, 0, 1, 1, 1] and d.imgs is d.samples
    assert [os.path.relpath(p, root) for p, _ in d.samples[:3]] == ["cat/img1.png", "cat/img2.png",
                                                                    "cat/sub/img0.png"]
    x, y = d[4]
    assert x.shape == (3, 8, 9) and y == 1
    txt = datasets.DatasetFolder(str(root), loader=lambda p: open(p).read(), extensions=(".txt",))
    assert len(txt) == 2 and txt[1] == ("not an image", 1)
    (root / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="empty"):
        datasets.ImageFolder(str(root))
    assert len(datasets.ImageFolder(str(root), allow_empty=True)) == 6
    with pytest.raises(FileNotFoundError, match="class folder"):
        datasets.ImageFolder(str(root / "cat" / "sub"))
    with pytest.raises(ValueError, match="extensions and is_valid_file"):
        datasets.DatasetFolder(str(root), loader=open)


def test_fake_data_is_deterministic_per_index():
    ne.manual_seed(0)
    before = ne.rand(1).item()
    d = datasets.FakeData(size=5, image_size=(3, 6, 7), num_classes=3, transform=T.ToTensor())
    x, y = d[2]
    assert x.shape == (3, 6, 7) and 0 <= y < 3
    np.testing.assert_array_equal(d[2][0].numpy(), x.numpy())
    ne.manual_seed(0)
    assert ne.rand(1).item() == before  # reading items leaves the global generator alone
    assert len(d) == 5
    with pytest.raises(IndexError):
        d[5]
    assert len({datasets.FakeData(size=8, num_classes=8, image_size=(1, 2, 2))[i][1] for i in range(8)}) > 1


# --- utils

from nnengine.vision import utils as vutils  # noqa: E402


def _grid_oracle(a, nrow, padding, pad_value):
    """torchvision's layout written out with numpy."""
    b, c, h, w = a.shape
    xm, ym = min(nrow, b), -(-b // min(nrow, b))
    g = np.full((c, ym * (h + padding) + padding, xm * (w + padding) + padding), pad_value, a.dtype)
    for k in range(b):
        y, x = divmod(k, xm)
        top, left = y * (h + padding) + padding, x * (w + padding) + padding
        g[:, top:top + h, left:left + w] = a[k]
    return g


def test_make_grid_layout_and_normalize():
    a = np.random.default_rng(0).random((5, 3, 4, 6)).astype(np.float32)
    for nrow, padding, pv in [(8, 2, 0.0), (2, 1, 0.5), (3, 0, 1.0)]:
        np.testing.assert_array_equal(vutils.make_grid(ne.tensor(a), nrow=nrow, padding=padding, pad_value=pv).numpy(),
                                      _grid_oracle(a, nrow, padding, pv))
    gray = vutils.make_grid(ne.tensor(a[:, :1]), nrow=5)
    assert gray.shape == (3, 8, 42) and np.array_equal(gray.numpy()[0], gray.numpy()[2])
    assert vutils.make_grid(ne.tensor(a[0])).shape == (3, 4, 6)  # one image: no padding
    n = vutils.make_grid(ne.tensor(a * 4 - 1), normalize=True).numpy()
    np.testing.assert_allclose(n, _grid_oracle((a * 4 - 1 - (a * 4 - 1).min()) / np.ptp(a * 4 - 1), 8, 2,
                                               0.0), rtol=1e-5, atol=1e-6)
    r = vutils.make_grid(ne.tensor(a), normalize=True, value_range=(0.25, 0.75), padding=0, nrow=5).numpy()
    np.testing.assert_allclose(r, _grid_oracle((np.clip(a, 0.25, 0.75) - 0.25) / 0.5, 5, 0, 0.0), atol=1e-6)
    each = vutils.make_grid(ne.tensor(a), normalize=True, scale_each=True, padding=0, nrow=5).numpy()
    assert np.isclose(each[:, :, :6].max(), 1) and np.isclose(each[:, :, 6:12].min(), 0)
    assert vutils.make_grid([ne.tensor(a[0]), ne.tensor(a[1])], padding=0).shape == (3, 4, 12)
    with pytest.raises(ValueError, match="tensor"):
        vutils.make_grid(ne.zeros(1, 1, 1, 1, 1))


def test_save_image_writes_atomically(tmp_path):
    a = np.random.default_rng(1).random((4, 3, 5, 5)).astype(np.float32)
    path = tmp_path / "grid.png"
    vutils.save_image(ne.tensor(a), str(path), nrow=2, padding=1)
    got = np.asarray(PIL.open(path))
    want = np.clip(_grid_oracle(a, 2, 1, 0.0).astype(np.float64) * 255 + 0.5, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(got, want.transpose(1, 2, 0))
    assert [p.name for p in tmp_path.iterdir()] == ["grid.png"]  # no temporary file left behind
    vutils.save_image(ne.tensor(a[0]), tmp_path / "one.jpg")
    assert PIL.open(tmp_path / "one.jpg").size == (5, 5)
    with pytest.raises(ValueError, match="extension"):
        vutils.save_image(ne.tensor(a), str(tmp_path / "grid.nope"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.png", "one.jpg"]


# --- end to end: a torchvision fine-tuning program, imports swapped, weights from a torch.save'd file

FINETUNE = r'''
# torchvision's "transfer learning" recipe (pytorch/tutorials, beginner/transfer_learning_tutorial), as a user
# writes it: pretrained resnet18 from a weights file, ImageFolder + transforms, frozen backbone, new fc head.
# Data and sizes shrunk (a few synthetic 48x40 images, 32x32 crops, 6 epochs); weights from a local file.
import os

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader
import torchvision
from torchvision import datasets, models, transforms

out = os.environ["OUT"]
torch.manual_seed(0)
data_transforms = transforms.Compose([
    transforms.Resize(40),
    transforms.CenterCrop(32),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])
image_dataset = datasets.ImageFolder(os.path.join(out, "hymenoptera", "train"), data_transforms)
dataloader = DataLoader(image_dataset, batch_size=4, shuffle=True)
dataset_size = len(image_dataset)
class_names = image_dataset.classes

model_conv = torchvision.models.resnet18(weights=None)
model_conv.load_state_dict(torch.load(os.path.join(out, "resnet18-f37072fd.pth")))
model_conv.eval()
with torch.no_grad():  # what the pretrained network says about every image, for the test to check
    x_all = torch.stack([image_dataset[i][0] for i in range(dataset_size)])
    np.save(os.path.join(out, "pretrained_logits.npy"), model_conv(x_all).numpy())

for param in model_conv.parameters():
    param.requires_grad = False
num_ftrs = model_conv.fc.in_features
model_conv.fc = nn.Linear(num_ftrs, len(class_names))
criterion = nn.CrossEntropyLoss()
optimizer_conv = optim.SGD(model_conv.fc.parameters(), lr=0.01, momentum=0.9)
exp_lr_scheduler = lr_scheduler.StepLR(optimizer_conv, step_size=4, gamma=0.1)
conv1_before = model_conv.conv1.weight.detach().clone()

losses, accs = [], []
for epoch in range(6):
    model_conv.train()
    running_loss, running_corrects = 0.0, 0
    for inputs, labels in dataloader:
        optimizer_conv.zero_grad()
        with torch.set_grad_enabled(True):
            outputs = model_conv(inputs)
            _, preds = torch.max(outputs, 1)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer_conv.step()
        running_loss += loss.item() * inputs.size(0)
        running_corrects += torch.sum(preds == labels.data)
    exp_lr_scheduler.step()
    losses.append(running_loss / dataset_size)
    accs.append(float(running_corrects.double() / dataset_size))
    print(f"epoch {epoch} loss {losses[-1]:.4f} acc {accs[-1]:.3f}")

frozen = float((model_conv.conv1.weight - conv1_before).abs().max())
print(f"RESULT first_loss={losses[0]} last_loss={losses[-1]} last_acc={accs[-1]} frozen_change={frozen}")
'''


def test_torchvision_finetuning_program_runs_with_imports_swapped(tmp_path):
    torch, ref = _torch_ref()
    from test_torch_scripts import result, run

    rng = np.random.default_rng(0)
    for k, label in enumerate(("ants", "bees")):  # two colour-separable classes of noisy images
        folder = tmp_path / "hymenoptera" / "train" / label
        folder.mkdir(parents=True)
        for i in range(8):
            a = rng.normal(128, 40, (48, 40, 3))
            a[..., 2 * k] += 60
            PIL.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(folder / f"{i}.jpg")
    torch.manual_seed(0)
    tm = ref.build("resnet18")  # "pretrained" weights: torchvision's definition under torch, saved by torch
    _randomize_bn_stats(torch, tm)
    torch.save(tm.state_dict(), tmp_path / "resnet18-f37072fd.pth")

    res = result(run(FINETUNE, "nnengine", tmp_path, torchvision=True))
    assert res["frozen_change"] == 0.0
    assert res["last_loss"] < res["first_loss"] and res["last_acc"] >= 0.75, res

    tf = T.Compose([T.Resize(40), T.CenterCrop(32), T.ToTensor(),
                    T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    ds = datasets.ImageFolder(str(tmp_path / "hymenoptera" / "train"), tf)
    x = np.stack([ds[i][0].numpy() for i in range(len(ds))])
    with torch.no_grad():
        want = tm.eval()(torch.from_numpy(x)).numpy()
    got = np.load(tmp_path / "pretrained_logits.npy")
    np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-3 * np.abs(want).max())


def test_transforms_functional_matches_the_classes():
    import nnengine.vision.transforms.functional as TF

    a = _img(6, 9)
    t = TF.to_tensor(a)
    np.testing.assert_array_equal(t.numpy(), T.ToTensor()(a).numpy())
    np.testing.assert_array_equal(TF.normalize(t, [0.5] * 3, [0.25] * 3).numpy(), (t.numpy() - 0.5) / 0.25)
    np.testing.assert_array_equal(TF.crop(a, 1, 2, 3, 4), a[1:4, 2:6])
    np.testing.assert_array_equal(TF.crop(a, -1, 0, 3, 2), np.pad(a, [(1, 0), (0, 0), (0, 0)])[:3, :2])
    np.testing.assert_array_equal(np.asarray(TF.crop(PIL.fromarray(a), 1, 2, 3, 4)), a[1:4, 2:6])
    np.testing.assert_array_equal(TF.center_crop(a, [2, 3]), T.CenterCrop([2, 3])(a))
    np.testing.assert_array_equal(TF.hflip(t).numpy(), t.numpy()[:, :, ::-1])
    np.testing.assert_array_equal(TF.vflip(a), a[::-1])
    np.testing.assert_array_equal(TF.pad(a, 2, padding_mode="reflect"),
                                  np.pad(a, [(2, 2), (2, 2), (0, 0)], mode="reflect"))
    assert TF.resize(PIL.fromarray(a), [3, 4]).size == (4, 3)
    assert TF.resized_crop(a, 0, 0, 4, 6, 2).shape == (2, 3, 3)  # the smaller edge of the 4x6 crop to 2
    assert TF.get_image_size(a) == [9, 6] and TF.get_image_size(PIL.fromarray(a)) == [9, 6]
    np.testing.assert_array_equal(np.asarray(TF.to_grayscale(PIL.fromarray(a))),
                                  np.asarray(PIL.fromarray(a).convert("L")))
    assert TF.rgb_to_grayscale(t, 3).shape == (3, 6, 9)
    assert TF.to_pil_image(t).size == (9, 6) and TF.pil_to_tensor(PIL.fromarray(a)).dtype == np.uint8


def test_random_rotation_matches_pil():
    a = _img(7, 9)
    pil = PIL.fromarray(a)
    ne.manual_seed(4)
    got = T.RandomRotation(30)(pil)
    ne.manual_seed(4)
    angle = T.RandomRotation.get_params((-30.0, 30.0))
    assert -30 <= angle <= 30
    np.testing.assert_array_equal(np.asarray(got), np.asarray(pil.rotate(angle, PIL.NEAREST)))
    sq = _img(7, 7)
    np.testing.assert_array_equal(T.RandomRotation((90, 90))(sq), np.rot90(sq))  # a square image: exact
    np.testing.assert_array_equal(T.RandomRotation((180, 180))(T.ToTensor()(sq)).numpy(),
                                  T.ToTensor()(sq).numpy()[:, ::-1, ::-1])
    assert T.RandomRotation((90, 90), expand=True)(pil).size == (7, 9)
    filled = np.asarray(T.RandomRotation((45, 45), fill=(255, 0, 0))(PIL.new("RGB", (9, 9))))
    assert filled[0, 0].tolist() == [255, 0, 0]
    with pytest.raises(ValueError, match="degrees"):
        T.RandomRotation(-1)


def test_get_model_and_list_models():
    assert "vgg16_bn" in models.list_models() and models.list_models(exclude="vgg*")[0] == "alexnet"
    assert models.get_model("resnet18", num_classes=2).fc.out_features == 2
    with pytest.raises(ValueError, match="unknown model"):
        models.get_model("resnet9000")


def test_color_jitter_and_adjustments():
    from PIL import ImageEnhance

    import nnengine.vision.transforms.functional as TF

    a = _img(6, 8)
    pil = PIL.fromarray(a)
    for fn, enh in [(TF.adjust_brightness, ImageEnhance.Brightness), (TF.adjust_contrast, ImageEnhance.Contrast),
                    (TF.adjust_saturation, ImageEnhance.Color)]:
        np.testing.assert_array_equal(np.asarray(fn(pil, 0.7)), np.asarray(enh(pil).enhance(0.7)))
    t = T.ToTensor()(a).numpy()
    hwc = t.transpose(1, 2, 0)
    gray = (0.2989 * hwc[..., 0] + 0.587 * hwc[..., 1] + 0.114 * hwc[..., 2])[..., None]
    np.testing.assert_allclose(TF.adjust_brightness(ne.tensor(t), 1.3).numpy(), np.clip(1.3 * t, 0, 1), atol=1e-6)
    np.testing.assert_allclose(TF.adjust_contrast(ne.tensor(t), 0.6).numpy(),
                               np.clip(0.6 * t + 0.4 * gray.mean(), 0, 1), atol=1e-6)
    np.testing.assert_allclose(TF.adjust_saturation(ne.tensor(t), 1.4).numpy(),
                               np.clip(1.4 * hwc + (1 - 1.4) * gray, 0, 1).transpose(2, 0, 1), atol=1e-6)
    np.testing.assert_allclose(TF.adjust_hue(ne.tensor(t), 0.0).numpy(), t, atol=1e-6)
    shifted = TF.adjust_hue(TF.adjust_hue(ne.tensor(t), 0.25), -0.25).numpy()
    np.testing.assert_allclose(shifted, t, atol=1e-5)
    assert np.asarray(TF.adjust_hue(pil, 0.1)).shape == a.shape
    with pytest.raises(ValueError, match="hue_factor"):
        TF.adjust_hue(ne.tensor(t), 0.7)
    ne.manual_seed(2)
    jit = T.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)
    out = jit(pil)
    ne.manual_seed(2)
    np.testing.assert_array_equal(np.asarray(jit(pil)), np.asarray(out))
    assert T.ColorJitter(brightness=0.5).brightness == (0.5, 1.5) and T.ColorJitter().hue is None
    assert T.ColorJitter()(a) is a
    with pytest.raises(ValueError, match="hue"):
        T.ColorJitter(hue=0.6)
