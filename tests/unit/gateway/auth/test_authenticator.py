"""Authenticator: which header carries what, 401 (who are you?) vs 403 (you may not), open paths."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest
from pydantic import SecretStr

from fortress.errors import ErrorKind, Forbidden, Unauthorized
from fortress.gateway.auth.authenticator import Authenticator
from fortress.gateway.auth.keys import ApiKeyStore
from fortress.gateway.auth.principal import ANONYMOUS, SCOPES, Principal
from fortress.gateway.auth.settings import AuthSettings

SECRET = "k" * 48


@pytest.fixture
def store(tmp_path: Path) -> ApiKeyStore:
    return ApiKeyStore(tmp_path / "keys.json")


@pytest.fixture
def auth(store: ApiKeyStore) -> Authenticator:
    return Authenticator(AuthSettings(jwt_hs256_secret=SecretStr(SECRET)), store)


def token(scope: str = "inference") -> str:
    return jwt.encode({"sub": "svc", "exp": int(time.time()) + 60, "scope": scope}, SECRET, algorithm="HS256")


def unauthorized(auth: Authenticator, authorization: str | None, api_key: str | None, message: str) -> None:
    with pytest.raises(Unauthorized, match=message) as info:
        auth.authenticate(authorization, api_key)
    assert info.value.kind is ErrorKind.UNAUTHORIZED
    for secret in (authorization, api_key):
        if secret and len(secret) > 20:
            assert secret.split()[-1] not in str(info.value)


def test_api_key_in_either_header(auth: Authenticator, store: ApiKeyStore) -> None:
    record, key = store.create("ci", ["inference"])
    expected = Principal(id=record.key_id, scopes=frozenset({"inference"}), kind="api_key")
    assert auth.authenticate(None, key) == expected
    assert auth.authenticate(f"Bearer {key}", None) == expected
    assert auth.authenticate(f"bearer   {key}  ", None) == expected
    assert expected.caller == f"api_key:{record.key_id}"


def test_jwt_bearer(auth: Authenticator) -> None:
    principal = auth.authenticate(f"Bearer {token('inference admin')}", None)
    assert principal == Principal(id="svc", scopes=frozenset({"inference", "admin"}), kind="jwt")
    assert principal.caller == "jwt:svc"


def test_x_api_key_wins_when_both_are_sent(auth: Authenticator, store: ApiKeyStore) -> None:
    _, key = store.create("ci", ["inference"])
    assert auth.authenticate(f"Bearer {token()}", key).kind == "api_key"
    unauthorized(auth, f"Bearer {token()}", "fk_0123456789ab_wrong", "unknown, revoked or wrong")


def test_missing_credentials(auth: Authenticator) -> None:
    for authorization, api_key in [(None, None), ("", ""), ("  ", None)]:
        unauthorized(auth, authorization, api_key, "missing credentials: send 'X-API-Key")


def test_bad_credentials(auth: Authenticator, store: ApiKeyStore) -> None:
    record, key = store.create("ci", ["inference"])
    unauthorized(auth, "Basic dXNlcjpwYXNzd29yZA==", None, "unsupported authorization scheme 'Basic'")
    unauthorized(auth, "Bearer", None, "unsupported authorization scheme|empty bearer")
    unauthorized(auth, "Bearer    ", None, "empty bearer credential|unsupported")
    unauthorized(auth, None, "not-a-key-at-all-but-long-enough", "malformed API key")
    unauthorized(auth, f"Bearer {key[:-3]}", None, f"API key {record.key_id} is unknown, revoked or wrong")
    unauthorized(auth, "Bearer eyJhbGciOiJub25lIn0.e30.", None, "algorithm 'none' is not accepted")
    expired = jwt.encode({"sub": "svc", "exp": int(time.time()) - 3600}, SECRET, algorithm="HS256")
    unauthorized(auth, f"Bearer {expired}", None, "token expired")


def test_revoked_key_is_401(auth: Authenticator, store: ApiKeyStore) -> None:
    record, key = store.create("ci", ["inference"])
    store.revoke(record.key_id)
    unauthorized(auth, None, key, f"API key {record.key_id} is unknown, revoked or wrong")


def test_require_is_403_naming_the_scope(auth: Authenticator, store: ApiKeyStore) -> None:
    record, key = store.create("ci", ["inference"])
    principal = auth.authenticate(None, key)
    auth.require(principal, "inference")
    with pytest.raises(Forbidden, match=f"API key {record.key_id} lacks the 'admin' scope") as info:
        auth.require(principal, "admin")
    assert info.value.kind is ErrorKind.FORBIDDEN
    with pytest.raises(Forbidden, match=r"token subject 'svc' lacks the 'inference' scope \(it has: none\)"):
        auth.require(auth.authenticate(f"Bearer {token('')}", None), "inference")
    with pytest.raises(ValueError, match="unknown scope"):
        auth.require(principal, "superuser")


def test_disabled_auth_is_anonymous_with_every_scope(store: ApiKeyStore) -> None:
    auth = Authenticator(AuthSettings(enabled=False), store)
    principal = auth.authenticate(None, None)
    assert principal == ANONYMOUS
    assert principal.kind == "anonymous"
    for scope in SCOPES:
        auth.require(principal, scope)
    assert auth.is_open("/v1/investigate")


def test_open_paths(store: ApiKeyStore) -> None:
    auth = Authenticator(AuthSettings(), store)
    assert auth.is_open("/health")
    assert auth.is_open("/health/ready")
    assert auth.is_open("/metrics")
    assert not auth.is_open("/healthy-secrets")
    assert not auth.is_open("/v1/investigate")
    closed = Authenticator(AuthSettings(open_health=False, open_metrics=False), store)
    assert not closed.is_open("/health/live")
    assert not closed.is_open("/metrics")


def test_api_keys_only_refuses_bearer_jwts(store: ApiKeyStore) -> None:
    auth = Authenticator(AuthSettings(), store)
    unauthorized(auth, f"Bearer {token()}", None, "bearer tokens are not accepted here")
