"""nnengine.distributed over TCP (``backend="gloo"``): real processes started by ``python -m
nnengine.distributed.run`` and by ``torch.multiprocessing.spawn`` (the DDP tutorial, imports swapped, next to
torch), collectives and DDP checked against one process, failures that end instead of hanging."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from test_torch_scripts import run

import nnengine as ne
import nnengine.distributed as dist
from nnengine import nn
from nnengine.distributed.run import free_port

PKG = os.path.dirname(os.path.dirname(ne.__file__))

WORKER = r'''
import json, sys
import numpy as np
import nnengine as ne
import nnengine.distributed as dist
from nnengine import nn

dist.init_process_group("gloo")
r, n = dist.get_rank(), dist.get_world_size()
out = {"backend": dist.get_backend(), "world": n}
x = np.full(3, r + 1.0, np.float32); dist.all_reduce(x); out["sum"] = x.tolist()
a = ne.tensor([float(r), 1.0]); dist.all_reduce(a, op=dist.ReduceOp.AVG); out["avg"] = a.numpy().tolist()
m = np.array([r, -r], np.int64); w = dist.all_reduce(m, op="max", async_op=True); w.wait(); out["max"] = m.tolist()
b = np.full(2, float(r), np.float32); dist.broadcast(b, src=n - 1); out["bcast"] = b.tolist()
g = [np.zeros(2, np.int64) for _ in range(n)]; dist.all_gather(g, np.full(2, r, np.int64))
out["gather"] = [v.tolist() for v in g]
objs = [None] * n; dist.all_gather_object(objs, {"r": r}); out["objs"] = objs
bl = [r, "x"]; dist.broadcast_object_list(bl, src=1); out["bl"] = bl
dist.barrier()
ne.manual_seed(r)  # different on purpose: DDP broadcasts rank 0's parameters at construction
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
ddp = dist.DistributedDataParallel(model, device_ids=None, bucket_cap_mb=1e-4)  # several buckets
opt = ne.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
rng = np.random.default_rng(0)
X = rng.standard_normal((8 * n, 4)).astype(np.float32)
Y = rng.standard_normal((8 * n, 2)).astype(np.float32)
for step in range(4):
    opt.zero_grad()
    ne.nn.functional.mse_loss(ddp(ne.tensor(X[r * 8:(r + 1) * 8])), ne.tensor(Y[r * 8:(r + 1) * 8])).backward()
    opt.step()
out["w"] = [p.numpy().tolist() for p in model.parameters()]
with open(sys.argv[1] + f"/out{r}.json", "w") as f:
    json.dump(out, f)
dist.destroy_process_group()
'''


def _launch(tmp_path, src, nproc, *extra, timeout=120):
    (tmp_path / "w.py").write_text(src)
    env = dict(os.environ, PYTHONPATH=PKG, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "nnengine.distributed.run", "--standalone", "--nproc-per-node",
                           str(nproc), *extra, str(tmp_path / "w.py"), str(tmp_path)], env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_collectives_and_ddp_over_tcp(tmp_path):
    p = _launch(tmp_path, WORKER, 3)
    assert p.returncode == 0, p.stderr[-3000:]
    outs = [json.loads((tmp_path / f"out{r}.json").read_text()) for r in range(3)]
    for o in outs:
        assert o["backend"] == "gloo" and o["world"] == 3
        assert o["sum"] == [6.0] * 3 and o["avg"] == [1.0, 1.0] and o["max"] == [2, 0] and o["bcast"] == [2.0, 2.0]
        assert o["gather"] == [[0, 0], [1, 1], [2, 2]] and o["objs"] == [{"r": 0}, {"r": 1}, {"r": 2}]
        assert o["bl"] == [1, "x"]
        assert o["w"] == outs[0]["w"]  # every rank holds the same parameters, bit for bit
    # the same 4 steps on one process over the whole batch: DDP averages the ranks' gradients
    ne.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    opt = ne.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((24, 4)).astype(np.float32)
    Y = rng.standard_normal((24, 2)).astype(np.float32)
    for _ in range(4):
        opt.zero_grad()
        ne.nn.functional.mse_loss(model(ne.tensor(X)), ne.tensor(Y)).backward()
        opt.step()
    for got, want in zip(outs[0]["w"], model.parameters()):
        np.testing.assert_allclose(np.array(got, np.float32), want.numpy(), rtol=1e-5, atol=1e-6)


DDP_TUTORIAL = r'''
# pytorch/tutorials intermediate_source/ddp_tutorial.rst, the CPU/gloo variant: demo_basic, demo_checkpoint
# (".to(rank)" and "device_ids=[rank]" are the GPU lines of the tutorial, left out as its CPU note says)
import os
import sys
import tempfile
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.optim as optim
import torch.multiprocessing as mp

from torch.nn.parallel import DistributedDataParallel as DDP


def setup(rank, world_size):
    os.environ['MASTER_ADDR'] = 'localhost'
    os.environ['MASTER_PORT'] = os.environ.get('TEST_PORT', '12355')  # the tutorial's 12355; a free port here

    # initialize the process group
    dist.init_process_group("gloo", rank=rank, world_size=world_size)


def cleanup():
    dist.destroy_process_group()


class ToyModel(nn.Module):
    def __init__(self):
        super(ToyModel, self).__init__()
        self.net1 = nn.Linear(10, 10)
        self.relu = nn.ReLU()
        self.net2 = nn.Linear(10, 5)

    def forward(self, x):
        return self.net2(self.relu(self.net1(x)))


def demo_basic(rank, world_size):
    print(f"Running basic DDP example on rank {rank}.")
    setup(rank, world_size)
    torch.manual_seed(rank)

    model = ToyModel()
    ddp_model = DDP(model)

    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(ddp_model.parameters(), lr=0.001)

    optimizer.zero_grad()
    outputs = ddp_model(torch.randn(20, 10))
    labels = torch.randn(20, 5)
    loss_fn(outputs, labels).backward()
    optimizer.step()
    weights = [p.detach().clone() for p in ddp_model.parameters()]
    gathered = [None] * world_size
    dist.all_gather_object(gathered, [w.numpy().tolist() for w in weights])
    if rank == 0:
        print("RESULT same=%d" % int(all(g == gathered[0] for g in gathered)))
    cleanup()
    print(f"Finished running basic DDP example on rank {rank}.")


def demo_checkpoint(rank, world_size):
    print(f"Running DDP checkpoint example on rank {rank}.")
    setup(rank, world_size)

    model = ToyModel()
    ddp_model = DDP(model)

    CHECKPOINT_PATH = tempfile.gettempdir() + "/model.checkpoint." + os.environ.get('TEST_PORT', '0')
    if rank == 0:
        # All processes should see same parameters as they all start from same
        # random parameters and gradients are synchronized in backward passes.
        # Therefore, saving it in one process is sufficient.
        torch.save(ddp_model.state_dict(), CHECKPOINT_PATH)

    # Use a barrier() to make sure that process 1 loads the model after process
    # 0 saves it.
    dist.barrier()
    # configure map_location properly
    map_location = {'cpu': 'cpu'}
    ddp_model.load_state_dict(
        torch.load(CHECKPOINT_PATH, map_location=map_location, weights_only=True))

    loss_fn = nn.MSELoss()
    optimizer = optim.SGD(ddp_model.parameters(), lr=0.001)

    optimizer.zero_grad()
    outputs = ddp_model(torch.randn(20, 10))
    labels = torch.randn(20, 5)

    loss_fn(outputs, labels).backward()
    optimizer.step()

    # Not necessary to use a dist.barrier() to guard the file deletion below
    # as the AllReduce ops in the backward pass of DDP already served as
    # a synchronization.

    if rank == 0:
        os.remove(CHECKPOINT_PATH)

    cleanup()
    print(f"Finished running DDP checkpoint example on rank {rank}.")


def run_demo(demo_fn, world_size):
    mp.spawn(demo_fn,
             args=(world_size,),
             nprocs=world_size,
             join=True)


if __name__ == "__main__":
    world_size = 2
    run_demo(demo_basic, world_size)
    run_demo(demo_checkpoint, world_size)
    print("RESULT done=1")
'''


def test_ddp_tutorial_with_mp_spawn(tmp_path, monkeypatch):
    # Only under nnengine: the same source under torch 2.13 runs (checked by hand), but torch's gloo teardown
    # sometimes aborts a finished worker ("terminate called without an active exception", SIGABRT; 1 run in 6
    # here), which would make this test fail for torch's reason.
    monkeypatch.setenv("TEST_PORT", str(free_port()))
    out = run(DDP_TUTORIAL, "nnengine", tmp_path, timeout=180)
    assert "Finished running basic DDP example on rank 1." in out
    assert "Finished running DDP checkpoint example on rank 0." in out
    assert "RESULT same=1" in out and "RESULT done=1" in out


FAILING = r'''
import sys, time
import numpy as np
import nnengine.distributed as dist
dist.init_process_group("gloo", timeout=60)
if dist.get_rank() == 1:
    raise RuntimeError("rank 1 fails on purpose")
x = np.ones(4, np.float32)
try:
    dist.all_reduce(x)  # rank 1 is gone: this raises (a closed connection), it does not wait 60 s
except RuntimeError as e:
    print("rank 0 saw:", e, flush=True)
    sys.exit(3)
'''


def test_a_failing_rank_ends_the_job(tmp_path):
    t0 = time.perf_counter()
    p = _launch(tmp_path, FAILING, 2)
    assert p.returncode != 0
    assert "rank 1 fails on purpose" in p.stderr
    assert time.perf_counter() - t0 < 50  # the others' collectives ended, nobody waited for the 60 s timeout


def test_rendezvous_errors_and_timeouts(monkeypatch):
    dist.destroy_process_group()  # another test of this process may have joined a world of one
    port = free_port()
    t0 = time.perf_counter()
    with pytest.raises(RuntimeError, match=r"timed out after 1 s waiting for ranks \[1\]"):
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=0, world_size=2, timeout=1)
    with pytest.raises(RuntimeError, match=r"rank 1 could not reach rank 0 at 127.0.0.1:\d+ within 1 s"):
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=1, world_size=2, timeout=1)
    assert time.perf_counter() - t0 < 20 and not dist.is_initialized()
    with pytest.raises(ValueError, match="'nccl' needs CUDA GPUs"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match=r"expected 0 <= rank < world_size, got rank 2, world_size 2"):
        dist.init_process_group("gloo", init_method="tcp://127.0.0.1:1", rank=2, world_size=2)
    with pytest.raises(ValueError, match="init_method: expected 'env://' or 'tcp://host:port'"):
        dist.init_process_group("gloo", init_method="file:///tmp/x", rank=0, world_size=1)
    for var in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ValueError, match="environment variable RANK is not set"):
        dist.init_process_group("gloo")
    dist.init_process_group("gloo", rank=0, world_size=1)  # a world of one needs no rank 0 address
    try:
        assert dist.get_backend() == "gloo" and dist.get_world_size() == 1
        x = np.arange(3, dtype=np.float32)
        assert dist.all_reduce(x) is x and x.tolist() == [0.0, 1.0, 2.0]
        with pytest.raises(ValueError, match="group: only the default group"):
            dist.all_reduce(x, group=object())
    finally:
        dist.destroy_process_group()
    assert not dist.is_initialized()


def test_launcher_arguments(tmp_path):
    env = dict(os.environ, PYTHONPATH=PKG)
    p = subprocess.run([sys.executable, "-m", "nnengine.distributed.run", "--nnodes", "2", "--node-rank", "2",
                        "x.py"], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "0 <= --node-rank < --nnodes" in p.stderr
    (tmp_path / "env.py").write_text(textwrap.dedent('''
        import os, sys
        keys = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK", "MASTER_ADDR", "MASTER_PORT")
        line = " ".join([os.environ[k] for k in keys] + sys.argv[2:])
        with open(os.path.join(sys.argv[1], "env" + os.environ["RANK"] + ".txt"), "w") as f:
            f.write(line)
    '''))
    p = subprocess.run([sys.executable, "-m", "nnengine.distributed.run", "--nnodes", "2", "--node-rank", "1",
                        "--nproc-per-node", "2", "--master-addr", "10.0.0.7", "--master-port", "29511",
                        str(tmp_path / "env.py"), str(tmp_path), "--lr", "3"], env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    # each worker writes its own file: two workers printing to the launcher's shared stdout may interleave
    lines = [(tmp_path / f"env{r}.txt").read_text() for r in (2, 3)]
    assert lines == ["2 0 4 2 1 10.0.0.7 29511 --lr 3", "3 1 4 2 1 10.0.0.7 29511 --lr 3"]


def test_under_torchs_torchrun(tmp_path, torch_or_none):
    """torch's own launcher (torchrun = python -m torch.distributed.run): its agent holds MASTER_PORT for torch's
    store, so nnengine's rank 0 listens on the next port; the worker's collectives and DDP run as above."""
    if torch_or_none is None:
        return  # torchrun comes with torch; nnengine's own launcher is tested above
    (tmp_path / "w.py").write_text(WORKER)
    env = dict(os.environ, PYTHONPATH=PKG, OMP_NUM_THREADS="1")
    p = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                        str(tmp_path / "w.py"), str(tmp_path)], env=env, capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr[-3000:]
    outs = [json.loads((tmp_path / f"out{r}.json").read_text()) for r in range(2)]
    assert outs[0]["sum"] == [3.0] * 3 and outs[0]["gather"] == [[0, 0], [1, 1]] and outs[0]["w"] == outs[1]["w"]
