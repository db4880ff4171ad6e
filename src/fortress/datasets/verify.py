"""Check a dataset folder against its manifest: present, intact, and of the expected shape."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from fortress.datasets.checksums import folder_files, folder_sha256, sha256_file
from fortress.datasets.manifest import DatasetManifest, FileFormat, ManifestEntry, dataset_manifest
from fortress.errors import DatasetError


class ProblemKind(StrEnum):
    MISSING = "missing"
    SIZE = "size"
    CHECKSUM = "checksum"
    COLUMNS = "columns"
    ROWS = "rows"
    UNREADABLE = "unreadable"


@dataclass(frozen=True, slots=True)
class FileProblem:
    path: str
    """'<dataset>/<relative path>'."""
    kind: ProblemKind
    message: str
    """One line naming the file (by its full path) and what is wrong with it."""


@dataclass(frozen=True, slots=True)
class DatasetStatus:
    name: str
    path: Path
    present: bool
    """The dataset folder exists (its files may still be missing or corrupt)."""
    problems: tuple[FileProblem, ...] = ()

    @property
    def valid(self) -> bool:
        return self.present and not self.problems

    def describe(self) -> str:
        if not self.present:
            return f"{self.name}: not present (no folder {self.path})"
        if not self.problems:
            return f"{self.name}: ok ({self.path})"
        return "\n".join(
            [f"{self.name}: {len(self.problems)} problem(s)"] + [p.message for p in self.problems]
        )


def verify_dataset(datasets_dir: Path, name: str) -> DatasetStatus:
    """Check every file the loaders of dataset ``name`` read (size, sha256; shape when they differ)."""
    return verify_manifest(datasets_dir, dataset_manifest(name))


def verify_manifest(datasets_dir: Path, manifest: DatasetManifest) -> DatasetStatus:
    folder = datasets_dir / manifest.name
    if not folder.is_dir():
        return DatasetStatus(manifest.name, folder, present=False)
    problems = [p for entry in manifest.entries for p in check_entry(folder, manifest.name, entry)]
    return DatasetStatus(manifest.name, folder, present=True, problems=tuple(problems))


def require_file(datasets_dir: Path, dataset: str, path: str, *, verify: bool = True) -> Path:
    """The path of one manifest file, checked (size and sha256 unless ``verify`` is False).

    Raises ``DatasetError`` with one line naming the file on the first problem found.
    """
    entry = dataset_manifest(dataset).entry(path)
    folder = datasets_dir / dataset
    full = folder / entry.path
    if verify:
        problems = check_entry(folder, dataset, entry)
    elif not (full.is_dir() if entry.is_folder else full.is_file()):
        problems = [_missing(full, f"{dataset}/{entry.path}", entry)]
    else:
        problems = []
    if problems:
        raise DatasetError(problems[0].message)
    return full


def check_entry(folder: Path, dataset: str, entry: ManifestEntry) -> list[FileProblem]:
    full = folder / entry.path
    rel = f"{dataset}/{entry.path}"
    if entry.is_folder:
        return _check_folder(full, rel, entry)
    if not full.is_file():
        return [_missing(full, rel, entry)]
    size = full.stat().st_size
    if size != entry.size:
        first = FileProblem(rel, ProblemKind.SIZE, f"{full}: {size} bytes, expected {entry.size}")
    else:
        digest = sha256_file(full)
        if digest == entry.sha256:
            return []
        first = FileProblem(
            rel,
            ProblemKind.CHECKSUM,
            f"{full}: sha256 mismatch: got {digest[:16]}…, expected {entry.sha256[:16]}… (corrupt or edited)",
        )
    return [first, *_shape_problems(full, rel, entry)]


def _missing(full: Path, rel: str, entry: ManifestEntry) -> FileProblem:
    what = "folder" if entry.is_folder else "file"
    return FileProblem(rel, ProblemKind.MISSING, f"{full}: {what} missing")


def _check_folder(full: Path, rel: str, entry: ManifestEntry) -> list[FileProblem]:
    if not full.is_dir():
        return [_missing(full, rel, entry)]
    files = folder_files(full)
    problems: list[FileProblem] = []
    if len(files) != entry.rows:
        problems.append(
            FileProblem(rel, ProblemKind.ROWS, f"{full}: {len(files)} files, expected {entry.rows}")
        )
    digest = folder_sha256(full)
    if digest != entry.sha256:
        problems.append(
            FileProblem(
                rel,
                ProblemKind.CHECKSUM,
                f"{full}: folder sha256 mismatch: got {digest[:16]}…, expected {entry.sha256[:16]}… "
                "(a message was added, removed or changed)",
            )
        )
    return problems


def _shape_problems(full: Path, rel: str, entry: ManifestEntry) -> list[FileProblem]:
    """Explain a checksum mismatch in terms of rows and columns, when the shape differs too."""
    try:
        rows, columns = file_shape(full, entry)
    except (OSError, ValueError) as exc:
        return [FileProblem(rel, ProblemKind.UNREADABLE, f"{full}: unreadable: {exc}")]
    problems: list[FileProblem] = []
    if entry.columns is not None and columns != entry.columns:
        message = f"{full}: {columns} columns in its first line, expected {entry.columns}"
        problems.append(FileProblem(rel, ProblemKind.COLUMNS, message))
    if rows != entry.rows:
        problems.append(FileProblem(rel, ProblemKind.ROWS, f"{full}: {rows} rows, expected {entry.rows}"))
    return problems


def file_shape(path: Path, entry: ManifestEntry) -> tuple[int, int | None]:
    """(rows, columns of the first line) counted as the manifest counts them."""
    if entry.format is FileFormat.JSON_ARRAY:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if not isinstance(data, list):
            raise ValueError("not a JSON array")
        return len(data), None
    rows = 0
    columns: int | None = None
    with open(path, encoding="latin-1", newline=None) as f:  # universal newlines: \n, \r\n and \r
        for line in f:
            if not line.strip():
                continue
            if columns is None and entry.format is FileFormat.CSV:
                columns = len(next(csv.reader([line])))
            rows += 1
    return rows - (1 if entry.header and rows else 0), columns
