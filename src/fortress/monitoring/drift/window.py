"""A sliding window over cumulative counts: a ring of one snapshot per minute."""

from __future__ import annotations

from collections import deque

import numpy as np


class SlidingWindow:
    def __init__(self, minutes: int, size: int, now_s: float) -> None:
        self.minutes = minutes
        self._ring: deque[tuple[int, np.ndarray]] = deque(maxlen=minutes + 1)
        self._ring.append((int(now_s // 60), np.zeros(size, dtype=np.int64)))

    def push(self, now_s: float, cumulative: np.ndarray) -> None:
        """Record the cumulative counts seen at ``now_s`` (the first snapshot of each minute is kept)."""
        minute = int(now_s // 60)
        if minute > self._ring[-1][0]:
            self._ring.append((minute, cumulative))

    def counts(self, now_s: float, cumulative: np.ndarray) -> np.ndarray:
        """Rows counted in about the last ``minutes`` minutes (to the minute)."""
        oldest = int(now_s // 60) - self.minutes
        base: np.ndarray = self._ring[-1][1]
        for minute, snapshot in self._ring:
            if minute >= oldest:
                base = snapshot
                break
        window: np.ndarray = cumulative - base
        return window
