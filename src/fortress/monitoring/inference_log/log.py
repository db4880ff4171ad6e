"""``InferenceLog``: the request path's side of the log (a sampling draw, then a queue append).

The gateway asks ``sample()`` once per investigation (``sample_rate``), then logs each model answer
that is sampled, part of a degraded investigation, or below ``low_confidence``; ``log`` builds a
``LoggedRow`` of references and hands it to the sink's ``emit`` (a bounded queue append). Everything
else happens in the sink's own thread.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from fortress.catalog.spec import ModelSpec
from fortress.monitoring.inference_log.record import LoggedRow, Redaction
from fortress.monitoring.inference_log.settings import InferenceLogSettings


class RowSink(Protocol):
    """Where logged rows go: the Parquet writer, or a Kafka sink of the audit events' kind."""

    kind: str

    async def start(self) -> None: ...

    def emit(self, row: LoggedRow) -> None:
        """Hot path: queue the row, or count it dropped. O(1), never blocks, never raises."""
        ...

    async def aclose(self) -> None: ...


class InferenceLog:
    def __init__(
        self,
        settings: InferenceLogSettings,
        sink: RowSink,
        *,
        clock: Callable[[], float] = time.time,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings
        self.sink = sink
        self.rate = settings.sample_rate
        self.low_confidence = settings.low_confidence
        self.redaction = Redaction(
            settings.sensitive, settings.salt.get_secret_value(), settings.low_confidence
        )
        self.clock = clock
        self._draw = draw

    async def start(self) -> None:
        await self.sink.start()

    async def aclose(self) -> None:
        await self.sink.aclose()

    def sample(self) -> bool:
        """One draw per investigation: True for about ``sample_rate`` of them."""
        return self._draw() < self.rate

    def log(
        self,
        investigation_id: str,
        model: str,
        version: int,
        route: str,
        spec: ModelSpec,
        records: Sequence[Mapping[str, Any]],
        probabilities: np.ndarray,
        *,
        sampled: bool,
        degraded: bool,
        fallback_for: str | None = None,
        now: float | None = None,
        feeds: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        """One row per record of the call (its probabilities: row ``i`` of ``probabilities``).
        ``feeds``: the call's encoded input tensors (a reference), where the writer takes tensor
        fields from (row ``i`` of each); without them it encodes the record's values itself."""
        at = self.clock() if now is None else now
        emit, redaction = self.sink.emit, self.redaction
        for i, record in enumerate(records):
            emit(
                LoggedRow(
                    at, investigation_id, model, version, route, spec, record, i, probabilities[i],
                    sampled, degraded, fallback_for, redaction, feeds,
                )
            )  # fmt: skip
