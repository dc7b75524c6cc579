"""nnengine.distributed: data-parallel training over MPI, checked under a real ``mpiexec -n 2``.

The MPI jobs run worker scripts (below) with one kernel thread per rank; rank 0 writes its findings as JSON
and the tests assert on them. mpi4py is required through ``conftest.require`` (CI's strict mode fails instead
of skipping); ``mpiexec`` comes with PyPI's ``mpich`` wheel next to the interpreter.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from conftest import STRICT, require

import nnengine as ne
import nnengine.distributed as dist
from nnengine.data import DataLoader, DistributedSampler, TensorDataset

# ----------------------------------------------------------------------------- in-process (world of one)


@pytest.mark.parametrize("n,replicas,drop_last", [(10, 3, False), (10, 3, True), (11, 4, False), (2, 5, False),
                                                  (12, 4, True), (7, 2, True)])
def test_sampler_matches_torch_without_shuffle(n, replicas, drop_last, torch):
    from torch.utils.data import DistributedSampler as TorchSampler

    for rank in range(replicas):
        ours = DistributedSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
        theirs = TorchSampler(range(n), num_replicas=replicas, rank=rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs)


def test_sampler_shuffle_covers_every_sample_once_per_epoch():
    n, w = 103, 4
    seen = {}
    for epoch in (0, 1):
        idx = []
        for r in range(w):
            s = DistributedSampler(range(n), num_replicas=w, rank=r, shuffle=True, seed=5)
            s.set_epoch(epoch)
            idx += list(s)
        counts = np.bincount(idx, minlength=n)
        assert counts.min() == 1 and counts.sum() == 104  # one padding repeat
        seen[epoch] = idx
    assert seen[0] != seen[1]
    with pytest.raises(ValueError, match="rank"):
        DistributedSampler(range(4), num_replicas=2, rank=2)


def test_dataloader_sampler():
    x = np.arange(10, dtype=np.float32)[:, None]
    ds = TensorDataset(x, np.arange(10))
    loader = DataLoader(ds, batch_size=2, sampler=DistributedSampler(ds, num_replicas=2, rank=1, shuffle=False))
    assert len(loader) == 3
    assert [yb.data.tolist() for _, yb in loader] == [[1, 3], [5, 7], [9]]
    assert len(DataLoader(ds, batch_size=4, sampler=[9, 8, 7])) == 1
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, sampler=[0], shuffle=True)


def test_torch_utils_data_distributed_module(torch):
    # imagenet/main.py: `import torch.utils.data.distributed`, then torch.utils.data.distributed.DistributedSampler
    import torch.utils.data.distributed as tdd

    import nnengine.utils.data.distributed as ndd

    assert ndd.DistributedSampler is DistributedSampler
    for rank in range(3):
        ours = ndd.DistributedSampler(range(7), num_replicas=3, rank=rank, shuffle=False)
        assert list(ours) == list(tdd.DistributedSampler(range(7), num_replicas=3, rank=rank, shuffle=False))


def test_world_of_one_is_a_no_op():
    if dist.launched_world_size() > 1:  # pragma: no cover - pytest itself under mpiexec
        pytest.skip("justified: pytest runs under an MPI launcher")
    if not dist.is_initialized():
        dist.init_process_group("mpi")
    assert (dist.get_rank(), dist.get_world_size(), dist.is_initialized()) == (0, 1, True)
    x = np.arange(3, dtype=np.float32)
    t = ne.tensor([1.0, 2.0])
    dist.all_reduce(x, op=dist.ReduceOp.AVG)
    dist.all_reduce(t, op="max")
    dist.broadcast(t, src=0)
    dist.barrier()
    out = [np.zeros(3, np.float32)]
    dist.all_gather(out, x)
    assert x.tolist() == [0, 1, 2] and t.tolist() == [1, 2] and out[0].tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="op"):
        dist.all_reduce(x, op="median")
    model = ne.nn.Linear(3, 2)
    ddp = dist.DistributedDataParallel(model)
    from nnengine.nn.parallel import DistributedDataParallel

    assert DistributedDataParallel is dist.DistributedDataParallel and ddp.module is model
    ddp(ne.randn(4, 3)).sum().backward()
    assert model.weight.grad is not None
    assert list(ddp.state_dict()) == ["weight", "bias"]  # no "module." prefix: loads into the plain model
    ddp.load_state_dict({"module." + k: v for k, v in model.state_dict().items()})  # torch's keys work too


# ----------------------------------------------------------------------------- under mpiexec -n 2
def _mpiexec() -> str:
    require("mpi4py")
    for cand in (os.path.join(os.path.dirname(sys.executable), "mpiexec"), shutil.which("mpiexec")):
        if cand and os.path.exists(cand):
            return cand
    msg = "mpiexec not found (pip install mpich, or the 'mpi' extra)"
    if STRICT:
        pytest.fail(f"NNENGINE_TEST_STRICT: {msg}", pytrace=False)
    pytest.skip(msg)


def _env() -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", NNENGINE_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    here = os.path.dirname(os.path.abspath(__file__))
    src = os.path.join(os.path.dirname(here), "python")
    if os.path.isdir(os.path.join(src, "nnengine")) and os.path.dirname(ne.__file__) == os.path.join(src, "nnengine"):
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run(args, cwd, timeout=120):
    return subprocess.run([_mpiexec(), "-n", "2", *args], cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=timeout)


WORKER = r'''
import json, sys
import numpy as np
import nnengine as ne
import nnengine.distributed as dist
import nnengine.functional as F
from nnengine import nn
from nnengine.data import DataLoader, DistributedSampler, TensorDataset

dist.init_process_group("mpi")
rank, world = dist.get_rank(), dist.get_world_size()
res = {"world": world}
rng = np.random.default_rng(0)

def flat(model):
    return np.concatenate([p.data.reshape(-1) for p in model.parameters()])

def same_on_all_ranks(v):
    out = dist.all_gather([], np.ascontiguousarray(v, np.float32))
    return bool(all(np.array_equal(out[0], o) for o in out))

# --- collectives
x = np.full(3, rank + 1.0, np.float32)
t = ne.tensor(np.full(2, rank + 1.0, np.float32))
dist.all_reduce(x)
dist.all_reduce(t, op=dist.ReduceOp.AVG)
mx = np.array([rank], np.int64); dist.all_reduce(mx, op="max")
b = np.full(2, float(rank), np.float32); dist.broadcast(b, src=1)
g = [np.zeros(1, np.float32) for _ in range(world)]; dist.all_gather(g, np.array([rank * 10.0], np.float32))
res["collectives"] = [x.tolist(), t.tolist(), int(mx[0]), b.tolist(), [float(a[0]) for a in g]]

# --- DDP == one process on the global batch (several buckets, Adam, a conv net and an LSTM)
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.fc = nn.Linear(4 * 6 * 6, 16)
        self.rnn = nn.LSTM(4, 8, batch_first=True)
        self.head = nn.Linear(16 + 8, 3)
        self.unused = nn.Linear(2, 2)
    def forward(self, img, seq):
        a = self.fc(F.relu(self.conv(img)).reshape(img.shape[0], -1))
        _, (h, _) = self.rnn(seq)
        return self.head(ne.cat([F.relu(a), h[0]], 1))

def make(seed):
    ne.manual_seed(seed)
    return Net()

N, B, steps = 96, 16, 6
img = rng.standard_normal((N, 1, 8, 8)).astype(np.float32)
seq = rng.standard_normal((N, 5, 4)).astype(np.float32)
y = rng.integers(0, 3, N)
model = make(100 + rank)                 # different on each rank: DDP must broadcast rank 0's
ddp = dist.DistributedDataParallel(model, bucket_cap_mb=0.002)
res["buckets"] = len(ddp._reducer.buckets)
ref = make(100)                          # rank 0's initial weights
opt = ne.optim.Adam(model.parameters(), lr=1e-2)
ropt = ne.optim.Adam(ref.parameters(), lr=1e-2)
for s in range(steps):
    sl = slice(s * B, (s + 1) * B)
    mine = slice(s * B + rank * B // world, s * B + (rank + 1) * B // world)
    opt.zero_grad()
    F.cross_entropy(ddp(ne.tensor(img[mine]), ne.tensor(seq[mine])), ne.tensor(y[mine], dtype=np.int64)).backward()
    opt.step()
    ropt.zero_grad()
    F.cross_entropy(ref(ne.tensor(img[sl]), ne.tensor(seq[sl])), ne.tensor(y[sl], dtype=np.int64)).backward()
    ropt.step()
res["ddp_identical"] = same_on_all_ranks(flat(model))
res["ddp_vs_single"] = float(np.abs(flat(model) - flat(ref)).max())
res["unused_grad_none"] = model.unused.weight.grad is None
res["overlapped"] = ddp._reducer.stats

# --- no_sync: two micro-batches per rank == one big batch in one process
model = make(7); ddp = dist.DistributedDataParallel(model); ref = make(7)
sl = slice(0, 32)
parts = [slice(rank * 16 + k * 8, rank * 16 + (k + 1) * 8) for k in (0, 1)]
with ddp.no_sync():
    (F.cross_entropy(ddp(ne.tensor(img[parts[0]]), ne.tensor(seq[parts[0]])),
                     ne.tensor(y[parts[0]], dtype=np.int64)) * 0.5).backward()
local = model.head.weight.grad.copy()
res["no_sync_local"] = not same_on_all_ranks(local)
(F.cross_entropy(ddp(ne.tensor(img[parts[1]]), ne.tensor(seq[parts[1]])),
                 ne.tensor(y[parts[1]], dtype=np.int64)) * 0.5).backward()
F.cross_entropy(ref(ne.tensor(img[sl]), ne.tensor(seq[sl])), ne.tensor(y[sl], dtype=np.int64)).backward()
res["no_sync_vs_big_batch"] = max(float(np.abs(p.grad - q.grad).max())
                                  for p, q in zip(model.parameters(), ref.parameters()) if q.grad is not None)

# --- sampler: every sample exactly once per epoch across the ranks
n = 37
ds = TensorDataset(np.arange(n, dtype=np.float32)[:, None], np.arange(n))
sampler = DistributedSampler(ds, shuffle=True, seed=3)
cover = []
for epoch in range(2):
    sampler.set_epoch(epoch)
    idx = np.concatenate([yb.data for _, yb in DataLoader(ds, batch_size=4, sampler=sampler)])
    allidx = dist.all_gather([], np.ascontiguousarray(idx, np.int64))
    counts = np.bincount(np.concatenate(allidx), minlength=n)
    cover.append([int(counts.min()), int(counts.sum()), len(idx)])
res["sampler"] = cover

# --- SyncBatchNorm (2 ranks) == BatchNorm2d on the global batch (1 process)
xs = rng.standard_normal((8, 3, 4, 4)).astype(np.float32) * 2 + 1
def bn_model(cls):
    ne.manual_seed(1)
    return nn.Sequential(nn.Conv2d(3, 3, 1), cls(3))
sync = nn.SyncBatchNorm.convert_sync_batchnorm(bn_model(nn.BatchNorm2d))
plain = bn_model(nn.BatchNorm2d)
mine = slice(rank * 4, rank * 4 + 4)
xin = ne.tensor(xs[mine], requires_grad=True)
ys = sync(xin); (ys * ys).sum().backward()
xr = ne.tensor(xs, requires_grad=True)
yr = plain(xr); (yr * yr).sum().backward()
res["syncbn_type"] = type(sync[1]).__name__
res["syncbn_out"] = float(np.abs(ys.data - yr.data[mine]).max())
res["syncbn_xgrad"] = float(np.abs(xin.grad - xr.grad[mine]).max())
gw = sync[1].weight.grad.copy(); dist.all_reduce(gw)
res["syncbn_wgrad"] = float(np.abs(gw - plain[1].weight.grad).max())
res["syncbn_running"] = float(np.abs(sync[1].running_var - plain[1].running_var).max())

# --- fit: BackupAndRestore resumes a distributed run exactly like an uninterrupted one
from nnengine.train import BackupAndRestore, fit
X = rng.standard_normal((120, 6)).astype(np.float32); Y = (X[:, 0] > 0).astype(np.int64)
ckpt = sys.argv[2]
def run(epochs, cb):
    ne.manual_seed(0)
    m = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 2))
    o = ne.optim.Adam(m.parameters(), lr=1e-2)
    h = fit(m, "cross_entropy", o, DataLoader(TensorDataset(X, Y), batch_size=16, shuffle=True, seed=1),
            validation=(X[:30], Y[:30]), epochs=epochs, callbacks=cb, verbose=0)
    return m, h
full, hfull = run(4, [])
run(2, [BackupAndRestore(ckpt)])
resumed, hres = run(4, [BackupAndRestore(ckpt)])
res["fit_identical"] = same_on_all_ranks(flat(resumed))
res["resume_vs_full"] = float(np.abs(flat(resumed) - flat(full)).max())
res["fit_history"] = [hfull.history["loss"], hres.history["loss"], hres.epoch]
res["fit_steps"] = hfull.params["steps"]
if rank == 0:
    with open(sys.argv[1], "w") as f:
        json.dump(res, f)
'''


@pytest.fixture(scope="module")
def mpi_results(tmp_path_factory):
    d = tmp_path_factory.mktemp("mpi")
    (d / "worker.py").write_text(WORKER)
    t0 = time.perf_counter()
    p = _run([sys.executable, "worker.py", "res.json", "run.ckpt"], cwd=d)
    assert p.returncode == 0, f"mpiexec failed ({p.returncode}):\n{p.stdout}\n{p.stderr}"
    res = json.loads((d / "res.json").read_text())
    res["seconds"] = time.perf_counter() - t0
    return res


def test_collectives(mpi_results):
    assert mpi_results["world"] == 2
    x, t, mx, b, g = mpi_results["collectives"]
    assert x == [3, 3, 3] and t == [1.5, 1.5] and mx == 1 and b == [1, 1] and g == [0, 10]


def test_ddp_equals_one_process_on_the_global_batch(mpi_results):
    assert mpi_results["buckets"] > 2  # several buckets, started as they fill
    assert mpi_results["ddp_identical"]  # bit-identical parameters on every rank
    assert mpi_results["ddp_vs_single"] < 1e-4
    assert mpi_results["unused_grad_none"]
    st = mpi_results["overlapped"]
    assert st["overlapped_buckets"] > 0 and st["buckets"] >= st["overlapped_buckets"]


def test_no_sync_accumulation_equals_one_big_batch(mpi_results):
    assert mpi_results["no_sync_local"]  # inside no_sync the ranks' gradients differ: nothing was reduced
    assert mpi_results["no_sync_vs_big_batch"] < 1e-5


def test_sampler_covers_every_sample_once_per_epoch(mpi_results):
    for mn, total, local in mpi_results["sampler"]:
        assert mn == 1 and total == 38 and local == 19  # 37 samples: one padding repeat


def test_sync_batchnorm_equals_batchnorm_on_the_global_batch(mpi_results):
    assert mpi_results["syncbn_type"] == "SyncBatchNorm"
    for k in ("syncbn_out", "syncbn_xgrad", "syncbn_wgrad", "syncbn_running"):
        assert mpi_results[k] < 1e-4, k


def test_fit_backup_and_restore_resumes_a_distributed_run(mpi_results):
    assert mpi_results["fit_identical"]
    assert mpi_results["resume_vs_full"] < 1e-6
    full, resumed, epochs = mpi_results["fit_history"]
    assert epochs == [0, 1, 2, 3] and np.allclose(full, resumed)
    assert mpi_results["fit_steps"] == 8  # 120 samples, global batch 16 -> 8 per rank, 8 steps


def test_a_raising_rank_ends_the_job(tmp_path):
    (tmp_path / "boom.py").write_text(textwrap.dedent("""
        import nnengine.distributed as dist
        dist.init_process_group()
        if dist.get_rank() == 1:
            raise ValueError("boom on rank 1")
        dist.barrier()   # rank 0 would wait here forever without the abort
        print("not reached")
    """))
    # rank 0 would wait in the barrier forever without the abort: _run's timeout fails the test if the job hangs
    p = _run([sys.executable, "boom.py"], cwd=tmp_path, timeout=60)
    assert p.returncode != 0
    assert "ValueError: boom on rank 1" in p.stderr and "rank 1 of 2" in p.stderr
    assert "not reached" not in p.stdout


def _accuracy(text: str) -> float:
    m = re.search(r"test accuracy: ([0-9.]+)", text)
    assert m, text
    return float(m.group(1))


def test_cli_train_under_mpiexec_matches_one_process(tmp_path):
    args = ["-m", "nnengine", "train", "--dataset", "digits", "--model", "mlp", "--epochs", "3", "--plot", ""]
    one = subprocess.run([sys.executable, *args, "--output", "one.safetensors"], cwd=tmp_path, env=_env(),
                         capture_output=True, text=True, timeout=120)
    assert one.returncode == 0, one.stderr
    two = _run([sys.executable, *args, "--output", "two.safetensors"], cwd=tmp_path)
    assert two.returncode == 0, two.stdout + two.stderr
    assert "x 2 MPI processes" in two.stdout
    assert two.stdout.count("saved model") == 1 and two.stdout.count("epoch 3/3") == 1  # rank 0 alone
    a1, a2 = _accuracy(one.stdout), _accuracy(two.stdout)
    assert a2 > 0.88 and abs(a1 - a2) < 0.04, (a1, a2)
    m = ne.io.load_model(str(tmp_path / "two.safetensors"))
    assert not any(k.startswith("module.") for k in m.state_dict())
