"""``python -m nnengine.distributed.run``: torchrun's launcher for the TCP (``gloo``) process group.

Starts ``--nproc-per-node`` copies of a script (or ``-m module``) on this machine with the environment torch's
``env://`` rendezvous reads: ``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``, ``LOCAL_WORLD_SIZE``, ``GROUP_RANK``,
``MASTER_ADDR``, ``MASTER_PORT``. For several machines run it on each with the same ``--nnodes``,
``--master-addr`` (rank 0's machine) and ``--master-port``, and each machine's ``--node-rank``. ``--standalone``
(one machine) picks a free port. When a process fails, the others on this machine are stopped and the launcher
exits with the failing process's status.

Example (shell)::

    python -m nnengine.distributed.run --nproc-per-node 2 train.py --epochs 3
    # machine A: --nnodes 2 --node-rank 0 --master-addr A --master-port 29500 --nproc-per-node 2 train.py
    # machine B: --nnodes 2 --node-rank 1 --master-addr A --master-port 29500 --nproc-per-node 2 train.py
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from typing import List, Optional


def free_port() -> int:
    """A TCP port that is free on this machine now.

    Example:
        >>> 0 < free_port() < 65536
        True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m nnengine.distributed.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--nproc-per-node", "--nproc_per_node", type=int, default=1, dest="nproc")
    p.add_argument("--nnodes", type=int, default=1)
    p.add_argument("--node-rank", "--node_rank", type=int, default=0, dest="node_rank")
    p.add_argument("--master-addr", "--master_addr", default="127.0.0.1", dest="master_addr")
    p.add_argument("--master-port", "--master_port", type=int, default=29500, dest="master_port")
    p.add_argument("--standalone", action="store_true", help="one machine: pick a free port")
    p.add_argument("-m", "--module", action="store_true", help="run the target as a module (python -m)")
    p.add_argument("script")
    p.add_argument("script_args", nargs=argparse.REMAINDER)
    return p


def main(argv: Optional[List[str]] = None) -> int:
    """Launch the processes, wait for them, return the exit status (0 when all succeeded).

    Example:
        >>> main(["--nproc-per-node", "0", "x.py"])
        Traceback (most recent call last):
        SystemExit: 2
    """
    p = _parser()
    a = p.parse_args(argv)
    if a.nproc < 1 or a.nnodes < 1 or not 0 <= a.node_rank < a.nnodes:
        p.error(f"expected --nproc-per-node >= 1, --nnodes >= 1 and 0 <= --node-rank < --nnodes, got "
                f"{a.nproc}, {a.nnodes}, {a.node_rank}")
    if not 0 < a.master_port < 65536 and not a.standalone:
        p.error(f"--master-port: expected a port in 1..65535, got {a.master_port}")
    port = free_port() if a.standalone else a.master_port
    world = a.nnodes * a.nproc
    target = ["-m", a.script] if a.module else [a.script]
    procs: List[subprocess.Popen] = []
    for local in range(a.nproc):
        env = dict(os.environ, RANK=str(a.node_rank * a.nproc + local), LOCAL_RANK=str(local),
                   WORLD_SIZE=str(world), LOCAL_WORLD_SIZE=str(a.nproc), GROUP_RANK=str(a.node_rank),
                   MASTER_ADDR=a.master_addr, MASTER_PORT=str(port))
        procs.append(subprocess.Popen([sys.executable, *target, *a.script_args], env=env))
    status = 0
    try:
        while procs:
            for pr in list(procs):
                rc = pr.poll()
                if rc is None:
                    continue
                procs.remove(pr)
                if rc != 0 and status == 0:
                    status = rc
                    sys.stderr.write(f"nnengine.distributed.run: a process exited with status {rc}; stopping the "
                                     f"{len(procs)} others on this machine\n")
                    for other in procs:
                        other.send_signal(signal.SIGTERM)
            time.sleep(0.05)
    except KeyboardInterrupt:
        for pr in procs:
            pr.send_signal(signal.SIGINT)
        for pr in procs:
            pr.wait()
        return 130
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main())
