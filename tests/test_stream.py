"""nnengine.stream: many-stream runner (== whole sequence bit for bit), online normalization, online learning,
anomaly detection on planted anomalies, evaluation helpers and bad arguments."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
from nnengine import nn
from nnengine.stream import (
    DriftMonitor,
    ForecastDetector,
    OnlineLearner,
    RecurrentModel,
    RunningNorm,
    StreamRunner,
    adapt,
    detection_latency,
    roc_auc,
    ucr_hit,
)


class PlainCell(nn.Module):
    """A user-defined h -> h cell (not one of the built-in classes): the runner's generic per-step path."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        self.inner = nn.RNNCell(input_size, hidden_size)

    def forward(self, x, h=None):
        return self.inner(x, h)


def _cells():
    cells = {"lstm_cell": lambda: nn.LSTMCell(5, 17), "rnn_cell": lambda: nn.RNNCell(5, 17),
             "plain_cell": lambda: PlainCell(5, 17), "lstm_2layers": lambda: nn.LSTM(5, 17, num_layers=2),
             "rnn_module": lambda: nn.RNN(5, 17, nonlinearity="relu"),
             "rnn_dropout_eval": lambda: nn.RNN(5, 17, num_layers=2, dropout=0.3).eval(),
             "gru_cell": lambda: nn.GRUCell(5, 17), "gru_2layers": lambda: nn.GRU(5, 17, num_layers=2)}
    return cells


def _whole(model, x_tbi):
    """Every stream over its whole history in one call (time-major, batch = all streams)."""
    a = adapt(model)
    with ne.no_grad():
        y, _ = a.forward(ne.tensor(x_tbi), tuple(ne.tensor(s) for s in a.init_state(x_tbi.shape[1])))
    return y.data


@pytest.mark.parametrize("kind", sorted(_cells()))
def test_streaming_equals_whole_sequence_bit_for_bit(isa, rng, kind):
    ne.manual_seed(1)
    model = _cells()[kind]()
    T, B = 23, 9
    x = rng.standard_normal((T, B, 5)).astype(np.float32)
    ref = _whole(model, x)
    runner = StreamRunner(model)
    ids = [f"s{b}" for b in range(B)]
    outs, t = [], 0
    for n in (1, 1, 4, 1, 7, 1, 2, 6):  # single samples and chunks
        y = runner.step(ids, x[t : t + n].transpose(1, 0, 2) if n > 1 else x[t]).data
        outs.append(y.transpose(1, 0, 2) if n > 1 else y[None])
        t += n
    assert t == T
    np.testing.assert_array_equal(np.concatenate(outs), ref)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_recurrent_model_streams_like_offline(rng, cell):
    """RecurrentModel: the runner's direct kernel path gives the offline recurrent features bit for bit; the
    head (a GEMM over B rows per tick instead of T*B at once) agrees to rounding."""
    ne.manual_seed(8)
    m = RecurrentModel(4, 16, 3, num_layers=2, cell=cell).eval()
    x = rng.standard_normal((30, 6, 4)).astype(np.float32)
    with ne.no_grad():
        off, _ = m(ne.tensor(x))
        feats = m.rnn(ne.tensor(x))[0].data
    runner = StreamRunner(m)
    on = np.stack([runner.step(range(6), x[t]).data for t in range(30)])
    np.testing.assert_allclose(on, off.data, rtol=0, atol=1e-6)
    core = StreamRunner(m.rnn)
    np.testing.assert_array_equal(np.stack([core.step(range(6), x[t]).data for t in range(30)]), feats)


def test_one_vs_two_threads_and_large_batch(rng, threads):
    ne.manual_seed(2)
    cell = nn.LSTMCell(3, 8)
    x = rng.standard_normal((3, 10_000, 3)).astype(np.float32)
    res = []
    for n in (1, 2):
        with threads(n):
            runner = StreamRunner(cell, capacity=16)
            ids = np.arange(10_000)
            res.append(np.stack([runner.step(ids, x[t]).data for t in range(3)]))
    np.testing.assert_array_equal(res[0], res[1])
    np.testing.assert_array_equal(res[0], _whole(cell, x))
    assert len(runner) == 10_000 and runner._cap >= 10_000


@pytest.mark.parametrize("kind", ["lstm_cell", "rnn_cell", "lstm_2layers", "gru_cell"])
def test_batch_invariant_subsets(isa, rng, kind):
    """With batch_invariant=True each stream's outputs do not depend on which streams share its ticks."""
    ne.manual_seed(3)
    model = _cells()[kind]()
    T, B = 12, 21
    x = rng.standard_normal((T, B, 5)).astype(np.float32)
    mixed = StreamRunner(model, batch_invariant=True)
    pos = np.zeros(B, int)
    got = {b: [] for b in range(B)}
    while pos.min() < T:
        live = [b for b in range(B) if pos[b] < T and rng.random() < 0.6]
        if not live:
            continue
        y = mixed.step(live, np.stack([x[pos[b], b] for b in live])).data
        for k, b in enumerate(live):
            got[b].append(y[k])
            pos[b] += 1
    for b in (0, 7, 20):
        alone = StreamRunner(model, batch_invariant=True)
        ref = np.stack([alone.step([b], x[t, b][None]).data[0] for t in range(T)])
        np.testing.assert_array_equal(np.stack(got[b]), ref)
        np.testing.assert_allclose(ref, _whole(model, x)[:, b], rtol=0, atol=2e-6)


def test_reset_evict_and_state_access(rng):
    ne.manual_seed(4)
    cell = nn.LSTMCell(2, 4)
    runner = StreamRunner(cell, capacity=2, max_streams=3)
    x = rng.standard_normal((5, 2)).astype(np.float32)
    first = runner.step(["a"], x[:1]).data
    runner.step(["a", "b"], x[1:3])
    runner.reset(["a"])
    np.testing.assert_array_equal(runner.step(["a"], x[:1]).data, first)  # restarted from zero
    h, c = runner.get_state("b")
    assert h.shape == (4,) and c.shape == (4,)
    runner.evict(["a", "a"])
    assert "a" not in runner and len(runner) == 1
    runner.step(["c", "d"], x[:2])  # 'a''s slot is recycled; 3 streams active
    with pytest.raises(ValueError, match="max_streams=3"):
        runner.step(["e"], x[:1])
    with pytest.raises(KeyError, match="unknown stream ids"):
        runner.evict(["zz"])
    runner.set_state("b", (np.ones(4), np.zeros(4)))
    np.testing.assert_array_equal(runner.get_state("b")[0], np.ones(4, np.float32))
    runner.reset()
    assert all(not p.any() for p in runner._pools)


def test_runner_bad_arguments():
    runner = StreamRunner(nn.RNNCell(3, 4))
    with pytest.raises(ValueError, match=r"x: expected \(B, 3\) or \(B, T, 3\)"):
        runner.step([1], np.zeros((1, 4)))
    with pytest.raises(ValueError, match="expected 2 rows"):
        runner.step([1, 2], np.zeros((1, 3)))
    with pytest.raises(ValueError, match="appears twice"):
        runner.step([1, 1], np.zeros((2, 3)))
    with pytest.raises(ValueError, match="at least one time step"):
        runner.step([1], np.zeros((1, 0, 3)))
    with pytest.raises(TypeError, match="stream_ids"):
        runner.step(5, np.zeros((1, 3)))
    with pytest.raises(ValueError, match="bidirectional"):
        StreamRunner(nn.LSTM(3, 4, bidirectional=True))
    with pytest.raises(TypeError, match="nn.Module"):
        StreamRunner(lambda x: x)
    with pytest.raises(TypeError, match="not a recurrent cell"):
        StreamRunner(nn.Linear(3, 4))
    with pytest.raises(ValueError, match="capacity"):
        StreamRunner(nn.RNNCell(3, 4), capacity=0)
    with pytest.raises(ValueError, match="state: expected shape"):
        runner.set_state(1, (np.zeros(5),))
    assert runner.step([], np.zeros((0, 3))).shape == (0, 4)


# ----------------------------------------------------------------------------- normalization
def test_running_norm_matches_numpy(rng):
    x = rng.standard_normal((1000, 4)) * [1, 10, 100, 0.5] + [5, -3, 1e4, 0]
    norm = RunningNorm(4)
    for part in np.array_split(x, 7):
        norm.update(part)
    np.testing.assert_allclose(norm.mean, x.mean(0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(norm.var, x.var(0), rtol=1e-10)
    z = norm.normalize(x)
    assert z.dtype == np.float32 and np.abs(z.mean(0)).max() < 1e-4 and np.abs(z.std(0) - 1).max() < 1e-3
    np.testing.assert_allclose(norm.denormalize(z), x, rtol=1e-5, atol=1e-2)
    other = RunningNorm(4)
    other.load_state_dict(norm.state_dict())
    np.testing.assert_array_equal(other.mean, norm.mean)
    with pytest.raises(ValueError, match="4 channels"):
        norm.update(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="num_channels"):
        RunningNorm(0)


def test_per_stream_online_normalization(rng):
    runner = StreamRunner(nn.RNNCell(3, 4), normalize=True)
    x = (rng.standard_normal((40, 2, 3)) * [2, 5, 0.1] + [1, -4, 7]).astype(np.float32)
    runner.step(["u", "v"], x[:10].transpose(1, 0, 2))  # a chunk ...
    for t in range(10, 40):  # ... then samples
        runner.step(["u", "v"], x[t])
    for k, sid in enumerate(["u", "v"]):
        n, mean, var = runner.norm_stats(sid)
        assert n == 40
        np.testing.assert_allclose(mean, x[:, k].astype(np.float64).mean(0), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(var, x[:, k].astype(np.float64).var(0), rtol=1e-10)
    last = runner.last_input[0]
    np.testing.assert_allclose(last, (x[-1] - x.mean(0)) / np.sqrt(x.var(0) + 1e-5), rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- online learning
def _sine(n, period=25.0, amp=1.0, seed=0):
    t = np.arange(n)
    r = np.random.default_rng(seed)
    return (amp * np.sin(2 * np.pi * t / period) + 0.05 * r.standard_normal(n)).astype(np.float32)[:, None]


def test_online_learning_lowers_the_loss_and_flags_drift():
    ne.manual_seed(5)
    model = RecurrentModel(1, 16)
    learner = OnlineLearner(model, ne.optim.Adam(model.parameters(), lr=1e-2), bptt=16, replay_size=32,
                            replay_batch=4, drift_window=10, drift_threshold=3.0)
    s = _sine(2401)
    for k in range(0, 2400, 40):  # data arrives in chunks of 40 samples
        learner.partial_fit(s[k : k + 40], s[k + 1 : k + 41])
    w = learner.losses
    assert len(w) == 150
    first, last = np.mean(w[:10]), np.mean(w[-10:])
    assert last < 0.2 * first, (first, last)
    assert not learner.drift.drifted
    shifted = _sine(321, period=7.0, amp=3.0, seed=1)  # the sensor changes behaviour
    for k in range(0, 320, 40):
        learner.partial_fit(shifted[k : k + 40], shifted[k + 1 : k + 41])
    assert learner.drift.drifted and learner.drift.ratio > 3.0


def test_online_learner_classification_targets_and_errors():
    ne.manual_seed(6)
    model = RecurrentModel(2, 8, 3)
    learner = OnlineLearner(model, ne.optim.SGD(model.parameters(), lr=0.1), loss_fn=nn.CrossEntropyLoss(), bptt=4,
                            clip_grad_norm=1.0)
    assert learner.partial_fit(np.zeros((3, 2)), np.zeros(3, np.int64)) is None  # not a full window yet
    assert isinstance(learner.partial_fit(np.ones((5, 2)), np.ones(5, np.int64)), float)
    with pytest.raises(ValueError, match="y: expected 2 targets"):
        learner.partial_fit(np.zeros((2, 2)), np.zeros(3, np.int64))
    with pytest.raises(ValueError, match="x: expected"):
        learner.partial_fit(np.zeros((2, 3)), np.zeros(2, np.int64))
    with pytest.raises(ValueError, match="bptt"):
        OnlineLearner(model, None, bptt=0)
    d = DriftMonitor(window=3, threshold=2.0)
    for v in [1, 1, 1, 5, 5, 5]:
        d.update(v)
    assert d.drifted and d.ratio == pytest.approx(5.0)


# ----------------------------------------------------------------------------- anomaly detection
def test_detector_finds_planted_anomalies():
    ne.manual_seed(7)
    model = RecurrentModel(1, 16)
    opt = ne.optim.Adam(model.parameters(), lr=1e-2)
    train = _sine(1501, seed=2)
    x, y = ne.tensor(train[:-1, None]), ne.tensor(train[1:, None])
    for _ in range(120):  # offline training on normal data
        loss = ne.functional.mse_loss(model(x)[0], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    det = ForecastDetector(model, smooth=3, cooldown=20, warmup=50)
    thr = det.calibrate(_sine(1000, seed=3), quantile=1.0, margin=1.5)
    assert thr > 0
    test = _sine(3000, seed=4)
    planted = {800: ("spike", 1), 1600: ("level shift", 40), 2400: ("frozen sensor", 60)}
    test[800] += 2.5
    test[1600:1640] += 1.2
    test[2400:2460] = test[2400]
    labels = np.zeros(len(test), int)
    for s0, (_, n) in planted.items():
        labels[s0 : s0 + n] = 1
    # two streams interleaved: the anomalous one and a clean one
    clean = _sine(3000, seed=5)
    scores = np.stack([det.update(["anom", "clean"], np.stack([test[t], clean[t]]))[None] for t in range(3000)])[:, 0]
    events = det.events + det.open_events()
    anom = [e for e in events if e.stream_id == "anom"]
    assert not [e for e in events if e.stream_id == "clean"], events  # no false alarm on the clean stream
    for s0, (what, n) in planted.items():
        lat = detection_latency(anom, (s0, s0 + n), tolerance=0)
        assert lat is not None and 0 <= lat <= 10, (what, lat, anom)
    assert len(anom) <= len(planted) + 2 and all(e.start >= 50 for e in anom), anom  # nothing during warm-up
    assert roc_auc(scores[50:, 0], labels[50:]) > 0.8
    assert roc_auc(scores[50:, 0], labels[50:]) > roc_auc(scores[50:, 1], labels[50:])


def test_evaluation_helpers():
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)
    assert roc_auc([1, 1, 1, 1], [0, 1, 0, 1]) == pytest.approx(0.5)  # ties count half
    with pytest.raises(ValueError, match="both normal"):
        roc_auc([1, 2], [0, 0])
    s = np.zeros(1000)
    s[520] = 1
    assert ucr_hit(s, (600, 610)) == (True, 520) and ucr_hit(s, (700, 710)) == (False, 520)
    with pytest.raises(ValueError, match="forecaster must output"):
        ForecastDetector(RecurrentModel(2, 4, 3))


def test_detector_many_streams_flags_the_right_ids(rng):
    """500 streams in one batched detector: the three with a planted spike, and only they, raise events."""
    ne.manual_seed(9)
    det = ForecastDetector(RecurrentModel(2, 8).eval(), smooth=1, cooldown=3, warmup=5)
    det.calibrate(rng.standard_normal((400, 2)).astype(np.float32), quantile=1.0, margin=4.0)  # 500 x 65 noisy samples: room above the calibration max
    ids = [f"meter-{i}" for i in range(500)]
    bad = {"meter-17": 30, "meter-256": 41, "meter-499": 55}
    for t in range(70):
        x = rng.standard_normal((500, 2)).astype(np.float32)
        for sid, at in bad.items():
            if t == at:
                x[ids.index(sid)] += 40.0
        det.update(ids, x)
    events = det.events + det.open_events()
    assert {e.stream_id for e in events} == set(bad)
    assert all(e.start == bad[e.stream_id] for e in events)


def test_recurrent_model_and_running_norm_save_load(tmp_path, rng):
    ne.manual_seed(10)
    m = RecurrentModel(3, 8, 2, cell="gru").eval()
    norm = RunningNorm(3).update(rng.standard_normal((50, 3)))
    ne.save({"model": m.state_dict(), "norm": norm.state_dict()}, str(tmp_path / "m.nne"))
    blob = ne.load(str(tmp_path / "m.nne"))
    m2 = RecurrentModel(3, 8, 2, cell="gru").eval()
    m2.load_state_dict(blob["model"])
    n2 = RunningNorm(3)
    n2.load_state_dict(blob["norm"])
    x = rng.standard_normal((5, 2, 3)).astype(np.float32)
    with ne.no_grad():
        np.testing.assert_array_equal(m(ne.tensor(x))[0].data, m2(ne.tensor(x))[0].data)
    np.testing.assert_array_equal(n2.normalize(x), norm.normalize(x))
    assert n2.count == 50
