"""The one way to run a loaded model version in-process: ``Dispatcher.submit(model, feeds) -> future``.

``ModelRuntime.submit`` checks the tensors and hands them to its dispatcher, which returns at once with
a future of exactly those rows' probabilities (or raises what it refuses: a full queue is
``Overloaded``). Two implementations, chosen once by the composition root that builds the runtime:

- ``per_model`` (``runtime/batcher.py``): each version's own dynamic batcher. The model server's
  requests ask one model each; an idle cheap model answers on the event loop, concurrent callers batch.
- ``grouped`` (``runtime/group.py``): everything waiting, for every model, as one compute job. The
  gateway's investigations ask a dozen models at once; one thread hop serves them all.

A caller that has a deadline awaits the call with ``Submitted.wait(timeout_s)``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from fortress.errors import DeadlineExceeded
from fortress.monitoring.runtime_metrics import RuntimeMetrics
from fortress.runtime.batcher import BatcherPool, BatchHistograms
from fortress.runtime.group import GroupDispatcher
from fortress.runtime.session import LoadedModel
from fortress.runtime.settings import RuntimeSettings


@dataclass(frozen=True, slots=True)
class ModelAnswer:
    model: str
    version: int
    probabilities: np.ndarray
    """float32 [rows, len(spec.labels)], rows in request order."""


@dataclass(frozen=True, slots=True)
class Submitted:
    """A queued model call: which version takes it and the future of its probabilities. Awaiting it
    gives the ``ModelAnswer``."""

    model: str
    version: int
    future: asyncio.Future[np.ndarray]

    def answer(self) -> ModelAnswer:
        """Once the future holds a result."""
        return ModelAnswer(self.model, self.version, self.future.result())

    def latency(self, waited_s: float) -> float:
        """Seconds this call took, for a caller that waited ``waited_s`` for it among others."""
        return waited_s

    def __await__(self) -> Generator[Any, None, ModelAnswer]:
        probabilities = yield from self.future.__await__()
        return ModelAnswer(self.model, self.version, probabilities)

    async def wait(self, timeout_s: float) -> ModelAnswer:
        """The answer, or ``DeadlineExceeded`` (the call is cancelled) after ``timeout_s``."""
        try:
            async with asyncio.timeout(timeout_s):
                return await self
        except TimeoutError:
            self.future.cancel()
            raise DeadlineExceeded(
                f"{self.model} v{self.version}: no answer within {timeout_s:.3f} s"
            ) from None


class Dispatcher(Protocol):
    def submit(
        self, model: LoadedModel, feeds: dict[str, np.ndarray], histograms: BatchHistograms | None
    ) -> asyncio.Future[np.ndarray]:
        """Queue checked ``feeds`` for ``model``; the future gets exactly these rows' outputs.
        ``histograms``: where the model call that takes them records rows, compute and queue time."""

    async def release(self, model: LoadedModel) -> None:
        """Stop taking calls for ``model`` and return once no queued or running work holds it."""


DispatcherFactory = Callable[[Executor, RuntimeSettings, RuntimeMetrics | None], Dispatcher]
"""What a composition root passes to ``ModelRuntime``: ``per_model`` or ``grouped``."""


def per_model(executor: Executor, settings: RuntimeSettings, metrics: RuntimeMetrics | None) -> Dispatcher:
    return BatcherPool(executor, settings.batching, metrics)


def grouped(executor: Executor, settings: RuntimeSettings, metrics: RuntimeMetrics | None) -> Dispatcher:
    return GroupDispatcher(executor, settings.grouped_jobs, settings.batching.max_queue_rows)
