"""Deep belief network on the 8x8 digits: greedy RBM pre-training, unrolled into an MLP and fine-tuned,
against the same MLP from random init; writes first-layer filters and top-down samples.

Run: python examples/dbn_digits.py [--out path.png]
"""

import numpy as np
from _families import digits, parse_args, save_grid

import nnengine as ne
from nnengine.models import DBN

args = parse_args("dbn_digits.png", __doc__)
xtr, ytr, xte, yte = digits()
ne.manual_seed(args.seed)
dbn = DBN([64, 128, 64])
dbn.pretrain(xtr, epochs=args.epochs or 10, verbose=True)
for nl, epochs in ((100, 180), (len(xtr), 30)):
    acc = {}
    for pre in (True, False):
        ne.manual_seed(args.seed + 1)
        mlp = dbn.unroll(10, pretrained=pre)
        DBN.finetune(mlp, xtr[:nl], ytr[:nl], epochs=epochs)
        acc[pre] = DBN.accuracy(mlp, xte, yte)
    print(f"{nl} labels: held-out accuracy pretrained {acc[True]:.3f}, random init {acc[False]:.3f}")
w = dbn.rbms[0].weight.data[:12]
filters = (w - w.min(1, keepdims=True)) / np.ptp(w, axis=1, keepdims=True)
save_grid({"originals": xte[:12], "layer-1 recon": dbn.rbms[0].reconstruct(xte[:12]), "layer-1 filters": filters},
          args.out, title="DBN 64-128-64")
