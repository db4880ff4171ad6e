"""Bearer JWTs: HS256 with a shared secret and/or RS256 with the issuer's public key.

The algorithm comes from the token header but only among the configured ones, each with its own key,
so ``alg: none`` and an HS256 token "signed" with the RSA public key are refused. Keys are loaded and
checked once, at construction; ``verify`` does no I/O.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from fortress.errors import InvalidInput, Unauthorized
from fortress.gateway.auth.principal import Principal
from fortress.gateway.auth.settings import AuthSettings

MIN_HS256_SECRET_BYTES = 32
MIN_RSA_BITS = 2048


class JwtVerifier:
    def __init__(self, settings: AuthSettings) -> None:
        self._keys: dict[str, bytes | RSAPublicKey] = {}
        if settings.jwt_hs256_secret is not None:
            secret = settings.jwt_hs256_secret.get_secret_value().encode()
            if len(secret) < MIN_HS256_SECRET_BYTES:
                raise InvalidInput(f"jwt_hs256_secret must be at least {MIN_HS256_SECRET_BYTES} bytes long")
            self._keys["HS256"] = secret
        if settings.jwt_public_key_file is not None:
            self._keys["RS256"] = load_rsa_public_key(settings.jwt_public_key_file)
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._leeway = settings.jwt_leeway_s

    @property
    def algorithms(self) -> tuple[str, ...]:
        """The accepted algorithms; empty when no JWT key is configured."""
        return tuple(self._keys)

    def verify(self, token: str) -> Principal:
        """The token's principal (``sub`` and scopes), or ``Unauthorized`` saying what is wrong."""
        if not self._keys:
            raise Unauthorized("bearer tokens are not accepted here (no JWT key configured); use an API key")
        try:
            alg = jwt.get_unverified_header(token).get("alg")
        except jwt.InvalidTokenError as exc:  # DecodeError, or a header PyJWT refuses (crit, kid, ...)
            raise Unauthorized(_malformed(exc)) from None
        if not isinstance(alg, str) or alg not in self._keys:
            shown = alg if isinstance(alg, str) and len(alg) <= 16 else "?"
            accepted = ", ".join(self._keys)
            raise Unauthorized(f"token algorithm {shown!r} is not accepted (accepted: {accepted})")
        claims = self._decode(token, alg)
        subject = claims["sub"]
        if not subject:
            raise Unauthorized("token 'sub' claim is empty")
        return Principal(id=subject, scopes=token_scopes(claims), kind="jwt")

    def _decode(self, token: str, alg: str) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                self._keys[alg],
                algorithms=[alg],
                issuer=self._issuer,
                audience=self._audience,
                leeway=self._leeway,
                options={"require": ["exp", "sub"], "verify_aud": self._audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("token expired") from None
        except jwt.ImmatureSignatureError:
            raise Unauthorized("token is not valid yet (nbf or iat in the future)") from None
        except jwt.InvalidIssuerError:
            raise Unauthorized(f"token issuer is not {self._issuer!r}") from None
        except jwt.InvalidAudienceError:
            raise Unauthorized(f"token audience does not include {self._audience!r}") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthorized(f"token has no {exc.claim!r} claim") from None
        except jwt.InvalidSignatureError:
            raise Unauthorized("token signature is invalid") from None
        except jwt.DecodeError as exc:
            raise Unauthorized(_malformed(exc)) from None
        except jwt.InvalidTokenError as exc:  # PyJWT's messages name the claim, never the token
            raise Unauthorized(f"invalid token: {exc}") from None


def _malformed(exc: jwt.InvalidTokenError) -> str:
    """PyJWT's reason for a header or segment it cannot read: it names the part, never the token."""
    return "malformed bearer token" if isinstance(exc, jwt.DecodeError) else f"malformed bearer token: {exc}"


def token_scopes(claims: dict[str, Any]) -> frozenset[str]:
    """Scopes from ``scope`` (OAuth2: space-separated string) and/or ``scopes`` (list of strings)."""
    scopes: set[str] = set()
    scope = claims.get("scope")
    if scope is not None:
        if not isinstance(scope, str):
            raise Unauthorized("token 'scope' claim must be a space-separated string")
        scopes.update(scope.split())
    listed = claims.get("scopes")
    if listed is not None:
        if not isinstance(listed, list) or not all(isinstance(s, str) for s in listed):
            raise Unauthorized("token 'scopes' claim must be a list of strings")
        scopes.update(listed)
    return frozenset(scopes)


def load_rsa_public_key(path: Path) -> RSAPublicKey:
    """An RSA public key (``BEGIN PUBLIC KEY``) or an X.509 certificate holding one, from a PEM file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read JWT public key file {path}: {exc.strerror}") from None
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            key: object = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise InvalidInput(f"JWT public key file {path} is not a PEM public key or certificate") from None
    if not isinstance(key, RSAPublicKey):
        raise InvalidInput(f"JWT public key file {path} does not hold an RSA key (RS256 needs one)")
    if key.key_size < MIN_RSA_BITS:
        raise InvalidInput(f"JWT public key in {path} has {key.key_size} bits; RS256 needs {MIN_RSA_BITS}+")
    return key
