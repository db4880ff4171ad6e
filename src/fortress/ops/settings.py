"""Settings of backups and the DR drill (``Settings.ops``; env ``FORTRESS_OPS__...``)."""

from __future__ import annotations

from pydantic import BaseModel, Field, PositiveFloat, PositiveInt, SecretStr


class OpsSettings(BaseModel):
    backup_dir: str | None = None
    """Where ``fortress backup create`` writes and ``list`` / ``prune`` look: a folder or
    ``s3://bucket/prefix``. Default: ``<FORTRESS_HOME>-backups`` beside the home."""
    backup_key: SecretStr | None = None
    """Fernet key (``fortress backup key`` makes one) that encrypts the secrets of the configuration
    into the backup. Unset (and no ``--key-file``): secrets are left out of the backup."""
    s3_endpoint_url: str | None = None
    """S3-compatible endpoint of ``s3://`` backup locations (MinIO, moto, ...). Default: the
    registry's ``s3_endpoint_url``, else AWS."""
    keep_days: PositiveInt = 30
    """``fortress backup prune``: backups older than this go (the newest one always stays)."""
    drill_ready_timeout_s: PositiveFloat = 120.0
    """``fortress dr drill``: longest wait for the restored gateway to answer ``/health/ready``."""
    fingerprint_investigations: PositiveInt = Field(8, le=100)
    """Investigations the champion fingerprint is made of (each asks every champion)."""
