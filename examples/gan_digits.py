"""GAN on the 8x8 digits, scored by a logistic regression trained on real digits.

Run: python examples/gan_digits.py [--out path.png]
Score: mean max-probability of the classifier on 1000 samples, entropy of the predicted-class histogram
(divided by log 10, so 1 = perfectly even) and the number of classes holding more than 2% of the samples.
"""

import numpy as np
from _families import digits, parse_args, save_grid
from sklearn.linear_model import LogisticRegression

import nnengine as ne
from nnengine.models import GAN
from nnengine.models.gan import sample_score


def score(clf, s):
    return sample_score(clf.predict_proba(s))


args = parse_args("gan_digits.png", __doc__)
ne.manual_seed(args.seed)
xtr, ytr, _, _ = digits()
clf = LogisticRegression(max_iter=2000).fit(xtr, ytr)
gan = GAN(64, latent_size=16)
gan.fit(xtr, epochs=args.epochs or 150)
samples = gan.sample(1000).data
for name, s in (("real digits", xtr), ("GAN samples", samples)):
    conf, ent, covered = score(clf, s)
    print(f"{name}: mean max-prob {conf:.3f}, class entropy/log10 {ent:.3f}, classes covered {covered}")
order = np.argsort(clf.predict(samples[:200]), kind="stable")
save_grid({"real": xtr[:12], "samples": samples[:12], "sorted by class": samples[order[::16]][:12]}, args.out,
          title="GAN samples")
