"""Shared by the model-family examples: the digits data, an output path argument and an image grid."""

from __future__ import annotations

import argparse
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args(default_name: str, description: str) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--out", default=os.path.join(HERE, "out", default_name), help="PNG to write")
    ap.add_argument("--epochs", type=int, default=None, help="training epochs (default: the example's)")
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args()


def digits(test_size: int = 397):
    """scikit-learn's bundled 8x8 digits in [0, 1]: (x_train, y_train, x_test, y_test)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    p = np.random.default_rng(0).permutation(len(x))
    tr, te = p[:-test_size], p[-test_size:]
    return x[tr], d.target[tr], x[te], d.target[te]


def pyplot():
    """matplotlib.pyplot on the file-only Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str, tight: bool = False) -> None:
    """Write ``fig`` as a PNG (creating the folder), close it and say where it went."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if tight:
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    else:
        fig.savefig(path, dpi=100, bbox_inches="tight")
    pyplot().close(fig)
    print(f"wrote {path}")


def save_grid(rows: dict, path: str, shape=(8, 8), title: str = "") -> None:
    """One row of images per entry of ``rows`` ({label: (n, h*w) array}); writes a PNG."""
    plt = pyplot()

    n = max(len(v) for v in rows.values())
    fig, axes = plt.subplots(len(rows), n, figsize=(n * 0.8, len(rows) * 0.9), squeeze=False)
    for r, (label, imgs) in enumerate(rows.items()):
        for c in range(n):
            ax = axes[r][c]
            ax.axis("off")
            if c < len(imgs):
                ax.imshow(np.asarray(imgs[c]).reshape(shape), cmap="gray_r", vmin=0, vmax=1)
        axes[r][0].set_title(label, fontsize=8, loc="left")
    if title:
        fig.suptitle(title, fontsize=9)
    save_figure(fig, path)
