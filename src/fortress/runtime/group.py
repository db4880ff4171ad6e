"""Grouped dispatch (``grouped`` in ``runtime/dispatch.py``): everything waiting, for every model, runs
as one job on the compute pool.

The gateway asks a dozen models at once for every investigation. Sending each model call to a thread
on its own costs a dozen hand-offs per request; running them on the event loop leaves the second core
idle and never batches. The dispatcher instead collects what arrives while the previous job computes,
then runs one job: per model version, the rows of every waiting caller as one call, models one after
another, in one thread hop (ONNX Runtime releases the GIL, so the loop keeps parsing and encoding the
next requests meanwhile). Each caller gets exactly its rows back; a failing model fails only its callers.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np

from fortress.errors import Overloaded
from fortress.runtime.batcher import BatchHistograms, concat_feeds
from fortress.runtime.session import LoadedModel


@dataclass(slots=True, eq=False)
class _Waiting:
    feeds: dict[str, np.ndarray]
    rows: int
    future: asyncio.Future[np.ndarray]
    queued_ns: int


@dataclass(slots=True, eq=False)
class _Group:
    model: LoadedModel
    histograms: BatchHistograms | None
    waiting: list[_Waiting] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class _Done:
    """A group's model call, as the compute thread leaves it."""

    outcome: np.ndarray | Exception
    started_ns: int
    seconds: float


class GroupDispatcher:
    def __init__(self, executor: Executor, max_inflight: int = 1, max_queue_rows: int = 4096) -> None:
        self._executor = executor
        self._max_inflight = max_inflight
        self._max_queue_rows = max_queue_rows
        self._pending: dict[int, _Group] = {}
        self._pending_rows = 0
        self._inflight: list[dict[int, _Group]] = []
        self._scheduled = False
        self._idle = asyncio.Event()
        self._idle.set()

    def submit(
        self,
        model: LoadedModel,
        feeds: dict[str, np.ndarray],
        histograms: BatchHistograms | None = None,
    ) -> asyncio.Future[np.ndarray]:
        """Queue validated ``feeds`` for ``model``; the future gets exactly these rows' outputs.
        ``histograms``: where the model call that takes them records its rows, compute and queue time."""
        rows = len(next(iter(feeds.values())))
        if self._pending_rows + rows > self._max_queue_rows:
            raise Overloaded(f"{model.name}: {self._pending_rows} rows waiting for the compute pool")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[np.ndarray] = loop.create_future()
        group = self._pending.get(id(model))
        if group is None:
            group = self._pending[id(model)] = _Group(model, histograms)
        group.waiting.append(_Waiting(feeds, rows, future, time.perf_counter_ns()))
        self._pending_rows += rows
        self._idle.clear()
        if not self._scheduled and len(self._inflight) < self._max_inflight:
            self._scheduled = True
            loop.call_soon(self._flush)  # after the current callbacks: the rest of the fan-out joins in
        return future

    def uses(self, model: LoadedModel) -> bool:
        return id(model) in self._pending or any(id(model) in job for job in self._inflight)

    async def release(self, model: LoadedModel) -> None:
        """Until no queued or running job holds ``model`` (so it can be unloaded)."""
        while self.uses(model):
            self._idle.clear()
            await self._idle.wait()

    def _flush(self) -> None:
        self._scheduled = False
        if not self._pending or len(self._inflight) >= self._max_inflight:
            return
        job, self._pending, self._pending_rows = self._pending, {}, 0
        self._inflight.append(job)
        groups = list(job.values())
        done = asyncio.get_running_loop().run_in_executor(self._executor, _compute, groups)
        done.add_done_callback(lambda f: self._finish(job, groups, f))

    def _finish(
        self, job: dict[int, _Group], groups: list[_Group], done: asyncio.Future[list[_Done]]
    ) -> None:
        self._inflight = [j for j in self._inflight if j is not job]  # identity: jobs hold arrays
        calls: list[_Done]
        try:
            calls = done.result()
        except Exception as exc:  # the job itself broke (executor shut down): every caller hears it
            calls = [_Done(exc, 0, 0.0)] * len(groups)
        for group, call in zip(groups, calls, strict=True):
            outcome = call.outcome
            if group.histograms is not None and call.started_ns:
                waits = ((w.rows, w.queued_ns) for w in group.waiting)
                group.histograms.record(call.seconds, call.started_ns, waits)
            offset = 0
            for w in group.waiting:
                if not w.future.done():
                    if isinstance(outcome, Exception):
                        w.future.set_exception(outcome)
                    else:
                        w.future.set_result(outcome[offset : offset + w.rows])
                offset += w.rows
        if self._pending:
            self._flush()
        if not self._pending and not self._inflight:
            self._idle.set()
        else:
            self._idle.set()  # wake waiters so they re-check what they wait for
            self._idle.clear()


def _compute(groups: list[_Group]) -> list[_Done]:
    """In a pool thread: each model version once, on the rows of all its callers."""
    calls: list[_Done] = []
    for group in groups:
        started = time.perf_counter_ns()
        outcome: np.ndarray | Exception
        try:
            outcome = group.model.run(concat_feeds([w.feeds for w in group.waiting]))
        except Exception as exc:  # one model failing fails its callers only
            outcome = exc
        calls.append(_Done(outcome, started, (time.perf_counter_ns() - started) / 1e9))
    return calls
