"""Plain files and folders of the home: the Feast repository (registry and offline data; the online store
is rebuilt by materialization; the inference log apart, as its own optional store), the API key store
(hashes only), the audit log (append-only), the inference log (Parquet files published by rename)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from fortress.ops.manifest import Manifest
from fortress.ops.stores.base import FileStore, Source, Target

FEATURES = "features"
KEYS = "keys"
AUDIT = "audit"
INFERENCE_LOG = "inference_log"


class TreeStore(FileStore):
    """A file or a folder, copied as it is (minus ``exclude``d names)."""

    def __init__(self, name: str, exclude: tuple[str, ...] = ()) -> None:
        self.name = name
        self.exclude = exclude

    def present(self, source: Source) -> bool:
        path = source.paths.get(self.name)
        return path is not None and path.exists()

    def backup(self, source: Source, out: Path) -> dict[str, Any]:
        path = source.paths[self.name]
        dest = out / self.name / path.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            shutil.copytree(path, dest, ignore=shutil.ignore_patterns(*self.exclude))
        else:
            self.copy_file(path, dest)
        return {"path": str(path), "name": path.name, "kind": "dir" if path.is_dir() else "file"}

    def copy_file(self, path: Path, dest: Path) -> None:
        shutil.copy2(path, dest)

    def restore(self, folder: Path, manifest: Manifest, target: Target) -> None:
        info = manifest.stores[self.name]
        source = folder / self.name / info["name"]
        dest = target.staged(target.paths[self.name])
        dest.parent.mkdir(parents=True, exist_ok=True)
        if info["kind"] == "dir":
            shutil.copytree(source, dest)
        else:
            shutil.copy2(source, dest)


class AppendLogStore(TreeStore):
    """An append-only JSON-lines file being written while the backup runs: copied up to its last
    complete line, so the copy never ends inside an event."""

    def copy_file(self, path: Path, dest: Path) -> None:
        with path.open("rb") as handle:
            data = handle.read()
        end = data.rfind(b"\n") + 1
        dest.write_bytes(data[:end])
        shutil.copystat(path, dest)
