"""What ``/metrics`` answers, for one process or for one of a server's workers.

``LocalExport``: the process's own registry (one process: ``fortress up --workers 1``, tests).
``WorkerExport``: every worker of the server (``worker_files``): the worker flushes its registry to its
file every ``flush_interval_s`` from a task on its event loop (the thread every metric is updated from,
so a snapshot never races an update, and never inside a request), at shutdown, and before answering a
scrape; the answer merges every worker's file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Protocol

from prometheus_client import CollectorRegistry, generate_latest

from fortress.monitoring.settings import MonitoringSettings
from fortress.monitoring.worker_files import WorkerFiles, merged_registry

logger = logging.getLogger(__name__)


class MetricsExport(Protocol):
    async def render(self) -> bytes:
        """The Prometheus text of the whole server."""

    def start(self) -> None:
        """In the running event loop."""

    async def aclose(self) -> None: ...


class LocalExport:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    async def render(self) -> bytes:
        return generate_latest(self.registry)  # in the loop: the metrics are updated from it

    def start(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


class WorkerExport:
    def __init__(self, registry: CollectorRegistry, directory: Path, flush_interval_s: float) -> None:
        self.files = WorkerFiles(registry, directory)
        self.interval = flush_interval_s
        self._merged = merged_registry(directory)
        self._task: asyncio.Task[None] | None = None

    def flush(self) -> None:
        try:
            self.files.flush()
        except Exception:  # monitoring must never take a server down
            logger.exception("cannot write this worker's metrics to %s", self.files.directory)

    async def render(self) -> bytes:
        """This worker's flush in the loop, then the merge (files only) in a thread: reading every
        worker's files takes tens of milliseconds (``bench.metrics_flush``), which requests would
        otherwise wait out."""
        self.flush()
        return await asyncio.to_thread(generate_latest, self._merged)

    def start(self) -> None:
        if self._task is None:
            self.flush()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="metrics-flush")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.flush()

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.flush()
        self.files.close()


def metrics_export(registry: CollectorRegistry, settings: MonitoringSettings) -> MetricsExport:
    """The workers' merged metrics when the server gave this process a directory, else its own."""
    if settings.worker_metrics_dir is None:
        return LocalExport(registry)
    return WorkerExport(registry, settings.worker_metrics_dir, settings.flush_interval_s)
