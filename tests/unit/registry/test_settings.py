"""The registry's own settings: where its store and artifacts are, given FORTRESS_HOME."""

from __future__ import annotations

from pathlib import Path

from fortress.registry.settings import RegistrySettings


def test_defaults_live_under_home(tmp_path: Path) -> None:
    settings = RegistrySettings()
    assert settings.store_uri(tmp_path) == f"sqlite:///{tmp_path.resolve()}/registry/mlflow.db"
    assert settings.artifact_root(tmp_path) == (tmp_path / "artifacts").resolve().as_uri()


def test_configured_uris_are_used_as_given(tmp_path: Path) -> None:
    settings = RegistrySettings(tracking_uri="postgresql+psycopg2://db/mlflow", artifact_uri="s3://b/p")
    assert settings.store_uri(tmp_path) == "postgresql+psycopg2://db/mlflow"
    assert settings.artifact_root(tmp_path) == "s3://b/p"
