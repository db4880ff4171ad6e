"""The effective configuration without its secrets, and the secrets apart (to be encrypted or left out).

A secret is a ``SecretStr`` value, the password of a URL (``postgresql://user:pw@...``,
``redis://:pw@...``) and any string under a key naming a password, secret or token (librdkafka's
``sasl.password``). Each is replaced by ``"***"`` in the configuration and kept under its dotted path.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

MASK = "***"
SECRET_KEY = re.compile(r"password|secret|token|passwd", re.I)
NEVER_STORED = frozenset({"ops.backup_key"})
"""The key itself is never written into the backup it protects."""


def split_secrets(tree: Any, path: str = "") -> tuple[Any, dict[str, str]]:
    """``(public, secrets)`` of a settings tree (``model_dump()`` in python mode: secrets still typed)."""
    secrets: dict[str, str] = {}
    public = _walk(tree, path, secrets)
    return public, secrets


def _walk(value: Any, path: str, secrets: dict[str, str]) -> Any:
    if path in NEVER_STORED:
        return None if value is None else MASK
    if isinstance(value, SecretStr):
        secrets[path] = value.get_secret_value()
        return MASK
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if isinstance(item, str) and SECRET_KEY.search(str(key)) and item:
                secrets[child] = item
                out[str(key)] = MASK
            else:
                out[str(key)] = _walk(item, child, secrets)
        return out
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [_walk(item, f"{path}[{i}]", secrets) for i, item in enumerate(items)]
    if isinstance(value, str):
        return _url_without_password(value, path, secrets)
    if isinstance(value, PurePath):
        return str(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


def _url_without_password(value: str, path: str, secrets: dict[str, str]) -> str:
    if "://" not in value or "@" not in value:
        return value
    parts = urlsplit(value)
    if not parts.password:
        return value
    secrets[path] = value
    user = f"{parts.username}:" if parts.username else ":"
    netloc = f"{user}{MASK}@{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"
    return urlunsplit(parts._replace(netloc=netloc))
