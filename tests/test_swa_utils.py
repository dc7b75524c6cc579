"""optim.swa_utils: AveragedModel (SWA, EMA by avg_fn and by multi_avg_fn, use_buffers) equals torch's over a
sequence of weights; update_bn's running statistics and SWALR's lr sequence (cos/linear, anneal_epochs 0, two
groups, state_dict round trip) equal torch's."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
from nnengine import nn
from nnengine.optim import swa_utils as S


def _models(torch):
    m = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    tm = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    m.load_state_dict(tm.state_dict())
    return m, tm


def _perturb(m, tm, k):
    rng = np.random.default_rng(k)
    sd = {}
    for key, v in tm.state_dict().items():
        a = v.numpy()
        noise = rng.standard_normal(a.shape).astype(a.dtype)
        sd[key] = (a + (np.abs(noise) if "running_var" in key else noise)) if a.dtype.kind == "f" else a + 1
    import torch

    tm.load_state_dict({k2: torch.tensor(v) for k2, v in sd.items()})
    m.load_state_dict(sd)


VARIANTS = {
    "swa": lambda lib: {},
    "ema_multi": lambda lib: {"multi_avg_fn": lib.optim.swa_utils.get_ema_multi_avg_fn(0.9)},
    "ema_avg_fn": lambda lib: {"avg_fn": lib.optim.swa_utils.get_ema_avg_fn(0.8)},
    "swa_avg_fn": lambda lib: {"avg_fn": lib.optim.swa_utils.get_swa_avg_fn()},
    "swa_buffers": lambda lib: {"use_buffers": True},
    "ema_buffers": lambda lib: {"use_buffers": True, "multi_avg_fn": lib.optim.swa_utils.get_ema_multi_avg_fn(0.7)},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_averaged_model_matches_torch(torch, variant):
    m, tm = _models(torch)
    avg = S.AveragedModel(m, **VARIANTS[variant](ne))
    tavg = torch.optim.swa_utils.AveragedModel(tm, **VARIANTS[variant](torch))
    assert list(avg.state_dict()) == list(tavg.state_dict())
    for k in range(6):
        _perturb(m, tm, k)
        avg.update_parameters(m)
        tavg.update_parameters(tm)
        sd, tsd = avg.state_dict(), tavg.state_dict()
        for key in sd:
            if key.endswith("num_batches_tracked") and "buffers" in variant:
                continue  # integer buffer averaging: torch's foreach rounding, not reproduced
            np.testing.assert_allclose(sd[key], tsd[key].numpy(), rtol=1e-6, atol=1e-6, err_msg=f"{key} step {k}")
    x = np.random.default_rng(9).standard_normal((5, 3)).astype(np.float32)
    avg.eval()
    tavg.eval()
    np.testing.assert_allclose(avg(ne.tensor(x)).numpy(), tavg(torch.tensor(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-5)


def test_update_bn_matches_torch(torch):
    m, tm = _models(torch)
    rng = np.random.default_rng(0)
    data = [rng.standard_normal((8, 3)).astype(np.float32) * 2 + 1 for _ in range(4)]
    m.eval()
    tm.eval()
    S.update_bn([(ne.tensor(x), 0) for x in data], m)
    torch.optim.swa_utils.update_bn([(torch.tensor(x), 0) for x in data], tm)
    assert not m.training and m[1].momentum == 0.1
    for key, v in tm.state_dict().items():
        np.testing.assert_allclose(m.state_dict()[key], v.numpy(), rtol=1e-5, atol=1e-6, err_msg=key)
    S.update_bn([ne.ones(2, 3)], nn.Linear(3, 2))  # no BatchNorm: nothing to do


def _opt(lib):
    ps = [lib.nn.Parameter(lib.ones(2)), lib.nn.Parameter(lib.ones(3))]
    return lib.optim.SGD([{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.03}], lr=0.1, momentum=0.9)


@pytest.mark.parametrize("kwargs", [dict(swa_lr=0.01), dict(swa_lr=[0.05, 0.001], anneal_epochs=4,
                                                            anneal_strategy="linear"), dict(swa_lr=0.2, anneal_epochs=0)])
def test_swalr_matches_torch(torch, kwargs):
    opt, topt = _opt(ne), _opt(torch)
    mine, ref = S.SWALR(opt, **kwargs), torch.optim.swa_utils.SWALR(topt, **kwargs)
    for _ in range(15):
        np.testing.assert_allclose(mine.get_last_lr(), ref.get_last_lr(), rtol=1e-12)
        opt.step()
        topt.step()
        mine.step()
        ref.step()
    sd = mine.state_dict()
    expected = []
    for _ in range(5):
        mine.step()
        expected.append(mine.get_last_lr())
    opt2 = _opt(ne)
    again = S.SWALR(opt2, **kwargs)
    opt2.load_state_dict(opt.state_dict())
    again.load_state_dict(sd)
    for g, lr in zip(opt2.param_groups, sd["_last_lr"]):
        g["lr"] = lr
    got = []
    for _ in range(5):
        again.step()
        got.append(again.get_last_lr())
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: S.get_ema_multi_avg_fn(1.5), ValueError, "decay"),
    (lambda: S.get_ema_avg_fn(-0.1), ValueError, "decay"),
    (lambda: S.AveragedModel(nn.Linear(2, 2), avg_fn=S.get_swa_avg_fn(), multi_avg_fn=S.get_swa_multi_avg_fn()),
     ValueError, "only one"),
    (lambda: S.AveragedModel(object()), TypeError, "model"),
    (lambda: S.SWALR(ne.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1), 0.1, anneal_strategy="exp"), ValueError,
     "anneal_strategy"),
    (lambda: S.SWALR(ne.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1), 0.1, anneal_epochs=-1), ValueError,
     "anneal_epochs"),
])
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
