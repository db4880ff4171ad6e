"""Listening sockets for uvicorn's worker processes: one per worker, on the same address (SO_REUSEPORT).

uvicorn's multi-worker mode binds one socket and shares it with every worker. Whichever worker wakes
first accepts every connection waiting at that moment, so a burst of new connections lands on one
worker: measured with 2 workers and wrk's 16 connections, splits of 16/0 and 14/2 (the busy worker
answered at half the machine's rate while the other core idled). With one socket per worker in one
SO_REUSEPORT group, Linux spreads connections over the workers' accept queues by a hash of each
connection's addresses (8/8, 7/9, 11/5, 8/8, 8/8 measured). (Other kernels' SO_REUSEPORT does not
balance this way; Fortress servers run on Linux.)

``WorkerSockets`` is the list uvicorn hands to each worker process. The parent holds one bound socket
that never listens: it reserves the port (a taken port fails before any worker starts; port 0 becomes
a real port) and lets the workers join its group. Pickled into a worker, the list becomes that worker's
own new socket on the same address; uvicorn's supervisor (start, health checks, restarts, signals) is
used as it is.
"""

from __future__ import annotations

import socket
from typing import Any


def _reuseport_socket(family: int, address: tuple[Any, ...]) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class WorkerSockets(list[socket.socket]):
    def __init__(self, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__([_reuseport_socket(family, (host, port))])

    @property
    def port(self) -> int:
        return int(self[0].getsockname()[1])

    def __reduce__(self) -> tuple[Any, ...]:
        """In a worker process: a list holding that worker's own socket on the same address."""
        reserved = self[0]
        return _for_worker, (reserved.family, reserved.getsockname())


def _for_worker(family: int, address: tuple[Any, ...]) -> list[socket.socket]:
    return [_reuseport_socket(family, address)]
