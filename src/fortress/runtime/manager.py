"""The model runtime: which versions are loaded, following the registry, with atomic hot swaps.

Every poll asks the registry which versions the policy wants, loads and warms new ones next to the
old, swaps the lookup table in one assignment, then drains and unloads versions no longer wanted.
An unreachable registry never stops serving what is loaded: the poll retries with backoff and
``status()`` says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import logging
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from fortress.errors import FortressError, NotFound
from fortress.monitoring.runtime_metrics import RuntimeMetrics
from fortress.registry.base import CHAMPION, ONNX_SHA_TAG, ModelRegistry
from fortress.runtime.batcher import BatchHistograms
from fortress.runtime.dispatch import DispatcherFactory, Submitted, per_model
from fortress.runtime.errors import ModelNotLoaded
from fortress.runtime.session import LoadedModel, SessionOptions, load_model
from fortress.runtime.settings import RuntimeSettings, VersionPolicy

logger = logging.getLogger(__name__)


def release_free_memory() -> None:
    """Hand freed heap pages back to the OS (glibc keeps them per thread arena otherwise)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


@dataclass(frozen=True, slots=True)
class Served:
    model: LoadedModel
    histograms: BatchHistograms | None
    """This version's batch histograms (``None`` without metrics)."""


@dataclass(frozen=True, slots=True)
class ModelEntry:
    versions: Mapping[int, Served]
    labels: Mapping[str, int]

    @property
    def default_version(self) -> int:
        return self.labels.get(CHAMPION, max(self.versions))


@dataclass(slots=True)
class RuntimeStatus:
    registry_ok: bool = False
    last_error: str = ""
    last_refresh: float = 0.0
    failed_loads: dict[str, str] = field(default_factory=dict)


class ModelRuntime:
    def __init__(
        self,
        registry: ModelRegistry,
        settings: RuntimeSettings,
        metrics: RuntimeMetrics | None = None,
        *,
        dispatch: DispatcherFactory = per_model,
    ) -> None:
        """``dispatch``: how calls reach the models, chosen by the composition root: ``per_model``
        (the model server) or ``grouped`` (the gateway), both in ``runtime/dispatch.py``."""
        self.registry = registry
        self.settings = settings
        self._metrics = metrics
        self._executor = ThreadPoolExecutor(settings.compute_threads, thread_name_prefix="fortress-compute")
        self._io = ThreadPoolExecutor(1, thread_name_prefix="fortress-registry")
        self._dispatcher = dispatch(self._executor, settings, metrics)
        self._table: dict[str, ModelEntry] = {}
        self._poller: asyncio.Task[None] | None = None
        self._token: str | None = None
        """The registry's change token at the last refresh (``None``: not followed by token)."""
        self._draining: set[asyncio.Task[None]] = set()
        self.status = RuntimeStatus()

    # ---- lookups (hot path) ---------------------------------------------------------------
    def model_names(self) -> list[str]:
        return sorted(self._table)

    @property
    def table(self) -> Mapping[str, ModelEntry]:
        """What is loaded now. Replaced (never mutated) on every swap: identity tells of a change."""
        return self._table

    def entry(self, name: str) -> ModelEntry:
        try:
            return self._table[name]
        except KeyError:
            raise ModelNotLoaded(
                f"model {name!r} is not loaded; loaded: {', '.join(self.model_names())}"
            ) from None

    def resolve(self, name: str, version: int | None = None, label: str | None = None) -> Served:
        entry = self.entry(name)
        if label is not None:
            if label not in entry.labels:
                raise ModelNotLoaded(f"model {name!r} has no version labelled {label!r}")
            version = entry.labels[label]
        chosen = entry.default_version if version is None else version
        try:
            return entry.versions[chosen]
        except KeyError:
            raise ModelNotLoaded(f"version {chosen} of model {name!r} is not loaded") from None

    def submit(self, served: Served, feeds: dict[str, np.ndarray], *, encoded: bool = False) -> Submitted:
        """Queue a call of a resolved version (``resolve``) now; await the result for its answer.
        Raises at once for bad tensors or a full queue. ``encoded``: the feeds come from
        ``catalog.encode`` (their values are not checked for NaN again)."""
        model = served.model
        model.check(feeds, values_checked=encoded)
        return Submitted(model.name, model.version, self._dispatcher.submit(model, feeds, served.histograms))

    @property
    def ready(self) -> bool:
        return bool(self._table)

    # ---- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Load what the policy wants now (errors are recorded, not raised), then keep following."""
        try:
            await self.refresh()
        except FortressError as exc:
            logger.warning("initial registry poll failed: %s", exc)
        self._poller = asyncio.get_running_loop().create_task(
            self._poll_loop(), name="fortress-registry-poll"
        )

    async def _poll_loop(self) -> None:
        delay = self.settings.poll_interval_s
        while True:
            await self._sleep_until_change(delay)
            try:
                await self.refresh()
                delay = self.settings.poll_interval_s
            except Exception as exc:  # keep serving whatever goes wrong with the registry
                delay = min(delay * 2, self.settings.max_backoff_s)
                logger.warning(
                    "registry poll failed (%s); serving loaded versions, retry in %.0f s", exc, delay
                )

    async def _sleep_until_change(self, delay: float) -> None:
        """Wait ``delay`` s, or less: every ``watch_interval_s`` the registry's change token is read
        (one small query, ``registry/change_token.py``) and a change ends the wait at once. A store
        without a token, or one that cannot be read now, just waits (the poll says why)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + delay
        while (left := deadline - loop.time()) > 0:
            await asyncio.sleep(min(self.settings.watch_interval_s, left))
            if self._token is None:
                continue
            try:
                token = await loop.run_in_executor(self._io, self.registry.change_token)
            except Exception as exc:  # the poll at the deadline reports it
                logger.debug("registry change token unreadable: %s", exc)
                continue
            if token != self._token:
                logger.info("registry changed: refreshing now")
                return

    def _read_token(self) -> str | None:
        try:
            return self.registry.change_token()
        except Exception as exc:  # no token this round: the next poll tries again
            logger.debug("registry change token unreadable: %s", exc)
            return None

    async def refresh(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            # read before the versions: a change made while they are read triggers one more refresh
            self._token = await loop.run_in_executor(self._io, self._read_token)
            wanted = await loop.run_in_executor(self._io, self._wanted_versions)
        except Exception as exc:
            self.status.registry_ok, self.status.last_error = False, str(exc)
            raise
        self.status.registry_ok, self.status.last_error = True, ""
        self.status.last_refresh = time.time()
        new_table: dict[str, ModelEntry] = {}
        retired: list[Served] = []
        for name, labels in wanted.items():
            old = self._table.get(name)
            versions: dict[int, Served] = {}
            for version in sorted(set(labels.values())):
                served = old.versions.get(version) if old else None
                if served is None:
                    served = await self._load(name, version)
                if served is not None:
                    versions[version] = served
            if versions:
                new_table[name] = ModelEntry(versions, {k: v for k, v in labels.items() if v in versions})
            if old:
                retired += [s for v, s in old.versions.items() if v not in versions]
        retired += [s for n, e in self._table.items() if n not in wanted for s in e.versions.values()]
        self._table = new_table  # the atomic swap: requests read the table once
        for served in retired:
            task = loop.create_task(self._retire(served))
            self._draining.add(task)
            task.add_done_callback(self._draining.discard)

    def _wanted_versions(self) -> dict[str, dict[str, int]]:
        """model -> {label: version} for every version to serve (labels 'v<N>' for unlabelled ones)."""
        names = self.registry.model_names()
        if self.settings.models is not None:
            names = [n for n in names if n in self.settings.models]
        wanted: dict[str, dict[str, int]] = {}
        for name in names:
            labels: dict[str, int] = {}
            if self.settings.policy is VersionPolicy.ALIASES:
                for alias in self.settings.aliases:
                    try:
                        labels[alias] = self.registry.get_alias(name, alias).version
                    except NotFound:
                        continue
            elif self.settings.policy is VersionPolicy.LATEST:
                versions = self.registry.versions(name, with_metrics=False)
                for info in versions[-self.settings.latest :]:
                    labels[f"v{info.version}"] = info.version
                labels.update(
                    {a: v.version for v in versions for a in v.aliases if v.version in labels.values()}
                )
            else:
                for version in self.settings.versions.get(name, []):
                    labels[f"v{version}"] = version
            if labels:
                wanted[name] = labels
        return wanted

    async def _load(self, name: str, version: int) -> Served | None:
        loop = asyncio.get_running_loop()
        key = f"{name}:{version}"
        try:
            model = await loop.run_in_executor(self._io, self._fetch_and_load, name, version)
        except Exception as exc:
            logger.error("cannot load %s version %d: %s", name, version, exc)
            self.status.failed_loads[key] = str(exc)
            return None
        self.status.failed_loads.pop(key, None)
        histograms = None
        if self._metrics:
            self._metrics.loaded.labels(name, str(version)).set(1)
            histograms = BatchHistograms(self._metrics, (name, str(version)))
        logger.info("loaded %s version %d", name, version)
        return Served(model, histograms)

    def _fetch_and_load(self, name: str, version: int) -> LoadedModel:
        fetched = self.registry.fetch(name, version)
        options = SessionOptions(intra_op_threads=self.settings.intra_op_threads)
        return load_model(
            fetched.spec, version, fetched.onnx_bytes(), fetched.info.tags[ONNX_SHA_TAG], options
        )

    async def _retire(self, served: Served, *, collect: bool = True) -> None:
        await self._dispatcher.release(served.model)
        if self._metrics:
            self._metrics.loaded.labels(served.model.name, str(served.model.version)).set(0)
        logger.info("unloaded %s version %d", served.model.name, served.model.version)
        served.model.session = None
        del served
        if collect:
            gc.collect()
            release_free_memory()

    async def aclose(self) -> None:
        """Stop following the registry, drain every batcher, release the threads."""
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        table, self._table = self._table, {}
        await asyncio.gather(
            *(self._retire(s, collect=False) for e in table.values() for s in e.versions.values())
        )
        await asyncio.gather(*self._draining, return_exceptions=True)
        gc.collect()
        release_free_memory()
        self._executor.shutdown(wait=True)
        self._io.shutdown(wait=True)
