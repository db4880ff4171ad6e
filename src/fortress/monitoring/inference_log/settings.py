"""Inference log settings (``Settings.monitoring.inference_log``; env
``FORTRESS_MONITORING__INFERENCE_LOG__...``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, PositiveInt, SecretStr, model_validator


class InferenceLogSettings(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True)  # salt, kafka_config may hold secrets

    enabled: bool = True
    """Log a sample of each model's input rows and answers (what ``fortress drift analyze`` reads)."""
    sample_rate: float = Field(0.05, ge=0.0, le=1.0)
    """Share of investigations whose every model row is logged (0.05: 1 in 20), drawn at random."""
    low_confidence: float = Field(0.6, ge=0.0, le=1.0)
    """A model answer whose confidence (largest probability) is below this is always logged, as is
    every model answer of a degraded investigation."""
    sink: Literal["parquet", "kafka"] = "parquet"
    """``parquet``: files in the offline store, partitioned by date and model. ``kafka``: a topic,
    with the audit events' delivery guarantee (idempotent producer, disk spool while Kafka is away)."""
    path: Path | None = None
    """Parquet sink: the log's root. Default: ``offline/inference_log`` in the feature repository
    (``$FORTRESS_HOME/features/offline/inference_log``)."""
    sensitive: Literal["hash", "drop"] = "hash"
    """Fields the catalog marks sensitive (a message's text): ``hash`` stores
    ``sha256:<hex>`` of the salt and the value, ``drop`` leaves them out."""
    salt: SecretStr = SecretStr("")
    """Prefixed to a sensitive value before hashing, so hashes of short values cannot be looked up."""
    retention_days: PositiveInt = 30
    """Date partitions older than this many days are deleted (by the writer, hourly and at start)."""
    max_bytes: PositiveInt = 5_000_000_000
    """Parquet sink: above this many bytes of log, new rows are dropped (counted as ``over_size``)."""
    queue_max_rows: PositiveInt = 50_000
    """Rows held in memory for the background writer; past it, rows are dropped (``queue_full``)."""
    flush_rows: PositiveInt = 10_000
    """Parquet sink: queued rows are encoded (Arrow, in memory) every second, or sooner once this
    many wait."""
    flush_interval_s: PositiveFloat = 300.0
    """Parquet sink: encoded rows are written this often, one file per model and date ..."""
    flush_bytes: PositiveInt = 64_000_000
    """... or as soon as this many bytes are encoded."""
    kafka_bootstrap: str | None = None
    """``host:port[,host:port...]``. Required when ``sink`` is ``kafka``."""
    kafka_topic: str = Field("fortress.inference", min_length=1)
    kafka_config: dict[str, str] = Field(default_factory=dict)
    """Extra librdkafka options, as ``gateway.events.kafka_config``."""
    spool_dir: Path | None = None
    """Kafka sink: where undelivered rows wait. Default: ``$FORTRESS_HOME/inference_log/spool``."""

    @model_validator(mode="after")
    def _kafka_needs_bootstrap(self) -> InferenceLogSettings:
        if self.sink == "kafka" and not self.kafka_bootstrap:
            raise ValueError(
                "monitoring.inference_log.kafka_bootstrap is required when monitoring.inference_log.sink "
                "is 'kafka' (set FORTRESS_MONITORING__INFERENCE_LOG__KAFKA_BOOTSTRAP=host:9092)"
            )
        return self

    def log_dir(self, features_root: Path) -> Path:
        """The Parquet log's root, given the feature repository's root."""
        return self.path if self.path is not None else features_root / "offline" / "inference_log"

    def spool_path(self, home: Path) -> Path:
        return self.spool_dir if self.spool_dir is not None else home / "inference_log" / "spool"
