"""Settings of the feature store (``Settings.features``; env ``FORTRESS_FEATURES__...``)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, Field, NonNegativeInt, PositiveFloat, PositiveInt, field_validator

_PROJECT = re.compile(r"^[A-Za-z0-9_]+$")


class QualityLimits(BaseModel):
    """Data-quality gate of one view's training rows (checked before training)."""

    min_rows: NonNegativeInt = 200
    """Fewest label rows with a point-in-time feature row."""
    max_null_ratio: float = Field(0.05, ge=0.0, le=1.0)
    """Largest share of null feature values (cells) over the view's fields."""


def _default_quality() -> dict[str, QualityLimits]:
    return {"user_activity": QualityLimits(), "login_profile": QualityLimits()}


class FeatureSettings(BaseModel):
    project: str = "fortress"
    """Feast project name; also separates projects sharing one Redis (letters, digits, ``_``)."""
    root: Path | None = None
    """Feature repository folder (registry, offline files, SQLite online store).

    Default: ``$FORTRESS_HOME/features``."""
    online: Literal["sqlite", "redis"] = "sqlite"
    """Online store: embedded SQLite file, or Redis (scale-out)."""
    redis_url: str = "redis://127.0.0.1:6379/0"
    """Redis online store (when ``online = "redis"``): ``redis[s]://[:password@]host:port/db``."""
    redis_timeout_s: PositiveFloat = 1.0
    """Connect and read timeout of Redis calls. Calls are not retried: with Redis down, a lookup
    fails at once (``FeatureStoreUnavailable``) instead of after redis-py's retries (seconds)."""
    redis_key_ttl_seconds: PositiveInt | None = None
    """Expire online keys in Redis after this long (default: never; views' TTLs still apply)."""
    intel_file: Path | None = None
    """YAML/JSON lookup table for IP reputation and geo risk (default: the built-in table)."""
    online_threads: PositiveInt = 1
    """Threads running the (synchronous) online reads; SQLite reads are serialized anyway."""
    quality: dict[str, QualityLimits] = Field(default_factory=_default_quality)
    """Per-view data-quality gates, e.g. ``{"user_activity": {"min_rows": 500}}``."""
    default_quality: QualityLimits = Field(default_factory=QualityLimits)
    """Gate of views not listed in ``quality``."""

    @field_validator("project")
    @classmethod
    def _project_name(cls, value: str) -> str:
        if not _PROJECT.match(value):
            raise ValueError(f"project must be letters, digits and '_', got {value!r}")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("redis", "rediss") or not parts.hostname:
            raise ValueError(f"redis_url must look like redis://host:port/db, got {value!r}")
        return value

    def limits_for(self, view: str) -> QualityLimits:
        return self.quality.get(view, self.default_quality)

    def repo_root(self, home: Path) -> Path:
        return (self.root or home / "features").expanduser().resolve()

    def redis_connection_string(self) -> str:
        """``redis_url`` in Feast's form: ``host:port,db=N[,password=...][,ssl=true],<timeouts>``.

        Feast passes each ``key=value`` (JSON-decoded) to the redis-py client: ``retry=null``
        turns redis-py's default retries off."""
        parts = urlsplit(self.redis_url)
        items = [f"{parts.hostname}:{parts.port or 6379}"]
        db = parts.path.strip("/")
        items.append(f"db={int(db) if db else 0}")
        if parts.username:
            items.append(f"username={unquote(parts.username)}")
        if parts.password:
            items.append(f"password={unquote(parts.password)}")
        if parts.scheme == "rediss":
            items.append("ssl=true")
        timeout = self.redis_timeout_s
        items += [f"socket_connect_timeout={timeout}", f"socket_timeout={timeout}", "retry=null"]
        return ",".join(items)
