"""What the kernel and a server process say about connections (Linux /proc; None elsewhere): limits,
open file descriptors, the listen socket's accept queue, and the kernel's listen-overflow counter."""

from __future__ import annotations

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


def raise_limits(pid: int, connections: int) -> Limits:
    """Raise the server's open-file limit (soft, up to the hard limit) to hold ``connections``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = connections + FD_MARGIN
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    want = max(want, soft)
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
    """Connections waiting in the accept queue of the socket listening on 127.0.0.1:``port``."""
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return None
    local = f"0100007F:{port:04X}"
    for line in lines:
        fields = line.split()
        if fields[1] == local and fields[3] == _LISTEN:
            return int(fields[4].split(":")[1], 16)  # rx_queue of a listening socket: its accept queue
    return None


def open_fds(pid: int) -> int | None:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


class Watcher(threading.Thread):
    """Every second: the server's open file descriptors and its accept queue; peaks and full spells."""

    def __init__(self, pid: int, port: int, backlog: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.port, self.backlog = pid, port, backlog
        self.peak_fds: int | None = None
        self.peak_queue: int | None = None
        self.samples = 0
        self.full = 0
        """Samples in which the accept queue was at its limit."""
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(1.0):
            fds, queue = open_fds(self.pid), accept_queue(self.port)
            self.samples += 1
            if fds is not None:
                self.peak_fds = max(self.peak_fds or 0, fds)
            if queue is not None:
                self.peak_queue = max(self.peak_queue or 0, queue)
                self.full += queue >= self.backlog
