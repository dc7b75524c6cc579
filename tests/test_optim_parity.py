"""torch.optim parity for Adadelta, Adamax, NAdam, RAdam (fused C++ steps) and LBFGS (numpy): 50-step
trajectories vs torch with shared gradients (the harness of test_optim.py: ``shared_grad``, torch run with
IEEE sqrt), every ISA, 1 vs 2 threads, the scalar reference twin, torch state_dicts loading mid-run,
LBFGS on a quadratic and a small MLP."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from test_optim import (
    _torch_trajectory,
    assert_loads_torch_state_mid_run,
    assert_same_trajectory,
    ieee_sqrt,
    ne_trajectory,
)

import nnengine as ne
from nnengine import _core, nn, optim

CASES = [
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.05)),
    ("Adadelta", dict(lr=1.0, maximize=True)),
    ("Adamax", dict(lr=1e-2)),
    ("Adamax", dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
    ("Adamax", dict(lr=2e-3, maximize=True)),
    ("NAdam", dict(lr=1e-2)),
    ("NAdam", dict(lr=1e-2, betas=(0.8, 0.99), momentum_decay=0.01, weight_decay=0.05)),
    ("NAdam", dict(lr=1e-2, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=2e-3, maximize=True)),
    ("RAdam", dict(lr=1e-2)),
    ("RAdam", dict(lr=1e-2, betas=(0.8, 0.9), weight_decay=0.05)),
    ("RAdam", dict(lr=1e-2, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=1e-3, maximize=True, eps=1e-6)),
]


def _ids(c):
    return c if isinstance(c, str) else ",".join(f"{a}={v}" for a, v in c.items()) or "defaults"


@pytest.mark.parametrize("name,kwargs", CASES, ids=_ids)
def test_trajectory_matches_torch(isa, torch, name, kwargs, request):
    if isa == "baseline" and name == "NAdam" and kwargs.get("weight_decay"):
        # as test_optim's baseline RMSprop case: the baseline build has no FMA, so torch's fused
        # add(alpha)/lerp round 1 ulp differently, and NAdam near its decayed optimum amplifies that
        request.applymarker(pytest.mark.xfail(strict=True, reason="baseline (no FMA) NAdam+weight_decay: 1-ulp "
                                              "rounding differences amplified over 20+ steps"))
    assert_same_trajectory(torch, name, kwargs)


@pytest.mark.parametrize("name,kwargs", CASES, ids=_ids)
def test_first_steps_bit_identical_to_torch(torch, name, kwargs):
    """torch's single-tensor (foreach=False, its CPU default) arithmetic order, bit for bit (3 steps)."""
    mine = ne_trajectory(getattr(optim, name), kwargs, steps=3)[0]
    with ieee_sqrt(torch):
        ref = _torch_trajectory(torch, name, kwargs, None, 3, False)
    if ne.backend.isa() == "baseline":  # no FMA instruction: torch's fused multiply-adds round 1 ulp apart
        np.testing.assert_allclose(mine, ref, rtol=1e-6, atol=1e-8)
    else:
        np.testing.assert_array_equal(mine, ref)


@pytest.mark.parametrize("name,kwargs", [
    ("Adadelta", dict(lr=0.5)), ("Adamax", dict(lr=1e-2)), ("NAdam", dict(lr=1e-2)), ("RAdam", dict(lr=1e-2))])
def test_param_groups_match_torch(torch, name, kwargs):
    assert_same_trajectory(torch, name, kwargs, [([0], {}), ([1], dict(lr=kwargs["lr"] / 3, weight_decay=0.1))])


@pytest.mark.parametrize("name", ["Adadelta", "Adamax", "NAdam", "RAdam", "LBFGS"])
def test_signature_and_defaults_match_torch(torch, name):
    sig = inspect.signature(getattr(optim, name))
    ref = inspect.signature(getattr(torch.optim, name))
    assert list(sig.parameters) == list(ref.parameters)
    for arg, p in sig.parameters.items():
        if arg != "params":
            assert p.default == ref.parameters[arg].default, arg
            assert p.kind == ref.parameters[arg].kind, arg


def _big_group(n=70_001, seed=3):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(k).astype(np.float32) for k in (n, 17, 40_000)]


_STEP_CALLS = {
    "adadelta": lambda P, G, S, ref: _core.adadelta_step(P, G, S[0], S[1], lr=0.7, rho=0.85, weight_decay=0.01,
                                                         reference=ref),
    "adamax": lambda P, G, S, ref: _core.adamax_step(P, G, S[0], S[1], [3] * len(P), lr=1e-2, weight_decay=0.01,
                                                     reference=ref),
    "nadam": lambda P, G, S, ref: _core.nadam_step(P, G, S[0], S[1], [3] * len(P), [0.7] * len(P), lr=1e-2,
                                                   weight_decay=0.01, decoupled=True, reference=ref),
    "radam": lambda P, G, S, ref: _core.radam_step(P, G, S[0], S[1], [7] * len(P), lr=1e-2, weight_decay=0.01,
                                                   reference=ref),
}


def _run_kernel(kind, ref):
    P = _big_group(seed=1)
    G = _big_group(seed=2)
    S = [[np.abs(a) for a in _big_group(seed=4)], [np.abs(a) + 0.1 for a in _big_group(seed=5)]]
    for _ in range(3):
        _STEP_CALLS[kind](P, G, S, ref)
    return np.concatenate(P + S[0] + S[1])


@pytest.mark.parametrize("kind", sorted(_STEP_CALLS))
def test_kernel_matches_reference_and_threads(isa, threads, kind):
    """The SIMD kernel equals its scalar twin on every ISA (FMA tiers) or to 1 ulp-level (baseline, no
    contraction), and is bit-identical at 1 and 2 threads (groups above the parallel grain)."""
    with threads(1):
        one = _run_kernel(kind, False)
    with threads(2):
        two = _run_kernel(kind, False)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_allclose(one, _run_kernel(kind, True), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", sorted(_STEP_CALLS))
def test_kernel_bad_inputs(kind):
    P, G = [np.ones(4, np.float32)], [np.ones(3, np.float32)]
    S = [[np.ones(4, np.float32)], [np.ones(4, np.float32)]]
    with pytest.raises(ValueError, match="grads"):
        _STEP_CALLS[kind](P, G, S, False)
    with pytest.raises(ValueError, match="expected 4 elements"):
        _STEP_CALLS[kind](P, [np.ones(4, np.float32)], [[np.ones(5, np.float32)], S[1]], False)


@pytest.mark.parametrize("name,kwargs", [
    ("Adadelta", dict(lr=0.5, weight_decay=0.01)), ("Adamax", dict(lr=1e-2)),
    ("NAdam", dict(lr=1e-2, weight_decay=0.01)), ("RAdam", dict(lr=1e-2, decoupled_weight_decay=True,
                                                               weight_decay=0.1))])
def test_loads_torch_state_dict_mid_run(torch, name, kwargs):
    """A torch optimizer's state_dict (tensors, NAdam's 0-d mu_product) loads into ours; the run goes on
    as torch's would."""
    assert_loads_torch_state_mid_run(torch, name, kwargs)


# ------------------------------------------------------------------ LBFGS
def _quadratic(lib, A, b, x0):
    x = lib.nn.Parameter(lib.tensor(x0))
    At, bt = lib.tensor(A), lib.tensor(b)

    def loss_fn():
        return 0.5 * (x * (At @ x)).sum() - (bt * x).sum()
    return x, loss_fn


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("history_size", [3, 100])
def test_lbfgs_quadratic_matches_torch(torch, line_search_fn, history_size):
    rng = np.random.default_rng(0)
    M = rng.standard_normal((40, 40))
    A = (M @ M.T / 40 + 0.05 * np.eye(40)).astype(np.float32)
    b = rng.standard_normal(40).astype(np.float32)
    x0 = rng.standard_normal(40).astype(np.float32)
    out = []
    for lib in (ne, torch):
        x, f = _quadratic(lib, A, b, x0)
        lr = 1 if line_search_fn else 0.5
        opt = lib.optim.LBFGS([x], lr=lr, max_iter=8, history_size=history_size, line_search_fn=line_search_fn)

        def closure(opt=opt, f=f):
            opt.zero_grad()
            loss = f()
            loss.backward()
            return loss
        losses = [float(opt.step(closure).detach())]
        st = opt.state_dict()["state"][0]
        counts = (st["n_iter"], st["func_evals"], x.detach().numpy().copy())
        losses += [float(opt.step(closure).detach()) for _ in range(40)]
        out.append((x.detach().numpy().copy(), losses, st, counts))
    (mine, ml, ms, mc), (ref, rl, rs, rc) = out
    np.testing.assert_allclose(mc[2], rc[2], rtol=1e-4, atol=1e-4)  # after the first step (8 iterations)
    np.testing.assert_allclose(ml, rl, rtol=1e-4, atol=1e-4)
    sol = np.linalg.solve(A.astype(np.float64), b)
    # the condition number is ~1e3: float32 noise moves the end point by ~1e-2 along the flat directions
    np.testing.assert_allclose(mine, sol, atol=2e-2 * np.abs(sol).max())
    np.testing.assert_allclose(ref, sol, atol=2e-2 * np.abs(sol).max())
    assert set(ms) == set(rs)
    assert mc[:2] == rc[:2]  # the first step's iterations and evaluations (later ones stop on float32 noise)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_small_mlp_matches_torch(torch, line_search_fn):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((32, 3)).astype(np.float32)
    Y = np.sin(X.sum(1, keepdims=True)).astype(np.float32)
    ne.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    tmodel.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    res = []
    for lib, m in ((ne, model), (torch, tmodel)):
        opt = lib.optim.LBFGS(m.parameters(), lr=0.5 if line_search_fn is None else 1, max_iter=10,
                              history_size=10, line_search_fn=line_search_fn)
        x, y = lib.tensor(X), lib.tensor(Y)

        def closure(opt=opt, m=m, x=x, y=y, lib=lib):
            opt.zero_grad()
            loss = lib.nn.functional.mse_loss(m(x), y) if lib is torch else ne.functional.mse_loss(m(x), y)
            loss.backward()
            return loss
        res.append([float(opt.step(closure).detach()) for _ in range(4)])
    mine, ref = res
    assert mine[-1] < 0.5 * mine[0]
    np.testing.assert_allclose(mine[:2], ref[:2], rtol=1e-3)
    np.testing.assert_allclose(mine, ref, rtol=5e-2)


def test_lbfgs_loads_torch_state_dict_and_errors(torch):
    x = torch.nn.Parameter(torch.tensor([3.0, -2.0]))
    topt = torch.optim.LBFGS([x], history_size=5)

    def closure():
        topt.zero_grad()
        loss = (x ** 4).sum()
        loss.backward()
        return loss
    topt.step(closure)
    w = nn.Parameter(x.detach().numpy().copy())
    opt = optim.LBFGS([w], history_size=5)
    opt.load_state_dict(topt.state_dict())
    st = opt.state[w]
    assert st["n_iter"] == topt.state_dict()["state"][0]["n_iter"] and len(st["old_dirs"]) >= 1
    assert isinstance(st["d"], np.ndarray)

    def c2():
        opt.zero_grad()
        loss = (w ** 4).sum()
        loss.backward()
        return loss
    opt.step(c2)
    topt.step(closure)
    np.testing.assert_allclose(w.data, x.detach().numpy(), rtol=1e-3, atol=1e-5)
    with pytest.raises(RuntimeError, match="closure"):
        opt.step()
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [w]}, {"params": [nn.Parameter(np.ones(2, np.float32))]}])
    with pytest.raises(ValueError, match="line_search_fn"):
        optim.LBFGS([w], line_search_fn="backtracking")
