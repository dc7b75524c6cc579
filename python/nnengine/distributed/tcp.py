"""The TCP process group (``backend="gloo"``, torch's CPU backend name): collectives over plain sockets, for
programs launched by ``torchrun`` / ``python -m nnengine.distributed.run`` or ``torch.multiprocessing.spawn``,
on one machine or several. No MPI needed.

Rendezvous as torch's ``env://``: rank 0 listens on ``MASTER_ADDR:MASTER_PORT`` and every other rank connects to
it (retrying until the timeout), so the ranks form a star around rank 0. Each collective goes through rank 0:
``all_reduce`` combines the ranks' arrays in rank order (0, 1, ..., n-1) and sends the result back, so every
rank gets the same bits whatever the timing. Every socket operation has the group's timeout, and a peer that
dies closes its sockets, so the others raise ``RuntimeError`` instead of waiting forever.

The communicator offers the few mpi4py communicator methods nnengine's DDP, SyncBatchNorm and collectives call
(``Allreduce``/``Iallreduce``/``Bcast``/``Allgather``/``Barrier``/``bcast``/``allgather``), all run in order by one
worker thread, so a non-blocking all-reduce overlaps the backward sweep as under MPI; ``MPI_SHIM`` stands in
for the ``mpi4py.MPI`` module.

Example:
    >>> import nnengine.distributed as dist
    >>> dist.destroy_process_group()  # (a doctest before this one may have joined a group)
    >>> dist.init_process_group("gloo", init_method="tcp://127.0.0.1:29512", rank=0, world_size=1)
    >>> dist.get_backend(), dist.get_world_size()
    ('gloo', 1)
    >>> dist.destroy_process_group()
"""

from __future__ import annotations

import os
import pickle
import queue
import socket
import struct
import threading
import time
from typing import Any, Callable, List, Optional

import numpy as np

_HELLO = b"NNETCP01"
_HEADER = struct.Struct("<Q")


class _Request:
    """A queued collective: ``Wait()`` blocks until it ran (and re-raises its error), ``Test()`` polls."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: Optional[BaseException] = None
        self.result: Any = None

    def Wait(self) -> Any:  # noqa: N802 (mpi4py's spelling)
        self.done.wait()
        if self.error is not None:
            raise RuntimeError(f"nnengine.distributed (gloo): a collective failed: {self.error}") from self.error
        return self.result

    def Test(self) -> bool:  # noqa: N802
        return self.done.is_set()

    # torch's Work object
    def wait(self, timeout: Any = None) -> bool:
        self.Wait()
        return True

    def is_completed(self) -> bool:
        return self.done.is_set()


class _RequestApi:
    @staticmethod
    def Testall(reqs: List[_Request]) -> bool:  # noqa: N802
        return all(r.Test() for r in reqs)

    @staticmethod
    def Waitall(reqs: List[_Request]) -> None:  # noqa: N802
        for r in reqs:
            r.Wait()


class _World:
    @staticmethod
    def Abort(code: int = 1) -> None:  # noqa: N802 - a failing rank ends itself; its closed sockets end the others
        os._exit(code)


class _MpiShim:
    """What nnengine reads from ``mpi4py.MPI``: the in-place marker, the reduction ops, request helpers."""

    IN_PLACE = object()
    SUM, MAX, MIN, PROD = "sum", "max", "min", "prod"
    Request = _RequestApi
    COMM_WORLD = _World

    @staticmethod
    def _set_abort_status(code: int) -> None:
        pass  # nothing to abort: peers see this process's sockets close when it exits


MPI_SHIM = _MpiShim()
_COMBINE: dict = {"sum": np.add, "max": np.maximum, "min": np.minimum, "prod": np.multiply}


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = sock.recv_into(view[got:], n - got)
        if k == 0:
            raise ConnectionError("a peer closed its connection (it exited or failed)")
        got += k
    return bytes(buf)


class _TcpComm:
    """A star of TCP connections around rank 0 with mpi4py-style collective methods (see the module docstring).

    Example:
        >>> c = _TcpComm(0, 1, "127.0.0.1", 0, timeout=5.0)
        >>> x = np.ones(3, np.float32); c.Allreduce(MPI_SHIM.IN_PLACE, x, op=MPI_SHIM.SUM); x
        array([1., 1., 1.], dtype=float32)
        >>> c.close()
    """

    def __init__(self, rank: int, size: int, host: str, port: int, timeout: float) -> None:
        self.rank, self.size, self.timeout = rank, size, timeout
        self.peers: List[Optional[socket.socket]] = [None] * size
        self._closed = False
        if size > 1:
            self._rendezvous(host, port)
        self._queue: queue.Queue[Any] = queue.Queue()
        self._worker = threading.Thread(target=self._serve, name="nnengine-gloo", daemon=True)
        self._worker.start()

    # ----------------------------------------------------------------- connections
    def _rendezvous(self, host: str, port: int) -> None:
        deadline = time.monotonic() + self.timeout
        if self.rank == 0:
            srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                srv.bind(("" if host in ("", "0.0.0.0") else host, port))
            except OSError as e:
                srv.close()
                raise RuntimeError(f"init_process_group: rank 0 cannot listen on {host}:{port} ({e}); "
                                   "set MASTER_PORT to a free port") from None
            srv.listen(self.size)
            try:
                while any(p is None for p in self.peers[1:]):
                    srv.settimeout(max(0.1, deadline - time.monotonic()))
                    try:
                        conn, _ = srv.accept()
                    except socket.timeout:
                        missing = [r for r in range(1, self.size) if self.peers[r] is None]
                        raise RuntimeError(f"init_process_group: timed out after {self.timeout:g} s waiting for "
                                           f"ranks {missing} to connect to {host}:{port}") from None
                    conn.settimeout(self.timeout)
                    hello = _recv_exact(conn, len(_HELLO) + 16)
                    r, n = struct.unpack("<qq", hello[len(_HELLO):])
                    if hello[:len(_HELLO)] != _HELLO or n != self.size or not 0 < r < self.size or self.peers[r]:
                        conn.close()
                        raise RuntimeError(f"init_process_group: a peer announced rank {r} of {n}; expected ranks 1.."
                                           f"{self.size - 1} of {self.size}, each once")
                    self.peers[r] = conn
            finally:
                srv.close()
        else:
            while True:
                try:
                    conn = socket.create_connection((host, port), timeout=max(0.1, deadline - time.monotonic()))
                    break
                except OSError as e:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"init_process_group: rank {self.rank} could not reach rank 0 at "
                                           f"{host}:{port} within {self.timeout:g} s ({e})") from None
                    time.sleep(0.05)
            conn.settimeout(self.timeout)
            conn.sendall(_HELLO + struct.pack("<qq", self.rank, self.size))
            self.peers[0] = conn
        for p in self.peers:
            if p is not None:
                p.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _send(self, r: int, payload: bytes) -> None:
        sock = self.peers[r]
        assert sock is not None
        header = _HEADER.pack(len(payload))
        if len(payload) < 65536:  # one packet for the small messages (barriers, objects, small buffers)
            sock.sendall(header + payload)
        else:
            sock.sendall(header)
            sock.sendall(payload)

    def _recv(self, r: int) -> bytes:
        sock = self.peers[r]
        assert sock is not None
        (n,) = _HEADER.unpack(_recv_exact(sock, _HEADER.size))
        return _recv_exact(sock, n)

    def _recv_array(self, r: int, like: np.ndarray) -> np.ndarray:
        data = self._recv(r)
        if len(data) != like.nbytes:
            raise RuntimeError(f"rank {r} sent {len(data)} bytes where {like.nbytes} ({like.dtype} {like.shape}) were "
                               "expected: the ranks called a collective with different shapes or dtypes")
        return np.frombuffer(data, like.dtype).reshape(like.shape)

    # ----------------------------------------------------------------- the worker: collectives in call order
    def _serve(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            fn, args, req = item
            try:
                req.result = fn(*args)
            except BaseException as e:  # noqa: BLE001 - handed to the waiting caller
                req.error = e
            req.done.set()

    def _submit(self, fn: Callable[..., Any], *args: Any) -> _Request:
        if self._closed:
            raise RuntimeError("the process group was destroyed")
        req = _Request()
        self._queue.put((fn, args, req))
        return req

    def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self._submit(fn, *args).Wait()

    # ----------------------------------------------------------------- the collectives (worker thread)
    def _allreduce(self, buf: np.ndarray, op: str) -> None:
        if self.size == 1:
            return
        flat = np.ascontiguousarray(buf)
        if self.rank == 0:
            acc = flat.copy()
            for r in range(1, self.size):  # rank order: the same bits on every rank, every run
                acc = _COMBINE[op](acc, self._recv_array(r, flat))
            out = acc.astype(flat.dtype, copy=False).tobytes()
            for r in range(1, self.size):
                self._send(r, out)
            buf[...] = acc
        else:
            self._send(0, flat.tobytes())
            buf[...] = self._recv_array(0, flat)

    def _bcast_bytes(self, data: Optional[bytes], root: int) -> bytes:
        if self.rank == 0:
            if root != 0:
                data = self._recv(root)
            assert data is not None
            for r in range(1, self.size):
                if r != root:
                    self._send(r, data)
            return data
        if self.rank == root:
            assert data is not None
            self._send(0, data)
            return data
        return self._recv(0)

    def _bcast(self, buf: np.ndarray, root: int) -> None:
        if self.size == 1:
            return
        data = self._bcast_bytes(np.ascontiguousarray(buf).tobytes() if self.rank == root else None, root)
        if self.rank != root:
            if len(data) != buf.nbytes:
                raise RuntimeError(f"broadcast: rank {root} sent {len(data)} bytes where {buf.nbytes} were expected")
            buf[...] = np.frombuffer(data, buf.dtype).reshape(buf.shape)

    def _gather_bytes(self, data: bytes) -> List[bytes]:
        if self.size == 1:
            return [data]
        if self.rank == 0:
            parts = [data] + [self._recv(r) for r in range(1, self.size)]
            whole = pickle.dumps(parts, protocol=pickle.HIGHEST_PROTOCOL)
            for r in range(1, self.size):
                self._send(r, whole)
            return parts
        self._send(0, data)
        return pickle.loads(self._recv(0))  # from rank 0 of this job: trusted like torch's object collectives

    # ----------------------------------------------------------------- mpi4py-style API
    def Get_rank(self) -> int:  # noqa: N802
        return self.rank

    def Get_size(self) -> int:  # noqa: N802
        return self.size

    def Dup(self) -> _TcpComm:  # noqa: N802 - one ordered queue serves every user of the group
        return self

    def Free(self) -> None:  # noqa: N802
        pass

    def Allreduce(self, _in_place: Any, buf: np.ndarray, op: str = "sum") -> None:  # noqa: N802
        self._run(self._allreduce, buf, op)

    def Iallreduce(self, _in_place: Any, buf: np.ndarray, op: str = "sum") -> _Request:  # noqa: N802
        return self._submit(self._allreduce, buf, op)

    def Bcast(self, buf: np.ndarray, root: int = 0) -> None:  # noqa: N802
        self._run(self._bcast, buf, root)

    def Allgather(self, send: np.ndarray, recv: np.ndarray) -> None:  # noqa: N802
        parts = self._run(self._gather_bytes, np.ascontiguousarray(send).tobytes())
        for r, p in enumerate(parts):
            if len(p) != send.nbytes:
                raise RuntimeError(f"all_gather: rank {r} sent {len(p)} bytes where {send.nbytes} were expected")
            recv[r] = np.frombuffer(p, send.dtype).reshape(send.shape)

    def Barrier(self) -> None:  # noqa: N802
        self._run(self._gather_bytes, b"")

    def bcast(self, obj: Any, root: int = 0) -> Any:
        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL) if self.rank == root else None
        return pickle.loads(self._run(self._bcast_bytes, data, root))

    def allgather(self, obj: Any) -> List[Any]:
        return [pickle.loads(p) for p in self._run(self._gather_bytes, pickle.dumps(obj, pickle.HIGHEST_PROTOCOL))]

    def close(self) -> None:
        """Stop the worker and close the connections (after the queued collectives ran)."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._worker.join(timeout=self.timeout)
        for p in self.peers:
            if p is not None:
                p.close()
