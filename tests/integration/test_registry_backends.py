"""The registry round trip on the scale-out stores: PostgreSQL backend, S3-compatible artifacts."""

from __future__ import annotations

from pathlib import Path

import pytest

from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.registry.settings import RegistrySettings
from fortress.settings import Settings
from support.registry_checks import round_trip


def test_round_trip_on_postgresql(tmp_path: Path, pg_uri: str) -> None:
    settings = Settings(home=tmp_path, registry=RegistrySettings(tracking_uri=pg_uri))
    round_trip(MlflowRegistry(settings.registry, settings.home))


def test_round_trip_on_postgresql_with_s3_artifacts(
    tmp_path: Path, pg_uri: str, s3_endpoint: str, s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_S3_ENDPOINT_URL", raising=False)
    settings = Settings(
        home=tmp_path,
        registry=RegistrySettings(
            tracking_uri=pg_uri, artifact_uri=f"s3://{s3_bucket}/mlflow", s3_endpoint_url=s3_endpoint
        ),
    )
    round_trip(MlflowRegistry(settings.registry, settings.home))
    import boto3

    keys = [
        o["Key"]
        for o in boto3.client("s3", endpoint_url=s3_endpoint).list_objects_v2(Bucket=s3_bucket)["Contents"]
    ]
    assert any(k.endswith("model.onnx") for k in keys)
    assert any(k.endswith("fortress/spec.json") for k in keys)
