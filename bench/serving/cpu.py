"""CPU used by *other* processes while a point is measured: on a shared machine, the noise to report.

Busy time of the whole machine (/proc/stat) minus the server's process groups (a server and, for a
gateway, the model server it calls) and wrk (a reaped child of this process), in cores. Linux only;
elsewhere the figures are None.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

QUIET_CORES = 0.25
"""Below this much CPU used by others, the machine counts as quiet."""
_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Sample:
    at: float
    machine_busy_s: float
    group_s: float
    children_s: float


def _machine_busy_s() -> float:
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    # irq/softirq time is left out: on loopback it is mostly this benchmark's own network traffic, which
    # the kernel charges to no process. steal (the hypervisor's other guests) is noise and stays in.
    user, nice, system, _idle, _iowait, _irq, _softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + steal) / _TICK


def _groups_s(pgids: Collection[int]) -> float:
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            after_name = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(after_name[2]) in pgids:  # state, ppid, pgrp, ..., utime (11), stime (12)
            total += int(after_name[11]) + int(after_name[12])
    return total / _TICK


def sample(pgids: Collection[int]) -> Sample | None:
    """CPU counters now; ``pgids``: the process groups whose CPU is the measured server's own."""
    try:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return Sample(
            time.monotonic(), _machine_busy_s(), _groups_s(pgids), children.ru_utime + children.ru_stime
        )
    except OSError:
        return None


def others_cores(before: Sample | None, after: Sample | None) -> float | None:
    """Cores used on average between the samples by processes other than the server groups and wrk."""
    if before is None or after is None or after.at <= before.at:
        return None
    ours = (after.group_s - before.group_s) + (after.children_s - before.children_s)
    return max(0.0, (after.machine_busy_s - before.machine_busy_s - ours) / (after.at - before.at))


def wait_for_quiet(pgids: Collection[int], max_wait_s: float = 5.0, window_s: float = 1.0) -> float | None:
    """Wait (at most ``max_wait_s``) for a ``window_s`` in which processes outside ``pgids`` (and wrk)
    use < QUIET_CORES; their last measured use in cores."""
    deadline = time.monotonic() + max_wait_s
    used = None
    while True:
        before = sample(pgids)
        time.sleep(window_s)
        used = others_cores(before, sample(pgids))
        if used is None or used < QUIET_CORES or time.monotonic() >= deadline:
            return used
