"""Online normalization + online forecasting on a 9-channel wearable stream (Daphnet S06R02E0: 3-axis
accelerometers at the ankle, thigh and trunk of a Parkinson's patient walking, ~64 Hz, 7,040 samples).

Run: python examples/iot_daphnet_forecast.py [--out path.png] [--seed S]

The stream arrives in chunks of 16 samples, as from a gateway. Nothing is known in advance:
1. ``RunningNorm`` (Welford/Chan, per channel) standardizes each chunk with the statistics of everything seen
   so far (the channels' raw scales differ: ~-1000..2000 mg).
2. An ``OnlineLearner`` trains an LSTM forecaster (hidden 64, 9 channels in and out, one step ahead) while
   the data flows: truncated BPTT over 32-sample windows, a replay buffer of 64 windows (4 replayed per
   update), test-then-train losses and a rolling-loss drift signal.
3. The first 80% of the stream is learned online; on the last 20% the frozen model forecasts, compared with
   the persistence baseline (next sample = this sample) in the same standardized units.
Data: the CSV inside the aeon wheel (pip install 'nnengine[iot]').
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _families import parse_args, pyplot, save_figure  # noqa: E402

import nnengine as ne  # noqa: E402
from nnengine.data import load_dataset  # noqa: E402
from nnengine.data.sensors import load_daphnet  # noqa: E402
from nnengine.stream import OnlineLearner, RecurrentModel, RunningNorm  # noqa: E402

CHUNK = 16


def run(seed: int = 0) -> dict:
    """Learn online on the first 80%, evaluate on the rest; returns figures and curves."""
    ne.manual_seed(seed)
    s = load_dataset("daphnet", test_fraction=0.2)
    stream = s.x_train[0].T  # (T, 9), arriving in chunks
    norm = RunningNorm(9)
    model = RecurrentModel(9, 64)
    learner = OnlineLearner(model, ne.optim.Adam(model.parameters(), lr=3e-3), bptt=32, replay_size=64,
                            replay_batch=4, drift_window=20, clip_grad_norm=1.0, seed=seed)
    z_all = []
    prev = None  # last sample of the previous chunk (its target arrives with this chunk)
    t0 = time.perf_counter()
    for k in range(0, len(stream), CHUNK):
        z = norm(stream[k : k + CHUNK])  # update the statistics, then standardize
        z_all.append(z)
        seq = z if prev is None else np.concatenate([prev, z])
        learner.partial_fit(seq[:-1], seq[1:])  # inputs and their next-sample targets
        prev = z[-1:]
    learn_s = time.perf_counter() - t0
    # frozen model on the held-out 20%, standardized with the final statistics, state carried over
    model.eval()
    test = norm.normalize(s.x_test[0].T)
    with ne.no_grad():
        state = tuple(ne.tensor(a) for a in learner.state)
        pred = model(ne.tensor(np.concatenate([prev, test[:-1]])[:, None]), state)[0].data[:, 0]
    mse = float(np.mean((pred - test) ** 2))
    persist = float(np.mean((np.concatenate([prev, test[:-1]]) - test) ** 2))
    return {"losses": learner.losses, "drift_ratio": learner.drift.ratio, "ratios": learner.drift_ratios,
            "threshold": learner.drift.threshold, "test_mse": mse, "persistence_mse": persist,
            "pred": pred, "test": test, "raw": stream, "z": np.concatenate(z_all), "mean": norm.mean, "var": norm.var,
            "learn_seconds": learn_s, "samples": len(stream), "channels": load_daphnet()[1]}


def main() -> None:
    args = parse_args("iot_daphnet_forecast.png", __doc__)
    r = run(seed=args.seed)
    print(f"Daphnet S06R02E0, 9 channels: {r['samples']} samples learned online in chunks of {CHUNK} in "
          f"{r['learn_seconds']:.1f} s ({r['samples'] / r['learn_seconds']:.0f} samples/s incl. training)")
    w = r["losses"]
    print(f"test-then-train MSE per 32-sample window: first 10 windows {np.mean(w[:10]):.3f}, last 10 "
          f"{np.mean(w[-10:]):.3f}; drift ratio at the end {r['drift_ratio']:.2f}")
    flagged = [i for i, q in enumerate(r["ratios"]) if q > r["threshold"]]
    if flagged:
        print(f"drift signal (rolling loss > {r['threshold']:.0f}x its best): first raised at window {flagged[0]} "
              f"(sample ~{32 * (flagged[0] + 1)}), peak ratio {max(r['ratios']):.1f}, raised for {len(flagged)} of "
              f"{len(w)} windows")
    else:
        print(f"drift signal never raised (peak ratio {max(r['ratios']):.2f})")
    print(f"held-out 20% ({len(r['test'])} samples), one step ahead, standardized units: LSTM MSE "
          f"{r['test_mse']:.4f} vs persistence {r['persistence_mse']:.4f} "
          f"({r['persistence_mse'] / r['test_mse']:.2f}x lower)")
    plt = pyplot()
    fig, ax = plt.subplots(2, 2, figsize=(13, 6.5))
    ax[0, 0].plot(r["raw"][:1000], lw=0.6)
    ax[0, 0].set(title="raw stream (first 1000 samples, 9 channels, mg)")
    ax[0, 1].plot(r["z"][:1000], lw=0.6)
    ax[0, 1].set(title="online-standardized (running Welford statistics)")
    ax[1, 0].plot(w, lw=0.8, label="window loss (test-then-train)")
    roll = np.convolve(w, np.ones(20) / 20, mode="valid")
    ax[1, 0].plot(np.arange(19, len(w)), roll, lw=1.5, label="rolling mean (20)")
    ax[1, 0].plot(r["ratios"], lw=1.0, color="tab:red", label="drift ratio (rolling / best)")
    ax[1, 0].set(title="online learning", xlabel="32-sample window", ylabel="MSE", yscale="log")
    ax[1, 0].legend()
    c = r["channels"].index("ankle_vert") if "ankle_vert" in r["channels"] else 0
    ax[1, 1].plot(r["test"][:300, c], lw=1.0, label="actual")
    ax[1, 1].plot(r["pred"][:300, c], lw=1.0, label="LSTM forecast (1 step)")
    ax[1, 1].set(title=f"held-out part, channel {r['channels'][c]}: MSE {r['test_mse']:.3f} "
                 f"(persistence {r['persistence_mse']:.3f})", xlabel="sample")
    ax[1, 1].legend()
    save_figure(fig, args.out, tight=True)


if __name__ == "__main__":
    main()
