"""nnengine.vision.transforms' random-choice, blur, affine, erasing, multi-crop and colour-curve transforms and
their functional forms, against oracles built from torchvision's formulas with torch ops (affine_grid /
grid_sample, conv2d over a reflect pad), numpy, and PIL's own calls; seeds, and argument errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nnengine as ne
import nnengine.vision.transforms.functional as TF
from nnengine.vision import transforms as T

PIL = pytest.importorskip("PIL.Image")


def _img(shape=(3, 11, 14), dtype=np.uint8, seed=0):
    a = np.random.default_rng(seed).random(shape)
    return (a * 255).astype(np.uint8) if dtype == np.uint8 else a.astype(dtype)


def _inv_matrix(center, angle, translate, scale, shear):
    """torchvision's _get_inverse_affine_matrix, transcribed."""
    rot, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    return m


def _torch_warp(torch, x, matrix, mode, fill=None):
    """torchvision's tensor warp through torch's affine_grid (theta rescaled from centered pixels to [-1, 1])."""
    c, h, w = x.shape
    th = np.asarray(matrix, np.float64).reshape(2, 3)
    th = np.diag([2.0 / w, 2.0 / h]) @ th @ np.diag([w / 2.0, h / 2.0, 1.0])
    img = torch.from_numpy(x.astype(np.float32))[None]
    if fill is not None:
        img = torch.cat([img, torch.ones(1, 1, h, w)], 1)
    grid = torch.nn.functional.affine_grid(torch.tensor(th, dtype=torch.float32)[None], [1, c, h, w],
                                           align_corners=False)
    out = torch.nn.functional.grid_sample(img, grid, mode=mode, padding_mode="zeros", align_corners=False)[0]
    if fill is not None:
        mask, out = out[-1:], out[:-1]
        fv = torch.tensor(fill, dtype=torch.float32).view(-1, 1, 1).expand_as(out)
        out = torch.where(mask.expand_as(out) < 0.5, fv, out) if mode == "nearest" else out * mask + (1 - mask) * fv
    out = out.numpy()
    return np.round(out).astype(x.dtype) if x.dtype == np.uint8 else out


# --- functional: geometry

@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_affine_and_rotate_on_tensors_match_the_grid_oracle(mode, dtype):
    torch = pytest.importorskip("torch")
    x = _img(dtype=dtype)
    t = ne.from_numpy(x.copy())
    for args in [(20.0, [2, -3], 1.2, [10.0, 5.0]), (-40.0, [0, 0], 0.7, [15.0, 0.0])]:
        got = TF.affine(t, *args, interpolation=mode).numpy()
        want = _torch_warp(torch, x, _inv_matrix([0.0, 0.0], *args), mode)
        np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), atol=1e-5 if dtype != np.uint8 else 1)
        if dtype == np.uint8 or mode == "nearest":
            assert np.mean(got != want) < 0.01  # at most a rounding flip at an exact .5
    got = TF.rotate(t, 33.0, interpolation=mode, fill=[1.0, 2.0, 3.0]).numpy()
    want = _torch_warp(torch, x, _inv_matrix([0.0, 0.0], -33.0, [0, 0], 1.0, [0, 0]), mode, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), atol=1e-5 if dtype != np.uint8 else 1)


def test_rotate_exact_cases_and_expand():
    sq = _img((1, 6, 6), np.float32)
    t = ne.from_numpy(sq.copy())
    np.testing.assert_array_equal(TF.rotate(t, 90).numpy(), np.rot90(sq, 1, axes=(1, 2)))
    np.testing.assert_array_equal(TF.rotate(t, 180).numpy(), sq[:, ::-1, ::-1])
    rect = ne.from_numpy(_img((2, 4, 7), np.uint8))
    # torchvision's canvas rule for tensors (float32 corners, floor/ceil at 1e-4): 4x7 turned 90 degrees is 8x5 (PIL
    # says 7x4), 45 degrees 8x9 (values from torchvision 0.28)
    assert TF.rotate(rect, 90, expand=True).shape == (2, 8, 5)
    assert TF.rotate(rect, 45, expand=True).shape == (2, 8, 9)
    # integer translation is a shift with zeros (and the fill where given)
    row = ne.tensor([[[1.0, 2.0, 3.0, 4.0]]])
    assert TF.affine(row, 0.0, [1, 0], 1.0, 0.0).tolist() == [[[0.0, 1.0, 2.0, 3.0]]]
    assert TF.affine(row, 0.0, [-2, 0], 1.0, 0.0, fill=9.0).tolist() == [[[3.0, 4.0, 9.0, 9.0]]]
    # numpy arrays (H, W, C) take the tensor path
    a = _img((5, 5, 3), np.uint8)
    np.testing.assert_array_equal(TF.rotate(a, 90), np.rot90(a))


def test_affine_and_rotate_on_pil_use_pil():
    x = _img((9, 12, 3))
    pil = PIL.fromarray(x)
    got = TF.rotate(pil, 30.0, expand=True, fill=(1, 2, 3))
    assert np.array_equal(np.asarray(got), np.asarray(pil.rotate(30.0, PIL.NEAREST, True, fillcolor=(1, 2, 3))))
    m = _inv_matrix([6.0, 4.5], 20.0, [2, -1], 1.1, [5.0, 3.0])
    got = TF.affine(pil, 20.0, [2, -1], 1.1, [5.0, 3.0], interpolation=T.InterpolationMode.BILINEAR, fill=7)
    want = pil.transform(pil.size, PIL.AFFINE, m, PIL.BILINEAR, fillcolor=(7, 7, 7))
    assert np.array_equal(np.asarray(got), np.asarray(want))


def test_gaussian_blur_matches_conv_over_reflect_pad():
    torch = pytest.importorskip("torch")
    for dtype in (np.float32, np.uint8):
        x = _img((3, 12, 10), dtype)
        for ks, sigma in [((5, 3), (0.7, 2.0)), ((3, 3), (1.0, 1.0))]:
            def k1(k, s):
                v = torch.linspace(-(k - 1) / 2, (k - 1) / 2, k)
                p = torch.exp(-0.5 * (v / s) ** 2)
                return p / p.sum()
            kern = torch.outer(k1(ks[1], sigma[1]), k1(ks[0], sigma[0])).expand(3, 1, ks[1], ks[0])
            xp = torch.nn.functional.pad(torch.from_numpy(x.astype(np.float32))[None],
                                         [ks[0] // 2, ks[0] // 2, ks[1] // 2, ks[1] // 2], mode="reflect")
            want = torch.nn.functional.conv2d(xp, kern, groups=3)[0].numpy()
            got = TF.gaussian_blur(ne.from_numpy(x.copy()), list(ks), list(sigma)).numpy()
            if dtype == np.uint8:
                assert np.abs(got.astype(int) - np.round(want).astype(int)).max() <= 1
            else:
                np.testing.assert_allclose(got, want, atol=1e-5)
    pil = PIL.fromarray(_img((8, 8, 3)))
    np.testing.assert_array_equal(np.asarray(TF.gaussian_blur(pil, 3, 1.0)),
                                  TF.gaussian_blur(np.asarray(pil), 3, 1.0))
    assert TF.gaussian_blur(ne.ones(1, 5, 5), 3).shape == (1, 5, 5)  # sigma from kernel_size


def test_five_and_ten_crop():
    a = np.arange(20).reshape(4, 5)
    tl, tr, bl, br, c = TF.five_crop(a, 2)
    assert tl.tolist() == [[0, 1], [5, 6]] and tr.tolist() == [[3, 4], [8, 9]]
    assert bl.tolist() == [[10, 11], [15, 16]] and br.tolist() == [[13, 14], [18, 19]] and c.tolist() == [[7, 8], [12, 13]]
    ten = TF.ten_crop(a, (2, 2))
    assert len(ten) == 10 and ten[5].tolist() == np.fliplr(a)[:2, :2].tolist()
    tenv = T.TenCrop(2, vertical_flip=True)(ne.from_numpy(a[None].astype(np.float32)))
    assert tenv[5].numpy()[0].tolist() == np.flipud(a)[:2, :2].tolist()
    assert [p.size for p in T.FiveCrop((2, 3))(PIL.fromarray(a.astype(np.uint8)))] == [(3, 2)] * 5
    with pytest.raises(ValueError, match="size"):
        TF.five_crop(a, 6)


# --- functional: colour curves

def test_colour_curves_on_tensors():
    x = _img((3, 6, 7))
    t = ne.from_numpy(x.copy())
    np.testing.assert_array_equal(TF.invert(t).numpy(), 255 - x)
    np.testing.assert_array_equal(TF.posterize(t, 3).numpy(), x & 0b11100000)
    np.testing.assert_array_equal(TF.solarize(t, 128).numpy(), np.where(x >= 128, 255 - x, x))
    lo, hi = x.min((1, 2), keepdims=True).astype(np.float32), x.max((1, 2), keepdims=True).astype(np.float32)
    np.testing.assert_array_equal(TF.autocontrast(t).numpy(), np.clip((x - lo) * (255 / (hi - lo)), 0, 255).astype(np.uint8))
    f = x.astype(np.float32) / 255
    want = (np.clip(1.1 * f ** 0.7, 0, 1) * (255 + 1 - 1e-3)).astype(np.uint8)
    assert np.abs(TF.adjust_gamma(t, 0.7, 1.1).numpy().astype(int) - want).max() <= 1
    np.testing.assert_allclose(TF.adjust_gamma(ne.from_numpy(f), 0.5).numpy(), np.sqrt(f), rtol=1e-6)
    np.testing.assert_allclose(TF.invert(ne.from_numpy(f)).numpy(), 1 - f, atol=1e-7)
    # sharpness: blend with the 3x3 [1 1 1; 1 5 1; 1 1 1] / 13 smoothing of the interior
    k = np.ones((3, 3)) / 13
    k[1, 1] = 5 / 13
    deg = f.copy()
    deg[:, 1:-1, 1:-1] = sum(k[i, j] * f[:, i:i + 4, j:j + 5] for i in range(3) for j in range(3))
    np.testing.assert_allclose(TF.adjust_sharpness(ne.from_numpy(f), 1.5).numpy(),
                               np.clip(1.5 * f - 0.5 * deg, 0, 1), atol=1e-6)


def test_equalize_and_pil_colour_curves_match_imageops():
    from PIL import ImageEnhance, ImageOps

    x = _img((16, 16, 3))
    pil = PIL.fromarray(x)
    for ours, theirs in [(TF.invert(pil), ImageOps.invert(pil)), (TF.posterize(pil, 2), ImageOps.posterize(pil, 2)),
                         (TF.solarize(pil, 90), ImageOps.solarize(pil, 90)), (TF.equalize(pil), ImageOps.equalize(pil)),
                         (TF.autocontrast(pil), ImageOps.autocontrast(pil)),
                         (TF.adjust_sharpness(pil, 2.0), ImageEnhance.Sharpness(pil).enhance(2.0))]:
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    # the tensor equalize (torchvision's lookup table) agrees with PIL's on an image whose histogram is not flat
    t = ne.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))
    np.testing.assert_array_equal(TF.equalize(t).numpy().transpose(1, 2, 0), np.asarray(ImageOps.equalize(pil)))
    table = [int(255.999 * (v / 255.0) ** 0.5) for v in range(256)]
    np.testing.assert_array_equal(np.asarray(TF.adjust_gamma(pil, 0.5)), np.asarray(table)[x])


def test_convert_image_dtype_erase_and_dimensions():
    u = ne.tensor([[[0, 128, 255]]], dtype=ne.uint8)
    f = TF.convert_image_dtype(u)
    np.testing.assert_allclose(f.numpy(), [[[0.0, 128 / 255, 1.0]]], rtol=1e-6)
    assert TF.convert_image_dtype(f, ne.uint8).tolist() == [[[0, 128, 255]]]
    assert T.ConvertImageDtype(ne.int16)(u).tolist() == [[[0, 128 * 128, 255 * 128]]]
    with pytest.raises(RuntimeError):
        TF.convert_image_dtype(f, ne.int64)
    img = ne.ones(2, 3, 3)
    out = TF.erase(img, 1, 0, 2, 2, ne.tensor([[[5.0]], [[6.0]]]))
    assert out.numpy()[:, 1:, :2].tolist() == [[[5.0, 5.0]] * 2, [[6.0, 6.0]] * 2] and float(img.sum()) == 18.0
    TF.erase(img, 0, 0, 1, 1, 0.0, inplace=True)
    assert float(img.sum()) == 16.0
    assert TF.get_dimensions(ne.zeros(2, 3, 4, 5)) == [3, 4, 5]
    assert TF.get_dimensions(PIL.new("RGBA", (5, 4))) == [4, 4, 5]
    assert TF.get_dimensions(np.zeros((4, 5))) == [1, 4, 5] and TF.get_image_num_channels(np.zeros((2, 2, 3))) == 3


def test_functional_errors_name_the_argument():
    t = ne.zeros(3, 4, 4)
    with pytest.raises(TypeError, match="angle"):
        TF.rotate(t, "30")
    with pytest.raises(ValueError, match="interpolation"):
        TF.rotate(t, 30.0, interpolation=T.InterpolationMode.BICUBIC)
    with pytest.raises(ValueError, match="translate"):
        TF.affine(t, 0.0, [1], 1.0, 0.0)
    with pytest.raises(ValueError, match="scale"):
        TF.affine(t, 0.0, [0, 0], 0.0, 0.0)
    with pytest.raises(ValueError, match="kernel_size"):
        TF.gaussian_blur(t, 4)
    with pytest.raises(ValueError, match="sigma"):
        TF.gaussian_blur(t, 3, -1.0)
    with pytest.raises(ValueError, match="fill"):
        TF.rotate(t, 10.0, fill=[1.0, 2.0])
    with pytest.raises(TypeError, match="img"):
        TF.erase(np.zeros((3, 3)), 0, 0, 1, 1, 0)
    with pytest.raises(ValueError, match="gamma"):
        TF.adjust_gamma(t, -1)
    with pytest.raises(ValueError, match="bits"):
        TF.posterize(ne.zeros(1, 2, 2, dtype=ne.uint8), 9)
    with pytest.raises(TypeError, match="img"):
        TF.equalize(t)  # float images: uint8 only, as torchvision


# --- classes

def test_random_apply_choice_order_and_grayscale():
    add1, times2 = T.Lambda(lambda x: x + 1), T.Lambda(lambda x: x * 2)
    assert T.RandomApply([add1, times2], p=1.0)(1) == 4 and T.RandomApply([add1], p=0.0)(1) == 1
    ne.manual_seed(0)
    runs = [T.RandomApply([add1], p=0.3)(0) for _ in range(400)]
    assert 0.2 < np.mean(runs) < 0.4
    assert T.RandomChoice([add1, times2], p=[0.0, 1.0])(5) == 10
    ne.manual_seed(1)
    picks = [T.RandomChoice([add1, times2])(5) for _ in range(200)]
    assert set(picks) == {6, 10}
    ne.manual_seed(2)
    orders = {T.RandomOrder([add1, times2])(1) for _ in range(50)}
    assert orders == {3, 4}  # (1 + 1) * 2 and 1 * 2 + 1
    rgb = ne.from_numpy(_img((3, 4, 4)))
    g = T.RandomGrayscale(p=1.0)(rgb)
    assert g.shape == (3, 4, 4) and (g.numpy()[0] == g.numpy()[1]).all()
    assert T.RandomGrayscale(p=1.0)(PIL.new("L", (3, 3))).mode == "L"
    assert T.RandomGrayscale(p=0.0)(rgb) is rgb
    with pytest.raises(TypeError, match="transforms"):
        T.RandomApply([1])
    with pytest.raises(ValueError, match="p"):
        T.RandomChoice([add1], p=[0.5, 0.5])


def test_gaussian_blur_and_random_affine_draw_then_apply():
    x = ne.from_numpy(_img((3, 10, 12), np.float32))
    ne.manual_seed(3)
    got = T.GaussianBlur(5, (0.1, 2.0))(x)
    ne.manual_seed(3)
    s = T.GaussianBlur.get_params(0.1, 2.0)
    assert 0.1 <= s <= 2.0
    np.testing.assert_array_equal(got.numpy(), TF.gaussian_blur(x, [5, 5], [s, s]).numpy())
    ra = T.RandomAffine(20, translate=(0.1, 0.2), scale=(0.8, 1.2), shear=(-5, 5, -3, 3),
                        interpolation=T.InterpolationMode.BILINEAR, fill=0.5)
    ne.manual_seed(4)
    got = ra(x)
    ne.manual_seed(4)
    angle, (tx, ty), sc, sh = T.RandomAffine.get_params(ra.degrees, ra.translate, ra.scale, ra.shear, [12, 10])
    assert -20 <= angle <= 20 and abs(tx) <= 1.2 and abs(ty) <= 2 and 0.8 <= sc <= 1.2 and -3 <= sh[1] <= 3
    want = TF.affine(x, angle, [tx, ty], sc, list(sh), interpolation="bilinear", fill=[0.5] * 3)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    ne.manual_seed(4)
    np.testing.assert_array_equal(ra(x).numpy(), got.numpy())  # reproducible under the seed
    assert T.RandomAffine(10)(PIL.new("RGB", (6, 5))).size == (6, 5)
    with pytest.raises(ValueError, match="degrees"):
        T.RandomAffine(-1)
    with pytest.raises(ValueError, match="translate"):
        T.RandomAffine(0, translate=(0.1, 2.0))
    with pytest.raises(ValueError, match="scale"):
        T.RandomAffine(0, scale=(0.0, 1.0))
    with pytest.raises(ValueError, match="shear"):
        T.RandomAffine(0, shear=(1, 2, 3))
    with pytest.raises(TypeError, match="fill"):
        T.RandomAffine(0, fill=object())
    with pytest.raises(ValueError, match="kernel_size"):
        T.GaussianBlur(4)
    with pytest.raises(ValueError, match="sigma"):
        T.GaussianBlur(3, (2.0, 1.0))


def test_random_erasing():
    x = ne.ones(3, 20, 20)
    ne.manual_seed(5)
    out = T.RandomErasing(p=1.0, value=(0.0, 0.5, 1.0))(x)
    ne.manual_seed(5)
    from nnengine.vision.transforms._core import _rand

    _rand()  # the same draws: p, then get_params
    i, j, h, w, v = T.RandomErasing.get_params(x, (0.02, 0.33), (0.3, 3.3), [0.0, 0.5, 1.0])
    a = out.numpy()
    assert (a[0, i:i + h, j:j + w] == 0).all() and (a[1, i:i + h, j:j + w] == 0.5).all()
    assert 0.02 * 400 * 0.8 <= h * w <= 0.33 * 400 * 1.2 and float(x.sum()) == 1200.0  # input untouched
    assert (a != 1).sum() == 2 * h * w
    ne.manual_seed(6)
    r1 = T.RandomErasing(p=1.0, value="random")(x).numpy()
    ne.manual_seed(6)
    np.testing.assert_array_equal(T.RandomErasing(p=1.0, value="random")(x).numpy(), r1)
    assert (r1 != 1).sum() > 0
    y = ne.ones(1, 8, 8)
    assert T.RandomErasing(p=1.0, inplace=True)(y) is y and float(y.sum()) < 64
    assert T.RandomErasing(p=0.0)(x) is x
    with pytest.raises(ValueError, match="value"):
        T.RandomErasing(value="zeros")
    with pytest.raises(ValueError, match="scale"):
        T.RandomErasing(scale=(0.5, 1.5))
    with pytest.raises(ValueError, match="p"):
        T.RandomErasing(p=2)
    with pytest.raises(ValueError, match="value"):
        T.RandomErasing(p=1.0, value=[1.0, 2.0])(x)
    with pytest.raises(TypeError, match="img"):
        T.RandomErasing(p=1.0)(np.zeros((3, 4, 4)))


def test_random_colour_classes():
    u = ne.from_numpy(_img((3, 6, 6)))
    x = u.numpy()
    assert (T.RandomInvert(p=1.0)(u).numpy() == 255 - x).all() and T.RandomInvert(p=0.0)(u) is u
    assert (T.RandomPosterize(4, p=1.0)(u).numpy() == (x & 0xF0)).all()
    assert (T.RandomSolarize(100, p=1.0)(u).numpy() == np.where(x >= 100, 255 - x, x)).all()
    assert (T.RandomAutocontrast(p=1.0)(u).numpy() == TF.autocontrast(u).numpy()).all()
    assert (T.RandomEqualize(p=1.0)(u).numpy() == TF.equalize(u).numpy()).all()
    assert (T.RandomAdjustSharpness(2.0, p=1.0)(u).numpy() == TF.adjust_sharpness(u, 2.0).numpy()).all()


@pytest.mark.parametrize("make", [lambda: T.AutoAugment(), lambda: T.AutoAugment(T.AutoAugmentPolicy.CIFAR10),
                                  lambda: T.AutoAugment(T.AutoAugmentPolicy.SVHN), lambda: T.RandAugment(),
                                  lambda: T.TrivialAugmentWide()])
def test_auto_augment_family_runs_and_repeats(make):
    u = ne.from_numpy(_img((3, 16, 16)))
    pil = PIL.fromarray(_img((16, 16, 3)))
    t = make()
    for seed in range(12):
        ne.manual_seed(seed)
        a = t(u)
        b = t(pil)
        ne.manual_seed(seed)
        np.testing.assert_array_equal(t(u).numpy(), a.numpy())
        np.testing.assert_array_equal(np.asarray(t(pil)), np.asarray(b))
        assert a.shape == (3, 16, 16) and a.dtype == np.uint8 and b.size == (16, 16)
    with pytest.raises(ValueError, match="policy"):
        T.AutoAugment("imagenet-21k")


def test_compose_simclr_and_cifar_pipelines():
    simclr = T.Compose([T.RandomResizedCrop(16), T.RandomHorizontalFlip(),
                        T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8), T.RandomGrayscale(p=0.2),
                        T.GaussianBlur(3), T.ToTensor()])
    cifar = T.Compose([T.RandomCrop(16, padding=2), T.TrivialAugmentWide(), T.ToTensor(),
                       T.Normalize([0.5] * 3, [0.25] * 3), T.RandomErasing(p=0.5)])
    pil = PIL.fromarray(_img((20, 24, 3)))
    ne.manual_seed(0)
    a, b = simclr(pil), cifar(pil)
    ne.manual_seed(0)
    assert a.shape == (3, 16, 16) and np.array_equal(simclr(pil).numpy(), a.numpy())
    assert np.array_equal(cifar(pil).numpy(), b.numpy())


def test_random_rotation_on_tensors_is_torchvisions_grid_rotate():
    x = ne.from_numpy(_img((3, 9, 12), np.uint8))
    t = T.RandomRotation(40, interpolation=T.InterpolationMode.BILINEAR, fill=10)
    ne.manual_seed(7)
    got = t(x)
    ne.manual_seed(7)
    angle = T.RandomRotation.get_params(t.degrees)
    np.testing.assert_array_equal(got.numpy(), TF.rotate(x, angle, "bilinear", fill=[10.0] * 3).numpy())
