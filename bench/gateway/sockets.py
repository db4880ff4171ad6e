"""What the kernel and a server process say about connections (Linux /proc; None elsewhere): limits,
open file descriptors, the listen socket's accept queue, and the kernel's listen-overflow counter."""

from __future__ import annotations

import contextlib
import os
import resource
import threading
from dataclasses import dataclass
from pathlib import Path

from fortress.gateway.settings import GatewaySettings

GATEWAY_BACKLOG = GatewaySettings().backlog
"""The listen backlog `fortress up` asks for (``FORTRESS_GATEWAY__BACKLOG``; the kernel caps it)."""
FD_MARGIN = 1024
_LISTEN = "0A"


@dataclass(frozen=True, slots=True)
class Limits:
    open_files: int
    """RLIMIT_NOFILE given to the server and to wrk."""
    hard: int
    somaxconn: int | None
    syn_backlog: int | None

    def holds(self, connections: int) -> bool:
        """Whether the limit leaves room for ``connections`` sockets besides the server's own files."""
        return self.open_files >= connections + 64

    @property
    def backlog(self) -> int:
        """The accept queue's length limit: uvicorn's backlog, capped by net.core.somaxconn."""
        return min(GATEWAY_BACKLOG, self.somaxconn or GATEWAY_BACKLOG)


def _read_int(path: str) -> int | None:
    try:
        return int(Path(path).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def group_pids(pgid: int) -> list[int]:
    """Every live process of process group ``pgid``: a server and its worker processes."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[2]) == pgid:  # state, ppid, pgrp
                pids.append(int(entry.name))
    return pids


def raise_limits(pgid: int, connections: int) -> Limits:
    """Raise the open-file limit (soft, up to the hard limit) of every process of the server's group
    (its workers included) to hold ``connections``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = connections + FD_MARGIN
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    want = max(want, soft)
    for pid in group_pids(pgid):
        with contextlib.suppress(ProcessLookupError):
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (want, hard))
    return Limits(
        want,
        hard,
        _read_int("/proc/sys/net/core/somaxconn"),
        _read_int("/proc/sys/net/ipv4/tcp_max_syn_backlog"),
    )


def listen_overflows() -> int | None:
    """The kernel's count (whole machine) of connections dropped because an accept queue was full."""
    try:
        header, values = (
            line.split()
            for line in Path("/proc/net/netstat").read_text().splitlines()
            if line.startswith("TcpExt:")
        )
        return int(dict(zip(header, values, strict=True))["ListenOverflows"])
    except (OSError, ValueError, KeyError):
        return None


def accept_queue(port: int) -> int | None:
    """Connections waiting in the fullest accept queue of the sockets listening on 127.0.0.1:``port``
    (a multi-worker server listens on one socket per worker, each with its own queue and limit)."""
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return None
    local = f"0100007F:{port:04X}"
    queues = [
        int(fields[4].split(":")[1], 16)  # rx_queue of a listening socket: its accept queue
        for fields in (line.split() for line in lines)
        if fields[1] == local and fields[3] == _LISTEN
    ]
    return max(queues) if queues else None


def open_fds(pgid: int) -> int | None:
    """File descriptors held by the processes of group ``pgid`` together."""
    counts = []
    for pid in group_pids(pgid):
        with contextlib.suppress(OSError):
            counts.append(len(os.listdir(f"/proc/{pid}/fd")))
    return sum(counts) if counts else None


class Watcher(threading.Thread):
    """Every second: the open file descriptors of the server's process group and its accept queue;
    peaks and full spells."""

    def __init__(self, pgid: int, port: int, backlog: int) -> None:
        super().__init__(daemon=True)
        self.pgid, self.port, self.backlog = pgid, port, backlog
        self.peak_fds: int | None = None
        self.peak_queue: int | None = None
        self.samples = 0
        self.full = 0
        """Samples in which the accept queue was at its limit."""
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(1.0):
            fds, queue = open_fds(self.pgid), accept_queue(self.port)
            self.samples += 1
            if fds is not None:
                self.peak_fds = max(self.peak_fds or 0, fds)
            if queue is not None:
                self.peak_queue = max(self.peak_queue or 0, queue)
                self.full += queue >= self.backlog
