"""pixel_shuffle / pixel_unshuffle and nn.PixelShuffle / PixelUnshuffle: values and gradients vs torch 2.13
(float64) for any batch dims, errors, io and interop, and super_resolution's Net run with only the imports
swapped."""

from __future__ import annotations

import numpy as np
import pytest
from test_distance import _compare
from test_torch_scripts import result, run

import nnengine as ne
import nnengine.functional as F
from nnengine import nn


@pytest.mark.parametrize("shape,r", [((2, 8, 3, 5), 2), ((18, 1, 2), 3), ((2, 3, 4, 1, 2), 2), ((1, 1, 1, 1), 1)])
def test_pixel_shuffle_vs_torch_any_batch_dims(torch, shape, r):
    x = np.random.default_rng(3).standard_normal(shape)
    _compare(torch, lambda a: F.pixel_shuffle(a, r), lambda a: torch.nn.functional.pixel_shuffle(a, r), x)
    _compare(torch, lambda a: nn.PixelShuffle(r)(a), lambda a: torch.nn.PixelShuffle(r)(a), x)
    y = F.pixel_shuffle(ne.tensor(x), r).numpy()
    _compare(torch, lambda a: F.pixel_unshuffle(a, r), lambda a: torch.nn.functional.pixel_unshuffle(a, r), y)
    _compare(torch, lambda a: nn.PixelUnshuffle(r)(a), lambda a: torch.nn.PixelUnshuffle(r)(a), y)
    np.testing.assert_array_equal(F.pixel_unshuffle(ne.tensor(y), r).numpy(), x)


def test_pixel_shuffle_errors():
    with pytest.raises(ValueError, match=r"channel dim \(size 3.*upscale_factor\*\*2 = 4"):
        F.pixel_shuffle(ne.zeros(1, 3, 2, 2), 2)
    with pytest.raises(ValueError, match="height and width.*downscale_factor = 2"):
        F.pixel_unshuffle(ne.zeros(1, 1, 3, 4), 2)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        F.pixel_shuffle(ne.zeros(4, 4), 2)
    with pytest.raises(ValueError, match="upscale_factor: expected a positive int, got 0"):
        nn.PixelShuffle(0)
    with pytest.raises(ValueError, match="downscale_factor"):
        F.pixel_unshuffle(ne.zeros(1, 1, 2, 2), 2.0)
    with pytest.raises(TypeError, match="input"):
        F.pixel_shuffle("x", 2)
    assert F.pixel_shuffle(np.zeros((1, 4, 1, 1)), 2).dtype == np.float32  # arrays are data, as elsewhere


def test_io_and_interop_round_trip(torch, tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.PixelShuffle(2), nn.PixelUnshuffle(2))
    ne.io.save_model(model, str(tmp_path / "m.safetensors"))
    back = ne.io.load_model(str(tmp_path / "m.safetensors"))
    x = ne.randn(2, 1, 4, 4)
    np.testing.assert_array_equal(back(x).numpy(), model(x).numpy())
    tm = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.PixelShuffle(2),
                             torch.nn.PixelUnshuffle(2), torch.nn.PixelShuffle(2))
    ours = ne.interop.from_torch(tm)
    xt = torch.randn(2, 1, 5, 5)
    np.testing.assert_allclose(ours(ne.tensor(xt.numpy())).numpy(), tm(xt).detach().numpy(), atol=1e-5)
    assert type(ne.interop.to_torch(ours)[1]).__name__ == "PixelShuffle"


SUPER_RESOLUTION = """
import numpy as np
import torch
import torch.nn as nn
import torch.nn.init as init
import torch.nn.functional as F
import torch.optim as optim


class Net(nn.Module):
    def __init__(self, upscale_factor):
        super(Net, self).__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(1, 16, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(16, 16, (3, 3), (1, 1), (1, 1))
        self.conv3 = nn.Conv2d(16, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
        self._initialize_weights()

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        x = self.pixel_shuffle(self.conv3(x))
        return x

    def _initialize_weights(self):
        init.kaiming_uniform_(self.conv1.weight, nonlinearity='relu')
        init.kaiming_uniform_(self.conv2.weight)


torch.manual_seed(0)
rng = np.random.default_rng(0)
hr = rng.random((64, 1, 8, 8)).astype(np.float32)
hr = (hr + np.roll(hr, 1, 2) + np.roll(hr, 1, 3)) / 3
lr_img = hr.reshape(64, 1, 4, 2, 4, 2).mean((3, 5))
model = Net(upscale_factor=2)
criterion = nn.MSELoss()
optimizer = optim.Adam(model.parameters(), lr=0.01)
target, inp = torch.from_numpy(hr), torch.from_numpy(lr_img)
first = None
for epoch in range(60):
    optimizer.zero_grad()
    loss = criterion(model(inp), target)
    loss.backward()
    optimizer.step()
    first = loss.item() if first is None else first
with torch.no_grad():
    sim = F.cosine_similarity(model(inp).flatten(1), target.flatten(1)).mean().item()
    un = F.pixel_unshuffle(model(inp), 2).shape[1]
print(f"RESULT first={first} last={loss.item()} sim={sim} un={un}")
"""


def test_super_resolution_net_with_swapped_imports(torch, tmp_path):
    ours = result(run(SUPER_RESOLUTION, "nnengine", tmp_path))
    ref = result(run(SUPER_RESOLUTION, "torch", tmp_path))
    for r in (ours, ref):
        assert r["last"] < 0.5 * r["first"] and r["sim"] > 0.9 and r["un"] == 4
    assert abs(ours["sim"] - ref["sim"]) < 0.05
