"""``DistributedDataParallel``: the same model on every rank, gradients averaged during ``backward()``.

How gradients are caught without a hook in the tape: while the wrapped module runs forward, every
trainable parameter is replaced (in its module's ``_parameters``, for that call only) by a *proxy*, the
output of a pass-through ``Function`` whose inputs are the parameter and one shared *anchor* tensor. The
tape sums every use of a proxy before running its node, so the proxy's ``backward`` runs exactly once per
backward pass with the parameter's complete gradient (PyTorch's "post-accumulate" moment): it copies the
gradient (plus any gradient accumulated locally under ``no_sync()``) into its bucket and, once a bucket
is full, starts a non-blocking ``MPI_Iallreduce`` on it while the sweep goes on. The anchor is an input
of every proxy, so its node runs after all of them: there the remaining buckets are started, all requests
are completed, and the averaged gradients are written to ``param.grad``. The proxies return no gradient
to the parameters themselves, so the tape never touches ``param.grad`` of a synchronized step.

Example:
    >>> import nnengine.distributed as dist
    >>> ddp = dist.DistributedDataParallel(nn.Linear(4, 2))  # rank 0's weights everywhere
    >>> ddp(ne.randn(3, 4)).sum().backward()  # gradients averaged over the ranks here
    >>> ddp.module.weight.grad.shape
    (2, 4)
"""

from __future__ import annotations

import contextlib
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

import numpy as np

from ..autograd import Function, is_grad_enabled
from ..nn.module import Module
from ..tensor import Tensor
from . import process_group as pg

__all__ = ["DistributedDataParallel"]


class _GradReadyFn(Function):
    """Pass-through of a parameter; its backward hands the parameter's full gradient to the reducer."""

    @staticmethod
    def forward(ctx: Any, p: np.ndarray, anchor: np.ndarray, reducer: Any, index: int) -> np.ndarray:
        ctx.reducer, ctx.index, ctx.round = reducer, index, reducer.round
        return p

    @staticmethod
    def backward(ctx: Any, g: np.ndarray) -> Tuple[Any, ...]:
        ctx.reducer.mark_ready(ctx.index, g, ctx.round)
        return None, np.zeros((), np.float32), None, None


class _SweepDoneFn(Function):
    """The anchor: an input of every proxy, so its backward runs after all of theirs."""

    @staticmethod
    def forward(ctx: Any, leaf: np.ndarray, reducer: Any) -> np.ndarray:
        ctx.reducer, ctx.round = reducer, reducer.round
        return np.zeros((), np.float32)

    @staticmethod
    def backward(ctx: Any, g: np.ndarray) -> Tuple[Any, ...]:
        ctx.reducer.finalize(ctx.round)
        return None, None


class _Bucket:
    __slots__ = ("indices", "offsets", "buffer", "pending", "request")

    def __init__(self, indices: List[int], sizes: List[int]) -> None:
        self.indices = indices
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.buffer = np.zeros(int(self.offsets[-1]), np.float32)
        self.pending = len(indices)
        self.request: Any = None


class _Reducer:
    """Buckets of gradients, all-reduced in bucket order (the same on every rank, as MPI requires)."""

    def __init__(self, params: List[Tensor], bucket_cap_bytes: int, comm: Any, MPI: Any, world: int) -> None:
        self.params, self.comm, self.MPI, self.world = params, comm, MPI, world
        self.blocking = False  # True: MPI_Allreduce when a bucket fills (no overlap); for measurements
        self.cap = bucket_cap_bytes
        # first guess: reverse registration order (the last layers' gradients are ready first); after the
        # first backward the buckets are rebuilt in the order rank 0 saw gradients become ready, with
        # parameters the forward did not use last (PyTorch rebuilds its buckets the same way)
        self._build(list(reversed(range(len(params)))))
        self.rebuilt = False
        self.order: List[int] = []
        self.round = 0
        self.active = False
        self.ready = [False] * len(params)
        self.used = [False] * len(params)
        self.next_bucket = 0
        self.stats = {"overlapped_buckets": 0, "buckets": 0}

    def _build(self, order: List[int]) -> None:
        self.buckets: List[_Bucket] = []
        self.where: Dict[int, Tuple[int, int]] = {}
        cur: List[int] = []
        size = 0
        for i in order:
            nbytes = self.params[i]._data.size * 4
            if cur and size + nbytes > self.cap:
                self._add(cur)
                cur, size = [], 0
            cur.append(i)
            size += nbytes
        if cur:
            self._add(cur)

    def _add(self, idx: List[int]) -> None:
        b = len(self.buckets)
        for k, i in enumerate(idx):
            self.where[i] = (b, k)
        self.buckets.append(_Bucket(idx, [self.params[i]._data.size for i in idx]))

    def prepare(self) -> None:
        """A new forward: forget the previous round (a forward without backward leaves nothing pending)."""
        self._wait_all()
        self.round += 1
        self.active = True
        self.ready = [False] * len(self.params)
        self.used = [False] * len(self.params)
        self.order = []
        self.next_bucket = 0
        for b in self.buckets:
            b.pending = len(b.indices)
            b.request = None

    def _put(self, i: int, g: Optional[np.ndarray]) -> None:
        b, k = self.where[i]
        bucket = self.buckets[b]
        dst = bucket.buffer[bucket.offsets[k]:bucket.offsets[k + 1]]
        p = self.params[i]
        if g is None:
            dst[...] = 0 if p.grad is None else np.asarray(p.grad, np.float32).reshape(-1)
        elif p.grad is None:
            dst[...] = np.asarray(g, np.float32).reshape(-1)
        else:  # gradients accumulated locally under no_sync() join this step's
            np.add(np.asarray(p.grad, np.float32).reshape(-1), np.asarray(g, np.float32).reshape(-1), out=dst)
        self.ready[i] = True
        bucket.pending -= 1

    def mark_ready(self, i: int, g: np.ndarray, round_: int) -> None:
        if not self.active or round_ != self.round:
            raise RuntimeError("DistributedDataParallel: backward through the output of an earlier forward; "
                               "run one forward per backward (the latest forward's graph is the one reduced)")
        if self.ready[i]:
            raise RuntimeError("DistributedDataParallel: a parameter's gradient was marked ready twice in one "
                               "backward")
        self.used[i] = True
        self.order.append(i)
        self._put(i, g)
        self._launch_ready()
        self._progress()

    def _launch(self, bucket: _Bucket, during_sweep: bool) -> None:
        self.stats["buckets"] += 1
        if self.blocking:
            self.comm.Allreduce(self.MPI.IN_PLACE, bucket.buffer, op=self.MPI.SUM)
            return
        bucket.request = self.comm.Iallreduce(self.MPI.IN_PLACE, bucket.buffer, op=self.MPI.SUM)
        if during_sweep:
            self.stats["overlapped_buckets"] += 1

    def _launch_ready(self, during_sweep: bool = True) -> None:
        while self.next_bucket < len(self.buckets) and self.buckets[self.next_bucket].pending == 0:
            self._launch(self.buckets[self.next_bucket], during_sweep)
            self.next_bucket += 1

    def _progress(self) -> None:
        """Let MPI move started reductions on (MPICH progresses non-blocking collectives inside MPI calls)."""
        reqs = [b.request for b in self.buckets[:self.next_bucket] if b.request is not None]
        if reqs:
            self.MPI.Request.Testall(reqs)

    def _wait_all(self) -> None:
        reqs = [b.request for b in self.buckets if b.request is not None]
        if reqs:
            self.MPI.Request.Waitall(reqs)
        for b in self.buckets:
            b.request = None

    def finalize(self, round_: int) -> None:
        if not self.active or round_ != self.round:
            return
        for i, r in enumerate(self.ready):
            if not r:  # not used by this forward on this rank: contribute what it has (or zeros)
                self._put(i, None)
        self._launch_ready(during_sweep=False)
        self._wait_all()
        scale = np.float32(1.0 / self.world)
        for b in self.buckets:
            for k, i in enumerate(b.indices):
                p = self.params[i]
                avg = b.buffer[b.offsets[k]:b.offsets[k + 1]] * scale
                if not self.used[i] and p.grad is None and not avg.any():
                    continue  # unused everywhere: keep grad None, as without DDP
                p.grad = avg.reshape(p._data.shape)
        self.active = False
        if not self.rebuilt:
            ready = set(self.order)
            order = self.order + [i for i in reversed(range(len(self.params))) if i not in ready]
            self._build(self.comm.bcast(order, root=0))  # one bucket layout, rank 0's, on every rank
            self.rebuilt = True


class DistributedDataParallel(Module):
    """Data-parallel training over TCP (gloo) or MPI, PyTorch's ``torch.nn.parallel.DistributedDataParallel``.

    At construction rank 0's parameters and buffers are broadcast to every rank. Each ``forward`` runs the
    wrapped module on this rank's batch; the following ``backward()`` averages the trainable parameters'
    gradients over the ranks, in buckets of about ``bucket_cap_mb`` MB (in reverse parameter order) whose
    non-blocking all-reduce starts as soon as the bucket's gradients are complete, overlapping the rest of
    the backward sweep. With ``broadcast_buffers`` (default, as in torch) buffers such as BatchNorm's
    running statistics are broadcast from rank 0 before every training forward; batch statistics are
    per-rank (local) — use ``nn.SyncBatchNorm.convert_sync_batchnorm(model)`` for global ones.

    ``no_sync()`` skips the reduction (gradients accumulate locally) until the first backward outside it.
    ``state_dict()`` is the wrapped module's, *without* torch's ``module.`` prefix, so a checkpoint saved
    from a distributed run loads into the plain model; ``load_state_dict`` accepts either form.

    Run one forward per backward (the gradients of the latest forward's graph are reduced). Parameters a
    forward does not use contribute their current gradient (or zeros) on that rank. Every rank must run the
    same number of forward/backward steps (``DistributedSampler`` gives each the same number of batches).

    Example:
        >>> model = nn.Linear(4, 2)
        >>> ddp = DistributedDataParallel(model, bucket_cap_mb=25)
        >>> ddp(ne.randn(3, 4)).shape, ddp.module is model
        ((3, 2), True)
    """

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group: Any = None, bucket_cap_mb: Optional[float] = None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False, **_torch_only: Any) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"module: expected an nnengine.nn.Module, got {type(module).__name__}")
        # torch's signature: device_ids/output_device name GPUs (ignored: the module runs on the CPU), dim must be
        # the batch dimension 0, find_unused_parameters/static_graph/gradient_as_bucket_view are optimizations
        # nnengine's reducer does not need (unused parameters contribute zeros, see above)
        if dim != 0:
            raise ValueError(f"dim: only 0 (the batch dimension) is supported, got {dim!r}")
        if bucket_cap_mb is None:
            bucket_cap_mb = 25
        if not (isinstance(bucket_cap_mb, (int, float)) and bucket_cap_mb > 0):
            raise ValueError(f"bucket_cap_mb: expected a positive number, got {bucket_cap_mb!r}")
        if process_group is not None:
            raise ValueError("process_group: only the default (world) group is supported")
        if not pg.is_initialized():
            pg.init_process_group()
        self.module = module
        object.__setattr__(self, "bucket_cap_mb", float(bucket_cap_mb))
        object.__setattr__(self, "broadcast_buffers", bool(broadcast_buffers))
        object.__setattr__(self, "require_backward_grad_sync", True)
        params = [p for p in module.parameters() if p.requires_grad]
        object.__setattr__(self, "_params", params)
        world = pg.get_world_size()
        comm = pg.comm()
        object.__setattr__(self, "_comm", None if comm is None else comm.Dup())
        self._check_same_model(params)
        self._sync_params_and_buffers()
        object.__setattr__(self, "_reducer", _Reducer(params, int(self.bucket_cap_mb * 2**20), self._comm,
                                                      pg.mpi(), world))
        object.__setattr__(self, "_anchor_leaf", Tensor(np.zeros((), np.float32), requires_grad=True))

    # ----------------------------------------------------------------- setup
    def _check_same_model(self, params: List[Tensor]) -> None:
        if self._comm is None:
            return
        mine = (len(params), tuple(p._data.shape for p in params))
        shapes = self._comm.allgather(mine)
        if any(s != shapes[0] for s in shapes):
            bad = next(r for r, s in enumerate(shapes) if s != shapes[0])
            raise ValueError(f"DistributedDataParallel: rank {bad}'s model has other parameters than rank 0's "
                             f"({shapes[bad][0]} vs {shapes[0][0]} tensors or different shapes)")

    def _sync_params_and_buffers(self) -> None:
        """Broadcast rank 0's parameters (coalesced into one message) and buffers."""
        if self._comm is None:
            return
        params = list(self.module.parameters())
        if params:
            flat = np.concatenate([p._data.reshape(-1).astype(np.float32) for p in params])
            self._comm.Bcast(flat, root=0)
            off = 0
            for p in params:
                n = p._data.size
                if not (p._data.flags.c_contiguous and p._data.flags.writeable):
                    p.data = np.array(p._data, np.float32, order="C")
                p._data.reshape(-1)[...] = flat[off:off + n]
                off += n
        self._sync_buffers()

    def _sync_buffers(self) -> None:
        if self._comm is None:
            return
        for m in self.module.modules():
            for name, b in list(m._buffers.items()):
                if b is None:
                    continue
                if not (isinstance(b, np.ndarray) and b.flags.c_contiguous and b.flags.writeable):
                    b = m._buffers[name] = np.array(b, order="C")
                self._comm.Bcast(b, root=0)

    # ----------------------------------------------------------------- forward
    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside, backward passes accumulate gradients locally without communication; the first backward
        after it averages the accumulated sum (gradient accumulation over micro-batches).

        Example:
            >>> ddp = DistributedDataParallel(nn.Linear(4, 2))
            >>> with ddp.no_sync():
            ...     ddp(ne.randn(3, 4)).sum().backward()  # accumulates locally
            >>> ddp(ne.randn(3, 4)).sum().backward()  # reduces the gradients of both
        """
        prev = self.require_backward_grad_sync
        object.__setattr__(self, "require_backward_grad_sync", False)
        try:
            yield
        finally:
            object.__setattr__(self, "require_backward_grad_sync", prev)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if self._comm is None:
            return self.module(*args, **kwargs)
        if self.broadcast_buffers and self.module.training and is_grad_enabled():
            self._sync_buffers()
        if not (self.require_backward_grad_sync and is_grad_enabled() and self._params):
            return self.module(*args, **kwargs)
        red = self._reducer
        red.prepare()
        anchor = _SweepDoneFn.apply(self._anchor_leaf, red)
        proxies = {id(p): _GradReadyFn.apply(p, anchor, red, i) for i, p in enumerate(self._params)}
        swapped = []
        try:
            for m in self.module.modules():
                for name, p in m._parameters.items():
                    if p is not None and id(p) in proxies:
                        swapped.append((m, name, p))
                        m._parameters[name] = proxies[id(p)]
            return self.module(*args, **kwargs)
        finally:
            for m, name, p in swapped:
                m._parameters[name] = p

    # ----------------------------------------------------------------- state
    def state_dict(self, *args: Any, **kwargs: Any) -> Any:
        """The wrapped module's state_dict (no ``module.`` prefix: it loads into the plain model); torch's
        ``destination``/``prefix``/``keep_vars`` are passed on.

        Example:
            >>> list(DistributedDataParallel(nn.Linear(4, 2)).state_dict())
            ['weight', 'bias']
        """
        return self.module.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> Any:
        """Load the wrapped module's state; keys may carry torch's ``module.`` prefix or not.

        Example:
            >>> ddp = DistributedDataParallel(nn.Linear(4, 2))
            >>> ddp.load_state_dict({"module." + k: v for k, v in nn.Linear(4, 2).state_dict().items()})
            <All keys matched successfully>
        """
        keys = list(state_dict)
        if keys and all(k.startswith("module.") for k in keys):
            state_dict = {k[len("module."):]: v for k, v in state_dict.items()}
        return self.module.load_state_dict(state_dict, strict=strict)

    def extra_repr(self) -> str:
        return f"world_size={pg.get_world_size()}, bucket_cap_mb={self.bucket_cap_mb:g}"
