"""A local content-addressed store: files named by their sha256, written atomically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from fortress.registry.base import sha256_hex


class BlobCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha: str, suffix: str) -> Path:
        return self.root / sha[:2] / f"{sha}{suffix}"

    def get(self, sha: str, suffix: str) -> Path | None:
        """The cached file, if present and intact (a corrupt file is dropped)."""
        path = self.path(sha, suffix)
        if not path.exists():
            return None
        if sha256_hex(path.read_bytes()) != sha:
            path.unlink(missing_ok=True)
            return None
        return path

    def put(self, data: bytes, suffix: str) -> Path:
        sha = sha256_hex(data)
        path = self.path(sha, suffix)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path

    def get_or_fetch(self, sha: str, suffix: str, fetch: Callable[[], bytes]) -> Path:
        cached = self.get(sha, suffix)
        if cached is not None:
            return cached
        data = fetch()
        got = sha256_hex(data)
        if got != sha:
            raise ValueError(f"downloaded artifact has sha256 {got}, registry says {sha}")
        return self.put(data, suffix)
