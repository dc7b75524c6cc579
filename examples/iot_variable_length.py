"""Variable-length sensor recordings: who spoke (JapaneseVowels: 12 LPC cepstrum channels per 10 ms frame, 7-29
frames per utterance, 9 speakers) and which gesture a Wii remote made (PickupGestureWiimoteZ: z-acceleration,
29-361 samples, 10 gestures), trained offline on packed sequences and then run online, each recording a stream
that ends when its recording does.

Run: python examples/iot_variable_length.py [--out path.png] [--epochs N] [--seed S]

1. The recordings come zero-padded to one length with each one's true length (``load_dataset(...).lengths_*``).
   A GRU reads them through ``nn.utils.rnn.pack_padded_sequence(..., enforce_sorted=False)``, so padding never
   enters the state, and a linear head classifies the final hidden state ``h_n``. Channels are standardized with
   the training set's statistics over real (unpadded) samples only. Adam, mini-batches of 16, gradient clipping.
2. The test recordings become concurrent streams in a ``StreamRunner``: each tick advances only the streams
   whose recording still has a sample, so every stream stops at its own length; its decision is the head on
   its state at that moment. The streamed decisions match the packed offline ones.
Data: the .ts files inside the aeon wheel (pip install 'nnengine[iot]').
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _families import parse_args, pyplot, save_figure  # noqa: E402

import nnengine as ne  # noqa: E402
import nnengine.functional as F  # noqa: E402
from nnengine import nn  # noqa: E402
from nnengine.data import load_dataset  # noqa: E402
from nnengine.nn.utils.rnn import pack_padded_sequence  # noqa: E402
from nnengine.stream import StreamRunner  # noqa: E402

# per set: epochs, hidden size, learning rate
RECIPES = {"japanese_vowels": (40, 64, 5e-3), "pickup_gesture_wiimote_z": (100, 32, 5e-3)}
BATCH = 16


class Classifier(nn.Module):
    """GRU over a packed batch, linear head on the last layer's final state."""

    def __init__(self, channels: int, hidden: int, classes: int) -> None:
        super().__init__()
        self.gru = nn.GRU(channels, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x: ne.Tensor, lengths: np.ndarray) -> ne.Tensor:
        _, h = self.gru(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
        return self.head(h[-1])


def standardize(x: np.ndarray, lengths: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """(N, C, T) -> (N, T, C) standardized, padding kept at 0."""
    out = ((x - mean[None, :, None]) / std[None, :, None]).transpose(0, 2, 1)
    out[np.arange(x.shape[2])[None, :] >= lengths[:, None]] = 0.0
    return np.ascontiguousarray(out, dtype=np.float32)


def train_and_evaluate(name: str = "japanese_vowels", seed: int = 0, epochs: int | None = None) -> dict:
    """Train on the training recordings, evaluate packed offline and streamed; returns the figures."""
    default_epochs, hidden, lr = RECIPES[name]
    epochs = epochs or default_epochs
    ne.manual_seed(seed)
    s = load_dataset(name)
    ltr, lte = s.lengths_train, s.lengths_test
    real = np.concatenate([s.x_train[i, :, :n] for i, n in enumerate(ltr)], axis=1)  # (C, all real samples)
    mean, std = real.mean(1), real.std(1) + 1e-6
    xtr, xte = standardize(s.x_train, ltr, mean, std), standardize(s.x_test, lte, mean, std)
    model = Classifier(xtr.shape[2], hidden, s.num_classes)
    opt = ne.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    losses = []
    t0 = time.perf_counter()
    for _ in range(epochs):
        for idx in np.array_split(rng.permutation(len(s.y_train)), max(1, len(s.y_train) // BATCH)):
            loss = F.cross_entropy(model(ne.tensor(xtr[idx]), ltr[idx]), s.y_train[idx])
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            losses.append(loss.item())
    train_s = time.perf_counter() - t0
    model.eval()
    with ne.no_grad():
        offline = model(ne.tensor(xte), lte).data
        runner = StreamRunner(model.gru)  # every test recording is a stream; it stops at its own length
        ids = np.arange(len(lte))
        streamed = np.zeros_like(offline)
        t0 = time.perf_counter()
        for t in range(int(lte.max())):
            live = ids[lte > t]
            h = runner.step(live.tolist(), xte[live, t])
            done = live[lte[live] == t + 1]  # recordings whose last sample this was
            if done.size:
                streamed[done] = model.head(ne.tensor(np.asarray(h.data)[lte[live] == t + 1])).data
        stream_s = time.perf_counter() - t0
    pred_off, pred_str = offline.argmax(1), streamed.argmax(1)
    return {"name": name, "test_accuracy": float((pred_off == s.y_test).mean()),
            "stream_accuracy": float((pred_str == s.y_test).mean()), "same_decisions": bool((pred_off == pred_str).all()),
            "max_logit_diff": float(np.abs(offline - streamed).max()), "losses": losses, "train_seconds": train_s,
            "stream_ms": 1e3 * stream_s, "epochs": epochs, "lengths": (int(lte.min()), int(lte.max())),
            "n_test": len(lte)}


def main() -> None:
    args = parse_args("iot_variable_length.png", __doc__)
    results = [train_and_evaluate(name, seed=args.seed, epochs=args.epochs) for name in RECIPES]
    for r in results:
        print(f"{r['name']}: GRU on packed sequences, {r['epochs']} epochs in {r['train_seconds']:.1f} s: test accuracy "
              f"{r['test_accuracy']:.3f} ({r['n_test']} recordings of {r['lengths'][0]}-{r['lengths'][1]} samples); "
              f"streamed {r['stream_accuracy']:.3f}, same decisions {r['same_decisions']} (logits within "
              f"{r['max_logit_diff']:.1e}), {r['stream_ms']:.0f} ms for the whole test set")
    plt = pyplot()
    fig, ax = plt.subplots(1, len(results), figsize=(11, 3.4))
    for a, r in zip(ax, results):
        a.plot(r["losses"])
        a.set(title=f"{r['name']} (test acc {r['test_accuracy']:.3f})", xlabel="step (mini-batch of 16)",
              ylabel="cross-entropy", yscale="log")
    save_figure(fig, args.out, tight=True)


if __name__ == "__main__":
    main()
