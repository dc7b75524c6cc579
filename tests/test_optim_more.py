"""Rprop, ASGD and SparseAdam: parameter trajectories (and state) equal torch.optim's over many steps on a
quadratic-plus-tanh loss with two param groups (maximize, weight decay and t0 averaging included), float32 and
float64; SparseAdam against torch's with a sparse=True embedding; state_dict round trips mid-run."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
from nnengine import optim

R = np.random.default_rng(0)
W0, B0, X, Y = R.standard_normal((3, 4)), R.standard_normal(3), R.standard_normal((8, 4)), R.standard_normal((8, 3))


def _run(lib, name, kwargs, steps, dtype, group2=None):
    w = lib.nn.Parameter(lib.tensor(W0.astype(dtype)))
    b = lib.nn.Parameter(lib.tensor(B0.astype(dtype)))
    if lib is ne:  # (nnengine's Parameter() makes float32: float64 parameters come from .double() or their data)
        w.data, b.data = W0.astype(dtype), B0.astype(dtype)
    groups = [{"params": [w]}, {"params": [b], **(group2 or {})}]
    opt = getattr(lib.optim, name)(groups, **kwargs)
    x, y = lib.tensor(X.astype(dtype)), lib.tensor(Y.astype(dtype))
    traj = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((x @ w.T + b).tanh() * 2 - y).pow(2).mean() + (w * w).sum() * 0.01
        loss.backward()
        opt.step()
        traj.append((w.detach().numpy().copy(), b.detach().numpy().copy()))
    return opt, traj


CASES = {
    "Rprop": ("Rprop", dict(lr=0.01), {"lr": 0.05}),
    "Rprop_etas_max": ("Rprop", dict(lr=0.02, etas=(0.3, 1.5), step_sizes=(1e-3, 0.05), maximize=True), {}),
    "ASGD": ("ASGD", dict(lr=0.05), {"lr": 0.02}),
    "ASGD_t0_wd": ("ASGD", dict(lr=0.05, lambd=1e-2, alpha=0.6, t0=5, weight_decay=0.1), {"t0": 2}),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", sorted(CASES))
def test_trajectory_matches_torch(torch, case, dtype):
    name, kwargs, g2 = CASES[case]
    opt, mine = _run(ne, name, kwargs, 25, dtype, g2)
    topt, ref = _run(torch, name, kwargs, 25, dtype, g2)
    tol = dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    for k, ((w, b), (tw, tb)) in enumerate(zip(mine, ref)):
        np.testing.assert_allclose(w, tw, err_msg=f"step {k}", **tol)
        np.testing.assert_allclose(b, tb, err_msg=f"step {k}", **tol)
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sorted(sd["state"][0]) == sorted(tsd["state"][0])
    for key, v in tsd["state"][0].items():
        np.testing.assert_allclose(np.asarray(sd["state"][0][key], np.float64), v.double().numpy(), rtol=1e-5,
                                   atol=1e-7, err_msg=key)


@pytest.mark.parametrize("case", sorted(CASES))
def test_state_dict_round_trip_mid_run(case):
    name, kwargs, g2 = CASES[case]
    opt, _ = _run(ne, name, kwargs, 6, np.float32, g2)
    full_opt, full = _run(ne, name, kwargs, 10, np.float32, g2)
    # resume a fresh run from step 6's state and parameters: the last 4 steps agree with the uninterrupted run
    w = ne.nn.Parameter(ne.tensor(_run(ne, name, kwargs, 6, np.float32, g2)[1][-1][0]))
    b = ne.nn.Parameter(ne.tensor(_run(ne, name, kwargs, 6, np.float32, g2)[1][-1][1]))
    again = getattr(optim, name)([{"params": [w]}, {"params": [b], **g2}], **kwargs)
    again.load_state_dict(opt.state_dict())
    x, y = ne.tensor(X.astype(np.float32)), ne.tensor(Y.astype(np.float32))
    for k in range(4):
        again.zero_grad()
        (((x @ w.T + b).tanh() * 2 - y).pow(2).mean() + (w * w).sum() * 0.01).backward()
        again.step()
        np.testing.assert_allclose(w.detach().numpy(), full[6 + k][0], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32])  # (nnengine's Embedding computes in float32 only)
def test_sparse_adam_matches_torch_sparse_embedding(torch, dtype):
    table = R.standard_normal((10, 4)).astype(dtype)
    ids = [np.array([[1, 2, 2], [7, 1, 0]]), np.array([[3, 3, 9]]), np.array([[1, 5]]), np.array([[7, 8, 1]])] * 3
    emb = ne.nn.Embedding(10, 4, sparse=True)  # accepted; its gradient stays dense
    temb = torch.nn.Embedding(10, 4, sparse=True)
    emb.weight.data = table.copy()
    with torch.no_grad():
        temb.weight.copy_(torch.tensor(table))
    temb = temb.to(torch.float64 if dtype == np.float64 else torch.float32)
    opt = optim.SparseAdam(emb.parameters(), lr=0.05, betas=(0.8, 0.99))
    topt = torch.optim.SparseAdam(temb.parameters(), lr=0.05, betas=(0.8, 0.99))
    tgt = R.standard_normal(4).astype(dtype)
    for k, i in enumerate(ids):
        opt.zero_grad()
        topt.zero_grad()
        ((emb(ne.tensor(i)) - ne.tensor(tgt)) ** 2).sum().backward()
        ((temb(torch.tensor(i)) - torch.tensor(tgt)) ** 2).sum().backward()
        opt.step()
        topt.step()
        tol = dict(rtol=2e-5, atol=2e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(emb.weight.detach().numpy(), temb.weight.detach().numpy(), err_msg=f"step {k}",
                                   **tol)


@pytest.mark.parametrize("call,match", [
    (lambda p: optim.Rprop(p, lr=-1.0), "learning rate"),
    (lambda p: optim.Rprop(p, etas=(1.2, 0.5)), "etas"),
    (lambda p: optim.Rprop(p, step_sizes=(1.0, 0.1)), "step_sizes"),
    (lambda p: optim.ASGD(p, weight_decay=-0.1), "weight_decay"),
    (lambda p: optim.SparseAdam(p, betas=(1.0, 0.9)), "beta"),
    (lambda p: optim.SparseAdam(p, eps=-1.0), "epsilon"),
])
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call([ne.nn.Parameter(ne.ones(2))])


def test_sparse_adam_on_a_0d_parameter_matches_the_1d_update():
    # scripts/fuzz.py optim_more: a 0-d parameter raised IndexError, then (m[...] being a view) stepped wrongly
    p0, p1 = ne.nn.Parameter(ne.tensor(1.0)), ne.nn.Parameter(ne.tensor([1.0]))
    o0, o1 = optim.SparseAdam([p0], lr=0.1), optim.SparseAdam([p1], lr=0.1)
    for g in (0.5, 0.0, 0.5):
        p0.grad, p1.grad = np.float32(g), np.array([g], np.float32)
        o0.step()
        o1.step()
        assert float(p0.data) == float(p1.data[0])
    assert abs(float(p0.data) - 0.8141539) < 1e-5
