"""JwtVerifier: HS256 and RS256, expiry, iss/aud, algorithm confusion, scopes, key loading."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from pydantic import SecretStr

from fortress.errors import InvalidInput, Unauthorized
from fortress.gateway.auth.jwt_tokens import JwtVerifier, token_scopes
from fortress.gateway.auth.settings import AuthSettings

SECRET = "s" * 40


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture
def pem_file(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> Path:
    path = tmp_path / "issuer.pem"
    path.write_bytes(public_pem(rsa_key))
    return path


def claims(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"sub": "analyst-7", "exp": int(time.time()) + 300, "scope": "inference"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_signed_hs256(payload: dict[str, Any], key: bytes) -> str:
    """An HS256 token signed with arbitrary bytes (PyJWT refuses to use a PEM key as an HMAC secret)."""
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(payload).encode())
    signature = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


def rejected(verifier: JwtVerifier, token: str, message: str) -> None:
    with pytest.raises(Unauthorized, match=message) as info:
        verifier.verify(token)
    assert token not in str(info.value)
    signature = token.split(".")[-1]
    assert not signature or signature not in str(info.value)


def test_hs256(tmp_path: Path) -> None:
    verifier = JwtVerifier(AuthSettings(jwt_hs256_secret=SecretStr(SECRET)))
    assert verifier.algorithms == ("HS256",)
    principal = verifier.verify(jwt.encode(claims(scope="inference admin"), SECRET, algorithm="HS256"))
    assert principal.id == "analyst-7"
    assert principal.kind == "jwt"
    assert principal.scopes == frozenset({"inference", "admin"})


def test_rs256(rsa_key: rsa.RSAPrivateKey, pem_file: Path) -> None:
    verifier = JwtVerifier(AuthSettings(jwt_public_key_file=pem_file))
    assert verifier.algorithms == ("RS256",)
    principal = verifier.verify(jwt.encode(claims(), rsa_key, algorithm="RS256"))
    assert principal.scopes == frozenset({"inference"})


def test_both_configured_picks_the_key_by_algorithm(rsa_key: rsa.RSAPrivateKey, pem_file: Path) -> None:
    verifier = JwtVerifier(AuthSettings(jwt_hs256_secret=SecretStr(SECRET), jwt_public_key_file=pem_file))
    assert verifier.verify(jwt.encode(claims(sub="a"), SECRET, algorithm="HS256")).id == "a"
    assert verifier.verify(jwt.encode(claims(sub="b"), rsa_key, algorithm="RS256")).id == "b"
    # The classic confusion attack: HS256 "signed" with the issuer's public key.
    rejected(verifier, hand_signed_hs256(claims(), public_pem(rsa_key)), "signature is invalid")


def test_hs256_signed_with_the_public_key_is_refused_when_only_rs256_is_configured(
    rsa_key: rsa.RSAPrivateKey, pem_file: Path
) -> None:
    verifier = JwtVerifier(AuthSettings(jwt_public_key_file=pem_file))
    rejected(
        verifier,
        hand_signed_hs256(claims(), public_pem(rsa_key)),
        r"token algorithm 'HS256' is not accepted \(accepted: RS256\)",
    )


def test_alg_none_is_refused(pem_file: Path) -> None:
    verifier = JwtVerifier(AuthSettings(jwt_hs256_secret=SecretStr(SECRET), jwt_public_key_file=pem_file))
    head = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    token = f"{head}.{b64(json.dumps(claims()).encode())}."
    rejected(verifier, token, "token algorithm 'none' is not accepted")
    unsigned = jwt.encode(claims(), None, algorithm="none")
    rejected(verifier, unsigned, "token algorithm 'none' is not accepted")


def test_wrong_signatures(rsa_key: rsa.RSAPrivateKey, pem_file: Path) -> None:
    verifier = JwtVerifier(AuthSettings(jwt_hs256_secret=SecretStr(SECRET), jwt_public_key_file=pem_file))
    rejected(verifier, jwt.encode(claims(), "t" * 40, algorithm="HS256"), "signature is invalid")
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rejected(verifier, jwt.encode(claims(), other, algorithm="RS256"), "signature is invalid")
    good = jwt.encode(claims(), SECRET, algorithm="HS256")
    head, _, sig = good.split(".")
    forged_body = b64(json.dumps(claims(scope="admin")).encode())
    rejected(verifier, f"{head}.{forged_body}.{sig}", "signature is invalid")


def test_expiry_with_leeway() -> None:
    verifier = JwtVerifier(AuthSettings(jwt_hs256_secret=SecretStr(SECRET), jwt_leeway_s=30))
    now = int(time.time())
    assert verifier.verify(jwt.encode(claims(exp=now - 10), SECRET, algorithm="HS256")).id == "analyst-7"
    rejected(verifier, jwt.encode(claims(exp=now - 60), SECRET, algorithm="HS256"), "token expired")
    rejected(verifier, jwt.encode(claims(nbf=now + 600), SECRET, algorithm="HS256"), "not valid yet")


@pytest.mark.parametrize(("claim", "message"), [("exp", "no 'exp' claim"), ("sub", "no 'sub' claim")])
def test_required_claims(claim: str, message: str) -> None:
    verifier = JwtVerifier(AuthSettings(jwt_hs256_secret=SecretStr(SECRET)))
    rejected(verifier, jwt.encode(claims(**{claim: None}), SECRET, algorithm="HS256"), message)


def test_issuer_and_audience() -> None:
    verifier = JwtVerifier(
        AuthSettings(
            jwt_hs256_secret=SecretStr(SECRET), jwt_issuer="https://idp.example", jwt_audience="fortress"
        )
    )
    ok = claims(iss="https://idp.example", aud=["fortress", "other"])
    assert verifier.verify(jwt.encode(ok, SECRET, algorithm="HS256")).id == "analyst-7"
    rejected(
        verifier,
        jwt.encode({**ok, "iss": "https://evil.example"}, SECRET, algorithm="HS256"),
        "token issuer is not 'https://idp.example'",
    )
    rejected(verifier, jwt.encode({**ok, "aud": "other"}, SECRET, algorithm="HS256"), "audience")
    rejected(verifier, jwt.encode(claims(iss="https://idp.example"), SECRET, algorithm="HS256"), "'aud'")
    rejected(verifier, jwt.encode(claims(aud="fortress"), SECRET, algorithm="HS256"), "'iss'")


def test_audience_is_not_checked_when_not_configured() -> None:
    verifier = JwtVerifier(AuthSettings(jwt_hs256_secret=SecretStr(SECRET)))
    assert verifier.verify(jwt.encode(claims(aud="anything"), SECRET, algorithm="HS256")).id == "analyst-7"


@pytest.mark.parametrize(
    ("token_claims", "scopes"),
    [
        ({"scope": "inference admin"}, {"inference", "admin"}),
        ({"scope": "  inference  "}, {"inference"}),
        ({"scopes": ["admin"]}, {"admin"}),
        ({"scope": "inference", "scopes": ["admin"]}, {"inference", "admin"}),
        ({}, set()),
        ({"scope": ""}, set()),
    ],
)
def test_scopes(token_claims: dict[str, Any], scopes: set[str]) -> None:
    assert token_scopes(token_claims) == frozenset(scopes)


@pytest.mark.parametrize("token_claims", [{"scope": ["inference"]}, {"scopes": "inference"}, {"scopes": [1]}])
def test_malformed_scopes(token_claims: dict[str, Any]) -> None:
    with pytest.raises(Unauthorized, match="scope"):
        token_scopes(token_claims)


@pytest.mark.parametrize("token", ["abc", "a.b.c", "", "....", "eyJhbGciOiJIUzI1NiJ9.x.y"])
def test_malformed_tokens(token: str) -> None:
    verifier = JwtVerifier(AuthSettings(jwt_hs256_secret=SecretStr(SECRET)))
    with pytest.raises(Unauthorized, match=r"malformed bearer token|signature is invalid"):
        verifier.verify(token)


def test_no_jwt_configured() -> None:
    verifier = JwtVerifier(AuthSettings())
    assert verifier.algorithms == ()
    with pytest.raises(Unauthorized, match="bearer tokens are not accepted here"):
        verifier.verify(jwt.encode(claims(), SECRET, algorithm="HS256"))


def test_short_secret_is_refused_at_start() -> None:
    with pytest.raises(InvalidInput, match="at least 32 bytes"):
        JwtVerifier(AuthSettings(jwt_hs256_secret=SecretStr("short")))


def test_public_key_file_problems(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    with pytest.raises(InvalidInput, match="cannot read JWT public key file"):
        JwtVerifier(AuthSettings(jwt_public_key_file=missing))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    with pytest.raises(InvalidInput, match="is not a PEM public key"):
        JwtVerifier(AuthSettings(jwt_public_key_file=garbage))
    ec_file = tmp_path / "ec.pem"
    ec_file.write_bytes(
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(InvalidInput, match="does not hold an RSA key"):
        JwtVerifier(AuthSettings(jwt_public_key_file=ec_file))
    small = tmp_path / "small.pem"
    small.write_bytes(public_pem(rsa.generate_private_key(public_exponent=65537, key_size=1024)))
    with pytest.raises(InvalidInput, match="1024 bits"):
        JwtVerifier(AuthSettings(jwt_public_key_file=small))


def test_certificate_pem_is_accepted(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> None:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(rsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(rsa_key, hashes.SHA256())
    )
    path = tmp_path / "cert.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    verifier = JwtVerifier(AuthSettings(jwt_public_key_file=path))
    assert verifier.verify(jwt.encode(claims(), rsa_key, algorithm="RS256")).id == "analyst-7"
