"""DCGAN (Radford et al. 2015; the layout of pytorch/examples dcgan, sized for 28x28) on Fashion-MNIST, writing
a grid of generated samples as a PNG.

    python examples/dcgan.py                       # 1 epoch on 12,000 images (a few minutes on 2 cores)
    python examples/dcgan.py --epochs 5 --limit 0  # the whole 60,000-image training set

Generator: z (nz, 1, 1) -> ConvTranspose2d 7x7 -> BN -> ReLU -> (4g, 7, 7) -> ConvTranspose2d 4x4/2 -> BN -> ReLU
-> (2g, 14, 14) -> ConvTranspose2d 4x4/2 -> Tanh -> (1, 28, 28). Discriminator: the mirror image with strided
Conv2d + LeakyReLU(0.2), one logit. Adam(2e-4, betas (0.5, 0.999)), weights N(0, 0.02) as in the paper.
The data come from nnengine.data (Debian's dataset-fashion-mnist package).
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Dict, List, Optional

import numpy as np

import nnengine as ne
import nnengine.functional as F
from nnengine import nn
from nnengine.data import load_dataset

HERE = os.path.dirname(os.path.abspath(__file__))


def generator(nz: int, g: int) -> nn.Sequential:
    return nn.Sequential(
        nn.ConvTranspose2d(nz, 4 * g, 7, 1, 0, bias=False), nn.BatchNorm2d(4 * g), nn.ReLU(),
        nn.ConvTranspose2d(4 * g, 2 * g, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * g), nn.ReLU(),
        nn.ConvTranspose2d(2 * g, 1, 4, 2, 1, bias=False), nn.Tanh(),
    )


def discriminator(d: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, d, 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
        nn.Conv2d(d, 2 * d, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * d), nn.LeakyReLU(0.2),
        nn.Conv2d(2 * d, 1, 7, 1, 0, bias=False), nn.Flatten(),
    )


def dcgan_init(m: nn.Module) -> None:
    """The paper's init: conv weights N(0, 0.02), batch-norm scales N(1, 0.02) and shifts 0."""
    for mod in m.modules():
        if isinstance(mod, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(mod.weight, 0.0, 0.02)
        elif isinstance(mod, nn.BatchNorm2d):
            nn.init.normal_(mod.weight, 1.0, 0.02)
            nn.init.zeros_(mod.bias)


def save_grid(images: np.ndarray, path: str, cols: int = 8) -> None:
    """Tile (n, 1, 28, 28) images in [-1, 1] into one grayscale PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(images)
    rows = (n + cols - 1) // cols
    h, w = images.shape[2:]
    grid = np.ones((rows * (h + 2) + 2, cols * (w + 2) + 2), np.float32)
    for i, im in enumerate(images):
        r, c = divmod(i, cols)
        grid[2 + r * (h + 2): 2 + r * (h + 2) + h, 2 + c * (w + 2): 2 + c * (w + 2) + w] = (im[0] + 1) / 2
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    plt.imsave(path, np.clip(grid, 0, 1), cmap="gray", vmin=0, vmax=1)
    print(f"wrote {path}")


def main(argv: Optional[List[str]] = None) -> Dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--limit", type=int, default=12000, help="training images used (0: all 60,000)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--nz", type=int, default=100, help="latent size")
    ap.add_argument("--width", type=int, default=32, help="channel width g of both networks (the paper: 64)")
    ap.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: run the epochs)")
    ap.add_argument("--out", default=os.path.join(HERE, "out", "dcgan_fashion_mnist.png"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    ne.manual_seed(args.seed)
    x = load_dataset("fashion_mnist", limit=args.limit or None).x_train * 2 - 1  # (N, 1, 28, 28) in [-1, 1]
    G, D = generator(args.nz, args.width), discriminator(args.width)
    dcgan_init(G)
    dcgan_init(D)
    opt_g = ne.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = ne.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    rng = np.random.default_rng(args.seed)
    fixed = ne.randn(64, args.nz, 1, 1)
    ones, zeros = np.ones((args.batch, 1), np.float32), np.zeros((args.batch, 1), np.float32)
    step, t0 = 0, time.perf_counter()
    loss_d = loss_g = float("nan")
    d_real = d_fake = float("nan")
    for epoch in range(args.epochs):
        order = rng.permutation(len(x))
        for i in range(0, len(x) - args.batch + 1, args.batch):
            real = ne.tensor(x[order[i:i + args.batch]])
            fake = G(ne.randn(args.batch, args.nz, 1, 1))
            # discriminator: real -> 1, fake -> 0 (the generator's graph is cut with detach)
            out_real, out_fake = D(real), D(fake.detach())
            ld = F.binary_cross_entropy_with_logits(out_real, ones) + F.binary_cross_entropy_with_logits(out_fake, zeros)
            opt_d.zero_grad()
            ld.backward()
            opt_d.step()
            # generator: make D call the fakes real
            lg = F.binary_cross_entropy_with_logits(D(fake), ones)
            opt_g.zero_grad()
            lg.backward()
            opt_g.step()
            loss_d, loss_g = float(ld.item()), float(lg.item())
            d_real = float(F.sigmoid(out_real).numpy().mean())
            d_fake = float(F.sigmoid(out_fake).numpy().mean())
            step += 1
            if step % 50 == 0:
                print(f"epoch {epoch + 1} step {step}: loss D {loss_d:.3f}  loss G {loss_g:.3f}  "
                      f"D(real) {d_real:.2f}  D(fake) {d_fake:.2f}  ({time.perf_counter() - t0:.0f} s)", flush=True)
            if args.steps and step >= args.steps:
                break
        if args.steps and step >= args.steps:
            break
    G.eval()
    with ne.no_grad():
        samples = G(fixed).numpy()
    save_grid(samples, args.out)
    secs = time.perf_counter() - t0
    print(f"{step} steps in {secs:.1f} s ({step * args.batch / secs:.0f} images/s)")
    return {"loss_d": loss_d, "loss_g": loss_g, "d_real": d_real, "d_fake": d_fake, "steps": step,
            "sample_std": float(samples.std())}


if __name__ == "__main__":
    main()
