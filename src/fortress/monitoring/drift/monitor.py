"""``DriftMonitor``: the gateway's bin counters per model version, their windows and scores.

``observe`` is the only call on the request path (a dict lookup and a list append; every
``flush_rows`` calls of a version, the batched binning). Everything else
runs in ``tick`` (every ``tick_s``, from ``run``): references named by new (model, version) pairs are
loaded from the registry in a thread, held calls are binned, the window moves on and the scores are
recomputed and published for the Prometheus collector (``collector.py``). A version without a drift
reference, or with a corrupt one, gets no score and one log line saying why; its requests are
never affected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from fortress.catalog.spec import ModelSpec
from fortress.monitoring.drift.counter import BinCounter, Segment
from fortress.monitoring.drift.reference import reference_from_baseline
from fortress.monitoring.drift.settings import DriftSettings
from fortress.monitoring.drift.stats import score
from fortress.monitoring.drift.window import SlidingWindow

logger = logging.getLogger(__name__)

Loader = Callable[[str, int], tuple[ModelSpec, Mapping[str, Any]]]
"""(model, version) -> (the version's spec, its baseline); blocking (registry I/O)."""


@dataclass(frozen=True, slots=True, eq=False)
class VersionView:
    """What the collector exports of one model version, as of the last tick."""

    model: str
    version: int
    counter: BinCounter
    cumulative: np.ndarray
    window_rows: int
    feature_scores: dict[str, float]
    """Features with at least ``min_rows`` rows in the window."""
    prediction_score: float | None


class DriftMonitor:
    def __init__(
        self, settings: DriftSettings, loader: Loader, clock: Callable[[], float] = time.time
    ) -> None:
        """``clock``: wall-clock seconds, for the per-minute window."""
        self.settings = settings
        self._loader = loader
        self._clock = clock
        self._counters: dict[tuple[str, int], BinCounter] = {}
        self._windows: dict[tuple[str, int], SlidingWindow] = {}
        self.unavailable: dict[tuple[str, int], str] = {}
        """(model, version) -> why it has no drift score."""
        self._wanted: set[tuple[str, int]] = set()
        self.views: tuple[VersionView, ...] = ()
        """Published by ``tick``: every version with a reference."""
        self.current: dict[str, VersionView] = {}
        """Per model, the version with most rows in the window (its scores are the model's)."""
        self._task: asyncio.Task[None] | None = None

    # ---- request path ---------------------------------------------------------------------
    def observe(
        self, model: str, version: int, feeds: Mapping[str, np.ndarray], probabilities: np.ndarray | None
    ) -> None:
        key = (model, version)
        counter = self._counters.get(key)
        if counter is None:
            if key not in self.unavailable:
                self._wanted.add(key)
            return
        pending = counter.pending  # BinCounter.add, inlined: one Python call less per model call
        pending.append((feeds, probabilities))
        if len(pending) < counter.flush_rows:
            return
        try:
            counter.flush()
        except Exception as exc:  # a reference that does not fit what is served: stop, never fail a request
            self._drop(key, f"cannot count served rows: {type(exc).__name__}: {exc}")

    def _drop(self, key: tuple[str, int], reason: str) -> None:
        self._counters.pop(key, None)
        self._windows.pop(key, None)
        self.unavailable[key] = reason
        logger.warning("no drift score for %s version %s: %s", key[0], key[1], reason)

    # ---- off the request path -------------------------------------------------------------
    def load_wanted(self) -> None:
        """Load the references of the versions seen since the last call (blocking: registry I/O)."""
        for key in list(self._wanted):
            self._wanted.discard(key)
            model, version = key
            try:
                spec, baseline = self._loader(model, version)
                reference = reference_from_baseline(baseline)
                if reference is None:
                    reason = "its baseline has no drift reference (trained before drift references)"
                else:
                    counter = BinCounter(spec, reference, self.settings.flush_rows)
            except Exception as exc:  # a broken reference or registry: no score, never a failed request
                reason = f"cannot read its drift reference: {type(exc).__name__}: {exc}"
                reference = None
            if reference is None:
                self._drop(key, reason)
                continue
            self._windows[key] = SlidingWindow(self.settings.window_minutes, counter.size, self._clock())
            self._counters[key] = counter

    def tick(self, now_s: float | None = None) -> None:
        """Bin held calls, move the windows and publish scores."""
        now = self._clock() if now_s is None else now_s
        views: list[VersionView] = []
        for (model, version), counter in list(self._counters.items()):
            try:
                cumulative = counter.snapshot()
            except Exception as exc:
                self._drop((model, version), f"cannot count served rows: {type(exc).__name__}: {exc}")
                continue
            window = self._windows[(model, version)]
            window.push(now, cumulative)
            views.append(self._view(model, version, counter, cumulative, window.counts(now, cumulative)))
        current: dict[str, VersionView] = {}
        for view in views:
            best = current.get(view.model)
            if best is None or (view.window_rows, view.version) > (best.window_rows, best.version):
                current[view.model] = view
        # a version no longer served (nothing in its window, another version current) is forgotten
        retired = {(v.model, v.version) for v in views if v.window_rows == 0 and current[v.model] is not v}
        for key in retired:
            self._counters.pop(key, None)
            self._windows.pop(key, None)
        self.views = tuple(v for v in views if (v.model, v.version) not in retired)
        self.current = current

    def _view(
        self, model: str, version: int, counter: BinCounter, cumulative: np.ndarray, window: np.ndarray
    ) -> VersionView:
        minimum = self.settings.min_rows
        features: dict[str, float] = {}
        rows = 0
        for seg in counter.features:
            n = int(window[seg.start : seg.stop].sum())
            rows = max(rows, n)
            if n >= minimum:
                features[seg.bins.name] = _score(seg, window)
        prediction = None
        predictions = counter.predictions
        if predictions and int(window[predictions[0].start : predictions[0].stop].sum()) >= minimum:
            prediction = max(_score(seg, window) for seg in predictions)
        return VersionView(model, version, counter, cumulative, rows, features, prediction)

    async def run(self) -> None:
        """Every ``tick_s``: load new references (in a thread), then tick. Until cancelled."""
        while True:
            try:
                if self._wanted:
                    await asyncio.to_thread(self.load_wanted)
                self.tick()
            except Exception:  # monitoring must never take the gateway down
                logger.exception("drift tick failed")
            await asyncio.sleep(self.settings.tick_s)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run(), name="drift-monitor")

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _score(seg: Segment, window: np.ndarray) -> float:
    return score(seg.bins.statistic, seg.bins.share, window[seg.start : seg.stop])
