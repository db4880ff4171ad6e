"""A circuit breaker: stop calling a server that keeps failing, try again after a pause.

``closed``: calls go through; ``failures`` consecutive failures open the circuit. ``open``: ``check()``
raises ``CircuitOpen`` at once (no I/O) until ``reset_s`` have passed. ``half_open``: one trial call goes
through (others still fail fast); its success closes the circuit, its failure opens it for another
``reset_s``. A call that ends without a verdict (cancelled by its caller) calls ``release()`` so the
trial slot frees up. Not thread-safe: use it from one event loop.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from enum import StrEnum

from fortress.backends.errors import CircuitOpen

logger = logging.getLogger(__name__)


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        failures: int,
        reset_s: float,
        *,
        name: str = "backend",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failures < 1 or reset_s <= 0:
            raise ValueError("a circuit breaker needs failures >= 1 and reset_s > 0")
        self.failures, self.reset_s, self.name = failures, reset_s, name
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._consecutive = 0
        self._opened_at = 0.0
        self._trial = False
        self._last_error = ""

    @property
    def state(self) -> BreakerState:
        """The state a call would meet now (an open circuit past ``reset_s`` reads as half-open)."""
        if self._state is BreakerState.OPEN and self._clock() - self._opened_at >= self.reset_s:
            return BreakerState.HALF_OPEN
        return self._state

    @property
    def last_error(self) -> str:
        """The failure that last opened (or kept open) the circuit."""
        return self._last_error

    def check(self) -> None:
        """Let a call through, or raise ``CircuitOpen``. In half-open, the caller becomes the trial."""
        if self._state is BreakerState.CLOSED:
            return
        if self._state is BreakerState.OPEN:
            waited = self._clock() - self._opened_at
            if waited < self.reset_s:
                raise self._refusal(self.reset_s - waited)
            self._state = BreakerState.HALF_OPEN
            logger.info("circuit of %s half-open: letting one trial call through", self.name)
        if self._trial:
            raise self._refusal(0.0)
        self._trial = True

    def record_success(self) -> None:
        """A call got an answer. While open (a call that started before the circuit opened), no change."""
        if self._state is BreakerState.OPEN:
            return
        if self._state is BreakerState.HALF_OPEN:
            logger.info("circuit of %s closed: the trial call succeeded", self.name)
        self._state, self._consecutive, self._trial = BreakerState.CLOSED, 0, False

    def record_failure(self, error: str = "") -> None:
        """A call failed for a reason of the server's (unreachable, timeout, 5xx)."""
        self._consecutive += 1
        self._last_error = error or self._last_error
        if self._state is BreakerState.OPEN:
            return
        if self._state is BreakerState.CLOSED and self._consecutive < self.failures:
            return
        logger.warning(
            "circuit of %s open for %.1f s after %d consecutive failure(s): %s",
            self.name,
            self.reset_s,
            self._consecutive,
            error,
        )
        self._state, self._opened_at, self._trial = BreakerState.OPEN, self._clock(), False

    def allow_trial(self) -> None:
        """The server showed it is back (it answered a status request): an open circuit turns
        half-open now, so the next call is the trial, instead of waiting out ``reset_s``."""
        if self._state is BreakerState.OPEN:
            self._opened_at = self._clock() - self.reset_s

    def release(self) -> None:
        """The call ended without a verdict (cancelled): free the half-open trial slot."""
        self._trial = False

    def _refusal(self, retry_after_s: float) -> CircuitOpen:
        why = f" (last error: {self._last_error})" if self._last_error else ""
        when = f"next trial in {retry_after_s:.1f} s" if retry_after_s > 0 else "a trial call is in flight"
        return CircuitOpen(f"circuit open for {self.name}: {when}{why}", retry_after_s)
