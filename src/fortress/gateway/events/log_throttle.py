"""librdkafka's log lines, at most one per distinct line per interval, with a count of the rest.

While the broker is away librdkafka logs a connection failure about 11 times a second
(``FAIL ... Connect to ipv4#10.0.0.5:9092 failed: Connection refused (after 0ms in state CONNECT)``).
confluent-kafka calls ``log(level, fmt, *args)`` on the object given as its ``logger`` option (from
``poll``): this one passes a line through when it is new or its interval has passed, and otherwise
counts it; the next line passed through says how many similar ones were suppressed since.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_VARYING = re.compile(r"\d+(?:\.\d+)?\s?(?:ms|s)\b|\d+ identical error\(s\) suppressed")
"""What differs between repeats of one error: elapsed times, librdkafka's own repeat counts."""
MAX_DISTINCT = 256
"""Distinct lines remembered at once (the oldest is forgotten first)."""


@dataclass(slots=True)
class _Seen:
    shown_at: float
    suppressed: int = 0


class ThrottledLog:
    def __init__(
        self, logger: logging.Logger, interval_s: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.logger = logger
        self.interval_s = interval_s
        self._clock = clock
        self._seen: dict[tuple[int, str], _Seen] = {}
        self._lock = threading.Lock()  # librdkafka may log from whichever thread polls

    def log(self, level: int, msg: str, *args: Any) -> None:
        line = msg % args if args else msg
        key = (level, _VARYING.sub("#", line))
        now = self._clock()
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None and now - seen.shown_at < self.interval_s:
                seen.suppressed += 1
                return
            suppressed = seen.suppressed if seen is not None else 0
            self._seen.pop(key, None)
            if len(self._seen) >= MAX_DISTINCT:
                del self._seen[next(iter(self._seen))]
            self._seen[key] = _Seen(now)
        if suppressed:
            since = now - seen.shown_at if seen is not None else 0.0
            line += f" ({suppressed} similar lines suppressed in the last {since:.0f} s)"
        self.logger.log(level, "%s", line)
