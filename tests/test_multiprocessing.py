"""nnengine.multiprocessing and Module.share_memory(): torch.multiprocessing's Hogwild! pattern (pytorch/examples'
mnist_hogwild) -- a shared model handed to spawned processes is trained in place by all of them."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import nnengine as ne
import nnengine.multiprocessing as mp
from nnengine import nn


def _step(rank, model, n):
    opt = ne.optim.SGD(model.parameters(), lr=1.0)
    for _ in range(n):
        opt.zero_grad()
        model(ne.ones(1, 2)).sum().backward()  # d/dw = 1 for every weight, d/db = 1
        opt.step()
    model.bias.data.add_(100.0 * (rank + 1))  # the ParameterData idiom, on shared memory
    model.running.fill(7.0)


def _model():
    m = nn.Linear(2, 1)
    m.register_buffer("running", np.zeros(3, np.float32))
    with ne.no_grad():
        m.weight.data[...] = 0.0
        m.bias.data[...] = 0.0
    return m


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_shared_model_is_trained_by_spawned_processes(method):
    model = _model().share_memory()
    assert all(p.is_shared() for p in model.parameters())
    ctx = mp.get_context(method)
    procs = [ctx.Process(target=_step, args=(rank, model, 3)) for rank in range(2)]
    for p in procs:  # one after the other: run at once, their read-modify-write steps can overwrite each other
        p.start()    # (Hogwild! accepts lost updates; the exact sums below do not)
        p.join()
    assert [p.exitcode for p in procs] == [0, 0]
    # 2 processes x 3 SGD steps of -1 each, then +100 and +200 on the bias: all in the parent's arrays
    np.testing.assert_allclose(model.weight.numpy(), np.full((1, 2), -6.0))
    np.testing.assert_allclose(model.bias.numpy(), [300.0 - 6.0])
    np.testing.assert_array_equal(model.running, np.full(3, 7.0, np.float32))


def test_unshared_model_is_copied_and_shared_arrays_pass_only_at_process_start():
    model = _model()
    ctx = mp.get_context("spawn")
    p = ctx.Process(target=_step, args=(0, model, 2))
    p.start()
    p.join()
    assert p.exitcode == 0 and model.weight.numpy().tolist() == [[0.0, 0.0]]  # the child had a copy
    assert not model.weight.is_shared()
    model.share_memory()
    with pytest.raises(RuntimeError, match="inheritance"):
        pickle.dumps(model)
    sl = model.weight.data[0]  # a view of shared memory pickles as an ordinary copy
    assert pickle.loads(pickle.dumps(sl)).tolist() == [0.0, 0.0]
    assert model.share_memory() is model and model.weight.data.__dict__["_raw"] is not None
    with pytest.raises(ValueError, match="new_strategy"):
        mp.set_sharing_strategy("nope")
    assert mp.get_sharing_strategy() in mp.get_all_sharing_strategies()


def _train_rank(rank, model, fail_rank):
    if rank == fail_rank:
        raise ValueError(f"rank {rank} fails")
    _step(rank, model, 1)


def test_spawn_runs_fn_with_rank_and_reports_failures(torch):
    # torch.multiprocessing.spawn(fn, args=(...), nprocs=n): fn(rank, *args); a failure is raised in the parent
    model = _model().share_memory()
    assert mp.spawn(_train_rank, args=(model, -1), nprocs=2) is None
    np.testing.assert_allclose(model.bias.numpy(), [300.0 - 2.0])
    with pytest.raises(mp.ProcessRaisedException, match="(?s)process 1 terminated.*rank 1 fails"):
        mp.spawn(_train_rank, args=(_model(), 1), nprocs=2)
    ctx = mp.spawn(_train_rank, args=(_model(), -1), nprocs=1, join=False)
    assert len(ctx.pids()) == 1 and ctx.join()
    assert callable(torch.multiprocessing.spawn)
