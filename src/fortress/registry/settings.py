"""Settings of the model registry (``Settings.registry``; env ``FORTRESS_REGISTRY__...``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel


class RegistrySettings(BaseModel):
    tracking_uri: str | None = None
    """MLflow backend store URI. Default: SQLite at ``$FORTRESS_HOME/registry/mlflow.db``."""
    artifact_uri: str | None = None
    """Where new experiments put artifacts (``s3://bucket/prefix`` for S3).

    Default: ``$FORTRESS_HOME/artifacts``."""
    s3_endpoint_url: str | None = None
    """S3-compatible endpoint (MinIO, moto, ...); passed to MLflow as ``MLFLOW_S3_ENDPOINT_URL``."""
    experiment: str = "fortress-reference-ensemble"
    """MLflow experiment that training runs are logged to."""
    model_prefix: str = ""
    """Prefix for registered model names, so several ensembles can share one MLflow server."""

    def store_uri(self, home: Path) -> str:
        """``tracking_uri``, else the embedded SQLite database under ``home``."""
        if self.tracking_uri:
            return self.tracking_uri
        return f"sqlite:///{(home / 'registry' / 'mlflow.db').resolve()}"

    def artifact_root(self, home: Path) -> str:
        """``artifact_uri``, else ``home/artifacts`` as a file URI."""
        if self.artifact_uri:
            return self.artifact_uri
        return (home / "artifacts").resolve().as_uri()
