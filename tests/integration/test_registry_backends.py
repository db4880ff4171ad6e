"""The registry round trip on the scale-out stores: PostgreSQL backend, S3-compatible artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from fortress.registry.base import CHAMPION
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.registry.settings import RegistrySettings
from fortress.settings import Settings
from support.candidates import tiny_candidate
from support.registry_checks import local_store_gone, round_trip


@contextmanager
def bucket_emptied(endpoint: str, bucket: str) -> Iterator[None]:
    """Every object of the bucket deleted, and put back afterwards."""
    import boto3

    s3 = boto3.client("s3", endpoint_url=endpoint)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    kept = {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}
    for key in keys:
        s3.delete_object(Bucket=bucket, Key=key)
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    try:
        yield
    finally:
        for key, body in kept.items():
            s3.put_object(Bucket=bucket, Key=key, Body=body)


def test_round_trip_on_postgresql(tmp_path: Path, pg_uri: str) -> None:
    settings = Settings(home=tmp_path, registry=RegistrySettings(tracking_uri=pg_uri))
    round_trip(MlflowRegistry(settings.registry, settings.home), lambda: local_store_gone(tmp_path))


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
    round_trip(
        MlflowRegistry(settings.registry, settings.home), lambda: bucket_emptied(s3_endpoint, s3_bucket)
    )
    import boto3

    keys = [
        o["Key"]
        for o in boto3.client("s3", endpoint_url=s3_endpoint).list_objects_v2(Bucket=s3_bucket)["Contents"]
    ]
    assert any(k.endswith("model.onnx") for k in keys)
    assert any(k.endswith("fortress/spec.json") for k in keys)


def test_change_token_on_postgresql(tmp_path: Path, pg_uri: str) -> None:
    """The runtime's between-polls watch (registry/change_token.py) reads PostgreSQL the same way."""
    settings = Settings(home=tmp_path, registry=RegistrySettings(tracking_uri=pg_uri))
    registry = MlflowRegistry(settings.registry, settings.home)
    registry.register(tiny_candidate(1)[0])
    before = registry.change_token()
    assert before is not None
    assert before == registry.change_token()
    registry.set_alias("tiny_detector", CHAMPION, 1)
    assert registry.change_token() not in (before, None)
