"""examples/dcgan.py (ConvTranspose2d generator, Conv2d discriminator) on Fashion-MNIST for a few steps: it runs,
the losses stay finite, the generator's samples vary and the sample grid PNG is written."""

from __future__ import annotations

import os
import sys

import numpy as np
from conftest import require, require_dataset


def test_dcgan_example_runs_a_few_steps(tmp_path, monkeypatch):
    require("matplotlib")
    monkeypatch.syspath_prepend(os.path.join(os.path.dirname(__file__), "..", "examples"))
    sys.modules.pop("dcgan", None)
    import dcgan

    out = str(tmp_path / "grid.png")
    res = require_dataset(dcgan.main, ["--steps", "3", "--limit", "256", "--width", "8", "--out", out],
                          what="Fashion-MNIST (Debian dataset-fashion-mnist)")
    assert res["steps"] == 3
    assert all(np.isfinite(res[k]) for k in ("loss_d", "loss_g", "d_real", "d_fake"))
    assert res["sample_std"] > 1e-4  # 64 different samples, not a constant image (N(0, 0.02) init: small values)
    import matplotlib.image

    img = matplotlib.image.imread(out)
    assert img.shape[:2] == (8 * 30 + 2, 8 * 30 + 2)  # 8 x 8 tiles of 28 + 2 pixels and the border
