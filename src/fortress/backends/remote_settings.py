"""Settings of one remote model server the gateway sends models to (``GatewaySettings.backends``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, PositiveFloat, PositiveInt, model_validator

_SCHEMES = ("http://", "https://")


class RemoteBackendSettings(BaseModel):
    kind: Literal["tfserving", "v2"]
    """``tfserving``: TF Serving REST API; ``v2``: Open Inference Protocol v2 (KServe v2 / Triton)."""
    url: str
    """``http://host:8501`` for REST; ``host:8500`` (no scheme) for v2 gRPC."""
    protocol: Literal["http", "grpc"] = "http"
    """``grpc`` only with ``kind: v2``."""
    timeout_s: PositiveFloat = 1.0
    """Longest wait for one call (predict or one status request)."""
    status_poll_s: PositiveFloat = 5.0
    """How often served models, versions and labels are refreshed."""
    recovery_poll_s: PositiveFloat = 0.5
    """While the server is unreachable or the circuit is open, status is asked this often instead
    (never more slowly than ``status_poll_s``); a status answer lets one trial call through at once,
    so a recovered server is used again within about this long, not after ``breaker_reset_s``."""
    max_connections: PositiveInt = 64
    """HTTP connections kept to the server (all kept alive between calls)."""
    breaker_failures: PositiveInt = 5
    """Consecutive failed calls (unreachable, timeout, 5xx) that open the circuit."""
    breaker_reset_s: PositiveFloat = 5.0
    """How long an open circuit fails fast before one trial call may go through (half-open)."""

    @model_validator(mode="after")
    def _check_url(self) -> RemoteBackendSettings:
        self.url = self.url.strip().rstrip("/")
        if self.protocol == "grpc":
            if self.kind != "v2":
                raise ValueError(
                    f"protocol 'grpc' is only supported with kind 'v2' (got kind {self.kind!r}); "
                    "the TF Serving backend speaks REST: use protocol 'http' and an http:// URL"
                )
            if "://" in self.url or ":" not in self.url:
                raise ValueError(
                    f"a gRPC url is host:port without a scheme, e.g. 'localhost:8500'; got {self.url!r}"
                )
        elif not self.url.startswith(_SCHEMES):
            raise ValueError(
                f"an HTTP url starts with http:// or https://, e.g. 'http://localhost:8501'; got {self.url!r}"
            )
        return self
