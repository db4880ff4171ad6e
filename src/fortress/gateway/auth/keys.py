"""API keys: ``fk_<key_id>_<secret>``, stored as SHA-256 hashes in one JSON file (mode 0600).

Keys are 32 random bytes, so a fast hash is enough (there is nothing to brute-force) and ``verify``
stays cheap: one SHA-256 and one constant-time comparison against an in-memory table. Another process
(``fortress keys revoke``) changes the file atomically; ``verify`` notices within about a second.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import logging
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from fortress.errors import InvalidInput, NotFound
from fortress.gateway.auth.errors import KeyFileError
from fortress.gateway.auth.principal import SCOPES
from fortress.gateway.auth.settings import AuthSettings

logger = logging.getLogger(__name__)

KEY_PREFIX = "fk_"
RELOAD_INTERVAL_S = 1.0
"""``verify`` looks at the file's metadata at most this often."""
_ID_RE = re.compile(r"[0-9a-f]{12}")
_MAX_KEY_CHARS = 256
_MAX_NAME_CHARS = 100

_Stamp = tuple[int, int, int]  # (mtime_ns, inode, size): os.replace always gives a new inode


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    key_id: str
    name: str
    scopes: frozenset[str]
    created_at: float
    """Unix time."""
    revoked: bool


@dataclass(frozen=True, slots=True)
class _Entry:
    record: ApiKeyRecord
    digest: bytes


class _StoredKey(BaseModel):
    key_id: str = Field(pattern=r"^[0-9a-f]{12}$")
    name: str
    scopes: list[str]
    created_at: float
    revoked: bool = False
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    def entry(self) -> _Entry:
        record = ApiKeyRecord(self.key_id, self.name, frozenset(self.scopes), self.created_at, self.revoked)
        return _Entry(record, bytes.fromhex(self.sha256))


class _KeyFile(BaseModel):
    version: int = 1
    keys: list[_StoredKey] = []


def keys_path(home: Path, auth: AuthSettings) -> Path:
    """Where the key file lives: ``auth.keys_file``, else ``<home>/auth/keys.json``."""
    return auth.keys_file if auth.keys_file is not None else home / "auth" / "keys.json"


def key_store(home: Path, auth: AuthSettings) -> ApiKeyStore:
    """The API key store the settings point at (the gateway and ``fortress keys`` share it)."""
    return ApiKeyStore(keys_path(home, auth))


def split_key(presented: str) -> tuple[str, str] | None:
    """``(key_id, secret)`` of a well-formed ``fk_<key_id>_<secret>``, else ``None``."""
    if len(presented) > _MAX_KEY_CHARS or not presented.startswith(KEY_PREFIX):
        return None
    key_id, sep, secret = presented[len(KEY_PREFIX) :].partition("_")
    if not sep or not secret or not _ID_RE.fullmatch(key_id):
        return None
    return key_id, secret


def _digest(presented: str) -> bytes:
    return hashlib.sha256(presented.encode()).digest()


class ApiKeyStore:
    def __init__(self, path: Path, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._stamp: _Stamp | None = None
        self._reload()
        self._next_check = clock() + RELOAD_INTERVAL_S

    # --- hot path -------------------------------------------------------------------------------

    def verify(self, presented: str) -> ApiKeyRecord | None:
        """The record of a valid, unrevoked key; ``None`` for anything else."""
        self._maybe_reload()
        parts = split_key(presented)
        if parts is None:
            return None
        entry = self._entries.get(parts[0])
        if entry is None or not hmac.compare_digest(_digest(presented), entry.digest):
            return None
        return None if entry.record.revoked else entry.record

    def _maybe_reload(self) -> None:
        now = self._clock()
        if now < self._next_check:
            return
        self._next_check = now + RELOAD_INTERVAL_S
        stamp = self._stat()
        if stamp != self._stamp:
            try:
                self._reload()
            except KeyFileError as exc:
                # Keep serving the last good table rather than locking every caller out; say so once
                # per bad version of the file.
                self._stamp = stamp
                logger.error("%s; still using the keys loaded before", exc)

    # --- management (CLI) -----------------------------------------------------------------------

    def create(self, name: str, scopes: Iterable[str]) -> tuple[ApiKeyRecord, str]:
        """A new key: its record and the plaintext key, which is never stored and shown only once."""
        name = name.strip()
        if not name or len(name) > _MAX_NAME_CHARS:
            raise InvalidInput(f"key name must be 1 to {_MAX_NAME_CHARS} characters")
        wanted = sorted(set(scopes))
        if not wanted:
            raise InvalidInput(f"a key needs at least one scope: {', '.join(SCOPES)}")
        unknown = [s for s in wanted if s not in SCOPES]
        if unknown:
            raise InvalidInput(f"unknown scope {unknown[0]!r}; known scopes: {', '.join(SCOPES)}")
        with self._writing() as stored:
            taken = {k.key_id for k in stored.keys}
            key_id = secrets.token_hex(6)
            while key_id in taken:
                key_id = secrets.token_hex(6)
            plaintext = f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
            stored.keys.append(
                _StoredKey(
                    key_id=key_id,
                    name=name,
                    scopes=wanted,
                    created_at=time.time(),
                    sha256=_digest(plaintext).hex(),
                )
            )
        return self._entries[key_id].record, plaintext

    def list(self) -> list[ApiKeyRecord]:
        """Every key, revoked ones included, oldest first (read fresh from the file)."""
        self._reload()
        return sorted((e.record for e in self._entries.values()), key=lambda r: (r.created_at, r.key_id))

    def revoke(self, key_id: str) -> ApiKeyRecord:
        """Mark a key revoked (idempotent); ``NotFound`` for an unknown id."""
        parts = split_key(key_id)  # a whole key pasted by mistake: use its id, never echo it
        key_id = parts[0] if parts else key_id.removeprefix(KEY_PREFIX)
        if not _ID_RE.fullmatch(key_id):
            raise NotFound("not an API key id (12 hex characters); `fortress keys list` shows them")
        with self._writing() as stored:
            for key in stored.keys:
                if key.key_id == key_id:
                    key.revoked = True
                    break
            else:
                raise NotFound(f"no API key with id {key_id!r}; `fortress keys list` shows them")
        return self._entries[key_id].record

    # --- file -----------------------------------------------------------------------------------

    def _stat(self) -> _Stamp | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_ino, st.st_size

    def _read(self) -> tuple[_KeyFile, _Stamp | None]:
        try:
            with open(self.path, "rb") as f:
                st = os.fstat(f.fileno())
                raw = f.read()
        except FileNotFoundError:
            return _KeyFile(), None
        except OSError as exc:
            raise KeyFileError(f"cannot read API key file {self.path}: {exc.strerror}") from exc
        if st.st_mode & 0o077:
            logger.warning("API key file %s is accessible by other users; chmod 600 it", self.path)
        try:
            stored = _KeyFile.model_validate_json(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "file"
            raise KeyFileError(f"API key file {self.path} is corrupt: {where}: {first['msg']}") from exc
        if stored.version != 1:
            raise KeyFileError(f"API key file {self.path} has unsupported version {stored.version}")
        return stored, (st.st_mtime_ns, st.st_ino, st.st_size)

    def _reload(self) -> None:
        stored, stamp = self._read()
        self._install(stored, stamp)

    def _install(self, stored: _KeyFile, stamp: _Stamp | None) -> None:
        self._entries = {k.key_id: k.entry() for k in stored.keys}
        self._stamp = stamp

    @contextlib.contextmanager
    def _writing(self) -> Iterator[_KeyFile]:
        """Read-modify-write under a lock held across processes; the new file replaces the old atomically."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with self._lock, open(os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600), "rb") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            stored, _ = self._read()
            yield stored
            self._write(stored)
            self._install(stored, self._stat())

    def _write(self, stored: _KeyFile) -> None:
        data = stored.model_dump_json(indent=2).encode() + b"\n"
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as f:  # mkstemp: mode 0600
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
