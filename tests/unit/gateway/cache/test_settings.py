"""Cache settings: defaults, the Redis URL requirement, environment variables."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from fortress.gateway.cache.settings import CacheSettings
from fortress.settings import Settings


def test_defaults_are_an_embedded_bounded_cache() -> None:
    settings = CacheSettings()
    assert settings.backend == "memory"
    assert settings.redis_url is None
    assert (settings.ttl_s, settings.max_entries, settings.max_bytes) == (300.0, 10_000, 64 * 2**20)
    assert (settings.redis_timeout_s, settings.retry_after_failure_s) == (0.05, 1.0)
    assert settings.key_prefix == "fortress:inference:"


def test_redis_backend_needs_a_url() -> None:
    with pytest.raises(ValidationError, match="FORTRESS_GATEWAY__CACHE__REDIS_URL"):
        CacheSettings(backend="redis")


def test_a_redis_url_with_another_scheme_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValidationError, match="must start with one of redis://") as caught:
        CacheSettings(backend="redis", redis_url="user:s3cret@cache:6379")
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize(
    "field", ["ttl_s", "max_entries", "max_bytes", "redis_timeout_s", "retry_after_failure_s"]
)
def test_bounds_and_timeouts_must_be_positive(field: str) -> None:
    with pytest.raises(ValidationError, match=rf"{field}\n  Input should be greater than 0"):
        CacheSettings.model_validate({field: 0})


def test_environment_variables_select_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    """The names docs/CACHE.md gives, read by the one settings tree."""
    monkeypatch.setenv("FORTRESS_GATEWAY__CACHE__BACKEND", "redis")
    monkeypatch.setenv("FORTRESS_GATEWAY__CACHE__REDIS_URL", "redis://cache:6379/2")
    monkeypatch.setenv("FORTRESS_GATEWAY__CACHE__TTL_S", "30")
    cache = Settings().gateway.cache
    assert (cache.backend, cache.redis_url, cache.ttl_s) == ("redis", "redis://cache:6379/2", 30.0)


def test_redis_without_url_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORTRESS_GATEWAY__CACHE__BACKEND", "redis")
    monkeypatch.delenv("FORTRESS_GATEWAY__CACHE__REDIS_URL", raising=False)
    with pytest.raises(ValidationError, match=r"gateway\.cache\.redis_url is required"):
        Settings()
