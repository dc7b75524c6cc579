"""Learning-rate schedules: equal to their formulas, to torch.optim.lr_scheduler epoch by epoch (two
param groups), and after a state_dict round trip mid-run."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnengine import nn, optim
from nnengine.optim import lr_scheduler as S

LRS = (0.1, 0.03)
EPOCHS = 30


def _opt(lib=optim, params=None):
    params = params or [nn.Parameter(np.ones(2, np.float32)), nn.Parameter(np.ones(3, np.float32))]
    return lib.SGD([{"params": [params[0]]}, {"params": [params[1]], "lr": LRS[1]}], lr=LRS[0], momentum=0.9)


def _torch_opt(torch):
    ps = [torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(3))]
    return torch.optim.SGD([{"params": [ps[0]]}, {"params": [ps[1]], "lr": LRS[1]}], lr=LRS[0], momentum=0.9)


TORCH_CASES = [
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[3, 7, 7, 20], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.001)),  # 30 epochs: past T_max, torch's recursion
    ("LambdaLR", dict(lr_lambda=lambda e: 1.0 / (1 + e) ** 0.5)),
    ("LinearLR", dict(start_factor=0.25, end_factor=0.9, total_iters=8)),
]


@pytest.mark.parametrize("name,kwargs", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_schedule_matches_torch(torch, name, kwargs):
    opt, topt = _opt(), _torch_opt(torch)
    mine = getattr(S, name)(opt, **kwargs)
    ref = getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    for _ in range(EPOCHS):
        np.testing.assert_allclose(mine.get_last_lr(), ref.get_last_lr(), rtol=1e-12)
        np.testing.assert_allclose([g["lr"] for g in opt.param_groups], [g["lr"] for g in topt.param_groups],
                                   rtol=1e-12)
        assert mine.last_epoch == ref.last_epoch
        opt.step()
        topt.step()
        mine.step()
        ref.step()


FORMULAS = [
    ("StepLR", dict(step_size=3, gamma=0.5), lambda b, e: b * 0.5 ** (e // 3)),
    ("MultiStepLR", dict(milestones=[2, 5], gamma=0.1), lambda b, e: b * 0.1 ** ((e >= 2) + (e >= 5))),
    ("ExponentialLR", dict(gamma=0.8), lambda b, e: b * 0.8 ** e),
    ("CosineAnnealingLR", dict(T_max=12, eta_min=0.01),
     lambda b, e: 0.01 + (b - 0.01) * (1 + math.cos(math.pi * e / 12)) / 2),
    ("InverseTimeLR", dict(decay_rate=0.5, decay_steps=2), lambda b, e: b / (1 + 0.5 * e / 2)),
    ("InverseTimeLR", dict(decay_rate=0.5, decay_steps=2, staircase=True), lambda b, e: b / (1 + 0.5 * (e // 2))),
    ("LinearWarmup", dict(warmup_steps=5, start_factor=0.2), lambda b, e: b * (0.2 + 0.8 * min(e, 5) / 5)),
]


@pytest.mark.parametrize("name,kwargs,formula", FORMULAS, ids=[f"{c[0]}-{i}" for i, c in enumerate(FORMULAS)])
def test_schedule_equals_formula(name, kwargs, formula):
    opt = _opt()
    sched = getattr(S, name)(opt, **kwargs)
    for e in range(12):
        np.testing.assert_allclose(sched.get_last_lr(), [formula(b, e) for b in LRS], rtol=1e-12)
        sched.step()


def test_inverse_time_api_default():
    opt = _opt()
    sched = S.InverseTimeLR(opt, 1.0)
    for _ in range(3):
        sched.step()
    np.testing.assert_allclose(sched.get_last_lr(), [b / 4 for b in LRS])


def test_linear_warmup_then_cosine():
    opt = _opt()
    cos = S.CosineAnnealingLR(opt, T_max=10)
    sched = S.LinearWarmup(opt, warmup_steps=4, after=cos)
    seen = []
    for _ in range(15):
        seen.append(sched.get_last_lr()[0])
        sched.step()
    np.testing.assert_allclose(seen[:5], [0.0, 0.025, 0.05, 0.075, 0.1])
    np.testing.assert_allclose(seen[4:15], [0.05 * (1 + math.cos(math.pi * k / 10)) for k in range(11)],
                               atol=1e-12)


@pytest.mark.parametrize("name,kwargs", TORCH_CASES[:4] + [
    ("InverseTimeLR", dict(decay_rate=0.3)), ("LinearWarmup", dict(warmup_steps=6, start_factor=0.1))],
    ids=lambda c: c if isinstance(c, str) else "")
def test_state_dict_round_trip_mid_run(name, kwargs):
    opt = _opt()
    sched = getattr(S, name)(opt, **kwargs)
    for _ in range(7):
        opt.step()
        sched.step()
    sd, osd = sched.state_dict(), opt.state_dict()
    assert "optimizer" not in sd
    expected = []
    for _ in range(10):
        sched.step()
        expected.append(sched.get_last_lr())
    opt2 = _opt()  # PyTorch's resume order: build both fresh, then load the optimizer and the scheduler
    sched2 = getattr(S, name)(opt2, **kwargs)
    opt2.load_state_dict(osd)
    sched2.load_state_dict(sd)
    np.testing.assert_allclose([g["lr"] for g in opt2.param_groups], sd["_last_lr"])
    got = []
    for _ in range(10):
        sched2.step()
        got.append(sched2.get_last_lr())
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_resume_without_initial_lr_raises():
    with pytest.raises(KeyError, match="initial_lr"):
        S.StepLR(_opt(), step_size=2, last_epoch=3)


def test_reduce_lr_on_plateau_matches_torch(torch):
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.7, 0.7, 0.7, 0.7]
    for kwargs in (dict(patience=2, factor=0.5, min_lr=0.02), dict(mode="max", patience=1, cooldown=2),
                   dict(patience=1, threshold=0.1, threshold_mode="abs", min_lr=[0.0, 0.01])):
        opt, topt = _opt(), _torch_opt(torch)
        mine = S.ReduceLROnPlateau(opt, **kwargs)
        ref = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kwargs)
        for m in metrics:
            mine.step(m)
            ref.step(m)
            np.testing.assert_allclose(mine.get_last_lr(), ref.get_last_lr(), rtol=1e-12)
        sd = mine.state_dict()
        other = S.ReduceLROnPlateau(_opt(), **kwargs)
        other.load_state_dict(sd)
        assert other.best == mine.best and other.num_bad_epochs == mine.num_bad_epochs


def test_lambda_lr_state_dict_keeps_callable_objects():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, e):
            return self.rate ** e

    opt = _opt()
    f = Decay()
    sched = S.LambdaLR(opt, [f, lambda e: 1.0])
    f.rate = 0.25
    sd = sched.state_dict()
    assert sd["lr_lambdas"][0] == {"rate": 0.25} and sd["lr_lambdas"][1] is None
    g = Decay()
    S.LambdaLR(_opt(), [g, lambda e: 1.0]).load_state_dict(sd)
    assert g.rate == 0.25


@pytest.mark.parametrize("make,match", [
    (lambda o: S.StepLR(o, step_size=0), "step_size: expected an integer >= 1"),
    (lambda o: S.ExponentialLR(o, gamma=-1), "gamma: expected a finite number >= 0"),
    (lambda o: S.CosineAnnealingLR(o, T_max=0), "T_max"),
    (lambda o: S.LambdaLR(o, [lambda e: 1.0]), "one per parameter group"),
    (lambda o: S.LinearLR(o, start_factor=0), "start_factor"),
    (lambda o: S.InverseTimeLR(o, decay_rate=-0.1), "decay_rate"),
    (lambda o: S.LinearWarmup(o, warmup_steps=0), "warmup_steps"),
    (lambda o: S.ReduceLROnPlateau(o, factor=1.0), "Factor should be < 1.0"),
    (lambda o: S.ReduceLROnPlateau(o, mode="up"), "unknown"),
    (lambda o: S.ReduceLROnPlateau(o, min_lr=[0.1]), "one per parameter group"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make(_opt())
    with pytest.raises(TypeError, match="optimizer: expected an nnengine.optim.Optimizer"):
        S.StepLR(object(), step_size=2)
