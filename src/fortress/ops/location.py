"""Where backups live: a local folder or ``s3://bucket/prefix`` (any S3-compatible server).

Each backup is ``<location>/<backup_id>/`` holding its files and ``manifest.json``. A backup is
published whole: into a folder by one rename of a fully written folder, into S3 with the manifest
uploaded last, so a backup without a manifest is an unfinished one and is never listed.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from fortress.ops.errors import BackupInvalid, OpsFailed
from fortress.ops.manifest import MANIFEST, Manifest

S3 = "s3://"


class Location(Protocol):
    def __str__(self) -> str: ...

    def staging(self) -> Path:
        """A fresh local folder to write a backup into before ``publish``."""
        ...

    def publish(self, staged: Path, backup_id: str) -> str:
        """Move or upload ``staged`` as ``backup_id``; where it now is."""
        ...

    def ids(self) -> list[str]:
        """Every complete backup here (one with a manifest), oldest first by id."""
        ...

    def manifest(self, backup_id: str) -> Manifest: ...

    @contextmanager
    def local(self, backup_id: str) -> Iterator[Path]:
        """The backup as a local folder (downloaded first when remote)."""
        ...

    def delete(self, backup_id: str) -> None: ...


@dataclass(frozen=True)
class LocalLocation:
    root: Path

    def __str__(self) -> str:
        return str(self.root)

    def staging(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".incomplete-", dir=self.root))

    def publish(self, staged: Path, backup_id: str) -> str:
        final = self.root / backup_id
        staged.rename(final)
        return str(final)

    def ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / MANIFEST).is_file())

    def manifest(self, backup_id: str) -> Manifest:
        return Manifest.read(self.root / backup_id)

    @contextmanager
    def local(self, backup_id: str) -> Iterator[Path]:
        folder = self.root / backup_id
        if not (folder / MANIFEST).is_file():
            raise BackupInvalid(f"no backup {backup_id} in {self.root}")
        yield folder

    def delete(self, backup_id: str) -> None:
        shutil.rmtree(self.root / backup_id)


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str
    endpoint_url: str | None = None

    @classmethod
    def parse(cls, url: str, endpoint_url: str | None) -> S3Location:
        bucket, _, prefix = url.removeprefix(S3).partition("/")
        if not bucket:
            raise BackupInvalid(f"not an S3 location: {url!r} (expected s3://bucket/prefix)")
        return cls(bucket, prefix.strip("/"), endpoint_url)

    def __str__(self) -> str:
        return f"{S3}{self.bucket}/{self.prefix}".rstrip("/")

    def _client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint_url)

    def _key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    def _call(self, action: Any, what: str) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return action()
        except (BotoCoreError, ClientError) as exc:
            raise OpsFailed(f"S3 {what} at {self}: {exc}") from None

    def staging(self) -> Path:
        return Path(tempfile.mkdtemp(prefix="fortress-backup-"))

    def publish(self, staged: Path, backup_id: str) -> str:
        client = self._client()
        files = sorted(p for p in staged.rglob("*") if p.is_file() and p.name != MANIFEST)
        for path in [*files, staged / MANIFEST]:  # the manifest last: it marks the backup complete
            key = self._key(backup_id, path.relative_to(staged).as_posix())
            self._call(lambda p=path, k=key: client.upload_file(str(p), self.bucket, k), "upload")
        shutil.rmtree(staged)
        return f"{S3}{self.bucket}/{self._key(backup_id)}"

    def _objects(self, backup_id: str | None = None) -> Iterator[str]:
        client = self._client()
        paginator = client.get_paginator("list_objects_v2")
        base = self._key(backup_id) if backup_id else self.prefix
        prefix = f"{base}/" if base else ""
        pages = self._call(lambda: list(paginator.paginate(Bucket=self.bucket, Prefix=prefix)), "list")
        for page in pages:
            for item in page.get("Contents", []):
                yield str(item["Key"])

    def ids(self) -> list[str]:
        base = f"{self.prefix}/" if self.prefix else ""
        found = set()
        for key in self._objects():
            rest = key[len(base) :]
            backup_id, _, name = rest.partition("/")
            if name == MANIFEST:
                found.add(backup_id)
        return sorted(found)

    def manifest(self, backup_id: str) -> Manifest:
        client = self._client()
        key = self._key(backup_id, MANIFEST)
        body = self._call(lambda: client.get_object(Bucket=self.bucket, Key=key)["Body"].read(), "read")
        return Manifest.from_json(body, f"{self}/{backup_id}")

    @contextmanager
    def local(self, backup_id: str) -> Iterator[Path]:
        if backup_id not in self.ids():
            raise BackupInvalid(f"no backup {backup_id} in {self}")
        client = self._client()
        base = self._key(backup_id) + "/"
        with tempfile.TemporaryDirectory(prefix="fortress-restore-") as tmp:
            folder = Path(tmp) / backup_id
            for key in self._objects(backup_id):
                path = folder / key[len(base) :]
                path.parent.mkdir(parents=True, exist_ok=True)
                self._call(lambda k=key, p=path: client.download_file(self.bucket, k, str(p)), "download")
            yield folder

    def delete(self, backup_id: str) -> None:
        client = self._client()
        for key in list(self._objects(backup_id)):
            self._call(lambda k=key: client.delete_object(Bucket=self.bucket, Key=k), "delete")


def location(text: str, endpoint_url: str | None) -> Location:
    if text.startswith(S3):
        return S3Location.parse(text, endpoint_url)
    return LocalLocation(Path(text).expanduser().resolve())


def backup_ref(text: str, default: Location, endpoint_url: str | None) -> tuple[Location, str]:
    """A BACKUP argument -> (its location, its id): a backup folder, ``s3://bucket/prefix/<id>``, or
    an id in the default location."""
    if text.startswith(S3):
        parent, _, backup_id = text.rstrip("/").rpartition("/")
        return S3Location.parse(parent, endpoint_url), backup_id
    path = Path(text).expanduser()
    if (path / MANIFEST).is_file():
        resolved = path.resolve()
        return LocalLocation(resolved.parent), resolved.name
    if "/" not in text and text in default.ids():
        return default, text
    raise BackupInvalid(
        f"no backup at {text!r} (a backup folder, s3://bucket/prefix/<id>, or an id in {default})"
    )
