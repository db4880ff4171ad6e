"""What the gateway keeps in its result cache for one investigation, and how it is written.

An entry is one header line and the body, as bytes::

    {"verdict":"malicious","risk":0.82}\\n{"predictions":{...},...}

The header (JSON, one line: orjson escapes every newline inside strings) holds what the audit event
and the verdict metric need; the body is the result JSON object exactly as it is spliced into the
response, so a hit re-encodes nothing. Only the header is parsed on a hit.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from fortress.gateway.cache.errors import CacheCorrupt


@dataclass(frozen=True, slots=True)
class CachedResult:
    verdict: str
    risk: float
    body: bytes
    """The result JSON object (``{...}``), spliced into the response as it is."""

    def encode(self) -> bytes:
        return orjson.dumps({"verdict": self.verdict, "risk": self.risk}) + b"\n" + self.body

    @staticmethod
    def decode(raw: bytes) -> CachedResult:
        """The entry ``encode`` wrote; ``CacheCorrupt`` for anything else."""
        header, newline, body = raw.partition(b"\n")
        if not newline:
            raise CacheCorrupt("cache entry has no header line")
        try:
            meta = orjson.loads(header)
        except orjson.JSONDecodeError as exc:
            raise CacheCorrupt(f"cache entry header is not JSON: {exc}") from None
        if not isinstance(meta, dict):
            raise CacheCorrupt("cache entry header is not a JSON object")
        verdict, risk = meta.get("verdict"), meta.get("risk")
        if not isinstance(verdict, str):
            raise CacheCorrupt(f"cache entry verdict is not a string: {verdict!r}")
        if isinstance(risk, bool) or not isinstance(risk, int | float):
            raise CacheCorrupt(f"cache entry risk is not a number: {risk!r}")
        if not (body.startswith(b"{") and body.endswith(b"}")):
            raise CacheCorrupt("cache entry body is not a JSON object")
        return CachedResult(verdict, float(risk), body)
