"""Real data, seconds long: logistic regression on breast_cancer and an MLP on digits (scikit-learn's bundled data)."""

import numpy as np
from conftest import require

import nnengine as ne
import nnengine.functional as F

datasets = require("sklearn.datasets")


def _split(x, y, frac, seed):
    idx = np.random.default_rng(seed).permutation(len(x))
    n = int(len(x) * frac)
    return x[idx[n:]], y[idx[n:]], x[idx[:n]], y[idx[:n]]


def _standardize(xtr, xte):
    mu, sd = xtr.mean(0), xtr.std(0) + 1e-8
    return ((xtr - mu) / sd).astype(np.float32), ((xte - mu) / sd).astype(np.float32)


def _train(model, xtr, ytr, epochs, lr, batch, momentum=0.9, weight_decay=0.0, nesterov=False, cosine=False):
    opt = ne.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov)
    rng = np.random.default_rng(0)
    for ep in range(epochs):
        if cosine:
            for group in opt.param_groups:
                group["lr"] = lr * 0.5 * (1 + np.cos(np.pi * ep / epochs))
        perm = rng.permutation(len(xtr))
        for i in range(0, len(xtr), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = F.cross_entropy(model(ne.tensor(xtr[idx])), ytr[idx])
            loss.backward()
            opt.step()
    return loss.item()


def _accuracy(model, x, y):
    model.eval()
    with ne.no_grad():
        return float((model(ne.tensor(x)).argmax(1).numpy() == y).mean())


def test_logistic_regression_breast_cancer():
    ne.manual_seed(0)
    x, y = datasets.load_breast_cancer(return_X_y=True)
    xtr, ytr, xte, yte = _split(x, y, 0.25, 0)
    xtr, xte = _standardize(xtr, xte)
    model = ne.models.LogisticRegression(x.shape[1], 2)
    _train(model, xtr, ytr, epochs=30, lr=0.05, batch=32, weight_decay=1e-3)
    acc = _accuracy(model, xte, yte)
    assert acc >= 0.95, acc


def test_mlp_digits():
    ne.manual_seed(0)
    x, y = datasets.load_digits(return_X_y=True)
    xtr, ytr, xte, yte = _split(x, y, 0.25, 0)
    xtr, xte = (xtr / 16.0).astype(np.float32), (xte / 16.0).astype(np.float32)
    model = ne.models.MLP([64, 256, 128, 10], activation="relu")
    _train(model, xtr, ytr, epochs=40, lr=0.05, batch=32, nesterov=True, weight_decay=1e-4, cosine=True)
    acc = _accuracy(model, xte, yte)
    assert acc >= 0.97, acc


def test_training_is_reproducible_and_thread_independent():
    x, y = datasets.load_digits(return_X_y=True)
    x = (x[:400] / 16.0).astype(np.float32)
    y = y[:400]
    results = []
    for threads in (1, 2, 1):
        with ne.backend.num_threads(threads):
            ne.manual_seed(3)
            model = ne.models.MLP([64, 32, 10], activation="tanh")
            _train(model, x, y, epochs=2, lr=0.1, batch=50)
            results.append(np.concatenate([p.data.ravel() for p in model.parameters()]))
    assert np.array_equal(results[0], results[1]) and np.array_equal(results[0], results[2])
