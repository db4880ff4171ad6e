"""DynamicBatcher: exact rows back under concurrency, overload, deadlines, failures, metrics."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from fortress.errors import DeadlineExceeded, Overloaded
from fortress.monitoring.runtime_metrics import RuntimeMetrics
from fortress.runtime.batcher import DynamicBatcher
from fortress.runtime.batching_settings import BatchingSettings
from fortress.runtime.dispatch import Submitted
from fortress.runtime.errors import BadTensor, ModelFailed, ModelNotLoaded
from fortress.runtime.session import LoadedModel
from support.models import tiny_loaded


def _feeds(rng: np.random.Generator, rows: int) -> dict[str, np.ndarray]:
    return {
        "numeric": rng.normal(size=(rows, 2)).astype(np.float32),
        "categorical": rng.choice(["tcp", "udp", "sctp"], size=(rows, 1)).astype(object),
    }


@pytest.fixture(scope="module")
def model() -> LoadedModel:
    return tiny_loaded()


def test_hundreds_of_concurrent_callers_get_exactly_their_rows(model: LoadedModel) -> None:
    registry = CollectorRegistry()
    rng = np.random.default_rng(0)
    requests = [_feeds(rng, int(rng.integers(1, 9))) for _ in range(400)]
    expected = [model.run(r) for r in requests]

    async def main() -> list[np.ndarray]:
        batcher = DynamicBatcher.for_model(
            model, BatchingSettings(max_batch_size=32, inline_below_us=0), metrics=RuntimeMetrics(registry)
        )
        try:
            return await asyncio.gather(*(batcher.submit(r) for r in requests))
        finally:
            await batcher.aclose()

    got = asyncio.run(main())
    for want, have in zip(expected, got, strict=True):
        np.testing.assert_allclose(have, want, atol=1e-6)
    batches = registry.get_sample_value(
        "fortress_batch_rows_count", {"model": "tiny_detector", "version": "1"}
    )
    rows = registry.get_sample_value("fortress_batch_rows_sum", {"model": "tiny_detector", "version": "1"})
    assert rows == sum(len(r["numeric"]) for r in requests)
    assert batches is not None
    assert batches < len(requests) / 4  # really batched
    assert (
        registry.get_sample_value("fortress_batch_queue_rows", {"model": "tiny_detector", "version": "1"})
        == 0
    )


class _Slow:
    """Wraps a model so each run blocks until released (lets a test fill the queue)."""

    def __init__(self, model: LoadedModel) -> None:
        self.model, self.gate = model, threading.Event()

    def run(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        self.gate.wait(5)
        return self.model.run(feeds)


def _slow_batcher(model: LoadedModel, **settings: Any) -> tuple[DynamicBatcher, _Slow]:
    slow = _Slow(model)
    return DynamicBatcher(slow.run, "tiny_detector", 1, BatchingSettings(**settings)), slow


def test_full_queue_rejects_with_overloaded(model: LoadedModel) -> None:
    rng = np.random.default_rng(1)

    async def main() -> None:
        batcher, slow = _slow_batcher(model, max_queue_rows=8, max_inflight_batches=1)
        first = asyncio.ensure_future(batcher.submit(_feeds(rng, 4)))
        await asyncio.sleep(0.05)  # first is now computing (blocked), the queue is empty
        queued = asyncio.ensure_future(batcher.submit(_feeds(rng, 8)))
        await asyncio.sleep(0.01)
        with pytest.raises(Overloaded, match="queue full"):
            await batcher.submit(_feeds(rng, 1))
        slow.gate.set()
        assert (await first).shape == (4, 2)
        assert (await queued).shape == (8, 2)
        await batcher.aclose()

    asyncio.run(main())


def test_deadline_raises_and_late_result_is_dropped(model: LoadedModel) -> None:
    rng = np.random.default_rng(2)

    async def main() -> None:
        batcher, slow = _slow_batcher(model, max_inflight_batches=1)
        with pytest.raises(DeadlineExceeded):
            await Submitted("tiny_detector", 1, batcher.submit(_feeds(rng, 2))).wait(0.05)
        slow.gate.set()
        answer = await Submitted("tiny_detector", 1, batcher.submit(_feeds(rng, 3))).wait(5)
        assert answer.probabilities.shape == (3, 2)
        await batcher.aclose()

    asyncio.run(main())


def test_failing_batch_fails_every_caller_in_it(model: LoadedModel) -> None:
    rng = np.random.default_rng(3)
    broken = {"on": True}

    def run(feeds: dict[str, np.ndarray]) -> np.ndarray:
        if broken["on"]:
            raise ModelFailed("tiny_detector v1: execution failed: boom")
        return model.run(feeds)

    async def main() -> None:
        batcher = DynamicBatcher(run, "tiny_detector", 1, BatchingSettings())
        calls = (batcher.submit(_feeds(rng, 2)) for _ in range(20))
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert all(isinstance(r, ModelFailed) for r in results)
        broken["on"] = False
        assert (await batcher.submit(_feeds(rng, 2))).shape == (2, 2)  # the batcher survives
        await batcher.aclose()

    asyncio.run(main())


def test_closed_batcher_refuses_new_work(model: LoadedModel) -> None:
    async def main() -> None:
        batcher = DynamicBatcher.for_model(model, BatchingSettings())
        await batcher.submit(_feeds(np.random.default_rng(4), 1))
        await batcher.aclose()
        with pytest.raises(ModelNotLoaded, match=r"^tiny_detector v\d+ is unloading$"):
            await batcher.submit(_feeds(np.random.default_rng(4), 1))

    asyncio.run(main())


def test_request_larger_than_the_queue_is_the_callers_error(model: LoadedModel) -> None:
    async def main() -> None:
        batcher = DynamicBatcher.for_model(model, BatchingSettings(max_queue_rows=8))
        with pytest.raises(BadTensor, match="9 rows in one request; the limit is 8"):
            await batcher.submit(_feeds(np.random.default_rng(5), 9))
        await batcher.aclose()

    asyncio.run(main())


def test_cheap_idle_model_runs_inline_with_the_same_results(model: LoadedModel) -> None:
    rng = np.random.default_rng(6)
    requests = [_feeds(rng, 3) for _ in range(20)]
    assert model.batch1_seconds > 0

    async def main() -> list[np.ndarray]:
        batcher = DynamicBatcher.for_model(model, BatchingSettings(inline_below_us=10**9))
        try:
            return [await batcher.submit(r) for r in requests]  # sequential: always idle
        finally:
            assert batcher._task is None  # never needed the queue loop
            await batcher.aclose()

    for request, got in zip(requests, asyncio.run(main()), strict=True):
        np.testing.assert_allclose(got, model.run(request), atol=1e-6)


def test_concurrent_callers_of_an_inline_model_are_gathered_into_batches(model: LoadedModel) -> None:
    registry = CollectorRegistry()
    rng = np.random.default_rng(7)
    first = [_feeds(rng, 1) for _ in range(64)]
    second = [_feeds(rng, int(rng.integers(1, 9))) for _ in range(400)]
    labels = {"model": "tiny_detector", "version": "1"}

    def calls() -> float:
        return registry.get_sample_value("fortress_batch_rows_count", labels) or 0.0

    async def main() -> tuple[list[np.ndarray], float, float]:
        settings = BatchingSettings(max_batch_size=32, inline_below_us=10**9)
        batcher = DynamicBatcher.for_model(model, settings, metrics=RuntimeMetrics(registry))
        try:
            await asyncio.gather(*(batcher.submit(r) for r in first))
            before = calls()
            got = await asyncio.gather(*(batcher.submit(r) for r in second))
            model_calls = calls() - before
            for request in first[:2]:  # one caller at a time again: each call on its own
                await batcher.submit(request)
            return got, model_calls, calls() - before - model_calls
        finally:
            assert batcher._task is None  # every call ran on the event loop, none queued
            await batcher.aclose()

    got, model_calls, alone = asyncio.run(main())
    for request, have in zip(second, got, strict=True):
        np.testing.assert_allclose(have, model.run(request), atol=1e-6)
    assert model_calls < len(second) / 4  # batched, not 400 inline calls
    assert alone == 2
