"""Variational autoencoder on the 8x8 digits: ELBO per epoch, reconstructions and prior samples.

Run: python examples/vae_digits.py [--out path.png]
"""

from _families import digits, parse_args, save_grid

import nnengine as ne
from nnengine.models import VAE

args = parse_args("vae_digits.png", __doc__)
ne.manual_seed(args.seed)
xtr, _, xte, _ = digits()
vae = VAE(64, latent_size=4, hidden_sizes=(128,))
vae.fit(xtr, epochs=args.epochs or 40, verbose=True)
with ne.no_grad():
    _, stats = vae.loss(xte)
    rec = vae(xte[:12]).data
print(f"held-out ELBO {stats['elbo']:.2f} nats (recon {stats['recon']:.2f}, KL {stats['kl']:.2f})")
save_grid({"original": xte[:12], "reconstruction": rec, "samples": vae.sample(12).data,
           "more samples": vae.sample(12).data}, args.out, title="VAE, latent size 4")
