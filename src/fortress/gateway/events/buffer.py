"""The bounded queue between ``emit`` (on the event loop) and a sink's background writer thread."""

from __future__ import annotations

from collections import deque

from fortress.gateway.events.base import Event


class EventBuffer:
    """FIFO of events. ``put`` is O(1) and lock-free (``deque.append`` is atomic); one consumer
    thread takes from the front."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._events: deque[Event] = deque()

    def put(self, event: Event) -> bool:
        """Queue one event; False (nothing queued) when the buffer is full."""
        if len(self._events) >= self.capacity:
            return False
        self._events.append(event)
        return True

    def take(self, limit: int | None = None) -> list[Event]:
        """Up to ``limit`` events (all by default), oldest first."""
        taken: list[Event] = []
        pop = self._events.popleft
        while limit is None or len(taken) < limit:
            try:
                taken.append(pop())
            except IndexError:
                break
        return taken

    def __len__(self) -> int:
        return len(self._events)
