"""sha256 of dataset files and folders, computed the same way by the verifier, loaders and fetcher.

A *folder* (a directory of many small files, e.g. one SpamAssassin mailbox) has one checksum: the
sha256 of its canonical listing, which is exactly what ``sha256sum`` prints for the folder's regular
files sorted by name in code-point order (``LC_ALL=C``)::

    listing = "".join(f"{sha256(file)}  {file.name}\\n" for file in sorted(folder.iterdir()))
    folder_sha256 = sha256(listing.encode("utf-8"))

so ``cd folder && LC_ALL=C sha256sum * | sha256sum`` gives the same value. Sub-folders are ignored.
A mirror publishes that listing as ``SHA256SUMS`` next to the folder's files (see ``fetch``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

BUFFER_SIZE = 1 << 20
"""Files are hashed in 1 MiB reads."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """sha256 of a file, remembered per process while its size, mtime and inode are unchanged.

    Nothing is written to disk: the datasets folder is read-only.
    """
    stat = path.stat()
    return _sha256_cached(os.path.abspath(path), stat.st_size, stat.st_mtime_ns, stat.st_ino)


@lru_cache(maxsize=16384)
def _sha256_cached(path: str, size: int, mtime_ns: int, inode: int) -> str:
    digest = hashlib.sha256()
    buffer = bytearray(BUFFER_SIZE)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buffer):
            digest.update(view[:n])
    return digest.hexdigest()


def folder_files(folder: Path) -> list[Path]:
    """The regular files of a folder, sorted by name in code-point order."""
    with os.scandir(folder) as entries:
        names = sorted(e.name for e in entries if e.is_file())
    return [folder / name for name in names]


def folder_listing(folder: Path) -> str:
    """The canonical listing of a folder (``sha256sum`` format); what a mirror serves as SHA256SUMS."""
    return "".join(f"{sha256_file(p)}  {p.name}\n" for p in folder_files(folder))


def folder_sha256(folder: Path) -> str:
    return sha256_bytes(folder_listing(folder).encode("utf-8"))


def parse_listing(text: str) -> list[tuple[str, str]]:
    """(sha256, name) pairs of a listing; raises ValueError on a malformed line."""
    pairs: list[tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name:
            raise ValueError(f"line {number} is not '<sha256>  <name>': {line[:80]!r}")
        pairs.append((digest, name))
    return pairs


def combined_sha256(items: Iterable[tuple[str, str]]) -> str:
    """One checksum over several (name, sha256) pairs, independent of their order.

    ``sha256("".join(f"{sha256}  {name}\\n" for name, sha256 in sorted(items)))``: the same
    ``sha256sum`` format as a folder listing, with names such as ``nsl-kdd/KDDTest+.txt``.
    """
    listing = "".join(f"{digest}  {name}\n" for name, digest in sorted(items))
    return sha256_bytes(listing.encode("utf-8"))
