"""Dynamic batching: rows from concurrent callers of one model version run as one model call.

A call that finds the model idle, when the model's one-row call is cheap (``inline_below_us``), runs on
the event loop at the end of the current loop turn, together with every call that arrived in the same
turn (no queue, no thread hop; concurrent callers still batch). Otherwise calls queue: when a compute
slot is free the queued rows run together on the compute pool, after waiting at most ``max_delay_us``
for the batch to reach ``max_batch_size`` rows while another batch is computing. A failed batch fails
every caller in it; a full queue rejects with ``Overloaded``. ``BatcherPool`` is the ``per_model``
dispatcher (``runtime/dispatch.py``): one batcher per loaded version.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np

from fortress.errors import Overloaded
from fortress.monitoring.runtime_metrics import RuntimeMetrics
from fortress.runtime.batching_settings import BatchingSettings
from fortress.runtime.errors import BadTensor, ModelNotLoaded
from fortress.runtime.session import LoadedModel


@dataclass(slots=True)
class Pending:
    feeds: dict[str, np.ndarray]
    rows: int
    enqueued_ns: int
    future: asyncio.Future[np.ndarray]


class BatchHistograms:
    """A version's batch histogram children, looked up once (not per call); the grouped dispatcher
    (``runtime/group.py``) records its model calls on the same ones."""

    __slots__ = ("compute", "queue", "rows")

    def __init__(self, metrics: RuntimeMetrics, labels: tuple[str, str]) -> None:
        self.compute = metrics.compute_seconds.labels(*labels)
        self.rows = metrics.batch_rows.labels(*labels)
        self.queue = metrics.queue_seconds.labels(*labels)

    def record(self, seconds: float, started_ns: int, callers: Iterable[tuple[int, int]]) -> None:
        """One model call: its compute ``seconds``, and per caller ``(rows, queued_ns)``: the rows it
        added and when it was queued (its wait runs to ``started_ns``)."""
        self.compute.observe(seconds)
        total = 0
        for rows, queued_ns in callers:
            total += rows
            self.queue.observe(max(0, started_ns - queued_ns) / 1e9)
        self.rows.observe(total)


class DynamicBatcher:
    def __init__(
        self,
        run: Callable[[dict[str, np.ndarray]], np.ndarray],
        name: str,
        version: int,
        settings: BatchingSettings,
        executor: Executor | None = None,
        metrics: RuntimeMetrics | None = None,
        *,
        inline_when_idle: bool = False,
    ) -> None:
        self._run = run
        self._inline = inline_when_idle
        self.name, self.version = name, version
        self.settings = settings
        self._executor = executor
        self._metrics = metrics
        self._labels = (name, str(version))
        self._hist = None if metrics is None else BatchHistograms(metrics, self._labels)
        self._queue: deque[Pending] = deque()
        self._queued_rows = 0
        self._inflight = 0
        self._arrived = asyncio.Event()
        self._slot_free = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._computing: set[asyncio.Task[None]] = set()
        self._closed = False
        self._gathered: list[Pending] = []
        """Inline calls waiting for the end of this event-loop turn, to run as one batch."""

    @classmethod
    def for_model(
        cls,
        model: LoadedModel,
        settings: BatchingSettings,
        executor: Executor | None = None,
        metrics: RuntimeMetrics | None = None,
    ) -> DynamicBatcher:
        inline = model.batch1_seconds * 1e6 < settings.inline_below_us
        return cls(model.run, model.name, model.version, settings, executor, metrics, inline_when_idle=inline)

    def submit(self, feeds: dict[str, np.ndarray]) -> asyncio.Future[np.ndarray]:
        """The future of exactly these rows' probabilities. ``feeds`` must already be checked."""
        if self._closed:
            raise ModelNotLoaded(f"{self.name} v{self.version} is unloading")
        rows = len(next(iter(feeds.values())))
        if rows > self.settings.max_queue_rows:  # could never be queued: the caller's error, not load
            raise BadTensor(
                f"{self.name}: {rows} rows in one request; the limit is {self.settings.max_queue_rows}"
            )
        if self._queued_rows + rows > self.settings.max_queue_rows:
            self._reject("queue_full")
            raise Overloaded(f"{self.name}: queue full ({self._queued_rows} rows waiting)")
        loop = asyncio.get_running_loop()
        pending = Pending(feeds, rows, time.perf_counter_ns(), loop.create_future())
        if self._inline and not self._inflight and not self._queue and rows <= self.settings.max_batch_size:
            if not self._gathered:
                loop.call_soon(self._run_gathered)  # after every callback ready now: their calls join
            self._gathered.append(pending)
            return pending.future
        self._queue.append(pending)
        self._queued_rows += rows
        self._gauge()
        if self._task is None:
            self._task = loop.create_task(self._run_loop(), name=f"batcher-{self.name}")
        self._arrived.set()
        return pending.future

    def _run_gathered(self) -> None:
        """On the event loop: this turn's inline calls, as batches of at most ``max_batch_size`` rows."""
        gathered, self._gathered = [p for p in self._gathered if not p.future.done()], []
        batch: list[Pending] = []
        rows = 0
        for pending in gathered:
            if batch and rows + pending.rows > self.settings.max_batch_size:
                self._run_batch(batch)
                batch, rows = [], 0
            batch.append(pending)
            rows += pending.rows
        if batch:
            self._run_batch(batch)

    def _run_batch(self, batch: list[Pending]) -> None:
        started = time.perf_counter_ns()
        try:
            out = self._run(concat_feeds([p.feeds for p in batch]))
        except Exception as exc:
            for p in batch:
                p.future.set_exception(exc)
        else:
            _hand_out(batch, out)
        self._observe(batch, started)

    @property
    def histograms(self) -> BatchHistograms | None:
        """This version's batch histograms (``None`` without metrics)."""
        return self._hist

    def _reject(self, reason: str) -> None:
        if self._metrics:
            self._metrics.rejected.labels(*self._labels, reason).inc()

    def _gauge(self) -> None:
        if self._metrics:
            self._metrics.queue_depth.labels(*self._labels).set(self._queued_rows)

    async def _run_loop(self) -> None:
        while True:
            while not self._queue:
                self._arrived.clear()
                await self._arrived.wait()
            while self._inflight >= self.settings.max_inflight_batches:
                self._slot_free.clear()
                await self._slot_free.wait()
            if self._inflight:  # busy: give the batch a chance to fill
                await self._fill()
            batch = self._take()
            if batch:
                self._inflight += 1
                task = asyncio.get_running_loop().create_task(self._compute(batch))
                self._computing.add(task)
                task.add_done_callback(self._computing.discard)

    async def _fill(self) -> None:
        deadline = self._queue[0].enqueued_ns + self.settings.max_delay_us * 1000
        while self._queued_rows < self.settings.max_batch_size:
            remaining = (deadline - time.perf_counter_ns()) / 1e9
            if remaining <= 0:
                return
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                return

    def _take(self) -> list[Pending]:
        batch: list[Pending] = []
        rows = 0
        while self._queue:
            head = self._queue[0]
            if batch and rows + head.rows > self.settings.max_batch_size:
                break
            self._queue.popleft()
            self._queued_rows -= head.rows
            if head.future.done():  # its caller's deadline passed (``Submitted.wait`` cancelled it)
                self._reject("deadline")
            else:
                batch.append(head)
                rows += head.rows
        self._gauge()
        return batch

    async def _compute(self, batch: list[Pending]) -> None:
        started = time.perf_counter_ns()
        try:
            feeds = concat_feeds([p.feeds for p in batch])
            loop = asyncio.get_running_loop()
            out = await loop.run_in_executor(self._executor, self._run, feeds)
        except Exception as exc:
            for p in batch:
                if not p.future.done():
                    p.future.set_exception(exc)
        else:
            _hand_out(batch, out)
        finally:
            self._inflight -= 1
            self._slot_free.set()
            self._observe(batch, started)

    def _observe(self, batch: list[Pending], started_ns: int) -> None:
        if self._hist is None:
            return
        seconds = (time.perf_counter_ns() - started_ns) / 1e9
        self._hist.record(seconds, started_ns, ((p.rows, p.enqueued_ns) for p in batch))

    async def aclose(self) -> None:
        """Stop accepting, let queued and running batches finish, then stop the loop."""
        self._closed = True
        while self._queue or self._computing or self._gathered:
            if self._computing:
                await asyncio.gather(*self._computing, return_exceptions=True)
            else:
                await asyncio.sleep(0.001)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


class BatcherPool:
    """The ``per_model`` dispatcher: each loaded version's own ``DynamicBatcher``, made on first use."""

    def __init__(
        self, executor: Executor, settings: BatchingSettings, metrics: RuntimeMetrics | None = None
    ) -> None:
        self._executor = executor
        self._settings = settings
        self._metrics = metrics
        self._batchers: dict[int, DynamicBatcher] = {}

    def submit(
        self, model: LoadedModel, feeds: dict[str, np.ndarray], histograms: BatchHistograms | None
    ) -> asyncio.Future[np.ndarray]:
        batcher = self._batchers.get(id(model))
        if batcher is None:
            batcher = DynamicBatcher.for_model(model, self._settings, self._executor, self._metrics)
            self._batchers[id(model)] = batcher
        return batcher.submit(feeds)

    async def release(self, model: LoadedModel) -> None:
        batcher = self._batchers.get(id(model))
        if batcher is not None:
            await batcher.aclose()  # closed first: a late call hears "unloading", never a new batcher
            del self._batchers[id(model)]


def _hand_out(batch: list[Pending], out: np.ndarray) -> None:
    """Each caller still waiting gets exactly its rows of the batch's output."""
    offset = 0
    for p in batch:
        if not p.future.done():
            p.future.set_result(out[offset : offset + p.rows])
        offset += p.rows


def concat_feeds(feeds: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    if len(feeds) == 1:
        return feeds[0]
    return {name: np.concatenate([f[name] for f in feeds]) for name in feeds[0]}
