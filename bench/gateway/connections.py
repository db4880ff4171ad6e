"""The many-connections test: wrk holds N connections (10,000 by default) open against one server, each
sending the investigation again as soon as its answer arrives, for a bounded time.

Closed loop with N requests always in flight: by Little's law each waits about N / throughput seconds,
so wrk's timeout is set well above that wait (three times it, from the throughput the server reached
at the highest concurrency measured before: under N connections it answers more slowly) and the run
lasts twice that timeout, so that a request left waiting past the timeout is seen and counted as an
error (wrk drops, uncounted, what is still in flight when the run ends). The file-descriptor limits of
the server's processes (``prlimit``) and of wrk are raised to N plus a margin.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from bench.gateway.sockets import Limits, Watcher, listen_overflows, raise_limits
from bench.serving import cpu
from bench.serving.processes import Server
from bench.serving.wrk import WrkError, WrkResult, run_wrk

MIN_DURATION_S = 10.0


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
    peak_accept_queue: int | None = None
    full_samples: tuple[int, int] = (0, 0)
    """(one-second samples with the accept queue at its limit, samples)."""
    listen_overflows: int | None = None
    """Connection attempts the kernel dropped meanwhile because an accept queue was full."""
    others_cores: float | None = None


def plan(connections: int, throughput: float | None, duration_s: float, max_s: float) -> tuple[float, float]:
    """(duration, wrk timeout): the timeout is three times the expected wait N / throughput (at least
    10 s); the duration ``duration_s`` if given (> 0), else twice the timeout (at least MIN_DURATION_S,
    at most ``max_s``). A timeout never exceeds half the duration: a longer one could never fire."""
    wait = connections / throughput if throughput else max_s / 6
    timeout = max(10.0, 3 * wait)
    duration = duration_s if duration_s > 0 else min(max_s, max(MIN_DURATION_S, 2 * timeout))
    return duration, min(timeout, duration / 2)


def run_many(
    server: Server, url: str, script: Path, connections: int, duration_s: float, timeout_s: float
) -> ManyConnections:
    limits = raise_limits(server.pid, connections)
    cpu.wait_for_quiet(())  # the whole machine, the server included (it may still drain earlier load)
    port = int(server.base_url.rsplit(":", 1)[1])
    watcher = Watcher(server.pid, port, limits.backlog)
    watcher.start()
    overflows = listen_overflows()
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
        watcher.stopped.set()
        with contextlib.suppress(RuntimeError):
            watcher.join(timeout=5)
    others = cpu.others_cores(started, cpu.sample((server.pid,)))
    after = listen_overflows()
    return ManyConnections(
        connections=connections,
        duration_s=duration_s,
        timeout_s=timeout_s,
        limits=limits,
        result=result,
        error=error,
        peak_open_fds=watcher.peak_fds,
        peak_accept_queue=watcher.peak_queue,
        full_samples=(watcher.full, watcher.samples),
        listen_overflows=after - overflows if after is not None and overflows is not None else None,
        others_cores=others,
    )
