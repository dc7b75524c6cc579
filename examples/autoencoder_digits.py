"""Dense, denoising and convolutional autoencoders on the 8x8 digits against PCA at the same code size.

Run: python examples/autoencoder_digits.py [--out path.png]
Writes originals, PCA, dense, denoising and convolutional autoencoder reconstructions of held-out digits.
"""

import numpy as np
from _families import digits, parse_args, save_grid

import nnengine as ne
from nnengine.models import Autoencoder, ConvAutoencoder, DenoisingAutoencoder

args = parse_args("autoencoder_digits.png", __doc__)
epochs = args.epochs or 30
xtr, _, xte, _ = digits()
k = 8
mu = xtr.mean(0)
v = np.linalg.svd(xtr - mu, full_matrices=False)[2][:k].T
pca = (xte - mu) @ v @ v.T + mu
print(f"PCA({k}) held-out MSE {((pca - xte) ** 2).mean():.4f}")
rows = {"original": xte[:12], f"PCA {k}": np.clip(pca[:12], 0, 1)}
for cls in (Autoencoder, DenoisingAutoencoder):
    ne.manual_seed(args.seed)
    model = cls(64, code_size=k, hidden_sizes=(128,))
    model.fit(xtr, epochs=epochs)
    with ne.no_grad():
        rec = model(xte).data
    print(f"{cls.__name__}({k}) held-out MSE {((rec - xte) ** 2).mean():.4f}")
    rows[cls.__name__] = rec[:12]
ne.manual_seed(args.seed)
cae = ConvAutoencoder(1, (8, 8), code_size=k, channels=(16, 32))
cae.fit(xtr.reshape(-1, 1, 8, 8), epochs=args.epochs or 15, lr=5e-3, batch_size=32)
with ne.no_grad():
    rec = cae(xte.reshape(-1, 1, 8, 8)).data.reshape(len(xte), -1)
print(f"ConvAutoencoder({k}) held-out MSE {((rec - xte) ** 2).mean():.4f}")
rows["ConvAutoencoder"] = rec[:12]
save_grid(rows, args.out, title=f"code size {k}: held-out reconstructions")
