"""Unfolding and folding windows: Tensor.unfold (values and gradients vs torch 2.13, overlapping and strided
windows, any dim) with a ViT patch embedding run with only the imports swapped, and F.unfold / F.fold (im2col /
col2im in torch's layout) vs torch; errors."""

from __future__ import annotations

import numpy as np
import pytest
from test_torch_scripts import result, run

import nnengine as ne


@pytest.mark.parametrize("shape,dim,size,step", [((7,), 0, 3, 2), ((4, 9, 3), 1, 4, 1), ((2, 5, 6), -1, 2, 2),
                                                 ((3, 8), 0, 3, 5), ((5, 5), 1, 5, 1), ((1, 17), 1, 1, 3)])
def test_unfold_vs_torch(torch, shape, dim, size, step):
    x = np.random.default_rng(0).standard_normal(shape)
    a, at = ne.tensor(x, dtype=ne.float64, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = a.unfold(dim, size, step), at.unfold(dim, size, step)
    assert y.shape == tuple(yt.shape)
    np.testing.assert_array_equal(y.numpy(), yt.detach().numpy())
    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad, at.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_unfold_errors_and_ints():
    assert ne.arange(6).unfold(0, 2, 2).tolist() == [[0, 1], [2, 3], [4, 5]]
    with pytest.raises(ValueError, match=r"size: expected at most the size of dimension 0 \(3\), got 4"):
        ne.zeros(3).unfold(0, 4, 1)
    with pytest.raises(ValueError, match="step: expected a positive int, got 0"):
        ne.zeros(3).unfold(0, 1, 0)
    with pytest.raises(ValueError, match="0-d"):
        ne.tensor(1.0).unfold(0, 1, 1)
    with pytest.raises(IndexError):
        ne.zeros(3).unfold(1, 1, 1)


VIT_PATCHES = """
import numpy as np
import torch
import torch.nn as nn


class PatchEmbed(nn.Module):
    def __init__(self, patch=4, chans=3, dim=16):
        super().__init__()
        self.patch = patch
        self.proj = nn.Linear(chans * patch * patch, dim)

    def forward(self, x):
        p = self.patch
        patches = x.unfold(2, p, p).unfold(3, p, p)            # (B, C, H/p, W/p, p, p)
        patches = patches.permute(0, 2, 3, 1, 4, 5).flatten(3)   # (B, H/p, W/p, C*p*p)
        return self.proj(patches.flatten(1, 2))                   # (B, N, dim)


torch.manual_seed(0)
x = torch.from_numpy(np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32))
x.requires_grad_(True)
m = PatchEmbed()
w = np.random.default_rng(1).standard_normal(m.proj.weight.shape).astype(np.float32) * 0.1
with torch.no_grad():
    m.proj.weight.copy_(torch.from_numpy(w))
    m.proj.bias.zero_()
out = m(x)
(out ** 2).sum().backward()
print(f"RESULT n={out.shape[1]} s={out.sum().item():.5f} g={float((x.grad * x.grad).sum()):.4f}")
"""


def test_vit_patch_embed_with_swapped_imports(torch, tmp_path):
    ours = result(run(VIT_PATCHES, "nnengine", tmp_path))
    ref = result(run(VIT_PATCHES, "torch", tmp_path))
    assert ours["n"] == ref["n"] == 4
    assert abs(ours["s"] - ref["s"]) < 1e-3 and abs(ours["g"] - ref["g"]) < 1e-2 * max(1.0, ref["g"])


FOLD_CASES = [((2, 3, 7, 6), dict(kernel_size=3)),
              ((2, 3, 7, 6), dict(kernel_size=(2, 3), dilation=(2, 1), padding=(1, 2), stride=(2, 3))),
              ((3, 5, 5), dict(kernel_size=2, stride=1, padding=1)),
              ((1, 2, 9, 8), dict(kernel_size=(3, 1), dilation=2, stride=(1, 2)))]


@pytest.mark.parametrize("shape,kw", FOLD_CASES, ids=[str(i) for i in range(len(FOLD_CASES))])
def test_functional_unfold_and_fold_vs_torch(torch, shape, kw):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape)
    a, at = ne.tensor(x, dtype=ne.float64, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = ne.nn.functional.unfold(a, **kw), torch.nn.functional.unfold(at, **kw)
    np.testing.assert_array_equal(y.numpy(), yt.detach().numpy())
    g = rng.standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad, at.grad.numpy(), rtol=1e-12, atol=1e-12)
    c = rng.standard_normal(y.shape)
    b, bt = ne.tensor(c, dtype=ne.float64, requires_grad=True), torch.tensor(c, requires_grad=True)
    z, zt = ne.nn.functional.fold(b, shape[-2:], **kw), torch.nn.functional.fold(bt, shape[-2:], **kw)
    np.testing.assert_allclose(z.numpy(), zt.detach().numpy(), rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(z.shape)
    z.backward(g)
    zt.backward(torch.tensor(g))
    np.testing.assert_allclose(b.grad, bt.grad.numpy(), rtol=1e-12, atol=1e-12)
    assert ne.nn.functional.unfold(ne.tensor(x.astype(np.float32)), **kw).dtype == np.float32


def test_fold_errors():
    F = ne.nn.functional
    with pytest.raises(ValueError, match="input: expected 3 or 4 dimensions"):
        F.unfold(ne.zeros(4, 4), 2)
    with pytest.raises(ValueError, match="smaller than the dilated kernel"):
        F.unfold(ne.zeros(1, 1, 2, 2), 3)
    with pytest.raises(ValueError, match="stride: expected positive values"):
        F.unfold(ne.zeros(1, 1, 4, 4), 2, stride=0)
    with pytest.raises(ValueError, match=r"input: expected 9 blocks in dim 2 for output_size \(4, 4\), got 8"):
        F.fold(ne.zeros(1, 4, 8), (4, 4), 2, stride=1)
    with pytest.raises(ValueError, match="divisible by kh \\* kw = 4"):
        F.fold(ne.zeros(1, 6, 9), (4, 4), 2)
    with pytest.raises(TypeError, match="kernel_size: expected an int or a pair"):
        F.unfold(ne.zeros(1, 1, 4, 4), 2.0)
