"""Binary RBM (CD-1 and PCD-1) on the 8x8 digits: reconstruction error, features for a classifier,
reconstructions, Gibbs samples and learned filters.

Run: python examples/rbm_digits.py [--out path.png]
"""

import numpy as np
from _families import digits, parse_args, save_grid
from sklearn.linear_model import LogisticRegression

import nnengine as ne
from nnengine.models import RBM

args = parse_args("rbm_digits.png", __doc__)
xtr, ytr, xte, yte = digits()
rows = {"original": xte[:12]}
for persistent in (False, True):
    ne.manual_seed(args.seed)
    rbm = RBM(64, 64, persistent=persistent)
    hist = rbm.fit(xtr, epochs=args.epochs or 20, lr=0.02 if persistent else 0.05)
    name = "PCD-1" if persistent else "CD-1"
    print(f"{name}: reconstruction MSE per epoch {np.round(hist, 4).tolist()}")
    with ne.no_grad():
        ftr, fte = rbm(xtr).data, rbm(xte).data
    for nl in (200, len(xtr)):
        raw = LogisticRegression(max_iter=3000, C=10).fit(xtr[:nl], ytr[:nl]).score(xte, yte)
        feat = LogisticRegression(max_iter=3000, C=10).fit(ftr[:nl], ytr[:nl]).score(fte, yte)
        print(f"{name}: logistic regression on {nl} labels: raw pixels {raw:.3f}, RBM features {feat:.3f}")
    rows[f"{name} recon"] = rbm.reconstruct(xte[:12])
    rows[f"{name} Gibbs"] = rbm.gibbs_sample(12, steps=200, init=xte[12:24])
    w = rbm.weight.data[:12]
    rows[f"{name} filters"] = (w - w.min(1, keepdims=True)) / np.ptp(w, axis=1, keepdims=True)
save_grid(rows, args.out, title="RBM, 64 hidden units")
