"""GroupDispatcher: many callers of several models share compute jobs and each gets exactly its rows;
a failing model fails only its callers; an over-full queue is an overload; unloading waits for use."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from fortress.errors import Overloaded
from fortress.runtime.errors import ModelFailed
from fortress.runtime.group import GroupDispatcher
from fortress.runtime.session import LoadedModel
from support.models import tiny_loaded


def _feeds(rng: np.random.Generator, rows: int) -> dict[str, np.ndarray]:
    return {
        "numeric": rng.normal(size=(rows, 2)).astype(np.float32),
        "categorical": rng.choice(["tcp", "udp", "sctp"], size=(rows, 1)).astype(object),
    }


@pytest.fixture(scope="module")
def models() -> tuple[LoadedModel, LoadedModel]:
    return tiny_loaded(seed=1, version=1), tiny_loaded(seed=2, version=2)


BURSTS = 20


@pytest.mark.parametrize("jobs_at_once", [1, 2])
def test_concurrent_callers_of_two_models_get_exactly_their_rows_in_few_jobs(
    models: tuple[LoadedModel, LoadedModel], jobs_at_once: int
) -> None:
    rng = np.random.default_rng(0)
    calls = [(models[i % 2], _feeds(rng, int(rng.integers(1, 9)))) for i in range(400)]
    expected = [model.run(feeds) for model, feeds in calls]
    jobs = 0

    async def main() -> list[np.ndarray]:
        nonlocal jobs
        with ThreadPoolExecutor(2) as pool:
            dispatcher = GroupDispatcher(pool, max_inflight=jobs_at_once)
            original = dispatcher._flush

            def counting() -> None:
                nonlocal jobs
                before = len(dispatcher._inflight)
                original()
                jobs += len(dispatcher._inflight) - before

            dispatcher._flush = counting  # type: ignore[method-assign]

            futures: list[asyncio.Future[np.ndarray]] = []
            per_burst = len(calls) // BURSTS
            for start in range(0, len(calls), per_burst):  # each burst arrives in one loop turn...
                futures += [dispatcher.submit(m, f) for m, f in calls[start : start + per_burst]]
                await asyncio.sleep(0.0005)  # ...and the next one while jobs compute
            return await asyncio.wait_for(asyncio.gather(*futures), 10)

    got = asyncio.run(main())
    for want, have in zip(expected, got, strict=True):
        np.testing.assert_allclose(have, want, atol=1e-6)
    assert 1 <= jobs <= BURSTS  # a burst never splits; bursts that wait for a free slot share a job


def test_a_failing_model_fails_only_its_callers(models: tuple[LoadedModel, LoadedModel]) -> None:
    good, _ = models
    broken = tiny_loaded(seed=3, version=3)

    def fail(feeds: dict[str, np.ndarray]) -> np.ndarray:
        raise ModelFailed("broken v3: execution failed")

    broken.run = fail  # type: ignore[method-assign]
    rng = np.random.default_rng(1)

    async def main() -> list[np.ndarray | BaseException]:
        with ThreadPoolExecutor(1) as pool:
            dispatcher = GroupDispatcher(pool)
            futures = [dispatcher.submit(m, _feeds(rng, 2)) for m in (good, broken, good, broken)]
            return await asyncio.gather(*futures, return_exceptions=True)

    results = asyncio.run(main())
    assert [type(r) for r in results] == [np.ndarray, ModelFailed, np.ndarray, ModelFailed]


def test_an_over_full_queue_is_an_overload_and_unloading_waits_for_use(
    models: tuple[LoadedModel, LoadedModel],
) -> None:
    model = models[0]
    rng = np.random.default_rng(2)

    async def main() -> None:
        with ThreadPoolExecutor(1) as pool:
            dispatcher = GroupDispatcher(pool, max_queue_rows=10)
            first = dispatcher.submit(model, _feeds(rng, 8))
            with pytest.raises(Overloaded):
                dispatcher.submit(model, _feeds(rng, 3))
            assert dispatcher.uses(model)
            await dispatcher.release(model)
            assert first.done()
            assert not dispatcher.uses(model)
            assert (await first).shape == (8, 2)

    asyncio.run(main())


def test_each_model_call_of_a_job_is_recorded_in_its_versions_batch_histograms(
    models: tuple[LoadedModel, LoadedModel],
) -> None:
    from prometheus_client import CollectorRegistry

    from fortress.monitoring.runtime_metrics import RuntimeMetrics
    from fortress.runtime.batcher import BatchHistograms

    registry = CollectorRegistry()
    metrics = RuntimeMetrics(registry)
    first, second = models
    histograms = {m.version: BatchHistograms(metrics, (m.name, str(m.version))) for m in (first, second)}
    rng = np.random.default_rng(3)

    async def main() -> None:
        with ThreadPoolExecutor(1) as pool:
            dispatcher = GroupDispatcher(pool, max_inflight=1)
            futures = [dispatcher.submit(first, _feeds(rng, 3), histograms[first.version]) for _ in range(2)]
            futures.append(dispatcher.submit(second, _feeds(rng, 5), histograms[second.version]))
            await asyncio.wait_for(asyncio.gather(*futures), 10)  # one job: two model calls

    asyncio.run(main())

    def sample(name: str, version: int) -> float:
        value = registry.get_sample_value(name, {"model": first.name, "version": str(version)})
        return -1.0 if value is None else value

    assert sample("fortress_batch_rows_count", first.version) == 1  # one call for both callers...
    assert sample("fortress_batch_rows_sum", first.version) == 6  # ...on their 3 + 3 rows
    assert sample("fortress_batch_rows_sum", second.version) == 5
    assert sample("fortress_batch_queue_seconds_count", first.version) == 2  # one wait per caller
    assert sample("fortress_batch_compute_seconds_count", second.version) == 1
    assert sample("fortress_batch_compute_seconds_sum", first.version) > 0
