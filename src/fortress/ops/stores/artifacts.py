"""Every registered version's artifacts: its run's (spec, baseline) and its logged model's (the ONNX
graph, MLmodel). Locations inside the home are copied as files and restored into the new home;
others (``s3://``, a shared folder) are downloaded through MLflow and uploaded back on restore."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from fortress.ops.errors import OpsFailed
from fortress.ops.manifest import Manifest
from fortress.ops.stores.backend import home_uri
from fortress.ops.stores.base import FileStore, Source, Target

ARTIFACTS = "artifacts"


def _file_path(uri: str) -> Path | None:
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if not parts.scheme:
        return Path(uri)
    return None


def _mlflow_env(endpoint: str | None) -> None:
    if endpoint:
        os.environ["MLFLOW_S3_ENDPOINT_URL"] = endpoint


class ArtifactStore(FileStore):
    name = ARTIFACTS

    def present(self, source: Source) -> bool:
        return bool(source.scratch.get("versions"))

    def backup(self, source: Source, out: Path) -> dict[str, Any]:
        versions = source.scratch["versions"]
        uris = sorted({uri for v in versions for uri in v["locations"]})
        locations = []
        for i, uri in enumerate(uris):
            rel = f"{self.name}/{i:05d}"
            self._download(uri, out / rel, source.s3_endpoint_url)
            locations.append({"uri": uri, "dir": rel})
        return {"locations": locations, "versions": versions}

    def _download(self, uri: str, dest: Path, endpoint: str | None) -> None:
        local = _file_path(uri)
        if local is not None:
            if not local.is_dir():
                raise OpsFailed(f"artifacts of a registered version are missing: {local}")
            shutil.copytree(local, dest)
            return
        _mlflow_env(endpoint)
        from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

        dest.mkdir(parents=True)
        try:
            repository: Any = get_artifact_repository(uri)
            repository.download_artifacts("", str(dest))
        except Exception as exc:  # MLflow and boto raise many types
            raise OpsFailed(f"cannot download the artifacts at {uri}: {exc}") from None

    def _inside(self, uri: str, manifest: Manifest) -> str | None:
        old = str(manifest.source["home_uri"])
        return uri[len(old) :] if uri.startswith(old) else None

    def restore(self, folder: Path, manifest: Manifest, target: Target) -> None:
        for location in manifest.stores[self.name]["locations"]:
            rel = self._inside(location["uri"], manifest)
            if rel is not None:
                dest = target.staging / unquote(rel)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copytree(folder / location["dir"], dest)

    def commit(self, folder: Path, manifest: Manifest, target: Target) -> None:
        outside = [
            x for x in manifest.stores[self.name]["locations"] if self._inside(x["uri"], manifest) is None
        ]
        if not outside:
            return
        _mlflow_env(target.s3_endpoint_url)
        from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

        for location in outside:
            try:
                repository: Any = get_artifact_repository(location["uri"])
                repository.log_artifacts(str(folder / location["dir"]))
            except Exception as exc:  # MLflow and boto raise many types
                raise OpsFailed(f"cannot upload the artifacts back to {location['uri']}: {exc}") from None


__all__ = ["ARTIFACTS", "ArtifactStore", "home_uri"]
