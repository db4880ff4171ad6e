"""Secrets in a backup, encrypted with a Fernet key the user supplies (AES-128-CBC + HMAC-SHA256)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fortress.ops.errors import BackupInvalid


def new_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")


def read_key(key: str | None, key_file: Path | None) -> bytes | None:
    """The key from ``--key-file`` (its first line), else the setting; ``None`` when neither is given."""
    if key_file is not None:
        try:
            text = key_file.expanduser().read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise BackupInvalid(f"cannot read the key file {key_file}: {exc.strerror}") from None
        key = text.splitlines()[0] if text else ""
    if key is None:
        return None
    raw = key.strip().encode("ascii", errors="replace")
    _fernet(raw)  # a malformed key is refused before anything is written
    return raw


def _fernet(key: bytes) -> Any:
    from cryptography.fernet import Fernet

    try:
        return Fernet(key)
    except ValueError:
        raise BackupInvalid(
            "the backup key must be a Fernet key (32 url-safe base64-encoded bytes): "
            "make one with `fortress backup key`"
        ) from None


def encrypt(values: dict[str, str], key: bytes) -> bytes:
    return bytes(_fernet(key).encrypt(json.dumps(values, sort_keys=True).encode()))


def decrypt(token: bytes, key: bytes) -> dict[str, str]:
    from cryptography.fernet import InvalidToken

    try:
        return dict(json.loads(_fernet(key).decrypt(token)))
    except InvalidToken:
        raise BackupInvalid("the backup key does not decrypt this backup's secrets (wrong key?)") from None
