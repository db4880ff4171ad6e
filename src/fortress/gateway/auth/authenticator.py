"""Turn a request's credential headers into a ``Principal`` (401) and check its scopes (403).

Accepted: ``X-API-Key: fk_...`` and ``Authorization: Bearer <API key or JWT>``. When both are sent,
``X-API-Key`` is the credential. Messages say what is wrong and never repeat the secret.
"""

from __future__ import annotations

from fortress.errors import Forbidden, Unauthorized
from fortress.gateway.auth.jwt_tokens import JwtVerifier
from fortress.gateway.auth.keys import KEY_PREFIX, ApiKeyStore, split_key
from fortress.gateway.auth.principal import ANONYMOUS, SCOPES, Principal
from fortress.gateway.auth.settings import AuthSettings

HOW = "send 'X-API-Key: <key>' or 'Authorization: Bearer <key or token>'"


class Authenticator:
    def __init__(self, settings: AuthSettings, keys: ApiKeyStore) -> None:
        self.settings = settings
        self.keys = keys
        self.jwt = JwtVerifier(settings)

    def authenticate(self, authorization: str | None, api_key: str | None) -> Principal:
        if not self.settings.enabled:
            return ANONYMOUS
        if api_key is not None and api_key.strip():
            return self._api_key(api_key.strip())
        if authorization is None or not authorization.strip():
            raise Unauthorized(f"missing credentials: {HOW}")
        scheme, _, credential = authorization.strip().partition(" ")
        if scheme.lower() != "bearer":
            shown = scheme if len(scheme) <= 16 and scheme.isalpha() else "?"
            raise Unauthorized(f"unsupported authorization scheme {shown!r}: {HOW}")
        credential = credential.strip()
        if not credential:
            raise Unauthorized(f"empty bearer credential: {HOW}")
        if credential.startswith(KEY_PREFIX):
            return self._api_key(credential)
        return self.jwt.verify(credential)

    def is_open(self, path: str) -> bool:
        """Whether ``path`` answers without credentials (``/health``, ``/metrics`` per settings)."""
        if not self.settings.enabled:
            return True
        if self.settings.open_health and (path == "/health" or path.startswith("/health/")):
            return True
        return self.settings.open_metrics and path == "/metrics"

    def require(self, principal: Principal, scope: str) -> None:
        """``Forbidden`` unless the principal holds ``scope``."""
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}; scopes are {SCOPES}")
        if scope not in principal.scopes:
            held = ", ".join(sorted(principal.scopes)) or "none"
            raise Forbidden(f"{principal.describe()} lacks the {scope!r} scope (it has: {held})")

    def _api_key(self, presented: str) -> Principal:
        parts = split_key(presented)
        if parts is None:
            raise Unauthorized("malformed API key: expected 'fk_<key id>_<secret>'")
        record = self.keys.verify(presented)
        if record is None:
            raise Unauthorized(f"API key {parts[0]} is unknown, revoked or wrong")
        return Principal(id=record.key_id, scopes=record.scopes, kind="api_key")
