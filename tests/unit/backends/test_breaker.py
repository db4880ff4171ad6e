"""The circuit breaker's state machine on a fake clock, and the remote backend settings' validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from fortress.backends.breaker import BreakerState, CircuitBreaker
from fortress.backends.errors import CircuitOpen
from fortress.backends.remote_settings import RemoteBackendSettings
from fortress.errors import ErrorKind


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker(3, 5.0, name="test backend", clock=clock)


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        breaker.check()
        breaker.record_failure("connection refused")


def test_opens_after_consecutive_failures_only(breaker: CircuitBreaker) -> None:
    fail(breaker, 2)
    breaker.check()
    breaker.record_success()  # resets the count
    fail(breaker, 2)
    assert breaker.state is BreakerState.CLOSED
    fail(breaker, 1)
    assert breaker.state is BreakerState.OPEN


def test_open_fails_fast_with_an_unavailable_error(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 3)
    clock.now += 1.5
    with pytest.raises(CircuitOpen) as caught:
        breaker.check()
    assert caught.value.kind is ErrorKind.UNAVAILABLE
    assert caught.value.retry_after_s == pytest.approx(3.5)
    assert "test backend" in str(caught.value)
    assert "next trial in 3.5 s" in str(caught.value)
    assert "connection refused" in str(caught.value)


def test_half_open_lets_one_trial_through_and_success_closes(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 3)
    clock.now += 5.0
    assert breaker.state is BreakerState.HALF_OPEN
    breaker.check()  # the trial
    with pytest.raises(CircuitOpen, match="a trial call is in flight"):
        breaker.check()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    breaker.check()
    breaker.check()


def test_failed_trial_opens_for_another_reset_period(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 3)
    clock.now += 6.0
    breaker.check()
    breaker.record_failure("timeout")
    assert breaker.state is BreakerState.OPEN
    clock.now += 4.9
    with pytest.raises(CircuitOpen, match="timeout"):
        breaker.check()
    clock.now += 0.1
    breaker.check()
    assert breaker.state is BreakerState.HALF_OPEN


def test_released_trial_frees_the_slot(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 3)
    clock.now += 5.0
    breaker.check()
    breaker.release()  # the trial was cancelled by its caller: no verdict
    breaker.check()
    assert breaker.state is BreakerState.HALF_OPEN


def test_late_answers_of_calls_started_before_opening(breaker: CircuitBreaker, clock: Clock) -> None:
    fail(breaker, 3)
    breaker.record_success()  # a slow call that started while closed: the circuit stays open
    assert breaker.state is BreakerState.OPEN
    clock.now += 2.0
    breaker.record_failure("late")  # does not push the trial further away
    clock.now += 3.0
    breaker.check()
    assert breaker.state is BreakerState.HALF_OPEN


def test_rejects_nonsense_limits() -> None:
    with pytest.raises(ValueError, match="failures >= 1"):
        CircuitBreaker(0, 1.0)


def test_settings_defaults_and_url_forms() -> None:
    rest = RemoteBackendSettings(kind="tfserving", url=" http://serving:8501/ ")
    assert (rest.url, rest.protocol, rest.timeout_s, rest.status_poll_s) == (
        "http://serving:8501",
        "http",
        1.0,
        5.0,
    )
    assert (rest.max_connections, rest.breaker_failures, rest.breaker_reset_s) == (64, 5, 5.0)
    grpc = RemoteBackendSettings(kind="v2", url="serving:8500", protocol="grpc")
    assert grpc.url == "serving:8500"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "tfserving", "url": "serving:8500", "protocol": "grpc"}, "only supported with kind 'v2'"),
        ({"kind": "v2", "url": "grpc://serving:8500", "protocol": "grpc"}, "host:port without a scheme"),
        ({"kind": "v2", "url": "serving:8501"}, "starts with http:// or https://"),
        ({"kind": "triton", "url": "http://serving:8000"}, "'tfserving' or 'v2'"),
        ({"kind": "v2", "url": "http://serving:8000", "timeout_s": 0}, "greater than 0"),
    ],
)
def test_settings_refuse_what_cannot_work(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RemoteBackendSettings.model_validate(fields)
