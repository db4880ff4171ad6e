from __future__ import annotations

from pathlib import Path

import pytest

from fortress.registry.base import sha256_hex
from fortress.registry.blobs import BlobCache


def test_blob_cache_verifies_content(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    path = cache.put(b"model", ".onnx")
    sha = sha256_hex(b"model")
    assert cache.get(sha, ".onnx") == path
    path.write_bytes(b"tampered")
    assert cache.get(sha, ".onnx") is None
    assert not path.exists()
    calls: list[int] = []

    def fetch() -> bytes:
        calls.append(1)
        return b"model"

    assert cache.get_or_fetch(sha, ".onnx", fetch).read_bytes() == b"model"
    assert cache.get_or_fetch(sha, ".onnx", fetch).read_bytes() == b"model"
    assert len(calls) == 1
    with pytest.raises(ValueError, match="sha256"):
        cache.get_or_fetch(sha256_hex(b"other"), ".onnx", fetch)
