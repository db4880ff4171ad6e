"""Open Inference Protocol v2 tensors on the client side, shared by the REST and gRPC wires.

Feeds are float32 arrays (FP32) or object arrays of ``str`` (BYTES); anything else is refused before
it is sent. FP32 travels as raw little-endian bytes (a copy, not number formatting); BYTES as a list
of strings (JSON ``data`` / gRPC ``bytes_contents``), or in raw form (4-byte little-endian length,
then the UTF-8 bytes) where a gRPC request must be raw throughout. docs/BACKENDS.md has the figures.
"""

from __future__ import annotations

import math
import struct

import numpy as np

from fortress.backends.base import DEFAULT_ROUTE
from fortress.errors import InvalidInput

FP32, BYTES = "FP32", "BYTES"
_FP32_LE = np.dtype("<f4")
_LENGTH = struct.Struct("<I")


def datatype(name: str, value: np.ndarray) -> str:
    """FP32 or BYTES for a feed, or ``InvalidInput``."""
    if not isinstance(value, np.ndarray):
        raise InvalidInput(f"input {name!r} must be a numpy array, got {type(value).__name__}")
    if value.dtype == np.float32:
        return FP32
    if value.dtype == object:
        return BYTES
    raise InvalidInput(f"input {name!r} is {value.dtype}; models take float32 or strings (object arrays)")


def fp32_bytes(value: np.ndarray) -> bytes:
    return np.ascontiguousarray(value, dtype=_FP32_LE).tobytes()


def strings(name: str, value: np.ndarray) -> list[str]:
    """The elements of a BYTES feed in row-major order; each must be a ``str``."""
    items: list[str] = value.ravel().tolist()
    for item in items:
        if not isinstance(item, str):
            raise InvalidInput(f"input {name!r} holds a {type(item).__name__}; string inputs hold str")
    return items


def raw_strings(name: str, value: np.ndarray) -> bytes:
    parts: list[bytes] = []
    for item in strings(name, value):
        encoded = item.encode("utf-8")
        parts.append(_LENGTH.pack(len(encoded)))
        parts.append(encoded)
    return b"".join(parts)


def decode_fp32(raw: bytes | memoryview, shape: tuple[int, ...], where: str) -> np.ndarray:
    """A float32 array (owning its memory) from raw little-endian bytes."""
    if len(raw) != 4 * math.prod(shape):
        raise ValueError(f"{where}: {len(raw)} bytes for an FP32 tensor of shape {list(shape)}")
    return np.frombuffer(raw, dtype=_FP32_LE).astype(np.float32).reshape(shape)


def version_label(route: str) -> str:
    """The v2 version string that addresses a route: '' (the server's default) for the default route,
    else the route as a label (``fortress serve`` resolves labels; Triton has none)."""
    return "" if route == DEFAULT_ROUTE else route


def parse_version(text: str) -> int:
    """A v2 ``model_version``; servers that do not number versions give '' (0 here)."""
    return int(text) if text.isascii() and text.isdigit() else 0
