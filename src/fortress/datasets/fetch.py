"""Download a real dataset into a datasets folder, verifying every byte against the manifest.

Each file is streamed to a temporary file beside its destination, checked (size and sha256), and only
then renamed into place: a file that does not match is deleted and ``DatasetError`` names it.

Where files come from:

* ``base_url=None``: each entry's public ``source``. Entries whose source does not serve the exact
  bytes (``direct=False``: members of zip archives, sampled releases, moving feeds) cannot be fetched
  this way. A mail folder comes from its SpamAssassin tarball: the messages of its ``archive`` folder
  are extracted (``cmds`` skipped, ``.txt`` appended to each name as in the reference copy), and the
  tarball, whose checksum is not recorded, is verified after extraction through the folder checksum.
* ``base_url`` (a mirror, e.g. a web server over a copy of a datasets folder): a file is fetched from
  ``{base_url}/{dataset}/{path}``; a mail folder from ``{base_url}/{dataset}/{folder}/SHA256SUMS`` (its
  canonical listing, ``checksums.folder_listing``, which must hash to the recorded folder checksum)
  and then each listed message from ``{base_url}/{dataset}/{folder}/{name}``.

The default HTTP client ignores proxy environment variables; pass ``client`` to use a proxy.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx

from fortress.datasets.checksums import BUFFER_SIZE, folder_sha256, parse_listing, sha256_bytes
from fortress.datasets.manifest import DatasetManifest, ManifestEntry, dataset_manifest
from fortress.datasets.verify import DatasetStatus, check_entry, verify_manifest
from fortress.errors import DatasetError

Progress = Callable[[str], None]
LISTING_NAME = "SHA256SUMS"
TARBALL_SUFFIX = ".txt"
"""Appended to each message name extracted from a SpamAssassin tarball (as in the reference copy)."""


def fetch_dataset(
    name: str,
    dest_dir: Path,
    base_url: str | None = None,
    progress: Progress | None = None,
    *,
    client: httpx.Client | None = None,
    force: bool = False,
) -> DatasetStatus:
    """Fetch dataset ``name`` into ``dest_dir/name`` and verify it.

    Files already present and valid are kept unless ``force``. Raises ``DatasetError`` naming the file
    on a download that fails or does not match the manifest.
    """
    return fetch_manifest(dataset_manifest(name), dest_dir, base_url, progress, client=client, force=force)


def fetch_manifest(
    manifest: DatasetManifest,
    dest_dir: Path,
    base_url: str | None = None,
    progress: Progress | None = None,
    *,
    client: httpx.Client | None = None,
    force: bool = False,
) -> DatasetStatus:
    """``fetch_dataset`` for any manifest (e.g. one describing a private mirror's extra dataset)."""
    say = progress or _quiet
    folder = dest_dir / manifest.name
    folder.mkdir(parents=True, exist_ok=True)
    mirror = base_url.rstrip("/") + "/" + quote(manifest.name) if base_url else None
    with _http(client) as http:
        for entry in manifest.entries:
            rel = f"{manifest.name}/{entry.path}"
            if not force and not check_entry(folder, manifest.name, entry):
                say(f"{rel}: already present and verified")
                continue
            if entry.is_folder and mirror:
                _fetch_listed_folder(
                    http, f"{mirror}/{quote(entry.path)}", folder / entry.path, entry, rel, say
                )
            elif entry.is_folder:
                _fetch_tarball_folder(http, folder / entry.path, entry, rel, say)
            else:
                url = f"{mirror}/{quote(entry.path)}" if mirror else _public_url(entry, rel)
                _fetch_file(http, url, folder / entry.path, entry.sha256, entry.size, rel, say)
    return verify_manifest(dest_dir, manifest)


def _public_url(entry: ManifestEntry, rel: str) -> str:
    if not entry.direct:
        raise DatasetError(
            f"{rel}: no direct public download ({entry.source}); fetch it from a mirror with base_url"
        )
    return entry.source


def _fetch_file(
    http: httpx.Client, url: str, dest: Path, sha256: str, size: int | None, rel: str, say: Progress
) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    say(f"{rel}: downloading {url}")
    tmp = _temp_file(dest.parent, dest.name)
    try:
        digest, got = _download(http, url, tmp, rel)
        if digest != sha256 or (size is not None and got != size):
            expected = f"{sha256[:16]}…" + (f", {size} bytes" if size is not None else "")
            raise DatasetError(
                f"{rel}: download from {url} does not match the manifest "
                f"(sha256 {digest[:16]}…, {got} bytes; expected {expected}); not kept"
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _fetch_listed_folder(
    http: httpx.Client, url: str, dest: Path, entry: ManifestEntry, rel: str, say: Progress
) -> None:
    listing = _get(http, f"{url}/{LISTING_NAME}", rel)
    if sha256_bytes(listing) != entry.sha256:
        raise DatasetError(f"{rel}: {url}/{LISTING_NAME} does not match the recorded folder checksum")
    try:
        pairs = parse_listing(listing.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DatasetError(f"{rel}: {url}/{LISTING_NAME}: {exc}") from exc
    unsafe = [name for _, name in pairs if "/" in name or "\\" in name or name.startswith(".")]
    if unsafe:
        raise DatasetError(f"{rel}: {url}/{LISTING_NAME} lists unsafe file names, e.g. {unsafe[0]!r}")
    say(f"{rel}: downloading {len(pairs)} files from {url}/")
    with _temp_folder(dest) as tmp:
        for digest, name in pairs:
            _fetch_file(http, f"{url}/{quote(name)}", tmp / name, digest, None, f"{rel}/{name}", _quiet)
        _install_folder(tmp, dest)


def _fetch_tarball_folder(
    http: httpx.Client, dest: Path, entry: ManifestEntry, rel: str, say: Progress
) -> None:
    if not entry.archive:
        raise DatasetError(f"{rel}: no public tarball known; fetch it from a mirror with base_url")
    say(f"{rel}: downloading {entry.source}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    archive = _temp_file(dest.parent, f"{dest.name}.tar")
    try:
        _download(http, entry.source, archive, rel)
        with _temp_folder(dest) as tmp:
            count = _extract_messages(archive, entry.archive, tmp, rel)
            digest = folder_sha256(tmp)
            if digest != entry.sha256:
                raise DatasetError(
                    f"{rel}: the {count} messages extracted from {entry.source} do not match the recorded "
                    f"folder checksum (got {digest[:16]}…, expected {entry.sha256[:16]}…); not kept"
                )
            _install_folder(tmp, dest)
    finally:
        archive.unlink(missing_ok=True)


def _extract_messages(archive: Path, inner: str, target: Path, rel: str) -> int:
    """Copy the regular files right under ``inner/`` (except ``cmds``) to ``target`` as ``name.txt``."""
    count = 0
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                parent, _, name = member.name.rstrip("/").rpartition("/")
                if (
                    not member.isfile()
                    or parent.rpartition("/")[2] != inner
                    or name in ("cmds", "")
                    or name[0] == "."
                ):
                    continue
                source = tar.extractfile(member)
                if source is None:
                    continue
                with source, open(target / f"{name}{TARBALL_SUFFIX}", "wb") as out:
                    shutil.copyfileobj(source, out, BUFFER_SIZE)
                count += 1
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DatasetError(f"{rel}: cannot read the downloaded tarball: {exc}") from exc
    return count


def _download(http: httpx.Client, url: str, target: Path, rel: str) -> tuple[str, int]:
    """Stream ``url`` into ``target``; returns (sha256, size)."""
    digest = hashlib.sha256()
    size = 0
    try:
        with http.stream("GET", url) as response:
            if response.status_code != 200:
                raise DatasetError(f"{rel}: GET {url} answered HTTP {response.status_code}")
            with open(target, "wb") as out:
                for chunk in response.iter_bytes(BUFFER_SIZE):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
    except httpx.HTTPError as exc:
        raise DatasetError(f"{rel}: download from {url} failed: {exc}") from exc
    return digest.hexdigest(), size


def _get(http: httpx.Client, url: str, rel: str) -> bytes:
    try:
        response = http.get(url)
    except httpx.HTTPError as exc:
        raise DatasetError(f"{rel}: download from {url} failed: {exc}") from exc
    if response.status_code != 200:
        raise DatasetError(f"{rel}: GET {url} answered HTTP {response.status_code}")
    return response.content


def _temp_file(folder: Path, name: str) -> Path:
    fd, path = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    os.close(fd)
    return Path(path)


@contextmanager
def _temp_folder(dest: Path) -> Iterator[Path]:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part"))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _install_folder(tmp: Path, dest: Path) -> None:
    """Move a complete folder into place, replacing an older one."""
    if dest.exists():
        old = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".old"))
        os.replace(dest, old / dest.name)
        os.replace(tmp, dest)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, dest)


@contextmanager
def _http(client: httpx.Client | None) -> Iterator[httpx.Client]:
    if client is not None:
        yield client
        return
    with httpx.Client(timeout=httpx.Timeout(60.0), follow_redirects=True, trust_env=False) as own:
        yield own


def _quiet(_message: str) -> None:
    return None
