"""fit / evaluate / predict, History and its plot, callbacks, scheduler stepping, exact resume via fit."""

from __future__ import annotations

import copy
import logging

import numpy as np
import pytest
from conftest import require

import nnengine as ne
from nnengine import io, nn, optim
from nnengine import models as M
from nnengine.data import DataLoader, TensorDataset
from nnengine.train import (
    BackupAndRestore,
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    TerminateOnNaN,
    evaluate,
    fit,
    predict,
)


@pytest.fixture(scope="module")
def digits():
    require("sklearn")
    from nnengine.data import load_dataset

    s = load_dataset("digits", limit=600)
    return s.x_train.reshape(len(s.x_train), -1), s.y_train, s.x_test.reshape(len(s.x_test), -1), s.y_test


def _setup(seed=0, lr=0.1):
    ne.manual_seed(seed)
    model = M.MLP([64, 32, 10])
    return model, optim.SGD(model.parameters(), lr=lr, momentum=0.9)


def test_fit_learns_digits_and_evaluate_predict_agree(digits):
    x, y, xv, yv = digits
    model, opt = _setup()
    hist = fit(model, nn.CrossEntropyLoss(), opt, (x, y), validation=(xv, yv), epochs=4, batch_size=32,
               verbose=0)
    h = hist.history
    assert set(h) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert all(len(v) == 4 for v in h.values()) and hist.epoch == [0, 1, 2, 3]
    assert h["loss"][-1] < h["loss"][0] and h["val_accuracy"][-1] > 0.85
    res = evaluate(model, nn.CrossEntropyLoss(), (xv, yv))
    assert res["accuracy"] == pytest.approx(h["val_accuracy"][-1]) and res["loss"] == pytest.approx(h["val_loss"][-1])
    out = predict(model, xv)
    assert out.shape == (len(xv), 10)
    assert np.mean(out.argmax(1) == yv) == pytest.approx(res["accuracy"])
    assert model.training  # evaluate/predict restore the mode


def test_fit_accepts_loader_and_names(digits, capsys):
    x, y, _, _ = digits
    model, opt = _setup()
    loader = DataLoader(TensorDataset(x, y), batch_size=50, shuffle=True, seed=1)
    hist = fit(model, "cross_entropy", opt, loader, epochs=2, metrics=("accuracy", "mse"[:0] or "accuracy"),
               verbose=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("epoch 1/2") and "accuracy" in lines[0]
    assert len(hist.history["loss"]) == 2
    fit(model, "cross_entropy", opt, loader, epochs=1, verbose=1)  # not a terminal: one line per epoch
    assert capsys.readouterr().out.startswith("epoch 1/1 - ")
    fit(model, "cross_entropy", opt, loader, epochs=1, verbose=0)
    assert capsys.readouterr().out == ""


def test_custom_metric_and_regression():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)
    ne.manual_seed(0)
    model = nn.Linear(3, 1)

    def max_err(pred, t):
        return float(np.max(np.abs(pred - t)))

    hist = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), (x, y), epochs=30,
               metrics=("mae", max_err), batch_size=16, verbose=0)
    assert hist.history["mae"][-1] < 0.05 and hist.history["max_err"][-1] < 0.2


def test_early_stopping_restores_best(digits):
    x, y, xv, yv = digits

    class Spoil(Callback):  # makes validation worse after epoch 1 by blowing up the lr
        def on_epoch_end(self, epoch, logs):
            if epoch == 0:
                self.trainer.optimizer.param_groups[0]["lr"] = 50.0

    model, opt = _setup()
    es = EarlyStopping("val_loss", patience=1, restore_best_weights=True)
    best = {}

    class Keep(Callback):
        def on_epoch_end(self, epoch, logs):
            if epoch == 0:
                best.update(copy.deepcopy(self.trainer.model.state_dict()))  # torch: values share memory

    hist = fit(model, nn.CrossEntropyLoss(), opt, (x, y), validation=(xv, yv), epochs=20, verbose=0,
               callbacks=[Keep(), Spoil(), es])
    assert len(hist.history["loss"]) < 20 and es.stopped_epoch is not None
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, best[k])


def test_model_checkpoint_and_terminate_on_nan(digits, tmp_path, caplog):
    x, y, xv, yv = digits
    model, opt = _setup()
    ck = ModelCheckpoint(str(tmp_path / "best-{epoch}.safetensors"), monitor="val_accuracy", save_best_only=True)
    fit(model, nn.CrossEntropyLoss(), opt, (x, y), validation=(xv, yv), epochs=2, verbose=0, callbacks=[ck])
    assert ck.last_saved is not None
    back = io.load_model(ck.last_saved)
    assert evaluate(back, nn.CrossEntropyLoss(), (xv, yv))["accuracy"] == pytest.approx(ck.best)

    model, opt = _setup(lr=1e30)
    x_big = x * 1e30
    with caplog.at_level(logging.WARNING, logger="nnengine.train.callbacks"):
        hist = fit(model, nn.CrossEntropyLoss(), opt, (x_big, y), epochs=5, verbose=0, callbacks=[TerminateOnNaN()],
                   batch_size=600)
    assert len(hist.history["loss"]) < 5 and not np.isfinite(hist.history["loss"][-1])
    assert "invalid loss" in caplog.text and "terminating training" in caplog.text


def test_callback_monitor_missing_warns(digits):
    x, y, _, _ = digits
    model, opt = _setup()
    es = EarlyStopping("val_loss", patience=1)
    with pytest.warns(UserWarning, match="'val_loss' is not in the logs"):
        fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=1, verbose=0, callbacks=[es])


def test_lr_scheduler_callback_and_scheduler_stepping(digits):
    x, y, xv, yv = digits
    model, opt = _setup()
    hist = fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=3, verbose=0,
               callbacks=[LearningRateScheduler(lambda e, lr: 0.1 / (e + 1))])
    assert hist.history["lr"] == pytest.approx([0.1, 0.05, 0.1 / 3])

    class ReduceLROnPlateau:  # same name as optim.lr_scheduler's: fit passes the monitored value
        def __init__(self):
            self.seen = []

        def step(self, value=None):
            self.seen.append(value)

    class Plain:
        def __init__(self):
            self.calls = 0

        def step(self):
            self.calls += 1

    plateau, plain = ReduceLROnPlateau(), Plain()
    fit(model, nn.CrossEntropyLoss(), opt, (x, y), validation=(xv, yv), epochs=2, verbose=0, scheduler=plateau)
    fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=3, verbose=0, scheduler=plain)
    assert len(plateau.seen) == 2 and all(isinstance(v, float) for v in plateau.seen) and plain.calls == 3
    sched_mod = getattr(optim, "lr_scheduler", None)
    if sched_mod is not None and hasattr(sched_mod, "StepLR"):
        opt2 = optim.SGD(model.parameters(), lr=0.1)
        hist = fit(model, nn.CrossEntropyLoss(), opt2, (x, y), epochs=3, verbose=0,
                   scheduler=sched_mod.StepLR(opt2, step_size=1, gamma=0.5))
        assert hist.history["lr"] == pytest.approx([0.1, 0.05, 0.025])


def test_fit_resume_equals_uninterrupted(digits, tmp_path):
    x, y, xv, yv = digits
    x, y = x[:200], y[:200]

    def run(epochs, callbacks):
        model, opt = _setup(seed=3)
        hist = fit(model, nn.CrossEntropyLoss(), opt, (x, y), validation=(xv, yv), epochs=epochs, verbose=0,
                   batch_size=16, callbacks=callbacks)
        return model, hist

    ref_model, ref_hist = run(4, [])

    class Crash(Callback):
        def on_epoch_end(self, epoch, logs):
            if epoch == 1:
                raise KeyboardInterrupt("simulated interruption")

    path = str(tmp_path / "run.ckpt")
    with pytest.raises(KeyboardInterrupt):
        run(4, [BackupAndRestore(path), Crash()])
    ne.manual_seed(12345)  # the restart begins from a different RNG state; the checkpoint restores it
    model, hist = run(4, [BackupAndRestore(path)])
    assert hist.history == ref_hist.history
    sd_ref, sd = ref_model.state_dict(), model.state_dict()
    assert list(sd_ref) == list(sd)
    for k, a in sd_ref.items():
        np.testing.assert_array_equal(a, sd[k], err_msg=k)


def test_history_plot_png(digits, tmp_path):
    require("matplotlib")
    x, y, xv, yv = digits
    model, opt = _setup()
    hist = fit(model, nn.CrossEntropyLoss(), opt, (x[:100], y[:100]), validation=(xv, yv), epochs=2, verbose=0)
    p = tmp_path / "curves.png"
    hist.plot(str(p))
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [f.name for f in tmp_path.iterdir()] == ["curves.png"]


def test_bad_inputs(digits):
    x, y, _, _ = digits
    model, opt = _setup()
    with pytest.raises(TypeError, match="train"):
        fit(model, nn.CrossEntropyLoss(), opt, 42)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, nn.CrossEntropyLoss(), opt, (x, y), epochs=-1)
    with pytest.raises(ValueError, match="unknown metric"):
        fit(model, nn.CrossEntropyLoss(), opt, (x, y), metrics=("f7",))
    with pytest.raises(ValueError, match="unknown loss"):
        fit(model, "hinge", opt, (x, y))
    with pytest.raises(TypeError, match="callbacks"):
        fit(model, nn.CrossEntropyLoss(), opt, (x, y), callbacks=[print])


def test_fit_with_a_custom_step():
    """``step=`` replaces the default update: it gets the batch tensors and its dict entries are logged,
    averaged over the epoch weighted by batch size; without a loss there is nothing to validate with."""
    from nnengine.train import fit

    x = np.arange(10, dtype=np.float32).reshape(10, 1)
    seen = []

    def step(xb):
        seen.append(xb.shape[0])
        return {"loss": float(xb.data.sum()), "rows": float(len(xb))}

    model = nn.Linear(1, 1)
    hist = fit(model, None, None, (x,), epochs=2, batch_size=4, step=step, verbose=0)
    assert seen == [4, 4, 2, 4, 4, 2]
    # batches of 4, 4, 2 rows: the batch-size-weighted mean of "rows" is (16 + 16 + 4) / 10
    assert sorted(hist.history) == ["loss", "rows"] and hist.history["rows"] == [3.6, 3.6]
    with pytest.raises(ValueError, match="validation"):
        fit(model, None, None, (x,), validation=(x,), step=step, verbose=0)
    with pytest.raises(TypeError, match="step"):
        fit(model, None, None, (x,), step=3, verbose=0)
    with pytest.raises(ValueError, match="'loss' entry"):
        fit(model, None, None, (x,), step=lambda xb: {"rows": 1.0}, verbose=0)
