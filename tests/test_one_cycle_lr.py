"""OneCycleLR: lr and momentum (SGD momentum, Adam beta1) equal torch 2.13's step by step for every option,
two param groups with per-group max_lr; state_dict round trip mid-run; errors."""

from __future__ import annotations

import numpy as np
import pytest

from nnengine import nn, optim
from nnengine.optim.lr_scheduler import OneCycleLR


def _groups(make):
    ps = [make(2), make(3)]
    return [{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.03}]


def _pair(torch, kind):
    ours = _groups(lambda n: nn.Parameter(np.ones(n, np.float32)))
    ref = _groups(lambda n: torch.nn.Parameter(torch.ones(n)))
    if kind == "sgd":
        return optim.SGD(ours, lr=0.1, momentum=0.9), torch.optim.SGD(ref, lr=0.1, momentum=0.9)
    return optim.Adam(ours, lr=0.1), torch.optim.Adam(ref, lr=0.1)


CASES = [
    ("sgd", dict(max_lr=1.0, total_steps=20)),
    ("sgd", dict(max_lr=[0.5, 0.2], epochs=3, steps_per_epoch=7, anneal_strategy="linear", pct_start=0.25)),
    ("adam", dict(max_lr=0.01, total_steps=17, three_phase=True, div_factor=10.0, final_div_factor=100.0)),
    ("adam", dict(max_lr=0.01, total_steps=10, base_momentum=[0.8, 0.7], max_momentum=0.99, pct_start=0.0)),
    ("sgd", dict(max_lr=0.3, total_steps=9, cycle_momentum=False, pct_start=1.0, three_phase=True)),
]


@pytest.mark.parametrize("kind,kwargs", CASES, ids=[str(i) for i in range(len(CASES))])
def test_matches_torch_step_by_step(torch, kind, kwargs):
    opt, topt = _pair(torch, kind)
    mine, ref = OneCycleLR(opt, **kwargs), torch.optim.lr_scheduler.OneCycleLR(topt, **kwargs)
    key = "betas" if kind == "adam" else "momentum"
    for _ in range(mine.total_steps):
        np.testing.assert_allclose(mine.get_last_lr(), ref.get_last_lr(), rtol=1e-12)
        for g, tg in zip(opt.param_groups, topt.param_groups):
            np.testing.assert_allclose(np.ravel(g[key]), np.ravel(tg[key]), rtol=1e-12)
            assert g["initial_lr"] == tg["initial_lr"] and g["min_lr"] == tg["min_lr"]
        opt.step()
        topt.step()
        mine.step()
        ref.step()
    with pytest.raises(ValueError, match="Tried to step"):
        mine.step()


def test_state_dict_round_trip_mid_run():
    def make():
        opt = optim.SGD([nn.Parameter(np.ones(2, np.float32))], lr=0.1, momentum=0.9)
        return opt, OneCycleLR(opt, max_lr=1.0, total_steps=30, three_phase=True)

    opt, sched = make()
    for _ in range(11):
        opt.step()
        sched.step()
    sd, osd = sched.state_dict(), opt.state_dict()
    expected = []
    for _ in range(10):
        sched.step()
        expected.append((sched.get_last_lr()[0], opt.param_groups[0]["momentum"]))
    opt2, sched2 = make()
    opt2.load_state_dict(osd)
    sched2.load_state_dict(sd)
    got = []
    for _ in range(10):
        sched2.step()
        got.append((sched2.get_last_lr()[0], opt2.param_groups[0]["momentum"]))
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(max_lr=1.0), ValueError, "either total_steps OR"),
    (dict(max_lr=1.0, total_steps=0), ValueError, "total_steps: expected an integer >= 1, got 0"),
    (dict(max_lr=1.0, epochs=2, steps_per_epoch=2.5), ValueError, "steps_per_epoch"),
    (dict(max_lr=1.0, total_steps=5, pct_start=1.5), ValueError, "pct_start: expected a float between 0 and 1"),
    (dict(max_lr=1.0, total_steps=5, anneal_strategy="exp"), ValueError, "anneal_strategy: expected 'cos' or"),
    (dict(max_lr=[1.0, 2.0], total_steps=5), ValueError, "max_lr: expected 1 values"),
    (dict(max_lr=1.0, total_steps=5, div_factor=0.0), ValueError, "div_factor"),
])
def test_bad_arguments(kwargs, exc, match):
    opt = optim.SGD([nn.Parameter(np.ones(2, np.float32))], lr=0.1, momentum=0.9)
    with pytest.raises(exc, match=match):
        OneCycleLR(opt, **kwargs)


def test_cycle_momentum_needs_momentum_or_betas():
    opt = optim.Adagrad([nn.Parameter(np.ones(2, np.float32))], lr=0.1)
    with pytest.raises(ValueError, match="cycle_momentum: Adagrad has no momentum"):
        OneCycleLR(opt, max_lr=1.0, total_steps=5)
    OneCycleLR(opt, max_lr=1.0, total_steps=5, cycle_momentum=False)
