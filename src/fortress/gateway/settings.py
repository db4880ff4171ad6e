"""Settings of the ensemble gateway (``Settings.gateway``; env ``FORTRESS_GATEWAY__...``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, NonNegativeInt, PositiveFloat, PositiveInt, model_validator

from fortress.backends.remote_settings import RemoteBackendSettings
from fortress.gateway.auth.settings import AuthSettings, RateLimitSettings
from fortress.gateway.cache.settings import CacheSettings
from fortress.gateway.ensemble_settings import EnsembleSettings
from fortress.gateway.events.settings import EventSettings

LOCAL = "local"


class LimitSettings(BaseModel):
    max_body_bytes: PositiveInt = 1 << 20
    """Larger request bodies get 413."""
    max_records: PositiveInt = 256
    """Records per feature group in one investigation."""
    max_extra_fields: NonNegativeInt = 64
    """Fields a record may carry beyond those its feature group's models read (the rest are ignored);
    with ``max_records`` it bounds the fields of a request. Checked, like every size, before the
    request is validated value by value (``gateway/bounds.py``)."""
    max_investigations: PositiveInt = 64
    """Investigations in one batch call."""


class GatewaySettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    workers: NonNegativeInt = 0
    """Gateway processes sharing the port; 0 (the default): one per CPU core this process may use.
    The gateway's request handling is Python and holds one core per process."""
    graceful_shutdown_s: PositiveFloat = 10.0
    backlog: PositiveInt = 4096
    """Listen backlog: connections the kernel queues before the server accepts them (capped by
    ``net.core.somaxconn``). uvicorn's own default, 2048, drops connections under 10,000 clients."""
    max_concurrent: PositiveInt = 64
    """Inference requests parsed and run at once, and investigations running their models at once;
    more wait their turn *before* parsing and before any model timeout starts, so a flood queues
    instead of timing out into degraded answers."""
    models: list[str] | None = None
    """Serve only these models (default: every registered model)."""
    default_backend: str = LOCAL
    """Backend for models not listed in ``model_backends``: ``local`` or a key of ``backends``."""
    backends: dict[str, RemoteBackendSettings] = Field(default_factory=dict)
    """Remote model servers by name, e.g. ``{"serving": {"kind": "v2", "url": "http://host:8501"}}``."""
    model_backends: dict[str, str] = Field(default_factory=dict)
    """Model -> backend name, for models that should not use ``default_backend``."""
    feature_store: bool = False
    """Look up a request's ``entities`` in the feature store (``Settings.features``, docs/FEATURES.md)
    and merge what it holds into the request. Off by default: opening the store imports Feast (seconds)."""
    model_timeout_s: PositiveFloat = 2.0
    """Longest wait for one model; past it the model counts as failed (fallback, then degraded)."""
    limits: LimitSettings = Field(default_factory=LimitSettings)
    ensemble: EnsembleSettings = Field(default_factory=EnsembleSettings)
    cache: CacheSettings = Field(default_factory=CacheSettings)
    events: EventSettings = Field(default_factory=EventSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    rate_limit: RateLimitSettings = Field(default_factory=RateLimitSettings)

    @model_validator(mode="after")
    def _known_backends(self) -> GatewaySettings:
        if LOCAL in self.backends:
            raise ValueError(f"backend name {LOCAL!r} is reserved for the in-process runtime")
        known = {LOCAL, *self.backends}
        unknown = {b for b in (self.default_backend, *self.model_backends.values()) if b not in known}
        if unknown:
            raise ValueError(f"unknown backend(s) {sorted(unknown)}; configured: {sorted(known)}")
        return self
