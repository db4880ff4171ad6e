"""Who is calling: the identity and scopes an authenticated request carries."""

from __future__ import annotations

from dataclasses import dataclass

SCOPES = ("inference", "admin")
"""``inference``: call the models. ``admin``: operate the gateway. Neither implies the other."""


@dataclass(frozen=True, slots=True)
class Principal:
    id: str
    """API key id or JWT ``sub``: safe to log, never the secret."""
    scopes: frozenset[str]
    kind: str
    """``api_key``, ``jwt`` or ``anonymous``."""

    @property
    def caller(self) -> str:
        """Rate-limit bucket name, e.g. ``api_key:3f9a0c1d2e4b``: key ids and token subjects never collide."""
        return f"{self.kind}:{self.id}"

    def describe(self) -> str:
        """How error messages name the caller, e.g. ``API key 3f9a0c1d2e4b``."""
        if self.kind == "api_key":
            return f"API key {self.id}"
        if self.kind == "jwt":
            return f"token subject {self.id!r}"
        return "anonymous caller"


ANONYMOUS = Principal(id="anonymous", scopes=frozenset(SCOPES), kind="anonymous")
"""The caller when authentication is disabled: holds every scope."""
