"""Where the feature repository lives, and its ``feature_store.yaml`` rendered from settings.

Layout under ``FeatureSettings.root`` (default ``$FORTRESS_HOME/features``)::

    feature_store.yaml      rendered from settings on every open (the file Feast tooling reads)
    registry.db             Feast's file registry (entities, views)
    online.db               SQLite online store (when online = "sqlite")
    offline/<view>/*.parquet  offline store: one part file per ingest
    labels/<model>/*.parquet  label rows for point-in-time training sets
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from fortress.features.settings import FeatureSettings

if TYPE_CHECKING:
    import feast

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def feast_quiet() -> Iterator[None]:
    """Around Feast calls: its console banners go to the log (stdout is the command's), and the
    pandas-deprecation ``FutureWarning`` that dask (Feast's file offline store) raises inside itself
    is dropped. Our own warnings still show."""
    buffer = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(buffer):
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"dask\.")
        yield
    if buffer.getvalue().strip():
        logger.info("feast: %s", buffer.getvalue().strip())


@dataclass(frozen=True, slots=True)
class FeatureRepo:
    settings: FeatureSettings
    root: Path

    @classmethod
    def at(cls, features: FeatureSettings, home: Path) -> FeatureRepo:
        return cls(features, features.repo_root(home))

    @property
    def project(self) -> str:
        return self.settings.project

    @property
    def yaml_path(self) -> Path:
        return self.root / "feature_store.yaml"

    @property
    def registry_path(self) -> Path:
        return self.root / "registry.db"

    @property
    def online_path(self) -> Path:
        return self.root / "online.db"

    def offline_dir(self, view: str) -> Path:
        return self.root / "offline" / view

    def labels_dir(self, model: str) -> Path:
        return self.root / "labels" / model

    @property
    def staging_dir(self) -> Path:
        """Part files are written here first, then renamed into place (readers never see half a file)."""
        return self.root / ".staging"

    def describe_online(self) -> str:
        if self.settings.online == "redis":
            host = self.settings.redis_connection_string().split(",")[0]
            return f"redis at {host} (project {self.project})"
        return f"sqlite at {self.online_path}"

    def config(self) -> dict[str, Any]:
        """The content of ``feature_store.yaml``."""
        online: dict[str, Any]
        if self.settings.online == "redis":
            online = {"type": "redis", "connection_string": self.settings.redis_connection_string()}
            if self.settings.redis_key_ttl_seconds:
                online["key_ttl_seconds"] = self.settings.redis_key_ttl_seconds
        else:
            online = {"type": "sqlite", "path": str(self.online_path)}
        return {
            "project": self.project,
            "provider": "local",
            "registry": {
                "registry_type": "file",
                "path": str(self.registry_path),
                "cache_ttl_seconds": 0,
            },
            "online_store": online,
            "offline_store": {"type": "file"},
            "entity_key_serialization_version": 3,
        }

    def render_yaml(self) -> str:
        return yaml.safe_dump(self.config(), sort_keys=False)

    def write_yaml(self) -> Path:
        """Write ``feature_store.yaml`` (only when it changed) and create the folders."""
        self.root.mkdir(parents=True, exist_ok=True)
        text = self.render_yaml()
        if not self.yaml_path.is_file() or self.yaml_path.read_text() != text:
            tmp = self.yaml_path.with_suffix(".yaml.tmp")
            tmp.write_text(text)
            tmp.replace(self.yaml_path)
        return self.yaml_path

    def open(self) -> feast.FeatureStore:
        """A ``feast.FeatureStore`` on this repository (imports Feast: seconds, the first time)."""
        from feast import FeatureStore

        return FeatureStore(repo_path=str(self.root), fs_yaml_file=self.write_yaml())
