"""The one typed settings tree. ``os.environ`` is read here and nowhere else.

Environment variables use the ``FORTRESS_`` prefix and ``__`` for nesting, e.g.
``FORTRESS_REGISTRY__TRACKING_URI=postgresql+psycopg2://...``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, PositiveInt
from pydantic_settings import BaseSettings, SettingsConfigDict

from fortress.features.settings import FeatureSettings
from fortress.gateway.settings import GatewaySettings
from fortress.http.settings import HttpSettings
from fortress.runtime.settings import RuntimeSettings
from fortress.server.settings import ServerSettings


class RegistrySettings(BaseModel):
    tracking_uri: str | None = None
    """MLflow backend store URI. Default: SQLite at ``$FORTRESS_HOME/registry/mlflow.db``."""
    artifact_uri: str | None = None
    """Where new experiments put artifacts (``s3://bucket/prefix`` for S3).

    Default: ``$FORTRESS_HOME/artifacts``."""
    s3_endpoint_url: str | None = None
    """S3-compatible endpoint (MinIO, moto, ...); passed to MLflow as ``MLFLOW_S3_ENDPOINT_URL``."""
    experiment: str = "fortress-reference-ensemble"
    model_prefix: str = ""
    """Prefix for registered model names, so several ensembles can share one MLflow server."""


REPO_CONFIGS = Path(__file__).resolve().parents[2] / "configs"


class TrainingSettings(BaseModel):
    seed: int = 7
    thresholds_file: Path = REPO_CONFIGS / "performance_thresholds.yaml"
    """Quality gates (versioned in the repository)."""
    parity_tolerance: float = 1e-4
    threads: PositiveInt = 2


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FORTRESS_",
        env_nested_delimiter="__",
        extra="ignore",
        frozen=True,
        hide_input_in_errors=True,
    )

    home: Path = Path(".fortress")
    """Embedded registry, artifacts, caches and data live here."""
    datasets_dir: Path | None = None
    """Folder holding the real public datasets (see docs/DATASETS.md). Unset: the simulator stands in."""
    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    training: TrainingSettings = Field(default_factory=TrainingSettings)
    runtime: RuntimeSettings = Field(default_factory=RuntimeSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    gateway: GatewaySettings = Field(default_factory=GatewaySettings)
    features: FeatureSettings = Field(default_factory=FeatureSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    """Limits of the HTTP server layer of the gateway and the model server (docs/SECURITY.md)."""

    @property
    def registry_dir(self) -> Path:
        return self.home / "registry"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    def tracking_uri(self) -> str:
        if self.registry.tracking_uri:
            return self.registry.tracking_uri
        return f"sqlite:///{(self.registry_dir / 'mlflow.db').resolve()}"

    def artifact_uri(self) -> str:
        if self.registry.artifact_uri:
            return self.registry.artifact_uri
        return (self.home / "artifacts").resolve().as_uri()
