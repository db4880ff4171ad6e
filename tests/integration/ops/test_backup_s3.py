"""Backups in an S3-compatible store (moto's server on a free port): create, list, verify, restore, prune."""

from __future__ import annotations

import json
from pathlib import Path

from fortress.settings import Settings
from support.cli import fortress, one_error_line
from support.ops import Trained, artifact_file, tree_digest


def test_backup_round_trip_through_s3(
    trained: Trained, home: Settings, tmp_path: Path, s3_endpoint: str, s3_bucket: str
) -> None:
    import boto3

    env = {"FORTRESS_OPS__S3_ENDPOINT_URL": s3_endpoint}
    where = f"s3://{s3_bucket}/fortress/backups"
    first = fortress(home.home, "backup", "create", "--to", where, "--json", env=env)
    assert first.returncode == 0, first.stderr
    backup_id = json.loads(first.stdout)["backup_id"]
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket)["Contents"]]
    assert f"fortress/backups/{backup_id}/manifest.json" in keys
    assert any(k.endswith("model.onnx") for k in keys)

    listing = fortress(home.home, "backup", "list", "--from", where, "--json", env=env)
    assert [row["backup_id"] for row in json.loads(listing.stdout)] == [backup_id]
    verified = fortress(home.home, "backup", "verify", f"{where}/{backup_id}", env=env)
    assert verified.returncode == 0, verified.stderr

    fresh = tmp_path / "from-s3"
    restored = fortress(home.home, "backup", "restore", f"{where}/{backup_id}", "--to", str(fresh), env=env)
    assert restored.returncode == 0, restored.stderr
    assert (fresh / "registry" / "mlflow.db").is_file()
    assert (fresh / "auth" / "keys.json").is_file()


def test_tampered_object_in_s3_is_named_and_prune_keeps_the_newest(
    trained: Trained, home: Settings, tmp_path: Path, s3_endpoint: str, s3_bucket: str
) -> None:
    import boto3

    env = {"FORTRESS_OPS__S3_ENDPOINT_URL": s3_endpoint}
    where = f"s3://{s3_bucket}/fortress/backups"
    first = fortress(home.home, "backup", "create", "--to", where, "--no-audit", "--json", env=env)
    assert first.returncode == 0, first.stderr
    backup_id = json.loads(first.stdout)["backup_id"]
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    fresh = tmp_path / "untouched-home"
    fresh.mkdir()
    (fresh / "state.txt").write_text("the home before the refused restore")

    # One byte flipped in one object: verify and restore name it; the home stays as it was.
    name = artifact_file(trained.manifest)
    key = f"fortress/backups/{backup_id}/{name}"
    data = bytearray(s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read())
    data[200] ^= 0x01
    s3.put_object(Bucket=s3_bucket, Key=key, Body=bytes(data))
    before = tree_digest(fresh)
    bad = fortress(home.home, "backup", "verify", f"{where}/{backup_id}", env=env)
    assert bad.returncode == 1
    assert name in one_error_line(bad)
    refused = fortress(
        home.home, "backup", "restore", f"{where}/{backup_id}", "--to", str(fresh), "--force", env=env
    )
    assert refused.returncode == 2
    assert name in one_error_line(refused)
    assert tree_digest(fresh) == before

    second = fortress(home.home, "backup", "create", "--to", where, "--no-audit", "--json", env=env)
    newest = json.loads(second.stdout)["backup_id"]
    pruned = fortress(home.home, "backup", "prune", "--keep-days", "0", "--from", where, env=env)
    assert pruned.returncode == 0, pruned.stderr
    assert f"deleted {backup_id}" in pruned.stdout
    left = {o["Key"].split("/")[2] for o in s3.list_objects_v2(Bucket=s3_bucket)["Contents"]}
    assert left == {newest}
