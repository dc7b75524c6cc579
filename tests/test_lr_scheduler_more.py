"""ConstantLR, MultiplicativeLR, PolynomialLR, CosineAnnealingWarmRestarts, CyclicLR, SequentialLR and
ChainedScheduler: lr (and cycled momentum) equal to torch.optim.lr_scheduler's epoch by epoch with two param
groups, and after a state_dict round trip mid-run."""

from __future__ import annotations

import numpy as np
import pytest

from nnengine import nn, optim
from nnengine.optim import lr_scheduler as S

LRS = (0.1, 0.03)
EPOCHS = 40


def _opt(lib, adam=False):
    ps = [lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(3))]
    groups = [{"params": [ps[0]]}, {"params": [ps[1]], "lr": LRS[1]}]
    return lib.optim.Adam(groups, lr=LRS[0]) if adam else lib.optim.SGD(groups, lr=LRS[0], momentum=0.9)


def _ne():
    import nnengine

    return nnengine


def _build(lib, name, kwargs):
    """``name`` on a fresh optimizer of ``lib`` (nnengine or torch); ``kwargs`` may be a function of
    (lib's scheduler module, optimizer) for the combinators."""
    adam = kwargs.pop("_adam", False) if isinstance(kwargs, dict) else False
    opt = _opt(lib, adam)
    mod = lib.optim.lr_scheduler
    if callable(kwargs):
        return opt, kwargs(mod, opt)
    return opt, getattr(mod, name)(opt, **kwargs)


class _Half:
    def __init__(self):
        self.rate = 0.5

    def __call__(self, x):
        return self.rate ** (x - 1)


CASES = {
    "ConstantLR": lambda: dict(factor=0.4, total_iters=6),
    "ConstantLR_zero_iters": lambda: dict(factor=0.4, total_iters=0),
    "MultiplicativeLR": lambda: dict(lr_lambda=lambda e: 0.95),
    "MultiplicativeLR_per_group": lambda: dict(lr_lambda=[lambda e: 0.9, lambda e: 1.0 - 0.01 * e]),
    "PolynomialLR": lambda: dict(total_iters=12, power=2.0),
    "PolynomialLR_default": lambda: dict(),
    "CosineAnnealingWarmRestarts": lambda: dict(T_0=5, eta_min=0.001),
    "CosineAnnealingWarmRestarts_mult": lambda: dict(T_0=3, T_mult=2, eta_min=0.0),
    "CyclicLR": lambda: dict(base_lr=0.01, max_lr=[0.1, 0.05], step_size_up=4),
    "CyclicLR_triangular2": lambda: dict(base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=5,
                                         mode="triangular2"),
    "CyclicLR_exp_range": lambda: dict(base_lr=0.01, max_lr=0.1, step_size_up=4, mode="exp_range", gamma=0.97),
    "CyclicLR_scale_fn": lambda: dict(base_lr=0.01, max_lr=0.1, step_size_up=4, scale_fn=_Half(),
                                      scale_mode="iterations"),
    "CyclicLR_adam": lambda: dict(base_lr=0.01, max_lr=0.1, step_size_up=3, _adam=True),
    "SequentialLR": lambda: lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=5), m.CosineAnnealingLR(o, T_max=20)], milestones=[5]),
    "SequentialLR_three": lambda: lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, factor=0.5, total_iters=3), m.ExponentialLR(o, gamma=0.9),
            m.CosineAnnealingWarmRestarts(o, T_0=4)], milestones=[4, 15]),
    "SequentialLR_lambda": lambda: lambda m, o: m.SequentialLR(
        o, [m.LambdaLR(o, lambda e: (e + 1) / 5), m.StepLR(o, step_size=3, gamma=0.5)], milestones=[4]),
    "ChainedScheduler": lambda: lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.1, total_iters=2), m.ExponentialLR(o, gamma=0.9)]),
    "ChainedScheduler_opt": lambda: lambda m, o: m.ChainedScheduler(
        [m.LinearLR(o, start_factor=0.5, total_iters=4), m.CosineAnnealingWarmRestarts(o, T_0=6)], optimizer=o),
}


def _name(case):
    return case.split("_")[0]


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_torch(torch, case):
    opt, mine = _build(_ne(), _name(case), CASES[case]())
    topt, ref = _build(torch, _name(case), CASES[case]())
    for _ in range(EPOCHS):
        np.testing.assert_allclose(mine.get_last_lr(), ref.get_last_lr(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose([g["lr"] for g in opt.param_groups], [g["lr"] for g in topt.param_groups],
                                   rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(_momenta(opt), _momenta(topt), rtol=1e-12)
        assert mine.last_epoch == ref.last_epoch if hasattr(ref, "last_epoch") else True
        opt.step()
        topt.step()
        mine.step()
        ref.step()


@pytest.mark.parametrize("case", sorted(CASES))
def test_state_dict_round_trip_mid_run(case):
    opt, sched = _build(_ne(), _name(case), CASES[case]())
    for _ in range(9):
        opt.step()
        sched.step()
    sd, osd = sched.state_dict(), opt.state_dict()
    assert "optimizer" not in sd
    expected = []
    for _ in range(12):
        sched.step()
        expected.append(sched.get_last_lr())
    opt2, sched2 = _build(_ne(), _name(case), CASES[case]())
    opt2.load_state_dict(osd)
    sched2.load_state_dict(sd)
    got = []
    for _ in range(12):
        sched2.step()
        got.append(sched2.get_last_lr())
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_warm_restarts_fractional_epochs_match_torch(torch):
    opt, topt = _opt(_ne()), _opt(torch)
    mine = S.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.01)
    ref = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(topt, T_0=3, T_mult=2, eta_min=0.01)
    for epoch in range(12):
        for i in range(4):
            mine.step(epoch + i / 4)
            ref.step(epoch + i / 4)
            np.testing.assert_allclose(mine.get_last_lr(), ref.get_last_lr(), rtol=1e-12)
            assert mine.T_i == ref.T_i and mine.last_epoch == ref.last_epoch


def test_cyclic_lr_state_dict_keeps_callable_scale_fn():
    f = _Half()
    opt = _opt(_ne())
    sched = S.CyclicLR(opt, 0.01, 0.1, scale_fn=f)
    f.rate = 0.25
    sd = sched.state_dict()
    assert sd["_scale_fn_custom"] == {"rate": 0.25}
    g = _Half()
    S.CyclicLR(_opt(_ne()), 0.01, 0.1, scale_fn=g).load_state_dict(sd)
    assert g.rate == 0.25


def _p():
    return [nn.Parameter(np.ones(2, np.float32))]


@pytest.mark.parametrize("make,exc,match", [
    (lambda o: S.ConstantLR(o, factor=1.5), ValueError, "factor"),
    (lambda o: S.ConstantLR(o, total_iters=-1), ValueError, "total_iters"),
    (lambda o: S.MultiplicativeLR(o, [lambda e: 1.0] * 2), ValueError, "one per parameter group"),
    (lambda o: S.MultiplicativeLR(o, 0.5), TypeError, "lr_lambda: expected a callable"),
    (lambda o: S.PolynomialLR(o, total_iters=0), ValueError, "total_iters"),
    (lambda o: S.PolynomialLR(o, power="2"), TypeError, "power"),
    (lambda o: S.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "T_0"),
    (lambda o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=1.5), ValueError, "T_mult"),
    (lambda o: S.CyclicLR(o, 0.1, 1.0, mode="saw"), ValueError, "mode"),
    (lambda o: S.CyclicLR(o, 0.1, 1.0, step_size_up=0), ValueError, "step_size_up"),
    (lambda o: S.CyclicLR(optim.Adagrad(_p()), 0.1, 1.0), ValueError, "cycle_momentum"),
    (lambda o: S.SequentialLR(o, [S.ExponentialLR(o, 0.9)], milestones=[3]), ValueError, "milestones"),
    (lambda o: S.SequentialLR(o, [], milestones=[]), ValueError, "at least one"),
    (lambda o: S.SequentialLR(o, [S.ExponentialLR(o, 0.9), S.ReduceLROnPlateau(o)], [2]), ValueError,
     "ReduceLROnPlateau"),
    (lambda o: S.ChainedScheduler([S.ExponentialLR(o, 0.9), S.ExponentialLR(optim.SGD(_p(), lr=0.1), 0.9)]),
     ValueError, "same optimizer"),
    (lambda o: S.ChainedScheduler([object()], optimizer=o), TypeError, "schedulers\\[0\\]"),
])
def test_bad_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make(optim.SGD(_p(), lr=0.1, momentum=0.9))


def test_polynomial_lr_rejects_a_negative_power():
    # scripts/fuzz.py optim_more: 0 ** -p at the last step raised ZeroDivisionError from get_lr
    opt = optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    with pytest.raises(ValueError, match="power"):
        S.PolynomialLR(opt, total_iters=2, power=-0.5)
