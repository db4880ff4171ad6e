"""The many-connections test: wrk holds N connections (10,000 by default) open against one server, each
sending the investigation again as soon as its answer arrives, for a bounded time.

Closed loop with N requests always in flight: by Little's law each waits about N / throughput seconds,
so the run lasts long enough for every connection to be answered (twice that, from the throughput the
server reached at the highest concurrency measured before) and wrk's timeout is set above that wait.
The file-descriptor limits of the server (``prlimit``) and of wrk are raised to N plus a margin.
"""

from __future__ import annotations

import contextlib
import os
import resource
import threading
from dataclasses import dataclass
from pathlib import Path

from bench.serving import cpu
from bench.serving.processes import Server
from bench.serving.wrk import WrkError, WrkResult, run_wrk

UVICORN_BACKLOG = 2048
"""uvicorn's default listen backlog (`fortress up` does not set one)."""
FD_MARGIN = 1024
MIN_DURATION_S = 10.0


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


@dataclass(frozen=True, slots=True)
class ManyConnections:
    connections: int
    duration_s: float
    timeout_s: float
    limits: Limits
    result: WrkResult | None
    error: str = ""
    peak_open_fds: int | None = None
    """Most file descriptors the server held at once (sampled every second): accepted connections."""
    others_cores: float | None = None


def plan(connections: int, throughput: float | None, duration_s: float, max_s: float) -> tuple[float, float]:
    """(duration, wrk timeout): ``duration_s`` if given (> 0), else twice the expected wait
    N / throughput (at least MIN_DURATION_S, at most ``max_s``); the timeout 1.5 times that wait."""
    wait = connections / throughput if throughput else max_s / 2
    if duration_s > 0:
        return duration_s, max(duration_s, 1.5 * wait)
    duration = min(max_s, max(MIN_DURATION_S, 2 * wait))
    return duration, max(10.0, 1.5 * wait)


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


def _open_fds(pid: int) -> int | None:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


class _FdSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak: int | None = None
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(1.0):
            count = _open_fds(self.pid)
            if count is not None:
                self.peak = max(self.peak or 0, count)


def run_many(
    server: Server, url: str, script: Path, connections: int, duration_s: float, timeout_s: float
) -> ManyConnections:
    limits = raise_limits(server.pid, connections)
    cpu.wait_for_quiet(())  # the whole machine, the server included (it may still drain earlier load)
    sampler = _FdSampler(server.pid)
    sampler.start()
    started = cpu.sample((server.pid,))
    result, error = None, ""
    try:
        result = run_wrk(
            url,
            script,
            connections,
            duration_s,
            threads=2,
            timeout_s=timeout_s,
            open_files=limits.open_files,
        )
    except (WrkError, OSError) as exc:
        error = str(exc).splitlines()[0]
    finally:
        sampler.stopped.set()
        with contextlib.suppress(RuntimeError):
            sampler.join(timeout=5)
    others = cpu.others_cores(started, cpu.sample((server.pid,)))
    return ManyConnections(connections, duration_s, timeout_s, limits, result, error, sampler.peak, others)
