"""ModelRuntime: loads what the registry's aliases say, swaps versions without failed requests,
keeps serving while the registry is down, frees memory on unload."""

from __future__ import annotations

import asyncio
import gc
import itertools
import os
import statistics
import subprocess
import sys
import time
import weakref
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest

from fortress.errors import Unavailable
from fortress.registry.base import CHAMPION
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.runtime.dispatch import DispatcherFactory, grouped, per_model
from fortress.runtime.errors import ModelNotLoaded
from fortress.runtime.manager import ModelRuntime
from fortress.runtime.session import LoadedModel
from fortress.runtime.settings import RuntimeSettings
from fortress.settings import Settings
from support.candidates import big_candidate, tiny_candidate


def _feeds(rows: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(rows)
    return {
        "numeric": rng.normal(size=(rows, 2)).astype(np.float32),
        "categorical": np.array([["tcp"]] * rows, dtype=object),
    }


@pytest.fixture
def registry(settings: Settings) -> MlflowRegistry:
    reg = MlflowRegistry(settings.registry, settings.home)
    for seed in (1, 2):
        reg.register(tiny_candidate(seed)[0])
    reg.set_alias("tiny_detector", CHAMPION, 1)
    return reg


class Flaky:
    """A registry whose calls fail while ``down`` is set (the registry being unreachable)."""

    def __init__(self, inner: MlflowRegistry) -> None:
        self.inner, self.down = inner, False

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                raise Unavailable("registry unreachable (test)")
            return attr(*args, **kwargs)

        return call


def test_loads_aliases_and_resolves_versions_and_labels(registry: MlflowRegistry) -> None:
    async def main() -> None:
        runtime = ModelRuntime(registry, RuntimeSettings(aliases=["champion", "staging"]))
        await runtime.start()
        try:
            assert runtime.model_names() == ["tiny_detector"]
            assert runtime.resolve("tiny_detector").model.version == 1
            registry.set_alias("tiny_detector", "staging", 2)
            await runtime.refresh()
            assert runtime.resolve("tiny_detector", label="staging").model.version == 2
            assert runtime.resolve("tiny_detector", version=1).model.version == 1
            answer = await runtime.submit(runtime.resolve("tiny_detector", label="staging"), _feeds())
            assert (answer.version, answer.probabilities.shape) == (2, (3, 2))
            with pytest.raises(ModelNotLoaded, match="no version labelled 'canary'"):
                runtime.resolve("tiny_detector", label="canary")
            with pytest.raises(ModelNotLoaded, match="version 7"):
                runtime.resolve("tiny_detector", version=7)
            with pytest.raises(ModelNotLoaded, match="'nope' is not loaded"):
                runtime.resolve("nope")
        finally:
            await runtime.aclose()

    asyncio.run(main())


def test_an_alias_move_is_served_without_waiting_for_the_poll(registry: MlflowRegistry) -> None:
    """The full poll is an hour away; the change token (read every 0.05 s here, 0.5 s by default)
    sees the move and the runtime swaps. Expected within ~0.1 s; the 10 s limit is a safety limit."""

    async def main() -> None:
        settings = RuntimeSettings(poll_interval_s=3600, watch_interval_s=0.05)
        runtime = ModelRuntime(registry, settings)
        await runtime.start()
        try:
            assert runtime.resolve("tiny_detector").model.version == 1
            for version in (2, 1):  # a promotion, then its rollback
                registry.set_alias("tiny_detector", CHAMPION, version)
                async with asyncio.timeout(10):
                    while runtime.resolve("tiny_detector").model.version != version:
                        await asyncio.sleep(0.01)
            assert runtime.status.registry_ok
        finally:
            await runtime.aclose()

    asyncio.run(main())


CLIENTS, PER_PHASE = 16, 150


@pytest.mark.parametrize("dispatch", [per_model, grouped], ids=["per-model", "grouped"])
def test_swap_under_steady_load_fails_no_request(
    registry: MlflowRegistry, dispatch: DispatcherFactory
) -> None:
    async def main() -> tuple[list[int], int]:
        runtime = ModelRuntime(registry, RuntimeSettings(), dispatch=dispatch)
        await runtime.start()
        versions: list[int] = []
        errors = 0
        stop = asyncio.Event()

        async def client() -> None:
            nonlocal errors
            while not stop.is_set():
                try:
                    answer = await runtime.submit(runtime.resolve("tiny_detector"), _feeds(2))
                    versions.append(answer.version)
                except Exception:
                    errors += 1
                await asyncio.sleep(0)

        async def answered(count: int) -> None:
            """Until ``count`` more answers arrived (however long the machine takes: a count, not a time)."""
            target = len(versions) + count
            while len(versions) < target and not errors:
                await asyncio.sleep(0.01)

        clients = [asyncio.create_task(client()) for _ in range(CLIENTS)]
        await answered(PER_PHASE)
        for version in (2, 1, 2):  # three swaps under load
            await asyncio.get_running_loop().run_in_executor(
                None, registry.set_alias, "tiny_detector", CHAMPION, version
            )
            await runtime.refresh()
            swapped = len(versions)
            await answered(PER_PHASE)
            stale = [v for v in versions[swapped:] if v != version]
            # after the swap only the calls already in flight (one per client) may answer from the old one
            assert len(stale) <= CLIENTS, (version, versions[swapped:])
        stop.set()
        await asyncio.gather(*clients)
        await runtime.aclose()
        return versions, errors

    versions, errors = asyncio.run(main())
    assert errors == 0
    assert len(versions) >= 4 * PER_PHASE
    assert versions[0] == 1
    assert versions[-1] == 2
    assert {1, 2} <= set(versions)


def test_unreachable_registry_keeps_serving_and_recovers(registry: MlflowRegistry) -> None:
    flaky = Flaky(registry)

    async def main() -> None:
        runtime = ModelRuntime(flaky, RuntimeSettings(poll_interval_s=0.05, max_backoff_s=0.2))  # type: ignore[arg-type]
        await runtime.start()
        try:
            assert runtime.status.registry_ok
            flaky.down = True
            await asyncio.sleep(0.3)
            assert not runtime.status.registry_ok
            assert "unreachable" in runtime.status.last_error
            answer = await runtime.submit(runtime.resolve("tiny_detector"), _feeds())  # still served
            assert answer.probabilities.shape == (3, 2)
            flaky.down = False
            registry.set_alias("tiny_detector", CHAMPION, 2)
            # Safety limit, not a benchmark: the poller (0.05 s interval, 0.2 s back-off) swaps in ~0.3 s;
            # 5 s is >15x that. What is asserted is the version served, not the time it took.
            deadline = time.monotonic() + 5
            while runtime.resolve("tiny_detector").model.version != 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert runtime.status.registry_ok
            assert runtime.resolve("tiny_detector").model.version == 2
        finally:
            await runtime.aclose()

    asyncio.run(main())


_LEAK_CHILD = "FORTRESS_TEST_LEAK_CHILD"
_LEAK_TEST = "test_load_unload_cycles_do_not_leak_memory"


@pytest.mark.timeout(600 + 300)  # the child run's own limit (600 s below) with room to start and report
def test_load_unload_cycles_do_not_leak_memory(settings: Settings) -> None:
    """20 load/unload cycles of a multi-megabyte model grow resident memory by less than the model.

    Measured in a fresh Python process: in the suite's process the heap is shaped by every test that
    ran before (threads, arenas, imported libraries), and its growth is not this runtime's."""
    if os.environ.get(_LEAK_CHILD) != "1":
        child = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"{__file__}::{_LEAK_TEST}"],
            env={**os.environ, _LEAK_CHILD: "1"}, cwd=Path(__file__).resolve().parents[3],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert child.returncode == 0, child.stdout[-4000:] + child.stderr[-2000:]
        return
    registry = MlflowRegistry(settings.registry, settings.home)
    big = big_candidate()
    for _ in range(2):
        registry.register(big)
    registry.set_alias("tiny_detector", CHAMPION, 1)
    size = len(big.onnx)
    assert size > 2_000_000
    process = psutil.Process()

    retired: list[weakref.ref[LoadedModel]] = []

    async def main() -> list[int]:
        runtime = ModelRuntime(registry, RuntimeSettings())
        await runtime.start()
        rss: list[int] = []
        for cycle in range(30):
            retired.append(weakref.ref(runtime.resolve("tiny_detector").model))
            registry.set_alias("tiny_detector", CHAMPION, 2 if cycle % 2 == 0 else 1)
            await runtime.refresh()
            await runtime.submit(runtime.resolve("tiny_detector"), _feeds())
            for _ in range(500):  # let the retired version drain and be released (up to 5 s)
                gc.collect()
                if retired[-1]() is None:
                    break
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.01)  # the unload's own collection and heap trim run after the release
            rss.append(process.memory_info().rss)
        await runtime.aclose()
        return rss

    rss = asyncio.run(main())
    assert all(ref() is None for ref in retired), "an unloaded model version is still referenced"
    # Readings swing by up to about one model from one cycle to the next (freed memory goes back to the
    # OS or stays in the allocator's arenas), and the allocator's heap grows in a few jumps of about a
    # model each (CI saw three: +5.3 MB over 20 cycles with every retired version freed). A leak instead
    # raises the readings cycle after cycle: the typical (median) step, after the first cycles warmed
    # the arenas, stays well under a model, and the floor of the readings (lowest of two windows 20
    # cycles apart) rises by less than three models, where a leak of one model per cycle adds twenty.
    steps = [b - a for a, b in itertools.pairwise(rss[4:])]
    detail = f"the model is {size} bytes; steps {steps}"
    assert statistics.median(steps) < size / 4, f"RSS rises cycle after cycle; {detail}"
    growth = min(rss[24:30]) - min(rss[4:10])
    assert growth < 3 * size, f"RSS grew {growth} bytes over 20 cycles; {detail}"
