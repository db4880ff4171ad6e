"""Result-cache keys: the same request against the same model versions gives the same key, in any
process, on any machine, in any release that keeps ``KEY_FORMAT``.

Python's ``hash()`` is salted per process (``PYTHONHASHSEED``), so keys built with it never match
across gateway workers or restarts, and at 64 bits two requests may share one. The key here is a
BLAKE2b-256 digest over length-prefixed fields, so no two different inputs frame to the same bytes.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Mapping

import orjson

KEY_FORMAT = b"fortress-rk-v1"
"""Hashed as BLAKE2b's personalisation (at most 16 bytes). Change it to invalidate every key."""


def canonical_json(value: object) -> bytes:
    """JSON with sorted object keys and no whitespace: equal values give equal bytes.

    Floats are written as orjson writes them (shortest round-trip form), so ``0.1`` is always
    ``0.1``; NaN and infinities become ``null``. Raises ``TypeError`` for what JSON cannot hold.
    """
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _frame(data: bytes) -> bytes:
    return len(data).to_bytes(8, "big") + data


def result_key(canonical_request: bytes, versions: Mapping[str, int]) -> str:
    """Hex digest (64 characters) naming the response to ``canonical_request`` computed by exactly
    these ``{model: version}``: a new version of any model gives a new key."""
    digest = hashlib.blake2b(digest_size=32, person=KEY_FORMAT)
    digest.update(_frame(canonical_request))
    digest.update(len(versions).to_bytes(8, "big"))
    for model, version in sorted(versions.items()):
        digest.update(_frame(model.encode()))
        digest.update(_frame(b"%d" % operator.index(version)))
    return digest.hexdigest()
