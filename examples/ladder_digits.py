"""Ladder network (Gamma variant) on the 8x8 digits with 100 labels (10 per class) plus the unlabelled
training set, against the same network trained on the 100 labels alone.

Run: python examples/ladder_digits.py [--out path.png]
Writes test digits with the ladder's predictions (and the digits it gets wrong).
"""

import numpy as np
from _families import digits, parse_args, save_grid

import nnengine as ne
from nnengine.models import Ladder

args = parse_args("ladder_digits.png", __doc__)
xtr, ytr, xte, yte = digits()
lab = np.concatenate([np.flatnonzero(ytr == c)[:10] for c in range(10)])
acc = {}
for w, unlabelled in ((0.0, None), (1.0, xtr)):
    ne.manual_seed(args.seed)
    model = Ladder([64, 200, 100, 10], noise_std=0.3, denoising_weight=w)
    model.fit(xtr[lab], ytr[lab], unlabelled, epochs=args.epochs or 40)
    acc[w] = model.accuracy(xte, yte)
print(f"100 labels: ladder {acc[1.0]:.3f}, same network on the labels alone {acc[0.0]:.3f}")
with ne.no_grad():
    pred = model(xte).data.argmax(1)
wrong = np.flatnonzero(pred != yte)[:12]
save_grid({"test digits": xte[:12], "misclassified by the ladder": xte[wrong]}, args.out,
          title=f"ladder {acc[1.0]:.3f} vs supervised {acc[0.0]:.3f}; predicted on wrong: {pred[wrong].tolist()}")
